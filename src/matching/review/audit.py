"""The blocking-pair audit: which mentee and mentor would both rather be together.

A **blocking pair** (mentee *a*, mentor *b*) of a result is a pair that

* is allowed: no hard rule, exclusion or committee decision forbids it (a pinned mentee
  stays with their pin; a mentee pinned to *b* is never given up by *b*);
* *a* ranks *b* and either has no mentor or ranks their own mentor lower or not at all;
* *b* would take *a*: *b* has a free seat, or *b* prefers *a* to one of *b*'s current
  mentees. *b*'s preference is *b*'s own ranking when *b* gave one (a ranked mentee
  over an unranked one, a better rank over a worse), otherwise the pair score (*b*
  prefers *a* to *a'* when ``score(a, b) > score(a', b)``).

An empty audit means the result is stable for those preferences. The committee's
optimum maximises matched mentees and total score, not stability; the audit shows where
the two differ, and :func:`audit_summary` sets the rank profile obtained beside the best
one reachable (rank-maximal: most 1st choices, then most 2nd, ...).

Examples
--------
>>> import matching
>>> data = matching.load_example()
>>> result = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
>>> table = result.audit()
>>> list(table.columns)
['mentee_id', 'mentor_id', 'mentee_rank', 'current_mentor', 'current_rank', 'displaced', 'sentence']
>>> len(table) == result.summary["audit"]["blocking_pairs"]
True
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._numeric import unique
from ..cohort.model import Cohort, PairTable
from ..cohort.settings import Settings
from ..scoring.rules import Pairs, allowed
from ..scoring.scores import RESOLUTION, score_pairs
from ..solvers.rank_maximal import fits_flow, profile, rank_maximal

__all__ = ["Blocking", "blocking_pairs", "audit", "audit_frame", "audit_summary", "best_profile",
           "BEST_LIMIT", "COLUMNS"]

log = logging.getLogger("matching")

#: Ranked pairs up to which the summary computes the best rank profile by phases when the
#: one-flow weights do not fit (about 3 s at 76,000 ranked pairs, 20,000 mentees, which
#: would add a quarter to ``match()`` there; larger cohorts:
#: ``best_profile(cohort, settings, limit=None)``, 13 s at 50,000 mentees).
BEST_LIMIT = 30_000
COLUMNS = ["mentee_id", "mentor_id", "mentee_rank", "current_mentor", "current_rank", "displaced", "sentence"]
_UNRANKED = np.int64(1) << 40


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True, eq=False)
class Blocking:
    """Blocking pairs as position arrays: mentee ``i``, mentor ``j``, ``rank`` (a's rank of b),
    ``current`` mentor (-1 none), ``current_rank`` (0 unranked or none), ``displaced``
    mentee (-1: a free seat), and ``by_rank`` (b's own ranking decided, else the score)."""

    i: np.ndarray
    j: np.ndarray
    rank: np.ndarray
    current: np.ndarray
    current_rank: np.ndarray
    displaced: np.ndarray
    by_rank: np.ndarray

    def __len__(self) -> int:
        return len(self.i)


def _ranks(table: PairTable, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``table``'s value at each (i, j), 0 where absent or ``j < 0``."""
    out = np.zeros(len(i), np.int64)
    if not len(table) or not len(i):
        return out
    keys = table.i * (1 << 32) + table.j
    probe = i * (1 << 32) + np.maximum(j, 0)
    pos = np.minimum(np.searchsorted(keys, probe), len(keys) - 1)
    hit = (keys[pos] == probe) & (j >= 0)
    out[hit] = table.value[pos[hit]]
    return out


def _keys(cohort: Cohort, settings: Settings, i, j, ranks_b: np.ndarray) -> np.ndarray:
    """How little mentor ``j`` wants mentee ``i`` (lower is better): b's rank where b ranked
    anyone (unranked: worst), else minus the pair score."""
    rank = _ranks(cohort.mentor_preferences, i, j)
    by_rank = ranks_b[j]
    score = score_pairs(cohort, settings, i, j).sum(axis=1) if (~by_rank).any() else np.zeros(len(i), np.int64)
    return np.where(by_rank, np.where(rank > 0, rank, _UNRANKED), -score)


def _least_wanted(cohort: Cohort, settings: Settings, mentor_of: np.ndarray, ranks_b: np.ndarray):
    """Each mentor's least wanted current mentee that may be given up (pins are kept; ties:
    the first id), and how little the mentor wants them; -1 where none."""
    n_mentors = len(cohort.mentors)
    held_i = np.flatnonzero(mentor_of >= 0)
    held_j = mentor_of[held_i]
    movable = ~cohort.pins.contains(held_i, held_j) if len(cohort.pins) else np.ones(len(held_i), bool)
    held_i, held_j = held_i[movable], held_j[movable]
    held_key = _keys(cohort, settings, held_i, held_j, ranks_b)
    order = np.lexsort((held_i, -held_key, held_j))
    first = order[np.unique(held_j[order], return_index=True)[1]]
    worst = np.full(n_mentors, -1, np.int64)
    worst_key = np.full(n_mentors, np.iinfo(np.int64).min)
    worst[held_j[first]], worst_key[held_j[first]] = held_i[first], held_key[first]
    return worst, worst_key


def blocking_pairs(cohort: Cohort, settings: Settings, mentor_of: np.ndarray) -> Blocking:
    """Every blocking pair of the assignment ``mentor_of`` (see the module docstring)."""
    prefs, mentors = cohort.preferences, cohort.mentors
    i, j, rank = prefs.i, prefs.j, prefs.value.astype(np.int64)
    current = mentor_of[i] if len(i) else np.zeros(0, np.int64)
    current_rank = _ranks(prefs, i, current)
    pinned = np.zeros(len(cohort.mentees), bool)
    pinned[cohort.pins.i] = True
    keep = ((current < 0) | (current_rank == 0) | (rank < current_rank)) & ~pinned[i]
    i, j, rank, current, current_rank = (a[keep] for a in (i, j, rank, current, current_rank))
    if len(i):
        ok = allowed(Pairs.listed(cohort, settings, i, j))
        i, j, rank, current, current_rank = (a[ok] for a in (i, j, rank, current, current_rank))
    ranks_b = np.bincount(cohort.mentor_preferences.j, minlength=len(mentors)) > 0
    load = np.bincount(mentor_of[mentor_of >= 0], minlength=len(mentors))
    free = load[j] < mentors.capacity[j]
    worst, worst_key = _least_wanted(cohort, settings, mentor_of, ranks_b)
    key = _keys(cohort, settings, i, j, ranks_b)
    takes = free | ((worst[j] >= 0) & (key < worst_key[j]))
    displaced = np.where(free, -1, worst[j])
    sel = np.flatnonzero(takes)
    return Blocking(i[sel], j[sel], rank[sel], current[sel], current_rank[sel], displaced[sel], ranks_b[j[sel]])


def _sentence(cohort: Cohort, settings: Settings, b: Blocking, k: int) -> str:
    e_ids, m_ids = cohort.mentees.ids, cohort.mentors.ids
    a, m = str(e_ids[b.i[k]]), str(m_ids[b.j[k]])
    cur, cr = int(b.current[k]), int(b.current_rank[k])
    has = ("has no mentor" if cur < 0 else
           f"has {m_ids[cur]}, their {_ordinal(cr)} choice" if cr else f"has {m_ids[cur]}, whom they did not rank")
    lead = f"{m}, {a}'s {_ordinal(int(b.rank[k]))} choice,"
    if b.displaced[k] < 0:
        return f"{lead} has a free seat and would take {a}, who {has}."
    other = int(b.displaced[k])
    if b.by_rank[k]:
        ra, ro = _ranks(cohort.mentor_preferences, np.array([b.i[k], other]), np.array([b.j[k], b.j[k]]))
        why = f"{m} ranks {a} {_ordinal(int(ra))} and {e_ids[other]} {_ordinal(int(ro)) if ro else 'not at all'}"
    else:
        sa, so = score_pairs(cohort, settings, [b.i[k], other], [b.j[k], b.j[k]]).sum(axis=1) / RESOLUTION
        why = f"pair score {sa:g} against {so:g}"
    return f"{lead} would take {a} over {e_ids[other]} ({why}); {a} {has}."


def audit_frame(cohort: Cohort, settings: Settings, mentor_of: np.ndarray) -> pd.DataFrame:
    """The audit table of an assignment (see :func:`audit`)."""
    b = blocking_pairs(cohort, settings, mentor_of)
    e_ids, m_ids = cohort.mentees.ids, cohort.mentors.ids
    text = lambda ids, pos: [str(ids[p]) if p >= 0 else "" for p in pos.tolist()]  # noqa: E731
    frame = pd.DataFrame({
        "mentee_id": pd.Series(text(e_ids, b.i), dtype=object),
        "mentor_id": pd.Series(text(m_ids, b.j), dtype=object),
        "mentee_rank": pd.array(b.rank, dtype="Int64"),
        "current_mentor": pd.Series(text(m_ids, b.current), dtype=object),
        "current_rank": pd.array(np.where(b.current_rank > 0, b.current_rank, 0), dtype="Int64"),
        "displaced": pd.Series(text(e_ids, b.displaced), dtype=object),
        "sentence": pd.Series([_sentence(cohort, settings, b, k) for k in range(len(b))], dtype=object),
    })
    frame.loc[b.current_rank == 0, "current_rank"] = pd.NA
    return frame.sort_values(["mentee_id", "mentee_rank"], kind="stable").reset_index(drop=True)[COLUMNS]


def audit(result) -> pd.DataFrame:
    """One row per blocking pair of ``result`` (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        ``mentee_id, mentor_id, mentee_rank, current_mentor, current_rank, displaced``
        (``""`` for a free seat; ``current_mentor`` ``""`` for an unmatched mentee,
        ``current_rank`` empty when unranked) and ``sentence``, sorted by mentee and rank.
        Empty: the result is stable for the preferences given.
    """
    return audit_frame(result.cohort, result.settings, result.assignment.mentor_of)


def best_profile(cohort: Cohort, settings: Settings, *, limit: int | None = BEST_LIMIT):
    """The best rank profile reachable: ``(profile, method, status)``, or ``(None, reason, None)``.

    Rank-maximal over the allowed ranked pairs, with pins in force and capacities; it
    may match fewer mentees overall than the committee's optimum. Exact
    (:mod:`matching.solvers.rank_maximal`); computed only up to ``limit`` ranked pairs
    when one flow's weights do not fit (``None``: always).
    """
    prefs, n, m = cohort.preferences, len(cohort.mentees), len(cohort.mentors)
    levels = int(prefs.value.max(initial=0))
    pinned = np.zeros(n, bool)
    pinned[cohort.pins.i] = True
    keep = ~pinned[prefs.i]
    i, j, rank = prefs.i[keep], prefs.j[keep], prefs.value[keep].astype(np.int64)
    if len(i):
        ok = allowed(Pairs.listed(cohort, settings, i, j))
        i, j, rank = i[ok], j[ok], rank[ok]
    seats = cohort.mentors.capacity - np.bincount(cohort.pins.j, minlength=m)
    fixed = np.full(n, -1, np.int64)
    fixed[cohort.pins.i] = cohort.pins.j
    if limit is not None and len(i) > limit and not fits_flow(len(unique(i)), len(unique(rank)), n + m + 2):
        return None, f"not computed: {len(i)} ranked pairs exceed {limit} (call best_profile with limit=None)", None
    best = rank_maximal(n, m, i, j, rank, seats)
    mentor_of = np.where(pinned, fixed, best.mentor_of)
    return profile(mentor_of, prefs.i, prefs.j, prefs.value, levels), best.method, best.status


def audit_summary(cohort: Cohort, settings: Settings, mentor_of: np.ndarray) -> dict:
    """``blocking_pairs`` (count), ``rank_profile`` (1st, 2nd, ... choices obtained),
    ``best_rank_profile`` (rank-maximal), its ``best_method`` and ``best_status``."""
    prefs = cohort.preferences
    levels = int(prefs.value.max(initial=0))
    best, method, status = best_profile(cohort, settings)
    return {"blocking_pairs": len(blocking_pairs(cohort, settings, mentor_of)),
            "rank_profile": profile(mentor_of, prefs.i, prefs.j, prefs.value, levels),
            "best_rank_profile": best, "best_method": method, "best_status": status}
