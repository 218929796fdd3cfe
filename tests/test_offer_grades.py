"""Grades offers name: inclusive writing (loaders.inclusive) and names the matcher misses (loaders.grades)."""

from __future__ import annotations

import pytest

from loaders.grades import GradeNames, grade_names
from loaders.inclusive import masculine
from loaders.nlp import default_analyzer, pipeline
from loaders.statutory import offer_facts, recently_folded


def test_inclusive_writing_reads_as_the_masculine() -> None:
    assert masculine("un(e) attaché(e) hors classe ou principal(e)") == "un attaché hors classe ou principal"
    assert masculine("rédacteur·rice principal·e de 1re classe") == "rédacteur principal de 1re classe"
    assert masculine("chargé.e de mission, agent.e.s, technicien-ne, attaché/e, agent(e)s") == (
        "chargé de mission, agent, technicien, attaché, agent"
    )
    # not inclusive writing: a sentence ending before « Ne », compound words, units, « et/ou »
    kept = "fin du poste.Ne pas oublier, et/ou, e-mail, Île-de-France, Saint-Etienne, 90 km/h, (e) seul"
    assert masculine(kept) == kept


def test_the_tokens_keep_the_text_and_read_the_masculine_norm() -> None:
    doc = pipeline()("Un(e) attaché(e) hors classe, technicien-ne ou attaché/e")
    assert [t.text for t in doc][:4] == ["Un(e)", "attaché(e)", "hors", "classe"]
    assert [t.norm_ for t in doc if t.text in ("attaché(e)", "technicien-ne", "attaché/e")] == [
        "attache",
        "technicien",
        "attache",
    ]
    assert doc.text == "Un(e) attaché(e) hors classe, technicien-ne ou attaché/e"  # offsets as written


def test_the_statutory_rules_read_inclusive_writing() -> None:
    assert "attache hors classe" in recently_folded("Attaché(e) hors classe")
    assert offer_facts("Poste ouvert aux rédacteur·rice·s territoriaux·ales titulaires.").corps is not None


@pytest.fixture(scope="module")
def names() -> GradeNames:
    return grade_names(default_analyzer().catalogue)


def _named(names: GradeNames, text: str, versant: str | None = None) -> str | None:
    found = names.named(recently_folded(text), versant)
    return found.grade.label if found else None


@pytest.mark.slow  # builds the text analyzer (the catalogue and its matcher)
def test_a_cadre_named_as_a_grade_is_its_entry_grade(names: GradeNames) -> None:
    label = _named(names, "CDD, rémunération sur le grade d'adjoint technique territorial. Astreintes.")
    assert label is not None and label.lower().startswith("adjoint technique") and "principal" not in label.lower()
    found = names.named(recently_folded("Recrutement sur le grade d'adjoint administratif territorial"), None)
    assert found is not None and (found.grade.label, found.versant) == ("Adjoint administratif", "FPT")
    assert _named(names, "Avancement de grade et d'échelon, gestion des carrières") is None


@pytest.mark.slow
def test_class_qualifiers_inserted_shared_or_in_inclusive_writing(names: GradeNames) -> None:
    assert _named(names, "Poste de rédacteur·rice principal·e de 1re classe") == (
        "Redacteur principal 1ere classe (3eme grade)"
    )
    assert _named(names, "le poste convient à un(e) attaché(e) hors classe ou principal(e) disposant", "FPE") == (
        "Attache principal"
    )
    assert (
        _named(names, "Grade : technicienne principale de 2e classe") == "Technicien principal 2eme classe (2eme grade)"
    )
    # the people the post manages (plural) are not the post's grade
    assert _named(names, "Vous encadrez des adjoints techniques principaux de 2e classe.") is None
