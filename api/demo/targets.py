"""Plan targets: the real RPJMN 2020-2024 national targets and synthetic RPJMD targets.

RPJMN 2020-2024 (Perpres 18/2020) aimed for 2024 at a poverty rate of 6.0-7.0%, open
unemployment of 3.6-4.3% and an HDI of 75.54 (docs/DOMAIN.md). Every kab/kota also gets a
synthetic RPJMD 2021-2026 poverty target: its published 2021 P0 less a reduction that grows
with the level, marked as synthetic in ``origin`` and in the document reference.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from api.demo import sources
from api.demo.frame import RegionFrame
from api.ingest.contracts import all_contracts

COLUMNS = all_contracts()["targets"].column_names
RPJMN = "Perpres 18/2020 tentang RPJMN 2020-2024, Lampiran I (sasaran makro 2024)"
SYNTHETIC_RPJMD = "SINTETIS: contoh target RPJMD untuk demo, bukan dokumen daerah yang nyata"


def targets_file(frame: RegionFrame, folder: Path = sources.PUBLISHED_DIR) -> pl.DataFrame:
    national = pl.DataFrame(
        {
            "indicator_code": ["p0", "tpt", "ipm"],
            "target_value": [6.5, 3.95, 75.54],
            "lower_bound": [6.0, 3.6, None],
            "upper_bound": [7.0, 4.3, None],
        }
    ).with_columns(
        pl.lit("00").alias("region_code"),
        pl.lit("RPJMN").alias("plan"),
        pl.lit("2020-2024").alias("plan_period"),
        pl.lit(2024).alias("target_year"),
        pl.lit(None, pl.Int64).alias("baseline_year"),
        pl.lit(None, pl.Float64).alias("baseline_value"),
        pl.lit(RPJMN).alias("document_reference"),
        pl.lit("published").alias("origin"),
    )
    baseline = pl.read_csv(sources.published(sources.KAB_2021, folder), infer_schema=False).select(
        pl.col("kode_kemendagri_2025").alias("region_code"),
        pl.col("p0_persen").cast(pl.Float64).alias("baseline_value"),
    )
    regional = (
        frame.kabs.select(pl.col("code").alias("region_code"))
        .join(baseline, on="region_code")
        .with_columns(
            pl.lit("p0").alias("indicator_code"),
            pl.lit("RPJMD").alias("plan"),
            pl.lit("2021-2026").alias("plan_period"),
            pl.lit(2026).alias("target_year"),
            # Poorer regions promise larger cuts (0.5 point plus a sixth of the rate).
            (pl.col("baseline_value") - 0.5 - pl.col("baseline_value") / 6)
            .clip(lower_bound=0.5)
            .round(2)
            .alias("target_value"),
            pl.lit(None, pl.Float64).alias("lower_bound"),
            pl.lit(None, pl.Float64).alias("upper_bound"),
            pl.lit(2021).alias("baseline_year"),
            pl.lit(SYNTHETIC_RPJMD).alias("document_reference"),
            pl.lit("synthetic").alias("origin"),
        )
    )
    return pl.concat([national.select(COLUMNS), regional.select(COLUMNS)], how="vertical_relaxed")
