"""The statutory situation a free-text CV states (loaders/cv_status.py): grades whose class sits inside the
nomenclature's label, a cadre d'emplois named without a grade, a heading that is a title and not a person, the
catégorie of a status line; and the cadre reaching Neo4j (HOLDS_GRADE → CadreEmplois, `Candidate.corps`)."""

from __future__ import annotations

import pytest

from graph.db import Database
from graph.schema import CANDIDATE_CORPS
from graph.writes import write_candidates
from loaders.cv_status import stated_categorie
from loaders.cvs import _heading_names, _titled_job, job_part, parse_cv
from loaders.grades import grade_names
from loaders.nlp import default_analyzer
from loaders.records import CandidateRecord
from loaders.statutory import reformed_categorie
from loaders.values import employer_kind_of, opens_with_employer
from tests.support.ingestion import graph_fingerprint

POLICE = (
    "POLICE MUNICIPALE\n"
    "Damien ESCOFFIER – Brigadier-chef principal\n"
    "47 rue Paradis 06000 Nice\n\n"
    "Depuis 2014 : Policier municipal, Ville de Nice\n"
    "Titulaire du cadre d'emplois des agents de police municipale, catégorie C.\n"
    "Armement cat. B et D. Permis B.\n"
)
AMA = (
    "Samia OUAZZANI\n"
    "Assistante médico-administrative\n"
    "15 avenue Jean-Jaurès 31400 Toulouse\n\n"
    "Depuis 2021 : Assistante médico-administrative, CHU de Toulouse. Titulaire.\n"
    "Accueil des patients, frappe des comptes rendus médicaux.\n"
)


def grade_code(record: CandidateRecord) -> str | None:
    grade = default_analyzer().catalogue.grades.get(record.grade_uri or "")
    return grade.code if grade else None


def test_a_class_inside_the_label_and_its_abbreviations_name_the_grade() -> None:
    names = grade_names(default_analyzer().catalogue)
    # NEG: « Adjoint technique principal 2eme cl etabts enseignt » (0831): class inside, words cut short
    found = names.named("adjoint technique principal de 2e classe des etablissements d'enseignement", "FPT")
    assert found is not None and found.grade.code == "0831"
    atsem = parse_cv("Nadia B.\nATSEM principale de 2e classe\nÉcole maternelle, Ville de Nantes\n".encode(), "a.txt")
    assert grade_code(atsem) == "0811"  # « Agent specialise principal de 2eme cl ecoles maternelles »


def test_a_title_heading_is_not_a_name_and_the_grade_and_cadre_are_read() -> None:
    assert _heading_names("CADRE DE SANTÉ – FPH\n\nIsabelle CHASSAGNE\n") == ["Isabelle CHASSAGNE"]
    record = parse_cv(POLICE.encode(), "police.txt")
    assert "Damien" not in record.cv_text and "ESCOFFIER" not in record.cv_text
    assert "police municipale" in record.cv_text.lower()  # the title was not scrubbed as a name
    assert grade_code(record) in {"0495", "1124"}  # brigadier-chef principal
    assert (record.versant, record.categorie, record.filiere) == ("FPT", "C", "Police municipale")


def test_a_cadre_named_without_a_grade_is_kept_as_written_and_as_a_concept() -> None:
    record = parse_cv(AMA.encode(), "ama.txt")
    assert record.grade_uri is None
    assert record.corps == "assistant medico-administratif" and record.cadre_uri is not None
    assert (record.versant, record.categorie, record.titulaire) == ("FPH", "B", True)


def test_a_status_line_states_the_categorie_a_driving_licence_does_not() -> None:
    assert stated_categorie("ase cat. a – filiere medico-sociale – titulaire") == "A"
    assert stated_categorie("titulaire du permis cat. b") is None
    assert stated_categorie("permis b\nassistante sociale cat. a") is None  # no status word on the line


def test_employer_acronyms_end_at_a_word_end() -> None:
    assert employer_kind_of("CH de Vichy") == "hopital"
    assert employer_kind_of("Chargée de mission GPEC, Ministère de l'Intérieur") == "etat"
    assert employer_kind_of("Cheffe du bureau des personnels, Préfecture de l'Essonne") == "etat"


def test_the_named_cadre_reaches_neo4j_and_a_reload_changes_nothing(db: Database) -> None:
    record = parse_cv(AMA.encode(), "ama.txt", source="cv-status-test")
    write_candidates(db, [record])
    rows = db.execute_query(
        "MATCH (c:Candidate {candidate_id: $id}) OPTIONAL MATCH (c)-[:HOLDS_GRADE]->(g) "
        "RETURN c[$corps] AS corps, [l IN labels(g) WHERE l <> 'Concept'] AS labels, g.uri AS uri",
        id=record.candidate_id,
        corps=CANDIDATE_CORPS,
    ).records
    assert [(r["corps"], r["uri"]) for r in rows] == [("assistant medico-administratif", record.cadre_uri)]
    assert "CadreEmplois" in rows[0]["labels"]
    before = graph_fingerprint(db)
    write_candidates(db, [parse_cv(AMA.encode(), "ama.txt", source="cv-status-test")])
    assert graph_fingerprint(db) == before


def test_feminine_qualifiers_and_the_class_words_of_a_status_line_name_the_grade() -> None:
    technician = parse_cv(b"M. F.\nTechnicien territorial principal de 1re classe\nVille de Nantes\n", "t.txt")
    assert grade_code(technician) == "0960"  # not the matcher's shorter « Technicien »
    attachee = parse_cv("A.-S. M.\nAttachée territoriale principale\nCommune de Bruz\n".encode(), "a.txt")
    assert grade_code(attachee) in {"0783", "0006"} and attachee.titulaire is True  # a grade held: a titulaire
    state = parse_cv(
        "H. F.\nAttachée principale d'administration de l'État, titulaire\n\n"
        "2019 – auj. : Cheffe de bureau, Ministère de l'Intérieur\n".encode(),
        "s.txt",
    )
    assert state.versant == "FPE" and state.grade_uri is None  # the NEG has no FPE attaché principal
    assert state.categorie == "A" and state.corps == "attache d'administration de l'etat"


def test_a_job_title_that_begins_with_a_cadre_name_or_a_contractuel_holds_no_cadre() -> None:
    animator = parse_cv("K. D.\nAnimateur périscolaire\nDepuis 2022 : animateur, Ville de Lyon\n".encode(), "k.txt")
    assert animator.corps is None and animator.cadre_uri is None
    engineer = parse_cv(
        "T. N.\nIngénieur d'études en analyse de données – contractuel\nUniversité de Bordeaux\n".encode(), "e.txt"
    )
    assert engineer.titulaire is False and engineer.corps is None


def test_the_grade_of_the_same_name_in_the_cv_versant_despite_the_nomenclature_spelling() -> None:
    # read first as the State's « Adjoint administratif principal 2eme classe » (0966), the versant is the mairie's:
    # the territorial « … principal 2e classe » (0014) is the same name
    text = "M. L.\nAdjointe administrative principale de 2e classe\n\n2015 – auj. : Agent d'accueil, Mairie de Brest\n"
    record = parse_cv(text.encode(), "l.txt")
    assert (record.versant, grade_code(record), record.titulaire) == ("FPT", "0014", True)
    assert employer_kind_of("Chargée de mission, DREETS Grand Est") == "etat"


def test_a_grade_the_nomenclature_repeats_for_one_employer_is_read_as_the_general_one() -> None:
    # NEG: « Maitre ouvrier principal » (0177, FPH) and the AP-HP's « Maitre ouvrier princ (a p de paris)(e06) »
    # (0253), whose words are the same once its note is set aside: a CHU de Rennes cook holds the general one
    cook = parse_cv("F. G.\nMaître ouvrier principal – cuisine – CHU de Rennes\n35000 Rennes\n".encode(), "g.txt")
    assert (grade_code(cook), cook.versant, cook.categorie) == ("0177", "FPH", "C")


def test_a_research_corps_named_in_full_is_a_cadre_and_gives_its_categorie() -> None:
    # the ITRF corps is in neither the NEG nor the territorial names it begins with (« technicien »)
    text = "A. P.\nTechnicienne de recherche et de formation – titulaire – Université Lyon 1\n69008 Lyon\n"
    record = parse_cv(text.encode(), "p.txt")
    assert record.corps == "technicien de recherche et de formation" and record.grade_uri is None
    assert (record.categorie, record.filiere, record.titulaire) == ("B", None, True)


def test_a_cv_gives_the_catégorie_of_today_for_a_cadre_reformed_after_the_nomenclature() -> None:
    # the NEG files aides-soignants in C and territorial EJE in B; the 2022 and 2019 reforms made them B and A
    carer = parse_cv("S. L.\nAide-soignante – titulaire FPH\nLimoges (87)\n".encode(), "s.txt")
    assert (carer.corps, carer.categorie, carer.versant) == ("aide-soignant", "B", "FPH")
    eje_text = "J. C.\nÉducatrice de jeunes enfants – titulaire\nCrèche municipale, Ville de Montpellier\n"
    eje = parse_cv(eje_text.encode(), "j.txt")
    assert (grade_code(eje), eje.categorie) == ("0534", "A")
    assert reformed_categorie("Educateurs territoriaux de jeunes enfants") == "A"
    assert reformed_categorie("Adjoints administratifs territoriaux") is None


def test_a_feminine_title_with_its_class_names_the_cadre_and_a_territorial_title_the_versant() -> None:
    # « normale » must go with the class words before the title is made masculine (else « classe normal » stays)
    text = "G. L. B.\nSecrétaire administrative de classe normale – FPE\nQuimper (29)\n\nSITUATION : titulaire\n"
    secretary = parse_cv(text.encode(), "g.txt")
    assert secretary.corps == "secretaire administratif" and secretary.versant == "FPE"
    engineer = parse_cv(
        "M. H.\nIngénieur territorial – chef de projet SI\n34000 Montpellier\n\n"
        "Région Occitanie (depuis 2019)\nChef de projet système d'information, titulaire\n".encode(),
        "m.txt",
    )
    assert (engineer.versant, engineer.categorie, engineer.filiere) == ("FPT", "A", "Technique")


def test_what_the_fresh_4_set_showed_a_hand_that_does_not_know_the_reader_writes() -> None:
    text = (
        "POLICE MUNICIPALE – PERPIGNAN\n\nS. M.-C.\nLieu-dit La Borie, 24750 Trélissac\n\n"
        "Brigadier-chef principal – titulaire – 9e échelon\n\n"
        "2016 à ce jour – Chef de patrouille, Police municipale de Perpignan\n"
        "Animateur au CCAS de Pau, depuis 2012\nateliers mémoire, sorties\n\n"
        "2009 - 2011 : Assistant administratif (CDD), cabinet d'expertise comptable\nFORMATION\n"
    )
    record = parse_cv(text.encode(), "pm.txt")
    assert "Borie" not in record.cv_text  # a rural address has no number
    # the police municipale is a commune's; its échelon spécial (1124, filed in B) is not the grade a name means
    assert (record.versant, grade_code(record), record.categorie) == ("FPT", "0495", "C")
    assert record.titulaire is True  # a grade held and « titulaire »: the earlier CDD is not the current status
    positions = [e.position for e in record.experiences]
    assert "Animateur au CCAS de Pau" in positions  # a date ending its line follows its position
    assert not any(p.startswith("FORMATION") for p in positions)  # a heading is no job
    assert employer_kind_of("Police municipale de Perpignan") == "commune"


def read(text: str) -> CandidateRecord:
    """A free-text CV as the loader reads it."""
    return parse_cv(text.encode(), "cv.txt")


def steps_of(text: str) -> list[tuple[str, str | None]]:
    """(position, start) of each step of a free-text CV, the latest first."""
    return [(e.position, e.start) for e in read(text).experiences]


def test_what_the_fresh_5_and_6_sets_showed_a_hand_that_does_not_know_the_reader_writes() -> None:
    detached = (
        "C. M.\nAttachée principale d'administration de l'État en détachement\n\n"
        "SITUATION ADMINISTRATIVE\nFonctionnaire de l'État, corps des attachés d'administration de l'État.\n"
        "Détachée depuis le 1er sept. 2024 auprès de la Région sur le grade d'attachée territoriale principale.\n"
    )
    record = read(detached)
    assert (record.versant, grade_code(record)) == ("FPT", "0783")  # the host grade, not the corps of origin
    social = (
        "I. H.\nAssistante socio-éducative titulaire – fonction publique hospitalière\n\n"
        "2011 - 2014   Conseillère (CDD), CAF de la Moselle\n"
    )
    record = read(social)
    assert grade_code(record) == "1093" and record.titulaire is True  # a whole grade name on a status line
    technician = (
        "G. T.\nTechnicien territorial principal de 1re classe – 8e échelon\n\n"
        "LORIENT AGGLOMÉRATION – Direction des systèmes d'information\n"
        "2016 → auj.   Administrateur systèmes et réseaux\n"
        "   • administration des serveurs virtualisés\n\n"
        "Sept. 2005 – juin 2009   Technicien helpdesk (CDI), SSII d'infogérance, Rennes\n"
    )
    record = read(technician)
    assert record.titulaire is True  # the CDI is an ended step's; a grade is held today
    assert [(e.start, e.end) for e in record.experiences] == [("2016", None), ("2005-09", "2009-06")]
    corps = read("A. V.\n\nTechnicien supérieur principal du développement durable (TSPDD)\n")
    assert corps.corps == "technicien superieur du developpement durable" and corps.versant == "FPE"


LAYOUTS = [
    (  # fresh-5: a task line under the date, a date ending its line, « e-mailing » before a date
        "D. B.\n\nPARCOURS\n"
        "sept. 2018 – aujourd'hui : Technicien police de l'eau\n - instruction des dossiers loi sur l'eau\n\n"
        "Jardinier, Ville de Cusset          2002 - 2015\n\n"
        "Ouvrier horticole, Bellerive-sur-Allier   1998 - 2002\n"
        "tests A/B sur les campagnes e-mailing\n\n2017 – 2019   Consultant BI junior, Paris\n",
        {
            "Technicien police de l'eau": ("2018-09", None),
            "Ouvrier horticole, Bellerive-sur-Allier": ("1998", "2002"),
            "Consultant BI junior, Paris": ("2017", "2019"),
        },
    ),
    (  # fresh-8: dates in brackets at the line end, the title above the date, a table row
        "S. M.\n\nPARCOURS\n\n"
        "Technicien hospitalier, CH de Cholet  [juin 2021 – aujourd'hui]\n  • Supervision GTC\n\n"
        "Greffière, Conseil de prud'hommes du Havre\n07/2019 à 08/2021\n- accueil des justiciables\n\n"
        "Greffière – pôle famille, Tribunal judiciaire de Rouen\ndepuis le 1er septembre 2021\n- audiences\n\n"
        "Période | Employeur | Poste\n2004 – 2008 | CAF de la Sarthe | Assistante sociale (CDD)\n"
        "2008 – 2015 | Département de la Mayenne | Assistante sociale de secteur\n",
        {
            "Technicien hospitalier, CH de Cholet": ("2021-06", None),
            "Greffière, Conseil de prud'hommes du Havre": ("2019-07", "2021-08"),
            "Greffière – pôle famille, Tribunal judiciaire de Rouen": ("2021-09", None),
            "Assistante sociale de secteur, Département de la Mayenne": ("2008", "2015"),
        },
    ),
]


@pytest.mark.parametrize(("text", "expected"), LAYOUTS)
def test_steps_keep_their_title_and_dates_whatever_the_layout(text: str, expected: dict[str, tuple]) -> None:
    steps = {e.position: (e.start, e.end) for e in read(text).experiences}
    assert {position: steps.get(position) for position in expected} == expected


def test_what_the_fresh_7_set_showed_a_hand_that_does_not_know_the_reader_writes() -> None:
    merm = (
        "F. E.\n\nManipulateur d'électroradiologie médicale (MERM)\nClasse supérieure – catégorie A – 4e échelon\n\n"
        "Janv. 2018 – ce jour    CHU de Nîmes\n  MERM en IRM (2018-2021) puis en radiologie interventionnelle\n"
        "Sept. 2014 – déc. 2017   Manipulateur (contractuel, puis stagiaire en 2015, titularisé en 2016)\n"
    )
    record = read(merm)
    assert grade_code(record) in {"0109", "0482"} and record.categorie == "A"  # the class line continues the title
    assert record.titulaire is True  # titularisé after the contract
    assert len(record.experiences) == 2  # « (2018-2021) » inside a description is no step
    etaps = parse_cv(b"Y. L.\n ETAPS ppal 1re cl. depuis 2020\n\n2009 > 2016 : Ville de Rennes\n", "e.txt")
    assert grade_code(etaps) == "0976" and ("2009", "2016") in [(e.start, e.end) for e in etaps.experiences]
    saenes = read("N. G.\n\nSAENES classe supérieure (cat. B) – Rectorat\n\n03/2017 – …  Gestionnaire\n")
    # the NEG files 0978 under a ministry, not a corps: the corps is read from the grade's name
    assert grade_code(saenes) == "0978" and saenes.corps == "secretaire administratif"
    assert [(e.start, e.end) for e in saenes.experiences] == [("2017-03", None)]  # « … »: still in post


def test_a_position_is_the_job_written_not_a_task_or_a_diploma_line() -> None:
    text = (
        "C. R.\n\nEXPÉRIENCES\n"
        "2012 - 2019 : Directrice des ressources humaines, Rennes Métropole\n"
        "Gestion prévisionnelle des emplois et des compétences, dialogue social.\n"
        "2008 – 2011    IDE en pédiatrie générale, CH de Montauban\n\n"
        "Diplôme d'État d'infirmière (2008)\n\n"
        "Depuis janvier 2020 (stagiaire, titularisée en janvier 2021)\n"
        "Assistante sociale – Service social hospitalier, CHR Metz-Thionville\n"
    )
    positions = [e.position for e in read(text).experiences]
    # a job that names its employer after it keeps its own title; a blank line ends the step; a note is no title
    assert "Directrice des ressources humaines, Rennes Métropole" in positions
    assert "IDE en pédiatrie générale, CH de Montauban" in positions
    assert any(p.startswith("Assistante sociale – Service social hospitalier") for p in positions)


def test_an_ehpad_run_by_a_ccas_and_a_grade_only_the_territorial_versant_has() -> None:
    ehpad = (
        "K. D.\n\nAux. de soins ppale 2e cl. – 4e éch.\nEHPAD « Résidence du Parc » – CCAS de Saint-Quentin\n"
        "depuis 2016 : toilettes et soins d'hygiène ; titulaire depuis 2017\n\n"
        "2011-2014 : ASH contractuelle, CH de Saint-Quentin\n"
    )
    record = read(ehpad)
    # a grade only the FPT has beats an earlier step's hospital; the cadre moved to B in 2022; no step from 2017
    assert (grade_code(record), record.versant, record.categorie, record.echelon) == ("0817", "FPT", "B", 4)
    assert [e.start for e in record.experiences] == ["2016", "2011"]
    assert employer_kind_of("EHPAD « Résidence du Parc » – CCAS de Saint-Quentin") == "commune"


def test_a_status_held_a_course_or_a_programme_is_no_career_step() -> None:
    text = (
        "J. T.\nTitulaire FPT depuis 2011\n\nEXPÉRIENCE\n"
        "2016 – 2020 : Chargée de mission, Région Auvergne-Rhône-Alpes\n"
        "suivi des indicateurs du programme régional 2021-2027\n"
        "Détachée depuis le 1er sept. 2024 auprès de la Région sur le grade d'attachée territoriale principale\n"
        "Secrétaire administrative de classe supérieure depuis le 1er septembre 2019 (tableau d'avancement)\n\n"
        "FORMATION\n2012-2013 : IRA de Lyon (concours interne)\n"
    )
    steps = [(e.start, e.end) for e in read(text).experiences]
    assert steps == [("2016", "2020")]


def test_the_line_that_opens_with_a_job_word_is_the_position() -> None:
    # the dated line names the employer in no known way (« MAIF », a « Foyer »); the next line opens with the first word
    # of a ROME appellation; a job's acronym on the dated line (« EJE ») keeps its line
    text = (
        "S. B.\n\nEXPÉRIENCES\n\n2007 – 2015 – MAIF, Niort\nRédactrice sinistres IARD\n• Gestion des sinistres\n\n"
        "2015 – 2018 Foyer départemental de l'enfance, Arras\nÉducatrice spécialisée (CDD)\n\n"
        "2018 – 2021 EJE, crèche municipale, Ville de Montpellier\nÉlaboration du projet pédagogique, observation\n"
    )
    positions = [e.position for e in read(text).experiences]
    assert [p.split(",")[0].split(" (")[0] for p in positions] == [
        "EJE",
        "Éducatrice spécialisée",
        "Rédactrice sinistres IARD",
    ]


def test_a_historical_date_range_is_no_step_and_does_not_refuse_the_cv() -> None:
    # « 1770-1870 » read as a step failed the record's date check (1950 at the earliest): the whole CV was refused
    text = (
        "M. D.\nConservatrice du patrimoine\n\nEXPÉRIENCE\n2015 – 2020 : Chargée des collections, Musée de Limoges\n"
        "- commissariat de l'exposition Porcelaines du Limousin 1770-1870, 2019\n\n"
        "PUBLICATIONS\n1770 - 1870 : un siècle de porcelaine, Limoges, 2018\n"
    )
    assert [(e.start, e.end) for e in read(text).experiences] == [("2015", "2020")]


def test_what_the_fresh_9_set_showed_years_in_a_margin_a_labelled_grade_and_a_title_before_its_dates() -> None:
    margin = (
        "S. B.\nInspectrice des finances publiques – 6e échelon\n\nEXPÉRIENCE\n\n"
        "2023    Pôle de contrôle et d'expertise d'Orléans – inspectrice\n        contrôle sur pièces\n\n"
        "2019    1re brigade départementale de vérification, DDFiP du Loiret\n\n"
        "2014    SIE de Montargis – contrôleuse principale des finances publiques\n\n"
        "FORMATION\n2003    Licence AES\n2000    Bac ES\n"
    )
    record = read(margin)
    assert [(e.start, e.end) for e in record.experiences] == [("2023", None), ("2019", "2023"), ("2014", "2019")]
    assert (record.versant, record.categorie) == ("FPE", "A")  # a State corps named after its ministry's domain
    museum = (
        "A. C.\n\nSituation administrative\nGrade : attachée de conservation du patrimoine – 7e échelon\n\n"
        "2016 – 2019   Assistante de conservation principale de 2e classe (titulaire), Musée des Beaux-Arts\n"
    )
    assert grade_code(read(museum)) == "0599"  # the grade field, not an earlier grade
    titled = "M. E.\n\nMoniteur-éducateur principal – EPSM Morbihan      depuis 2019\nUnité d'hospitalisation\n"
    steps = read(titled).experiences
    assert steps[0].position == "Moniteur-éducateur principal – EPSM Morbihan"


def test_what_the_fresh_10_set_showed_a_class_inside_the_name_and_dotted_dates() -> None:
    police = read("S. C.\nChef de service de police municipale principal de 1re classe\n\n2020/auj.   Responsable\n")
    assert grade_code(police) == "0970"  # the NEG's « Chef de service princ 1ere cl police municipale »
    ashq = read("- Mme S. L.\n- ASHQ de classe supérieure, titulaire\n")
    assert grade_code(ashq) == "1112"  # « Agent serv hosp qualifie classe superieur »
    dotted = read("J. W.\n\nEXPÉRIENCES\nDepuis 09.2020\nSGAMI Est – Direction zonale des SIC\n- réseaux\n")
    assert [(e.start, e.end) for e in dotted.experiences] == [("2020-09", None)]


def test_what_the_fresh_12_set_showed_a_long_grade_name_state_diplomas_and_a_list_of_diplomas() -> None:
    atrf = read(
        "N. B.\n\nSITUATION ADMINISTRATIVE\nCorps : Adjoints techniques de recherche et de formation (ATRF)\n"
        "Grade : Adjoint technique principal de 1re classe de recherche et de formation\n"
        "Affectation : Lycée Blaise-Pascal (académie de Clermont-Ferrand)\n"
    )
    assert grade_code(atrf) == "1001"  # twelve words after « Grade : », not the territorial 0796 its first six name
    assert atrf.categorie == "C"  # the corps as the CV names it (folded), not the NEG's « adjoint techn princ … »
    assert (atrf.corps or "").startswith("adjoints techniques de recherche et de formation")
    youth = read(
        "P. S.\n\nEXPÉRIENCES\n09/2019 - aujourd'hui   Responsable du service jeunesse – Ville d'Ajaccio\n\n"
        "DIPLÔMES\n2017   DEJEPS Animation socio-éducative ou culturelle\n2012   BPJEPS Loisirs tous publics\n"
        "2005   BAFA\n2004   Baccalauréat ES – Lycée Giocante de Casabianca, Bastia\n"
    )
    assert [(e.start, e.end) for e in youth.experiences] == [("2019-09", None)]  # « 2005   BAFA » is no heading
    assert youth.education_level == 2  # a DEJEPS: RNCP level 5, bac + 2


def test_what_the_fresh_13_set_showed_an_ended_detachment_a_reformed_namesake_and_a_table_of_steps() -> None:
    moved = read(
        "M. K.\nRédactrice principale de 1re classe, 3e échelon – fonctionnaire territoriale\n\n"
        "Détachement de la FPH sur le grade de rédactrice principale de 2e classe (2019-2021), intégration\n"
        "dans le cadre d'emplois des rédacteurs territoriaux en 2021\n"
    )
    assert (grade_code(moved), moved.versant) == ("1028", "FPT")  # the grade held today, not the détachement's
    ergo = read("C. D.\nErgothérapeute de classe normale, titulaire de la FPH (catégorie A), 5e échelon\n")
    assert grade_code(ergo) == "1119"  # « Ergotherapeute cl nor (cat sedentaire) », A since 2015, not 0079 (B)
    engineer = read("N. B.\nConseillère en prévention\nIngénieure territoriale – 4e échelon\n")
    assert grade_code(engineer) == "0126"  # « Ingenieur (subdivisionnaire) », the NEG's one FPT « Ingénieur »
    customs = read("S. L.\nContrôleuse des douanes et droits indirects\n\nContrôleuse de 1re classe, 5e échelon\n")
    assert (customs.categorie, customs.titulaire) == ("B", True)  # a State corps the NEG lacks
    form = read(
        "J.-M. E.\n\nPARCOURS\n\nDu   | Au   | Employeur                      | Fonction      | Statut\n"
        "-----|------|--------------------------------|---------------|---------\n"
        "2015 | auj. | Ville de Béziers – garage municipal | Mécanicien PL | titulaire\n"
        "2011 | 2015 | Ville de Béziers – garage municipal | Mécanicien VL | contractuel\n\n"
        "EXPÉRIENCES ANTÉRIEURES\n\n2017 – 2021 (4 ans) – Préventrice, agent contractuel\n"
        "Centre de gestion de la Gironde\n\n"
        "3 ans (2014 – 2017) – Animatrice QHSE\nConserverie Aquitaine Délices, Libourne\n"
    )
    steps = {(e.position, e.start, e.end) for e in form.experiences}
    assert steps == {
        ("Mécanicien PL, Ville de Béziers – garage municipal", "2015", None),
        ("Mécanicien VL, Ville de Béziers – garage municipal", "2011", "2015"),
        ("Préventrice, agent contractuel", "2017", "2021"),
        ("Animatrice QHSE", "2014", "2017"),
    }  # « Mécanicien VL » is a job, not a person's name to scrub


def test_what_the_fresh_15_set_showed_gaps_a_profile_sentence_and_steps_given_by_their_length() -> None:
    cv = read(
        "A. M.\n\nPROFIL\nDepuis mars 2019, je suis chargée de la culture à la Ville de Royan.\n\n"
        "EXPÉRIENCES\nDepuis mars 2019   Chargée de la culture – Ville de Royan\n"
        "09/2016 – 08/2019   Congé parental (naissance de mes deux enfants)\n"
        "2011 – 2012   Recherche d'emploi (inscrite à Pôle emploi)\n"
        "2005 (6 mois)   Aide-électricien en intérim – Adecco, Montauban\n\n"
        "FORMATION\n2021-2023 : BTSA Gestion et protection de la nature, en apprentissage – Lycée agricole\n"
    )
    steps = [(e.position, e.start, e.end) for e in cv.experiences]
    assert steps == [
        ("Chargée de la culture – Ville de Royan", "2019-03", None),
        ("Aide-électricien en intérim – Adecco, Montauban", "2005", "2005"),
    ]  # no gap, no profile sentence, no diploma is a step
    assert cv.education_level == 2  # a BTSA


def test_a_status_line_gets_no_paraphrased_skill() -> None:
    cv = read(
        "A. F.\nAgent d'accueil\n\nSITUATION\nAdj. adm. ppal 2e cl. – Fonction publique territoriale\n\n"
        "COMPÉTENCES\nAccueil physique et téléphonique des usagers\n"
    )
    status_line = cv.cv_text.index("Adj. adm.")
    on_it = [m for m in cv.skills if m.source == "similarity" and m.start >= status_line and m.start < status_line + 60]
    assert on_it == [] and cv.skills  # the skills line is still read


def test_what_the_fresh_16_set_showed_two_state_corps_an_ambulance_grade_and_an_acronym_line() -> None:
    cpe = read(
        "C. D.\n\nConseillère principale d'éducation – titulaire, catégorie A, 7e échelon\n\n"
        "EXPÉRIENCES\nSept. 2016 à ce jour – Conseillère principale d'éducation, Lycée Gaston-Berger, Lille\n"
    )
    assert cpe.corps is not None and cpe.corps.startswith("conseill") and cpe.categorie == "A"
    ipcsr = read(
        "J. P.\n\nFonctionnaire de l'État – corps des IPCSR – catégorie B – 9e échelon\n\n2019 – auj.   IPCSR\n"
    )
    assert ipcsr.corps == "inspecteur du permis de conduire et de la securite routiere" and ipcsr.categorie == "B"
    ambulance = read(
        "J. M.\nConducteur ambulancier SMUR\nTitulaire de la fonction publique hospitalière – cat. C\n\n"
        "PARCOURS PROFESSIONNEL\n\nDepuis mars 2017\nConducteur ambulancier de 1re catégorie – SMUR / SAMU 24\n"
        "Centre hospitalier de Périgueux\n\n2013 – 2017\n"
        "Conducteur ambulancier de 2e catégorie (stagiaire, puis titulaire en 2014)\n"
        "Centre hospitalier de Périgueux\n\n"
        "COMPÉTENCES\nSécurité des patients\nRGPD\n\nLANGUES\nAnglais\n"
    )
    assert grade_code(ambulance) == "0186"  # the current title's class, not the ended step's status line
    found = {default_analyzer().catalogue.skills[m.uri].label for m in ambulance.skills}
    assert "RGPD" in found  # an acronym alone on its line is a skill, not a heading in capitals


def test_what_the_fresh_17_set_showed_english_dates_and_two_more_corps() -> None:
    english = read(
        "M. O.\n\nWORK EXPERIENCE\n\nSince March 2022 – Chargée de mission coopération internationale "
        "(contractuelle), Région Occitanie, Toulouse\n2015 – 2017 – International relations assistant, Dublin\n"
    )
    steps = [(e.start, e.end) for e in english.experiences]
    assert ("2022-03", None) in steps and english.versant == "FPT"  # « Since March 2022 »: the current post
    ien = read("V. L.\n\nFonctionnaire de l'État, titulaire – corps des inspecteurs de l'éducation nationale\n")
    arm = read("C. R.\n\nTitulaire – corps des assistants de régulation médicale (ARM), cat. B – 3e échelon\n")
    assert (ien.corps, ien.categorie) == ("inspecteurs de l'education nationale", "A")
    assert (arm.corps, arm.categorie) == ("assistants de regulation medicale", "B")


def test_a_table_with_one_column_of_periods_gives_its_rows_dates_and_job_first() -> None:
    cv = read(
        "A. B.\n\nPARCOURS\nPériode | Employeur | Poste\n"
        "2017 – 2020 | GrandAngoulême | Chargé de mission implantation d'entreprises\n"
        "janv. 2011 à août 2012 | Communauté de communes du Rouillacais | Animateur économique (CDD)\n"
        "09/2020 – auj. | CHU de Nantes | Assistante de régulation médicale\n"
    )
    steps = [(e.position, e.start, e.end) for e in cv.experiences]
    assert ("Chargé de mission implantation d'entreprises, GrandAngoulême", "2017", "2020") in steps
    assert ("Animateur économique (CDD), Communauté de communes du Rouillacais", "2011-01", "2012-08") in steps
    assert ("Assistante de régulation médicale, CHU de Nantes", "2020-09", None) in steps


def test_what_the_fresh_18_set_showed_state_services_a_corps_and_an_ordinary_case_heading() -> None:
    cpip = read(
        "S. M.\n\nProfil\nCPIP titulaire (catégorie A, ministère de la Justice)\n\nParcours professionnel\n"
        "Sept. 2019 – aujourd'hui | CPIP, SPIP du Puy-de-Dôme, antenne de Clermont-Ferrand\n"
        "2012 – 2014 | Conseillère en insertion professionnelle (CDD), Mission locale de Clermont Métropole\n\n"
        "Formation\n2014  Concours externe de CPIP\n2012  Master 2 Droit pénal, Université Clermont-Auvergne\n"
    )
    assert (cpip.versant, cpip.categorie) == ("FPE", "A")  # the SPIP is the State's
    assert cpip.corps == "conseiller penitentiaire d'insertion et de probation"
    assert len(cpip.experiences) == 2  # « Formation » in ordinary case opens the diplomas: no step there
    assert employer_kind_of("AESH, collège Marguerite-de-Navarre et écoles du PIAL Pau Nord") == "etat"
    assert employer_kind_of("Vendeuse en prêt-à-porter, boutique de centre-ville, Pau") is None
    assert employer_kind_of("Infirmière de l'Éducation nationale (contractuelle)") is None  # a job title


def test_what_the_fresh_19_set_showed_dates_ending_a_title_line_an_arrow_and_four_corps() -> None:
    adviser = read(
        "T. L.\n\nPARCOURS\n\n"
        "Conseiller énergie, Espace Conseil – Fougères Agglomération (depuis le 1er février 2022)\n"
        "Je conseille les particuliers sur leurs projets.\n\n"
        "Diagnostiqueur immobilier, Cabinet Diag, Rennes (2016 – 2021)\n"
        "- Project lead for the new scanner installation (2021-2022)\n\n"
        "Reconversion en 2015-2016 : formation de diagnostiqueur immobilier (AFPA Rennes)\n"
    )
    steps = [(e.start, e.end) for e in adviser.experiences]
    assert steps == [("2022-02", None), ("2016", "2021")]  # no task, no course is a step
    inspector = read(
        "C. V.\ninspectrice du travail\n\nPARCOURS PROFESSIONNEL\n\n"
        "2017 →  Inspectrice du travail, DDETS de la Somme, unité de contrôle n° 2\n"
        "2009 – 2016  Contrôleuse du travail, DIRECCTE Picardie\n"
    )
    assert [(e.start, e.end) for e in inspector.experiences] == [("2017", None), ("2009", "2016")]
    assert inspector.versant == "FPE"
    warden = read("S. H.\n\nAgent d'accueil et de surveillance\nATASM ppal 2e cl. (fonctionnaire d'État) – 4e éch.\n")
    assert warden.categorie == "C" and warden.corps is not None and "magasinage" in warden.corps
    director = read(
        "H. C.\n\nSITUATION ADMINISTRATIVE\nCorps des directeurs d'établissement sanitaire, social et médico-social "
        "(D3S), fonction publique hospitalière\nTitularisée le 1er janvier 2021\n"
    )
    assert (director.versant, director.categorie, director.titulaire) == ("FPH", "A", True)


def test_what_the_fresh_20_set_showed_a_title_above_its_dates_and_jobs_that_name_an_employer() -> None:
    manager = read(
        "D. F.\n\nEXPÉRIENCE PROFESSIONNELLE\n\nDirecteur de magasin, Cultura, Bourges\n2012 – 2020\n"
        "Management d'une équipe de 22 salariés, recrutement, plannings, suivi du chiffre d'affaires.\n\n"
        "2020 – 2021 : période de transition (bilan de compétences, formation).\n"
    )
    assert [(e.position, e.start) for e in manager.experiences] == [("Directeur de magasin, Cultura, Bourges", "2012")]
    assert opens_with_employer("Sous-préfecture de Riom") and opens_with_employer("VITRÉ COMMUNAUTÉ")
    assert not opens_with_employer("Attachée d'administration hospitalière")  # a job holding an employer's word
    assert not opens_with_employer("Agent hospitalier")
    tsma = read("N. C.\n\nFonctionnaire de l'État (cat. B) – technicienne supérieure principale (TSMA), 5e échelon\n")
    assert tsma.corps == "technicien superieur du ministere charge de l'agriculture" and tsma.categorie == "B"


def test_what_the_fresh_24_set_showed_a_title_column_a_programme_in_a_task_and_jobs_above_or_below_employers() -> None:
    # the header's second column is the job, not part of the name: the job must not be scrubbed as one
    physio = read(
        "Lucien MARCHAND                          Ergothérapeute\n\nEXPÉRIENCE\n\n"
        "Depuis 2019     Ergothérapeute – Centre hospitalier de Vienne\n\nFORMATION\n"
        "2012 Diplôme d'État de masseur-kinésithérapeute\n"
    )
    assert _heading_names("Lucien MARCHAND                          Ergothérapeute\n") == ["Lucien MARCHAND"]
    assert [e.position for e in physio.experiences] == ["Ergothérapeute – Centre hospitalier de Vienne"]
    assert physio.education_level == 3
    manager = (
        "C. R.\n\nEXPÉRIENCE\n\n03/2018 – aujourd'hui\nCHEF DU SERVICE PROPRETÉ URBAINE\n"
        "Grand Chambéry – Direction des services techniques\n"
        "  • Élaboration du plan de propreté 2021-2026 et suivi de ses indicateurs\n\n"
        "Musée des Beaux-Arts, Rouen                                   2012-2018\n"
        "Chargé des collections, département des peintures\n"
    )
    assert steps_of(manager) == [
        ("CHEF DU SERVICE PROPRETÉ URBAINE", "2018-03"),
        ("Chargé des collections, département des peintures", "2012"),
    ]


def test_what_the_fresh_25_set_showed_status_lines_that_name_no_grade_whole_and_titles_above_their_dates() -> None:
    storekeeper = read("C. V.\n\nMaître ouvrier – FPH – 5ème éch.\nMagasinier-cariste, CHU d'Amiens\n")
    assert (grade_code(storekeeper), storekeeper.categorie, storekeeper.titulaire) == ("0176", "C", True)
    technician = read(
        "L. M.\n\nRecrutée en 2018 au centre hospitalier comme technicienne, j'ai été promue TSH de 1re classe en "
        "2023 (4e échelon).\n"
    )
    assert (technician.versant, technician.categorie) == ("FPH", "B") and grade_code(technician) in ("0982", "0997")
    # the cadre named, no grade in it; a competition passed names the grade it opens, not the one held
    project_head = read(
        "M. K.\n\nFonctionnaire territoriale, catégorie A (cadre d'emplois des attachés territoriaux)\n\n"
        "FORMATION\n2014 · Concours d'attaché territorial (externe)\n"
    )
    assert project_head.grade_uri is None and project_head.corps == "attaches territoriaux"
    officer = read("A. B.\n\nLauréate du concours en 2018, je suis aujourd'hui attachée territoriale titulaire.\n")
    assert grade_code(officer) == "0443"
    inspector = read(
        "P. D.\n\nTechnicien supérieur principal de l'économie et de l'industrie (TSEI, cat. B) – titulaire\n\n"
        "09.2017 → auj.   DREAL Hauts-de-France, Béthune\n                 Inspecteur des installations classées\n"
    )
    assert inspector.corps == "technicien superieur de l'economie et de l'industrie" and inspector.categorie == "B"
    teacher = read(
        "S. G.\nProfesseur contractuel en lycée professionnel\nContrat à durée déterminée, académie de Poitiers\n\n"
        "Treize ans d'atelier, puis le choix de transmettre : j'enseigne\ndepuis 2020 la maintenance automobile.\n\n"
        "▸ Professeur contractuel de maintenance des véhicules – Lycée professionnel Jean-Caillaud, Ruelle et\n"
        "  Touvre\n  2020 → aujourd'hui (contractuel)\n"
        "  Enseignement en atelier, préparation des séquences pédagogiques et évaluation des élèves de\n"
        "  CAP et de bac pro.\n"
    )
    assert teacher.versant == "FPE"  # the employer of the status line: a teacher in a lycée is the State's
    assert [(e.position[:40], e.start) for e in teacher.experiences] == [
        ("Professeur contractuel de maintenance de", "2020")
    ]


def test_a_cv_prefix_before_the_name_and_firms_the_ner_takes_for_persons() -> None:
    # « CV – » before the name: the name is that line's, not the job title's below (whose words were scrubbed)
    assert _heading_names("CV – Thomas LE GUERN\n\nConseiller France Rénov' – rénovation énergétique\n") == [
        "Thomas LE GUERN"
    ]
    assert _titled_job("Garage Moreau SAS") and _titled_job("Cabinet Diag'Ouest")
    assert not _titled_job("Marin Dupont") and not _titled_job("BOULANGER Marc")  # persons, whatever their words


def test_a_job_after_its_employer_on_the_date_line_comes_first() -> None:
    record = read(
        "R. D.\n\nPARCOURS\n\n2008 > 2011   La Poste, bureau de Moissac – Guichetière (CDD successifs)\n"
        "2011 – 2014      | Armatis, Saint-Nazaire      | Téléconseillère\n"
        "2014 – 2018   Chef de bureau – Mairie de Moissac\n"
    )
    assert [e.position for e in record.experiences] == [
        "Chef de bureau – Mairie de Moissac",  # a job first stays first
        "Téléconseillère, Armatis, Saint-Nazaire",
        "Guichetière (CDD successifs), La Poste, bureau de Moissac",
    ]


def test_what_the_fresh_26_set_showed_heading_fields_contract_notes_the_school_year_and_opq() -> None:
    psychologist = (
        "E. B.\n\nCorps :          psychologues de l'Éducation nationale (catégorie A)\n"
        "Affectation :    CIO de Vannes (académie de Rennes) depuis la rentrée 2019\n"
        "Position :       activité, temps plein\n\nITINÉRAIRE PROFESSIONNEL\n\n"
        "2015 – 2019\nConseillère d'orientation-psychologue titulaire\nCIO de Quimper\n\n"
        "Depuis la rentrée 2019\nPsychologue de l'Éducation nationale EDO, CIO de Vannes\n"
    )
    assert steps_of(psychologist) == [
        ("Psychologue de l'Éducation nationale EDO, CIO de Vannes", "2019"),  # « la rentrée », no field's step
        ("Conseillère d'orientation-psychologue titulaire", "2015"),
    ]
    associate = read(
        "M. F.\n\nAgent contractuel de la fonction publique hospitalière – catégorie A – CDI de droit public depuis\n"
        "avril 2024 (CDD de 2021 à 2024)\n\nPARCOURS\n\nmars 2021 – aujourd'hui : Attachée de recherche clinique – CHU "
        "de Montpellier\n"
    )
    assert [(e.start, e.end) for e in associate.experiences] == [("2021-03", None)]  # the contract's dates are notes
    mortuary = read("F. D.\n\nagent de chambre mortuaire\nOPQ – titulaire – 5e éch.\n")
    assert (grade_code(mortuary), mortuary.categorie) == ("0179", "C")


def test_a_step_is_classified_by_its_job_as_much_as_by_its_employer() -> None:
    # the employer's words (« lycée ») had made a cleaner's step « Direction d'établissement d'enseignement » (K2103)
    assert job_part("Agent d'entretien des locaux – lycée Jean-Moulin, Albi") == "Agent d'entretien des locaux"
    assert job_part("Infirmière, Centre hospitalier de Rodez") == "Infirmière"
    assert job_part("Chef de bureau des élections") == "Chef de bureau des élections"  # no employer cut
    cleaner = read("A. B.\n\nPARCOURS\n\n2015 – 2020 : Agent d'entretien des locaux – lycée Jean-Moulin, Albi\n")
    ranked = [o.code for o in sorted(cleaner.experiences[0].occupations, key=lambda o: o.rank) if o.scheme == "ROME"]
    assert ranked[0] == "K2204"  # Nettoyage de locaux


def test_what_the_fresh_27_set_showed_en_poste_a_wrapped_title_and_a_status_line_under_the_employer() -> None:
    officer = read(
        "C. R.\n\n▸ Janv. 2022 – en poste\nDéléguée à la protection des données – Centre de gestion de la Vienne\n\n"
        "Acheteuse, direction des achats du GHT Normandie Centre (CHU de Caen,\n"
        "établissement support), mars 2015 – déc. 2021\n- Conduite des procédures formalisées\n"
    )
    assert [(e.start, e.end) for e in officer.experiences] == [("2022-01", None), ("2015-03", "2021-12")]
    assert officer.experiences[1].position.startswith("Acheteuse, direction des achats")
    locksmith = read(
        "R. T.\n\nSept. 2014 - aujourd'hui\nVILLE DE SAINT-ÉTIENNE, centre technique municipal - Serrurier-métallier\n"
        "Titulaire, AT ppal 2e cl. depuis 2019 (examen professionnel), 5e échelon\n"
    )
    position = locksmith.experiences[0].position
    assert position == "Serrurier-métallier, VILLE DE SAINT-ÉTIENNE, centre technique municipal"
    keeper = read("R. T.\n\n2018 → auj.    Éclusier-barragiste, VNF Direction territoriale Centre-Bourgogne\n")
    assert keeper.versant == "FPE"
