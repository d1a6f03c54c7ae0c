"""``sepakat measures`` run as a user would: a process reading a file, no server, no database."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from api.measures.catalogue import load_catalogue
from api.measures.cli import measures_app, read_table
from api.measures.indicators import indicator_estimates
from api.measures.poverty import poverty_measures
from tests.measures import synthetic

SEPAKAT = [sys.executable, "-m", "api.cli", "measures"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SEPAKAT, *args], check=False, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    households = synthetic.households(seed=2).with_columns(
        # PSU codes with leading zeros must stay text: "01" of one stratum is not "1".
        pl.col("psu").str.zfill(2)
    )
    paths = {
        "csv": folder / "households.csv",
        "parquet": folder / "households.parquet",
        "persons": folder / "persons.csv",
    }
    households.write_csv(paths["csv"])
    households.write_parquet(paths["parquet"])
    synthetic.persons(households).write_csv(paths["persons"])
    return paths


def test_poverty_json_equals_the_engine(files: dict[str, Path]) -> None:
    result = run("poverty", str(files["csv"]), "--by", "kab_code", "--by", "urban")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    expected = poverty_measures(
        read_table(files["csv"]), levels=["national", "province", "regency"], breakdowns=["urban"]
    )
    assert rows == expected.to_dicts()  # identical numbers, not just close ones
    assert [r["level"] for r in rows[:2]] == ["national", "national"]
    assert {r["region_code"] for r in rows} == {"00", "32", "33", "3201", "3202", "3301"}


def test_poverty_csv_from_parquet_flattens_lists(files: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = run(
        "poverty", str(files["parquet"]), "--by", "prov_code", "--format", "csv", "-o", str(target)
    )
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [r["region_code"] for r in table] == ["00", "32", "33"]
    header = list(table[0])
    assert "decile_cuts_9" in header
    assert "decile_shares_10" in header
    assert "decile_cuts" not in header
    expected = poverty_measures(read_table(files["csv"]), levels=["national", "province"])
    assert float(table[1]["p0_se"]) == expected.item(1, "p0_se")


def test_indicator_from_the_person_file(files: dict[str, Path]) -> None:
    result = run(
        "indicator",
        "aps_7_12",
        str(files["csv"]),
        "--persons",
        str(files["persons"]),
        "--by",
        "sex",
    )
    assert result.returncode == 0, result.stderr
    expected = indicator_estimates(
        load_catalogue().get("aps_7_12"),
        read_table(files["csv"]),
        read_table(files["persons"]),
        breakdowns=["sex"],
    )
    assert json.loads(result.stdout) == expected.to_dicts()


def test_profile_and_catalogue_commands(files: dict[str, Path]) -> None:
    """In-process (Typer's runner): the commands wire the same functions."""
    runner = CliRunner()
    result = runner.invoke(
        measures_app,
        ["profile", str(files["csv"]), "--characteristic", "head_sex", "--format", "csv"],
    )
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["band"] for r in table} == {"very_poor", "poor", "near_poor", "non_poor"}
    assert {r["head_sex"] for r in table} == {"1", "2"}
    listed = runner.invoke(measures_app, ["catalogue"])
    assert listed.exit_code == 0, listed.output
    codes = [entry["code"] for entry in json.loads(listed.stdout)]
    assert codes == [i.code for i in load_catalogue().indicators]


def test_bad_data_exits_2_naming_the_household(files: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    read_table(files["csv"]).with_columns(
        exp_per_capita=pl.when(pl.col("hh_id") == "H00003").then(0.0).otherwise("exp_per_capita")
    ).write_csv(broken)
    result = run("poverty", str(broken), "--by", "kab_code")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "zero or negative expenditure" in result.stderr
    assert "H00003" in result.stderr
