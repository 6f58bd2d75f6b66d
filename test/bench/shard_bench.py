#!/usr/bin/python3
"""One server against two postgres_fdw shards: latency and recall of
LIMIT 10 nearest-neighbour queries (docs/scale-out.md).

Synthetic clustered vectors (datasets.py, seeded), loaded through the
coordinator's hash-partitioned table into two shard databases of the same
cluster (so the figures show what the coordinator adds, not a network), the
shards' indexes built at once; the same rows in one table with one index on
the coordinator as the single server.  Each form is timed query by query
(one connection, prepared statements), --repeats passes over the queries:

  single      ORDER BY ... LIMIT 10 on the one-server table
  merge       the same on the partitioned table (Merge Append over the
              shards), default fetch_size (100)
  merge-f10   the same with fetch_size 10 on the servers
  per-shard   each partition ordered and limited on its shard, UNION ALL

Runs against the cluster named by the PG* environment variables (make bench
starts one: VG_BENCH=shards).

  shard_bench.py [--n 200000] [--dim 128] [--queries 200] [--ef 40,100]
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

import numpy as np
import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402

SHARDS = ("vg_shard1", "vg_shard2")
COORD = "vg_coord"


def say(msg):
    print("shard_bench: " + msg, flush=True)


def int_list(text):
    return [int(x) for x in text.split(",") if x]


def connect(db):
    c = psycopg2.connect(dbname=db)
    c.autocommit = True
    return c


def run(db, sql):
    with connect(db) as c:
        c.cursor().execute(sql)


def vec(x):
    return "[" + ",".join("%g" % v for v in x) + "]"


def setup(a, base):
    admin = connect("postgres")
    for db in SHARDS + (COORD,):
        admin.cursor().execute("DROP DATABASE IF EXISTS " + db)
        admin.cursor().execute("CREATE DATABASE " + db)
    admin.close()
    host = os.environ.get("PGHOST", "/tmp")
    port = os.environ.get("PGPORT", "5432")
    for db in SHARDS:
        run(db, "CREATE EXTENSION vecgraph; CREATE TABLE items (id int PRIMARY KEY, v vector(%d))" % a.dim)
    c = connect(COORD)
    cur = c.cursor()
    cur.execute("CREATE EXTENSION vecgraph; CREATE EXTENSION postgres_fdw")
    cur.execute("SELECT current_user")
    user = cur.fetchone()[0]
    cur.execute("CREATE TABLE items (id int, v vector(%d)) PARTITION BY HASH (id)" % a.dim)
    for i, db in enumerate(SHARDS):
        cur.execute("CREATE SERVER s%d FOREIGN DATA WRAPPER postgres_fdw OPTIONS "
                    "(host '%s', port '%s', dbname '%s', extensions 'vecgraph', batch_size '1000')"
                    % (i + 1, host, port, db))
        # the shard server's processes connect as this role, not as their OS user
        cur.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER s%d OPTIONS (user '%s')"
                    % (i + 1, user))
        cur.execute("CREATE FOREIGN TABLE items_%d PARTITION OF items FOR VALUES WITH "
                    "(MODULUS 2, REMAINDER %d) SERVER s%d OPTIONS (table_name 'items')"
                    % (i + 1, i, i + 1))
    cur.execute("CREATE TABLE single (id int PRIMARY KEY, v vector(%d))" % a.dim)
    with tempfile.TemporaryFile("w+") as f:
        for i, row in enumerate(base):
            f.write("%d\t%s\n" % (i, vec(row)))
        for table in ("items", "single"):
            f.seek(0)
            t = time.perf_counter()
            cur.copy_expert("COPY %s (id, v) FROM STDIN" % table, f)
            say("COPY into %s: %.1f s" % (table, time.perf_counter() - t))
    t = time.perf_counter()
    threads = [threading.Thread(target=run, args=(db, "CREATE INDEX ON items USING vecgraph (v); ANALYZE items"))
               for db in SHARDS]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    say("the shards' indexes, built at once: %.1f s" % (time.perf_counter() - t))
    t = time.perf_counter()
    cur.execute("CREATE INDEX ON single USING vecgraph (v); ANALYZE single")
    say("the one server's index: %.1f s" % (time.perf_counter() - t))
    return c


FORMS = {
    "single": "SELECT id FROM single ORDER BY v <-> $1 LIMIT 10",
    "merge": "SELECT id FROM items ORDER BY v <-> $1 LIMIT 10",
    "merge-f10": "SELECT id FROM items ORDER BY v <-> $1 LIMIT 10",
    "per-shard": "SELECT id FROM ((SELECT id, v <-> $1 AS d FROM items_1 ORDER BY v <-> $1 LIMIT 10) "
                 "UNION ALL (SELECT id, v <-> $1 AS d FROM items_2 ORDER BY v <-> $1 LIMIT 10)) p "
                 "ORDER BY d LIMIT 10",
}


def measure(c, a, form, ef, queries, gt):
    cur = c.cursor()
    fetch = "10" if form == "merge-f10" else "100"
    for i in (1, 2):
        cur.execute("ALTER SERVER s%d OPTIONS (%s fetch_size '%s')"
                    % (i, "SET" if measure.fetch_set else "ADD", fetch))
    measure.fetch_set = True
    cur.execute("SET vecgraph.ef_search = %d" % ef)
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("PREPARE knn(vector) AS " + FORMS[form])
    times, hits = [], 0
    for rep in range(a.repeats):
        for i, q in enumerate(queries):
            t = time.perf_counter()
            cur.execute("EXECUTE knn(%s)", (vec(q),))
            ids = [r[0] for r in cur.fetchall()]
            times.append(time.perf_counter() - t)
            if rep == 0:
                hits += len(set(ids) & set(gt[i].tolist()))
    cur.execute("DEALLOCATE knn")
    return hits / (10.0 * len(queries)), statistics.median(times) * 1000, np.percentile(times, 99) * 1000


measure.fetch_set = False


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=200000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--ef", type=int_list, default=int_list("40,100"))
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args(argv)
    # queries from the same clusters: the rows after the base set
    x = datasets.synthetic_clustered(a.n + a.queries, a.dim, seed=11)
    base, queries = x[:a.n], x[a.n:]
    gt = datasets.exact_ground_truth(base, queries, 10, "shard-bench-%d-%d" % (a.n, a.dim))
    say("%d x %d synthetic clustered, %d queries, %d passes each, one connection" %
        (a.n, a.dim, a.queries, a.repeats))
    c = setup(a, base)
    say("| form | ef_search | recall@10 | p50 ms | p99 ms |")
    for ef in a.ef:
        for form in FORMS:
            r, p50, p99 = measure(c, a, form, ef, queries, gt)
            say("| %s | %d | %.3f | %.2f | %.2f |" % (form, ef, r, p50, p99))
    c.close()


if __name__ == "__main__":
    main(sys.argv[1:])
