"""Validation at the door: raw tables in, a :class:`~matching.cohort.model.Cohort` out.

Every problem in every table is collected first, then raised together as one
:class:`~matching.errors.InputError`. Nothing past this module reads a raw frame.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..files import columns as col
from ..files import ids as idrules
from ..errors import InputError, MatchingWarning
from ..files.template import EXAMPLE_NAMES
from ..files.tables import Table, as_table
from . import values as val
from .model import Cohort, PairTable, People, _index_of
from .pairs import parse_extra, parse_pairs, parse_relatedness, resolve_preferences
from .settings import Settings

__all__ = ["load_cohort", "cohort_hash", "table_or_problem", "REQUIRED", "MAX_LEVEL", "MAX_CAPACITY"]

log = logging.getLogger("matching")

REQUIRED = ("id", "level", "area", "kbu")
MENTEE_COLUMNS = REQUIRED + ("gender", "race", "years_experience", "preferences", "competencies",
                             "eligible", "priority")
MENTOR_COLUMNS = REQUIRED + ("gender", "race", "years_experience", "capacity", "competencies", "preferences")
ALIASES = {
    "employee_id": "id", "person_id": "id", "mentee_id": "id", "mentor_id": "id",
    "grade": "level", "work_area": "area", "department": "area",
    "key_business_unit": "kbu", "business_unit": "kbu",
    "years": "years_experience", "experience": "years_experience", "years_of_experience": "years_experience",
    "sex": "gender", "ethnicity": "race",
    "goals": "competencies", "development_goals": "competencies", "strengths": "competencies",
    "ranked_mentors": "preferences", "preferred_mentors": "preferences",
    "ranked_mentees": "preferences", "preferred_mentees": "preferences",
    "max_mentees": "capacity",
    "full_name": "name",
}
MAX_LEVEL = 1000
MAX_CAPACITY = 10_000
MAX_YEARS = 100
MAX_PRIORITY = 1000


@dataclass
class _Side:
    """Parsed, not yet sorted, columns of one side (lists exploded: ``pos, item, rank``)."""

    table: Table
    ids: np.ndarray
    level: np.ndarray
    area: np.ndarray
    kbu: np.ndarray
    years: np.ndarray
    gender: np.ndarray
    race: np.ndarray
    goals: pd.DataFrame
    eligible: np.ndarray
    priority: np.ndarray
    capacity: np.ndarray
    preferences: pd.DataFrame
    extra: dict


def _private(table, frame, ids, column, problems, non_answers) -> np.ndarray:
    """Gender or race: non-answers ("Prefer not to say", ...) read as missing."""
    values = col.parse_text(table, frame, ids, column, problems, required=False)
    values[val.non_answer_mask(values, non_answers)] = None
    return values


def _parse_side(table: Table, role: str, problems: col.Problems, settings: Settings) -> _Side | None:
    mentor = role == "mentor"
    known = MENTOR_COLUMNS if mentor else MENTEE_COLUMNS
    frame = col.normalized_frame(table, problems, ALIASES, known=known)
    if frame is None or not col.check_required(table, frame, REQUIRED, problems, known=known):
        return None
    before = len(problems.cases)
    ids = col.parse_ids(table, frame, problems)
    _repeats(frame, problems.cases[before:])
    col.check_controls(table, frame, "preferences", ids, problems)
    n = len(frame)
    seps = settings.list_separators
    num = lambda name, **kw: col.parse_number(table, frame, ids, name, problems, **kw)  # noqa: E731
    side = _Side(
        table=table, ids=ids,
        level=num("level", integer=True, lo=0, hi=MAX_LEVEL),
        area=col.parse_text(table, frame, ids, "area", problems, required=True),
        kbu=col.parse_text(table, frame, ids, "kbu", problems, required=True),
        years=num("years_experience", integer=False, lo=0, hi=MAX_YEARS, default=np.nan),
        gender=_private(table, frame, ids, "gender", problems, settings.non_answers),
        race=_private(table, frame, ids, "race", problems, settings.non_answers),
        goals=_goals(table, frame, ids, problems, seps),
        eligible=(np.ones(n, bool) if mentor else
                  col.parse_bool(table, frame, ids, "eligible", problems, default=True)),
        priority=(np.zeros(n) if mentor else
                  num("priority", integer=False, lo=0.01, hi=MAX_PRIORITY, default=1.0)),
        capacity=(num("capacity", integer=True, lo=0, hi=MAX_CAPACITY, default=1) if mentor
                  else np.zeros(n)),
        preferences=col.parse_list(frame, "preferences", seps),
        extra={c: frame[c].to_numpy(dtype=object) for c in frame.columns if c not in known},
    )
    if n == 0:
        log.warning("the %s table has no rows: every %s is left unpaired", f"{role}s",
                    "mentor" if not mentor else "mentee")
    _template_examples(side, role)
    return side


def _template_examples(side: _Side, role: str) -> None:
    """Warn when an example row of :func:`matching.write_template` was left in a filled template."""
    if "name" not in side.extra or not len(side.ids):
        return
    names = pd.Series(side.extra["name"], dtype=object)
    left = [str(i) for i, name in zip(side.ids, names) if isinstance(name, str) and name.strip() in EXAMPLE_NAMES]
    if left:
        warnings.warn(MatchingWarning(
            f"the {role}s table still holds the template's example row{'s' if len(left) > 1 else ''} "
            f"(id {', '.join(left)}); delete {'them' if len(left) > 1 else 'it'} unless meant"), stacklevel=6)


def _goals(table: Table, frame, ids, problems: col.Problems, separators) -> pd.DataFrame:
    """The competency lists; a name over :data:`~matching.files.ids.MAX_NAME_LENGTH` is a problem."""
    goals = col.parse_list(frame, "competencies", separators)
    items = goals["item"].to_numpy(dtype=object)
    bad = [k for k, _ in idrules.bad_text(items, idrules.MAX_NAME_LENGTH, control=False)]
    for k in bad:
        pos = int(goals["pos"].iloc[k])
        problems.add(table, f"a competency has {len(items[k]):,} characters, more than the limit of "
                            f"{idrules.MAX_NAME_LENGTH:,}", column="competencies", position=pos, id=ids[pos])
    return goals.drop(goals.index[bad]) if bad else goals


def _ints(values: np.ndarray) -> np.ndarray:
    """Float array -> int64 (bad cells were NaN and are already reported)."""
    return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0).astype(np.int64)


def _people(side: _Side, role: str, vocab: dict) -> tuple[People, np.ndarray]:
    """Sort a parsed side by id and encode it; returns the People and the sort order."""
    # Exact text in an object array: a fixed-width numpy string array would drop trailing
    # NULs (merging two people) and take rows x longest id of memory.
    ids = np.array([v if v is not None else "" for v in side.ids] + [None], dtype=object)[:-1]
    order = np.argsort(ids, kind="stable")
    comp = np.zeros((len(ids), len(vocab["competencies"])), dtype=bool)
    if len(side.goals):
        keys = pd.Series(val.keys(side.goals["item"].to_numpy(dtype=object)), dtype=object)
        comp[side.goals["pos"].to_numpy(), keys.map(vocab["competencies"]).to_numpy(dtype=np.int64)] = True
    code = lambda attr, kind: col.codes(val.keys(getattr(side, attr)), vocab[kind])[order]  # noqa: E731
    people = People(
        role=role, ids=ids[order], level=_ints(side.level[order]),
        area=code("area", "areas"), kbu=code("kbu", "kbus"),
        years=side.years[order].astype(float), competencies=comp[order],
        eligible=side.eligible[order], priority=side.priority[order].astype(float),
        capacity=_ints(side.capacity[order]),
        gender=code("gender", "gender"), race=code("race", "race"),
        extra={k: v[order] for k, v in side.extra.items()}, source=side.table.source,
        rows=side.table.row_labels()[order],
    )
    return people, order


_KINDS = (("areas", "area", "area"), ("kbus", "kbu", "KBU"), ("gender", "gender", "gender"),
          ("race", "race", "race"))


def _vocabularies(sides) -> dict:
    """Vocabularies keyed by canonical value (codes in sorted order of the display spellings, so
    codes and the input hash do not depend on row order); each merge of spellings is a warning."""
    vocab = {}
    for kind, attr, what in _KINDS:
        spelling = val.unify([getattr(s, attr) for s in sides])
        val.warn_variants(spelling, what, attr, stacklevel=5)
        vocab[kind], vocab[kind + "_names"] = spelling.codes(), spelling.names()
    goals = [s.goals["item"].to_numpy(dtype=object) for s in sides]
    spelling = val.unify(goals)
    val.warn_variants(spelling, "competency", "competencies", stacklevel=5)
    vocab["competencies"], vocab["competency_names"] = spelling.codes(), spelling.names()
    if len(sides) == 2:
        val.warn_unmatched_competencies(goals[0], goals[1], spelling, stacklevel=5)
    return vocab


def _repeats(frame, cases: list) -> None:
    """Repeated ids (each a problem already): say how to keep each person's latest form answer."""
    stamp = next((c for c in frame.columns if "time" in c or "date" in c), "Timestamp")
    hint = (f" (a form submitted twice? read_table(path, keep_latest='{stamp}') keeps each person's latest "
            f"row; command line: --keep-latest '{stamp}')")
    for case in cases:
        if case["problem"].startswith("duplicate id"):
            case["problem"] += hint


def table_or_problem(data, role: str, problems: col.Problems) -> Table | None:
    """``as_table``, with a file that cannot be read recorded as a problem (None: no table)."""
    if data is None:
        return None
    try:
        return as_table(data, role)
    except InputError as err:
        problems.cases.extend(err.failure_cases.astype(object).where(err.failure_cases.notna(), None)
                              .to_dict("records"))
        return None


def load_cohort(mentees, mentors, *, relatedness=None, exclusions=None, pins=None,
                extra_criteria=None, settings=None) -> Cohort:
    """Validate every input table and build the cohort model.

    An empty side (a table with headers but no rows) is valid: nobody is paired and
    everyone on the other side is listed with a reason.

    Parameters
    ----------
    mentees, mentors : pandas.DataFrame or path
    relatedness, exclusions, pins : pandas.DataFrame or path, optional
    extra_criteria : mapping of str to callable or DataFrame, optional
    settings : Settings, optional
        Reads ``non_answers`` and ``list_separators`` (defaults when None).

    Returns
    -------
    Cohort

    Raises
    ------
    InputError
        With every problem found in any table.
    """
    settings = Settings.coerce(settings)
    problems = col.Problems()
    tables = {role: table_or_problem(data, role + "s", problems)
              for role, data in (("mentee", mentees), ("mentor", mentors))}
    for role, data in (("mentees", mentees), ("mentors", mentors)):
        if data is None:
            problems.add(None, f"the {role} table is required (a DataFrame or a CSV / Excel path); got None",
                         column=role)
    others = {role: table_or_problem(data, role, problems) for role, data in
              (("relatedness", relatedness), ("exclusions", exclusions), ("pins", pins))}
    sides = {role: _parse_side(t, role, problems, settings) if t is not None else None for role, t in tables.items()}
    if any(s is None for s in sides.values()):
        raise InputError(problems.cases)
    vocab = _vocabularies(list(sides.values()))
    mentee_people, mentee_order = _people(sides["mentee"], "mentee", vocab)
    mentor_people, mentor_order = _people(sides["mentor"], "mentor", vocab)
    if not problems:
        idrules.warn_across(mentee_people.ids.tolist(), mentor_people.ids.tolist())
    prefs = resolve_preferences(sides["mentee"], mentee_order, mentee_people, mentor_people, problems)
    mentor_prefs = _mentor_preferences(sides["mentor"], mentor_order, mentee_people, mentor_people, problems)
    areas = vocab["areas"] if len(mentee_people) and len(mentor_people) else None
    rel = parse_relatedness(others["relatedness"], vocab["areas"], problems, check_known=areas is not None,
                            names=vocab["areas_names"])
    excl = parse_pairs(others["exclusions"], mentee_people, mentor_people, problems)
    pin = parse_pairs(others["pins"], mentee_people, mentor_people, problems, unique_mentee=True)
    tables_x, functions_x = parse_extra(extra_criteria, mentee_people, mentor_people, problems)
    _pinned_and_excluded(pin, excl, mentee_people, mentor_people, others["pins"], problems)
    if problems:
        raise InputError(problems.cases)
    n = len(mentee_people)
    cohort = Cohort(
        mentees=mentee_people, mentors=mentor_people,
        areas=vocab["areas_names"], kbus=vocab["kbus_names"], competencies=vocab["competency_names"],
        relatedness=rel, preferences=prefs,
        exclusions=excl if excl is not None else PairTable.empty(n, object),
        pins=pin if pin is not None else PairTable.empty(n, object),
        extra_tables=tables_x, extra_functions=functions_x,
        self_mentor=_index_of(mentor_people.ids, mentee_people.ids),
        labels={"gender": vocab["gender_names"], "race": vocab["race_names"]},
        mentor_preferences=mentor_prefs,
    )
    object.__setattr__(cohort, "input_hash", cohort_hash(cohort))
    return cohort


def _mentor_preferences(side: _Side, order, mentees: People, mentors: People, problems) -> PairTable:
    """The mentors' own rankings (mentee ids), validated like the mentees' and turned so
    that rows are mentees: ``value`` is the rank the mentor gave the mentee."""
    by_mentor = resolve_preferences(side, order, mentors, mentees, problems)
    return PairTable.build(by_mentor.j, by_mentor.i, by_mentor.value, len(mentees))


def _pinned_and_excluded(pin, excl, mentees: People, mentors: People, table, problems) -> None:
    if pin is None or excl is None or not len(pin) or not len(excl):
        return
    both = excl.contains(pin.i, pin.j)
    for i, j in zip(pin.i[both], pin.j[both]):
        problems.add(table, f"pair ({mentees.ids[i]}, {mentors.ids[j]}) is both pinned and excluded",
                     column="mentee_id", id=str(mentees.ids[i]))


def cohort_hash(c: Cohort) -> str:
    """SHA-256 of the validated content in canonical (id) order: equal for the same data in
    any row order, different when anything a rule or criterion reads differs."""
    h = hashlib.sha256()
    for p in (c.mentees, c.mentors):
        for arr in (p.level, p.area, p.kbu, p.years, p.competencies, p.eligible, p.priority,
                    p.capacity, p.gender, p.race):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update("\x1f".join(p.ids.tolist()).encode())
        for name in sorted(p.extra):  # columns user criteria may read
            h.update(f"\x1e{name}\x1f{[str(v) for v in p.extra[name]]!r}".encode())
    for names in (c.areas, c.kbus, c.competencies):
        h.update("\x1f".join(names).encode())
    h.update(np.nan_to_num(c.relatedness, nan=-1).tobytes())
    for t in (c.preferences, c.exclusions, c.pins, *c.extra_tables.values()):
        h.update(t.i.tobytes() + t.j.tobytes() + repr(t.value.tolist()).encode())
    h.update(repr(sorted(c.extra_functions)).encode())
    if len(c.mentor_preferences):  # only when given, so hashes of cohorts without them are unchanged
        t = c.mentor_preferences
        h.update(b"\x1dmentor_preferences" + t.i.tobytes() + t.j.tobytes() + t.value.astype(np.int64).tobytes())
    return h.hexdigest()
