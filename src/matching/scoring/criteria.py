"""Soft criteria: pure, vectorized functions scoring each pair, mostly in [0, 1].

A built-in criterion takes a :class:`~matching.scoring.rules.Pairs` view and returns a float
array of its shape. The settings weigh each one; :mod:`matching.scoring.scores` turns
weighted values into integer units in one place.

A user criterion is a plain function ``f(mentees, mentors) -> ndarray`` of shape
``(len(mentees), len(mentors))``, where both arguments are
:class:`~matching.cohort.model.People` (use ``mentees.level[:, None]`` and
``mentors.level[None, :]`` to broadcast, ``mentees.column("site")`` for any extra
input column); or a table ``mentee_id, mentor_id, score``.

Examples
--------
>>> import numpy as np
>>> def same_site(mentees, mentors):
...     return (mentees.column("site")[:, None] == mentors.column("site")[None, :]).astype(float)
"""

from __future__ import annotations

import numpy as np

from .._numeric import unique
from ..cohort.values import keys
from ..errors import InputError, MatchingError
from .rules import Pairs

__all__ = ["BUILTIN", "relatedness_matrix", "user_function_values"]


def seniority(p: Pairs) -> np.ndarray:
    """1 inside the preferred gap band, minus ``gap_decay`` per level outside it."""
    lo, hi = p.settings.preferred_gap
    gap = (p.m.level - p.e.level).astype(float)
    distance = np.maximum(np.maximum(lo - gap, gap - hi), 0.0)
    return np.clip(1.0 - p.settings.gap_decay * distance, 0.0, 1.0)


def relatedness_matrix(cohort, settings) -> np.ndarray:
    """Area x area relatedness: the table, then declared groups (KBUs, ``area_groups``),
    then ``default_relatedness`` for what is still unlisted."""
    rel = cohort.relatedness.copy()
    if settings.kbu_relatedness is not None and len(cohort.areas):
        area_kbu = np.full(len(cohort.areas), -1)
        for people in (cohort.mentors, cohort.mentees):
            area_kbu[people.area[::-1]] = people.kbu[::-1]  # first person (by id) of each area wins
        same = (area_kbu[:, None] == area_kbu[None, :]) & (area_kbu[:, None] >= 0)
        rel = np.where(np.isnan(rel) & same, settings.kbu_relatedness, rel)
    index = dict(zip(keys(cohort.areas), range(len(cohort.areas))))
    for areas in settings.area_groups.values():
        codes = unique(np.array([index[a] for a in keys(areas) if a in index], dtype=np.intp))
        block = rel[np.ix_(codes, codes)]
        rel[np.ix_(codes, codes)] = np.where(np.isnan(block), settings.group_relatedness, block)
    return np.where(np.isnan(rel), settings.default_relatedness, rel)


def relatedness(p: Pairs) -> np.ndarray:
    """How related the mentor's area is to the mentee's (table, groups, or default)."""
    rel = relatedness_matrix(p.cohort, p.settings)
    return rel[p.e.area, p.m.area]


def _rank_value(rank: np.ndarray, depth: int) -> np.ndarray:
    rank = rank.astype(float)
    return np.where(rank > 0, np.clip((depth - rank + 1.0) / depth, 0.0, 1.0), 0.0)


def preference(p: Pairs) -> np.ndarray:
    """The mentee's r-th choice scores ``(depth - r + 1) / depth``; unranked 0."""
    return _rank_value(p.lookup(p.cohort.preferences), p.settings.preference_depth)


def mentor_preference(p: Pairs) -> np.ndarray:
    """A mentee the mentor ranked r-th scores ``(depth - r + 1) / depth``; unranked 0."""
    return _rank_value(p.lookup(p.cohort.mentor_preferences), p.settings.preference_depth)


def competency(p: Pairs) -> np.ndarray:
    """Share of the mentee's development goals the mentor lists as strengths."""
    goals = p.cohort.mentees.competencies
    strengths = p.cohort.mentors.competencies
    if goals.shape[1] == 0:
        return np.zeros(p.shape)
    if p.matrix:
        g = goals[p.mentee_pos[:, 0]].astype(np.float32)
        overlap = g @ strengths.T.astype(np.float32)
        n_goals = g.sum(axis=1, keepdims=True)
    else:
        g = goals[p.mentee_pos]
        overlap = (g & strengths[p.mentor_pos]).sum(axis=-1).astype(float)
        n_goals = g.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_goals > 0, overlap / np.maximum(n_goals, 1), 0.0).astype(float)


def _cross(a, b) -> np.ndarray:
    return ((a >= 0) & (b >= 0) & (a != b)).astype(float)


def cross_kbu(p: Pairs) -> np.ndarray:
    """1 when the mentor is in another KBU."""
    return np.broadcast_to(_cross(p.e.kbu, p.m.kbu), p.shape)


def cross_gender(p: Pairs) -> np.ndarray:
    """1 when both genders are known and differ (unknown earns nothing)."""
    return np.broadcast_to(_cross(p.e.gender, p.m.gender), p.shape)


def cross_race(p: Pairs) -> np.ndarray:
    """1 when both races are known and differ (unknown earns nothing)."""
    return np.broadcast_to(_cross(p.e.race, p.m.race), p.shape)


#: Built-in criteria by name, in report order (see ``settings.BUILTIN_CRITERIA``).
BUILTIN = {
    "seniority": seniority,
    "relatedness": relatedness,
    "preference": preference,
    "mentor_preference": mentor_preference,
    "competency": competency,
    "cross_kbu": cross_kbu,
    "cross_gender": cross_gender,
    "cross_race": cross_race,
}


def _refuse(name: str, problem: str) -> InputError:
    return InputError([{"column": "extra_criteria", "problem": f"criterion '{name}' {problem}"}])


def _as_floats(name: str, values) -> np.ndarray:
    """What a user criterion returned as a float array, or an InputError naming it (ragged lists too)."""
    if isinstance(values, (str, bytes, dict)) or values is None:
        raise _refuse(name, f"must return numbers; got {type(values).__name__}")
    try:
        if np.iscomplexobj(values):
            raise _refuse(name, "must return real numbers; got complex values")
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, MatchingError):
            raise
        ragged = "inhomogeneous" in str(exc) or "sequence" in str(exc)
        got = "a ragged list (rows of different lengths)" if ragged else type(values).__name__
        raise _refuse(name, f"must return numbers in a (mentees, mentors) array; got {got}") from None


def user_function_values(name: str, func, p: Pairs) -> np.ndarray:
    """Call a user criterion on these pairs and check what it returns."""
    cohort = p.cohort
    rows = p.mentee_pos[:, 0] if p.matrix else None
    if not p.matrix:
        rows, inverse = np.unique(p.mentee_pos, return_inverse=True)
    expected = (len(rows), len(cohort.mentors))
    try:
        values = func(cohort.mentees.take(rows).readonly(), cohort.mentors.readonly())
    except MatchingError:
        raise
    except Exception as exc:  # a user's function may raise anything: report it as ours, naming it
        raise MatchingError(f"criterion '{name}' raised {type(exc).__name__}: {exc}") from exc
    values = _as_floats(name, values)
    if values.shape != expected:
        raise _refuse(name, f"must return an array of shape (mentees, mentors) = {expected}; got {values.shape}")
    if not np.isfinite(values).all():
        raise _refuse(name, "returned NaN or infinite values; scores must be finite")
    if np.abs(values).max(initial=0.0) > 1e6:
        raise _refuse(name, "returned values beyond +/-1e6; rescale it")
    if not p.matrix:
        values = values[inverse.reshape(-1), p.mentor_pos.reshape(-1)].reshape(p.shape)
    return values
