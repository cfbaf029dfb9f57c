"""The swap-gain matrix kept incrementally: the same tabu step as :func:`kernel.full_step`,
without re-scoring all U^2 swaps at every step.

The gain of swapping units ``u`` and ``v`` is ``M[u, a[v]] + M[v, a[u]] - 2 W[u, v]`` with
``M = S - S[u, a[u]]``. A move or swap between groups ``g`` and ``h`` changes ``S`` only in
columns ``g`` and ``h`` and the own-group sums only of the members of ``g`` and ``h``, so only
the swaps involving a member of ``g`` or ``h`` change gain (and feasibility: sizes and ``K``
change only in ``g`` and ``h``). :class:`SwapGains` recomputes those rows and columns (about
2 U^2 / G entries) with the very arithmetic of :func:`kernel.swap_gains`, so the matrices are
equal entry for entry, and the rows of units whose tabu status changed (a tabu expiring).

:func:`gain_step` then makes the same choice as :func:`kernel.full_step`, with the same draws
of the generator: a tabu walk with it is the plain walk, only cheaper per step.
"""

from __future__ import annotations

import numpy as np

from .kernel import State, Units, move_gains, pick

__all__ = ["SwapGains", "gain_step"]


class SwapGains:
    """Swap gains ``D`` (-inf where a swap breaks a size or a constraint) and ``F`` (``D`` with
    -inf also where a swap is tabu), for the state ``st`` and the tabu ``banned = tabu > it``."""

    def __init__(self, p: Units, st: State, banned: np.ndarray):
        U = len(st.a)
        self.D = np.empty((U, U))
        self.F = np.empty((U, U))
        self.pending = np.arange(U)
        self.general = not (p.w == 1).all() or p.constrained
        self.moves = not (p.lo == p.hi).all()
        self.refresh(p, st, banned)

    def refresh(self, p: Units, st: State, banned: np.ndarray, extra: np.ndarray | None = None) -> None:
        """Recompute the rows and columns of the pending units (and of ``extra``)."""
        R = self.pending if extra is None or not len(extra) else np.concatenate((self.pending, extra))
        if not len(R):
            return
        a, U = st.a, len(st.a)
        M = st.S - st.S[np.arange(U), a][:, None]
        M[np.arange(U), a] = -np.inf               # a swap inside a group: -inf, as in swap_gains
        for full, out in ((M, self.D), (np.where(banned, -np.inf, M), self.F)):
            blk = full[R][:, a]
            blk += full[:, a[R]].T
            blk -= p.W2[R]
            if self.general:
                blk[~_allowed(p, st, R)] = -np.inf
            out[R] = blk
            out[:, R] = blk.T
        self.pending = R[:0]

    def moved(self, st: State, g: int, h: int) -> None:
        """Mark the members of groups ``g`` and ``h`` (after a move or swap between them)."""
        self.pending = np.flatnonzero((st.a == g) | (st.a == h))


def _allowed(p: Units, st: State, R: np.ndarray) -> np.ndarray:
    """(len(R), U) rows of the size and constraint mask of :func:`kernel.swap_gains`."""
    a = st.a
    ok = np.ones((len(R), len(a)), dtype=bool)
    if not (p.w == 1).all():
        dw = p.w[None, :] - p.w[R][:, None]
        su = st.size[a[R]][:, None] + dw
        sv = st.size[a][None, :] - dw
        ok &= (su >= p.lo[a[R]][:, None]) & (su <= p.hi[a[R]][:, None])
        ok &= (sv >= p.lo[a][None, :]) & (sv <= p.hi[a][None, :])
    if p.constrained:
        ok &= (st.K[R][:, a] - p.apart[R]) == 0
        ok &= (st.K[:, a[R]] - p.apart[:, R]).T == 0
    return ok


def _best_swap(sw: SwapGains, aspire: float):
    """Best admissible swap gain and the rows holding it (tabu swaps only when they aspire)."""
    masked = sw.F if sw.D.max(initial=-np.inf) <= aspire else np.where(sw.D > aspire, sw.D, sw.F)
    rowmax = masked.max(1, initial=-np.inf)
    return rowmax.max(initial=-np.inf), masked, rowmax


def _pick_swap(masked: np.ndarray, rowmax: np.ndarray, best: float, rng):
    """:func:`kernel.pick` on ``masked`` (same ties in the same order), from its row maxima."""
    thr = best - 1e-9 * max(1.0, abs(best))
    rows = np.flatnonzero(rowmax >= thr)
    i, j = np.nonzero(masked[rows] >= thr)
    flat = rows[i] * masked.shape[1] + j
    k = int(flat[rng.integers(len(flat))]) if len(flat) > 1 else int(flat[0])
    return divmod(k, masked.shape[1])


def gain_step(p: Units, st: State, sw: SwapGains, rng, it: int, tabu: np.ndarray, tenure,
              best_value: float) -> bool:
    """:func:`kernel.full_step` on the kept matrices; returns False when no step exists."""
    banned = tabu > it
    sw.refresh(p, st, banned, np.flatnonzero((tabu == it).any(1)))
    aspire = best_value - st.value + 1e-9
    bm = -np.inf
    if sw.moves:                                   # with every size fixed no move is ever allowed
        mg = move_gains(p, st, st.S[np.arange(len(st.a)), st.a])
        mg[banned & (mg <= aspire)] = -np.inf
        bm = mg.max(initial=-np.inf)
    bs, masked, rowmax = _best_swap(sw, aspire)
    if not np.isfinite(max(bm, bs)):
        return False
    lo_t, hi_t = tenure
    if bm >= bs:
        u, g = divmod(pick(rng, mg, bm), mg.shape[1])
        gu = st.a[u]
        tabu[u, gu] = it + rng.integers(lo_t, hi_t + 1)
        st.move(p, u, g, bm)
        sw.moved(st, gu, g)
        return True
    u, v = _pick_swap(masked, rowmax, bs, rng)
    gu, gv = st.a[u], st.a[v]
    tabu[u, gu] = it + rng.integers(lo_t, hi_t + 1)
    tabu[v, gv] = it + rng.integers(lo_t, hi_t + 1)
    st.move(p, u, gv, bs)
    st.move(p, v, gu, 0.0)
    sw.moved(st, gu, gv)
    return True
