"""How much to generate: the named scales of ``sepakat demo generate``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

REAL_SUSENAS_HOUSEHOLDS = 345_000  # March Susenas sample, nationally, a year


class ScaleName(StrEnum):
    tiny = "tiny"
    demo = "demo"
    province = "province"
    national = "national"


@dataclass(frozen=True)
class Scale:
    name: ScaleName
    provinces: tuple[str, ...] | None  # Kemendagri codes of the frame; None = every region
    susenas_years: tuple[int, ...]
    susenas_households: int  # a year, for the whole country (scaled down to the frame)
    sakernas_per_kab: int
    podes_years: tuple[int, ...]
    pdrb_years: tuple[int, ...]
    apbd_years: tuple[int, ...]
    apbd_lines_per_kab: int
    dtks_regions: tuple[str, ...] | None  # code prefixes (province or kab/kota); None = all
    dtks_releases: tuple[int, ...]
    dtks_persons: bool

    def with_options(
        self,
        *,
        province: str | None = None,
        dtks_regions: tuple[str, ...] | None = None,
        dtks_persons: bool | None = None,
        dtks_releases: tuple[int, ...] | None = None,
    ) -> Scale:
        changed = self
        if province is not None:
            changed = replace(changed, provinces=(province,), dtks_regions=(province,))
        if dtks_regions is not None:
            changed = replace(changed, dtks_regions=dtks_regions)
        if dtks_persons is not None:
            changed = replace(changed, dtks_persons=dtks_persons)
        if dtks_releases is not None:
            changed = replace(changed, dtks_releases=dtks_releases)
        return changed


YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
RELEASES = (2021, 2022, 2023, 2024)

_DEMO = Scale(
    name=ScaleName.demo,
    provinces=None,
    susenas_years=YEARS,
    susenas_households=REAL_SUSENAS_HOUSEHOLDS,
    sakernas_per_kab=400,
    podes_years=(2021, 2024),
    pdrb_years=YEARS,
    apbd_years=(2023, 2024),
    apbd_lines_per_kab=40,
    dtks_regions=("75", "65", "92"),
    dtks_releases=RELEASES,
    dtks_persons=True,
)

SCALES: dict[ScaleName, Scale] = {
    # For tests: two provinces, a small Susenas sample, the registry of one city.
    ScaleName.tiny: Scale(
        name=ScaleName.tiny,
        provinces=("34", "75"),
        susenas_years=(2020, 2021),
        susenas_households=150_000,
        sakernas_per_kab=60,
        podes_years=(2021,),
        pdrb_years=(2021, 2022),
        apbd_years=(2024,),
        apbd_lines_per_kab=10,
        dtks_regions=("75.71",),
        dtks_releases=(2021, 2022),
        dtks_persons=True,
    ),
    # First start: every region, Susenas at real size, the registry of three small provinces
    # (Gorontalo, Kalimantan Utara, Papua Barat).
    ScaleName.demo: _DEMO,
    # One province in full (DI Yogyakarta unless --province says otherwise).
    ScaleName.province: replace(
        _DEMO, name=ScaleName.province, provinces=("34",), dtks_regions=("34",)
    ),
    # Benchmarks: the registry of the whole country at real size (latest release only unless
    # --dtks-releases asks for more; persons only with --dtks-persons).
    ScaleName.national: replace(
        _DEMO,
        name=ScaleName.national,
        susenas_years=(2024,),
        podes_years=(2024,),
        apbd_years=(2024,),
        dtks_regions=None,
        dtks_releases=(2024,),
        dtks_persons=False,
    ),
}
