"""Aggregate diversity reports that cannot single anyone out.

Gender and race are read here only as group counts. A group with fewer mentees than
``min_group_size`` (``settings.min_group_size``, default 5) is suppressed: its counts
are left empty and, for gender and race, its label is not shown either (all
suppressed groups share one ``"(suppressed)"`` row). Suppression is complementary:
when exactly one group of an attribute would be suppressed, the next smallest group
is suppressed too, so that the total minus the visible groups cannot reveal it.

Examples
--------
>>> import matching
>>> from matching.privacy import diversity_table
>>> data = matching.load_example()
>>> result = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
>>> table = diversity_table(result, by="gender")
>>> list(table.columns)
['attribute', 'group', 'mentees', 'matched', 'matched_share', 'cross_pairs', 'cross_share', 'suppressed']
>>> int(table.loc[table["group"] == "all", "mentees"].iloc[0])
61
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["diversity_table", "suppress", "ATTRIBUTES", "PROTECTED", "SUPPRESSED"]

#: Attributes a diversity table can group by.
ATTRIBUTES = ("kbu", "gender", "race")
#: Attributes whose small-group labels are never shown.
PROTECTED = ("gender", "race")
#: Label of the row that stands for every suppressed group of a protected attribute.
SUPPRESSED = "(suppressed)"
_COUNTS = ["mentees", "matched", "cross_pairs"]
_SHARES = ["matched_share", "cross_share"]


def suppress(sizes, min_group_size: int) -> np.ndarray:
    """Which groups to suppress: primary (size below the threshold) plus complementary.

    Parameters
    ----------
    sizes : array of int
        Group sizes (the groups of one attribute, which add up to a shown total).
    min_group_size : int

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> suppress([20, 3, 9], 5).tolist()      # 3 alone would be total - 20 - 9
    [False, True, True]
    >>> suppress([20, 3, 2, 9], 5).tolist()
    [False, True, True, False]
    >>> suppress([20, 9], 5).tolist()
    [False, False]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    out = (sizes > 0) & (sizes < min_group_size)
    candidates = np.flatnonzero(~out & (sizes > 0))
    if out.sum() == 1 and len(candidates):
        out[candidates[np.argmin(sizes[candidates])]] = True  # first smallest: groups come sorted
    return out


def _codes(result, attribute: str):
    cohort = result.cohort
    if attribute == "kbu":
        labels = tuple(cohort.kbus)
    else:
        labels = tuple(getattr(cohort, "labels", {}).get(attribute, ()))
    e = getattr(cohort.mentees, attribute)
    m = getattr(cohort.mentors, attribute)
    if len(labels) < max(int(e.max(initial=-1)), int(m.max(initial=-1))) + 1:
        labels = tuple(f"group {k + 1}" for k in range(max(int(e.max(initial=-1)), int(m.max(initial=-1))) + 1))
    return e, m, labels


def _groups(result, attribute: str) -> pd.DataFrame:
    """Unsuppressed counts per group of mentees (``unknown`` last)."""
    e, m, labels = _codes(result, attribute)
    cohort, pairs = result.cohort, result.pairs
    i = cohort.mentee_index(pairs["mentee_id"].astype(str).to_numpy())
    j = cohort.mentor_index(pairs["mentor_id"].astype(str).to_numpy())
    n = len(labels)
    size = np.bincount(e + 1, minlength=n + 1)
    matched = np.bincount(e[i] + 1, minlength=n + 1)
    cross = (e[i] >= 0) & (m[j] >= 0) & (e[i] != m[j])
    cross_pairs = np.bincount(e[i][cross] + 1, minlength=n + 1)
    frame = pd.DataFrame({"group": list(labels) + ["unknown"], "mentees": np.roll(size, -1),
                          "matched": np.roll(matched, -1), "cross_pairs": np.roll(cross_pairs, -1)})
    return frame[frame["mentees"] > 0].reset_index(drop=True)


def _with_shares(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in _COUNTS:
        frame[col] = frame[col].astype("Int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["matched_share"] = (frame["matched"] / frame["mentees"]).astype("Float64").round(4)
        frame["cross_share"] = (frame["cross_pairs"] / frame["matched"]).astype("Float64").round(4)
    frame.loc[frame["matched"] == 0, "cross_share"] = pd.NA
    return frame


def _one(result, attribute: str, k: int) -> pd.DataFrame:
    groups = _groups(result, attribute)
    hidden = suppress(groups["mentees"].to_numpy(), k)
    total = groups[_COUNTS].sum().to_frame().T.assign(group="all")
    groups = _with_shares(groups).assign(suppressed=hidden)
    groups.loc[hidden, _COUNTS + _SHARES] = pd.NA
    if attribute in PROTECTED and hidden.any():
        merged = groups[hidden].iloc[:1].assign(group=SUPPRESSED)
        groups = pd.concat([groups[~hidden], merged], ignore_index=True)
    total = _with_shares(total).assign(suppressed=False)
    out = pd.concat([groups, total], ignore_index=True).assign(attribute=attribute)
    return out[["attribute", "group"] + _COUNTS[:2] + ["matched_share", "cross_pairs", "cross_share", "suppressed"]]


def diversity_table(result, by=ATTRIBUTES, *, min_group_size: int | None = None) -> pd.DataFrame:
    """Counts and shares per group of mentees, small groups suppressed.

    Parameters
    ----------
    result : MatchResult
        Any result with ``cohort``, ``pairs`` and ``settings``.
    by : str or sequence of str, default ("kbu", "gender", "race")
    min_group_size : int, optional
        Default ``result.settings.min_group_size``.

    Returns
    -------
    pandas.DataFrame
        One row per shown group and one ``"all"`` row per attribute: ``attribute,
        group, mentees, matched, matched_share, cross_pairs`` (pairs whose mentor is
        known to be in another group), ``cross_share`` (of matched), ``suppressed``.
        Suppressed counts are empty (``<NA>``).

    Raises
    ------
    InputError
        An unknown attribute or a threshold that is not an int >= 1.
    """
    by = (by,) if isinstance(by, str) else tuple(by)
    k = result.settings.min_group_size if min_group_size is None else min_group_size
    problems = [{"column": "by", "problem": f"cannot group by '{a}'; choose among {', '.join(ATTRIBUTES)}"}
                for a in by if a not in ATTRIBUTES]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        problems.append({"column": "min_group_size", "problem": (
            f"The 'min_group_size' setting must be an int >= 1. Got {k!r} instead.")})
    if problems:
        raise InputError(problems)
    return pd.concat([_one(result, a, int(k)) for a in by], ignore_index=True)
