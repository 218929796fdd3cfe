"""Where an API process's memory goes, for finding a leak under load (`VIVIER_MEMORY_LOG`, off by default).

With `VIVIER_MEMORY_LOG=/some/file.jsonl`, a background thread appends one JSON line every
`VIVIER_MEMORY_LOG_S` seconds: the process's resident memory split into anonymous and file-backed pages
(/proc/self/smaps_rollup), glibc's own view of its heap (`mallinfo2`: bytes in use by live allocations, bytes
free but kept by the allocator, bytes in mmapped blocks), the number of threads and of objects the garbage
collector tracks, and the entries of the caches that the app's state holds (`AppState.cache_sizes`). Resident
memory that grows while `in_use` stays flat is the allocator keeping freed memory (fragmentation); `in_use`
growing is a live native allocation; a cache's entries growing is a Python-level one. No route exposes any of it.
"""

from __future__ import annotations

import ctypes
import gc
import json
import logging
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vivier.once import once

log = logging.getLogger(__name__)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


@once
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _Mallinfo2
        return libc
    except (OSError, AttributeError):  # musl, or a glibc before 2.33
        return None


def malloc_trim() -> bool:
    """Give the pages of freed memory inside glibc's heaps back to the system (`malloc_trim(0)`: also the free
    pages between live blocks, not only the top of the heap); False where unavailable or nothing was released."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


def malloc_stats() -> dict[str, float]:
    """glibc's heap in MB: `in_use` (live allocations, mmapped blocks included), `free` (freed, kept in the
    arenas), `mmapped` (large blocks glibc maps apart and unmaps when freed); {} where unavailable."""
    libc = _libc()
    if libc is None:
        return {}
    info = libc.mallinfo2()
    mb = 1024 * 1024
    return {"in_use": (info.uordblks + info.hblkhd) / mb, "free": info.fordblks / mb, "mmapped": info.hblkhd / mb}


def resident() -> dict[str, float]:
    """Resident memory in MB: total, anonymous (heaps, arenas, tensors) and file-backed (libraries, mapped files)."""
    wanted = {"Rss": "rss", "Anonymous": "anon", "Private_Clean": "private_clean"}
    out: dict[str, float] = {}
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in wanted:
                out[wanted[name]] = int(rest.split()[0]) / 1024
    except OSError:
        return out
    if "rss" in out and "anon" in out:
        out["file"] = out["rss"] - out["anon"]
    return out


def sample(cache_sizes: Callable[[], dict[str, int]]) -> dict[str, Any]:
    return {
        "t": time.time(),
        **resident(),
        "malloc": malloc_stats(),
        "threads": threading.active_count(),
        "gc_objects": len(gc.get_objects()),
        "caches": cache_sizes(),
    }


def traced_growth(baseline: tracemalloc.Snapshot, top: int = 12) -> dict[str, object]:
    """With tracemalloc on (`VIVIER_MEMORY_TRACE`): the Python-level memory traced now, and the allocation sites
    that grew most since `baseline` (NumPy's arrays are traced; torch's tensors are not)."""
    now = tracemalloc.take_snapshot()
    grown = now.compare_to(baseline, "traceback")[:top]
    return {
        "traced_mb": tracemalloc.get_traced_memory()[0] / 2**20,
        "grown": [
            {
                "kb": stat.size_diff / 1024,
                "n": stat.count_diff,
                "at": [f"{f.filename}:{f.lineno}" for f in stat.traceback],
            }
            for stat in grown
        ],
    }


class _Periodic:
    """A daemon thread that runs `_run` until stopped; `_run` waits on `_stop` between its rounds."""

    def __init__(self, interval: float, name: str) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        raise NotImplementedError


class MemoryLog(_Periodic):
    """Appends a `sample` to `path` every `interval` seconds until stopped."""

    def __init__(
        self, path: Path, interval: float, cache_sizes: Callable[[], dict[str, int]], trace_frames: int = 0
    ) -> None:
        super().__init__(interval, "vivier-memory-log")
        self._path, self._cache_sizes, self._trace_frames = path, cache_sizes, trace_frames

    def _run(self) -> None:
        previous = None  # the last interval's snapshot: a leak's site grows in every interval
        while not self._stop.wait(self._interval):
            try:
                line = sample(self._cache_sizes)
                if self._trace_frames and not tracemalloc.is_tracing() and "model_candidates" in line["caches"]:
                    # Only what is allocated once the model is loaded: tracing the model and the libraries too made
                    # every snapshot take minutes.
                    tracemalloc.start(self._trace_frames)
                if tracemalloc.is_tracing():
                    if previous is not None:
                        line["traced"] = traced_growth(previous)
                    previous = tracemalloc.take_snapshot()
                with self._path.open("a") as out:
                    out.write(json.dumps(line) + "\n")
            except Exception:  # a debugging aid must never take the server down
                log.warning("memory log: sample failed", exc_info=True)


class MallocTrimmer(_Periodic):
    """Calls `malloc_trim` every `interval` seconds, for a server whose heap keeps memory freed by its request
    threads (`VIVIER_MALLOC_TRIM_S`, docs/api.md, Load)."""

    def __init__(self, interval: float) -> None:
        super().__init__(interval, "vivier-malloc-trim")

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            malloc_trim()
