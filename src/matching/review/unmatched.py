"""Why a mentee is unmatched: which rules leave which mentors out, and what would change it.

Relaxing one rule at a time is computed from the vectorized rule masks of the mentee's
row; an extra seat at a full eligible mentor is priced by an actual re-solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MatchingError
from .explain import N_ALTERNATIVES, blocking_words, mentee_position
from .overrides import Cost, pin_cost
from .reasons import rule_funnel
from ..scoring.rules import RULES, Pairs, rule_masks

__all__ = ["Relaxation", "CapacityOption", "UnmatchedExplanation", "explain_unmatched", "RELAXABLE"]

#: Hard rules a committee could relax, and how to say so.
RELAXABLE = {
    "eligible": "if the mentee were made eligible",
    "seniority": "if the seniority-gap rule were relaxed",
    "experience": "if the more-experience rule were relaxed",
    "same_area": "if the different-area rule were relaxed",
    "cross_kbu": "if the cross-KBU rule were relaxed",
    "excluded": "if their exclusions were lifted",
    "capacity": "if mentors with capacity 0 took a mentee",
}


@dataclass(frozen=True)
class Relaxation:
    """Mentors that fail exactly one hard rule for this mentee: relaxing it would let them in."""

    rule: str
    mentor_ids: tuple

    def __str__(self) -> str:
        n = len(self.mentor_ids)
        ids = ", ".join(self.mentor_ids[:5]) + (f" and {n - 5} more" if n > 5 else "")
        return f"{n} mentor{'s' if n != 1 else ''} ({ids}) would be allowed {RELAXABLE[self.rule]}"


@dataclass(frozen=True)
class CapacityOption:
    """Raising a full mentor's capacity by one and pairing them with the mentee."""

    mentee_id: str
    mentor_id: str
    cost: Cost

    def __str__(self) -> str:
        if not self.cost.possible:
            return f"raising {self.mentor_id}'s capacity by 1: {self.cost}"
        return (f"raising {self.mentor_id}'s capacity by 1 would let {self.mentee_id} be matched "
                f"with {self.mentor_id} (change for the cohort: {self.cost})")


@dataclass(frozen=True)
class UnmatchedExplanation:
    """Why a mentee has no mentor, and what single change would give them one.

    Attributes
    ----------
    mentee_id, code, reason : str
        As in :attr:`MatchResult.unmatched`.
    funnel : tuple of (rule, count)
        Rules applied in order, and how many of the mentors still left each removes.
    blocked : tuple of (rule, tuple of mentor ids)
        Every mentor each rule, on its own, leaves out.
    relaxations : tuple of Relaxation
        For each relaxable rule, the mentors that break that rule alone.
    full_mentors : tuple of str
        Mentors every rule allows, all taken by other mentees.
    capacity_options : tuple of CapacityOption
        For the best few full mentors, what raising their capacity by one would do.
    blocking : tuple of str
        The mentee's blocking pairs in words (see :meth:`MatchResult.audit`).
    """

    mentee_id: str
    code: str
    reason: str
    funnel: tuple
    blocked: tuple
    relaxations: tuple
    full_mentors: tuple
    capacity_options: tuple
    blocking: tuple = ()

    def __str__(self) -> str:
        lines = [f"{self.mentee_id} is unmatched: {self.reason}"]
        if self.funnel:
            lines.append("  mentors left out, rule by rule: "
                         + ", ".join(f"{rule} {count}" for rule, count in self.funnel))
        changes = [str(r) for r in self.relaxations] + [str(c) for c in self.capacity_options]
        if self.full_mentors and not self.capacity_options:
            changes.append(f"{len(self.full_mentors)} eligible mentors are full")
        lines.append("  what would change it:" if changes else
                     "  no single rule relaxed or seat added would give this mentee a mentor")
        lines += [f"    - {c}" for c in changes]
        if self.blocking:
            lines.append("  blocking pairs (a ranked mentor who would have taken them):")
            lines += [f"    - {b}" for b in self.blocking]
        return "\n".join(lines)


def explain_unmatched(result, mentee_id) -> UnmatchedExplanation:
    """Explain why ``mentee_id`` is unmatched (see :meth:`MatchResult.explain_unmatched`)."""
    i = mentee_position(result, mentee_id)
    mentee_id = result.cohort.mentees.ids[i]
    cohort, settings = result.cohort, result.settings
    if result.assignment.mentor_of[i] >= 0:
        mid = cohort.mentors.ids[result.assignment.mentor_of[i]]
        raise MatchingError(f"mentee '{mentee_id}' is matched with '{mid}'; use result.explain('{mentee_id}')")
    m = len(cohort.mentors)
    masks = {k: v[0] for k, v in rule_masks(Pairs.listed(cohort, settings, [[i]], np.arange(m)[None, :])).items()}
    stack = np.array([masks[r] for r in RULES]).reshape(len(RULES), m)
    n_broken = (~stack).sum(axis=0)
    ids = np.asarray(cohort.mentors.ids, dtype=object)
    relax = tuple(Relaxation(rule, tuple(ids[~masks[rule] & (n_broken == 1)])) for rule in RELAXABLE
                  if (~masks[rule] & (n_broken == 1)).any())
    full = np.flatnonzero(n_broken == 0)
    c = result.candidates
    lo, hi = np.searchsorted(c.i, [i, i + 1])
    best = c.j[lo:hi][np.lexsort((c.j[lo:hi], -c.total[lo:hi]))][:N_ALTERNATIVES]
    options = []
    for j in best.tolist():
        capacity = cohort.mentors.capacity.copy()
        capacity[j] += 1
        options.append(CapacityOption(str(cohort.mentees.ids[i]), str(ids[j]),
                                      pin_cost(result, i, j, capacity=capacity)))
    row = result.unmatched.set_index("mentee_id").loc[str(cohort.mentees.ids[i])]
    return UnmatchedExplanation(
        mentee_id=str(cohort.mentees.ids[i]), code=str(row["code"]), reason=str(row["reason"]),
        funnel=tuple(rule_funnel(masks)) if m else (),
        blocked=tuple((rule, tuple(ids[~masks[rule]])) for rule in RULES if (~masks[rule]).any()),
        relaxations=relax, full_mentors=tuple(ids[full]), capacity_options=tuple(options),
        blocking=blocking_words(result, i))
