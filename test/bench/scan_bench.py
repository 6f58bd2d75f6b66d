#!/usr/bin/python3
"""Latency of serial scans, Gather Merge and search workers over partitions.

For a synthetic clustered data set (default 1,000,000 x 128, seeded), builds
a vecgraph index with each --partitions value and times, one query at a
time, the prepared query

    SELECT id FROM scan_items [WHERE id % N = 0] ORDER BY embedding <-> $1 LIMIT k

for every query shape: each k:ef_search pair of --shapes (vecgraph.ef_search
fixed; or, with --target-recall, the smallest ef_search on --ef-grid whose
serial recall@k reaches the target) under each filter of --filters (the
fraction of rows passing `id % N = 0`, N = round(1 / fraction); 1 is no
WHERE clause).  Each shape runs three routes:

  serial          max_parallel_workers_per_gather = 0 (so no Gather and no
                  search workers either); EXPLAIN checked to use the index
  Gather Merge    max_parallel_workers_per_gather = W for each --workers W,
                  parallel_setup_cost, parallel_tuple_cost,
                  min_parallel_index_scan_size (and
                  vecgraph.parallel_worker_start_cost where the server has
                  it) = 0 so that the planner takes the parallel plan,
                  vecgraph.enable_search_workers = off; EXPLAIN checked to
                  have a Gather Merge
  search workers  max_parallel_workers_per_gather = W, the parallel costs
                  at their defaults so that the planner keeps the serial
                  Index Scan (EXPLAIN checked: no Gather),
                  vecgraph.enable_search_workers = on.  Needs the server
                  started with shared_preload_libraries = 'vecgraph' and
                  vecgraph.search_workers >= W (make bench does that);
                  before timing, the queries run until min(W, partitions -
                  1) search workers of the database are up (a scan uses at
                  most partitions - 1 of them), within --pool-timeout
                  seconds; after timing, EXPLAIN ANALYZE of a few queries
                  tells whether the workers took part

Reports for each route p50 and p99 latency, QPS and recall@k against the
exact ground truth (for a filter, the exact neighbours among the rows it
keeps), medians over --repeats passes after an untimed one; whether the
route returned the serial route's ids in the serial order for every query;
and its p50 over the serial p50 of the same shape.  --set NAME=VALUE adds
session settings for every route (e.g. vecgraph.max_scan_tuples for a
selective filter with a large k: a scan stops after that many rows).

After each build the table and index are prewarmed (pg_prewarm, where the
server has it), so that the figures are of searches in shared buffers; the
report names shared_buffers.  Runs against the cluster the PG* environment
variables name (make bench starts one: VG_BENCH=scan, shared_buffers 3GB);
uses Debian's /usr/bin/python3 with python3-psycopg2 and python3-numpy.
"""
import argparse
import io
import json
import os
import re
import statistics
import sys
import time

import numpy as np
import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402

ROUTE_NAMES = {"serial": "serial", "gather": "Gather Merge", "pool": "search workers"}
PARALLEL_COSTS = ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_index_scan_size",
                  "vecgraph.parallel_worker_start_cost")
POOL_LINE = re.compile(r"vecgraph Search Workers: (\d+), searched (\d+) of (\d+) partition rounds"
                       r"(?:, dispatch ([0-9.]+) ms)?")


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


def timed_passes(cur, stmts, repeats):
    """Median over passes of QPS, p50, p99 (after an untimed pass); and the
    results of the last."""
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
    """recall@k; where fewer than k rows pass the filter, of those there are."""
    want = sum(min(k, len(g)) for g in gt)
    return sum(len(set(r[:k]) & set(g[:k].tolist())) for r, g in zip(results, gt)) / float(want)


def short_results(results, gt, k):
    """How many queries returned fewer rows than min(k, rows passing)."""
    return sum(1 for r, g in zip(results, gt) if len(r) < min(k, len(g)))


def parse_shapes(text, target_mode):
    shapes = []
    for item in text.split(","):
        k, _, ef = item.partition(":")
        if not ef and not target_mode:
            raise SystemExit("--shapes: '%s' is not k:ef_search (only --target-recall lets ef out)" % item)
        shapes.append((int(k), int(ef) if ef else None))
    return shapes


def parse_filters(text):
    out = []
    for item in text.split(","):
        f = float(item)
        if not 0 < f <= 1:
            raise SystemExit("--filters: %s is not a fraction in (0, 1]" % item)
        out.append((f, max(1, int(round(1.0 / f)))))
    return out


def filter_label(mod):
    return "none" if mod == 1 else "id %% %d = 0" % mod


def settings_present(cur, names):
    cur.execute("SELECT name FROM pg_settings WHERE name = ANY(%s)", (list(names),))
    have = {r[0] for r in cur.fetchall()}
    return [n for n in names if n in have]


def explain(cur, stmt):
    cur.execute("EXPLAIN " + stmt)
    return "\n".join(r[0] for r in cur.fetchall())


def pool_workers_up(cur):
    cur.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'vecgraph search worker' "
                "AND datname = current_database()")
    return cur.fetchone()[0]


def warm_pool(cur, stmts, want, timeout):
    """Runs the queries until `want` search workers of this database are up
    (the first scans start them); returns how many are and the seconds it took."""
    t = time.perf_counter()
    up = pool_workers_up(cur)
    i = 0
    while up < want and time.perf_counter() - t < timeout:
        cur.execute(stmts[i % len(stmts)])
        cur.fetchall()
        i += 1
        if i % 5 == 0:
            time.sleep(0.05)
        up = pool_workers_up(cur)
    return up, time.perf_counter() - t


def pool_evidence(cur, sql, texts, n=5):
    """EXPLAIN ANALYZE of the first n queries, one after another: the most
    search workers one had, the partition rounds they searched of all rounds
    shared, and the median dispatch (posting a job to a worker's first
    claim) in ms, None where no worker claimed an item."""
    workers = by_workers = rounds = 0
    dispatch = []
    for q in texts[:n]:
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql.replace("$1", "'%s'" % q))
        for (line,) in cur.fetchall():
            m = POOL_LINE.search(line)
            if m:
                workers = max(workers, int(m.group(1)))
                by_workers += int(m.group(2))
                rounds += int(m.group(3))
                if m.group(4):
                    dispatch.append(float(m.group(4)))
    return workers, by_workers, rounds, statistics.median(dispatch) if dispatch else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--clusters", type=int, default=256)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--partitions", default="2")
    ap.add_argument("--workers", default="1",
                    help="W values for the Gather Merge and search-worker routes")
    ap.add_argument("--shapes", default="10:40,100:200,1000:1000",
                    help="k:ef_search pairs (with --target-recall, k alone will do)")
    ap.add_argument("--filters", default="1,0.01",
                    help="fractions of rows passing WHERE id %% N = 0, N = round(1/fraction)")
    ap.add_argument("--target-recall", type=float,
                    help="instead of the shapes' ef_search, the smallest on --ef-grid whose "
                    "serial recall@k reaches this, per shape and filter")
    ap.add_argument("--ef-grid", default="10,20,40,60,80,120,160,240,320")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pool-timeout", type=float, default=30.0,
                    help="seconds to wait for the search workers to start")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a session setting for every route (repeatable)")
    ap.add_argument("--markdown", metavar="FILE")
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args()
    parts = [int(x) for x in a.partitions.split(",")]
    workers = [int(x) for x in a.workers.split(",")]
    shapes = parse_shapes(a.shapes, a.target_recall is not None)
    filters = parse_filters(a.filters)
    grid = [int(x) for x in a.ef_grid.split(",")]
    extra = [s.partition("=")[::2] for s in a.set]
    max_k = max(k for k, _ in shapes)

    say("data: %d x %d synthetic, %d clusters, seed %d" % (a.n, a.dim, a.clusters, a.seed))
    x = datasets.synthetic_clustered(a.n + a.queries, a.dim, clusters=a.clusters, seed=a.seed)
    base, queries = x[:a.n], x[a.n:]
    key = "scan-bench-n%d-d%d-c%d-s%d" % (a.n, a.dim, a.clusters, a.seed)
    gts = {}
    for _, mod in filters:
        t = time.perf_counter()
        if mod == 1:
            gts[mod] = datasets.exact_ground_truth(base, queries, max_k, key)
        else:
            # the rows passing id % mod = 0 are rows 0, mod, 2 mod, ... (id = row):
            # ground truth over that subset, mapped back to ids (ties still by id)
            kept = np.arange(0, a.n, mod, dtype=np.int64)
            gts[mod] = kept[datasets.exact_ground_truth(base[::mod], queries, max_k,
                                                        "%s-mod%d" % (key, mod))]
        say("ground truth (%s) in %.1f s" % (filter_label(mod), time.perf_counter() - t))

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
    for name, value in extra:
        cur.execute("SET %s = %%s" % name, (value,))
    cur.execute("SELECT '[1]'::vector")         # loads the library: its settings show
    parallel_costs = settings_present(cur, PARALLEL_COSTS)
    cur.execute("SHOW shared_preload_libraries")
    preloaded = "vecgraph" in cur.fetchone()[0].replace(" ", "").split(",")
    pool_workers = 0
    spin = None
    if settings_present(cur, ["vecgraph.enable_search_workers"]) and preloaded:
        cur.execute("SELECT current_setting('vecgraph.search_workers')::int, "
                    "current_setting('vecgraph.search_worker_spin')")
        pool_workers, spin = cur.fetchone()
    if pool_workers == 0:
        say("no search workers (vecgraph not in shared_preload_libraries, or vecgraph.search_workers "
            "= 0, or a vecgraph without them): the search-worker route is left out")
    elif pool_workers < max(workers):
        say("vecgraph.search_workers = %d, fewer than --workers %d" % (pool_workers, max(workers)))
    routes = [("serial", 0)] + [r for w in workers for r in (("gather", w), ("pool", w))
                                if r[0] == "gather" or pool_workers > 0]

    def set_route(route, w):
        cur.execute("SET max_parallel_workers_per_gather = %d" % (0 if route == "serial" else w))
        for s in parallel_costs:
            cur.execute("SET %s = %s" % (s, "0" if route == "gather" else "DEFAULT"))
        if pool_workers:
            cur.execute("SET vecgraph.enable_search_workers = %s" % ("on" if route == "pool" else "off"))

    def choose_ef(k, sql, gt):
        """The smallest ef on the grid whose serial recall@k reaches the target."""
        set_route("serial", 0)
        for ef in grid:
            cur.execute("SET vecgraph.ef_search = %d" % ef)
            res = []
            for q in texts:
                cur.execute(sql.replace("$1", "'%s'" % q))
                res.append([r[0] for r in cur.fetchall()])
            if recall(res, gt, k) >= a.target_recall:
                return ef
        return grid[-1]

    cur.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_prewarm'")
    prewarm = cur.fetchone()[0] > 0
    if prewarm:
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    else:
        say("no pg_prewarm: the table and index are not prewarmed")
    cur.execute("SHOW shared_buffers")
    shared_buffers = cur.fetchone()[0]
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
        if prewarm:
            # the figures are of searches in shared buffers, not of reads
            cur.execute("SELECT pg_prewarm('scan_items'), pg_prewarm('scan_items_idx')")
        for k, shape_ef in shapes:
            for frac, mod in filters:
                gt = gts[mod]
                sql = "SELECT id FROM scan_items%s ORDER BY embedding <-> $1 LIMIT %d" % (
                    "" if mod == 1 else " WHERE id %% %d = 0" % mod, k)
                ef = shape_ef if a.target_recall is None else choose_ef(k, sql, gt)
                cur.execute("SET vecgraph.ef_search = %d" % ef)
                serial = None
                shape_notes = []
                set_route("serial", 0)
                if "scan_items_idx" not in explain(cur, sql.replace("$1", "'%s'" % texts[0])):
                    # a selective filter on a small table: make the planner use the index
                    cur.execute("SET enable_seqscan = off")
                    shape_notes.append("enable_seqscan = off")
                for route, w in routes:
                    set_route(route, w)
                    cur.execute("PREPARE q(vector) AS " + sql)
                    stmts = ["EXECUTE q('%s')" % q for q in texts]
                    notes = list(shape_notes)
                    plan = explain(cur, stmts[0])
                    if route == "pool" and "Gather" in plan:
                        cur.execute("SET vecgraph.enable_parallel_scan = off")
                        notes.append("vecgraph.enable_parallel_scan = off")
                        plan = explain(cur, stmts[0])
                    plan_ok = "scan_items_idx" in plan and (
                        "Gather Merge" in plan if route == "gather" else "Gather" not in plan)
                    if not plan_ok:
                        say("P=%d k=%d ef=%d %s %s W=%d: unexpected plan:\n%s"
                            % (p, k, ef, filter_label(mod), ROUTE_NAMES[route], w, plan))
                    if notes:
                        say("P=%d k=%d ef=%d %s %s W=%d: %s for the expected plan"
                            % (p, k, ef, filter_label(mod), ROUTE_NAMES[route], w, ", ".join(notes)))
                    up = None
                    if route == "pool":
                        want = min(w, p - 1, pool_workers)
                        up, took = warm_pool(cur, stmts, want, a.pool_timeout)
                        if up < want:
                            say("only %d of %d search workers up after %.0f s" % (up, want, took))
                    del conn.notices[:]
                    stats, res = timed_passes(cur, stmts, a.repeats)
                    notices = len(conn.notices)
                    cur.execute("DEALLOCATE q")
                    used = None
                    if route == "pool":
                        used = pool_evidence(cur, sql, texts)
                    if "vecgraph.enable_parallel_scan = off" in notes:
                        cur.execute("RESET vecgraph.enable_parallel_scan")
                    if route == "serial":
                        serial = {"p50": stats["p50"], "results": res}
                    row = {"partitions": p, "k": k, "ef_search": ef, "filter": frac, "filter_mod": mod,
                           "route": route, "workers": w, "plan_ok": plan_ok, "notes": notes,
                           "recall": recall(res, gt, k), "short": short_results(res, gt, k),
                           "notices": notices, **stats,
                           "p50_ratio": stats["p50"] / serial["p50"],
                           "identical": all(r == s for r, s in zip(res, serial["results"]))}
                    if route == "pool":
                        row["workers_up"] = up
                        row["pool_explain"] = {"max_workers": used[0], "rounds_by_workers": used[1],
                                               "rounds": used[2], "dispatch_ms": used[3]}
                    if route == "gather":
                        m = re.search(r"Workers Planned: (\d+)", plan)
                        row["workers_planned"] = int(m.group(1)) if m else 0
                    rows.append(row)
                    say("P=%d k=%d ef=%d %s, %s W=%d: recall %.4f p50 %.3f ms p99 %.3f ms %.0f QPS "
                        "(%.2fx serial p50)%s%s%s%s"
                        % (p, k, ef, filter_label(mod), ROUTE_NAMES[route], w, row["recall"],
                           stats["p50"], stats["p99"], stats["qps"], row["p50_ratio"],
                           "" if route == "serial" else
                           ", identical" if row["identical"] else ", NOT identical to serial",
                           "; EXPLAIN ANALYZE: %d search workers searched %d of %d rounds" % used[:3]
                           + (", dispatch %.3f ms" % used[3] if used[3] is not None else "")
                           if used else "",
                           "; %d queries short of k rows" % row["short"] if row["short"] else "",
                           "; %d notices" % notices if notices else ""))
                if shape_notes:
                    cur.execute("RESET enable_seqscan")
    cur.execute("DROP TABLE scan_items")

    def route_cell(r):
        name = ROUTE_NAMES[r["route"]]
        if not r["plan_ok"]:
            name += " (plan not as expected)"
        if r["route"] == "pool" and r["pool_explain"]["rounds"] == 0:
            name += " (not used)"
        elif r["route"] == "pool" and r["pool_explain"]["rounds_by_workers"] == 0:
            name += " (workers searched nothing)"
        return name

    out = ["## Serial scans, Gather Merge and search workers over partitions (synthetic %s x %d)"
           % ("{:,}".format(a.n), a.dim), "",
           "Produced on %s by `test/bench/scan_bench.py %s` on a machine with %d CPUs (nproc); "
           "shared_preload_libraries %s, vecgraph.search_workers %d%s; shared_buffers %s, "
           "table and index %s."
           % (time.strftime("%Y-%m-%d %H:%M"), " ".join(sys.argv[1:]), os.cpu_count(),
              "with vecgraph" if preloaded else "without vecgraph", pool_workers,
              ", vecgraph.search_worker_spin %s" % spin if spin is not None else "",
              shared_buffers, "prewarmed (pg_prewarm)" if prewarm else "not prewarmed"), "",
           "Builds (max_parallel_maintenance_workers default):", "",
           "| partitions | build s | build workers | index MiB |", "|--:|--:|--:|--:|"]
    out += ["| %d | %.1f | %d | %.0f |" % (b["partitions"], b["build_s"], b["build_workers"], b["mib"])
            for b in builds]
    out += ["", "Queries one at a time through a prepared statement, `SELECT id ... [WHERE id %% N = 0] "
            "ORDER BY embedding <-> $1 LIMIT k`; ef_search %s.  Routes: serial is "
            "max_parallel_workers_per_gather = 0; Gather Merge has W workers plus the leader "
            "(parallel costs set to 0 so the planner takes it; EXPLAIN checked; search workers "
            "off); search workers is the serial Index Scan (default costs; EXPLAIN checked) with "
            "max_parallel_workers_per_gather = W and vecgraph.enable_search_workers on, timed once "
            "the workers were up.  A route marked \"plan not as expected\" did not get its plan "
            "(one partition never gets a Gather Merge); \"not used\": EXPLAIN ANALYZE of the first "
            "5 queries showed no search shared with the workers; \"workers searched nothing\": "
            "shared, but the backend searched every round itself.  recall@k against the exact "
            "neighbours among the rows the filter keeps; identical: the serial route's ids in its "
            "order for every query.  "
            "Medians of %d passes over %d queries%s."
            % ("as given" if a.target_recall is None else
               "the smallest on the grid giving recall@k >= %.2f with the serial scan" % a.target_recall,
               a.repeats, a.queries,
               "; session settings " + ", ".join("%s = %s" % s for s in extra) if extra else "")]
    for p in parts:
        out += ["", "### partitions = %d" % p, "",
                "| k | ef_search | filter | route | workers | recall@k | p50 ms | p99 ms | QPS | "
                "p50 / serial | identical |",
                "|--:|--:|---|---|--:|--:|--:|--:|--:|--:|---|"]
        out += ["| %d | %d | %s | %s | %d | %.4f | %.3f | %.3f | %.0f | %.2f | %s |"
                % (r["k"], r["ef_search"], filter_label(r["filter_mod"]), route_cell(r), r["workers"],
                   r["recall"], r["p50"], r["p99"], r["qps"], r["p50_ratio"],
                   "–" if r["route"] == "serial" else "yes" if r["identical"] else "no")
                for r in rows if r["partitions"] == p]
        dispatch = ["k %d, ef_search %d, filter %s, W %d: %.3f ms"
                    % (r["k"], r["ef_search"], filter_label(r["filter_mod"]), r["workers"],
                       r["pool_explain"]["dispatch_ms"])
                    for r in rows if r["partitions"] == p and r["route"] == "pool"
                    and r["pool_explain"]["dispatch_ms"] is not None]
        if dispatch:
            out += ["", "Search workers' dispatch, a job's posting to a worker's first claim "
                    "(EXPLAIN ANALYZE of 5 queries run back to back after the timed passes, "
                    "median): " + "; ".join(dispatch) + "."]
        noted = sorted({(r["k"], r["ef_search"], r["filter_mod"], ", ".join(r["notes"]))
                        for r in rows if r["partitions"] == p and r["notes"]})
        if noted:
            out += ["", "For the expected plans: " + "; ".join(
                "k %d, ef_search %d, filter %s: %s" % (k, ef, filter_label(mod), n)
                for k, ef, mod, n in noted) + "."]
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
