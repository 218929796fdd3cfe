"""Offers from docs/formats.md files (JSON array or CSV), schema.org `JobPosting` JSON-LD and the two real
Place de l'Emploi Public exports, validated into `OfferRecord`s and understood in French (`loaders.nlp`)."""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loaders.grades import grade_names
from loaders.records import EmployerRecord, OccupationScore, OfferRecord, RecordError, TextAnalysis
from loaders.statutory import offer_facts, only_titulaires, recently_folded, statutory_grade_label
from loaders.tabular import decode_lines, read_rows
from loaders.values import (
    EMPLOYER_KINDS,
    WORKING_TIMES,
    departement_from_postal_code,
    departement_from_text,
    optional_text,
    parse_choice,
    parse_date,
    parse_departement,
    required_text,
)
from ontology.eligibility import CATEGORIES, CONTRACTS, VERSANTS
from ontology.text import snake_slug

if TYPE_CHECKING:
    from loaders.nlp import TextAnalyzer
    from ontology.catalogue import Catalogue

OFFER_COLUMNS: dict[str, tuple[str, ...]] = {
    "offer_id": ("id", "reference", "ref", "id_offre", "reference_offre", "offre_id"),
    "title": ("intitule", "titre", "libelle", "poste", "intitule_du_poste"),
    "employer_id": ("employeur", "id_employeur", "employer", "employeur_id"),
    "description": ("texte", "descriptif", "description_du_poste", "missions"),
    "departement": ("dept", "dep", "code_departement", "departement_code", "department"),
    "published_at": ("date_publication", "publie_le", "date", "date_de_publication", "created_at"),
    "closes_at": ("date_limite", "date_cloture", "date_fin", "closing_date"),
    "contract": ("contrat", "type_contrat", "statut"),
    "working_time": ("temps_de_travail", "temps_travail", "quotite"),
    "rome_appellation": ("code_ogr", "ogr", "appellation_rome"),
    "rmfp_code": ("code_rmfp", "rmfp"),
    "cadre_emplois": ("cadre", "cadre_d_emplois", "corps"),
    "grade": ("code_grade", "grade_neg", "code_grade_neg"),
    "categorie": ("cat",),
}
CONTRACT_ALIASES = {c: c for c in CONTRACTS} | {
    "titulaires": "titulaire",
    "fonctionnaire": "titulaire",
    "contractuels": "contractuel",
    "cdd": "contractuel",
    "titulaire_contractuel": "titulaire_ou_contractuel",
    "titulaire_et_ou_contractuel": "titulaire_ou_contractuel",
}
WORKING_TIME_ALIASES = {w: w for w in WORKING_TIMES} | {
    "full_time": "temps_complet",
    "part_time": "temps_partiel",
    "temps_non_complet": "temps_partiel",
}
log = logging.getLogger(__name__)
MIN_TEXTS_PER_PROCESS = 100  # below this, forking costs more than it saves
PEP_PLACEHOLDER_EMPLOYER = EmployerRecord("pep:non-precise", "Employeur non précisé (Place de l'Emploi Public)")


@dataclass
class RawOffer:
    """One offer as read from a file, before validation: where it came from and its fields in formats.md terms."""

    ref: str  # "line 12" / "record 3"
    fields: dict[str, Any]
    employer: EmployerRecord | None = None  # when the file names the employer itself (PEP, JSON-LD)
    contract_required: bool = True


def validate_offer(
    fields: dict[str, Any], source: str, catalogue: Catalogue | None = None, *, contract_required: bool = True
) -> OfferRecord:
    """Check and normalise one offer (docs/formats.md fields); a RecordError names the faulty field."""
    record = OfferRecord(
        offer_id=required_text(fields, "offer_id"),
        title=required_text(fields, "title"),
        description=required_text(fields, "description"),
        employer_id=required_text(fields, "employer_id"),
        departement=parse_departement(fields.get("departement"), required=contract_required),
        published_at=parse_date(fields.get("published_at"), "published_at", required=True) or "",
        closes_at=parse_date(fields.get("closes_at"), "closes_at"),
        contract=parse_choice(fields.get("contract"), "contract", CONTRACT_ALIASES, contract_required),
        working_time=parse_choice(fields.get("working_time"), "working_time", WORKING_TIME_ALIASES),
        versant=_code(fields, "versant", VERSANTS),
        categorie=_code(fields, "categorie", CATEGORIES),
        filiere=optional_text(fields, "filiere"),
        commune=optional_text(fields, "commune"),
        cadre_emplois=optional_text(fields, "cadre_emplois"),
        grade=optional_text(fields, "grade"),
        rome_appellation=optional_text(fields, "rome_appellation"),
        rmfp_code=optional_text(fields, "rmfp_code"),
        source=source,
    )
    if record.closes_at and record.closes_at < record.published_at:
        raise RecordError("closes_at", f"closes before it is published ({record.closes_at} < {record.published_at})")
    if catalogue is not None:
        _check_codes(record, catalogue)
    return record


def _code(fields: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = optional_text(fields, name)
    if value is None:
        return None
    if value.upper() not in allowed:
        raise RecordError(name, f"unknown code {value!r} (expected one of {', '.join(allowed)})")
    return value.upper()


def _check_codes(record: OfferRecord, catalogue: Catalogue) -> None:
    from ontology import uris

    if record.grade and uris.grade(record.grade) not in catalogue.grades:
        raise RecordError("grade", f"unknown NEG grade code {record.grade!r}")
    if record.cadre_emplois and uris.cadre_emplois(record.cadre_emplois) not in _cadre_uris(catalogue):
        raise RecordError("cadre_emplois", f"unknown cadre d'emplois code {record.cadre_emplois!r}")
    if record.rome_appellation and record.rome_appellation not in catalogue.appellation_to_fiche:
        raise RecordError("rome_appellation", f"unknown ROME appellation (OGR) code {record.rome_appellation!r}")
    if record.rmfp_code and uris.rmfp_emploi(record.rmfp_code) not in catalogue.occupations:
        raise RecordError("rmfp_code", f"unknown RMFP emploi-référence code {record.rmfp_code!r}")


_cadres: dict[int, dict[str, str]] = {}


def _cadre_uris(catalogue: Catalogue) -> dict[str, str]:
    """The catalogue's cadres d'emplois / corps: URI → label."""
    if id(catalogue) not in _cadres:
        _cadres[id(catalogue)] = {g.cadre_uri: g.cadre_label for g in catalogue.grades.values()}
    return _cadres[id(catalogue)]


def enrich_offers(records: list[OfferRecord], analyzer: TextAnalyzer, n_process: int = 1) -> None:
    """Skills, occupations and statutory facts from the text; facts the publisher stated win over the text's."""
    from ontology import uris

    texts = [f"{r.title}\n{r.description}" for r in records]
    analyses = analyse_in_processes(analyzer, texts, [r.title for r in records], n_process)
    for record, text, analysis in zip(records, texts, analyses, strict=True):
        facts = offer_facts(text, analysis.facts)
        grade = analyzer.catalogue.grades.get(analysis.facts.grade_uri or "")  # found by the nomenclature matcher
        if grade is not None and not statutory_grade_label(grade.label):
            grade = None  # "technicien", "chef de bureau": the job, not the grade
        grade_versant = grade.versant if grade else None
        # A grade named after "grade" or with its class words ("sur le grade d'adjoint technique", "attaché hors
        # classe ou principal") wins: the matcher reads such texts as a shorter label or not at all.
        if named := grade_names(analyzer.catalogue).named(recently_folded(text), facts.versant):
            grade, grade_versant = named.grade, named.versant
        record.skills = analysis.skills
        record.occupations = with_stated_occupations(analysis.occupations, record, analyzer.catalogue)
        record.versant = record.versant or facts.versant or grade_versant
        record.categorie = record.categorie or facts.categorie or (grade.categorie if grade else None)
        # a grade of another versant (the NEG has no FPE attaché) names the post's catégorie, not its filière
        same_versant = grade is not None and grade.versant == record.versant
        record.filiere = record.filiere or facts.filiere or (grade.filiere if grade and same_versant else None)
        record.contract = stated_contract(record.contract, facts.contract, text)
        record.working_time = record.working_time or facts.working_time
        record.remote_work = facts.remote_work
        record.corps = facts.corps
        record.departement = record.departement or facts.departement
        record.commune = record.commune or facts.commune
        record.education_level = facts.education_level
        record.years_experience = facts.years_experience
        cadre_label = _cadre_uris(analyzer.catalogue).get(analysis.facts.cadre_uri or "", "")
        facts.grade_uri = grade.uri if grade else None
        named_cadre = analysis.facts.grade_uri is None and "territori" in cadre_label  # not a rejected grade's cadre
        facts.cadre_uri = grade.cadre_uri if grade else analysis.facts.cadre_uri if named_cadre else None
        stated = [uris.grade(record.grade)] if record.grade else []
        stated += [uris.cadre_emplois(record.cadre_emplois)] if record.cadre_emplois else []
        record.required_grade_uris = stated or [u for u in (facts.grade_uri, facts.cadre_uri) if u][:1]


def stated_contract(field: str | None, found: str | None, text: str) -> str | None:
    """The publisher's contract field, unless it opens the post to both statuses and the text restricts it
    ("Poste ouvert uniquement aux titulaires"): the more specific statement wins, as the gold's guidelines have it.
    Only that explicit restriction narrows the field: the text's other status words are often HR duties
    ("accueil par voie de détachement")."""
    if field == "titulaire_ou_contractuel" and only_titulaires(text):
        return "titulaire"
    return field or found


def with_stated_occupations(
    found: list[OccupationScore], record: OfferRecord, catalogue: Catalogue
) -> list[OccupationScore]:
    """The publisher's RMFP code or ROME appellation, when given, is the offer's first occupation in its repertory
    (score 1); the text's best other matches follow, three per repertory as before."""
    from ontology import uris

    stated: dict[str, OccupationScore] = {}
    if record.rmfp_code:
        stated["RMFP"] = OccupationScore(uris.rmfp_emploi(record.rmfp_code), "RMFP", record.rmfp_code, 1.0, 1)
    fiche = catalogue.appellation_to_fiche.get(record.rome_appellation or "")
    if fiche:
        stated["ROME"] = OccupationScore(uris.rome_fiche(fiche), "ROME", fiche, 1.0, 1)
    out: list[OccupationScore] = []
    for scheme in dict.fromkeys(o.scheme for o in [*stated.values(), *found]):
        first = [stated[scheme]] if scheme in stated else []
        others = [o for o in found if o.scheme == scheme and all(o.uri != f.uri for f in first)]
        ranked = (first + others)[:3]
        out += [OccupationScore(o.uri, o.scheme, o.code, o.score, rank) for rank, o in enumerate(ranked, start=1)]
    return out


def analyse_in_processes(
    analyzer: TextAnalyzer, texts: list[str], titles: list[str], n_process: int
) -> list[TextAnalysis]:
    """The offers' analyses, their texts split over `n_process` forked workers that inherit the built analyzer
    (matcher, TF-IDF, vectors) instead of rebuilding it (`loaders.forked`)."""
    from loaders.forked import forked_map

    if len(texts) < 2 * MIN_TEXTS_PER_PROCESS:
        n_process = 1
    size = max(1, math.ceil(len(texts) / max(n_process, 1)))
    parts = [(texts[i : i + size], titles[i : i + size]) for i in range(0, len(texts), size)]
    analysed = forked_map(_analyse_part, analyzer, parts, n_process, "reading offers")
    return [analysis for part in analysed for analysis in part]


def _analyse_part(analyzer: TextAnalyzer, part: tuple[list[str], list[str]]) -> list[TextAnalysis]:
    return list(analyzer.analyse(*part, offers=True))


def parse_offer(fields: dict[str, Any], source: str = "api") -> OfferRecord:
    """One offer (docs/formats.md fields, or a schema.org JobPosting) to a validated, understood record.
    Needs no database: the API calls it when a recruiter creates an offer. Raises RecordError on bad input."""
    from loaders.nlp import default_analyzer

    analyzer = default_analyzer()
    employer = None
    strict = not _is_job_posting(fields)  # JSON-LD rarely states the contract: the text tells it
    if not strict:
        fields, employer = job_posting_fields(fields)
    record = validate_offer(fields, source, analyzer.catalogue, contract_required=strict)
    if employer is not None:
        record.employer_name = employer.name
    enrich_offers([record], analyzer)
    return record


# --- Readers: a file to raw offers --------------------------------------------------------------------------
def read_offer_file(path: Path) -> tuple[list[RawOffer], list[tuple[str, str, str]]]:
    """Raw offers of one file and the problems met reading it (ref, field, reason)."""
    if path.suffix.lower() in (".json", ".jsonld"):
        return _read_json(path)
    return _read_csv(path)


def _read_json(path: Path) -> tuple[list[RawOffer], list[tuple[str, str, str]]]:
    try:
        data = json.loads(_json_text(path))
    except UnicodeDecodeError as error:
        reason = f"not UTF-8 ({error.reason} at byte {error.start}) and not cp1252 throughout: mixed encodings"
        return [], [("file", "encoding", reason)]
    except json.JSONDecodeError as error:
        return [], [("file", "json", f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}")]
    items = _json_items(data)
    if items is None:
        return [], [("file", "json", "expected an array of offers, a JobPosting or an @graph of JobPostings")]
    raws, problems = [], []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append((f"record {number}", "record", f"expected an object, got {type(item).__name__}"))
        elif _is_job_posting(item):
            fields, employer = job_posting_fields(item)
            raws.append(RawOffer(f"record {number}", fields, employer, contract_required=False))
        else:
            raws.append(RawOffer(f"record {number}", item))
    return raws, problems


def _json_text(path: Path) -> str:
    """UTF-8 (with or without BOM); a file that is cp1252 throughout (old Windows exports) is decoded as such, with
    a warning, as CSV files are. A mix of both raises: no single decoding would give every record right."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        lines, _, encoding = decode_lines(data)
        if encoding != "cp1252":
            raise
        log.warning("%s is not UTF-8: decoded as cp1252 (Windows) throughout", path)
        return "".join(lines)


def _json_items(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("@graph", "offers", "itemListElement"):
            if isinstance(data.get(key), list):
                return [i.get("item", i) if isinstance(i, dict) and "item" in i else i for i in data[key]]
        if _is_job_posting(data):
            return [data]
    return None


def _is_job_posting(item: dict[str, Any]) -> bool:
    kind = item.get("@type")
    return kind == "JobPosting" or (isinstance(kind, list) and "JobPosting" in kind)


def job_posting_fields(item: dict[str, Any]) -> tuple[dict[str, Any], EmployerRecord | None]:
    """schema.org JobPosting → formats.md fields (and the hiring organisation as an employer)."""
    found = item.get("hiringOrganization")
    organisation: dict[str, Any] = found if isinstance(found, dict) else {}
    name = organisation.get("name") if isinstance(organisation.get("name"), str) else None
    employer_ref = _identifier(organisation.get("identifier")) or organisation.get("sameAs") or name
    employer = (
        EmployerRecord(f"jsonld:{snake_slug(str(employer_ref))}", name or str(employer_ref)) if employer_ref else None
    )
    address = _address(item.get("jobLocation"))
    postal = str(address.get("postalCode") or "")
    employment = item.get("employmentType")
    kinds = {
        snake_slug(k) for k in ([employment] if isinstance(employment, str) else employment or []) if isinstance(k, str)
    }
    fields: dict[str, Any] = {
        "offer_id": _identifier(item.get("identifier")) or item.get("url"),
        "title": item.get("title"),
        "description": _plain(item.get("description")),
        "employer_id": employer.employer_id if employer else None,
        "departement": departement_from_postal_code(postal) or address.get("addressRegion"),
        "commune": address.get("addressLocality"),
        "published_at": item.get("datePosted"),
        "closes_at": item.get("validThrough"),
        "working_time": "temps_partiel" if "part_time" in kinds else "temps_complet" if "full_time" in kinds else None,
        "contract": "contractuel" if kinds & {"contractor", "temporary"} else None,
    }
    category = item.get("occupationalCategory")
    if isinstance(category, str) and re.fullmatch(r"\d{4,6}", category.strip()):
        fields["rome_appellation"] = category.strip()
    return fields, employer


def _identifier(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value") or value.get("@id")
    return str(value) if isinstance(value, str | int) and str(value).strip() else None


def _address(location: Any) -> dict[str, Any]:
    if isinstance(location, list):
        location = location[0] if location else {}
    if not isinstance(location, dict):
        return {}
    address = location.get("address", location)
    return address if isinstance(address, dict) else {}


def _plain(text: Any) -> Any:
    """HTML descriptions (JobPosting allows them) to text."""
    if not isinstance(text, str):
        return text
    text = re.sub(r"<\s*(br|/p|/li|/h\d)\s*/?>", "\n", text, flags=re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", " ", text)).strip()


def _read_csv(path: Path) -> tuple[list[RawOffer], list[tuple[str, str, str]]]:
    rows, bad, _ = read_rows(path, OFFER_COLUMNS)
    problems = [(f"line {b.line}", b.field, b.reason) for b in bad]
    raws: list[RawOffer] = []
    for row in rows:
        values = row.values
        if "par_ref_offre" in values:
            raws.append(RawOffer(f"line {row.line}", _pep_2020_fields(values), PEP_PLACEHOLDER_EMPLOYER, False))
        elif "offer_offerid" in values or "offerid" in values:
            fields, employer = _pep_full_fields(values)
            raws.append(RawOffer(f"line {row.line}", fields, employer, contract_required=False))
        else:
            raws.append(RawOffer(f"line {row.line}", dict(values)))
    return raws, problems


def _pep_2020_fields(values: dict[str, str]) -> dict[str, Any]:
    """`pep_offers_2020_2021.csv`: the title is `libelle_metier_ogr`, line breaks are literal `\\n`."""
    title = values.get("libelle_metier_ogr") or _title_from_url(values.get("par_url_offre") or "")
    return {
        "offer_id": values.get("par_ref_offre"),
        "title": title,
        "description": (values.get("description") or "").replace("\\n", "\n"),
        "employer_id": PEP_PLACEHOLDER_EMPLOYER.employer_id,
        "departement": values.get("dep_libelle"),
        "published_at": values.get("off_date_creation"),
        "rome_appellation": values.get("rome_appellation") or values.get("code_ogr") or None,
    }


def _title_from_url(url: str) -> str | None:
    """Some rows lack the title column; the offer URL carries it as a slug ("…/technicien-gestion-hf-reference-…")."""
    match = re.search(r"/offre-emploi/(.+?)(?:-reference-.*)?$", url)
    if not match or re.fullmatch(r"[\d-]+", match.group(1)):
        return None
    return match.group(1).replace("-", " ").capitalize()


PEP_OFFERS_FILE = (
    Path(__file__).resolve().parent.parent / "data" / "sources" / "pep-offers" / "pep_offers_2020_2021.csv"
)
PEP_VERSANTS = {
    "fonction_publique_territoriale": "FPT",
    "fonction_publique_de_l_etat": "FPE",
    "fonction_publique_d_etat": "FPE",  # `Origin_Entity_With2` spells it so
    "fonction_publique_hospitaliere": "FPH",
}


def _pep_full_fields(values: dict[str, str]) -> tuple[dict[str, Any], EmployerRecord]:
    """The full PEP export (56 columns, `;`): missions and profile are two columns, the employer is named."""
    name = (values.get("offer_customfieldstranslation_longtext2") or "").strip()
    if not name or len(name) > 120:  # that column sometimes holds a service presentation instead of a name
        name = (values.get("origin_entity") or "").strip() or "Employeur non précisé"
    entity = snake_slug(values.get("origin_entity") or "")
    kind = next((k for alias, k in EMPLOYER_KINDS.items() if entity.startswith(alias)), None)
    kind = kind or ("etat" if entity.startswith(("ministere", "rectorat", "prefecture")) else None)
    departement = values.get("location_department_department")
    employer = EmployerRecord(f"pep:{snake_slug(name)}", name, kind=kind)
    with_versant = snake_slug(values.get("origin_entity_with2") or "")
    salary_range = snake_slug(values.get("jobdescription_salaryrange") or "")  # holds the versant in this export
    contract = snake_slug(values.get("jobdescription_contract") or "")
    fields = {
        "offer_id": values.get("offer_reference") or values.get("offerid"),
        "title": values.get("jobdescriptiontranslation_jobtitle")
        or values.get("offer_customfieldstranslation_longtext1"),
        "description": "\n\n".join(
            v
            for k in (
                "jobdescriptiontranslation_description1",
                "jobdescriptiontranslation_description2",
                "jobdescription_customfieldstranslation_longtext2",
                "applicantcriteria_educationlevel",
            )
            if (v := (values.get(k) or "").strip())
        ),
        "employer_id": employer.employer_id,
        "departement": departement,
        "commune": (values.get("location_customfieldstranslation_shorttext1") or "").title() or None,
        "published_at": (values.get("firstpublicationdate") or values.get("origin_beginningdate") or "")[:10],
        "closes_at": (values.get("schedulingdata_defaultpublicationenddate") or "")[:10] or None,
        "categorie": values.get("jobdescription_customfields_customcodetablevalue1") or None,
        "versant": PEP_VERSANTS.get(with_versant) or PEP_VERSANTS.get(salary_range),
        "contract": "titulaire_ou_contractuel"
        if "titulaires" in contract and "contractuels" in contract
        else "contractuel"
        if "contractuels" in contract
        else None,
        "working_time": {"temps_complet": "temps_complet", "temps_non_complet": "temps_partiel"}.get(
            snake_slug(values.get("offercustomblock1_customfields_customcodetablevalue3") or "")
        ),
    }
    if fields["departement"]:
        employer.departement = departement_from_text(str(fields["departement"]))
    return fields, employer


def coded_offers(path: Path, catalogue: Catalogue) -> tuple[list[str], list[str], list[str]]:
    """Titles, texts (as `enrich_offers` reads them) and ROME fiche codes of the offers of `path` that carry a
    known appellation: the publishers' coding, which `loaders.occupations.OfferCoding` learns."""
    raws, _ = read_offer_file(path)
    titles, texts, codes = [], [], []
    for raw in raws:
        try:
            record = validate_offer(raw.fields, path.name, catalogue, contract_required=False)
        except RecordError:
            continue
        fiche = catalogue.appellation_to_fiche.get(record.rome_appellation or "")
        if fiche:
            titles.append(record.title)
            texts.append(f"{record.title}\n{record.description}")
            codes.append(fiche)
    return titles, texts, codes


def iter_offer_files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".jsonld", ".csv"))
    else:
        yield path
