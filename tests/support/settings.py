"""Settings for a test: the library reads them once per process (`vivier.settings.get_settings`, cached), so a test
that needs other ones sets the environment and clears that cache in one place, here, and restores both after."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from vivier.settings import Settings, get_settings


@contextmanager
def environment(**variables: str | None) -> Iterator[Settings]:
    """The settings with these environment variables set (None: unset) for the block; the previous ones after."""
    previous = {name: os.environ.get(name) for name in variables}
    try:
        _apply(variables)
        yield get_settings()
    finally:
        _apply(previous)


def _apply(variables: dict[str, str | None]) -> None:
    for name, value in variables.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()
