"""Solve a validated cohort: score, check pins and weights, solve, assemble the outcome.

The one step below every what-if: :func:`matching.match` and the review methods
(explanations, pins, bans) all re-solve through :func:`solve`.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np

from .._numeric import member, unique
from ..cohort.model import Cohort
from ..cohort.settings import Settings
from ..cohort.values import keys
from ..errors import PinError, SettingsError
from ..scoring import scores as scoring
from ..scoring.rules import broken_rules
from ..scoring.scores import Candidates, score_pairs
from ..scoring import fused
from ..scoring.sparse import best_reduced, build_candidates, sparse_kernel
from ..solvers.certified import solve_certified
from ..solvers.cpsat import solve_cpsat
from ..cohort.goals import parse_goals
from ..scoring.diagnose import diagnose_cohort
from ..solvers.flow import solve_flow
from ..solvers.goal_flows import flow_goals, solve_goal_flows
from ..solvers.goal_search import search_fits, solve_goal_search
from ..solvers.lagrange import lagrangian_fits
from ..solvers.problem import Assignment, Problem
from .outcome import PRIORITY_RESOLUTION, Outcome, build_outcome
from .reasons import pin_problem

__all__ = ["solve", "check_pins", "check_weights", "make_problem"]

log = logging.getLogger("matching")

#: Seconds of ``time_limit`` kept for assembling the result after a goal's search.
RESULT_SECONDS = 0.5


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
    areas = set(keys(cohort.areas))  # compared as people mean them (case, spaces)
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


def _wants_flow_goals(settings: Settings) -> bool:
    """Goals that are exact flows (a KBU load limit, maximin) and the solver is automatic."""
    return settings.solver == "auto" and bool(settings.targets) and flow_goals(parse_goals(settings.targets))


def _wants_search(settings: Settings) -> bool:
    """Rank lag or mentor KBU shares (no maximin) and the solver is automatic: flows first, CP-SAT after."""
    return settings.solver == "auto" and bool(settings.targets) and search_fits(parse_goals(settings.targets))


def _sparse_goals(settings: Settings) -> bool:
    """Goals solved on the sparse candidate set, certified over every allowed pair like the plain match."""
    return _wants_flow_goals(settings) or _wants_search(settings)


def _wants_cpsat(settings: Settings) -> bool:
    """CP-SAT when asked for, or when cohort goals other than flows are set and the solver is automatic."""
    return settings.solver == "cpsat" or (settings.solver == "auto" and bool(settings.targets)
                                          and not _wants_flow_goals(settings))


def _goal_flows(problem: Problem, cohort: Cohort, settings: Settings, cands: Candidates,
                solved: Assignment | None) -> Assignment:
    """The flow goals (or the flow-first search), from the plain optimum; certified over every
    allowed pair by ``best_reduced`` scans. Without a matching meeting the hard goals, the
    full CP-SAT model decides on every allowed pair. A hard rank lag on a complete candidate
    set (no other goal but share targets) goes to the Lagrangian bound (:func:`solve_cpsat`)."""
    started = time.perf_counter()
    if cands.complete and not _wants_flow_goals(settings) and lagrangian_fits(parse_goals(settings.targets)):
        return solve_cpsat(problem, cohort, settings, cands)
    plain = solved if solved is not None else solve_flow(problem)
    scan, bound, score_range = None, None, (int(cands.total.min(initial=0)), int(cands.total.max(initial=0)))
    if not cands.complete:
        def scan(rows, price, k):
            return best_reduced(cohort, settings, rows, price, k=k)
        bound, score_range = cands.bound, cands.score_range
    goals = parse_goals(settings.targets)
    kw = dict(score_range=score_range, scan=scan, bound=bound)
    if _wants_flow_goals(settings):  # exact flows: no diagnosis needed (it costs a scoring pass)
        return solve_goal_flows(problem, cohort, settings, goals, plain, **kw)
    kw["diagnosis"] = diagnose_cohort(cohort, settings, cands).short()
    done = solve_goal_search(problem, cohort, settings, goals, p_star=plain.matched_priority, **kw)
    if done is not None:
        return done
    if not cands.complete:
        cands = build_candidates(cohort, settings)
        problem = make_problem(cohort, settings, cands)
    left = settings.time_limit - (time.perf_counter() - started)  # the search's time counts
    return solve_cpsat(problem, cohort, settings.replace(time_limit=max(left, 1.0)), cands)


def _solve(problem: Problem, cohort: Cohort, settings: Settings, cands: Candidates,
           solved: Assignment | None = None) -> Assignment:
    """Pick the solver: CP-SAT when cohort goals ask for it, min-cost flow otherwise.

    ``solved`` is the certified min-cost flow optimum when ``cands`` is a sparse
    candidate set (large cohorts; see :func:`_certify`).
    """
    if _sparse_goals(settings):
        return _goal_flows(problem, cohort, settings, cands, solved)
    if _wants_cpsat(settings):
        return solve_cpsat(problem, cohort, settings, cands)
    if solved is not None:
        return solved
    return solve_flow(problem)


def _certify(cohort: Cohort, settings: Settings, cands: Candidates) -> tuple[Candidates, Assignment]:
    """Solve on a sparse candidate set and prove the optimum holds for every allowed pair.

    Returns the candidate set grown by the pairs the certificate added, and the optimum.
    """
    compiled = fused.supports(sparse_kernel(cohort, settings))

    def scan(rows, price, within=None):
        return best_reduced(cohort, settings, rows, price, k=scoring.SCAN_K, within=within)

    assignment, i, j, _ = solve_certified(make_problem(cohort, settings, cands), bound=cands.bound,
                                          score_range=cands.score_range, scan=scan, n_allowed=cands.n_allowed,
                                          mentor_bound=cands.mentor_bound,
                                          exact_scan=compiled, scan_within=compiled)
    return _with_pairs(cohort, settings, cands, i, j), assignment


def _with_pairs(cohort: Cohort, settings: Settings, cands: Candidates, i, j) -> Candidates:
    """``cands`` grown by the pairs ``(i, j)`` it lacks (a sparse set: the certificate added them).

    ``cands`` is sorted by (mentee, mentor): membership is a binary search, only the new
    pairs are scored, and they are merged in place (no re-sort of millions of pairs).
    """
    m = len(cohort.mentors)
    have = cands.i * m + cands.j
    if len(have) > 1 and not (have[1:] > have[:-1]).all():
        raise AssertionError("internal error: candidate pairs are not sorted by (mentee, mentor)")
    probe = unique(np.asarray(i, np.int64) * m + np.asarray(j, np.int64))
    fresh = probe[~member(have, probe)]
    if not len(fresh):
        return cands
    ni, nj = np.divmod(fresh, m)
    parts = score_pairs(cohort, settings, ni, nj)
    at = np.searchsorted(have, fresh)
    new = (("i", ni), ("j", nj), ("total", parts.sum(axis=1))) + ((("parts", parts),) if cands.parts is not None else ())
    return dataclasses.replace(cands, **{name: np.insert(getattr(cands, name), at, v, axis=0) for name, v in new})


def _check_totals(cohort: Cohort, settings: Settings, cands: Candidates, i, j) -> None:
    """The sparse set's totals (from the compiled tables) of the chosen pairs equal the
    criteria's definitions: the parts a result shows add up to the score it optimised."""
    m = len(cohort.mentors)
    at = np.searchsorted(cands.i * m + cands.j, i * m + j)
    if not np.array_equal(cands.total[at], score_pairs(cohort, settings, i, j).sum(axis=1)):
        raise AssertionError("internal error: table scores differ from the criteria's definitions")


def _budget(settings: Settings, seconds: dict, started: float) -> Settings:
    """``settings`` with the time already spent (validation, scoring, the plain optimum)
    taken off ``time_limit``, so that a cohort goal's search ends within it end to end."""
    if not settings.targets and settings.solver != "cpsat":
        return settings
    spent = float(seconds.get("validate", 0.0)) + time.perf_counter() - started
    return settings.replace(time_limit=max(settings.time_limit - spent - RESULT_SECONDS, 1.0))


def solve(cohort: Cohort, settings: Settings, *, seconds: dict | None = None,
          cands: Candidates | None = None, prefer: np.ndarray | None = None) -> Outcome:
    """Score, check pins, solve and assemble the outcome of a validated cohort.

    ``prefer`` (a mentor position per mentee, -1 for none) makes a what-if re-solve keep
    as many of those pairs as an optimal answer allows; it is logged at DEBUG only.
    """
    seconds = dict(seconds or {})
    started = time.perf_counter()
    if cands is None:
        # Cohort goals need every allowed pair: the sparse set's certificate covers only
        # the goal-free problem, so a goal solved on it could be wrongly infeasible.
        limit = None if _wants_cpsat(settings) and not _sparse_goals(settings) else scoring.FULL_LIMIT
        cands = build_candidates(cohort, settings, limit=limit, k=scoring.TOP_K)
    seconds["score"] = time.perf_counter() - started
    check_weights(cohort, settings)
    check_pins(cohort, settings)
    solved = None
    if not cands.complete:
        cands, solved = _certify(cohort, settings, cands)
    problem = make_problem(cohort, settings, cands)
    keeping = None
    if prefer is not None and solved is None and not _wants_cpsat(settings) and not _wants_flow_goals(settings):
        keeping = _keeping(problem, prefer)
    assignment = _solve(keeping or problem, cohort, _budget(settings, seconds, started), cands, solved)
    if keeping is not None:  # report the true score, not the scaled one
        i = np.flatnonzero(assignment.mentor_of >= 0)
        true = int(score_pairs(cohort, settings, i, assignment.mentor_of[i]).sum())
        assignment = dataclasses.replace(assignment, score=true)
    if not cands.complete:  # the goal flows' certificates may choose pairs the set lacks
        chosen = np.flatnonzero(assignment.mentor_of >= 0)
        cands = _with_pairs(cohort, settings, cands, chosen, assignment.mentor_of[chosen])
        _check_totals(cohort, settings, cands, chosen, assignment.mentor_of[chosen])
    started = time.perf_counter()
    result = build_outcome(cohort, settings, cands, assignment, seconds)
    result.info.seconds["result"] = time.perf_counter() - started
    result.info.seconds["total"] = sum(v for k, v in result.info.seconds.items() if k != "total")
    log.log(logging.DEBUG if prefer is not None else logging.INFO, "%smatched %d of %d mentees (%s, %.3fs)",
            "what-if re-solve: " if prefer is not None else "", result.summary["pairs"],
            result.summary["mentees"], result.info.status, result.info.seconds["total"])
    return result
