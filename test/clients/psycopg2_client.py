"""vecgraph through psycopg2, as an application uses it: vectors as text
parameters and results, a nearest-neighbour query through the index, and
binary COPY in and out in pgvector's wire format.  Connects with libpq's
environment (PGHOST, PGPORT, ...); exits non-zero on the first mismatch."""

import io
import struct

import psycopg2

from wire import copy_binary, parse_copy_binary


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE TABLE py2_items (id int PRIMARY KEY, embedding vector(3))")
    cur.execute("INSERT INTO py2_items VALUES (%s, %s), (%s, %s), (%s, %s)",
                (1, "[1,1,1]", 2, "[2,2,2]", 3, "[1,1,2]"))
    cur.execute("CREATE INDEX ON py2_items USING vecgraph (embedding vector_l2_ops)")
    cur.execute("SET enable_seqscan = off")
    cur.execute("SELECT id, embedding FROM py2_items ORDER BY embedding <-> %s LIMIT 3",
                ("[1,1,1]",))
    rows = cur.fetchall()
    assert [r[0] for r in rows] == [1, 3, 2], rows
    assert rows[0][1] == "[1,1,1]", rows

    vectors = {id_: [id_ * 0.5, -id_ * 0.25, 1e-3 * id_] for id_ in range(4, 104)}
    cur.copy_expert("COPY py2_items (id, embedding) FROM STDIN WITH (FORMAT binary)",
                    io.BytesIO(copy_binary(vectors)))
    out = io.BytesIO()
    cur.copy_expert("COPY (SELECT id, embedding FROM py2_items WHERE id >= 4 ORDER BY id) "
                    "TO STDOUT WITH (FORMAT binary)", out)
    back = parse_copy_binary(out.getvalue())
    assert back.keys() == vectors.keys()
    for id_, v in vectors.items():
        assert back[id_] == [struct.unpack("!f", struct.pack("!f", x))[0] for x in v], id_

    cur.execute("SELECT id FROM py2_items ORDER BY embedding <-> %s LIMIT 1", ("[25,-12.5,0.05]",))
    assert cur.fetchone()[0] == 50
    cur.execute("SELECT count(*) FROM vecgraph_check('py2_items_embedding_idx')")
    assert cur.fetchone()[0] == 0
    print("psycopg2 %s: text parameters, nearest neighbours, binary COPY in and out: ok"
          % psycopg2.__version__)


if __name__ == "__main__":
    main()
