"""Vivier's tests. A package, so that the test modules and `tests.support` import by their full names (two test
modules may share a file name in different folders) and the benches can import `tests.support` too."""
