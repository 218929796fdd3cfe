"""Protected or sensitive attributes of the simulated candidates, and an optional historical bias against one group.

The attributes go to `truth/sensitive.csv` only: no CV, no application and no loader ever sees them, so no model
can learn from them except through what the recruiters' decisions carry. They are drawn from their own random
stream, so turning them on changes none of the other files. Documented in docs/simulation.md (*Sensitive
attributes and historical bias*).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator import geo
from simulator.population import SNAPSHOT, Candidates

# Attribute → its values (the order of the codes the population arrays hold). docs/fairness.md names them too.
SEX = ("F", "M")
AGE_BANDS = ("moins de 30 ans", "30-44 ans", "45-54 ans", "55 ans et plus")
DISABILITY = ("non", "RQTH")  # reconnaissance de la qualité de travailleur handicapé
NATIONALITY_GROUPS = ("française", "UE hors France", "hors UE")
RESIDENCE_BANDS = ("Île-de-France", "métropole hors Île-de-France", "outre-mer")
ATTRIBUTES = ("sex", "age_band", "disability", "nationality_group", "residence_band")
SEX_SHARE = np.array([0.52, 0.48])
DISABILITY_SHARE = np.array([0.94, 0.06])
NATIONALITY_SHARE = np.array([0.93, 0.04, 0.03])
AGE_LIMITS = (30.0, 45.0, 55.0)


@dataclass(frozen=True)
class Bias:
    """Recruiters rank the eligible applicants of one group as if their utility were `penalty` lower (utility
    units: the noise term alone has a standard deviation of 0.6) when they shortlist; interviews and the hire follow
    that order, so the group is shortlisted and hired less at equal utility. `truth/utilities.csv` keeps the
    unbiased utility."""

    attribute: str
    value: str
    penalty: float

    def __str__(self) -> str:
        return f"{self.attribute}={self.value}:{self.penalty:g}"


def parse_bias(spec: str) -> Bias:
    """`attribute=value:penalty`, e.g. `sex=F:0.8`; a clear error names what is wrong."""
    try:
        target, penalty = spec.rsplit(":", 1)
        attribute, value = target.split("=", 1)
        amount = float(penalty)
    except ValueError:
        raise ValueError(f"bias {spec!r}: expected attribute=value:penalty, e.g. sex=F:0.8") from None
    if attribute not in ATTRIBUTES:
        raise ValueError(f"bias {spec!r}: unknown attribute {attribute!r}; one of {', '.join(ATTRIBUTES)}")
    if value not in VALUES[attribute]:
        raise ValueError(f"bias {spec!r}: {attribute} has no value {value!r}; one of {', '.join(VALUES[attribute])}")
    if amount < 0:
        raise ValueError(f"bias {spec!r}: the penalty must be positive or zero")
    return Bias(attribute, value, amount)


VALUES: dict[str, tuple[str, ...]] = {
    "sex": SEX,
    "age_band": AGE_BANDS,
    "disability": DISABILITY,
    "nationality_group": NATIONALITY_GROUPS,
    "residence_band": RESIDENCE_BANDS,
}


@dataclass
class SensitiveAttributes:
    """One code per candidate and attribute (indices into `VALUES[attribute]`)."""

    codes: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.codes["sex"])

    def labels(self, i: int) -> list[str]:
        return [VALUES[a][int(self.codes[a][i])] for a in ATTRIBUTES]

    def mask(self, bias: Bias) -> np.ndarray:
        return np.asarray(self.codes[bias.attribute] == VALUES[bias.attribute].index(bias.value))


def _residence(home: np.ndarray) -> np.ndarray:
    codes = np.array(geo.CODES)[home]
    ile_de_france = np.isin(codes, ["75", "77", "78", "91", "92", "93", "94", "95"])
    overseas = np.char.startswith(codes.astype(str), "97")
    return np.where(ile_de_france, 0, np.where(overseas, 2, 1))


def make_sensitive(c: Candidates, rng: np.random.Generator) -> SensitiveAttributes:
    """Independent of everything the utility uses, except age (from the birth date) and place of residence (the
    home département, which the geography signal uses): a bias on those would be confounded with merit."""
    n = len(c)
    age = (SNAPSHOT - c.birth).astype(np.float64) / 365.25
    return SensitiveAttributes(
        {
            "sex": rng.choice(len(SEX), size=n, p=SEX_SHARE),
            "age_band": np.searchsorted(np.array(AGE_LIMITS), age, side="right"),
            "disability": rng.choice(len(DISABILITY), size=n, p=DISABILITY_SHARE),
            "nationality_group": rng.choice(len(NATIONALITY_GROUPS), size=n, p=NATIONALITY_SHARE),
            "residence_band": _residence(c.home),
        }
    )
