"""The sampling frame: every real region, with synthetic desa sizes, urban status and codes.

Population is published for kab/kota only (2025, Dukcapil). Below that, each desa gets a
synthetic share of its kab/kota's population; kelurahan are urban, desa mostly rural (kota
mostly urban). Each desa also gets a welfare effect that Podes facts and DTKS deprivations
both follow, so a desa without piped water has more deprived registry households.

BPS desa codes are not published in the reference data, so Podes desa codes are built as the
real BPS kab/kota code, the real BPS kecamatan digits where BPS's 2020 bridging gives them
(else 9xx, a block BPS does not use), and a running desa number; the loader checks the kab/kota
part, as it does for any BPS desa file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from api.demo.rng import Draws
from api.demo.sources import REFERENCE_DIR
from api.regions.reference import build_regions

MEAN_HOUSEHOLD_SIZE = 3.6
URBAN_DESA_SHARE_KOTA = 0.85
URBAN_DESA_SHARE_KABUPATEN = 0.12


@dataclass(frozen=True)
class RegionFrame:
    provinces: pl.DataFrame  # code, bps_code, name, population
    kabs: pl.DataFrame  # code, bps_code, prov_code, name, kota, population, urban_share
    desa: pl.DataFrame  # one row per desa/kelurahan, see build_frame

    def restrict(self, province_codes: list[str] | None) -> RegionFrame:
        """The frame of some provinces only (Kemendagri codes); None keeps everything."""
        if province_codes is None:
            return self
        return RegionFrame(
            provinces=self.provinces.filter(pl.col("code").is_in(province_codes)),
            kabs=self.kabs.filter(pl.col("prov_code").is_in(province_codes)),
            desa=self.desa.filter(pl.col("prov_code").is_in(province_codes)),
        )


def code_key(code: pl.Expr) -> pl.Expr:
    """A Kemendagri code as a stable integer (its digits), the root of every synthetic key."""
    return code.str.replace_all(".", "", literal=True).cast(pl.UInt64)


def build_frame(draws: Draws, reference_dir: Path = REFERENCE_DIR) -> RegionFrame:
    regions = build_regions(reference_dir)
    provinces = regions.filter(pl.col("level") == "province").select(
        "code", "bps_code", "name", "population"
    )
    kabs = (
        regions.filter(pl.col("level") == "regency")
        .select(
            "code",
            "bps_code",
            pl.col("parent_code").alias("prov_code"),
            "name",
            (pl.col("kind") == "kota").alias("kota"),
            "population",
        )
        .join(
            provinces.select(
                pl.col("code").alias("prov_code"), pl.col("bps_code").alias("prov_bps")
            ),
            on="prov_code",
        )
    )
    districts = regions.filter(pl.col("level") == "district").select(
        pl.col("code").alias("kec_code"),
        pl.col("bps_code").alias("kec_bps_code"),
        pl.col("name").alias("kec_name"),
    )
    villages = regions.filter(pl.col("level") == "village").select(
        "code",
        "name",
        pl.col("parent_code").alias("kec_code"),
        # Some desa codes (e.g. in Papua) mark neither kind: they count as desa.
        (pl.col("kind") == "kelurahan").fill_null(value=False).alias("kelurahan"),
    )
    desa = _desa(draws, villages, districts, kabs)
    urban_share = desa.group_by("kab_code").agg(
        (pl.col("population").filter(pl.col("urban")).sum() / pl.col("population").sum()).alias(
            "urban_share"
        )
    )
    kabs = kabs.join(urban_share, left_on="code", right_on="kab_code", how="left").sort("code")
    return RegionFrame(provinces=provinces.sort("code"), kabs=kabs, desa=desa)


def _desa(
    draws: Draws, villages: pl.DataFrame, districts: pl.DataFrame, kabs: pl.DataFrame
) -> pl.DataFrame:
    key = code_key(pl.col("code"))
    frame = (
        villages.with_columns(
            pl.col("code").str.slice(0, 5).alias("kab_code"),
            pl.col("code").str.slice(0, 2).alias("prov_code"),
            key.alias("key"),
        )
        .join(
            kabs.select(
                pl.col("code").alias("kab_code"),
                "kota",
                pl.col("bps_code").alias("kab_bps"),
                pl.col("name").alias("kab_name"),
            ),
            on="kab_code",
        )
        .join(districts, on="kec_code", how="left")
        .sort("code")
    )
    urban = pl.col("kelurahan") | draws.bernoulli(
        pl.col("key"),
        "desa.urban",
        pl.when(pl.col("kota")).then(URBAN_DESA_SHARE_KOTA).otherwise(URBAN_DESA_SHARE_KABUPATEN),
    )
    # Desa sizes are skewed; towns are larger than villages.
    size = (0.6 * draws.normal(pl.col("key"), "desa.size")).exp() * pl.when(urban).then(
        2.5
    ).otherwise(1.0)
    frame = frame.with_columns(urban.alias("urban"), size.alias("size"))
    population = frame.join(
        kabs.select(pl.col("code").alias("kab_code"), pl.col("population").alias("kab_pop")),
        on="kab_code",
    ).with_columns(_apportion(pl.col("kab_pop"), pl.col("size"), "kab_code").alias("population"))
    return population.with_columns(
        (pl.col("population") / MEAN_HOUSEHOLD_SIZE)
        .round()
        .cast(pl.Int64)
        .clip(lower_bound=1)
        .alias("households"),
        draws.normal(pl.col("key"), "desa.effect").alias("effect"),
        _bps_desa_code().alias("bps_code"),
    ).select(
        "code",
        "key",
        "name",
        "kec_code",
        "kec_name",
        "kab_code",
        "prov_code",
        "kab_bps",
        "kab_name",
        "kelurahan",
        "urban",
        "population",
        "households",
        "effect",
        "bps_code",
    )


def _apportion(total: pl.Expr, weight: pl.Expr, group: str) -> pl.Expr:
    """Integer shares of ``total`` proportional to ``weight`` within ``group`` that add up
    exactly (largest remainder), so desa sum to their kab/kota's published population."""
    exact = total * weight / weight.sum().over(group)
    floor = exact.floor()
    short = (total - floor.sum().over(group)).cast(pl.Int64)
    rank = (exact - floor).rank("ordinal", descending=True).over(group)
    return (floor + (rank <= short).cast(pl.Float64)).cast(pl.Int64)


def _bps_desa_code() -> pl.Expr:
    kec_digits = pl.col("kec_bps_code").str.slice(4, 3)
    unmatched = pl.col("kec_bps_code").is_null()
    # Kecamatan without a BPS code get 900 + their order among such kecamatan in the kab.
    spare = pl.col("kec_code").rank("dense").over(["kab_code", unmatched]).cast(pl.Int64) + 899
    kec_part = pl.when(unmatched).then(spare.cast(pl.String)).otherwise(kec_digits)
    desa_no = pl.col("code").rank("ordinal").over("kec_code").cast(pl.Int64)
    return pl.concat_str(pl.col("kab_bps"), kec_part, desa_no.cast(pl.String).str.zfill(3))
