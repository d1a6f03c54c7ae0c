"""The load pipeline: read in batches → map → validate → COPY → warehouse checks → activate.

Everything happens in one transaction: any error rolls it back, so the warehouse stays exactly
as it was and the previous release stays active; a killed process leaves nothing behind
(Postgres aborts the transaction). Loads of one dataset are serialised by an advisory lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, func, insert, select, update

from api.db.copy import CsvRecords
from api.db.models import CodeVintage, DatasetRelease, Region, RegionCode
from api.ingest import readers
from api.ingest.contracts import Contract, all_contracts
from api.ingest.forwarding import forwardable
from api.ingest.parts import PartedCopy, RecordsNotAsReadError, drop_left_parts, lock_dataset
from api.ingest.readers import ROW_COLUMN, FileFormat
from api.ingest.report import Example, IngestError, Report, ViolationCollector
from api.ingest.tables import DATASET_TABLES
from api.ingest.validate import (
    CSV_READ_TYPES,
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
    # Edition of the Kemendagri code list the file uses; None for the current one.
    vintage: int | None = None


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
    rows = _expected_rows(path, fmt)
    mapping = map_header(contract, readers.header(path, fmt))
    collector = ViolationCollector()
    _header_violations(mapping, collector)
    if collector:
        return LoadResult(_report(contract, file_name, 0, collector, mapping), None)
    _drop_left_parts(engine, contract)
    with readers.BackgroundChecksum(path) as background:
        source = _Source.of(contract, path, fmt, mapping, rows, background)
        try:
            return _load(engine, request, source, collector, progress)
        except BaseException:
            _drop_left_parts(engine, contract)  # the parts this load may have committed
            raise


def _load(
    engine: Engine,
    request: LoadRequest,
    source: _Source,
    collector: ViolationCollector,
    progress: Progress,
) -> LoadResult:
    contract, mapping = request.contract, source.mapping
    file_name = request.file_name or request.path.name
    with engine.connect() as conn, conn.begin():
        _lock(conn, contract)
        if _same_size_loaded(conn, contract, source.size):
            # Only then can the file be one already loaded, and the dataset's lock keeps any
            # other from being loaded meanwhile: this one check, before any work, suffices.
            _refuse_identical(conn, contract, source.checksum())
        vintage, earlier = _vintage(conn, request.vintage)
        release_id = _new_release(conn, request, file_name, source, vintage)
        regions = _region_checks(conn, contract, earlier)
        target = _Target(engine, conn, contract, release_id, regions, progress)
        rows = _copy_batches(target, source, collector)
        if collector:
            conn.rollback()
            return LoadResult(_report(contract, file_name, rows, collector, mapping), None)
        if rows == 0:
            raise IngestError("empty_file", f"{file_name} has a header but no rows.")
        progress(rows, rows, "activating")
        conn.execute(
            update(DatasetRelease)
            .where(DatasetRelease.id == release_id)
            .values(row_count=rows, checksum=source.checksum())
        )
        _activate(conn, contract, release_id)
    return LoadResult(_report(contract, file_name, rows, collector, mapping), release_id)


def _expected_rows(path: Path, fmt: FileFormat) -> int | None:
    """The rows a file holds, for progress: a Parquet file's metadata says (damaged Parquet
    is refused here, before anything else), a CSV's are estimated; None for XLSX."""
    if fmt is FileFormat.parquet:
        return readers.parquet_rows(path)
    return readers.estimated_csv_rows(path) if fmt is FileFormat.csv else None


def _drop_left_parts(engine: Engine, contract: Contract) -> None:
    """Drop the parts failed or killed loads left, in a transaction of its own (best effort;
    skipped while another load holds the dataset's lock; every start drops them too)."""
    try:
        drop_left_parts(engine, contract)
    except Exception:  # the database may be what failed
        _log.warning("could not drop the parts of a failed %s load", contract.name, exc_info=True)


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
    warnings = [
        f"column {c or 'without a name'} is not in the contract and was not loaded"
        for c in mapping.ignored
    ]
    return Report(
        contract=contract.name,
        file_name=file_name,
        ok=not collector,
        rows_read=rows,
        errors=collector.violations,
        warnings=warnings,
    )


def _lock(conn: Connection, contract: Contract) -> None:
    if not lock_dataset(conn, contract):
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


def _vintage(conn: Connection, asked: int | None) -> tuple[int, int | None]:
    """The code-list edition the load checks Kemendagri codes against, and the same edition
    when it is an earlier one than the current list (None: the region table itself)."""
    known = list(conn.scalars(select(CodeVintage.vintage).order_by(CodeVintage.vintage)))
    current = known[-1] if known else 0
    if asked is None or asked == current:
        return current, None
    if asked not in known:
        editions = ", ".join(str(v) for v in known)
        raise IngestError(
            "unknown_vintage",
            f"There is no {asked} edition of the Kemendagri code list; known editions: {editions}.",
        )
    return asked, asked


def _same_size_loaded(conn: Connection, contract: Contract, size: int) -> bool:
    """Whether a release of the dataset came from a file of exactly ``size`` bytes."""
    same = select(DatasetRelease.id).where(
        DatasetRelease.contract == contract.name, DatasetRelease.file_bytes == size
    )
    return conn.scalar(same.limit(1)) is not None


# The checksum of a release still loading. It is replaced before the load commits, and the
# dataset's lock keeps a second one from existing at the same time.
_PENDING_CHECKSUM = ""


def _new_release(
    conn: Connection, request: LoadRequest, file_name: str, source: _Source, vintage: int
) -> int:
    release_id = conn.scalar(
        insert(DatasetRelease)
        .values(
            contract=request.contract.name,
            contract_version=request.contract.version,
            label=request.label,
            status="loading",
            row_count=0,
            checksum=_PENDING_CHECKSUM,
            file_name=file_name,
            file_format=source.fmt.value,
            file_bytes=source.size,
            loaded_by=request.loaded_by,
            code_vintage=vintage,
        )
        .returning(DatasetRelease.id)
    )
    assert release_id is not None
    return int(release_id)


def read_types(contract: Contract, fmt: FileFormat, mapping: Mapping) -> dict[str, pl.DataType]:
    """The types a file's columns are read as: a CSV file's number and yes/no columns are
    parsed by the reader, an optimistic first pass (see :func:`_copy_batches`)."""
    if fmt is not FileFormat.csv:
        return {}
    return {
        name: CSV_READ_TYPES[contract.column(target).type]
        for name, target in mapping.rename.items()
        if contract.column(target).type in CSV_READ_TYPES
    }


@dataclass(frozen=True)
class _Source:
    path: Path
    fmt: FileFormat
    mapping: Mapping
    size: int  # bytes
    rows: int | None  # expected: see _expected_rows
    background_checksum: readers.BackgroundChecksum
    types: dict[str, pl.DataType] = field(default_factory=dict)  # file column -> read type
    # The columns a CSV file's fields fill, in its order, when every field has one.
    csv_columns: tuple[str, ...] | None = None

    @classmethod
    def of(
        cls,
        contract: Contract,
        path: Path,
        fmt: FileFormat,
        mapping: Mapping,
        rows: int | None,
        background_checksum: readers.BackgroundChecksum,
    ) -> _Source:
        types = read_types(contract, fmt, mapping)
        fields = mapping.rename.values()  # in the file's order
        whole = not (mapping.ignored or mapping.duplicated)
        csv_columns = tuple(fields) if fmt is FileFormat.csv and whole else None
        size = path.stat().st_size
        return cls(path, fmt, mapping, size, rows, background_checksum, types, csv_columns)

    def expected_rows(self, done: int) -> int | None:
        """The rows expected, for progress: never fewer than those ``done`` (a CSV's are an
        estimate)."""
        return None if self.rows is None else max(self.rows, done)

    def checksum(self) -> str:
        return self.background_checksum.result()

    def as_text(self) -> _Source:
        return replace(self, types={})

    def sourced(self) -> Iterator[tuple[pl.DataFrame, CsvRecords | None]]:
        """The file's batches under the contract's column names, with ROW_COLUMN, each with
        the CSV records it was read from when they fill the table's columns as they stand (a
        whole chunk; every field has a column)."""
        rename = self.mapping.rename
        for read in readers.read_sourced(self.path, self.fmt, readers.BATCH_ROWS, self.types):
            batch = read.frame.rename(rename).select(ROW_COLUMN, *rename.values())
            if read.records is None or self.csv_columns is None:
                yield batch, None
            else:
                yield batch, CsvRecords(self.csv_columns, read.records)


class _TextNeededError(Exception):
    """The optimistic typed pass met something only the text pass can judge and report."""


@dataclass(frozen=True)
class _Target:
    """Where a load's passes over the file go: the release being written, in ``conn``'s
    transaction, with the region codes its columns are checked against."""

    engine: Engine
    conn: Connection
    contract: Contract
    release_id: int
    regions: dict[str, RegionCheck]
    progress: Progress


def _copy_batches(target: _Target, source: _Source, collector: ViolationCollector) -> int:
    """Validate every batch and COPY it while the next one is read and validated; attach the
    copied rows to the dataset table in ``conn``'s transaction when all is well.

    A CSV file is first read with its number and yes/no columns parsed by the reader. A clean
    file, the common case, is then loaded in that one pass, mostly by sending its own records
    (see :mod:`api.ingest.forwarding`). At the first value that does not parse, or the first
    broken rule, or records Postgres reads otherwise than the reader, that pass is dropped
    and the file is read again as text, the way every value is judged and reported; the
    result is the same as reading it as text at once.
    """
    if source.types:
        try:
            return _copy_pass(target, source, None)
        except (_TextNeededError, RecordsNotAsReadError):
            target.progress(0, source.expected_rows(0), "reading again as text")
        source = source.as_text()
    return _copy_pass(target, source, collector)


def _copy_pass(target: _Target, source: _Source, collector: ViolationCollector | None) -> int:
    """One pass over the file. Without a ``collector`` (the optimistic pass) any problem
    raises _TextNeededError. Otherwise copying stops at the first broken rule (the load is
    refused anyway) but reading goes on, so the report covers the whole file."""
    contract, regions, progress = target.contract, target.regions, target.progress
    conn = target.conn
    optimistic = collector is None
    found = collector if collector is not None else ViolationCollector()
    targets = [_active_keys(conn, ref.dataset, ref.dataset_columns) for ref in contract.references]
    # The primary key in the warehouse proves uniqueness (with the keys' hashes when rows go
    # by batch: 8 bytes a row), so keys are kept only for the rules it cannot check.
    keep_keys = bool(contract.unique or contract.references)
    keys: list[pl.DataFrame] = []
    rows = 0
    # The optimistic pass over a CSV file whose every field has a column sends whole batches,
    # so that clean records can go to Postgres as they are; otherwise rows go by key (see
    # PartedCopy).
    forwarding = optimistic and source.csv_columns is not None
    with PartedCopy(target.engine, contract, target.release_id, by_batch=forwarding) as copier:
        for batch, records in _batches(source, optimistic):
            typed = validate_batch(contract, batch, regions, found)
            if found and optimistic:
                raise _TextNeededError
            if keep_keys:
                keys.append(_keys(contract, typed, batch))
            if found:
                copier.stop()
            elif (
                forwarding
                and records is not None
                and forwardable(contract, batch, typed, records.data)
            ):
                copier.submit(typed, records)
            else:
                copier.submit(typed)
            rows += batch.height
            progress(rows, source.expected_rows(rows), "validating and copying")
        if not rows:
            return rows
        # The whole file is read: from here on the count is exact.
        progress(rows, rows, "indexing")
        copied = copier.finish()
        if keep_keys:
            progress(rows, rows, "checking keys and references")
            _check_keys(contract, pl.concat(keys), targets, found)
        if optimistic and (found or not copied):
            raise _TextNeededError
        if copied and not found:
            copier.attach(conn)
    if not keep_keys and (found or not copied):
        # Refused either way; read the keys again so the report names the repeated ones.
        progress(rows, rows, "checking keys")
        _check_keys(contract, _rescan_keys(contract, source, regions), targets, found)
    if not copied and not found:
        raise IngestError("copy_failed", "The warehouse refused the rows; nothing was loaded.")
    return rows


def _batches(source: _Source, optimistic: bool) -> Iterator[tuple[pl.DataFrame, CsvRecords | None]]:
    try:
        yield from source.sourced()
    except readers.TypedReadError as exc:
        if optimistic:
            raise _TextNeededError from exc
        raise


def _check_keys(
    contract: Contract,
    keys: pl.DataFrame,
    targets: list[pl.DataFrame],
    collector: ViolationCollector,
) -> None:
    duplicate_keys(keys, contract.primary_key, collector)
    for unique in contract.unique:
        duplicate_keys(keys, unique, collector)
    for ref, target in zip(contract.references, targets, strict=True):
        missing_references(keys, ref.columns, target, ref.dataset, collector)


def _key_columns(contract: Contract) -> list[str]:
    ref_columns = sorted({c for ref in contract.references for c in ref.columns})
    unique_columns = [c for u in contract.unique for c in u]
    return list(dict.fromkeys([*contract.primary_key, *unique_columns, *ref_columns]))


def _keys(contract: Contract, typed: pl.DataFrame, batch: pl.DataFrame) -> pl.DataFrame:
    return typed.select(_key_columns(contract)).with_columns(batch[ROW_COLUMN])


def _rescan_keys(
    contract: Contract, source: _Source, regions: dict[str, RegionCheck]
) -> pl.DataFrame:
    """The typed keys of the whole file, read again: only when a refused load needs them."""
    columns = _key_columns(contract)
    frames = [
        _keys(contract, validate_batch(contract, batch, regions, ViolationCollector()), batch)
        for batch, _ in source.sourced()
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema=columns)


def _region_checks(
    conn: Connection, contract: Contract, vintage: int | None = None
) -> dict[str, RegionCheck]:
    """The codes each region column may hold: the current list, or an earlier edition's
    Kemendagri codes when ``vintage`` names one."""
    checks: dict[str, RegionCheck] = {}
    for col in contract.columns:
        if col.region is None:
            continue
        if vintage is not None and col.region.system is CodeSystem.kemendagri:
            checks[col.name] = _edition_codes(conn, vintage, col.region.level)
        else:
            checks[col.name] = _region_codes(conn, col.region.system, col.region.level)
    return checks


def _edition_codes(conn: Connection, vintage: int, level: Level | None) -> RegionCheck:
    query = select(RegionCode.code).where(RegionCode.vintage == vintage)
    if level is not None:
        query = query.where(RegionCode.level == level.value)
    codes = pl.Series("code", list(conn.scalars(query)), dtype=pl.String)
    return RegionCheck(codes, edition=vintage)


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
