"""`vivier simulate --report DIR`: the main distributions of a simulated dataset, as a table and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from rich.table import Table

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # the backend must be chosen first


def _shares(series: pd.Series) -> str:
    counts = series.fillna("—").astype(str).replace("", "—").value_counts(normalize=True)
    return ", ".join(f"{k} {v:.0%}" for k, v in counts.items())


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    for name in ("employers.csv", "offers.json", "applications.csv", "truth/candidates.csv"):
        if not (folder / name).exists():
            raise FileNotFoundError(f"{folder / name}: missing; is {folder} a `vivier simulate` output folder?")
    with (folder / "offers.json").open(encoding="utf-8") as handle:
        offers = pd.DataFrame(json.load(handle))
    keep = ["offer_id", "candidate_ref", "stage"]
    return {
        "employers": pd.read_csv(folder / "employers.csv", dtype=str),
        "offers": offers,
        "applications": pd.read_csv(folder / "applications.csv", usecols=keep, dtype=str),
        "candidates": pd.read_csv(folder / "truth" / "candidates.csv", dtype=str, keep_default_na=False),
        "careers": pd.read_csv(folder / "truth" / "careers.csv", usecols=["candidate_ref", "transition"], dtype=str),
        "utilities": pd.read_csv(folder / "truth" / "utilities.csv"),
    }


def hit_rates(apps: pd.DataFrame, utilities: pd.DataFrame) -> tuple[float, float]:
    """Share of filled offers whose hire ranks first among the eligible, active applicants: by the content-only
    signals (skills, path, place, experience: what a model without history can know) and by the latent utility."""
    from simulator.process import WEIGHTS

    frame = utilities.assign(stage=apps.stage.to_numpy())
    frame = frame[(frame.eligible == 1) & (frame.stage != "withdrawn")]
    frame = frame[frame.offer_id.isin(frame.loc[frame.stage == "hired", "offer_id"])]
    content = sum(WEIGHTS[k] * frame[k] for k in ("coverage", "path", "geo", "experience"))
    frame = frame.assign(content=content)
    rates = []
    for column in ("content", "utility"):
        best = frame.loc[frame.groupby("offer_id")[column].idxmax()]
        rates.append(round(float((best.stage == "hired").mean()), 3))
    return rates[0], rates[1]


def distributions(folder: Path) -> dict[str, float | str]:
    """The report's figures, by name (also used by the tests to check documented ranges)."""
    d = _read(folder)
    apps, cands, offers = d["applications"], d["candidates"], d["offers"]
    per_offer = apps.groupby("offer_id").size()
    hired_offers = apps.loc[apps.stage == "hired", "offer_id"].nunique()
    closed = offers.loc[pd.to_datetime(offers.closes_at) < pd.Timestamp("2025-05-01"), "offer_id"]
    titulaires = cands[cands.status == "titulaire"]
    utilities = d["utilities"]
    figures: dict[str, float | str] = {
        "employers": len(d["employers"]),
        "employer kinds": _shares(d["employers"]["kind"]),
        "candidates": len(cands),
        "candidate status": _shares(cands.status),
        "titulaires by versant": _shares(titulaires.versant),
        "titulaires by catégorie": _shares(titulaires.categorie),
        "diploma level": _shares(cands.diploma_level),
        "career steps per candidate": round(float(d["careers"].groupby("candidate_ref").size().mean()), 2),
        "career transitions": _shares(d["careers"].transition),
        "offers": len(offers),
        "offers by contract": _shares(offers.contract),
        "offers by catégorie": _shares(offers.categorie),
        "offers by versant": _shares(offers.versant),
        "applications": len(apps),
        "applications per offer (mean)": round(float(per_offer.mean()), 1),
        "applications per offer (median)": float(per_offer.median()),
        "stages": _shares(apps.stage),
        "share of closed offers with a hire": round(hired_offers / max(1, len(closed)), 3),
        "eligible share of applicants": round(float(utilities.eligible.mean()), 3),
        "applicants in the offer's région": round(float((utilities.geo > 0).mean()), 3),
    }
    figures["hire ranked first by content-only signals"], figures["hire ranked first by latent utility"] = hit_rates(
        apps, utilities
    )
    return figures


def plot(folder: Path) -> list[Path]:
    d = _read(folder)
    target = folder / "report"
    target.mkdir(exist_ok=True)
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    panels = [
        ("Candidates by status", d["candidates"].status),
        ("Titulaires by versant", d["candidates"].loc[d["candidates"].status == "titulaire", "versant"]),
        ("Offers by contract", d["offers"].contract),
        ("Application stages", d["applications"].stage),
        ("Career transitions", d["careers"].transition),
    ]
    for ax, (title, series) in zip(axes.flat, panels, strict=False):
        series.value_counts().sort_index().plot.bar(ax=ax, color="#4C72B0")
        ax.set_title(title)
        ax.tick_params(axis="x", labelrotation=30)
    per_offer = d["applications"].groupby("offer_id").size()
    axes.flat[5].hist(per_offer, bins=30, color="#55A868")
    axes.flat[5].set_title("Applications per offer")
    fig.tight_layout()
    overview = target / "distributions.png"
    fig.savefig(overview, dpi=90)
    plt.close(fig)
    utilities = pd.read_csv(folder / "truth" / "utilities.csv", usecols=["utility"])["utility"].to_numpy()
    hired = (d["applications"].stage == "hired").to_numpy()
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(utilities.min(), utilities.max(), 50).tolist()
    ax.hist(utilities[~hired], bins=bins, alpha=0.6, density=True, label="not hired")
    ax.hist(utilities[hired], bins=bins, alpha=0.6, density=True, label="hired")
    ax.set_title("Latent utility of applicants")
    ax.legend()
    fig.tight_layout()
    utility_png = target / "utility.png"
    fig.savefig(utility_png, dpi=90)
    plt.close(fig)
    return [overview, utility_png]


def report_table(folder: Path) -> Table:
    table = Table(title=f"Simulated dataset {folder}")
    table.add_column("distribution")
    table.add_column("value", overflow="fold")
    for key, value in distributions(folder).items():
        table.add_row(key, str(value))
    return table
