"""Values as people mean them: one spelling per area, KBU, gender, race, competency and name.

Form answers arrive as typed: ``police``, ``Police `` and ``POLICE`` mean one area. Every
categorical value is compared by its **canonical key**: Unicode NFKC, case folding and
whitespace collapsed (leading and trailing spaces dropped, inner runs of spaces, tabs and
line breaks read as one space). What people see (outputs, explanations, reports) is the
**display** spelling of each key: the most frequent spelling in the cohort; among equally
frequent ones a mixed-case spelling ("Fire") before an all-capitals or all-lowercase one, then
the first in sorted order, so the choice never depends on row order.

Gender and race answers such as "Prefer not to say" are **non-answers** (the ``non_answers``
setting): they are read as missing values, never as a group.

Examples
--------
>>> keys(["Police ", "POLICE", " fire  safety", None]).tolist()
['police', 'police', 'fire safety', None]
>>> spelling = unify([["police", "Police ", "Police"]])
>>> spelling.display["police"], spelling.variants
('Police', (('police', ('Police', 'police')),))
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import MatchingWarning

__all__ = ["keys", "key_of", "unify", "Spelling", "non_answer_mask", "closest", "warn_variants",
           "warn_unmatched_competencies",
           "PRIVATE_FIELDS"]

#: Fields whose values are never shown in a message (privacy).
PRIVATE_FIELDS = ("gender", "race")
#: How many variant groups one warning lists before it says "and N more".
_WARN_LIMIT = 10


_SPACE = re.compile(r"\s+")


def _fold(text: str) -> str | None:
    """The canonical key of one text (``None`` when nothing is left)."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip() or None


def _missing(value) -> bool:
    """True for None, NaN, ``pd.NA`` and ``pd.NaT`` (what ``Series.dropna`` drops)."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def keys(values) -> np.ndarray:
    """Canonical keys of text values (object array; ``None`` stays ``None``).

    Each distinct value is folded once, in plain Python: pandas' ``.str`` methods loop in
    Python too, with a fixed cost per call that dominated committee-sized tables.
    """
    codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object), dtype=object), use_na_sentinel=True)
    if not len(codes):
        return np.zeros(0, dtype=object)
    folded = np.empty(len(uniques) + 1, dtype=object)  # the sentinel -1 picks the trailing None
    folded[:-1] = [_fold(str(u)) for u in uniques]
    return folded[codes]


def key_of(value: str) -> str:
    """The canonical key of one value (see :func:`keys`)."""
    return keys([value])[0] or ""


@dataclass(frozen=True)
class Spelling:
    """How the spellings of one kind of value were unified.

    Attributes
    ----------
    display : dict of str to str
        Canonical key -> the spelling shown (most frequent; ties: mixed case, then sorted order).
    variants : tuple of (key, tuple of str)
        Each key written more than one way, with its spellings (sorted); empty when
        every value was spelled one way.
    """

    display: dict
    variants: tuple

    def codes(self) -> dict:
        """Key -> code, numbered in the sorted order of the display spellings."""
        order = sorted(self.display, key=lambda k: (self.display[k], k))
        return {k: code for code, k in enumerate(order)}

    def names(self) -> tuple:
        """Display spellings in code order."""
        return tuple(sorted(self.display.values()))


def unify(arrays: Iterable) -> Spelling:
    """The display spelling of each canonical key over ``arrays`` of raw text values.

    Spellings differing only by leading or trailing spaces are one spelling (the stripped one).
    """
    seen = Counter(v for a in arrays for v in np.asarray(a, dtype=object).ravel().tolist() if not _missing(v))
    count: dict = {}
    for value, n in seen.items():
        name = str(value).strip()
        key = _fold(name)
        if key is not None:
            count[key, name] = count.get((key, name), 0) + n
    spellings: dict = {}
    for (key, name), n in count.items():
        spellings.setdefault(key, []).append((-n, name in (name.upper(), name.lower()), name))
    display = {key: min(spellings[key])[2] for key in sorted(spellings)}
    variants = tuple((key, tuple(sorted(s[2] for s in spellings[key])))
                     for key in sorted(spellings) if len(spellings[key]) > 1)
    return Spelling(display, variants)


def non_answer_mask(values, non_answers) -> np.ndarray:
    """True where a value is missing or one of ``non_answers`` (compared by canonical key)."""
    k = pd.Series(keys(values), dtype=object)
    stop = sorted({k for k in keys(list(non_answers)) if k})
    return (k.isna() | k.isin(stop)).to_numpy(dtype=bool)


def closest(word: str, options, *, cutoff: float = 0.6) -> str | None:
    """The option closest to ``word`` (compared by canonical key), or None."""
    options = [str(o) for o in options]
    by_key = {key_of(o): o for o in sorted(options, reverse=True)}
    found = difflib.get_close_matches(key_of(word), list(by_key), n=1, cutoff=cutoff)
    return by_key[found[0]] if found else None


def warn_variants(spelling: Spelling, what: str, field: str, *, stacklevel: int = 4) -> None:
    """One :class:`~matching.errors.MatchingWarning` listing the spelling variants merged.

    For gender and race (:data:`PRIVATE_FIELDS`) the values are never shown, only counts.
    """
    if not spelling.variants:
        return
    if field in PRIVATE_FIELDS:
        n = sum(len(names) for _, names in spelling.variants)
        text = (f"{n} spellings of {field} answers were read as {len(spelling.variants)} "
                f"(compared ignoring case, spaces and Unicode forms)")
    else:
        shown = [f"{', '.join(repr(v) for v in names)} -> {spelling.display[k]}"
                 for k, names in spelling.variants[:_WARN_LIMIT]]
        more = len(spelling.variants) - _WARN_LIMIT
        text = f"spelling variants read as one {what}: " + "; ".join(shown) + (f"; and {more} more" if more > 0
                                                                               else "")
    warnings.warn(MatchingWarning(text), stacklevel=stacklevel)


def warn_unmatched_competencies(goals, strengths, spelling: Spelling, *, stacklevel: int = 4) -> None:
    """Warn about goals no mentor lists as a strength and strengths no mentee has as a goal
    that are close to a competency of the other side (a typo, most often), naming it."""
    sides = {"goal": set(keys(goals)) - {None}, "strength": set(keys(strengths)) - {None}}
    if not sides["goal"] or not sides["strength"]:
        return
    other = {"goal": "strength", "strength": "goal"}
    found = []
    for kind in ("goal", "strength"):
        options = [spelling.display[k] for k in sorted(sides[other[kind]])]
        for k in sorted(sides[kind] - sides[other[kind]]):
            near = closest(spelling.display[k], options, cutoff=0.75)
            if near:
                found.append(f"{kind} '{spelling.display[k]}' (closest {other[kind]}: '{near}')")
    if found:
        more = len(found) - _WARN_LIMIT
        warnings.warn(MatchingWarning(
            "competencies that match nothing on the other side but look like one that does (a typo? they "
            "score 0): " + "; ".join(found[:_WARN_LIMIT])
            + (f"; and {more} more" if more > 0 else "")), stacklevel=stacklevel)
