"""The problem on units, its incremental state and one full-neighbourhood tabu step.

A *unit* is a person, or a ``keep_together`` set merged into one unit of weight ``w``. The
state keeps two matrices, both updated in O(units) per move:

* ``S[u, g]``: the summed distance from unit ``u`` to the members of group ``g``;
* ``K[u, g]``: how many units unit ``u`` must be kept apart from are in ``g`` (plus a large
  constant for a forbidden cell, e.g. the group whose host mentors ``u``).

:func:`full_step` scores *all* moves (a unit to another group) and *all* swaps (two units of
different groups) at once with numpy, keeps those that hold the sizes and the constraints, and
makes the best one that is not tabu (or that beats the best solution found: aspiration), ties
broken with the seeded generator. It is the step of the plain tabu search (the benchmark's
baseline); :mod:`matching.groups.gains` makes the same step from an incrementally kept
swap-gain matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["State", "Units", "full_step", "move_gains", "objective", "pick", "swap_gains"]

_FORBID = 1 << 20  # K value of a cell no unit may enter


@dataclass(frozen=True, eq=False)
class Units:
    """The problem on units: distances ``W``, weights ``w``, size bounds, conflicts."""

    W: np.ndarray          # (U, U) float, symmetric, zero diagonal
    w: np.ndarray          # (U,) int, people per unit
    lo: np.ndarray         # (G,) int
    hi: np.ndarray         # (G,) int
    apart: np.ndarray      # (U, U) int8, 1 where two units may not share a group
    forbid: np.ndarray     # (U, G) bool, cells a unit may not enter
    constant: float = 0.0  # distance inside units (counted whatever the grouping)

    def __post_init__(self):
        object.__setattr__(self, "constrained", bool(self.apart.any() or self.forbid.any()))
        object.__setattr__(self, "W2", 2.0 * self.W)


def objective(W: np.ndarray, assign: np.ndarray, constant: float = 0.0) -> float:
    """Sum of ``W`` over unordered pairs in the same group (plus ``constant``).

    >>> W = np.array([[0, 1, 2], [1, 0, 4], [2, 4, 0]], float)
    >>> objective(W, np.array([0, 0, 1]))
    1.0
    """
    same = assign[:, None] == assign[None, :]
    return float(np.triu(W * same, 1).sum()) + constant


class State:
    """Assignment with the incremental ``S``, ``K`` and group sizes."""

    def __init__(self, p: Units, assign: np.ndarray):
        G = len(p.lo)
        onehot = np.zeros((len(assign), G))
        onehot[np.arange(len(assign)), assign] = 1.0
        self.a = assign.copy()
        self.S = p.W @ onehot
        self.K = (p.apart.astype(np.int64) @ onehot.astype(np.int64)) + _FORBID * p.forbid
        self.size = np.bincount(assign, weights=p.w, minlength=G).astype(np.int64)
        self.value = objective(p.W, assign, p.constant)

    def move(self, p: Units, u: int, g: int, gain: float) -> None:
        old = self.a[u]
        self.S[:, old] -= p.W[:, u]
        self.S[:, g] += p.W[:, u]
        if p.constrained:
            self.K[:, old] -= p.apart[:, u]
            self.K[:, g] += p.apart[:, u]
        self.size[old] -= p.w[u]
        self.size[g] += p.w[u]
        self.a[u] = g
        self.value += gain


def move_gains(p: Units, st: State, cur: np.ndarray):
    """(U, G) gains of moving each unit to each group; -inf where not allowed."""
    gain = st.S - cur[:, None]
    ok = (st.size[st.a] - p.w >= p.lo[st.a])[:, None] & (st.size[None, :] + p.w[:, None] <= p.hi[None, :])
    ok[np.arange(len(st.a)), st.a] = False
    if p.constrained:
        ok &= st.K == 0
    return np.where(ok, gain, -np.inf)


def swap_gains(p: Units, st: State, cur: np.ndarray, uniform: bool):
    """(U, U) gains of swapping two units of different groups; -inf where not allowed."""
    a = st.a
    M = (st.S - cur[:, None])[:, a]          # M[u, v]: gain of u moving into v's group
    gain = M + M.T
    gain -= p.W2
    ok = a[:, None] != a[None, :]
    if not uniform:
        dw = p.w[None, :] - p.w[:, None]     # u leaves a[u], v arrives: size[a[u]] + w_v - w_u
        su = st.size[a][:, None] + dw
        sv = st.size[a][None, :] - dw
        ok &= (su >= p.lo[a][:, None]) & (su <= p.hi[a][:, None])
        ok &= (sv >= p.lo[a][None, :]) & (sv <= p.hi[a][None, :])
    if p.constrained:
        Ka = st.K[:, a] - p.apart           # conflicts of u in v's group once v has left
        ok &= (Ka == 0) & (Ka.T == 0)
    return np.where(ok, gain, -np.inf)


def pick(rng, gains: np.ndarray, best: float):
    """Flat index of a maximal entry (ties broken by ``rng``)."""
    ties = np.flatnonzero(gains >= best - 1e-9 * max(1.0, abs(best)))
    return int(ties[rng.integers(len(ties))]) if len(ties) > 1 else int(ties[0])


def full_step(p: Units, st: State, rng, it: int, tabu: np.ndarray, tenure, best_value: float, uniform: bool):
    """Make the best admissible move or swap; returns False when none exists."""
    cur = st.S[np.arange(len(st.a)), st.a]
    mg = move_gains(p, st, cur)
    sg = swap_gains(p, st, cur, uniform)
    aspire = best_value - st.value + 1e-9
    banned = tabu > it
    mg[banned & (mg <= aspire)] = -np.inf
    t_swap = banned[:, st.a]                   # u into v's group
    t_swap |= t_swap.T
    t_swap &= sg <= aspire
    sg[t_swap] = -np.inf
    bm, bs = mg.max(initial=-np.inf), sg.max(initial=-np.inf)
    if not np.isfinite(max(bm, bs)):
        return False
    lo_t, hi_t = tenure
    if bm >= bs:
        u, g = divmod(pick(rng, mg, bm), mg.shape[1])
        tabu[u, st.a[u]] = it + rng.integers(lo_t, hi_t + 1)
        st.move(p, u, g, bm)
    else:
        u, v = divmod(pick(rng, sg, bs), sg.shape[1])
        gu, gv = st.a[u], st.a[v]
        tabu[u, gu] = it + rng.integers(lo_t, hi_t + 1)
        tabu[v, gv] = it + rng.integers(lo_t, hi_t + 1)
        st.move(p, u, gv, bs)
        st.move(p, v, gu, 0.0)
    return True
