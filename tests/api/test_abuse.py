"""Abuse: per-key rate limits and the bad-key back-off (429 + Retry-After), CV upload limits (size, PDF pages, a
DOCX zip bomb, a PDF whose stream inflates without end) refused in bounded memory, security headers on every
answer, CORS closed by default. Each hostile file is built here, in the test."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from limits import parse_many
from pypdf import PdfWriter

from api.app import create_app
from api.errors import PROBLEM_MEDIA_TYPE
from api.limits import MovingWindows
from graph import queries
from tests.support.api import call
from tests.support.ingestion import pdf_file
from vivier.settings import Settings, get_settings

MiB = 1024 * 1024
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


@contextmanager
def app_with(api: dict[str, Any], **settings: Any) -> Iterator[TestClient]:
    """A second app over the same Neo4j and model, with other abuse settings (the shared one keeps the defaults)."""
    app = create_app(get_settings().model_copy(update=settings), db=api["database"])
    with TestClient(app) as client:
        yield client


def assert_problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    for word in words:
        assert word in body["detail"], body
    return body


def test_rate_limit_per_key_answers_429_with_retry_after(api: dict[str, Any]) -> None:
    with app_with(api, api_rate_limit="5/minute") as client:
        key_a, key_b = {"X-API-Key": api["keys"]["recA"]}, {"X-API-Key": api["keys"]["recB"]}
        assert [client.get("/v1/offers", headers=key_a).status_code for _ in range(5)] == [200] * 5
        refused = client.get("/v1/offers", headers=key_a)
        assert_problem(refused, 429, "5 per 1 minute")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert all(refused.headers.get(h) for h in SECURITY_HEADERS)
        # Per key: another key, and requests without one (counted per address), are not affected.
        assert client.get("/v1/offers", headers=key_b).status_code == 200
        assert client.get("/health").status_code == 200


def test_repeated_bad_keys_from_one_address_are_slowed_down(api: dict[str, Any]) -> None:
    with app_with(api, api_bad_keys_allowed=3) as client:
        good = {"X-API-Key": api["keys"]["recA"]}
        assert client.get("/v1/offers", headers=good).status_code == 200  # a key seen valid from this address
        bad = [client.get("/v1/offers", headers={"X-API-Key": f"viv_guess{i}_secret"}) for i in range(4)]
        assert [r.status_code for r in bad] == [401] * 4
        blocked = client.get("/v1/offers", headers={"X-API-Key": "viv_guess5_secret"})
        assert_problem(blocked, 429, "bad API keys")
        assert blocked.headers["Retry-After"] == "1"
        # The colleague behind the same address keeps working; nothing they hold was lost.
        assert client.get("/v1/offers", headers=good).status_code == 200
        time.sleep(1.1)
        assert client.get("/v1/offers", headers={"X-API-Key": "viv_guess6_secret"}).status_code == 401
        again = client.get("/v1/offers", headers={"X-API-Key": "viv_guess7_secret"})
        assert again.status_code == 429 and again.headers["Retry-After"] == "2"  # the wait doubles


def candidate_count(api: dict[str, Any]) -> int:
    return len(queries.existing_candidates(api["database"], [f"cand-{i:02d}" for i in range(24)]))


def upload(api: dict[str, Any], name: str, data: bytes) -> Any:
    files = {"file": (name, data, "application/octet-stream")}
    return call(api, "admin", "POST", "/v1/candidates", files=files)


# The reading of one hostile file, in a process of its own: a peak measured in the test process would count every
# thread's allocations (the app's, and what earlier tests left running), and once failed the suite that way.
READING_PEAK = """
import sys, tracemalloc
from pathlib import Path
from loaders.cvs import CvLimitExceeded, CvLimits, read_cv
data, limits = Path(sys.argv[1]).read_bytes(), CvLimits.from_settings()
tracemalloc.start()
try:
    read_cv(data, sys.argv[2], "abuse", limits)
    print("read")
except CvLimitExceeded as error:
    print(error.limit)
print(tracemalloc.get_traced_memory()[1])
"""


def reading_peak(data: bytes, filename: str, folder: Path) -> tuple[str, int]:
    """(the limit the reader refused the file with, or "read"; the peak of Python allocations while it read it)."""
    path = folder / filename
    path.write_bytes(data)
    run = subprocess.run(
        [sys.executable, "-c", READING_PEAK, str(path), filename], capture_output=True, text=True, check=True
    )
    outcome, peak = run.stdout.split()[-2:]
    return outcome, int(peak)


def test_cv_over_the_size_limit_is_refused(api: dict[str, Any], env: Callable[..., Settings]) -> None:
    env(VIVIER_CV_MAX_BYTES="2000")
    before = candidate_count(api)
    assert_problem(upload(api, "cv.txt", b"Infirmiere " * 400), 413, "cv_max_bytes", "2,000")
    assert candidate_count(api) == before


def test_request_body_over_the_limit_is_refused_before_it_is_read(api: dict[str, Any]) -> None:
    with app_with(api, cv_max_bytes=1000) as client:
        body = b"x" * (1000 + 65 * 1024)
        response = client.post("/v1/candidates", content=body, headers={"X-API-Key": api["keys"]["admin"]})
        assert_problem(response, 413, "over the limit")


def many_pages_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_with_too_many_pages_is_refused(api: dict[str, Any], env: Callable[..., Settings]) -> None:
    env(VIVIER_CV_MAX_PAGES="40")
    before = candidate_count(api)
    assert_problem(upload(api, "cv.pdf", many_pages_pdf(41)), 413, "41 pages", "cv_max_pages")
    assert candidate_count(api) == before


def zeros_deflated(size: int) -> bytes:
    """`size` zero bytes, deflated in chunks (never held whole)."""
    packer = zlib.compressobj(9)
    chunk = bytes(MiB)
    return b"".join(packer.compress(chunk) for _ in range(size // MiB)) + packer.flush()


def inflating_pdf(inflated: int) -> bytes:
    """A one-page PDF whose content stream is `inflated` bytes of zeros deflated to a few hundred KiB."""
    stream = zeros_deflated(inflated)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    return pdf_file(objects, version=b"1.7")


def test_pdf_with_a_stream_that_inflates_without_end_is_refused_in_bounded_memory(
    api: dict[str, Any], tmp_path: Path
) -> None:
    hostile = inflating_pdf(128 * MiB)
    assert len(hostile) < MiB
    before = candidate_count(api)
    assert_problem(upload(api, "cv.pdf", hostile), 413, "cv_max_pdf_stream_bytes")
    assert candidate_count(api) == before
    limit, peak = reading_peak(hostile, "cv.pdf", tmp_path)
    assert limit == "cv_max_pdf_stream_bytes"
    assert peak < 96 * MiB  # the stream stops inflating at the limit (20 MiB), far below its 128 MiB


def zip_bomb_docx(member_size: int) -> bytes:
    """A DOCX-shaped zip whose document.xml is `member_size` bytes of zeros, written in chunks."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        with bomb.open("word/document.xml", "w") as member:
            for _ in range(member_size // MiB):
                member.write(bytes(MiB))
    return out.getvalue()


def test_docx_zip_bomb_is_refused_in_bounded_memory(api: dict[str, Any], tmp_path: Path) -> None:
    hostile = zip_bomb_docx(128 * MiB)
    assert len(hostile) < 2 * MiB
    before = candidate_count(api)
    assert_problem(upload(api, "cv.docx", hostile), 413, "unpacks to", "cv_max_uncompressed_bytes")
    assert candidate_count(api) == before
    limit, peak = reading_peak(hostile, "cv.docx", tmp_path)
    assert limit == "cv_max_uncompressed_bytes"
    assert peak < 64 * MiB  # only the zip's directory was read, never a member


def test_docx_member_inflating_too_many_times_is_refused(api: dict[str, Any]) -> None:
    hostile = zip_bomb_docx(8 * MiB)  # under the total, but ~1,000 times its compressed size
    assert_problem(upload(api, "cv.docx", hostile), 413, "word/document.xml", "cv_max_compression_ratio")


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        (None, "GET", "/health"),
        (None, "GET", "/v1/offers"),  # 401
        ("recA", "GET", "/v1/offers"),  # 200, personal data
        ("recA", "GET", "/v1/offers/no-such-offer"),  # 404
        ("recA", "DELETE", "/v1/offers"),  # 405
        ("recA", "GET", "/v1/offers/off-EA-00/candidates?k=0"),  # 422
    ],
)
def test_security_headers_on_every_answer(api: dict[str, Any], who: str | None, method: str, path: str) -> None:
    response = call(api, who, method, path)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # not behind TLS unless configured
    if path.startswith("/v1"):
        assert response.headers["Cache-Control"] == "no-store"


def test_hsts_when_behind_tls(api: dict[str, Any]) -> None:
    with app_with(api, api_behind_tls=True) as client:
        assert client.get("/health").headers["Strict-Transport-Security"].startswith("max-age=")


def test_cors_closed_by_default_and_open_to_the_allow_list(api: dict[str, Any]) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    closed = api["client"].options("/v1/offers", headers=preflight)
    assert "Access-Control-Allow-Origin" not in closed.headers
    assert closed.status_code == 405 and "GET" in closed.headers["Allow"]
    plain = api["client"].get(
        "/v1/offers", headers={"Origin": "https://evil.example", "X-API-Key": api["keys"]["recA"]}
    )
    assert plain.status_code == 200 and "Access-Control-Allow-Origin" not in plain.headers
    with app_with(api, api_cors_origins="https://rh.example.fr") as client:
        allowed = client.options("/v1/offers", headers={**preflight, "Origin": "https://rh.example.fr"})
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://rh.example.fr"
        other = client.options("/v1/offers", headers=preflight)
        assert "Access-Control-Allow-Origin" not in other.headers


def test_moving_windows_count_as_the_limits_library_does() -> None:
    """The rate limit's own moving windows (api/limits.py): tried in order, a request counts in the windows it
    passed before one refused it, and Retry-After is when the oldest hit of the full window leaves it."""
    windows = MovingWindows(parse_many("2/second;3/minute"))
    assert [windows.hit("k", t) for t in (0.0, 0.1)] == [0, 0]
    assert windows.hit("k", 0.2) == 1  # the second's window is full until 1.0
    assert windows.hit("other", 0.2) == 0  # per identity
    assert windows.hit("k", 1.05) == 0  # the hit at 0.0 left the second's window; the minute's holds 3 now
    assert windows.hit("k", 2.5) == 58  # the minute's is full until 60.0 ...
    assert windows.hit("k", 2.6) == 58  # ... and 2.5 counted in the second's window, which it passed: 2 there now
    assert windows.hit("k", 2.7) == 1
    assert windows.hit("k", 60.0) == 1  # a hit exactly a window old still counts ...
    assert windows.hit("k", 60.01) == 0  # ... and has left it just after
