"""Neo4j: the embedded server, the database handle, the schema (labels, relationship types, keys), writes and queries.

Lower layers (`ontology`, `loaders`) never import this package; `gnn` and `api` do."""
