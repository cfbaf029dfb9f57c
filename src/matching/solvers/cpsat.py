"""Cohort goals by OR-Tools CP-SAT, warm-started from the min-cost-flow answer.

The model has one Boolean per candidate arc (pinned arcs included, fixed to 1), at
most one mentor per mentee, mentor capacities, and the goals of
:mod:`matching.cohort.goals` as linear constraints.

Objective, lexicographic and exact (staged solves, no big-M):

1. matched priority: fixed to its maximum without goals, ``P*`` (from min-cost
   flow, which proves it; goals never leave more mentees unmatched);
2. with ``fairness = "maximin"``: the lowest pair score of a matched mentee
   (a separate solve; its optimum is then fixed);
3. total score minus soft-goal penalties (``weight`` points per unit missed).

The result's ``matched_priority`` and ``score`` are recomputed from the pairs. The
reported ``bound``/``gap`` refer to level 3 (score minus penalties, in score points).
CP-SAT runs ``settings.workers`` parallel workers with ``random_seed = settings.seed``.
What is deterministic: with ``workers = 1`` the whole search (same pairs every run);
with more workers the optimum *value* of an OPTIMAL result, while which of several
equally good matchings is returned may vary; a solve stopped by ``time_limit``
(FEASIBLE) depends on the clock. When the min-cost-flow optimum already meets every
goal (no soft miss, no maximin) and the solver was chosen automatically, it is
returned as proven optimal without running CP-SAT: it is optimal for a relaxation.

When every goal is a share target (hard or soft) or a hard rank lag and the candidate set is complete,
:func:`matching.solvers.hints.lagrangian_path` runs first: Lagrangian relaxation
(:mod:`matching.solvers.lagrange`) gives an exact integer bound and feasible matchings
from min-cost flow. A gap of 0 is returned OPTIMAL with no CP-SAT search; a gap within
``settings.gap_limit`` (default 0.1%) is returned FEASIBLE with that bound and a
warning (CP-SAT first gets up to ``PROOF_SECONDS`` when the pruned model is small);
otherwise CP-SAT searches only the arcs reduced-cost fixing keeps, hinted with the best
matching. ``Assignment.solver`` says which ran. Without an incumbent (targets that may
not hold) the full model below decides, with the Lagrangian bound as ceiling.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from ortools.sat.python import cp_model

from ..cohort.goals import evaluate_goals, parse_goals
from ..errors import SolverError
from ..scoring.diagnose import diagnose_cohort
from .conflicts import raise_conflict
from .cpsat_model import Arcs, GoalModel, arc_sum
from .cpsat_run import answer, run
from .flow import ortools_version, solve_flow
from .hints import lagrangian_hint, lagrangian_path
from .lagrange import lagrangian_fits
from .problem import Assignment, Problem

__all__ = ["solve_cpsat", "Arcs", "GoalModel", "run", "USE_LAGRANGIAN"]

log = logging.getLogger(__name__)

#: Bound share targets by Lagrangian relaxation first (see :mod:`matching.solvers.lagrange`).
USE_LAGRANGIAN = True


def _lagrangian_fits(goals) -> bool:
    """Whether every goal is a share target (hard or soft) or a hard rank lag, the goals the relaxation handles."""
    return lagrangian_fits(goals)


def _check_status(solver, status, model: GoalModel, seconds: float, stage: str):
    """Raise for every status that yields no matching; return whether it is proven."""
    if status == cp_model.OPTIMAL:
        return True
    if status == cp_model.FEASIBLE:
        return False
    if status == cp_model.MODEL_INVALID:
        raise SolverError(f"CP-SAT rejected the model (internal error) in the {stage} stage: "
                          f"{model.m.validate()}", status="MODEL_INVALID")
    if status == cp_model.UNKNOWN:
        raise SolverError(f"CP-SAT reached the time limit ({seconds:.3g} s) in the {stage} stage without "
                          "finding any matching that meets the hard rules and goals; raise 'time_limit' in "
                          "the settings (or soften a hard goal)", status="UNKNOWN")
    if status == cp_model.INFEASIBLE:
        return None
    raise SolverError(f"unexpected CP-SAT status {solver.status_name(status)}", status=solver.status_name(status))


def _max_priority(arcs, cohort, settings, problem, deadline) -> tuple[int, bool]:
    """Cold start: the first level by CP-SAT itself (used to check the flow path)."""
    model = GoalModel(arcs, cohort, settings, parse_goals({}), problem, 0)
    model.m.maximize(arc_sum(model.x, np.arange(len(arcs)), arcs.priority))
    solver, status = run(model.m, settings, deadline - time.perf_counter())
    proven = _check_status(solver, status, model, settings.time_limit, "most-matched")
    return int(round(solver.objective_value)), bool(proven)


def solve_cpsat(problem: Problem, cohort, settings, cands=None, *, warm_start: bool = True,
                lagrangian: bool | None = None, gap_limit: float | None = None) -> Assignment:
    """Solve the problem with the cohort goals of ``settings.targets``.

    ``lagrangian`` (default :data:`USE_LAGRANGIAN`) bounds share targets first by
    Lagrangian relaxation (:mod:`matching.solvers.lagrange`); ``gap_limit`` (default
    ``settings.gap_limit``) is the
    relative gap below which a Lagrangian-bounded matching is returned without a CP-SAT
    search (status FEASIBLE, with a warning, unless the gap is 0).

    Raises
    ------
    InfeasibleError
        The hard goals cannot all hold (the smallest conflict is named).
    SolverError
        CP-SAT found no matching in time, or rejected the model.
    """
    started = time.perf_counter()
    deadline = started + settings.time_limit
    goals = parse_goals(settings.targets)
    diagnosis = diagnose_cohort(cohort, settings, cands).short()
    log.info("diagnosis: %s", diagnosis["text"])
    arcs = Arcs(problem, cohort)
    ceiling = None
    complete = getattr(cands, "complete", True)  # a bound over a sparse candidate set would not hold
    if warm_start and complete and (USE_LAGRANGIAN if lagrangian is None else lagrangian) and _lagrangian_fits(goals):
        limit = settings.gap_limit if gap_limit is None else gap_limit
        done, ceiling = lagrangian_path(problem, arcs, cohort, settings, goals, diagnosis, started, deadline, limit)
        if done is not None:
            return done
    proven, hint = True, None
    if warm_start:
        flow = solve_flow(problem)
        flow_ceiling = flow.score - int(problem.fixed_score.sum())  # no goal can raise the free score
        ceiling = flow_ceiling if ceiling is None else min(ceiling, flow_ceiling)
        p_star, hint = flow.matched_priority, flow.mentor_of
        arcs.n_most = int((flow.mentor_of >= 0).sum())
    else:
        p_star, proven = _max_priority(arcs, cohort, settings, problem, deadline)
    if warm_start and settings.solver == "auto" and not goals.maximin:
        report = evaluate_goals(cohort, settings, goals, flow.mentor_of)
        if all(row["missed_by"] == 0 for row in report):
            extra = {"goals": report, "diagnosis": diagnosis,
                     "cpsat": {"stages": [], "proof": "the min-cost-flow optimum meets every goal"}}
            return Assignment(mentor_of=flow.mentor_of, solver=flow.solver + " (goals checked)", status="OPTIMAL",
                              matched_priority=flow.matched_priority, score=flow.score, bound=None, gap=0.0,
                              wall_time=time.perf_counter() - started, extra=extra)
    if warm_start:
        hint = lagrangian_hint(problem, arcs, cohort, settings, goals, hint)
    z_star, stages = None, []
    if goals.maximin:
        model, solver, ok, name = _stage(arcs, cohort, settings, goals, problem, p_star, None, hint, deadline,
                                         "maximin", None)
        z_star, hint, proven = int(round(solver.objective_value)), model.mentor_of(solver, problem.n_mentees), proven and ok
        stages.append(("maximin", name, solver.objective_value, solver.best_objective_bound))
    model, solver, ok, name = _stage(arcs, cohort, settings, goals, problem, p_star, z_star, hint, deadline, "score",
                                     ceiling)
    proven = proven and ok
    stages.append(("score", name, solver.objective_value, solver.best_objective_bound))
    mentor_of = model.mentor_of(solver, problem.n_mentees)
    sparse = not getattr(cands, "complete", True)
    return _assignment(problem, cohort, settings, goals, mentor_of, solver, proven, stages, diagnosis, started,
                       ceiling, sparse)


def _stage(arcs, cohort, settings, goals, problem, p_star, z_star, hint, deadline, stage, ceiling):
    model = GoalModel(arcs, cohort, settings, goals, problem, p_star)
    if stage == "maximin":
        model.m.maximize(model.worst_score())
    else:
        if z_star is not None:
            model.m.add(model.worst_score() >= z_star)
        model.m.maximize(model.score_expr())
        if ceiling is not None:
            model.m.add(model.score_expr() <= ceiling)
    if hint is not None:
        model.hint(hint)
    seconds = deadline - time.perf_counter()
    solver, status = run(model.m, settings, seconds)
    ok = _check_status(solver, status, model, settings.time_limit, stage)
    if ok is None:
        raise_conflict(arcs, cohort, settings, goals, problem, p_star, deadline)
    return model, solver, ok, solver.status_name(status)


def _assignment(problem, cohort, settings, goals, mentor_of, solver, proven, stages, diagnosis, started,
                ceiling, sparse):
    objective, bound = solver.objective_value, solver.best_objective_bound
    if ceiling is not None:  # the flow optimum bounds the full problem, sparse candidates or not
        bound = min(bound, ceiling) if not sparse else ceiling
        proven = proven and (not sparse or objective >= ceiling)
    return answer(problem, cohort, settings, goals, mentor_of, objective, bound, proven, diagnosis, started,
                   f"ortools.cp_sat {ortools_version()}", {"stages": stages})
