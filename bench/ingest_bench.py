"""Ingestion throughput and memory for a large ``dtks_household`` file (CSV and Parquet).

Targets (5 M rows): end to end (read, validate, COPY, activate) >= 400,000 rows/s; peak memory
< 3 GB and flat as the file grows; validation alone >= 5 M rows/s.

    .venv/bin/python bench/ingest_bench.py                     # generate if needed, measure all
    .venv/bin/python bench/ingest_bench.py --rows 1000000 --repeat 3 --modes e2e
    .venv/bin/python bench/ingest_bench.py generate --rows 1000000,5000000
    .venv/bin/python bench/ingest_bench.py report    # re-render ingest.md from ingest.json

What it does:

* ``generate``: a synthetic, valid file per size and format, built with Polars expressions
  from a seeded hash of the row number (no Python loop over rows), cached in
  ``bench/results/ingest/`` (git-ignored). All 41 contract columns; desa codes are real
  Kemendagri 2025 codes; code lists, ranges and patterns come from the contract itself.
  Rows are in region order, as registry exports are (``--order random`` shuffles them).
* one embedded Postgres in a temporary folder: a template database is migrated and loaded
  with the region reference data once; every end-to-end run gets a fresh copy of it.
* every measurement runs in a fresh child process, so ``ru_maxrss`` is that run's peak RSS.
  Modes: ``e2e`` (``load_file``, with per-phase timers wrapped around the pipeline's
  functions), ``copy`` (CSV only: Postgres alone, the file's records read into memory first,
  then COPYed by the load's streams, indexed and attached as a clean file's are; what no
  change to the load process can make faster), ``read`` (``readers.read_batches`` only),
  ``validate`` (read + ``validate_batch``, no COPY), ``prepare`` (``validate`` + the CSV
  serialisation ``copy_frame`` does, without sending), ``validate_mem`` (``validate_batch``
  over batches already in memory).
* the machine is shared: before each run it waits (up to ``--idle-wait`` s) for other work to
  calm down, and it records the load average and the CPU used by other processes during the
  run (machine CPU minus the child's and Postgres's).

Writes a Markdown table to ``bench/results/ingest.md`` and the raw runs to
``bench/results/ingest.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DATA_DIR = RESULTS / "ingest"
REGIONS_CSV = REPO / "data" / "reference" / "regions" / "wilayah_kepmendagri_2025.csv"
CONTRACT = "dtks_household"
GENERATOR_VERSION = 1  # bump when the generated content changes (invalidates the cache)
DEFAULT_SEED = 20250601
DEFAULT_ROWS = (1_000_000, 5_000_000)
FORMATS = ("csv", "parquet")
MODES = ("e2e", "copy", "read", "validate", "prepare", "validate_mem")
FRESH_DATABASE_MODES = ("e2e", "copy")  # they write: each run gets a copy of the template
TEMPLATE_DB = "ingest_bench_template"
READONLY_DB = "ingest_bench_ro"

E2E_TARGET = 400_000  # rows/s, 5 M rows
VALIDATE_TARGET = 5_000_000  # rows/s, 5 M rows
MEMORY_TARGET_MB = 3 * 1024

MODE_TITLES = {
    "e2e": "end to end (`load_file`)",
    "copy": "Postgres alone (the file's records COPYed, indexed, attached)",
    "read": "read only (`read_batches`)",
    "validate": "read + validate (no COPY)",
    "prepare": "read + validate + COPY CSV encoding (not sent)",
    "validate_mem": "validate only (batches already in memory; RSS holds them all)",
}

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Synthetic data
# ---------------------------------------------------------------------------------------------

STREETS = (
    "Merdeka", "Sudirman", "Diponegoro", "Gajah Mada", "Pahlawan", "Kartini", "Ahmad Yani",
    "Imam Bonjol", "Veteran", "Pemuda", "Cendana", "Melati", "Mawar", "Flamboyan", "Kenanga",
    "Sisingamangaraja", "Hasanuddin", "Pattimura", "Teuku Umar", "Cut Nyak Dhien",
)  # fmt: skip
HAMLETS = (
    "Krajan", "Sukamaju", "Mekarsari", "Sumbersari", "Karanganyar", "Tegalsari", "Sidomulyo",
    "Harapan Jaya", "Suka Damai", "Mulyorejo", "Bojong", "Cibodas", "Pasir Angin", "Lembang",
)  # fmt: skip
FIRST_NAMES = (
    "Ahmad", "Budi", "Siti", "Dewi", "Agus", "Sri", "Muhammad", "Nur", "Eko", "Rina",
    "Joko", "Wahyu", "Putu", "Made", "Ketut", "Yohanes", "Maria", "Hendra", "Fitri", "Rahmat",
    "Slamet", "Suparman", "Aminah", "Yusuf", "Dian", "Teguh", "Wayan", "Markus", "Ani", "Iwan",
)  # fmt: skip
LAST_NAMES = (
    "Santoso", "Wijaya", "Saputra", "Hidayat", "Nasution", "Siregar", "Lubis", "Harahap",
    "Kusuma", "Pratama", "Setiawan", "Gunawan", "Rahman", "Hakim", "Simanjuntak", "Wibowo",
    "Susanto", "Hasibuan", "Purba", "Manurung", "Tanjung", "Sitompul", "Pangaribuan", "Daulay",
    "Effendi", "Sulistyo", "Nugroho", "Prasetyo", "Utomo", "Halim",
)  # fmt: skip


def data_file(rows: int, fmt: str, seed: int, order: str) -> Path:
    suffix = "" if order == "region" else f"-{order}"
    return DATA_DIR / f"{CONTRACT}-v{GENERATOR_VERSION}-s{seed}-{rows}{suffix}.{fmt}"


def desa_codes() -> pl.Series:
    """Every Kemendagri 2025 village code (``PP.KK.CC.DDDD``), sorted."""
    return (
        pl.read_csv(REGIONS_CSV, infer_schema=False)
        .filter(
            pl.col("level") == "desa", pl.col("kode").str.contains(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
        )
        .get_column("kode")
        .sort()
    )


def _rand(salt: int, seed: int) -> pl.Expr:
    """A deterministic pseudo-random UInt64 per row (Polars' seeded hash of the row number)."""
    return pl.col("__i").hash(seed * 1_000_003 + salt)


def _pick(values: list[str] | tuple[str, ...], rand: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(list(values), dtype=pl.String)).gather(rand % len(values))


def synthetic_households(rows: int, seed: int, order: str = "region") -> pl.DataFrame:
    """``rows`` valid households, typed as the contract says (strings, Int64, Float64, Boolean).

    Columns the contract describes generically (code lists, ranges, booleans) are generated from
    the contract, so every one of its columns is present and within its rules.
    """
    from api.ingest.contracts import ColumnType, all_contracts

    contract = all_contracts()[CONTRACT]
    villages = desa_codes()
    salt = iter(range(1, 10_000))

    def rand() -> pl.Expr:
        return _rand(next(salt), seed)

    base = pl.select(pl.int_range(rows, dtype=pl.UInt64).alias("__i")).with_columns(
        (rand() % len(villages)).alias("__village")
    )
    if order == "region":
        # Registry exports come grouped by region; the family id then follows the file order.
        base = base.sort("__village").with_columns(pl.int_range(rows, dtype=pl.UInt64).alias("__i"))
    elif order != "random":
        raise ValueError(f"unknown order {order!r}")
    desa = pl.lit(villages).gather(pl.col("__village"))
    special: dict[str, pl.Expr] = {
        "hh_id": pl.format("DTKS{}", (pl.col("__i") + 1).cast(pl.String).str.zfill(12)),
        "desa_code": desa,
        "release_year": (pl.lit(2023) + (rand() % 3).cast(pl.Int64)),
        "welfare_decile": (rand() % 10).cast(pl.Int64) + 1,
        "address": pl.format(
            "Jl. {} No. {} RT {}/RW {}, Dusun {}",
            _pick(STREETS, rand()),
            (rand() % 250 + 1).cast(pl.String),
            (rand() % 20 + 1).cast(pl.String).str.zfill(3),
            (rand() % 12 + 1).cast(pl.String).str.zfill(3),
            _pick(HAMLETS, rand()),
        ),
        "head_name": pl.format("{} {}", _pick(FIRST_NAMES, rand()), _pick(LAST_NAMES, rand())),
        # 16 digits: the kecamatan part of the desa code, then 10 digits.
        "no_kk": pl.concat_str(
            desa.str.slice(0, 8).str.replace_all(".", "", literal=True),
            (rand() % 10_000_000_000).cast(pl.String).str.zfill(10),
        ),
        "hh_size": pl.min_horizontal((rand() % 7 + 1) + (rand() % 4), pl.lit(12)).cast(pl.Int64),
        "floor_area_m2": (rand() % 2_000 + 120).cast(pl.Float64) / 10,
    }
    columns: list[pl.Expr] = []
    for col in contract.columns:
        if col.name in special:
            expr = special[col.name]
        elif col.codes is not None and col.type is ColumnType.integer:
            expr = _pick(list(col.codes), rand()).cast(pl.Int64)
        elif col.type is ColumnType.boolean:
            expr = (rand() % 100) < (5 + len(columns) * 7 % 40)  # 5-44 % "yes", per column
        else:
            raise ValueError(f"no generator for {col.name} ({col.type})")
        if not col.required:
            expr = pl.when(rand() % 100 < 2).then(None).otherwise(expr)  # ~2 % missing
        columns.append(expr.alias(col.name))
    frame = base.select(*columns)
    # Items that only apply to some families, as in the questionnaire's skip rules.
    return frame.with_columns(
        pl.when(pl.col("lighting_source") == 1)
        .then(pl.col("installed_power"))
        .otherwise(None)
        .alias("installed_power"),
        pl.when(pl.col("toilet_facility") == 6)
        .then(None)
        .otherwise(pl.col("toilet_type"))
        .alias("toilet_type"),
    )


def generate(rows: int, seed: int, order: str, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write the files that are not cached yet; return every file's path."""
    paths = {fmt: data_file(rows, fmt, seed, order) for fmt in formats}
    todo = {fmt: path for fmt, path in paths.items() if not path.exists()}
    if todo:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        frame = synthetic_households(rows, seed, order)
        for fmt, path in todo.items():
            partial = path.with_suffix(path.suffix + ".partial")
            if fmt == "csv":
                # Source CSVs code yes/no items as 1/0.
                frame.with_columns(pl.col(pl.Boolean).cast(pl.Int8)).write_csv(partial)
            else:
                frame.write_parquet(partial)  # typed columns, zstd, Polars' default row groups
            partial.rename(path)
            size = path.stat().st_size / 1e6
            print(f"generated {path.name}: {rows:,} rows, {size:,.0f} MB", file=sys.stderr)
        print(f"  ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return list(paths.values())


# ---------------------------------------------------------------------------------------------
# Child process: one measurement
# ---------------------------------------------------------------------------------------------


def _cpu_s() -> float:
    """This process's CPU time so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb(field_name: str = "VmRSS", pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Timers:
    """Seconds spent per phase, from wrappers around the pipeline's functions."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def timing(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started

    def wrap(self, name: str, fn: Callable[..., T]) -> Callable[..., T]:
        def timed(*args: Any, **kwargs: Any) -> T:
            with self.timing(name):
                return fn(*args, **kwargs)

        return timed

    def wrap_iter(self, name: str, fn: Callable[..., Iterator[T]]) -> Callable[..., Iterator[T]]:
        def timed(*args: Any, **kwargs: Any) -> Iterator[T]:
            items = fn(*args, **kwargs)
            while True:
                with self.timing(name):
                    item = next(items, None)
                if item is None:
                    return
                yield item

        return timed


def _instrument(timers: Timers) -> None:
    """Time the load's phases by wrapping the functions ``load_file`` looks up at call time."""
    from api.ingest import loader, parts, readers

    patches: list[tuple[object, str, str]] = [
        (readers, "checksum", "checksum"),
        (loader, "validate_batch", "validate"),
        (parts, "copy_frame", "copy"),
        (parts, "copy_csv", "copy: file's records"),
        (loader, "forwardable", "forwardable check"),
        (parts._Stream, "_build_indexes", "index"),
        (parts.PartedCopy, "attach", "commit parts + attach"),
        (loader, "duplicate_keys", "key checks"),
        (loader, "missing_references", "key checks"),
        # copy_frame's CSV encoding, which sends each piece as it is written, to split the COPY
        # into that and the server's catching up at the end.
        (pl.DataFrame, "write_csv", "copy: encode + send"),
    ]
    for owner, name, phase in patches:
        setattr(owner, name, timers.wrap(phase, getattr(owner, name)))
    readers.read_sourced = timers.wrap_iter("read", readers.read_sourced)


def _child_e2e(path: Path, url: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    from api.ingest.contracts import all_contracts
    from api.ingest.loader import LoadRequest, load_file

    timers = Timers()
    _instrument(timers)
    contract = all_contracts()[CONTRACT]
    from api.ingest.parts import COPY_STREAMS

    # The load's own connection and one per COPY stream.
    engine = create_engine(url, pool_size=1 + COPY_STREAMS, max_overflow=0)
    with engine.connect() as conn:  # the pool hands this connection to load_file
        backend = int(conn.scalar(text("SELECT pg_backend_pid()")) or 0)
    rss_before = _rss_mb()
    cpu_before, started = _cpu_s(), time.perf_counter()
    result = load_file(engine, LoadRequest(contract, path, "bench", "ingest_bench"))
    seconds = time.perf_counter() - started
    timed_cpu = _cpu_s() - cpu_before
    backend_hwm = _rss_mb("VmHWM", backend)
    with engine.connect() as conn:
        stored = int(
            conn.scalar(
                text(f"SELECT count(*) FROM {contract.table} WHERE release_id = :r"),
                {"r": result.release_id},
            )
            or 0
        )
    engine.dispose()
    if not result.report.ok or result.release_id is None:
        raise SystemExit(f"load refused: {result.report.errors[:3]}")
    phases = dict(timers.seconds)
    # The COPY streams run in worker threads, overlapping reading and validation: their
    # phases are shown (summed over the streams), but the rest of the wall time is what the
    # main thread did or waited for.
    copy_seconds = phases.pop("copy", 0.0)
    records = phases.pop("copy: file's records", 0.0)
    encode = phases.pop("copy: encode + send", 0.0)
    index = phases.pop("index", 0.0)
    checksum = phases.pop("checksum", 0.0)  # in a thread of its own
    main_thread = sum(phases.values())
    phases["other (rename, keys, waiting for COPY and indexes, attach, commit)"] = (
        seconds - main_thread
    )
    phases["in parallel: checksum"] = checksum
    phases["streams, in parallel: encode + send"] = encode
    phases["streams, in parallel: server catching up"] = copy_seconds - encode
    phases["streams, in parallel: file's records"] = records
    phases["streams, in parallel: build indexes"] = index
    return {
        "rows": result.report.rows_read,
        "stored_rows": stored,
        "seconds": seconds,
        "phases": phases,
        "rss_before_mb": rss_before,
        "pg_backend_hwm_mb": backend_hwm,
        "timed_cpu_s": timed_cpu,
    }


def _child_copy(path: Path, url: str) -> dict[str, Any]:
    """What Postgres alone takes for a clean CSV file: its records (read into memory first)
    COPYed by the load's own streams, each part's indexes built, the parts committed and
    attached, exactly as ``load_file`` does for a file whose every batch is forwarded."""
    from sqlalchemy import create_engine, text

    from api.db.copy import CsvRecords
    from api.ingest import readers
    from api.ingest.contracts import all_contracts
    from api.ingest.parts import PartedCopy
    from api.ingest.validate import map_header

    contract = all_contracts()[CONTRACT]
    if readers.sniff(path) is not readers.FileFormat.csv:
        raise SystemExit("copy: CSV files only (only their records can be sent as they are)")
    columns = tuple(
        map_header(contract, readers.header(path, readers.FileFormat.csv)).rename.values()
    )
    # The streams hash each batch's keys (to compare them across parts): keep the keys too.
    batches = []
    for batch in readers.read_sourced(path, readers.FileFormat.csv):
        if batch.records is None:  # a slice of a chunk: the load would not forward it
            raise SystemExit(f"copy: {path.name} has chunks longer than a batch")
        batches.append(
            (batch.frame.select(contract.primary_key), CsvRecords(columns, batch.records))
        )
    rows = sum(keys.height for keys, _ in batches)
    engine = create_engine(url)
    timers = Timers()
    cpu_before, started = _cpu_s(), time.perf_counter()
    with (
        engine.connect() as conn,
        conn.begin(),
        PartedCopy(engine, contract, release_id=1, by_batch=True) as copier,
    ):
        # Handing a batch to a stream waits for that stream's previous one: this is the COPY
        # but for each stream's last batch, which the index builds wait for.
        with timers.timing("COPY, to the last batches"):
            for keys, records in batches:
                copier.submit(keys, records)
        with timers.timing("last batches' COPY + build indexes"):
            if not copier.finish():
                raise SystemExit("copy: the parts refused the rows")
        with timers.timing("commit parts + attach"):
            copier.attach(conn)
    seconds = time.perf_counter() - started
    timed_cpu = _cpu_s() - cpu_before
    with engine.connect() as conn:
        stored = conn.scalar(text(f"SELECT count(*) FROM {contract.table} WHERE release_id = 1"))
    engine.dispose()
    return {
        "rows": rows,
        "stored_rows": int(stored or 0),
        "seconds": seconds,
        "phases": dict(timers.seconds),
        "timed_cpu_s": timed_cpu,
    }


def _child_validation(mode: str, path: Path, url: str) -> dict[str, Any]:
    from sqlalchemy import create_engine

    from api.ingest import readers
    from api.ingest.contracts import all_contracts
    from api.ingest.loader import _region_checks, read_types
    from api.ingest.readers import ROW_COLUMN
    from api.ingest.report import ViolationCollector
    from api.ingest.validate import map_header, validate_batch

    contract = all_contracts()[CONTRACT]
    engine = create_engine(url)
    with engine.connect() as conn:
        regions = _region_checks(conn, contract)
    engine.dispose()
    fmt = readers.sniff(path)
    mapping = map_header(contract, readers.header(path, fmt))
    # A CSV's number columns are parsed by the reader, as a load's first pass does.
    types = read_types(contract, fmt, mapping)
    collector = ViolationCollector()
    timers = Timers()
    read = timers.wrap_iter("read", readers.read_batches)
    validate = timers.wrap("validate", validate_batch)

    def batches() -> Iterator[pl.DataFrame]:
        for raw in read(path, fmt, readers.BATCH_ROWS, types):
            yield raw.rename(mapping.rename).select(ROW_COLUMN, *mapping.rename.values())

    rows = 0
    rss_before = _rss_mb()
    if mode == "validate_mem":
        frames = list(batches())
        timers.seconds.clear()
        rss_before = _rss_mb()
        cpu_before, started = _cpu_s(), time.perf_counter()
        for batch in frames:
            validate(contract, batch, regions, collector)
            rows += batch.height
    else:
        cpu_before, started = _cpu_s(), time.perf_counter()
        for batch in batches():
            rows += batch.height
            if mode == "read":
                continue
            typed = validate(contract, batch, regions, collector)
            if mode == "prepare":
                began = time.perf_counter()
                buffer = io.BytesIO()
                typed.with_columns(pl.lit(1, pl.Int64).alias("release_id")).write_csv(
                    buffer, include_header=False, null_value=""
                )
                buffer.getvalue()
                timers.seconds["encode CSV"] += time.perf_counter() - began
    seconds = time.perf_counter() - started
    timed_cpu = _cpu_s() - cpu_before
    if collector:
        raise SystemExit(f"the synthetic file breaks rules: {collector.violations[:3]}")
    phases = dict(timers.seconds)
    if mode != "validate_mem":
        phases["other (rename/select)"] = seconds - sum(phases.values())
    return {
        "rows": rows,
        "seconds": seconds,
        "phases": phases,
        "rss_before_mb": rss_before,
        "timed_cpu_s": timed_cpu,
    }


class _MemorySampler(threading.Thread):
    """Peaks of this process's anonymous and file-backed resident memory, sampled every
    20 ms. VmHWM adds both up; a memory-mapped input file's pages are file-backed: the kernel
    drops them under pressure, unlike the heap."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peaks = {"RssAnon": 0.0, "RssFile": 0.0}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.02):
            for name in self.peaks:
                self.peaks[name] = max(self.peaks[name], _rss_mb(name))

    def stop(self) -> dict[str, float]:
        self._done.set()
        self.join()
        return self.peaks


def child(mode: str, path: Path, url: str) -> None:
    sampler = _MemorySampler()
    sampler.start()
    children = {"e2e": _child_e2e, "copy": _child_copy}
    result = children.get(mode, partial(_child_validation, mode))(path, url)
    peaks = sampler.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result |= {
        "peak_anon_mb": peaks["RssAnon"],
        "peak_file_mb": peaks["RssFile"],
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec
        # (the parent's RSS at spawn time would be the floor); VmHWM is this process's own peak.
        "peak_rss_mb": _rss_mb("VmHWM"),
        "ru_maxrss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "cpu_user_s": usage.ru_utime,
        "cpu_sys_s": usage.ru_stime,
        "polars_threads": pl.thread_pool_size(),
    }
    print("RESULT " + json.dumps(result))


# ---------------------------------------------------------------------------------------------
# Parent: Postgres, idle waits, CPU accounting, runs, report
# ---------------------------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]
    total = sum(fields)
    return (total - idle) / CLK_TCK, total / CLK_TCK


def _proc_stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from 3 (state) on


def _postgres_cpu(postmaster: int) -> float:
    """CPU seconds of the postmaster, its live children and its reaped children."""
    total = 0.0
    own = _proc_stat(postmaster)
    if own is not None:
        total += sum(int(v) for v in own[11:15]) / CLK_TCK  # utime stime cutime cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat is not None and int(stat[1]) == postmaster:
            total += (int(stat[11]) + int(stat[12])) / CLK_TCK
    return total


def wait_idle(max_wait: float, threshold_cores: float = 0.3) -> float:
    """Wait until the machine uses < ``threshold_cores`` for a second; return that last load."""
    deadline = time.monotonic() + max_wait
    while True:
        busy0, _ = _machine_cpu()
        time.sleep(1.0)
        busy1, _ = _machine_cpu()
        load = busy1 - busy0
        if load < threshold_cores or time.monotonic() >= deadline:
            return load


@dataclass
class Run:
    mode: str
    fmt: str
    rows: int
    seconds: float
    rows_per_s: float
    peak_rss_mb: float
    wall_s: float  # the child's whole life, imports included
    child_cpu_s: float
    postgres_cpu_s: float
    others_cores: float  # CPU used by other processes during the child's life, in cores
    loadavg_before: str
    loadavg_after: str
    phases: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class Cluster:
    """The embedded Postgres of this benchmark, with a migrated and loaded template."""

    def __init__(self, folder: Path) -> None:
        from sqlalchemy import create_engine

        from api.db.embedded import EmbeddedPostgres
        from api.db.migrate import upgrade
        from api.regions import reference

        self.pg = EmbeddedPostgres(folder / "pgdata", delete_on_stop=True)
        try:
            started = time.perf_counter()
            self.pg.ensure_database(TEMPLATE_DB)
            engine = create_engine(self.pg.url(TEMPLATE_DB))
            upgrade(engine)
            reference.load(engine, REPO / "data" / "reference")
            engine.dispose()
            self.create(READONLY_DB)
            took = time.perf_counter() - started
            print(f"template database ready in {took:.1f} s", file=sys.stderr)
            pid_file = folder / "pgdata" / "postmaster.pid"
            self.postmaster = int(pid_file.read_text().split("\n", 1)[0])
        except BaseException:
            self.pg.stop()
            raise

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=self.pg.socket_dir, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    def create(self, name: str) -> str:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
        return self.pg.url(name).render_as_string(hide_password=False)

    def drop(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def settings(self) -> dict[str, str]:
        import psycopg

        names = (
            "server_version", "shared_buffers", "max_wal_size", "wal_level", "fsync",
            "synchronous_commit", "full_page_writes", "maintenance_work_mem", "wal_compression",
        )  # fmt: skip
        with psycopg.connect(host=self.pg.socket_dir, user="postgres", dbname="postgres") as c:
            return {n: str(c.execute(f"SHOW {n}").fetchone()[0]) for n in names}  # type: ignore[index]

    def stop(self) -> None:
        self.pg.stop()


def _git_state() -> str:
    """The commit measured, and whether the pipeline's code differs from it (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(  # git diff, not git status: status may rewrite the index
            ["git", "diff", "--name-only", "HEAD", "--", "api"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' + uncommitted changes in api/' if dirty else ''}"


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure(cluster: Cluster, mode: str, path: Path, fmt: str, rows: int, idle: float) -> Run:
    database = f"ingest_bench_{mode}"
    if mode in FRESH_DATABASE_MODES:
        url = cluster.create(database)
        cluster.execute("CHECKPOINT")  # the copy's WAL and pages are not flushed during the run
    else:
        url = cluster.pg.url(READONLY_DB).render_as_string(hide_password=False)
    wait_idle(idle)
    loadavg_before = _loadavg()
    busy0, _ = _machine_cpu()
    pg0 = _postgres_cpu(cluster.postmaster)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "child", "--mode", mode, "--file", str(path), "--url", url],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    time.sleep(0.3)  # let the postmaster reap the run's backend
    busy1, _ = _machine_cpu()
    pg_cpu = _postgres_cpu(cluster.postmaster) - pg0
    if mode in FRESH_DATABASE_MODES:
        cluster.drop(database)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{mode} {path.name} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    out = json.loads(lines[-1].removeprefix("RESULT "))
    if out["rows"] != rows:
        raise RuntimeError(f"{mode} {path.name}: read {out['rows']} rows, expected {rows}")
    child_cpu = out["cpu_user_s"] + out["cpu_sys_s"]
    extra = {
        k: out[k]
        for k in (
            "stored_rows",
            "pg_backend_hwm_mb",
            "rss_before_mb",
            "ru_maxrss_mb",
            "peak_anon_mb",
            "peak_file_mb",
            "polars_threads",
            "timed_cpu_s",
        )
        if k in out
    } | {"cpu_user_s": out["cpu_user_s"], "cpu_sys_s": out["cpu_sys_s"]}
    return Run(
        mode=mode,
        fmt=fmt,
        rows=rows,
        seconds=out["seconds"],
        rows_per_s=rows / out["seconds"],
        peak_rss_mb=out["peak_rss_mb"],
        wall_s=wall,
        child_cpu_s=child_cpu,
        postgres_cpu_s=pg_cpu,
        others_cores=max(busy1 - busy0 - child_cpu - pg_cpu, 0.0) / wall,
        loadavg_before=loadavg_before,
        loadavg_after=_loadavg(),
        phases=out["phases"],
        extra=extra,
    )


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.seconds)
    return ordered[(len(ordered) - 1) // 2]


def _target(mode: str, rows: int) -> tuple[str, Callable[[Run], bool] | None]:
    if mode == "e2e":
        return f"≥ {E2E_TARGET:,} rows/s, RSS < 3 GB", (
            lambda r: r.rows_per_s >= E2E_TARGET and r.peak_rss_mb < MEMORY_TARGET_MB
        )
    if mode == "validate_mem":
        return f"≥ {VALIDATE_TARGET:,} rows/s", lambda r: r.rows_per_s >= VALIDATE_TARGET
    return "–", None


def _cpu_cell(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.1f}"  # runs saved before it was measured


def _fmt_rows(rows: int) -> str:
    return f"{rows / 1e6:g} M"


def render(runs: list[Run], meta: dict[str, Any]) -> str:
    groups: dict[tuple[str, str, int], list[Run]] = defaultdict(list)
    for run in runs:
        groups[run.mode, run.fmt, run.rows].append(run)
    order = {m: i for i, m in enumerate(MODES)}
    keys = sorted(groups, key=lambda k: (order[k[0]], k[2], k[1]))
    out = [
        "# Ingestion benchmark: `dtks_household`",
        "",
        f"Run {meta['date']} at commit {meta.get('commit', '?')} on {meta['machine']}; "
        f"Polars {meta['polars']} "
        f"({meta['polars_threads']} threads), PyArrow {meta['pyarrow']}, "
        f"Postgres {meta['postgres'].get('server_version', '?')} (embedded, default settings: "
        f"shared_buffers {meta['postgres'].get('shared_buffers')}, max_wal_size "
        f"{meta['postgres'].get('max_wal_size')}, fsync {meta['postgres'].get('fsync')}, "
        f"wal_level {meta['postgres'].get('wal_level')}).",
        f"Files: synthetic, valid, seed {meta['seed']}, rows in {meta['order']} order; "
        + ", ".join(f"{name} {size:,.0f} MB" for name, size in meta["files"].items())
        + ".",
        f"Median of {meta['repeat']} run(s) per line (of two, the faster; the range of rows/s "
        "in brackets), each in a fresh process. Peak RSS is that process's high-water mark "
        "(`VmHWM`; Postgres runs in its own processes, see the phase table). *Others* is the CPU "
        "that other processes on this shared machine used during the run, in cores (of "
        f"{os.cpu_count()}).",
        "",
        "*Load CPU, timed* is the measuring process's CPU while timed, in core-seconds "
        "(imports and, for `copy`, reading the file into memory left out); *Postgres CPU* that "
        "of Postgres over the process's whole life.",
        "",
        "| Measure | Format | Rows | Time (s) | Rows/s | Load CPU, timed (s) | Postgres CPU (s) "
        "| Peak RSS (MB) | Others (cores) | Load avg | Target | Met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for key in keys:
        mode, fmt, rows = key
        run = _median_run(groups[key])
        spread = ""
        if len(groups[key]) > 1:
            rates = [r.rows_per_s for r in groups[key]]
            spread = f" ({min(rates):,.0f}–{max(rates):,.0f})"
        target, check = _target(mode, rows)
        met = "–"
        if check is not None:
            met = "yes" if check(run) else "**no**"
            if rows < 5_000_000:
                met += " (target is for 5 M)"
        out.append(
            f"| {MODE_TITLES[mode]} | {fmt} | {_fmt_rows(rows)} | {run.seconds:.2f} "
            f"| {run.rows_per_s:,.0f}{spread} | {_cpu_cell(run.extra.get('timed_cpu_s'))} "
            f"| {run.postgres_cpu_s:.1f} | {run.peak_rss_mb:,.0f} | {run.others_cores:.2f} "
            f"| {run.loadavg_before} | {target} | {met} |"
        )
    e2e = [k for k in keys if k[0] == "e2e"]
    for fmt in dict.fromkeys(k[1] for k in e2e):
        for label, of in (
            ("Peak RSS", lambda r: r.peak_rss_mb),
            ("of which anonymous (heap)", lambda r: r.extra.get("peak_anon_mb", 0.0)),
            ("file-backed (mapped input)", lambda r: r.extra.get("peak_file_mb", 0.0)),
        ):
            peaks = {k[2]: of(_median_run(groups[k])) for k in e2e if k[1] == fmt}
            if len(peaks) > 1:
                (small, low), (large, high) = min(peaks.items()), max(peaks.items())
                per_m = (high - low) / ((large - small) / 1e6)
                out.append(
                    f"\n{label} end to end, {fmt}: {low:,.0f} MB at {_fmt_rows(small)} rows, "
                    f"{high:,.0f} MB at {_fmt_rows(large)} rows ({per_m:+,.0f} MB per million "
                    "rows)."
                )
    if e2e:
        names = list(dict.fromkeys(p for k in e2e for p in _median_run(groups[k]).phases))
        out += [
            "",
            "End-to-end time by phase (seconds, median run; wrappers around the pipeline's "
            "functions). The main thread reads (CSV: parses a chunk; Parquet: decodes a row "
            "group) and validates; the *streams* columns are summed over the COPY streams' "
            "worker threads, which run meanwhile: *encode + send* is Polars writing the COPY "
            "text into the open COPY, piece by piece; *server catching up* the rest of "
            "`copy_frame`, Postgres finishing the rows it was sent; *file's records* the COPYs "
            "of CSV records sent as the file holds them (`copy_csv`, Postgres parsing them "
            "meanwhile); *build indexes* each "
            "part's primary key and indexes. The checksum runs in a thread of "
            "their own. CPU: the load process and Postgres over the child's whole life "
            "(imports included).",
            "",
            "| Format | Rows | " + " | ".join(names) + " | Load CPU (s) | Postgres CPU (s) "
            "| PG backend peak RSS (MB) |",
            "|---|---:|" + "---:|" * (len(names) + 3),
        ]
        for key in e2e:
            run = _median_run(groups[key])
            cells = " | ".join(f"{run.phases.get(n, 0.0):.2f}" for n in names)
            out.append(
                f"| {key[1]} | {_fmt_rows(key[2])} | {cells} | {run.child_cpu_s:.1f} "
                f"| {run.postgres_cpu_s:.1f} | {run.extra.get('pg_backend_hwm_mb', 0):,.0f} |"
            )
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _ints(raw: str) -> list[int]:
    return [int(v.replace("_", "")) for v in raw.split(",") if v]


def _names(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(raw: str) -> list[str]:
        names = [v for v in raw.split(",") if v]
        unknown = [v for v in names if v not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {allowed}")
        return names

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "command", nargs="?", default="run", choices=("run", "generate", "report", "child")
    )
    parser.add_argument("--rows", type=_ints, default=list(DEFAULT_ROWS))
    parser.add_argument("--formats", type=_names(FORMATS), default=list(FORMATS))
    parser.add_argument("--modes", type=_names(MODES), default=list(MODES))
    parser.add_argument("--repeat", type=int, default=1, help="runs per measure (median shown)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--order", choices=("region", "random"), default="region")
    parser.add_argument("--idle-wait", type=float, default=30.0, help="max s to wait for idle")
    parser.add_argument("--pg-dir", type=Path, help="folder for the Postgres cluster (temp)")
    parser.add_argument("--out", type=Path, default=RESULTS / "ingest.md")
    parser.add_argument("--json", type=Path, default=RESULTS / "ingest.json")
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.command == "child":
        child(args.mode, args.file, args.url)
        return 0
    if args.command == "report":  # re-render the Markdown from the saved JSON
        saved = json.loads(args.json.read_text())
        report = render([Run(**r) for r in saved["runs"]], saved["meta"])
        print(report)
        args.out.write_text(report)
        return 0
    if args.command == "generate":
        for rows in args.rows:
            generate(rows, args.seed, args.order, tuple(args.formats))
        return 0

    files: dict[tuple[int, str], Path] = {}
    for rows in args.rows:
        # In a child process: the generator's memory must not sit in this one.
        missing = [
            f for f in args.formats if not data_file(rows, f, args.seed, args.order).exists()
        ]
        if missing:
            subprocess.run(
                [
                    sys.executable, __file__, "generate", "--rows", str(rows), "--seed",
                    str(args.seed), "--order", args.order, "--formats", ",".join(missing),
                ],
                check=True,
            )  # fmt: skip
        for fmt in args.formats:
            files[rows, fmt] = data_file(rows, fmt, args.seed, args.order)

    folder = args.pg_dir or Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    cluster = Cluster(folder)
    runs: list[Run] = []
    try:
        postgres = cluster.settings()
        for mode in args.modes:
            for rows in args.rows:
                for fmt in args.formats:
                    if mode == "copy" and fmt != "csv":
                        continue  # only a CSV file's records go to Postgres as they are
                    for i in range(args.repeat):
                        run = measure(cluster, mode, files[rows, fmt], fmt, rows, args.idle_wait)
                        runs.append(run)
                        print(
                            f"{mode:>12} {fmt:>7} {rows:>9,} #{i + 1}: {run.seconds:7.2f} s "
                            f"{run.rows_per_s:>12,.0f} rows/s  peak {run.peak_rss_mb:,.0f} MB  "
                            f"others {run.others_cores:.2f} cores  load {run.loadavg_before}",
                            file=sys.stderr,
                        )
    finally:
        cluster.stop()
        if args.pg_dir is None:
            shutil.rmtree(folder, ignore_errors=True)

    import pyarrow

    meta = {
        "commit": _git_state(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        "polars": pl.__version__,
        "polars_threads": pl.thread_pool_size(),
        "pyarrow": pyarrow.__version__,
        "postgres": postgres,
        "seed": args.seed,
        "order": args.order,
        "repeat": args.repeat,
        "files": {p.name: p.stat().st_size / 1e6 for p in files.values()},
    }
    report = render(runs, meta)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    args.json.write_text(json.dumps({"meta": meta, "runs": [asdict(r) for r in runs]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
