"""Forked workers that inherit what the parent built: the one way Vivier spreads text work over the cores.

Reading CVs and offers (`loaders.cvs`, `loaders.offers`) and training's text features (`gnn.features`) share
the same shape: a costly object built once in the parent (the text analyzer with its matcher, TF-IDF and vectors;
a fitted text model and spaCy's vectors) and many independent tasks. `forked_map` forks workers *after* the object
is built, so each inherits it instead of rebuilding or unpickling it, sends them the tasks, and gives the results
back in order. spaCy's own `n_process` would reload the model in every worker and only parallelise tokenising.
"""

from __future__ import annotations

import itertools
import multiprocessing
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult
from typing import Any, TypeVar

Shared = TypeVar("Shared")
Task = TypeVar("Task")
Result = TypeVar("Result")

# A task that has not come back in this many seconds means a worker died or its result was lost: the work stops
# with an error naming it instead of waiting forever (a batch takes a few seconds; at load 15 on two cores, under a
# minute).
WORKER_TIMEOUT_S = 600.0

# What the workers inherit, by call: set before the fork, read in the worker (so nothing of it is pickled).
# Keyed by call so that two maps running at once in one process (two threads) do not see each other's.
_inherited: dict[int, tuple[Callable[[Any, Any], Any], Any]] = {}
_calls = itertools.count()


def fork_is_safe() -> bool:
    """Whether work may go to forked workers, which inherit the parent's memory: where the platform forks (Linux).
    The workers use no PyTorch, and numpy's OpenBLAS re-arms its threads after a fork, so a process that has
    trained a model forks safely too (`tests/test_loaders.py` reads CVs in two workers after a training step).
    Until 2026-12-06 this said no whenever PyTorch was imported, which spaCy always does through thinc: the loads
    read in one process, the true cause of the hang it was meant for (a reject that did not unpickle) being
    elsewhere (`loaders.records.RecordError.__reduce__`)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def one_thread_per_worker() -> None:
    """Pool initializer: the numerical libraries on one thread each, as the workers already take the cores;
    OpenBLAS's second thread, spinning between calls, cost two CV readers about a tenth of their CPU (bench_cvs,
    2,000 CVs: 138–143 CVs/s, with one thread 155–162; docs/ingestion.md)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def forked_map(
    function: Callable[[Shared, Task], Result],
    shared: Shared,
    tasks: Iterable[Task],
    processes: int,
    what: str,
) -> Iterator[Result]:
    """`function(shared, task)` for every task, in the tasks' order. With `processes` > 1 (and where
    `fork_is_safe`) the tasks run in that many forked workers, which inherit `shared`; at most two tasks per
    worker are sent ahead of the results read, so memory stays bounded however many tasks come. `what` names the
    work in the error raised when a worker gives nothing back in `WORKER_TIMEOUT_S`.

    Each result depends on its task alone, so the results are those of one process, only sooner."""
    if processes <= 1 or not fork_is_safe():
        for task in tasks:
            yield function(shared, task)
        return
    call = next(_calls)
    _inherited[call] = (function, shared)
    try:
        with multiprocessing.get_context("fork").Pool(processes, one_thread_per_worker) as pool:
            pending: deque[AsyncResult[Result]] = deque()
            for task in tasks:
                pending.append(pool.apply_async(_run, (call, task)))
                if len(pending) >= 2 * processes:
                    yield _result(pending.popleft(), what)
            while pending:
                yield _result(pending.popleft(), what)
    finally:
        del _inherited[call]


def _run(call: int, task: Any) -> Any:
    function, shared = _inherited[call]  # inherited at the fork
    return function(shared, task)


def _result(result: AsyncResult[Result], what: str) -> Result:
    """A worker's result, or a clear error after `WORKER_TIMEOUT_S`."""
    try:
        return result.get(timeout=WORKER_TIMEOUT_S)
    except multiprocessing.TimeoutError:
        raise RuntimeError(
            f"{what}: a forked worker gave no result in {WORKER_TIMEOUT_S:.0f} s (a worker died or its result could "
            "not be sent back); rerun with one process (VIVIER_LOAD_PROCESSES=1) to see the error"
        ) from None
