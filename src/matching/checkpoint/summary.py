"""The checkpoint's summary and solve record, with counts that add up.

Every mentee of the program is in exactly one of ``kept, re_matched, moved, placed``
(paired), ``withdrawn, waitlisted, not_paired`` (unpaired) or ``left``, so
``program_mentees`` is their sum. The unpaired ones are also broken down as in
:func:`matching.match`: ``unmatched = ineligible + no_eligible_mentor +
capacity_exhausted + not_waitlisted`` (mentees who left are not unmatched, they are
``left``); ``no_eligible_mentor + capacity_exhausted = withdrawn + waitlisted``, and
``ineligible + not_waitlisted = not_paired``. ``objective.matched_priority`` means
what it means after a match: the summed priority of every mentee with a mentor after
the checkpoint; the priority of the re-matched mentees alone (the first objective
level of the re-match) is ``info.extra["re_matched_priority"]``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib

import numpy as np
import pandas as pd

from .._version import __version__
from ..cohort.settings import Settings
from ..report.stats import summarize
from ..review.outcome import PRIORITY_RESOLUTION, SolveInfo
from ..solvers.problem import Assignment

__all__ = ["rematch_info", "rematch_summary", "unmatched_codes"]

#: Statuses of mentees without a mentor after the checkpoint (who did not leave).
UNPAIRED = ("withdrawn", "waitlisted", "unmatched")


def _priority(values: np.ndarray) -> float:
    return round(float(np.rint(values * PRIORITY_RESOLUTION).sum()) / PRIORITY_RESOLUTION, 6)


def rematch_info(plan, settings: Settings, assignment: Assignment, mentor_of, status, pairs, seconds) -> SolveInfo:
    """How the checkpoint was solved (``extra``: ``re_matched, re_matched_priority, waitlist_placed,
    disturbed, allow_moves, move_penalty, flagged``)."""
    cohort, cp = plan.cohort, plan.checkpoint
    rematched = status == "re-matched"
    h = hashlib.sha256(f"{cohort.input_hash}|{cp.digest}|{plan.allow_moves}|{plan.move_penalty}".encode())
    extra = {"re_matched": int(rematched.sum()),
             "re_matched_priority": _priority(cohort.mentees.priority[rematched]),
             "waitlist_placed": int(((plan.role == "wait") & (mentor_of >= 0)).sum()),
             "disturbed": int((status == "moved").sum()), "allow_moves": plan.allow_moves,
             "move_penalty": plan.move_penalty, "flagged": len(cp.flags)}
    return SolveInfo(
        solver=assignment.solver, status=assignment.status,
        matched_priority=_priority(cohort.mentees.priority[mentor_of >= 0]),
        score=round(float(pairs["score"].sum()), 6), bound=assignment.bound, gap=assignment.gap,
        seconds=dict(seconds, solve=assignment.wall_time), library_version=__version__, input_hash=h.hexdigest(),
        settings=settings.to_dict(), created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        extra=extra)


def unmatched_codes(plan, cands, status: np.ndarray) -> np.ndarray:
    """The :func:`matching.match` code of each mentee (``""`` for those paired or who left).

    Withdrawn and waitlisted mentees are ``no_eligible_mentor`` when no mentor passes
    the hard rules (dissolved pairs, exclusions and mentors who left included), else
    ``capacity_exhausted``; other unpaired mentees are ``ineligible`` or ``not_waitlisted``.
    """
    e = plan.cohort.mentees
    fits = np.bincount(cands.i, minlength=len(e)) > 0
    code = np.full(len(e), "", dtype=object)
    searching = np.isin(status, ("withdrawn", "waitlisted"))
    code[searching] = np.where(fits[searching], "capacity_exhausted", "no_eligible_mentor")
    idle = status == "unmatched"
    code[idle] = np.where(e.eligible[idle], "not_waitlisted", "ineligible")
    return code


def rematch_summary(plan, settings, cands, pairs, mentees: pd.DataFrame, status, info) -> dict:
    """The summary of a :class:`~matching.checkpoint.result.RematchResult` (see the module notes)."""
    e = plan.cohort.mentees
    code = unmatched_codes(plan, cands, status)
    out = np.flatnonzero(code != "")
    unmatched = pd.DataFrame({"mentee_id": e.ids[out].astype(object), "code": code[out]})
    summary = summarize(plan.cohort, settings, pairs, unmatched, info)
    counts = mentees["status"].value_counts().to_dict()
    count = lambda key: int(counts.get(key, 0))  # noqa: E731
    summary.update({
        "not_waitlisted": int((code == "not_waitlisted").sum()),
        "requests": int(np.isin(plan.checkpoint.ask, ("mentee", "mentor", "both")).sum()),
        "kept": count("kept"), "re_matched": count("re-matched"), "moved": count("moved"), "placed": count("placed"),
        "withdrawn": count("withdrawn"), "waitlisted": count("waitlisted"), "not_paired": count("unmatched"),
        "left": count("left"), "program_mentees": len(mentees),
        "dissolved": len(plan.dissolved_i) + int(((status == "moved") & (plan.pin < 0)).sum()),
        "flagged": len(plan.checkpoint.flags),
    })
    return summary
