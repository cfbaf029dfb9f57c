"""Distances between people: how much a group gains from having both.

The default distance between two people is the weighted sum of

* ``kbu``: 1 if their KBUs differ;
* ``area``: 1 if their areas differ;
* ``level``: 1 if their level bands differ (band = ``level // level_band``, default 2);
* ``competencies``: 1 minus the Jaccard similarity of their competency lists (0 if both empty);
* ``gender``, ``race``: 1 if both are known and differ (used only here, never shown per person);

with :data:`DEFAULT_WEIGHTS`, rounded to 4 decimals (so that an exact solver sees the same
numbers). A user table ``person_a, person_b, distance`` replaces it (absent pairs 0).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..cohort.model import People
from ..errors import SettingsError
from ..files import columns as col
from ..cohort.validate import table_or_problem
from .inputs import _columns, _known

__all__ = ["DEFAULT_WEIGHTS", "check_weights", "default_distance", "table_distance"]

#: Weights of the default distance (``weights=`` or ``settings={"weights": ...}`` override them).
DEFAULT_WEIGHTS = {"kbu": 1.0, "area": 1.0, "level": 1.0, "competencies": 0.5, "gender": 0.5, "race": 0.5}


def check_weights(weights: Mapping | None) -> dict:
    """Default weights updated by ``weights``; SettingsError for unknown names or bad values.

    >>> check_weights({"kbu": 2})["kbu"]
    2.0
    """
    out = dict(DEFAULT_WEIGHTS)
    problems = []
    for name, value in dict(weights or {}).items():
        if name not in DEFAULT_WEIGHTS:
            problems.append(f"unknown weight '{name}' (known: {', '.join(DEFAULT_WEIGHTS)})")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= float(value) <= 1000:
            problems.append(f"weight '{name}' must be a number from 0 to 1000; got {value!r}")
        else:
            out[name] = float(value)
    if problems:
        raise SettingsError([{"column": "weights", "problem": p} for p in problems])
    return out


def _differ(codes: np.ndarray, known_only: bool = False) -> np.ndarray:
    d = (codes[:, None] != codes[None, :]).astype(float)
    if known_only:
        d *= (codes[:, None] >= 0) & (codes[None, :] >= 0)
    return d


def _jaccard_distance(comp: np.ndarray) -> np.ndarray:
    c = comp.astype(float)
    inter = c @ c.T
    union = c.sum(1)[:, None] + c.sum(1)[None, :] - inter
    return np.where(union > 0, 1.0 - inter / np.maximum(union, 1), 0.0)


def default_distance(p: People, weights: Mapping, level_band: int = 2) -> np.ndarray:
    """(n, n) default distance matrix (symmetric, zero diagonal).

    Examples
    --------
    >>> import matching
    >>> from matching.groups.inputs import load_people
    >>> roster = load_people(matching.load_example()["mentees"], need_attributes=True)
    >>> D = default_distance(roster.people, DEFAULT_WEIGHTS)
    >>> D.shape, bool((D == D.T).all()), float(D.diagonal().max())
    ((61, 61), True, 0.0)
    """
    w = weights
    D = (w["kbu"] * _differ(p.kbu) + w["area"] * _differ(p.area)
         + w["level"] * _differ(p.level // max(int(level_band), 1))
         + w["competencies"] * _jaccard_distance(p.competencies)
         + w["gender"] * _differ(p.gender, True) + w["race"] * _differ(p.race, True))
    np.fill_diagonal(D, 0.0)
    return np.round(D, 4)


def table_distance(data, ids: np.ndarray, problems: col.Problems) -> np.ndarray:
    """(n, n) distances from a ``person_a, person_b, distance`` table (absent pairs 0).

    A pair listed twice (either order) with different values is a problem; finite numbers only.
    """
    n = len(ids)
    D = np.zeros((n, n))
    table = table_or_problem(data, "distance", problems)
    frame = None if table is None else _columns(table, ("person_a", "person_b", "distance"), problems)
    if frame is None:
        return D
    a, b = _known(table, frame, "person_a", ids, problems), _known(table, frame, "person_b", ids, problems)
    d = col.to_float(col.text_values(frame["distance"]))
    for pos in np.flatnonzero(~np.isfinite(d)):
        problems.add(table, f"distance must be a finite number; got {frame['distance'].iloc[pos]!r}",
                     column="distance", position=pos)
    for pos in np.flatnonzero((a == b) & (a >= 0)):
        problems.add(table, "a distance of a person to themself", column="person_b", position=pos, id=str(ids[a[pos]]))
    ok = (a >= 0) & (b >= 0) & (a != b) & np.isfinite(d)
    i, j, v = np.minimum(a, b)[ok], np.maximum(a, b)[ok], d[ok]
    key = i * n + j
    order = np.lexsort((v, key))
    key, v, pos = key[order], v[order], np.flatnonzero(ok)[order]
    clash = (key[1:] == key[:-1]) & (v[1:] != v[:-1])
    for k in np.flatnonzero(clash):
        problems.add(table, f"pair ({ids[key[k] // n]}, {ids[key[k] % n]}) has two distances: {v[k]} and "
                            f"{v[k + 1]}", column="distance", position=pos[k + 1])
    D[key // n, key % n] = v
    D[key % n, key // n] = v
    return D

