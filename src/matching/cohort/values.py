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
import warnings
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


def keys(values) -> np.ndarray:
    """Canonical keys of text values (object array; ``None`` stays ``None``)."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object), dtype=object), use_na_sentinel=True)
    if not len(codes):
        return np.zeros(0, dtype=object)
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)  # each distinct value once
    folded = (text.str.normalize("NFKC").str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()
              .to_numpy(dtype=object))
    folded[folded == ""] = None
    out = np.append(folded, None)[codes]  # the sentinel -1 picks the trailing None
    return out.astype(object)


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
    parts = [np.asarray(a, dtype=object).ravel() for a in arrays]
    raw = pd.Series(np.concatenate(parts) if parts else np.zeros(0, object), dtype=object).dropna()
    if not len(raw):
        return Spelling({}, ())
    seen = raw.value_counts(sort=False)  # each distinct spelling once, with its count
    text = pd.Series(seen.index.to_numpy(dtype=object), dtype=object).astype(str).str.strip()
    frame = pd.DataFrame({"key": keys(text.to_numpy(dtype=object)), "name": text.to_numpy(dtype=object),
                          "n": seen.to_numpy()})
    frame = frame[frame["key"].notna()]
    counts = frame.groupby(["key", "name"], sort=True)["n"].sum().reset_index(name="n")
    names = counts["name"].astype(str)
    counts["flat"] = ((names == names.str.upper()) | (names == names.str.lower())).to_numpy()
    counts = counts.sort_values(["key", "n", "flat", "name"], ascending=[True, False, True, True], kind="stable")
    display = dict(zip(counts.drop_duplicates("key")["key"], counts.drop_duplicates("key")["name"]))
    many = counts.groupby("key", sort=True)["name"].agg(lambda s: tuple(sorted(s)))
    variants = tuple((k, names) for k, names in many.items() if len(names) > 1)
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
