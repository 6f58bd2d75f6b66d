-- Update from vecgraph 0.3.0 to 0.4.0 (ALTER EXTENSION vecgraph UPDATE).

\echo Use "ALTER EXTENSION vecgraph UPDATE TO '0.4.0'" to load this file. \quit
