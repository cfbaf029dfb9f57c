"""OR-Library ``assign100`` through the user-criterion path: published optimum 305.

The file (``../shared/data/orlib/assign100.txt``: ``n`` then ``n*n`` costs row by
row) is solved as 100 mentees x 100 mentors with the ``assignment`` preset (every
built-in rule and weight off) and one user criterion whose score is the negated cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

import matching

PATH = SHARED / "data" / "orlib" / "assign100.txt"
OPTIMUM = 305


@pytest.fixture(scope="module")
def costs() -> np.ndarray:
    if not PATH.is_file():
        pytest.skip(f"{PATH} is absent")
    numbers = np.array(PATH.read_text().split(), dtype=np.int64)
    n = int(numbers[0])
    assert len(numbers) == 1 + n * n
    return numbers[1:].reshape(n, n)


def _people(n: int):
    # zero-padded ids: id order == row order of the cost matrix
    mentees = pd.DataFrame({"id": [f"E{k:03d}" for k in range(n)], "level": 1, "area": "A", "kbu": "K"})
    mentors = pd.DataFrame({"id": [f"M{k:03d}" for k in range(n)], "level": 1, "area": "A", "kbu": "K"})
    return mentees, mentors


def _check(result, costs):
    n = len(costs)
    assert result.info.status == "OPTIMAL"
    assert len(result.pairs) == n and result.unmatched.empty
    rows = result.pairs["mentee_id"].str[1:].astype(int).to_numpy()
    cols = result.pairs["mentor_id"].str[1:].astype(int).to_numpy()
    assert sorted(cols) == list(range(n))  # a permutation
    assert int(costs[rows, cols].sum()) == OPTIMUM
    assert result.info.score == -OPTIMUM
    assert result.pairs["cost"].sum() == pytest.approx(-OPTIMUM)


def test_assign100_score_table(costs):
    n = len(costs)
    mentees, mentors = _people(n)
    e, m = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    table = pd.DataFrame({"mentee_id": mentees["id"].to_numpy()[e.ravel()],
                          "mentor_id": mentors["id"].to_numpy()[m.ravel()],
                          "score": -costs.ravel().astype(float)})
    result = matching.match(mentees, mentors, settings="assignment", extra_criteria={"cost": table})
    _check(result, costs)


def test_assign100_score_function(costs):
    n = len(costs)
    mentees, mentors = _people(n)
    calls = []

    def cost(e, m):
        """Dense negated costs of the mentees and mentors asked for (may be a block of rows)."""
        calls.append(len(e))
        rows = np.array([int(x[1:]) for x in e.ids])
        cols = np.array([int(x[1:]) for x in m.ids])
        return -costs[np.ix_(rows, cols)].astype(float)

    result = matching.match(mentees, mentors, settings="assignment", extra_criteria={"cost": cost})
    _check(result, costs)
    assert calls


def test_assign100_weight_scales_the_criterion(costs):
    """A weight of 2 doubles the objective; the optimal assignment stays optimal."""
    n = len(costs)
    mentees, mentors = _people(n)
    neg = -costs.astype(float)
    s = matching.Settings.from_dict({"preset": "assignment", "weights": {"cost": 2}})
    result = matching.match(mentees, mentors, settings=s,
                            extra_criteria={"cost": lambda e, m: neg[np.ix_([int(x[1:]) for x in e.ids],
                                                                            [int(x[1:]) for x in m.ids])]})
    assert result.info.score == -2 * OPTIMUM
