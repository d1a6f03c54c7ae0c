"""Region logic: resolving codes of both systems, search, details and code history."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.db.models import Region
from api.errors import NotFoundError
from api.regions import repository
from api.regions.codes import (
    NATIONAL_CODE,
    CodeSystem,
    RegionCodeRef,
    ancestor_codes,
    dot_kemendagri,
    length_hint,
    parse_code,
)
from api.regions.levels import Level
from api.regions.names import fold, kind_hint, strip_prefix
from api.regions.schemas import (
    ChildCounts,
    CodeChange,
    Population,
    RegionDetail,
    RegionHistory,
    RegionSummary,
    VintageName,
)

SUGGESTIONS = 5
POPULATION_YEAR = 2025
POPULATION_SOURCE = (
    "Kemendagri (Dukcapil), lampiran Kepmendagri 300.2.2-2138 Tahun 2025 via cahyadsn/wilayah"
)


class RegionNotFoundError(NotFoundError):
    code = "region_not_found"


def resolve(session: Session, raw: str, system: CodeSystem | None = None) -> Region:
    """The current region for a code of either system, or a 404 with close matches."""
    ref = parse_code(raw, system)
    region = _lookup(session, ref)
    if region is None:
        raise _not_found(session, raw, ref)
    return region


def _lookup(session: Session, ref: RegionCodeRef) -> Region | None:
    if ref.system is CodeSystem.bps:
        return repository.get_by_bps(session, ref.code)
    return repository.get(session, ref.code)


def _not_found(session: Session, raw: str, ref: RegionCodeRef) -> RegionNotFoundError:
    details: dict[str, Any] = {"code": raw, "system": ref.system.value}
    hint = length_hint(ref)
    if hint is not None:
        details["hint"] = hint
    if ref.system is CodeSystem.bps:
        suggestions = _near_bps(session, ref.code)
        other = repository.get(session, dot_kemendagri(ref.code))
        if other is not None and hint is None:
            details["hint"] = (
                f"Bare digits are read as BPS codes; Kemendagri {other.code} ({other.name}) "
                "exists: use the dotted code or system=kemendagri."
            )
    elif "." not in ref.code:
        suggestions = []
    else:
        suggestions = _near_kemendagri(session, ref.code)
        if repository.vintages_of(session, ref.code):
            details["hint"] = (
                f"{ref.code} is a former code: GET /api/v1/regions/{ref.code}/history "
                "shows its successors."
            )
    details["suggestions"] = [
        RegionSummary.model_validate(r).model_dump(mode="json") for r in suggestions
    ]
    names = ", ".join(f"{r.code} {r.name}" for r in suggestions[:3])
    message = f"No region has {ref.system.value.upper()} code '{raw}'."
    if names:
        message += f" Close matches: {names}."
    return RegionNotFoundError(message, **details)


def _nearest(candidates: list[str], target: str) -> list[str]:
    def distance(code: str) -> int:
        a, b = code.replace(".", ""), target.replace(".", "")
        return abs(int(a) - int(b)) if len(a) == len(b) else 10**12

    return sorted(candidates, key=lambda c: (distance(c), c))[:SUGGESTIONS]


def _near_kemendagri(session: Session, code: str) -> list[Region]:
    """Children of the deepest ancestor that exists, nearest to the code asked for."""
    existing = [a for a in ancestor_codes(code) if a == NATIONAL_CODE or repository.get(session, a)]
    anchor = existing[-1] if existing else NATIONAL_CODE
    depth = 1 if anchor == NATIONAL_CODE else anchor.count(".") + 2
    prefix = "" if anchor == NATIONAL_CODE else anchor + "."
    target = ".".join(code.split(".")[:depth])
    return _ordered(session, _nearest(repository.codes_at_depth(session, prefix, depth), target))


def _near_bps(session: Session, code: str) -> list[Region]:
    candidates = repository.bps_codes_like(session, code)
    if not candidates:
        candidates = repository.bps_codes_like(session, code[:2]) or []
        code = code[:2]
    nearest = _nearest(candidates, code)
    regions = [repository.get_by_bps(session, c) for c in nearest]
    return [r for r in regions if r is not None]


def _ordered(session: Session, codes: list[str]) -> list[Region]:
    by_code = {r.code: r for r in repository.get_many(session, codes)}
    return [by_code[c] for c in codes if c in by_code]


def search_filter(
    q: str | None, level: Level | None, parent_code: str | None
) -> repository.RegionFilter:
    """Turn a user's query into a filter: accents, case and "Kabupaten"/"Kota" ignored."""
    if q is None or not fold(q):
        return repository.RegionFilter(level=level, parent_code=parent_code)
    folded = fold(q)
    stripped = strip_prefix(folded)
    hint = kind_hint(q)
    tsquery = " & ".join(f"{token}:*" for token in stripped.split())
    return repository.RegionFilter(
        level=level,
        parent_code=parent_code,
        tsquery=tsquery,
        exact_name=stripped,
        kind_hint=hint,
        kind_only=hint is not None and stripped == folded,
    )


def detail(session: Session, region: Region) -> RegionDetail:
    ancestors = _ordered(session, ancestor_codes(region.code))
    population = (
        Population(
            total=region.population,
            male=region.population_male,
            female=region.population_female,
            year=POPULATION_YEAR,
            source=POPULATION_SOURCE,
        )
        if region.population is not None
        else None
    )
    return RegionDetail(
        **RegionSummary.model_validate(region).model_dump(),
        ancestors=[RegionSummary.model_validate(a) for a in ancestors],
        child_counts=ChildCounts(
            children=region.children_count,
            regencies=region.regency_count,
            districts=region.district_count,
            villages=region.village_count,
        ),
        population=population,
        area_km2=region.area_km2,
    )


def history(session: Session, raw: str, system: CodeSystem | None) -> RegionHistory:
    """Every edition a code stood in, and where its area came from and went."""
    ref = parse_code(raw, system)
    code = resolve(session, raw, system).code if ref.system is CodeSystem.bps else ref.code
    vintages = repository.vintages_of(session, code)
    current = repository.get(session, code)
    if not vintages and current is None:
        raise _not_found(session, raw, ref)
    return RegionHistory(
        code=code,
        current=RegionSummary.model_validate(current) if current is not None else None,
        vintages=[
            VintageName(
                vintage=cv.vintage,
                valid_from=cv.valid_from,
                valid_to=cv.valid_to,
                name=rc.name,
                level=Level(rc.level),
            )
            for rc, cv in vintages
        ],
        successors=_changes(session, code, "from"),
        predecessors=_changes(session, code, "to"),
    )


def _changes(session: Session, code: str, direction: str) -> list[CodeChange]:
    return [
        CodeChange(
            from_vintage=row.from_vintage,
            from_code=row.from_code,
            from_name=old_name or row.from_code,
            to_vintage=row.to_vintage,
            to_code=row.to_code,
            to_name=new_name,
            level=Level(row.level),
            share=row.share,
            kind=row.kind,
        )
        for row, old_name, new_name in repository.code_changes(session, code, direction=direction)
    ]
