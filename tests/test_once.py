"""`vivier.once`: a costly build runs once however many threads ask for it at the same moment."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from vivier.once import once


def test_concurrent_first_callers_share_one_build() -> None:
    builds: list[int] = []
    started = threading.Event()

    @once
    def catalogue() -> dict[str, int]:
        started.set()
        time.sleep(0.2)  # long enough for every other thread to arrive while it builds
        builds.append(1)
        return {"skills": 42}

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: catalogue(), range(8)))
    assert builds == [1]
    assert all(r is results[0] for r in results)  # the same object, not eight equal ones
    catalogue.cache_clear()
    assert catalogue() == {"skills": 42} and builds == [1, 1]


def test_a_failed_build_is_tried_again() -> None:
    attempts: list[int] = []

    @once
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("model file not readable yet")
        return "ready"

    with pytest.raises(OSError):
        flaky()
    assert flaky() == "ready" and len(attempts) == 2
