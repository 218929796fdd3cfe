"""ROME 4.0 beside v3.44 (issue 18, part 1): the source read as it is, bad input named, the v3 → v4 resolution,
derived skills marked as such, and the whole of it in Neo4j next to v3."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graph.db import Database
from graph.ontology_store import ontology_counts, rome4_fiches_of
from ontology.catalogue import load_catalogue
from ontology.rome4 import FILES, PARENT_TEXT, ROME4_DIR, SAME_CODE, derive_skills, read_rome4
from ontology.sources import SourceError


def test_the_source_is_read_whole_with_ranks_and_parents() -> None:
    rome4 = read_rome4()
    assert len(rome4.fiches) == 1_584
    assert sum(f.keeps_v3_code for f in rome4.fiches.values()) == 532
    assert sum(len(f.appellations) for f in rome4.fiches.values()) == 13_120
    assert len(rome4.moves) == 14_912
    ranks: dict[str, list[int]] = {}
    for move in rome4.moves:
        ranks.setdefault(move.source, []).append(move.rank)
    assert len(ranks) == 1_584 and all(sorted(r) == list(range(1, len(r) + 1)) for r in ranks.values())
    assert max(len(r) for r in ranks.values()) == 21
    fiche = rome4.fiches["A1102"]
    assert fiche.parent == "A1101" and fiche.definition and "forestière" in fiche.label
    assert rome4.children_of("A1101")[0] == "A1101" and "A1102" in rome4.children_of("A1101")
    assert sum(len(rome4.children_of(code)) for code in {f.parent for f in rome4.fiches.values()}) == 1_584


def test_a_broken_move_names_file_record_and_field(tmp_path: Path) -> None:
    for name in FILES.values():
        shutil.copy(ROME4_DIR / name, tmp_path / name)
    moves = tmp_path / FILES["moves"]
    moves.write_text(moves.read_text(encoding="utf-8") + '"A1101","Z9999","3"\n', encoding="utf-8")
    with pytest.raises(SourceError) as error:
        read_rome4(tmp_path)
    assert error.value.field == "code_rome_cible" and error.value.record == "A1101 -> Z9999"
    assert FILES["moves"] in error.value.file


@pytest.mark.slow
def test_derived_skills_come_from_the_parent_and_say_how() -> None:
    catalogue = load_catalogue()
    rome4 = derive_skills(read_rome4(), catalogue)
    kept, new = rome4.fiches["K1401"], rome4.fiches["A1102"]
    v3 = catalogue.occupation("ROME", "K1401")
    assert kept.skill_method == SAME_CODE and {u for u, _ in kept.skills} == {*v3.essential_skills, *v3.optional_skills}
    parent = catalogue.occupation("ROME", "A1101")
    assert new.skill_method == PARENT_TEXT and len(new.skills) >= 8
    assert {u for u, _ in new.skills} <= {*parent.essential_skills, *parent.optional_skills}
    assert [c for _, c in new.skills] == sorted((c for _, c in new.skills), reverse=True)
    with_skills = [f for f in rome4.fiches.values() if f.skills]
    assert len(with_skills) >= 1_500  # a parent without skills in v3.44 leaves its children without


def test_neo4j_holds_rome4_beside_v3(ontology: Database) -> None:
    counts = ontology_counts(ontology)
    assert counts["RomeFiche"] == 532 and counts["MOBILITY"] == 4_223  # v3.44 untouched
    assert counts["Rome4Fiche"] == 1_584 and counts["Rome4Appellation"] == 13_120
    assert counts["ROME4_MOVE"] == 14_912 and counts["ROME_PARENT"] == 1_584
    records, _, _ = ontology.execute_query(
        "MATCH (:Rome4Fiche {code: 'A1101'})-[m:ROME4_MOVE]->(t:Rome4Fiche) RETURN t.code AS t, m.rank AS rank "
        "ORDER BY rank"
    )
    assert [r["rank"] for r in records] == sorted(r["rank"] for r in records) and records[0]["rank"] == 1
    assert rome4_fiches_of(ontology, "A1101")[0] == "A1101" and "A1102" in rome4_fiches_of(ontology, "A1101")
    records, _, _ = ontology.execute_query(
        "MATCH (:Rome4Fiche {code: 'A1102'})-[r:REQUIRES_SKILL]->(:Skill) "
        "RETURN DISTINCT r.derived AS derived, r.method AS method, r.essential AS essential"
    )
    assert [dict(r) for r in records] == [{"derived": True, "method": PARENT_TEXT, "essential": False}]
    records, _, _ = ontology.execute_query(
        "MATCH (f:Rome4Fiche {code: 'K1401'}) RETURN f.definition AS definition, f.access AS access"
    )
    assert records[0]["definition"] and records[0]["access"]
