"""pgvector's binary wire format and COPY's binary framing, as client code
writes them: int16 dimensions, int16 zero, float4 values, network order."""

import struct

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)


def vector_to_binary(v):
    return struct.pack("!hh%df" % len(v), len(v), 0, *v)


def vector_from_binary(data):
    dim, unused = struct.unpack_from("!hh", data)
    assert unused == 0
    return list(struct.unpack_from("!%df" % dim, data, 4))


def copy_binary(rows):
    """COPY ... FORMAT binary data of (int id, vector) rows from {id: vector}."""
    out = [HEADER]
    for id_, v in rows.items():
        field = vector_to_binary(v)
        out.append(struct.pack("!hii", 2, 4, id_) + struct.pack("!i", len(field)) + field)
    out.append(struct.pack("!h", -1))
    return b"".join(out)


def parse_copy_binary(data):
    """{id: vector} from COPY ... FORMAT binary data of (int id, vector) rows."""
    assert data.startswith(HEADER[:11])
    pos = len(HEADER)
    rows = {}
    while True:
        (fields,) = struct.unpack_from("!h", data, pos)
        pos += 2
        if fields == -1:
            return rows
        _, id_, length = struct.unpack_from("!iii", data, pos)
        pos += 12
        rows[id_] = vector_from_binary(data[pos:pos + length])
        pos += length
