"""The query API end to end, one module per router, plus access control and freshness across routes."""
