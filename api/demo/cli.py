"""``sepakat demo``: generate demo data and load it through the contracts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from api.demo.generate import generate
from api.demo.load import DemoLoadError, EntryResult, load_folder
from api.demo.manifest import ManifestEntry
from api.demo.scales import SCALES, ScaleName

demo_app = typer.Typer(
    help="Demo data: real published figures plus synthetic microdata on the real regions.",
    no_args_is_help=True,
)
console = Console(stderr=True)
DEMO_SEED = 42  # the seed of the demo a first start loads


def _codes(raw: str | None) -> tuple[str, ...] | None:
    return tuple(c.strip() for c in raw.split(",") if c.strip()) if raw else None


def _years(raw: str | None) -> tuple[int, ...] | None:
    codes = _codes(raw)
    return tuple(int(c) for c in codes) if codes else None


@demo_app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (created if missing).")],
    scale: Annotated[ScaleName, typer.Option(help="tiny, demo, province or national.")] = (
        ScaleName.demo
    ),
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 42,
    province: Annotated[
        str | None, typer.Option(help="Province (Kemendagri code) for --scale province.")
    ] = None,
    dtks_regions: Annotated[
        str | None,
        typer.Option(help="Registry regions: comma-separated province or kab/kota codes."),
    ] = None,
    dtks_releases: Annotated[
        str | None, typer.Option(help="Registry release years, comma-separated.")
    ] = None,
    dtks_persons: Annotated[
        bool | None,
        typer.Option(
            "--dtks-persons/--no-dtks-persons",
            help="Registry persons too (default: yes, except at national scale).",
        ),
    ] = None,
) -> None:
    """Write contract files and a manifest (manifest.json) into OUT."""
    chosen = SCALES[scale].with_options(
        province=province,
        dtks_regions=_codes(dtks_regions),
        dtks_persons=dtks_persons,
        dtks_releases=_years(dtks_releases),
    )
    started = time.perf_counter()
    with console.status("Generating...") as status:
        manifest = generate(out, chosen, seed, status.update)
    rows = sum(e.rows for e in manifest.entries)
    console.print(
        f"[green]Wrote {len(manifest.entries)} files ({rows:,} rows) to {out} in "
        f"{time.perf_counter() - started:.0f} s.[/green]"
    )


def load_with_progress(engine: Engine, folder: Path) -> list[EntryResult]:
    """Load a generated folder with a progress bar per file; exit 1 if a file is refused."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def show(entry: ManifestEntry, rows: int, total: int | None, phase: str) -> None:
            if entry.file not in tasks:
                tasks[entry.file] = bar.add_task(entry.file, total=total or entry.rows)
            bar.update(tasks[entry.file], completed=rows, description=f"{entry.file}: {phase}")

        try:
            return load_folder(engine, folder, show)
        except DemoLoadError as exc:
            console.print(f"[red]Error:[/red] {exc}")
            raise typer.Exit(code=1) from exc


def _demo_folder(data_dir: Path, scale: ScaleName, seed: int) -> Path:
    return data_dir / f"demo-{scale.value}-s{seed}"


LOADED_MARK = ".loaded"  # written once every file of the folder is a release


def demo_pending(
    has_releases: bool, data_dir: Path, scale: ScaleName = ScaleName.demo, seed: int = DEMO_SEED
) -> bool:
    """True on a first start (no release yet) and after a demo load that was interrupted."""
    folder = _demo_folder(data_dir, scale, seed)
    started = (folder / "manifest.json").exists()
    return not has_releases or (started and not (folder / LOADED_MARK).exists())


def first_start(
    engine: Engine, data_dir: Path, scale: ScaleName = ScaleName.demo, seed: int = DEMO_SEED
) -> None:
    """Generate and load the demo data into an empty warehouse (the first start).

    The files stay in ``data_dir``: an interrupted load resumes (files already loaded are
    skipped) and a start after a reset loads them without generating.
    """
    folder = _demo_folder(data_dir, scale, seed)
    if not (folder / "manifest.json").exists():
        started = time.perf_counter()
        with console.status("First start: generating demo data...") as status:
            generate(folder, SCALES[scale], seed, status.update)
        console.print(f"Demo data generated in {time.perf_counter() - started:.0f} s.")
    results = load_with_progress(engine, folder)
    (folder / LOADED_MARK).touch()
    console.print(f"[green]Demo data loaded: {len(results)} releases.[/green]")


@demo_app.command("load")
def load_command(
    folder: Annotated[
        Path,
        typer.Argument(help="A folder written by `demo generate`.", exists=True, file_okay=False),
    ],
) -> None:
    """Load every file of FOLDER as a release, in the manifest's order."""
    # api.cli registers this app, so its helpers are imported when the command runs.
    from api.cli import _database, _prepare

    with _database() as db:
        _prepare(db, load_reference=True)
        results = load_with_progress(db.engine, folder)
    loaded = [r for r in results if r.release_id is not None]
    skipped = len(results) - len(loaded)
    console.print(
        f"[green]Loaded {len(loaded)} releases"
        + (f"; {skipped} file(s) were already loaded" if skipped else "")
        + ".[/green]"
    )
