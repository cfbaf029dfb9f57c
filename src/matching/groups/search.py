"""Local search for the maximally diverse grouping problem (MDGP) with hard constraints.

The search works on *units* (a person, or a ``keep_together`` set merged into one unit of
weight ``w``) and keeps two incremental matrices, both updated in O(units) per step:

* ``S[u, g]``: the summed distance from unit ``u`` to the members of group ``g``;
* ``K[u, g]``: how many units unit ``u`` must be kept apart from are in ``g`` (plus a large
  constant for a forbidden cell, e.g. the group whose host mentors ``u``).

Every iteration scores *all* moves (a unit to another group) and *all* swaps (two units of
different groups) at once with numpy, keeps those that hold the sizes and the constraints, and
makes the best one that is not tabu (or that beats the best solution found: aspiration). Ties
are broken with the seeded generator, so a run is a function of (input, seed, number of
iterations). The *iterated* variant uses a short tenure and restarts from a perturbed copy
of the best solution when the tabu walk stalls; the plain variant (``perturb=False``, tenure
about U/10) is the benchmark's baseline.

Only the stopping time depends on the machine: with a time limit a faster computer makes more
iterations. ``max_iterations`` gives a run that is reproducible everywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

__all__ = ["Units", "SearchResult", "tabu_search", "objective", "default_tenure"]

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


@dataclass(frozen=True)
class SearchResult:
    """Best assignment found (unit -> group), its objective, iterations and seconds."""

    assign: np.ndarray
    objective: float
    iterations: int
    seconds: float


def objective(W: np.ndarray, assign: np.ndarray, constant: float = 0.0) -> float:
    """Sum of ``W`` over unordered pairs in the same group (plus ``constant``).

    >>> W = np.array([[0, 1, 2], [1, 0, 4], [2, 4, 0]], float)
    >>> objective(W, np.array([0, 0, 1]))
    1.0
    """
    same = assign[:, None] == assign[None, :]
    return float(np.triu(W * same, 1).sum()) + constant


class _State:
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


def _move_gains(p: Units, st: _State, cur: np.ndarray):
    """(U, G) gains of moving each unit to each group; -inf where not allowed."""
    gain = st.S - cur[:, None]
    ok = (st.size[st.a] - p.w >= p.lo[st.a])[:, None] & (st.size[None, :] + p.w[:, None] <= p.hi[None, :])
    ok[np.arange(len(st.a)), st.a] = False
    if p.constrained:
        ok &= st.K == 0
    return np.where(ok, gain, -np.inf)


def _swap_gains(p: Units, st: _State, cur: np.ndarray, uniform: bool):
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


def _pick(rng, gains: np.ndarray, best: float):
    """Flat index of a maximal entry (ties broken by ``rng``)."""
    ties = np.flatnonzero(gains >= best - 1e-9 * max(1.0, abs(best)))
    return int(ties[rng.integers(len(ties))]) if len(ties) > 1 else int(ties[0])


def _step(p: Units, st: _State, rng, it: int, tabu: np.ndarray, tenure, best_value: float, uniform: bool):
    """Make the best admissible move or swap; returns False when none exists."""
    cur = st.S[np.arange(len(st.a)), st.a]
    mg = _move_gains(p, st, cur)
    sg = _swap_gains(p, st, cur, uniform)
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
        u, g = divmod(_pick(rng, mg, bm), mg.shape[1])
        tabu[u, st.a[u]] = it + rng.integers(lo_t, hi_t + 1)
        st.move(p, u, g, bm)
    else:
        u, v = divmod(_pick(rng, sg, bs), sg.shape[1])
        gu, gv = st.a[u], st.a[v]
        tabu[u, gu] = it + rng.integers(lo_t, hi_t + 1)
        tabu[v, gv] = it + rng.integers(lo_t, hi_t + 1)
        st.move(p, u, gv, bs)
        st.move(p, v, gu, 0.0)
    return True


def _perturb(p: Units, st: _State, rng, strength: int) -> None:
    """``strength`` random admissible moves or swaps (even odds when both exist; constraints kept)."""
    for _ in range(strength):
        cur = st.S[np.arange(len(st.a)), st.a]
        moves = np.flatnonzero(np.isfinite(_move_gains(p, st, cur)))
        sg = _swap_gains(p, st, cur, bool((p.w == 1).all()))
        swaps = np.flatnonzero(np.isfinite(sg))
        if len(moves) and (not len(swaps) or rng.random() < 0.5):
            u, g = divmod(int(moves[rng.integers(len(moves))]), len(p.lo))
            st.move(p, u, g, float(st.S[u, g] - cur[u]))
        elif len(swaps):
            u, v = divmod(int(swaps[rng.integers(len(swaps))]), sg.shape[1])
            gu, gv = st.a[u], st.a[v]
            st.move(p, u, gv, float(sg[u, v]))
            st.move(p, v, gu, 0.0)
        else:
            return


def default_tenure(U: int, iterated: bool) -> tuple[int, int]:
    """Range of the random tabu tenure: short in the iterated search (its perturbations
    diversify; measured better on MDGPLIB), about U/10 in the plain one (the baseline).

    >>> default_tenure(120, True), default_tenure(120, False)
    ((3, 8), (12, 18))
    """
    if iterated:
        return max(2, U // 40), max(5, U // 15)
    return max(2, U // 10), max(3, U // 10 + max(U // 20, 3))


def tabu_search(p: Units, start: np.ndarray, *, seed: int = 0, time_limit: float = 10.0,
                max_iterations: int | None = None, perturb: bool = True, stall: int | None = None,
                target: float | None = None, tenure: tuple[int, int] | None = None) -> SearchResult:
    """Tabu search (iterated when ``perturb``) from a feasible ``start``.

    Parameters
    ----------
    p : Units
    start : ndarray of int
        A feasible assignment (sizes and constraints hold); it is never made worse.
    seed : int
    time_limit : float
        Seconds; the only machine-dependent stopping rule.
    max_iterations : int, optional
        Stop after this many steps (reproducible on any machine).
    perturb : bool
        Restart from a perturbed best solution after ``stall`` steps without improvement.
    target : float, optional
        Stop as soon as this objective is reached (e.g. a proven bound).
    tenure : (int, int), optional
        Range of the random tabu tenure (default :func:`default_tenure`).

    Returns
    -------
    SearchResult

    Examples
    --------
    >>> W = np.array([[0, 1, 9, 9], [1, 0, 9, 9], [9, 9, 0, 1], [9, 9, 1, 0]], float)
    >>> p = Units(W, np.ones(4, int), np.array([2, 2]), np.array([2, 2]),
    ...           np.zeros((4, 4), np.int8), np.zeros((4, 2), bool))
    >>> r = tabu_search(p, np.array([0, 0, 1, 1]), max_iterations=20)
    >>> r.objective, sorted(r.assign[[0, 2]]) != sorted(r.assign[[1, 3]]) or r.assign[0] != r.assign[1]
    (18.0, True)
    """
    began = time.perf_counter()
    rng = np.random.default_rng(seed)
    U, G = len(start), len(p.lo)
    st = _State(p, np.asarray(start, dtype=np.int64))
    best_a, best_v = st.a.copy(), st.value
    tabu = np.zeros((U, G), dtype=np.int64)
    tenure = tenure or default_tenure(U, perturb)
    stall = stall or max(200, 25 * U)
    strength = max(3, U // 24)
    uniform = bool((p.w == 1).all())
    it = since = 0
    while (max_iterations is None or it < max_iterations) and time.perf_counter() - began < time_limit:
        if target is not None and best_v >= target - 1e-9:
            break
        it += 1
        if not _step(p, st, rng, it, tabu, tenure, best_v, uniform):
            break
        if st.value > best_v + 1e-9:
            best_a, best_v, since = st.a.copy(), st.value, 0
        else:
            since += 1
        if perturb and since >= stall:
            st = _State(p, best_a)
            _perturb(p, st, rng, strength)
            tabu[:] = 0
            since = 0
    return SearchResult(assign=best_a, objective=objective(p.W, best_a, p.constant), iterations=it,
                        seconds=time.perf_counter() - began)
