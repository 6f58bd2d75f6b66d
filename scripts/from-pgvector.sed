# Edits a plain-SQL dump (pg_dump, or pg_restore -f -) of a database that
# uses pgvector so that it restores into one with vecgraph.  See
# docs/migrating-from-pgvector.md; test/t/011_migrate.pl runs it.
#
#   sed -f scripts/from-pgvector.sed pgvector.sql > vecgraph.sql

# the extension: vecgraph gives the same type, operators and functions
s/^CREATE EXTENSION IF NOT EXISTS vector /CREATE EXTENSION IF NOT EXISTS vecgraph /
/^COMMENT ON EXTENSION vector IS /d

# HNSW indexes: same operator classes, same m and ef_construction
s/ USING hnsw (/ USING vecgraph (/

# IVFFlat indexes become graph indexes; lists has no counterpart
s/ USING ivfflat (\(.*\)) WITH (lists='[0-9]*');$/ USING vecgraph (\1);/
s/ USING ivfflat (/ USING vecgraph (/
