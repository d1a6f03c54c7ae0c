"""Write a folder of contract files and its manifest for one scale and seed.

Files are CSV, written in a fixed order with sorted rows, so the same seed gives the same
bytes. The registry (the only part that reaches tens of millions of rows) is generated and
appended one kab/kota at a time, so memory stays flat whatever the scale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

import polars as pl

from api.demo import apbd, dtks, pdrb, podes, published, sakernas, susenas, targets
from api.demo.calibration import CROSS_SECTION_YEAR, p0_targets
from api.demo.frame import RegionFrame, build_frame
from api.demo.manifest import Manifest, ManifestEntry
from api.demo.poverty_lines import LINE_YEAR, kab_lines, poverty_line_file
from api.demo.rng import Draws
from api.demo.scales import Scale

GENERATOR_VERSION = 1
Say = Callable[[str], None]


def _quiet(message: str) -> None:
    del message


class _Writer:
    """Writes files into the output folder and records them in the manifest, in order."""

    def __init__(self, out: Path, seed: int) -> None:
        self.out = out
        self.seed = seed
        self.entries: list[ManifestEntry] = []

    def label(self, what: str) -> str:
        return f"{what} (demo, seed {self.seed})"

    def write(
        self, contract: str, name: str, release: str, frame: pl.DataFrame, origin: str
    ) -> None:
        frame.write_csv(self.out / name)
        self.add(contract, name, release, frame.height, origin)

    def add(self, contract: str, name: str, release: str, rows: int, origin: str) -> None:
        self.entries.append(
            ManifestEntry(contract=contract, release=release, file=name, rows=rows, origin=origin)
        )


def generate(out: Path, scale: Scale, seed: int, say: Say = _quiet) -> Manifest:
    out.mkdir(parents=True, exist_ok=True)
    draws = Draws(seed)
    say("building the region frame")
    country = build_frame(draws)
    frame = country.restrict(list(scale.provinces) if scale.provinces else None)
    writer = _Writer(out, seed)
    years = sorted({*scale.susenas_years, CROSS_SECTION_YEAR})
    targets_p0 = p0_targets(frame, years)
    lines = kab_lines(frame, sorted({*years, LINE_YEAR}))

    say("published figures")
    writer.write(
        "indicator_values",
        "indicator_values.csv",
        "Angka terbitan BPS dan Kemendagri (data/published)",
        published.indicator_values(),
        "published",
    )
    writer.write(
        "poverty_line",
        "poverty_line.csv",
        writer.label("Garis kemiskinan 2025 terbitan + tahun lain sintetis"),
        poverty_line_file(lines),
        "mixed",
    )
    writer.write(
        "targets",
        "targets.csv",
        writer.label("Target RPJMN + RPJMD sintetis"),
        targets.targets_file(frame),
        "mixed",
    )

    design = susenas.SusenasDesign.national(country, scale.susenas_households)
    for year in scale.susenas_years:
        say(f"Susenas {year}")
        strata = susenas.strata(frame, year, targets_p0, lines, design)
        homes = susenas.households(draws, strata, year, design)
        label = writer.label(f"Susenas Maret {year}")
        writer.write(
            "susenas_household",
            f"susenas_household_{year}.csv",
            label,
            homes.select(susenas.HOUSEHOLD_COLUMNS),
            "synthetic",
        )
        writer.write(
            "susenas_person",
            f"susenas_person_{year}.csv",
            label,
            susenas.persons(draws, homes),
            "synthetic",
        )

    rates = sakernas.kab_rates(frame)
    for year in scale.susenas_years:
        say(f"Sakernas {year}")
        writer.write(
            "sakernas_person",
            f"sakernas_person_{year}.csv",
            writer.label(f"Sakernas Agustus {year}"),
            sakernas.persons(draws, frame, rates, year, scale.sakernas_per_kab),
            "synthetic",
        )

    kab_p0 = targets_p0.filter(pl.col("year") == CROSS_SECTION_YEAR).select("kab_code", "p0")
    facts = podes.desa_facts(frame.desa, kab_p0)
    for year in scale.podes_years:
        say(f"Podes {year}")
        writer.write(
            "podes_village",
            f"podes_village_{year}.csv",
            writer.label(f"Podes {year}"),
            podes.podes_file(draws, facts, year),
            "synthetic",
        )

    say("PDRB and APBD")
    writer.write(
        "pdrb",
        "pdrb.csv",
        writer.label("PDRB kabupaten/kota"),
        pdrb.pdrb_file(draws, frame, list(scale.pdrb_years)),
        "synthetic",
    )
    writer.write(
        "apbd_line",
        "apbd_line.csv",
        writer.label("APBD kabupaten/kota"),
        apbd.apbd_file(draws, frame, list(scale.apbd_years), scale.apbd_lines_per_kab),
        "synthetic",
    )

    _registry(draws, frame, facts, scale, writer, say)
    manifest = Manifest(
        scale=scale.name.value,
        seed=seed,
        generator_version=GENERATOR_VERSION,
        entries=writer.entries,
    )
    manifest.write(out)
    return manifest


def _registry(
    draws: Draws, frame: RegionFrame, facts: pl.DataFrame, scale: Scale, writer: _Writer, say: Say
) -> None:
    """DTKS releases, one kab/kota at a time, appended to one file per release and contract."""
    regions = scale.dtks_regions
    desa = facts
    if regions is not None:
        desa = desa.filter(
            pl.any_horizontal(pl.col("code").str.starts_with(prefix) for prefix in regions)
        )
    if desa.is_empty():
        return
    links_year = min(scale.podes_years)
    design = dtks.DtksDesign(releases=scale.dtks_releases)
    contracts = ["dtks_household", *(["dtks_person"] if scale.dtks_persons else [])]
    names = {(c, y): f"{c}_{y}.csv" for c in contracts for y in design.releases}
    rows = dict.fromkeys(names, 0)
    kab_codes = desa["kab_code"].unique().sort().to_list()
    with _appending(writer.out, list(names.values())) as sinks:
        for i, kab in enumerate(kab_codes, start=1):
            say(f"DTKS: kab/kota {i}/{len(kab_codes)} ({kab})")
            kab_desa = desa.filter(pl.col("kab_code") == kab)
            links = kab_desa.join(
                podes.household_links(draws, kab_desa, links_year).drop("score", "desa_poor"),
                on="code",
            )
            followed = dtks.universe(draws, links, design)
            for year in design.releases:
                homes = dtks.release(draws, followed, year, design)
                rows[("dtks_household", year)] += _append(
                    sinks[names[("dtks_household", year)]], homes.select(dtks.HOUSEHOLD_COLUMNS)
                )
                if scale.dtks_persons:
                    rows[("dtks_person", year)] += _append(
                        sinks[names[("dtks_person", year)]], dtks.persons(draws, homes, year)
                    )
    for year in design.releases:
        label = writer.label(f"DTKS {year}")
        for contract in contracts:
            writer.add(
                contract, names[(contract, year)], label, rows[(contract, year)], "synthetic"
            )


@contextmanager
def _appending(folder: Path, names: list[str]) -> Iterator[dict[str, IO[bytes]]]:
    with ExitStack() as stack:
        yield {name: stack.enter_context((folder / name).open("wb")) for name in names}


def _append(sink: IO[bytes], frame: pl.DataFrame) -> int:
    frame.write_csv(sink, include_header=sink.tell() == 0)
    return frame.height
