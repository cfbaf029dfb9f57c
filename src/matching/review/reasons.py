"""Reasons a committee member understands: why a mentee is unmatched, why a mentor has
spare capacity, which hard rule a pin breaks.

Reasons name levels, areas and KBUs; they never name a gender or race.
"""

from __future__ import annotations

import numpy as np

from ..cohort.model import Cohort
from ..scoring.rules import RULES, Pairs, rule_masks
from ..cohort.settings import Settings

__all__ = ["rule_phrase", "rule_funnel", "no_mentor_reason", "unmatched_reasons", "mentor_notes", "pin_problem",
           "allowed_counts"]

#: Machine-readable codes of unmatched reasons.
INELIGIBLE, NO_ELIGIBLE_MENTOR, CAPACITY_EXHAUSTED = "ineligible", "no_eligible_mentor", "capacity_exhausted"


def rule_phrase(rule: str, cohort: Cohort, settings: Settings, i: int) -> str:
    """What mentors removed by ``rule`` have in common, for mentee ``i`` (plural verb)."""
    e = cohort.mentees
    gap = settings.min_level_gap
    if rule == "seniority":
        text = f"are not at least {gap} level{'s' if gap != 1 else ''} above the mentee's level {e.level[i]}"
        if settings.max_level_gap is not None:
            text += f" (or are more than {settings.max_level_gap} above)"
        return text
    return {
        "eligible": "cannot be paired because the mentee is not eligible",
        "self": "are the mentee themself",
        "experience": "have no more years of experience than the mentee",
        "same_area": f"work in {cohort.areas[e.area[i]]}, the mentee's own area",
        "cross_kbu": f"are in the mentee's own KBU ({cohort.kbus[e.kbu[i]]})",
        "excluded": "are excluded for this mentee (a ban or a dissolved pair)",
        "capacity": "have no capacity (capacity 0)",
    }[rule]


def rule_funnel(masks: dict[str, np.ndarray]) -> list[tuple[str, int]]:
    """Apply rules in order; how many mentors each removes from those still left."""
    left = np.ones(len(next(iter(masks.values()))), dtype=bool)
    steps = []
    for name in RULES:
        removed = left & ~masks[name]
        if removed.any():
            steps.append((name, int(removed.sum())))
            left &= masks[name]
    return steps


def no_mentor_reason(cohort: Cohort, settings: Settings, i: int, masks: dict | None = None) -> str:
    """'no eligible mentor: of 40 mentors, 37 are not ..., and all 3 others work in ...'."""
    m = len(cohort.mentors)
    if m == 0:
        return "no eligible mentor: the cohort has no mentors"
    if masks is None:
        masks = {k: v[0] for k, v in rule_masks(Pairs.listed(cohort, settings, [[i]], np.arange(m)[None, :])).items()}
    steps = rule_funnel(masks)
    words = [(count, rule_phrase(name, cohort, settings, i)) for name, count in steps]
    if len(words) == 1:
        return f"no eligible mentor: all {m} mentor{'s' if m != 1 else ''} {words[0][1]}"
    head = ", ".join(f"{c} {p if c != 1 else _singular(p)}" for c, p in words[:-1])
    c, p = words[-1]
    if c == 1:
        return f"no eligible mentor: of {m} mentors, {head}, and the 1 other {_singular(p)}"
    return f"no eligible mentor: of {m} mentors, {head}, and all {c} others {p}"


def _singular(phrase: str) -> str:
    """'are ...' -> 'is ...', 'work in ...' -> 'works in ...' (phrases start with a plural verb)."""
    verb, _, rest = phrase.partition(" ")
    return f"{ {'are': 'is', 'have': 'has'}.get(verb, verb + 's') } {rest}".strip()


def allowed_counts(cands, n_mentees: int, n_mentors: int) -> tuple[np.ndarray, np.ndarray]:
    """Allowed pairs of each mentee and each mentor in the FULL problem.

    A complete candidate set is counted directly; a sparse (certified) one carries the
    full counts, since it lists only each mentee's best mentors.
    """
    if not cands.complete and cands.allowed_per_mentee is not None:
        return cands.allowed_per_mentee, cands.allowed_per_mentor
    return (np.bincount(cands.i, minlength=n_mentees), np.bincount(cands.j, minlength=n_mentors))


def _full_mentors_text(cohort: Cohort, mentors: np.ndarray, total: int, listed_all: bool) -> str:
    names = ", ".join(cohort.mentors.ids[mentors[:5]])
    more = f" and {total - min(5, len(mentors))} more" if total > min(5, len(mentors)) else ""
    lead = "" if listed_all else "best-scoring: "
    plural = total != 1
    return (f"capacity exhausted: {'all ' if plural else 'its '}{total} eligible mentor{'s' if plural else ''} "
            f"({lead}{names}{more}) {'are' if plural else 'is'} at capacity with other mentees")


def unmatched_reasons(cohort: Cohort, settings: Settings, mentor_of: np.ndarray, cands) -> list[tuple[int, str, str]]:
    """(mentee position, code, reason) for every unmatched mentee, in id order.

    In an optimal answer every eligible mentor of an unmatched mentee is full (a free
    seat would match one more), so that is the reason whenever one exists.
    """
    per_mentee, _ = allowed_counts(cands, len(cohort.mentees), len(cohort.mentors))
    order = np.argsort(cands.i, kind="stable")
    sorted_i = cands.i[order]
    out = []
    for i in np.flatnonzero(mentor_of < 0):
        if not cohort.mentees.eligible[i]:
            out.append((int(i), INELIGIBLE, "not eligible this session (eligible = false in the application)"))
        elif per_mentee[i] == 0:
            out.append((int(i), NO_ELIGIBLE_MENTOR, no_mentor_reason(cohort, settings, int(i))))
        else:
            a, b = np.searchsorted(sorted_i, [i, i + 1])
            mentors = np.sort(cands.j[order[a:b]])
            out.append((int(i), CAPACITY_EXHAUSTED,
                        _full_mentors_text(cohort, mentors, int(per_mentee[i]), cands.complete)))
    return out


def mentor_notes(cohort: Cohort, mentor_of: np.ndarray, cands) -> list[str]:
    """A note for each mentor: empty when full, else why seats are spare."""
    cap = cohort.mentors.capacity
    assigned = np.bincount(mentor_of[mentor_of >= 0], minlength=len(cap))
    _, eligible = allowed_counts(cands, len(cohort.mentees), len(cap))
    notes = []
    for j in range(len(cap)):
        if cap[j] == 0:
            notes.append("capacity 0: takes no mentee this session")
        elif assigned[j] >= cap[j]:
            notes.append("")
        elif eligible[j] == 0:
            notes.append("spare capacity: no mentee is eligible for this mentor under the hard rules")
        else:
            k = int(eligible[j])
            notes.append(f"spare capacity: {'all ' if k > 1 else 'its '}{k} eligible mentee{'s' if k != 1 else ''} "
                         f"{'are' if k != 1 else 'is'} paired (with this mentor or one that gains the cohort more)")
    return notes


def pin_problem(cohort: Cohort, settings: Settings, i: int, j: int, broken: list[str]) -> str:
    """'pin (E4, M10) breaks the hard rule 'seniority': the mentor ...'."""
    e, m = cohort.mentees, cohort.mentors
    detail = {
        "eligible": "the mentee is not eligible this session",
        "self": "a person cannot mentor themself",
        "seniority": f"the mentor (level {m.level[j]}) is not at least {settings.min_level_gap} level(s) above "
                     f"the mentee (level {e.level[i]})" + (
                         f" or is more than {settings.max_level_gap} above" if settings.max_level_gap else ""),
        "experience": f"the mentor has no more years of experience ({m.years[j]:g}) than the mentee ({e.years[i]:g})",
        "same_area": f"both work in {cohort.areas[e.area[i]]}",
        "cross_kbu": f"both are in the KBU {cohort.kbus[e.kbu[i]]} and require_cross_kbu is set",
        "excluded": "the pair is excluded (a ban or a dissolved pair)",
        "capacity": "the mentor has capacity 0",
    }
    text = "; ".join(f"'{r}': {detail[r]}" for r in broken)
    rule_word = "rules" if len(broken) > 1 else "rule"
    return f"pin ({e.ids[i]}, {m.ids[j]}) breaks the hard {rule_word} {text}"
