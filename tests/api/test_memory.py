"""An API process caps glibc's malloc arenas (`VIVIER_MALLOC_ARENAS`): with one arena per request thread, memory
freed by one thread is not reused by the others and RSS grows under mixed traffic (docs/api.md, Load). It can log
where its memory goes (`VIVIER_MEMORY_LOG`) and gives freed pages back (`VIVIER_MALLOC_TRIM_S`)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from api.app import limit_malloc_arenas
from api.memory import MemoryLog, malloc_trim, resident

# A fresh process: optionally caps the arenas, then 12 threads allocate and free at the same time, and glibc's
# own malloc_info says how many arenas (<heap nr=…>) exist.
PROBE = textwrap.dedent(
    """
    import ctypes, os, re, sys, tempfile, threading
    from api.app import limit_malloc_arenas
    print(limit_malloc_arenas(int(sys.argv[1])))
    barrier = threading.Barrier(12)

    def work():
        barrier.wait()
        for _ in range(200):
            blocks = [bytearray(4096) for _ in range(64)]
            del blocks

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads: t.start()
    for t in threads: t.join()
    libc = ctypes.CDLL("libc.so.6")
    libc.fdopen.restype = ctypes.c_void_p
    with tempfile.TemporaryFile() as f:
        stream = libc.fdopen(os.dup(f.fileno()), b"w")
        libc.malloc_info(0, ctypes.c_void_p(stream))
        libc.fclose(ctypes.c_void_p(stream))
        f.seek(0)
        print(len(re.findall(rb"<heap nr=", f.read())))
    """
)


def _arenas(cap: int) -> tuple[str, int]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)}  # no MALLOC_ARENA_MAX of the caller's
    out = subprocess.run([sys.executable, "-c", PROBE, str(cap)], env=env, capture_output=True, text=True, check=True)
    applied, arenas = out.stdout.split()
    return applied, int(arenas)


def test_the_cap_holds_the_arenas_of_many_threads() -> None:
    applied, capped = _arenas(2)
    assert applied == "True" and capped <= 2
    applied, default = _arenas(0)  # 0: glibc's default, one arena per thread up to 8 per core
    assert applied == "False" and default > capped


def test_an_environment_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas(2) is False  # glibc read the environment's at start-up


def test_the_memory_log_writes_what_a_leak_hunt_needs(tmp_path: Path) -> None:
    """`VIVIER_MEMORY_LOG`: resident memory split anonymous / file, glibc's heap in use and free, the caches."""
    path = tmp_path / "memory.jsonl"
    memory_log = MemoryLog(path, 0.05, lambda: {"offer_requirements": 7})
    memory_log.start()
    time.sleep(0.3)
    memory_log.stop()
    line = json.loads(path.read_text().splitlines()[-1])
    assert line["caches"] == {"offer_requirements": 7}
    assert line["rss"] >= line["anon"] > 0 and line["threads"] >= 1
    assert set(line["malloc"]) == {"in_use", "free", "mmapped"}  # glibc (the test machines')
    assert "traced" not in line  # tracemalloc only when asked, once a model is loaded


def test_malloc_trim_gives_freed_pages_back() -> None:
    blocks = [bytearray(64 * 1024) for _ in range(2000)]  # 128 MB below the mmap threshold: inside the heap
    del blocks[::2]
    before = resident()["anon"]
    malloc_trim()
    assert resident()["anon"] < before
