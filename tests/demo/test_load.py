"""Every generated file passes its contract through the real loader on real Postgres, and
what is in the warehouse afterwards hangs together."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from api.demo.cli import DEMO_SEED, LOADED_MARK, demo_pending, first_start
from api.demo.load import EntryResult, load_folder
from api.demo.manifest import Manifest
from api.demo.scales import ScaleName


def _query(engine: Engine, sql: str) -> pl.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(text(sql))
        return pl.DataFrame([tuple(r) for r in result], schema=list(result.keys()), orient="row")


def test_every_file_is_accepted_by_its_contract(
    loaded: list[EntryResult], tiny_manifest: Manifest
) -> None:
    assert [r.entry for r in loaded] == tiny_manifest.entries
    for result in loaded:
        assert result.release_id is not None, result.entry.file
        assert result.report is not None
        assert result.report.ok, (result.entry.file, result.report.errors)
        assert result.report.rows_read == result.entry.rows
        assert not result.report.warnings, (result.entry.file, result.report.warnings)
    contracts = {e.contract for e in tiny_manifest.entries}
    assert len(contracts) == 11  # every contract gets demo data


def test_loading_again_changes_nothing(
    loaded: list[EntryResult], demo_engine: Engine, tiny_folder: Path
) -> None:
    again = load_folder(demo_engine, tiny_folder)
    assert all(r.release_id is None for r in again)


def test_the_latest_release_of_each_dataset_is_active(
    loaded: list[EntryResult], demo_engine: Engine, tiny_manifest: Manifest
) -> None:
    active = _query(
        demo_engine,
        "SELECT contract, label, row_count FROM dataset_release WHERE status = 'active'",
    )
    last = {e.contract: e for e in tiny_manifest.entries}
    assert set(active["contract"]) == set(last)
    for contract, label, rows in active.iter_rows():
        assert label == last[contract].release
        assert rows == last[contract].rows


def test_every_code_exists_in_the_region_table(
    loaded: list[EntryResult], demo_engine: Engine
) -> None:
    checks = {
        "desa (DTKS)": "SELECT DISTINCT h.desa_code FROM ds_dtks_household h "
        "LEFT JOIN region r ON r.code = h.desa_code AND r.level = 'village' WHERE r.code IS NULL",
        "kab (Susenas)": "SELECT DISTINCT s.kab_code FROM ds_susenas_household s "
        "LEFT JOIN region r ON r.bps_code = s.kab_code AND r.level = 'regency' "
        "WHERE r.code IS NULL",
        "kab (APBD)": "SELECT DISTINCT a.region_code FROM ds_apbd_line a "
        "LEFT JOIN region r ON r.code = a.region_code WHERE r.code IS NULL",
        "any level (indicators)": "SELECT DISTINCT i.region_code FROM ds_indicator_values i "
        "LEFT JOIN region r ON r.code = i.region_code WHERE r.code IS NULL",
        "kab part (Podes)": "SELECT DISTINCT p.desa_code FROM ds_podes_village p "
        "LEFT JOIN region r ON r.bps_code = left(p.desa_code, 4) AND r.level = 'regency' "
        "WHERE r.code IS NULL",
    }
    for what, sql in checks.items():
        assert _query(demo_engine, sql).is_empty(), what


def test_registry_counts_add_up_from_desa_to_kecamatan_to_kab(
    loaded: list[EntryResult], demo_engine: Engine
) -> None:
    """Decile counts per desa, summed along the region table's parent links, equal the
    counts taken directly at kecamatan and kab/kota level, release by release."""
    rows = _query(
        demo_engine,
        "SELECT h.release_id, h.welfare_decile, d.code AS desa, k.code AS kec, "
        "k.parent_code AS kab FROM ds_dtks_household h "
        "JOIN region d ON d.code = h.desa_code JOIN region k ON k.code = d.parent_code",
    )
    keys = ["release_id", "welfare_decile"]
    by_desa = rows.group_by([*keys, "desa", "kec", "kab"]).len("n")
    kec_from_desa = by_desa.group_by([*keys, "kec"]).agg(pl.col("n").sum())
    kec_direct = rows.group_by([*keys, "kec"]).len("n")
    assert kec_from_desa.sort([*keys, "kec"]).equals(kec_direct.sort([*keys, "kec"]))
    kab_from_kec = (
        kec_from_desa.join(by_desa.select("kec", "kab").unique(), on="kec")
        .group_by([*keys, "kab"])
        .agg(pl.col("n").sum())
    )
    kab_direct = rows.group_by([*keys, "kab"]).len("n")
    assert kab_from_kec.sort([*keys, "kab"]).equals(kab_direct.sort([*keys, "kab"]))
    assert kab_direct["kab"].unique().to_list() == ["75.71"]
    assert int(kab_direct["n"].sum()) == rows.height


def test_every_person_has_a_household(loaded: list[EntryResult], demo_engine: Engine) -> None:
    # Persons of each release point at the household release loaded with them.
    pairs = {
        "dtks": "SELECT count(*) FROM ds_dtks_person p WHERE NOT EXISTS (SELECT 1 FROM "
        "ds_dtks_household h JOIN dataset_release rh ON rh.id = h.release_id "
        "JOIN dataset_release rp ON rp.id = p.release_id "
        "WHERE h.hh_id = p.hh_id AND rh.label = rp.label)",
        "susenas": "SELECT count(*) FROM ds_susenas_person p WHERE NOT EXISTS (SELECT 1 FROM "
        "ds_susenas_household h JOIN dataset_release rh ON rh.id = h.release_id "
        "JOIN dataset_release rp ON rp.id = p.release_id "
        "WHERE h.hh_id = p.hh_id AND rh.label = rp.label)",
    }
    for what, sql in pairs.items():
        assert _query(demo_engine, sql).item() == 0, what


def test_published_values_keep_their_origin_and_flags(
    loaded: list[EntryResult], demo_engine: Engine
) -> None:
    values = _query(
        demo_engine,
        "SELECT origin, review_status, count(*) AS n FROM ds_indicator_values "
        "GROUP BY origin, review_status",
    )
    assert set(values["origin"]) == {"published"}
    suspect = _query(
        demo_engine,
        "SELECT value, review_note FROM ds_indicator_values WHERE region_code = '95.02' "
        "AND indicator_code = 'garis_kemiskinan' AND year = 2025",
    )
    # The suspect Pegunungan Bintang line stays as published, flagged, not approved.
    assert suspect["value"].to_list() == [1132178.0]
    lines = _query(
        demo_engine,
        "SELECT year, origin, count(*) AS n FROM ds_poverty_line GROUP BY year, origin",
    )
    assert set(lines.filter(pl.col("year") == 2025)["origin"]) == {"published"}
    assert set(lines.filter(pl.col("year") < 2025)["origin"]) == {"synthetic"}


def test_first_start_generates_and_loads_once(fresh_database_url: URL, tmp_path: Path) -> None:
    """What `sepakat serve` does on an empty warehouse, at the tiny scale."""
    folder = tmp_path / f"demo-tiny-s{DEMO_SEED}"
    engine = create_engine(fresh_database_url)
    try:
        assert demo_pending(False, tmp_path, ScaleName.tiny)  # nothing loaded yet
        first_start(engine, tmp_path, ScaleName.tiny)
        manifest = Manifest.read(folder)
        releases = _query(engine, "SELECT contract, status FROM dataset_release")
        assert releases.height == len(manifest.entries)
        assert not demo_pending(True, tmp_path, ScaleName.tiny)
        # A load that was interrupted (no mark) is resumed; loaded files are skipped.
        (folder / LOADED_MARK).unlink()
        assert demo_pending(True, tmp_path, ScaleName.tiny)
        generated = (folder / "manifest.json").stat().st_mtime_ns
        first_start(engine, tmp_path, ScaleName.tiny)
        assert _query(engine, "SELECT id FROM dataset_release").height == releases.height
        assert (folder / "manifest.json").stat().st_mtime_ns == generated  # not generated again
        assert not demo_pending(True, tmp_path, ScaleName.tiny)
    finally:
        engine.dispose()
