"""Solvers. OR-Tools is imported only inside this package.

Every solver takes a :class:`~matching.solvers.problem.Problem` (integer scores,
capacities, fixed pairs) and returns a :class:`~matching.solvers.problem.Assignment`.
"""

from .problem import Assignment, Problem

__all__ = ["Assignment", "Problem"]
