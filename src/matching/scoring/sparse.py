"""Candidate sets: the complete table, or each mentee's best mentors for large cohorts.

:func:`candidates_for` lists every allowed pair up to a limit; beyond it, each mentee's
``k`` best mentors and each mentor's best mentees, with a bound on every pair left
out, which :mod:`matching.solvers.certified` uses to prove the optimum holds for the
full problem (:func:`best_reduced` is its scan over every pair).
"""

from __future__ import annotations

import numpy as np

from .._numeric import unique
from . import fused
from . import scores as scoring
from .kernel import Kernel, blocks, complete_candidates, imap_blocks, kernel_for, map_blocks
from ..cohort.model import Cohort
from .scores import NO_BOUND, Candidates, criterion_names
from ..cohort.settings import Settings
from ..files import progress

__all__ = ["build_candidates", "candidates_for", "best_reduced", "sparse_kernel"]


def _threshold(sel: np.ndarray, k: int) -> np.ndarray:
    """Per row, a value at least ``k`` entries reach (the k-th largest of chunk maxima)."""
    r, m = sel.shape
    width = 64
    c = m // width
    maxima = [sel[:, :c * width].reshape(r, c, width).max(axis=2)] if c else []
    if m % width:
        maxima.append(sel[:, c * width:].max(axis=1, keepdims=True))
    chunks = np.concatenate(maxima, axis=1) if len(maxima) > 1 else maxima[0]
    if chunks.shape[1] <= k:
        return np.ones(r, sel.dtype)
    return np.maximum(np.sort(chunks, axis=1)[:, chunks.shape[1] - k], 1)


def _best(rr, cc, score, limit: int, n_rows: int):
    """Keep each row's ``limit`` best (score desc, column asc); the best score dropped per row.

    Entries come in row-major order (as from ``np.flatnonzero``); no sort is needed.
    """
    counts = np.bincount(rr, minlength=n_rows)
    dropped = np.full(n_rows, NO_BOUND, np.int64)
    if counts.max(initial=0) <= limit:
        return np.ones(len(rr), bool), dropped, rr, cc, score
    start = np.cumsum(counts) - counts
    pad = np.full((n_rows, counts.max()), NO_BOUND, np.int64)
    pad[rr, np.arange(len(rr)) - start[rr]] = score
    kth = np.sort(pad, axis=1, kind="stable")[:, pad.shape[1] - limit][rr]  # (partition is slow on ties)
    above, tie = score > kth, score == kth
    before = np.cumsum(tie) - tie  # ties in earlier columns of the same row come first
    quota = limit - np.bincount(rr[above], minlength=n_rows)
    keep = above | (tie & (before - before[start[rr]] < quota[rr]))
    np.maximum.at(dropped, rr[~keep], score[~keep])
    return keep, dropped, rr, cc, score


def _select(sel: np.ndarray, k: int):
    """Each row's best positive entries of ``sel`` (at least ``k`` where there are, at most
    ``2 k``), and per row a bound on the entries left out (``NO_BOUND``: none left out).

    Returns ``(rows, cols, values, bound)``.
    """
    tau = _threshold(sel, k)
    flat = np.flatnonzero(sel >= tau[:, None])
    rr, cc = np.divmod(flat, sel.shape[1])
    keep, dropped, rr, cc, value = _best(rr, cc, sel.ravel()[flat], 2 * k, len(sel))
    rr, cc, value = rr[keep], cc[keep], value[keep].astype(np.int64)
    bound = np.where(tau > 1, tau.astype(np.int64) - 1, NO_BOUND)  # tau == 1: every positive entry passed
    return rr, cc, value, np.maximum(bound, dropped)


def _shifted(kern: Kernel, total, mask, price=None):
    """``total - price`` shifted so allowed pairs are > 0 and others <= 0, and the shift."""
    if kern.bounds is not None and (price is None or int(price.max(initial=0)) < 2**27):
        sel = total
        off = 1 - kern.bounds[0] + (0 if price is None else int(price.max(initial=0)))
        if price is not None:
            sel -= price.astype(sel.dtype)[None, :]
        sel += off
        sel *= mask
        return sel, off
    ok = mask & (total > kern.cut)
    sel = total.astype(np.int64)
    if price is not None:
        sel -= price[None, :]
    off = 1 - int(sel[ok].min(initial=0))
    sel += off
    sel[~ok] = 0
    return sel, off


def _column_best(sel: np.ndarray):
    """Each column's largest entry (int64) and its first row: ``sel.argmax(axis=0)``, which
    numpy runs column by column (strided, 3x slower than scoring the block), done by rows.

    >>> best, arg = _column_best(np.array([[1, 5, 2], [3, 5, 0]]))
    >>> best.tolist(), arg.tolist()
    ([3, 5, 2], [1, 0, 0])
    """
    rows = sel.shape[0]
    shift = max(rows - 1, 1).bit_length()  # each entry keyed by (value, -row): one max per column
    key = (sel.astype(np.int64) << shift) | (rows - 1 - np.arange(rows, dtype=np.int64))[:, None]
    top = key.max(axis=0)
    return top >> shift, rows - 1 - (top & ((1 << shift) - 1))


def _top(kern: Kernel, k: int, rows: np.ndarray, floor: np.ndarray):
    """One block of the sparse pass: each row's best allowed pairs and a bound on the rest,
    and the block's best mentee of each mentor scoring above ``floor``."""
    sel, off = _shifted(kern, *kern.score(rows))
    rr, cc, value, bound = _select(sel, k)
    bound[bound != NO_BOUND] -= off
    col_best, col_arg = _column_best(sel)
    cols = np.flatnonzero((col_best > 0) & (col_best - off > floor))
    mentor_side = (cols, rows[col_arg[cols]], col_best[cols] - off)
    best = int(col_best.max(initial=0)) - off
    counts = None if kern.fast_rules else (np.count_nonzero(sel > 0, axis=1), np.count_nonzero(sel > 0, axis=0))
    return rows[rr], cc, value - off, bound, best, mentor_side, counts


def _rank_in_groups(keys: np.ndarray) -> np.ndarray:
    """Position of each entry of sorted ``keys`` among the entries equal to it.

    >>> _rank_in_groups(np.array([3, 3, 5, 7, 7, 7])).tolist()
    [0, 1, 0, 0, 1, 2]
    """
    at = np.arange(len(keys))
    new = np.ones(len(keys), bool)
    new[1:] = keys[1:] != keys[:-1]
    return at - np.maximum.accumulate(np.where(new, at, 0))


class _MentorBest:
    """Each mentor's ``k`` best mentees seen so far (ties: the earlier block wins).

    Blocks' offers are buffered and merged in batches (one sort per batch, not per block).
    """

    def __init__(self, k: int, m: int):
        self.value = np.full((k, m), NO_BOUND + 1, np.int64)  # + 1: negating it must not overflow
        self.row = np.full((k, m), -1, np.int64)
        self.floor = self.value[-1]  # a view: blocks skip mentors they cannot improve
        self.offers, self.waiting = [], 0

    def merge(self, cols, rows, values) -> None:
        self.offers.append((cols, rows, values))
        self.waiting += len(cols)
        if self.waiting > 32 * self.value.shape[1]:
            self.flush()

    def flush(self) -> None:
        if not self.offers:
            return
        k, m = self.value.shape
        touched = unique(np.concatenate([o[0] for o in self.offers]))  # only mentors offered to
        cols, rows, values = (np.concatenate([a.ravel()] + [o[f] for o in self.offers])
                              for f, a in enumerate((np.tile(touched, k), self.row[:, touched],
                                                     self.value[:, touched])))
        order = np.lexsort((-values, cols))  # stable: kept entries, then offers in block order
        rank = _rank_in_groups(cols[order])
        top = order[rank < k]
        self.value[rank[rank < k], cols[top]] = values[top]
        self.row[rank[rank < k], cols[top]] = rows[top]
        self.offers, self.waiting = [], 0

    def pairs(self):
        self.flush()
        has = self.row >= 0
        return self.row[has], np.nonzero(has)[1], self.value[has]


def _fused_slices(rows: np.ndarray, desc: str):
    """Slices of ``rows`` for the compiled pass, with a progress bar over them."""
    step = 4096
    parts = [rows[a:a + step] for a in range(0, len(rows), step)]
    with progress.bar(len(parts), desc, unit="slice") as bar:
        for part in parts:
            yield part
            bar.update(1)


def _fused_top(kern: Kernel, k: int, n: int):
    """The compiled pass of :func:`_sparse`: ``[(i, j, total, bound, best)]``, each
    mentor's best mentees ``(i, j, total)`` and the bound on its pairs left out (or None)."""
    tables = fused.tables_for(kern)
    heaps = fused.mentor_heaps(tables.m, scoring.MENTOR_K, fused.PARTS) if scoring.MENTOR_K else None
    out = [fused.top_pairs(tables, rows, None, k, heaps=heaps) for rows in _fused_slices(np.arange(n), "scoring pairs")]
    if heaps is None:
        return out, (np.zeros(0, np.int64),) * 3, None
    return out, fused.mentor_best(heaps), fused.mentor_bound(heaps)


def _sparse(cohort: Cohort, settings: Settings, kern: Kernel, k: int) -> Candidates:
    n, m = len(cohort.mentees), len(cohort.mentors)
    counts = kern.allowed_counts()
    if fused.supports(kern) and counts is not None:
        out, side, col = _fused_top(kern, k, n)
    else:
        col = None
        best_of = _MentorBest(scoring.MENTOR_K, m)
        out = []
        for o in imap_blocks(kern, lambda rows: _top(kern, k, rows, best_of.floor), blocks(np.arange(n), m)):
            best_of.merge(*o[5])
            out.append(o)
        side = best_of.pairs()
    i, j, total, bound = (np.concatenate([o[f] for o in out]) for f in range(4))
    if counts is None:
        counts = np.concatenate([o[6][0] for o in out]), np.sum([o[6][1] for o in out], axis=0)
    per_mentee, per_mentor = (c.astype(np.int64) for c in counts)
    best = max(o[4] for o in out)
    i, j, total = (np.concatenate([a, b]).astype(np.int64) for a, b in zip((i, j, total), side))
    _, first = np.unique(i * m + j, return_index=True)  # sorted by (i, j), duplicates dropped
    i, j, total = i[first], j[first], total[first]
    lo = kern.bounds[0] if kern.bounds else int(total.min(initial=0))
    return Candidates(criterion_names(cohort), i, j, None, total, False, bound,
                      int(per_mentee.sum()), per_mentee, per_mentor, (min(lo, int(total.min(initial=0))), best),
                      mentor_bound=col)


def sparse_kernel(cohort: Cohort, settings: Settings) -> Kernel:
    """The kernel of the sparse path: unmerged tables when the compiled pass can read them
    (nothing to build), else the merged tables of the numpy path."""
    kern = kernel_for(cohort, settings, merge=False)
    return kern if fused.supports(kern) else kernel_for(cohort, settings)


def candidates_for(cohort: Cohort, settings: Settings, *, limit: int | None = None,
                   k: int | None = None) -> Candidates:
    """The candidate set :func:`build_candidates` returns (its ``limit`` and ``k``)."""
    n, m = len(cohort.mentees), len(cohort.mentors)
    if n == 0 or m == 0:
        none = np.zeros(0, np.int64)
        names = criterion_names(cohort)
        return Candidates(names, none, none, np.zeros((0, len(names)), np.int64), none, True, None, 0,
                          np.zeros(n, np.int64), np.zeros(m, np.int64))
    if limit is None or n * m <= limit:
        return complete_candidates(cohort, settings, kernel_for(cohort, settings))
    cands = _sparse(cohort, settings, sparse_kernel(cohort, settings), k or scoring.TOP_K)
    return complete_candidates(cohort, settings, kernel_for(cohort, settings)) if cands.n_allowed <= limit else cands


def best_reduced(cohort: Cohort, settings: Settings, rows, price, *, k: int, within=None):
    """Each mentee's best allowed pairs by ``total - price[mentor]``, over every mentor.

    The certificate of optimality's scan (see :mod:`matching.solvers.certified`), in
    row blocks. Returns ``(i, j, total, bound)``: at least ``k`` pairs per mentee in
    ``rows`` where it has as many (at most ``2 k``), and for each of ``rows`` a bound
    on ``total - price`` of its allowed pairs not returned (``NO_BOUND``: none).

    With ``within=(group, orders, lens)`` (per row a group, per group an order of the
    mentors, per row a length), the compiled pass scans each row over the first
    ``lens[r]`` mentors of its group's order only, and the bound covers those mentors
    (the caller bounds the others); the numpy path scans every mentor.
    """
    kern = sparse_kernel(cohort, settings)
    rows = np.asarray(rows, dtype=np.int64)
    price = np.asarray(price, dtype=np.int64)
    if within is not None and fused.supports(kern) and int(np.abs(price).max(initial=0)) < fused.PRICE_LIMIT:
        return _within(fused.tables_for(kern), rows, price, k, *within)

    def scan(block):
        sel, off = _shifted(kern, *kern.score(block), price)
        rr, cc, value, bound = _select(sel, k)
        bound[bound != NO_BOUND] -= off
        return block[rr], cc.astype(np.int64), value - off + price[cc], bound

    if fused.supports(kern) and int(np.abs(price).max(initial=0)) < fused.PRICE_LIMIT:
        tables = fused.tables_for(kern)
        found = [fused.top_pairs(tables, part, price, k)[:4] for part in _fused_slices(rows, "scoring pairs")]
    else:
        found = map_blocks(kern, scan, blocks(rows, len(cohort.mentors)))
    return tuple(np.concatenate([f[c] for f in found] or [np.zeros(0, np.int64)]).astype(np.int64)
                 for c in range(4))


def _within(tables, rows, price, k: int, group, orders, lens):
    """:func:`best_reduced` over the first mentors of an order per group of rows."""
    bound = np.full(len(rows), NO_BOUND, np.int64)
    found = []
    for g, order in enumerate(orders):
        at = np.flatnonzero(group == g)
        if not len(at):
            continue
        ordered = fused.Ordered(tables, order)
        for part in _fused_slices(at, "scoring pairs"):
            i, j, total, bound[part], _ = fused.top_pairs(tables, rows[part], price, k, within=(ordered, lens[part]))
            found.append((i, j, total))
    return tuple(np.concatenate([f[c] for f in found] or [np.zeros(0, np.int64)]).astype(np.int64)
                 for c in range(3)) + (bound,)


def build_candidates(cohort: Cohort, settings: Settings, *, limit: int | None = None,
                     k: int | None = None) -> Candidates:
    """Score the allowed pairs, block by block.

    Parameters
    ----------
    cohort, settings
    limit : int, optional
        With no limit (the default) every allowed pair is listed. Otherwise, when the
        cohort has more than ``limit`` allowed pairs, only each mentee's ``k`` best
        mentors (up to ``2 k`` with ties) are kept and ``complete`` is False.
    k : int, optional
        Default :data:`TOP_K`.

    Examples
    --------
    >>> import matching
    >>> from matching.cohort.validate import load_cohort
    >>> data = matching.load_example()
    >>> cohort = load_cohort(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    >>> from matching import Settings
    >>> full = build_candidates(cohort, Settings())
    >>> sparse = build_candidates(cohort, Settings(), limit=0, k=3)
    >>> sparse.complete, sparse.n_allowed == len(full), len(sparse) < len(full)
    (False, True, True)
    """
    return candidates_for(cohort, settings, limit=limit, k=k)
