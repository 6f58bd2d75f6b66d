#!/usr/bin/python3
"""Latency of serial and parallel vecgraph scans over partitioned indexes.

For a synthetic clustered data set (default 1,000,000 x 128, seeded), builds
a vecgraph index with each --partitions value, finds for each k the
smallest ef_search on --ef-grid whose recall@k reaches --target-recall, and
times the prepared query `SELECT id FROM items ORDER BY embedding <-> $1
LIMIT k` one query at a time, with max_parallel_workers_per_gather = 0
(serial) and = each --workers value (parallel; the parallel costs are set
to zero so that the planner takes the Gather Merge plan being measured,
which EXPLAIN checks).  Reports p50/p99 latency, QPS and recall, medians
over --repeats passes, and the ratio of each parallel p50 to the serial p50
of the same index.

Runs against the cluster the PG* environment variables name (make bench
starts one); uses Debian's /usr/bin/python3 with python3-psycopg2 and
python3-numpy.
"""
import argparse
import io
import json
import os
import statistics
import sys
import time

import numpy as np
import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402


def say(msg):
    print("== " + msg, file=sys.stderr, flush=True)


class CopyStream(io.RawIOBase):
    """A file-like view of datasets.copy_text for psycopg2's copy_expert."""

    def __init__(self, vectors):
        self.chunks = datasets.copy_text(vectors)
        self.buf = b""

    def readable(self):
        return True

    def readinto(self, b):
        while len(self.buf) < len(b):
            try:
                self.buf += next(self.chunks).encode("ascii")
            except StopIteration:
                break
        n = min(len(b), len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n


def percentile(xs, p):
    s = sorted(xs)
    return s[max(0, int(np.ceil(p / 100.0 * len(s))) - 1)]


def timed_passes(cur, stmts, repeats, k):
    """Median over passes of QPS, p50, p99; and the results of the last."""
    passes = []
    results = None
    for p in range(1 + repeats):
        lat = []
        results = []
        start = time.perf_counter()
        for st in stmts:
            t = time.perf_counter()
            cur.execute(st)
            results.append([r[0] for r in cur.fetchall()])
            lat.append((time.perf_counter() - t) * 1000.0)
        wall = time.perf_counter() - start
        if p:
            passes.append({"qps": len(stmts) / wall, "p50": percentile(lat, 50),
                           "p99": percentile(lat, 99)})
    return {key: statistics.median(x[key] for x in passes) for key in ("qps", "p50", "p99")}, results


def recall(results, gt, k):
    return sum(len(set(r[:k]) & set(g[:k].tolist())) for r, g in zip(results, gt)) / float(k * len(gt))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--clusters", type=int, default=256)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--partitions", default="1,2,4")
    ap.add_argument("--workers", default="1")
    ap.add_argument("--k", default="10,100")
    ap.add_argument("--target-recall", type=float, default=0.95)
    ap.add_argument("--ef-grid", default="10,20,40,60,80,120,160,240,320")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--markdown", metavar="FILE")
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args()
    parts = [int(x) for x in a.partitions.split(",")]
    workers = [int(x) for x in a.workers.split(",")]
    ks = [int(x) for x in a.k.split(",")]
    grid = [int(x) for x in a.ef_grid.split(",")]

    say("data: %d x %d synthetic, %d clusters, seed %d" % (a.n, a.dim, a.clusters, a.seed))
    x = datasets.synthetic_clustered(a.n + a.queries, a.dim, clusters=a.clusters, seed=a.seed)
    base, queries = x[:a.n], x[a.n:]
    t = time.perf_counter()
    gt = datasets.exact_ground_truth(base, queries, max(ks), "scan-bench-n%d-d%d-c%d-s%d"
                                     % (a.n, a.dim, a.clusters, a.seed))
    say("ground truth in %.1f s" % (time.perf_counter() - t))

    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS vecgraph")
    cur.execute("DROP TABLE IF EXISTS scan_items")
    cur.execute("CREATE TABLE scan_items (id int PRIMARY KEY, embedding vector(%d))" % a.dim)
    t = time.perf_counter()
    cur.copy_expert("COPY scan_items FROM STDIN", io.BufferedReader(CopyStream(base), 1 << 20))
    cur.execute("VACUUM ANALYZE scan_items")
    say("loaded %d rows in %.1f s" % (a.n, time.perf_counter() - t))
    texts = ["[" + ",".join("%.9g" % v for v in q) + "]" for q in queries]
    cur.execute("SET jit = off")
    cur.execute("SELECT count(*) FROM pg_settings WHERE name = 'max_parallel_workers'")
    rows = []
    builds = []
    for p in parts:
        cur.execute("DROP INDEX IF EXISTS scan_items_idx")
        t = time.perf_counter()
        cur.execute("CREATE INDEX scan_items_idx ON scan_items USING vecgraph (embedding) "
                    "WITH (m = %d, ef_construction = %d, partitions = %d)"
                    % (a.m, a.ef_construction, p))
        build_s = time.perf_counter() - t
        cur.execute("SELECT build_workers, pg_relation_size('scan_items_idx') FROM vecgraph_index_info('scan_items_idx'), "
                    "(SELECT 1) s")
        bw, size = cur.fetchone()
        builds.append({"partitions": p, "build_s": build_s, "build_workers": bw, "mib": size / 1048576.0})
        say("partitions %d: built in %.1f s with %d workers, %.0f MiB" % (p, build_s, bw, size / 1048576.0))
        for k in ks:
            # the smallest ef reaching the target, found with serial scans
            cur.execute("SET max_parallel_workers_per_gather = 0")
            chosen = None
            for ef in grid:
                cur.execute("SET vecgraph.ef_search = %d" % ef)
                res = []
                for q in texts:
                    cur.execute("SELECT id FROM scan_items ORDER BY embedding <-> '%s' LIMIT %d" % (q, k))
                    res.append([r[0] for r in cur.fetchall()])
                r = recall(res, gt, k)
                if r >= a.target_recall:
                    chosen = ef
                    break
            if chosen is None:
                chosen = grid[-1]
            cur.execute("SET vecgraph.ef_search = %d" % chosen)
            serial_p50 = None
            for w in [0] + workers:
                cur.execute("SET max_parallel_workers_per_gather = %d" % w)
                for s in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_index_scan_size"):
                    cur.execute("SET %s = %s" % (s, "0" if w else "DEFAULT"))
                cur.execute("PREPARE q(vector) AS SELECT id FROM scan_items ORDER BY embedding <-> $1 LIMIT %d" % k)
                stmts = ["EXECUTE q('%s')" % t for t in texts]
                cur.execute("EXPLAIN " + stmts[0])
                plan = "\n".join(r[0] for r in cur.fetchall())
                parallel_plan = "Gather Merge" in plan
                stats, res = timed_passes(cur, stmts, a.repeats, k)
                cur.execute("DEALLOCATE q")
                row = {"partitions": p, "k": k, "ef_search": chosen, "workers": w,
                       "parallel_plan": parallel_plan, "recall": recall(res, gt, k), **stats}
                if w == 0:
                    serial_p50 = stats["p50"]
                row["p50_ratio"] = stats["p50"] / serial_p50
                rows.append(row)
                say("P=%d k=%d ef=%d workers=%d %s: recall %.4f p50 %.3f ms p99 %.3f ms %.0f QPS (%.2fx serial p50)"
                    % (p, k, chosen, w, "Gather Merge" if parallel_plan else "serial plan",
                       row["recall"], stats["p50"], stats["p99"], stats["qps"], row["p50_ratio"]))
    cur.execute("DROP TABLE scan_items")
    out = ["## Parallel scans over partitions (synthetic %s x %d)" % ("{:,}".format(a.n), a.dim), "",
           "Produced on %s by `test/bench/scan_bench.py %s` on a machine with %d CPUs (nproc)."
           % (time.strftime("%Y-%m-%d %H:%M"), " ".join(sys.argv[1:]), os.cpu_count()), "",
           "Builds (max_parallel_maintenance_workers default):", "",
           "| partitions | build s | build workers | index MiB |", "|--:|--:|--:|--:|"]
    out += ["| %d | %.1f | %d | %.0f |" % (b["partitions"], b["build_s"], b["build_workers"], b["mib"])
            for b in builds]
    out += ["", "Queries one at a time through a prepared statement; ef_search is the smallest on "
            "the grid giving recall@k >= %.2f with the serial scan; workers 0 is the serial plan, "
            "workers 1 a Gather Merge with one worker plus the leader (parallel costs set to 0 "
            "so the planner takes it; EXPLAIN checked).  Medians of %d passes over %d queries."
            % (a.target_recall, a.repeats, a.queries), "",
            "| partitions | k | ef_search | workers | plan | recall@k | p50 ms | p99 ms | QPS | p50 / serial p50 |",
            "|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|"]
    out += ["| %d | %d | %d | %d | %s | %.4f | %.3f | %.3f | %.0f | %.2f |"
            % (r["partitions"], r["k"], r["ef_search"], r["workers"],
               "Gather Merge" if r["parallel_plan"] else "Index Scan", r["recall"], r["p50"],
               r["p99"], r["qps"], r["p50_ratio"]) for r in rows]
    text = "\n".join(out) + "\n"
    print(text)
    if a.markdown:
        with open(a.markdown, "a") as f:
            f.write("\n" + text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"builds": builds, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
