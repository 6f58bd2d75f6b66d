-- Update from vecgraph 0.2.0 to 0.3.0 (ALTER EXTENSION vecgraph UPDATE).

\echo Use "ALTER EXTENSION vecgraph UPDATE TO '0.3.0'" to load this file. \quit
