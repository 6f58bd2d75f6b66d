#!/usr/bin/python3
"""Single-row INSERT throughput into a vecgraph-indexed table as the index
grows: does an insert get slower when the index holds more rows?

For each dimension: an empty table with a vecgraph index (default options),
then for each size step the table grows to that many rows by COPY (each row
goes through the index's insert path, as any insert does), and pgbench runs
single-row INSERT transactions at each client count for --seconds,
--repeats times (client counts alternating).  Every run starts from the
same state: a copy of the grown database (CREATE DATABASE ... TEMPLATE,
file copy), prewarmed into shared buffers (pg_prewarm), right after a
CHECKPOINT, so each run pays the full-page images of the pages it changes
first, as inserts do after every checkpoint (the table shows how many and
how much WAL an insert wrote), and no run measures an index its
predecessors grew (a 15 s run at 3,000 transactions/s adds 45,000 rows to
a 10,000-row step).  The rows pgbench inserts come from a source table of
vectors drawn from the same clustered distribution, picked at random by
primary key, so the graph grows like the data it holds.  Reports the
median transactions per second of each step's runs and its ratio to the
first step's.

Beside it, the reference: native hnswlib (test/bench/hnswlib_grow, built
-O3 -march=native from libhnswlib-dev) adding rows of the same data to an
in-memory index of each size on 1 thread and on as many threads as the
4 clients get cores; its ratio to the first size is how much an insert
into the graph alone slows down, without PostgreSQL's per-transaction
work, which is the same at every size (--no-hnswlib to skip it).

Runs against the cluster named by the PG* environment variables (make bench
starts one: VG_BENCH=insert).  Synthetic data only (datasets.py), seeded.

  insert_bench.py [--dims 128,784] [--sizes 10000,100000,1000000]
                  [--max-rows-784 200000] [--clients 1,4] [--seconds 15]
                  [--repeats 3] [--no-hnswlib]
"""
import argparse
import io
import json
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
HERE = os.path.dirname(os.path.abspath(__file__))


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
    p.add_argument("--repeats", type=int, default=3,
                   help="runs of each client count per step, each on a fresh copy; "
                        "the median is reported")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-checkpoint", dest="checkpoint", action="store_false",
                   help="no CHECKPOINT before each pgbench run (by default one settles "
                        "the writes before it, and every run pays a full-page image for "
                        "the first change of each page, as after any checkpoint; "
                        "CREATE DATABASE's file copy checkpoints either way)")
    p.add_argument("--grow-connections", type=int, default=os.cpu_count() or 1,
                   help="connections that COPY the rows between steps")
    p.add_argument("--dbname", default="vecgraph_insert_bench")
    p.add_argument("--no-hnswlib", dest="hnswlib", action="store_false",
                   help="no hnswlib reference (test/bench/hnswlib_grow)")
    p.add_argument("--hnswlib-grow-by", type=int, default=10000,
                   help="rows hnswlib adds per timed round (default 10,000)")
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


def hnswlib_threads(clients):
    return [min(k, os.cpu_count() or 1) for k in clients]


def hnswlib_rates(a, data, sizes, dim, huge_pages):
    """hnswlib_grow over data: {(size, threads): inserts a second}.  With
    huge_pages (the server's shared memory is on them), hnswlib's memory
    goes on transparent huge pages, so that neither pays a TLB miss the
    other does not."""
    binary = os.path.join(HERE, "hnswlib_grow")
    r = subprocess.run(["make", "-C", HERE, "-s", "hnswlib-grow"], stdout=sys.stderr)
    if r.returncode != 0:
        sys.exit("could not build test/bench/hnswlib_grow: it needs g++ and libhnswlib-dev "
                 "(apt-get install g++ libhnswlib-dev), or run with --no-hnswlib")
    threads = sorted(set(hnswlib_threads(a.clients)))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "base.f32")
        data.astype("<f4", copy=False).tofile(path)
        out = subprocess.run([binary, "--base", path, "--n", str(len(data)), "--dim", str(dim),
                              "--sizes", ",".join(map(str, sizes)),
                              "--grow-by", str(a.hnswlib_grow_by), "--repeats", str(a.repeats),
                              "--threads", ",".join(map(str, threads)),
                              "--build-threads", str(os.cpu_count() or 1)],
                             capture_output=True, text=True,
                             env=dict(os.environ, GLIBC_TUNABLES="glibc.malloc.hugetlb=1")
                             if huge_pages else None)
    if out.returncode != 0:
        sys.exit("hnswlib_grow failed: %s" % out.stderr.strip())
    rates = {}
    for line in out.stdout.splitlines():
        rec = json.loads(line)
        rates[(rec["size"], rec["threads"])] = rec["rate"]
        print("  hnswlib: %d threads at %d rows: %.0f inserts/s (rounds %s)"
              % (rec["threads"], rec["size"], rec["rate"], rec["runs"]), flush=True)
    return rates


def fresh_copy(admin, template, name):
    """A new database copied from template's files, its relations
    prewarmed into shared buffers; returns a connection to it."""
    cur = admin.cursor()
    cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    cur.execute('CREATE DATABASE "%s" TEMPLATE "%s" STRATEGY FILE_COPY' % (name, template))
    conn = psycopg2.connect("", dbname=name)
    conn.autocommit = True
    conn.cursor().execute("SELECT pg_prewarm(r) FROM unnest(ARRAY['t', 't_pkey', 't_v_idx', "
                          "'src', 'src_pkey']::regclass[]) AS r")
    return conn


def measured_run(a, admin, script, clients):
    """One pgbench run on a fresh copy of the grown database: (tps,
    full-page images an insert, kB of WAL an insert)."""
    run_db = a.dbname + "_run"
    conn = fresh_copy(admin, a.dbname, run_db)
    c = conn.cursor()
    if a.checkpoint:
        c.execute("CHECKPOINT")
    c.execute("SELECT wal_fpi, wal_bytes FROM pg_stat_wal")
    before = c.fetchone()
    c.execute("SELECT count(*) FROM t")
    rows_before = c.fetchone()[0]
    tps = pgbench(run_db, script, clients, a.seconds)
    c.execute("SELECT wal_fpi, wal_bytes FROM pg_stat_wal")
    after = c.fetchone()
    c.execute("SELECT count(*) FROM t")
    n = max(1, c.fetchone()[0] - rows_before)
    conn.close()
    return tps, (after[0] - before[0]) / n, float(after[1] - before[1]) / n / 1024


def median_run(runs):
    """The run of median throughput (the lower middle one of an even count)."""
    return sorted(runs)[(len(runs) - 1) // 2]


def drop_databases(a, admin):
    """The grown database and its last copy, if there are any."""
    cur = admin.cursor()
    for name in (a.dbname + "_run", a.dbname):
        cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


def new_database(a, admin, dim, total):
    """The database to grow, with its tables and index; returns a
    connection to it."""
    drop_databases(a, admin)
    admin.cursor().execute('CREATE DATABASE "%s"' % a.dbname)
    conn = psycopg2.connect("", dbname=a.dbname)
    conn.autocommit = True
    c = conn.cursor()
    c.execute("CREATE EXTENSION vecgraph")
    c.execute("CREATE EXTENSION pg_prewarm")
    c.execute("CREATE TABLE src (id int PRIMARY KEY, v vector(%d))" % dim)
    c.execute("CREATE TABLE t (id bigint PRIMARY KEY, v vector(%d))" % dim)
    c.execute("CREATE SEQUENCE t_ids START %d" % (total + 1))
    c.execute("CREATE INDEX t_v_idx ON t USING vecgraph (v)")
    return conn


def bench_dim(a, admin, dim):
    cap = a.max_rows if a.max_rows else None
    if dim >= 784 and a.max_rows_784:
        cap = min(cap or a.max_rows_784, a.max_rows_784)
    sizes = [s for s in a.sizes if cap is None or s <= cap]
    total = max(sizes)
    conn = new_database(a, admin, dim, total)
    data = datasets.synthetic_clustered(total + SOURCE_ROWS, dim, seed=a.seed)
    copy_rows(conn, "src", data[total:], 0)
    conn.cursor().execute("VACUUM ANALYZE src")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "insert.sql")
        with open(script, "w") as f:
            f.write("\\set r random(0, %d)\n"
                    "INSERT INTO t SELECT nextval('t_ids'), v FROM src WHERE id = :r;\n"
                    % (SOURCE_ROWS - 1))
        have = 0
        for size in sizes:
            if conn.closed:
                conn = psycopg2.connect("", dbname=a.dbname)
                conn.autocommit = True
            t = time.perf_counter()
            grow(a, conn, data, have, size)
            grow_s = time.perf_counter() - t
            have = size
            conn.cursor().execute("VACUUM ANALYZE t")
            conn.close()            # a template has no connections
            row = {"dim": dim, "rows": size, "grow_s": grow_s,
                   "grow_rows_per_s": (size - (rows[-1]["rows"] if rows else 0)) / grow_s}
            runs = {k: [] for k in a.clients}
            for _ in range(a.repeats):
                for clients in a.clients:
                    runs[clients].append(measured_run(a, admin, script, clients))
            for clients in a.clients:
                tps, fpi, kb = median_run(runs[clients])
                row[clients] = tps
                row["wal%d" % clients] = (fpi, kb)
                row["all%d" % clients] = sorted(r[0] for r in runs[clients])
            rows.append(row)
            print("%4d dims, %8d rows: COPY grew it at %6.0f rows/s; INSERT tps (median of %d) %s"
                  % (dim, size, row["grow_rows_per_s"], a.repeats,
                     ", ".join("%d client(s) %.0f (runs %s; %.1f full-page images, %.0f kB of "
                               "WAL an insert)"
                               % ((k, row[k], " ".join("%.0f" % x for x in row["all%d" % k]))
                                  + row["wal%d" % k])
                               for k in a.clients)),
                  flush=True)
    drop_databases(a, admin)
    if a.hnswlib:
        rates = hnswlib_rates(a, data, sizes, dim, a.huge_pages)
        for row in rows:
            for k, th in zip(a.clients, hnswlib_threads(a.clients)):
                row["ref%d" % k] = rates[(row["rows"], th)]
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
    a.huge_pages = settings["huge_pages"] == "on"
    print("insert_bench %s; server: %s; %d s per pgbench run, median of %d"
          % (" ".join(argv), ", ".join("%s %s" % kv for kv in settings.items()), a.seconds,
             a.repeats))
    results = [bench_dim(a, admin, dim) for dim in a.dims]
    print()
    ref = a.hnswlib
    print("| dims | rows in the index | COPY rows/s | " +
          " | ".join("INSERT tps, %d client%s (vs first) | full-page images, kB WAL an insert"
                     % (k, "" if k == 1 else "s") for k in a.clients) +
          ("".join(" | hnswlib inserts/s, %d thread%s (vs first)" % (th, "" if th == 1 else "s")
                   for th in hnswlib_threads(a.clients)) if ref else "") + " |")
    print("|--:|--:|--:|" + "--:|--:|" * len(a.clients) + ("--:|" * len(a.clients) if ref else ""))
    for rows in results:
        for r in rows:
            cells = ["%.0f (%.2f×) | %.1f, %.0f" % ((r[k], r[k] / rows[0][k]) + r["wal%d" % k])
                     for k in a.clients]
            if ref:
                cells += ["%.0f (%.2f×)" % (r["ref%d" % k], r["ref%d" % k] / rows[0]["ref%d" % k])
                          for k in a.clients]
            print("| %d | %d | %.0f | %s |"
                  % (r["dim"], r["rows"], r["grow_rows_per_s"], " | ".join(cells)))
    admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
