"""Text understanding measured on the 652 real Place de l'Emploi Public offers, which carry the ROME appellation
(OGR) their publisher chose: offer → ROME fiche top-1 / top-3 accuracy (the appellation's fiche is the truth),
skills per offer, share of offers with no skill, facts found, and throughput. Writes docs/ingestion-figures.md."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from loaders.nlp import default_analyzer
from loaders.offers import enrich_offers, read_offer_file, validate_offer
from loaders.records import OfferRecord, RecordError
from vivier.settings import REPO_ROOT

PEP_OFFERS = REPO_ROOT / "data" / "sources" / "pep-offers" / "pep_offers_2020_2021.csv"
FIGURES = REPO_ROOT / "docs" / "ingestion-figures.md"


@dataclass
class Figures:
    offers: int
    rejected: int
    top1: float
    top3: float
    skills_per_offer: float
    no_skill_share: float
    similarity_share: float
    with_contract: float
    with_categorie: float
    with_education: float
    with_experience: float
    offers_per_second: float
    offers_per_second_2: float
    load_average: float


def measure(path: Path = PEP_OFFERS) -> Figures:
    analyzer = default_analyzer()
    raws, problems = read_offer_file(path)
    records: list[OfferRecord] = []
    for raw in raws:
        try:
            records.append(validate_offer(raw.fields, path.name, analyzer.catalogue, contract_required=False))
        except RecordError:
            continue
    started = time.perf_counter()
    enrich_offers(records, analyzer, n_process=2)
    elapsed_2 = time.perf_counter() - started
    started = time.perf_counter()
    enrich_offers(records, analyzer)
    elapsed = time.perf_counter() - started
    truth = [analyzer.catalogue.appellation_to_fiche.get(r.rome_appellation or "") for r in records]
    rome = [[o.code for o in r.occupations if o.scheme == "ROME"] for r in records]
    scored = [(t, p) for t, p in zip(truth, rome, strict=True) if t]
    skills = [len(r.skills) for r in records]
    mentions = [m for r in records for m in r.skills]
    n = len(records)
    return Figures(
        offers=n,
        rejected=len(raws) - n + len(problems),
        top1=sum(bool(p) and p[0] == t for t, p in scored) / len(scored),
        top3=sum(t in p for t, p in scored) / len(scored),
        skills_per_offer=statistics.mean(skills),
        no_skill_share=sum(s == 0 for s in skills) / n,
        similarity_share=sum(m.source == "similarity" for m in mentions) / max(1, len(mentions)),
        with_contract=sum(r.contract is not None for r in records) / n,
        with_categorie=sum(r.categorie is not None for r in records) / n,
        with_education=sum(r.education_level is not None for r in records) / n,
        with_experience=sum(r.years_experience is not None for r in records) / n,
        offers_per_second=n / elapsed,
        offers_per_second_2=n / elapsed_2,
        load_average=os.getloadavg()[0],
    )


def figures_markdown(f: Figures) -> str:
    return "\n".join(
        [
            "# Text understanding on real offers",
            "",
            "Produced by `vivier load measure` (`loaders/measure.py`) on",
            "`data/sources/pep-offers/pep_offers_2020_2021.csv` (652 real Place de l'Emploi Public offers; truth = the",
            "ROME fiche of the OGR appellation the publisher chose).",
            "",
            "| measure | value |",
            "|---|---|",
            f"| offers understood (rejected) | {f.offers} ({f.rejected}) |",
            f"| offer → ROME fiche, top-1 accuracy | {f.top1:.1%} |",
            f"| offer → ROME fiche, top-3 accuracy | {f.top3:.1%} |",
            f"| skills found per offer (mean) | {f.skills_per_offer:.1f} |",
            f"| offers with no skill | {f.no_skill_share:.1%} |",
            f"| skill mentions from the similarity fallback | {f.similarity_share:.1%} |",
            f"| contract (titulaire / contractuel) found | {f.with_contract:.1%} |",
            f"| catégorie A/B/C found | {f.with_categorie:.1%} |",
            f"| education level found | {f.with_education:.1%} |",
            f"| years of experience found | {f.with_experience:.1%} |",
            f"| throughput, one process (offers/s) | {f.offers_per_second:.0f} |",
            f"| throughput, two processes (offers/s) | {f.offers_per_second_2:.0f} |",
            f"| machine load average during the run (1 min; {os.cpu_count()} cores) | {f.load_average:.1f} |",
            "",
        ]
    )


def write_figures(f: Figures, path: Path = FIGURES) -> Path:
    path.write_text(figures_markdown(f), encoding="utf-8")
    return path
