"""The rules for ids and names: exact text, bounded length, no control characters.

Ids are compared as exact text after Unicode NFC normalisation (a composed ``é`` and
``e`` + combining accent are one id; a :class:`~matching.MatchingWarning` says when an
id was changed so). An id holding a control character (C0, DEL or C1, e.g. NUL or a
line break) or longer than :data:`MAX_ID_LENGTH` characters is refused; a name (area,
business unit, competency, gender or race) longer than :data:`MAX_NAME_LENGTH` too.
Ids that differ only by invisible characters (zero-width space, soft hyphen) or by
letters that look alike (Cyrillic ``Е`` for Latin ``E``) are kept apart, with a warning.

Examples
--------
>>> shown("E1\\x00")
'E1\\\\x00'
>>> skeleton("\\u0415\\u200b1") == skeleton("E1")
True
>>> closest(["E01x"], ["E001", "E01", "M01"])["E01x"]
'E01'
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import warnings

import numpy as np
import pandas as pd

from ..errors import MatchingWarning

__all__ = ["MAX_ID_LENGTH", "MAX_NAME_LENGTH", "CONTROL", "HIDDEN", "nfc", "canonical", "hidden_controls",
           "bad_text", "shown", "skeleton", "lookalikes", "closest", "suggest", "warn_ids",
           "warn_across"]

#: Longest id accepted (characters).
MAX_ID_LENGTH = 256
#: Longest area, business unit, competency, gender or race name accepted (characters).
MAX_NAME_LENGTH = 1000
#: Control characters refused in ids: C0, DEL and C1 (a regular expression class).
CONTROL = r"[\x00-\x1f\x7f-\x9f]"
#: Control characters that stripping would hide (all but tab, line breaks, vertical tab and form feed,
#: which are stripped from the ends of a cell like spaces).
HIDDEN = r"[\x00-\x08\x0e-\x1f\x7f-\x9f]"
_SHOWN = 60
# Letters of other scripts that look like Latin ones (the common part of Unicode's confusables).
_CONFUSABLE = str.maketrans({
    **dict(zip("АВЕЅІЈКМНОРСТХУаеіјорсхуѕԁһԛԝ", "ABESIJKMHOPCTXYaeijopcxysdhqw")),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοικνρτυχ", "ABEZHIKMNOPTYXoikvptux")),
})


def _text(values) -> pd.Series:
    """An object Series whose ``.str`` methods work even when no cell is text (then all None)."""
    s = pd.Series(np.asarray(values, dtype=object), dtype=object)
    try:
        s.str  # noqa: B018 (raises when no cell is text)
    except AttributeError:
        return pd.Series(np.full(len(s), None, dtype=object), dtype=object)
    return s


def _clean(values, pattern: str | None, limit: int | None = None) -> bool:
    """True when no text cell matches ``pattern`` nor is longer than ``limit`` (one pass at C speed)."""
    cells = np.asarray(values, dtype=object)
    strs = cells[pd.notna(cells)]
    try:
        joined = "".join(strs)
    except TypeError:  # some cells are numbers
        strs = [v for v in strs.tolist() if isinstance(v, str)]
        joined = "".join(strs)
    if limit is not None and max(map(len, strs), default=0) > limit:
        return False
    return pattern is None or re.search(pattern, joined) is None


def nfc(values: np.ndarray) -> np.ndarray:
    """Text values in NFC (object array; non-text values and ASCII text unchanged)."""
    out = np.array(values, dtype=object, copy=True)
    try:
        if "".join(out).isascii():  # the common case, at C speed: nothing to normalise
            return out
    except TypeError:  # some cells are not text
        pass
    ascii_ = _text(out).str.isascii().to_numpy(dtype=object)
    wide = np.flatnonzero(ascii_ == False)  # noqa: E712 (NaN for non-text cells)
    for k in wide:
        out[k] = unicodedata.normalize("NFC", out[k])
    return out


def hidden_controls(cells) -> np.ndarray:
    """Positions of text cells holding a control character that stripping would remove
    (``"E1\\x85".strip() == "E1"``): such a cell must be refused, not read as ``E1``."""
    if _clean(cells, HIDDEN):
        return np.zeros(0, np.int64)
    s = _text(cells)
    return np.flatnonzero(s.str.contains(HIDDEN, regex=True, na=False).to_numpy(bool))


def canonical(value) -> str:
    """One id as given by a caller (``explain(" E1 ")``), read like the input tables: stripped, NFC."""
    return unicodedata.normalize("NFC", str(value).strip())


def bad_text(values: np.ndarray, limit: int, *, control: bool = True) -> list[tuple[int, str]]:
    """``(position, problem)`` for each text value with a control character or over ``limit`` characters."""
    if _clean(values, CONTROL if control else None, limit):
        return []
    s = _text(values)
    length = s.str.len().to_numpy(dtype=float, na_value=0.0)  # NaN (0) for non-text cells
    long = length > limit
    ctrl = s.str.contains(CONTROL, regex=True, na=False).to_numpy(bool) if control else np.zeros(len(s), bool)
    out = []
    for pos in np.flatnonzero(long | ctrl):
        if long[pos]:
            out.append((int(pos), f"has {int(length[pos]):,} characters, more than the limit of {limit:,}"))
        else:
            out.append((int(pos), f"'{shown(s.iloc[pos])}' holds a control character (such as NUL or a line "
                                  "break), which is not allowed"))
    return out


def shown(value) -> str:
    """An id as safe to print: control and invisible characters escaped, long text cut."""
    text = str(value)
    cut = len(text) > _SHOWN
    text = text[:_SHOWN]
    if not text.isprintable() or any(unicodedata.category(c) == "Cf" for c in text):
        text = "".join(c if c.isprintable() and unicodedata.category(c) != "Cf"
                       else c.encode("unicode_escape").decode("ascii") for c in text)
    return text + (f"... ({len(str(value)):,} characters)" if cut else "")


def skeleton(value: str) -> str:
    """What an id looks like: NFKC, invisible characters dropped, look-alike letters mapped to Latin."""
    text = unicodedata.normalize("NFKC", value)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return text.translate(_CONFUSABLE)


_DIGITISH = str.maketrans({"o": "0", "i": "1", "l": "1"})


def _loose(value: str) -> str:
    """A key for suggestions: look-alike letters mapped, case folded, ``O``/``I``/``l`` read
    as digits and leading zeros of numbers dropped (``E0O1`` and ``e1`` -> ``e1``)."""
    text = skeleton(value).casefold().translate(_DIGITISH)
    return re.sub(r"(?<!\d)0+(?=\d)", "", text)


def lookalikes(ids) -> list[tuple[str, ...]]:
    """Groups of distinct ids that look the same (see :func:`skeleton`); only non-ASCII ids are examined."""
    ids = [v for v in ids if isinstance(v, str)]
    odd = [v for v in ids if not v.isascii()]
    if not odd:
        return []
    groups: dict[str, set] = {}
    for v in odd:
        groups.setdefault(skeleton(v), set()).add(v)
    for v in ids:
        if v.isascii() and v in groups:
            groups[v].add(v)
    return sorted(tuple(sorted(g)) for g in groups.values() if len(g) > 1)


def warn_across(mentees, mentors) -> None:
    """Warn about a mentee id and a different mentor id that look the same: a person in both
    tables needs the same id to be kept from being paired with themself."""
    mentees, mentors = list(mentees), list(mentors)
    try:
        if "".join(mentees).isascii() and "".join(mentors).isascii():
            return
    except TypeError:
        pass
    e, m = set(mentees), set(mentors)
    groups = [g for g in lookalikes(sorted(e | m)) if any(x in e and any(y in m and y != x for y in g) for x in g)]
    if groups:
        text = "; ".join(" / ".join(f"'{shown(v)}'" for v in g) for g in groups[:5])
        warnings.warn(MatchingWarning(
            f"{len(groups)} mentee and mentor id(s) differ only by invisible or look-alike characters and are "
            f"different people (someone in both tables must have the same id in both): {text}"), stacklevel=4)


def warn_ids(ids: np.ndarray, raw: np.ndarray, where: str) -> None:
    """Warn about ids changed by NFC and about look-alike ids, naming ``where``."""
    differ = np.flatnonzero(pd.notna(raw) & pd.notna(ids) & (np.asarray(raw, dtype=object) != ids))
    changed = [(raw[k], ids[k]) for k in differ]
    if changed:
        warnings.warn(MatchingWarning(
            f"{where}: {len(changed)} id(s) were normalised to Unicode NFC (composed accents), e.g. "
            f"'{shown(changed[0][1])}'; ids are compared after this normalisation"), stacklevel=4)
    groups = lookalikes(ids)
    if groups:
        text = "; ".join(" / ".join(f"'{shown(v)}'" for v in g) for g in groups[:5])
        warnings.warn(MatchingWarning(
            f"{where}: {len(groups)} group(s) of ids differ only by invisible or look-alike characters and are "
            f"kept as different people: {text}"), stacklevel=4)


def suggest(known):
    """A function ``unknown id -> "; did you mean 'X'?"`` (or ``""``) over the ``known`` ids;
    its look-up table is built once, on first use.

    >>> hint = suggest(["E001", "M001"])
    >>> hint("E0O1"), hint("zzz")
    ("; did you mean 'E001'?", '')
    """
    find = _finder(known)
    cache: dict[str, str | None] = {}

    def hint(unknown) -> str:
        if not isinstance(unknown, str):
            return ""
        if unknown not in cache:
            cache[unknown] = find(unknown)
        return f"; did you mean '{shown(cache[unknown])}'?" if cache[unknown] else ""

    return hint


def _finder(known, budget: int = 200_000):
    """``unknown -> known id that looks the same or is spelt nearly the same, or None``.

    Spelling is compared only while ``budget`` (ids compared) lasts: it is slow for large
    cohorts; look-alikes are found for all."""
    known = [k for k in known if isinstance(k, str)]
    state = {"looks": None, "left": budget}

    def find(u: str):
        if state["looks"] is None:
            state["looks"] = {}
            for k in known:
                state["looks"].setdefault(skeleton(k), k)
            for k in known:
                state["looks"].setdefault(_loose(k), k)
        hit = state["looks"].get(skeleton(u)) or state["looks"].get(_loose(u))
        if hit is None and state["left"] >= len(known) and len(u) <= MAX_ID_LENGTH:
            state["left"] -= len(known)
            near = difflib.get_close_matches(u, known, n=1, cutoff=0.75)
            hit = near[0] if near else None
        return hit if hit != u else None

    return find


def closest(unknown, known, *, budget: int = 200_000) -> dict[str, str]:
    """For each unknown id, a known id that looks the same or is spelt nearly the same (see :func:`suggest`)."""
    find = _finder(known, budget)
    found = {u: find(u) for u in dict.fromkeys(u for u in unknown if isinstance(u, str))}
    return {u: k for u, k in found.items() if k is not None}
