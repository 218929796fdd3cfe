"""One app for every API test (`tests.support.api.api`): the tiny graph is loaded and the model trained once for
the whole folder, whichever of its modules run and in whatever order (erasures included: rankings replace an
erased candidate before they cut their top k)."""

from __future__ import annotations

from tests.support.api import api

__all__ = ["api"]
