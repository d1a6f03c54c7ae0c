"""The load pipeline: read in batches → map → validate → COPY → warehouse checks → activate.

Everything happens in one transaction: any error rolls it back, so the warehouse stays exactly
as it was and the previous release stays active; a killed process leaves nothing behind
(Postgres aborts the transaction). Loads of one dataset are serialised by an advisory lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import psycopg
from sqlalchemy import Connection, Engine, func, insert, select, update

from api.db.copy import copy_frame
from api.db.models import DatasetRelease, Region
from api.ingest import readers
from api.ingest.contracts import Contract, all_contracts
from api.ingest.readers import ROW_COLUMN, FileFormat
from api.ingest.report import Example, IngestError, Report, ViolationCollector
from api.ingest.tables import DATASET_TABLES
from api.ingest.validate import (
    Mapping,
    RegionCheck,
    duplicate_keys,
    map_header,
    missing_references,
    validate_batch,
)
from api.regions.codes import CodeSystem
from api.regions.levels import Level

_log = logging.getLogger(__name__)

Progress = Callable[[int, int | None, str], None]  # rows done, rows expected, phase


@dataclass(frozen=True)
class LoadRequest:
    contract: Contract
    path: Path
    label: str
    loaded_by: str
    file_name: str | None = None  # as uploaded; defaults to the path's name


@dataclass(frozen=True)
class LoadResult:
    report: Report
    release_id: int | None


def _no_progress(rows: int, total: int | None, phase: str) -> None:
    del rows, total, phase


def load_file(
    engine: Engine, request: LoadRequest, progress: Progress = _no_progress
) -> LoadResult:
    """Load a file as a new active release, or return the report of why it cannot be."""
    contract, path = request.contract, request.path
    file_name = request.file_name or path.name
    fmt = readers.sniff(path)
    digest = readers.checksum(path)
    mapping = map_header(contract, readers.header(path, fmt))
    collector = ViolationCollector()
    _header_violations(mapping, collector)
    if collector:
        return LoadResult(_report(contract, file_name, 0, collector, mapping), None)
    with engine.connect() as conn, conn.begin():
        _lock(conn, contract)
        _refuse_identical(conn, contract, digest)
        release_id = _new_release(conn, request, file_name, fmt, digest, path.stat().st_size)
        rows = _copy_batches(conn, request, fmt, mapping, release_id, collector, progress)
        if collector:
            conn.rollback()
            return LoadResult(_report(contract, file_name, rows, collector, mapping), None)
        if rows == 0:
            raise IngestError("empty_file", f"{file_name} has a header but no rows.")
        progress(rows, rows, "activating")
        conn.execute(
            update(DatasetRelease).where(DatasetRelease.id == release_id).values(row_count=rows)
        )
        _activate(conn, contract, release_id)
    return LoadResult(_report(contract, file_name, rows, collector, mapping), release_id)


def _header_violations(mapping: Mapping, collector: ViolationCollector) -> None:
    header_row = [Example(row=1, value=None)]  # the header is row 1
    for name in mapping.missing:
        collector.add(
            "missing_column", name, f"required column {name} is not in the file", 1, header_row
        )
    for name in mapping.duplicated:
        collector.add(
            "duplicate_column",
            name,
            f"column {name} maps onto a column that is already in the file",
            1,
            header_row,
        )


def _report(
    contract: Contract, file_name: str, rows: int, collector: ViolationCollector, mapping: Mapping
) -> Report:
    warnings = [f"column {c} is not in the contract and was not loaded" for c in mapping.ignored]
    return Report(
        contract=contract.name,
        file_name=file_name,
        ok=not collector,
        rows_read=rows,
        errors=collector.violations,
        warnings=warnings,
    )


def _lock(conn: Connection, contract: Contract) -> None:
    locked = conn.scalar(
        select(func.pg_try_advisory_xact_lock(func.hashtext(f"ingest:{contract.name}")))
    )
    if not locked:
        raise IngestError(
            "load_in_progress",
            f"Another load of {contract.name} is running; try again when it has finished.",
            status=409,
        )


def _refuse_identical(conn: Connection, contract: Contract, digest: str) -> None:
    earlier = conn.execute(
        select(DatasetRelease.id, DatasetRelease.label).where(
            DatasetRelease.contract == contract.name, DatasetRelease.checksum == digest
        )
    ).first()
    if earlier is not None:
        raise IngestError(
            "duplicate_file",
            f"This exact file was already loaded as release {earlier.id} ('{earlier.label}') "
            f"of {contract.name}; nothing to do. Activate that release to use it again.",
            status=409,
        )


def _new_release(
    conn: Connection, request: LoadRequest, file_name: str, fmt: FileFormat, digest: str, size: int
) -> int:
    release_id = conn.scalar(
        insert(DatasetRelease)
        .values(
            contract=request.contract.name,
            contract_version=request.contract.version,
            label=request.label,
            status="loading",
            row_count=0,
            checksum=digest,
            file_name=file_name,
            file_format=fmt.value,
            file_bytes=size,
            loaded_by=request.loaded_by,
        )
        .returning(DatasetRelease.id)
    )
    assert release_id is not None
    return int(release_id)


def _copy_batches(
    conn: Connection,
    request: LoadRequest,
    fmt: FileFormat,
    mapping: Mapping,
    release_id: int,
    collector: ViolationCollector,
    progress: Progress,
) -> int:
    contract = request.contract
    regions = _region_checks(conn, contract)
    # Read before any COPY: a refused COPY leaves the transaction unusable.
    targets = [_active_keys(conn, ref.dataset, ref.dataset_columns) for ref in contract.references]
    expected = readers.count_rows(request.path, fmt)
    keys: list[pl.DataFrame] = []
    ref_columns = sorted({c for ref in contract.references for c in ref.columns})
    key_columns = list(
        dict.fromkeys(
            [*contract.primary_key, *(c for u in contract.unique for c in u), *ref_columns]
        )
    )
    rows = 0
    copying = True  # until a rule breaks or the warehouse refuses a batch
    for raw in readers.read_batches(request.path, fmt):
        batch = raw.rename(mapping.rename).select(ROW_COLUMN, *mapping.rename.values())
        typed = validate_batch(contract, batch, regions, collector)
        keys.append(typed.select(key_columns).with_columns(batch[ROW_COLUMN]))
        copying = copying and not collector
        if copying:
            copying = _copy(conn, contract, typed, release_id)
        rows += batch.height
        progress(rows, expected, "validating and copying")
    all_keys = pl.concat(keys) if keys else pl.DataFrame()
    if rows:
        progress(rows, expected, "checking keys and references")
        duplicate_keys(all_keys, contract.primary_key, collector)
        for unique in contract.unique:
            duplicate_keys(all_keys, unique, collector)
        for ref, target in zip(contract.references, targets, strict=True):
            missing_references(all_keys, ref.columns, target, ref.dataset, collector)
    if not copying and not collector:
        raise IngestError("copy_failed", "The warehouse refused the rows; nothing was loaded.")
    return rows


def _copy(conn: Connection, contract: Contract, typed: pl.DataFrame, release_id: int) -> bool:
    """COPY a valid batch; False when a key repeats an earlier batch's (the transaction is
    then void; the key check after reading reports the rows)."""
    try:
        copy_frame(
            conn,
            contract.table,
            typed.with_columns(pl.lit(release_id, pl.Int64).alias("release_id")),
        )
    except psycopg.errors.UniqueViolation:
        return False
    return True


def _region_checks(conn: Connection, contract: Contract) -> dict[str, RegionCheck]:
    checks: dict[str, RegionCheck] = {}
    for col in contract.columns:
        if col.region is not None:
            checks[col.name] = _region_codes(conn, col.region.system, col.region.level)
    return checks


def _region_codes(conn: Connection, system: CodeSystem, level: Level | None) -> RegionCheck:
    code = Region.code if system is CodeSystem.kemendagri else Region.bps_code
    query = select(code).where(code.is_not(None))
    if level is not None:
        query = query.where(Region.level == level.value)
    codes = conn.scalars(query)
    allowed = pl.Series("code", list(codes), dtype=pl.String)
    if allowed.is_empty() and system is CodeSystem.bps and level is Level.village:
        # No BPS desa codes are published in the reference data: check the kab/kota part.
        regencies = conn.scalars(select(Region.bps_code).where(Region.level == "regency"))
        return RegionCheck(pl.Series("code", list(regencies), dtype=pl.String), prefix=4)
    return RegionCheck(allowed)


def _active_keys(conn: Connection, dataset: str, columns: list[str]) -> pl.DataFrame:
    table = DATASET_TABLES[dataset]
    contract = all_contracts()[dataset]
    query = (
        select(*(table.c[c] for c in columns))
        .join(DatasetRelease.__table__, DatasetRelease.id == table.c.release_id)
        .where(DatasetRelease.status == "active", DatasetRelease.contract == contract.name)
    )
    rows = conn.execute(query).all()
    return (
        pl.DataFrame([tuple(r) for r in rows], schema=columns, orient="row")
        if rows
        else pl.DataFrame({c: [] for c in columns}, schema=dict.fromkeys(columns, pl.String))
    )


def _activate(conn: Connection, contract: Contract, release_id: int) -> None:
    conn.execute(
        update(DatasetRelease)
        .where(DatasetRelease.contract == contract.name, DatasetRelease.status == "active")
        .values(status="superseded")
    )
    conn.execute(
        update(DatasetRelease)
        .where(DatasetRelease.id == release_id)
        .values(status="active", activated_at=func.now())
    )


def activate_release(engine: Engine, contract: Contract, release_id: int) -> None:
    """Make an earlier (or the latest) release the active one: rollback and roll-forward."""
    with engine.connect() as conn, conn.begin():
        _lock(conn, contract)
        found = conn.scalar(
            select(DatasetRelease.id).where(
                DatasetRelease.id == release_id, DatasetRelease.contract == contract.name
            )
        )
        if found is None:
            raise IngestError(
                "release_not_found",
                f"{contract.name} has no release {release_id}.",
                status=404,
            )
        _activate(conn, contract, release_id)
