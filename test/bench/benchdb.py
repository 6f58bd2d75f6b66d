"""A benchmark's own database, created afresh on the cluster named by the
PG* environment variables, with the vecgraph extension and session settings."""
import psycopg2


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
