"""A benchmark's own database, created afresh on the cluster named by the
PG* environment variables, with the vecgraph extension and session settings."""
import os
import re
import subprocess
import tempfile

import psycopg2


def knn_query(table, k):
    """The pgbench benchmarks' search: the k nearest rows of table to the
    vector of bench_queries row :qid."""
    return ("SELECT id FROM %s ORDER BY embedding <-> "
            "(SELECT v FROM bench_queries WHERE id = :qid) LIMIT %d" % (table, k))


def pgbench_knn(dbname, table, n_queries, ef, clients, seconds, k=10, workers=0):
    """pgbench running knn_query(table, k) for a random :qid below
    n_queries a transaction, -M prepared, over clients connections at
    ef_search ef and max_parallel_workers_per_gather workers.  Returns
    (transactions a second, average latency in ms or None); raises
    RuntimeError when pgbench fails."""
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "knn.sql")
        with open(script, "w") as f:
            f.write("\\set qid random(0, %d)\n%s;\n" % (n_queries - 1, knn_query(table, k)))
        env = dict(os.environ, PGDATABASE=dbname,
                   PGOPTIONS="-c vecgraph.ef_search=%d -c max_parallel_workers_per_gather=%d"
                   % (ef, workers))
        cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(clients),
               "-j", str(min(clients, os.cpu_count() or 1)), "-T", str(seconds), "-f", script]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout)
    if out.returncode != 0 or m is None:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), out.stderr.strip()))
    lat = re.search(r"latency average = ([0-9.]+) ms", out.stdout)
    return float(m.group(1)), (float(lat.group(1)) if lat else None)


class FreshDb:
    def __init__(self, name, settings=()):
        self.name = name
        admin = psycopg2.connect(dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as c:
            c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
            c.execute("CREATE DATABASE " + name)
        admin.close()
        self.conn = psycopg2.connect(dbname=name)
        self.conn.autocommit = True
        self.sql("CREATE EXTENSION vecgraph")
        for s in settings:
            self.sql("SET " + s)

    def sql(self, q, args=None):
        c = self.conn.cursor()
        c.execute(q, args)
        return c

    def one(self, q, args=None):
        return self.sql(q, args).fetchone()

    def close(self, drop):
        self.conn.close()
        if drop:
            admin = psycopg2.connect(dbname="postgres")
            admin.autocommit = True
            admin.cursor().execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
            admin.close()
