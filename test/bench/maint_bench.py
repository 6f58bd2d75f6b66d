#!/usr/bin/python3
"""The maintenance worker on Fashion-MNIST: how long a pass takes, what it
costs queries while it runs, and what it gives back after deletes.

1. One pass over the index: vecgraph_maintain() unthrottled, and the
   worker's first pass at its default settings (cost delay 2 ms, limit 200).
2. Search throughput (pgbench, prepared statement, random query per
   transaction) with the worker running at its default settings against
   without it, in alternating rounds; and with a 1 s naptime, a worker that
   never rests, as the worst case.
3. After deleting 30% of the rows, without VACUUM: recall@10 (against exact
   ground truth on the rows left) and throughput, without the worker, then
   once the worker has marked the dead rows; then after VACUUM.

Runs against the cluster named by the PG* environment variables (make bench
starts one: VG_BENCH=maintenance).  Fashion-MNIST from Debian's
dataset-fashion-mnist, or synthetic clustered vectors (datasets.py).

  maint_bench.py [--queries 1000] [--seconds 30] [--rounds 3] [--clients 2]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchdb  # noqa: E402
import datasets  # noqa: E402

DB = "vecgraph_maint_bench"
INDEX = "items_embedding_idx"


def say(msg):
    print("maint_bench: " + msg, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--seconds", type=int, default=30, help="seconds of each pgbench run")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds of the throughput test")
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--ef", type=int, default=40, help="vecgraph.ef_search (the default: 40)")
    p.add_argument("--synthetic", action="store_true", help="synthetic data even if Fashion-MNIST is there")
    p.add_argument("--parts", default="pass,throughput,deletes",
                   help="which of the three parts to run (comma-separated)")
    return p.parse_args(argv)


class Bench:
    def __init__(self, a):
        self.a = a
        admin = psycopg2.connect(dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as c:
            c.execute("DROP DATABASE IF EXISTS " + DB)
            c.execute("CREATE DATABASE " + DB)
        admin.close()
        self.conn = psycopg2.connect(dbname=DB)
        self.conn.autocommit = True

    def sql(self, q, args=None):
        c = self.conn.cursor()
        c.execute(q, args)
        return c

    def one(self, q, args=None):
        return self.sql(q, args).fetchone()

    def load(self, base, queries):
        dim = base.shape[1]
        self.sql("CREATE EXTENSION vecgraph")
        self.sql("CREATE TABLE items (id int PRIMARY KEY, embedding vector(%d)) "
                 "WITH (autovacuum_enabled = off)" % dim)
        self.sql("CREATE TABLE bench_queries (id int PRIMARY KEY, v vector(%d))" % dim)
        for table, data in (("items", base), ("bench_queries", queries)):
            with tempfile.TemporaryFile("w+") as f:
                for i, row in enumerate(data):
                    f.write("%d\t[%s]\n" % (i, ",".join("%g" % x for x in row)))
                f.seek(0)
                self.sql_copy(table, f)
        t = time.perf_counter()
        self.sql("CREATE INDEX %s ON items USING vecgraph (embedding)" % INDEX)
        say("CREATE INDEX on %d rows: %.1f s" % (base.shape[0], time.perf_counter() - t))
        self.sql("VACUUM ANALYZE items")
        self.sql("VACUUM ANALYZE bench_queries")
        self.sql("CHECKPOINT")

    def sql_copy(self, table, f):
        self.conn.cursor().copy_expert("COPY %s (id, %s) FROM STDIN"
                                       % (table, "embedding" if table == "items" else "v"), f)

    def worker(self, on, naptime=None):
        if naptime is not None:
            self.sql("SELECT vecgraph_worker_config(naptime => %s)", (naptime,))
            time.sleep(0.5)
        if on:
            self.sql("SELECT vecgraph_worker_start()")
        else:
            self.sql("SELECT vecgraph_worker_stop()")
            while self.one("SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                           "'vecgraph maintenance worker' AND datname = %s", (DB,))[0]:
                time.sleep(0.1)

    def wait_passes(self, n, timeout=600):
        """Waits for n passes recorded on the index, and a recall estimate."""
        start = time.time()
        while time.time() - start < timeout:
            row = self.one("SELECT passes, recall FROM vecgraph_index_health(%s)", (INDEX,))
            if row[0] >= n and row[1] is not None:
                return
            time.sleep(0.2)
        raise RuntimeError("the worker made no pass in %d s" % timeout)

    def pgbench(self):
        a = self.a
        return benchdb.pgbench_knn(DB, "items", a.queries, a.ef, a.clients, a.seconds)[0]

    def recall(self, queries, gt):
        self.sql("SET vecgraph.ef_search = %d" % self.a.ef)
        self.sql("SET max_parallel_workers_per_gather = 0")
        self.sql("PREPARE knn(vector) AS SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 10")
        hits = 0
        for i, q in enumerate(queries):
            got = {r[0] for r in self.sql("EXECUTE knn(%s)", ("[" + ",".join("%g" % x for x in q) + "]",))}
            hits += len(got & set(gt[i][:10].tolist()))
        self.sql("DEALLOCATE knn")
        return hits / (10.0 * len(queries))


def main(argv):
    a = parse_args(argv)
    if not a.synthetic and datasets.fashion_mnist_available():
        base, test = datasets.load_fashion_mnist()
        name = "fashion-mnist"
    else:
        x = datasets.synthetic_clustered(60000 + a.queries, 128, seed=3)
        base, test = x[:60000], x[60000:]
        name = "synthetic-60000x128"
    queries = test[:a.queries]
    say("data: %s, %d rows x %d, %d queries, ef_search %d, %d pgbench clients x %d s"
        % (name, base.shape[0], base.shape[1], a.queries, a.ef, a.clients, a.seconds))
    b = Bench(a)
    b.load(base, queries)

    parts = set(a.parts.split(","))
    if "pass" in parts:
        one_pass(b)
    if "throughput" in parts:
        throughput(b, a)
    if "deletes" in parts:
        after_deletes(b, a, base, queries, name)
    b.conn.close()


def one_pass(b):
    """1. A pass, unthrottled in a backend, and the worker's at its defaults."""
    b.sql("SET vacuum_cost_delay = 0")
    r = b.one("SELECT extract(epoch FROM duration) FROM vecgraph_maintain(%s)", (INDEX,))
    say("vecgraph_maintain(), unthrottled, nothing to repair: %.2f s" % r[0])
    # the worker's second pass (its first begins with the warm start), at
    # the default cost settings; a 1 s naptime only to get there quickly
    b.sql("SELECT vecgraph_worker_config(naptime => 1, cost_limit => 200, cost_delay => 2, "
          "prewarm => true, recall_sample => 10)")
    time.sleep(0.5)
    b.worker(True)
    b.wait_passes(3)
    r = b.one("SELECT extract(epoch FROM last_pass_duration), recall FROM vecgraph_index_health(%s)", (INDEX,))
    say("the worker's pass at its default cost settings (delay 2 ms, limit 200): %.2f s; "
        "its recall estimate (10 queries): %.3f" % (r[0], r[1]))
    b.worker(False)


def throughput(b, a):
    """2. Queries per second with the worker and without, alternating."""
    for label, naptime in (("defaults (naptime 30 s)", 30), ("naptime 1 s", 1)):
        ratios = []
        for rnd in range(a.rounds):
            b.worker(False, naptime)
            off = b.pgbench()
            b.worker(True)
            on = b.pgbench()
            ratios.append(on / off)
            say("round %d, worker at %s: %.1f queries/s with, %.1f without (%.3f)"
                % (rnd + 1, label, on, off, on / off))
        say("worker at %s: median ratio with/without %.3f over %d rounds"
            % (label, statistics.median(ratios), a.rounds))
    b.worker(False, 30)


def after_deletes(b, a, base, queries, name):
    """3. Recall and throughput after deleting 30%, without VACUUM: without
    the worker, after the worker's first pass (marking, repair, walk, recall
    estimate all done), and after VACUUM."""
    b.sql("SELECT vecgraph_worker_config(naptime => 30)")
    keep = np.array([i for i in range(base.shape[0]) if i % 10 >= 3])
    gt = keep[datasets.exact_ground_truth(base[keep], queries, 10, "%s-maint-keep70" % name)]
    b.sql("DELETE FROM items WHERE id % 10 < 3")
    deleted = base.shape[0] - keep.size
    rec, qps = b.recall(queries, gt), b.pgbench()
    say("30%% deleted, no VACUUM, no worker: recall@10 %.4f, %.1f queries/s" % (rec, qps))
    passes = b.one("SELECT passes FROM vecgraph_index_health(%s)", (INDEX,))[0]
    b.worker(True)
    t = time.time()
    while b.one("SELECT dead_nodes FROM vecgraph_index_health(%s)", (INDEX,))[0] < deleted:
        time.sleep(0.2)
    say("the worker marked the %d dead rows %.1f s after it started" % (deleted, time.time() - t))
    while b.one("SELECT passes FROM vecgraph_index_health(%s)", (INDEX,))[0] <= passes:
        time.sleep(0.2)
    r = b.one("SELECT extract(epoch FROM last_pass_duration) FROM vecgraph_index_health(%s)", (INDEX,))
    say("its pass (warm start, marking, repair, walk) took %.1f s at the default cost settings" % r[0])
    time.sleep(5)               # its recall estimate, after the pass
    rec, qps = b.recall(queries, gt), b.pgbench()
    say("30%% deleted, no VACUUM, with the worker: recall@10 %.4f, %.1f queries/s" % (rec, qps))
    b.worker(False)
    b.sql("VACUUM items")
    rec, qps = b.recall(queries, gt), b.pgbench()
    say("after VACUUM: recall@10 %.4f, %.1f queries/s" % (rec, qps))


if __name__ == "__main__":
    main(sys.argv[1:])
