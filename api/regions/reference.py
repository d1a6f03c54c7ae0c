"""Building the region tables from the reference files in ``data/reference``.

Pure Polars functions turn the files into frames shaped like the tables; :func:`load` writes
them with COPY in one transaction. See ``data/reference/SOURCES.md`` for where each file
comes from.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, delete, insert, select, text

from api.db.copy import copy_frame
from api.db.models import ReferenceLoad
from api.regions.codes import NATIONAL_CODE
from api.regions.history import match_vintages, read_vintage
from api.regions.levels import DEPTH, Level
from api.regions.names import fold, normalize_name

_log = logging.getLogger(__name__)

LOAD_NAME = "regions"
LOADER_VERSION = "1"  # bump when the derivation changes, to reload on the next start
CURRENT_VINTAGE = 2025
PAPUA_PROVINCES = frozenset({"91", "92", "93", "94", "95", "96"})


@dataclass(frozen=True)
class VintageSource:
    vintage: int
    file: str
    valid_from: date
    valid_to: date | None
    source: str


VINTAGES: tuple[VintageSource, ...] = (
    VintageSource(
        2016,
        "archive_wilayah_2016.csv.gz",
        date(2016, 1, 1),
        date(2017, 12, 31),
        "cahyadsn/wilayah db/archive/wilayah_2016.sql",
    ),
    VintageSource(
        2018,
        "archive_wilayah_2018.csv.gz",
        date(2018, 1, 1),
        date(2019, 12, 31),
        "cahyadsn/wilayah db/archive/wilayah_2018.sql",
    ),
    VintageSource(
        2020,
        "archive_wilayah_2020.csv.gz",
        date(2020, 1, 1),
        date(2021, 12, 31),
        "cahyadsn/wilayah db/archive/wilayah_2020.sql",
    ),
    VintageSource(
        2022,
        "archive_wilayah_2022.csv.gz",
        date(2022, 1, 1),
        date(2022, 12, 31),
        "cahyadsn/wilayah db/archive/wilayah_2022.sql",
    ),
    VintageSource(
        2023,
        "archive_wilayah_2023.csv.gz",
        date(2023, 1, 1),
        date(2024, 12, 31),
        "Kepmendagri 100.1.1-6117/2022 via cahyadsn/wilayah db/archive/wilayah_2023.sql",
    ),
    VintageSource(
        CURRENT_VINTAGE,
        "wilayah_kepmendagri_2025.csv",
        date(2025, 1, 1),
        None,
        "Kepmendagri 300.2.2-2138/2025 via cahyadsn/wilayah db/wilayah.sql",
    ),
)


def _files(reference_dir: Path) -> list[Path]:
    regions = reference_dir / "regions"
    crosswalk = reference_dir / "crosswalk"
    return [
        *(regions / v.file for v in VINTAGES),
        regions / "wilayah_penduduk_2025.csv",
        regions / "wilayah_luas_2025.csv",
        crosswalk / "provinsi_bps_kemendagri_2025.csv",
        crosswalk / "kabkota_bps_kemendagri_2025.csv",
        crosswalk / "bridging_2020_kecamatan.csv",
    ]


def checksum(reference_dir: Path) -> str:
    digest = hashlib.sha256(LOADER_VERSION.encode())
    for path in _files(reference_dir):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _read_csv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def _kind() -> pl.Expr:
    level = pl.col("level")
    return (
        pl.when(level == Level.regency)
        .then(
            pl.when(pl.col("name").str.starts_with("Kota"))
            .then(pl.lit("kota"))
            .otherwise(pl.lit("kabupaten"))
        )
        .when(level == Level.district)
        .then(
            pl.when(pl.col("code").str.slice(0, 2).is_in(list(PAPUA_PROVINCES)))
            .then(pl.lit("distrik"))
            .otherwise(pl.lit("kecamatan"))
        )
        .when(level == Level.village)
        # Kemendagri village numbers start with 1 for kelurahan and 2 for desa.
        .then(
            pl.col("code")
            .str.slice(9, 1)
            .replace_strict({"1": "kelurahan", "2": "desa"}, default=None, return_dtype=pl.String)
        )
        .when(level == Level.province)
        .then(pl.lit("provinsi"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _search_name() -> pl.Expr:
    # Regency names carry "Kabupaten"/"Kota", which a search ignores; a village may really be
    # called "Kota Baru", so lower levels are only folded.
    return (
        pl.when(pl.col("level") == Level.regency)
        .then(pl.col("name").map_elements(normalize_name, return_dtype=pl.String))
        .otherwise(pl.col("name").map_elements(fold, return_dtype=pl.String))
    )


def _descendant_counts(regions: pl.DataFrame) -> pl.DataFrame:
    """Per region: direct children and descendants at each lower level."""
    rows = regions.select("code", "level", "parent_code")
    prefixes = rows.with_columns(
        pl.lit(NATIONAL_CODE).alias("a0"),
        pl.col("code").str.slice(0, 2).alias("a1"),
        pl.col("code").str.slice(0, 5).alias("a2"),
        pl.col("code").str.slice(0, 8).alias("a3"),
    )
    counts = []
    for depth in range(4):
        anchor = f"a{depth}"
        below = prefixes.filter(pl.col("code").str.len_chars() > pl.col(anchor).str.len_chars())
        if depth == 0:
            below = prefixes.filter(pl.col("code") != NATIONAL_CODE)
        counts.append(
            below.group_by(anchor)
            .agg(
                (pl.col("level") == Level.regency).sum().alias("regency_count"),
                (pl.col("level") == Level.district).sum().alias("district_count"),
                (pl.col("level") == Level.village).sum().alias("village_count"),
            )
            .rename({anchor: "code"})
        )
    children = (
        rows.drop_nulls("parent_code")
        .group_by("parent_code")
        .len("children_count")
        .rename({"parent_code": "code"})
    )
    return pl.concat(counts).unique("code").join(children, on="code", how="full", coalesce=True)


def _bps_codes(reference_dir: Path, regions: pl.DataFrame) -> pl.DataFrame:
    """BPS codes: provinces and kab/kota from the 2025 crosswalk; kecamatan from BPS's 2020
    bridging where the code and name still hold and the kab part matches the 2025 BPS code."""
    crosswalk = reference_dir / "crosswalk"
    upper = pl.concat(
        [
            _read_csv(crosswalk / "provinsi_bps_kemendagri_2025.csv"),
            _read_csv(crosswalk / "kabkota_bps_kemendagri_2025.csv"),
        ],
        how="diagonal",
    ).select(pl.col("kode_kemendagri").alias("code"), pl.col("kode_bps").alias("bps_code"))
    bridging = _read_csv(crosswalk / "bridging_2020_kecamatan.csv").select(
        pl.col("kode_dagri").str.replace(r"^(\d{2})(\d{2})(\d{2})$", "$1.$2.$3").alias("code"),
        pl.col("kode_bps").alias("bps_code"),
        pl.col("nama_dagri").map_elements(fold, return_dtype=pl.String).alias("bridge_name"),
    )
    districts = (
        regions.filter(pl.col("level") == Level.district)
        .select("code", "parent_code", pl.col("name").map_elements(fold, return_dtype=pl.String))
        .join(bridging, on="code")
        .join(upper.rename({"code": "parent_code", "bps_code": "parent_bps"}), on="parent_code")
        .filter(
            pl.col("name") == pl.col("bridge_name"),
            pl.col("bps_code").str.slice(0, 4) == pl.col("parent_bps"),
        )
        .select("code", "bps_code")
    )
    national = pl.DataFrame({"code": [NATIONAL_CODE], "bps_code": [NATIONAL_CODE]})
    return pl.concat([national, upper, districts]).unique("bps_code", keep="none")


def build_regions(reference_dir: Path) -> pl.DataFrame:
    """The ``region`` table: the 2025 list with BPS codes, population, area and counts."""
    folder = reference_dir / "regions"
    listed = read_vintage(folder / "wilayah_kepmendagri_2025.csv").with_columns(
        pl.when(pl.col("parent_code").is_null())
        .then(pl.lit(NATIONAL_CODE))
        .otherwise(pl.col("parent_code"))
        .alias("parent_code")
    )
    national = pl.DataFrame(
        {
            "code": [NATIONAL_CODE],
            "name": ["Indonesia"],
            "level": [Level.national.value],
            "parent_code": [None],
        },
        schema=listed.schema,
    )
    regions = pl.concat([national, listed])
    population = _read_csv(folder / "wilayah_penduduk_2025.csv").select(
        pl.col("kode").alias("code"),
        pl.col("total").cast(pl.Int64).alias("population"),
        pl.col("laki_laki").cast(pl.Int64).alias("population_male"),
        pl.col("perempuan").cast(pl.Int64).alias("population_female"),
    )
    area = _read_csv(folder / "wilayah_luas_2025.csv").select(
        pl.col("kode").alias("code"), pl.col("luas_km2").cast(pl.Float64).alias("area_km2")
    )
    depth = pl.col("level").replace_strict(
        {lvl.value: d for lvl, d in DEPTH.items()}, return_dtype=pl.Int16
    )
    return (
        regions.join(_bps_codes(reference_dir, regions), on="code", how="left")
        .join(population, on="code", how="left")
        .join(area, on="code", how="left")
        .join(_descendant_counts(regions), on="code", how="left")
        .with_columns(
            depth.alias("depth"),
            _kind().alias("kind"),
            _search_name().alias("name_search"),
            pl.col("children_count", "regency_count", "district_count", "village_count")
            .fill_null(0)
            .cast(pl.Int32),
        )
        .sort("depth", "code")
        .select(
            "code",
            "bps_code",
            "name",
            "level",
            "depth",
            "kind",
            "parent_code",
            "population",
            "population_male",
            "population_female",
            "area_km2",
            "children_count",
            "regency_count",
            "district_count",
            "village_count",
            "name_search",
        )
    )


@dataclass(frozen=True)
class HistoryFrames:
    vintages: pl.DataFrame
    codes: pl.DataFrame
    changes: pl.DataFrame


def _vintage_meta(source: VintageSource, frame: pl.DataFrame) -> dict[str, object]:
    counts = frame.group_by("level").len()
    count = dict(zip(counts["level"].to_list(), counts["len"].to_list(), strict=True))
    return {
        "vintage": source.vintage,
        "valid_from": source.valid_from,
        "valid_to": source.valid_to,
        "source": source.source,
        "province_count": count.get(Level.province.value, 0),
        "regency_count": count.get(Level.regency.value, 0),
        "district_count": count.get(Level.district.value, 0),
        "village_count": count.get(Level.village.value, 0),
    }


def _pairs() -> Iterator[tuple[int, int]]:
    """Each edition to the next one, and each older edition straight to the current one."""
    years = [v.vintage for v in VINTAGES]
    yield from itertools.pairwise(years)
    yield from ((y, CURRENT_VINTAGE) for y in years[:-2])


def build_history(reference_dir: Path) -> HistoryFrames:
    """Every edition's codes and the crosswalks between editions."""
    folder = reference_dir / "regions"
    frames = {v.vintage: read_vintage(folder / v.file) for v in VINTAGES}
    vintages = pl.DataFrame([_vintage_meta(v, frames[v.vintage]) for v in VINTAGES])
    codes = pl.concat(
        [
            f.with_columns(pl.lit(year, dtype=pl.Int32).alias("vintage"))
            for year, f in frames.items()
        ]
    ).select("vintage", "code", "name", "level", "parent_code")
    changes = pl.concat(
        [
            match_vintages(frames[old], frames[new]).with_columns(
                pl.lit(old, dtype=pl.Int32).alias("from_vintage"),
                pl.lit(new, dtype=pl.Int32).alias("to_vintage"),
            )
            for old, new in _pairs()
        ]
    ).select("from_vintage", "from_code", "to_vintage", "to_code", "level", "share", "kind")
    return HistoryFrames(vintages=vintages, codes=codes, changes=changes)


def is_loaded(engine: Engine, reference_dir: Path) -> bool:
    with engine.connect() as conn:
        stored = conn.scalar(select(ReferenceLoad.checksum).where(ReferenceLoad.name == LOAD_NAME))
    return stored == checksum(reference_dir)


def load(engine: Engine, reference_dir: Path, progress: Callable[[str], None] | None = None) -> int:
    """Replace the region tables by the reference files, all in one transaction."""
    say = progress or (lambda message: _log.info("%s", message))
    started = time.perf_counter()
    say("reading the 2025 region list, population, area and BPS codes")
    regions = build_regions(reference_dir)
    say("deriving code history across the 2016-2025 editions")
    history = build_history(reference_dir)
    say("writing to the warehouse")
    with engine.begin() as conn:
        conn.execute(text("LOCK TABLE region, code_vintage IN EXCLUSIVE MODE"))
        conn.execute(text("TRUNCATE region_code_change, region_code"))
        conn.execute(text("DELETE FROM code_vintage"))
        _replace_regions(conn, regions)
        copy_frame(conn, "code_vintage", history.vintages)
        copy_frame(conn, "region_code", history.codes)
        copy_frame(conn, "region_code_change", history.changes)
        conn.execute(delete(ReferenceLoad).where(ReferenceLoad.name == LOAD_NAME))
        rows = regions.height + history.codes.height + history.changes.height
        conn.execute(
            insert(ReferenceLoad).values(
                name=LOAD_NAME, checksum=checksum(reference_dir), row_count=rows
            )
        )
    # Fresh tables have no planner statistics; without them a broad name search plans badly.
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("ANALYZE region, region_code, region_code_change")
        )
    say(f"loaded {rows:,} reference rows in {time.perf_counter() - started:.1f} s")
    return rows


def _replace_regions(conn: Connection, regions: pl.DataFrame) -> None:
    """Upsert through a staging table: keys that point at a region keep working."""
    columns = regions.columns
    conn.execute(text("CREATE TEMP TABLE region_stage (LIKE region) ON COMMIT DROP"))
    conn.execute(text("ALTER TABLE region_stage DROP COLUMN search_vector"))
    copy_frame(conn, "region_stage", regions)
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "code")
    # Column names come from the frame built above, never from input.
    conn.execute(
        text(
            f"INSERT INTO region ({names}) SELECT {names} FROM region_stage ORDER BY depth, code "  # noqa: S608
            f"ON CONFLICT (code) DO UPDATE SET {updates}"
        )
    )
    conn.execute(
        text(
            "DELETE FROM region r WHERE NOT EXISTS (SELECT 1 FROM region_stage s "
            "WHERE s.code = r.code)"
        )
    )
