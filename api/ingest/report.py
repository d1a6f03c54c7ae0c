"""The validation report: every broken rule, how often, and the first rows that broke it."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, Field

MAX_EXAMPLES = 10


class IngestError(Exception):
    """A problem with the whole file or the load (not one row): format, duplicate, lock."""

    def __init__(self, rule: str, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.status = status


class Example(BaseModel):
    row: int | None = Field(description="Row as a spreadsheet shows it; the header is row 1.")
    value: str | None


class Violation(BaseModel):
    rule: str = Field(description="missing_column, type, required, min, max, code, ...")
    column: str | None
    message: str
    count: int = Field(description="How many rows break the rule.")
    examples: list[Example] = Field(description="The first rows that break it.")


class Report(BaseModel):
    contract: str
    file_name: str
    ok: bool
    rows_read: int
    errors: list[Violation]
    warnings: list[str] = Field(default_factory=list)

    def csv_frame(self) -> pl.DataFrame:
        """One line per example (or per rule without examples), for the CSV download."""
        rows = [
            {
                "rule": v.rule,
                "column": v.column,
                "count": v.count,
                "row": e.row,
                "value": e.value,
                "message": v.message,
            }
            for v in self.errors
            for e in (v.examples or [Example(row=None, value=None)])
        ]
        schema = {
            "rule": pl.String,
            "column": pl.String,
            "count": pl.Int64,
            "row": pl.Int64,
            "value": pl.String,
            "message": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)


class ViolationCollector:
    """Adds up violations over batches, keeping the first examples of each rule."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str | None], Violation] = {}

    def add(
        self, rule: str, column: str | None, message: str, count: int, examples: list[Example]
    ) -> None:
        if count == 0:
            return
        key = (rule, column)
        found = self._by_key.get(key)
        if found is None:
            self._by_key[key] = Violation(
                rule=rule,
                column=column,
                message=message,
                count=count,
                examples=examples[:MAX_EXAMPLES],
            )
            return
        found.count += count
        room = MAX_EXAMPLES - len(found.examples)
        found.examples.extend(examples[:room])

    @property
    def violations(self) -> list[Violation]:
        return list(self._by_key.values())

    def __bool__(self) -> bool:
        return bool(self._by_key)
