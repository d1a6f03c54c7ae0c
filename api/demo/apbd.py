"""Synthetic APBD lines on the real nomenclature (Kepmendagri 900.1.15.5-1317/2023).

Each kab/kota budget draws ``lines_per_kab`` sub-kegiatan from the real list, weighted towards
the fields that matter for poverty (education, health, public works, housing, social affairs,
food, community empowerment) plus the generic support block, each with a real expenditure
account. Amounts scale with population; realisation is 80-99% of the allocation, empty for
the latest year's budget (not yet reported). The codes and names are real; every amount is
synthetic.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from api.demo import sources
from api.demo.frame import RegionFrame
from api.demo.rng import Draws
from api.ingest.contracts import all_contracts

# Bidang (U.BB) and their relative weight in the draw.
POVERTY_FIELDS = {
    "1.01": 3.0,
    "1.02": 3.0,
    "1.03": 2.0,
    "1.04": 2.0,
    "1.06": 4.0,
    "2.09": 1.5,
    "2.13": 1.5,
    "X.XX": 1.0,
}
COLUMNS = all_contracts()["apbd_line"].column_names
SKPD = {
    "1.01": "Dinas Pendidikan",
    "1.02": "Dinas Kesehatan",
    "1.03": "Dinas Pekerjaan Umum",
    "1.04": "Dinas Perumahan dan Kawasan Permukiman",
    "1.06": "Dinas Sosial",
    "2.09": "Dinas Ketahanan Pangan",
    "2.13": "Dinas Pemberdayaan Masyarakat dan Desa",
    "X.XX": "Sekretariat Daerah",
}


def sub_activities(folder: Path = sources.PUBLISHED_DIR) -> pl.DataFrame:
    """Sub-kegiatan rows of the nomenclature with their full codes U.BB.PP.K.KK.SSSS."""
    raw = pl.read_csv(sources.published(sources.SUB_KEGIATAN, folder), infer_schema=False)
    bidang = (
        pl.when(pl.col("urusan") == "X").then(pl.lit("XX")).otherwise(pl.col("bidang").str.zfill(2))
    )
    field = pl.concat_str(pl.col("urusan"), pl.lit("."), bidang)
    code = pl.concat_str(
        field,
        pl.lit("."),
        pl.col("program").str.zfill(2),
        pl.lit("."),
        pl.col("kegiatan"),
        pl.lit("."),
        pl.col("sub_kegiatan").str.zfill(4),
    )
    return (
        raw.filter(pl.col("sub_kegiatan").is_not_null())
        .select(field.alias("field"), code.alias("code"), pl.col("nomenklatur").alias("name"))
        .filter(pl.col("field").is_in(list(POVERTY_FIELDS)))
        .unique("code", keep="first", maintain_order=True)
        .with_row_index("index")
    )


def accounts(folder: Path = sources.PUBLISHED_DIR) -> pl.DataFrame:
    """Goods, services and capital accounts at the most detailed level (5.x.x.xx.xx.xxxx)."""
    raw = pl.read_csv(sources.published(sources.ACCOUNTS, folder), infer_schema=False)
    return (
        raw.filter(
            pl.col("sub_rincian_objek").is_not_null()
            & pl.col("kode").str.contains(r"^5\.(1\.2|2)\.")
        )
        .select(pl.col("kode").alias("code"), pl.col("uraian").alias("name"))
        .unique("code", keep="first", maintain_order=True)
        .with_row_index("index")
    )


def apbd_file(
    draws: Draws,
    frame: RegionFrame,
    years: list[int],
    lines_per_kab: int,
    folder: Path = sources.PUBLISHED_DIR,
) -> pl.DataFrame:
    subs = sub_activities(folder)
    accts = accounts(folder)
    weights = subs["field"].replace_strict(POVERTY_FIELDS, return_dtype=pl.Float64)
    # Cumulative weights turn a uniform draw into a weighted pick of a sub-kegiatan (as-of join).
    cumulative = (weights.cum_sum() / weights.sum()).to_list()
    grid = (
        frame.kabs.select("code", "name", "population")
        .join(pl.DataFrame({"fiscal_year": years}), how="cross")
        .with_columns(pl.int_ranges(1, lines_per_kab + 1).alias("line_no"))
        .explode("line_no")
    )
    key = (
        (
            pl.col("code").str.replace(".", "", literal=True).cast(pl.Int64) * 10_000
            + pl.col("fiscal_year")
        )
        * 1_000
        + pl.col("line_no")
    ).cast(pl.UInt64)
    k = pl.col("_key")
    latest = max(years)
    allocation = (
        pl.col("population") * 3000.0 * (1.0 * draws.normal(k, "apbd.amount")).exp() / 1000
    ).round() * 1000  # whole thousands of rupiah
    return (
        grid.with_columns(key.alias("_key"))
        .with_columns(
            draws.uniform(k, "apbd.sub").alias("_u_sub"),
            (draws.uniform(k, "apbd.account") * accts.height)
            .floor()
            .cast(pl.UInt32)
            .alias("acct_index"),
        )
        .sort("_u_sub")
        .join_asof(
            pl.DataFrame({"_u_sub": [0.0, *cumulative[:-1]], "sub_index": subs["index"]}),
            on="_u_sub",
            strategy="backward",
        )
        .join(subs, left_on="sub_index", right_on="index")
        .join(
            accts.rename({"code": "account_code", "name": "account_name"}),
            left_on="acct_index",
            right_on="index",
        )
        .with_columns(
            pl.col("code").alias("region_code"),
            pl.lit("murni").alias("budget_stage"),
            pl.col("field").replace_strict(SKPD, return_dtype=pl.String).alias("skpd_name"),
            pl.concat_str(pl.col("field"), pl.lit(".01")).alias("skpd_code"),
            pl.col("code_right").alias("subkegiatan_code"),
            pl.col("name_right").alias("subkegiatan_name"),
            allocation.alias("allocation"),
        )
        .with_columns(
            pl.when(pl.col("fiscal_year") == latest)
            .then(None)
            .otherwise(
                (pl.col("allocation") * (0.8 + 0.19 * draws.uniform(k, "apbd.real")) / 1000).round()
                * 1000
            )
            .alias("realisation"),
            pl.format(
                "SINTETIS: contoh APBD {} {} (kode nomenklatur asli, {})",
                pl.col("name"),
                pl.col("fiscal_year"),
                pl.lit(sources.CITE_NOMENCLATURE),
            ).alias("source_document"),
        )
        .select(COLUMNS)
        .sort("region_code", "fiscal_year", "line_no")
    )
