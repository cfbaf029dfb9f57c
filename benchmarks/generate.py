"""Synthetic mentoring cohorts shaped like a city government, at any scale.

``make_cohort`` returns ``(mentees, mentors, relatedness)`` DataFrames that
follow the library's input contract:

* mentees: ``id, level, area, kbu, gender, race, years_experience,
  preferences, competencies, eligible, priority``
* mentors: ``id, level, area, kbu, gender, race, years_experience, capacity,
  competencies``
* relatedness: ``area_a, area_b, relatedness``

Everything is vectorised with numpy; 50,000 mentees x 33,334 mentors take
about a second.  The output is fully determined by the arguments (``seed``
included).

Command line::

    python benchmarks/generate.py 5000 --seed 1 --out /tmp/cohort
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "COMPETENCIES",
    "ORG",
    "check_contract",
    "GENDERS",
    "RACES",
    "make_cohort",
    "make_relatedness",
    "rank_preferences",
    "write_cohort",
]

#: The program's 18 leadership competencies.
COMPETENCIES: tuple[str, ...] = (
    "Thinks Strategically",
    "Manages Change",
    "Builds Relationships",
    "Communicates Effectively",
    "Develops Others",
    "Leads Courageously",
    "Drives Results",
    "Makes Sound Decisions",
    "Fosters Innovation",
    "Manages Resources",
    "Builds Trust",
    "Values Diversity",
    "Customer Focus",
    "Collaborates Across Boundaries",
    "Demonstrates Integrity",
    "Manages Conflict",
    "Plans and Organizes",
    "Understands the Business",
)

#: Key business units (KBUs) and their work areas.  Area names are unique
#: across KBUs: an area belongs to exactly one KBU.
ORG: dict[str, tuple[str, ...]] = {
    "Public Safety": ("Police", "Fire", "Emergency Management", "Municipal Court",
                      "Code Enforcement", "Animal Services"),
    "Finance & Budget": ("Budget", "Accounting", "Procurement", "Treasury", "Revenue"),
    "Public Works": ("Streets", "Fleet Services", "Facilities", "Solid Waste", "Engineering"),
    "Utilities": ("Water", "Wastewater", "Stormwater", "Utility Billing"),
    "Community Development": ("Planning", "Building Permits", "Housing",
                              "Economic Development", "Neighborhood Services"),
    "Parks & Recreation": ("Parks", "Recreation", "Urban Forestry", "Aquatics"),
    "Human Resources": ("Recruitment", "Benefits", "Employee Relations",
                        "Training & Development", "Risk Management"),
    "Information Technology": ("IT Infrastructure", "Applications", "Cybersecurity",
                               "GIS", "Service Desk"),
    "City Manager's Office": ("Executive Office", "Communications",
                              "Intergovernmental Affairs", "City Clerk",
                              "Performance & Strategy"),
    "Transportation": ("Traffic Engineering", "Transit", "Airport", "Parking"),
    "Library": ("Library Branches", "Library Technical Services", "Library Programs"),
}

#: Relative head-count of areas (default 1.0): police and fire are big.
AREA_WEIGHT: dict[str, float] = {
    "Police": 8.0, "Fire": 6.0, "Streets": 3.0, "Water": 3.0, "Wastewater": 2.0,
    "Solid Waste": 2.5, "Parks": 2.5, "Recreation": 2.0, "Transit": 3.0,
    "Airport": 2.0, "Library Branches": 2.0, "Municipal Court": 1.5,
    "Engineering": 1.5, "Facilities": 1.5, "Accounting": 1.5, "Service Desk": 1.5,
    "Executive Office": 0.4, "City Clerk": 0.5, "Intergovernmental Affairs": 0.4,
}

#: Selected relatedness between areas of *different* KBUs.
CROSS_KBU: dict[tuple[str, str], float] = {
    ("Budget", "Performance & Strategy"): 0.5,
    ("Procurement", "Facilities"): 0.3,
    ("Procurement", "Fleet Services"): 0.3,
    ("Revenue", "Utility Billing"): 0.5,
    ("Treasury", "Utility Billing"): 0.4,
    ("Accounting", "Risk Management"): 0.25,
    ("Accounting", "Benefits"): 0.25,
    ("Emergency Management", "Communications"): 0.35,
    ("Emergency Management", "Stormwater"): 0.3,
    ("Emergency Management", "Risk Management"): 0.35,
    ("Police", "Parking"): 0.25,
    ("Police", "Traffic Engineering"): 0.3,
    ("Code Enforcement", "Building Permits"): 0.5,
    ("Code Enforcement", "Neighborhood Services"): 0.5,
    ("Code Enforcement", "Housing"): 0.3,
    ("Municipal Court", "City Clerk"): 0.25,
    ("Engineering", "Traffic Engineering"): 0.5,
    ("Engineering", "Water"): 0.4,
    ("Engineering", "Wastewater"): 0.4,
    ("Engineering", "Stormwater"): 0.45,
    ("Streets", "Traffic Engineering"): 0.45,
    ("Streets", "Urban Forestry"): 0.3,
    ("Facilities", "Parks"): 0.3,
    ("Planning", "Traffic Engineering"): 0.4,
    ("Planning", "Transit"): 0.35,
    ("Planning", "Parks"): 0.3,
    ("Economic Development", "Intergovernmental Affairs"): 0.35,
    ("Economic Development", "Airport"): 0.3,
    ("Recreation", "Library Programs"): 0.35,
    ("Recreation", "Neighborhood Services"): 0.3,
    ("Communications", "Library Programs"): 0.2,
    ("Training & Development", "Performance & Strategy"): 0.35,
    # Information Technology touches everything a bit (IT_BASELINE below),
    # and some areas more.
    ("GIS", "Planning"): 0.45,
    ("GIS", "Engineering"): 0.4,
    ("GIS", "Stormwater"): 0.35,
    ("Applications", "Utility Billing"): 0.35,
    ("Applications", "Accounting"): 0.3,
    ("Cybersecurity", "Risk Management"): 0.3,
    ("Cybersecurity", "Police"): 0.25,
}
IT_KBU = "Information Technology"
IT_BASELINE = 0.2
SAME_KBU_RANGE = (0.6, 0.9)

GENDERS: tuple[str, ...] = ("F", "M", "X", "")
GENDER_P = (0.47, 0.45, 0.03, 0.05)
RACES: tuple[str, ...] = (
    "White", "Black or African American", "Hispanic or Latino", "Asian",
    "Two or More Races", "American Indian or Alaska Native", "",
)
RACE_P = (0.44, 0.2, 0.18, 0.07, 0.035, 0.015, 0.06)

# Level (1..8) distributions: mentees junior-ish, mentors senior.
MENTEE_LEVEL_P = (0.04, 0.18, 0.28, 0.25, 0.16, 0.07, 0.02, 0.0)
MENTOR_LEVEL_P = (0.0, 0.0, 0.0, 0.08, 0.22, 0.30, 0.25, 0.15)

#: Number of "popular" mentors every mentee ranks first when ``collide=True``.
N_POPULAR = 3
#: Candidate mentors scored per mentee when ranking preferences.
N_CANDIDATES = 40

# Development goals are not uniform: a few are chosen far more often.
_GOAL_WEIGHT = np.array([3, 2.5, 2, 3, 1.5, 1.5, 1.5, 1.5, 1, 1, 1.5, 0.8, 0.8, 1.2,
                         0.6, 2, 1.5, 1.5])
_STRENGTH_WEIGHT = np.ones(len(COMPETENCIES))

_AREAS: tuple[str, ...] = tuple(a for areas in ORG.values() for a in areas)
_AREA_KBU: tuple[str, ...] = tuple(k for k, areas in ORG.items() for _ in areas)
_KBUS: tuple[str, ...] = tuple(ORG)
assert len(set(_AREAS)) == len(_AREAS), "area names must be unique across KBUs"


# --------------------------------------------------------------------------- #
# relatedness
# --------------------------------------------------------------------------- #
def _relatedness_matrix(rng: np.random.Generator) -> np.ndarray:
    """Symmetric (A, A) relatedness matrix over ``_AREAS``, zero diagonal."""
    n = len(_AREAS)
    index = {a: i for i, a in enumerate(_AREAS)}
    kbu_of = np.array([_KBUS.index(k) for k in _AREA_KBU])
    same = kbu_of[:, None] == kbu_of[None, :]
    lo, hi = SAME_KBU_RANGE
    vals = np.round(rng.uniform(lo, hi, size=(n, n)), 2)
    vals = np.triu(vals, 1)
    vals = vals + vals.T
    rel = np.where(same, vals, 0.0)
    it = kbu_of == _KBUS.index(IT_KBU)
    cross_it = (it[:, None] ^ it[None, :])
    rel[cross_it] = IT_BASELINE
    for (a, b), v in CROSS_KBU.items():
        i, j = index[a], index[b]
        assert kbu_of[i] != kbu_of[j], (a, b)
        rel[i, j] = rel[j, i] = v
    np.fill_diagonal(rel, 0.0)
    return rel


def _matrix_to_frame(rel: np.ndarray, keep: np.ndarray | None = None) -> pd.DataFrame:
    i, j = np.triu_indices(len(_AREAS), 1)
    mask = rel[i, j] > 0
    if keep is not None:
        mask &= keep[i] & keep[j]
    areas = np.array(_AREAS, dtype=object)
    return pd.DataFrame({
        "area_a": areas[i[mask]],
        "area_b": areas[j[mask]],
        "relatedness": rel[i[mask], j[mask]].astype(float),
    })


def make_relatedness(seed: int = 0, areas=None) -> pd.DataFrame:
    """The area relatedness table (optionally restricted to ``areas``)."""
    rel = _relatedness_matrix(np.random.default_rng([seed, 1]))
    keep = None
    if areas is not None:
        wanted = set(areas)
        keep = np.array([a in wanted for a in _AREAS])
    return _matrix_to_frame(rel, keep)


# --------------------------------------------------------------------------- #
# preferences
# --------------------------------------------------------------------------- #
def rank_preferences(
    rng: np.random.Generator,
    e_level: np.ndarray,
    e_area: np.ndarray,
    m_level: np.ndarray,
    m_area: np.ndarray,
    rel: np.ndarray,
    k: np.ndarray,
    *,
    popular: np.ndarray | None = None,
    same_area_appeal: float = 0.5,
    n_candidates: int = N_CANDIDATES,
) -> np.ndarray:
    """Rank mentors for every mentee.

    ``e_area``/``m_area`` are integer indices into ``rel`` (an (A, A) matrix);
    ``k[i]`` is how many mentors mentee ``i`` ranks.  Returns an
    ``(n_mentees, max(k))`` int array of mentor indices in rank order, padded
    with ``-1``; valid entries always form a prefix of each row and are
    distinct.

    Mentees favour more senior mentors in related areas; their own area is
    mildly attractive too (``same_area_appeal``), which is how ineligible
    picks end up in real self-assessments.  Mentors in ``popular`` (if given)
    outrank everyone else for every mentee.
    """
    n_e, n_m = len(e_level), len(m_level)
    width = int(k.max()) if n_e else 0
    if n_e == 0 or n_m == 0 or width == 0:
        return np.full((n_e, width), -1, dtype=np.int64)

    if n_m <= n_candidates:
        cand = np.broadcast_to(np.arange(n_m), (n_e, n_m)).copy()
    else:
        # Half uniform over all mentors, half from the mentee's own KBU-ish
        # neighbourhood: mentors whose area is related (rel > 0) or equal.
        half = n_candidates // 2
        uni = rng.integers(0, n_m, size=(n_e, n_candidates - half))
        # Group mentors by area; draw areas ~ relatedness row, then a mentor.
        n_a = rel.shape[0]
        order = np.argsort(m_area, kind="stable")
        counts = np.bincount(m_area, minlength=n_a)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        affinity = (rel + same_area_appeal * np.eye(n_a)) * (counts > 0)[None, :]
        cum = np.cumsum(affinity, axis=1)
        tot = cum[:, -1]
        u = rng.random((n_e, half)) * tot[e_area][:, None]
        pick_area = np.zeros((n_e, half), dtype=np.int64)
        # inverse CDF, one searchsorted per mentee area (a loop over ~50 areas)
        for a in np.unique(e_area):
            rows = e_area == a
            pick_area[rows] = np.searchsorted(cum[a], u[rows], side="right")
        pick_area = np.minimum(pick_area, n_a - 1)
        off = (rng.random((n_e, half)) * counts[pick_area]).astype(np.int64)
        near = order[np.minimum(starts[pick_area] + off, n_m - 1)]
        has_near = (tot[e_area] > 0)[:, None]
        near = np.where(has_near, near, rng.integers(0, n_m, size=(n_e, half)))
        cand = np.concatenate([uni, near], axis=1)
    if popular is not None and len(popular):
        cand = np.concatenate([np.broadcast_to(popular, (n_e, len(popular))), cand], axis=1)

    # scores
    lvl_e = e_level[:, None]
    lvl_m = m_level[cand]
    area_rel = rel[e_area[:, None], m_area[cand]]
    area_rel = np.where(m_area[cand] == e_area[:, None], same_area_appeal, area_rel)
    diff = lvl_m - lvl_e
    score = (1.2 * area_rel + 0.8 * (diff > 0) + 0.15 * np.clip(diff, -3, 4)
             + 0.6 * rng.gumbel(size=cand.shape))
    if popular is not None and len(popular):
        score = score + 100.0 * np.isin(cand, popular)

    # drop duplicate candidates (keep one copy)
    srt = np.argsort(cand, axis=1, kind="stable")
    cs = np.take_along_axis(cand, srt, axis=1)
    dup_sorted = np.zeros_like(cs, dtype=bool)
    dup_sorted[:, 1:] = cs[:, 1:] == cs[:, :-1]
    dup = np.zeros_like(dup_sorted)
    np.put_along_axis(dup, srt, dup_sorted, axis=1)
    score = np.where(dup, -np.inf, score)

    top = np.argsort(-score, axis=1, kind="stable")[:, :width]
    ranked = np.take_along_axis(cand, top, axis=1)
    valid = np.isfinite(np.take_along_axis(score, top, axis=1))
    valid &= np.arange(width)[None, :] < k[:, None]
    return np.where(valid, ranked, -1)


def _join_rows(names: np.ndarray, lengths: np.ndarray) -> list[str]:
    """``";".join(row[:len])`` for every row of a 2-D array of strings."""
    return [";".join(r[:n]) for r, n in zip(names.tolist(), lengths.tolist())]


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(5, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _competencies(rng, n, lo, hi, weight) -> list[str]:
    comp = np.array(COMPETENCIES, dtype=object)
    keys = np.log(weight)[None, :] + rng.gumbel(size=(n, len(COMPETENCIES)))
    order = np.argsort(-keys, axis=1)[:, :hi]
    k = rng.integers(lo, hi + 1, size=n)
    return _join_rows(comp[order], k)


def _people(rng, n, level_p):
    areas = np.array(_AREAS, dtype=object)
    kbus = np.array(_AREA_KBU, dtype=object)
    w = np.array([AREA_WEIGHT.get(a, 1.0) for a in _AREAS])
    area = rng.choice(len(_AREAS), size=n, p=w / w.sum())
    level = rng.choice(np.arange(1, 9), size=n, p=np.asarray(level_p) / sum(level_p))
    years = np.clip(np.rint(3.0 * level - 2 + rng.normal(0, 3.0, size=n)), 0, 45)
    years = np.maximum(years, level - 1).astype(np.int64)
    gender = np.array(GENDERS, dtype=object)[rng.choice(len(GENDERS), size=n, p=GENDER_P)]
    race = np.array(RACES, dtype=object)[rng.choice(len(RACES), size=n, p=RACE_P)]
    return {
        "level": level.astype(np.int64),
        "area": areas[area],
        "kbu": kbus[area],
        "gender": gender,
        "race": race,
        "years_experience": years,
    }, area


# --------------------------------------------------------------------------- #
# public API
# --------------------------------------------------------------------------- #
def make_cohort(
    n_mentees: int,
    n_mentors: int | None = None,
    *,
    seed: int = 0,
    capacity=(1, 2),
    n_preferences: int = 5,
    collide: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return ``(mentees, mentors, relatedness)`` DataFrames.

    Parameters
    ----------
    n_mentees
        Number of mentees (ids ``E00001``...).
    n_mentors
        Number of mentors (ids ``M00001``...); default ``ceil(2/3 * n_mentees)``.
    seed
        Everything is determined by the arguments; same seed, same frames.
    capacity
        ``(low, high)`` inclusive range each mentor's capacity is drawn
        uniformly from, or a single int.
    n_preferences
        Maximum mentors a mentee ranks.  About 60% rank the maximum, the
        rest 0..n_preferences-1 (uniform), so some rank none.
    collide
        Adversarial case: every mentee's top choices are the same
        ``N_POPULAR`` (3) most senior mentors, in random order.

    Notes
    -----
    ~1% of mentees have ``eligible=False`` and ~2% ``priority=2``.  The
    relatedness table lists each unordered pair of areas once (never an area
    with itself), restricted to areas that occur among the people.
    """
    n_mentees = int(n_mentees)
    if n_mentees < 0:
        raise ValueError("n_mentees must be >= 0")
    if n_mentors is None:
        n_mentors = math.ceil(n_mentees * 2 / 3)
    n_mentors = int(n_mentors)
    if n_mentors < 0:
        raise ValueError("n_mentors must be >= 0")
    if np.isscalar(capacity):
        cap_lo = cap_hi = int(capacity)
    else:
        cap_lo, cap_hi = (int(c) for c in capacity)
    if not 0 <= cap_lo <= cap_hi:
        raise ValueError("capacity must be an int >= 0 or a range (low, high), 0 <= low <= high")
    if n_preferences < 0:
        raise ValueError("n_preferences must be >= 0")

    rng_e, rng_m, rng_p = (np.random.default_rng(s)
                           for s in np.random.SeedSequence(seed).spawn(3))
    rel = _relatedness_matrix(np.random.default_rng([seed, 1]))  # as make_relatedness(seed)

    # --- mentors -----------------------------------------------------------
    m, m_area = _people(rng_m, n_mentors, MENTOR_LEVEL_P)
    mentors = pd.DataFrame({"id": _ids("M", n_mentors), **m})
    mentors["capacity"] = rng_m.integers(cap_lo, cap_hi + 1, size=n_mentors).astype(np.int64)
    mentors["competencies"] = _competencies(rng_m, n_mentors, 2, 5, _STRENGTH_WEIGHT)

    # --- mentees -----------------------------------------------------------
    e, e_area = _people(rng_e, n_mentees, MENTEE_LEVEL_P)
    mentees = pd.DataFrame({"id": _ids("E", n_mentees), **e})

    k = np.where(rng_p.random(n_mentees) < 0.6, n_preferences,
                 rng_p.integers(0, max(n_preferences, 1), size=n_mentees))
    k = np.minimum(k, n_mentors).astype(np.int64)
    popular = None
    if collide and n_mentors:
        # the most senior mentors (ties broken at random) are everyone's favourites
        tie = rng_p.random(n_mentors)
        popular = np.lexsort((tie, -m["level"]))[:min(N_POPULAR, n_mentors)]
        popular = rng_p.permutation(popular)
    ranked = rank_preferences(rng_p, e["level"], e_area, m["level"], m_area, rel, k,
                              popular=popular)
    mids = np.append(mentors["id"].to_numpy(dtype=object), "")
    lengths = (ranked >= 0).sum(axis=1)
    mentees["preferences"] = _join_rows(mids[ranked], lengths) if ranked.size else [""] * n_mentees
    mentees["competencies"] = _competencies(rng_e, n_mentees, 1, 3, _GOAL_WEIGHT)
    mentees["eligible"] = rng_e.random(n_mentees) >= 0.01
    mentees["priority"] = np.where(rng_e.random(n_mentees) < 0.02, 2, 1).astype(np.int64)

    # --- relatedness over the areas actually present -----------------------
    present = np.zeros(len(_AREAS), dtype=bool)
    present[np.unique(np.concatenate([e_area, m_area]).astype(np.int64))] = True
    relatedness = _matrix_to_frame(rel, present)
    return mentees, mentors, relatedness


def check_contract(mentees: pd.DataFrame, mentors: pd.DataFrame,
                   relatedness: pd.DataFrame) -> None:
    """Raise ``AssertionError`` if the frames break the input contract.

    Works on typed frames and on all-text frames read with
    ``pd.read_csv(path, dtype=str, keep_default_na=False)``.
    """
    need_e = {"id", "level", "area", "kbu", "gender", "race", "years_experience",
              "preferences", "competencies"}
    need_m = {"id", "level", "area", "kbu", "gender", "race", "years_experience",
              "capacity", "competencies"}
    assert need_e <= set(mentees.columns), need_e - set(mentees.columns)
    assert need_m <= set(mentors.columns), need_m - set(mentors.columns)
    assert {"area_a", "area_b", "relatedness"} <= set(relatedness.columns)
    for df in (mentees, mentors):
        ids = df["id"].astype(str)
        assert ids.is_unique and (ids.str.len() > 0).all(), "ids must be unique, non-empty"
        for col in ("level", "years_experience"):
            vals = pd.to_numeric(df[col].astype(str), errors="raise")
            assert (vals == vals.round()).all(), f"{col} must be integer"
    cap = pd.to_numeric(mentors["capacity"].astype(str), errors="raise")
    assert (cap == cap.round()).all() and (cap >= 0).all(), "capacity must be int >= 0"
    comp = set(COMPETENCIES)
    for df in (mentees, mentors):
        for s in df["competencies"].astype(str):
            assert s and set(s.split(";")) <= comp, s
    # an area belongs to exactly one KBU
    both = pd.concat([mentees[["area", "kbu"]], mentors[["area", "kbu"]]])
    assert (both.groupby("area")["kbu"].nunique() == 1).all(), "area in several KBUs"
    mentor_ids = set(mentors["id"].astype(str))
    for pid, prefs in zip(mentees["id"].astype(str), mentees["preferences"].astype(str)):
        if not prefs:
            continue
        ranked = prefs.split(";")
        assert len(ranked) == len(set(ranked)), f"{pid}: duplicate preference"
        assert set(ranked) <= mentor_ids, f"{pid}: unknown mentor {set(ranked) - mentor_ids}"
        assert pid not in ranked, f"{pid} ranks themself"
    if "eligible" in mentees.columns:
        assert set(mentees["eligible"].astype(str).str.lower()) <= {"true", "false"}
    if "priority" in mentees.columns:
        assert (pd.to_numeric(mentees["priority"].astype(str)) > 0).all()
    r = pd.to_numeric(relatedness["relatedness"].astype(str))
    assert ((r >= 0) & (r <= 1)).all(), "relatedness outside [0, 1]"
    a, b = relatedness["area_a"].astype(str), relatedness["area_b"].astype(str)
    assert (a != b).all(), "an area related to itself"
    pairs = {frozenset(p) for p in zip(a, b)}
    assert len(pairs) == len(relatedness), "a pair of areas listed twice"
    areas = set(both["area"].astype(str))
    assert set(a) | set(b) <= areas, "relatedness names an area nobody works in"


def write_cohort(out: str | Path, mentees, mentors, relatedness) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    mentees.to_csv(out / "mentees.csv", index=False)
    mentors.to_csv(out / "mentors.csv", index=False)
    relatedness.to_csv(out / "relatedness.csv", index=False)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="Generate a synthetic mentoring cohort.")
    p.add_argument("n_mentees", type=int)
    p.add_argument("--mentors", type=int, default=None, help="default ceil(2N/3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--capacity", type=int, nargs=2, default=(1, 2), metavar=("LOW", "HIGH"))
    p.add_argument("--n-preferences", type=int, default=5)
    p.add_argument("--collide", action="store_true", help="everyone ranks the same few mentors first")
    p.add_argument("--out", required=True, help="output directory")
    a = p.parse_args(argv)
    frames = make_cohort(a.n_mentees, a.mentors, seed=a.seed, capacity=tuple(a.capacity),
                         n_preferences=a.n_preferences, collide=a.collide)
    write_cohort(a.out, *frames)
    mentees, mentors, rel = frames
    print(f"wrote {len(mentees)} mentees, {len(mentors)} mentors, "
          f"{len(rel)} relatedness pairs to {a.out}")


if __name__ == "__main__":
    main()
