"""The result of a match: pairs, unmatched mentees, mentor loads, a summary, and a
record of how it was solved (so a committee decision can be reproduced)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._version import __version__
from ..cohort.model import Cohort
from .audit import audit_summary
from .reasons import mentor_notes, unmatched_reasons
from ..scoring.scores import RESOLUTION, Candidates, score_pairs
from ..cohort.settings import Settings
from ..solvers.problem import Assignment
from ..report.stats import summarize
from ..report.views import ResultViews

__all__ = ["MatchResult", "SolveInfo", "build_result", "PRIORITY_RESOLUTION"]

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
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True, eq=False)
class MatchResult(ResultViews):
    """Pairs and everyone left out, with reasons, and how it was solved.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per pair: ``mentee_id, mentor_id, score``, one column per criterion's
        part (they add up to ``score`` in units of ``1/RESOLUTION``),
        ``preference_rank`` (empty if the mentor was not ranked), ``level_gap``,
        ``mentee_area``, ``mentor_area``, ``is_cross_kbu``, ``is_cross_gender``,
        ``is_cross_race`` (bool flags; the ``cross_*`` columns are the criteria's
        parts), ``pinned``.
    unmatched : pandas.DataFrame
        ``mentee_id, reason, code`` for every mentee without a mentor.
    mentors : pandas.DataFrame
        ``mentor_id, capacity, assigned, spare, note`` for every mentor.
    summary : dict
        Counts, cross-pair shares, preference ranks obtained, objective and status;
        ``summary["audit"]``: the number of blocking pairs (see :meth:`audit`), the rank
        profile obtained (``rank_profile``: how many got their 1st, 2nd, ... choice) and
        the best reachable (``best_rank_profile``, rank-maximal).
    info : SolveInfo
    """

    pairs: pd.DataFrame
    unmatched: pd.DataFrame
    mentors: pd.DataFrame
    summary: dict
    info: SolveInfo
    cohort: Cohort = field(repr=False)
    settings: Settings = field(repr=False)
    candidates: Candidates = field(repr=False)
    assignment: Assignment = field(repr=False)

    def __repr__(self) -> str:
        s = self.summary
        return (f"MatchResult({s['pairs']} pairs, {s['unmatched']} unmatched of {s['mentees']} mentees; "
                f"{self.info.status} by {self.info.solver})")

    def explain(self, mentee_id, *, price: bool = True):
        """Why ``mentee_id`` has their mentor: parts, priced alternatives, ranked mentors not given.

        Alternatives and ranked mentors are priced by re-solving the cohort with that
        pair pinned (``price=False`` skips the re-solves; costs are then None). Raises :class:`~matching.InputError` for an unknown id and
        :class:`~matching.MatchingError` for an unmatched mentee (see :meth:`explain_unmatched`).

        Returns
        -------
        matching.review.explain.Explanation

        Examples
        --------
        >>> import matching
        >>> data = matching.load_example()
        >>> result = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
        >>> why = result.explain("E001")
        >>> why.mentor_id == result.mentor_of["E001"], round(sum(why.table["points"]), 3) == why.score
        (True, True)
        """
        from .explain import explain

        return explain(self, mentee_id, price=price)

    def explain_unmatched(self, mentee_id):
        """Which rules leave which mentors out for an unmatched mentee, and what would change it.

        Returns
        -------
        matching.review.unmatched.UnmatchedExplanation
        """
        from .unmatched import explain_unmatched

        return explain_unmatched(self, mentee_id)

    def audit(self) -> pd.DataFrame:
        """Every blocking pair: a mentee and a ranked mentor who would both rather be together.

        Returns
        -------
        pandas.DataFrame
            ``mentee_id, mentor_id, mentee_rank, current_mentor, current_rank, displaced,
            sentence``; empty when the result is stable for the preferences given (see
            :mod:`matching.review.audit`).
        """
        from .audit import audit

        return audit(self)

    def with_pins(self, pins, *, reason=None, decided_by=None) -> MatchResult:
        """A new result with ``pins`` added to those in force and the cohort re-solved.

        ``pins``: a DataFrame ``mentee_id, mentor_id[, reason, decided_by]`` or a list of
        ``(mentee_id, mentor_id)`` tuples; ``reason``/``decided_by`` fill rows that have
        none. Raises :class:`~matching.InputError` (unknown id, pinned twice, pinned and
        excluded) or :class:`~matching.PinError` (a pin breaks a hard rule).

        Examples
        --------
        >>> import matching
        >>> data = matching.load_example()
        >>> old = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
        >>> new = old.with_pins([("E001", "M018")], reason="1st choice", decided_by="chair")
        >>> new.mentor_of["E001"], list(new.overrides["kind"])
        ('M018', ['pin'])
        >>> new.diff(old)["change"].tolist()
        ['moved', 'moved']
        """
        from .overrides import add_overrides

        return add_overrides(self, pins, kind="pin", reason=reason, decided_by=decided_by)

    def with_exclusions(self, exclusions, *, reason=None, decided_by=None) -> MatchResult:
        """A new result with ``exclusions`` (bans) added and the cohort re-solved (see :meth:`with_pins`)."""
        from .overrides import add_overrides

        return add_overrides(self, exclusions, kind="exclusion", reason=reason, decided_by=decided_by)

    def diff(self, other: MatchResult) -> pd.DataFrame:
        """What changed from ``other`` to this result: ``mentee_id, old_mentor_id,
        new_mentor_id, change`` (new / removed / moved) and ``score_delta``."""
        from .overrides import diff

        return diff(self, other)

    @property
    def overrides(self) -> pd.DataFrame:
        """Every pin and exclusion in force: ``kind, mentee_id, mentor_id, reason, decided_by``."""
        from .overrides import overrides_table

        return overrides_table(self)


def _pairs_frame(cohort: Cohort, settings: Settings, cands: Candidates, mentor_of: np.ndarray) -> pd.DataFrame:
    e, m = cohort.mentees, cohort.mentors
    i = np.flatnonzero(mentor_of >= 0)
    j = mentor_of[i]
    parts = score_pairs(cohort, settings, i, j)
    frame = pd.DataFrame({"mentee_id": e.ids[i].astype(object), "mentor_id": m.ids[j].astype(object),
                          "score": parts.sum(axis=1) / RESOLUTION})
    for k, name in enumerate(cands.names):
        frame[name] = parts[:, k] / RESOLUTION
    from ..scoring.rules import Pairs

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


def build_result(cohort: Cohort, settings: Settings, cands: Candidates, assignment: Assignment,
                 seconds: dict) -> MatchResult:
    """Assemble the public result from the solver's assignment."""
    mentor_of = assignment.mentor_of
    pairs = _pairs_frame(cohort, settings, cands, mentor_of)
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
    return MatchResult(pairs=pairs, unmatched=unmatched, mentors=mentors, summary=summary, info=info,
                       cohort=cohort, settings=settings, candidates=cands, assignment=assignment)
