"""The fast scoring kernel: table look-ups instead of per-pair arithmetic, in row blocks.

The built-in rules and criteria that read one attribute per side are evaluated once,
by calling their own definitions (:mod:`matching.scoring.rules`, :mod:`matching.scoring.criteria`),
on small tables (distinct level/area/KBU of the mentees x those of the mentors, and
likewise gender/race); a block of pairs then costs a few look-ups per pair. Totals
equal :func:`matching.scoring.scores.score_pairs` exactly (checked on every listed pair).
Large cohorts keep only each mentee's best mentors and each mentor's best mentees
(:mod:`matching.solvers.certified` then proves the optimum holds for every pair).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._numeric import unique
from . import criteria
from . import rules
from .criteria import BUILTIN, user_function_values
from ..cohort.model import Cohort, PairTable
from .rules import RULES, Pairs, _View, allowed
from .scores import Candidates, criterion_names, score_pairs, to_units
from ..cohort.settings import Settings
from ..files import progress

__all__ = ["Kernel", "kernel_for", "blocks", "map_blocks", "imap_blocks", "complete_candidates"]

#: Pairs per block of the table kernel (sized to stay in a CPU cache).
BLOCK_PAIRS = 1 << 19
#: Entries of a merged look-up table (int32).
_TABLE_LIMIT = 1 << 25
#: Threads scoring blocks in parallel (numpy releases the GIL in its loops).
THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))

# Built-ins read from small tables: name -> (attribute read, the definition), and groups
# of attributes tabulated together (their distinct combinations index the tables).
_TABLE_CRITERIA = {"seniority": ("level", criteria.seniority), "relatedness": ("area", criteria.relatedness),
                   "cross_kbu": ("kbu", criteria.cross_kbu), "cross_gender": ("gender", criteria.cross_gender),
                   "cross_race": ("race", criteria.cross_race)}
_GROUPS = (("level", "area", "kbu"), ("gender", "race"))
# Built-ins read from a sparse rank table (0 where the pair is not listed).
_RANK_CRITERIA = {"preference": criteria.preference, "mentor_preference": criteria.mentor_preference}
_RANK_TABLES = {"preference": "preferences", "mentor_preference": "mentor_preferences"}
_FAST_RULES = {"eligible": rules.mentee_eligible, "self": rules.not_self, "seniority": rules.seniority,
               "experience": rules.experience, "same_area": rules.different_area,
               "cross_kbu": rules.cross_kbu, "excluded": rules.not_excluded,
               "capacity": rules.mentor_has_capacity}
_TABLE_RULES = ("seniority", "same_area", "cross_kbu")


def _type_codes(columns) -> tuple[np.ndarray, np.ndarray]:
    """Code of each person's combination of values, and one representative per code."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for values in columns:
        uniq, inverse = np.unique(values, return_inverse=True)
        key = key * max(len(uniq), 1) + inverse.reshape(-1)
    _, reps, codes = np.unique(key, return_index=True, return_inverse=True)
    return codes.reshape(-1).astype(np.intp), reps.astype(np.int64)


def _grid(cohort, settings, reps, fn) -> np.ndarray:
    """``fn`` evaluated on every (representative mentee, representative mentor) pair."""
    p = Pairs.listed(cohort, settings, reps[0][:, None], reps[1][None, :])
    return np.broadcast_to(fn(p), p.shape)


def _entries(table: PairTable, rows: np.ndarray):
    """(local row, mentor, entry index) of ``table``'s entries in ``rows``."""
    start, stop = table.ptr[rows], table.ptr[rows + 1]
    lens = stop - start
    local = np.repeat(np.arange(len(rows)), lens)
    k = np.arange(lens.sum()) + np.repeat(start - (np.cumsum(lens) - lens), lens)
    return local, table.j[k], k


class Kernel:
    """Scores blocks of mentee rows x all mentors from precomputed tables.

    ``score(rows)`` returns ``(total, mask)``: a pair is allowed iff
    ``mask & (total > self.cut)``; where allowed, ``total`` equals
    ``score_pairs(...).sum(axis=1)`` exactly. Each look-up ``(table, code_e, code_m)``
    adds ``table[code_e[i], code_m[j]]``; tables indexed by type codes are merged while
    they stay small, so a block costs one or two look-ups per pair.

    With ``merge=False`` the tables stay as they are (two small ones, and competencies as
    bit sets): the layout of the compiled pass (:mod:`matching.scoring.fused`), which looks
    every table up in one loop anyway; building the merged tables (hundreds of megabytes
    on large cohorts) would cost more time than a pass. ``score`` is exact either way.
    """

    def __init__(self, cohort: Cohort, settings: Settings, *, merge: bool = True):
        self.cohort, self.settings = cohort, settings
        e, m = cohort.mentees, cohort.mentors
        self.fast_rules = dict(RULES) == _FAST_RULES
        self.codes, reps = [], []
        for attrs in _GROUPS:
            (ce, re_), (cm, rm) = (_type_codes([getattr(p, a) for a in attrs]) for p in (e, m))
            self.codes.append((ce, cm))
            reps.append((re_, rm))
        tables = [np.zeros((len(r[0]), len(r[1])), np.int64) for r in reps]
        self.sparse, self.generic, self.ct, self.bits = [], [], None, None
        for name in criterion_names(cohort):
            self._add(name, settings.weight(name), reps, tables)
        self.ok = self._rules(reps[0])
        looks = [(t, *c) for t, c in zip(tables, self.codes)] + (self._competency_table() if merge else [])
        parts = [t for t, _, _ in looks] + [u for _, u in self.sparse] + ([self.ct] if self.bits else [])
        lo, hi = sum(min(0, int(t.min(initial=0))) for t in parts), sum(max(0, int(t.max(initial=0))) for t in parts)
        small = not self.generic and hi - lo < 2**27  # int32 with room for sentinels and prices
        self.dtype = np.int32 if small else np.int64
        self.bounds = None if self.generic else (lo, hi)
        neg = -(1 << 30) if small else -(1 << 60)
        self.cut = neg // 2
        looks[0] = (np.where(self.ok, looks[0][0], neg),) + looks[0][1:]
        self.looks = [(np.ascontiguousarray(t, dtype=self.dtype), ce, cm) for t, ce, cm in
                      (_merged(looks) if merge else looks)]
        self.sparse = [(t, u.astype(self.dtype)) for t, u in self.sparse]
        if self.ct is not None:
            self.ct = self.ct.ravel().astype(self.dtype)

    def _add(self, name, w, reps, tables) -> None:
        cohort, settings = self.cohort, self.settings
        fn = BUILTIN.get(name)
        if w == 0:
            return
        if name in _TABLE_CRITERIA and fn is _TABLE_CRITERIA[name][1]:
            g = next(k for k, attrs in enumerate(_GROUPS) if _TABLE_CRITERIA[name][0] in attrs)
            tables[g] += to_units(w * _grid(cohort, settings, reps[g], fn))
        elif name == "competency" and fn is criteria.competency:
            self._competency(w)
        elif name in _RANK_CRITERIA and fn is _RANK_CRITERIA[name]:
            t = getattr(cohort, _RANK_TABLES[name])
            self.sparse.append((t, to_units(w * fn(Pairs.listed(cohort, settings, t.i, t.j)))))
        elif name in BUILTIN or name not in cohort.extra_tables:
            self.generic.append((name, w))
        else:
            t = cohort.extra_tables[name]
            self.sparse.append((t, to_units(w * t.value.astype(float))))

    def _competency(self, w) -> None:
        """Table of units by (number of goals, goals met), as ``criteria.competency`` defines them."""
        goals, strengths = self.cohort.mentees.competencies, self.cohort.mentors.competencies
        c = goals.shape[1]
        if c == 0:
            return  # the criterion is 0 everywhere
        n_goals, met = np.arange(c + 1)[:, None], np.arange(c + 1)[None, :]
        self.ct = to_units(w * np.where(n_goals > 0, met / np.maximum(n_goals, 1), 0.0).astype(float))
        self.ct_row = (goals.sum(axis=1) * (c + 1)).astype(np.intp)
        if c <= 64:
            dt = np.uint32 if c <= 32 else np.uint64
            bit = np.left_shift(np.ones(1, dt), np.arange(c, dtype=dt))
            self.bits = [(x.astype(dt) * bit).sum(axis=1, dtype=dt) for x in (goals, strengths)]
        else:
            self.bits = [goals.astype(np.float32), strengths.T.astype(np.float32)]

    def _competency_table(self) -> list:
        """The competency units as a look-up by (goal set, strength set), when small enough."""
        if self.ct is None or self.bits[0].dtype == np.float32:
            return []
        (ge, re_), (gm, rm) = (_type_codes([b]) for b in self.bits)
        if len(re_) * len(rm) > min(_TABLE_LIMIT, len(ge) * len(gm) // 4):
            return []
        met = np.bitwise_count(self.bits[0][re_][:, None] & self.bits[1][rm][None, :]).astype(np.intp)
        table = self.ct.ravel()[self.ct_row[re_][:, None] + met]
        self.ct, self.bits = None, None
        return [(table, ge, gm)]

    def _rules(self, reps) -> np.ndarray:
        """Table rules on the first group; eligibility, capacity and experience as ranks."""
        cohort, settings = self.cohort, self.settings
        e, m = cohort.mentees, cohort.mentors
        ok = np.ones((len(reps[0]), len(reps[1])), bool)
        if not self.fast_rules:
            return ok
        for name in _TABLE_RULES:
            ok &= _grid(cohort, settings, reps, RULES[name])
        years = unique(np.concatenate([e.years, m.years]))
        years = years[~np.isnan(years)]
        if settings.require_more_experience:
            re = np.where(np.isnan(e.years), -1, np.searchsorted(years, e.years))
            rm = np.where(np.isnan(m.years), len(years), np.searchsorted(years, m.years))
        else:
            re, rm = np.full(len(e), -1), np.zeros(len(m))
        self.rank_e = np.where(e.eligible.astype(bool), re, len(years) + 1).astype(np.int32)
        self.rank_m = np.where(m.capacity > 0, rm, -2).astype(np.int32)
        return ok

    def score(self, rows: np.ndarray):
        """``(total, mask)`` for mentee positions ``rows`` against every mentor."""
        cohort, settings = self.cohort, self.settings
        table, ce, cm = self.looks[0]
        total = np.take(table[ce[rows]], cm, axis=1)
        for table, ce, cm in self.looks[1:]:
            total += np.take(table[ce[rows]], cm, axis=1)
        if self.bits is not None:
            be, bm = self.bits
            met = (np.rint(be[rows] @ bm) if be.dtype == np.float32
                   else np.bitwise_count(be[rows][:, None] & bm[None, :])).astype(np.intp)
            met += self.ct_row[rows][:, None]
            total += np.take(self.ct, met)
        for table, units in self.sparse:
            local, j, k = _entries(table, rows)
            np.add.at(total, (local, j), units[k])
        cols = np.arange(len(cohort.mentors))
        for name, w in self.generic:
            if name in BUILTIN:
                values = BUILTIN[name](Pairs.listed(cohort, settings, rows[:, None], cols[None, :]))
            else:
                view = Pairs(cohort, settings, rows[:, None], cols[None, :], _View(cohort.mentees, rows[:, None]),
                             _View(cohort.mentors, cols[None, :]), True)
                values = user_function_values(name, cohort.extra_functions[name], view)
            total += to_units(w * np.broadcast_to(values, total.shape))
        if not self.fast_rules:
            return total, allowed(Pairs.listed(cohort, settings, rows[:, None], cols[None, :]))
        mask = self.rank_m[None, :] > self.rank_e[rows][:, None]
        own = cohort.self_mentor[rows]
        mask[np.flatnonzero(own >= 0), own[own >= 0]] = False
        local, j, _ = _entries(cohort.exclusions, rows)
        mask[local, j] = False
        return total, mask

    def allowed_counts(self):
        """Allowed pairs per mentee and per mentor, counted by type (no pass over pairs)."""
        (ae, am), ok = self.codes[0], self.ok
        if not self.fast_rules or ok.size > _TABLE_LIMIT:
            return None
        per_e, per_m = np.zeros(len(ae), np.int64), np.zeros(len(am), np.int64)
        for t in range(ok.shape[1]):
            ranks = np.sort(self.rank_m[am == t])
            per_e += np.where(ok[ae, t], len(ranks) - np.searchsorted(ranks, self.rank_e, "right"), 0)
        for t in range(ok.shape[0]):
            ranks = np.sort(self.rank_e[ae == t])
            per_m += np.where(ok[t, am], np.searchsorted(ranks, self.rank_m, "left"), 0)
        c = self.cohort
        own = np.flatnonzero(c.self_mentor >= 0)
        i = np.concatenate([own, c.exclusions.i]).astype(np.int64)
        j = np.concatenate([c.self_mentor[own], c.exclusions.j]).astype(np.int64)
        gone = unique(i * len(am) + j)
        i, j = np.divmod(gone, max(len(am), 1))
        hit = ok[ae[i], am[j]] & (self.rank_m[j] > self.rank_e[i])
        return (per_e - np.bincount(i[hit], minlength=len(ae)), per_m - np.bincount(j[hit], minlength=len(am)))


def _merged(looks: list) -> list:
    """Merge look-ups pairwise (adding their tables) while the merged table stays small
    (a table nearly as large as the mentees x mentors matrix would cost a pass itself)."""
    looks = list(looks)
    k = 0
    while k + 1 < len(looks):
        (tp, pe, pm), (tq, qe, qm) = looks[k], looks[k + 1]
        (ce, re_), (cm, rm) = _type_codes([pe, qe]), _type_codes([pm, qm])
        if len(re_) * len(rm) > min(_TABLE_LIMIT, len(pe) * len(pm) // 16):
            k += 1
            continue
        looks[k:k + 2] = [(tp[pe[re_]][:, pm[rm]] + tq[qe[re_]][:, qm[rm]], ce, cm)]
    return looks


#: The last kernel built of each layout: ``_CACHE[merge]`` is ``(cohort, settings, kernel)``.
_CACHE: list = [None, None]


def kernel_for(cohort: Cohort, settings: Settings, *, merge: bool = True) -> Kernel:
    """The kernel of the last (cohort, settings) seen with this ``merge`` (all immutable;
    thread-safe). Each layout keeps its own slot, so asking for one never evicts the other."""
    last = _CACHE[merge]
    if last is not None and last[0] is cohort and last[1] is settings:
        return last[2]
    kern = Kernel(cohort, settings, merge=merge)
    _CACHE[merge] = (cohort, settings, kern)
    return kern


def blocks(rows: np.ndarray, n_mentors: int) -> list:
    step = max(1, BLOCK_PAIRS // max(n_mentors, 1))
    return [rows[a:a + step] for a in range(0, len(rows), step)]


def imap_blocks(kern: Kernel, fn, blocks: list, *, desc: str = "scoring pairs"):
    """``fn`` over blocks, yielded in order; threads unless user code (maybe not thread-safe) runs.

    A progress bar counts the blocks when the scan lasts over a second on a terminal
    (see :mod:`matching.files.progress`).
    """
    with progress.bar(len(blocks), desc, unit="block") as bar:
        for done in _blocks_done(kern, fn, blocks):
            bar.update(1)
            yield done


def _blocks_done(kern: Kernel, fn, blocks: list):
    if THREADS == 1 or len(blocks) < 4 or kern.generic:
        yield from (fn(b) for b in blocks)
        return
    with ThreadPoolExecutor(THREADS) as pool:
        yield from pool.map(fn, blocks)


def map_blocks(kern: Kernel, fn, blocks: list) -> list:
    return list(imap_blocks(kern, fn, blocks))


def complete_candidates(cohort: Cohort, settings: Settings, kern: Kernel) -> Candidates:
    def allowed_pairs(rows):
        total, mask = kern.score(rows)
        mask &= total > kern.cut
        r, c = np.nonzero(mask)
        return rows[r], c

    found = map_blocks(kern, allowed_pairs, blocks(np.arange(len(cohort.mentees)), len(cohort.mentors)))
    i = np.concatenate([f[0] for f in found] or [np.zeros(0)]).astype(np.int64)
    j = np.concatenate([f[1] for f in found] or [np.zeros(0)]).astype(np.int64)
    parts = score_pairs(cohort, settings, i, j)
    total = parts.sum(axis=1)
    return Candidates(criterion_names(cohort), i, j, parts, total, True, None, len(i),
                      np.bincount(i, minlength=len(cohort.mentees)), np.bincount(j, minlength=len(cohort.mentors)),
                      (int(total.min(initial=0)), int(total.max(initial=0))))
