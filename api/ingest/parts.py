"""COPY a release's rows through several connections at once, each into a part of its own.

Postgres parses a COPY on one core per connection, and for a wide table that parsing is most
of a load's time. So a load opens one stream per core: each has its own connection and
transaction, creates its part table in that transaction (with ``wal_level = minimal``, as the
embedded server runs, Postgres then writes no WAL for the rows, and COPY FREEZE spares later
readers a write per page), COPYs its share of the batches and builds the part's indexes. Rows
go to a part by a hash of their primary key, so a repeated key meets itself in one part, whose
primary key refuses it; or whole batches go to the streams in turn, and the keys' hashes are
compared across batches (see :class:`PartedCopy`).

The parts are committed only once the whole file has passed; the load's own transaction then
attaches them under the release's partition and activates the release. If that transaction
fails or the process dies in between, committed parts are left unattached: invisible to every
reader, and dropped by :func:`drop_orphans` at the next load of the dataset or the next start.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Self

import polars as pl
import psycopg
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from api.db.copy import CsvRecords, copy_csv, copy_frame
from api.ingest.contracts import Contract, all_contracts
from api.ingest.report import IngestError
from api.ingest.tables import (
    DATASET_TABLES,
    LOAD_PART,
    part_table,
    partition_pattern,
    release_partition,
)

_log = logging.getLogger(__name__)

COPY_STREAMS = 2  # one per core of the reference machine


class RecordsNotAsReadError(Exception):
    """Postgres did not read a file's CSV records as the file's reader did: they are to be
    sent as the validated rows instead."""


class _Stream:
    """One COPY stream: a connection, a transaction and a part table of its own.

    A worker thread COPYs one batch while the caller prepares the next (psycopg releases the
    GIL while it sends); errors surface in the caller at the next hand-over.
    """

    def __init__(self, engine: Engine, contract: Contract, release_id: int, part: int) -> None:
        self.part = part
        self.table = part_table(contract.table, release_id, part)
        self._contract = contract
        self._conn = engine.connect()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"copy-{part}")
        self._pending: Future[object] | None = None
        self._closed = False
        try:
            self._txn = self._conn.begin()
            # Ask the kernel to write the part's pages out while the COPY runs, so the fsync
            # at commit has little left to wait for (measured: half the commit time). 2 MB
            # (256 pages of 8 kB) is the most Postgres allows; 0 where it cannot (no
            # sync_file_range).
            self._conn.execute(
                text(
                    "SELECT set_config(name, least(256, max_val::int)::text, true) "
                    "FROM pg_settings WHERE name = 'backend_flush_after'"
                )
            )
            self._conn.execute(
                text(
                    f'CREATE TABLE "{self.table}" (LIKE "{contract.table}", '
                    f'CONSTRAINT "ck_{self.table}_part" '
                    f"CHECK (release_id = {int(release_id)} AND {LOAD_PART} = {int(part)}))"
                )
            )
            # The two columns every row of the part shares are filled by Postgres, not sent
            # and parsed with each row.
            self._conn.execute(
                text(
                    f'ALTER TABLE "{self.table}" '
                    f"ALTER COLUMN release_id SET DEFAULT {int(release_id)}, "
                    f"ALTER COLUMN {LOAD_PART} SET DEFAULT {int(part)}"
                )
            )
        except BaseException:
            self.close()
            raise

    def submit(self, frame: pl.DataFrame) -> None:
        self.wait()
        self._pending = self._pool.submit(copy_frame, self._conn, self.table, frame, freeze=True)

    def submit_records(self, records: CsvRecords, rows: int) -> None:
        """COPY a file's CSV records of ``rows`` rows as they are."""
        self.wait()
        self._pending = self._pool.submit(self._copy_records, records, rows)

    def _copy_records(self, records: CsvRecords, rows: int) -> int:
        try:
            stored = copy_csv(self._conn, self.table, records, freeze=True)
        except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
            raise RecordsNotAsReadError(str(exc)) from exc
        if stored != rows:  # e.g. a line holding only \. ends a COPY
            raise RecordsNotAsReadError(f"{stored} rows stored from records of {rows}")
        return stored

    def index(self) -> None:
        """Build the part's primary key and indexes, in the worker thread."""
        self.wait()
        self._pending = self._pool.submit(self._build_indexes)

    def wait(self) -> object:
        if self._pending is None:
            return None
        pending, self._pending = self._pending, None
        try:
            return pending.result()
        except psycopg.errors.DataError as exc:
            # A value the contract allows but Postgres cannot store (e.g. a NUL byte).
            raise IngestError(
                "copy_failed", f"The warehouse refused a value, so nothing was loaded: {exc}"
            ) from exc

    def _build_indexes(self) -> bool:
        """The part's primary key and indexes, as the dataset table declares them, so that
        attaching the part adopts them instead of building them again. False when the
        primary key finds a key twice."""
        table = DATASET_TABLES[self._contract.name]
        key = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
        self._conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))  # in-memory sorts
        # The streams already build their parts' indexes side by side; parallel workers on
        # top only add their coordination and a merge (measured: 1.4 core-s more for 5 M rows).
        self._conn.execute(text("SET LOCAL max_parallel_maintenance_workers = 0"))
        try:
            self._conn.execute(
                text(
                    f'ALTER TABLE "{self.table}" '
                    f'ADD CONSTRAINT "pk_{self.table}" PRIMARY KEY ({key})'
                )
            )
        except IntegrityError as exc:
            if isinstance(exc.orig, psycopg.errors.UniqueViolation):
                return False
            raise
        for index in table.indexes:
            columns = ", ".join(f'"{c.name}"' for c in index.columns)
            self._conn.execute(text(f'CREATE INDEX ON "{self.table}" ({columns})'))
        return True

    def commit(self) -> None:
        """Commit in the worker thread: committing a part flushes its files to disk, and the
        parts' flushes overlap. :meth:`wait` for it."""
        self.wait()
        self._pending = self._pool.submit(self._txn.commit)

    def close(self) -> None:
        """Roll back unless committed. Work still running (the caller failed meanwhile) is
        cancelled first: never close a connection under a running COPY."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._pending is not None:
                if not self._pending.done():
                    raw = self._conn.connection.driver_connection
                    if isinstance(raw, psycopg.Connection):
                        raw.cancel_safe()
                self._pending.exception()
        finally:
            self._pool.shutdown()
            self._conn.close()


class PartedCopy:
    """The streams of one load, fed batch by batch; see the module's description.

    Rows go to the parts by a hash of their key. With ``by_batch``, a file's CSV records,
    sent as they are, go whole to each stream in turn instead. A repeated key may then sit
    in two parts, where no part's primary key sees it: the keys' hashes are kept and compared
    at :meth:`finish` instead, and any hash seen twice makes the copy count as failed (the
    caller then loads by key, where the primary key decides).
    """

    def __init__(
        self,
        engine: Engine,
        contract: Contract,
        release_id: int,
        streams: int = COPY_STREAMS,
        *,
        by_batch: bool = False,
    ) -> None:
        self._contract, self._release_id = contract, release_id
        self._key_hash = pl.struct(contract.primary_key).hash()
        self._hashes: list[pl.Series] | None = [] if by_batch else None
        # Connections of their own, outside the pool: a load never waits for, nor starves,
        # the connections requests need.
        self._engine = create_engine(engine.url, poolclass=NullPool)
        self._streams: list[_Stream] = []
        self._copying = True
        self._sent_whole = 0
        try:
            for part in range(streams):
                self._streams.append(_Stream(self._engine, contract, release_id, part))
        except BaseException:
            self._close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def submit(self, typed: pl.DataFrame, records: CsvRecords | None = None) -> None:
        """COPY a validated batch; ``records``, the file's CSV records it was read from, when
        Postgres reads from them exactly the validated values (only ``by_batch``)."""
        if not self._copying:
            return
        hashes = typed.select(self._key_hash).to_series()
        if self._hashes is None:
            if records is not None:
                raise ValueError("records are sent whole: only by batch")
            self._submit_by_key(typed, hashes)
            return
        # Every batch must be hashed: nothing else sees keys across parts.
        self._hashes.append(hashes)
        if records is None:
            self._submit_by_key(typed, hashes)  # both streams take part of it: none idles
            return
        stream = self._streams[self._sent_whole % len(self._streams)]
        self._sent_whole += 1
        stream.submit_records(records, typed.height)

    def _submit_by_key(self, typed: pl.DataFrame, hashes: pl.Series) -> None:
        """Each row into the part its key hashes to."""
        part_of_row = hashes % len(self._streams)
        # One filter per part costs less than half of what partition_by's gather does.
        for part, stream in enumerate(self._streams):
            frame = typed.filter(part_of_row == part)
            if frame.height:
                stream.submit(frame)

    def stop(self) -> None:
        """Copy nothing more: the load is refused anyway."""
        self._copying = False
        for stream in self._streams:
            stream.wait()

    def finish(self) -> bool:
        """Build each part's indexes once its last batch is in; True when every batch was
        copied and no key repeats."""
        if not self._copying:
            self.stop()
            return False  # refused anyway: no indexes to build
        self._copying = False
        # The stream that got the last whole batch is likely the last to finish: the others
        # start building meanwhile (measured: a 1 M-row CSV load ~0.15 s shorter).
        first = self._sent_whole % len(self._streams)
        for stream in self._streams[first:] + self._streams[:first]:
            stream.index()  # waits for the stream's last batch first
        unique = self._keys_unique()  # while the indexes build
        built = [stream.wait() for stream in self._streams]
        return all(built) and unique

    def _keys_unique(self) -> bool:
        """Whether no key repeats: with rows sent by batch, whether no key's hash does (a
        repeated hash may be two keys, which the caller then loads by key to tell)."""
        if not self._hashes:  # None by key: each part's primary key sees all rows of its keys
            return True
        hashes = pl.concat(self._hashes)
        self._hashes = []
        return hashes.n_unique() == hashes.len()

    def attach(self, conn: Connection) -> None:
        """Commit the parts and attach them, in ``conn``'s transaction, as the release's
        partition of the dataset table."""
        for stream in self._streams:
            stream.commit()
        for stream in self._streams:
            stream.wait()
        self._close()
        table = self._contract.table
        release = release_partition(table, self._release_id)
        conn.execute(
            text(
                # No CHECK of its own: a partitioned table's CHECK must be on every part too,
                # and the parts' CHECKs already spare the attach a scan of their rows.
                f'CREATE TABLE "{release}" (LIKE "{table}" INCLUDING DEFAULTS) '
                f"PARTITION BY LIST ({LOAD_PART})"
            )
        )
        for stream in self._streams:
            conn.execute(
                text(
                    f'ALTER TABLE "{release}" ATTACH PARTITION "{stream.table}" '
                    f"FOR VALUES IN ({stream.part})"
                )
            )
        conn.execute(
            text(
                f'ALTER TABLE "{table}" ATTACH PARTITION "{release}" '
                f"FOR VALUES IN ({int(self._release_id)})"
            )
        )

    def _close(self) -> None:
        try:
            for stream in self._streams:
                try:
                    stream.close()
                except Exception:  # the others must close all the same
                    _log.warning("could not close COPY stream %s", stream.table, exc_info=True)
        finally:
            self._engine.dispose()


def drop_orphans(conn: Connection, contract: Contract) -> int:
    """Drop the dataset's release partitions and parts that are attached to nothing: what a
    load that failed or died after committing its parts left behind. Call it holding the
    dataset's load lock, so no running load's parts are taken for orphans."""
    orphans = conn.scalars(
        text(
            "SELECT c.relname FROM pg_class c "
            "WHERE c.relnamespace = CAST(current_schema() AS regnamespace) "
            "AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname ~ :pattern"
        ),
        {"pattern": partition_pattern(contract.table)},
    ).all()
    for name in orphans:
        conn.execute(text(f'DROP TABLE "{name}"'))
        _log.info("dropped %s, left unattached by an earlier load", name)
    return len(orphans)


def lock_dataset(conn: Connection, contract: Contract) -> bool:
    """Take the dataset's load lock for ``conn``'s transaction; False when a load holds it."""
    return bool(
        conn.scalar(
            text("SELECT pg_try_advisory_xact_lock(hashtext(:key))"),
            {"key": f"ingest:{contract.name}"},
        )
    )


def drop_left_parts(engine: Engine, contract: Contract) -> int:
    """:func:`drop_orphans` in a transaction of its own; nothing while a load of the dataset
    runs (it holds the lock, and its parts are no orphans)."""
    with engine.begin() as conn:
        return drop_orphans(conn, contract) if lock_dataset(conn, contract) else 0


def drop_all_orphans(engine: Engine) -> int:
    """:func:`drop_left_parts` for every dataset (at start-up)."""
    return sum(drop_left_parts(engine, contract) for contract in all_contracts().values())
