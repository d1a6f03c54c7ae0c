"""Input checks and normalisation of Susenas household frames.

Every measure starts from :func:`prepare_households`: it checks the values the formulas of
``MEASURES.md`` divide by or take logarithms of (so that no NaN can reach an answer), attaches
the poverty line of each household, and adds the internal columns the engine works on. Those
start with an underscore so that they never clash with the contract's columns, which are kept
as they are for breakdowns and indicator conditions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from api.measures.errors import (
    SHOWN,
    EmptySampleError,
    InvalidMicrodataError,
    MissingColumnsError,
    PovertyLineMissingError,
)

# Internal columns (see the module docstring).
ROW = "_row"  # how an error names a household: its hh_id, else "row N" (1-based)
W = "_w"  # household weight w_i
V = "_v"  # person weight v_i = w_i · m_i
Y = "_y"  # per-capita expenditure y_i
Z = "_z"  # poverty line z_i
ZX = "_zx"  # extreme poverty line (null when none was supplied)
STRATUM = "_stratum"  # integer id of the stratum
PSU = "_psu"  # integer id of the PSU, i.e. of the pair (stratum, psu)

# Columns of codes that must be compared as text: a CSV reader would otherwise turn a PSU
# "007" into the number 7, and "007" of another stratum file into the same 7.
CODE_COLUMNS = ("hh_id", "prov_code", "kab_code", "strata", "psu")
DESIGN_COLUMNS = ("kab_code", "urban", "strata", "psu", "weight", "hh_size")
LINE_KEYS = ("kab_code", "urban")


@dataclass(frozen=True)
class Design:
    """The sample design as the variance needs it: how many PSUs each stratum has.

    ``strata`` has one row per stratum of the **whole sample** (``_stratum``, ``strata``,
    ``n_h``): MEASURES.md counts n_h over the whole sample, including PSUs with no household in
    the domain, so the design is taken before any domain or region filter.
    """

    strata: pl.DataFrame
    total_psus: int

    @property
    def lonely_strata(self) -> int:
        """Number of strata with a single PSU."""
        return int((self.strata.get_column("n_h") == 1).sum())


def design_of(households: pl.DataFrame) -> Design:
    """The design of a frame returned by :func:`prepare_households`."""
    strata = (
        households.group_by(STRATUM)
        .agg(pl.col("strata").first(), pl.col(PSU).n_unique().alias("n_h"))
        .sort(STRATUM)
    )
    return Design(strata=strata, total_psus=int(strata.get_column("n_h").sum()))


@dataclass(frozen=True)
class Sample:
    """A checked household sample with its design, to compute many answers from.

    Checking and indexing 345,000 households takes ~50 ms, more than one province's answer; the
    API can prepare a release once (:func:`prepare_sample`), keep it while the release is
    active, and pass it to the measures instead of the raw frame.
    """

    households: pl.DataFrame
    design: Design
    welfare: bool
    poverty_line: bool


def prepare_sample(
    households: pl.DataFrame,
    *,
    welfare: bool = True,
    poverty_line: bool = True,
    poverty_lines: pl.DataFrame | None = None,
) -> Sample:
    """:func:`prepare_households` and :func:`design_of` in one object."""
    prepared = prepare_households(
        households, welfare=welfare, poverty_line=poverty_line, poverty_lines=poverty_lines
    )
    return Sample(prepared, design_of(prepared), welfare=welfare, poverty_line=poverty_line)


def as_sample(
    households: pl.DataFrame | Sample,
    *,
    welfare: bool,
    poverty_line: bool = False,
    poverty_lines: pl.DataFrame | None = None,
) -> Sample:
    """A raw frame prepared as asked, or a prepared sample checked to have what is needed."""
    if not isinstance(households, Sample):
        return prepare_sample(
            households, welfare=welfare, poverty_line=poverty_line, poverty_lines=poverty_lines
        )
    if (welfare and not households.welfare) or (poverty_line and not households.poverty_line):
        raise ValueError("the sample was prepared without the expenditure or poverty lines")
    if poverty_lines is not None:
        raise ValueError("poverty lines are attached when the sample is prepared")
    return households


def prepare_households(
    households: pl.DataFrame,
    *,
    welfare: bool = True,
    poverty_line: bool = False,
    poverty_lines: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Check a ``susenas_household`` frame and add the engine's columns.

    ``welfare`` requires a positive per-capita expenditure (poverty, inequality, quintile
    breakdowns); ``poverty_line`` also requires a positive poverty line for every household,
    from its own ``poverty_line`` column or, where that is absent or empty, from
    ``poverty_lines`` (a ``poverty_line`` dataset frame keyed by ``kab_code``, ``urban`` and, when
    both frames have it, ``year``). An optional ``extreme_poverty_line`` is taken the same way.
    ``prov_code``, when absent, is the first two digits of ``kab_code`` (BPS codes nest).

    Raises :class:`EmptySampleError`, :class:`MissingColumnsError`,
    :class:`InvalidMicrodataError` (missing or
    non-positive weight, household size, expenditure or line; missing design codes) and
    :class:`PovertyLineMissingError`.
    """
    if households.height == 0:
        raise EmptySampleError()
    frame = _normalised(households)
    needed = [*DESIGN_COLUMNS, *(["exp_per_capita"] if welfare else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise MissingColumnsError(missing, "the survey design and the measures asked for")
    frame = frame.with_columns(
        pl.col("weight").cast(pl.Float64, strict=False).alias(W),
        pl.col("hh_size").cast(pl.Int64, strict=False).alias("hh_size"),
    )
    checks: list[tuple[str, str, pl.Expr]] = [
        (c, "a missing code", pl.col(c).is_null()) for c in ("kab_code", "urban", "strata", "psu")
    ]
    checks += [
        ("weight", "a missing or non-numeric weight", pl.col(W).is_null()),
        ("weight", "a weight that is not a positive number", _not_positive(pl.col(W))),
        ("hh_size", "a missing household size or one below 1", ~(pl.col("hh_size") >= 1)),
    ]
    if welfare:
        frame = frame.with_columns(pl.col("exp_per_capita").cast(pl.Float64, strict=False).alias(Y))
        checks += [
            ("exp_per_capita", "a missing or non-numeric expenditure", pl.col(Y).is_null()),
            ("exp_per_capita", "a zero or negative expenditure", _not_positive(pl.col(Y))),
        ]
    _raise_first(frame, checks)
    if poverty_line:
        frame = _attach_lines(frame, poverty_lines)
    if welfare:
        # Sorted by expenditure once here, every later sort within domains is on an integer
        # key alone (see inequality._sorted_with_cumulative).
        frame = frame.sort(Y, maintain_order=True)
    return frame.with_columns(
        (pl.col(W) * pl.col("hh_size")).alias(V),
        pl.col("strata").rank("dense").alias(STRATUM),
        pl.struct("strata", "psu").rank("dense").alias(PSU),
    )


def _normalised(households: pl.DataFrame) -> pl.DataFrame:
    """Codes as text and a row label for messages."""
    frame = households.with_columns(
        pl.col(c).cast(pl.String) for c in CODE_COLUMNS if c in households.columns
    )
    if "prov_code" not in frame.columns and "kab_code" in frame.columns:
        frame = frame.with_columns(pl.col("kab_code").str.slice(0, 2).alias("prov_code"))
    frame = frame.with_columns(
        pl.col(c).cast(pl.Int64, strict=False) for c in ("urban", "year") if c in frame.columns
    )
    label = (
        pl.col("hh_id")
        if "hh_id" in frame.columns
        else pl.format("row {}", pl.int_range(1, pl.len() + 1))
    )
    return frame.with_columns(label.alias(ROW))


def _not_positive(value: pl.Expr) -> pl.Expr:
    """True where a present value is not a finite number above zero (NaN, inf, 0, < 0)."""
    return (value.is_not_null() & ~(value.is_finite() & (value > 0))).fill_null(False)


def _raise_first(frame: pl.DataFrame, checks: Sequence[tuple[str, str, pl.Expr]]) -> None:
    """Count every check in one pass; raise for the first that fails, naming its rows."""
    if not checks:
        return
    counts = frame.select(
        mask.fill_null(True).sum().alias(str(i)) for i, (_, _, mask) in enumerate(checks)
    ).row(0)
    for (column, rule, mask), count in zip(checks, counts, strict=True):
        if count:
            rows = frame.filter(mask.fill_null(True)).get_column(ROW).head(SHOWN).to_list()
            raise InvalidMicrodataError(column, rule, rows, int(count))


def _attach_lines(frame: pl.DataFrame, lines: pl.DataFrame | None) -> pl.DataFrame:
    """Add ``_z`` and ``_zx``: the household's own lines, else those of its kab × urban × year."""
    own_z = _float_or_null(frame, "poverty_line")
    own_zx = _float_or_null(frame, "extreme_poverty_line")
    if lines is None:
        frame = frame.with_columns(own_z.alias(Z), own_zx.alias(ZX))
    else:
        lines, keys = _line_table(frame, lines)
        frame = frame.join(lines, on=keys, how="left").with_columns(
            pl.coalesce(own_z, pl.col("_line_z")).alias(Z),
            pl.coalesce(own_zx, pl.col("_line_zx")).alias(ZX),
        )
        frame = frame.drop("_line_z", "_line_zx")
    _raise_first(
        frame,
        [
            (
                "poverty_line",
                "a poverty line that is not a positive number",
                _not_positive(pl.col(Z)),
            ),
            (
                "extreme_poverty_line",
                "an extreme poverty line that is not a positive number",
                _not_positive(pl.col(ZX)),
            ),
        ],
    )
    absent = frame.filter(pl.col(Z).is_null())
    if absent.height:
        keys = [k for k in (*LINE_KEYS, "year") if k in absent.columns]
        groups = absent.group_by(keys).len().sort(keys)
        raise PovertyLineMissingError(groups.select(keys).to_dicts(), absent.height)
    return frame


def _float_or_null(frame: pl.DataFrame, column: str) -> pl.Expr:
    if column in frame.columns:
        return pl.col(column).cast(pl.Float64, strict=False)
    return pl.lit(None, dtype=pl.Float64)


def _line_table(frame: pl.DataFrame, lines: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The poverty-line frame reduced to its join keys and the two lines, checked unique."""
    missing = [c for c in (*LINE_KEYS, "poverty_line") if c not in lines.columns]
    if missing:
        raise MissingColumnsError(missing, "the poverty-line table")
    keys = list(LINE_KEYS)
    if "year" in lines.columns:
        if "year" in frame.columns:
            keys.append("year")
        elif lines.get_column("year").n_unique() > 1:
            raise MissingColumnsError(["year"], "choosing among the poverty lines of several years")
    casts: dict[str, Any] = {"kab_code": pl.String, "urban": pl.Int64, "year": pl.Int64}
    table = lines.select(
        *(pl.col(k).cast(casts[k], strict=False) for k in keys),
        pl.col("poverty_line").cast(pl.Float64, strict=False).alias("_line_z"),
        _float_or_null(lines, "extreme_poverty_line").alias("_line_zx"),
    )
    duplicated = table.filter(pl.struct(keys).is_duplicated())
    if duplicated.height:
        shown = [
            "/".join(f"{k}={v}" for k, v in row.items())
            for row in duplicated.select(keys).unique(maintain_order=True).to_dicts()
        ]
        raise InvalidMicrodataError(
            "poverty_line", "more than one line", shown, len(shown), subject="key(s)"
        )
    return table, keys
