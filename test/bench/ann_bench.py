#!/usr/bin/python3
"""ANN benchmark of vecgraph's graph index, with hnswlib as the reference.

Runs against an already running PostgreSQL server reached through the
usual PG* environment variables (scripts/bench.sh starts a throwaway
cluster and runs this; scripts/common.sh's vg_start_cluster sets them):

  1. loads the data set (test/bench/datasets.py): Fashion-MNIST (60,000
     base vectors of 784 dimensions, the first --queries test images as
     queries) or synthetic clustered vectors;
  2. computes the exact top-k ground truth (cached outside the repository,
     see datasets.cache_dir());
  3. runs test/bench/hnswlib_ref (hnswlib built with -O3 -march=native)
     with the same M and ef_construction, one build thread, single-threaded
     queries, over a finer ef grid than ours;
  4. creates the database --dbname afresh, a table
     items (id int primary key, embedding vector(D)), COPYs the data in and
     VACUUM ANALYZEs it;
  5. times a serial CREATE INDEX ... USING vecgraph (embedding vector_l2_ops)
     WITH (m = M, ef_construction = EFC) and reports the index size;
  6. for every ef_search: SET vecgraph.ef_search, and runs the queries one
     at a time through a prepared statement
        PREPARE knn(vector) AS
            SELECT id FROM items ORDER BY embedding <-> $1 LIMIT k
     (a warm-up pass, then --repeats timed passes), measuring recall@k, QPS
     and p50/p99 latency;
  7. prints the machine, the settings, the build times and sizes, and a
     markdown table with the QPS ratio to hnswlib at matched recall (by
     linear interpolation on hnswlib's recall -> QPS frontier); --markdown
     writes the same into a file (see write_markdown()).

With --index none there is no index: every query is an exact sequential
scan, which checks the harness end to end before the index exists (use few
queries: see --pg-queries).  With --skip-postgres only the hnswlib reference
runs.  Progress goes to stderr, results to stdout.

Use Debian's /usr/bin/python3 (python3-numpy, python3-psycopg2 and
optionally python3-faiss for a faster ground truth).
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import benchdb  # noqa: E402
import datasets  # noqa: E402
import work_per_query  # noqa: E402

DEFAULT_HNSWLIB_EF = "10,15,20,25,30,40,50,60,80,100,120,160,200,250,320,400"
MARK_BEGIN = "<!-- ann_bench.py: begin (generated; rerun it to update) -->"
MARK_END = "<!-- ann_bench.py: end -->"
INDEX_NAME = "items_embedding_idx"


class BenchError(RuntimeError):
    """A failure with a message meant for the user."""


def say(msg):
    print("== " + msg, file=sys.stderr, flush=True)


def warn(msg):
    print("warning: " + msg, file=sys.stderr, flush=True)


def int_list(text):
    try:
        vals = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("expected comma-separated integers, got %r" % text)
    if not vals or min(vals) < 1:
        raise argparse.ArgumentTypeError("values must be positive: %r" % text)
    return vals


def positive(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an integer, got %r" % text)
    if v < 1:
        raise argparse.ArgumentTypeError("must be at least 1: %r" % text)
    return v


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="ANN benchmark: vecgraph index against hnswlib (see the module docstring).")
    p.add_argument("--dataset", choices=("fashion-mnist", "synthetic"), default="fashion-mnist")
    p.add_argument("--n", type=positive, default=20000,
                   help="synthetic: base vectors (default 20000)")
    p.add_argument("--dim", type=positive, default=128,
                   help="synthetic: dimensions (default 128)")
    p.add_argument("--clusters", type=positive, default=64,
                   help="synthetic: clusters (default 64)")
    p.add_argument("--seed", type=int, default=42,
                   help="synthetic: seed (default 42)")
    p.add_argument("--queries", type=positive, default=1000,
                   help="queries (Fashion-MNIST: the first N test images, at most 10000; default 1000)")
    p.add_argument("--pg-queries", type=positive, default=None,
                   help="run only the first N queries through PostgreSQL (default: all); "
                        "for --index none, where every query is a sequential scan")
    p.add_argument("--k", type=positive, default=10)
    p.add_argument("--m", type=positive, default=16)
    p.add_argument("--ef-construction", type=positive, default=64)
    p.add_argument("--keep-pruned", choices=("on", "off"), default=None,
                   help="build vecgraph WITH (keep_pruned = on|off) (default: the index's "
                        "default, on)")
    p.add_argument("--ef-search", type=int_list, default=int_list("10,20,40,80,160,320"),
                   help="vecgraph.ef_search values (default 10,20,40,80,160,320)")
    p.add_argument("--hnswlib-ef", type=int_list, default=int_list(DEFAULT_HNSWLIB_EF),
                   help="hnswlib ef values, a finer grid than ours (default %s)" % DEFAULT_HNSWLIB_EF)
    p.add_argument("--hnswlib-threads", type=positive, default=1,
                   help="hnswlib build threads (default 1; queries are always single-threaded)")
    p.add_argument("--hnswlib-seed", type=int, default=100,
                   help="hnswlib's random seed (default 100, hnswlib's own default)")
    p.add_argument("--hnswlib-huge-pages", choices=("on", "off"),
                   default=os.environ.get("VG_HUGE_PAGES", "off"),
                   help="hnswlib_ref's memory on transparent huge pages (glibc's "
                        "malloc.hugetlb tunable), as the server's shared memory is with "
                        "huge_pages = on (default: VG_HUGE_PAGES, else off)")
    p.add_argument("--hnswlib-bin", default=os.path.join(HERE, "hnswlib_ref"),
                   help="the hnswlib_ref driver (default test/bench/hnswlib_ref; built if missing)")
    p.add_argument("--repeats", type=positive, default=3,
                   help="timed passes over the queries per ef, after one warm-up pass (default 3)")
    p.add_argument("--build-repeats", type=positive, default=1,
                   help="index builds (CREATE INDEX, and hnswlib's), median time reported (default 1)")
    p.add_argument("--index", choices=("vecgraph", "none"), default="vecgraph",
                   help="vecgraph, or none: exact sequential scans (harness check)")
    p.add_argument("--workers", type=int, default=0,
                   help="max_parallel_workers_per_gather for the queries (default 0: "
                        "single-process scans, like the hnswlib reference)")
    p.add_argument("--skip-hnswlib", action="store_true", help="do not run the hnswlib reference")
    p.add_argument("--skip-postgres", action="store_true",
                   help="run only the hnswlib reference (no database needed)")
    p.add_argument("--dbname", default="vecgraph_bench",
                   help="database created (dropped first if it exists) for the run (default vecgraph_bench)")
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    p.add_argument("--build-workers", default="0",
                   help="max_parallel_maintenance_workers values to build with, e.g. 0,1,2; each "
                        "is built --build-repeats times and every build's recall@k at "
                        "--delete-ef is measured; the search rows use the serial (0) build "
                        "(default 0)")
    p.add_argument("--build-pause", type=float, default=3.0,
                   help="seconds to wait after a CHECKPOINT before each timed build, so "
                        "that the previous build's write-back does not slow it (default 3)")
    p.add_argument("--delete-fraction", type=float, default=0.0,
                   help="after the search rows: delete this share of the rows (ids whose "
                        "last digit is below fraction * 10), VACUUM (timed), and compare "
                        "recall at --delete-ef against a fresh build on the rows left "
                        "(default 0: skip)")
    p.add_argument("--delete-ef", type=int, default=40,
                   help="vecgraph.ef_search for the delete comparison (default 40)")
    p.add_argument("--pgbench-clients", type=int_list, default=int_list("1,2,4"),
                   help="client counts of the pgbench throughput table")
    p.add_argument("--skip-pgbench", action="store_true", help="no pgbench throughput table")
    p.add_argument("--skip-work", action="store_true",
                   help="no table of the index's work per query at --work-recalls")
    p.add_argument("--work-recalls", type=lambda t: [float(x) for x in t.split(",")],
                   default=[0.99, 0.995],
                   help="recalls at which the work per query (p50 minus the floor's) is "
                        "compared with hnswlib's p50 (default 0.99,0.995)")
    p.add_argument("--pgbench-seconds", type=positive, default=20,
                   help="seconds of each pgbench run")
    p.add_argument("--pgbench-ef", type=positive, default=40,
                   help="ef_search of the pgbench throughput table")
    p.add_argument("--markdown", metavar="FILE",
                   help="write the results as markdown into FILE: between this script's markers "
                        "if FILE has them, else appended (docs/benchmarks.md is safe)")
    p.add_argument("--json", metavar="FILE", help="write all raw results as JSON into FILE")
    p.add_argument("--plot", metavar="FILE",
                   help="draw the recall/QPS curves into FILE (PNG; needs python3-matplotlib)")
    a = p.parse_args(argv)
    if a.skip_hnswlib and a.skip_postgres:
        p.error("--skip-hnswlib and --skip-postgres leave nothing to run")
    if a.dataset == "fashion-mnist" and a.queries > 10000:
        p.error("Fashion-MNIST has 10000 test images: --queries must be at most 10000")
    if a.pg_queries is not None and a.pg_queries > a.queries:
        a.pg_queries = a.queries        # e.g. scripts/bench.sh's fallback with few --queries
    if a.workers < 0:
        p.error("--workers must not be negative")
    return a


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------

def percentile(values, pct):
    """Nearest-rank percentile: the ceil(pct/100 * n)-th smallest value (the
    same definition as hnswlib_ref.cpp)."""
    s = sorted(values)
    if not s:
        return float("nan")
    rank = int(np.ceil(pct / 100.0 * len(s)))
    return s[min(max(rank, 1), len(s)) - 1]


def recall_at_k(results, gt, k):
    hits = 0
    for ids, truth in zip(results, gt):
        hits += len(set(ids[:k]) & set(truth[:k].tolist()))
    return hits / float(k * len(results))


def median_row(passes):
    """Median over the timed passes of every metric, each on its own."""
    return {key: statistics.median(p[key] for p in passes)
            for key in ("recall", "qps", "p50_ms", "p99_ms")}


def pareto_frontier(points):
    """points: (recall, qps).  The upper-left frontier, sorted by recall: the
    best QPS that reaches at least each recall."""
    pts = sorted(points)
    front = []
    best = -1.0
    for r, q in reversed(pts):
        if q > best:
            front.append((r, q))
            best = q
    front.reverse()
    # Equal recalls: keep the faster.
    dedup = []
    for r, q in front:
        if dedup and dedup[-1][0] == r:
            dedup[-1] = (r, max(q, dedup[-1][1]))
        else:
            dedup.append((r, q))
    return dedup


def qps_at_recall(frontier, recall):
    """hnswlib's QPS at `recall`, linearly interpolated between the two
    frontier points around it; None outside the measured recall range."""
    if not frontier:
        return None
    if recall > frontier[-1][0] + 1e-12:
        return None                      # hnswlib never got this far
    if recall < frontier[0][0] - 1e-12:
        return None                      # below hnswlib's smallest ef
    for (r0, q0), (r1, q1) in zip(frontier, frontier[1:]):
        if r0 - 1e-12 <= recall <= r1 + 1e-12:
            if r1 == r0:
                return max(q0, q1)
            t = (recall - r0) / (r1 - r0)
            return q0 + t * (q1 - q0)
    return frontier[-1][1] if abs(recall - frontier[-1][0]) <= 1e-12 else frontier[0][1]


# ---------------------------------------------------------------------------
# Machine description
# ---------------------------------------------------------------------------

def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"nproc": usable, "cpus": os.cpu_count(), "cpu": cpu,
            "kernel": platform.release(), "python": platform.python_version(),
            "numpy": np.__version__,
            "hnswlib": deb_version("libhnswlib-dev"), "gxx": gxx_version()}


def gxx_version():
    try:
        out = subprocess.run(["g++", "-dumpfullversion"], capture_output=True, text=True,
                             timeout=30)
        return out.stdout.strip() if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def deb_version(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        return None


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def load_data(a):
    if a.dataset == "fashion-mnist":
        if not datasets.fashion_mnist_available():
            raise BenchError("Fashion-MNIST is not installed (%s); install Debian's %s package "
                             "(apt-get install %s), or use --dataset synthetic"
                             % (datasets.FASHION_MNIST_DIR, datasets.FASHION_MNIST_PACKAGE,
                                datasets.FASHION_MNIST_PACKAGE))
        train, test = datasets.load_fashion_mnist()
        return train, np.ascontiguousarray(test[:a.queries]), "fashion-mnist-test", \
            "Fashion-MNIST: the %s training images as base vectors, the first %s test images " \
            "as queries" % ("{:,}".format(train.shape[0]), "{:,}".format(a.queries))
    # Queries are further rows of the same distribution (the generator is
    # prefix-stable): another seed would give other cluster centres, that
    # is, queries unlike the data.
    x = datasets.synthetic_clustered(a.n + a.queries, a.dim, clusters=a.clusters, seed=a.seed)
    key = "synthetic-c%d-s%d" % (a.clusters, a.seed)
    return x[:a.n], x[a.n:], key, \
        "synthetic: %s clustered vectors (%d clusters, seed %d) as base, the next %s of " \
        "the same distribution as queries" % ("{:,}".format(a.n), a.clusters, a.seed,
                                              "{:,}".format(a.queries))


# ---------------------------------------------------------------------------
# hnswlib reference
# ---------------------------------------------------------------------------

def _die_with_parent():
    # The driver must not outlive us (PR_SET_PDEATHSIG = 1).
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


def ensure_hnswlib_bin(path):
    default = os.path.join(HERE, "hnswlib_ref")
    if os.access(path, os.X_OK):
        if os.path.abspath(path) == default and \
                os.path.getmtime(path) < os.path.getmtime(os.path.join(HERE, "hnswlib_ref.cpp")):
            say("hnswlib_ref is older than its source: rebuilding")
        else:
            return path
    if os.path.abspath(path) != default:
        raise BenchError("%s is not an executable file" % path)
    say("building test/bench/hnswlib_ref (make -C test/bench hnswlib-ref)")
    r = subprocess.run(["make", "-C", HERE, "-s", "hnswlib-ref"], stdout=sys.stderr)
    if r.returncode != 0 or not os.access(path, os.X_OK):
        raise BenchError("could not build test/bench/hnswlib_ref: it needs g++ and "
                         "libhnswlib-dev (apt-get install g++ libhnswlib-dev)")
    return path


def hnswlib_command(a, base, queries, gt, tmp):
    """hnswlib_ref's command over the data, written into tmp, up to its
    build, search and output options."""
    binary = ensure_hnswlib_bin(a.hnswlib_bin)
    paths = {name: os.path.join(tmp, name) for name in ("base.f32", "queries.f32", "gt.i32")}
    base.astype("<f4", copy=False).tofile(paths["base.f32"])
    queries.astype("<f4", copy=False).tofile(paths["queries.f32"])
    gt.astype("<i4").tofile(paths["gt.i32"])
    return [binary, "--base", paths["base.f32"], "--queries", paths["queries.f32"],
            "--gt", paths["gt.i32"], "--n", str(base.shape[0]), "--nq", str(queries.shape[0]),
            "--dim", str(base.shape[1]), "--k", str(a.k), "--gt-k", str(gt.shape[1]),
            "--m", str(a.m), "--ef-construction", str(a.ef_construction),
            "--seed", str(a.hnswlib_seed), "--threads", str(a.hnswlib_threads)]


def run_hnswlib(a, command, tail, quiet=False):
    """Runs hnswlib_ref (command + tail): its build record (None with
    --load) and its search rows."""
    proc = None
    cmd = command + tail
    try:
        if not quiet:
            say("hnswlib: %s" % " ".join(shlex.quote(c) for c in cmd))
        env = dict(os.environ)
        if a.hnswlib_huge_pages == "on":
            # glibc then asks for transparent huge pages on its large blocks,
            # which hold hnswlib's graph and vectors
            env["GLIBC_TUNABLES"] = "glibc.malloc.hugetlb=1"
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env,
                                preexec_fn=_die_with_parent)
        build, rows = None, []
        for line in proc.stdout:
            try:
                rec = json.loads(line)
            except ValueError:
                raise BenchError("hnswlib_ref printed something that is not JSON: %r" % line)
            if rec.get("type") == "build":
                build = rec
                if not quiet:
                    say("hnswlib: built in %.2f s (%.1f MiB, %s distance functions)"
                        % (rec["build_s"], rec["index_mib"], rec["simd"]))
            elif rec.get("type") == "search":
                # Medians over the passes, each metric on its own, as for vecgraph.
                rec["p50_ms_median_run"], rec["p99_ms_median_run"] = rec["p50_ms"], rec["p99_ms"]
                rec["qps"] = statistics.median(rec["qps_runs"])
                rec["p50_ms"] = statistics.median(rec["p50_ms_runs"])
                rec["p99_ms"] = statistics.median(rec["p99_ms_runs"])
                rows.append(rec)
                if not quiet:
                    say("hnswlib: ef %4d  recall %.4f  %8.0f QPS  p50 %.3f ms  p99 %.3f ms"
                        % (rec["ef"], rec["recall"], rec["qps"], rec["p50_ms"], rec["p99_ms"]))
        rc = proc.wait()
        if rc != 0:
            raise BenchError("hnswlib_ref failed (exit status %d); its message is above" % rc)
        if ("--load" not in tail and build is None) or len(rows) != len(a.hnswlib_ef):
            raise BenchError("hnswlib_ref ended without printing all its results")
        return build, rows
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

class _ChunkReader:
    """A read()-able file over an iterator of str chunks, for copy_expert."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._buf = b""
        self._pos = 0

    def read(self, size=-1):
        if self._pos >= len(self._buf):
            try:
                self._buf = next(self._chunks).encode("ascii")
            except StopIteration:
                return b""
            self._pos = 0
        end = len(self._buf) if size is None or size < 0 else self._pos + size
        out = self._buf[self._pos:end]
        self._pos += len(out)
        return out

    readline = read


def describe_server_env():
    return ", ".join("%s=%s" % (v, os.environ[v])
                     for v in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE") if v in os.environ) \
        or "no PG* variables set"


class Postgres:
    def __init__(self, a):
        try:
            import psycopg2
        except ImportError:
            raise BenchError("psycopg2 is missing: apt-get install python3-psycopg2 "
                             "(and run this with /usr/bin/python3)")
        self.pg = psycopg2
        self.a = a
        self.conn = None
        self.created_db = False
        try:
            self.admin = psycopg2.connect("")
        except psycopg2.Error as e:
            raise BenchError("cannot connect to PostgreSQL (%s): %s\nstart a server first, "
                             "e.g. through scripts/bench.sh (make bench)"
                             % (describe_server_env(), str(e).strip()))
        self.admin.autocommit = True

    def sql(self, query, what=None):
        cur = self.conn.cursor()
        try:
            cur.execute(query)
        except self.pg.Error as e:
            raise BenchError("%s failed: %s\nSQL: %s" % (what or "a statement",
                                                          str(e).strip(), query))
        return cur

    def scalar(self, query):
        return self.sql(query).fetchone()[0]

    def setup(self):
        a = self.a
        cur = self.admin.cursor()
        cur.execute("SHOW server_version")
        self.server_version = cur.fetchone()[0]
        dbq = '"%s"' % a.dbname.replace('"', '""')
        try:
            cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % dbq)
            cur.execute("CREATE DATABASE %s" % dbq)
        except self.pg.Error as e:
            raise BenchError("cannot create database %s: %s" % (a.dbname, str(e).strip()))
        self.created_db = True
        self.conn = self.pg.connect("", dbname=a.dbname)
        self.conn.autocommit = True
        try:
            self.sql("CREATE EXTENSION vecgraph", "CREATE EXTENSION vecgraph")
        except BenchError as e:
            raise BenchError("%s\nis the extension installed in this server? (make install)" % e)
        self.ext_version = self.scalar(
            "SELECT extversion FROM pg_extension WHERE extname = 'vecgraph'")
        if a.index == "vecgraph" and not self.scalar(
                "SELECT count(*) FROM pg_am WHERE amname = 'vecgraph'"):
            raise BenchError("the installed vecgraph extension (version %s) has no 'vecgraph' "
                             "index access method yet; run with --index none for an exact-scan "
                             "check of the harness" % self.ext_version)
        self.settings = {}
        for name in ("shared_buffers", "work_mem", "maintenance_work_mem", "huge_pages",
                     "min_dynamic_shared_memory"):
            self.settings[name] = self.scalar("SHOW %s" % name)

    def load(self, base):
        dim = base.shape[1]
        self.sql("CREATE TABLE items (id int PRIMARY KEY, embedding vector(%d))" % dim,
                 "CREATE TABLE")
        t = time.perf_counter()
        cur = self.conn.cursor()
        try:
            cur.copy_expert("COPY items (id, embedding) FROM STDIN",
                            _ChunkReader(datasets.copy_text(base)), size=1 << 16)
        except self.pg.Error as e:
            raise BenchError("COPY into items failed: %s" % str(e).strip())
        copy_s = time.perf_counter() - t
        t = time.perf_counter()
        self.sql("VACUUM ANALYZE items", "VACUUM ANALYZE")
        vacuum_s = time.perf_counter() - t
        table_mib = self.scalar("SELECT pg_total_relation_size('items')") / 1048576.0
        return {"copy_s": copy_s, "vacuum_analyze_s": vacuum_s, "table_mib": table_mib}

    def build_once(self, workers):
        """Drops and builds the index with max_parallel_maintenance_workers =
        workers; returns (seconds, workers launched)."""
        self.sql("DROP INDEX IF EXISTS %s" % INDEX_NAME, "DROP INDEX")
        # Each build writes a few hundred MB of pages and as much WAL; let
        # the previous build's write-back finish first, so that one build's
        # time is not another's I/O (a checkpoint, then a pause).
        self.sql("CHECKPOINT", "CHECKPOINT")
        time.sleep(self.a.build_pause)
        self.sql("SET max_parallel_maintenance_workers = %d" % workers)
        say("vecgraph: %s (max_parallel_maintenance_workers %d)" % (self.ddl, workers))
        t = time.perf_counter()
        self.sql(self.ddl, "CREATE INDEX")
        elapsed = time.perf_counter() - t
        self.sql("RESET max_parallel_maintenance_workers")
        launched = self.scalar("SELECT build_workers FROM vecgraph_index_info('%s')" % INDEX_NAME)
        say("vecgraph: index built in %.2f s with %s parallel workers" % (elapsed, launched))
        return elapsed, launched

    def build_index(self, queries=None, gt=None):
        """Builds with every --build-workers value, --build-repeats times each
        in alternating rounds, recording each build's recall at --delete-ef;
        ends with a serial build (the index the search rows use)."""
        a = self.a
        self.ddl = ("CREATE INDEX %s ON items USING vecgraph (embedding vector_l2_ops) "
                    "WITH (m = %d, ef_construction = %d%s)"
                    % (INDEX_NAME, a.m, a.ef_construction,
                       ", keep_pruned = %s" % a.keep_pruned if a.keep_pruned else ""))
        workers_list = [int(w) for w in str(a.build_workers).split(",")]
        order = sorted(set(workers_list) - {0}) + [0]
        runs = {w: {"workers": w, "launched": [], "build_s_runs": [], "recalls": []} for w in order}
        # One build of each kind per round, so that the machine's drift over
        # minutes weighs on every kind alike; serial last in each round.
        for _ in range(a.build_repeats):
            for w in order:
                t, n = self.build_once(w)
                runs[w]["build_s_runs"].append(t)
                runs[w]["launched"].append(n)
                if queries is not None and len(workers_list) > 1:
                    runs[w]["recalls"].append(self.recall_once(queries, gt, a.delete_ef))
        by_workers = [dict(runs[w], build_s=statistics.median(runs[w]["build_s_runs"]))
                      for w in order]
        serial = by_workers[-1]
        size = self.scalar("SELECT pg_relation_size('%s')" % INDEX_NAME)
        return {"ddl": self.ddl, "build_s": serial["build_s"], "build_s_runs": serial["build_s_runs"],
                "index_mib": size / 1048576.0, "by_workers": by_workers}

    def recall_once(self, queries, gt, ef):
        """recall@k of one untimed pass at ef_search = ef."""
        a = self.a
        cur = self.conn.cursor()
        cur.execute("SET vecgraph.ef_search = %d" % ef)
        texts = [s.rstrip("\n") for s in _split_lines(datasets.copy_text(queries, ids=False))]
        results = []
        for t in texts:
            cur.execute("SELECT id FROM items ORDER BY embedding <-> '%s' LIMIT %d" % (t, a.k))
            results.append([r[0] for r in cur.fetchall()])
        cur.execute("RESET vecgraph.ef_search")
        return recall_at_k(results, gt, a.k)

    def check_ef_search_guc(self):
        # An unknown dotted setting is accepted as a placeholder, so SET alone
        # proves nothing; the library has been loaded by now (a query ran),
        # and a real setting is listed in pg_settings.
        if not self.scalar("SELECT count(*) FROM pg_settings WHERE name = 'vecgraph.ef_search'"):
            raise BenchError("the vecgraph extension defines no setting vecgraph.ef_search "
                             "(not in pg_settings after a query loaded the library): "
                             "the benchmark sets it for every ef_search row")

    def search(self, queries, gt, ef_values):
        """Rows of {ef, recall, qps, p50_ms, p99_ms, passes}; also the EXPLAIN."""
        a = self.a
        nq = queries.shape[0]
        self.sql("SET max_parallel_workers_per_gather = %d" % a.workers)
        # JIT would compile the plan again at every EXECUTE of a costly plan
        # (an exact scan; an index whose cost estimate is high).
        self.sql("SET jit = off")
        self.sql("PREPARE knn(vector) AS SELECT id FROM items ORDER BY embedding <-> $1 "
                 "LIMIT %d" % a.k, "PREPARE")
        # Every statement formatted before any timing.
        texts = [s.rstrip("\n") for s in _split_lines(datasets.copy_text(queries, ids=False))]
        stmts = ["EXECUTE knn('%s')" % t for t in texts]
        cur = self.conn.cursor()
        floor = self.floor(cur, texts)
        rows = []
        explain = None
        for ef in ef_values:
            if ef is not None:
                self.sql("SET vecgraph.ef_search = %d" % ef, "SET vecgraph.ef_search")
            label = "exact" if ef is None else "ef_search %d" % ef
            passes = []
            for p in range(1 + a.repeats):
                results = [None] * nq
                lat = [0.0] * nq
                start = time.perf_counter()
                try:
                    for i, stmt in enumerate(stmts):
                        t = time.perf_counter()
                        cur.execute(stmt)
                        results[i] = [r[0] for r in cur.fetchall()]
                        lat[i] = time.perf_counter() - t
                except self.pg.Error as e:
                    raise BenchError("the k-NN query failed (%s): %s" % (label, str(e).strip()))
                wall = time.perf_counter() - start
                if p == 0:
                    if explain is None:
                        explain = self.explain(stmts[0])
                        if ef is not None:
                            self.check_ef_search_guc()
                    if ef is not None:
                        shown = self.scalar("SHOW vecgraph.ef_search")
                        if str(shown) != str(ef):
                            raise BenchError("SET vecgraph.ef_search = %d did not stick: SHOW "
                                             "says %s" % (ef, shown))
                    continue            # the warm-up pass
                short = sum(1 for r in results if len(r) < a.k)
                if short:
                    warn("%s: %d of %d queries returned fewer than %d rows"
                         % (label, short, nq, a.k))
                lat_ms = [x * 1000.0 for x in lat]
                passes.append({"recall": recall_at_k(results, gt, a.k), "qps": nq / wall,
                               "p50_ms": percentile(lat_ms, 50), "p99_ms": percentile(lat_ms, 99),
                               "short_results": short})
            row = median_row(passes)
            row.update({"ef": ef, "passes": passes})
            rows.append(row)
            say("vecgraph: %-14s recall %.4f  %8.1f QPS  p50 %.3f ms  p99 %.3f ms"
                % (label, row["recall"], row["qps"], row["p50_ms"], row["p99_ms"]))
        self.sql("DEALLOCATE knn")
        return rows, explain, floor

    def throughput(self, queries):
        """Queries per second through pgbench, a prepared statement and a
        random query id per transaction, at each --pgbench-clients count:
        what several application connections get at --pgbench-ef."""
        a = self.a
        if a.skip_pgbench:
            return []
        if shutil.which("pgbench") is None:
            raise BenchError("pgbench is missing: apt-get install postgresql-client-15")
        self.sql("DROP TABLE IF EXISTS bench_queries")
        self.sql("CREATE TABLE bench_queries (id int PRIMARY KEY, v vector(%d))" % queries.shape[1])
        cur = self.conn.cursor()
        cur.copy_expert("COPY bench_queries (id, v) FROM STDIN",
                        _ChunkReader(datasets.copy_text(queries)), size=1 << 16)
        self.sql("ANALYZE bench_queries")
        query = benchdb.knn_query("items", a.k)
        plan = "\n".join(r[0] for r in self.sql(
            "EXPLAIN " + query.replace(":qid", "1"), "EXPLAIN").fetchall())
        if INDEX_NAME not in plan:
            raise BenchError("the pgbench query does not use the index:\n" + plan)
        rows = []
        for clients in a.pgbench_clients:
            try:
                tps, latency = benchdb.pgbench_knn(a.dbname, "items", queries.shape[0], a.pgbench_ef,
                                                   clients, a.pgbench_seconds, a.k, a.workers)
            except RuntimeError as e:
                raise BenchError(str(e))
            rows.append({"clients": clients, "tps": tps, "latency_ms": latency})
            say("vecgraph: pgbench %d client(s), ef_search %d: %.1f queries/s"
                % (clients, a.pgbench_ef, tps))
        return rows

    def after_deletes(self, base, queries, gt_key):
        """Deletes a share of the rows, VACUUMs (timed), and measures recall
        at --delete-ef against exact ground truth on the rows left, then the
        same for an index built afresh on them."""
        a = self.a
        cutoff = int(round(a.delete_fraction * 10))
        keep = np.array([i for i in range(base.shape[0]) if i % 10 >= cutoff])
        gt_pos = datasets.exact_ground_truth(base[keep], queries, a.k,
                                             "%s-after-delete-%d" % (gt_key, cutoff))
        gt = keep[gt_pos]
        self.sql("DELETE FROM items WHERE id %% 10 < %d" % cutoff, "DELETE")
        t = time.perf_counter()
        self.sql("VACUUM items", "VACUUM")
        vacuum_s = time.perf_counter() - t
        say("vecgraph: VACUUM after deleting %d%% of the rows took %.2f s"
            % (cutoff * 10, vacuum_s))
        saved, a.repeats = a.repeats, 1
        try:
            after, _, _ = self.search(queries, gt, [a.delete_ef])
            self.sql("DROP INDEX %s" % INDEX_NAME, "DROP INDEX")
            self.sql("SET max_parallel_maintenance_workers = 0")
            t = time.perf_counter()
            self.sql(self.ddl, "CREATE INDEX")
            fresh_s = time.perf_counter() - t
            fresh, _, _ = self.search(queries, gt, [a.delete_ef])
        finally:
            a.repeats = saved
        return {"deleted_share": cutoff / 10.0, "rows_left": int(keep.size),
                "vacuum_s": vacuum_s, "fresh_build_s": fresh_s, "ef": a.delete_ef,
                "recall_after_vacuum": after[0]["recall"], "recall_fresh": fresh[0]["recall"],
                "qps_after_vacuum": after[0]["qps"], "qps_fresh": fresh[0]["qps"]}

    def work_per_query(self, queries, efs, reference):
        """work_per_query.measure over the same queries, on connections of
        its own (blocking, polled, and blocking on one CPU with its backend
        when this runs as root), hnswlib's passes (reference) between them."""
        a = self.a
        texts = [t.rstrip("\n") for t in _split_lines(datasets.copy_text(queries, ids=False))]
        say("work per query: floor and k-NN passes alternating, clients: %s"
            % ", ".join(work_per_query.clients()))
        w = work_per_query.measure(self.pg, a.dbname, texts, efs, a.k, a.repeats,
                                   ["SET max_parallel_workers_per_gather = %d" % a.workers,
                                    "SET jit = off"], reference)
        for client in work_per_query.clients():
            say("work per query, %s client: floor p50 %.3f ms; %s" % (
                client, w[client]["floor_p50_ms"],
                ", ".join("ef %d p50 %.3f ms" % kv for kv in w[client]["p50_ms"].items())))
        return w

    def floor(self, cur, texts):
        """The same loop through a statement that does no search: what the
        client, the protocol, the vector input function and the executor
        cost per query whatever the index does."""
        a = self.a
        self.sql("PREPARE floor(vector) AS SELECT 0", "PREPARE")
        stmts = ["EXECUTE floor('%s')" % t for t in texts]
        passes = []
        for p in range(1 + a.repeats):
            lat = [0.0] * len(stmts)
            start = time.perf_counter()
            for i, stmt in enumerate(stmts):
                t = time.perf_counter()
                cur.execute(stmt)
                cur.fetchall()
                lat[i] = time.perf_counter() - t
            wall = time.perf_counter() - start
            if p:
                lat_ms = [x * 1000.0 for x in lat]
                passes.append({"recall": 0.0, "qps": len(stmts) / wall,
                               "p50_ms": percentile(lat_ms, 50),
                               "p99_ms": percentile(lat_ms, 99)})
        self.sql("DEALLOCATE floor")
        row = median_row(passes)
        say("floor (PREPARE floor(vector) AS SELECT 0): %8.1f QPS  p50 %.3f ms  p99 %.3f ms"
            % (row["qps"], row["p50_ms"], row["p99_ms"]))
        return row

    def explain(self, stmt):
        plan = "\n".join(r[0] for r in self.sql("EXPLAIN " + stmt, "EXPLAIN").fetchall())
        if self.a.index == "vecgraph" and INDEX_NAME not in plan:
            raise BenchError("the planner did not use the vecgraph index for the k-NN query; "
                             "the numbers would be those of another plan.  EXPLAIN:\n" + plan)
        return plan

    def close(self):
        if self.conn is not None:
            try:
                self.conn.cancel()
            except Exception:
                pass
            self.conn.close()
            self.conn = None
        if self.created_db and not self.a.keep_db:
            try:
                self.admin.cursor().execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                                            % self.a.dbname.replace('"', '""'))
            except self.pg.Error as e:
                warn("could not drop database %s: %s" % (self.a.dbname, str(e).strip()))
        self.admin.close()


def _split_lines(chunks):
    for chunk in chunks:
        yield from chunk.splitlines()


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def fmt_qps(v):
    return "—" if v is None else ("%.0f" % v if v >= 100 else "%.1f" % v)


def spread_note(qps_lists):
    """How much the timed passes differed: the largest (max - min) / median
    of QPS over the rows."""
    worst = max(((max(q) - min(q)) / statistics.median(q) for q in qps_lists if len(q) > 1),
                default=None)
    if worst is None:
        return ""
    return "The timed passes of a row differed by up to %.0f%% in QPS ((max - min) / median)." \
        % (100.0 * worst)


def md_table(header, rows, align):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("--:" if c == "r" else "---" for c in align) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def hnswlib_table(rows, k):
    return md_table(["ef", "recall@%d" % k, "QPS", "p50 ms", "p99 ms"],
                    [[str(r["ef"]), "%.4f" % r["recall"], fmt_qps(r["qps"]),
                      "%.3f" % r["p50_ms"], "%.3f" % r["p99_ms"]] for r in rows],
                    "rrrrr")


def vecgraph_table(rows, frontier, k, floor_qps=None):
    """Our rows with the QPS ratio to hnswlib at matched recall, and the
    same ratio once the floor (client, protocol, executor: what any query
    through PostgreSQL pays and hnswlib's in-process calls do not) is taken
    out of our per-query time."""
    out = []
    for r in rows:
        ref = qps_at_recall(frontier, r["recall"]) if frontier else None
        work = "—"
        if ref is not None:
            ratio = "%.2f" % (r["qps"] / ref)
            if floor_qps:
                ours = 1.0 / r["qps"] - 1.0 / floor_qps
                work = "%.2f" % ((1.0 / ref) / ours) if ours > 0 else "n/a"
        elif frontier and r["recall"] > frontier[-1][0]:
            ratio = "n/a (above hnswlib's best recall)"
        elif frontier:
            ratio = "n/a (below hnswlib's grid)"
        else:
            ratio = "—"
        out.append(["exact (no index)" if r["ef"] is None else str(r["ef"]),
                    "%.4f" % r["recall"], fmt_qps(r["qps"]), "%.3f" % r["p50_ms"],
                    "%.3f" % r["p99_ms"], fmt_qps(ref), ratio, work])
    return md_table(["ef_search", "recall@%d" % k, "QPS", "p50 ms", "p99 ms",
                     "hnswlib QPS at this recall", "ratio", "ratio, floor removed"],
                    out, "rrrrrrrr")


def build_report(a, res):
    """The whole report as markdown (printed and written by --markdown)."""
    mi = res["machine"]
    ds_title = "Fashion-MNIST" if a.dataset == "fashion-mnist" else \
        "synthetic %d x %d" % (a.n, a.dim)
    if a.skip_postgres:
        title = "## ANN search: hnswlib reference (%s)" % ds_title
    elif a.index == "none":
        title = "## ANN search: harness check with exact scans (%s)" % ds_title
    else:
        title = "## ANN search: vecgraph against hnswlib (%s)" % ds_title
    L = [title, ""]
    L.append("Produced on %s by:" % res["date"])
    L += ["", "```", res["command"], "```", ""]
    if a.skip_postgres:
        L += ["Only the hnswlib reference ran (`--skip-postgres`).  It is the reference that "
              "vecgraph's index is measured against: the full run (`VG_BENCH=ann make bench`, "
              "or this script without `--skip-postgres`) runs the same queries through "
              "PostgreSQL and gives, per `vecgraph.ef_search`, the ratio of vecgraph's QPS "
              "to hnswlib's at the same recall, interpolated on this table.", ""]
    L.append("Machine: %d usable CPUs (nproc), `%s`, Linux %s; Python %s, numpy %s%s%s."
             % (mi["nproc"], mi["cpu"], mi["kernel"], mi["python"], mi["numpy"],
                ", PostgreSQL %s" % res["pg"]["server_version"] if "pg" in res else "",
                ", vecgraph %s" % res["pg"]["ext_version"] if "pg" in res else ""))
    L.append("")
    L.append("Data: %s; %d dimensions; exact top-%d ground truth (float64, ties to the "
             "smaller id; %.1f s in this run, cached after the first)."
             % (res["data"]["description"], res["data"]["dim"], a.k, res["steps"]["ground_truth_s"]))
    L.append("")
    L.append("Method: queries one at a time on one client thread; a warm-up pass, then %d "
             "timed passes per ef; every figure is the median over the timed passes (each "
             "metric on its own).  QPS = queries / wall time of a pass; p50 and p99 are "
             "nearest-rank percentiles of the per-query latency.  recall@%d = the share of "
             "the exact %d nearest found." % (a.repeats, a.k, a.k))
    if "hnswlib" in res:
        b = res["hnswlib"]["build"]
        L += ["", "### hnswlib %s (reference)" % (mi["hnswlib"] or ""), ""]
        L.append("Debian's libhnswlib-dev through test/bench/hnswlib_ref.cpp, g++ %s with "
                 "`-O3 -march=native` (%s distance functions); M = %d, ef_construction = %d, "
                 "seed %d, built with %d thread%s in **%.2f s**%s; graph and vectors take %.1f MiB "
                 "in memory%s.  Queries with `searchKnn` one at a time on one thread."
                 % (mi["gxx"] or "", b["simd"], b["m"], b["ef_construction"], b["seed"],
                    b["threads"], "" if b["threads"] == 1 else "s", b["build_s"],
                    "" if len(b["build_s_runs"]) == 1 else
                    " (median of %d builds: %s)" % (len(b["build_s_runs"]),
                                                   ", ".join("%.2f" % t for t in b["build_s_runs"])),
                    b["index_mib"],
                    " (on transparent huge pages: `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`)"
                    if a.hnswlib_huge_pages == "on" else ""))
        L += ["", hnswlib_table(res["hnswlib"]["rows"], a.k)]
        note = spread_note([r["qps_runs"] for r in res["hnswlib"]["rows"]])
        if note:
            L += ["", note]
    if "pg" in res:
        pg = res["pg"]
        L += ["", "### vecgraph" if a.index == "vecgraph" else "### PostgreSQL, no index", ""]
        L.append("Table `items (id int primary key, embedding vector(%d))`, loaded by COPY in "
                 "%.1f s, VACUUM ANALYZE %.1f s, %.1f MiB with its TOAST and primary key.  "
                 "Server settings: %s.  Queries: `max_parallel_workers_per_gather = %d`, "
                 "`jit = off`, "
                 "`PREPARE knn(vector) AS SELECT id FROM items ORDER BY embedding <-> $1 "
                 "LIMIT %d`, then `EXECUTE knn('[...]')` per query%s."
                 % (res["data"]["dim"], pg["load"]["copy_s"], pg["load"]["vacuum_analyze_s"],
                    pg["load"]["table_mib"],
                    ", ".join("%s %s" % kv for kv in pg["settings"].items()),
                    a.workers, a.k,
                    "" if pg["queries"] == res["data"]["queries"] else
                    " (the first %d queries only)" % pg["queries"]))
        if "index" in pg:
            ix = pg["index"]
            L += ["", "`%s` with `max_parallel_maintenance_workers = 0` (serial): **%.2f s**%s; "
                  "index size %.1f MiB (`pg_relation_size`)."
                  % (ix["ddl"], ix["build_s"],
                     "" if len(ix["build_s_runs"]) == 1 else
                     " (median of %d: %s)" % (len(ix["build_s_runs"]),
                                              ", ".join("%.2f" % t for t in ix["build_s_runs"])),
                     ix["index_mib"])]
            bw = ix.get("by_workers", [])
            if len(bw) > 1:
                serial_s = bw[-1]["build_s"]
                rows = []
                for b in bw:
                    rec = b["recalls"]
                    rows.append([str(b["workers"]), ", ".join(str(n) for n in b["launched"]),
                                 "%.2f" % b["build_s"],
                                 ", ".join("%.2f" % t for t in b["build_s_runs"]),
                                 "%.2f×" % (serial_s / b["build_s"]),
                                 ", ".join("%.4f" % r for r in rec) if rec else "—",
                                 "%.4f ± %.4f" % (statistics.mean(rec), statistics.pstdev(rec))
                                 if rec else "—"])
                L += ["", "Builds by `max_parallel_maintenance_workers` (median of %d each, "
                      "one of each kind per round, serial last; speedup against the serial "
                      "build; recall@%d at ef_search %d of each build):"
                      % (a.build_repeats, a.k, a.delete_ef), "",
                      md_table(["workers", "launched", "build s", "runs", "speedup",
                                "recall of each build", "mean ± sd"], rows, "rrrrrrr")]
        L += ["", "Plan of the query:", "", "```", pg["explain"], "```", ""]
        if "hnswlib" in res:
            L.append("hnswlib QPS at this recall: linear interpolation between the two "
                     "points of hnswlib's recall/QPS frontier (table above) around the row's "
                     "recall; ratio = our QPS / that; ratio, floor removed = hnswlib's time per "
                     "query / (ours - the floor's, below): the index's own work against the "
                     "library's.")
            L.append("")
        L.append(vecgraph_table(pg["rows"], res.get("frontier"), a.k, pg["floor"]["qps"]))
        note = spread_note([[p["qps"] for p in r["passes"]] for r in pg["rows"]])
        if note:
            L += ["", note]
        if pg.get("work_summary"):
            L += ["", "Work per query at matched recall: the p50 latency of the k-NN query minus "
                  "the p50 of the floor query (below), both interpolated linearly between the "
                  "ef_search rows around the recall, against hnswlib's p50 interpolated the "
                  "same way.  Measured apart from the table above, floor and k-NN passes "
                  "alternating (%d each per ef_search), with up to three clients: `block`, "
                  "psycopg2 as applications use it; `spin`, an asynchronous connection polled "
                  "in a busy loop, whose CPU never halts -- on a virtual machine a halted CPU's "
                  "wake-up is paid by the slower query and not by the floor; and `one-cpu` "
                  "(as root), the blocking client with its backend bound to its own CPU, so "
                  "that the answer wakes no halted CPU and floor and query pay the same round "
                  "trip (see test/bench/work_per_query.py).  hnswlib's p50 here is the median of %d "
                  "passes over its saved index, one before each round of ours, so that both "
                  "sides are timed under the same load of this shared machine.  The last "
                  "column is EXPLAIN ANALYZE's execution time (TIMING off), the server alone."
                  % (a.repeats, pg["work"].get("reference_passes", 0)), "",
                  work_per_query.markdown(pg["work_summary"], md_table)]
        if "deletes" in pg:
            d = pg["deletes"]
            L += ["", "After deleting %.0f%% of the rows (%d left) and `VACUUM items` (**%.2f s**, "
                  "%.2f× the %.2f s of a fresh build on the rows left): recall@%d at "
                  "ef_search %d **%.4f** (%s QPS), against **%.4f** (%s QPS) for the fresh "
                  "build; exact ground truth recomputed on the rows left."
                  % (100 * d["deleted_share"], d["rows_left"], d["vacuum_s"],
                     d["vacuum_s"] / d["fresh_build_s"], d["fresh_build_s"], a.k, d["ef"],
                     d["recall_after_vacuum"], fmt_qps(d["qps_after_vacuum"]),
                     d["recall_fresh"], fmt_qps(d["qps_fresh"]))]
        if pg.get("throughput"):
            one = pg["throughput"][0]["tps"]
            rows = [[str(t["clients"]), fmt_qps(t["tps"]), "%.2f×" % (t["tps"] / one),
                     "%.3f" % t["latency_ms"] if t["latency_ms"] is not None else "—"]
                    for t in pg["throughput"]]
            L += ["", "Throughput through pgbench (`-M prepared`, %d s a run, a random query of "
                  "the %d per transaction looked up by id in a table, ef_search %d, "
                  "max_parallel_workers_per_gather %d; scaling against the first row):"
                  % (a.pgbench_seconds, pg["queries"], a.pgbench_ef, a.workers), "",
                  md_table(["clients", "queries/s", "scaling", "latency ms"], rows, "rrrr")]
        f = pg["floor"]
        L += ["", "Floor: the same loop through `PREPARE floor(vector) AS SELECT 0` (client, "
              "protocol, vector input, executor; no search) runs at %s QPS, p50 %.3f ms, "
              "p99 %.3f ms." % (fmt_qps(f["qps"]), f["p50_ms"], f["p99_ms"])]
    L += ["", "Step times: " + ", ".join("%s %.1f s" % (k[:-2] if k.endswith("_s") else k, v)
                                         for k, v in res["steps"].items()) + "."]
    return "\n".join(L) + "\n"


def write_markdown(path, text):
    """Put text between MARK_BEGIN/MARK_END in path: replacing what is
    between them if the file has them, else appended (file created if
    missing), so that the rest of the file is never touched."""
    block = MARK_BEGIN + "\n" + text + MARK_END + "\n"
    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    b, e = old.find(MARK_BEGIN), old.find(MARK_END)
    if b >= 0 and e > b:
        new = old[:b] + block + old[e + len(MARK_END):].lstrip("\n")
    elif b >= 0 or e >= 0:
        raise BenchError("%s has only one of ann_bench.py's markers; fix it by hand" % path)
    else:
        sep = "" if not old else ("\n" if old.endswith("\n") else "\n\n")
        new = old + sep + block
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------

def write_plot(path, a, res):
    """Recall@k against queries per second: hnswlib in-process, vecgraph
    through PostgreSQL as a client sees it, and vecgraph's own work (its
    latency less the floor of a statement that does no search)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=110)
    if "hnswlib" in res:
        rows = sorted(res["hnswlib"]["rows"], key=lambda r: r["recall"])
        ax.plot([r["recall"] for r in rows], [r["qps"] for r in rows], "o-", color="tab:gray",
                label="hnswlib, C++ -O3 -march=native, in-process")
    if "pg" in res:
        rows = [r for r in res["pg"]["rows"] if r["ef"] is not None]
        rec = [r["recall"] for r in rows]
        ax.plot(rec, [r["qps"] for r in rows], "s-", color="tab:blue",
                label="vecgraph through PostgreSQL (one client, prepared statement)")
        floor = res["pg"].get("floor")
        if floor:
            work = [1000.0 / max(r["p50_ms"] - floor["p50_ms"], 1e-3) for r in rows]
            ax.plot(rec, work, "s--", color="tab:blue", alpha=0.55,
                    label="vecgraph, client floor (SELECT 0: %.3f ms) removed" % floor["p50_ms"])
        for r in rows:
            ax.annotate("ef %d" % r["ef"], (r["recall"], r["qps"]), textcoords="offset points",
                        xytext=(4, -11), fontsize=7, color="tab:blue")
    ax.set_yscale("log")
    ax.set_xlabel("recall@%d" % a.k)
    ax.set_ylabel("queries per second (log scale)")
    ax.set_title("%s: %d x %d, %d queries; m %d, ef_construction %d (%s)"
                 % (a.dataset, res["data"]["n"], res["data"]["dim"], res["data"]["queries"],
                    a.m, a.ef_construction, res["date"]), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv):
    a = parse_args(argv)
    t_all = time.perf_counter()
    steps = {}
    res = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
           "command": "/usr/bin/python3 test/bench/ann_bench.py " +
                      " ".join(shlex.quote(x) for x in argv),
           "machine": machine_info(), "steps": steps,
           "settings": {k: v for k, v in vars(a).items()}}
    mi = res["machine"]
    print("machine: nproc %d (of %d CPUs), %s, Linux %s"
          % (mi["nproc"], mi["cpus"], mi["cpu"], mi["kernel"]))
    print("settings: dataset %s, queries %d%s, k %d, M %d, ef_construction %d, ef_search %s, "
          "hnswlib ef %s, repeats %d, index %s, workers %d"
          % (a.dataset, a.queries,
             "" if a.pg_queries is None else " (PostgreSQL: %d)" % a.pg_queries,
             a.k, a.m, a.ef_construction, ",".join(map(str, a.ef_search)),
             ",".join(map(str, a.hnswlib_ef)), a.repeats, a.index, a.workers))
    sys.stdout.flush()

    say("loading %s" % a.dataset)
    t = time.perf_counter()
    base, queries, key, desc = load_data(a)
    steps["load_data_s"] = time.perf_counter() - t
    res["data"] = {"description": desc, "n": base.shape[0], "dim": base.shape[1],
                   "queries": queries.shape[0]}
    if a.k > base.shape[0]:
        raise BenchError("--k %d exceeds the %d base vectors" % (a.k, base.shape[0]))

    say("exact top-%d ground truth of %d queries (cache: %s)"
        % (a.k, queries.shape[0], datasets.cache_dir()))
    t = time.perf_counter()
    gt = datasets.exact_ground_truth(base, queries, a.k, key)
    steps["ground_truth_s"] = time.perf_counter() - t

    tmp = tempfile.mkdtemp(prefix="vecgraph-ann-")
    try:
        run_all(a, res, steps, base, queries, key, gt, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    steps["total_s"] = time.perf_counter() - t_all
    write_results(a, res)
    return 0


def run_all(a, res, steps, base, queries, key, gt, tmp):
    """The hnswlib reference, then PostgreSQL's steps; tmp holds hnswlib's
    files and its saved index, which the work-per-query step searches again
    between PostgreSQL's passes."""
    reference = None
    if not a.skip_hnswlib:
        t = time.perf_counter()
        command = hnswlib_command(a, base, queries, gt, tmp)
        saved = os.path.join(tmp, "hnswlib.index")
        build, rows = run_hnswlib(a, command, [
            "--builds", str(a.build_repeats), "--ef", ",".join(map(str, a.hnswlib_ef)),
            "--repeats", str(a.repeats), "--warmup", "1", "--save", saved])
        steps["hnswlib_s"] = time.perf_counter() - t
        res["hnswlib"] = {"build": build, "rows": rows}
        res["frontier"] = pareto_frontier([(r["recall"], r["qps"]) for r in rows])

        def reference():
            """One pass of hnswlib at every ef: {ef: p50 ms}."""
            _, again = run_hnswlib(a, command, [
                "--load", saved, "--ef", ",".join(map(str, a.hnswlib_ef)),
                "--repeats", "1", "--warmup", "1"], quiet=True)
            return {r["ef"]: r["p50_ms"] for r in again}

    if not a.skip_postgres:
        pg = Postgres(a)
        try:
            say("PostgreSQL: creating database %s (%s)" % (a.dbname, describe_server_env()))
            pg.setup()
            say("PostgreSQL %s, vecgraph %s: loading %d vectors by COPY"
                % (pg.server_version, pg.ext_version, base.shape[0]))
            t = time.perf_counter()
            load = pg.load(base)
            steps["pg_load_s"] = time.perf_counter() - t
            r = {"server_version": pg.server_version, "ext_version": pg.ext_version,
                 "settings": pg.settings, "load": load}
            if a.index == "vecgraph":
                t = time.perf_counter()
                nq_build = a.pg_queries or queries.shape[0]
                r["index"] = pg.build_index(queries[:nq_build], gt[:nq_build])
                steps["pg_create_index_s"] = time.perf_counter() - t
            nq = a.pg_queries or queries.shape[0]
            r["queries"] = nq
            t = time.perf_counter()
            efs = [None] if a.index == "none" else a.ef_search
            r["rows"], r["explain"], r["floor"] = pg.search(queries[:nq], gt[:nq], efs)
            steps["pg_search_s"] = time.perf_counter() - t
            if a.index == "vecgraph" and not a.skip_work and "hnswlib" in res:
                t = time.perf_counter()
                r["work"] = pg.work_per_query(queries[:nq], a.ef_search, reference)
                r["work_summary"] = work_per_query.summary(
                    r["work"], r["rows"], res["hnswlib"]["rows"], a.work_recalls)
                steps["pg_work_s"] = time.perf_counter() - t
            if a.index == "vecgraph":
                t = time.perf_counter()
                r["throughput"] = pg.throughput(queries[:nq])
                steps["pg_pgbench_s"] = time.perf_counter() - t
            if a.delete_fraction > 0 and a.index == "vecgraph":
                t = time.perf_counter()
                r["deletes"] = pg.after_deletes(base, queries[:nq], key)
                steps["pg_deletes_s"] = time.perf_counter() - t
            res["pg"] = r
        finally:
            pg.close()


def write_results(a, res):
    """Prints the report and writes what --markdown, --json and --plot ask;
    checks the harness's exact scan."""
    report = build_report(a, res)
    print()
    print(report, end="")
    sys.stdout.flush()
    if a.markdown:
        write_markdown(a.markdown, report)
        say("results written to %s" % a.markdown)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1, default=str)
        say("raw results written to %s" % a.json)
    if a.plot:
        write_plot(a.plot, a, res)
        say("recall/QPS curves drawn into %s" % a.plot)

    if a.index == "none" and "pg" in res:
        rec = res["pg"]["rows"][0]["recall"]
        if rec < 1.0:
            raise BenchError("the exact scan found recall@%d = %.4f, not 1: the harness, the "
                             "ground truth or the <-> operator is wrong" % (a.k, rec))
        say("harness check passed: the exact scan has recall@%d = 1" % a.k)


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
    except datasets.DatasetError as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
