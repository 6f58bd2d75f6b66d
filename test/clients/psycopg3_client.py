"""vecgraph through psycopg 3 with binary parameters and results, as
pgvector-python sets it up: a dumper and a loader for the vector type in
its binary wire format.  Connects with libpq's environment; exits non-zero
on the first mismatch."""

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types import TypeInfo

from wire import vector_from_binary, vector_to_binary


class Vector(tuple):
    """A vector parameter (pgvector-python uses numpy arrays)."""


def register_vector(conn):
    info = TypeInfo.fetch(conn, "vector")
    if info is None:
        raise RuntimeError("the vector type is not in this database")

    class VectorBinaryDumper(Dumper):
        format = Format.BINARY
        oid = info.oid

        def dump(self, obj):
            return vector_to_binary(obj)

    class VectorBinaryLoader(Loader):
        format = Format.BINARY

        def load(self, data):
            return vector_from_binary(bytes(data))

    conn.adapters.register_dumper(Vector, VectorBinaryDumper)
    conn.adapters.register_loader(info.oid, VectorBinaryLoader)


def main():
    with psycopg.connect("", autocommit=True) as conn:
        register_vector(conn)
        conn.execute("CREATE TABLE py3_items (id int PRIMARY KEY, embedding vector(3))")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO py3_items VALUES (%s, %b)",
                            [(i, Vector((i, i * 2.0, -i))) for i in range(1, 201)])
        conn.execute("CREATE INDEX ON py3_items USING vecgraph (embedding vector_l2_ops)")
        conn.execute("SET enable_seqscan = off")
        with conn.cursor(binary=True) as cur:
            cur.execute("SELECT id, embedding FROM py3_items ORDER BY embedding <-> %b LIMIT 3",
                        (Vector((10.2, 20.4, -10.2)),))
            rows = cur.fetchall()
        assert [r[0] for r in rows] == [10, 11, 9], rows
        assert rows[0][1] == [10.0, 20.0, -10.0], rows
        with conn.cursor(binary=True) as cur:
            cur.execute("SELECT %b::vector(3)", (Vector((1.5, -2.0, 3.25)),))
            assert cur.fetchone()[0] == [1.5, -2.0, 3.25]
        assert conn.execute(
            "SELECT count(*) FROM vecgraph_check('py3_items_embedding_idx')").fetchone()[0] == 0
    print("psycopg %s: binary parameters and results, nearest neighbours: ok" % psycopg.__version__)


if __name__ == "__main__":
    main()
