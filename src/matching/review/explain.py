"""Why this mentor, and why not another: explanations a committee can defend.

:func:`explain` breaks a pair's score into its criteria in plain words and prices the
best alternatives and the mentors the mentee ranked but did not get: the cost to the
cohort of forcing each, read off the optimum (:mod:`matching.review.prices`, equal to a
re-solve with the pair pinned). :func:`explain_many` explains many mentees with one
batch of prices (the report's path); :func:`why_not` prices any mentor the committee
asks about, or names the hard rule that forbids the pair.

Explanations name levels, areas, KBUs and competencies; of gender and race they say
only "cross-gender: yes/no" and "cross-race: yes/no".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError, MatchingError
from ..files import progress as _progress
from ..scoring.rules import broken_rules
from ..scoring.scores import RESOLUTION, score_pairs
from ..files.ids import canonical, closest, shown
from .audit import blocking_pairs
from .overrides import Cost, fmt_points
from .prices import price_pairs
from .reasons import pin_problem
from .words import Part, ordinal, pair_parts, parts_many, pre, price_words, ranks

__all__ = ["Part", "Alternative", "NotChosen", "Explanation", "WhyNot", "explain", "explain_many", "why_not",
           "pair_parts", "mentee_position", "mentor_position", "N_ALTERNATIVES"]

#: How many alternative mentors an explanation prices.
N_ALTERNATIVES = 3


@dataclass(frozen=True)
class Alternative:
    """Another mentor the mentee could have had, and the cost to the cohort of forcing it."""

    mentor_id: str
    score: float
    preference_rank: int | None
    cost: Cost

    def __str__(self) -> str:
        rank = f", {ordinal(self.preference_rank)} choice" if self.preference_rank else ""
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
        return f"{self.mentor_id} ({ordinal(self.rank)} choice): {self.reason}"


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

    @property
    def line(self) -> str:
        """One or two lines for a report: the strongest reasons and the best alternative's price."""
        parts = sorted((p for p in self.parts if p.points > 0), key=lambda p: -p.points)[:3]
        text = "; ".join(p.words for p in parts) or "no criterion adds points"
        if self.pinned:
            text = "pinned by the committee; " + text
        best = next((a for a in self.alternatives if a.cost is not None and a.cost.possible), None)
        if best is not None:
            rank = f", {ordinal(best.preference_rank)} choice" if best.preference_rank else ""
            text += f". Next best: {best.mentor_id}{rank}; forcing it would {price_words(best.cost)}"
        return text

    def _repr_html_(self) -> str:
        return pre(str(self))

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


@dataclass(frozen=True)
class WhyNot:
    """Why a mentee does not have a given mentor.

    ``broken`` names the hard rules that forbid the pair (``cost`` is then None);
    otherwise ``cost`` is what forcing the pair would change for the cohort.
    """

    mentee_id: str
    mentor_id: str
    score: float
    preference_rank: int | None
    broken: tuple
    reason: str
    cost: Cost | None
    current: bool = False

    def __str__(self) -> str:
        rank = f", the mentee's {ordinal(self.preference_rank)} choice" if self.preference_rank else ""
        head = f"{self.mentee_id} with {self.mentor_id} (score {fmt_points(self.score)}{rank})"
        if self.current:
            return f"{head}: this is the mentee's mentor"
        if self.broken:
            return f"{head}: not allowed, it {self.reason}"
        return f"{head}: forcing it would change the cohort by {self.reason}"

    def _repr_html_(self) -> str:
        return pre(str(self))


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


def mentor_position(result, mentor_id) -> int:
    """Position of a mentor id, or an InputError naming it."""
    pos = result.cohort.mentor_index([canonical(mentor_id)])[0]
    if pos < 0:
        raise InputError([{"column": "mentor_id", "id": str(mentor_id), "problem": f"unknown mentor '{mentor_id}'"}])
    return int(pos)


def _blocked(cohort, settings, i: int, j: int, broken: list) -> str:
    """'breaks the hard rule 'same_area': both work in Budget' (pin_problem wording)."""
    text = pin_problem(cohort, settings, i, j, broken)
    prefix = f"pin ({cohort.mentees.ids[i]}, {cohort.mentors.ids[j]}) "
    return text[len(prefix):] if text.startswith(prefix) else text


def _plan(result, i: int, current: int):
    """The alternatives (best other listed mentors) and the ranked mentors of mentee ``i``."""
    c, t = result.candidates, result.cohort.preferences
    lo, hi = np.searchsorted(c.i, [i, i + 1])
    j, total = c.j[lo:hi], c.total[lo:hi]
    keep = j != current
    j, total = j[keep], total[keep]
    order = np.lexsort((j, -total))[:N_ALTERNATIVES]
    a, b = t.ptr[i], t.ptr[i + 1]
    ranked = sorted((r, jj) for jj, r in zip(t.j[a:b].tolist(), t.value[a:b].tolist()) if jj != current)
    return [(int(j[k]), int(total[k])) for k in order], ranked


def explain_many(result, mentee_ids=None, *, price: bool = True, progress=None) -> dict:
    """Explanations of many matched mentees (default: every pair), priced in one batch.

    ``progress``: True / False / None (automatic: on a terminal or in a notebook).
    On a large cohort's sparse candidates the pricing has a time budget (three times the
    match, at least 10 s); alternatives left unpriced say so (ask with :func:`why_not`).
    Returns ``{mentee_id: Explanation}`` in the order of ``mentee_ids``.
    """
    ids = list(result.pairs["mentee_id"]) if mentee_ids is None else [str(x) for x in mentee_ids]
    cohort, settings = result.cohort, result.settings
    pos = [mentee_position(result, x) for x in ids]
    mentor_of = result.assignment.mentor_of
    for x, i in zip(ids, pos):
        if mentor_of[i] < 0:
            reason = result.unmatched.set_index("mentee_id")["reason"].get(x, "")
            raise MatchingError(f"mentee '{x}' is unmatched ({reason}); use result.explain_unmatched('{x}')")
    plans = [_plan(result, i, int(mentor_of[i])) for i in pos]
    ranked_i = [i for i, (_, ranked) in zip(pos, plans) for _ in ranked]
    ranked_j = [jj for _, ranked in plans for _, jj in ranked]
    broken = broken_rules(cohort, settings, ranked_i, ranked_j) if ranked_i else []
    blocked = {(a, b): br for a, b, br in zip(ranked_i, ranked_j, broken) if br}
    wanted = sorted({(i, jj) for i, (alts, ranked) in zip(pos, plans)
                     for jj in [x for x, _ in alts] + [x for _, x in ranked] if (i, jj) not in blocked})
    costs = {}
    if price and wanted:
        with _progress.bar(len(wanted), "pricing alternatives", flag=progress, unit="pair") as bar:
            budget = None if result.candidates.complete else max(10.0, 3 * result.info.seconds.get("total", 0))
            found = price_pairs(result, [a for a, _ in wanted], [b for _, b in wanted], progress=bar.update,
                                budget=budget)
        costs = dict(zip(wanted, found))
    parts = parts_many(cohort, settings, pos, mentor_of[pos])
    ctx = (result, costs, blocked, blocking_pairs(cohort, settings, mentor_of))
    return {str(cohort.mentees.ids[i]): _explanation(ctx, i, int(mentor_of[i]), plan, part)
            for i, plan, part in zip(pos, plans, parts)}


def _explanation(ctx, i: int, j: int, plan, parts) -> Explanation:
    result, costs, blocked, blocks = ctx
    cohort, settings = result.cohort, result.settings
    alts, ranked = plan
    ids = cohort.mentors.ids
    rank_of = {jj: r for r, jj in ranked}
    alternatives = tuple(Alternative(str(ids[jj]), total / RESOLUTION, rank_of.get(jj), costs.get((i, jj)))
                         for jj, total in alts)
    not_chosen = []
    seats = result.mentors[["mentor_id", "assigned", "capacity"]].to_numpy(dtype=object)
    for rank, jj in ranked:
        if (i, jj) in blocked:
            br = blocked[(i, jj)]
            not_chosen.append(NotChosen(str(ids[jj]), rank, tuple(br), _blocked(cohort, settings, i, jj, br), None))
            continue
        cost = costs.get((i, jj))
        mid, taken, cap = seats[jj]
        full = f" ({mid} is full: {taken} of {cap} seats taken)" if taken >= cap else ""
        words = ("allowed by every rule; not priced" if cost is None else
                 f"forcing it would change the cohort by {cost}" if cost.possible else str(cost)) + full
        not_chosen.append(NotChosen(str(ids[jj]), rank, (), words, cost))
    pinned = bool(cohort.pins.contains([i], [j])[0]) if len(cohort.pins) else False
    return Explanation(mentee_id=str(cohort.mentees.ids[i]), mentor_id=str(ids[j]),
                       score=sum(round(p.points * RESOLUTION) for p in parts) / RESOLUTION, parts=parts,
                       alternatives=alternatives, not_chosen=tuple(not_chosen), pinned=pinned,
                       blocking=blocking_words(result, i, tuple(not_chosen), blocks))


def blocking_words(result, i: int, not_chosen: tuple = (), blocks=None) -> tuple:
    """Mentee ``i``'s blocking pairs in the second person, with the cost of forcing each
    pair when ``not_chosen`` priced it ("M012, your 1st choice, would have taken you over E044; ...").
    ``blocks``: the cohort's blocking pairs when already found."""
    cohort = result.cohort
    b = blocks if blocks is not None else blocking_pairs(cohort, result.settings, result.assignment.mentor_of)
    costs = {n.mentor_id: n.cost for n in not_chosen}
    out = []
    for k in np.flatnonzero(b.i == i):
        m = str(cohort.mentors.ids[b.j[k]])
        cost = costs.get(m)
        because = (f"forcing you to {m} would change the cohort by {cost}" if cost is not None and cost.possible
                   else "it maximises the mentees matched, then the total score of all pairs, not each "
                        "person's first choice")
        head = f"{m}, your {ordinal(int(b.rank[k]))} choice,"
        if b.displaced[k] < 0:
            out.append(f"{head} had a free seat and would have taken you; the committee's optimum left it "
                       f"free because {because}")
        else:
            other = str(cohort.mentees.ids[b.displaced[k]])
            out.append(f"{head} would have taken you over {other}; the committee's optimum gave {m} to {other} "
                       f"because {because}")
    return tuple(out)


def explain(result, mentee_id, *, price: bool = True, why_not=None, progress=None):
    """Explain the pair of ``mentee_id`` in ``result`` (see :meth:`MatchResult.explain`).

    ``price=False`` leaves the alternatives unpriced (costs None); ``why_not=mentor_id``
    returns a :class:`WhyNot` for that mentor instead.
    """
    if why_not is not None:
        return _why(result, mentee_id, why_not)
    return next(iter(explain_many(result, [mentee_id], price=price, progress=progress).values()))


def why_not(result, mentee_id, mentor_id) -> WhyNot:
    """Why ``mentee_id`` does not have ``mentor_id``: the hard rules that forbid the pair,
    or the cost to the cohort of forcing it (any mentor, ranked or not)."""
    i, j = mentee_position(result, mentee_id), mentor_position(result, mentor_id)
    cohort, settings = result.cohort, result.settings
    rank = int(ranks(cohort, settings, [i], [j])[0]) or None
    current = int(result.assignment.mentor_of[i])
    broken = tuple(broken_rules(cohort, settings, [i], [j])[0])
    score = float(score_pairs(cohort, settings, [i], [j]).sum()) / RESOLUTION
    if broken:
        return WhyNot(str(cohort.mentees.ids[i]), str(cohort.mentors.ids[j]), score, rank, broken,
                      _blocked(cohort, settings, i, j, list(broken)), None, current == j)
    cost = price_pairs(result, [i], [j])[0]
    return WhyNot(str(cohort.mentees.ids[i]), str(cohort.mentors.ids[j]), score, rank, (),
                  str(cost) if current != j else "this is the mentee's mentor", cost, current == j)


_why = why_not
