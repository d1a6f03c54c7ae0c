"""Whether a CSV batch's records can go to Postgres as the file holds them.

A validated batch is otherwise written out again as COPY text, which costs the load process
~0.7 core-s per million rows of a wide registry file (bench/INGEST_FINDINGS.md, stop 11).
Sending the file's own records costs next to nothing, and Postgres (COPY ... FORMAT csv)
stores from them exactly the validated values when:

- every text column holds its values as they stand: none was cleaned (trimmed, or a blank
  made null), and none holds a double quote, which Postgres takes for quoting anywhere in a
  field, the file's reader only at a field's start (an empty cell, quoted or not, is null to
  both: see :class:`api.db.copy.CsvRecords`);
- every date is written as that date in ISO form;
- every yes/no spelling means the same to Postgres (``ya``, ``tidak`` and ``2`` mean nothing
  to it);
- numbers were parsed by the reader, as Postgres parses them: decimal text, correctly
  rounded;
- the records hold no ``\\.`` (alone on a line, it ends a COPY), and do not start with a
  byte-order mark (the reader skips one there; Postgres keeps it).

Anything else Postgres reads otherwise (a bare carriage return, a stray quote) shows as an
error or as a different count of stored rows, and the load then sends the validated rows
instead (see :mod:`api.ingest.parts`).
"""

from __future__ import annotations

import codecs

import polars as pl

from api.ingest.contracts import ColumnType, Contract
from api.ingest.validate import BOOLEANS, CSV_READ_TYPES, DATE_FORMAT

# The spellings Postgres' boolean input takes, with their meaning (it takes more: prefixes
# and other cases, which the validator does not).
_POSTGRES_BOOLEANS = {
    **dict.fromkeys(("1", "true", "t", "y", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "f", "n", "no", "off"), False),
}
_END_OF_COPY = b"\\."
_VALIDATED = "__validated__"


def forwardable(
    contract: Contract, batch: pl.DataFrame, typed: pl.DataFrame, records: bytes
) -> bool:
    """Whether Postgres reads from ``records``, which ``batch`` was read from, exactly the
    values of ``typed``, the batch validated; see the module's description."""
    # Looking for one byte is ~20x faster than for two (2 against 38 ms in 32 MB), and a
    # backslash is rare.
    if records.startswith(codecs.BOM_UTF8) or (b"\\" in records and _END_OF_COPY in records):
        return False
    schema = batch.schema  # built anew on each access: take it once
    checks: list[pl.Expr] = []
    validated: list[pl.Series] = []  # the typed columns the checks compare with
    for col in contract.columns:
        if col.name not in schema:
            continue  # absent: null in both
        dtype, read = schema[col.name], pl.col(col.name)
        match col.type:
            case ColumnType.string if dtype == pl.String:
                # The validated text is the read text trimmed, or null where that is blank:
                # the same length means the same text, and lengths cost no string compares.
                validated.append(typed.get_column(col.name).alias(_VALIDATED + col.name))
                length = pl.col(_VALIDATED + col.name).str.len_bytes()
                checks.append(read.str.len_bytes().eq_missing(length).all())
                # One search through the column's text joined costs half of one per value.
                checks.append(~read.str.join("").str.contains('"', literal=True))
            case ColumnType.date if dtype == pl.String:
                validated.append(typed.get_column(col.name).alias(_VALIDATED + col.name))
                as_written = pl.col(_VALIDATED + col.name).dt.to_string(DATE_FORMAT)
                checks.append(read.eq_missing(as_written).all())
            case ColumnType.boolean if isinstance(dtype, pl.Enum):
                misread = [
                    index
                    for index, spelling in enumerate(dtype.categories)
                    if _POSTGRES_BOOLEANS.get(spelling) != BOOLEANS.get(spelling)
                ]
                if misread:
                    checks.append(~read.to_physical().is_in(misread).any())
            case ColumnType.integer | ColumnType.float if dtype == CSV_READ_TYPES[col.type]:
                pass  # parsed by the reader
            case _:
                return False  # read as text, or of a type Postgres may read otherwise
    if not checks:
        return True
    named = (check.alias(f"{i}") for i, check in enumerate(checks))
    return all(batch.with_columns(validated).select(named).row(0))
