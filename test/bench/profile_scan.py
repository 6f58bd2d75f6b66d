#!/usr/bin/python3
"""Where a vecgraph scan's time goes: perf samples of one backend running
prepared nearest-neighbour queries, grouped into distance computation,
buffer access and locking, graph-search bookkeeping, and everything else
(executor, protocol, parsing the query vector).

Needs perf (Debian's linux-perf) allowed to sample the backend (run as root)
and a running cluster reachable through the PG* environment variables with
a table that has a vecgraph index, e.g. the one ann_bench.py --keep-db
leaves:  profile_scan.py --table items --column embedding --seconds 5
"""
import argparse
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

CATEGORIES = [
    ("distance computation (kernels, vector memory)",
     re.compile(r"^(avx512_|avx2_|scalar_|StoreDistances$|PrefetchRange|vg_metric_distance)")),
    ("buffer access and locking",
     re.compile(r"^(PinBlock|ReadRecentBuffer|ReadBuffer|ReadBuffer_common|LockBuffer|"
                r"LWLock|ItemOnPage|LockBufHdr|UnpinBuffer|ReleaseBuffer|PinBuffer|"
                r"BufTableLookup|hash_search_with_hash_value|ResourceOwner|LockBlock|"
                r"VgStoreLockNode|VgStoreUnlock|BufferGetBlockNumber)")),
    ("graph search bookkeeping (heaps, visited set, node cache)",
     re.compile(r"^(vg_heap_|vg_visited_|vg_hnsw_|VgNodeCache|CacheNode|expand|consider|"
                r"vg_candidates_sort|SearchRound|NextOfRound|vggettuple)")),
]


def categorise(report):
    """Sums perf's self percentages per category; the rest is 'other'."""
    totals = {name: 0.0 for name, _ in CATEGORIES}
    totals["executor, protocol, query parsing, kernel (other)"] = 0.0
    for line in report.splitlines():
        m = re.match(r"\s*([0-9.]+)%\s+\S+\s+\[[.k]\]\s+(\S+)", line)
        if not m:
            continue
        pct, sym = float(m.group(1)), m.group(2)
        for name, pattern in CATEGORIES:
            if pattern.search(sym):
                totals[name] += pct
                break
        else:
            totals["executor, protocol, query parsing, kernel (other)"] += pct
    return totals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", default="items")
    ap.add_argument("--column", default="embedding")
    ap.add_argument("--ef-search", type=int, default=40)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--top", type=int, default=0, help="also list the N busiest functions")
    args = ap.parse_args()

    _, test = datasets.load_fashion_mnist()
    queries = ["[" + ",".join("%g" % x for x in q) + "]" for q in test[:2000]]
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    cur.execute("SET vecgraph.ef_search = %d" % args.ef_search)
    cur.execute("PREPARE knn(vector) AS SELECT id FROM %s ORDER BY %s <-> $1 LIMIT %d"
                % (args.table, args.column, args.k))
    for q in queries[:200]:
        cur.execute("EXECUTE knn(%s)", (q,))
        cur.fetchall()

    stop = threading.Event()
    done = [0]

    def load():
        i = 0
        while not stop.is_set():
            cur.execute("EXECUTE knn(%s)", (queries[i % len(queries)],))
            cur.fetchall()
            i += 1
        done[0] = i

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        worker = threading.Thread(target=load)
        worker.start()
        time.sleep(0.5)
        started = time.time()
        subprocess.run(["perf", "record", "-q", "-p", str(pid), "-o", data, "--",
                        "sleep", str(args.seconds)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stop.set()
        worker.join()
        elapsed = time.time() - started
        report = subprocess.run(["perf", "report", "-i", data, "--no-children",
                                 "--sort", "dso,symbol", "--stdio"],
                                check=True, capture_output=True, text=True).stdout
    totals = categorise(report)
    print("queries: %d in %.1f s under perf (%.0f QPS), ef_search %d, k %d"
          % (done[0], elapsed, done[0] / elapsed, args.ef_search, args.k))
    print("\n| where the backend's time goes | share |\n|---|--:|")
    for name, pct in totals.items():
        print("| %s | %.1f%% |" % (name, pct))
    if args.top:
        print("\nThe %d busiest functions:\n" % args.top)
        lines = [l for l in report.splitlines() if re.match(r"^\s+[0-9.]+%", l)]
        print("\n".join(lines[:args.top]))


if __name__ == "__main__":
    main()
