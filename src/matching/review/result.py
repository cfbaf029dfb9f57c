"""The public result of a match: an :class:`~matching.review.outcome.Outcome` with the
committee's methods (explain, what-ifs, overrides, diff) and views (tables, exports, report)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

from ..report.views import ResultViews
from .audit import audit
from .explain import explain
from .outcome import PRIORITY_RESOLUTION, Outcome, SolveInfo
from .overrides import add_overrides, diff, overrides_table
from .unmatched import explain_unmatched

__all__ = ["MatchResult", "SolveInfo", "PRIORITY_RESOLUTION"]


@dataclass(frozen=True, eq=False)
class MatchResult(Outcome, ResultViews):
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

    @classmethod
    def from_outcome(cls, outcome: Outcome) -> MatchResult:
        """The public result of a solved cohort."""
        return cls(**{f.name: getattr(outcome, f.name) for f in fields(Outcome)})

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
        return explain(self, mentee_id, price=price)

    def explain_unmatched(self, mentee_id):
        """Which rules leave which mentors out for an unmatched mentee, and what would change it.

        Returns
        -------
        matching.review.unmatched.UnmatchedExplanation
        """
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
        return MatchResult.from_outcome(add_overrides(self, pins, kind="pin", reason=reason,
                                                      decided_by=decided_by))

    def with_exclusions(self, exclusions, *, reason=None, decided_by=None) -> MatchResult:
        """A new result with ``exclusions`` (bans) added and the cohort re-solved (see :meth:`with_pins`)."""
        return MatchResult.from_outcome(add_overrides(self, exclusions, kind="exclusion", reason=reason,
                                                      decided_by=decided_by))

    def diff(self, other: MatchResult) -> pd.DataFrame:
        """What changed from ``other`` to this result: ``mentee_id, old_mentor_id,
        new_mentor_id, change`` (new / removed / moved) and ``score_delta``."""
        return diff(self, other)

    @property
    def overrides(self) -> pd.DataFrame:
        """Every pin and exclusion in force: ``kind, mentee_id, mentor_id, reason, decided_by``."""
        return overrides_table(self)
