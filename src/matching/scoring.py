"""Scoring: weighted criteria become integer units here, and only here.

A pair's score is the sum of its parts; each part is ``weight * criterion value``
rounded to a multiple of ``1 / RESOLUTION`` (the solver's unit). In those units the
parts add up exactly to the total, and the solver optimises exactly the reported
totals. Scoring runs over blocks of mentee rows so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .criteria import BUILTIN, user_function_values
from .model import Cohort
from .rules import Pairs, allowed
from .settings import BUILTIN_CRITERIA, Settings

__all__ = ["RESOLUTION", "to_units", "Candidates", "criterion_names", "build_candidates",
           "score_pairs", "block_rows"]

#: Score units per point: parts and totals are multiples of 1/RESOLUTION.
RESOLUTION = 1000

#: Bytes of working memory one scoring block may use (about).
BLOCK_BYTES = 64 * 2**20


def to_units(values: np.ndarray) -> np.ndarray:
    """Weighted criterion values -> integer score units (the one conversion point).

    >>> to_units(np.array([0.1234, 2.0, -0.0004]))
    array([ 123, 2000,    0])
    """
    return np.rint(np.asarray(values, dtype=float) * RESOLUTION).astype(np.int64)


def criterion_names(cohort: Cohort) -> tuple[str, ...]:
    """Built-in criteria, then the user's, in report order."""
    return BUILTIN_CRITERIA + cohort.extra_names


@dataclass(frozen=True, eq=False)
class Candidates:
    """Every allowed pair with its score, sorted by (mentee, mentor) position.

    Attributes
    ----------
    names : tuple of str
        Criterion names, the columns of ``parts``.
    i, j : ndarray of int64
        Mentee and mentor positions.
    parts : ndarray of int64, shape (n_pairs, n_criteria)
        Each criterion's weighted part in score units.
    total : ndarray of int64
        ``parts.sum(axis=1)``.
    """

    names: tuple
    i: np.ndarray
    j: np.ndarray
    parts: np.ndarray
    total: np.ndarray

    def __len__(self) -> int:
        return len(self.i)


def _weighted_parts(p: Pairs, names) -> np.ndarray:
    """Integer parts, shape ``(len(names),) + p.shape``."""
    out = np.zeros((len(names),) + p.shape, dtype=np.int64)
    cohort, settings = p.cohort, p.settings
    for k, name in enumerate(names):
        w = settings.weight(name)
        if w == 0:
            continue
        if name in BUILTIN:
            values = BUILTIN[name](p)
        elif name in cohort.extra_tables:
            values = p.lookup(cohort.extra_tables[name]).astype(float)
        else:
            values = user_function_values(name, cohort.extra_functions[name], p)
        out[k] = to_units(w * values)
    return out


def block_rows(cohort: Cohort) -> int:
    """Mentee rows per scoring block, so one block uses about ``BLOCK_BYTES``."""
    per_row = max(1, len(cohort.mentors)) * (8 * (len(criterion_names(cohort)) + 2) + 1)
    return int(max(1, min(len(cohort.mentees), BLOCK_BYTES // per_row)))


def build_candidates(cohort: Cohort, settings: Settings) -> Candidates:
    """Score every allowed pair, block by block."""
    names = criterion_names(cohort)
    chunks = []
    step = block_rows(cohort)
    for start in range(0, len(cohort.mentees), step):
        p = Pairs.block(cohort, settings, start, min(start + step, len(cohort.mentees)))
        ok = allowed(p)
        rows, cols = np.nonzero(ok)
        parts = _weighted_parts(p, names)[:, rows, cols].T
        chunks.append((rows + start, cols, parts))
    if not chunks:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(names, empty, empty, np.zeros((0, len(names)), np.int64), empty)
    i = np.concatenate([c[0] for c in chunks]).astype(np.int64)
    j = np.concatenate([c[1] for c in chunks]).astype(np.int64)
    parts = np.concatenate([c[2] for c in chunks]).astype(np.int64)
    return Candidates(names, i, j, parts, parts.sum(axis=1))


def score_pairs(cohort: Cohort, settings: Settings, i, j) -> np.ndarray:
    """Integer parts of listed pairs, shape ``(n_pairs, n_criteria)`` (rules not checked)."""
    i = np.atleast_1d(np.asarray(i, dtype=np.int64))
    j = np.atleast_1d(np.asarray(j, dtype=np.int64))
    names = criterion_names(cohort)
    if len(i) == 0:
        return np.zeros((0, len(names)), dtype=np.int64)
    return _weighted_parts(Pairs.listed(cohort, settings, i, j), names).T
