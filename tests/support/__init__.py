"""Code the tests share and that is not a test: data builders, fixtures' bodies, small servers. Named so that
pytest never collects it (no `test_*.py` here)."""
