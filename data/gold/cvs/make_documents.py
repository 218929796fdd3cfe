"""Writes the gold's PDF and DOCX CVs from their texts in `sources/` (run once; the files are committed).

PDF (matplotlib, TrueType fonts): blocks separated by a line `##` are laid out as a header across the page, then a
left column and a right column, as CV templates do; pypdf reads them back in its own order. DOCX (python-docx):
one paragraph per line; a line holding ` | ` becomes a table row (cv12), as CVs made in Word often are.

    PYTHONPATH=$PWD .venv/bin/python data/gold/cvs/make_documents.py [cv113 cv116 …]
"""

from __future__ import annotations

import textwrap
from pathlib import Path

HERE = Path(__file__).parent
PDF = ("cv03", "cv09", "cv16", "cv25", "cv113", "cv114", "cv115")
DOCX = ("cv05", "cv12", "cv20", "cv116", "cv117", "cv118")


def write_pdf(source: Path, target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["pdf.fonttype"] = 42
    from matplotlib import pyplot as plt

    header, left, right = (block.strip("\n").splitlines() for block in source.read_text().split("##\n"))
    figure = plt.figure(figsize=(8.27, 11.69))
    y = _column(figure, header, 0.07, 0.95, 90, 11)
    top = y - 0.02
    _column(figure, left, 0.07, top, 30, 9)
    _column(figure, right, 0.42, top, 62, 9)
    figure.savefig(target, format="pdf", metadata={"Creator": "Vivier gold", "Producer": None, "CreationDate": None})
    plt.close(figure)


def _column(figure: object, lines: list[str], x: float, y: float, width: int, size: int) -> float:
    for line in lines:
        for piece in textwrap.wrap(line, width) or [""]:
            figure.text(x, y, piece, fontsize=size, family="DejaVu Sans")  # type: ignore[attr-defined]
            y -= size / 11.69 / 72 * 1.45
    return y


def write_docx(source: Path, target: Path) -> None:
    import docx

    document = docx.Document()
    rows = []
    for line in source.read_text().splitlines():
        if " | " in line:
            rows.append(line.split(" | "))
            continue
        if rows:
            _table(document, rows)
            rows = []
        document.add_paragraph(line)
    if rows:
        _table(document, rows)
    document.core_properties.author = "Vivier gold"
    document.save(str(target))


def _table(document: object, rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))  # type: ignore[attr-defined]
    for row, cells in zip(table.rows, rows, strict=False):
        for cell, text in zip(row.cells, cells, strict=False):
            cell.text = text


if __name__ == "__main__":
    import sys

    wanted = set(sys.argv[1:]) or set(PDF) | set(DOCX)  # names to write (a DOCX's bytes change at each writing)
    for name in (n for n in PDF if n in wanted):
        write_pdf(HERE / "sources" / f"{name}.txt", HERE / f"{name}.pdf")
    for name in (n for n in DOCX if n in wanted):
        write_docx(HERE / "sources" / f"{name}.txt", HERE / f"{name}.docx")
