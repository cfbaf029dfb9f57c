"""Running a CP-SAT model, and turning its matching into an :class:`Assignment`.

Shared by :mod:`.cpsat`, :mod:`.hints` and :mod:`.conflicts`, which take what they need
from here (and from :mod:`.cpsat_model`), never from each other.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from ortools.sat.python import cp_model

from ..cohort.goals import evaluate_goals
from ..errors import MatchingWarning
from ..scoring.scores import RESOLUTION
from .problem import Assignment

__all__ = ["run", "answer"]


def run(model: cp_model.CpModel, settings, seconds: float, *, workers: int | None = None,
        linearization: int | None = None):
    """Solve with the settings' seed, workers and (remaining) time."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(float(seconds), 0.001)
    params.num_workers = int(workers or settings.workers)
    params.random_seed = int(settings.seed)
    if linearization is not None:
        params.linearization_level = linearization
    status = solver.solve(model)
    return solver, status


def answer(problem, cohort, settings, goals, mentor_of, objective, bound, proven, diagnosis, started, solver,
            detail, why="CP-SAT stopped at the time limit ({limit:g} s) before proving the matching optimal: "
                        "{stats}; raise 'time_limit' for a proven optimum"):
    """The :class:`Assignment`, its goal report, and the warning when not proven optimal."""
    matched = mentor_of >= 0
    free = matched & ~np.isin(np.arange(problem.n_mentees), problem.fixed_i)
    keys = problem.i * (1 << 32) + problem.j
    pos = np.searchsorted(keys, np.flatnonzero(free) * (1 << 32) + mentor_of[free])
    score = int(problem.score[pos].sum() + problem.fixed_score.sum())
    gap = 0.0 if proven else abs(bound - objective) / max(1.0, abs(bound))
    report = evaluate_goals(cohort, settings, goals, mentor_of)
    extra = {"goals": report, "diagnosis": diagnosis,
             "cpsat": {"workers": settings.workers, "seed": settings.seed,
                       "penalty": (score - int(problem.fixed_score.sum()) - objective) / RESOLUTION,
                       "deterministic": "same pairs every run" if settings.workers == 1
                       else "same optimum value every run; ties may differ between runs"}}
    extra["cpsat"].update(detail)
    status = "OPTIMAL" if proven else "FEASIBLE"
    if not proven:
        stats = f"objective {objective / RESOLUTION:.3f}, bound {bound / RESOLUTION:.3f}, gap {gap:.3%}"
        warnings.warn(MatchingWarning(why.format(limit=settings.time_limit, stats=stats)), stacklevel=5)
    return Assignment(mentor_of=mentor_of, solver=solver, status=status,
                      matched_priority=int(problem.priority[matched].sum()), score=score,
                      bound=bound / RESOLUTION, gap=float(gap), wall_time=time.perf_counter() - started,
                      extra=extra)
