"""One app for every API test (`tests.support.api.api`): the tiny graph is loaded and the model trained once for
the whole folder, whichever of its modules run and in whatever order (erasures included: rankings replace an
erased candidate before they cut their top k)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.api import api

__all__ = ["api"]

# Run after every other API test, whatever order the modules come in: the contract test's generated requests
# (tests/api/test_contract.py) create offers, candidates, applications and keys that would change what the other
# tests count.
LAST = {"test_contract"}


def _place(item: pytest.Item) -> int:
    name = item.originalname if isinstance(item, pytest.Function) else ""
    return 1 if name in LAST else 0


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    places = [i for i, item in enumerate(items) if here in item.path.parents]
    ours = [items[i] for i in places]
    ours.sort(key=_place)
    for place, item in zip(places, ours, strict=True):
        items[place] = item
