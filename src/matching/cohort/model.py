"""The validated model of a cohort: numpy arrays in canonical (id-sorted) order.

Everything past :func:`matching.cohort.validate.load_cohort` works on these objects, never on
raw frames. Gender and race are held only as anonymous integer codes (``-1`` for
unknown), are left out of every ``repr``, and are read only by the cross-pair
criteria and aggregate statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..files.ids import nfc

from ..errors import MatchingError

__all__ = ["People", "Cohort", "PairTable"]


@dataclass(frozen=True, eq=False)
class People:
    """One side of the cohort (mentees or mentors), sorted by id.

    Attributes
    ----------
    role : {"mentee", "mentor"}
    ids : ndarray of object
        Exact id text (Unicode NFC), never a fixed-width numpy string array.
    level : ndarray of int64
    area, kbu : ndarray of int32
        Codes into :attr:`Cohort.areas` and :attr:`Cohort.kbus`.
    years : ndarray of float64
        Years of experience, NaN where unknown.
    competencies : ndarray of bool, shape (n, n_competencies)
        Development goals (mentees) or strengths (mentors).
    eligible : ndarray of bool
        Mentees only in practice; mentors are all eligible.
    priority : ndarray of float64
        Mentees: weight in the "most mentees matched" objective (default 1).
    capacity : ndarray of int64
        Mentors: how many mentees each can take (mentees: 0).
    extra : mapping of str to ndarray
        Any other input column, as given (for user criteria).
    source : str
        File or table name, for messages.
    rows : ndarray
        Row labels in the source (spreadsheet line number or frame index).
    """

    role: str
    ids: np.ndarray
    level: np.ndarray
    area: np.ndarray
    kbu: np.ndarray
    years: np.ndarray
    competencies: np.ndarray
    eligible: np.ndarray
    priority: np.ndarray
    capacity: np.ndarray
    gender: np.ndarray = field(repr=False)
    race: np.ndarray = field(repr=False)
    extra: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    source: str = ""
    rows: np.ndarray = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"People(role={self.role!r}, n={len(self)}, source={self.source!r})"

    def take(self, index) -> People:
        """The people at positions ``index`` (a slice or integer array)."""
        arrays = {
            name: getattr(self, name)[index]
            for name in ("ids", "level", "area", "kbu", "years", "competencies", "eligible",
                         "priority", "capacity", "gender", "race", "rows")
        }
        extra = {k: v[index] for k, v in self.extra.items()}
        return People(role=self.role, extra=extra, source=self.source, **arrays)

    def readonly(self) -> People:
        """The same people with read-only array views (handed to user criteria, so that
        an in-place operation in user code cannot change the cohort)."""
        def frozen(a):
            if not isinstance(a, np.ndarray):
                return a
            view = a.view()
            view.flags.writeable = False
            return view

        names = ("ids", "level", "area", "kbu", "years", "competencies", "eligible", "priority", "capacity",
                 "gender", "race", "rows")
        return People(role=self.role, source=self.source, extra={k: frozen(v) for k, v in self.extra.items()},
                      **{name: frozen(getattr(self, name)) for name in names})

    def column(self, name: str) -> np.ndarray:
        """An extra input column by name (for user criteria).

        Raises
        ------
        KeyError
            Never: a missing column raises :class:`matching.MatchingError`.
        """
        try:
            return self.extra[name]
        except KeyError:
            raise MatchingError(
                f"the {self.role}s table has no column '{name}'; extra columns: {sorted(self.extra)}"
            ) from None


@dataclass(frozen=True, eq=False)
class PairTable:
    """A sparse table of (mentee, mentor) index pairs with optional values.

    ``i`` and ``j`` are positions in :attr:`Cohort.mentees` / :attr:`Cohort.mentors`;
    entries are sorted by ``(i, j)``; ``ptr`` is the CSR row pointer over mentees.
    """

    i: np.ndarray
    j: np.ndarray
    value: np.ndarray
    ptr: np.ndarray

    @classmethod
    def build(cls, i, j, value, n_rows: int) -> PairTable:
        i = np.asarray(i, dtype=np.int64)
        j = np.asarray(j, dtype=np.int64)
        value = np.asarray(value)
        if value.dtype.kind in "US":  # text (reasons) as exact strings, never fixed-width numpy text
            value = value.astype(object)
        order = np.lexsort((j, i))
        i, j, value = i[order], j[order], value[order]
        ptr = np.searchsorted(i, np.arange(n_rows + 1), side="left")
        return cls(i=i, j=j, value=value, ptr=ptr)

    @classmethod
    def empty(cls, n_rows: int, dtype=np.float64) -> PairTable:
        return cls.build([], [], np.zeros(0, dtype=dtype), n_rows)

    def __len__(self) -> int:
        return len(self.i)

    def dense_block(self, start: int, stop: int, n_cols: int, fill=0, dtype=None) -> np.ndarray:
        """Rows ``start:stop`` as a dense (stop - start, n_cols) array."""
        dtype = dtype or self.value.dtype
        out = np.full((stop - start, n_cols), fill, dtype=dtype)
        a, b = self.ptr[start], self.ptr[stop]
        out[self.i[a:b] - start, self.j[a:b]] = self.value[a:b]
        return out

    def contains(self, i, j) -> np.ndarray:
        """Whether each (i, j) is in the table (vectorized)."""
        keys = self.i * (1 << 32) + self.j
        probe = np.asarray(i, dtype=np.int64) * (1 << 32) + np.asarray(j, dtype=np.int64)
        pos = np.searchsorted(keys, probe)
        pos = np.minimum(pos, max(len(keys) - 1, 0))
        return (len(keys) > 0) & (keys[pos] == probe) if len(keys) else np.zeros(len(probe), bool)


@dataclass(frozen=True, eq=False)
class Cohort:
    """A validated cohort: both sides, the area relatedness and the pair tables.

    Attributes
    ----------
    mentees, mentors : People
    areas, kbus, competencies : tuple of str
        Vocabularies the codes in :class:`People` index into.
    relatedness : ndarray, shape (n_areas, n_areas)
        Symmetric; unlisted pairs hold ``NaN`` (the settings supply the default).
    preferences : PairTable
        ``value`` is the rank (1 = first choice).
    exclusions : PairTable
        Pairs that must never be formed (``value``: reason text).
    pins : PairTable
        Pairs that must be formed (``value``: reason text).
    extra_tables : mapping of str to PairTable
        User criteria given as tables (``value``: score; absent pairs score 0).
    extra_functions : mapping of str to callable
        User criteria given as functions ``f(mentees, mentors) -> ndarray``.
    self_mentor : ndarray of int64
        For each mentee, the position of the mentor with the same id, or -1.
    input_hash : str
        SHA-256 of the canonical content, for reproducibility.
    labels : mapping of str to tuple
        Group labels of the ``gender`` and ``race`` codes, read only by aggregate reports
        (:mod:`matching.privacy`), which suppress small groups.
    mentor_preferences : PairTable
        The mentors' own rankings of mentees, indexed like :attr:`preferences` (row =
        mentee, ``j`` = mentor); ``value`` is the rank the mentor gave the mentee
        (1 = the mentor's first choice). Empty when no mentor ranked anyone.
    """

    mentees: People
    mentors: People
    areas: tuple
    kbus: tuple
    competencies: tuple
    relatedness: np.ndarray = field(repr=False)
    preferences: PairTable = field(repr=False)
    exclusions: PairTable = field(repr=False)
    pins: PairTable = field(repr=False)
    extra_tables: Mapping[str, PairTable] = field(default_factory=dict, repr=False)
    extra_functions: Mapping[str, Callable] = field(default_factory=dict, repr=False)
    self_mentor: np.ndarray = field(default=None, repr=False)
    input_hash: str = ""
    labels: Mapping[str, tuple] = field(default_factory=dict, repr=False)
    mentor_preferences: PairTable = field(default=None, repr=False)

    def __post_init__(self):
        if self.mentor_preferences is None:
            object.__setattr__(self, "mentor_preferences", PairTable.empty(len(self.mentees), np.int64))

    @property
    def extra_names(self) -> tuple[str, ...]:
        """Names of user criteria, tables first, each group sorted."""
        return tuple(sorted(self.extra_tables)) + tuple(sorted(self.extra_functions))

    def mentee_index(self, ids) -> np.ndarray:
        """Positions of mentee ids (-1 where unknown)."""
        return _index_of(self.mentees.ids, ids)

    def mentor_index(self, ids) -> np.ndarray:
        """Positions of mentor ids (-1 where unknown)."""
        return _index_of(self.mentors.ids, ids)


def _index_of(sorted_ids: np.ndarray, ids) -> np.ndarray:
    """Positions of ``ids`` (compared as exact text in NFC) in ``sorted_ids``, -1 where absent."""
    ids = nfc(pd.Series(np.asarray(ids, dtype=object) if len(ids) else np.zeros(0, object), dtype=object)
              .astype(str).to_numpy(dtype=object))
    if len(sorted_ids) == 0 or len(ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    keys = pd.Index(np.asarray(sorted_ids, dtype=object))
    if keys.is_unique:  # a hash lookup: exact text, fast for object arrays
        return keys.get_indexer(ids).astype(np.int64)
    pos = np.minimum(np.searchsorted(keys.to_numpy(), ids), len(keys) - 1)
    return np.where(keys.to_numpy()[pos] == ids, pos, -1).astype(np.int64)
