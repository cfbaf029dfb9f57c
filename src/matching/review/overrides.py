"""Committee overrides: pin or ban pairs on a result, re-solve, and see what changed.

A result never changes: :meth:`MatchResult.with_pins` and
:meth:`MatchResult.with_exclusions` add to the pins or exclusions already in force,
re-solve the cohort and return a new result. Its ``overrides`` table records every
pin and ban with its reason and who decided; ``new.diff(old)`` lists exactly the
mentees whose mentor changed.

The same machinery prices a counterfactual: :func:`pin_cost` re-solves with one
extra pair pinned and reports what the cohort gains or loses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError, MatchingError
from ..files.ids import shown, suggest
from ..cohort.model import Cohort, PairTable
from ..cohort.validate import cohort_hash
from .outcome import PRIORITY_RESOLUTION, Outcome
from .solve import solve
from ..scoring.scores import RESOLUTION, Candidates

__all__ = ["Cost", "pin_cost", "resolve_cost", "changed_cohort", "add_overrides", "overrides_table", "diff",
           "OVERRIDE_COLUMNS", "DIFF_COLUMNS", "fmt_points"]

#: Columns of :attr:`MatchResult.overrides`.
OVERRIDE_COLUMNS = ("kind", "mentee_id", "mentor_id", "reason", "decided_by")
#: Columns of :meth:`MatchResult.diff`.
DIFF_COLUMNS = ("mentee_id", "old_mentor_id", "new_mentor_id", "change", "score_delta")
_KINDS = {"pin": "pins", "exclusion": "exclusions"}


def fmt_points(x: float, sign: bool = False) -> str:
    """A score with at most 3 decimals (the score unit), e.g. ``-0.85``."""
    text = f"{x:+.3f}" if sign else f"{x:.3f}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("+0", "-0", "0") else text


@dataclass(frozen=True)
class Cost:
    """What a change does to the cohort's objective (new minus current).

    Attributes
    ----------
    matched : float
        Change in matched priority (first objective level; -1 = one fewer mentee of priority 1).
    mentees : int
        Change in the number of mentees matched.
    points : float
        Change in total score (second objective level).
    moved : int
        Other mentees whose mentor changes (or who lose or gain one).
    status : str
        Solver status of the re-solve (``"OPTIMAL"``, or ``""`` when impossible).
    problem : str or None
        Why the change is impossible, if it is.
    """

    matched: float = 0.0
    mentees: int = 0
    points: float = 0.0
    moved: int = 0
    status: str = ""
    problem: str | None = None

    @property
    def possible(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        if self.problem is not None:
            return f"impossible: {self.problem}"
        points = f"{fmt_points(self.points, sign=True)} points"
        if self.mentees:
            n = abs(self.mentees)
            text = f"{n} {'fewer' if self.mentees < 0 else 'more'} mentee{'s' if n != 1 else ''} matched, {points}"
        elif self.matched:
            text = f"matched priority {self.matched:+g}, {points}"
        else:
            text = points
        if self.moved:
            text += f", the re-solve moves {self.moved} other mentee{'s' if self.moved != 1 else ''}"
        if self.status and self.status != "OPTIMAL":
            text += f" (re-solve {self.status}, not proven optimal)"
        return text


def changed_cohort(cohort: Cohort, *, pins=None, exclusions=None, capacity=None) -> Cohort:
    """A copy of ``cohort`` with pairs added to the pins / exclusions (``(i, j, reasons)``)
    and/or new mentor capacities; the input hash is recomputed."""
    changes = {}
    for name, extra in (("pins", pins), ("exclusions", exclusions)):
        if extra is not None:
            old = getattr(cohort, name)
            i, j = np.asarray(extra[0]), np.asarray(extra[1])
            values = np.array(list(extra[2]) + [None], dtype=object)[:-1]  # text as given, not fixed-width
            keep = np.zeros(len(i), bool)
            keep[np.unique(i.astype(np.int64) * (1 << 32) + j, return_index=True)[1]] = True
            keep &= ~old.contains(i, j) if len(old) else True
            changes[name] = PairTable.build(np.concatenate([old.i, i[keep]]), np.concatenate([old.j, j[keep]]),
                                            np.concatenate([old.value.astype(object), values[keep].astype(object)]),
                                            len(cohort.mentees))
    if capacity is not None:
        changes["mentors"] = dataclasses.replace(cohort.mentors, capacity=np.asarray(capacity, dtype=np.int64))
    new = dataclasses.replace(cohort, input_hash="", **changes)
    object.__setattr__(new, "input_hash", cohort_hash(new))
    return new


def _without_excluded(cands: Candidates, exclusions: PairTable) -> Candidates | None:
    """The candidates minus newly excluded pairs; None (rescore) for a sparse set, whose
    full-problem counts and bounds a ban may change outside the listed pairs."""
    if not cands.complete:
        return None
    keep = ~exclusions.contains(cands.i, cands.j) if len(exclusions) else np.ones(len(cands), bool)
    return cands.subset(keep)


def resolve_cost(result: Outcome, cohort: Cohort, *, cands: Candidates | None = None) -> tuple[Cost, Outcome]:
    """Re-solve ``cohort`` (a changed copy of ``result.cohort``) and compare objectives."""
    new = solve(cohort, result.settings, cands=cands, prefer=result.assignment.mentor_of)
    a, b = result.assignment, new.assignment
    moved = int((a.mentor_of != b.mentor_of).sum())
    return Cost(matched=(b.matched_priority - a.matched_priority) / PRIORITY_RESOLUTION,
                mentees=int((b.mentor_of >= 0).sum() - (a.mentor_of >= 0).sum()),
                points=(b.score - a.score) / RESOLUTION, moved=moved, status=new.info.status), new


def pin_cost(result: Outcome, i: int, j: int, *, capacity=None) -> Cost:
    """The cost to the cohort of forcing mentee ``i`` onto mentor ``j`` (an actual re-solve).

    ``moved`` does not count mentee ``i`` itself. An impossible pin (a broken rule, a
    mentor full of pins, a mentee already pinned elsewhere) is reported in
    ``Cost.problem``, never raised.
    """
    cohort = result.cohort
    pins = cohort.pins
    other = pins.j[pins.i == i]
    if len(other) and other[0] != j:
        return Cost(problem=f"the mentee is pinned to {cohort.mentors.ids[other[0]]} by the committee")
    new_cohort = changed_cohort(cohort, pins=([i], [j], np.array(["what-if"], dtype=object)), capacity=capacity)
    opened = capacity is not None and ((cohort.mentors.capacity == 0) & (np.asarray(capacity) > 0)).any()
    cands = None if opened else result.candidates
    try:
        cost, _ = resolve_cost(result, new_cohort, cands=cands)
    except MatchingError as err:
        cases = getattr(err, "failure_cases", None)
        text = "; ".join(cases["problem"].astype(str)) if cases is not None and len(cases) else str(err)
        return Cost(problem=text)
    moved = cost.moved - int(result.assignment.mentor_of[i] != j)
    return dataclasses.replace(cost, moved=moved)


def _text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _as_frame(data, kind: str) -> pd.DataFrame:
    """Pins / exclusions given as a DataFrame, a mapping or a list of tuples -> a frame of text."""
    if isinstance(data, tuple) and len(data) == 2 and all(isinstance(x, str) for x in data):
        data = [data]
    if isinstance(data, Mapping):
        data = list(data.items())
    if isinstance(data, pd.DataFrame):
        missing = [c for c in ("mentee_id", "mentor_id") if c not in data.columns]
        if missing:
            raise InputError([{"file": _KINDS[kind], "column": c, "problem": f"required column '{c}' is missing"}
                              for c in missing])
        frame = data.reset_index(drop=True)
    elif isinstance(data, (list, tuple)) and all(isinstance(r, (list, tuple)) and 2 <= len(r) <= 4 for r in data):
        frame = pd.DataFrame([list(r) + [None] * (4 - len(r)) for r in data],
                             columns=["mentee_id", "mentor_id", "reason", "decided_by"], dtype=object)
    else:
        raise InputError([{"file": _KINDS[kind], "problem": f"{_KINDS[kind]} must be a DataFrame (mentee_id, mentor_id"
                           f"[, reason, decided_by]) or a list of (mentee_id, mentor_id) tuples; "
                           f"got {type(data).__name__}"}])
    cols = {c: [_text(v) for v in frame[c].astype(object)] if c in frame.columns else [None] * len(frame)
            for c in OVERRIDE_COLUMNS[1:]}
    return pd.DataFrame(cols, dtype=object)


def _validate(result: Outcome, frame: pd.DataFrame, kind: str):
    """Positions of the new pairs; every problem raised together as one InputError."""
    cohort, file, problems = result.cohort, _KINDS[kind], []
    i = cohort.mentee_index([x or "" for x in frame["mentee_id"]])
    j = cohort.mentor_index([x or "" for x in frame["mentor_id"]])
    for who, pos, col in (("mentee", i, "mentee_id"), ("mentor", j, "mentor_id")):
        people = cohort.mentees if who == "mentee" else cohort.mentors
        hint = suggest(people.ids.tolist()) if (pos < 0).any() else None
        for row in np.flatnonzero(pos < 0):
            value = frame[col][row]
            problems.append({"file": file, "row": int(row), "column": col, "id": shown(value),
                             "problem": f"{file}: unknown {who} '{shown(value)}'{hint(value)}"})
    ok = (i >= 0) & (j >= 0)
    pins = (np.concatenate([cohort.pins.i, i[ok]]), np.concatenate([cohort.pins.j, j[ok]])) if kind == "pin" \
        else (cohort.pins.i, cohort.pins.j)
    bans = (np.concatenate([cohort.exclusions.i, i[ok]]), np.concatenate([cohort.exclusions.j, j[ok]])) \
        if kind == "exclusion" else (cohort.exclusions.i, cohort.exclusions.j)
    n_old = len(cohort.pins) if kind == "pin" else len(cohort.exclusions)
    rows = np.flatnonzero(ok)
    problems += _twice(cohort, pins, n_old, rows, file) if kind == "pin" else []
    both = set(zip(pins[0].tolist(), pins[1].tolist())) & set(zip(bans[0].tolist(), bans[1].tolist()))
    for row in rows:
        if (int(i[row]), int(j[row])) in both:
            problems.append({"file": file, "row": int(row), "column": "mentor_id", "id": frame["mentee_id"][row],
                             "problem": f"pair ({frame['mentee_id'][row]}, {frame['mentor_id'][row]}) "
                                        "is both pinned and excluded"})
    if problems:
        raise InputError(problems)
    return i, j


def _twice(cohort: Cohort, pins, n_old: int, rows, file: str) -> list[dict]:
    """A mentee pinned to two different mentors (existing pins first, then new rows)."""
    first: dict[int, int] = {}
    out = []
    for k, (a, b) in enumerate(zip(pins[0].tolist(), pins[1].tolist())):
        if a in first and first[a] != b:
            e, m = cohort.mentees.ids, cohort.mentors.ids
            out.append({"file": file, "row": int(rows[k - n_old]), "column": "mentee_id", "id": str(e[a]),
                        "problem": f"mentee '{e[a]}' is pinned twice (to '{m[first[a]]}' and '{m[b]}')"})
        first.setdefault(a, b)
    return out


def overrides_table(result: Outcome) -> pd.DataFrame:
    """Every pin and exclusion in force, with reason and who decided."""
    records = result.info.extra.get("overrides")
    if records is None:
        c = result.cohort
        records = [{"kind": kind, "mentee_id": str(c.mentees.ids[a]), "mentor_id": str(c.mentors.ids[b]),
                    "reason": _text(v), "decided_by": None}
                   for kind, t in (("pin", c.pins), ("exclusion", c.exclusions))
                   for a, b, v in zip(t.i.tolist(), t.j.tolist(), t.value.tolist())]
    return pd.DataFrame(list(records), columns=list(OVERRIDE_COLUMNS), dtype=object)


def add_overrides(result: Outcome, data, *, kind: str, reason=None, decided_by=None) -> Outcome:
    """Add pins (``kind="pin"``) or exclusions (``kind="exclusion"``) and re-solve."""
    frame = _as_frame(data, kind)
    frame["reason"] = [r if r is not None else _text(reason) for r in frame["reason"]]
    frame["decided_by"] = [d if d is not None else _text(decided_by) for d in frame["decided_by"]]
    i, j = _validate(result, frame, kind)
    values = np.array([r or "" for r in frame["reason"]], dtype=object)
    cohort = changed_cohort(result.cohort, **{_KINDS[kind]: (i, j, values)})
    cands = result.candidates if kind == "pin" else _without_excluded(result.candidates, cohort.exclusions)
    _, new = resolve_cost(result, cohort, cands=cands)
    log = overrides_table(result).to_dict("records")
    log += [dict(kind=kind, **row) for row in frame.to_dict("records")]
    info = dataclasses.replace(new.info, extra={**new.info.extra, "overrides": log,
                                                "previous_input_hash": result.info.input_hash})
    return dataclasses.replace(new, info=info)


def diff(new: Outcome, old: Outcome) -> pd.DataFrame:
    """Mentees whose mentor differs between ``old`` and ``new``.

    ``change`` is ``"new"`` (gained a mentor), ``"removed"`` (lost one) or ``"moved"``;
    ``score_delta`` is the new pair's score minus the old one's (a missing pair scores 0).
    """
    if not isinstance(getattr(old, "pairs", None), pd.DataFrame):
        raise MatchingError(f"diff() compares two results; got a {type(old).__name__}")
    a = old.pairs.set_index("mentee_id")[["mentor_id", "score"]]
    b = new.pairs.set_index("mentee_id")[["mentor_id", "score"]]
    both = a.join(b, how="outer", suffixes=("_old", "_new"))
    old_m = [_text(v) for v in both["mentor_id_old"].astype(object)]
    new_m = [_text(v) for v in both["mentor_id_new"].astype(object)]
    keep = np.array([x != y for x, y in zip(old_m, new_m)], dtype=bool)
    delta = both["score_new"].fillna(0.0).to_numpy(float) - both["score_old"].fillna(0.0).to_numpy(float)
    change = ["new" if x is None else "removed" if y is None else "moved" for x, y in zip(old_m, new_m)]
    ids = [str(x) for x in both.index]
    out = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in
                        zip(DIFF_COLUMNS[:4], (ids, old_m, new_m, change))})
    out["score_delta"] = np.round(delta, 3)
    return out[keep].sort_values("mentee_id", kind="stable").reset_index(drop=True)
