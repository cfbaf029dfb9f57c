"""Carry-over: the withdrawn mentees' application rows for the next session.

A mentee withdrawn at the checkpoint "is eligible for the next session". Their rows of
the mentees table, with every column and the ids as given, come back with the
``priority`` raised by a step (:data:`CARRY_OVER_STEP` unless told), so that the next
:func:`matching.match` favours them. The priority column is found by the same loose
header rules as the mentees table (``" Priority "`` is ``priority``); when the table
has none, a ``priority`` column is added (the default priority is 1). The raised
priority is capped at the largest priority :func:`matching.match` accepts (1000).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cohort.model import Cohort
from ..cohort.validate import ALIASES, MAX_PRIORITY
from ..errors import SettingsError
from ..files import columns as col
from ..files.tables import Table

__all__ = ["CARRY_OVER_STEP", "carry_over_rows"]

#: How much a withdrawn mentee's priority is raised for the next session (default 1.0:
#: priority 1 becomes 2, so one carried-over mentee weighs as much as two new ones).
CARRY_OVER_STEP = 1.0


def _check_step(step) -> float:
    number = isinstance(step, (int, float, np.integer, np.floating)) and not isinstance(step, bool)
    if not (number and 0 <= float(step) <= MAX_PRIORITY):
        raise SettingsError([{"column": "step", "problem": (
            f"the carry-over step must be a number in [0, {MAX_PRIORITY}] (added to the priority). "
            f"Got {step!r} instead.")}])
    return float(step)


def carry_over_rows(table: Table | None, cohort: Cohort, ids, step=CARRY_OVER_STEP) -> pd.DataFrame:
    """The input rows of the mentees ``ids``, sorted by id, with ``priority`` raised by ``step``.

    Parameters
    ----------
    table : Table or None
        The mentees table as read by the checkpoint (None: only the ids and priorities
        are known, and the rows hold ``id`` and ``priority``).
    cohort : Cohort
        Its validated form (for the priorities in force).
    ids : iterable of str
        Validated mentee ids.
    step : float, default :data:`CARRY_OVER_STEP`

    Returns
    -------
    pandas.DataFrame
        The original columns and cells, plus ``priority`` if the table had none.
    """
    step = _check_step(step)
    wanted = sorted(set(map(str, ids)))
    priority = cohort.mentees.priority[cohort.mentee_index(wanted)] if wanted else np.zeros(0)
    raised = {e: float(v) for e, v in zip(wanted, np.minimum(np.round(priority + step, 6), MAX_PRIORITY))}
    if table is None:
        return pd.DataFrame({"id": pd.Series(wanted, dtype=object), "priority": [raised[e] for e in wanted]})
    frame = col.normalized_frame(table, col.Problems(), ALIASES)
    parsed = col.parse_ids(table, frame, col.Problems())
    pos = {str(e): k for k, e in enumerate(parsed) if e is not None}
    rows = table.frame.iloc[[pos[e] for e in wanted]].copy().reset_index(drop=True)
    names = [c for c, n in zip(table.frame.columns, frame.columns) if n == "priority"]
    column = names[0] if names else "priority"
    rows[column] = pd.Series([raised[e] for e in wanted], dtype=object)
    return rows
