"""Vivier's application shell: settings (a leaf every package may import) and the `vivier` command line
(which imports every package). See docs/architecture.md."""

__version__ = "0.1.0"
