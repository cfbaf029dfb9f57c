"""The current pairs that stay at the checkpoint: hard rules and capacity.

Only the pairs that stay are checked. A pair that asked for a change, or whose mentee
or mentor left, frees its seat before any capacity check, and a rule it breaks does
not matter (it is dissolving anyway). A pair that stays but now breaks a hard rule
(say the mentee was promoted to the mentor's level) is not an error: the program
keeps running pairs, so it is *flagged* (:data:`FLAG_COLUMNS`) and, with
``broken_pairs="rematch"``, re-matched like a pair that asked. Two things remain
errors: a current pair that was dissolved before (it is in the history), and a mentor
whose capacity is below the pairs they keep.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cohort.model import Cohort
from ..cohort.settings import Settings
from ..errors import SettingsError
from ..files.tables import Table
from ..review.reasons import pin_problem
from ..scoring.rules import broken_rules

__all__ = ["FLAG_COLUMNS", "BROKEN_PAIRS", "check_broken_pairs", "check_history", "rule_flags", "check_capacity"]

#: Columns of ``RematchResult.flags``.
FLAG_COLUMNS = ("mentee_id", "mentor_id", "rule", "reason", "action")
#: Values of ``rematch(broken_pairs=...)``.
BROKEN_PAIRS = ("keep", "rematch")
#: Rules that are not flagged: capacity is checked per mentor, exclusions by history apart.
_NOT_FLAGGED = ("capacity",)


def check_broken_pairs(value) -> str:
    """``broken_pairs`` must be ``"keep"`` or ``"rematch"``."""
    if not isinstance(value, str) or value not in BROKEN_PAIRS:
        raise SettingsError([{"column": "broken_pairs", "problem": (
            f"broken_pairs must be one of {', '.join(repr(v) for v in BROKEN_PAIRS)} (what to do with a pair that "
            f"did not ask but now breaks a hard rule). Got {value!r} instead.")}])
    return value


def _positions(cohort: Cohort, rows) -> tuple[np.ndarray, np.ndarray]:
    return cohort.mentee_index([r[1] for r in rows]), cohort.mentor_index([r[2] for r in rows])


def check_history(table: Table, rows, history: set, problems) -> None:
    """A current pair that is also a past dissolved pair is contradictory input."""
    for pos, e, m in rows:
        if (e, m) in history:
            problems.add(table, f"current pair ({e}, {m}) breaks the hard rule 'excluded': it was dissolved "
                                "before (it is in the history)", column="mentor_id", position=pos, id=e)


def rule_flags(rows, cohort: Cohort, settings: Settings, history: set, action: str) -> pd.DataFrame:
    """One row per hard rule broken by a pair that stays (:data:`FLAG_COLUMNS`).

    ``action`` is ``"kept"`` or ``"re-match"``. Past dissolved pairs are left to
    :func:`check_history`, capacity to :func:`check_capacity`.
    """
    out = []
    if rows:
        i, j = _positions(cohort, rows)
        for k, broken in enumerate(broken_rules(cohort, settings, i, j)):
            e, m = rows[k][1], rows[k][2]
            for rule in broken:
                if rule in _NOT_FLAGGED or (rule == "excluded" and (e, m) in history):
                    continue
                words = ("the committee excluded this pair" if rule == "excluded" else
                         pin_problem(cohort, settings, int(i[k]), int(j[k]), [rule]).partition(f"'{rule}': ")[2])
                out.append((e, m, rule, words, action))
    frame = pd.DataFrame(out, columns=list(FLAG_COLUMNS), dtype=object)
    return frame.sort_values(["mentee_id", "mentor_id", "rule"], kind="stable").reset_index(drop=True)


def check_capacity(table: Table, rows, cohort: Cohort, flagged: set, problems) -> None:
    """Every mentor's new capacity must hold the pairs they keep (``rows``: ``(pos, e, m)``).

    The message names the mentor and the kept pairs and says what frees a seat.
    """
    if not rows:
        return
    _, j = _positions(cohort, rows)
    cap = cohort.mentors.capacity
    load = np.bincount(j, minlength=len(cap))
    for m in np.flatnonzero(load > cap):
        mine = [r for r, jj in zip(rows, j) if jj == m]
        listed = ", ".join(f"({e}, {mm}) on row {table.row_label(pos)}" for pos, e, mm in mine)
        extra = int(load[m] - cap[m])
        fixes = [f"add a request for {extra} of these pairs to the requests (requested_by = mentor)",
                 f"give the mentor capacity {int(load[m])} in the mentors table"]
        broken = [f"({e}, {mm})" for _, e, mm in mine if (e, mm) in flagged]
        if broken:
            fixes.insert(1, f"pass broken_pairs='rematch' to re-match the pair(s) that break a hard rule "
                            f"({', '.join(broken)})")
        problems.add(table, f"mentor '{cohort.mentors.ids[m]}' has capacity {int(cap[m])} but keeps "
                            f"{int(load[m])} pair(s) that did not ask for a change: {listed}; to resolve it, "
                            f"{', or '.join(fixes)}", column="mentor_id", id=str(cohort.mentors.ids[m]))
