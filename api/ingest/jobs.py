"""Loads as jobs: progress and report stored in ``ingest_job``, visible while the load runs.

The job row is written in its own short transactions, never in the load's transaction, so
progress shows while the load is still invisible to readers.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, update

from api.db.models import IngestJob
from api.ingest.loader import LoadRequest, LoadResult, Progress, load_file
from api.ingest.report import IngestError, Report, Violation

_log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5


def create_job(engine: Engine, request: LoadRequest, file_name: str, size: int) -> str:
    job_id = secrets.token_hex(8)
    with engine.begin() as conn:
        conn.execute(
            insert(IngestJob).values(
                id=job_id,
                contract=request.contract.name,
                label=request.label,
                file_name=file_name,
                status="queued",
                phase="queued",
                rows_read=0,
                bytes_total=size,
                created_by=request.loaded_by,
            )
        )
    return job_id


def _update(engine: Engine, job_id: str, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(IngestJob).where(IngestJob.id == job_id).values(updated_at=func.now(), **values)
        )


def failure_report(request: LoadRequest, file_name: str, error: IngestError) -> Report:
    return Report(
        contract=request.contract.name,
        file_name=file_name,
        ok=False,
        rows_read=0,
        errors=[
            Violation(rule=error.rule, column=None, message=error.message, count=1, examples=[])
        ],
    )


def run_job(
    engine: Engine, job_id: str, request: LoadRequest, extra_progress: Progress | None = None
) -> LoadResult:
    """Run the load, keeping the job row current. Never raises for a refused file."""
    file_name = request.file_name or request.path.name
    last = 0.0

    def progress(rows: int, total: int | None, phase: str) -> None:
        nonlocal last
        if extra_progress is not None:
            extra_progress(rows, total, phase)
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S or phase != "validating and copying":
            last = now
            _update(
                engine, job_id, rows_read=rows, rows_expected=total, phase=phase, status="running"
            )

    _update(engine, job_id, status="running", phase="reading")
    try:
        result = load_file(engine, request, progress)
    except IngestError as exc:
        report = failure_report(request, file_name, exc)
        _update(
            engine,
            job_id,
            status="failed",
            phase="refused",
            message=exc.message,
            report={**report.model_dump(mode="json"), "status": exc.status},
        )
        return LoadResult(report, None)
    except Exception:
        _log.exception("load %s failed", job_id)
        _update(
            engine,
            job_id,
            status="failed",
            phase="error",
            message="The load failed unexpectedly; nothing was changed.",
        )
        raise
    report = result.report
    _update(
        engine,
        job_id,
        status="succeeded" if report.ok else "failed",
        phase="done" if report.ok else "rejected",
        rows_read=report.rows_read,
        rows_expected=report.rows_read,  # the file was read to its end
        release_id=result.release_id,
        message=None if report.ok else f"{len(report.errors)} rule(s) broken; nothing loaded.",
        report=report.model_dump(mode="json"),
    )
    return result


def mark_interrupted(engine: Engine) -> int:
    """Jobs left running by a stopped process: their transaction died with it."""
    with engine.begin() as conn:
        result = conn.execute(
            update(IngestJob)
            .where(IngestJob.status.in_(("queued", "running")))
            .values(
                status="failed",
                phase="interrupted",
                updated_at=func.now(),
                message="The server stopped during this load; nothing was loaded.",
            )
        )
    return result.rowcount


class JobRunner:
    """Runs loads in background threads, one process-wide pool."""

    def __init__(self, engine: Engine, workers: int = 2) -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest")

    def submit(
        self, job_id: str, request: LoadRequest, cleanup: Callable[[], None] | None = None
    ) -> Future[LoadResult]:
        def work() -> LoadResult:
            try:
                return run_job(self.engine, job_id, request)
            finally:
                if cleanup is not None:
                    cleanup()

        return self._pool.submit(work)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)
