"""One form for everyone: split a table with a role column into mentees and mentors."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..errors import InputError
from ..files import columns as col
from ..files.latest import ID_HEADERS
from ..files.tables import as_table, read_table
from . import values as vals

__all__ = ["split_roles"]

#: Headers of the mentees' rankings of mentors, and of the mentors' rankings of mentees.
_MENTEE_PREFS = ("preferences", "ranked_mentors", "preferred_mentors")
_MENTOR_PREFS = ("mentor_preferences", "ranked_mentees", "preferred_mentees")


def split_roles(table, column: str, *, mentee=("mentee",), mentor=("mentor",),
                both=("both",)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one table of applicants into the mentees and the mentors tables.

    Parameters
    ----------
    table : pandas.DataFrame or path to a CSV / Excel file
        One row per person with a role column (e.g. a one-form program's export).
    column : str
        The role column's header (compared ignoring case and spaces, like every header).
    mentee, mentor, both : iterable of str
        The answers meaning each role, compared ignoring case, spaces and Unicode forms.
        A "both" person is in both tables (with the same id; they are never paired with
        themself).

    Returns
    -------
    (mentees, mentors) : tuple of pandas.DataFrame
        The rows of each role, without the role column. In one table, ``preferences``
        are the mentees' rankings of mentors: the mentors' table leaves them out (a "both"
        person's list names mentors). Mentors' rankings of mentees, if the form asks for
        them, go in a ``mentor_preferences`` column (it becomes the mentors'
        ``preferences``). Frames read with :func:`matching.read_table` keep their file's
        line numbers for messages.

    Raises
    ------
    InputError
        No such column, or rows whose role is missing or none of the answers given (all
        listed, with their row and id), or one answer given for two roles.

    Examples
    --------
    >>> people = pd.DataFrame({"id": ["A", "B", "C"], "I am a": ["Mentee", "mentor ", "Both"]})
    >>> mentees, mentors = split_roles(people, "I am a")
    >>> mentees["id"].tolist(), mentors["id"].tolist()
    (['A', 'C'], ['B', 'C'])
    """
    if isinstance(table, (str, os.PathLike)):
        table = read_table(table)  # a frame with its file's name and line numbers
    data = as_table(table, "people")
    frame = data.frame
    wanted = col.normalize_header(column)
    found = [c for c in frame.columns if col.normalize_header(c) == wanted]
    if not found:
        raise InputError([{"file": data.source, "sheet": data.sheet, "column": column, "problem": (
            f"split_roles: no column '{column}'; columns: {', '.join(map(str, frame.columns))}")}])
    answers = {name: {vals.key_of(v) for v in given} for name, given in
               (("mentee", mentee), ("mentor", mentor), ("both", both))}
    _check_answers(answers, data, column)
    role = vals.keys(col.text_values(frame[found[0]]))
    is_ = {name: pd.Series(role, dtype=object).isin(sorted(keys)).to_numpy() for name, keys in answers.items()}
    other = ~(is_["mentee"] | is_["mentor"] | is_["both"])
    if other.any():
        _unknown_roles(data, found[0], other, answers)
    rest = frame.drop(columns=found)
    return _mentee_table(rest.loc[is_["mentee"] | is_["both"]]), _mentor_table(rest.loc[is_["mentor"] | is_["both"]])


def _by_header(frame: pd.DataFrame, names) -> list:
    return [c for c in frame.columns if col.normalize_header(c) in names]


def _mentee_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The mentees' rows without the mentors' own rankings."""
    return frame.drop(columns=_by_header(frame, _MENTOR_PREFS))


def _mentor_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The mentors' rows: the mentees' rankings (of mentors) left out; a ``mentor_preferences``
    column, if any, becomes the mentors' ``preferences`` (rankings of mentees)."""
    out = frame.drop(columns=_by_header(frame, _MENTEE_PREFS))
    return out.rename(columns={c: "preferences" for c in _by_header(out, _MENTOR_PREFS)})


def _check_answers(answers: dict, data, column) -> None:
    clash = [(a, b, sorted(answers[a] & answers[b])) for a, b in (("mentee", "mentor"), ("mentee", "both"),
                                                                 ("mentor", "both"))]
    cases = [{"file": data.source, "column": column, "problem": (
        f"split_roles: {', '.join(map(repr, same))} is given both as a {a} and as a {b} answer")}
        for a, b, same in clash if same]
    if cases:
        raise InputError(cases)


def _unknown_roles(data, column, other: np.ndarray, answers: dict) -> None:
    ids = _ids(data.frame)
    raw = col.text_values(data.frame[column])
    allowed = "; ".join(f"{name}: {', '.join(sorted(keys))}" for name, keys in answers.items() if keys)
    raise InputError([{
        "file": data.source, "sheet": data.sheet, "row": data.row_label(p), "column": str(column),
        "id": ids[p] if ids is not None else None,
        "problem": ("the role is missing" if raw[p] is None else f"role {raw[p]!r} is not a known answer")
        + f" (known answers, compared ignoring case: {allowed})"} for p in np.flatnonzero(other)])


def _ids(frame: pd.DataFrame):
    headers = {col.normalize_header(c): c for c in reversed(list(frame.columns))}
    for name in ID_HEADERS + ("email", "email_address"):  # for messages only
        if name in headers:
            return col.text_values(frame[headers[name]])
    return None
