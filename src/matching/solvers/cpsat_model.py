"""The CP-SAT model of a capacitated assignment with cohort goals.

:class:`Arcs` holds the candidate arcs; :class:`GoalModel` builds one Boolean per arc,
the one-mentor-per-mentee and capacity constraints, fixed pins, and each goal (hard as
a constraint, soft as a penalised shortfall). Solving and status handling live in
:mod:`matching.solvers.cpsat`.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from .._numeric import unique
from ..cohort.goals import LimitGoal, RankLagGoal, ShareGoal, outcome_ranks, pair_ranks, rank_groups, share_masks
from ..scoring.scores import RESOLUTION
from .problem import Problem

__all__ = ["Arcs", "GoalModel", "arc_sum"]


class Arcs:
    """Every arc the model holds (candidates plus pins), sorted by (mentee, mentor)."""

    def __init__(self, problem: Problem, cohort):
        i, j, s = problem.i, problem.j, problem.score
        keys, pin_keys = i * (1 << 32) + j, problem.fixed_i * (1 << 32) + problem.fixed_j
        ordered = bool((keys[1:] > keys[:-1]).all())  # candidates come sorted: no sort, no hashing
        if ordered:
            at = np.minimum(np.searchsorted(keys, pin_keys), max(len(keys) - 1, 0))
            missing = ~(keys[at] == pin_keys) if len(keys) else np.ones(len(pin_keys), bool)
        else:
            missing = ~np.isin(pin_keys, keys)
        if missing.any() or not ordered:
            i = np.concatenate([i, problem.fixed_i[missing]])
            j = np.concatenate([j, problem.fixed_j[missing]])
            s = np.concatenate([s, problem.fixed_score[missing]])
            order = np.lexsort((j, i))
            i, j, s, keys = i[order], j[order], s[order], i[order] * (1 << 32) + j[order]
        self.i, self.j, self.score = i, j, s.astype(np.int64)
        self.pins = np.searchsorted(keys, pin_keys)
        self.rank = pair_ranks(cohort, self.i, self.j)
        self.priority = problem.priority[self.i]
        self.fixed = np.zeros(problem.n_mentees, bool)
        self.fixed[problem.fixed_i] = True
        self.ptr = np.searchsorted(self.i, np.arange(problem.n_mentees + 1))

    def __len__(self) -> int:
        return len(self.i)


def arc_sum(x, idx, coef) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.weighted_sum([x[k] for k in idx], [int(c) for c in coef])


def _groups(keys: np.ndarray):
    """(key, indices) for each distinct key, indices ascending."""
    order = np.argsort(keys, kind="stable")
    uniq, start = np.unique(keys[order], return_index=True)
    return zip(uniq, np.split(order, start[1:]))


class GoalModel:
    """A CP-SAT model of the problem with goals.

    ``switches=True`` puts every hard goal, every pin and the matched-priority level
    behind an enforcement literal (``self.lits``, label -> literal) for conflict
    search, and leaves soft goals out.
    """

    def __init__(self, arcs: Arcs, cohort, settings, goals, problem: Problem, p_star: int, *,
                 switches: bool = False):
        self.arcs, self.cohort, self.settings, self.switches = arcs, cohort, settings, switches
        self.m = cp_model.CpModel()
        self.x = [self.m.new_bool_var("") for _ in range(len(arcs))]
        self.lits, self.penalty, self.derived = {}, [], []
        x = self.x
        for a, b in zip(arcs.ptr[:-1], arcs.ptr[1:]):
            if b - a > 1:
                self.m.add_at_most_one(x[a:b])
        self.by_mentor = dict(_groups(arcs.j))
        for jj, idx in self.by_mentor.items():
            if len(idx) > problem.capacity[jj]:
                self.m.add(sum(x[k] for k in idx) <= int(problem.capacity[jj]))
        for k, a in enumerate(arcs.pins):
            self.require(("pin", k), [self.m.add(x[a] == 1)])
        idx = np.arange(len(arcs))
        self.require(("most",), [self.m.add(arc_sum(x, idx, arcs.priority) >= int(p_star))])
        for goal in goals.constraints:
            if goal.weight is None or not switches:
                self.add_goal(goal)

    def require(self, label, constraints) -> None:
        if self.switches:
            lit = self.m.new_bool_var(str(label))
            for ct in constraints:
                ct.only_enforce_if(lit)
            self.lits[label] = lit

    def soft(self, goal, ub: int, unit_weight: float, value):
        """A miss variable; ``value(xv)`` gives its least value for arc values ``xv`` (for hints)."""
        var = self.m.new_int_var(0, max(int(ub), 0), "")
        self.penalty.append((var, max(1, int(round(goal.weight * unit_weight)))))
        self.derived.append((var, lambda xv: min(max(int(ub), 0), max(0, int(value(xv))))))
        return var

    def add_goal(self, goal) -> None:
        if isinstance(goal, ShareGoal):
            self._share(goal)
        elif isinstance(goal, RankLagGoal):
            self._rank_lag(goal)
        elif goal.name == "max_same_kbu_per_mentor":
            self._per_mentor(goal)
        else:
            self._mentor_share(goal)

    def _share(self, goal: ShareGoal) -> None:
        a = self.arcs
        counts, good = share_masks(self.cohort, goal, a.i, a.j, a.rank)
        num, den = goal.share.numerator, goal.share.denominator
        coef = den * good.astype(np.int64) - num * counts.astype(np.int64)
        idx = np.flatnonzero(coef)
        expr = arc_sum(self.x, idx, coef[idx])
        if goal.weight is None:
            self.require(goal.name, [self.m.add(expr >= 0)])
        else:
            short = self.soft(goal, len(self.cohort.mentees), RESOLUTION,
                              lambda xv: -((coef[idx] @ xv[idx]) // den))
            self.m.add(expr + den * short >= 0)

    def _per_mentor(self, goal: LimitGoal) -> None:
        a, k = self.arcs, int(goal.value)
        kbu = self.cohort.mentees.kbu[a.i]
        known = np.flatnonzero(kbu >= 0)
        cts = []
        for _, idx in _groups(a.j[known] * (len(self.cohort.kbus) + 1) + kbu[known]):
            if len(idx) > k:
                expr = sum(self.x[q] for q in known[idx])
                if goal.weight is None:
                    cts.append(self.m.add(expr <= k))
                else:
                    sel = known[idx]
                    self.m.add(expr - self.soft(goal, len(idx) - k, RESOLUTION, lambda xv, s=sel: xv[s].sum() - k) <= k)
        self.require(goal.name, cts)

    def _mentor_share(self, goal: LimitGoal) -> None:
        kbu = self.cohort.mentors.kbu
        num, den = goal.value.numerator, goal.value.denominator
        used = {}
        for jj, idx in self.by_mentor.items():
            y = used[jj] = self.m.new_bool_var("")
            self.derived.append((y, lambda xv, s=idx: int(xv[s].any())))
            load = sum(self.x[k] for k in idx)
            self.m.add(load <= len(idx) * y)
            self.m.add(load >= y)
        total = sum(used.values())
        cts = []
        for g in unique(kbu[kbu >= 0]):
            mine = [y for jj, y in used.items() if kbu[jj] == g]
            if not mine:
                continue
            expr = den * sum(mine) - num * total
            if goal.weight is None:
                cts.append(self.m.add(expr <= 0))
            else:
                js = np.array([jj for jj in used if kbu[jj] == g])
                allj = np.array(list(used))

                def over(xv, js=js, allj=allj):
                    load = np.bincount(self.arcs.j[xv > 0], minlength=len(kbu))
                    return -((num * int((load[allj] > 0).sum()) - den * int((load[js] > 0).sum())) // den)
                self.m.add(expr - den * self.soft(goal, len(mine), RESOLUTION, over) <= 0)
        self.require(goal.name, cts)

    def _rank_lag(self, goal: RankLagGoal) -> None:
        a, cohort = self.arcs, self.cohort
        counted, outcome, worst = outcome_ranks(cohort, a.i, a.rank)
        delta = np.where(counted[a.i], outcome - worst, 0).astype(np.int64)
        n, p, q = int(counted.sum()), goal.lag.numerator, goal.lag.denominator
        cts = []
        for attr in goal.by:
            for group in rank_groups(cohort, self.settings, attr, counted):
                n_g = int(group.sum())
                coef = q * (n * group[a.i].astype(np.int64) - n_g) * delta
                idx = np.flatnonzero(coef)
                expr = arc_sum(self.x, idx, coef[idx])
                if goal.weight is None:
                    cts.append(self.m.add(expr <= p * n * n_g))
                else:
                    over = self.soft(goal, 100 * worst, RESOLUTION / 100,
                                     lambda xv, c=coef, b=p * n * n_g, d=q * n * n_g: -((b * 100 - 100 * (c @ xv)) // d))
                    self.m.add(100 * expr - 100 * p * n * n_g <= q * n * n_g * over)
        self.require(goal.name, cts)

    def score_expr(self):
        idx = np.flatnonzero(~self.arcs.fixed[self.arcs.i])
        expr = arc_sum(self.x, idx, self.arcs.score[idx])
        return expr - sum(w * v for v, w in self.penalty) if self.penalty else expr

    def worst_score(self):
        """A variable equal (at the optimum) to the lowest score of a matched mentee."""
        a = self.arcs
        hi, lo = int(a.score.max(initial=0)), int(min(0, a.score.min(initial=0)))
        z = self.m.new_int_var(lo, hi, "worst")
        for s, t in zip(a.ptr[:-1], a.ptr[1:]):
            if t > s:
                self.m.add(z <= hi + arc_sum(self.x, np.arange(s, t), a.score[s:t] - hi))
        return z

    def hint(self, mentor_of: np.ndarray) -> None:
        """Hint a matching, with every derived variable at its least consistent value."""
        xv = (mentor_of[self.arcs.i] == self.arcs.j).astype(np.int64)
        derived = [(var, fn(xv)) for var, fn in self.derived]
        self.m.proto.solution_hint.vars.extend([v.index for v in self.x] + [v.index for v, _ in derived])
        self.m.proto.solution_hint.values.extend(xv.tolist() + [int(val) for _, val in derived])

    def mentor_of(self, solver, n_mentees: int) -> np.ndarray:
        chosen = np.fromiter((solver.boolean_value(v) for v in self.x), bool, len(self.x))
        out = np.full(n_mentees, -1, np.int64)
        out[self.arcs.i[chosen]] = self.arcs.j[chosen]
        return out
