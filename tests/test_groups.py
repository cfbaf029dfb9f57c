"""Networking groups (``matching.groups``): constraints always hold, small optima are proven and
equal a brute-force oracle, inputs are checked, results are deterministic and private."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching
from matching.cli import main
from matching.groups.search import Units, objective, tabu_search

SHARED = Path(os.environ.get("MATCHING_SHARED", Path(__file__).resolve().parents[2] / "shared"))
MDGPLIB = SHARED / "data" / "mdgplib"
FAST = {"max_iterations": 60}
KBUS, AREAS = ["A", "B", "C"], ["x", "y", "z", "w"]


@pytest.fixture(scope="module")
def mentees():
    return matching.load_example()["mentees"]


def cohort(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": [f"P{k:02d}" for k in range(n)], "level": rng.integers(1, 7, n),
                         "area": rng.choice(AREAS, n), "kbu": rng.choice(KBUS, n),
                         "gender": rng.choice(["F", "M"], n), "competencies": rng.choice(["a;b", "b", "c;a", ""], n)})


def pairs_frame(ids, pairs, cols=("person_a", "person_b")) -> pd.DataFrame:
    return pd.DataFrame([(ids[a], ids[b]) for a, b in pairs], columns=list(cols))


def check(result, people, *, lo, hi, apart=(), together=(), history=None, mentor_pairs=None):
    """Every constraint of the issue, read back from the result tables."""
    g = result.groups.set_index("id")["group"]
    assert sorted(g.index) == sorted(people["id"])                     # everyone, exactly once
    sizes = g.value_counts()
    assert sizes.min() >= lo and sizes.max() <= hi
    for a, b in apart:
        assert g[a] != g[b]
    for a, b in together:
        assert g[a] == g[b]
    if history is not None:
        past = history.set_index("id")["group"]
        for _, grp in past.groupby(past):
            now = g[grp.index]
            assert now.is_unique
    if mentor_pairs is not None:
        assert result.hosts["host_id"].is_unique and len(result.hosts) == g.nunique()
        mentor = mentor_pairs.set_index("mentee_id")["mentor_id"]
        for grp, host in zip(result.hosts["group"], result.hosts["host_id"]):
            members = g.index[g == grp]
            assert not any(mentor.get(m) == host for m in members)


@settings(max_examples=15, deadline=None)
@given(G=st.integers(2, 4), lo=st.integers(2, 3), extra=st.integers(0, 2), fill=st.floats(0, 1),
       seed=st.integers(0, 10**6), k_apart=st.integers(0, 6), k_together=st.integers(0, 2),
       use_history=st.booleans(), use_hosts=st.booleans())
def test_constraints_always_hold(G, lo, extra, fill, seed, k_apart, k_together, use_history, use_hosts):
    n = G * lo + int(round(fill * G * extra))
    rng = np.random.default_rng(seed)
    people = cohort(n, seed)
    ids = people["id"].tolist()
    apart = [tuple(rng.choice(n, 2, replace=False)) for _ in range(k_apart)]
    together = [tuple(rng.choice(n, 2, replace=False)) for _ in range(k_together)]
    history = (pd.DataFrame({"id": ids, "group": rng.integers(0, max(n // 2, 1), n)}) if use_history else None)
    hosts = [f"M{k}" for k in range(G + 1)] if use_hosts else None
    mentor_of = rng.integers(0, G + 1, n)
    mentor_pairs = pd.DataFrame({"mentee_id": ids, "mentor_id": [f"M{k}" for k in mentor_of]}) if use_hosts else None
    kw = dict(n_groups=G, size=(lo, lo + extra), keep_apart=pairs_frame(ids, apart) if apart else None,
              keep_together=pairs_frame(ids, together) if together else None, history=history, hosts=hosts,
              mentor_pairs=mentor_pairs, time_limit=5, settings={**FAST, "exact_max_people": 8})
    try:
        result = matching.groups(people, **kw)
    except matching.InfeasibleError as err:
        assert err.conflicts and str(err)
        if n <= 8:                                                       # the oracle agrees
            hist = history.merge(history, on="group").query("id_x < id_y") if use_history else None
            all_apart = apart + ([(ids.index(a), ids.index(b)) for a, b in zip(hist.id_x, hist.id_y)]
                                 if use_history else [])
            links = np.array([mentor_of == k for k in range(G + 1)]) if use_hosts else None
            D = np.zeros((n, n))
            assert brute_force(D, lo, lo + extra, G, all_apart, together, links) is None
        return
    check(result, people, lo=lo, hi=lo + extra, apart=pairs_frame(ids, apart).values,
          together=pairs_frame(ids, together).values, history=history, mentor_pairs=mentor_pairs)


def brute_force(D, lo, hi, G, apart=(), together=(), host_links=None):
    """Best objective over every assignment of people to labelled groups (the oracle)."""
    n, best = len(D), None
    for assign in itertools.product(range(G), repeat=n):
        a = np.array(assign)
        sizes = np.bincount(a, minlength=G)
        if (sizes < lo).any() or (sizes > hi).any():
            continue
        if any(a[i] == a[j] for i, j in apart) or any(a[i] != a[j] for i, j in together):
            continue
        if host_links is not None and not any(
                all(not host_links[h][a == g].any() for g, h in enumerate(perm))
                for perm in itertools.permutations(range(len(host_links)), G)):
            continue
        value = objective(D, a)
        best = value if best is None else max(best, value)
    return best


@settings(max_examples=10, deadline=None)
@given(n=st.integers(4, 8), seed=st.integers(0, 10**6), negative=st.booleans(), constrained=st.booleans())
def test_exact_matches_brute_force(n, seed, negative, constrained):
    rng = np.random.default_rng(seed)
    D = np.triu(rng.integers(-5 if negative else 0, 20, (n, n)), 1).astype(float)
    D = D + D.T
    ids = [f"p{k}" for k in range(n)]
    table = pd.DataFrame([(ids[i], ids[j], D[i, j]) for i in range(n) for j in range(i + 1, n)],
                         columns=["person_a", "person_b", "distance"])
    G, lo, hi = 2, n // 2 - 1 if n > 4 else 1, n // 2 + 1
    apart = [(0, 1)] if constrained else []
    together = [(2, 3)] if constrained else []
    links = np.array([[k == 4 % n for k in range(n)], [k == 5 % n for k in range(n)], [False] * n]) \
        if constrained else None
    kw = dict(keep_apart=pairs_frame(ids, apart) if apart else None,
              keep_together=pairs_frame(ids, together) if together else None)
    if constrained:
        kw.update(hosts=["h0", "h1", "h2"], mentor_pairs=pd.DataFrame(
            [(ids[i], f"h{k}") for k in range(3) for i in np.flatnonzero(links[k])], columns=["mentee_id", "mentor_id"]))
    want = brute_force(D, lo, hi, G, apart, together, links)
    result = matching.groups(pd.DataFrame({"id": ids}), sizes=[(lo, hi)] * G, distance=table, **kw)
    assert result.status == "OPTIMAL"
    assert result.objective == pytest.approx(want)
    assert result.bound == pytest.approx(want)


def test_example_cohort(mentees):
    result = matching.groups(mentees, size=(5, 6), settings=FAST)
    check(result, mentees, lo=5, hi=6)
    assert result.summary["groups"] == 11 and result.status == "FEASIBLE"
    assert {"gender", "race"}.isdisjoint(result.groups.columns) and "name" in result.groups.columns
    mix = result.explain(1)
    assert mix["gender"]["mixed"] in ("yes", "no") and set(mix["gender"]["counts"]) <= {"(suppressed)"} | {
        f"category {k}" for k in range(1, 9)}
    assert "F" not in json.dumps(mix["gender"]) and "M" not in json.dumps(mix["gender"]).replace("(suppressed)", "")


def test_deterministic_whatever_the_row_order(mentees):
    a = matching.groups(mentees, size=(5, 6), settings=FAST, seed=3)
    b = matching.groups(mentees.iloc[::-1], size=(5, 6), settings=FAST, seed=3)
    pd.testing.assert_frame_equal(a.groups[["id", "group"]], b.groups[["id", "group"]])
    assert a.objective == b.objective and a.info["input_hash"] == b.info["input_hash"]


def test_a_portfolio_of_processes_is_reproducible_keeps_constraints_and_is_never_worse(mentees):
    together = [("E001", "E002")]
    kw = dict(size=(5, 6), seed=3, keep_together=pd.DataFrame(together, columns=["person_a", "person_b"]))
    one = matching.groups(mentees, settings=FAST, **kw)
    a = matching.groups(mentees, settings={**FAST, "workers": 2}, **kw)
    b = matching.groups(mentees.iloc[::-1], settings={**FAST, "workers": 2}, **kw)
    pd.testing.assert_frame_equal(a.groups[["id", "group"]], b.groups[["id", "group"]])
    assert a.objective >= one.objective and a.info["iterations"] > one.info["iterations"]
    check(a, mentees, lo=5, hi=6, together=together)


def test_search_never_worse_than_its_start_and_keeps_weights():
    rng = np.random.default_rng(0)
    W = np.triu(rng.random((9, 9)), 1)
    W = W + W.T
    w = np.array([2, 1, 1, 1, 1, 1, 1, 1, 1])           # a merged pair counts twice
    p = Units(W, w, np.array([3, 3, 3]), np.array([4, 4, 4]), np.zeros((9, 9), np.int8), np.zeros((9, 3), bool))
    start = np.array([0, 0, 1, 1, 1, 2, 2, 2, 0])
    r = tabu_search(p, start, max_iterations=200)
    assert r.objective >= objective(W, start) - 1e-12
    sizes = np.bincount(r.assign, weights=w)
    assert sizes.min() >= 3 and sizes.max() <= 4


def test_history_is_never_repeated(mentees):
    first = matching.groups(mentees, size=(5, 6), settings=FAST)
    second = matching.groups(mentees, size=(5, 6), history=first.groups[["id", "group"]], settings=FAST)
    check(second, mentees, lo=5, hi=6, history=first.groups[["id", "group"]])


def test_hosts_never_host_their_mentees(mentees):
    data = matching.load_example()
    match = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    result = matching.groups(mentees, size=(5, 6), hosts=data["mentors"][["id"]], mentor_pairs=match,
                             settings=FAST)
    check(result, mentees, lo=5, hi=6, mentor_pairs=match.pairs)
    assert result.explain(2)["host"] in set(data["mentors"]["id"])


@pytest.mark.parametrize("kw, words", [
    (dict(size=(7, 8), n_groups=2), "cannot form 2 groups"),
    (dict(size=(4, 3)), "lo <= hi"),
    (dict(sizes=[(2, 2)] * 3), "cannot fill"),
    (dict(size=(3, 4), keep_apart=pd.DataFrame({"person_a": ["P00"], "person_b": ["Nobody"]})), "unknown person"),
])
def test_input_errors(kw, words):
    with pytest.raises(matching.InputError, match=words):
        matching.groups(cohort(10, 1), **kw)


def test_infeasible_constraints_are_named():
    people = cohort(6, 2)
    ids = people["id"].tolist()
    both = pairs_frame(ids, [(0, 1)])
    with pytest.raises(matching.InfeasibleError, match="keep_together") as err:
        matching.groups(people, size=(3, 3), keep_apart=both, keep_together=both)
    assert err.value.conflicts == ("keep_apart", "keep_together")
    # three people pairwise apart cannot fit in two groups
    with pytest.raises(matching.InfeasibleError, match="keep_apart") as err:
        matching.groups(people, size=(3, 3), keep_apart=pairs_frame(ids, [(0, 1), (0, 2), (1, 2)]))
    assert "keep_apart" in err.value.conflicts
    with pytest.raises(matching.InfeasibleError, match="hosts"):
        matching.groups(people, size=(3, 3), hosts=["M1"])


def test_settings_are_checked():
    with pytest.raises(matching.SettingsError, match="unknown weight"):
        matching.groups(cohort(6, 0), size=(3, 3), weights={"height": 1})
    with pytest.raises(matching.SettingsError, match="unknown setting"):
        matching.groups(cohort(6, 0), size=(3, 3), settings={"speed": 1})


def test_exports_and_report(mentees, tmp_path):
    result = matching.groups(mentees, size=(5, 6), settings=FAST)
    paths = result.to_csv(tmp_path / "csv")
    assert {p.name for p in paths} == {"groups.csv", "hosts.csv", "group_mix.csv", "summary.csv"}
    assert result.to_excel(tmp_path / "g.xlsx").exists()
    data = json.loads(result.to_json(tmp_path / "g.json").read_text(encoding="utf-8"))
    assert len(data["tables"]["groups"]["records"]) == len(mentees)
    assert result.report_section().startswith("<section>") and "<script" not in result.report_section()


def test_cli(tmp_path, capsys):
    people = matching.example_paths()["mentees"]
    code = main(["groups", str(people), "--size", "5-6", "--max-iterations", "30", "--out", str(tmp_path)])
    assert code == 0 and "11 groups" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "groups.csv")) == 61
    assert main(["groups", str(people), "--size", "70-80"]) == 1


@pytest.mark.skipif(not MDGPLIB.is_dir(), reason="shared MDGPLIB instances not available")
@pytest.mark.parametrize("name, optimum", [("RanReal_n012_ss_01", 956.43), ("Geo_n010_ss_01", 3660.67),
                                           ("RanInt_n012_ss_01", 985.0)])
def test_mdgplib_small_instances_are_proven(name, optimum):
    lines = (MDGPLIB / f"{name}.txt").read_text().split("\n")
    head = lines[0].split()
    G = int(head[1])
    bounds = list(map(int, head[3:3 + 2 * G]))
    table = pd.DataFrame([line.split() for line in lines[1:] if line.strip()],
                         columns=["person_a", "person_b", "distance"])
    people = pd.DataFrame({"id": sorted(set(table["person_a"]) | set(table["person_b"]), key=int)})
    result = matching.groups(people, sizes=list(zip(bounds[0::2], bounds[1::2])), distance=table, time_limit=30)
    assert result.status == "OPTIMAL"
    assert result.objective == pytest.approx(optimum, abs=0.006)


def test_history_naming_people_who_left_warns(mentees):
    history = pd.DataFrame({"id": ["E001", "E002", "GONE"], "group": [1, 1, 1]})
    with pytest.warns(matching.MatchingWarning, match="not in this session"):
        result = matching.groups(mentees, size=(5, 6), history=history, settings=FAST)
    g = result.groups.set_index("id")["group"]
    assert g["E001"] != g["E002"]


def test_distance_mode_keeps_extra_columns_and_explains():
    people = pd.DataFrame({"id": ["a", "b", "c", "d"], "team": ["x", "y", "x", "y"]})
    table = pd.DataFrame({"person_a": ["a", "b"], "person_b": ["c", "d"], "distance": [5, 7]})
    result = matching.groups(people, size=(2, 2), distance=table)
    assert result.status == "OPTIMAL" and result.objective == 12
    assert list(result.groups.columns) == ["id", "group", "team"]
    assert result.explain(1)["size"] == 2 and "<td>" in result.report_section()


@pytest.mark.parametrize("exact_max", [0, 12])
def test_group_k_takes_the_kth_size_interval(exact_max):
    people = cohort(9, 4)                 # P00 (the first id) is held in the group of 4
    together = pd.DataFrame({"person_a": ["P00"] * 3, "person_b": ["P01", "P02", "P03"]})
    result = matching.groups(people, sizes=[(2, 2), (4, 4), (3, 3)], keep_together=together,
                             settings={**FAST, "exact_max_people": exact_max})
    assert result.groups["group"].value_counts().sort_index().tolist() == [2, 4, 3]
