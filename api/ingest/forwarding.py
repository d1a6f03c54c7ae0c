"""Whether a CSV batch's records can go to Postgres as the file holds them.

A validated batch is otherwise written out again as COPY text, which costs the load process
~0.7 core-s per million rows of a wide registry file (bench/INGEST_FINDINGS.md, stop 11).
Sending the file's own records costs next to nothing, and Postgres (COPY ... FORMAT csv)
stores from them exactly the validated values when:

- every text column holds its values as they stand: none was cleaned (trimmed, or a blank
  made null), and none holds a double quote, which Postgres takes for quoting anywhere in a
  field, the file's reader only at a field's start;
- every date is written as that date in ISO form;
- every yes/no spelling means the same to Postgres (``ya``, ``tidak`` and ``2`` mean nothing
  to it);
- numbers were parsed by the reader, as Postgres parses them: decimal text, correctly rounded.

What Postgres could still read otherwise (a line holding only ``\\.`` ends a COPY; a blank
line is a row to it) shows as an error or as a different count of stored rows, and the load
then sends the validated rows instead (see :mod:`api.ingest.parts`).
"""

from __future__ import annotations

import polars as pl

from api.ingest.contracts import ColumnType, Contract
from api.ingest.validate import BOOLEANS, DATE_FORMAT

# The spellings Postgres' boolean input takes, with their meaning (it takes more: prefixes
# and other cases, which the validator does not).
_POSTGRES_BOOLEANS = {
    **dict.fromkeys(("1", "true", "t", "y", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "f", "n", "no", "off"), False),
}
_READ_AS_NUMBERS = {ColumnType.integer: pl.Int64(), ColumnType.float: pl.Float64()}
_TYPED = "__typed__"


def forwardable(contract: Contract, batch: pl.DataFrame, typed: pl.DataFrame) -> bool:
    """Whether Postgres reads from the records ``batch`` was read from exactly the values
    of ``typed``, the batch validated; see the module's description."""
    schema = batch.schema  # built anew on each access: take it once
    checks: list[pl.Expr] = []
    for col in contract.columns:
        if col.name not in schema:
            continue  # absent: null in both
        dtype, read = schema[col.name], pl.col(col.name)
        match col.type:
            case ColumnType.string if dtype == pl.String:
                # The validated text is the read text trimmed, or null where that is blank:
                # the same length means the same text, and lengths cost no string compares.
                length = pl.col(_TYPED + col.name).str.len_bytes()
                checks.append(read.str.len_bytes().eq_missing(length).all())
                # One search through the column's text joined costs half of one per value.
                checks.append(~read.str.join("").str.contains('"', literal=True))
            case ColumnType.date if dtype == pl.String:
                as_written = pl.col(_TYPED + col.name).dt.to_string(DATE_FORMAT)
                checks.append(read.eq_missing(as_written).all())
            case ColumnType.boolean if isinstance(dtype, pl.Enum):
                misread = [
                    index
                    for index, spelling in enumerate(dtype.categories)
                    if _POSTGRES_BOOLEANS.get(spelling) != BOOLEANS.get(spelling)
                ]
                if misread:
                    checks.append(~read.to_physical().is_in(misread).any())
            case ColumnType.integer | ColumnType.float if dtype == _READ_AS_NUMBERS[col.type]:
                pass
            case _:
                return False  # read as text, or of a type Postgres may read otherwise
    typed_text = [
        typed.get_column(c.name).alias(_TYPED + c.name)
        for c in contract.columns
        if c.name in schema and c.type in (ColumnType.string, ColumnType.date)
    ]
    if not checks:
        return True
    named = (check.alias(f"{i}") for i, check in enumerate(checks))
    return all(batch.with_columns(typed_text).select(named).row(0))
