"""The index's work per query at a matched recall, as issue 11 defines it:
the p50 latency of the k-NN query minus the p50 of a floor query that does
no search (`PREPARE floor(vector) AS SELECT 0`, the same parameter text),
against native hnswlib's p50 at the same recall.

Three clients are measured, because on a virtual machine the floor does not
take out everything that is not the index's:

  block  psycopg2 as applications use it: the client sleeps in recv() while
         the server works.  A sleeping virtual CPU halts, and waking it when
         the answer comes costs tens of microseconds once the server took
         longer than the hypervisor polls for it (about 0.1 ms here).  The
         floor's answer comes sooner than that and does not pay it, so the
         difference of the two p50s holds that wake-up besides the index's
         work.
  spin   the same statements on an asynchronous connection polled in a busy
         loop: the client's CPU never halts, so the difference is the
         server's extra work (the index, the heap fetches, the executor).
  one-cpu  the blocking client with itself and its backend bound to the
         same CPU (sched_setaffinity; needs root, or is left out): the
         answer wakes a client on the CPU that sends it, so no halted CPU
         is woken, and floor and k-NN query pay the same round trip.  On
         these machines its difference comes within about 0.02 ms of
         EXPLAIN ANALYZE's execution time; the client is bound only while
         it times a pass, so that nothing else (hnswlib's passes) runs
         bound.

The server side alone is measured too: EXPLAIN (ANALYZE, TIMING off)'s
execution time, which holds the index scan and the heap fetches but no
parsing, protocol or client.

Floor and k-NN passes alternate at every ef, so that the machine's drift
over the run weighs on both alike.
"""

import contextlib
import os
import re
import statistics
import time

import numpy as np


def _p50(values):
    s = sorted(values)
    return s[max(int(np.ceil(0.5 * len(s))), 1) - 1]


CLIENTS = ("block", "spin", "one-cpu")


def one_cpu_possible():
    """Whether this process may bind another user's process (a backend) to
    a CPU: only root may."""
    return hasattr(os, "sched_setaffinity") and os.geteuid() == 0


def clients():
    return [c for c in CLIENTS if c != "one-cpu" or one_cpu_possible()]


class Session:
    """One connection, blocking or polled in a busy loop; one_cpu binds its
    backend to the first CPU this process may run on, and this process to
    it while a pass is timed (bound())."""

    def __init__(self, psycopg2, dbname, spin, one_cpu=False):
        import psycopg2.extensions as ext
        self.ext = ext
        self.spin = spin
        self.conn = psycopg2.connect("", dbname=dbname, async_=1 if spin else 0)
        if spin:
            self._wait()
        else:
            self.conn.autocommit = True
        self.cur = self.conn.cursor()
        self.cpu = None
        if one_cpu:
            self.cpu = min(os.sched_getaffinity(0))
            os.sched_setaffinity(self.conn.get_backend_pid(), {self.cpu})

    @contextlib.contextmanager
    def bound(self):
        if self.cpu is None:
            yield
            return
        saved = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {self.cpu})
        try:
            yield
        finally:
            os.sched_setaffinity(0, saved)

    def _wait(self):
        while self.conn.poll() != self.ext.POLL_OK:
            pass

    def run(self, sql):
        self.cur.execute(sql)
        if self.spin:
            self._wait()
        return self.cur.fetchall() if self.cur.description is not None else None

    def close(self):
        self.conn.close()


def _timed_pass(session, stmts):
    lat = []
    with session.bound():
        for stmt in stmts:
            t = time.perf_counter()
            session.run(stmt)
            lat.append(time.perf_counter() - t)
    return _p50(lat) * 1000.0


def _server_p50(session, stmts):
    out = []
    for stmt in stmts:
        plan = "\n".join(r[0] for r in session.run(
            "EXPLAIN (ANALYZE, TIMING off, SUMMARY on) " + stmt))
        out.append(float(re.search(r"Execution Time: ([0-9.]+) ms", plan).group(1)))
    return _p50(out)


def measure(psycopg2, dbname, texts, efs, k, repeats, setup_sql, reference=None):
    """{client: {"floor_p50_ms", "p50_ms": {ef: ...}}}, "server_p50_ms": {ef:
    execution p50} and, when reference() is given (a pass of the reference
    library, {ef: p50 ms}), "reference_p50_ms": {ef: median of its passes},
    one pass at the start of every round; texts are the query vectors' text
    forms."""
    knn = ["EXECUTE knn('%s')" % t for t in texts]
    floor = ["EXECUTE floor('%s')" % t for t in texts]
    out = {}
    ref_runs = []
    for client in clients():
        s = Session(psycopg2, dbname, client == "spin", client == "one-cpu")
        try:
            for sql in setup_sql:
                s.run(sql)
            s.run("PREPARE floor(vector) AS SELECT 0")
            s.run("PREPARE knn(vector) AS SELECT id FROM items ORDER BY embedding <-> $1 "
                  "LIMIT %d" % k)
            for ef in efs:
                s.run("SET vecgraph.ef_search = %d" % ef)
                _timed_pass(s, knn)                 # warm-up
            floors, runs = [], {ef: [] for ef in efs}
            for _ in range(repeats):
                if reference is not None:
                    ref_runs.append(reference())
                for ef in efs:
                    s.run("SET vecgraph.ef_search = %d" % ef)
                    floors.append(_timed_pass(s, floor))
                    runs[ef].append(_timed_pass(s, knn))
            out[client] = {"floor_p50_ms": statistics.median(floors),
                           "p50_ms": {ef: statistics.median(v) for ef, v in runs.items()}}
            if client == "block":
                server = {}
                for ef in efs:
                    s.run("SET vecgraph.ef_search = %d" % ef)
                    server[ef] = _server_p50(s, knn)
                out["server_p50_ms"] = server
        finally:
            s.close()
    if ref_runs:
        out["reference_p50_ms"] = {ef: statistics.median(r[ef] for r in ref_runs)
                                   for ef in ref_runs[0]}
        out["reference_passes"] = len(ref_runs)
    return out


def interpolate(points, recall):
    """points: (recall, value) by ef; value at `recall`, linear between the
    two points around it; None outside their range."""
    pts = sorted(points)
    for (r0, v0), (r1, v1) in zip(pts, pts[1:]):
        if r0 <= recall <= r1:
            return v0 if r1 == r0 else v0 + (recall - r0) / (r1 - r0) * (v1 - v0)
    return None


def summary(work, rows, hnswlib_rows, targets):
    """Per target recall: hnswlib's p50 (from its passes between ours when
    there were any), and per client our p50, the floor's, the work and its
    ratio to hnswlib's; also the server-side execution p50."""
    ours = {r["ef"]: r["recall"] for r in rows}
    between = work.get("reference_p50_ms")
    ref_points = [(r["recall"], between[r["ef"]] if between else r["p50_ms"])
                  for r in hnswlib_rows]
    out = []
    for target in targets:
        ref = interpolate(ref_points, target)
        line = {"recall": target, "hnswlib_p50_ms": ref}
        for client in (c for c in CLIENTS if c in work):
            w = work[client]
            p50 = interpolate([(ours[ef], v) for ef, v in w["p50_ms"].items()], target)
            line[client] = None if p50 is None else {
                "p50_ms": p50, "floor_p50_ms": w["floor_p50_ms"],
                "work_ms": p50 - w["floor_p50_ms"],
                "ratio": (p50 - w["floor_p50_ms"]) / ref if ref else None}
        line["server_p50_ms"] = interpolate(
            [(ours[ef], v) for ef, v in work["server_p50_ms"].items()], target)
        out.append(line)
    return out


def markdown(lines, md_table):
    """The summary as a table (md_table from ann_bench)."""
    rows = []
    for ln in lines:
        for client in (c for c in CLIENTS if c in ln):
            c = ln[client]
            rows.append(["%.3f" % ln["recall"], client,
                         "%.3f" % ln["hnswlib_p50_ms"] if ln["hnswlib_p50_ms"] else "—",
                         "%.3f" % c["p50_ms"] if c else "—",
                         "%.3f" % c["floor_p50_ms"] if c else "—",
                         "%.3f" % c["work_ms"] if c else "—",
                         "**%.2f×**" % c["ratio"] if c and c["ratio"] else "—",
                         "%.3f" % ln["server_p50_ms"] if ln["server_p50_ms"] else "—"])
    return md_table(["recall@k", "client", "hnswlib p50 ms", "vecgraph p50 ms",
                     "floor p50 ms", "work ms (p50 - floor)", "work / hnswlib",
                     "server execution p50 ms"], rows, "rlrrrrrr")
