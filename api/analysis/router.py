"""/measures: poverty, inequality, the profile of the poor and catalogue indicators, computed
from Susenas releases on request, with standard errors and the reliability flag."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, TypeAdapter

from api.analysis import places
from api.analysis.memo import Memo
from api.analysis.places import MeasureLevel
from api.analysis.schemas import (
    Answer,
    IndicatorAnswer,
    IndicatorRow,
    PovertyAnswer,
    PovertyRow,
    ProfileAnswer,
    ProfileRow,
)
from api.analysis.sources import (
    Breakdown,
    Need,
    SourceIds,
    Survey,
    source_ids,
    survey,
)
from api.db.session import SessionDep
from api.errors import error_responses
from api.ingest.schemas import ReleaseInfo
from api.measures import LonelyPsu, indicator_estimates, load_catalogue, poverty_measures
from api.measures.catalogue import Catalogue, Indicator, Unit
from api.measures.flatten import flatten_lists
from api.measures.profile import poverty_profile
from api.regions.codes import CODE_PATTERN, CodeSystem
from api.tabular import TableFormat, download_responses, file_response

router = APIRouter(prefix="/measures", tags=["measures"])

MAX_ID = 2**63 - 1  # release ids are Postgres bigints

ReleaseQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_ID,
        description="Susenas household release id; the active release when absent.",
    ),
]
LinesReleaseQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_ID,
        description="poverty_line release for households without their own line; the active "
        "one when absent.",
    ),
]
LevelQuery = Annotated[MeasureLevel, Query(description="Regions to compute: their level.")]
ParentQuery = Annotated[
    str | None,
    Query(pattern=CODE_PATTERN, description="Only regions under this one (any code system)."),
]
RegionsQuery = Annotated[
    list[str] | None,
    Query(description="Only these regions (repeat the parameter; any code system)."),
]
ByQuery = Annotated[
    list[Breakdown] | None,
    Query(
        max_length=4,
        description="Breakdowns (repeat): urban, head_sex, head_education, head_work_sector, "
        "hh_size_band, quintile, decile (within each region), national_quintile, "
        "national_decile, or another household column.",
    ),
]
LonelyQuery = Annotated[
    LonelyPsu,
    Query(
        description="A stratum with a single PSU: `fail` (an error naming it), `certainty` "
        "(it adds no variance) or `adjust` (its PSU is centred on the grand mean)."
    ),
]
SystemQuery = Annotated[
    CodeSystem | None, Query(description="How to read bare digits in parent/region.")
]
FormatQuery = Annotated[TableFormat, Query(description="json, or a csv/xlsx/parquet file.")]

NOTES = [
    "Rates (p0, p1, p2, near_poor, very_poor, extreme_poor, shares, indicator values) are "
    "fractions: multiply by 100 for percent (BPS publishes P0 in %, P1 and P2 × 100).",
    "n_poor, pop and counts are persons (or households for household indicators).",
    "mean_exp, poverty_line and decile cuts are Rp per capita per month.",
    "Deciles and quintiles are computed within each region of the answer.",
    "unreliable = relative standard error above 25% (BPS rule).",
]


@dataclass(frozen=True)
class _Computed:
    frame: pl.DataFrame  # flat, labelled rows for the files
    items: bytes  # the rows as a JSON array, serialised once
    release_ids: tuple[int, ...]  # the releases the rows come from


_answers: Memo[_Computed] = Memo(size=256)


@dataclass(frozen=True)
class _Query:
    level: MeasureLevel
    codes: tuple[str, ...] | None  # BPS codes; None for every region of the level
    by: tuple[str, ...]
    lonely_psu: LonelyPsu

    def domains(self) -> dict[str, Any]:
        """The engine's arguments that choose the domains."""
        return {
            "levels": [self.level.value],
            "breakdowns": self.by,
            "regions": self.codes,
            "lonely_psu": self.lonely_psu,
        }


@dataclass(frozen=True)
class _Domains:
    """The regions, breakdowns and variance policy every measures endpoint takes, as asked."""

    level: LevelQuery = MeasureLevel.national
    parent: ParentQuery = None
    region: RegionsQuery = None
    by: ByQuery = None
    lonely_psu: LonelyQuery = LonelyPsu.fail
    system: SystemQuery = None

    def query(self, session: SessionDep) -> _Query:
        """Resolved after the releases, so a missing release is the first thing said."""
        codes = places.scope(session, self.level, self.parent, self.region or [], self.system)
        by = tuple(b.value for b in self.by or ())
        return _Query(self.level, codes, by, self.lonely_psu)


DomainsDep = Annotated[_Domains, Depends()]


Compute = Callable[[Survey, _Query], pl.DataFrame]


def _respond(
    session: SessionDep,
    need: Need,
    ids: SourceIds,
    infos: dict[int, ReleaseInfo],
    query: _Query,
    key: Hashable,
    compute: Compute,
    row_model: type[BaseModel],
    fmt: TableFormat,
    stem: str,
) -> Response:
    """The answer for ``key`` (computed once per releases and query), as JSON or a file."""

    def build() -> _Computed:
        data = survey(session, need, ids)
        labelled = _ordered(places.label(session, compute(data, query)))
        rows = [_row(r, query.by) for r in labelled.to_dicts()]
        adapter: TypeAdapter[list[BaseModel]] = TypeAdapter(list[row_model])  # type: ignore[valid-type]
        return _Computed(
            labelled, adapter.dump_json(adapter.validate_python(rows)), data.release_ids
        )

    computed = _answers.get((key, ids, query), build)
    if fmt is not TableFormat.json:
        frame = computed.frame if fmt is TableFormat.parquet else flatten_lists(computed.frame)
        return file_response(frame, fmt, stem, frame.height)
    # The envelope is fresh on every request: a release's status may have changed since.
    envelope = Answer(
        releases=[infos[i] for i in computed.release_ids],
        level=query.level.value,
        breakdowns=list(query.by),
        lonely_psu=query.lonely_psu.value,
        notes=NOTES,
    ).model_dump_json()
    body = envelope[:-1].encode() + b',"items":' + computed.items + b"}"
    return Response(body, media_type="application/json")


def _row(row: dict[str, object], by: tuple[str, ...]) -> dict[str, object]:
    row["breakdown"] = {b: row.pop(b) for b in by}
    return row


def _ordered(frame: pl.DataFrame) -> pl.DataFrame:
    first = ["level", "region_code", "bps_code", "region_name"]
    return frame.select(*first, *(c for c in frame.columns if c not in first))


_ERRORS = error_responses(404, 422)


@router.get(
    "/poverty",
    response_model=PovertyAnswer,
    summary="Poverty and inequality measures with standard errors",
    description="P0, P1, P2, Watts and the number of poor with SE, 95% CI, RSE and the "
    "reliability flag; population, mean expenditure, near/very/extreme poor, Gini, decile and "
    "quintile cuts and shares, share of the bottom 40%, and the sample counts; for every region "
    "of a level (optionally under a parent or a list), crossed with breakdowns. Computed on "
    "request from the household records of a Susenas release (MEASURES.md).",
    responses={**_ERRORS, **download_responses("The rows as a file (lists as columns).")},
)
def poverty(
    session: SessionDep,
    domains: DomainsDep,
    release: ReleaseQuery = None,
    poverty_line_release: LinesReleaseQuery = None,
    format: FormatQuery = TableFormat.json,
) -> Response:
    ids, infos = source_ids(session, Need.poverty, release, poverty_line_release)
    query = domains.query(session)

    def compute(data: Survey, q: _Query) -> pl.DataFrame:
        return poverty_measures(
            data.sample,
            **q.domains(),
        )

    return _respond(
        session,
        Need.poverty,
        ids,
        infos,
        query,
        "poverty",
        compute,
        PovertyRow,
        format,
        f"poverty_{query.level.value}",
    )


@router.get(
    "/poverty-profile",
    response_model=ProfileAnswer,
    summary="Profile of the poor by a household characteristic",
    description="For each region: the number of very poor, poor, near-poor and non-poor people "
    "by a household characteristic (sector of the head's work, head's education, sex of the "
    "head, household size band, urban/rural...), their share of the band (where the poor are) "
    "and the band's share among people with that value (how poor they are), with SEs.",
    responses={**_ERRORS, **download_responses("The rows as a file.")},
)
def poverty_profile_answer(
    session: SessionDep,
    domains: DomainsDep,
    characteristic: Annotated[
        Breakdown,
        Query(description="head_work_sector, head_education, head_sex, hh_size_band, urban..."),
    ],
    release: ReleaseQuery = None,
    poverty_line_release: LinesReleaseQuery = None,
    format: FormatQuery = TableFormat.json,
) -> Response:
    ids, infos = source_ids(session, Need.poverty, release, poverty_line_release)
    query = domains.query(session)

    def compute(data: Survey, q: _Query) -> pl.DataFrame:
        frame = poverty_profile(
            data.sample,
            characteristic.value,
            **q.domains(),
        )
        return frame.rename({characteristic.value: "value"}).with_columns(
            pl.lit(characteristic.value).alias("characteristic"),
            pl.col("value").cast(pl.String),
            pl.col("band").cast(pl.String),
        )

    return _respond(
        session,
        Need.poverty,
        ids,
        infos,
        query,
        ("profile", characteristic.value),
        compute,
        ProfileRow,
        format,
        f"poverty_profile_{characteristic.value}",
    )


@router.get(
    "/catalogue",
    response_model=Catalogue,
    summary="The microdata indicator catalogue",
    description="Every indicator the engine computes from Susenas: dataset, unit, numerator "
    "and denominator conditions, breakdowns, polarity, names in Indonesian and English.",
)
def catalogue() -> Catalogue:
    return load_catalogue()


@router.get(
    "/catalogue/{code}",
    response_model=Indicator,
    summary="One indicator of the catalogue",
    responses=error_responses(404),
)
def catalogue_entry(code: Annotated[str, Path(max_length=63)]) -> Indicator:
    return load_catalogue().get(code)


@router.get(
    "/indicators/{code}",
    response_model=IndicatorAnswer,
    summary="A catalogue indicator computed from Susenas, with standard errors",
    description="The share of households or persons meeting the indicator's condition among "
    "its population, with SE, 95% CI, RSE and the reliability flag, for every region of a "
    "level crossed with the breakdowns the indicator offers (e.g. quintile).",
    responses={**_ERRORS, **download_responses("The rows as a file.")},
)
def indicator(
    session: SessionDep,
    domains: DomainsDep,
    code: Annotated[str, Path(max_length=63, description="Indicator code (see /catalogue).")],
    release: ReleaseQuery = None,
    person_release: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_ID,
            description="Susenas person release for person indicators; the active one.",
        ),
    ] = None,
    format: FormatQuery = TableFormat.json,
) -> Response:
    entry = load_catalogue().get(code)
    with_persons = entry.unit is Unit.person
    ids, infos = source_ids(
        session,
        Need.indicators,
        release,
        persons_release=person_release,
        with_persons=with_persons,
    )
    query = domains.query(session)

    def compute(data: Survey, q: _Query) -> pl.DataFrame:
        return indicator_estimates(
            entry,
            data.sample,
            data.persons,
            **q.domains(),
        )

    return _respond(
        session,
        Need.indicators,
        ids,
        infos,
        query,
        ("indicator", code),
        compute,
        IndicatorRow,
        format,
        f"indicator_{code}",
    )
