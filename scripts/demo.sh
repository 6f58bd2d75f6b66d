#!/usr/bin/env bash
# make demo: build and install vecgraph, start a throwaway cluster, load the
# 60,000 Fashion-MNIST training images (784-dimensional vectors) with their
# labels, and run nearest-neighbour queries, aggregates and distances on
# them, printing the results and how long each step took.  Without the
# dataset-fashion-mnist package (a non-root user who cannot install it), it
# uses 20,000 synthetic clustered 128-dimensional vectors instead.
#
# Exits non-zero when anything fails; the cluster is always stopped.
set -euo pipefail
. "$(dirname "$0")/common.sh"

PY=/usr/bin/python3				# Debian's, which sees python3-numpy
export VG_DATASETS_DIR="$VG_ROOT/test/bench"
N_QUERIES=100					# test images loaded into "queries"

demo_start=$(date +%s.%N)

if vg_is_root; then
	vg_require_packages "${VG_BASE_PACKAGES[@]}" python3 python3-numpy \
		dataset-fashion-mnist
else
	# The data set is optional for a user who cannot install it.
	vg_require_packages "${VG_BASE_PACKAGES[@]}" python3 python3-numpy
fi

if "$PY" -c 'import os, sys
sys.path.insert(0, os.environ["VG_DATASETS_DIR"])
import datasets
sys.exit(0 if datasets.fashion_mnist_available() else 1)'; then
	SOURCE=fashion-mnist
	DIM=784
	QNAME='Test image'
else
	SOURCE=synthetic
	DIM=128
	QNAME='Query vector'
	vg_say "Fashion-MNIST is not installed (sudo apt-get install dataset-fashion-mnist);"
	vg_say "using 20,000 synthetic clustered vectors of 128 dimensions instead"
fi

vg_say "building and installing the extension"
vg_build_and_install
vg_say "starting a throwaway cluster"
vg_start_cluster

psql_() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off "$@"; }

secs_since() { echo "$(date +%s.%N) $1" | awk '{ printf "%.2f", $1 - $2 }'; }

# emit_copy items|queries: COPY text rows (id, label, embedding) on stdout.
emit_copy()
{
	"$PY" - "$1" "$SOURCE" "$N_QUERIES" <<'PY'
import os, sys
sys.path.insert(0, os.environ["VG_DATASETS_DIR"])
import datasets

which, source, n_queries = sys.argv[1], sys.argv[2], int(sys.argv[3])
if source == "fashion-mnist":
    train, test = datasets.load_fashion_mnist()
    ltrain, ltest = datasets.load_fashion_mnist_labels()
    if which == "items":
        vectors, labels = train, ltrain
    else:
        vectors, labels = test[:n_queries], ltest[:n_queries]
else:
    # Queries are further points of the same distribution (the generator is
    # prefix-stable, so the first 20,000 rows are the same either way).
    x, lab = datasets.synthetic_clustered(20000 + n_queries, 128, clusters=10,
                                          seed=42, return_labels=True)
    if which == "items":
        vectors, labels = x[:20000], lab[:20000]
    else:
        vectors, labels = x[20000:], lab[20000:]
datasets.write_copy(sys.stdout.buffer, vectors, columns=[labels])
PY
}

echo
echo "vecgraph demo on $SOURCE data"
psql_ -c "CREATE EXTENSION vecgraph"
psql_ -At -c "SELECT 'SIMD level: ' || vecgraph_simd_level()"

# --- Tables --------------------------------------------------------------
if [ "$SOURCE" = fashion-mnist ]; then
	class_values="(0,'T-shirt/top'),(1,'Trouser'),(2,'Pullover'),(3,'Dress'),
		(4,'Coat'),(5,'Sandal'),(6,'Shirt'),(7,'Sneaker'),(8,'Bag'),(9,'Ankle boot')"
else
	class_values=
	for i in 0 1 2 3 4 5 6 7 8 9; do
		class_values+="${class_values:+,}($i,'cluster $i')"
	done
fi
psql_ <<SQL
CREATE TABLE classes (label int PRIMARY KEY, name text NOT NULL);
INSERT INTO classes VALUES $class_values;
CREATE TABLE items (id int PRIMARY KEY, label int, embedding vector($DIM));
CREATE TABLE queries (id int PRIMARY KEY, label int, embedding vector($DIM));
SQL

# --- Loading -------------------------------------------------------------
echo
echo "Loading through COPY (vectors formatted by test/bench/datasets.py) ..."
t0=$(date +%s.%N)
emit_copy items | psql_ -c "COPY items (id, label, embedding) FROM STDIN"
load_items=$(secs_since "$t0")
emit_copy queries | psql_ -c "COPY queries (id, label, embedding) FROM STDIN"
t1=$(date +%s.%N)
psql_ -c "ANALYZE items" -c "ANALYZE queries"
analyze_secs=$(secs_since "$t1")
psql_ -At -F '|' <<SQL | while IFS='|' read -r rows total heap; do
SELECT (SELECT count(*) FROM items),
	pg_size_pretty(pg_total_relation_size('items')),
	pg_size_pretty(pg_relation_size('items'));
SQL
	rate=$(echo "$rows $load_items" | awk '{ printf "%.0f", $1 / ($2 > 0 ? $2 : 1) }')
	echo "  items: $rows rows of vector($DIM) loaded in ${load_items} s ($rate rows/s)"
	echo "  table size: $total in all ($heap heap; the rest is TOAST and the primary key)"
	echo "  queries: $N_QUERIES test vectors loaded the same way; ANALYZE took ${analyze_secs} s"
done

# --- ANN index -------------------------------------------------------------
# The vecgraph (HNSW) index the k-NN queries below use; CREATE INDEX builds
# in parallel when the table is large enough and workers are allowed.
create_ann_index()
{
	echo
	echo "Building the vecgraph (HNSW) index:"
	psql_ <<'SQL'
\pset footer off
\timing on
CREATE INDEX items_embedding_idx ON items
	USING vecgraph (embedding vector_l2_ops)
	WITH (graph = 'hnsw', m = 16, ef_construction = 64);
\timing off
SELECT nodes, pages, levels, partitions, build_workers,
	round(mean_out_degree::numeric, 1) AS mean_out_degree,
	pg_size_pretty(pg_relation_size('items_embedding_idx')) AS size
FROM vecgraph_index_info('items_embedding_idx');
SELECT count(*) AS problems_found_by_vecgraph_check FROM vecgraph_check('items_embedding_idx');
SQL
}
create_ann_index

# --- Queries -------------------------------------------------------------
# Every query vector comes from the queries table; :q is the expression that
# fetches it.
{
	cat <<'SQL'
\pset footer off
\pset null ''
\set q '(SELECT embedding FROM queries WHERE id = 0)'
\echo
\echo 'Plan of a nearest-neighbour query:'
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <-> :q LIMIT 5;
SQL
	for qid in 0 1 2; do
		cat <<SQL
\\set q '(SELECT embedding FROM queries WHERE id = $qid)'
SELECT q.label AS qlabel, c.name AS qclass FROM queries q JOIN classes c USING (label) WHERE q.id = $qid \\gset
\\echo
\\echo :qname '#$qid, true class:' :qclass '-- 5 nearest by L2 distance (<->):'
\\timing on
SELECT n.id, c.name AS class,
	CASE WHEN n.label = :qlabel THEN 'yes' ELSE 'no' END AS same_class,
	round(n.distance::numeric, 1) AS l2_distance
FROM (SELECT id, label, embedding <-> :q AS distance
	  FROM items ORDER BY embedding <-> :q LIMIT 5) n
	JOIN classes c USING (label)
ORDER BY n.distance, n.id;
\\timing off
SQL
	done
	cat <<'SQL'
\set q '(SELECT embedding FROM queries WHERE id = 3)'
SELECT q.label AS qlabel, c.name AS qclass FROM queries q JOIN classes c USING (label) WHERE q.id = 3 \gset
\echo
\echo :qname '#3, true class:' :qclass '-- 5 nearest by cosine distance (<=>):'
\timing on
SELECT n.id, c.name AS class,
	CASE WHEN n.label = :qlabel THEN 'yes' ELSE 'no' END AS same_class,
	round(n.distance::numeric, 4) AS cosine_distance
FROM (SELECT id, label, embedding <=> :q AS distance
	  FROM items ORDER BY embedding <=> :q LIMIT 5) n
	JOIN classes c USING (label)
ORDER BY n.distance, n.id;
\timing off

\set q '(SELECT embedding FROM queries WHERE id = 4)'
SELECT q.label AS qlabel, c.name AS qclass FROM queries q JOIN classes c USING (label) WHERE q.id = 4 \gset
\echo
\echo :qname '#4, true class:' :qclass '-- 5 largest inner products (<#> is the negative inner product):'
\echo '(the vectors are not normalised, so inner product favours those of large norm)'
\timing on
SELECT n.id, c.name AS class,
	CASE WHEN n.label = :qlabel THEN 'yes' ELSE 'no' END AS same_class,
	round((-n.distance)::numeric, 2)::float8 AS inner_product
FROM (SELECT id, label, embedding <#> :q AS distance
	  FROM items ORDER BY embedding <#> :q LIMIT 5) n
	JOIN classes c USING (label)
ORDER BY n.distance, n.id;
\timing off

\echo
\echo 'Class centroids: avg(embedding) per label'
\timing on
CREATE TEMP TABLE centroids AS
	SELECT label, count(*) AS n, avg(embedding) AS centroid
	FROM items GROUP BY label;
\timing off
\echo 'Per class: size, centroid norm and the mean L2 distance of its members to the centroid'
\timing on
SELECT c.label, c.name AS class, m.n,
	round(vector_norm(m.centroid)::numeric, 1) AS centroid_norm,
	round(avg(i.embedding <-> m.centroid)::numeric, 1) AS mean_dist_to_centroid
FROM centroids m JOIN classes c USING (label) JOIN items i USING (label)
GROUP BY c.label, c.name, m.n, m.centroid
ORDER BY c.label;
\timing off

\echo
\echo 'Distances between class centroids: the 3 closest pairs and the farthest'
\timing on
(SELECT ca.name AS class_a, cb.name AS class_b,
	round((a.centroid <-> b.centroid)::numeric, 1) AS centroid_distance
 FROM centroids a JOIN centroids b ON a.label < b.label
	JOIN classes ca ON ca.label = a.label JOIN classes cb ON cb.label = b.label
 ORDER BY a.centroid <-> b.centroid LIMIT 3)
UNION ALL
(SELECT ca.name, cb.name, round((a.centroid <-> b.centroid)::numeric, 1)
 FROM centroids a JOIN centroids b ON a.label < b.label
	JOIN classes ca ON ca.label = a.label JOIN classes cb ON cb.label = b.label
 ORDER BY a.centroid <-> b.centroid DESC LIMIT 1);
\timing off

\echo
\echo '5-nearest-neighbour classification of the first 20 test images (majority label):'
\timing on
SELECT count(*) FILTER (WHERE v.predicted = q.label) || ' of ' || count(*) || ' correct' AS knn_classification
FROM (SELECT * FROM queries ORDER BY id LIMIT 20) q
	CROSS JOIN LATERAL (
		SELECT mode() WITHIN GROUP (ORDER BY nn.label) AS predicted
		FROM (SELECT i.label FROM items i
			  ORDER BY i.embedding <-> q.embedding LIMIT 5) nn) v;
\timing off

\echo
\echo 'How many of the true 10 nearest the index finds, for the first 20 test images,'
\echo 'at three search breadths (exact answers from sequential scans):'
SET enable_indexscan = off;
CREATE TEMP TABLE exact_nn AS
SELECT q.id AS qid, array(SELECT i.id FROM items i ORDER BY i.embedding <-> q.embedding LIMIT 10) AS ids
FROM (SELECT * FROM queries ORDER BY id LIMIT 20) q;
RESET enable_indexscan;
SELECT ef AS "vecgraph.ef_search",
	(SELECT round(avg(cardinality(ARRAY(
				SELECT unnest(ARRAY(SELECT i.id FROM items i ORDER BY i.embedding <-> q.embedding LIMIT 10))
				INTERSECT SELECT unnest(e.ids)))) / 10.0, 3)
	 FROM queries q JOIN exact_nn e ON e.qid = q.id
	 WHERE set_config('vecgraph.ef_search', ef::text, true) IS NOT NULL) AS "recall@10"
FROM unnest(ARRAY[10, 40, 160]) ef;
SQL
} | psql_ -v qname="$QNAME"

echo
echo "Demo finished in $(secs_since "$demo_start") s (build, load and queries)."
