"""A file keyed by an earlier edition's Kemendagri codes loads when the release says so."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

from api.ingest.contracts import all_contracts
from api.ingest.loader import LoadRequest, LoadResult, load_file
from api.ingest.report import IngestError
from tests.ingest.conftest import active, write_csv
from tests.ingest.test_contract_samples import sample


def _retired_regency(engine: Engine) -> str:
    """A kab/kota code of the 2016 list that the current list no longer has."""
    with engine.connect() as conn:
        code = conn.scalar(
            text(
                "SELECT code FROM region_code WHERE vintage = 2016 AND level = 'regency' "
                "EXCEPT SELECT code FROM region WHERE level = 'regency' ORDER BY 1 LIMIT 1"
            )
        )
    assert code is not None
    return str(code)


def _load(engine: Engine, path: Path, vintage: int | None) -> LoadResult:
    request = LoadRequest(
        contract=all_contracts()["apbd_line"],
        path=path,
        label="apbd",
        loaded_by="test",
        vintage=vintage,
    )
    return load_file(engine, request)


def test_codes_of_an_earlier_edition(engine: Engine, tmp_path: Path) -> None:
    retired = _retired_regency(engine)
    frame = sample("apbd_line").with_columns(pl.lit(retired).alias("region_code"))
    path = write_csv(frame, tmp_path / "apbd2016.csv")

    refused = _load(engine, path, None).report
    assert [(e.rule, e.column, e.count) for e in refused.errors] == [
        ("region", "region_code", frame.height)
    ]
    assert active(engine, "apbd_line") is None

    loaded = _load(engine, path, 2016)
    assert loaded.report.ok, loaded.report
    with engine.connect() as conn:
        vintage = conn.scalar(
            text("SELECT code_vintage FROM dataset_release WHERE id = :r"),
            {"r": loaded.release_id},
        )
    assert vintage == 2016


def test_current_codes_are_refused_under_an_edition_that_lacks_them(
    engine: Engine, tmp_path: Path
) -> None:
    with engine.connect() as conn:
        newer = conn.scalar(
            text(
                "SELECT code FROM region WHERE level = 'regency' EXCEPT "
                "SELECT code FROM region_code WHERE vintage = 2016 ORDER BY 1 LIMIT 1"
            )
        )
    frame = sample("apbd_line").with_columns(pl.lit(newer).alias("region_code"))
    report = _load(engine, write_csv(frame, tmp_path / "apbd.csv"), 2016).report
    assert report.errors[0].rule == "region"
    assert "2016 edition" in report.errors[0].message


def test_an_unknown_edition_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(sample("apbd_line"), tmp_path / "apbd.csv")
    with pytest.raises(IngestError, match=r"no 1999 edition.*2016"):
        _load(engine, path, 1999)
