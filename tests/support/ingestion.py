"""Helpers for the ingestion tests: tiny real PDF and DOCX files, ontology stubs, a graph fingerprint."""

from __future__ import annotations

import io
from typing import Any

from graph.db import Database
from graph.schema import FACTS_REVISION


def tiny_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with the given ASCII lines (Helvetica), written by hand with a correct xref."""
    text = " ".join(f"({line.replace('(', '[').replace(')', ']')}) '" for line in lines)
    stream = f"BT /F1 11 Tf 50 780 Td 14 TL {text} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return pdf_file(objects)


def pdf_file(objects: list[bytes], version: bytes = b"1.4") -> bytes:
    """A PDF of the given numbered objects (1 is the catalog), with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-" + version + b"\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def tiny_docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def write_ontology_stubs(database: Database) -> None:
    """The catalogue's skills, RMFP/ROME occupations, grades and cadres as bare concept nodes (uri, label), so
    that links can be made without building the whole ontology (issue 3's loader does the real thing)."""
    from ontology.catalogue import load_catalogue

    catalogue = load_catalogue()
    present = database.execute_query("MATCH (c:Skill) RETURN count(c) AS n").records[0]["n"]
    if present >= len(catalogue.skills):
        return  # the stubs (or the real ontology) are there
    groups: dict[str, list[dict[str, Any]]] = {
        "Skill": [{"uri": s.uri, "label": s.label} for s in catalogue.skills.values()],
        "EmploiReference": [{"uri": o.uri, "label": o.label} for o in catalogue.occupations_of("RMFP")],
        "RomeFiche": [{"uri": o.uri, "label": o.label} for o in catalogue.occupations_of("ROME")],
        "Grade": [{"uri": g.uri, "label": g.label} for g in catalogue.grades.values()],
        "CadreEmplois": list(
            {g.cadre_uri: {"uri": g.cadre_uri, "label": g.cadre_label} for g in catalogue.grades.values()}.values()
        ),
    }
    for label, rows in groups.items():
        extra = ":Occupation" if label in ("EmploiReference", "RomeFiche") else ""
        for start in range(0, len(rows), 5000):
            database.execute_query(
                f"UNWIND $rows AS row MERGE (c:Concept {{uri: row.uri}}) SET c:{label}{extra}, c.label = row.label",
                rows=rows[start : start + 5000],
            )


def count(database: Database, query: str, **params: object) -> int:
    return int(database.execute_query(query, params).records[0][0])


def graph_fingerprint(database: Database) -> tuple[list[str], list[str]]:
    """Every recruitment node and relationship with all its properties, sorted: equal fingerprints, equal graphs.
    Bookkeeping is left out: schema steps, and the revision counters and the `facts_revision` stamps every offer and
    candidate write moves (a reload tells the API's caches to read those offers and candidates again, which then hold
    the same data)."""
    nodes, _, _ = database.execute_query(
        "MATCH (n) WHERE NOT n:Concept AND NOT n:SchemaMigration AND NOT n:Revision "
        "RETURN labels(n) AS labels, properties(n) AS props"
    )
    rels, _, _ = database.execute_query(
        "MATCH (a)-[r]->(b) WHERE NOT (a:Concept AND b:Concept) "
        "RETURN type(r) AS type, coalesce(a.offer_id, a.candidate_id, a.employer_id, a.uri, a.code) AS a, "
        "coalesce(b.offer_id, b.candidate_id, b.employer_id, b.uri, b.code) AS b, properties(r) AS props"
    )
    stamped = FACTS_REVISION  # bookkeeping, like the counters: left out
    return (
        sorted(f"{sorted(r['labels'])}{sorted(i for i in r['props'].items() if i[0] != stamped)}" for r in nodes),
        sorted(f"{r['type']}{r['a']}{r['b']}{sorted(r['props'].items())}" for r in rels),
    )
