"""The solver-facing problem: integer arrays only, no names, no frames."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Problem", "Assignment", "lexicographic_weight"]


@dataclass(frozen=True, eq=False)
class Problem:
    """A capacitated assignment with a lexicographic objective.

    Maximise first ``sum(priority[i])`` over matched mentees, then ``sum(score)``
    over chosen arcs. ``fixed_i``/``fixed_j`` are pairs that must be chosen (pins);
    their arcs need not be in ``i``/``j``.

    Attributes
    ----------
    n_mentees, n_mentors : int
    i, j : ndarray of int64
        Allowed arcs (mentee position, mentor position).
    score : ndarray of int64
        Score units of each arc.
    priority : ndarray of int64, shape (n_mentees,)
        Priority units of each mentee (> 0).
    capacity : ndarray of int64, shape (n_mentors,)
    fixed_i, fixed_j : ndarray of int64
    fixed_score : ndarray of int64
    """

    n_mentees: int
    n_mentors: int
    i: np.ndarray
    j: np.ndarray
    score: np.ndarray
    priority: np.ndarray
    capacity: np.ndarray
    fixed_i: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    fixed_j: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    fixed_score: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def free_arcs(self):
        """Arcs of mentees not fixed, and the capacity left after fixed pairs."""
        fixed = np.zeros(self.n_mentees, dtype=bool)
        fixed[self.fixed_i] = True
        keep = ~fixed[self.i]
        left = self.capacity - np.bincount(self.fixed_j, minlength=self.n_mentors)
        return self.i[keep], self.j[keep], self.score[keep], left


@dataclass(frozen=True, eq=False)
class Assignment:
    """A solver's answer.

    Attributes
    ----------
    mentor_of : ndarray of int64
        For each mentee, the mentor position, or -1.
    solver : str
    status : str
        ``"OPTIMAL"`` or ``"FEASIBLE"`` (not proven optimal).
    matched_priority : int
        Priority units of matched mentees (first objective level).
    score : int
        Score units of the chosen pairs (second level).
    bound : float or None
        Best proven bound on the combined objective, where the solver gives one.
    gap : float
        Relative gap between objective and bound (0 when proven optimal).
    wall_time : float
        Seconds spent in the solver.
    """

    mentor_of: np.ndarray
    solver: str
    status: str
    matched_priority: int
    score: int
    bound: float | None = None
    gap: float = 0.0
    wall_time: float = 0.0
    extra: dict = field(default_factory=dict)


def lexicographic_weight(i, score, n_mentees: int) -> int:
    """A weight W so that ``W * priority + score`` orders solutions lexicographically.

    W exceeds the largest possible difference in total score between two solutions:
    the sum over mentees of the spread between their best positive and worst
    negative arc score (an unmatched mentee contributes 0).
    """
    if len(i) == 0:
        return 1
    hi = np.zeros(n_mentees, dtype=np.int64)
    lo = np.zeros(n_mentees, dtype=np.int64)
    np.maximum.at(hi, i, score)
    np.minimum.at(lo, i, score)
    return int(1 + (hi - lo).sum())
