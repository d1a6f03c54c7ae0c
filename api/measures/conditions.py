"""A small declarative condition language for indicator numerators and populations.

Conditions are data (YAML/JSON), never code: a catalogue entry cannot run anything, only
compare columns of the contract with constants. The forms:

- ``{column: C, eq: V}`` and ``ne``, ``lt``, ``le``, ``gt``, ``ge`` (one operator per
  comparison);
- ``{column: C, in: [V, ...]}`` and ``not_in``;
- ``{column: C, between: [LO, HI]}``: LO ≤ C ≤ HI, both ends included;
- ``{column: C, is_null: true|false}``;
- ``{column: C, per: D, ge: 7.2}``: compares C / D (e.g. floor area per household member);
- ``{all: [cond, ...]}``, ``{any: [cond, ...]}``, ``{not: cond}``.

Values are checked against the contract at load: the column exists, the value has the
column's type, a coded column's values are among its codes, a range meets the column's
min/max, booleans only take ``eq``/``ne``/``is_null``.

Compiled expressions follow three-valued logic: a comparison with a missing value is null
(unknown), ``all`` is false as soon as one part is false, ``any`` true as soon as one part is
true. The engine leaves out of an indicator's population the rows whose numerator is unknown
and reports how many (``n_missing``), rather than counting them as lacking the service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from api.ingest.contracts import Column, ColumnType

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
ORDERING = ("lt", "le", "gt", "ge")
SETS = ("in", "not_in")
OPERATORS = (*COMPARISONS, *SETS, "between", "is_null")  # the keys of _OPERATIONS


class ConditionError(ValueError):
    """A condition that is malformed or does not fit the contract's columns."""


@dataclass(frozen=True)
class Compare:
    column: str
    op: str
    value: Any
    per: str | None = None


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Compare | AllOf | AnyOf | Not


def parse_condition(raw: object, where: str = "condition") -> Condition:
    """The condition a YAML/JSON value describes; :class:`ConditionError` says what is wrong."""
    if not isinstance(raw, Mapping):
        raise ConditionError(f"{where}: a condition is a mapping, not {type(raw).__name__}")
    keys = set(raw)
    for combinator, build in (("all", AllOf), ("any", AnyOf)):
        if combinator in keys:
            parts = raw[combinator]
            if keys != {combinator} or not isinstance(parts, list) or not parts:
                raise ConditionError(
                    f"{where}: '{combinator}' takes a non-empty list and nothing beside it"
                )
            return build(
                tuple(parse_condition(p, f"{where}.{combinator}[{i}]") for i, p in enumerate(parts))
            )
    if "not" in keys:
        if keys != {"not"}:
            raise ConditionError(f"{where}: 'not' takes one condition and nothing beside it")
        return Not(parse_condition(raw["not"], f"{where}.not"))
    ops = keys & set(OPERATORS)
    unknown = keys - set(OPERATORS) - {"column", "per"}
    if unknown or "column" not in keys or len(ops) != 1:
        raise ConditionError(
            f"{where}: a comparison has 'column', optionally 'per', and exactly one of "
            f"{', '.join(OPERATORS)} (or use all/any/not); got {sorted(keys)}"
        )
    column, per = raw["column"], raw.get("per")
    if not isinstance(column, str) or (per is not None and not isinstance(per, str)):
        raise ConditionError(f"{where}: 'column' and 'per' name columns")
    op = ops.pop()
    return Compare(column=column, op=op, value=raw[op], per=per)


def columns_of(condition: Condition) -> set[str]:
    """Every column a condition reads."""
    if isinstance(condition, Compare):
        return {condition.column} | ({condition.per} if condition.per else set())
    if isinstance(condition, Not):
        return columns_of(condition.part)
    return set().union(*(columns_of(p) for p in condition.parts))


def check_condition(
    condition: Condition, columns: Mapping[str, Column], where: str = "condition"
) -> None:
    """Raise :class:`ConditionError` unless every comparison fits its contract column."""
    if isinstance(condition, Not):
        check_condition(condition.part, columns, where)
        return
    if isinstance(condition, AllOf | AnyOf):
        for part in condition.parts:
            check_condition(part, columns, where)
        return
    _check_compare(condition, columns, where)


def _check_compare(cond: Compare, columns: Mapping[str, Column], where: str) -> None:
    at = f"{where}: column '{cond.column}'"
    column = columns.get(cond.column)
    if column is None:
        raise ConditionError(f"{at} is not in the dataset")
    numeric = (ColumnType.integer, ColumnType.float)
    if cond.per is not None:
        divisor = columns.get(cond.per)
        if divisor is None or divisor.type not in numeric or column.type not in numeric:
            raise ConditionError(f"{at}: 'per' divides two numeric columns of the dataset")
        if cond.op not in (*ORDERING, "between"):
            raise ConditionError(f"{at}: a ratio ('per') is compared with lt/le/gt/ge/between")
        _check_numbers(cond, at)
        return
    if cond.op == "is_null":
        if not isinstance(cond.value, bool):
            raise ConditionError(f"{at}: is_null takes true or false")
        return
    if column.type is ColumnType.boolean and cond.op not in ("eq", "ne"):
        raise ConditionError(f"{at} is boolean: use eq/ne true/false")
    if column.type is ColumnType.date:
        raise ConditionError(f"{at}: date columns are not supported in conditions")
    if cond.op in ORDERING or cond.op == "between":
        if column.type not in numeric:
            raise ConditionError(f"{at}: '{cond.op}' needs a numeric column")
        _check_numbers(cond, at)
        _check_range(cond, column, at)
        return
    values = cond.value if cond.op in SETS else [cond.value]
    if cond.op in SETS and (not isinstance(cond.value, list) or not cond.value):
        raise ConditionError(f"{at}: '{cond.op}' takes a non-empty list")
    for value in values:
        _check_value(value, column, at)


def _check_numbers(cond: Compare, at: str) -> None:
    values = cond.value if cond.op == "between" else [cond.value]
    if cond.op == "between" and (not isinstance(values, list) or len(values) != 2):
        raise ConditionError(f"{at}: 'between' takes [low, high]")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ConditionError(f"{at}: '{cond.op}' compares with numbers")
    if cond.op == "between" and values[0] > values[1]:
        raise ConditionError(f"{at}: 'between' low is above high")


def _check_range(cond: Compare, column: Column, at: str) -> None:
    """A bound outside the column's min/max is a typo (an age of 170 selects nobody)."""
    values = cond.value if cond.op == "between" else [cond.value]
    low = column.min if column.min is not None else float("-inf")
    high = column.max if column.max is not None else float("inf")
    if any(not low <= v <= high for v in values):
        raise ConditionError(f"{at}: {values} outside the column's range [{low}, {high}]")


def _check_value(value: object, column: Column, at: str) -> None:
    expected: dict[ColumnType, tuple[type, ...]] = {
        ColumnType.integer: (int,),
        ColumnType.float: (int, float),
        ColumnType.boolean: (bool,),
        ColumnType.string: (str,),
    }
    allowed = expected[column.type]
    if isinstance(value, bool) is not (column.type is ColumnType.boolean) or not isinstance(
        value, allowed
    ):
        raise ConditionError(f"{at} holds {column.type.value} values, not {value!r}")
    if column.codes is not None and str(value) not in column.codes:
        raise ConditionError(f"{at}: {value!r} is not one of its codes ({', '.join(column.codes)})")


_OPERATIONS: dict[str, Callable[[pl.Expr, Any], pl.Expr]] = {
    "eq": lambda c, v: c.eq(v),
    "ne": lambda c, v: c.ne(v),
    "lt": lambda c, v: c.lt(v),
    "le": lambda c, v: c.le(v),
    "gt": lambda c, v: c.gt(v),
    "ge": lambda c, v: c.ge(v),
    "in": lambda c, v: c.is_in(list(v)),
    "not_in": lambda c, v: c.is_in(list(v)).not_(),
    "between": lambda c, v: c.is_between(v[0], v[1], closed="both"),
    "is_null": lambda c, v: c.is_null() if v else c.is_not_null(),
}


def compile_condition(condition: Condition) -> pl.Expr:
    """The Polars expression of a checked condition (three-valued, see the module docstring)."""
    if isinstance(condition, AllOf):
        return pl.all_horizontal(compile_condition(p) for p in condition.parts)
    if isinstance(condition, AnyOf):
        return pl.any_horizontal(compile_condition(p) for p in condition.parts)
    if isinstance(condition, Not):
        return compile_condition(condition.part).not_()
    value = pl.col(condition.column)
    if condition.per is not None:
        value = value.cast(pl.Float64) / pl.col(condition.per).cast(pl.Float64)
    return _OPERATIONS[condition.op](value, condition.value)
