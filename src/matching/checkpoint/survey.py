"""The three-month survey: from the form's answers to the requests of :func:`matching.rematch`.

Near the end of month three every pair evaluates the process, compatibility included;
either side may ask to change partner without giving a reason. :func:`read_survey`
turns the survey export (one row per answer) into the requests table, lists the pairs
that did not ask but rated their compatibility low, and accounts for every answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError, SettingsError
from ..files import columns as col
from ..files.tables import Table, as_table, normalize_header
from .inputs import pairs_table
from .tables import frame_of

__all__ = ["read_survey", "Survey", "SURVEY_COLUMNS", "SURVEY_ALIASES"]

#: The columns of a survey export (``compatibility`` is optional).
SURVEY_COLUMNS = ("mentee_id", "mentor_id", "respondent", "compatibility", "change")
#: Other headers accepted for them (compared loosely: case, spaces, ``-`` and ``_`` do not matter).
SURVEY_ALIASES = {
    "mentee": "mentee_id", "mentor": "mentor_id",
    "role": "respondent", "respondent_role": "respondent", "answered_by": "respondent", "answering_as": "respondent",
    "rating": "compatibility", "compatibility_rating": "compatibility", "compatibility_score": "compatibility",
    "wishes_to_change": "change", "wish_to_change": "change", "wants_change": "change",
    "wants_to_change": "change", "wants_a_change": "change", "change_partner": "change",
    "change_request": "change", "request_change": "change", "wishes_to_change_partner": "change",
}
_YES = ("yes", "y", "true", "t", "1")
_NO = ("no", "n", "false", "f", "0")
_ROLES = ("mentee", "mentor")
_ANSWER_COLUMNS = ("row", "mentee_id", "mentor_id", "respondent", "compatibility", "change", "outcome")
_FLAG_COLUMNS = ("mentee_id", "mentor_id", "mentee_rating", "mentor_rating", "rated_low_by", "note")


@dataclass(frozen=True, eq=False)
class Survey:
    """The survey, read and checked.

    Attributes
    ----------
    requests : pandas.DataFrame
        ``mentee_id, mentor_id, requested_by`` (``mentee``, ``mentor`` or ``both``): the
        pairs where a side answered yes to the change question; pass it to
        :func:`matching.rematch`.
    flagged : pandas.DataFrame
        ``mentee_id, mentor_id, mentee_rating, mentor_rating, rated_low_by, note``: pairs
        that did not ask but that either side rated at or below ``low_rating``, for the
        committee to look at (empty when ``low_rating`` is None).
    answers : pandas.DataFrame
        Every answer as read: ``row, mentee_id, mentor_id, respondent, compatibility,
        change`` (True, False or None when unanswered) and ``outcome``: ``request``
        (answered yes), ``low rating`` (the pair is in ``flagged`` and this answer rated
        low), ``no change`` or ``unanswered`` (the change question left blank: not a request).
    unanswered : pandas.DataFrame
        ``mentee_id, mentor_id, missing`` (``mentee``, ``mentor`` or ``both``): current pairs
        with a side that did not answer the change question.
    low_rating : float or None
    """

    requests: pd.DataFrame
    flagged: pd.DataFrame
    answers: pd.DataFrame
    unanswered: pd.DataFrame
    low_rating: float | None


def _check_low_rating(low_rating) -> float | None:
    if low_rating is None:
        return None
    number = isinstance(low_rating, (int, float, np.integer, np.floating)) and not isinstance(low_rating, bool)
    if not (number and math.isfinite(float(low_rating))):
        raise SettingsError([{"column": "low_rating", "problem": (
            f"low_rating must be a number (ratings at or below it are flagged) or None. Got {low_rating!r} instead.")}])
    return float(low_rating)


def _renamed(table: Table, columns, problems) -> Table:
    """Apply ``columns=`` (the form's own header -> a survey column), headers compared loosely."""
    if not columns:
        return table
    loose = {normalize_header(k): v for k, v in dict(columns).items()}
    present = {normalize_header(c) for c in table.frame.columns}
    for key, value in dict(columns).items():
        if normalize_header(key) not in present:
            problems.add(table, f"columns= renames '{key}', which is not a header of the survey", column=str(key))
        if value not in SURVEY_COLUMNS:
            problems.add(table, f"columns= maps '{key}' to '{value}', which is not a survey column (one of "
                                f"{', '.join(SURVEY_COLUMNS)})", column=str(key))
    frame = table.frame.copy(deep=False)
    frame.columns = [loose.get(normalize_header(c), c) for c in frame.columns]
    return Table(frame=frame, source=table.source, sheet=table.sheet, from_file=table.from_file, lines=table.lines)


def _current(current_pairs, problems) -> set:
    table = pairs_table(current_pairs)
    frame = frame_of(table, ("mentee_id", "mentor_id"), problems)
    if frame is None:
        return set()
    return set(zip(col.text_values(frame["mentee_id"]), col.text_values(frame["mentor_id"]))) - {(None, None)}


def _yes_no(value):
    if value is None:
        return None
    key = value.strip().lower()
    return True if key in _YES else False if key in _NO else "bad"


def _rating(value):
    if value is None:
        return np.nan
    try:
        number = float(value)
    except ValueError:
        return "bad"
    return number if math.isfinite(number) else "bad"


def _parse(table: Table, frame: pd.DataFrame, current: set, problems) -> pd.DataFrame:
    """The answers, one row per survey row; every bad cell recorded."""
    me, mo = col.text_values(frame["mentee_id"]), col.text_values(frame["mentor_id"])
    who = col.text_values(frame["respondent"])
    change = col.text_values(frame["change"])
    rating = (col.text_values(frame["compatibility"]) if "compatibility" in frame
              else np.full(len(frame), None, dtype=object))
    rows = []
    for pos in range(len(frame)):
        e, m, r = me[pos], mo[pos], (who[pos] or "").lower()
        add = lambda text, column: problems.add(table, text, column=column, position=pos, id=e)  # noqa: E731,B023
        if e is None or m is None:
            add("mentee_id and mentor_id are required (the pair the answer is about)",
                "mentee_id" if e is None else "mentor_id")
        elif (e, m) not in current:
            add(f"pair ({e}, {m}) is not a current pair", "mentor_id")
        if r not in _ROLES:
            add(f"respondent must be mentee or mentor (a side of the pair); got {who[pos]!r}", "respondent")
        yes, score = _yes_no(change[pos]), _rating(rating[pos])
        if yes == "bad":
            add(f"change must be yes or no (empty: unanswered); got {change[pos]!r}", "change")
        if isinstance(score, str):
            add(f"compatibility must be a number (or empty); got {rating[pos]!r}", "compatibility")
        rows.append((table.row_label(pos), e, m, r, score, yes))
    return pd.DataFrame(rows, columns=list(_ANSWER_COLUMNS[:-1]), dtype=object)


def _check_repeats(table: Table, answers: pd.DataFrame, problems) -> None:
    """The same side of the same pair may answer twice only with the same change answer."""
    seen: dict = {}
    for pos, (e, m, r, yes) in enumerate(zip(answers["mentee_id"], answers["mentor_id"], answers["respondent"],
                                             answers["change"])):
        key = (e, m, r)
        if key in seen and seen[key][1] is not None and yes is not None and seen[key][1] != yes:
            problems.add(table, f"the {r} of pair ({e}, {m}) answered the change question twice with different "
                                f"answers (also on row {answers['row'].iloc[seen[key][0]]})",
                         column="change", position=pos, id=e)
        elif key not in seen or seen[key][1] is None:
            seen[key] = (pos, yes)


def _requests(answers: pd.DataFrame) -> pd.DataFrame:
    yes = answers[answers["change"].map(lambda v: v is True).astype(bool)]
    if yes.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in ("mentee_id", "mentor_id", "requested_by")})
    sides = yes.groupby(["mentee_id", "mentor_id"], sort=True)["respondent"].agg(lambda s: set(s))
    out = pd.DataFrame({"mentee_id": [k[0] for k in sides.index], "mentor_id": [k[1] for k in sides.index],
                        "requested_by": ["both" if len(v) == 2 else next(iter(v)) for v in sides]}, dtype=object)
    return out.reindex(columns=["mentee_id", "mentor_id", "requested_by"])


def _flagged(answers: pd.DataFrame, asked: set, low: float | None) -> pd.DataFrame:
    rows = []
    if low is not None and len(answers):
        rated = answers[answers["compatibility"].map(lambda v: not pd.isna(v)).astype(bool)]
        for (e, m), group in rated.groupby(["mentee_id", "mentor_id"], sort=True):
            if (e, m) in asked:
                continue
            lowest = {r: float(group.loc[group["respondent"] == r, "compatibility"].min()) for r in _ROLES
                      if (group["respondent"] == r).any()}
            by = [r for r in _ROLES if lowest.get(r, math.inf) <= low]
            if by:
                note = ", ".join(f"the {r} rated {lowest[r]:g}" for r in _ROLES if r in lowest)
                rows.append((e, m, lowest.get("mentee", np.nan), lowest.get("mentor", np.nan),
                             "both" if len(by) == 2 else by[0], f"{note} (at or below {low:g}); no change asked"))
    return pd.DataFrame(rows, columns=list(_FLAG_COLUMNS)).astype({"mentee_id": object, "mentor_id": object})


def _outcomes(answers: pd.DataFrame, flagged: pd.DataFrame, low: float | None) -> pd.Series:
    low_pairs = set(zip(flagged["mentee_id"], flagged["mentor_id"]))
    out = []
    for e, m, score, yes in zip(answers["mentee_id"], answers["mentor_id"], answers["compatibility"],
                                answers["change"]):
        if yes is True:
            out.append("request")
        elif (e, m) in low_pairs and not pd.isna(score) and score <= low:
            out.append("low rating")
        else:
            out.append("no change" if yes is False else "unanswered")
    return pd.Series(out, index=answers.index, dtype=object)


def _unanswered(current: set, answers: pd.DataFrame) -> pd.DataFrame:
    said = answers[answers["change"].map(lambda v: v is not None).astype(bool)]
    done = set(zip(said["mentee_id"], said["mentor_id"], said["respondent"]))
    rows = []
    for e, m in sorted(p for p in current if None not in p):
        missing = [r for r in _ROLES if (e, m, r) not in done]
        if missing:
            rows.append((e, m, "both" if len(missing) == 2 else missing[0]))
    return pd.DataFrame(rows, columns=["mentee_id", "mentor_id", "missing"], dtype=object)


def read_survey(survey, current_pairs, *, low_rating=None, columns=None) -> Survey:
    """Read the three-month survey into the requests of :func:`matching.rematch`.

    Parameters
    ----------
    survey : pandas.DataFrame or path
        One row per answer: ``mentee_id, mentor_id`` (the pair), ``respondent``
        (``mentee`` or ``mentor``), ``compatibility`` (a number, optional) and ``change``
        (yes / no: does the respondent wish to change partner; empty: unanswered, not a
        request). Headers are matched loosely and :data:`SURVEY_ALIASES` are accepted
        (``"Wishes to change"``, ``"wants change"``, ``"rating"``, ``"role"``, ...).
    current_pairs : MatchResult, RematchResult, pandas.DataFrame or path
        The pairs before the checkpoint (``mentee_id, mentor_id``).
    low_rating : float, optional
        Pairs that did not ask but that a side rated at or below it are listed in
        ``Survey.flagged``; the survey must then have a ``compatibility`` column.
    columns : mapping of str to str, optional
        The form's own headers (its question text) -> survey columns, compared loosely,
        e.g. ``{"Would you like to change your mentor/mentee?": "change"}``.

    Returns
    -------
    Survey

    Raises
    ------
    InputError
        One error listing every answer that names a pair that is not current, a
        respondent that is neither side, a change answer that is not yes/no, a rating
        that is not a number, or a side answering twice with different answers.
    SettingsError
        ``low_rating`` is not a number.

    Examples
    --------
    >>> import pandas as pd, matching
    >>> current = pd.DataFrame({"mentee_id": ["E1", "E2"], "mentor_id": ["M1", "M2"]})
    >>> answers = pd.DataFrame({"Mentee ID": ["E1", "E1", "E2"], "Mentor ID": ["M1", "M1", "M2"],
    ...                         "Role": ["mentee", "mentor", "mentor"], "Rating": [2, 4, 1],
    ...                         "Wishes to change": ["yes", "no", "no"]})
    >>> s = matching.read_survey(answers, current, low_rating=2)
    >>> s.requests.to_dict("records")
    [{'mentee_id': 'E1', 'mentor_id': 'M1', 'requested_by': 'mentee'}]
    >>> s.flagged[["mentee_id", "rated_low_by", "note"]].to_dict("records")
    [{'mentee_id': 'E2', 'rated_low_by': 'mentor', 'note': 'the mentor rated 1 (at or below 2); no change asked'}]
    """
    low = _check_low_rating(low_rating)
    problems = col.Problems()
    if survey is None:
        raise InputError([{"file": "survey", "problem": "survey is required (a DataFrame or a CSV / Excel path)"}])
    table = _renamed(as_table(survey, "survey"), columns, problems)
    current = _current(current_pairs, problems)
    required = ("mentee_id", "mentor_id", "respondent", "change") + (("compatibility",) if low is not None else ())
    frame = frame_of(table, required, problems, SURVEY_ALIASES)
    if frame is None or problems:
        raise InputError(problems.cases)
    answers = _parse(table, frame, current, problems)
    _check_repeats(table, answers, problems)
    if problems:
        raise InputError(problems.cases)
    requests = _requests(answers)
    flagged = _flagged(answers, set(zip(requests["mentee_id"], requests["mentor_id"])), low)
    answers["outcome"] = _outcomes(answers, flagged, low)
    return Survey(requests=requests, flagged=flagged, answers=answers, unanswered=_unanswered(current, answers),
                  low_rating=low)
