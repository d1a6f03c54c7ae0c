"""Load a generated folder through the one ingestion pipeline, release by release."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from api.demo.manifest import Manifest, ManifestEntry
from api.ingest.contracts import all_contracts
from api.ingest.loader import LoadRequest, load_file
from api.ingest.report import IngestError, Report

LOADED_BY = "sepakat demo"

# (entry, rows done, rows expected, phase)
EntryProgress = Callable[[ManifestEntry, int, int | None, str], None]


@dataclass(frozen=True)
class EntryResult:
    entry: ManifestEntry
    release_id: int | None  # None: already loaded (same file), nothing done
    report: Report | None


class DemoLoadError(Exception):
    """A generated file was refused by its contract: the generator has a bug."""

    def __init__(self, entry: ManifestEntry, report: Report) -> None:
        rules = "; ".join(f"{v.rule} {v.column}: {v.count}" for v in report.errors[:5])
        super().__init__(f"{entry.file} refused by {entry.contract}: {rules}")
        self.entry = entry
        self.report = report


def _silent(entry: ManifestEntry, rows: int, total: int | None, phase: str) -> None:
    del entry, rows, total, phase


def load_folder(
    engine: Engine, folder: Path, progress: EntryProgress = _silent
) -> list[EntryResult]:
    """Load every file of the manifest in its order as a new active release.

    A file that is already a release (same bytes) is skipped, so loading a folder twice is
    harmless. A refused file stops the load with :class:`DemoLoadError`; the releases loaded
    before it stay.
    """
    manifest = Manifest.read(folder)
    contracts = all_contracts()
    results: list[EntryResult] = []
    for entry in manifest.entries:
        request = LoadRequest(
            contract=contracts[entry.contract],
            path=folder / entry.file,
            label=entry.release,
            loaded_by=LOADED_BY,
        )

        def show(rows: int, total: int | None, phase: str, entry: ManifestEntry = entry) -> None:
            progress(entry, rows, total, phase)

        try:
            result = load_file(engine, request, show)
        except IngestError as exc:
            if exc.rule != "duplicate_file":
                raise
            results.append(EntryResult(entry, None, None))
            continue
        if result.release_id is None:
            raise DemoLoadError(entry, result.report)
        results.append(EntryResult(entry, result.release_id, result.report))
    return results
