"""CSV files as they come: UTF-8 with or without BOM, or cp1252; `,` `;` tab or `|`; header variants;
broken quoting. Yields the good rows with their line numbers and reports the bad ones, never stopping early."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ontology.text import snake_slug

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Row:
    line: int  # first physical line of the record, 1-based, header = line 1
    values: dict[str, str]


@dataclass(frozen=True)
class BadRow:
    line: int
    field: str
    reason: str


def decode_lines(data: bytes) -> tuple[list[str], set[int], str]:
    """Decode per physical line. A file that is cp1252 throughout is decoded as such (encoding 'cp1252');
    in a UTF-8 file, lines that are not UTF-8 are decoded as cp1252 but flagged so that their records are
    rejected rather than loaded with wrong characters."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    raw_lines = data.splitlines(keepends=True)
    texts: list[str] = []
    bad: set[int] = set()
    utf8_non_ascii = 0
    for number, raw in enumerate(raw_lines, start=1):
        try:
            text = raw.decode("utf-8")
            utf8_non_ascii += any(b > 127 for b in raw)
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
            bad.add(number)
        texts.append(text)
    if bad and utf8_non_ascii == 0:
        return texts, set(), "cp1252"  # consistently cp1252: decoded, and the summary says so
    return texts, bad, "utf-8"


def sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", ",", "\t", "|")}
    return max(counts, key=lambda d: counts[d])


def read_rows(path: Path, aliases: dict[str, tuple[str, ...]]) -> tuple[list[Row], list[BadRow], str]:
    """Rows keyed by canonical column names (`aliases`: canonical → accepted header spellings, folded)."""
    texts, bad_lines, encoding = decode_lines(path.read_bytes())
    if encoding == "cp1252":
        log.warning("%s is not UTF-8: decoded as cp1252 (Windows) throughout", path)
    while texts and not texts[0].strip():
        texts.pop(0)
    if not texts:
        return [], [BadRow(1, "header", "empty file")], encoding
    delimiter = sniff_delimiter(texts[0])
    header = next(csv.reader([texts[0]], delimiter=delimiter))
    columns = [canonical_column(name, aliases) for name in header]
    rows: list[Row] = []
    bad: list[BadRow] = []
    for first, last, values in _records(texts, delimiter, len(header), bad):
        broken = bad_lines.intersection(range(first, last + 1))
        if broken:
            bad.append(BadRow(first, "encoding", f"line {min(broken)} is not UTF-8 (looks like cp1252)"))
            continue
        if any("\x00" in value for value in values):
            bad.append(BadRow(first, "encoding", "NUL byte in the record (binary data?)"))
            continue
        rows.append(Row(first, {col: value for col, value in zip(columns, values, strict=True) if col}))
    return rows, bad, encoding


def canonical_column(name: str, aliases: dict[str, tuple[str, ...]]) -> str:
    key = snake_slug(name)
    for canonical, spellings in aliases.items():
        if key == canonical or key in spellings:
            return canonical
    return key


def _records(texts: list[str], delimiter: str, width: int, bad: list[BadRow]) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, values) of each well-formed record. A record with the wrong number of fields
    (typically an unterminated quote that swallowed the following lines) is rejected by its first line only,
    and parsing resumes on the next physical line, so the records it swallowed are not lost."""
    start = 1  # index into texts of the first line after the header
    while start < len(texts):
        reader = csv.reader(iter(texts[start:]), delimiter=delimiter)
        consumed = 0
        restart = None
        for values in _guarded(reader):
            if isinstance(values, str):  # the csv module gave up on this record: resume on the next line
                bad.append(BadRow(start + consumed + 1, "record", values))
                restart = start + consumed + 1
                break
            first = start + consumed + 1  # 1-based physical line
            last = start + reader.line_num
            consumed = reader.line_num
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != width or _swallows_records(texts[first:last], delimiter, width):
                reason = f"{len(values)} fields instead of {width}" if len(values) != width else "unterminated quote"
                reason += " (broken quoting or delimiter)"
                bad.append(BadRow(first, "record", reason))
                restart = first  # resume on the line after the bad record's first line
                break
            yield first, last, values
        if restart is None:
            return
        start = restart


def _guarded(reader: Iterator[list[str]]) -> Iterator[list[str] | str]:
    """The reader's rows; on a csv.Error (a runaway quoted field over the size limit, …) its message, once."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield f"unreadable CSV record: {error}"
            return


def _swallows_records(continuation: list[str], delimiter: str, width: int) -> bool:
    """A quoted field spanning lines that each read as a whole record is an unterminated quote, not a text."""
    for line in continuation:
        values = next(csv.reader([line], delimiter=delimiter), [])
        if len(values) == width and values[0].strip() and '"' not in values[0]:
            return True
    return False
