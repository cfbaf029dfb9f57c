"""Lagrangian bounds for share targets and rank lags: min-cost flow on shifted scores, in exact integers.

Share targets (hard or soft) and the groups of a hard rank lag are linear side
constraints ``g_k(x) = sum_a coef_k[a] x_a + const_k >= 0`` on the capacitated
assignment (share: ``coef = den * qualifies - num * counts``, see
:meth:`matching.solvers.cpsat.GoalModel._share`; rank lag: :func:`goal_terms`). For multipliers ``q >= 0`` on the
scale ``D`` (``lambda = q / D``), the flow problem with arc values
``D * score + sum_k q_k coef_k`` is a plain min-cost flow, and its optimum ``V(q)``,
with the first level (most mentees matched, by priority) kept by the lexicographic
weight, bounds the goal objective (free score minus soft penalties) of every matching
that meets the hard targets::

    D * F(x) <= D * S(x) + q . g(x) <= V(q) - W * P* + q . g_pins      (hard: g >= 0;
                                                                         soft: q_k den_k <= D w_k)

Everything is an integer: ``floor`` of that over ``D`` is the bound. The multipliers are
chosen by Kelley's cutting planes (a small GLOP linear program; floats only decide
where to look next, never a bound). Every flow solution that meets the hard targets is a
feasible matching (incumbent).

Each flow is solved over a working set of arcs and proved optimal over every arc by
LP duality: prices ``u, v`` from shortest paths on its residual graph
(:func:`matching.solvers.certified.prices`) must satisfy ``u[i] + v[j] >= c[a]`` on
every arc; violators join the working set and the flow is solved again. The prices
also give each arc a reduced cost ``rc[a] = u[i] + v[j] - c[a] >= 0``; any matching
using arc ``a`` has ``D * F <= D * bound_exact - rc[a]``, so arcs with ``rc`` above
``D * (bound - incumbent)`` cannot be in any matching at least as good as the incumbent
(:meth:`Lagrangian.keep`). Deterministic: same input, same multipliers, same answer.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..errors import SolverError
from ..cohort.goals import outcome_ranks, rank_groups, share_masks
from ..scoring.scores import RESOLUTION
from .certified import optimum, prices

__all__ = ["Lagrangian", "Point", "goal_terms", "lagrangian_fits"]

_INT64_MAX = np.iinfo(np.int64).max
#: Arcs per mentee (by score, and by score among qualifying arcs of each target) in the first working set.
START_K = 8
#: Upper limit of the scale ``D`` of the multipliers.
MAX_SCALE = 1 << 20
#: A rank-lag multiplier may reach this many score spreads per mentee-rank of its group.
LAG_REACH = 4


def goal_terms(arcs, cohort, goals, settings=None):
    """The relaxed constraints ``coef . x + const >= 0`` of the share targets and of each group
    of a hard rank lag: ``(names, coef (K, arcs), const, den, weight units (-1 hard), reach)``.

    ``den`` scales a term to about one unit per pair (the multipliers' unit); ``reach`` is
    how many score spreads a multiplier may reach per unit. A hard rank lag's group ``g``
    holds when ``sum (n [i in g] - n_g) (outcome - worst) x <= floor(p n n_g / q)`` for the
    lag ``p / q`` (exact integers; the CP-SAT constraint divided by ``q``).
    """
    names, coef, const, den, weight, reach = [], [], [], [], [], []
    for g in goals.shares:
        counts, good = share_masks(cohort, g, arcs.i, arcs.j, arcs.rank)
        coef.append(g.share.denominator * good.astype(np.int64) - g.share.numerator * counts.astype(np.int64))
        names.append(g.name), const.append(0), den.append(g.share.denominator), reach.append(1)
        weight.append(-1 if g.weight is None else max(1, int(round(g.weight * RESOLUTION))))
    lag = goals.rank_lag
    if lag is not None and lag.weight is None and settings is not None:
        counted, outcome, worst = outcome_ranks(cohort, arcs.i, arcs.rank)
        gain = np.where(counted[arcs.i], worst - outcome, 0).astype(np.int64)
        n, p, q = int(counted.sum()), lag.lag.numerator, lag.lag.denominator
        for attr in lag.by:
            for k, group in enumerate(rank_groups(cohort, settings, attr, counted)):
                n_g = int(group.sum())
                coef.append((n * group[arcs.i].astype(np.int64) - n_g) * gain)
                names.append(f"max_rank_lag.{attr}.{k}"), const.append(p * n * n_g // q), den.append(max(n, 1))
                weight.append(-1), reach.append(LAG_REACH)
    k = len(coef)
    return (names, np.array(coef, np.int64).reshape(k, len(arcs)), np.array(const, np.int64),
            np.array(den, np.int64), np.array(weight, np.int64), np.array(reach, np.int64))


def lagrangian_fits(goals) -> bool:
    """Goals the relaxation handles: share targets (hard or soft) and a hard rank lag, nothing else."""
    lag = goals.rank_lag
    return (bool(goals.shares) or lag is not None) and not (goals.limits or goals.maximin) and (
        lag is None or lag.weight is None)


@dataclass(frozen=True, eq=False)
class Point:
    """One evaluation: multipliers ``q``, the exact bound ``D * L`` and the flow's matching."""

    q: tuple
    scaled: int          # D * L(q), exact
    bound: int           # floor(L(q)): no matching meeting the hard targets has a higher objective
    g: tuple             # g_k(x) of the flow's matching (pins included)
    mentor_of: np.ndarray
    feasible: bool       # the matching meets every hard target
    value: int           # its objective: free score minus soft penalties
    score: int           # its free score
    rc: np.ndarray | None = None


class Lagrangian:
    """The Lagrangian relaxation of the share targets (and hard rank lag) over the arcs of ``arcs``."""

    def __init__(self, problem, arcs, cohort, goals, settings=None):
        self.names, self.coef, const, self.den, self.weight, reach = goal_terms(arcs, cohort, goals, settings)
        self.n, self.m = problem.n_mentees, problem.n_mentors
        self.fixed_i, self.fixed_j = problem.fixed_i, problem.fixed_j
        self.left = problem.capacity - np.bincount(problem.fixed_j, minlength=self.m)
        free = ~arcs.fixed[arcs.i] & (self.left[arcs.j] > 0)
        self.free = np.flatnonzero(free)
        self.i, self.j, self.score = arcs.i[free], arcs.j[free], arcs.score[free].astype(np.int64)
        self.coef_free = np.ascontiguousarray(self.coef[:, free])
        self.g_pins = const + (self.coef[:, arcs.pins].sum(axis=1) if len(arcs.pins) else 0)
        raw = problem.priority.astype(np.int64)
        movable = np.zeros(self.n, bool)
        movable[self.i] = True
        self.prio = raw // max(math.gcd(*raw[movable].tolist()), 1) if movable.any() else raw
        spread = int(self.score.max(initial=0)) - int(min(self.score.min(initial=0), 0)) + 1
        hard = self.weight < 0
        self.upper = np.where(hard, spread * reach, np.minimum(spread * reach, self.weight)).astype(float)
        self.scale, self.lex = self._scale(int(np.abs(self.score).max(initial=1)))
        self.q_max = (self.upper * self.scale // self.den).astype(np.int64)
        self.work = _start_set(self.i, self.score, self.coef_free, len(self.free))
        self.p_star = None
        self.evaluations = 0

    def _scale(self, top: int) -> tuple[int, int]:
        """The largest power-of-two ``D`` (and lexicographic weight) whose costs fit the flow solver."""
        limit = _INT64_MAX // (8 * (self.n + self.m + 3))
        prio = int(self.prio.max(initial=1))
        D = MAX_SCALE
        while D >= 1:
            top_c = D * top + int((np.floor(self.upper * D / self.den) * np.abs(self.coef).max(axis=1,
                                   initial=0)).sum())
            lex = 1 + 2 * max(len(self.free), 1) * top_c
            if lex * prio <= limit:
                return D, lex
            D //= 2
        raise SolverError("scores are too large for exact Lagrangian bounds", status="BAD_COST_RANGE")

    def evaluate(self, q, *, reduced: bool = False) -> Point:
        """``L(q)`` exactly, the flow's matching (proved optimal over every arc) and its value."""
        q = np.minimum(np.maximum(np.asarray(q, np.int64), 0), self.q_max)
        c = self.scale * self.score + q @ self.coef_free
        value_all = self.lex * self.prio[self.i] + c
        for _ in range(100):
            w = self.work
            mentor_of = optimum(self.n, self.m, self.i[w], self.j[w], c[w], self.prio, self.left, self.lex)
            u, v, _ = prices(self.m, self.i[w], self.j[w], value_all[w], self.left, mentor_of)
            slack = u[self.i] + v[self.j] - value_all
            bad = np.flatnonzero(slack < 0)
            if not len(bad):
                break
            self.work = np.union1d(w, bad)
        else:
            raise SolverError("the Lagrangian flow could not be proved optimal (internal error)",
                              status="NOT_CERTIFIED")
        self.evaluations += 1
        return self._point(q, mentor_of, u, v, slack if reduced else None)

    def _point(self, q, mentor_of, u, v, rc) -> Point:
        seats = self.left > 0
        dual = int(u.sum()) + int((self.left[seats] * v[seats]).sum())  # weak duality: a bound whatever happens
        matched = mentor_of >= 0
        p_star = int(self.prio[matched].sum())
        if self.p_star is None:
            self.p_star = p_star
        elif p_star != self.p_star:
            raise SolverError("the Lagrangian flow changed the number of matched mentees (internal error)",
                              status="NOT_CERTIFIED")
        chosen = np.flatnonzero(mentor_of[self.i] == self.j)
        g = self.coef_free[:, chosen].sum(axis=1) + self.g_pins
        scaled = dual - self.lex * p_star + int(q @ self.g_pins)
        hard = self.weight < 0
        short = np.maximum(0, -(g // self.den))  # ceil(-g / den) pairs short
        value = int(self.score[chosen].sum()) - int((self.weight[~hard] * short[~hard]).sum())
        mentor_of = mentor_of.copy()
        mentor_of[self.fixed_i] = self.fixed_j
        return Point(q=tuple(int(x) for x in q), scaled=scaled, bound=scaled // self.scale,
                     g=tuple(int(x) for x in g), mentor_of=mentor_of, feasible=bool((g[hard] >= 0).all()),
                     value=value, score=int(self.score[chosen].sum()), rc=rc)

    def keep(self, point: Point, incumbent: int) -> np.ndarray:
        """Arcs (positions in ``arcs``) that a matching at least as good as ``incumbent`` may use."""
        room = point.scaled - self.scale * incumbent
        return self.free[point.rc <= room]


def _start_set(i, score, coef, n_arcs) -> np.ndarray:
    """Each mentee's best arcs by score, and by score among each target's qualifying arcs."""
    keep = np.zeros(n_arcs, bool)
    for mask in [np.ones(n_arcs, bool)] + [row > 0 for row in coef]:
        idx = np.flatnonzero(mask)
        order = idx[np.lexsort((-score[idx], i[idx]))]
        first = np.searchsorted(i[order], i[order], side="left")
        keep[order[np.arange(len(order)) - first < START_K]] = True
    return np.flatnonzero(keep)


def _master(cuts, upper):
    """Kelley's master LP: the multipliers (score points per pair) minimising the cutting-plane model."""
    from ortools.linear_solver import pywraplp

    lp = pywraplp.Solver.CreateSolver("GLOP")
    mu = [lp.NumVar(0.0, float(u), "") for u in upper]
    theta = lp.NumVar(-lp.infinity(), lp.infinity(), "")
    for a, b in cuts:
        lp.Add(theta >= a + sum(float(bk) * x for bk, x in zip(b, mu)))
    lp.Minimize(theta)
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None, None
    return np.array([x.solution_value() for x in mu]), theta.solution_value()


def minimize(lag: Lagrangian, points: list, deadline: float, *, max_rounds: int = 60) -> float:
    """Kelley's cutting planes on ``L`` from ``points`` (appended to); the model's lower bound on min L."""
    cuts, lower = [(p.score, np.array(p.g, float) / lag.den) for p in points], -math.inf
    for _ in range(max_rounds):
        best, inc = best_points(points)
        if (inc is not None and best.bound <= inc.value) or time.perf_counter() > deadline:
            break
        mu, lower = _master(cuts, lag.upper)
        if mu is None or best.scaled / lag.scale - lower < 1:
            break
        q = np.minimum(np.rint(mu * lag.scale / lag.den).astype(np.int64), lag.q_max)
        if any(tuple(q) == t.q for t in points):
            break
        points.append(lag.evaluate(q))
        cuts.append((points[-1].score, np.array(points[-1].g, float) / lag.den))
    return lower


def best_points(points: list):
    """(the point with the lowest bound, the feasible point with the highest value or None); ties: first."""
    best = min(points, key=lambda t: t.scaled)
    inc = max((t for t in points if t.feasible), key=lambda t: t.value, default=None)
    return best, inc


def repair(lag: Lagrangian, points: list, deadline: float, *, steps: int = 40) -> None:
    """Look for good feasible matchings just past the best multipliers (appends to ``points``).

    From the best bound's multipliers, the multiplier of every hard target the flow
    still misses is raised by a step (``1/16`` score point per pair) that doubles until
    every hard target holds; each raise is then bisected back while they still hold.
    """
    best = min(points, key=lambda t: t.scaled)
    base, hard = np.array(best.q, np.int64), lag.weight < 0
    delta = np.zeros(len(base), np.int64)  # in 1/16 score points per pair

    def at(d):
        if time.perf_counter() > deadline or len(points) > 400:
            return None
        points.append(lag.evaluate(base + (d * lag.scale) // (16 * lag.den)))
        return points[-1]

    p = best
    for _ in range(steps):
        if p is None or p.feasible:
            break
        bad = hard & (np.array(p.g) < 0)
        delta[bad] = np.maximum(2 * delta[bad], 1)
        p = at(delta)
    if p is None or not p.feasible:
        return
    for k in np.flatnonzero(delta):
        lo, hi = delta[k] // 2 if delta[k] > 1 else 0, delta[k]
        for _ in range(4):
            if hi - lo <= 1:
                break
            trial = delta.copy()
            trial[k] = (lo + hi) // 2
            p = at(trial)
            if p is None:
                return
            lo, hi = (lo, trial[k]) if p.feasible else (trial[k], hi)
            delta[k] = hi
