#!/usr/bin/python3
"""Single-row INSERT throughput into a vecgraph-indexed table as the index
grows: does an insert get slower when the index holds more rows?

For each dimension: an empty table with a vecgraph index (default options),
then for each size step the table grows to that many rows by COPY (each row
goes through the index's insert path, as any insert does), and pgbench runs
single-row INSERT transactions at each client count for --seconds, each run
right after a CHECKPOINT (so each pays the full-page images of the pages it
changes first, as inserts do after every checkpoint; the table shows how
many and how much WAL an insert wrote).  The rows pgbench inserts come from a source
table of vectors drawn from the same clustered distribution, picked at
random by primary key, so the graph grows like the data it holds.  Reports
transactions per second per step and each step's ratio to the first.

Runs against the cluster named by the PG* environment variables (make bench
starts one: VG_BENCH=insert).  Synthetic data only (datasets.py), seeded.

  insert_bench.py [--dims 128,784] [--sizes 10000,100000,1000000]
                  [--max-rows-784 200000] [--clients 1,4] [--seconds 15]
"""
import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402

SOURCE_ROWS = 100000            # vectors pgbench picks from


def int_list(text):
    return [int(x) for x in text.split(",") if x]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dims", type=int_list, default=int_list("128,784"))
    p.add_argument("--sizes", type=int_list, default=int_list("10000,30000,100000,300000,1000000"))
    p.add_argument("--max-rows", type=int, default=None,
                   help="stop growing past this many rows (all dimensions)")
    p.add_argument("--max-rows-784", type=int, default=200000,
                   help="stop growing past this many rows at 784 dimensions and more "
                        "(1,000,000 x 784 is 3 GB of table and 3 GB of index)")
    p.add_argument("--clients", type=int_list, default=int_list("1,4"))
    p.add_argument("--seconds", type=int, default=15)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-checkpoint", dest="checkpoint", action="store_false",
                   help="no CHECKPOINT before each pgbench run (by default one settles "
                        "the writes before it, and every run pays a full-page image for "
                        "the first change of each page, as after any checkpoint)")
    p.add_argument("--grow-connections", type=int, default=os.cpu_count() or 1,
                   help="connections that COPY the rows between steps")
    p.add_argument("--dbname", default="vecgraph_insert_bench")
    return p.parse_args(argv)


def copy_rows(conn, table, vectors, first_id):
    cur = conn.cursor()
    text = "".join(datasets.copy_text(vectors, ids=np.arange(first_id, first_id + len(vectors), dtype=np.int64)))
    cur.copy_expert("COPY %s (id, v) FROM STDIN" % table, io.StringIO(text))


def grow(a, conn, data, have, size):
    """Rows have..size by COPY, on --grow-connections connections at once
    (each its own share of 50,000-row chunks), so that growing to 1,000,000
    rows uses the machine's cores."""
    chunks = [(s, min(size, s + 50000)) for s in range(have, size, 50000)]
    conns = [conn] + [psycopg2.connect("", dbname=a.dbname)
                      for _ in range(a.grow_connections - 1)]
    errors = []

    def work(k):
        try:
            for s, e in chunks[k::len(conns)]:
                copy_rows(conns[k], "t", data[s:e], s)
        except Exception as e:          # reported by the main thread
            errors.append(e)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(conns))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for c in conns[1:]:
        c.commit()
        c.close()
    if errors:
        raise errors[0]


def pgbench(dbname, script, clients, seconds):
    cmd = ["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
           "-T", str(seconds), "-f", script]
    out = subprocess.run(cmd, env=dict(os.environ, PGDATABASE=dbname),
                         capture_output=True, text=True)
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout)
    if out.returncode != 0 or m is None:
        sys.exit("%s failed: %s" % (" ".join(cmd), out.stderr.strip()))
    return float(m.group(1))


def bench_dim(a, admin, dim):
    cap = a.max_rows if a.max_rows else None
    if dim >= 784 and a.max_rows_784:
        cap = min(cap or a.max_rows_784, a.max_rows_784)
    sizes = [s for s in a.sizes if cap is None or s <= cap]
    total = max(sizes)
    cur = admin.cursor()
    cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % a.dbname)
    cur.execute('CREATE DATABASE "%s"' % a.dbname)
    conn = psycopg2.connect("", dbname=a.dbname)
    conn.autocommit = True
    c = conn.cursor()
    c.execute("CREATE EXTENSION vecgraph")
    c.execute("CREATE TABLE src (id int PRIMARY KEY, v vector(%d))" % dim)
    c.execute("CREATE TABLE t (id bigint PRIMARY KEY, v vector(%d))" % dim)
    c.execute("CREATE SEQUENCE t_ids START %d" % (total + 1))
    c.execute("CREATE INDEX t_v_idx ON t USING vecgraph (v)")
    data = datasets.synthetic_clustered(total + SOURCE_ROWS, dim, seed=a.seed)
    copy_rows(conn, "src", data[total:], 0)
    c.execute("VACUUM ANALYZE src")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "insert.sql")
        with open(script, "w") as f:
            f.write("\\set r random(0, %d)\n"
                    "INSERT INTO t SELECT nextval('t_ids'), v FROM src WHERE id = :r;\n"
                    % (SOURCE_ROWS - 1))
        have = 0
        for size in sizes:
            t = time.perf_counter()
            grow(a, conn, data, have, size)
            grow_s = time.perf_counter() - t
            have = size
            c.execute("VACUUM ANALYZE t")
            row = {"dim": dim, "rows": size, "grow_s": grow_s,
                   "grow_rows_per_s": (size - (rows[-1]["rows"] if rows else 0)) / grow_s}
            for clients in a.clients:
                if a.checkpoint:
                    c.execute("CHECKPOINT")
                c.execute("SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal")
                before = c.fetchone()
                c.execute("SELECT count(*) FROM t")
                rows_before = c.fetchone()[0]
                row[clients] = pgbench(a.dbname, script, clients, a.seconds)
                c.execute("SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal")
                after = c.fetchone()
                c.execute("SELECT count(*) FROM t")
                n = max(1, c.fetchone()[0] - rows_before)
                row["wal%d" % clients] = ((after[1] - before[1]) / n,
                                          float(after[2] - before[2]) / n / 1024)
            rows.append(row)
            print("%4d dims, %8d rows: COPY grew it at %6.0f rows/s; INSERT tps %s"
                  % (dim, size, row["grow_rows_per_s"],
                     ", ".join("%d client(s) %.0f (%.1f full-page images, %.0f kB of WAL "
                               "an insert)" % ((k, row[k]) + row["wal%d" % k])
                               for k in a.clients)),
                  flush=True)
    conn.close()
    cur.execute('DROP DATABASE "%s" WITH (FORCE)' % a.dbname)
    return rows


def main(argv):
    a = parse_args(argv)
    admin = psycopg2.connect("")
    admin.autocommit = True
    cur = admin.cursor()
    settings = {}
    for name in ("shared_buffers", "huge_pages", "synchronous_commit", "fsync",
                 "full_page_writes", "max_wal_size"):
        cur.execute("SHOW %s" % name)
        settings[name] = cur.fetchone()[0]
    print("insert_bench %s; server: %s; %d s per pgbench run"
          % (" ".join(argv), ", ".join("%s %s" % kv for kv in settings.items()), a.seconds))
    results = [bench_dim(a, admin, dim) for dim in a.dims]
    print()
    print("| dims | rows in the index | COPY rows/s | " +
          " | ".join("INSERT tps, %d client%s (vs first) | full-page images, kB WAL an insert"
                     % (k, "" if k == 1 else "s") for k in a.clients) + " |")
    print("|--:|--:|--:|" + "--:|--:|" * len(a.clients))
    for rows in results:
        for r in rows:
            print("| %d | %d | %.0f | %s |"
                  % (r["dim"], r["rows"], r["grow_rows_per_s"],
                     " | ".join("%.0f (%.2f×) | %.1f, %.0f" % ((r[k], r[k] / rows[0][k]) + r["wal%d" % k])
                                for k in a.clients)))
    admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
