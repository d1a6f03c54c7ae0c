"""Kab/kota poverty lines: published for 2025, derived (and marked synthetic) for other years.

BPS publishes one 2025 line per kab/kota (var 624). Earlier years are not in the shared data,
so a kab/kota's line in year t is its 2025 line scaled by its province's March line in t over
March 2025 (the national ratio where the province has no line that year, e.g. the new Papua
provinces before 2024). One line per kab/kota is given for both urban and rural, as the
``poverty_line`` contract says for lines published that way.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from api.demo import sources
from api.demo.frame import RegionFrame
from api.demo.published import SUSPECT_POVERTY_LINES

LINE_YEAR = 2025
NATIONAL = "00"


def province_march(folder: Path = sources.PUBLISHED_DIR) -> pl.DataFrame:
    """(prov_code, year, p0 as a fraction, line) of every March round, national as ``00``."""
    raw = pl.read_csv(sources.published(sources.PROVINCE_POVERTY, folder), infer_schema=False)
    return raw.filter(pl.col("semester") == "Maret").select(
        pl.col("kode_kemendagri").alias("prov_code"),
        pl.col("tahun").cast(pl.Int64).alias("year"),
        (pl.col("persentase_penduduk_miskin_p0").cast(pl.Float64, strict=False) / 100).alias("p0"),
        pl.col("garis_kemiskinan_rp_kapita_bulan").cast(pl.Float64, strict=False).alias("line"),
    )


def province_ratio(
    series: pl.DataFrame, column: str, base_year: int, years: list[int]
) -> pl.DataFrame:
    """(prov_code, year, ratio): the province's value in each year over ``base_year``,
    falling back to the national ratio where the province has no value."""
    grid = (
        series.select("prov_code")
        .unique()
        .join(pl.DataFrame({"year": years}, schema={"year": pl.Int64}), how="cross")
    )
    base = series.filter(pl.col("year") == base_year).select(
        "prov_code", pl.col(column).alias("base")
    )
    own = grid.join(
        series.select("prov_code", "year", column), on=["prov_code", "year"], how="left"
    )
    ratio = own.join(base, on="prov_code", how="left").with_columns(
        (pl.col(column) / pl.col("base")).alias("ratio")
    )
    national = ratio.filter(pl.col("prov_code") == NATIONAL).select(
        "year", pl.col("ratio").alias("national")
    )
    return ratio.join(national, on="year", how="left").select(
        "prov_code", "year", pl.coalesce("ratio", "national").alias("ratio")
    )


def kab_lines(
    frame: RegionFrame, years: list[int], folder: Path = sources.PUBLISHED_DIR
) -> pl.DataFrame:
    """(kab_code, kab_bps, year, poverty_line, origin, note) for every kab/kota and year."""
    published = (
        pl.read_csv(sources.published(sources.POVERTY_LINE_2025, folder), infer_schema=False)
        .filter(pl.col("level") == "kabkota")
        .select(
            pl.col("kode_kemendagri").alias("kab_code"),
            pl.col("garis_kemiskinan_rp_kapita_bulan").cast(pl.Float64).alias("line_2025"),
        )
    )
    ratios = province_ratio(province_march(folder), "line", LINE_YEAR, years)
    kabs = frame.kabs.select(
        pl.col("code").alias("kab_code"), pl.col("bps_code").alias("kab_bps"), "prov_code"
    )
    suspect = pl.col("kab_code").replace_strict(
        SUSPECT_POVERTY_LINES, default=None, return_dtype=pl.String
    )
    return (
        kabs.join(published, on="kab_code", how="left", validate="1:1")
        .join(ratios, on="prov_code", how="left")
        .with_columns(
            pl.when(pl.col("year") == LINE_YEAR)
            .then(pl.col("line_2025"))
            # Whole rupiah, like BPS lines.
            .otherwise((pl.col("line_2025") * pl.col("ratio")).round())
            .alias("poverty_line"),
            pl.when(pl.col("year") == LINE_YEAR)
            .then(pl.lit("published"))
            .otherwise(pl.lit("synthetic"))
            .alias("origin"),
            pl.when(pl.col("year") == LINE_YEAR)
            .then(pl.concat_str(pl.lit("published; suspect: "), suspect))
            .otherwise(
                pl.format(
                    "synthetic: published 2025 line x province March line {} / 2025",
                    pl.col("year"),
                )
            )
            .alias("note"),
        )
        .select("kab_code", "kab_bps", "year", "poverty_line", "origin", "note")
        .sort("kab_code", "year")
    )


def poverty_line_file(lines: pl.DataFrame) -> pl.DataFrame:
    """The ``poverty_line`` contract file: the same line for urban (1) and rural (2)."""
    areas = pl.DataFrame({"urban": [1, 2]}, schema={"urban": pl.Int64})
    return (
        lines.join(areas, how="cross")
        .select(
            pl.col("kab_bps").alias("kab_code"),
            "urban",
            "year",
            "poverty_line",
            "origin",
            pl.coalesce("note", pl.lit(f"published: {sources.CITE_POVERTY_LINE_2025}")).alias(
                "note"
            ),
        )
        .sort("kab_code", "urban", "year")
    )
