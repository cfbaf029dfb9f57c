"""Hard rules: pure, vectorized functions that say which pairs are allowed.

Each rule takes a :class:`Pairs` view (mentee attributes shaped to broadcast against
mentor attributes) and the settings, and returns a boolean array: ``True`` where the
pair is allowed. The same function serves a block of the full mentees x mentors
matrix and a list of individual pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cohort.model import Cohort, People
from ..cohort.settings import Settings

__all__ = ["Pairs", "RULES", "allowed", "rule_masks", "broken_rules"]


class _View:
    """Attribute access to a People object with a fixed broadcasting index."""

    def __init__(self, people: People, index):
        self._people = people
        self._index = index

    def __getattr__(self, name):
        return getattr(self._people, name)[self._index]


@dataclass(frozen=True, eq=False)
class Pairs:
    """Mentee and mentor attributes shaped to broadcast.

    ``Pairs.block(cohort, settings, start, stop)`` covers mentee rows ``start:stop``
    against every mentor (2-D); ``Pairs.listed(cohort, settings, i, j)`` covers the
    pairs ``(i[k], j[k])`` (1-D).
    """

    cohort: Cohort
    settings: Settings
    mentee_pos: np.ndarray  # positions of the mentees covered, broadcast-shaped
    mentor_pos: np.ndarray
    e: _View
    m: _View
    matrix: bool

    @classmethod
    def block(cls, cohort: Cohort, settings: Settings, start: int, stop: int) -> Pairs:
        rows = np.arange(start, stop)[:, None]
        cols = np.arange(len(cohort.mentors))[None, :]
        return cls(cohort, settings, rows, cols, _View(cohort.mentees, rows[:, 0][:, None]),
                   _View(cohort.mentors, cols[0][None, :]), True)

    @classmethod
    def listed(cls, cohort: Cohort, settings: Settings, i, j) -> Pairs:
        i = np.asarray(i, dtype=np.int64)
        j = np.asarray(j, dtype=np.int64)
        return cls(cohort, settings, i, j, _View(cohort.mentees, i), _View(cohort.mentors, j), False)

    @property
    def shape(self) -> tuple:
        return np.broadcast_shapes(self.mentee_pos.shape, self.mentor_pos.shape)

    def member(self, table) -> np.ndarray:
        """Whether each pair is in a :class:`~matching.cohort.model.PairTable` (bool, this shape)."""
        out = np.zeros(self.shape, dtype=bool)
        if not len(table) or not out.size:
            return out
        if self.matrix:
            start = int(self.mentee_pos[0, 0])
            a, b = table.ptr[start], table.ptr[start + self.mentee_pos.shape[0]]
            out[table.i[a:b] - start, table.j[a:b]] = True
            return out
        mi, mj = np.broadcast_arrays(self.mentee_pos, self.mentor_pos)
        return table.contains(mi.ravel(), mj.ravel()).reshape(self.shape)

    def lookup(self, table) -> np.ndarray:
        """Values of a :class:`~matching.cohort.model.PairTable` for these pairs (0 where absent)."""
        if self.matrix:
            start = int(self.mentee_pos[0, 0]) if self.mentee_pos.size else 0
            stop = start + self.mentee_pos.shape[0]
            fill = 0 if table.value.dtype != object else None
            return table.dense_block(start, stop, self.mentor_pos.shape[1], fill=fill)
        out = np.zeros(self.shape, dtype=table.value.dtype if table.value.dtype != object else object)
        if len(table) and out.size:
            keys = table.i * (1 << 32) + table.j
            probe = self.mentee_pos * (1 << 32) + self.mentor_pos
            pos = np.minimum(np.searchsorted(keys, probe), len(keys) - 1)
            hit = keys[pos] == probe
            out[hit] = table.value[pos[hit]]
        return out


def not_self(p: Pairs) -> np.ndarray:
    """A person is never paired with themself."""
    return np.broadcast_to(p.cohort.self_mentor[p.mentee_pos] != p.mentor_pos, p.shape)


def seniority(p: Pairs) -> np.ndarray:
    """The mentor is at least ``min_level_gap`` (and at most ``max_level_gap``) levels up."""
    gap = p.m.level - p.e.level
    ok = gap >= p.settings.min_level_gap
    if p.settings.max_level_gap is not None:
        ok &= gap <= p.settings.max_level_gap
    return np.broadcast_to(ok, p.shape)


def experience(p: Pairs) -> np.ndarray:
    """Where both years of experience are known, the mentor has more."""
    if not p.settings.require_more_experience:
        return np.ones(p.shape, dtype=bool)
    ey, my = p.e.years, p.m.years
    with np.errstate(invalid="ignore"):
        return np.broadcast_to(np.isnan(ey) | np.isnan(my) | (my > ey), p.shape)


def different_area(p: Pairs) -> np.ndarray:
    """The mentor works in an adjacent area, never the mentee's own."""
    if p.settings.allow_same_area:
        return np.ones(p.shape, dtype=bool)
    return np.broadcast_to(p.m.area != p.e.area, p.shape)


def cross_kbu(p: Pairs) -> np.ndarray:
    """Optional: the mentor is in another KBU."""
    if not p.settings.require_cross_kbu:
        return np.ones(p.shape, dtype=bool)
    return np.broadcast_to(p.m.kbu != p.e.kbu, p.shape)


def not_excluded(p: Pairs) -> np.ndarray:
    """The pair is not on the exclusion list (committee bans, dissolved pairs)."""
    if not len(p.cohort.exclusions):
        return np.ones(p.shape, dtype=bool)
    return ~p.member(p.cohort.exclusions)


def mentee_eligible(p: Pairs) -> np.ndarray:
    """The mentee is eligible this session."""
    return np.broadcast_to(p.e.eligible, p.shape)


def mentor_has_capacity(p: Pairs) -> np.ndarray:
    """The mentor can take at least one mentee."""
    return np.broadcast_to(p.m.capacity > 0, p.shape)


#: Hard rules in the order a reason lists them: name -> function.
RULES = {
    "eligible": mentee_eligible,
    "self": not_self,
    "seniority": seniority,
    "experience": experience,
    "same_area": different_area,
    "cross_kbu": cross_kbu,
    "excluded": not_excluded,
    "capacity": mentor_has_capacity,
}


def rule_masks(p: Pairs) -> dict[str, np.ndarray]:
    """Every rule's allowed-mask for these pairs."""
    return {name: np.asarray(rule(p)) for name, rule in RULES.items()}


def allowed(p: Pairs) -> np.ndarray:
    """Pairs allowed by every hard rule."""
    out = np.ones(p.shape, dtype=bool)
    for rule in RULES.values():
        out &= rule(p)
    return out


def broken_rules(cohort: Cohort, settings: Settings, i, j) -> list[list[str]]:
    """For each listed pair, the names of the hard rules it breaks (empty if none)."""
    masks = rule_masks(Pairs.listed(cohort, settings, i, j))
    return [[name for name, m in masks.items() if not m[k]] for k in range(len(np.atleast_1d(i)))]
