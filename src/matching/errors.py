"""The library's errors.

Every error the library raises on purpose is a :class:`MatchingError`, which is a
:class:`ValueError`. Errors carry data, not only text: :class:`InputError` has a
``failure_cases`` table (one row per problem found, all of them, not just the first),
:class:`InfeasibleError` and :class:`PinError` have a ``reason``.

Messages never contain a person's gender or race.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

__all__ = [
    "MatchingError",
    "InputError",
    "SettingsError",
    "PinError",
    "InfeasibleError",
    "SolverError",
    "MatchingWarning",
    "FAILURE_COLUMNS",
]

#: Columns of :attr:`InputError.failure_cases`, in order.
FAILURE_COLUMNS = ("file", "sheet", "row", "column", "id", "problem")

#: How many problems an error message lists before it says "... and N more".
_MESSAGE_LIMIT = 50


class MatchingError(ValueError):
    """Base class of every error the library raises on purpose."""


class InputError(MatchingError):
    """The input data has one or more problems.

    Parameters
    ----------
    failures : iterable of mapping
        One mapping per problem with keys among ``file``, ``sheet``, ``row``,
        ``column``, ``id`` and ``problem`` (missing keys are left empty).

    Attributes
    ----------
    failure_cases : pandas.DataFrame
        Every problem found, one row each, columns ``file, sheet, row, column, id,
        problem``.

    Examples
    --------
    >>> err = InputError([{"file": "mentees.csv", "row": 3, "column": "level",
    ...                    "id": "E7", "problem": "level must be an integer; got 'x'"}])
    >>> isinstance(err, ValueError), len(err.failure_cases)
    (True, 1)
    >>> print(err)
    1 problem in the input:
      - mentees.csv, row 3, column 'level', id 'E7': level must be an integer; got 'x'
    """

    def __init__(self, failures: Iterable[Mapping[str, object]]):
        rows = [{key: f.get(key) for key in FAILURE_COLUMNS} for f in failures]
        self.failure_cases = pd.DataFrame(rows, columns=list(FAILURE_COLUMNS))
        super().__init__(_format_failures(rows))


def _where(case: Mapping[str, object]) -> str:
    parts = []
    if case.get("file"):
        parts.append(str(case["file"]))
    if case.get("sheet"):
        parts.append(f"sheet '{case['sheet']}'")
    if case.get("row") is not None:
        parts.append(f"row {case['row']}")
    if case.get("column"):
        parts.append(f"column '{case['column']}'")
    if case.get("id") is not None:
        parts.append(f"id '{case['id']}'")
    return ", ".join(parts)


def _format_failures(rows: list[dict]) -> str:
    n = len(rows)
    head = f"{n} problem{'s' if n != 1 else ''} in the input:"
    lines = [head]
    for case in rows[:_MESSAGE_LIMIT]:
        where = _where(case)
        lines.append(f"  - {where}: {case['problem']}" if where else f"  - {case['problem']}")
    if n > _MESSAGE_LIMIT:
        lines.append(f"  ... and {n - _MESSAGE_LIMIT} more (see .failure_cases)")
    return "\n".join(lines)


class SettingsError(InputError):
    """A setting or weight is out of range or of the wrong type."""


class PinError(InputError):
    """A pinned pair cannot be honoured (it breaks a hard rule or a capacity)."""


class InfeasibleError(MatchingError):
    """Hard goals or rules cannot all hold together.

    Attributes
    ----------
    reason : str
        Plain-words statement of the conflict.
    conflicts : tuple of str
        The names of the goals and rules in conflict.
    best : dict
        For each conflicting target, the best value reachable alone (may be empty).
    """

    def __init__(self, reason: str, *, conflicts: Iterable[str] = (), best: Mapping | None = None):
        self.reason = reason
        self.conflicts = tuple(conflicts)
        self.best = dict(best or {})
        super().__init__(reason)


class MatchingWarning(UserWarning):
    """A still-valid result that needs attention (e.g. not proven optimal)."""


class SolverError(MatchingError):
    """The solver ended in a state that yields no valid answer.

    Attributes
    ----------
    reason : str
        What the solver reported.
    status : str
        The solver's status name.
    """

    def __init__(self, reason: str, *, status: str = ""):
        self.reason = reason
        self.status = status
        super().__init__(reason)
