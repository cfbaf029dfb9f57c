"""Hard rank lags proved by LP-based branch and bound (HiGHS) on the pairs reduced-cost fixing keeps.

The Lagrangian bound of :mod:`matching.solvers.lagrange` for a hard rank lag is about the
LP bound, and the integer optimum sits a little below it (0.02% on the 500-mentee bench
cohort): closing that gap needs branching, which CP-SAT's search did not finish in a
minute. A mixed-integer program does, with two things:

* **Aggregated groups.** A rank-lag row ``sum (n [i in g] - n_g) gain x >= -c`` is
  written as ``n y_g - n_g (sum_h y_h) >= -c`` with an integer ``y`` per group (its total
  gain, worst rank minus outcome rank; one more for counted mentees in no group): the
  same matchings, but the solver branches and cuts on the group totals (about 2x faster).
* **Descending thresholds.** For a threshold ``t`` the model keeps only the pairs whose
  reduced cost leaves room for a matching scoring at least ``t`` (every such matching is
  in it), and HiGHS prunes every node whose LP cannot reach ``t`` (its ``objective_bound``).
  The first threshold is one step (:data:`FIRST_RADIUS` of the bound) below the bound;
  the step doubles after a small model (:data:`SMALL_ARCS`), where proofs are quick.
  When the search runs out without a matching scoring ``t``, ``optimum <= t - 1`` is
  proved and the threshold steps down; a matching found and proved best in the model is
  the optimum (status OPTIMAL). Close thresholds keep each model small and its pruning
  strong: at 500 mentees one run on every pair within the gap took 45-85 s, the
  thresholds 25-55 s.

HiGHS (``scipy.optimize.milp``; options it does not name are passed to HiGHS verbatim)
solves each model. Its matchings are checked exactly (integer constraints) before use;
its proofs are in floating point with HiGHS's tolerances. Deterministic but for the time
limit (same thresholds, models and HiGHS runs every time).
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from ..cohort.goals import outcome_ranks, rank_groups

__all__ = ["FIRST_RADIUS", "MAX_MIP_ARCS", "highs_version", "mip_fits", "mip_search"]

#: Step between thresholds, as a share of the bound (the first threshold is one step below it).
FIRST_RADIUS = 0.75e-4
#: Largest model (pairs kept) given to HiGHS; a larger one ends the search (CP-SAT takes over).
MAX_MIP_ARCS = 15_000
#: After a model of at most this many pairs runs out, the step doubles (small models are quick).
SMALL_ARCS = 1_000
#: HiGHS options (passed through ``scipy.optimize.milp``): fewer strong-branching probes.
HIGHS_OPTIONS = {"mip_pscost_minreliable": 1}


def highs_version() -> str:
    """The HiGHS build used: the one scipy ships (``scipy.optimize.milp``)."""
    return f"(scipy {scipy.__version__})"


def mip_fits(goals) -> bool:
    """A hard rank lag, alone or with hard share targets (every relaxed row a hard constraint)."""
    lag = goals.rank_lag
    return lag is not None and lag.weight is None and all(g.weight is None for g in goals.shares)


def rank_lag_blocks(lag, arcs, cohort, goals, settings):
    """The rank-lag rows of ``lag`` to aggregate: per attribute, ``(rows, parts, n)`` with ``rows`` the
    row numbers, ``parts`` one mask over free arcs per group plus one for the counted mentees in
    no group, and ``gain`` per free arc (worst rank minus outcome rank). Only rows whose
    coefficients are exactly ``(n [i in g] - n_g) * gain`` are taken (checked); the rest stay rows."""
    counted, outcome, worst = outcome_ranks(cohort, arcs.i, arcs.rank)
    gain = np.where(counted[arcs.i], worst - outcome, 0).astype(np.int64)[lag.free]
    n, out = int(counted.sum()), []
    for attr in goals.rank_lag.by:
        groups = rank_groups(cohort, settings, attr, counted)
        rows = [lag.names.index(f"max_rank_lag.{attr}.{k}") for k in range(len(groups))]
        parts = [g[lag.i] for g in groups]
        rest = (gain > 0) & ~np.logical_or.reduce(parts, axis=0) if parts else gain > 0
        exact = all(np.array_equal((n * mine.astype(np.int64) - int(g.sum())) * gain, lag.coef_free[k])
                    for k, mine, g in zip(rows, parts, groups))
        if rows and exact:
            out.append((rows, parts + [rest], [int(g.sum()) for g in groups], n))
    return out, gain


def _model(lag, sel, blocks, gain):
    """``(cost, constraint, integrality, bounds)`` of the problem on arcs ``sel`` (free positions):
    one binary per arc, then per aggregated attribute an integer total gain per group and one
    for the counted mentees in no group."""
    i, j, s, a = lag.i[sel], lag.j[sel], lag.score[sel], len(sel)
    taken = {k for rows, _, _, _ in blocks for k in rows}
    extra = sum(len(parts) for _, parts, _, _ in blocks)
    cols = np.arange(a)
    parts_x = [sp.csr_matrix((np.ones(a), (i, cols)), shape=(lag.n, a)),
               sp.csr_matrix((np.ones(a), (j, cols)), shape=(lag.m, a)),
               sp.csr_matrix(lag.prio[i][None, :].astype(float))]
    lo = [np.zeros(lag.n + lag.m), [lag.p_star]]
    hi = [np.ones(lag.n), lag.left.astype(float), [np.inf]]
    hard = [k for k in np.flatnonzero(lag.weight < 0) if k not in taken]
    if hard:
        parts_x.append(sp.csr_matrix(lag.coef_free[hard][:, sel].astype(float)))
        lo.append(-lag.g_pins[hard].astype(float)), hi.append(np.full(len(hard), np.inf))
    x_part = sp.vstack(parts_x)
    mats, col = [sp.hstack([x_part, sp.csr_matrix((x_part.shape[0], extra))])], a
    for rows, parts, sizes, n in blocks:
        link = np.zeros((len(parts), a + extra))  # y_p - sum_{i in p} gain x = 0
        for q, mine in enumerate(parts):
            link[q, :a], link[q, col + q] = -(gain[sel] * mine[sel]), 1
        lag_rows = np.zeros((len(rows), a + extra))  # n y_g - n_g (sum of every y of the attribute) >= -c
        for q, (k, n_g) in enumerate(zip(rows, sizes)):
            lag_rows[q, col:col + len(parts)] = -n_g
            lag_rows[q, col + q] += n
        mats += [sp.csr_matrix(link), sp.csr_matrix(lag_rows)]
        lo += [np.zeros(len(parts)), -lag.g_pins[rows].astype(float)]
        hi += [np.zeros(len(parts)), np.full(len(rows), np.inf)]
        col += len(parts)
    matrix = sp.vstack(mats).tocsr()
    bounds = Bounds(np.zeros(a + extra), np.r_[np.ones(a), np.full(extra, float(max(int(gain.sum()), 1)))])
    cost = np.r_[-s.astype(float), np.zeros(extra)]
    return cost, LinearConstraint(matrix, np.concatenate(lo), np.concatenate(hi)), np.ones(a + extra), bounds


def _solve(lag, sel, blocks, gain, t, seconds):
    """``(status, matching or None, value, model bound)`` of HiGHS on the threshold-``t`` model."""
    cost, cons, integrality, bounds = _model(lag, sel, blocks, gain)
    # HiGHS prunes every node whose LP cannot beat the objective bound: only matchings scoring
    # above t - 1 are searched (a bound one point lower than t, so no rounding of it can cut t off)
    options = {"time_limit": max(float(seconds), 0.01), "mip_rel_gap": 0.0, "presolve": True,
               "objective_bound": -float(t - 1), **HIGHS_OPTIONS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "options passed to HiGHS verbatim"
        res = milp(cost, constraints=cons, integrality=integrality, bounds=bounds, options=options)
    dual = getattr(res, "mip_dual_bound", None)
    model_bound = None if dual is None or not np.isfinite(dual) else math.floor(-dual + 1e-6)
    status = {0: "OPTIMAL", 1: "LIMIT", 2: "INFEASIBLE"}.get(res.status, "ERROR")
    if res.x is None or status not in ("OPTIMAL", "LIMIT"):
        return status, None, None, model_bound
    chosen = sel[res.x[:len(sel)] > 0.5]
    mentor_of, value = _check(lag, chosen)
    if mentor_of is None:
        return "REJECTED", None, None, model_bound
    return status, mentor_of, value, model_bound


def _check(lag, chosen):
    """The matching of free arcs ``chosen`` with pins, and its score, if it meets every rule exactly."""
    ok = (np.bincount(lag.i[chosen], minlength=lag.n) <= 1).all() and (
        np.bincount(lag.j[chosen], minlength=lag.m) <= lag.left).all()
    g = lag.coef_free[:, chosen].sum(axis=1) + lag.g_pins
    ok = ok and int(lag.prio[lag.i[chosen]].sum()) >= lag.p_star and bool((g[lag.weight < 0] >= 0).all())
    if not ok:
        return None, None
    mentor_of = np.full(lag.n, -1, np.int64)
    mentor_of[lag.i[chosen]] = lag.j[chosen]
    mentor_of[lag.fixed_i] = lag.fixed_j
    return mentor_of, int(lag.score[chosen].sum())


def mip_search(lag, point, bound: int, found, arcs, cohort, goals, settings, end: float, reserve: float = 0.0):
    """Thresholds from the Lagrangian ``bound`` down (see the module), until ``end`` (``end - reserve``
    while no matching is known, leaving time for another search).

    ``found`` is ``(value, mentor_of)`` of the best matching known, or None. Returns
    ``(value, mentor_of, bound, proven, stages)``; ``value`` is None when no matching was found.
    """
    blocks, gain = rank_lag_blocks(lag, arcs, cohort, goals, settings)
    value, mentor_of = found if found is not None else (None, None)
    step, stages, t = max(int(abs(bound) * FIRST_RADIUS), 1), [], bound
    lowest = int(np.minimum(lag.score, 0).sum())  # no matching of the free arcs scores less
    while value is None or value < bound:
        left = end - time.perf_counter() - (reserve if value is None else 0.0)
        if left <= 0.05 or bound < lowest:  # below every score: no matching meets the goals
            break
        t = min(t, bound) - step if value is None else max(min(t, bound) - step, value + 1)
        t = max(t, lowest)  # the step doubles on small models: never past every score (nor float range)
        sel = np.flatnonzero(point.rc <= point.scaled - lag.scale * t)  # every matching scoring >= t
        if len(sel) > MAX_MIP_ARCS:
            stages.append({"threshold": int(t), "arcs": len(sel), "status": "TOO_LARGE"})
            break
        began = time.perf_counter()
        status, got, v, model_bound = _solve(lag, sel, blocks, gain, t, left)
        stages.append({"threshold": int(t), "arcs": len(sel), "status": status, "score": v,
                       "bound": model_bound, "seconds": round(time.perf_counter() - began, 2)})
        if got is not None and (value is None or v > value):
            value, mentor_of = v, got
        if status == "OPTIMAL" and got is not None and v >= t:  # the best of every matching scoring >= t
            return value, mentor_of, value, True, stages
        if status in ("OPTIMAL", "INFEASIBLE"):  # the search ran out: no matching scores t or more
            bound, step = t - 1, step * 2 if len(sel) <= SMALL_ARCS else step
            continue
        if status == "LIMIT" and model_bound is not None:
            bound = min(bound, max(t - 1, model_bound))
        break
    if value is not None:
        bound = max(bound, value)
    return value, mentor_of, bound, value is not None and value >= bound, stages
