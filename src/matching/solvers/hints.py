"""Warm starts for CP-SAT: a matching that meets the hard share targets, from min-cost flow."""

from __future__ import annotations

import numpy as np

from ..goals import evaluate_goals, parse_goals, share_masks
from .flow import solve_flow
from .problem import Problem

__all__ = ["lagrangian_hint"]


def lagrangian_hint(problem: Problem, arcs, cohort, settings, goals, start: np.ndarray) -> np.ndarray:
    """A matching meeting the hard share targets, found by min-cost flow on shifted scores.

    Each hard share target ``k`` adds ``mu_k * (qualifies - share * counts)`` points to
    every arc; ``mu`` doubles on targets still missed, then a bisection on the common
    scale keeps the smallest shift that meets them all (best score wins). A heuristic
    for the hint only: CP-SAT proves (or bounds) the optimum.
    """
    shares = [g for g in goals.shares if g.weight is None]
    free = ~arcs.fixed[arcs.i]
    if not shares or not free.any():
        return start
    terms = []
    for g in shares:
        counts, good = share_masks(cohort, g, arcs.i, arcs.j, arcs.rank)
        terms.append((good & counts).astype(float) - float(g.share) * counts)
    terms = np.array(terms)[:, free]
    unit = float(max(np.abs(arcs.score).max(initial=1), 1))

    def attempt(mu):
        shifted = arcs.score[free] + np.rint(unit * (mu @ terms)).astype(np.int64)
        sub = Problem(n_mentees=problem.n_mentees, n_mentors=problem.n_mentors, i=arcs.i[free], j=arcs.j[free],
                      score=shifted, priority=problem.priority, capacity=problem.capacity,
                      fixed_i=problem.fixed_i, fixed_j=problem.fixed_j, fixed_score=problem.fixed_score)
        mentor_of = solve_flow(sub).mentor_of
        missed = [row["missed_by"] for row in evaluate_goals(cohort, settings, parse_goals(
            {g.name: float(g.share) for g in shares}), mentor_of)]
        chosen = mentor_of[arcs.i[free]] == arcs.j[free]
        return mentor_of, np.array(missed) > 0, int(arcs.score[free][chosen].sum())

    mu, best = np.zeros(len(shares)), None
    for _ in range(12):
        mentor_of, bad, score = attempt(mu)
        if not bad.any():
            best = (score, mentor_of)
            break
        mu = np.where(bad, np.maximum(2 * mu, 1 / 64), mu)
    if best is None:
        return start
    for _ in range(2):  # lower each multiplier in turn while every target still holds
        for k in range(len(shares)):
            lo_k, hi_k = 0.0, mu[k]
            for _ in range(6):
                trial = mu.copy()
                trial[k] = (lo_k + hi_k) / 2
                mentor_of, bad, score = attempt(trial)
                if bad.any():
                    lo_k = trial[k]
                else:
                    hi_k, mu = trial[k], trial
                    best = max(best, (score, mentor_of), key=lambda t: t[0])
    return best[1]

