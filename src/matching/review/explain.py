"""Why this mentor, and why not another: explanations a committee can defend.

:func:`explain` breaks a pair's score into its criteria in plain words, prices the
best alternatives and the mentors the mentee ranked but did not get by actually
re-solving the cohort with that pair pinned. :func:`explain_unmatched` says which
hard rules leave which mentors out and what single change would give the mentee a
mentor.

Explanations name levels, areas, KBUs and competencies; of gender and race they say
only "cross-gender: yes/no" and "cross-race: yes/no".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError, MatchingError
from ..files.ids import canonical, closest, shown
from .audit import blocking_pairs
from .overrides import Cost, fmt_points, pin_cost
from .reasons import pin_problem
from ..scoring.rules import Pairs, broken_rules
from ..scoring.scores import RESOLUTION, criterion_names, criterion_values, score_pairs

__all__ = ["Part", "Alternative", "NotChosen", "Explanation", "explain", "pair_parts", "mentee_position",
           "N_ALTERNATIVES"]

#: How many alternative mentors an explanation prices.
N_ALTERNATIVES = 3

def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class Part:
    """One criterion's part of a pair's score: ``points = weight * value`` (in score units)."""

    criterion: str
    value: float
    weight: float
    points: float
    words: str


@dataclass(frozen=True)
class Alternative:
    """Another mentor the mentee could have had, and the cost to the cohort of forcing it."""

    mentor_id: str
    score: float
    preference_rank: int | None
    cost: Cost

    def __str__(self) -> str:
        rank = f", {_ordinal(self.preference_rank)} choice" if self.preference_rank else ""
        cost = f": change for the cohort if forced: {self.cost}" if self.cost is not None else ""
        return f"{self.mentor_id} (score {fmt_points(self.score)}{rank}){cost}"


@dataclass(frozen=True)
class NotChosen:
    """A mentor the mentee ranked but did not get, and why not.

    ``broken`` names the hard rules that block the pair (then ``cost`` is None);
    otherwise ``cost`` is the cohort-wide change of forcing it (None if not priced).
    """

    mentor_id: str
    rank: int
    broken: tuple
    reason: str
    cost: Cost | None

    def __str__(self) -> str:
        return f"{self.mentor_id} ({_ordinal(self.rank)} choice): {self.reason}"


@dataclass(frozen=True)
class Explanation:
    """Why a mentee has their mentor.

    Attributes
    ----------
    mentee_id, mentor_id : str
    score : float
        The pair's score; the parts' ``points`` add up to it exactly.
    parts : tuple of Part
        One per criterion: ``criterion, value, weight, points, words``.
    alternatives : tuple of Alternative
        The best other mentors by pair score, each priced by a re-solve with it pinned.
    not_chosen : tuple of NotChosen
        The mentors the mentee ranked but did not get, in rank order.
    pinned : bool
        The committee pinned this pair.
    blocking : tuple of str
        The mentee's blocking pairs in words (see :meth:`MatchResult.audit`): a ranked
        mentor who would have taken them, and why the committee's optimum did otherwise.
    """

    mentee_id: str
    mentor_id: str
    score: float
    parts: tuple
    alternatives: tuple
    not_chosen: tuple
    pinned: bool = False
    blocking: tuple = ()

    @property
    def table(self) -> pd.DataFrame:
        """The parts as a table: ``criterion, value, weight, points``."""
        return pd.DataFrame([(p.criterion, p.value, p.weight, p.points) for p in self.parts],
                            columns=["criterion", "value", "weight", "points"])

    @property
    def headline(self) -> str:
        words = "; ".join(p.words for p in self.parts)
        return f"{self.mentee_id} -> {self.mentor_id} (score {fmt_points(self.score)}): {words}"

    def __str__(self) -> str:
        lines = [self.headline]
        if self.pinned:
            lines.append("  pinned by the committee")
        if self.alternatives:
            lines.append("  best alternatives:")
            lines += [f"    - {a}" for a in self.alternatives]
        if self.not_chosen:
            lines.append("  ranked but not assigned:")
            lines += [f"    - {n}" for n in self.not_chosen]
        if self.blocking:
            lines.append("  blocking pairs (a ranked mentor who would have taken them):")
            lines += [f"    - {b}" for b in self.blocking]
        return "\n".join(lines)


def mentee_position(result, mentee_id) -> int:
    """Position of a mentee id, or an InputError naming it."""
    mentee_id = canonical(mentee_id)
    pos = result.cohort.mentee_index([mentee_id])[0]
    if pos < 0:
        hint = closest([mentee_id], result.cohort.mentees.ids.tolist()).get(mentee_id)
        hint = f"; did you mean '{shown(hint)}'?" if hint else ""
        raise InputError([{"column": "mentee_id", "id": shown(mentee_id),
                           "problem": f"unknown mentee '{shown(mentee_id)}'{hint}"}])
    return int(pos)


def _value(cohort, settings, name: str, i: int, j: int) -> float:
    values = criterion_values(Pairs.listed(cohort, settings, [i], [j]), name)
    return float(np.asarray(values, dtype=float).reshape(-1)[0])


def _rank(cohort, i: int, j: int, table: str = "preferences") -> int:
    t = getattr(cohort, table)
    a, b = t.ptr[i], t.ptr[i + 1]
    hit = np.flatnonzero(t.j[a:b] == j)
    return int(t.value[a + hit[0]]) if len(hit) else 0


def _words(cohort, name: str, value: float, i: int, j: int) -> str:
    e, m = cohort.mentees, cohort.mentors
    if name == "seniority":
        gap = int(m.level[j] - e.level[i])
        return "mentor at the same level" if gap == 0 else \
            f"mentor {abs(gap)} level{'s' if abs(gap) != 1 else ''} {'up' if gap > 0 else 'down'}"
    if name == "relatedness":
        a, b = cohort.areas[e.area[i]], cohort.areas[m.area[j]]
        return f"same area: {a} ({value:g})" if a == b else f"adjacent area: {a} -> {b} ({value:g})"
    if name == "preference":
        rank = _rank(cohort, i, j)
        if rank:
            return f"mentee's {_ordinal(rank)} choice"
        return "not among the mentee's choices" if cohort.preferences.ptr[i + 1] > cohort.preferences.ptr[i] \
            else "mentee ranked no mentors"
    if name == "mentor_preference":
        rank = _rank(cohort, i, j, "mentor_preferences")
        if rank:
            return f"mentor's {_ordinal(rank)} choice"
        return ("not among the mentor's choices" if (cohort.mentor_preferences.j == j).any()
                else "mentor ranked no mentees")
    if name == "competency":
        goals = e.competencies[i]
        met = np.flatnonzero(goals & m.competencies[j])
        if not goals.any():
            return "competencies: the mentee listed no goals"
        names = f" ({', '.join(cohort.competencies[k] for k in met)})" if len(met) else ""
        return f"competencies: {len(met)} of {int(goals.sum())} goals met{names}"
    label = {"cross_kbu": "cross-KBU", "cross_gender": "cross-gender", "cross_race": "cross-race"}.get(name)
    if label:
        return f"{label}: {'yes' if value > 0 else 'no'}"
    return f"{name}: {value:g}"


def pair_parts(cohort, settings, i: int, j: int) -> tuple:
    """The parts of pair ``(i, j)``; their points add up to its score."""
    units = score_pairs(cohort, settings, [i], [j])[0]
    return tuple(Part(name, v, settings.weight(name), units[k] / RESOLUTION, _words(cohort, name, v, i, j))
                 for k, name in enumerate(criterion_names(cohort))
                 for v in [_value(cohort, settings, name, i, j)])


def _blocked(cohort, settings, i: int, j: int, broken: list) -> str:
    """'breaks the hard rule 'same_area': both work in Budget' (pin_problem wording)."""
    text = pin_problem(cohort, settings, i, j, broken)
    prefix = f"pin ({cohort.mentees.ids[i]}, {cohort.mentors.ids[j]}) "
    return text[len(prefix):] if text.startswith(prefix) else text


def _cost(result, i: int, j: int, costs: dict | None) -> Cost | None:
    """The (cached) cost of pinning ``(i, j)``; None when pricing is off."""
    if costs is None:
        return None
    if j not in costs:
        costs[j] = pin_cost(result, i, j)
    return costs[j]


def _alternatives(result, i: int, current: int, costs: dict | None) -> tuple:
    c = result.candidates
    lo, hi = np.searchsorted(c.i, [i, i + 1])
    j, total = c.j[lo:hi], c.total[lo:hi]
    keep = j != current
    j, total = j[keep], total[keep]
    order = np.lexsort((j, -total))[:N_ALTERNATIVES]
    out = []
    for k in order:
        jj = int(j[k])
        out.append(Alternative(str(result.cohort.mentors.ids[jj]), total[k] / RESOLUTION,
                               _rank(result.cohort, i, jj) or None, _cost(result, i, jj, costs)))
    return tuple(out)


def _not_chosen(result, i: int, current: int, costs: dict | None) -> tuple:
    cohort, settings = result.cohort, result.settings
    t = cohort.preferences
    a, b = t.ptr[i], t.ptr[i + 1]
    out = []
    for jj, rank in sorted(zip(t.j[a:b].tolist(), t.value[a:b].tolist()), key=lambda x: x[1]):
        if jj == current:
            continue
        broken = broken_rules(cohort, settings, [i], [jj])[0]
        if broken:
            out.append(NotChosen(str(cohort.mentors.ids[jj]), rank, tuple(broken),
                                 _blocked(cohort, settings, i, jj, broken), None))
            continue
        cost = _cost(result, i, jj, costs)
        row = result.mentors.iloc[jj]
        full = f" ({row['mentor_id']} is full: {row['assigned']} of {row['capacity']} seats taken)" \
            if row["assigned"] >= row["capacity"] else ""
        words = ("allowed by every rule; not priced" if cost is None else
                 f"forcing it would change the cohort by {cost}" if cost.possible else str(cost)) + full
        out.append(NotChosen(str(cohort.mentors.ids[jj]), rank, (), words, cost))
    return tuple(out)


def explain(result, mentee_id, *, price: bool = True) -> Explanation:
    """Explain the pair of ``mentee_id`` in ``result`` (see :meth:`MatchResult.explain`).

    ``price=False`` skips the re-solves (costs are None): for quick reports of large cohorts.
    """
    i = mentee_position(result, mentee_id)
    mentee_id = result.cohort.mentees.ids[i]
    j = int(result.assignment.mentor_of[i])
    if j < 0:
        reason = result.unmatched.set_index("mentee_id")["reason"].get(str(mentee_id), "")
        raise MatchingError(f"mentee '{mentee_id}' is unmatched ({reason}); "
                            f"use result.explain_unmatched('{mentee_id}')")
    cohort = result.cohort
    parts = pair_parts(cohort, result.settings, i, j)
    costs: dict | None = {} if price else None
    pinned = bool(cohort.pins.contains([i], [j])[0]) if len(cohort.pins) else False
    not_chosen = _not_chosen(result, i, j, costs)
    return Explanation(mentee_id=str(cohort.mentees.ids[i]), mentor_id=str(cohort.mentors.ids[j]),
                       score=sum(round(p.points * RESOLUTION) for p in parts) / RESOLUTION, parts=parts,
                       alternatives=_alternatives(result, i, j, costs), not_chosen=not_chosen,
                       pinned=pinned, blocking=blocking_words(result, i, not_chosen))


def blocking_words(result, i: int, not_chosen: tuple = ()) -> tuple:
    """Mentee ``i``'s blocking pairs in the second person, with the cost of forcing each
    pair when ``not_chosen`` priced it ("M012, your 1st choice, would have taken you over E044; ...")."""
    cohort = result.cohort
    b = blocking_pairs(cohort, result.settings, result.assignment.mentor_of)
    costs = {n.mentor_id: n.cost for n in not_chosen}
    out = []
    for k in np.flatnonzero(b.i == i):
        m = str(cohort.mentors.ids[b.j[k]])
        cost = costs.get(m)
        because = (f"forcing you to {m} would change the cohort by {cost}" if cost is not None and cost.possible
                   else "it maximises the mentees matched, then the total score of all pairs, not each "
                        "person's first choice")
        head = f"{m}, your {_ordinal(int(b.rank[k]))} choice,"
        if b.displaced[k] < 0:
            out.append(f"{head} had a free seat and would have taken you; the committee's optimum left it "
                       f"free because {because}")
        else:
            other = str(cohort.mentees.ids[b.displaced[k]])
            out.append(f"{head} would have taken you over {other}; the committee's optimum gave {m} to {other} "
                       f"because {because}")
    return tuple(out)
