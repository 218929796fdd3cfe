"""`once`: the result of a costly zero-argument build (a spaCy pipeline, the ontology catalogue), computed by the
first caller while concurrent callers wait for it.

`functools.cache` does not lock: two request threads that ask at the same moment each run the build. In the API, the
first CV uploads of a busy minute each rebuilt the catalogue and loaded spaCy again (a load benchmark saw one server
pass 16 GB). The lowest layer, so that every package may use it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Once(Generic[T]):
    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._value: list[T] = []  # empty until built: a value may itself be None
        functools.update_wrapper(self, build)

    def __call__(self) -> T:
        if not self._value:  # built: no lock to take
            with self._lock:
                if not self._value:
                    self._value.append(self._build())
        return self._value[0]

    def cache_clear(self) -> None:
        with self._lock:
            self._value.clear()


def once(build: Callable[[], T]) -> Once[T]:
    return Once(build)
