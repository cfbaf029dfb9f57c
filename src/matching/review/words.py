"""Explanations in words: each criterion's part of a pair, ranks, prices, readable notebook text.

Of gender and race only "cross-gender: yes/no" and "cross-race: yes/no" are said.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np

from ..scoring.rules import Pairs
from ..scoring.scores import RESOLUTION, criterion_names, criterion_values, score_pairs
from .overrides import Cost, fmt_points

__all__ = ["Part", "pair_parts", "parts_many", "ranks", "price_words", "ordinal", "pre"]


def ordinal(n: int) -> str:
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


def price_words(cost: Cost) -> str:
    """``"cost the cohort 0.07 points and move 5 other mentees"``."""
    parts = []
    if cost.mentees:
        n = abs(cost.mentees)
        parts.append(f"{'leave' if cost.mentees < 0 else 'match'} {n} {'more ' if cost.mentees > 0 else ''}"
                     f"mentee{'s' if n != 1 else ''} {'unmatched' if cost.mentees < 0 else ''}".strip())
    elif cost.matched:
        parts.append(f"change matched priority by {cost.matched:+g}")
    if cost.points < 0:
        parts.append(f"cost the cohort {fmt_points(-cost.points)} points")
    elif cost.points > 0:
        parts.append(f"add {fmt_points(cost.points)} points")
    else:
        parts.append("lose no points")
    if cost.moved:
        parts.append(f"move {cost.moved} other mentee{'s' if cost.moved != 1 else ''}")
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return text + ("" if cost.exact else " (at most: a bound)")


def pre(text: str) -> str:
    return f'<pre style="white-space:pre-wrap">{escape(text)}</pre>'


def ranks(cohort, settings, i, j, table: str = "preferences") -> np.ndarray:
    """The mentee's rank of each pair's mentor (0: not ranked); ``table="mentor_preferences"``:
    the mentor's rank of the mentee."""
    if not len(np.atleast_1d(i)):
        return np.zeros(0, np.int64)
    return np.asarray(Pairs.listed(cohort, settings, i, j).lookup(getattr(cohort, table)), np.int64).reshape(-1)


def _words(cohort, name: str, value: float, i: int, j: int, rank: int, mrank: int = 0) -> str:
    e, m = cohort.mentees, cohort.mentors
    if name == "seniority":
        gap = int(m.level[j] - e.level[i])
        return "mentor at the same level" if gap == 0 else \
            f"mentor {abs(gap)} level{'s' if abs(gap) != 1 else ''} {'up' if gap > 0 else 'down'}"
    if name == "relatedness":
        a, b = cohort.areas[e.area[i]], cohort.areas[m.area[j]]
        return f"same area: {a} ({value:g})" if a == b else f"adjacent area: {a} -> {b} ({value:g})"
    if name == "preference":
        if rank:
            return f"mentee's {ordinal(rank)} choice"
        return "not among the mentee's choices" if cohort.preferences.ptr[i + 1] > cohort.preferences.ptr[i] \
            else "mentee ranked no mentors"
    if name == "mentor_preference":
        if mrank:
            return f"mentor's {ordinal(mrank)} choice"
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


def parts_many(cohort, settings, i, j) -> list[tuple]:
    """The parts of every pair ``(i[k], j[k])``, scored in one vectorized pass."""
    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    if not len(i):
        return []
    names = criterion_names(cohort)
    units = score_pairs(cohort, settings, i, j)
    view = Pairs.listed(cohort, settings, i, j)
    values = [np.asarray(criterion_values(view, name), dtype=float).reshape(-1) for name in names]
    rank = ranks(cohort, settings, i, j)
    mrank = ranks(cohort, settings, i, j, "mentor_preferences") if "mentor_preference" in names else rank * 0
    weights = [settings.weight(name) for name in names]
    return [tuple(Part(name, float(values[c][k]), weights[c], units[k, c] / RESOLUTION,
                       _words(cohort, name, float(values[c][k]), int(i[k]), int(j[k]), int(rank[k]),
                              int(mrank[k])))
                  for c, name in enumerate(names)) for k in range(len(i))]


def pair_parts(cohort, settings, i: int, j: int) -> tuple:
    """The parts of pair ``(i, j)``; their points add up to its score."""
    return parts_many(cohort, settings, [i], [j])[0]
