"""Validation at the door: raw tables in, a :class:`~matching.model.Cohort` out.

Every problem in every table is collected first, then raised together as one
:class:`~matching.errors.InputError`. Nothing past this module reads a raw frame.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from . import columns as col
from .errors import InputError
from .io import Table, as_table
from .model import Cohort, People
from .pairs import parse_extra, parse_pairs, parse_relatedness, resolve_preferences

__all__ = ["load_cohort", "REQUIRED", "MAX_LEVEL", "MAX_CAPACITY"]

REQUIRED = ("id", "level", "area", "kbu")
MENTEE_COLUMNS = REQUIRED + ("gender", "race", "years_experience", "preferences", "competencies",
                             "eligible", "priority")
MENTOR_COLUMNS = REQUIRED + ("gender", "race", "years_experience", "capacity", "competencies")
ALIASES = {
    "employee_id": "id", "person_id": "id", "mentee_id": "id", "mentor_id": "id",
    "grade": "level", "work_area": "area", "department": "area",
    "key_business_unit": "kbu", "business_unit": "kbu",
    "years": "years_experience", "experience": "years_experience", "years_of_experience": "years_experience",
    "sex": "gender", "ethnicity": "race",
    "goals": "competencies", "development_goals": "competencies", "strengths": "competencies",
    "ranked_mentors": "preferences", "preferred_mentors": "preferences",
    "max_mentees": "capacity",
}
MAX_LEVEL = 1000
MAX_CAPACITY = 10_000
MAX_YEARS = 100
MAX_PRIORITY = 1000


@dataclass
class _Side:
    """Parsed, not yet sorted, columns of one side."""

    table: Table
    ids: np.ndarray
    level: np.ndarray
    area: np.ndarray
    kbu: np.ndarray
    years: np.ndarray
    gender: np.ndarray
    race: np.ndarray
    goals: list
    eligible: np.ndarray
    priority: np.ndarray
    capacity: np.ndarray
    preferences: list
    extra: dict


def _parse_side(table: Table, role: str, problems: col.Problems) -> _Side | None:
    frame = col.normalized_frame(table, problems, ALIASES)
    if frame is None or not col.check_required(table, frame, REQUIRED, problems):
        return None
    ids = col.parse_ids(table, frame, problems)
    n = len(frame)
    mentor = role == "mentor"
    num = lambda name, **kw: col.parse_number(table, frame, ids, name, problems, **kw)  # noqa: E731
    side = _Side(
        table=table, ids=ids,
        level=num("level", integer=True, lo=0, hi=MAX_LEVEL),
        area=col.parse_text(table, frame, ids, "area", problems, required=True),
        kbu=col.parse_text(table, frame, ids, "kbu", problems, required=True),
        years=num("years_experience", integer=False, lo=0, hi=MAX_YEARS, default=np.nan),
        gender=col.parse_text(table, frame, ids, "gender", problems, required=False),
        race=col.parse_text(table, frame, ids, "race", problems, required=False),
        goals=col.parse_list(frame, "competencies"),
        eligible=(np.ones(n, bool) if mentor else
                  col.parse_bool(table, frame, ids, "eligible", problems, default=True)),
        priority=(np.zeros(n) if mentor else
                  num("priority", integer=False, lo=0.01, hi=MAX_PRIORITY, default=1.0)),
        capacity=(num("capacity", integer=True, lo=0, hi=MAX_CAPACITY, default=1) if mentor
                  else np.zeros(n)),
        preferences=[] if mentor else col.parse_list(frame, "preferences"),
        extra={},
    )
    known = set(MENTOR_COLUMNS if mentor else MENTEE_COLUMNS)
    side.extra = {c: frame[c].to_numpy(dtype=object) for c in frame.columns if c not in known}
    return side


def _people(side: _Side, role: str, vocab: dict) -> tuple[People, np.ndarray]:
    """Sort a parsed side by id and encode it; returns the People and the sort order."""
    ids = side.ids.astype(str)
    order = np.argsort(ids, kind="stable")
    comp = np.zeros((len(ids), 0), dtype=bool)
    if vocab["competencies"]:
        comp = np.zeros((len(ids), len(vocab["competencies"])), dtype=bool)
        for pos, goals in enumerate(side.goals):
            comp[pos, [vocab["competencies"][g.casefold()] for g in goals]] = True
    rows = np.array([side.table.row_label(p) for p in range(len(ids))], dtype=object)
    people = People(
        role=role, ids=ids[order], level=side.level[order].astype(np.int64),
        area=col.codes(side.area, vocab["areas"])[order], kbu=col.codes(side.kbu, vocab["kbus"])[order],
        years=side.years[order].astype(float), competencies=comp[order],
        eligible=side.eligible[order], priority=side.priority[order].astype(float),
        capacity=side.capacity[order].astype(np.int64),
        gender=col.codes(side.gender, vocab["gender"])[order], race=col.codes(side.race, vocab["race"])[order],
        extra={k: v[order] for k, v in side.extra.items()}, source=side.table.source, rows=rows[order],
    )
    return people, order


def _vocabularies(sides) -> dict:
    vocab = {"areas": {}, "kbus": {}, "gender": {}, "race": {}, "competencies": {}}
    for key, attr in (("areas", "area"), ("kbus", "kbu")):
        names = sorted({v for s in sides for v in getattr(s, attr) if v is not None})
        vocab[key] = {name: k for k, name in enumerate(names)}
    display = {}
    for s in sides:
        for goals in s.goals:
            for g in goals:
                display.setdefault(g.casefold(), g)
    vocab["competencies"] = {key: k for k, key in enumerate(sorted(display))}
    vocab["competency_names"] = tuple(display[k] for k in sorted(display))
    return vocab


def load_cohort(mentees, mentors, *, relatedness=None, exclusions=None, pins=None,
                extra_criteria=None) -> Cohort:
    """Validate every input table and build the cohort model.

    Parameters
    ----------
    mentees, mentors : pandas.DataFrame or path
    relatedness, exclusions, pins : pandas.DataFrame or path, optional
    extra_criteria : mapping of str to callable or DataFrame, optional

    Returns
    -------
    Cohort

    Raises
    ------
    InputError
        With every problem found in any table.
    """
    problems = col.Problems()
    tables = {role: as_table(data, role) for role, data in
              (("mentees", mentees), ("mentors", mentors))}
    sides = {role[:-1]: _parse_side(t, role[:-1], problems) for role, t in tables.items()}
    if problems or any(s is None for s in sides.values()):
        raise InputError(problems.cases)
    vocab = _vocabularies(list(sides.values()))
    mentee_people, mentee_order = _people(sides["mentee"], "mentee", vocab)
    mentor_people, _ = _people(sides["mentor"], "mentor", vocab)
    prefs = resolve_preferences(sides["mentee"], mentee_order, mentee_people, mentor_people, problems)
    rel = parse_relatedness(as_table(relatedness, "relatedness"), vocab["areas"], problems)
    excl = parse_pairs(as_table(exclusions, "exclusions"), mentee_people, mentor_people, problems)
    pin = parse_pairs(as_table(pins, "pins"), mentee_people, mentor_people, problems, unique_mentee=True)
    tables_x, functions_x = parse_extra(extra_criteria, mentee_people, mentor_people, problems)
    if pin is not None and excl is not None and len(pin) and len(excl):
        both = excl.contains(pin.i, pin.j)
        for i, j in zip(pin.i[both], pin.j[both]):
            problems.add(None, f"pair ({mentee_people.ids[i]}, {mentor_people.ids[j]}) is both pinned and excluded",
                         column="pins", id=str(mentee_people.ids[i]))
    if problems:
        raise InputError(problems.cases)
    from .model import PairTable

    n = len(mentee_people)
    cohort = Cohort(
        mentees=mentee_people, mentors=mentor_people,
        areas=tuple(vocab["areas"]), kbus=tuple(vocab["kbus"]), competencies=vocab["competency_names"],
        relatedness=rel, preferences=prefs,
        exclusions=excl if excl is not None else PairTable.empty(n, object),
        pins=pin if pin is not None else PairTable.empty(n, object),
        extra_tables=tables_x, extra_functions=functions_x,
        self_mentor=mentor_people_index(mentor_people, mentee_people.ids),
    )
    object.__setattr__(cohort, "input_hash", _hash(cohort))
    return cohort


def mentor_people_index(mentors: People, ids) -> np.ndarray:
    from .model import _index_of

    return _index_of(mentors.ids, ids)


def _hash(c: Cohort) -> str:
    h = hashlib.sha256()
    for p in (c.mentees, c.mentors):
        for arr in (p.level, p.area, p.kbu, p.years, p.competencies, p.eligible, p.priority,
                    p.capacity, p.gender, p.race):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update("\x1f".join(p.ids.tolist()).encode())
    for names in (c.areas, c.kbus, c.competencies):
        h.update("\x1f".join(names).encode())
    h.update(np.nan_to_num(c.relatedness, nan=-1).tobytes())
    for t in (c.preferences, c.exclusions, c.pins, *c.extra_tables.values()):
        h.update(t.i.tobytes() + t.j.tobytes() + repr(t.value.tolist()).encode())
    h.update(repr(sorted(c.extra_functions)).encode())
    return h.hexdigest()
