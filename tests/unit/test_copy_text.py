"""The COPY text goes to the server piece by piece, as Polars writes it."""

from __future__ import annotations

import io

import polars as pl
import pytest

from api.db.copy import _as_copy_text, write_copy_text

ROWS = 200_000  # enough for Polars to write in several pieces


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "name": [f"row {i}\twith a tab" for i in range(ROWS)],
            "flag": [i % 3 == 0 for i in range(ROWS)],
            "n": [None if i % 7 == 0 else i for i in range(ROWS)],
        }
    )


class _FakeCopy:
    def __init__(self, fail_at: int | None = None) -> None:
        self.pieces: list[bytes] = []
        self._fail_at = fail_at

    def write(self, data: bytes) -> None:
        if len(self.pieces) == self._fail_at:
            raise ConnectionError("the server went away")
        self.pieces.append(bytes(data))


def test_the_pieces_are_the_whole_copy_text() -> None:
    copy = _FakeCopy()
    write_copy_text(_frame(), copy)  # type: ignore[arg-type]
    assert len(copy.pieces) > 1
    whole = io.BytesIO()
    _as_copy_text(_frame()).write_csv(
        whole, include_header=False, separator="\t", quote_style="never", null_value="\\N"
    )
    assert b"".join(copy.pieces) == whole.getvalue()
    assert b"row 1\\twith a tab\t0\t1\n" in whole.getvalue()


def test_a_failing_write_raises_its_own_error() -> None:
    with pytest.raises(ConnectionError, match="the server went away"):
        write_copy_text(_frame(), _FakeCopy(fail_at=1))  # type: ignore[arg-type]
