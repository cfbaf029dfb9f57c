"""The tabu search of :mod:`matching.groups.search`, compiled: the same walk (best admissible
move or swap, random tenure, aspiration, stalled rounds restarted from a perturbed copy of the
best grouping or of the round's best, ``give_up``) with every step inside numba loops
(:mod:`._tabu_loops`): 4-7 times the steps per second of the numpy search with kept swap
gains at 120-240 people (e.g. about 60,000 and 20,000-26,000 steps per second at 120 and 240
on MDGPLIB's Geo instances, against 9,000-11,000 and 4,500-6,000). The first use compiles
the loops (cached on disk next to the module; later processes only load them).

A step scores all moves and swaps from the kept sums ``S`` in O(U^2) scalar work, checks
sizes, conflicts and tabu only for candidates at least as good as the best so far, and breaks
ties with a seeded splitmix64 generator (not numpy's: the runs differ from the numpy search's
step for step, but follow the same rules). The search runs in blocks of steps and checks the
time between blocks; all of its state is kept between blocks, so a run is a function of
(input, seed, number of steps) whatever the block sizes: ``max_iterations`` gives the same
grouping on every machine.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np

from .kernel import Units, objective
from .search import SearchResult, default_tenure

__all__ = ["compiled_search", "walk", "warm_up"]

BLOCK_SECONDS = 0.05   # aim of a block of steps between two looks at the clock


def walk(p: Units, start: np.ndarray, *, seed: int = 0, time_limit: float = 10.0,
         max_iterations: int | None = None, perturb: bool = True, stall: int | None = None,
         target: float | None = None, tenure: tuple[int, int] | None = None, give_up: bool = False,
         restart: str = "best", strength: int | None = None, block: int | None = None) -> SimpleNamespace:
    """Run the compiled search; returns its whole state (``a``, ``best_a``, ``fl`` = value, best
    and round values without ``p.constant``, ``ints`` = steps, steps since the best, step of the
    best), ``status``, the arrays passed to the loops (``prob``, ``cfg``) and the ``seconds``.
    ``block`` fixes the steps per block (default: adapted to the clock; the steps made do not
    depend on it)."""
    from . import _tabu_loops as L  # loads numba (and its disk cache) on first use

    if restart not in ("best", "round"):
        raise ValueError(f"restart must be 'best' or 'round'; got {restart!r}")
    began = time.perf_counter()
    U, G = len(start), len(p.lo)
    lo_t, hi_t = tenure or default_tenure(U, perturb)
    cfg = np.zeros(11, np.int64)
    cfg[[L.LO_T, L.HI_T, L.STALL, L.STRENGTH]] = lo_t, hi_t, stall or max(200, 25 * U), strength or max(3, U // G)
    cfg[[L.PERTURB, L.GIVE_UP, L.ROUND, L.UNIFORM]] = perturb, give_up, restart == "round", (p.w == 1).all()
    cfg[[L.CONSTRAINED, L.MOVES, L.HAS_TARGET]] = p.constrained, not (p.lo == p.hi).all(), target is not None
    W = np.ascontiguousarray(p.W, np.float64)
    prob = (W, 2.0 * W, p.w.astype(np.int64), p.lo.astype(np.int64),
            p.hi.astype(np.int64), np.ascontiguousarray(p.apart, np.int8), np.ascontiguousarray(p.forbid, np.bool_))
    s = SimpleNamespace(a=np.array(start, np.int64), St=np.zeros((G, U)), Kt=np.zeros((G, U), np.int64),
                        size=np.zeros(G, np.int64), tabu=np.zeros((U, G), np.int64), fl=np.zeros(3),
                        ints=np.zeros(3, np.int64), rs=np.array([seed % 2**64], np.uint64), status=L.RAN, prob=prob,
                        cfg=cfg)
    s.fl[:] = L.rebuild(W, prob[2], prob[5], prob[6], s.a, s.St, s.Kt, s.size)
    s.best_a, s.round_a = s.a.copy(), s.a.copy()
    steps = block or 64
    tgt = 0.0 if target is None else float(target) - p.constant
    while s.status == L.RAN and time.perf_counter() - began < time_limit:
        if max_iterations is not None:
            steps = min(steps, max_iterations - int(s.ints[0]))
            if steps <= 0:
                break
        t0 = time.perf_counter()
        s.status = L.run(*prob, cfg, tgt, s.a, s.St, s.Kt, s.size, s.tabu, s.best_a, s.round_a, s.fl, s.ints,
                         s.rs, steps)
        took = time.perf_counter() - t0
        if block is None and took < BLOCK_SECONDS / 2:
            steps *= 2
        elif block is None and took > 2 * BLOCK_SECONDS:
            steps = max(steps // 2, 1)
    s.seconds = time.perf_counter() - began
    return s


def compiled_search(p: Units, start: np.ndarray, **options) -> SearchResult:
    """:func:`.search.tabu_search` (without ``incremental``), compiled: the best grouping found,
    its objective recomputed from scratch, the steps made and the seconds.

    Examples
    --------
    >>> W = np.array([[0, 1, 9, 9], [1, 0, 9, 9], [9, 9, 0, 1], [9, 9, 1, 0]], float)
    >>> p = Units(W, np.ones(4, int), np.array([2, 2]), np.array([2, 2]),
    ...           np.zeros((4, 4), np.int8), np.zeros((4, 2), bool))
    >>> r = compiled_search(p, np.array([0, 0, 1, 1]), max_iterations=20)
    >>> r.objective, bool(r.assign[0] != r.assign[1])
    (18.0, True)
    """
    s = walk(p, start, **options)
    return SearchResult(assign=s.best_a, objective=objective(p.W, s.best_a, p.constant), iterations=int(s.ints[0]),
                        seconds=s.seconds)


def warm_up() -> float:
    """Compile the loops (or load them from the disk cache) with a tiny search; returns the
    seconds it took. :func:`.solve._portfolio` calls it before forking its workers, so that
    they inherit the compiled code instead of each compiling or loading it.

    >>> warm_up() >= 0
    True
    """
    began = time.perf_counter()
    p = Units(np.ones((4, 4)) - np.eye(4), np.ones(4, int), np.array([1, 1]), np.array([3, 3]),
              np.zeros((4, 4), np.int8), np.zeros((4, 2), bool))
    walk(p, np.array([0, 0, 1, 1]), max_iterations=2, stall=1)
    return time.perf_counter() - began

