"""Tests of the synthetic cohort generator (benchmarks/generate.py)."""

import math
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import generate as g  # noqa: E402

MENTEE_COLS = ["id", "level", "area", "kbu", "gender", "race", "years_experience",
               "preferences", "competencies"]
MENTOR_COLS = ["id", "level", "area", "kbu", "gender", "race", "years_experience",
               "capacity", "competencies"]


@pytest.fixture(scope="module")
def cohort():
    return g.make_cohort(300, seed=7)


def test_shapes_and_columns(cohort):
    mentees, mentors, rel = cohort
    assert len(mentees) == 300
    assert len(mentors) == math.ceil(300 * 2 / 3)
    assert set(MENTEE_COLS) <= set(mentees.columns)
    assert set(MENTOR_COLS) <= set(mentors.columns)
    assert list(rel.columns) == ["area_a", "area_b", "relatedness"]
    assert mentees["id"].iloc[0] == "E00001" and mentors["id"].iloc[-1] == "M00200"


def test_explicit_mentor_count_and_capacity():
    mentees, mentors, _ = g.make_cohort(50, 7, seed=1, capacity=(0, 3))
    assert len(mentees) == 50 and len(mentors) == 7
    assert mentors["capacity"].between(0, 3).all()
    _, mentors, _ = g.make_cohort(20, seed=1, capacity=2)
    assert (mentors["capacity"] == 2).all()


def test_deterministic_per_seed():
    a = g.make_cohort(200, seed=3)
    b = g.make_cohort(200, seed=3)
    c = g.make_cohort(200, seed=4)
    for x, y in zip(a, b):
        pd.testing.assert_frame_equal(x, y)
    assert not a[0].equals(c[0])


@pytest.mark.parametrize("kwargs", [
    dict(n_mentees=300, seed=7),
    dict(n_mentees=300, seed=7, collide=True),
    dict(n_mentees=40, n_mentors=3, seed=2),          # fewer mentors than preferences
    dict(n_mentees=60, seed=5, n_preferences=0),
])
def test_contract(kwargs):
    mentees, mentors, rel = g.make_cohort(**kwargs)
    g.check_contract(mentees, mentors, rel)
    assert mentees["id"].is_unique and mentors["id"].is_unique
    mentor_ids = set(mentors["id"])
    n_pref = kwargs.get("n_preferences", 5)
    for prefs in mentees["preferences"]:
        ranked = [p for p in prefs.split(";") if p]
        assert len(ranked) == len(set(ranked)) <= n_pref
        assert set(ranked) <= mentor_ids
    assert rel["relatedness"].between(0, 1).all()
    assert (rel["area_a"] != rel["area_b"]).all()
    assert mentees["level"].between(1, 8).all() and mentors["level"].between(1, 8).all()
    # an area belongs to exactly one KBU
    people = pd.concat([mentees[["area", "kbu"]], mentors[["area", "kbu"]]])
    assert (people.groupby("area")["kbu"].nunique() == 1).all()


def test_shape_of_the_org(cohort):
    mentees, mentors, rel = cohort
    assert mentees["level"].median() < mentors["level"].median()
    assert set(mentees["gender"]) <= {"F", "M", "X", ""}
    comp = set(g.COMPETENCIES)
    assert len(g.COMPETENCIES) == 18
    goals = mentees["competencies"].str.split(";")
    assert goals.map(len).between(1, 3).all() and goals.map(lambda c: set(c) <= comp).all()
    strengths = mentors["competencies"].str.split(";")
    assert strengths.map(len).between(2, 5).all()
    same_kbu = pd.DataFrame({"a": rel["area_a"], "b": rel["area_b"]})
    kbu = {a: k for k, areas in g.ORG.items() for a in areas}
    inside = same_kbu["a"].map(kbu) == same_kbu["b"].map(kbu)
    assert rel.loc[inside, "relatedness"].between(0.6, 0.9).all()
    assert rel.loc[~inside, "relatedness"].between(0.2, 0.5).all()


def test_collide_puts_everyone_on_the_same_few():
    mentees, _, _ = g.make_cohort(200, seed=9, collide=True)
    firsts = mentees["preferences"].str.split(";").str[0]
    firsts = firsts[firsts != ""]
    assert firsts.nunique() <= g.N_POPULAR


def test_empty_cohort():
    mentees, mentors, rel = g.make_cohort(0)
    assert len(mentees) == 0 and len(mentors) == 0 and len(rel) == 0


def test_cli_writes_csvs(tmp_path):
    g.main(["25", "--seed", "2", "--out", str(tmp_path)])
    frames = [pd.read_csv(tmp_path / f, dtype=str, keep_default_na=False)
              for f in ("mentees.csv", "mentors.csv", "relatedness.csv")]
    g.check_contract(*frames)
    assert len(frames[0]) == 25


def test_bundled_example_satisfies_contract():
    data = ROOT / "src" / "matching" / "data"
    frames = [pd.read_csv(data / f, dtype=str, keep_default_na=False)
              for f in ("mentees.csv", "mentors.csv", "relatedness.csv")]
    g.check_contract(*frames)
    mentees, mentors, _ = frames
    assert set(mentees["id"]) & set(mentors["id"]) == {"M031"}
    assert (mentees["eligible"] == "False").sum() == 2
    assert (mentees["priority"] == "2").sum() == 2
