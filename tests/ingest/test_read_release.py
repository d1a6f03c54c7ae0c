"""Analyses read a release back exactly as the loader typed it, and name the release used."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.ingest.contracts import all_contracts
from api.ingest.readers import ROW_COLUMN
from api.ingest.report import ViolationCollector
from api.ingest.validate import validate_batch
from api.warehouse.frames import read_release
from api.warehouse.releases import NoReleaseError, resolve_release
from tests.ingest.test_contract_samples import load_sample, sample


@pytest.mark.parametrize("name", ["dtks_household", "susenas_household", "dtks_person"])
def test_a_release_reads_back_as_loaded(engine: Engine, name: str) -> None:
    contract = all_contracts()[name]
    release_id, rows = load_sample(engine, name)
    text = sample(name).with_row_index(ROW_COLUMN, offset=2)
    expected = validate_batch(
        contract, text.with_columns(pl.col(ROW_COLUMN).cast(pl.Int64)), {}, ViolationCollector()
    )
    columns = [c.name for c in contract.columns]
    with engine.connect() as conn:
        frame = read_release(conn, contract, release_id, columns)
    assert frame.height == rows
    key = contract.primary_key
    assert_frame_equal(frame.sort(key), expected.sort(key))


def test_the_active_release_or_the_one_asked_for(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(NoReleaseError, match="no active release"):
        resolve_release(session, "poverty_line", None)
    first, _ = load_sample(engine, "poverty_line")
    with Session(engine) as session:
        assert resolve_release(session, "poverty_line", None).id == first
        assert resolve_release(session, "poverty_line", first).id == first
        with pytest.raises(NoReleaseError, match=f"no release {first + 1000}"):
            resolve_release(session, "poverty_line", first + 1000)
        with pytest.raises(NoReleaseError):
            resolve_release(session, "susenas_household", first)  # another dataset's release
