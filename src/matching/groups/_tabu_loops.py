"""The compiled loops of :mod:`matching.groups.compiled` (numba; imported on first use).

The state of a search lives in arrays, so a run can stop after any block of steps and go on
with the next block exactly as if it had not stopped:

* ``a`` (U,): group of each unit; ``St`` (G, U): summed distance from each unit to each group;
  ``Kt`` (G, U): conflicts of each unit in each group (plus ``FORBID`` for a forbidden cell);
  ``size`` (G,): people per group; ``tabu`` (U, G): step until which a unit may not re-enter a group;
* ``best_a``, ``round_a``: the best grouping found, and the best of the current round;
* ``fl`` = (value, best value, round value), ``ints`` = (steps made, steps since the last
  improvement, step of the best), ``rs`` (1,) uint64: the state of a splitmix64 generator.

A step scores every admissible move and swap in O(U^2) scalar work (only the candidates at
least as good as the best so far are checked for sizes, conflicts and tabu), makes the best
(ties drawn uniformly by reservoir sampling), and updates ``St`` and ``Kt`` in O(U).
No ``parallel=True``: the search runs inside forked worker processes. Cached on disk.
"""

from __future__ import annotations

import numba as nb
import numpy as np

FORBID = 1 << 20
#: indices into the ``cfg`` array of :func:`run`
LO_T, HI_T, STALL, STRENGTH, PERTURB, GIVE_UP, ROUND, UNIFORM, CONSTRAINED, MOVES, HAS_TARGET = range(11)
#: statuses returned by :func:`run`
RAN, STUCK, GAVE_UP, REACHED = range(4)

_jit = nb.njit(cache=True, nogil=True, boundscheck=False)
_inline = nb.njit(cache=True, nogil=True, boundscheck=False, inline="always")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@_inline
def _next(rs):
    """splitmix64: the next 64 random bits."""
    z = rs[0] + _GOLDEN
    rs[0] = z
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@_inline
def _below(rs, n):
    """A uniform integer in ``0..n-1``."""
    k = np.int64((_next(rs) >> np.uint64(11)) * (1.0 / 9007199254740992.0) * n)
    return min(k, n - 1)


@_inline
def _tol(best):
    """Gains this close to ``best`` are ties (as in :func:`.kernel.pick`)."""
    return 1e-9 * max(1.0, abs(best)) if best > -np.inf else 0.0


@_jit
def rebuild(W, w, apart, forbid, a, St, Kt, size):
    """``St``, ``Kt`` and ``size`` of the grouping ``a`` from scratch; returns its value."""
    G, U = St.shape
    St[:] = 0.0
    Kt[:] = 0
    size[:] = 0
    value = 0.0
    for u in range(U):
        size[a[u]] += w[u]
        for g in range(G):
            Kt[g, u] = FORBID if forbid[u, g] else 0
        for v in range(U):
            St[a[v], u] += W[u, v]
            Kt[a[v], u] += apart[u, v]
            if v > u and a[u] == a[v]:
                value += W[u, v]
    return value


@_jit
def _move(W, w, apart, constrained, a, St, Kt, size, u, g):
    old = a[u]
    for v in range(len(a)):
        St[old, v] -= W[u, v]
        St[g, v] += W[u, v]
    if constrained:
        for v in range(len(a)):
            Kt[old, v] -= apart[u, v]
            Kt[g, v] += apart[u, v]
    size[old] -= w[u]
    size[g] += w[u]
    a[u] = g


@_inline
def _move_ok(w, lo, hi, constrained, a, Kt, size, u, g):
    """Whether unit ``u`` may move to group ``g`` (sizes and conflicts; tabu aside)."""
    gu = a[u]
    return (g != gu and size[gu] - w[u] >= lo[gu] and size[g] + w[u] <= hi[g]
            and not (constrained and Kt[g, u] != 0))


@_inline
def _swap_ok(w, lo, hi, apart, uniform, constrained, a, Kt, size, u, v):
    """Whether units ``u`` and ``v`` may swap groups (sizes and conflicts; tabu aside)."""
    gu, gv = a[u], a[v]
    if gu == gv:
        return False
    if not uniform:
        su, sv = size[gu] - w[u] + w[v], size[gv] - w[v] + w[u]
        if su < lo[gu] or su > hi[gu] or sv < lo[gv] or sv > hi[gv]:
            return False
    return not constrained or (Kt[gv, u] - apart[u, v] == 0 and Kt[gu, v] - apart[v, u] == 0)


@_inline
def _take(best, gain, ties, rs):
    """Reservoir sampling of the ties of the best gain: ``(best, ties, whether to take gain)``."""
    if gain > best + _tol(best):
        return gain, 1, True
    ties += 1
    return max(best, gain), ties, _below(rs, ties) == 0


@_jit
def _best_move(w, lo, hi, constrained, a, St, Kt, size, tabu, it, aspire, cur, rs):
    """Best admissible move ``(gain, u, g)`` (-inf when none); ties drawn by reservoir sampling."""
    G, U = St.shape
    best, bu, bg, ties = -np.inf, -1, -1, 0
    for u in range(U):
        gu = a[u]
        if size[gu] - w[u] < lo[gu]:
            continue
        for g in range(G):
            gain = St[g, u] - cur[u]
            if gain < best - _tol(best) or g == gu or size[g] + w[u] > hi[g]:
                continue
            if (constrained and Kt[g, u] != 0) or (tabu[u, g] > it and gain <= aspire):
                continue
            best, ties, take = _take(best, gain, ties, rs)
            if take:
                bu, bg = u, g
    return best, bu, bg


@_jit
def _best_swap(W2, w, lo, hi, apart, uniform, constrained, a, St, Kt, size, tabu, it, aspire, cur, Z, rs):
    """Best admissible swap ``(gain, u, v)`` (-inf when none); ties drawn by reservoir sampling.

    ``Z[g, v]`` = gain of ``v`` leaving for ``g``; the gain of a swap is ``row[a[v]] + Z[a[u], v]
    - 2 W[u, v]`` with ``row[g]`` = gain of ``u`` leaving for ``g`` (-inf for its own group)."""
    G, U = St.shape
    for g in range(G):
        for v in range(U):
            Z[g, v] = St[g, v] - cur[v]
    best, bu, bv, ties, thr = -np.inf, -1, -1, 0, -np.inf
    row = np.empty(G)
    for u in range(U):
        gu = a[u]
        for g in range(G):
            row[g] = Z[g, u]
        row[gu] = -np.inf
        for v in range(u + 1, U):
            gain = row[a[v]] + Z[gu, v] - W2[u, v]
            if gain < thr or gain == -np.inf:
                continue
            gv = a[v]
            if not uniform:
                su, sv = size[gu] - w[u] + w[v], size[gv] - w[v] + w[u]
                if su < lo[gu] or su > hi[gu] or sv < lo[gv] or sv > hi[gv]:
                    continue
            if constrained and (Kt[gv, u] - apart[u, v] != 0 or Kt[gu, v] - apart[v, u] != 0):
                continue
            if (tabu[u, gv] > it or tabu[v, gu] > it) and gain <= aspire:
                continue
            best, ties, take = _take(best, gain, ties, rs)
            thr = best - _tol(best)
            if take:
                bu, bv = u, v
    return best, bu, bv


@_jit
def _step(W, W2, w, lo, hi, apart, cfg, a, St, Kt, size, tabu, it, value, best_v, cur, Z, rs):
    """The best admissible move or swap (tabu unless it beats ``best_v``), made; returns the
    gain, or NaN when no move or swap is allowed."""
    U = len(a)
    uniform, constrained = cfg[UNIFORM] != 0, cfg[CONSTRAINED] != 0
    for u in range(U):
        cur[u] = St[a[u], u]
    aspire = best_v - value + 1e-9
    bm, mu, mg = -np.inf, -1, -1
    if cfg[MOVES]:
        bm, mu, mg = _best_move(w, lo, hi, constrained, a, St, Kt, size, tabu, it, aspire, cur, rs)
    bs, su, sv = _best_swap(W2, w, lo, hi, apart, uniform, constrained, a, St, Kt, size, tabu, it, aspire, cur, Z, rs)
    if bm == -np.inf and bs == -np.inf:
        return np.nan
    span = cfg[HI_T] - cfg[LO_T] + 1
    if bm >= bs:
        tabu[mu, a[mu]] = it + cfg[LO_T] + _below(rs, span)
        _move(W, w, apart, constrained, a, St, Kt, size, mu, mg)
        return bm
    gu, gv = a[su], a[sv]
    tabu[su, gu] = it + cfg[LO_T] + _below(rs, span)
    tabu[sv, gv] = it + cfg[LO_T] + _below(rs, span)
    _move(W, w, apart, constrained, a, St, Kt, size, su, gv)
    _move(W, w, apart, constrained, a, St, Kt, size, sv, gu)
    return bs


@_jit
def _kth(w, lo, hi, apart, uniform, constrained, a, Kt, size, take_move, k):
    """The ``k``-th admissible move ``(u, g)`` or swap ``(u, v)``, in row order."""
    U, G = len(a), Kt.shape[0]
    for u in range(U):
        for x in range(G if take_move else U):
            if (_move_ok(w, lo, hi, constrained, a, Kt, size, u, x) if take_move
                    else x > u and _swap_ok(w, lo, hi, apart, uniform, constrained, a, Kt, size, u, x)):
                k -= 1
                if k < 0:
                    return u, x
    return -1, -1


@_jit
def perturb(W, w, lo, hi, apart, cfg, a, St, Kt, size, rs, strength):
    """``strength`` random admissible moves or swaps (even odds when both exist); returns the
    change of value."""
    U, G = len(a), St.shape[0]
    uniform, constrained = cfg[UNIFORM] != 0, cfg[CONSTRAINED] != 0
    change = 0.0
    for _ in range(strength):
        nm = ns = 0
        for u in range(U):
            for g in range(G):
                nm += _move_ok(w, lo, hi, constrained, a, Kt, size, u, g)
            for v in range(u + 1, U):
                ns += _swap_ok(w, lo, hi, apart, uniform, constrained, a, Kt, size, u, v)
        if nm == 0 and ns == 0:
            return change
        take_move = nm > 0 and (ns == 0 or _next(rs) >> np.uint64(63) == 0)
        u, x = _kth(w, lo, hi, apart, uniform, constrained, a, Kt, size, take_move,
                    _below(rs, nm if take_move else ns))
        if take_move:
            change += St[x, u] - St[a[u], u]
            _move(W, w, apart, constrained, a, St, Kt, size, u, x)
        else:
            gu, gv = a[u], a[x]
            change += St[gv, u] - St[gu, u] + St[gu, x] - St[gv, x] - 2.0 * W[u, x]
            _move(W, w, apart, constrained, a, St, Kt, size, u, gv)
            _move(W, w, apart, constrained, a, St, Kt, size, x, gu)
    return change


@_jit
def run(W, W2, w, lo, hi, apart, forbid, cfg, target, a, St, Kt, size, tabu, best_a, round_a, fl, ints, rs, steps):
    """Up to ``steps`` steps of the (iterated) tabu search; returns a status (``RAN`` when
    they were all made)."""
    cur, Z = np.empty(len(a)), np.empty(St.shape)
    for _ in range(steps):
        if cfg[HAS_TARGET] and fl[1] >= target - 1e-9:
            return REACHED
        ints[0] += 1
        it = ints[0]
        gain = _step(W, W2, w, lo, hi, apart, cfg, a, St, Kt, size, tabu, it, fl[0], fl[1], cur, Z, rs)
        if np.isnan(gain):
            return STUCK
        fl[0] += gain
        better = fl[0] > fl[2] + 1e-9
        if better:
            round_a[:] = a
            fl[2] = fl[0]
        if fl[0] > fl[1] + 1e-9:
            best_a[:] = round_a
            fl[1], ints[1], ints[2] = fl[2], 0, it
        else:
            ints[1] = 0 if better and cfg[ROUND] else ints[1] + 1
        if cfg[GIVE_UP] and ints[1] >= max(cfg[STALL], ints[2]):
            return GAVE_UP
        if cfg[PERTURB] and ints[1] >= cfg[STALL]:
            a[:] = round_a if cfg[ROUND] else best_a
            fl[0] = rebuild(W, w, apart, forbid, a, St, Kt, size)
            fl[0] += perturb(W, w, lo, hi, apart, cfg, a, St, Kt, size, rs, cfg[STRENGTH])
            round_a[:] = a
            fl[2] = fl[0]
            tabu[:] = 0
            ints[1] = 0
    return RAN
