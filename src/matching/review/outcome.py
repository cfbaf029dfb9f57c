"""A solved cohort's tables and how they were solved: what every result is built from.

:class:`Outcome` holds the data of a match (pairs, unmatched, mentor loads, summary,
solve record, and the validated cohort, settings, candidates and assignment behind
them). :func:`build_outcome` assembles it from a solver's assignment; the public
:class:`~matching.review.result.MatchResult` is an ``Outcome`` with methods.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .._version import __version__
from ..cohort.model import Cohort
from ..cohort.settings import Settings
from ..report.stats import summarize
from ..scoring.rules import Pairs
from ..scoring.scores import RESOLUTION, Candidates, score_pairs
from ..solvers.problem import Assignment
from .audit import audit_summary
from .reasons import mentor_notes, unmatched_reasons

__all__ = ["Outcome", "SolveInfo", "build_outcome", "pairs_frame", "PRIORITY_RESOLUTION"]

#: Priority units per point of mentee priority (priority 1.5 -> 150 units): priorities
#: count to 0.01, so 1.004 and 1.0 weigh the same.
PRIORITY_RESOLUTION = 100


@dataclass(frozen=True)
class SolveInfo:
    """How a result was obtained.

    Attributes
    ----------
    solver : str
        Solver and its version, e.g. ``"ortools.min_cost_flow 9.15.6755"``.
    status : str
        ``"OPTIMAL"`` (proven) or ``"FEASIBLE"`` (stopped at a limit, not proven).
    matched_priority : float
        First objective level: sum of the priorities of matched mentees.
    score : float
        Second objective level: sum of pair scores.
    bound, gap : float or None, float
        Proven bound and relative gap where the solver reports them (0 gap: optimal).
    seconds : dict
        Wall time of each stage (``validate``, ``score``, ``solve``, ``result``, ``total``).
    library_version, input_hash : str
    settings : dict
        Every setting in force (``Settings.from_dict(info.settings)`` rebuilds them).
    created : str
        UTC time stamp, ISO 8601.
    """

    solver: str
    status: str
    matched_priority: float
    score: float
    bound: float | None
    gap: float
    seconds: dict
    library_version: str
    input_hash: str
    settings: dict
    created: str
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class Outcome:
    """The data of a solved cohort (see :class:`~matching.review.result.MatchResult` for each field)."""

    pairs: pd.DataFrame
    unmatched: pd.DataFrame
    mentors: pd.DataFrame
    summary: dict
    info: SolveInfo
    cohort: Cohort = field(repr=False)
    settings: Settings = field(repr=False)
    candidates: Candidates = field(repr=False)
    assignment: Assignment = field(repr=False)


def pairs_frame(cohort: Cohort, settings: Settings, cands: Candidates, mentor_of: np.ndarray) -> pd.DataFrame:
    e, m = cohort.mentees, cohort.mentors
    i = np.flatnonzero(mentor_of >= 0)
    j = mentor_of[i]
    parts = score_pairs(cohort, settings, i, j)
    frame = pd.DataFrame({"mentee_id": e.ids[i].astype(object), "mentor_id": m.ids[j].astype(object),
                          "score": parts.sum(axis=1) / RESOLUTION})
    for k, name in enumerate(cands.names):
        frame[name] = parts[:, k] / RESOLUTION
    rank = Pairs.listed(cohort, settings, i, j).lookup(cohort.preferences)
    frame["preference_rank"] = pd.array(np.where(rank > 0, rank, 0), dtype="Int64")
    frame.loc[rank == 0, "preference_rank"] = pd.NA
    frame["level_gap"] = (m.level[j] - e.level[i]).astype(np.int64)
    frame["mentee_area"] = [cohort.areas[a] for a in e.area[i]]
    frame["mentor_area"] = [cohort.areas[a] for a in m.area[j]]
    known = lambda a, b: (a >= 0) & (b >= 0) & (a != b)  # noqa: E731
    frame["is_cross_kbu"] = known(e.kbu[i], m.kbu[j])  # not "cross_kbu": that is the criterion's part
    frame["is_cross_gender"] = known(e.gender[i], m.gender[j])
    frame["is_cross_race"] = known(e.race[i], m.race[j])
    frame["pinned"] = cohort.pins.contains(i, j) if len(cohort.pins) else np.zeros(len(i), bool)
    return frame


def build_outcome(cohort: Cohort, settings: Settings, cands: Candidates, assignment: Assignment,
                  seconds: dict) -> Outcome:
    """Assemble the tables of a solved cohort from the solver's assignment."""
    mentor_of = assignment.mentor_of
    pairs = pairs_frame(cohort, settings, cands, mentor_of)
    reasons = unmatched_reasons(cohort, settings, mentor_of, cands)
    unmatched = pd.DataFrame({
        "mentee_id": pd.Series([str(cohort.mentees.ids[i]) for i, _, _ in reasons], dtype=object),
        "reason": pd.Series([r for _, _, r in reasons], dtype=object),
        "code": pd.Series([c for _, c, _ in reasons], dtype=object),
    })
    cap = cohort.mentors.capacity
    assigned = np.bincount(mentor_of[mentor_of >= 0], minlength=len(cap)).astype(np.int64)
    mentors = pd.DataFrame({"mentor_id": cohort.mentors.ids.astype(object), "capacity": cap,
                            "assigned": assigned, "spare": cap - assigned,
                            "note": mentor_notes(cohort, mentor_of, cands)})
    info = SolveInfo(
        solver=assignment.solver, status=assignment.status,
        matched_priority=assignment.matched_priority / PRIORITY_RESOLUTION,
        score=assignment.score / RESOLUTION, bound=assignment.bound, gap=assignment.gap,
        seconds=dict(seconds, solve=assignment.wall_time), library_version=__version__,
        input_hash=cohort.input_hash, settings=settings.to_dict(),
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        extra=dict(assignment.extra),
    )
    summary = summarize(cohort, settings, pairs, unmatched, info)
    summary["audit"] = audit_summary(cohort, settings, mentor_of)
    return Outcome(pairs=pairs, unmatched=unmatched, mentors=mentors, summary=summary, info=info,
                   cohort=cohort, settings=settings, candidates=cands, assignment=assignment)
