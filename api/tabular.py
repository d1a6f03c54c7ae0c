"""Tabular downloads: the same rows as JSON, or as CSV, XLSX or Parquet files."""

from __future__ import annotations

import io
from enum import StrEnum
from typing import Any

import polars as pl
from fastapi import Response


class TableFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


MEDIA_TYPES: dict[TableFormat, str] = {
    TableFormat.csv: "text/csv; charset=utf-8",
    TableFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    TableFormat.parquet: "application/vnd.apache.parquet",
}


def download_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI content entries of the file formats, merged into a route's 200 response."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {
            "description": description,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                MEDIA_TYPES[TableFormat.xlsx]: binary,
                MEDIA_TYPES[TableFormat.parquet]: binary,
            },
        }
    }


def file_response(frame: pl.DataFrame, fmt: TableFormat, stem: str, total: int) -> Response:
    """Serialise ``frame`` as a download named ``stem.<format>``."""
    buffer = io.BytesIO()
    if fmt is TableFormat.csv:
        frame.write_csv(buffer)
    elif fmt is TableFormat.xlsx:
        frame.write_excel(buffer, worksheet=stem[:31])
    elif fmt is TableFormat.parquet:
        frame.write_parquet(buffer)
    else:
        raise ValueError(f"{fmt} is not a file format")
    return Response(
        content=buffer.getvalue(),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.{fmt.value}"',
            "X-Total-Count": str(total),
        },
    )
