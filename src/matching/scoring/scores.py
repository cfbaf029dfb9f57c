"""Scoring: weighted criteria become integer units here, and only here.

A pair's score is the sum of its parts; each part is ``weight * criterion value``
rounded to a multiple of ``1 / RESOLUTION`` (the solver's unit). In those units the
parts add up exactly to the total, and the solver optimises exactly the reported
totals.

Scoring runs over blocks of mentee rows so memory stays bounded. The built-in rules and
criteria that read one attribute per side are evaluated once, by calling their own
definitions, on small tables (distinct level/area/KBU of the mentees x those of the
mentors, and likewise gender/race); a block then costs a few look-ups per pair. Large
cohorts keep only each mentee's best mentors (``Candidates.complete`` is False) and
:mod:`matching.solvers.certified` proves that this sparse set holds an optimum of the
full problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .criteria import BUILTIN, user_function_values
from ..cohort.model import Cohort
from .rules import Pairs
from ..cohort.settings import BUILTIN_CRITERIA, Settings

__all__ = ["RESOLUTION", "to_units", "Candidates", "criterion_names",
           "score_pairs", "criterion_values", "block_rows", "FULL_LIMIT", "TOP_K", "MENTOR_K", "SCAN_K",
           "NO_BOUND"]

#: Score units per point: parts and totals are multiples of 1/RESOLUTION.
RESOLUTION = 1000

#: Bytes of working memory one (generic) scoring block may use (about).
BLOCK_BYTES = 64 * 2**20
#: ``match()`` keeps the complete candidate table up to this many allowed pairs.
FULL_LIMIT = 2_000_000
#: Mentors kept per mentee (at least; ties and a margin may keep up to twice as many).
TOP_K = 30
#: Mentees kept per mentor (so that mentors few mentees rank highly stay connected).
MENTOR_K = 15
#: Pairs per mentee the certificate's scan returns (more pairs, fewer mentees scanned again
#: and fewer pairs breaking a price in the next round).
SCAN_K = 38
#: ``Candidates.bound`` of a mentee whose every allowed pair is listed.
NO_BOUND = np.iinfo(np.int64).min
def to_units(values: np.ndarray) -> np.ndarray:
    """Weighted criterion values -> integer score units (the one conversion point).

    >>> to_units(np.array([0.1234, 2.0, -0.0004]))
    array([ 123, 2000,    0])
    """
    return np.rint(np.asarray(values, dtype=float) * RESOLUTION).astype(np.int64)


def criterion_names(cohort: Cohort) -> tuple[str, ...]:
    """Built-in criteria, then the user's, in report order."""
    return BUILTIN_CRITERIA + cohort.extra_names


@dataclass(frozen=True, eq=False)
class Candidates:
    """Allowed pairs with their scores, sorted by (mentee, mentor) position.

    Attributes
    ----------
    names : tuple of str
        Criterion names, the columns of ``parts``.
    i, j : ndarray of int64
        Mentee and mentor positions.
    parts : ndarray of int64, shape (n_pairs, n_criteria), or None
        Each criterion's weighted part in score units. None on a sparse set (not
        ``complete``): the parts of millions of candidate pairs are never read, so they
        are computed only for the pairs a result shows (:func:`score_pairs`).
    total : ndarray of int64
        ``parts.sum(axis=1)``.
    complete : bool, default True
        True when every allowed pair is listed. Large cohorts list only each mentee's
        best mentors plus the pairs the certificate of optimality added; the solver then
        proves that no pair left out could improve the answer
        (``result.info.extra["certificate"]``). ``matching.candidates()`` always
        returns the complete table.
    bound : ndarray of int64 or None
        When not complete: for each mentee, no allowed pair left out scores more than
        this (``NO_BOUND`` where none is left out).
    n_allowed : int
        Allowed pairs in the full problem (``len(i)`` when complete).
    mentor_bound : ndarray of int64 or None
        When not complete and known: for each mentor, no allowed pair left out scores more
        than this (``NO_BOUND`` where none is left out).
    allowed_per_mentee, allowed_per_mentor : ndarray of int64
        Allowed pairs of each mentee / mentor in the full problem.
    score_range : tuple of int
        Lowest and highest total of any allowed pair (bounds when not complete).

    Examples
    --------
    >>> import matching
    >>> from matching.cohort.validate import load_cohort
    >>> from matching.scoring.sparse import build_candidates
    >>> data = matching.load_example()
    >>> cohort = load_cohort(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    >>> cands = build_candidates(cohort, Settings())
    >>> cands.complete, len(cands) == cands.n_allowed, bool((cands.parts.sum(1) == cands.total).all())
    (True, True, True)
    """

    names: tuple
    i: np.ndarray
    j: np.ndarray
    parts: np.ndarray | None
    total: np.ndarray
    complete: bool = True
    bound: np.ndarray | None = field(default=None, repr=False)
    n_allowed: int = -1
    allowed_per_mentee: np.ndarray | None = field(default=None, repr=False)
    allowed_per_mentor: np.ndarray | None = field(default=None, repr=False)
    score_range: tuple = (0, 0)
    mentor_bound: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.n_allowed < 0 and self.complete:
            object.__setattr__(self, "n_allowed", len(self.i))

    def __len__(self) -> int:
        return len(self.i)

    def subset(self, keep) -> Candidates:
        """The pairs where ``keep`` is True (flags and bounds carried over)."""
        return replace(self, i=self.i[keep], j=self.j[keep], total=self.total[keep],
                       parts=None if self.parts is None else self.parts[keep],
                       n_allowed=int(np.count_nonzero(keep)) if self.complete else self.n_allowed)


def _weighted_parts(p: Pairs, names) -> np.ndarray:
    """Integer parts, shape ``(len(names),) + p.shape`` (the definition; see ``_Kernel``)."""
    out = np.zeros((len(names),) + p.shape, dtype=np.int64)
    settings = p.settings
    for k, name in enumerate(names):
        w = settings.weight(name)
        if w == 0:
            continue
        out[k] = to_units(w * criterion_values(p, name))
    return out


def criterion_values(p: Pairs, name: str) -> np.ndarray:
    """Unweighted values of criterion ``name`` (built-in, user table or function) on ``p``."""
    cohort = p.cohort
    if name in BUILTIN:
        return BUILTIN[name](p)
    if name in cohort.extra_tables:
        return p.lookup(cohort.extra_tables[name]).astype(float)
    return user_function_values(name, cohort.extra_functions[name], p)


def block_rows(cohort: Cohort) -> int:
    """Mentee rows per generic block, so one block uses about ``BLOCK_BYTES``."""
    per_row = max(1, len(cohort.mentors)) * (8 * (len(criterion_names(cohort)) + 2) + 1)
    return int(max(1, min(len(cohort.mentees), BLOCK_BYTES // per_row)))


def score_pairs(cohort: Cohort, settings: Settings, i, j) -> np.ndarray:
    """Integer parts of listed pairs, shape ``(n_pairs, n_criteria)`` (rules not checked)."""
    i = np.atleast_1d(np.asarray(i, dtype=np.int64))
    j = np.atleast_1d(np.asarray(j, dtype=np.int64))
    names = criterion_names(cohort)
    if len(i) == 0:
        return np.zeros((0, len(names)), dtype=np.int64)
    return _weighted_parts(Pairs.listed(cohort, settings, i, j), names).T
