"""Weight sensitivity: shares equal independent re-solves of the grid, whatever the executor."""

from __future__ import annotations

import itertools
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching
from matching.review.sensitivity import changing_pairs
from strategies import cohorts, shuffled

VARY = {"cross_kbu": [0.5, 1, 2], "preference": [1, 3]}


def _independent(data: dict, vary: dict, base=None) -> pd.DataFrame:
    """Re-solve every point of the grid with the public ``match`` and count the pairs."""
    base = matching.Settings.coerce(base)
    counts: Counter = Counter()
    combos = list(itertools.product(*vary.values()))
    for combo in combos:
        weights = {**base.weights, **dict(zip(vary, combo))}
        result = matching.match(data["mentees"], data["mentors"], settings=base.replace(weights=weights),
                                **{k: v for k, v in data.items() if k not in ("mentees", "mentors")})
        counts.update(zip(result.pairs["mentee_id"], result.pairs["mentor_id"]))
    return {pair: n / len(combos) for pair, n in counts.items()}


def _shares(table: pd.DataFrame) -> dict:
    return {(a, b): s for a, b, s in zip(table["mentee_id"], table["mentor_id"], table["share"])}


@pytest.fixture(scope="module")
def inputs(example):
    return {"mentees": example["mentees"], "mentors": example["mentors"], "relatedness": example["relatedness"]}


@pytest.fixture(scope="module")
def serial(inputs):
    return matching.sensitivity(**inputs, vary=VARY)


def test_serial_equals_independent_resolves(inputs, serial):
    assert _shares(serial) == pytest.approx(_independent(inputs, VARY))
    assert serial.attrs["runs"] == 6
    assert list(serial.columns) == ["mentee_id", "mentor_id", "runs", "share", "robust"]
    assert (serial["share"] == serial["runs"] / 6).all()
    assert (serial["robust"] == (serial["share"] >= 0.9)).all()
    assert serial.groupby("mentee_id")["runs"].sum().le(6).all()


def test_process_pool_gives_the_same_table(inputs, serial):
    with ProcessPoolExecutor(2) as pool:
        table = matching.sensitivity(**inputs, vary=VARY, executor=pool)
    pd.testing.assert_frame_equal(table, serial)
    assert table.attrs == serial.attrs


def test_local_dask_cluster_gives_the_same_table(inputs, serial):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        table = matching.sensitivity(**inputs, vary=VARY, executor=client.get_executor())
    pd.testing.assert_frame_equal(table, serial)


@settings(max_examples=15)
@given(cohorts(max_mentees=6, max_mentors=4, with_pins=True), st.integers(0, 2**16))
def test_generated_cohorts_match_resolves_in_any_row_order(data, seed):
    vary = {"seniority": [0, 2], "relatedness": [1, 3]}
    try:
        table = matching.sensitivity(**data, vary=vary)
    except matching.PinError:
        return
    assert _shares(table) == pytest.approx(_independent(data, vary))
    moved = {k: shuffled(v, seed) if isinstance(v, pd.DataFrame) else v for k, v in data.items()}
    with ThreadPoolExecutor(2) as pool:
        again = matching.sensitivity(**moved, vary=vary, executor=pool)
    pd.testing.assert_frame_equal(again, table)


def test_changing_pairs_are_the_unstable_mentees(serial):
    changing = changing_pairs(serial)
    stable = set(serial["mentee_id"]) - set(changing["mentee_id"])
    assert all(serial.loc[serial["mentee_id"] == m, "runs"].tolist() == [6] for m in stable)
    assert (changing.groupby("mentee_id")["runs"].max() < 6).all()


def test_bad_grid_lists_every_problem(inputs):
    with pytest.raises(matching.SettingsError) as err:
        matching.sensitivity(**inputs, vary={"cross_kbuu": [1], "preference": [], "seniority": ["x", 5000]})
    cases = err.value.failure_cases
    assert {"vary.cross_kbuu", "vary.preference", "weights.seniority"} <= set(cases["column"])
    with pytest.raises(TypeError):
        matching.sensitivity(**inputs, vary=VARY, setting="balanced")
    with pytest.raises(matching.SettingsError):
        matching.sensitivity(**inputs, vary=VARY, executor=object())


def test_unpicklable_criterion_is_a_library_error(inputs):
    with ProcessPoolExecutor(1) as pool, pytest.raises(matching.MatchingError, match="module level"):
        matching.sensitivity(**inputs, vary={"site": [0, 1]}, executor=pool,
                             extra_criteria={"site": lambda e, m: e.level[:, None] * 0.0 + m.level[None, :] * 0.0})


def test_cli_writes_the_table_and_the_report(tmp_path, capsys, serial):
    from matching.cli import main
    from matching.files.export import read_back

    paths = {k: str(v) for k, v in matching.example_paths().items()}
    code = main(["sensitivity", paths["mentees"], paths["mentors"], "--relatedness", paths["relatedness"],
                 "--vary", "cross_kbu=0.5,1,2", "--vary", "preference=1,3", "--workers", "2",
                 "--out", str(tmp_path)])
    assert code == 0
    text = capsys.readouterr().out
    assert text.startswith("6 runs: cross_kbu in 0.5, 1, 2 x preference in 1, 3")
    table = read_back(tmp_path / "sensitivity.csv")
    assert list(table["mentee_id"]) == list(serial["mentee_id"])
    assert [int(r) for r in table["runs"]] == serial["runs"].tolist()
    assert (tmp_path / "sensitivity.txt").read_text(encoding="utf-8").strip() in text
    assert main(["sensitivity", paths["mentees"], paths["mentors"], "--vary", "cross_kbuu=1,2",
                 "--out", str(tmp_path)]) == 1
