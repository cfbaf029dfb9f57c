"""Compiled one-pass selection: score a mentee's row and keep its best pairs in the same pass.

The numpy kernel (:class:`~matching.scoring.kernel.Kernel`) scores a block of rows in a
few vectorized passes, and picking each row's best pairs from the block costs several
more (thresholds, sorts, column maxima). For cohorts beyond the complete table this
module does both in one compiled loop per row (numba, without the GIL, on threads over
parts of the rows), reading the same look-up tables, so each pair is touched once while
it is in cache.

It covers the kernels built from table look-ups, sparse tables (ranked preferences,
extra pair tables) and the fast rules, which is every cohort whose settings use the
built-in criteria and rules (:func:`supports`); others keep the numpy path. Both paths
keep the same pairs' scores exactly; :func:`top_pairs` keeps each row's ``k`` best by
``total - price`` (of equal values, the first met on a walk over the mentors that starts at a
fixed pseudo-random place per mentee: equally good mentors are kept by lot rather than
by position) and bounds the rest.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .kernel import THREADS
from .scores import NO_BOUND

__all__ = ["supports", "FusedTables", "Ordered", "tables_for", "top_pairs", "mentor_heaps", "mentor_best", "mentor_bound",
           "PRICE_LIMIT"]

#: Prices must stay below this (in absolute value) so that ``total - price`` never overflows.
PRICE_LIMIT = 1 << 40
#: Parts the rows are split into, each run on a thread of its own (the compiled loop
#: releases the GIL); results do not depend on it.
PARTS = 2
#: Largest one-row table the compiled loop builds to look up two of the kernel's tables at
#: once (entries; 32 KB of int32, so that it stays in the first-level cache).
PAIR_TABLE = 8192


def supports(kern) -> bool:
    """Whether ``kern`` (a :class:`~matching.scoring.kernel.Kernel`) can run compiled."""
    return (kern.fast_rules and not kern.generic and 1 <= len(kern.looks) <= 3 and kern.dtype == np.int32
            and (kern.bits is None or kern.bits[0].dtype != np.float32))


class FusedTables:
    """The kernel's tables laid out for the compiled loop (built once per kernel)."""

    def __init__(self, kern):
        cohort = kern.cohort
        n, m = len(cohort.mentees), len(cohort.mentors)
        dt = kern.looks[0][0].dtype
        looks = [(np.ascontiguousarray(t, dt), np.ascontiguousarray(ce, np.int32),
                  np.ascontiguousarray(cm, np.int32)) for t, ce, cm in kern.looks]
        while len(looks) < 3:
            looks.append((np.zeros((1, 1), dt), np.zeros(n, np.int32), np.zeros(m, np.int32)))
        self.looks = tuple(x for look in looks for x in look)
        self.n_looks = len(kern.looks)
        if kern.bits is not None:  # competencies as bit sets (up to 64 of them)
            self.bits = (True, kern.bits[0].astype(np.uint64), kern.bits[1].astype(np.uint64),
                         np.ascontiguousarray(kern.ct, dt), kern.ct_row.astype(np.int64))
        else:
            self.bits = (False, np.zeros(n, np.uint64), np.zeros(m, np.uint64), np.zeros(1, dt), np.zeros(n, np.int64))
        if kern.sparse:
            i = np.concatenate([t.i for t, _ in kern.sparse]).astype(np.int64)
            j = np.concatenate([t.j for t, _ in kern.sparse]).astype(np.int64)
            u = np.concatenate([np.asarray(u, np.int64) for _, u in kern.sparse])
            order = np.lexsort((j, i))
            self.sp = (np.searchsorted(i[order], np.arange(n + 1)).astype(np.int64), j[order], u[order])
        else:
            self.sp = (np.zeros(n + 1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        ex = cohort.exclusions
        self.rules = (kern.rank_e.astype(np.int32), kern.rank_m.astype(np.int32),
                      cohort.self_mentor.astype(np.int64), ex.ptr.astype(np.int64), ex.j.astype(np.int64))
        self.cut = int(kern.cut)
        self.out = dt.type(np.iinfo(dt).min)  # a pair not allowed (below the kernel's cut)
        self.m = m
        self.pair = _pair_codes(looks, self.n_looks, dt, n)


def _pair_codes(looks, n_looks: int, dt, n: int):
    """``(m12, zeros)`` for the compiled loop's one look-up in place of the first two (see
    :func:`~matching.scoring._fused_loops.top_rows`), when that one-row table is small
    (``PAIR_TABLE`` entries, so it stays in the fastest cache) and its sums fit ``dt``;
    else empty arrays (the two look-ups stay)."""
    (t1, _, m1), (t2, _, m2) = looks[0], looks[1]
    size = t1.shape[1] * t2.shape[1]
    most = int(np.abs(t1).max(initial=0)) + int(np.abs(t2).max(initial=0))
    if n_looks < 2 or size > PAIR_TABLE or most >= np.iinfo(dt).max:
        return np.zeros(0, np.int32), np.zeros(n, np.int32)
    return (m1.astype(np.int64) * t2.shape[1] + m2).astype(np.int32), np.zeros(n, np.int32)


def tables_for(kern) -> FusedTables:
    """The compiled layout of ``kern``'s tables, built once per kernel (kernels are immutable)."""
    tables = getattr(kern, "_fused_tables", None)
    if tables is None:
        tables = FusedTables(kern)
        kern._fused_tables = tables
    return tables


def mentor_heaps(m: int, size: int, parts: int):
    """Empty heaps of each mentor's ``size`` best rows, one set per part (see :func:`top_pairs`)."""
    return np.full((parts, m, size), NO_BOUND, np.int64), np.full((parts, m, size), -1, np.int64)


def _kept(heaps):
    """Each mentor's ``size`` best ``(key, row)`` over all parts' heaps, best first (keys
    order every pair, so the same whatever the parts; empty entries are ``NO_BOUND``, -1)."""
    ck, cr = heaps
    parts, m, size = ck.shape
    key = ck.transpose(1, 0, 2).reshape(m, parts * size)
    row = cr.transpose(1, 0, 2).reshape(m, parts * size)
    order = np.argsort(~key, axis=1, kind="stable")[:, :size]  # ~: descending, no overflow at NO_BOUND
    return np.take_along_axis(key, order, 1), np.take_along_axis(row, order, 1)


def mentor_best(heaps):
    """Each mentor's best rows over all parts' heaps: ``(row, mentor, total)``, the same
    whatever the parts (of equal totals, the earlier row). See :func:`mentor_bound` for
    what the rows left out may score."""
    from ._fused_loops import TIE_BITS

    key, row = _kept(heaps)
    j = np.broadcast_to(np.arange(key.shape[0])[:, None], key.shape)
    has = row >= 0
    return row[has], j[has].astype(np.int64), key[has] >> TIE_BITS


def mentor_bound(heaps) -> np.ndarray:
    """Per mentor, a bound on the total of every pair offered to its heaps and not kept:
    the lowest total kept when a heap is full (``NO_BOUND`` when every pair offered was kept)."""
    from ._fused_loops import TIE_BITS

    last = _kept(heaps)[0][:, -1]
    return np.where(last == NO_BOUND, NO_BOUND, last >> TIE_BITS)


class Ordered:
    """``tables`` with the mentors in ``order`` (a permutation), for scans of the first
    mentors of that order only (:func:`top_pairs`' ``within``)."""

    def __init__(self, tables: FusedTables, order):
        order = np.ascontiguousarray(order, np.int64)
        pos = np.empty(tables.m, np.int64)
        pos[order] = np.arange(tables.m)
        t1, e1, m1, t2, e2, m2, t3, e3, m3 = tables.looks
        flag, be, bm, ct, ct_row = tables.bits
        sp_ptr, sp_j, sp_u = tables.sp
        rank_e, rank_m, self_m, ex_ptr, ex_j = tables.rules
        m12, zero_e = tables.pair
        self.order = order
        self.looks = (t1, e1, m1[order], t2, e2, m2[order], t3, e3, m3[order])
        self.bits = (flag, be, bm[order], ct, ct_row)
        self.sp = (sp_ptr, pos[sp_j], sp_u)
        self.rules = (rank_e, rank_m[order], np.where(self_m >= 0, pos[np.maximum(self_m, 0)], -1), ex_ptr, pos[ex_j])
        self.pair = (m12[order] if len(m12) else m12, zero_e)


def top_pairs(tables: FusedTables, rows, price, k: int, *, heaps=None, within=None):
    """Each of ``rows``' ``k`` best allowed pairs by ``total - price[mentor]``.

    Returns ``(i, j, total, bound, best)``: the pairs (sorted by row, then mentor), per
    row a bound on ``total - price`` of its allowed pairs left out (``NO_BOUND``: none
    left out), and the best total of any allowed pair. With ``heaps`` (from
    :func:`mentor_heaps`), each row is also offered to each mentor's heap of its best
    rows by total (read them with :func:`mentor_best`).

    With ``within=(ordered, lens)`` (an :class:`Ordered` and a length per row), each row
    is scanned over the first ``lens[r]`` mentors of ``ordered.order`` only: the pairs,
    and the bound, cover those mentors, and ``best`` is not computed (``NO_BOUND``).
    """
    from . import _fused_loops as loops

    rows = np.ascontiguousarray(rows, np.int64)
    price = np.zeros(tables.m, np.int64) if price is None else np.ascontiguousarray(price, np.int64)
    k = max(int(k), 1)
    side = heaps if heaps is not None else mentor_heaps(tables.m, 1, PARTS)
    parts = side[0].shape[0]
    cuts = [len(rows) * p // parts for p in range(parts + 1)]
    if within is not None:
        ordered, lens = within
        lens = np.ascontiguousarray(lens, np.int64)
        price = price[ordered.order]

    def run(p):
        if within is not None:
            return loops.top_rows_within(rows[cuts[p]:cuts[p + 1]], lens[cuts[p]:cuts[p + 1]], price, k,
                                         tables.n_looks, *ordered.looks, *ordered.bits, *ordered.sp,
                                         *ordered.rules, tables.cut, tables.out, *ordered.pair) + (NO_BOUND,)
        return loops.top_rows(rows[cuts[p]:cuts[p + 1]], price, k, heaps is not None, side[0][p], side[1][p],
                              tables.n_looks, *tables.looks, *tables.bits, *tables.sp, *tables.rules,
                              tables.cut, tables.out, *tables.pair)

    if parts > 1 and len(rows) >= 2 * parts:
        with ThreadPoolExecutor(min(parts, THREADS)) as pool:
            done = list(pool.map(run, range(parts)))
    else:
        done = [run(p) for p in range(parts)]
    out_j, out_v, bound = (np.concatenate([d[f] for d in done]) for f in range(3))
    kept = out_j >= 0
    r, _ = np.nonzero(kept)
    cols = out_j[kept] if within is None else ordered.order[out_j[kept]]
    order = np.lexsort((cols, r))
    return rows[r][order], cols[order], out_v[kept][order], bound, max(int(d[3]) for d in done)
