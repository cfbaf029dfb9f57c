"""The public entry points: :func:`match` and :func:`candidates`."""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import pandas as pd

from .errors import PinError, SettingsError
from .cohort.model import Cohort
from .cohort.values import keys
from .review.reasons import pin_problem
from .review.result import PRIORITY_RESOLUTION, MatchResult, build_result
from .scoring.rules import broken_rules
from .scoring import scores as scoring
from .scoring.scores import RESOLUTION, Candidates, best_reduced, build_candidates, score_pairs
from .cohort.settings import Settings
from .solvers.problem import Assignment, Problem
from .cohort.validate import load_cohort

__all__ = ["match", "candidates", "solve_cohort", "check_pins", "check_weights", "make_problem"]

log = logging.getLogger("matching")


def check_pins(cohort: Cohort, settings: Settings) -> None:
    """Raise :class:`PinError` naming every pin that breaks a hard rule or a capacity."""
    pins = cohort.pins
    if not len(pins):
        return
    failures = []
    for i, j, broken in zip(pins.i, pins.j, broken_rules(cohort, settings, pins.i, pins.j)):
        if broken:
            failures.append({"file": "pins", "column": "mentor_id", "id": str(cohort.mentees.ids[i]),
                             "problem": pin_problem(cohort, settings, int(i), int(j), broken)})
    load = np.bincount(pins.j, minlength=len(cohort.mentors))
    for j in np.flatnonzero(load > cohort.mentors.capacity):
        failures.append({"file": "pins", "column": "mentor_id", "id": str(cohort.mentors.ids[j]),
                         "problem": f"mentor '{cohort.mentors.ids[j]}' is pinned to {load[j]} mentees but has "
                                    f"capacity {cohort.mentors.capacity[j]}"})
    if failures:
        raise PinError(failures)


def check_weights(cohort: Cohort, settings: Settings) -> None:
    """Raise :class:`SettingsError` for a weight that names no criterion (a typo such as
    ``cross_kbuu`` would otherwise be silently ignored) or an area group naming an
    area nobody works in."""
    known = set(scoring.criterion_names(cohort))
    unknown = sorted(set(settings.weights) - known)
    problems = [{"column": f"weights.{name}", "problem": (
        f"The weight '{name}' names no criterion. Criteria: {', '.join(sorted(known))}.")} for name in unknown]
    areas = set(keys(cohort.areas))
    for group, members in settings.area_groups.items():
        problems += [{"column": f"area_groups.{group}", "problem": (
            f"The area group '{group}' names '{a}', which is no mentee's or mentor's area.")}
            for a, k in zip(members, keys(members)) if k not in areas]
    if problems:
        raise SettingsError(problems)


def make_problem(cohort: Cohort, settings: Settings, cands: Candidates) -> Problem:
    """The solver-facing integer problem (pins become fixed pairs)."""
    pins = cohort.pins
    fixed_score = score_pairs(cohort, settings, pins.i, pins.j).sum(axis=1)
    priority = np.rint(cohort.mentees.priority * PRIORITY_RESOLUTION).astype(np.int64)
    return Problem(n_mentees=len(cohort.mentees), n_mentors=len(cohort.mentors), i=cands.i, j=cands.j,
                   score=cands.total, priority=priority, capacity=cohort.mentors.capacity.copy(),
                   fixed_i=pins.i.copy(), fixed_j=pins.j.copy(), fixed_score=fixed_score)


def _keeping(problem: Problem, prefer: np.ndarray) -> Problem | None:
    """The problem with a third objective level: among optimal answers, keep the most
    pairs of ``prefer`` (a mentor position per mentee, -1 for none).

    Scores are scaled by ``K = n_mentees + 1`` and each kept pair adds 1, so no number of
    kept pairs can outweigh one score unit. None when the scaled costs would not fit
    exactly in the solver's integers (then no preference is applied).
    """
    k = problem.n_mentees + 1
    spread = int(np.abs(problem.score).max(initial=0)) * k + 1
    worst = spread * 2 * k * int(problem.priority.max(initial=1)) * (problem.n_mentees + problem.n_mentors + 2)
    if worst >= 2**61:
        return None
    kept = (prefer[problem.i] == problem.j).astype(np.int64)
    return dataclasses.replace(problem, score=problem.score * k + kept, fixed_score=problem.fixed_score * k)


def _wants_cpsat(settings: Settings) -> bool:
    """CP-SAT when asked for, or when cohort goals are set and the solver is automatic."""
    return settings.solver == "cpsat" or (settings.solver == "auto" and bool(settings.targets))


def _solve(problem: Problem, cohort: Cohort, settings: Settings, cands: Candidates,
           solved: Assignment | None = None) -> Assignment:
    """Pick the solver: CP-SAT when cohort goals ask for it, min-cost flow otherwise.

    ``solved`` is the certified min-cost flow optimum when ``cands`` is a sparse
    candidate set (large cohorts; see :func:`_certify`).
    """
    if _wants_cpsat(settings):
        from .solvers.cpsat import solve_cpsat

        return solve_cpsat(problem, cohort, settings, cands)
    if solved is not None:
        return solved
    from .solvers.flow import solve_flow

    return solve_flow(problem)


def _certify(cohort: Cohort, settings: Settings, cands: Candidates) -> tuple[Candidates, Assignment]:
    """Solve on a sparse candidate set and prove the optimum holds for every allowed pair.

    Returns the candidate set grown by the pairs the certificate added, and the optimum.
    """
    from .solvers.certified import solve_certified

    def scan(rows, price):
        return best_reduced(cohort, settings, rows, price, k=scoring.TOP_K)

    assignment, i, j, _ = solve_certified(make_problem(cohort, settings, cands), bound=cands.bound,
                                          score_range=cands.score_range, scan=scan, n_allowed=cands.n_allowed)
    if len(i):
        i, j = np.concatenate([cands.i, i]), np.concatenate([cands.j, j])
        order = np.lexsort((j, i))
        i, j = i[order], j[order]
        parts = score_pairs(cohort, settings, i, j)
        cands = dataclasses.replace(cands, i=i, j=j, parts=parts, total=parts.sum(axis=1))
    return cands, assignment


def solve_cohort(cohort: Cohort, settings: Settings, *, seconds: dict | None = None,
                 cands: Candidates | None = None, prefer: np.ndarray | None = None) -> MatchResult:
    """Score, check pins, solve and assemble the result for a validated cohort.

    ``prefer`` (a mentor position per mentee, -1 for none) makes a what-if re-solve keep
    as many of those pairs as an optimal answer allows; it is logged at DEBUG only.
    """
    seconds = dict(seconds or {})
    started = time.perf_counter()
    if cands is None:
        # Cohort goals need every allowed pair: the sparse set's certificate covers only
        # the goal-free problem, so a goal solved on it could be wrongly infeasible.
        limit = None if _wants_cpsat(settings) else scoring.FULL_LIMIT
        cands = build_candidates(cohort, settings, limit=limit, k=scoring.TOP_K)
    seconds["score"] = time.perf_counter() - started
    check_weights(cohort, settings)
    check_pins(cohort, settings)
    solved = None
    if not cands.complete:
        cands, solved = _certify(cohort, settings, cands)
    problem = make_problem(cohort, settings, cands)
    keeping = None
    if prefer is not None and solved is None and not _wants_cpsat(settings):
        keeping = _keeping(problem, prefer)
    assignment = _solve(keeping or problem, cohort, settings, cands, solved)
    if keeping is not None:  # report the true score, not the scaled one
        i = np.flatnonzero(assignment.mentor_of >= 0)
        true = int(score_pairs(cohort, settings, i, assignment.mentor_of[i]).sum())
        assignment = dataclasses.replace(assignment, score=true)
    started = time.perf_counter()
    result = build_result(cohort, settings, cands, assignment, seconds)
    result.info.seconds["result"] = time.perf_counter() - started
    result.info.seconds["total"] = sum(v for k, v in result.info.seconds.items() if k != "total")
    log.log(logging.DEBUG if prefer is not None else logging.INFO, "%smatched %d of %d mentees (%s, %.3fs)",
            "what-if re-solve: " if prefer is not None else "", result.summary["pairs"],
            result.summary["mentees"], result.info.status, result.info.seconds["total"])
    return result


def match(mentees, mentors, *, settings=None, relatedness=None, exclusions=None, pins=None,
          extra_criteria=None) -> MatchResult:
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
    """
    settings = Settings.coerce(settings)
    started = time.perf_counter()
    cohort = load_cohort(mentees, mentors, relatedness=relatedness, exclusions=exclusions, pins=pins,
                         extra_criteria=extra_criteria, settings=settings)
    return solve_cohort(cohort, settings, seconds={"validate": time.perf_counter() - started})


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
