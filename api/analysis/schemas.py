"""Response models of the measures API: one typed row per domain, and the releases used.

The engine's columns are regular: each estimate ``x`` comes with ``x_se``, ``x_ci_low``,
``x_ci_high``, ``x_rse_pct`` and ``x_unreliable``; the row models are built from that rule so
they cannot drift from the engine (a test compares them with the engine's output).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, create_model

from api.ingest.schemas import ReleaseInfo

RELIABILITY = {
    "se": (float | None, "Standard error (Taylor linearisation, PSUs within strata)."),
    "ci_low": (float | None, "Lower bound of the 95% confidence interval (not truncated)."),
    "ci_high": (float | None, "Upper bound of the 95% confidence interval."),
    "rse_pct": (float | None, "Relative standard error in percent; null when the estimate is 0."),
    "unreliable": (
        bool | None,
        "True when the RSE exceeds 25% (BPS rule): show it as unreliable; null with the RSE.",
    ),
}


def _estimate(name: str, description: str) -> dict[str, Any]:
    fields: dict[str, Any] = {name: (float | None, Field(description=description))}
    for suffix, (kind, text) in RELIABILITY.items():
        fields[f"{name}_{suffix}"] = (kind, Field(description=f"{name}: {text}"))
    return fields


class DomainKeys(BaseModel):
    level: str = Field(description="national, province or regency.")
    region_code: str = Field(description="Kemendagri code of the region (`00`: Indonesia).")
    bps_code: str = Field(description="BPS code of the region, as in the survey.")
    region_name: str
    breakdown: dict[str, int | str | bool | None] = Field(
        description='The breakdown values of this row, e.g. `{"urban": 1}`; empty for none.'
    )


_COUNTS: dict[str, Any] = {
    "n_hh": (int, Field(description="Sample households behind the figures.")),
    "n_psu": (int, Field(description="Sample PSUs (strata × psu) behind the figures.")),
    "n_strata": (int, Field(description="Sample strata behind the figures.")),
}

_ESTIMATES = {
    "p0": "Headcount ratio P0: share of people below the line (fraction).",
    "p1": "Poverty gap index P1 (fraction).",
    "p2": "Poverty severity index P2 (fraction).",
    "watts": "Watts index.",
    "n_poor": "Number of poor people.",
}
_POINTS: dict[str, Any] = {
    "pop": (float, Field(description="Population (persons).")),
    "mean_exp": (float, Field(description="Mean per-capita monthly expenditure (Rp).")),
    "poverty_line": (float, Field(description="Person-weighted mean poverty line (Rp/month).")),
    "near_poor": (float, Field(description="Share of people with z ≤ y < 1.2 z (fraction).")),
    "very_poor": (float, Field(description="Share of people with y < 0.8 z (fraction).")),
    "extreme_poor": (
        float | None,
        Field(description="Share below the extreme line; null without extreme lines."),
    ),
    "gini": (float, Field(description="Gini coefficient, 0–1, person-weighted.")),
    "decile_cuts": (list[float], Field(description="Q(0.1) … Q(0.9) within the domain.")),
    "quintile_cuts": (list[float], Field(description="Q(0.2) … Q(0.8) within the domain.")),
    "decile_shares": (list[float], Field(description="Expenditure share of deciles 1–10.")),
    "decile_pop_shares": (list[float], Field(description="Population share of deciles 1–10.")),
    "share_bottom40": (float, Field(description="Expenditure share of the bottom 40%.")),
}

PovertyRow = create_model(
    "PovertyRow",
    __base__=DomainKeys,
    **{k: v for name, text in _ESTIMATES.items() for k, v in _estimate(name, text).items()},
    **_POINTS,
    **_COUNTS,
)

IndicatorRow = create_model(
    "IndicatorRow",
    __base__=DomainKeys,
    indicator=(str, Field(description="Indicator code.")),
    **_estimate("value", "The indicator: a share of the denominator population (fraction)."),
    **_estimate("count", "Estimated number of households or persons counted."),
    pop=(float, Field(description="Estimated denominator population.")),
    n_obs=(int, Field(description="Sample rows behind the value.")),
    n_missing=(int, Field(description="Rows of the population left out: items missing.")),
    **_COUNTS,
)

ProfileRow = create_model(
    "ProfileRow",
    __base__=DomainKeys,
    characteristic=(str, Field(description="The household characteristic profiled.")),
    value=(int | str | bool | None, Field(description="Its value in this row.")),
    band=(str, Field(description="very_poor, poor, near_poor or non_poor.")),
    **_estimate("pop", "People in the band with this value."),
    **_estimate("share_of_band", "Their share of the band's people in the domain."),
    **_estimate("rate", "Their share of the people with this value."),
    n_hh=(int, Field(description="Sample households in the cell.")),
)


class Answer(BaseModel):
    releases: list[ReleaseInfo] = Field(description="The releases the figures come from.")
    level: str
    breakdowns: list[str]
    lonely_psu: str = Field(description="Policy for strata with a single PSU.")
    notes: list[str] = Field(description="Units and conventions of the figures.")


class PovertyAnswer(Answer):
    items: list[PovertyRow]


class IndicatorAnswer(Answer):
    items: list[IndicatorRow]


class ProfileAnswer(Answer):
    items: list[ProfileRow]
