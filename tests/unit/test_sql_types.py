"""Integer columns are stored as narrow as their contract's rules allow, and no narrower."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import BigInteger, Integer, SmallInteger

from api.ingest.contracts import Column
from api.ingest.tables import sql_type


def _column(**rules: Any) -> Column:
    return Column.model_validate(
        {"name": "x", "type": "integer", "description": {"id": "x", "en": "x"}, **rules}
    )


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({"codes": {"1": "a", "9": "b"}}, SmallInteger),
        ({"min": -32768, "max": 32767}, SmallInteger),
        ({"min": 0, "max": 32768}, Integer),
        ({"min": -32769, "max": 0}, Integer),
        ({"min": 0, "max": 2**31 - 1}, Integer),
        ({"min": 0, "max": 2**31}, BigInteger),
        ({"min": 0}, BigInteger),  # no upper bound
        ({"max": 10}, BigInteger),  # no lower bound
        ({}, BigInteger),
        # Codes that are no integer's own spelling never match a number: no bound from them.
        ({"codes": {"01": "a"}}, BigInteger),
        ({"codes": {"01": "a"}, "min": 1, "max": 5}, SmallInteger),
        # A code list bounds the values even where min and max are wider.
        ({"codes": {"1": "a", "2": "b"}, "min": 0, "max": 10**12}, SmallInteger),
    ],
)
def test_integer_type_follows_the_rules(rules: dict[str, Any], expected: type) -> None:
    assert type(sql_type(_column(**rules))) is expected


def test_other_types_are_unchanged() -> None:
    column = Column.model_validate(
        {"name": "x", "type": "float", "min": 0, "max": 1, "description": {"id": "x", "en": "x"}}
    )
    assert type(sql_type(column)).__name__ == "Float"
