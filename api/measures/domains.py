"""Domains: every region of the chosen levels, crossed with the breakdowns, in one frame.

A domain row is identified by ``level`` (``national``, ``province`` or ``regency``, the words of
:class:`~api.regions.levels.Level`), ``region_code`` (the BPS code: ``prov_code`` for a province,
``kab_code`` for a kab/kota, and ``"00"`` for the nation, the code the region API gives the
nation) and one column per breakdown, holding the breakdown's value (null is a value too: a head
of household who does not work has a null ``head_work_sector``).

The households of every level are stacked (a household appears once per level), so one
group-by over the domain keys computes every region of every level at once; no loop runs over
regions.

Breakdowns are household columns (``urban``, ``head_sex``, ``head_education``,
``head_work_sector``...) or derived ones:

- ``quintile`` / ``decile``: the household's group of per-capita expenditure within its own
  region (MEASURES.md: a kab's deciles are the kab's own, not the nation's);
- ``national_quintile`` / ``national_decile``: the group in the distribution of the whole
  frame given (the nation, when the frame is the whole sample);
- ``hh_size_band``: household size as ``"1-2"``, ``"3-4"``, ``"5-6"`` or ``"7+"``.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from api.errors import InvalidParameterError
from api.measures.errors import InvalidBreakdownError
from api.measures.inequality import DECILES, QUINTILES, quantile_groups
from api.regions.codes import NATIONAL_CODE
from api.regions.levels import Level

LEVEL = "level"
REGION = "region_code"
DOMAIN_ID = "_dom"

# The household column holding each level's region code (None: the nation).
LEVEL_COLUMN: dict[Level, str | None] = {
    Level.national: None,
    Level.province: "prov_code",
    Level.regency: "kab_code",
}
# What callers may call a level: the API's words and the contract's column names.
LEVEL_ALIASES: dict[str, Level] = {
    **{level.value: level for level in LEVEL_COLUMN},
    "prov_code": Level.province,
    "kab_code": Level.regency,
}
WITHIN_REGION_GROUPS = {"quintile": QUINTILES, "decile": DECILES}
NATIONAL_GROUPS = {"national_quintile": QUINTILES, "national_decile": DECILES}
SIZE_BAND = "hh_size_band"
DERIVED_BREAKDOWNS = frozenset({*WITHIN_REGION_GROUPS, *NATIONAL_GROUPS, SIZE_BAND})
WELFARE_BREAKDOWNS = frozenset({*WITHIN_REGION_GROUPS, *NATIONAL_GROUPS})
# Columns that are the design or the measure itself, never a breakdown.
NOT_BREAKDOWNS = frozenset(
    {"hh_id", "prov_code", "kab_code", "strata", "psu", "weight", "exp_per_capita"}
)


def parse_levels(levels: Sequence[Level | str]) -> list[Level]:
    """Levels in national → regency order, from API words or column names."""
    parsed: set[Level] = set()
    for level in levels:
        found = LEVEL_ALIASES.get(str(level))
        if found is None:
            raise InvalidParameterError(
                f"Unknown level '{level}'; use one of {', '.join(LEVEL_ALIASES)}.",
                parameter="level",
            )
        parsed.add(found)
    if not parsed:
        raise InvalidParameterError("Give at least one level.", parameter="level")
    return [level for level in LEVEL_COLUMN if level in parsed]


def domain_keys(breakdowns: Sequence[str]) -> list[str]:
    return [LEVEL, REGION, *breakdowns]


def check_breakdowns(breakdowns: Sequence[str], columns: Sequence[str]) -> None:
    """Each breakdown is derived or a column of the frame, and none is repeated."""
    if len(set(breakdowns)) != len(breakdowns):
        raise InvalidBreakdownError("A breakdown is repeated.", breakdowns=list(breakdowns))
    for b in breakdowns:
        if b in NOT_BREAKDOWNS or b in (LEVEL, REGION) or b.startswith("_"):
            raise InvalidBreakdownError(
                f"'{b}' cannot be a breakdown; choose regions with the level instead.",
                breakdown=b,
            )
        if b not in DERIVED_BREAKDOWNS and b not in columns:
            raise InvalidBreakdownError(
                f"Unknown breakdown '{b}': not a column of the data nor one of "
                f"{', '.join(sorted(DERIVED_BREAKDOWNS))}.",
                breakdown=b,
            )


def domain_rows(
    households: pl.DataFrame,
    levels: Sequence[Level | str],
    breakdowns: Sequence[str] = (),
    regions: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Households stacked once per level, with ``level``, ``region_code`` and derived breakdowns.

    ``households`` comes from :func:`~api.measures.frames.prepare_households` (with
    ``welfare=True`` when a quintile or decile breakdown is asked). ``regions`` keeps only the
    domains of those region codes (``"00"`` for the nation); the design is not affected, so the
    caller should still pass the whole sample.
    """
    check_breakdowns(breakdowns, households.columns)
    chosen = parse_levels(levels)
    frame = households
    for name, parts in NATIONAL_GROUPS.items():
        if name in breakdowns:
            frame = quantile_groups(
                frame.with_columns(pl.lit(0).alias(DOMAIN_ID)), DOMAIN_ID, parts, name
            )
    if SIZE_BAND in breakdowns:
        frame = frame.with_columns(_size_band(pl.col("hh_size")).alias(SIZE_BAND))
    per_level: list[pl.DataFrame] = []
    for level in chosen:
        column = LEVEL_COLUMN[level]
        part = frame
        # Filter before stacking: one province's request copies only its households.
        if regions is not None and column is not None:
            part = frame.filter(pl.col(column).is_in(list(regions)))
        elif regions is not None and NATIONAL_CODE not in regions:
            part = frame.clear()
        code = pl.lit(NATIONAL_CODE) if column is None else pl.col(column)
        per_level.append(part.with_columns(pl.lit(level.value).alias(LEVEL), code.alias(REGION)))
    stacked = pl.concat(per_level)
    within = [name for name in WITHIN_REGION_GROUPS if name in breakdowns]
    if within:
        stacked = with_domain_id(stacked, [LEVEL, REGION])
        for name in within:
            stacked = quantile_groups(stacked, DOMAIN_ID, WITHIN_REGION_GROUPS[name], name)
    return stacked.drop(DOMAIN_ID, strict=False)


def _size_band(size: pl.Expr) -> pl.Expr:
    return (
        pl.when(size <= 2)
        .then(pl.lit("1-2"))
        .when(size <= 4)
        .then(pl.lit("3-4"))
        .when(size <= 6)
        .then(pl.lit("5-6"))
        .otherwise(pl.lit("7+"))
    )


def with_domain_id(rows: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Add ``_dom``, a dense integer id of the domain keys (null is a value of its own)."""
    return rows.with_columns(pl.struct(list(keys)).rank("dense").alias(DOMAIN_ID))


def domain_table(rows: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """One row per ``_dom`` with its keys."""
    return rows.select(DOMAIN_ID, *keys).unique(DOMAIN_ID)


def sort_domains(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """National first, then provinces, then kab/kota; codes and breakdowns ascending."""
    order = {level.value: depth for depth, level in enumerate(LEVEL_COLUMN)}
    return frame.sort(
        pl.col(LEVEL).replace_strict(order, return_dtype=pl.Int8),
        *keys[1:],
        nulls_last=True,
    )
