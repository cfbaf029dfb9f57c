"""Hypothesis strategies that build VALID cohorts as raw pandas DataFrames.

Import them in any test::

    from strategies import cohorts, valid_pins, shuffled, allowed_pairs

(``tests/`` is on ``sys.path`` under pytest's default rootdir-based import mode;
``conftest.py`` lives there too.)

What :func:`cohorts` draws
--------------------------
``cohorts(min_mentees=0, max_mentees=8, min_mentors=0, max_mentors=6, *, with_pins=False, ...)``
gives a dict ``{"mentees", "mentors", "relatedness", "exclusions", "pins"}`` ready for
``matching.match(data["mentees"], data["mentors"], relatedness=..., exclusions=..., pins=...)``
(or simply ``matching.match(**data)``):

* ids are distinct text ids in arbitrary row order (``"E07"``, ``"m-3"``, ``"0042"``...);
  sometimes a person is in BOTH tables (same id, same level / area / kbu);
* ``level`` 1..6, 2-4 KBUs, 3-6 areas (each area belongs to one KBU);
* optional ``gender`` / ``race`` columns with missing values, optional
  ``years_experience`` (sometimes missing per person);
* mentees: ``preferences`` (distinct known mentor ids, never themself, as a list or a
  ``;`` string, possibly empty), ``competencies`` (list or ``;`` string), ``eligible``
  (mostly true), ``priority`` in {1, 1.5, 2};
* mentors: ``capacity`` 0..3, ``competencies``;
* ``relatedness``: ``None`` or a table ``area_a, area_b, relatedness`` over distinct
  areas that occur (each unordered pair at most once, values in [0, 1]);
* ``exclusions``: ``None`` or a (possibly empty) table ``mentee_id, mentor_id``;
* ``pins``: ``None``, or (``with_pins=True``) a table drawn by :func:`valid_pins`.

Every cohort drawn is valid input: ``matching.match`` must never raise ``InputError``
on it (with default settings; pins are valid for the settings they were drawn for).

Helpers (independent of ``matching.scoring.rules``, computed from the raw frames only):

* :func:`allowed_pairs` -- the set of ``(mentee_id, mentor_id)`` allowed by every hard
  rule under given settings (eligibility, self, level gap, experience, area, KBU,
  exclusions, capacity > 0). Use it as an oracle.
* :func:`valid_pins` -- strategy of pins that satisfy every hard rule and capacity
  (possibly ``None`` or empty).
* :func:`shuffled` -- rows (and optionally columns) permuted, deterministically by seed.
* :func:`records` -- ``{id: dict}`` of a raw people frame, plain Python values.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import strategies as st

__all__ = ["cohorts", "valid_pins", "allowed_pairs", "shuffled", "records", "parse_list",
           "COMPETENCY_NAMES", "settings_dicts"]

COMPETENCY_NAMES = ("Thinks Strategically", "Builds Trust", "Manages Change", "Develops Others",
                    "Drives Results", "Communicates Effectively")
_ID_STYLES = ("E{:02d}", "m-{}", "{:04d}", "Person {}", "x{}")


def parse_list(value) -> list[str]:
    """A list cell (list or ``;`` string or missing) as a list of stripped strings."""
    if isinstance(value, (list, tuple, np.ndarray)):
        items = [str(v).strip() for v in value]
    elif value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        items = []
    else:
        items = [v.strip() for v in str(value).split(";")]
    return [v for v in items if v]


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def records(frame: pd.DataFrame) -> dict[str, dict]:
    """``{id: {column: plain value}}`` of a raw people frame (missing -> None)."""
    out = {}
    for row in frame.to_dict("records"):
        out[str(row["id"])] = {k: (None if not isinstance(v, (list, tuple)) and _missing(v) else v)
                               for k, v in row.items()}
    return out


@st.composite
def _ids(draw, n: int, taken: set) -> list[str]:
    style = draw(st.sampled_from(_ID_STYLES))
    numbers = draw(st.lists(st.integers(0, 999), min_size=n, max_size=n, unique=True))
    out = []
    for k in numbers:
        ident = style.format(k)
        while ident in taken:
            ident = ident + "b"
        taken.add(ident)
        out.append(ident)
    return out


def _as_list_cell(draw, items: list[str]):
    """A list cell as a Python list, a ';' string, or (when empty) sometimes missing."""
    form = draw(st.sampled_from(["list", "str"]))
    if not items:
        return draw(st.sampled_from([[], "", None])) if form == "list" else draw(st.sampled_from(["", None]))
    return list(items) if form == "list" else ";".join(items)


@st.composite
def _person(draw, areas, area_kbu, level_range):
    area = draw(st.sampled_from(areas))
    return {"level": draw(st.integers(*level_range)), "area": area, "kbu": area_kbu[area],
            "gender": draw(st.sampled_from(["F", "M", "X", None])),
            "race": draw(st.sampled_from(["A", "B", "C", None])),
            "years_experience": draw(st.one_of(st.none(), st.integers(0, 30)))}


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    data = {c: [r[c] for r in rows] for c in columns}
    frame = pd.DataFrame(data, columns=columns)
    for c in ("preferences", "competencies"):
        if c in frame.columns:  # keep Python lists as lists
            frame[c] = pd.Series([r[c] for r in rows], dtype=object)
    return frame


@st.composite
def cohorts(draw, min_mentees: int = 0, max_mentees: int = 8, min_mentors: int = 0, max_mentors: int = 6,
            *, with_pins: bool = False, both: bool = True, with_exclusions: bool = True,
            with_relatedness: bool = True, optional_columns: bool = True, max_capacity: int = 3):
    """Draw a valid cohort: dict(mentees, mentors, relatedness, exclusions, pins)."""
    n_kbu = draw(st.integers(2, 4))
    kbus = [f"KBU {k}" for k in range(n_kbu)]
    n_area = draw(st.integers(3, 6))
    areas = [f"Area {chr(65 + k)}" for k in range(n_area)]
    area_kbu = {a: kbus[k % n_kbu] if k < n_kbu else draw(st.sampled_from(kbus)) for k, a in enumerate(areas)}
    n_e = draw(st.integers(min_mentees, max_mentees))
    n_m = draw(st.integers(min_mentors, max_mentors))
    taken: set = set()
    e_ids = draw(_ids(n_e, taken))
    m_ids = draw(_ids(n_m, taken))
    mentees = [dict(id=i, **draw(_person(areas, area_kbu, (1, 6)))) for i in e_ids]
    mentors = [dict(id=i, **draw(_person(areas, area_kbu, (1, 6)))) for i in m_ids]
    if both and n_e and n_m and draw(st.booleans()):
        # some mentees also mentor: the mentor row takes the mentee's id and attributes
        shared = draw(st.lists(st.integers(0, n_e - 1), min_size=1, max_size=min(2, n_e, n_m), unique=True))
        slots = draw(st.lists(st.integers(0, n_m - 1), min_size=len(shared), max_size=len(shared), unique=True))
        for e_pos, m_pos in zip(shared, slots):
            mentors[m_pos] = {**mentees[e_pos]}
    mentor_ids = [m["id"] for m in mentors]
    comp = st.lists(st.sampled_from(COMPETENCY_NAMES), max_size=3, unique=True)
    for e in mentees:
        options = [m for m in mentor_ids if m != e["id"]]
        prefs = draw(st.lists(st.sampled_from(options), max_size=min(4, len(options)), unique=True)) if options else []
        e["preferences"] = _as_list_cell(draw, prefs)
        e["competencies"] = _as_list_cell(draw, draw(comp))
        e["eligible"] = draw(st.sampled_from([True] * 5 + [False]))
        e["priority"] = draw(st.sampled_from([1, 1, 1, 1.5, 2]))
    for m in mentors:
        m["capacity"] = draw(st.integers(0, max_capacity))
        m["competencies"] = _as_list_cell(draw, draw(comp))
    base = ["id", "level", "area", "kbu"]
    optional = ["gender", "race", "years_experience"]
    if optional_columns:
        optional = [c for c in optional if draw(st.booleans())]
    e_cols = base + optional + ["preferences", "competencies", "eligible", "priority"]
    m_cols = base + optional + ["capacity", "competencies"]
    out = {"mentees": _frame(draw(st.permutations(mentees)), e_cols),
           "mentors": _frame(draw(st.permutations(mentors)), m_cols),
           "relatedness": None, "exclusions": None, "pins": None}
    present = sorted({p["area"] for p in mentees + mentors})
    if with_relatedness and len(present) >= 2 and draw(st.booleans()):
        combos = [(a, b) for k, a in enumerate(present) for b in present[k + 1:]]
        chosen = draw(st.lists(st.sampled_from(combos), min_size=1, max_size=len(combos), unique=True))
        values = draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.5, 0.75, 0.9, 1.0]),
                               min_size=len(chosen), max_size=len(chosen)))
        rows = [(b, a) if draw(st.booleans()) else (a, b) for a, b in chosen]
        out["relatedness"] = pd.DataFrame({"area_a": [r[0] for r in rows], "area_b": [r[1] for r in rows],
                                           "relatedness": values})
    if with_exclusions and n_e and n_m and draw(st.booleans()):
        pairs = [(e, m) for e in e_ids for m in mentor_ids]
        chosen = draw(st.lists(st.sampled_from(pairs), max_size=min(6, len(pairs)), unique=True))
        out["exclusions"] = pd.DataFrame({"mentee_id": [p[0] for p in chosen], "mentor_id": [p[1] for p in chosen]},
                                         columns=["mentee_id", "mentor_id"])
    if with_pins:
        out["pins"] = draw(valid_pins(out))
    return out


def allowed_pairs(data: dict, settings=None) -> set[tuple[str, str]]:
    """Every (mentee_id, mentor_id) allowed by the hard rules, from the raw frames only.

    ``settings`` is a ``matching.Settings`` (or None for the defaults); only its
    hard-rule fields are read. Independent of ``matching.scoring.rules``.
    """
    min_gap = getattr(settings, "min_level_gap", 1)
    max_gap = getattr(settings, "max_level_gap", None)
    more_exp = getattr(settings, "require_more_experience", True)
    same_area = getattr(settings, "allow_same_area", False)
    cross_kbu = getattr(settings, "require_cross_kbu", False)
    excluded = set()
    if data.get("exclusions") is not None:
        excluded = set(zip(data["exclusions"]["mentee_id"].astype(str), data["exclusions"]["mentor_id"].astype(str)))
    out = set()
    for eid, e in records(data["mentees"]).items():
        if e.get("eligible") is False:
            continue
        for mid, m in records(data["mentors"]).items():
            gap = int(m["level"]) - int(e["level"])
            ey, my = e.get("years_experience"), m.get("years_experience")
            ok = (mid != eid and gap >= min_gap and (max_gap is None or gap <= max_gap)
                  and (not more_exp or ey is None or my is None or float(my) > float(ey))
                  and (same_area or m["area"] != e["area"])
                  and (not cross_kbu or m["kbu"] != e["kbu"])
                  and (eid, mid) not in excluded
                  and int(m.get("capacity", 1) if m.get("capacity") is not None else 1) > 0)
            if ok:
                out.add((eid, mid))
    return out


@st.composite
def valid_pins(draw, data: dict, settings=None):
    """Pins satisfying every hard rule and capacity: None, or a table (maybe empty)."""
    if draw(st.integers(0, 3)) == 0:
        return None
    allowed = sorted(allowed_pairs(data, settings))
    chosen = draw(st.lists(st.sampled_from(allowed), max_size=4, unique_by=lambda p: p[0])) if allowed else []
    capacity = {str(k): int(v) for k, v in zip(data["mentors"]["id"], data["mentors"]["capacity"])}
    pins = []
    for e, m in chosen:
        if capacity[m] > 0:
            capacity[m] -= 1
            pins.append((e, m))
    return pd.DataFrame({"mentee_id": [p[0] for p in pins], "mentor_id": [p[1] for p in pins]},
                        columns=["mentee_id", "mentor_id"])


def settings_dicts():
    """Valid settings dicts varying every hard rule and some weights (for ``Settings.from_dict``)."""
    weight = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])
    return st.fixed_dictionaries({
        "min_level_gap": st.integers(0, 2),
        "require_more_experience": st.booleans(),
        "allow_same_area": st.booleans(),
        "require_cross_kbu": st.booleans(),
        "weights": st.fixed_dictionaries({"preference": weight, "cross_kbu": weight, "competency": weight}),
    }, optional={"max_level_gap": st.integers(2, 4)})


def shuffled(frame: pd.DataFrame | None, seed: int, *, columns: bool = True) -> pd.DataFrame | None:
    """``frame`` with rows (and, by default, columns) permuted deterministically by ``seed``.

    The index is reset so nothing about the original order survives.
    """
    if frame is None:
        return None
    rng = np.random.default_rng(seed)
    out = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    if columns:
        out = out[list(np.array(out.columns, dtype=object)[rng.permutation(len(out.columns))])]
    return out
