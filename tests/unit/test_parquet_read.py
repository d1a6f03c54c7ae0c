"""Parquet files are read in slices, in their own types, with spreadsheet-style row numbers."""

from __future__ import annotations

import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from api.ingest import readers
from api.ingest.readers import ROW_COLUMN, FileFormat


def test_slices_across_row_groups_keep_types_and_row_numbers(tmp_path: Path) -> None:
    days = [datetime.date(1980, 1, 1) + datetime.timedelta(days=i) for i in range(7)]
    table = pa.table(
        {
            "id": pa.array([f"h{i}" for i in range(7)]),
            "n": pa.array(range(7), pa.int32()),
            # Arrow's date64 is a date; Polars alone would read it as a datetime.
            "born": pa.array(days, pa.date64()),
        }
    )
    path = tmp_path / "f.parquet"
    pq.write_table(table, path, row_group_size=3)
    batches = list(readers.read_batches(path, FileFormat.parquet, batch_rows=2))
    assert [b.height for b in batches] == [2, 2, 2, 1]
    read = batches[0].vstack(batches[1]).vstack(batches[2]).vstack(batches[3])
    assert read[ROW_COLUMN].to_list() == list(range(2, 9))
    assert read["id"].to_list() == [f"h{i}" for i in range(7)]
    assert read["n"].to_list() == list(range(7))
    assert read["born"].to_list() == days
