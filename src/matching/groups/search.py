"""Tabu search for the maximally diverse grouping problem (MDGP) with hard constraints.

The search works on *units* (:class:`.kernel.Units`: a person, or a ``keep_together`` set
merged into one unit of weight ``w``). Every step makes the best move (a unit to another
group) or swap (two units of different groups) that holds the sizes and the constraints and
is not tabu (or that beats the best solution found: aspiration); ties are broken with the
seeded generator, so a run is a function of (input, seed, number of steps). The step either
re-scores all moves and swaps (:func:`.kernel.full_step`) or keeps the swap gains
incrementally (:mod:`.gains`); both make the very same steps, the second about 3-4 times
faster from about 150 units.

The *iterated* variant uses a short tenure and restarts from a perturbed copy of the best
solution when the tabu walk stalls (or, with ``restart="round"``, of the best solution of the
stalled round: a walk from local optimum to local optimum, as in Lai and Hao's iterated maxima
search, which keeps exploring where the best-only restarts keep falling back into the same
basin); the plain variant (``perturb=False``, tenure about U/10)
is the classical tabu walk (with full re-scoring, the benchmark's baseline); ``give_up``
stops it once stalled.

This numpy search is the reference: the benchmark's baseline (the plain walk with full
re-scoring) and the quick search before the exact model on small instances. Beyond them
:func:`matching.groups.solve.solve` runs the same walk compiled (:mod:`.compiled`: the same rules,
4-7 times the steps per second at 120-240 people, its own random generator).

Only the stopping time depends on the machine: with a time limit a faster computer makes more
iterations. ``max_iterations`` gives a run that is reproducible everywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .gains import SwapGains, gain_step
from .kernel import State, Units, full_step, move_gains, objective, swap_gains

__all__ = ["SearchResult", "Units", "default_tenure", "objective", "tabu_search"]

INCREMENTAL_FROM = 150  # units; below, re-scoring every swap is as fast (measured at 120 and 240) ...
INCREMENTAL_FIXED_FROM = 100  # ... except with every size fixed (no moves to score): 15-25% faster at 120


@dataclass(frozen=True)
class SearchResult:
    """Best assignment found (unit -> group), its objective, iterations and seconds."""

    assign: np.ndarray
    objective: float
    iterations: int
    seconds: float


def _perturb(p: Units, st: State, rng, strength: int) -> None:
    """``strength`` random admissible moves or swaps (even odds when both exist; constraints kept)."""
    for _ in range(strength):
        cur = st.S[np.arange(len(st.a)), st.a]
        moves = np.flatnonzero(np.isfinite(move_gains(p, st, cur)))
        sg = swap_gains(p, st, cur, bool((p.w == 1).all()))
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
                target: float | None = None, tenure: tuple[int, int] | None = None,
                incremental: bool | None = None, give_up: bool = False, restart: str = "best",
                strength: int | None = None) -> SearchResult:
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
    incremental : bool, optional
        Keep the swap gains incrementally (:mod:`.gains`) instead of re-scoring every swap
        at every step (:func:`.kernel.full_step`). Both make the very same steps; the kept
        gains are faster from about 150 units, or 100 when every group's size is fixed
        (default: by the number of units and the sizes).
    give_up : bool
        Stop once the walk has gone without improving for as many steps as it took to find
        its best (and for at least ``stall`` steps): it is then unlikely to improve soon.
    restart : {"best", "round"}
        After ``stall`` steps without improvement, perturb the best solution found overall
        (``"best"``), or the best solution of the round that just stalled (``"round"``; the
        round then ends ``stall`` steps after its own last improvement).
    strength : int, optional
        Random moves or swaps per perturbation (default ``max(3, U // G)``, the units per
        group: Lai and Hao's strong perturbation).

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
    if restart not in ("best", "round"):
        raise ValueError(f"restart must be 'best' or 'round'; got {restart!r}")
    began = time.perf_counter()
    rng = np.random.default_rng(seed)
    U, G = len(start), len(p.lo)
    st = State(p, np.asarray(start, dtype=np.int64))
    best_a, best_v = st.a.copy(), st.value
    tabu = np.zeros((U, G), dtype=np.int64)
    tenure = tenure or default_tenure(U, perturb)
    stall = stall or max(200, 25 * U)
    strength = strength or max(3, U // G)
    round_a, round_v = best_a, best_v
    uniform = bool((p.w == 1).all())
    if incremental is None:
        incremental = U >= (INCREMENTAL_FIXED_FROM if (p.lo == p.hi).all() else INCREMENTAL_FROM)
    sw = SwapGains(p, st, tabu > 0) if incremental else None
    it = since = found = 0
    while (max_iterations is None or it < max_iterations) and time.perf_counter() - began < time_limit:
        if target is not None and best_v >= target - 1e-9:
            break
        it += 1
        if not (gain_step(p, st, sw, rng, it, tabu, tenure, best_v) if incremental else
                full_step(p, st, rng, it, tabu, tenure, best_v, uniform)):
            break
        better = st.value > round_v + 1e-9
        if better:
            round_a, round_v = st.a.copy(), st.value
        if st.value > best_v + 1e-9:
            best_a, best_v, since, found = round_a, round_v, 0, it
        else:
            since = 0 if better and restart == "round" else since + 1
        if give_up and since >= max(stall, found):
            break
        if perturb and since >= stall:
            st = State(p, round_a if restart == "round" else best_a)
            _perturb(p, st, rng, strength)
            round_a, round_v = st.a.copy(), st.value
            tabu[:] = 0
            since = 0
            sw = SwapGains(p, st, tabu > it) if incremental else None
    return SearchResult(assign=best_a, objective=objective(p.W, best_a, p.constant), iterations=it,
                        seconds=time.perf_counter() - began)
