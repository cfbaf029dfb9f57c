"""The result of a checkpoint: every pair after it, what changed, who was withdrawn and
why, which mentors have free seats, and the history to carry into the next run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..cohort.model import Cohort, PairTable
from ..files.tables import Table
from ..review.reasons import rule_phrase
from ..review.outcome import SolveInfo, pairs_frame
from ..scoring.rules import Pairs, rule_masks
from ..scoring.scores import Candidates
from ..cohort.settings import Settings
from ..solvers.problem import Assignment
from ..report.views import ResultViews
from .carry import CARRY_OVER_STEP, carry_over_rows
from .summary import rematch_info, rematch_summary

__all__ = ["RematchResult", "build_rematch_result", "no_seat_reasons"]

#: Steps of a "no mentor with free capacity" reason, in the order they are counted.
STEPS = ("eligible", "self", "seniority", "experience", "same_area", "cross_kbu", "dissolved", "excluded",
         "left", "capacity", "full")
_PHRASES = {"dissolved": "were paired with the mentee before (a dissolved pair)",
            "excluded": "are excluded for this mentee by the committee",
            "left": "have left the program", "full": "have no free capacity"}


@dataclass(frozen=True, eq=False)
class RematchResult(ResultViews):
    """Everything after the checkpoint, as plain tables.

    Attributes
    ----------
    pairs : pandas.DataFrame
        Every pair after the checkpoint: ``mentee_id, mentor_id, status`` (``kept`` or
        ``new``), then the columns of :attr:`MatchResult.pairs`.
    changes : pandas.DataFrame
        One row per mentee whose situation changed: ``mentee_id, previous_mentor_id,
        new_mentor_id, requested_by`` (``mentee``, ``mentor``, ``both``, ``mentor left``,
        ``mentee left`` or empty), ``change`` (``re-matched``, ``withdrawn``, ``moved``,
        ``placed``, ``left``).
    withdrawn : pandas.DataFrame
        ``mentee_id, previous_mentor_id, requested_by, reason``: eligible for the next session.
    waitlisted : pandas.DataFrame
        ``mentee_id, reason``: waitlisted mentees no free seat fits.
    unmatched : pandas.DataFrame
        ``mentee_id, reason, code``: unpaired before, not waitlisted (or not eligible).
    mentees : pandas.DataFrame
        Every mentee of the program: ``mentee_id, status, mentor_id, previous_mentor_id,
        requested_by, reason``; status ``kept``, ``re-matched``, ``moved``, ``placed``,
        ``withdrawn``, ``waitlisted``, ``unmatched`` or ``left``.
    mentors : pandas.DataFrame
        Every mentor: ``mentor_id, status`` (``active``/``left``), ``capacity, assigned,
        spare, asked, note``.
    available_mentors : pandas.DataFrame
        The rows of ``mentors`` still in the program with free capacity.
    history : pandas.DataFrame
        ``mentee_id, mentor_id, requested_by``: every pair ever dissolved (the input
        history plus this run's); pass it to the next :func:`rematch` or session.
        ``requested_by`` is ``mentee``, ``mentor``, ``both``, ``broken rule``, ``pinned``
        or ``moved``; pairs ended because someone left are not in it.
    flags : pandas.DataFrame
        ``mentee_id, mentor_id, rule, reason, action``: one row per hard rule broken by a
        current pair that did not ask (say the mentee was promoted to the mentor's
        level); ``action`` is ``kept`` (``broken_pairs="keep"``, with a
        :class:`~matching.MatchingWarning`) or ``re-match``.
    summary : dict
        As for :func:`matching.match`, plus ``requests, kept, re_matched, moved, placed,
        withdrawn, waitlisted, not_paired, not_waitlisted, left, program_mentees,
        dissolved, flagged``; the counts add up (see :mod:`matching.checkpoint.summary`).
    info : SolveInfo
        ``matched_priority`` is the priority of every paired mentee, as after a match;
        ``extra`` holds ``re_matched, re_matched_priority, waitlist_placed, disturbed,
        allow_moves, move_penalty, flagged``.
    """

    pairs: pd.DataFrame
    changes: pd.DataFrame
    withdrawn: pd.DataFrame
    waitlisted: pd.DataFrame
    unmatched: pd.DataFrame
    mentees: pd.DataFrame
    mentors: pd.DataFrame
    available_mentors: pd.DataFrame
    history: pd.DataFrame
    flags: pd.DataFrame
    summary: dict
    info: SolveInfo
    cohort: Cohort = field(repr=False)
    settings: Settings = field(repr=False)
    candidates: Candidates = field(repr=False)
    assignment: Assignment = field(repr=False)
    source: Table | None = field(default=None, repr=False)

    def carry_over(self, *, step: float = CARRY_OVER_STEP) -> pd.DataFrame:
        """The withdrawn mentees' input rows for the next session, ``priority`` raised by ``step``.

        Every column of the mentees table is kept, with the ids and cells as given, so
        the rows can be appended to the next session's mentees table; the priority
        column (``priority``, or the header that means it) holds the raised priority,
        capped at 1000, and is added when the table had none (default priority 1).

        Parameters
        ----------
        step : float, default 1.0
            Added to each mentee's priority (:data:`matching.checkpoint.carry.CARRY_OVER_STEP`).

        Returns
        -------
        pandas.DataFrame
            One row per withdrawn mentee, sorted by id (empty when nobody was withdrawn).

        Examples
        --------
        >>> import matching, pandas as pd
        >>> data = matching.load_example()
        >>> first = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
        >>> ask = pd.DataFrame({"mentee_id": ["E007"], "mentor_id": [first.mentor_of["E007"]],
        ...                     "requested_by": ["mentee"]})
        >>> new = matching.rematch(first, data["mentees"], data["mentors"], ask, relatedness=data["relatedness"])
        >>> rows = new.carry_over()
        >>> list(rows["id"]), list(rows["priority"])
        (['E007'], [2.0])
        """
        return carry_over_rows(self.source, self.cohort, self.withdrawn["mentee_id"].tolist(), step)

    def __repr__(self) -> str:
        s = self.summary
        return (f"RematchResult({s['pairs']} pairs: {s['kept']} kept, {s['re_matched']} re-matched, "
                f"{s['moved']} moved, {s['placed']} placed; {s['withdrawn']} withdrawn; {self.info.status})")


def _dissolved_table(plan) -> PairTable:
    cp = plan.checkpoint
    i = np.concatenate([cp.hist_i, plan.dissolved_i])
    j = np.concatenate([cp.hist_j, plan.dissolved_j])
    return PairTable.build(i, j, np.ones(len(i), dtype=np.int64), len(plan.cohort.mentees))


def no_seat_reasons(plan, settings: Settings, mentor_of: np.ndarray, rows: np.ndarray) -> list[str]:
    """Why no mentor with free capacity fits each mentee in ``rows`` (counted by rule)."""
    cohort = plan.cohort
    m = len(cohort.mentors)
    if not len(rows):
        return []
    if m == 0:
        return ["no mentor with free capacity fits: the cohort has no mentors"] * len(rows)
    cols = np.arange(m)
    masks = rule_masks(Pairs.listed(cohort, settings, rows[:, None], cols[None, :]))
    dissolved = _dissolved_table(plan)
    masks["dissolved"] = (~dissolved.contains(np.repeat(rows, m), np.tile(cols, len(rows))).reshape(len(rows), m)
                          if len(dissolved) else np.ones((len(rows), m), dtype=bool))
    masks["left"] = np.broadcast_to(~plan.checkpoint.left_mentor, (len(rows), m))
    load = np.bincount(mentor_of[mentor_of >= 0], minlength=m)
    masks["full"] = np.broadcast_to(load < cohort.mentors.capacity, (len(rows), m))
    return [_funnel_text(cohort, settings, int(i), {k: masks[k][r] for k in STEPS}) for r, i in enumerate(rows)]


def _singular(phrase: str) -> str:
    """'are ...' -> 'is ...', 'work in ...' -> 'works in ...' (phrases start with a plural verb)."""
    verb, _, rest = phrase.partition(" ")
    return f"{ {'are': 'is', 'have': 'has', 'were': 'was'}.get(verb, verb + 's') } {rest}".strip()


def _funnel_text(cohort: Cohort, settings: Settings, i: int, masks: dict) -> str:
    left = np.ones(len(cohort.mentors), dtype=bool)
    words = []
    for name in STEPS:
        removed = left & ~masks[name]
        if removed.any():
            phrase = _PHRASES.get(name) or rule_phrase(name, cohort, settings, i)
            words.append((int(removed.sum()), phrase))
            left &= masks[name]
    m = len(cohort.mentors)
    head = "no mentor with free capacity fits"
    if len(words) == 1:
        return f"{head}: {'all ' if m > 1 else 'the '}{m} mentor{'s' if m != 1 else ''} {words[0][1]}"
    listed = ", ".join(f"{c} {p if c != 1 else _singular(p)}" for c, p in words[:-1])
    c, p = words[-1]
    last = f"the 1 other {_singular(p)}" if c == 1 else f"all {c} others {p}"
    return f"{head}: of {m} mentors, {listed}, and {last}"



def _statuses(plan, mentor_of: np.ndarray) -> np.ndarray:
    cp, role = plan.checkpoint, plan.role
    placed = mentor_of >= 0
    status = np.full(len(role), "unmatched", dtype=object)
    status[(role == "idle") & placed] = "placed"
    status[role == "wait"] = np.where(placed[role == "wait"], "placed", "waitlisted")
    status[role == "search"] = np.where(placed[role == "search"], "re-matched", "withdrawn")
    status[role == "kept"] = np.where(mentor_of[role == "kept"] == cp.home[role == "kept"], "kept", "moved")
    status[role == "left"] = "left"
    return status


def _mentee_table(plan, settings: Settings, mentor_of: np.ndarray, status: np.ndarray) -> pd.DataFrame:
    """Every mentee of the program with status and reason (those who left and are absent too)."""
    cohort, cp = plan.cohort, plan.checkpoint
    e = cohort.mentees
    reason = np.full(len(e), "", dtype=object)
    no_seat = np.flatnonzero(np.isin(status, ("withdrawn", "waitlisted")))
    reason[no_seat] = no_seat_reasons(plan, settings, mentor_of, no_seat)
    idle = status == "unmatched"
    reason[idle & ~e.eligible] = "not eligible this session (eligible = false in the application)"
    reason[idle & e.eligible] = "not paired before the checkpoint and not on the waitlist"
    reason[status == "left"] = "left the program"
    ask = cp.ask.copy()
    ask[status == "left"] = "mentee left"
    frame = pd.DataFrame({
        "mentee_id": e.ids.astype(object), "status": status,
        "mentor_id": np.where(mentor_of >= 0, cohort.mentors.ids[np.maximum(mentor_of, 0)].astype(object), None),
        "previous_mentor_id": cp.previous, "requested_by": ask, "reason": reason}, dtype=object)
    absent = [{"mentee_id": pid, "status": "left", "mentor_id": None, "previous_mentor_id": partner,
               "requested_by": "mentee left", "reason": "left the program"}
              for pid, role, partner in cp.absent if role == "mentee"]
    if absent:
        frame = pd.concat([frame, pd.DataFrame(absent, dtype=object)], ignore_index=True)
    return frame.sort_values("mentee_id", kind="stable").reset_index(drop=True)


def _mentor_table(plan, mentor_of: np.ndarray, cands: Candidates) -> pd.DataFrame:
    cohort, cp = plan.cohort, plan.checkpoint
    cap = cohort.mentors.capacity
    assigned = np.bincount(mentor_of[mentor_of >= 0], minlength=len(cap)).astype(np.int64)
    asked = np.zeros(len(cap), dtype=bool)
    asked[plan.dissolved_j[np.isin(plan.dissolved_by, ("mentor", "both"))]] = True
    looking = np.isin(plan.role, ("search", "wait"))
    fits = np.bincount(cands.j[looking[cands.i]], minlength=len(cap))
    note = np.full(len(cap), "", dtype=object)
    spare = (assigned < cap) & ~cp.left_mentor
    note[spare & (fits == 0)] = "spare capacity: no mentee looking for a mentor fits under the hard rules"
    note[spare & (fits > 0)] = ("spare capacity: every mentee looking for a mentor who fits is placed "
                                "(with this mentor or another)")
    note[cp.left_mentor] = "left the program"
    note[asked & spare] = np.char.add("asked for a change; ", note[asked & spare].astype(str)).astype(object)
    frame = pd.DataFrame({"mentor_id": cohort.mentors.ids.astype(object),
                          "status": np.where(cp.left_mentor, "left", "active").astype(object),
                          "capacity": cap, "assigned": assigned, "spare": cap - assigned, "asked": asked,
                          "note": note})
    absent = [{"mentor_id": pid, "status": "left", "capacity": 0, "assigned": 0, "spare": 0, "asked": False,
               "note": "left the program"} for pid, role, _ in cp.absent if role == "mentor"]
    if absent:
        frame = pd.concat([frame, pd.DataFrame(absent)], ignore_index=True)
    return frame.sort_values("mentor_id", kind="stable").reset_index(drop=True)


def _history(plan, mentor_of: np.ndarray, status: np.ndarray) -> pd.DataFrame:
    cohort, cp = plan.cohort, plan.checkpoint
    moved = np.flatnonzero((status == "moved") & (plan.pin < 0))
    i = np.concatenate([plan.dissolved_i, moved])
    j = np.concatenate([plan.dissolved_j, cp.home[moved]])
    new = pd.DataFrame({"mentee_id": cohort.mentees.ids[i].astype(object),
                        "mentor_id": cohort.mentors.ids[j].astype(object),
                        "requested_by": np.concatenate([plan.dissolved_by, np.full(len(moved), "moved", object)])},
                       dtype=object)
    both = pd.concat([cp.history, new], ignore_index=True) if len(cp.history) else new
    both = both.drop_duplicates(["mentee_id", "mentor_id"], keep="first")
    return both.sort_values(["mentee_id", "mentor_id"], kind="stable").reset_index(drop=True)


def _changes(mentees: pd.DataFrame) -> pd.DataFrame:
    changed = mentees[mentees["status"].isin(("re-matched", "withdrawn", "moved", "placed", "left"))]
    out = changed.rename(columns={"mentor_id": "new_mentor_id", "status": "change"})
    out = out[["mentee_id", "previous_mentor_id", "new_mentor_id", "requested_by", "change"]]
    return out.reset_index(drop=True)


def build_rematch_result(plan, settings: Settings, cands: Candidates, assignment: Assignment,
                         seconds: dict, source: Table | None = None) -> RematchResult:
    """Assemble the public result from the plan and the solver's assignment."""
    cohort, cp = plan.cohort, plan.checkpoint
    mentor_of = assignment.mentor_of
    status = _statuses(plan, mentor_of)
    pairs = pairs_frame(cohort, settings, cands, mentor_of)
    paired = np.flatnonzero(mentor_of >= 0)
    pairs.insert(2, "status", np.where(mentor_of[paired] == cp.home[paired], "kept", "new").astype(object))
    mentees = _mentee_table(plan, settings, mentor_of, status)
    mentors = _mentor_table(plan, mentor_of, cands)
    info = rematch_info(plan, settings, assignment, mentor_of, status, pairs, seconds)
    pick = lambda s, cols: mentees.loc[mentees["status"] == s, cols].reset_index(drop=True)  # noqa: E731
    unmatched = pick("unmatched", ["mentee_id", "reason"])
    unmatched["code"] = np.where(unmatched["reason"].str.startswith("not eligible"), "ineligible",
                                 "not_waitlisted").astype(object)
    return RematchResult(
        pairs=pairs, changes=_changes(mentees),
        withdrawn=pick("withdrawn", ["mentee_id", "previous_mentor_id", "requested_by", "reason"]),
        waitlisted=pick("waitlisted", ["mentee_id", "reason"]), unmatched=unmatched, mentees=mentees,
        mentors=mentors, available_mentors=mentors[(mentors["status"] == "active") & (mentors["spare"] > 0)]
        .reset_index(drop=True), history=_history(plan, mentor_of, status), flags=cp.flags,
        summary=rematch_summary(plan, settings, cands, pairs, mentees, status, info), info=info, cohort=cohort,
        settings=settings, candidates=cands, assignment=assignment, source=source)
