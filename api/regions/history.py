"""Crosswalk between two vintages of the Kemendagri region code list.

Pemekaran splits regions, creates new ones and re-codes old ones (Papua became six provinces),
so a statistic published under a 2016 code cannot simply be joined on code to 2025 data.
Villages (desa/kelurahan) are the atoms that survive almost every reorganisation, so we match
villages first, by increasingly loose keys, and derive every higher level from where its
villages went: a regency whose villages now sit under two regency codes was split, with shares
equal to the fraction of its villages in each.

Everything is vectorised Polars; the only Python-level work is normalising the distinct names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from api.regions.names import normalize_name

LEVELS = ("province", "regency", "district", "village")

# The source files use Indonesian level names; the rest of the API uses English ones.
_SOURCE_LEVELS: Final[dict[str, str]] = {
    "provinsi": "province",
    "kabkota": "regency",
    "kecamatan": "district",
    "desa": "village",
}

# Number of dotted segments in a code of each level ("11.01.01" is a district: depth 3).
_DEPTH: Final[dict[str, int]] = {level: depth for depth, level in enumerate(LEVELS, start=1)}

# Village matching stages, strictest first. Each stage only sees villages left unmatched by the
# earlier ones, so a loose key never overrides a strict match. Stage names are reported by
# `match_villages` so callers can see how much of a crosswalk rests on weak evidence.
STAGES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    # Nothing changed.
    ("code_name", ("code", "village")),
    # Re-coded but still under same-named regency and district: the common pemekaran case
    # (e.g. Merauke villages moving from 91.01 to 93.01 with Papua Selatan).
    ("regency_district_name", ("regency", "district", "village")),
    # Moved to a new or renamed regency inside the same province.
    ("province_district_name", ("province", "district", "village")),
    # Moved across provinces (new province, or a province whose name changed).
    ("district_name", ("district", "village")),
    # Moved to a new district of the same regency (kecamatan pemekaran): every key above includes
    # the district name, which is exactly what changed. Without this stage ~540 villages of
    # 2020->2025 stay unmatched, and the code stage below may pair their old codes with unrelated
    # villages that inherited them.
    ("regency_name", ("regency", "village")),
    # Renamed in place ("Suka Maju" -> "Sukamaju", "29 Ilir" -> "Dua-puluh-sembilan Ilir"). Codes
    # are sometimes reused for a different village, so this is the weakest evidence and runs last.
    ("code", ("code",)),
)

_CROSSWALK_SCHEMA: Final = pl.Schema(
    {
        "from_code": pl.String(),
        "to_code": pl.String(),
        "level": pl.String(),
        "share": pl.Float64(),
        "kind": pl.String(),
    }
)


def read_vintage(path: Path) -> pl.DataFrame:
    """Columns: code (str), name (str), level (str: province|regency|district|village),
    parent_code (str|None: code up to the last dot).
    """
    # Codes must stay strings: "11.01" read as a float would become 11.1.
    raw = pl.read_csv(
        path, schema_overrides={"kode": pl.String, "nama": pl.String, "level": pl.String}
    )
    return raw.select(
        pl.col("kode").alias("code"),
        pl.col("nama").alias("name"),
        # replace_strict fails loudly on an unknown level rather than emitting nulls.
        pl.col("level").replace_strict(_SOURCE_LEVELS, return_dtype=pl.String),
        _parent_code(pl.col("kode")).alias("parent_code"),
    )


def _parent_code(code: pl.Expr) -> pl.Expr:
    """Code up to the last dot; null for a province, which has no dot."""
    return pl.when(code.str.contains(".", literal=True)).then(code.str.replace(r"\.[^.]*$", ""))


def _ancestor_code(code: pl.Expr, depth: int) -> pl.Expr:
    """The first `depth` dotted segments of a code: its ancestor at that level.

    Taken from the code itself rather than by walking parent rows, so a village whose parent row
    is missing from a file still has well-defined ancestors.
    """
    return code.str.extract(r"^([^.]+(?:\.[^.]+){" + str(depth - 1) + r"})", 1)


def _with_normalised_names(vintage: pl.DataFrame) -> pl.DataFrame:
    """Add `norm`, the name under `normalize_name`.

    normalize_name is plain Python, so call it once per distinct name (about 68k of 91k rows)
    and join back, instead of once per row.
    """
    distinct = vintage.select(pl.col("name").unique()).with_columns(
        pl.col("name").map_elements(normalize_name, return_dtype=pl.String).alias("norm")
    )
    return vintage.join(distinct, on="name", how="left", nulls_equal=True)


def _village_keys(vintage: pl.DataFrame) -> pl.DataFrame:
    """One row per village: code plus normalised names of itself and its ancestors.

    Ancestor names come from the same vintage, so a village is described as its own list saw it.
    Missing ancestor rows leave null names, which never join, so such villages can only match by
    code.
    """
    named = _with_normalised_names(vintage)
    lookup = named.select("code", "norm")
    villages = named.filter(pl.col("level") == "village").select(
        "code", pl.col("norm").alias("village")
    )
    for level in ("province", "regency", "district"):
        villages = villages.with_columns(
            _ancestor_code(pl.col("code"), _DEPTH[level]).alias("_ancestor")
        ).join(
            lookup.rename({"code": "_ancestor", "norm": level}),
            on="_ancestor",
            how="left",
        )
    return villages.drop("_ancestor")


def _unique_pairs(old: pl.DataFrame, new: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    """from_code/to_code pairs whose key occurs exactly once on each side.

    A key shared by two villages (two "Sukamaju" in one district) says nothing about which is
    which, so such villages are left for a later stage rather than guessed.
    """
    columns = list(keys)

    def singletons(side: pl.DataFrame, code_alias: str) -> pl.DataFrame:
        return (
            side.drop_nulls(columns)
            .filter(pl.len().over(columns) == 1)
            .select(*columns, pl.col("code").alias(code_alias))
        )

    return (
        singletons(old, "from_code")
        .join(singletons(new, "to_code"), on=columns)
        .select("from_code", "to_code")
    )


def match_villages(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """One row per village of `old`: from_code, to_code (null if unmatched), stage (the name in
    STAGES of the stage that matched it; null if unmatched). Matches are one-to-one.
    """
    old_left, new_left = _village_keys(old), _village_keys(new)
    found: list[pl.DataFrame] = []
    for stage, keys in STAGES:
        pairs = _unique_pairs(old_left, new_left, keys)
        found.append(pairs.with_columns(pl.lit(stage).alias("stage")))
        old_left = old_left.join(pairs, left_on="code", right_on="from_code", how="anti")
        new_left = new_left.join(pairs, left_on="code", right_on="to_code", how="anti")
    matched = pl.concat(found)
    return (
        old.filter(pl.col("level") == "village")
        .select(pl.col("code").alias("from_code"))
        .join(matched, on="from_code", how="left")
        .sort("from_code")
    )


def _village_rows(villages: pl.DataFrame) -> pl.DataFrame:
    """Crosswalk rows for villages: matches are one-to-one, so share is 1.0 when matched."""
    return villages.select(
        "from_code",
        "to_code",
        pl.lit("village").alias("level"),
        pl.when(pl.col("to_code").is_not_null()).then(1.0).alias("share"),
    )


def _region_rows(
    old: pl.DataFrame, new: pl.DataFrame, villages: pl.DataFrame, level: str
) -> pl.DataFrame:
    """Crosswalk rows for one level above village, from where each region's villages went.

    Unmatched villages are kept as a group with a null successor, so their fraction shows up as
    an explicit row instead of shares silently summing to less than one.
    """
    depth = _DEPTH[level]
    flows = (
        villages.group_by(
            _ancestor_code(pl.col("from_code"), depth).alias("from_code"),
            _ancestor_code(pl.col("to_code"), depth).alias("to_code"),
        )
        .len()
        .with_columns((pl.col("len") / pl.col("len").sum().over("from_code")).alias("share"))
        .drop("len")
    )
    regions = old.filter(pl.col("level") == level).select(pl.col("code").alias("from_code"))
    with_villages = regions.join(flows, on="from_code", how="inner")
    # A region with no villages in the file has no evidence either way: trust its code.
    new_codes = new.filter(pl.col("level") == level).select(
        pl.col("code").alias("to_code"), pl.lit(1.0).alias("share")
    )
    without_villages = (
        regions.join(flows, on="from_code", how="anti")
        .join(new_codes, left_on="from_code", right_on="to_code", how="left", coalesce=False)
        .select("from_code", "to_code", "share")
    )
    return pl.concat([with_villages, without_villages]).with_columns(pl.lit(level).alias("level"))


def _with_kind(rows: pl.DataFrame) -> pl.DataFrame:
    """Label each row same/recoded/split/ended and null the share of fully ended regions."""
    successors = pl.col("to_code").count().over("from_code")
    kind = (
        pl.when(pl.col("to_code").is_null())
        .then(pl.lit("ended"))
        .when(successors > 1)
        .then(pl.lit("split"))
        .when(pl.col("to_code") == pl.col("from_code"))
        .then(pl.lit("same"))
        .otherwise(pl.lit("recoded"))
    )
    # An ended row next to real successors carries the fraction of villages that was lost; a
    # region with no successor at all gets a null share, as "fraction that went nowhere" of an
    # entirely vanished region is not a useful allocation weight.
    share = pl.when(successors > 0).then(pl.col("share"))
    return rows.with_columns(kind.alias("kind"), share.alias("share"))


def match_vintages(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Crosswalk from every code of `old` to its successor code(s) in `new`.

    Columns: from_code (str), to_code (str), level (str), share (float64: fraction of the old
    region's villages that went to to_code; 1.0 for a village), kind (str).

    kind is `same` (one successor, same code), `recoded` (one successor, other code), `split`
    (several successors) or `ended` (to_code null). A region that lost only some of its villages
    gets, next to its successors, an `ended` row whose share is the lost fraction, so shares of
    every region with a successor sum to 1; a region with no successor at all has share null.
    """
    villages = match_villages(old, new)
    parts = [_village_rows(villages)] + [
        _region_rows(old, new, villages, level) for level in LEVELS[:-1]
    ]
    rows = pl.concat([part.select("from_code", "to_code", "level", "share") for part in parts])
    return (
        _with_kind(rows)
        .cast(_CROSSWALK_SCHEMA)
        .select(_CROSSWALK_SCHEMA.keys())
        .sort("from_code", "to_code", nulls_last=True)
    )
