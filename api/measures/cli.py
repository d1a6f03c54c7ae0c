"""``sepakat measures``: the engine on a file, without a server or a database.

The rows are those the API returns for the same data: the same functions compute them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console

from api.errors import ApiError
from api.measures.catalogue import load_catalogue
from api.measures.domains import LEVEL_ALIASES, LEVEL_COLUMN
from api.measures.flatten import flatten_lists
from api.measures.frames import CODE_COLUMNS
from api.measures.indicators import indicator_estimates
from api.measures.poverty import poverty_measures
from api.measures.profile import CHARACTERISTICS, poverty_profile
from api.measures.variance import LonelyPsu
from api.regions.levels import Level

measures_app = typer.Typer(
    help="Poverty, inequality and indicator figures from a Susenas file (no server needed).",
    no_args_is_help=True,
)
console = Console(stderr=True)


class OutputFormat(StrEnum):
    json = "json"
    csv = "csv"


FileArg = Annotated[
    Path,
    typer.Argument(
        help="susenas_household file (CSV or Parquet) with the canonical column names.",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]
ByOption = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        metavar="COLUMN",
        help=(
            "Repeatable. prov_code or kab_code: rows for the nation and every region down to "
            "that level; anything else (urban, head_sex, quintile, decile, hh_size_band...) "
            "splits every row."
        ),
    ),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="json or csv.")]
LonelyOption = Annotated[
    LonelyPsu,
    typer.Option(
        "--lonely-psu",
        help="Single-PSU strata: fail (default), certainty (no variance) or adjust "
        "(centred at the grand mean).",
    ),
]
LinesOption = Annotated[
    Path | None,
    typer.Option(
        "--poverty-lines",
        help="poverty_line file (kab_code, urban[, year], poverty_line[, extreme_poverty_line]) "
        "for households without a poverty_line value.",
        exists=True,
        dir_okay=False,
    ),
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write; stdout if omitted.")
]


def read_table(path: Path) -> pl.DataFrame:
    """A CSV or Parquet file, with code columns kept as text (PSU "007" stays "007")."""
    if path.suffix.lower() == ".parquet":
        frame = pl.read_parquet(path)
        return frame.with_columns(
            pl.col(c).cast(pl.String) for c in CODE_COLUMNS if c in frame.columns
        )
    header = pl.read_csv(path, n_rows=0).columns
    return pl.read_csv(
        path,
        schema_overrides={c: pl.String for c in CODE_COLUMNS if c in header},
        infer_schema_length=10_000,
    )


def split_by(by: list[str] | None) -> tuple[list[Level], list[str]]:
    """``--by`` values as (levels from national down to the deepest region asked, breakdowns)."""
    regions = [LEVEL_ALIASES[b] for b in by or [] if b in LEVEL_ALIASES]
    breakdowns = [b for b in by or [] if b not in LEVEL_ALIASES]
    order = list(LEVEL_COLUMN)
    deepest = max((order.index(level) for level in regions), default=0)
    return order[: deepest + 1], breakdowns


def _domains(by: list[str] | None, lonely_psu: LonelyPsu) -> dict[str, Any]:
    """The engine's domain arguments from ``--by`` and ``--lonely-psu``."""
    levels, breakdowns = split_by(by)
    return {"levels": levels, "breakdowns": breakdowns, "lonely_psu": lonely_psu}


def _lines(poverty_lines: Path | None) -> dict[str, Any]:
    """The engine's ``poverty_lines`` argument from ``--poverty-lines``."""
    return {"poverty_lines": read_table(poverty_lines) if poverty_lines else None}


def _emit(frame: pl.DataFrame, fmt: OutputFormat, output: Path | None) -> None:
    text = flatten_lists(frame).write_csv() if fmt is OutputFormat.csv else frame.write_json()
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"Wrote {frame.height:,} rows to {output}")


def _fail(exc: Exception) -> typer.Exit:
    message = exc.message if isinstance(exc, ApiError) else str(exc)
    console.print(f"[red]Error:[/red] {message}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


_READ_ERRORS = (pl.exceptions.PolarsError, OSError)


def _answer(compute: Callable[[], pl.DataFrame], fmt: OutputFormat, output: Path | None) -> None:
    """Compute and print or write the rows; a bad file or input exits 2 with the message."""
    try:
        frame = compute()
    except (ApiError, *_READ_ERRORS) as exc:
        raise _fail(exc) from exc
    _emit(frame, fmt, output)


@measures_app.command("poverty")
def poverty(
    file: FileArg,
    by: ByOption = None,
    fmt: FormatOption = OutputFormat.json,
    lonely_psu: LonelyOption = LonelyPsu.fail,
    poverty_lines: LinesOption = None,
    output: OutputOption = None,
) -> None:
    """P0, P1, P2, Watts, number of poor with SE/CI/RSE/flag; Gini, deciles; one row per domain."""
    _answer(
        lambda: poverty_measures(
            read_table(file), **_domains(by, lonely_psu), **_lines(poverty_lines)
        ),
        fmt,
        output,
    )


@measures_app.command("profile")
def profile(
    file: FileArg,
    characteristic: Annotated[
        str,
        typer.Option(help=f"Household characteristic: {', '.join(CHARACTERISTICS)}, ..."),
    ],
    by: ByOption = None,
    fmt: FormatOption = OutputFormat.json,
    lonely_psu: LonelyOption = LonelyPsu.fail,
    poverty_lines: LinesOption = None,
    output: OutputOption = None,
) -> None:
    """People by welfare band (very poor, poor, near poor, non-poor) and a characteristic."""
    _answer(
        lambda: poverty_profile(
            read_table(file),
            characteristic,
            **_domains(by, lonely_psu),
            **_lines(poverty_lines),
        ),
        fmt,
        output,
    )


@measures_app.command("indicator")
def indicator(
    code: Annotated[str, typer.Argument(help="Catalogue code, e.g. hh_improved_water.")],
    file: FileArg,
    persons: Annotated[
        Path | None,
        typer.Option(
            "--persons",
            help="susenas_person file, for indicators of the person file.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    by: ByOption = None,
    fmt: FormatOption = OutputFormat.json,
    lonely_psu: LonelyOption = LonelyPsu.fail,
    output: OutputOption = None,
) -> None:
    """One catalogue indicator (a weighted share) with SE/CI/RSE/flag; one row per domain."""
    _answer(
        lambda: indicator_estimates(
            load_catalogue().get(code),
            read_table(file),
            read_table(persons) if persons else None,
            **_domains(by, lonely_psu),
        ),
        fmt,
        output,
    )


@measures_app.command("catalogue")
def catalogue(fmt: FormatOption = OutputFormat.json) -> None:
    """The indicator catalogue: code, theme, dataset, unit, polarity, names, breakdowns."""
    entries = [
        {
            "code": i.code,
            "theme": i.theme.value,
            "dataset": i.dataset.value,
            "unit": i.unit.value,
            "polarity": i.polarity.value,
            "name_id": i.name.id,
            "name_en": i.name.en,
            "breakdowns": ",".join(i.breakdowns),
        }
        for i in load_catalogue().indicators
    ]
    _emit(pl.DataFrame(entries), fmt, None)
