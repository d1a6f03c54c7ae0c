"""The P0 each kab/kota's synthetic Susenas reproduces, and where that figure comes from.

- ``published_kab``: the kab/kota's own published P0 (Jawa Tengah series 2020-2025, or the
  2021 national cross-section);
- ``published_province``: the province's March P0, for a kab/kota without its own figure;
- ``derived``: years without a published kab/kota figure: the nearest published kab/kota
  figure moved with the province's March P0 (synthetic; tests check only published bases).

Urban and rural targets split the kab/kota target so that rural poverty is
``RURAL_URBAN_RATIO`` times urban poverty (about the national ratio in March 2021, 13.10% vs
7.89%) and the population-weighted mix equals the kab/kota target.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from api.demo import sources
from api.demo.frame import RegionFrame
from api.demo.poverty_lines import province_march, province_ratio
from api.demo.published import bps_to_kemendagri

RURAL_URBAN_RATIO = 1.66
CROSS_SECTION_YEAR = 2021
MAX_STRATUM_P0 = 0.85


def p0_targets(
    frame: RegionFrame,
    years: list[int],
    folder: Path = sources.PUBLISHED_DIR,
    reference_dir: Path = sources.REFERENCE_DIR,
) -> pl.DataFrame:
    """(kab_code, year, p0 fraction, basis) for every kab/kota of the frame and year."""
    kab_2021 = pl.read_csv(sources.published(sources.KAB_2021, folder), infer_schema=False).select(
        pl.col("kode_kemendagri_2025").alias("kab_code"),
        pl.lit(CROSS_SECTION_YEAR, pl.Int64).alias("year"),
        (pl.col("p0_persen").cast(pl.Float64) / 100).alias("p0"),
    )
    jateng = (
        pl.read_csv(sources.published(sources.JATENG, folder), infer_schema=False)
        .join(bps_to_kemendagri(reference_dir), left_on="kode_wilayah", right_on="kode_bps")
        .select(
            pl.col("kode_kemendagri").alias("kab_code"),
            pl.col("tahun").cast(pl.Int64).alias("year"),
            (pl.col("persentase_penduduk_miskin").cast(pl.Float64) / 100).alias("p0"),
        )
    )
    own = pl.concat([jateng, kab_2021]).unique(["kab_code", "year"], keep="first")
    province = province_march(folder)
    all_years = sorted({*years, CROSS_SECTION_YEAR, *own["year"].unique().to_list()})
    grid = frame.kabs.select(pl.col("code").alias("kab_code"), "prov_code").join(
        pl.DataFrame({"year": years}, schema={"year": pl.Int64}), how="cross"
    )
    published = grid.join(own, on=["kab_code", "year"], how="left")
    # The nearest year with the kab/kota's own figure anchors the derived ones.
    anchors = (
        grid.join(own.rename({"year": "anchor_year", "p0": "anchor_p0"}), on="kab_code")
        .with_columns((pl.col("year") - pl.col("anchor_year")).abs().alias("distance"))
        .sort("kab_code", "year", "distance", "anchor_year")
        .unique(["kab_code", "year"], keep="first")
        .select("kab_code", "year", "anchor_year", "anchor_p0")
    )
    ratios = province_ratio(province, "p0", CROSS_SECTION_YEAR, all_years)
    # The province's P0 ratio between the target year and the anchor year.
    prov_of = frame.kabs.select(pl.col("code").alias("kab_code"), "prov_code")
    moved = (
        anchors.join(prov_of, on="kab_code")
        .join(ratios, on=["prov_code", "year"], how="left")
        .join(
            ratios.rename({"year": "anchor_year", "ratio": "anchor_ratio"}),
            on=["prov_code", "anchor_year"],
            how="left",
        )
        .select(
            "kab_code",
            "year",
            (pl.col("anchor_p0") * pl.col("ratio") / pl.col("anchor_ratio")).alias("derived"),
        )
    )
    prov_p0 = province.select("prov_code", "year", pl.col("p0").alias("province_p0"))
    return (
        published.join(moved, on=["kab_code", "year"], how="left")
        .join(prov_p0, on=["prov_code", "year"], how="left")
        .select(
            "kab_code",
            "year",
            pl.coalesce("p0", "derived", "province_p0").alias("p0"),
            pl.when(pl.col("p0").is_not_null())
            .then(pl.lit("published_kab"))
            .when(pl.col("derived").is_not_null())
            .then(pl.lit("derived"))
            .otherwise(pl.lit("published_province"))
            .alias("basis"),
        )
        .sort("kab_code", "year")
    )


def stratum_targets(targets: pl.DataFrame, urban_share: pl.DataFrame) -> pl.DataFrame:
    """(kab_code, year, urban 1/2, p0) such that the urban/rural mix gives the kab target.

    ``urban_share`` holds (kab_code, year, urban_share) as population shares.
    """
    joined = targets.join(urban_share, on=["kab_code", "year"])
    share = pl.col("urban_share")
    urban_p0 = pl.col("p0") / (share + RURAL_URBAN_RATIO * (1 - share))
    rural_p0 = (urban_p0 * RURAL_URBAN_RATIO).clip(upper_bound=MAX_STRATUM_P0)
    # Where rural poverty hits the cap, urban poverty takes the rest of the kab's poor.
    urban_p0 = pl.when(share > 0).then((pl.col("p0") - (1 - share) * rural_p0) / share)
    both = joined.with_columns(urban_p0.alias("u"), rural_p0.alias("r"))
    return pl.concat(
        [
            both.select(
                "kab_code", "year", pl.lit(1, pl.Int64).alias("urban"), pl.col("u").alias("p0")
            ),
            both.select(
                "kab_code", "year", pl.lit(2, pl.Int64).alias("urban"), pl.col("r").alias("p0")
            ),
        ]
    ).filter(pl.col("p0").is_not_null())
