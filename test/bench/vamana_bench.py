#!/usr/bin/python3
"""Vamana graphs against HNSW graphs in the vecgraph index, and hnswlib.

Two tables of the same rows, items_hnsw and items_vamana (id int primary key,
embedding vector(D)), loaded by COPY: Fashion-MNIST (the 60,000 x 784
training images, or the first --n; the first --queries test images as
queries) or --n x --dim synthetic clustered vectors (datasets.py; the queries
are the next rows of the same distribution, as in ann_bench.py).  The parts
(--parts, in this order):

1. builds: CREATE INDEX ... USING vecgraph (embedding vector_l2_ops)
   WITH (m = 16, ef_construction = 64) on items_hnsw, serially, and
   WITH (graph = 'vamana') on items_vamana serially, with one parallel worker
   plus the leader and, with --workers-max 2, two (max_parallel_maintenance_
   workers and the table's parallel_workers); each configuration
   --build-repeats times, interleaved, after a CHECKPOINT and --build-pause
   seconds; the median time, the workers each build launched
   (vecgraph_index_info's build_workers), the index sizes, and the ratios
   Vamana serial / HNSW serial and Vamana serial / Vamana parallel (1 worker).
2. curves: recall@10 and QPS at each vecgraph.ef_search of --ef through
   PREPARE knn(vector) AS SELECT id FROM items ORDER BY embedding <-> $1
   LIMIT 10, one query at a time; a warm-up pass, then --rounds timed passes
   per index, the two indexes in alternating passes (medians); hnswlib's
   curve over the same ef values from test/bench/hnswlib_ref (ann_bench.py's
   run_hnswlib: -O3 -march=native, the same M and ef_construction, one
   thread); the QPS of each at recall 0.99 and 0.995 interpolated on its own
   curve, Vamana / HNSW at 0.99, and the smallest ef where Vamana reaches
   recall 0.99.
3. validation: --validation-builds parallel Vamana builds (one worker), the
   recall@10 of each at --validation-ef, their mean and sample standard
   deviation against the serial build's recall at that ef (PASS: sd < 0.005
   and |mean - serial| < 0.01); the serial index is built again after.
4. deletes: DELETE a seeded random --delete-fraction (30%) of items_vamana,
   VACUUM (timed), recall@10 at --validation-ef against exact ground truth on
   the rows left; then a serial Vamana build on a new table of just those
   rows and its recall (PASS: the two within 0.01).

Every build runs with maintenance_work_mem = '2GB'; queries with
max_parallel_workers_per_gather = 0 and jit = off.  Recall is against exact
ground truth (datasets.exact_ground_truth, cached outside the repository).
Markdown tables and a PASS/FAIL summary of the checks go to stdout (the exit
status is 1 when a check fails).  Runs
against the cluster named by the PG* environment variables (make bench
VG_BENCH=vamana starts one), in a database vecgraph_vamana_bench created
afresh and dropped at the end (unless --keep-db).  --smoke shrinks everything
(5,000 rows, 100 queries, one round and build, ef 10,40) for an end-to-end
check in a minute or two.

  vamana_bench.py [--dataset fashion-mnist|synthetic] [--n N] [--queries Q]
                  [--parts builds,curves,validation,deletes] [--rounds 3]
                  [--build-repeats 3] [--workers-max 1|2] [--smoke]
"""
import argparse
import collections
import io
import os
import statistics
import sys
import time
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ann_bench  # noqa: E402
import benchdb  # noqa: E402
import datasets  # noqa: E402
from ann_bench import int_list, pareto_frontier, qps_at_recall  # noqa: E402

DB = "vecgraph_vamana_bench"
K = 10
PARTS = ("builds", "curves", "validation", "deletes")
TARGETS = (0.99, 0.995)
# Defaults that depend on --smoke (None in argparse: set by the user or here).
FULL = {"rounds": 3, "build_repeats": 3, "validation_builds": 5, "build_pause": 3.0,
        "ef": "10,15,20,30,40,60,80,100,160"}
SMOKE = {"n": 5000, "queries": 100, "rounds": 1, "build_repeats": 1, "validation_builds": 2,
         "build_pause": 0.0, "ef": "10,40"}

Build = collections.namedtuple("Build", "workers secs size launched graph options")


def say(msg):
    print("vamana_bench: " + msg, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", choices=("fashion-mnist", "synthetic"), default="fashion-mnist")
    p.add_argument("--n", type=int, help="base rows (Fashion-MNIST: the first N, default all "
                   "60,000; synthetic: default 1,000,000)")
    p.add_argument("--dim", type=int, default=128, help="synthetic dimensions")
    p.add_argument("--clusters", type=int, default=64, help="synthetic clusters")
    p.add_argument("--seed", type=int, default=42, help="synthetic seed")
    p.add_argument("--queries", type=int, help="default 1000 (Fashion-MNIST), 200 (synthetic)")
    p.add_argument("--parts", default=",".join(PARTS))
    p.add_argument("--ef", type=int_list, help="ef_search grid (default %s)" % FULL["ef"])
    p.add_argument("--rounds", type=int, help="timed passes per index and ef (default 3)")
    p.add_argument("--build-repeats", type=int, help="builds per configuration (default 3)")
    p.add_argument("--build-pause", type=float, help="seconds after the CHECKPOINT before "
                   "each timed build (default 3)")
    p.add_argument("--workers-max", type=int, choices=(1, 2), default=1,
                   help="also time a parallel build with 2 workers")
    p.add_argument("--m", type=int, default=16, help="HNSW and hnswlib M")
    p.add_argument("--ef-construction", type=int, default=64, help="HNSW and hnswlib")
    p.add_argument("--vamana-options", default="",
                   help="more options of the Vamana index, e.g. \"degree = 48, alpha = 1.3\"")
    p.add_argument("--validation-builds", type=int, help="parallel builds checked (default 5)")
    p.add_argument("--validation-ef", type=int, default=20)
    p.add_argument("--delete-fraction", type=float, default=0.3)
    p.add_argument("--delete-seed", type=int, default=1)
    p.add_argument("--skip-hnswlib", action="store_true", help="no hnswlib curve")
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    p.add_argument("--smoke", action="store_true", help="a quick end-to-end check")
    a = p.parse_args(argv)
    for key, value in (SMOKE if a.smoke else FULL).items():
        if getattr(a, key, None) is None:
            setattr(a, key, int_list(value) if key == "ef" else value)
    if a.queries is None:
        a.queries = 1000 if a.dataset == "fashion-mnist" else 200
    if a.n is None and a.dataset == "synthetic":
        a.n = 1000000
    a.parts = a.parts.split(",")
    unknown = set(a.parts) - set(PARTS)
    if unknown:
        p.error("unknown parts %s (valid: %s)" % (",".join(sorted(unknown)), ",".join(PARTS)))
    return a


def hnsw_with(a):
    return "m = %d, ef_construction = %d" % (a.m, a.ef_construction)


def vamana_with(a):
    return "graph = 'vamana'" + (", " + a.vamana_options if a.vamana_options else "")


class Db(benchdb.FreshDb):
    def __init__(self):
        super().__init__(DB, ("max_parallel_workers_per_gather = 0", "jit = off",
                              "maintenance_work_mem = '2GB'"))

    def create_table(self, table, dim):
        self.sql("CREATE TABLE %s (id int PRIMARY KEY, embedding vector(%d))" % (table, dim))

    def copy(self, table, vectors):
        """COPY text, a chunk of rows per statement (a 1,000,000-row set
        would not fit in memory as one string)."""
        for chunk in datasets.copy_text(vectors):
            self.conn.cursor().copy_expert("COPY %s (id, embedding) FROM STDIN" % table,
                                           io.StringIO(chunk))

    def build(self, table, options, workers, pause):
        """DROP and CREATE INDEX <table>_idx WITH (options), with workers
        parallel workers asked for (0: serial); returns a Build."""
        idx = table + "_idx"
        self.sql("DROP INDEX IF EXISTS " + idx)
        self.sql("CHECKPOINT")          # the previous build's write-back first
        time.sleep(pause)
        self.sql("SET max_parallel_maintenance_workers = %d" % workers)
        if workers:
            self.sql("ALTER TABLE %s SET (parallel_workers = %d)" % (table, workers))
        t = time.perf_counter()
        self.sql("CREATE INDEX %s ON %s USING vecgraph (embedding vector_l2_ops) WITH (%s)"
                 % (idx, table, options))
        secs = time.perf_counter() - t
        self.sql("ALTER TABLE %s RESET (parallel_workers)" % table)
        self.sql("RESET max_parallel_maintenance_workers")
        launched, graph, opts = self.one("SELECT build_workers, graph, graph_options "
                                         "FROM vecgraph_index_info(%s)", (idx,))
        size = self.one("SELECT pg_relation_size(%s::regclass)", (idx,))[0]
        return Build(workers, secs, size, launched, graph, opts)

    def has_index(self, table):
        return self.one("SELECT to_regclass(%s) IS NOT NULL", (table + "_idx",))[0]

    def prepare(self, name, table, probe):
        """PREPARE name(vector) for the k-NN query on table; checks that its
        plan uses the table's index."""
        self.sql("PREPARE %s(vector) AS SELECT id FROM %s ORDER BY embedding <-> $1 LIMIT %d"
                 % (name, table, K))
        plan = "\n".join(r[0] for r in self.sql("EXPLAIN EXECUTE %s(%%s)" % name, (probe,)))
        if table + "_idx" not in plan:
            raise ann_bench.BenchError("the k-NN query on %s does not use its index:\n%s"
                                       % (table, plan))

    def search_pass(self, name, texts, ef):
        """One pass of all queries: (ids per query, QPS)."""
        self.sql("SET vecgraph.ef_search = %d" % ef)
        c = self.conn.cursor()
        results = []
        start = time.perf_counter()
        for t in texts:
            c.execute("EXECUTE " + name + "(%s)", (t,))
            results.append([r[0] for r in c.fetchall()])
        return results, len(texts) / (time.perf_counter() - start)

    def recall(self, name, data, ef, gt=None):
        """recall@10 of one untimed pass."""
        return recall_at_k(self.search_pass(name, data.texts, ef)[0],
                           data.gt if gt is None else gt)


def recall_at_k(results, gt):
    return sum(len(set(r[:K]) & set(g[:K].tolist())) for r, g in zip(results, gt)) / (K * len(gt))


def interpolated(points, target):
    """QPS at recall target on the frontier of points (recall, QPS), as text;
    outside the measured range, why not."""
    front = pareto_frontier(points)
    q = qps_at_recall(front, target)
    if q is not None:
        return "%.0f" % q, q
    if not front:
        return "-", None
    if target < front[0][0]:
        return "- (every ef above)", None
    return "- (not reached)", None


def fmt(value, pattern="%.0f"):
    return "-" if value is None else pattern % value


def check(checks, name, ok, detail):
    checks.append((name, ok, detail))
    say("check %s: %s (%s)" % (name, "PASS" if ok else "FAIL", detail))


# ---------------------------------------------------------------------------
# Data and tables
# ---------------------------------------------------------------------------

def load_data(a):
    """The base vectors, queries, their texts and exact ground truth, as
    ann_bench.py's load_data has them (Fashion-MNIST cut to the first --n)."""
    base, queries, key, desc = ann_bench.load_data(a)
    if a.dataset == "fashion-mnist" and a.n is not None and a.n < base.shape[0]:
        base = base[:a.n]
        desc = desc.replace("the 60,000 training images", "the first %s training images"
                            % "{:,}".format(a.n))
    say("exact ground truth of %d queries (cache: %s)" % (len(queries), datasets.cache_dir()))
    gt = datasets.exact_ground_truth(base, queries, K, key)
    texts = [s for chunk in datasets.copy_text(queries, ids=False) for s in chunk.splitlines()]
    return types.SimpleNamespace(base=base, queries=queries, key=key, desc=desc, gt=gt,
                                 texts=texts)


def load_tables(db, data):
    """items_vamana by COPY, items_hnsw the same rows in the same order."""
    t = time.perf_counter()
    for table in ("items_vamana", "items_hnsw"):
        db.create_table(table, data.base.shape[1])
    db.copy("items_vamana", data.base)
    db.sql("INSERT INTO items_hnsw SELECT id, embedding FROM items_vamana ORDER BY id")
    db.sql("VACUUM ANALYZE items_vamana")
    db.sql("VACUUM ANALYZE items_hnsw")
    say("loaded %d x %d into items_hnsw and items_vamana in %.1f s"
        % (data.base.shape[0], data.base.shape[1], time.perf_counter() - t))


def ensure_indexes(a, db):
    """Serial builds of the indexes a part needs when no earlier part made
    them."""
    for table, options in (("items_hnsw", hnsw_with(a)), ("items_vamana", vamana_with(a))):
        if not db.has_index(table):
            say("building %s_idx serially (untimed: the builds part did not run)" % table)
            db.build(table, options, 0, 0)


def prepare_all(db, data):
    db.prepare("knn_hnsw", "items_hnsw", data.texts[0])
    db.prepare("knn_vamana", "items_vamana", data.texts[0])


# ---------------------------------------------------------------------------
# 1. builds
# ---------------------------------------------------------------------------

def build_configs(a):
    """(label, table, options, workers); the serial Vamana build comes last
    so that the index the later parts measure is a serial build."""
    configs = [("HNSW", "items_hnsw", hnsw_with(a), 0)]
    configs += [("Vamana", "items_vamana", vamana_with(a), w) for w in range(a.workers_max, 0, -1)]
    return configs + [("Vamana", "items_vamana", vamana_with(a), 0)]


def describe_build(workers):
    if workers == 0:
        return "serial"
    return "parallel, %d worker%s + leader" % (workers, "" if workers == 1 else "s")


def builds(a, db, checks):
    configs = build_configs(a)
    runs = {c: [] for c in configs}
    for r in range(a.build_repeats):
        for c in configs:
            b = db.build(c[1], c[2], c[3], a.build_pause)
            runs[c].append(b)
            say("build %d/%d, %s %s: %.2f s, workers launched %d, %.1f MB"
                % (r + 1, a.build_repeats, c[0], describe_build(c[3]), b.secs, b.launched,
                   b.size / 2**20))
    med = {c: statistics.median(b.secs for b in runs[c]) for c in configs}
    print("\n#### Builds (median of %d, maintenance_work_mem 2GB)\n" % a.build_repeats)
    print("| index | build | workers launched | seconds | runs (s) | size (MB) | graph_options |")
    print("|---|---|--:|--:|--:|--:|---|")
    for c in configs:
        last = runs[c][-1]
        print("| %s | %s | %s | %.2f | %s | %.1f | %s |"
              % (c[0], describe_build(c[3]), ", ".join(str(b.launched) for b in runs[c]),
                 med[c], ", ".join("%.2f" % b.secs for b in runs[c]), last.size / 2**20,
                 last.options))
    hnsw, vam_par1, vam_serial = configs[0], configs[-2], configs[-1]
    print("\nVamana serial / HNSW serial: build time %.2fx, size %.2fx"
          % (med[vam_serial] / med[hnsw], runs[vam_serial][-1].size / runs[hnsw][-1].size))
    print("Vamana serial / Vamana parallel (1 worker + leader): %.2fx (the parallel speedup)"
          % (med[vam_serial] / med[vam_par1]))
    short = ["%d of %d" % (b.launched, b.workers) for c in configs[1:-1] for b in runs[c]
             if b.launched != b.workers]
    check(checks, "parallel Vamana builds launch the workers asked", not short,
          "all did" if not short else "launched " + ", ".join(short))


# ---------------------------------------------------------------------------
# 2. curves
# ---------------------------------------------------------------------------

def hnswlib_curve(a, data):
    """{ef: (recall, QPS)} of native hnswlib through ann_bench.run_hnswlib,
    and a line on its build."""
    ns = argparse.Namespace(
        hnswlib_bin=os.path.join(ann_bench.HERE, "hnswlib_ref"), k=K, m=a.m,
        ef_construction=a.ef_construction, hnswlib_seed=100, hnswlib_threads=1,
        build_repeats=a.build_repeats, hnswlib_ef=a.ef, repeats=a.rounds)
    build, rows = ann_bench.run_hnswlib(ns, data.base, data.queries, data.gt)
    note = ("hnswlib (M %d, ef_construction %d, one thread): built in %.2f s (median of %d), "
            "%.1f MiB in memory" % (a.m, a.ef_construction, build["build_s"],
                                   len(build["build_s_runs"]), build["index_mib"]))
    return {r["ef"]: (r["recall"], r["qps"]) for r in rows}, note


def measure_ef(a, db, data, ef):
    """(recall, median QPS) of each index at ef: a warm-up pass each, then
    --rounds alternating passes, the order swapped every round."""
    kinds = ["hnsw", "vamana"]
    qps = {k: [] for k in kinds}
    rec = {}
    for k in kinds:
        db.search_pass("knn_" + k, data.texts, ef)
    for r in range(a.rounds):
        for k in (kinds if r % 2 == 0 else kinds[::-1]):
            res, q = db.search_pass("knn_" + k, data.texts, ef)
            rec[k] = recall_at_k(res, data.gt)
            qps[k].append(q)
    return {k: (rec[k], statistics.median(qps[k])) for k in kinds}


def curves(a, db, data, checks):
    ref, note = ({}, "hnswlib: skipped") if a.skip_hnswlib else hnswlib_curve(a, data)
    rows = []
    for ef in a.ef:
        m = measure_ef(a, db, data, ef)
        m["hnswlib"] = ref.get(ef)
        rows.append((ef, m))
        say("ef %d: recall %.4f / %.4f, QPS %.0f / %.0f (HNSW / Vamana)"
            % (ef, m["hnsw"][0], m["vamana"][0], m["hnsw"][1], m["vamana"][1]))
    print("\n#### Recall@%d and QPS (%d queries, median of %d alternating passes)\n"
          % (K, len(data.texts), a.rounds))
    print("| ef_search | recall HNSW | recall Vamana | recall hnswlib | QPS HNSW | QPS Vamana "
          "| QPS hnswlib | Vamana / HNSW |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|")
    for ef, m in rows:
        h = m["hnswlib"] or (None, None)
        print("| %d | %.4f | %.4f | %s | %.0f | %.0f | %s | %.2fx |"
              % (ef, m["hnsw"][0], m["vamana"][0], fmt(h[0], "%.4f"), m["hnsw"][1],
                 m["vamana"][1], fmt(h[1]), m["vamana"][1] / m["hnsw"][1]))
    print("\n" + note)
    at_targets(rows)
    reach = [ef for ef, m in rows if m["vamana"][0] >= 0.99]
    print("\nsmallest ef_search where Vamana reaches recall@%d >= 0.99: %s"
          % (K, reach[0] if reach else "none on the grid"))
    check(checks, "Vamana reaches recall 0.99 on the ef grid", bool(reach),
          "at ef %d" % reach[0] if reach else "best %.4f" % max(m["vamana"][0] for _, m in rows))


def at_targets(rows):
    """QPS of each curve at each target recall, and Vamana / HNSW."""
    print()
    for target in TARGETS:
        q = {k: interpolated([m[k] for _, m in rows if m[k]], target)
             for k in ("hnsw", "vamana", "hnswlib")}
        ratio = q["vamana"][1] / q["hnsw"][1] if q["vamana"][1] and q["hnsw"][1] else None
        print("QPS at recall %.3f: HNSW %s, Vamana %s, hnswlib %s; Vamana / HNSW %s"
              % (target, q["hnsw"][0], q["vamana"][0], q["hnswlib"][0], fmt(ratio, "%.2fx")))


# ---------------------------------------------------------------------------
# 3. validation
# ---------------------------------------------------------------------------

def validation(a, db, data, checks):
    ef = a.validation_ef
    serial = db.recall("knn_vamana", data, ef)
    recalls = []
    for i in range(a.validation_builds):
        b = db.build("items_vamana", vamana_with(a), 1, 0)
        recalls.append(db.recall("knn_vamana", data, ef))
        say("validation build %d/%d: %d worker launched, %.2f s, recall %.4f"
            % (i + 1, a.validation_builds, b.launched, b.secs, recalls[-1]))
        if b.launched != 1:
            check(checks, "validation build %d is parallel" % (i + 1), False,
                  "%d workers launched" % b.launched)
    db.build("items_vamana", vamana_with(a), 0, 0)       # serial again for the deletes
    mean = statistics.mean(recalls)
    sd = statistics.stdev(recalls) if len(recalls) > 1 else 0.0
    print("\n#### Parallel builds (1 worker + leader): recall@%d at ef_search %d\n" % (K, ef))
    print("| build | recall@%d |" % K)
    print("|--:|--:|")
    for i, r in enumerate(recalls):
        print("| %d | %.4f |" % (i + 1, r))
    print("\n%d parallel builds: mean %.4f, sd %.4f; serial build %.4f (mean - serial %+.4f)"
          % (len(recalls), mean, sd, serial, mean - serial))
    check(checks, "parallel builds: sd < 0.005, mean within 0.01 of serial",
          sd < 0.005 and abs(mean - serial) < 0.01,
          "sd %.4f, mean %.4f, serial %.4f" % (sd, mean, serial))


# ---------------------------------------------------------------------------
# 4. deletes
# ---------------------------------------------------------------------------

def ground_truth_left(a, data, keep):
    """Exact ground truth (ids) of the queries over the rows kept."""
    key = "%s-n%d-vamana-del%g-seed%d" % (data.key, data.base.shape[0], a.delete_fraction,
                                          a.delete_seed)
    return keep[datasets.exact_ground_truth(data.base[keep], data.queries, K, key)]


def fresh_table(a, db, data):
    """items_left: the rows items_vamana has left, and a serial Vamana
    index on them with as many partitions as items_vamana's (the automatic
    count would follow the smaller table, and a search of fewer partitions
    at the same ef_search finds less); returns the build."""
    parts = db.one("SELECT partitions FROM vecgraph_index_info('items_vamana_idx')")[0]
    options = ", ".join(o for o in (vamana_with(a), "partitions = %d" % parts) if o)
    db.create_table("items_left", data.base.shape[1])
    db.sql("INSERT INTO items_left SELECT id, embedding FROM items_vamana ORDER BY id")
    db.sql("VACUUM ANALYZE items_left")
    b = db.build("items_left", options, 0, 0)
    db.prepare("knn_left", "items_left", data.texts[0])
    return b


def deletes(a, db, data, checks):
    n = data.base.shape[0]
    rng = np.random.default_rng(a.delete_seed)
    gone = np.sort(rng.choice(n, int(round(a.delete_fraction * n)), replace=False))
    keep = np.setdiff1d(np.arange(n), gone)
    gt = ground_truth_left(a, data, keep)
    db.sql("DELETE FROM items_vamana WHERE id = ANY(%s)", (gone.tolist(),))
    t = time.perf_counter()
    db.sql("VACUUM items_vamana")
    vacuum_s = time.perf_counter() - t
    after = db.recall("knn_vamana", data, a.validation_ef, gt)
    say("deleted %d rows, VACUUM %.2f s, recall %.4f" % (len(gone), vacuum_s, after))
    b = fresh_table(a, db, data)
    fresh = db.recall("knn_left", data, a.validation_ef, gt)
    say("fresh build on the %d rows left: %.2f s, recall %.4f" % (len(keep), b.secs, fresh))
    print("\n#### Deletes: %.0f%% of the rows deleted (seed %d), %d left; recall@%d at "
          "ef_search %d against exact ground truth on the rows left\n"
          % (100 * a.delete_fraction, a.delete_seed, len(keep), K, a.validation_ef))
    print("| Vamana index | seconds | recall@%d |" % K)
    print("|---|--:|--:|")
    print("| after DELETE and VACUUM | %.2f (VACUUM) | %.4f |" % (vacuum_s, after))
    print("| fresh serial build on the rows left | %.2f (build) | %.4f |" % (b.secs, fresh))
    check(checks, "after deletes and VACUUM: recall within 0.01 of a fresh build",
          abs(after - fresh) <= 0.01, "%.4f against %.4f" % (after, fresh))


# ---------------------------------------------------------------------------

def print_settings(db, data):
    s = db.one("SELECT current_setting('server_version'), "
               "(SELECT extversion FROM pg_extension WHERE extname = 'vecgraph'), "
               "current_setting('shared_buffers'), current_setting('maintenance_work_mem'), "
               "current_setting('huge_pages'), current_setting('max_parallel_workers'), "
               "current_setting('max_worker_processes'), vecgraph_simd_level()")
    print("settings: PostgreSQL %s, vecgraph %s, shared_buffers %s, maintenance_work_mem %s, "
          "huge_pages %s, max_parallel_workers %s, max_worker_processes %s, kernels %s, "
          "nproc %d" % (s + (len(os.sched_getaffinity(0)),)))
    print("\n### Vamana against HNSW: %s (%d x %d, k = %d, %d queries)"
          % (data.desc, data.base.shape[0], data.base.shape[1], K, len(data.texts)))


def print_checks(checks):
    print("\n#### Checks\n")
    print("| check | result | detail |")
    print("|---|---|---|")
    for name, ok, detail in checks:
        print("| %s | %s | %s |" % (name, "PASS" if ok else "FAIL", detail))


def run(a):
    data = load_data(a)
    db = Db()
    checks = []
    try:
        print_settings(db, data)
        load_tables(db, data)
        if "builds" in a.parts:
            builds(a, db, checks)
        ensure_indexes(a, db)
        prepare_all(db, data)
        if "curves" in a.parts:
            curves(a, db, data, checks)
        if "validation" in a.parts:
            validation(a, db, data, checks)
        if "deletes" in a.parts:
            deletes(a, db, data, checks)
    finally:
        db.close(drop=not a.keep_db)
    print_checks(checks)
    return 0 if all(ok for _, ok, _ in checks) else 1


def main(argv):
    a = parse_args(argv)
    try:
        return run(a)
    except (ann_bench.BenchError, datasets.DatasetError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
