"""Data sets for vecgraph's demo and benchmarks.

Importable with numpy and the standard library only:

    load_fashion_mnist()          the 60,000 + 10,000 images of Debian's
                                  dataset-fashion-mnist package as float32
                                  vectors (784 values 0..255 each: the
                                  fashion-mnist-784-euclidean set of ANN
                                  benchmarks)
    load_fashion_mnist_labels()   their class labels (0..9)
    synthetic_clustered()         seeded clustered Gaussian vectors
    exact_ground_truth()          exact L2 k-nearest neighbours, cached
    copy_text() / write_copy()    PostgreSQL COPY text-format rows

Running the file checks itself: `/usr/bin/python3 test/bench/datasets.py`.
"""

import gzip
import io
import os
import re
import struct
import sys
import tempfile

import numpy as np

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_PACKAGE = "dataset-fashion-mnist"
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

_IDX_IMAGES_MAGIC = 0x00000803     # unsigned byte, 3 dimensions
_IDX_LABELS_MAGIC = 0x00000801     # unsigned byte, 1 dimension

_FASHION_FILES = {
    ("train", "images"): ("train-images-idx3-ubyte.gz", 60000),
    ("test", "images"): ("t10k-images-idx3-ubyte.gz", 10000),
    ("train", "labels"): ("train-labels-idx1-ubyte.gz", 60000),
    ("test", "labels"): ("t10k-labels-idx1-ubyte.gz", 10000),
}


class DatasetError(RuntimeError):
    """A data set is missing or not what it should be."""


# ---------------------------------------------------------------------------
# Fashion-MNIST (IDX files)
# ---------------------------------------------------------------------------

def _fashion_path(split, kind):
    name, _ = _FASHION_FILES[(split, kind)]
    return os.path.join(
        os.environ.get("VECGRAPH_FASHION_MNIST_DIR", FASHION_MNIST_DIR), name)


def fashion_mnist_available():
    """True when all four Fashion-MNIST files are readable."""
    return all(os.access(_fashion_path(s, k), os.R_OK) for s, k in _FASHION_FILES)


def _read_idx(path, magic, expect_count, item_shape_len):
    """Read a gzip'ed IDX file of unsigned bytes; returns a uint8 array."""
    if not os.path.exists(path):
        raise DatasetError(
            "%s not found; install Debian's %s package "
            "(apt-get install %s)" % (path, FASHION_MNIST_PACKAGE,
                                       FASHION_MNIST_PACKAGE))
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DatasetError("cannot read %s: %s (reinstall the %s package)"
                           % (path, e, FASHION_MNIST_PACKAGE)) from e
    header_len = 4 * (2 + item_shape_len)
    if len(data) < header_len:
        raise DatasetError("%s: truncated IDX header" % path)
    got_magic, = struct.unpack(">I", data[:4])
    if got_magic != magic:
        raise DatasetError("%s: IDX magic number 0x%08x, expected 0x%08x"
                           % (path, got_magic, magic))
    dims = struct.unpack(">%dI" % (1 + item_shape_len), data[4:header_len])
    if dims[0] != expect_count:
        raise DatasetError("%s: %d items, expected %d"
                           % (path, dims[0], expect_count))
    want = int(np.prod(dims))
    if len(data) - header_len != want:
        raise DatasetError("%s: %d bytes of data, expected %d"
                           % (path, len(data) - header_len, want))
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(dims)


def _load_images(split):
    name, count = _FASHION_FILES[(split, "images")]
    a = _read_idx(_fashion_path(split, "images"), _IDX_IMAGES_MAGIC, count, 2)
    if a.shape[1:] != (28, 28):
        raise DatasetError("%s: images of %dx%d, expected 28x28"
                           % (_fashion_path(split, "images"), *a.shape[1:]))
    return a.reshape(count, 784).astype(np.float32)


def load_fashion_mnist():
    """(train, test): float32 arrays of 60000x784 and 10000x784, values 0..255
    exactly as stored (no scaling), rows in file order."""
    return _load_images("train"), _load_images("test")


def load_fashion_mnist_labels():
    """(train, test): uint8 class labels 0..9 (see FASHION_MNIST_CLASSES)."""
    out = []
    for split in ("train", "test"):
        name, count = _FASHION_FILES[(split, "labels")]
        path = _fashion_path(split, "labels")
        a = _read_idx(path, _IDX_LABELS_MAGIC, count, 0)
        if a.size and a.max() > 9:
            raise DatasetError("%s: label %d out of range 0..9" % (path, a.max()))
        out.append(a.copy())
    return tuple(out)


# ---------------------------------------------------------------------------
# Synthetic clustered vectors
# ---------------------------------------------------------------------------

def _chunk_rows(dim, target_values=1 << 22):
    """Rows per chunk so that a chunk holds about 4M values (16 MB)."""
    return max(1, target_values // max(1, dim))


def synthetic_clustered(n, dim, clusters=64, seed=0, spread=(0.15, 0.5),
                        return_labels=False):
    """n x dim float32 vectors drawn from `clusters` Gaussian clusters.

    Cluster centres are N(0, 1) per coordinate; each cluster has its own
    spread (standard deviation, drawn uniformly from `spread`) and its own
    share of the points (Dirichlet weights, so sizes differ).  The result is
    a function of (n, dim, clusters, seed, spread) only, and the first m rows
    of a larger set equal the set of m rows.  Memory beyond the output array
    is one chunk of about 16 MB.  With return_labels, also returns the int32
    cluster of every row.
    """
    if n < 0 or dim <= 0 or clusters <= 0:
        raise ValueError("need n >= 0, dim > 0, clusters > 0")
    params = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    centres = params.standard_normal((clusters, dim)).astype(np.float32)
    sigma = params.uniform(spread[0], spread[1], clusters).astype(np.float32)
    weights = params.dirichlet(np.full(clusters, 2.0))
    cumulative = np.cumsum(weights)
    cumulative[-1] = 1.0

    out = np.empty((n, dim), dtype=np.float32)
    labels = np.empty(n, dtype=np.int32) if return_labels else None
    step = _chunk_rows(dim)
    for ci, start in enumerate(range(0, n, step)):
        stop = min(n, start + step)
        # Generators per chunk, one for the clusters and one for the noise:
        # a row depends on its chunk and position only.
        rng = np.random.default_rng(np.random.SeedSequence([seed, 2, ci]))
        noise = np.random.default_rng(np.random.SeedSequence([seed, 3, ci]))
        assign = np.searchsorted(cumulative, rng.random(stop - start),
                                 side="right").astype(np.int32)
        np.minimum(assign, clusters - 1, out=assign)
        block = out[start:stop]
        noise.standard_normal(out=block, dtype=np.float32)
        block *= sigma[assign, None]
        block += centres[assign]
        if labels is not None:
            labels[start:stop] = assign
    return (out, labels) if return_labels else out


# ---------------------------------------------------------------------------
# Exact ground truth
# ---------------------------------------------------------------------------

def cache_dir():
    """$VECGRAPH_CACHE, else ~/.cache/vecgraph (created on demand)."""
    d = os.environ.get("VECGRAPH_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "vecgraph")
    os.makedirs(d, exist_ok=True)
    return d


def _approx_candidates_faiss(faiss, base, queries, kc):
    """(ids, dists) of the kc+1 approximately nearest, sorted, via faiss."""
    index = faiss.IndexFlatL2(base.shape[1])
    index.add(base)
    d, i = index.search(queries, kc + 1)
    return i.astype(np.int64), d.astype(np.float64)


def _approx_candidates_numpy(base, queries, kc):
    """(ids, dists) of the kc+1 approximately nearest (the last column being
    the nearest one left out; the others in no order) via float32 GEMM."""
    n = base.shape[0]
    nq = queries.shape[0]
    ids = np.empty((nq, kc + 1), dtype=np.int64)
    dists = np.empty((nq, kc + 1), dtype=np.float64)
    bnorm = np.einsum("ij,ij->i", base, base)
    # A distance block of at most ~256 MB.
    qstep = max(1, min(nq, (64 << 20) // max(1, n)))
    for qs in range(0, nq, qstep):
        q = queries[qs:qs + qstep]
        d = q @ base.T
        d *= -2.0
        d += bnorm[None, :]
        d += np.einsum("ij,ij->i", q, q)[:, None]
        # Position kc holds the (kc+1)-th smallest: it bounds what is left out.
        part = np.argpartition(d, kc, axis=1)[:, :kc + 1]
        pd = np.take_along_axis(d, part, axis=1)
        ids[qs:qs + qstep] = part
        dists[qs:qs + qstep] = pd
    return ids, dists


def _exact_sq_dists(base, q, ids):
    """Squared L2 distances in float64 from q to base[ids] (rows of ids)."""
    diff = base[ids].astype(np.float64) - q.astype(np.float64)[..., None, :]
    return np.einsum("...j,...j->...", diff, diff)


def _exact_knn_brute(base, q, k):
    """k nearest of one query over all of base, exactly (float64), ties by id."""
    qd = q.astype(np.float64)
    d = np.empty(base.shape[0], dtype=np.float64)
    step = _chunk_rows(base.shape[1])
    for s in range(0, base.shape[0], step):
        diff = base[s:s + step].astype(np.float64) - qd
        d[s:s + step] = np.einsum("ij,ij->i", diff, diff)
    order = np.lexsort((np.arange(d.size), d))
    return order[:k]


def _compute_ground_truth(base, queries, k, use_faiss=None):
    n = base.shape[0]
    nq = queries.shape[0]
    if n == 0:
        raise ValueError("empty base set")
    k_out = min(k, n)
    kc = k_out + max(k_out, 32)          # candidates to re-rank exactly
    if kc >= n:
        # Everything is a candidate: exact by construction.
        return np.stack([_exact_knn_brute(base, q, k_out) for q in queries]) \
            if nq else np.empty((0, k_out), dtype=np.int64)

    faiss = None
    if use_faiss is not False:
        try:
            import faiss  # noqa: F811  (Debian: python3-faiss)
        except ImportError:
            if use_faiss:
                raise
            faiss = None
    if faiss is not None:
        cand, approx = _approx_candidates_faiss(faiss, base, queries, kc)
    else:
        cand, approx = _approx_candidates_numpy(base, queries, kc)

    # Re-rank the first kc candidates exactly; the (kc+1)-th approximate
    # distance bounds everything left out.  The float32 expansion
    # ||q||^2 - 2 q.b + ||b||^2 is off by at most about dim * 2^-24 *
    # (||q|| + ||b||)^2; when the k-th exact distance is not clearly below
    # the left-out bound, that query is recomputed by brute force.
    dim = base.shape[1]
    qn = np.einsum("ij,ij->i", queries, queries).astype(np.float64)
    bmax = float(np.einsum("ij,ij->i", base, base).max())
    slack = 4.0 * dim * 2.0 ** -24 * (np.sqrt(qn) + np.sqrt(bmax)) ** 2 + 1e-30

    result = np.empty((nq, k_out), dtype=np.int64)
    qstep = max(1, (4 << 20) // max(1, kc * dim))
    redo = []
    for qs in range(0, nq, qstep):
        qe = min(nq, qs + qstep)
        c = cand[qs:qe, :kc]
        ex = _exact_sq_dists(base, queries[qs:qe], c)
        order = np.lexsort((c, ex), axis=1)
        c = np.take_along_axis(c, order, axis=1)
        ex = np.take_along_axis(ex, order, axis=1)
        result[qs:qe] = c[:, :k_out]
        left_out = approx[qs:qe, kc]
        unsure = ex[:, k_out - 1] + slack[qs:qe] >= left_out
        redo.extend(qs + np.flatnonzero(unsure))
    for qi in redo:
        result[qi] = _exact_knn_brute(base, queries[qi], k_out)
    return result


def exact_ground_truth(base, queries, k, cache_key, use_faiss=None):
    """int64 array (len(queries) x k) of the ids (row numbers) of the k
    nearest rows of `base` for every query under L2, exactly, ties broken by
    the smaller id.  Cached as .npy in cache_dir() under `cache_key` (plus
    the shapes and k); pass cache_key=None not to cache.  Uses faiss when
    it can be imported (use_faiss=False forbids it), else numpy."""
    base = np.ascontiguousarray(base, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if base.ndim != 2 or queries.ndim != 2 or base.shape[1] != queries.shape[1]:
        raise ValueError("base and queries must be 2-d with the same width")
    if k <= 0:
        raise ValueError("k must be positive")
    path = None
    if cache_key is not None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(cache_key))
        path = os.path.join(cache_dir(), "gt-%s-n%d-q%d-d%d-k%d.npy" % (
            safe, base.shape[0], queries.shape[0], base.shape[1], k))
        if os.path.exists(path):
            try:
                gt = np.load(path)
                if gt.shape == (queries.shape[0], min(k, base.shape[0])):
                    return gt
            except (OSError, ValueError):
                pass                    # unreadable: recompute
    gt = _compute_ground_truth(base, queries, k, use_faiss)
    if path is not None:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, gt)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    return gt


# ---------------------------------------------------------------------------
# COPY text format
# ---------------------------------------------------------------------------

def _format_rows(chunk):
    """'[v1,v2,...]' for each row of a float32 chunk.  Integer-valued chunks
    print as integers; others use numpy's shortest float32 representation,
    which reads back (strtof) to the identical float32."""
    if not np.all(np.isfinite(chunk)):
        raise ValueError("vectors must not contain NaN or infinity")
    if np.all(np.abs(chunk) < 2.0 ** 24) and np.array_equal(chunk, np.trunc(chunk)):
        dim = chunk.shape[1]
        fmt = "[" + ",".join(["%d"] * dim) + "]"
        return [fmt % tuple(r) for r in chunk.astype(np.int64).tolist()]
    return ["[" + ",".join(map(str, r)) + "]" for r in chunk]


def _format_scalar_column(col):
    a = np.asarray(col)
    if a.dtype.kind in "iub":
        return [str(v) for v in a.astype(np.int64).tolist()]
    if a.dtype.kind == "f":
        return [("\\N" if np.isnan(v) else str(v)) for v in a]
    out = []
    for v in a.tolist():
        if v is None:
            out.append("\\N")
        else:
            s = str(v)
            out.append(s.replace("\\", "\\\\").replace("\t", "\\t")
                        .replace("\n", "\\n").replace("\r", "\\r"))
    return out


def copy_text(vectors, ids=None, columns=(), chunk_rows=None):
    """Yield strings of complete PostgreSQL COPY text-format lines,
    `id<TAB>col...<TAB>[v1,v2,...]\\n`, a chunk of rows at a time.

    ids defaults to 0..n-1; columns are further per-row arrays (e.g. labels)
    printed between the id and the vector, in order, so that
    `COPY t (id, label, embedding) FROM STDIN` reads them.  ids=False leaves
    out the id column."""
    vectors = np.asarray(vectors)
    if vectors.ndim != 2:
        raise ValueError("vectors must be 2-d")
    n, dim = vectors.shape
    if ids is None:
        ids = np.arange(n, dtype=np.int64)
    cols = ([] if ids is False else [ids]) + list(columns)
    for c in cols:
        if len(c) != n:
            raise ValueError("a column has %d rows, the vectors %d" % (len(c), n))
    step = chunk_rows or max(256, _chunk_rows(dim, 1 << 20))
    for s in range(0, n, step):
        e = min(n, s + step)
        chunk = np.asarray(vectors[s:e], dtype=np.float32)
        parts = [_format_scalar_column(c[s:e]) for c in cols]
        parts.append(_format_rows(chunk))
        yield "".join("\t".join(fields) + "\n" for fields in zip(*parts))


def write_copy(file, vectors, ids=None, columns=(), chunk_rows=None):
    """Write copy_text(...) to a file object (text or binary); returns the
    number of rows written."""
    binary = not isinstance(file, io.TextIOBase)
    for text in copy_text(vectors, ids, columns, chunk_rows):
        file.write(text.encode("ascii") if binary else text)
    return len(vectors)


# ---------------------------------------------------------------------------
# Self-check
# ---------------------------------------------------------------------------

def _brute_force_knn(base, q, k):
    d = ((base.astype(np.float64) - q.astype(np.float64)) ** 2).sum(axis=1)
    return np.lexsort((np.arange(d.size), d))[:k]


def _self_check():
    import time

    failures = 0

    def check(ok, what):
        nonlocal failures
        print("%s %s" % ("ok  " if ok else "FAIL", what))
        if not ok:
            failures += 1

    # COPY text round trip.
    v = np.array([[0.1, -2.5, 1e-8], [3e38, 0, 123456789]], dtype=np.float32)
    lines = "".join(copy_text(v, columns=[np.array([7, 8])])).splitlines()
    back = np.array([[float(x) for x in ln.split("\t")[2][1:-1].split(",")]
                     for ln in lines], dtype=np.float32)
    check(lines[0].startswith("0\t7\t[") and np.array_equal(back, v),
          "COPY text round-trips float32: %s" % lines[0])
    check("".join(copy_text(np.array([[1, 255]], dtype=np.float32)))
          == "0\t[1,255]\n", "integer-valued vectors print as integers")

    # Synthetic data: deterministic, prefix-stable.
    a = synthetic_clustered(3000, 48, clusters=8, seed=3)
    b = synthetic_clustered(3000, 48, clusters=8, seed=3)
    c = synthetic_clustered(100000, 48, clusters=8, seed=3)
    check(a.dtype == np.float32 and a.shape == (3000, 48)
          and np.array_equal(a, b) and np.array_equal(a, c[:3000])
          and not np.array_equal(a, synthetic_clustered(3000, 48, 8, seed=4)),
          "synthetic_clustered is float32, seeded and prefix-stable")

    # Ground truth on synthetic data, with and without faiss.
    gt = exact_ground_truth(c[:20000], c[-50:], 10, None, use_faiss=False)
    bf = np.stack([_brute_force_knn(c[:20000], q, 10) for q in c[-50:]])
    check(np.array_equal(gt, bf), "numpy ground truth == brute force (synthetic)")
    try:
        import faiss  # noqa: F401
        gt = exact_ground_truth(c[:20000], c[-50:], 10, None, use_faiss=True)
        check(np.array_equal(gt, bf), "faiss ground truth == brute force (synthetic)")
    except ImportError:
        print("skip faiss not importable (Debian: python3-faiss)")

    if not fashion_mnist_available():
        print("skip Fashion-MNIST: install Debian's %s package"
              % FASHION_MNIST_PACKAGE)
    else:
        t = time.time()
        train, test = load_fashion_mnist()
        ltrain, ltest = load_fashion_mnist_labels()
        print("     Fashion-MNIST loaded in %.2f s: train %s %s, test %s %s, "
              "labels %s %s" % (time.time() - t, train.shape, train.dtype,
                                test.shape, test.dtype, ltrain.shape, ltest.shape))
        check(train.shape == (60000, 784) and test.shape == (10000, 784)
              and train.dtype == np.float32 and train.min() == 0
              and train.max() == 255 and ltrain.shape == (60000,)
              and np.array_equal(np.bincount(ltrain), np.full(10, 6000)),
              "Fashion-MNIST shapes, value range and class balance")
        t = time.time()
        gt = exact_ground_truth(train, test[:5], 10, "fashion-mnist-selfcheck")
        el = time.time() - t
        bf = np.stack([_brute_force_knn(train, q, 10) for q in test[:5]])
        check(np.array_equal(gt, bf),
              "Fashion-MNIST ground truth of 5 queries == brute force (%.2f s)" % el)
        gt2 = exact_ground_truth(train, test[:5], 10, None, use_faiss=False)
        check(np.array_equal(gt2, bf), "numpy path agrees on Fashion-MNIST")
        print("     query 0 (%s): nearest %s, labels %s" % (
            FASHION_MNIST_CLASSES[ltest[0]], gt[0][:5].tolist(),
            [FASHION_MNIST_CLASSES[x] for x in ltrain[gt[0][:5]]]))
        t = time.time()
        nbytes = sum(len(s) for s in copy_text(train[:10000], columns=[ltrain[:10000]]))
        print("     COPY text for 10000 rows: %.1f MB in %.2f s"
              % (nbytes / 1e6, time.time() - t))
    print("cache dir: %s" % cache_dir())
    print("self-check: %s" % ("FAILED (%d)" % failures if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(_self_check())
