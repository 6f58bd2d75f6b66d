#!/usr/bin/python3
"""Half-precision storage against float storage, and 3,072-dimension indexes.

1. fashion: Fashion-MNIST (60,000 x 784) in two tables of the same rows, one
   indexed WITH (storage = 'float'), the other WITH (storage = 'half'); serial
   CREATE INDEX of each (median of --build-repeats), index sizes, then
   recall@10 and QPS at each ef_search through a prepared statement, the two
   tables in alternating passes (--rounds each, medians), and the QPS of each
   at recall 0.99 and 0.995 interpolated on its own curve; then the same
   passes through a busy-polling client and (as root) a blocking client
   bound with its backend to one CPU; then through pgbench (one client
   connection, C, a prepared statement taking each query vector from a
   table by a random id: the fastest client); then the same searches from
   inside one backend (a PL/pgSQL loop over the queries, already parsed):
   the index's work without the client's.
2. synthetic: --n x --dim clustered vectors (datasets.py; 100,000 x 3,072 by
   default), loaded with binary COPY into a vector column, indexed WITH
   (storage = 'half') serially and with one parallel worker plus the leader,
   at the default options and with ef_construction 128 (--synthetic-options);
   build times, size, recall@10 and QPS by ef_search.

Recall is against exact ground truth (datasets.exact_ground_truth, cached
outside the repository).  Runs against the cluster named by the PG*
environment variables (make bench VG_BENCH=half starts one).

  half_bench.py [--parts fashion,synthetic] [--queries 1000] [--rounds 3]
"""
import argparse
import io
import os
import shutil
import statistics
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchdb  # noqa: E402
import datasets  # noqa: E402
import work_per_query  # noqa: E402
from ann_bench import pareto_frontier, qps_at_recall  # noqa: E402

DB = "vecgraph_half_bench"
K = 10


def say(msg):
    print("half_bench: " + msg, flush=True)


def int_list(text):
    return [int(x) for x in text.split(",") if x]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parts", default="fashion,synthetic")
    p.add_argument("--queries", type=int, default=1000, help="Fashion-MNIST queries")
    p.add_argument("--ef", type=int_list, default=int_list("10,20,40,80,160"))
    p.add_argument("--rounds", type=int, default=3, help="timed passes per storage and ef")
    p.add_argument("--build-repeats", type=int, default=3)
    p.add_argument("--pgbench-seconds", type=int, default=5,
                   help="seconds of each pgbench pass (0: no pgbench passes)")
    p.add_argument("--n", type=int, default=100000, help="synthetic rows")
    p.add_argument("--dim", type=int, default=3072, help="synthetic dimensions")
    p.add_argument("--synthetic-queries", type=int, default=200)
    p.add_argument("--synthetic-ef", type=int_list, default=int_list("40,80,120,200"))
    p.add_argument("--synthetic-options", default="m = 16;m = 16, ef_construction = 128",
                   help="index options of the synthetic builds, ';'-separated")
    return p.parse_args(argv)


class Db(benchdb.FreshDb):
    def __init__(self):
        super().__init__(DB, ("max_parallel_workers_per_gather = 0",
                              "maintenance_work_mem = '2GB'"))

    def copy_text(self, table, vectors):
        buf = io.StringIO("".join(datasets.copy_text(vectors)))
        self.conn.cursor().copy_expert("COPY %s (id, embedding) FROM STDIN" % table, buf)

    def copy_binary(self, table, vectors, step=2000):
        """vector's binary form: int16 dim, int16 unused, float4 big-endian."""
        n, dim = vectors.shape
        row = np.dtype([("nf", ">i2"), ("l1", ">i4"), ("id", ">i4"), ("l2", ">i4"),
                        ("dim", ">i2"), ("unused", ">i2"), ("x", ">f4", (dim,))])
        for s in range(0, n, step):
            e = min(n, s + step)
            rows = np.zeros(e - s, dtype=row)
            rows["nf"], rows["l1"], rows["id"] = 2, 4, np.arange(s, e)
            rows["l2"], rows["dim"], rows["x"] = 4 + 4 * dim, dim, vectors[s:e]
            data = b"PGCOPY\n\xff\r\n\0" + struct.pack(">ii", 0, 0) + rows.tobytes() + b"\xff\xff"
            self.conn.cursor().copy_expert("COPY %s (id, embedding) FROM STDIN (FORMAT binary)"
                                           % table, io.BytesIO(data))

    def build(self, table, storage, workers, options=""):
        self.sql("DROP INDEX IF EXISTS %s_idx" % table)
        self.sql("SET max_parallel_maintenance_workers = %d" % workers)
        t = time.perf_counter()
        self.sql("CREATE INDEX %s_idx ON %s USING vecgraph (embedding) WITH (storage = '%s'%s)"
                 % (table, table, storage, ", " + options if options else ""))
        secs = time.perf_counter() - t
        launched = self.one("SELECT build_workers FROM vecgraph_index_info('%s_idx')" % table)[0]
        size = self.one("SELECT pg_relation_size('%s_idx')" % table)[0]
        return secs, size, launched

    def search_pass(self, name, queries, ef):
        """One pass of all queries: (ids per query, QPS)."""
        self.sql("SET vecgraph.ef_search = %d" % ef)
        c = self.conn.cursor()
        texts = ["[" + ",".join("%g" % x for x in q) + "]" for q in queries]
        results = []
        start = time.perf_counter()
        for t in texts:
            c.execute("EXECUTE " + name + "(%s)", (t,))
            results.append([r[0] for r in c.fetchall()])
        return results, len(texts) / (time.perf_counter() - start)


def recall_at_k(results, gt):
    return sum(len(set(r[:K]) & set(g[:K].tolist())) for r, g in zip(results, gt)) / (K * len(gt))


def interpolated(points, target):
    q = qps_at_recall(pareto_frontier(points), target)
    return "%.0f" % q if q is not None else "-"


def fashion(a, db):
    base, queries = datasets.load_fashion_mnist()
    queries = queries[:a.queries]
    gt = datasets.exact_ground_truth(base, queries, K, "fashion-mnist")
    builds = {}
    for storage in ("float", "half"):
        table = "items_" + storage
        db.sql("CREATE TABLE %s (id int PRIMARY KEY, embedding vector(%d))" % (table, base.shape[1]))
        db.copy_text(table, base)
        db.sql("VACUUM ANALYZE " + table)
        runs = [db.build(table, storage, 0) for _ in range(a.build_repeats)]
        builds[storage] = (statistics.median(r[0] for r in runs), runs[-1][1])
        say("%s: CREATE INDEX %.2f s (median of %d), %.1f MB"
            % (storage, builds[storage][0], len(runs), builds[storage][1] / 2**20))
        db.sql("PREPARE knn_%s(vector) AS SELECT id FROM %s ORDER BY embedding <-> $1 LIMIT %d"
               % (storage, table, K))
    db.sql("PREPARE floor(vector) AS SELECT 0")
    db.sql("CHECKPOINT")
    rows = []
    floors = []
    for ef in a.ef:
        qps = {"float": [], "half": []}
        rec = {}
        for storage in qps:
            db.search_pass("knn_" + storage, queries, ef)      # warm-up
        for _ in range(a.rounds):
            for storage in qps:
                res, q = db.search_pass("knn_" + storage, queries, ef)
                rec[storage] = recall_at_k(res, gt)
                qps[storage].append(q)
            floors.append(db.search_pass("floor", queries, ef)[1])
        med = {s: statistics.median(v) for s, v in qps.items()}
        rows.append((ef, rec["float"], rec["half"], med["float"], med["half"]))
        say("ef %d: recall %.4f / %.4f, QPS %.0f / %.0f (float / half)"
            % (ef, rec["float"], rec["half"], med["float"], med["half"]))
    print("\n### Fashion-MNIST (60,000 x 784, k = 10, %d queries): float against half storage\n"
          % len(queries))
    print("| storage | CREATE INDEX (s, serial) | index size (MB) |")
    print("|---|--:|--:|")
    for s in ("float", "half"):
        print("| %s | %.2f | %.1f |" % (s, builds[s][0], builds[s][1] / 2**20))
    print("\nhalf / float: size %.3fx, build %.2fx\n"
          % (builds["half"][1] / builds["float"][1], builds["half"][0] / builds["float"][0]))
    print("| ef_search | recall float | recall half | QPS float | QPS half | half / float |")
    print("|--:|--:|--:|--:|--:|--:|")
    for ef, rf, rh, qf, qh in rows:
        print("| %d | %.4f | %.4f | %.0f | %.0f | %.2fx |" % (ef, rf, rh, qf, qh, qh / qf))
    floor = statistics.median(floors)
    print("\nfloor (PREPARE floor(vector) AS SELECT 0, the same parameters): %.0f QPS, "
          "%.3f ms a query (median of %d passes)" % (floor, 1000.0 / floor, len(floors)))
    for target in (0.99, 0.995):
        qf = interpolated([(r[1], r[3]) for r in rows], target)
        qh = interpolated([(r[2], r[4]) for r in rows], target)
        ratio = "%.2fx" % (float(qh) / float(qf)) if "-" not in (qf, qh) else "-"
        work = ("%.2fx" % ((1 / float(qf) - 1 / floor) / (1 / float(qh) - 1 / floor))
                if "-" not in (qf, qh) else "-")
        print("\nQPS at recall %.3f: float %s, half %s (%s; the index's work, floor removed: %s)"
              % (target, qf, qh, ratio, work))
    load_queries(db, queries)
    other_clients(a, queries, rows)
    pgbench_client(a, len(queries), rows)
    in_backend(a, db, rows)


def other_clients(a, queries, rows):
    """The same passes through the other clients of work_per_query: one
    polled in a busy loop, whose CPU never halts while the server works,
    and (as root) a blocking one bound with its backend to one CPU, whose
    answer wakes no halted CPU.  On a virtual machine the blocking
    client's wake-up after a slower query dilutes any difference in the
    server's work (test/bench/work_per_query.py)."""
    import psycopg2
    labels = {"spin": ("polled client", "busy-polling client", "Busy-polling client"),
              "one-cpu": ("one-CPU client", "blocking client bound with its backend to one CPU",
                          "One-CPU client")}
    texts = ["[" + ",".join("%g" % x for x in q) + "]" for q in queries]
    for client in (c for c in work_per_query.clients() if c in labels):
        what, heading, label = labels[client]
        s = work_per_query.Session(psycopg2, DB, client == "spin", client == "one-cpu")
        s.run("SET max_parallel_workers_per_gather = 0")
        for storage in ("float", "half"):
            s.run("PREPARE knn_%s(vector) AS SELECT id FROM items_%s ORDER BY embedding <-> $1 "
                  "LIMIT %d" % (storage, storage, K))

        def qps(storage, ef):
            s.run("SET vecgraph.ef_search = %d" % ef)
            with s.bound():
                start = time.perf_counter()
                for t in texts:
                    s.run("EXECUTE knn_%s('%s')" % (storage, t))
                return len(texts) / (time.perf_counter() - start)
        out = alternate(a, rows, qps, what)
        s.close()
        print_pairs(out, "The same passes through a %s (%d rounds, medians):"
                    % (heading, a.rounds), label)


def alternate(a, rows, qps_of, what):
    """(ef, recall float, recall half, QPS float, QPS half) per row of rows,
    the QPS from qps_of(storage, ef): both storages in alternating rounds
    after a warm-up of each, medians; the recalls are the client's."""
    out = []
    for ef, rf, rh, _, _ in rows:
        got = {"float": [], "half": []}
        for storage in got:
            qps_of(storage, ef)                         # warm-up
        for _ in range(a.rounds):
            for storage in got:
                got[storage].append(qps_of(storage, ef))
        out.append((ef, rf, rh, statistics.median(got["float"]), statistics.median(got["half"])))
        say("%s, ef %d: QPS %.0f / %.0f (float / half)" % (what, ef, out[-1][3], out[-1][4]))
    return out


def print_pairs(out, heading, label):
    print("\n%s\n" % heading)
    print("| ef_search | QPS float | QPS half | half / float |")
    print("|--:|--:|--:|--:|")
    for ef, _, _, qf, qh in out:
        print("| %d | %.0f | %.0f | %.2fx |" % (ef, qf, qh, qh / qf))
    for target in (0.99, 0.995):
        qf = interpolated([(r[1], r[3]) for r in out], target)
        qh = interpolated([(r[2], r[4]) for r in out], target)
        if "-" not in (qf, qh):
            print("\n%s, QPS at recall %.3f: float %s, half %s (%.2fx)"
                  % (label, target, qf, qh, float(qh) / float(qf)))


def load_queries(db, queries):
    """bench_queries, the queries by id, stored plain (not TOASTed): the
    pgbench and in-backend passes read one a query."""
    db.sql("CREATE TABLE bench_queries (id int PRIMARY KEY, v vector(%d))" % queries.shape[1])
    db.sql("ALTER TABLE bench_queries ALTER COLUMN v SET STORAGE PLAIN")
    buf = io.StringIO("".join(datasets.copy_text(queries)))
    db.conn.cursor().copy_expert("COPY bench_queries (id, v) FROM STDIN", buf)
    db.sql("VACUUM ANALYZE bench_queries")


def pgbench_client(a, n_queries, rows):
    """The same searches through pgbench: one connection, -M prepared, a
    random query id a transaction, its vector read from bench_queries by a
    subquery (an index lookup of one heap page).  Of the clients here it
    adds the least to each query, so the index's work weighs most in its
    QPS.  The recalls are the psycopg2 client's (same queries, same
    results)."""
    if a.pgbench_seconds <= 0:
        return
    if shutil.which("pgbench") is None:
        say("pgbench is missing (apt-get install postgresql-client-15): no pgbench passes")
        return

    def qps(storage, ef):
        try:
            return benchdb.pgbench_knn(DB, "items_" + storage, n_queries, ef, 1,
                                       a.pgbench_seconds, K)[0]
        except RuntimeError as e:
            raise SystemExit("half_bench: %s" % e)
    out = alternate(a, rows, qps, "pgbench")
    print_pairs(out, "The same searches through pgbench (one connection, -M prepared, %d s a pass, "
                "%d rounds, medians):" % (a.pgbench_seconds, a.rounds), "pgbench")


IN_BACKEND = """
CREATE FUNCTION knn_loop(tbl text, ef int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    r record;
    t0 timestamptz;
    n int := 0;
    ids int[];
BEGIN
    PERFORM set_config('vecgraph.ef_search', ef::text, true);
    t0 := clock_timestamp();
    FOR r IN SELECT v FROM bench_queries ORDER BY id LOOP
        EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM %I ORDER BY embedding <-> $1 LIMIT 10) s', tbl)
            INTO ids USING r.v;
        n := n + 1;
    END LOOP;
    RETURN n / extract(epoch FROM clock_timestamp() - t0);
END
$$"""


def in_backend(a, db, rows):
    """QPS of the same searches run inside one backend, both tables in
    alternating rounds; the ratio at recall 0.99 uses the recall measured
    through the client (the results are the same)."""
    db.sql(IN_BACKEND)
    out = alternate(a, rows, lambda storage, ef: db.one(
        "SELECT knn_loop(%s, %s)", ("items_" + storage, ef))[0], "in one backend")
    print_pairs(out, "The same searches inside one backend (PL/pgSQL loop, %d rounds, medians):"
                % a.rounds, "In one backend")


def synthetic(a, db):
    data = datasets.synthetic_clustered(a.n + a.synthetic_queries, a.dim, seed=7)
    base, queries = data[:a.n], data[a.n:]
    gt = datasets.exact_ground_truth(base, queries, K, "synthetic-%d-%d-seed7" % (a.n, a.dim))
    db.sql("CREATE TABLE wide (id int PRIMARY KEY, embedding vector(%d))" % a.dim)
    t = time.perf_counter()
    db.copy_binary("wide", base)
    db.sql("VACUUM ANALYZE wide")
    say("loaded %d x %d in %.0f s" % (a.n, a.dim, time.perf_counter() - t))
    db.sql("PREPARE knn_wide(vector) AS SELECT id FROM wide ORDER BY embedding <-> $1 LIMIT %d" % K)
    builds = []
    curves = []
    for options in a.synthetic_options.split(";"):
        for workers in (0, 1):
            secs, size, launched = db.build("wide", "half", workers, options)
            builds.append((options, workers, secs, size, launched))
            say("CREATE INDEX WITH (%s), %d workers asked, %d launched: %.1f s, %.0f MB"
                % (options, workers, launched, secs, size / 2**20))
        for ef in a.synthetic_ef:
            db.search_pass("knn_wide", queries, ef)
            passes = [db.search_pass("knn_wide", queries, ef) for _ in range(a.rounds)]
            curves.append((options, ef, recall_at_k(passes[0][0], gt),
                           statistics.median(p[1] for p in passes)))
            say("%s, ef %d: recall %.4f, QPS %.0f" % curves[-1])
    print("\n### Synthetic %d x %d (clustered, seed 7), vector column, storage = 'half', "
          "%d queries\n" % (a.n, a.dim, len(queries)))
    print("| options | CREATE INDEX | workers launched | seconds | index size (MB) |")
    print("|---|---|--:|--:|--:|")
    for options, workers, secs, size, launched in builds:
        print("| %s | %s | %d | %.1f | %.0f |" % (options, "serial" if workers == 0 else "parallel",
                                                 launched, secs, size / 2**20))
    print("\n| options | ef_search | recall@10 | QPS |")
    print("|---|--:|--:|--:|")
    for options, ef, r, q in curves:
        print("| %s | %d | %.4f | %.0f |" % (options, ef, r, q))


def main(argv):
    a = parse_args(argv)
    parts = a.parts.split(",")
    db = Db()
    settings = db.one("SELECT current_setting('shared_buffers'), current_setting('maintenance_work_mem'), "
                      "current_setting('huge_pages'), vecgraph_simd_level()")
    print("settings: shared_buffers %s, maintenance_work_mem %s, huge_pages %s, kernels %s"
          % settings)
    if "fashion" in parts:
        if datasets.fashion_mnist_available():
            fashion(a, db)
        else:
            say("Fashion-MNIST is not installed (sudo apt-get install dataset-fashion-mnist): skipped")
    if "synthetic" in parts:
        synthetic(a, db)
    db.conn.close()


if __name__ == "__main__":
    main(sys.argv[1:])
