"""The compiled loops of :mod:`matching.scoring.fused` (numba; imported on first use).

Kept apart so that importing :mod:`matching` never loads numba: small cohorts, which
use the complete table, never compile anything. Compiled code is cached on disk.
"""

from __future__ import annotations

import numba as nb
import numpy as np

NO_BOUND = np.iinfo(np.int64).min
#: Low bits of a selection key that break ties by walk order (values must stay below ``2**(62 - TIE_BITS)``).
TIE_BITS = 20
TIE_MASK = (1 << TIE_BITS) - 1


@nb.njit(cache=True, nogil=True, boundscheck=False, inline="always")
def _worse(hv, hj, a, b):
    """Whether heap entry ``a`` ranks below ``b`` (lower key, then higher column): nearer the root."""
    return hv[a] < hv[b] or (hv[a] == hv[b] and hj[a] > hj[b])


@nb.njit(cache=True, nogil=True, boundscheck=False, inline="always")
def _swap(hv, hj, a, b):
    hv[a], hv[b] = hv[b], hv[a]
    hj[a], hj[b] = hj[b], hj[a]


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _sift_down(hv, hj, size):
    """Restore the heap from the root down (root: the worst kept entry)."""
    p = 0
    while 2 * p + 1 < size:
        c = 2 * p + 1
        if c + 1 < size and _worse(hv, hj, c + 1, c):
            c += 1
        if not _worse(hv, hj, c, p):
            return
        _swap(hv, hj, c, p)
        p = c


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _sift_up(hv, hj, p):
    """Restore the heap from entry ``p`` up."""
    while p > 0 and _worse(hv, hj, p, (p - 1) // 2):
        _swap(hv, hj, p, (p - 1) // 2)
        p = (p - 1) // 2


@nb.njit(cache=True, nogil=True, boundscheck=False, inline="always")
def _push(hv, hj, size, k, key, j):
    """Offer ``(key, j)`` to the heap of the ``k`` best (when full, it must beat the root);
    returns ``(size, the key it displaced or NO_BOUND)``."""
    if size < k:
        hv[size], hj[size] = key, j
        _sift_up(hv, hj, size)
        return size + 1, NO_BOUND
    gone = hv[0]
    hv[0], hj[0] = key, j
    _sift_down(hv, hj, size)
    return size, gone


@nb.njit(cache=True, nogil=True, boundscheck=False, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _fill(i, acc, out, n_looks, t1, e1, m1, t2, e2, m2, t3, e3, m3, bits, be, bm, ct, ct_row,
          sp_ptr, sp_j, sp_u, rank_e, rank_m, self_m, ex_ptr, ex_j, cut):
    """Row ``i``'s totals into ``acc`` (``out`` where the pair is not allowed), in branch-free
    loops the compiler vectorizes; returns the best total."""
    re = rank_e[i]
    r1, r2, r3 = t1[e1[i]], t2[e2[i]], t3[e3[i]]  # a missing look-up is a one-entry table of 0
    bi, ci = be[i], ct_row[i]
    if bits and n_looks == 1:  # competency goals met: a table by (goals, goals met), met counted by bits
        for j in range(acc.shape[0]):
            v = r1[m1[j]] + ct[ci + _popcount(bi & bm[j])]
            acc[j] = v if (v > cut) & (rank_m[j] > re) else out
    elif bits and n_looks == 2:
        for j in range(acc.shape[0]):
            v = r1[m1[j]] + r2[m2[j]] + ct[ci + _popcount(bi & bm[j])]
            acc[j] = v if (v > cut) & (rank_m[j] > re) else out
    elif bits:
        for j in range(acc.shape[0]):
            v = r1[m1[j]] + r2[m2[j]] + r3[m3[j]] + ct[ci + _popcount(bi & bm[j])]
            acc[j] = v if (v > cut) & (rank_m[j] > re) else out
    elif n_looks == 1:
        for j in range(acc.shape[0]):
            v = r1[m1[j]]
            acc[j] = v if (v > cut) & (rank_m[j] > re) else out
    elif n_looks == 2:
        for j in range(acc.shape[0]):
            v = r1[m1[j]] + r2[m2[j]]
            acc[j] = v if (v > cut) & (rank_m[j] > re) else out
    else:
        for j in range(acc.shape[0]):
            v = r1[m1[j]] + r2[m2[j]] + r3[m3[j]]
            acc[j] = v if (v > cut) & (rank_m[j] > re) else out
    m = acc.shape[0]  # the mentors scored: all, or the first of an order (see :func:`top_rows_within`)
    for p in range(sp_ptr[i], sp_ptr[i + 1]):
        if sp_j[p] < m and acc[sp_j[p]] != out:
            acc[sp_j[p]] += sp_u[p]
    if 0 <= self_m[i] < m:
        acc[self_m[i]] = out
    for p in range(ex_ptr[i], ex_ptr[i + 1]):
        if ex_j[p] < m:
            acc[ex_j[p]] = out
    top = out
    for j in range(acc.shape[0]):
        top = max(top, acc[j])
    return np.int64(top) if top != out else NO_BOUND


@nb.njit(cache=True, nogil=True, boundscheck=False, inline="always")
def _offset(i, m):
    """Where row ``i`` starts its walk over the ``m`` mentors: a fixed pseudo-random place,
    so that equal values are kept by lot, not by position (by position, every mentee of
    a type would keep the same lowest-numbered mentors and fight over their seats)."""
    x = np.uint64(i) * np.uint64(2654435761) + np.uint64(2246822519)
    x ^= x >> np.uint64(15)
    x *= np.uint64(2146121005)
    x ^= x >> np.uint64(13)
    return np.int64(x % np.uint64(max(m, 1)))


#: Pairs per block of a walk: a block whose best value cannot enter a heap is passed over
#: by one vectorized maximum instead of a comparison per pair.
BLOCK = 64


@nb.njit(cache=True, nogil=True, boundscheck=False, inline="always")
def _block_best(acc, out, price, a, b):
    """The best ``acc - price`` over allowed pairs ``a..b-1`` (``NO_BOUND``: none); vectorized."""
    best = NO_BOUND
    for j in range(a, b):
        w = np.int64(acc[j]) - price[j]
        best = max(best, w if acc[j] != out else NO_BOUND)
    return best


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _walk(acc, out, price, k, hv, hj, lo, hi, t, size, dropped, floor):
    """:func:`_pick`'s walk over mentors ``lo..hi-1`` (walk steps from ``t``), in blocks."""
    j = lo
    while j < hi:
        e = min(j + BLOCK, hi)
        if size == k:
            best = _block_best(acc, out, price, j, e)
            if best <= floor:  # nothing here enters the heap: one maximum for the block
                dropped = max(dropped, best)
                t += e - j
                j = e
                continue
        for q in range(j, e):
            w = np.int64(acc[q]) - price[q]
            if w <= floor and size == k:
                if w > dropped and acc[q] != out:
                    dropped = w
            elif acc[q] != out:
                key = (w << TIE_BITS) | (TIE_MASK - ((t + q - j) & TIE_MASK))
                size, gone = _push(hv, hj, size, k, key, q)
                if gone != NO_BOUND:
                    dropped = max(dropped, gone >> TIE_BITS)
                if size == k:
                    floor = hv[0] >> TIE_BITS
        t += e - j
        j = e
    return t, size, dropped, floor


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _pick(i, acc, out, price, k, hv, hj):
    """The ``k`` best ``acc - price`` into the heap, as keys ``value * 2**TIE_BITS + tie``
    where the tie part falls along the row's walk (from :func:`_offset`, wrapping
    around): of equal values the first walked are kept. Returns ``(kept, best value
    dropped)``. Once the heap is full, a block of pairs none of which beats its worst
    value costs one vectorized maximum; pairs not allowed fall below every value."""
    m = acc.shape[0]
    start = _offset(i, m)
    t, size, dropped, floor = _walk(acc, out, price, k, hv, hj, start, m, 0, 0, NO_BOUND, NO_BOUND)
    t, size, dropped, floor = _walk(acc, out, price, k, hv, hj, 0, start, t, size, dropped, floor)
    return size, dropped


@nb.njit(cache=True, nogil=True, boundscheck=False, inline="always")
def _block_enters(acc, floor, a, b):
    """Whether some pair ``a..b-1`` beats its mentor's ``floor`` (vectorized)."""
    most = np.int64(-1)
    for j in range(a, b):
        most = max(most, np.int64(acc[j]) - floor[j])
    return most > 0


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _mentor_side(i, acc, out, ck, cr, floor):
    """Offer row ``i`` to each mentor's heap of its best rows (keys as in :func:`_pick`).

    ``floor[j]`` is the value of mentor ``j``'s worst kept key: a pair must beat it to
    enter (equal values keep the rows seen first); a block of mentors none of which
    it beats costs one vectorized maximum."""
    m = acc.shape[0]
    for a in range(0, m, BLOCK):
        b = min(a + BLOCK, m)
        if not _block_enters(acc, floor, a, b):
            continue
        for j in range(a, b):
            if acc[j] <= floor[j]:
                continue
            key = (np.int64(acc[j]) << TIE_BITS) | (TIE_MASK - (i & TIE_MASK))  # ties: the earlier row
            if key > ck[j, 0]:
                ck[j, 0], cr[j, 0] = key, i
                _sift_down(ck[j], cr[j], ck.shape[1])
                floor[j] = max(ck[j, 0] >> TIE_BITS, out)


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _pair_row(r12, r1, r2):
    """The first two look-ups of a row as one: ``r12[a * len(r2) + b] = r1[a] + r2[b]``."""
    w = r2.shape[0]
    for a in range(r1.shape[0]):
        for b in range(w):
            r12[0, a * w + b] = r1[a] + r2[b]


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _outputs(n_rows, k):
    """Per row its ``k`` best (mentor, total) and its bound; a heap of ``k``."""
    return (np.full((n_rows, k), -1, np.int64), np.zeros((n_rows, k), np.int64),
            np.full(n_rows, NO_BOUND, np.int64), np.empty(k, np.int64), np.empty(k, np.int64))


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _scored(i, acc, out, n_looks, t1, e1, m1, t2, e2, m2, t3, e3, m3, bits, be, bm, ct, ct_row,
            sp_ptr, sp_j, sp_u, rank_e, rank_m, self_m, ex_ptr, ex_j, cut, m12, zero_e, r12, codes):
    """:func:`_fill` for row ``i``; with ``m12``, its first two look-ups read as one from
    ``r12`` (rebuilt when the row's codes differ from ``codes``, which it updates)."""
    if m12.shape[0] == 0:
        return _fill(i, acc, out, n_looks, t1, e1, m1, t2, e2, m2, t3, e3, m3, bits, be, bm,
                     ct, ct_row, sp_ptr, sp_j, sp_u, rank_e, rank_m, self_m, ex_ptr, ex_j, cut)
    if e1[i] != codes[0] or e2[i] != codes[1]:
        _pair_row(r12, t1[e1[i]], t2[e2[i]])
        codes[0], codes[1] = e1[i], e2[i]
    return _fill(i, acc, out, n_looks - 1, r12, zero_e, m12, t3, e3, m3, t3, e3, m3, bits, be, bm,
                 ct, ct_row, sp_ptr, sp_j, sp_u, rank_e, rank_m, self_m, ex_ptr, ex_j, cut)


@nb.njit(cache=True, nogil=True, boundscheck=False)
def top_rows(rows, price, k, mentor_side, ck, cr, n_looks, t1, e1, m1, t2, e2, m2, t3, e3, m3,
             bits, be, bm, ct, ct_row, sp_ptr, sp_j, sp_u, rank_e, rank_m, self_m, ex_ptr, ex_j, cut, out,
             m12, zero_e):
    """Per row its ``k`` best pairs by ``total - price`` (mentor, total) and the best value
    dropped, and the best total; with ``mentor_side``, each row offered to each mentor's
    heap of its best rows (``ck``, ``cr``: mentor x size, updated in place).

    With ``m12`` (each mentor's codes of the first two look-ups as one, ``m1 * t2.shape[1] +
    m2``; empty: not used), the row's first two look-ups are added up once per row into one
    small table (rebuilt only when the row's codes change), so each pair costs one look-up
    fewer (``zero_e``: zeros, the row's code in that one-row table).

    Runs without the GIL: callers run parts of the rows on threads of their own (no
    threading layer, so it is safe in threads and in forked processes alike)."""
    n_rows, m = rows.shape[0], m1.shape[0]
    out_j, out_v, bound, hv, hj = _outputs(n_rows, k)
    acc = np.empty(m, t1.dtype)
    floor = np.empty(m, np.int64)
    if mentor_side:
        for j in range(m):
            floor[j] = max(ck[j, 0] >> TIE_BITS, out)
    top = NO_BOUND
    r12 = np.empty((1, t1.shape[1] * t2.shape[1] if m12.shape[0] > 0 else 1), t1.dtype)
    codes = np.full(2, -1, np.int64)
    for r in range(n_rows):
        i = rows[r]
        top = max(top, _scored(i, acc, out, n_looks, t1, e1, m1, t2, e2, m2, t3, e3, m3, bits, be, bm, ct, ct_row,
                               sp_ptr, sp_j, sp_u, rank_e, rank_m, self_m, ex_ptr, ex_j, cut, m12, zero_e, r12, codes))
        size, bound[r] = _pick(rows[r], acc, out, price, k, hv, hj)
        for q in range(size):
            out_j[r, q] = hj[q]
            out_v[r, q] = (hv[q] >> TIE_BITS) + price[hj[q]]
        if mentor_side:
            _mentor_side(rows[r], acc, out, ck, cr, floor)
    return out_j, out_v, bound, top


@nb.njit(cache=True, nogil=True, boundscheck=False)
def top_rows_within(rows, lens, price, k, n_looks, t1, e1, m1, t2, e2, m2, t3, e3, m3,
                    bits, be, bm, ct, ct_row, sp_ptr, sp_j, sp_u, rank_e, rank_m, self_m, ex_ptr, ex_j, cut, out,
                    m12, zero_e):
    """:func:`top_rows` over the first ``lens[r]`` mentors only, for each row ``r``: the
    mentor-side arrays (``m1``, ``m2``, ``m3``, ``bm``, ``rank_m``, ``price``, ``m12``) are
    given in an order of the caller's, and the mentor columns of ``sp_j``, ``self_m`` and
    ``ex_j`` as positions in it. Returns ``(positions, totals, bound)``; the bound covers
    the row's pairs within its first ``lens[r]`` mentors that were not returned."""
    n_rows, m = rows.shape[0], m1.shape[0]
    out_j, out_v, bound, hv, hj = _outputs(n_rows, k)
    acc = np.empty(m, t1.dtype)
    r12 = np.empty((1, t1.shape[1] * t2.shape[1] if m12.shape[0] > 0 else 1), t1.dtype)
    codes = np.full(2, -1, np.int64)
    for r in range(n_rows):
        i, size = rows[r], lens[r]
        if size <= 0:
            continue
        part = acc[:size]
        _scored(i, part, out, n_looks, t1, e1, m1, t2, e2, m2, t3, e3, m3, bits, be, bm, ct, ct_row,
                sp_ptr, sp_j, sp_u, rank_e, rank_m, self_m, ex_ptr, ex_j, cut, m12, zero_e, r12, codes)
        kept, bound[r] = _pick(i, part, out, price, k, hv, hj)
        for q in range(kept):
            out_j[r, q] = hj[q]
            out_v[r, q] = (hv[q] >> TIE_BITS) + price[hj[q]]
    return out_j, out_v, bound
