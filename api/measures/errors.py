"""Errors of the measures engine.

Each is an :class:`~api.errors.ApiError`, so the HTTP layer answers it with its status (422 for
bad microdata or a design the estimator cannot handle, 404 for an unknown indicator) and a
``details`` object that names the offending rows, keys or strata; the CLI prints the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.errors import ApiError, InvalidParameterError, NotFoundError

# How many offending rows or keys an error message lists before it says "and N more".
SHOWN = 10


def _listed(items: Sequence[Any], total: int) -> str:
    shown = ", ".join(str(i) for i in items[:SHOWN])
    more = total - min(len(items), SHOWN)
    return f"{shown} and {more:,} more" if more > 0 else shown


class InvalidMicrodataError(ApiError):
    """A value the measures cannot be computed from: a zero expenditure, a missing weight..."""

    status = 422
    code = "invalid_microdata"

    def __init__(
        self,
        column: str,
        rule: str,
        rows: Sequence[str],
        count: int,
        *,
        subject: str = "household(s)",
    ) -> None:
        super().__init__(
            f"{count:,} {subject} have {rule} in column '{column}' (rows: {_listed(rows, count)}).",
            column=column,
            rule=rule,
            count=count,
            rows=list(rows[:SHOWN]),
        )


class MissingColumnsError(ApiError):
    """The frame lacks columns the requested measures need."""

    status = 422
    code = "missing_columns"

    def __init__(self, columns: Sequence[str], needed_for: str) -> None:
        super().__init__(
            f"Missing column(s) {', '.join(columns)} needed for {needed_for}.",
            columns=list(columns),
        )


class EmptySampleError(ApiError):
    """No household to compute from (an empty file or release)."""

    status = 422
    code = "empty_sample"

    def __init__(self) -> None:
        super().__init__("The sample has no households.")


class PovertyLineMissingError(ApiError):
    """Households whose kab/kota, urban/rural class (and year) have no poverty line."""

    status = 422
    code = "poverty_line_missing"

    def __init__(self, keys: Sequence[dict[str, Any]], households: int) -> None:
        shown = [
            "/".join(f"{k}={v}" for k, v in key.items() if v is not None) for key in keys[:SHOWN]
        ]
        super().__init__(
            f"No poverty line for {len(keys):,} kab/kota × urban/rural (× year) group(s) "
            f"covering {households:,} household(s): {_listed(shown, len(keys))}.",
            keys=list(keys[:SHOWN]),
            count=len(keys),
            households=households,
        )


class SinglePsuStratumError(ApiError):
    """Strata with one PSU: their variance cannot be estimated without a chosen policy."""

    status = 422
    code = "single_psu_stratum"

    def __init__(self, strata: Sequence[str], policies: Sequence[str]) -> None:
        super().__init__(
            f"{len(strata):,} stratum/strata have a single PSU, so the standard error cannot "
            f"be estimated: {_listed(strata, len(strata))}. Choose a lonely-PSU policy "
            f"({', '.join(policies)}) to compute it anyway.",
            strata=list(strata[:SHOWN]),
            count=len(strata),
            policies=list(policies),
        )


class InvalidBreakdownError(InvalidParameterError):
    """A breakdown the data or the indicator does not offer."""

    code = "invalid_breakdown"


class UnknownIndicatorError(NotFoundError):
    code = "indicator_not_found"

    def __init__(self, code: str, known: Sequence[str]) -> None:
        super().__init__(f"No indicator '{code}' in the catalogue.", indicator=code, known=known)
