"""A matching that meets hard rank-lag, mentor-KBU-share and share goals, found by flows.

Each hard goal splits into units: a share target, one group of a rank-lag goal, one
KBU of a mentor-share goal. Every unit has a per-pair term (how much a pair helps it):
``qualifies - share`` for a share target, the group's rank gain ``(worst - rank) / n_g``
for a rank lag, ``-1`` on pairs to mentors of the KBU for a mentor share. A flow on the
scores shifted by ``unit * sum(mu_k * term_k)`` (a KBU load limit as the flow's layer)
still matches the most mentees first; ``mu`` doubles on the units still missed until
every one holds, then a common scale is bisected down for the best such matching. A
heuristic: the caller bounds the optimum and improves on it.
"""

from __future__ import annotations

import numpy as np

from ..cohort.goals import (RankLagGoal, ShareGoal, evaluate_goals, outcome_ranks, pair_ranks, rank_groups,
                            share_masks)
from ..scoring.scores import RESOLUTION
from .layered import Network
from .load_flow import lex_weight

__all__ = ["Units", "objective"]

DOUBLINGS = 16
SHRINK_STEPS = 5


def objective(cohort, settings, goals, problem, mentor_of, score_of) -> int:
    """Free score minus soft penalties (the CP-SAT model's objective), in score units."""
    free = mentor_of >= 0
    free[problem.fixed_i] = False
    total = int(score_of(np.flatnonzero(free)).sum())
    for goal, row in zip(goals.constraints, evaluate_goals(cohort, settings, goals, mentor_of)):
        if goal.weight is not None:
            unit = RESOLUTION / 100 if isinstance(goal, RankLagGoal) else RESOLUTION
            total -= max(1, int(round(goal.weight * unit))) * int(row["missed_by"])
    return total


class Units:
    """The hard-goal units over arcs ``(i, j)``: their terms and which a matching misses."""

    def __init__(self, cohort, settings, goals, i, j):
        self.cohort, self.settings, self.goals = cohort, settings, goals
        rank = pair_ranks(cohort, i, j)
        terms, self.keys = [], []
        for goal in goals.hard:
            if isinstance(goal, ShareGoal):
                counts, good = share_masks(cohort, goal, i, j, rank)
                terms.append((good & counts) - float(goal.share) * counts)
                self.keys.append((goal, None))
            elif isinstance(goal, RankLagGoal):
                counted, outcome, worst = outcome_ranks(cohort, i, rank)
                for attr in goal.by:
                    for group in rank_groups(cohort, settings, attr, counted):
                        terms.append(group[i] * (worst - outcome) / group.sum())
                        self.keys.append((goal, group))
            elif goal.name == "max_mentor_kbu_share":
                kbu = cohort.mentors.kbu
                for g in np.unique(kbu[kbu >= 0]):
                    terms.append(-(kbu[j] == g).astype(float))
                    self.keys.append((goal, int(g)))
        self.terms = np.array(terms).reshape(len(terms), len(i))

    def missed(self, mentor_of) -> np.ndarray:
        """Per unit, whether ``mentor_of`` misses it."""
        rows = {r["goal"]: r for r in evaluate_goals(self.cohort, self.settings, self.goals, mentor_of)}
        out = []
        for goal, what in self.keys:
            if isinstance(goal, ShareGoal):
                out.append(rows[goal.name]["missed_by"] > 0)
            elif isinstance(goal, RankLagGoal):
                out.append(self._lag_missed(goal, what, mentor_of))
            else:
                used = np.unique(mentor_of[mentor_of >= 0])
                mine = int((self.cohort.mentors.kbu[used] == what).sum())
                out.append(mine * goal.value.denominator > goal.value.numerator * len(used))
        return np.array(out, bool)

    def _lag_missed(self, goal, group, mentor_of) -> bool:
        n = len(mentor_of)
        counted, _, worst = outcome_ranks(self.cohort, np.arange(n), np.zeros(n, np.int64))
        got = np.full(n, worst, np.int64)
        matched = np.flatnonzero(mentor_of >= 0)
        r = pair_ranks(self.cohort, matched, mentor_of[matched])
        got[matched] = np.where(r > 0, r, worst)
        total, size = int(got[counted].sum()), int(counted.sum())
        mine, n_g = int(got[group].sum()), int(group.sum())
        lag = goal.lag  # mean_g - mean <= lag, exactly: (mine * size - total * n_g) q <= p n_g size
        return (mine * size - total * n_g) * lag.denominator > lag.numerator * n_g * size


def search(net: Network, units: Units, i, j, score, *, need: int, value, score_range):
    """The best matching found that misses no unit and matches priority ``need``; None if none."""
    unit = float(max(np.abs(score).max(initial=1), 1))
    lo, hi = score_range

    def attempt(mu):
        shifted = score + np.rint(unit * (mu @ units.terms)).astype(np.int64)
        span = (min(lo, int(shifted.min(initial=0))), max(hi, int(shifted.max(initial=0))))
        mentor_of, _ = net.solve(i, j, shifted, "lex", weight=lex_weight(net, span))
        if int(net.prio[mentor_of >= 0].sum()) < need:
            return mentor_of, None
        return mentor_of, units.missed(mentor_of)

    mu, best = np.zeros(len(units.keys)), None
    for _ in range(DOUBLINGS):
        mentor_of, bad = attempt(mu)
        if bad is None:
            return None
        if not bad.any():
            best = (value(mentor_of), mentor_of)
            break
        mu = np.where(bad, np.maximum(2 * mu, 1 / 64), mu)
    if best is None:
        return None
    low, high = 0.0, 1.0
    for _ in range(SHRINK_STEPS if mu.any() else 0):
        mid = (low + high) / 2
        mentor_of, bad = attempt(mu * mid)
        if bad is None or bad.any():
            low = mid
        else:
            high = mid
            best = max(best, (value(mentor_of), mentor_of), key=lambda t: t[0])
    return best
