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

import dataclasses
import time

import numpy as np

from .._numeric import unique
from ..cohort.goals import (RankLagGoal, ShareGoal, evaluate_goals, outcome_ranks, pair_ranks, rank_groups,
                            share_masks)
from ..scoring.scores import RESOLUTION
from .layered import Network
from .load_flow import lex_weight

__all__ = ["Units", "objective"]

#: Flow solves at most, and after the first matching meeting every hard goal.
ITERATIONS = 60
AFTER = 10
#: Largest multiplier (score units of the largest score per unit of a term).
MU_MAX = 16.0


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
        terms, firsts, self.keys = [], [], []
        none = np.zeros(len(cohort.mentors))
        for goal in goals.hard:
            if isinstance(goal, ShareGoal):
                counts, good = share_masks(cohort, goal, i, j, rank)
                terms.append((good & counts) - float(goal.share) * counts)
                firsts.append(none)
                self.keys.append((goal, None))
            elif isinstance(goal, RankLagGoal):
                counted, outcome, worst = outcome_ranks(cohort, i, rank)
                for attr in goal.by:
                    for group in rank_groups(cohort, settings, attr, counted):
                        terms.append(group[i] * (worst - outcome) / group.sum())
                        firsts.append(none)
                        self.keys.append((goal, group))
            elif goal.name == "max_mentor_kbu_share":
                kbu = cohort.mentors.kbu
                for g in unique(kbu[kbu >= 0]):
                    terms.append(-(kbu[j] == g).astype(float))  # fewer mentees to the KBU's mentors,
                    firsts.append((kbu != g).astype(float))     # more mentors of other KBUs in use
                    self.keys.append((goal, int(g)))
        self.terms = np.array(terms).reshape(len(terms), len(i))
        self.firsts = np.array(firsts).reshape(len(firsts), len(cohort.mentors))

    def missed(self, mentor_of) -> np.ndarray:
        """Per unit, how far ``mentor_of`` misses it (> 0: missed; <= 0: met, with that slack)."""
        rows = {r["goal"]: r for r in evaluate_goals(self.cohort, self.settings, self.goals, mentor_of)}
        used = unique(mentor_of[mentor_of >= 0])
        ranks = self._ranks(mentor_of) if self.goals.rank_lag is not None else None
        out = []
        for goal, what in self.keys:
            if isinstance(goal, ShareGoal):
                out.append(rows[goal.name]["missed_by"] or -1.0)
            elif isinstance(goal, RankLagGoal):
                got, counted = ranks
                lag = goal.lag  # mean_g - mean <= lag, exactly: (mine * size - total * n_g) q <= p n_g size
                mine, n_g, total, size = int(got[what].sum()), int(what.sum()), int(got[counted].sum()), int(counted.sum())
                exact = (mine * size - total * n_g) * lag.denominator - lag.numerator * n_g * size
                out.append(exact / (lag.denominator * n_g * size) if exact > 0 else min(exact, -1) / (
                    lag.denominator * n_g * size))
            else:
                mine = int((self.cohort.mentors.kbu[used] == what).sum())
                over = mine * goal.value.denominator - goal.value.numerator * len(used)
                out.append(over / goal.value.denominator if over > 0 else -1.0)
        return np.array(out, float)

    def _ranks(self, mentor_of):
        n = len(mentor_of)
        counted, _, worst = outcome_ranks(self.cohort, np.arange(n), np.zeros(n, np.int64))
        got = np.full(n, worst, np.int64)
        matched = np.flatnonzero(mentor_of >= 0)
        r = pair_ranks(self.cohort, matched, mentor_of[matched])
        got[matched] = np.where(r > 0, r, worst)
        return got, counted


def search(net: Network, units: Units, i, j, score, *, need: int, value, score_range, deadline: float):
    """``(best, support, closest)``: the best matching found that misses no unit and matches
    priority ``need`` (``(value, mentor_of)``, None if none), the arcs any attempt chose
    (a mask over the arcs; None if priority ``need`` was out of reach) and the matching
    that missed least.

    The multipliers move by sign steps that grow while a unit stays on one side and halve
    when it crosses (Rprop): a unit met with slack gives back its bonus.
    """
    unit = float(max(np.abs(score).max(initial=1), 1))
    lo, hi = score_range

    def attempt(mu):
        shifted = score + np.rint(unit * (mu @ units.terms)).astype(np.int64)
        first = np.rint(unit * (mu @ units.firsts)).astype(np.int64)
        span = (min(lo, int(shifted.min(initial=0))), max(hi, int(shifted.max(initial=0))) + int(first.max(initial=0)))
        use = dataclasses.replace(net, first=first) if first.any() else net
        mentor_of, _ = use.solve(i, j, shifted, "lex", weight=lex_weight(use, span))
        if int(net.prio[mentor_of >= 0].sum()) < need:
            return mentor_of, None
        return mentor_of, units.missed(mentor_of)

    k = len(units.keys)
    mu, step, last, best, first = np.zeros(k), np.full(k, 1 / 64), np.zeros(k), None, ITERATIONS
    support, closest = np.zeros(len(i), bool), (np.inf, None)
    for it in range(ITERATIONS):
        mentor_of, miss = attempt(mu)
        if miss is None:
            return None, None, None
        support |= mentor_of[i] == j
        closest = min(closest, (float(np.maximum(miss, 0).sum()), mentor_of), key=lambda t: t[0])
        if not (miss > 0).any():
            found = (value(mentor_of), mentor_of)
            best, first = (found if best is None or found[0] > best[0] else best), min(first, it)
            if not mu.any():
                break
        if time.perf_counter() > deadline or it >= first + AFTER:
            break
        sign = np.where(miss > 0, 1.0, np.where(mu > 0, -1.0, 0.0))
        step = np.where(sign * last > 0, np.minimum(step * 1.6, 1.0), np.where(sign * last < 0, step / 2, step))
        mu, last = np.clip(mu + sign * step, 0.0, MU_MAX), sign
    return best, support, closest[1]
