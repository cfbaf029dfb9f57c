"""The public entry points: :func:`match` and :func:`candidates`."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .cohort.model import Cohort
from .cohort.settings import Settings
from .cohort.validate import load_cohort
from .files import progress as _progress
from .review.decisions import apply_upfront, read_decisions, replay
from .review.result import MatchResult
from .review.solve import check_pins, check_weights, make_problem, solve
from .scoring.scores import RESOLUTION, Candidates
from .scoring.sparse import build_candidates

__all__ = ["match", "candidates", "solve_cohort", "check_pins", "check_weights", "make_problem"]


def solve_cohort(cohort: Cohort, settings: Settings, *, seconds: dict | None = None,
                 cands: Candidates | None = None, prefer: np.ndarray | None = None) -> MatchResult:
    """Solve a validated cohort (see :func:`matching.review.solve.solve`) into a :class:`MatchResult`."""
    return MatchResult.from_outcome(solve(cohort, settings, seconds=seconds, cands=cands, prefer=prefer))


def match(mentees, mentors, *, settings=None, relatedness=None, exclusions=None, pins=None,
          extra_criteria=None, decisions=None, progress=None) -> MatchResult:
    """Pair mentees with mentors optimally under the program's rules.

    The objective is lexicographic: first the most mentees matched (weighted by
    their ``priority``), then the highest total score. Hard rules, capacities,
    exclusions and pins always hold.

    Parameters
    ----------
    mentees, mentors : pandas.DataFrame or path to a CSV / Excel file
        See the input contract in the README.
    settings : Settings, dict, preset name or TOML path, optional
    relatedness : DataFrame or path, optional
        ``area_a, area_b, relatedness`` in [0, 1].
    exclusions, pins : DataFrame or path, optional
        ``mentee_id, mentor_id`` pairs never / always to form.
    extra_criteria : dict, optional
        ``name -> function(mentees, mentors)`` or ``name -> DataFrame(mentee_id, mentor_id, score)``;
        weighted by ``settings.weights[name]`` (default 1).
    decisions : DataFrame or path, optional
        A committee's decision log (:attr:`MatchResult.decisions`: ``kind, mentee_id,
        mentor_id, reason, decided_by, decided_at``). Rows without ``decided_at`` are
        added to the pins and bans before solving; time-stamped rows are replayed in
        order, as the committee made them, so the committee's result comes back.
    progress : bool, optional
        Show progress bars for long steps (default: only on a terminal or in a notebook).

    Returns
    -------
    MatchResult

    Raises
    ------
    InputError
        Bad input, with every problem listed in ``.failure_cases``.
    PinError
        A pin breaks a hard rule or a capacity.

    Examples
    --------
    >>> import matching
    >>> data = matching.load_example()
    >>> result = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    >>> result.summary["pairs"] + result.summary["unmatched"] == result.summary["mentees"]
    True
    >>> revised = result.with_pins([("E001", "M018")], reason="asked twice", decided_by="chair")
    >>> again = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"],
    ...                        decisions=revised.decisions)
    >>> again.mentor_of == revised.mentor_of
    True
    """
    settings = Settings.coerce(settings)
    started = time.perf_counter()
    with _progress.scope(progress), _progress.bar(3, "reading the tables", unit="step") as bar:
        cohort = load_cohort(mentees, mentors, relatedness=relatedness, exclusions=exclusions, pins=pins,
                             extra_criteria=extra_criteria, settings=settings)
        log = read_decisions(decisions) if decisions is not None else None
        if log is not None:
            cohort = apply_upfront(cohort, log)
        _step(bar, "scoring and solving (large cohorts: certificate rounds)")
        result = solve_cohort(cohort, settings, seconds={"validate": time.perf_counter() - started})
        _step(bar, "replaying the committee's decisions")
        if log is not None:
            result = MatchResult.from_outcome(replay(result, log))
        bar.update(1)
    return result


def _step(bar, text: str) -> None:
    bar.update(1)
    if hasattr(bar, "set_description"):
        bar.set_description(text)


def candidate_frame(cohort: Cohort, cands: Candidates) -> pd.DataFrame:
    """The candidate arrays as a table with ids and float parts."""
    frame = pd.DataFrame({"mentee_id": cohort.mentees.ids[cands.i].astype(object),
                          "mentor_id": cohort.mentors.ids[cands.j].astype(object),
                          "score": cands.total / RESOLUTION})
    for k, name in enumerate(cands.names):
        frame[name] = cands.parts[:, k] / RESOLUTION
    rank = cohort.preferences
    lookup = np.zeros(len(cands), dtype=np.int64)
    if len(rank):
        keys = rank.i * (1 << 32) + rank.j
        probe = cands.i * (1 << 32) + cands.j
        pos = np.minimum(np.searchsorted(keys, probe), len(keys) - 1)
        hit = keys[pos] == probe
        lookup[hit] = rank.value[pos[hit]]
    frame["preference_rank"] = pd.array(lookup, dtype="Int64")
    frame.loc[lookup == 0, "preference_rank"] = pd.NA
    return frame


def candidates(mentees, mentors, *, settings=None, relatedness=None, exclusions=None, pins=None,
               extra_criteria=None) -> pd.DataFrame:
    """Every allowed pair with its score and each criterion's part.

    A pair is allowed when it breaks no hard rule, is not excluded, the mentee is
    eligible and the mentor has capacity. Pins do not narrow this table.

    Returns
    -------
    pandas.DataFrame
        ``mentee_id, mentor_id, score``, one column per criterion, ``preference_rank``.

    Examples
    --------
    >>> import matching
    >>> data = matching.load_example()
    >>> table = matching.candidates(data["mentees"], data["mentors"])
    >>> list(table.columns[:3])
    ['mentee_id', 'mentor_id', 'score']
    """
    settings = Settings.coerce(settings)
    cohort = load_cohort(mentees, mentors, relatedness=relatedness, exclusions=exclusions, pins=pins,
                         extra_criteria=extra_criteria, settings=settings)
    return candidate_frame(cohort, build_candidates(cohort, settings))
