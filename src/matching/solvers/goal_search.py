"""Rank lag and mentor KBU shares: a feasible matching first, then CP-SAT on the pairs that matter.

1. **Ceiling.** The optimum without these goals (with a KBU load limit as the flow's
   layer, exact and certified; :mod:`matching.solvers.layered`) bounds the goal
   objective (free score minus soft penalties) of every matching: goals only remove
   matchings or cost penalties.
2. **Incumbent.** Flows on scores shifted per hard-goal unit
   (:mod:`matching.solvers.goal_units`) find a matching that meets every hard goal and
   matches as many mentees (by priority) as the plain optimum.
3. **Reduced-cost fixing.** The ceiling's potentials give each allowed pair a reduced
   cost; a matching using a pair scores at most the ceiling minus it, so only pairs
   within ``ceiling - incumbent`` can be in a better matching. They are collected over
   every allowed pair (the certificate's scan).
4. **CP-SAT** solves the full goal model on those pairs only, hinted with the incumbent.
   Its optimum there is the optimum (status OPTIMAL); at the time limit the best
   matching comes back FEASIBLE with the proven bound and gap. When the pairs kept are
   more than :data:`MAX_ARCS`, CP-SAT searches the working set instead and the bound
   is the ceiling.

None is returned when no incumbent is found (the caller then runs the full CP-SAT
model, which names a conflict when there is one).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from ortools.sat.python import cp_model

from .._numeric import unique
from ..cohort.goals import describe_goal
from ..errors import InfeasibleError, SolverError
from .cpsat_model import Arcs, GoalModel
from .cpsat_run import answer, run
from .flow import ortools_version
from .goal_units import Units, objective, search
from .layered import certified_flow, near_pairs
from .load_flow import lex_weight, load_goal, load_network
from .problem import Assignment

__all__ = ["MAX_ARCS", "search_fits", "solve_goal_search"]

#: Largest number of pairs CP-SAT is given after reduced-cost fixing.
MAX_ARCS = 300_000
#: Share of the time limit the flow search for an incumbent may use.
SEARCH_SHARE = 0.3


def search_fits(goals) -> bool:
    """Goals this path takes: a rank lag, a mentor KBU share, or share targets with a KBU load
    limit (the limit as the flow's layer, the rest as multiplier terms); no maximin."""
    names = {g.name for g in goals.limits}
    hard_part = goals.rank_lag is not None or "max_mentor_kbu_share" in names or (
        bool(goals.shares) and "max_same_kbu_per_mentor" in names)
    return hard_part and not goals.maximin


def _lookup(i, j, score, m):
    keys = i * m + j
    order = np.argsort(keys, kind="stable")

    def score_of(rows, mentor_of):
        at = order[np.searchsorted(keys[order], rows * m + mentor_of[rows])]
        return score[at]
    return score_of


def solve_goal_search(problem, cohort, settings, goals, *, p_star: int, score_range, scan=None, bound=None,
                      diagnosis=None) -> Assignment | None:
    """The goals by incumbent, ceiling, reduced-cost fixing and a pruned CP-SAT (see the module)."""
    started = time.perf_counter()
    deadline = started + settings.time_limit
    net = load_network(problem, cohort, load_goal(goals))
    i, j, score, _ = problem.free_arcs()
    top = int(score_range[1]) + 1
    base, ai, aj, ascore, rounds, prices = certified_flow(net, i, j, score, "lex", weight=lex_weight(net, score_range),
                                                          scan=scan, bound=bound, top=top)
    base[problem.fixed_i] = problem.fixed_j
    if int(problem.priority[base >= 0].sum()) < p_star:
        return None  # a hard load limit costs a mentee: the full model names the conflict
    _seat_check(cohort, problem, goals, int((base >= 0).sum()))
    look = _lookup(ai, aj, ascore, problem.n_mentors)

    def value(mentor_of):
        return objective(cohort, settings, goals, problem, mentor_of, lambda rows: look(rows, mentor_of))

    ceiling = _ceiling(net, base, ai, aj, ascore, problem)
    units = Units(cohort, settings, goals, ai, aj)
    found, support, closest = search(net, units, ai, aj, ascore, need=int(net.prio[base >= 0].sum()),
                                     value=lambda x: value(_pinned(x, problem)), score_range=score_range,
                                     deadline=started + SEARCH_SHARE * settings.time_limit)
    if found is None and support is not None:  # the flows hover around the goals: CP-SAT combines their pairs
        found = _combine(problem, cohort, settings, goals, p_star, (ai[support], aj[support], ascore[support]),
                         _pinned(closest, problem), started + 2 * SEARCH_SHARE * settings.time_limit)
    if found is None:
        return None
    inc_value, incumbent = found[0], _pinned(found[1], problem)
    if inc_value >= ceiling:  # the incumbent reaches the bound: optimal, no CP-SAT search
        sub = _sub_problem(problem, incumbent, (ai[:0], aj[:0], ascore[:0]), (ai, aj, ascore))
        detail = {"stages": [], "search": {"ceiling": ceiling, "incumbent": inc_value, "kept_arcs": 0,
                                           "certificate_rounds": len(rounds)}}
        label = f"ortools.min_cost_flow {ortools_version()} (goal multipliers; meets the flow bound)"
        return answer(sub, cohort, settings, goals, incumbent, inc_value, ceiling, True, diagnosis, started, label,
                      detail)
    ki, kj, ks = near_pairs(net, prices, ai, aj, ascore, gap=max(ceiling - inc_value, 0), scan=scan, bound=bound,
                            top=top)
    pruned = len(ki) <= MAX_ARCS
    if not pruned:
        ki, kj, ks = ai, aj, ascore
    sub = _sub_problem(problem, incumbent, (ki, kj, ks), (ai, aj, ascore))
    detail = {"stages": [], "search": {"ceiling": ceiling, "incumbent": inc_value, "kept_arcs": int(len(sub.i)),
                                       "reduced_cost_fixing": pruned, "certificate_rounds": len(rounds)}}
    return _improve(sub, cohort, settings, goals, incumbent, inc_value, ceiling, pruned, p_star, diagnosis, started,
                    deadline, detail)


def _seat_check(cohort, problem, goals, matched: int) -> None:
    """Raise :class:`InfeasibleError` when a hard mentor KBU share leaves too few seats.

    Every matching that matches the most (by priority) matches ``matched`` mentees (a
    matroid's bases have one size). With ``u_o`` mentors of other KBUs in use, at most
    ``floor(num * u_o / (den - num))`` of KBU ``g`` may be: if all other mentors' seats plus
    the largest seats of that many mentors of ``g`` are fewer than ``matched``, no matching
    meets the share.
    """
    goal = next((g for g in goals.limits if g.name == "max_mentor_kbu_share" and g.weight is None), None)
    if goal is None or goal.value >= 1:
        return
    kbu, cap = cohort.mentors.kbu, problem.capacity
    num, den = goal.value.numerator, goal.value.denominator
    for g in unique(kbu[kbu >= 0]):
        other = int(((kbu != g) & (cap > 0)).sum())
        room = num * other // (den - num)
        mine = np.sort(cap[(kbu == g) & (cap > 0)])[::-1]
        seats = int(cap[kbu != g].sum()) + int(mine[:room].sum())
        if seats < matched:
            raise InfeasibleError(
                f"{describe_goal(goal)} cannot hold while matching as many mentees as possible: at most "
                f"{room} mentors of the KBU '{cohort.kbus[g]}' may take mentees, which leaves {seats} seats "
                f"for the {matched} mentees to match", conflicts=[goal.name, "most_matched"])


def _combine(problem, cohort, settings, goals, p_star, arcs, hint, deadline):
    """A matching meeting the hard goals on the pairs the flows chose (``(value, mentor_of)``), or None."""
    sub = _sub_problem(problem, hint, arcs, arcs)
    model = GoalModel(Arcs(sub, cohort), cohort, settings, goals, sub, p_star)
    model.m.maximize(model.score_expr())
    model.hint(hint)
    solver, status = run(model.m, settings, max(deadline - time.perf_counter(), 0.5))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return int(round(solver.objective_value)), model.mentor_of(solver, sub.n_mentees)


def _pinned(mentor_of, problem):
    out = mentor_of.copy()
    out[problem.fixed_i] = problem.fixed_j
    return out


def _ceiling(net, base, ai, aj, ascore, problem) -> int:
    """The layered optimum's objective: free score minus the soft load limit's flow penalty."""
    chosen = base[ai] == aj
    free = int(ascore[chosen].sum())
    if net.penalty is None or net.limit is None:
        return free
    keys = aj[chosen] * net.width + net.group[ai[chosen]]
    keys = keys[net.group[ai[chosen]] >= 0]
    uniq, counts = np.unique(keys, return_counts=True)
    return free - int(net.penalty) * int(np.maximum(counts - net.free_units(uniq), 0).sum())


def _sub_problem(problem, incumbent, kept, working):
    """The problem on the kept pairs plus the incumbent's (looked up in the working set), sorted."""
    ki, kj, ks = kept
    ai, aj, ascore = working
    free = np.flatnonzero(incumbent >= 0)
    free = free[~np.isin(free, problem.fixed_i)]
    keys = ai * problem.n_mentors + aj
    order = np.argsort(keys, kind="stable")
    at = order[np.searchsorted(keys[order], free * problem.n_mentors + incumbent[free])]
    i, j, s = (np.concatenate([a, b[at]]) for a, b in ((ki, ai), (kj, aj), (ks, ascore)))
    _, first = np.unique(i * problem.n_mentors + j, return_index=True)
    i, j, s = i[first], j[first], s[first]
    return dataclasses.replace(problem, i=i, j=j, score=s)


def _improve(sub, cohort, settings, goals, incumbent, inc_value, ceiling, pruned, p_star, diagnosis, started,
             deadline, detail) -> Assignment:
    model = GoalModel(Arcs(sub, cohort), cohort, settings, goals, sub, p_star)
    model.m.maximize(model.score_expr())
    model.hint(incumbent)
    seconds = max(deadline - time.perf_counter(), 0.5)
    solver, status = run(model.m, settings, seconds)
    detail["stages"] = [("score", solver.status_name(status), solver.objective_value, solver.best_objective_bound)]
    mentor_of, value, bound = incumbent, inc_value, ceiling
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = int(round(solver.objective_value))
        if found >= value:
            mentor_of, value = model.mentor_of(solver, sub.n_mentees), found
        if pruned:  # every better matching is in the model: its bound holds for the full problem
            bound = max(value, min(bound, int(np.floor(solver.best_objective_bound + 1e-6))))
            if status == cp_model.OPTIMAL:
                bound = value
    elif status == cp_model.INFEASIBLE:
        raise SolverError("CP-SAT found the pruned model infeasible although it holds a matching (internal error)",
                          status="INFEASIBLE")
    elif status != cp_model.UNKNOWN:
        raise SolverError(f"CP-SAT rejected the model ({solver.status_name(status)}; internal error): "
                          f"{model.m.validate()}", status=solver.status_name(status))
    label = f"ortools.cp_sat {ortools_version()} (flow incumbent, " + (
        "reduced-cost pruned)" if pruned else "working set; bound from the flow optimum)")
    why = ("CP-SAT stopped at the time limit ({limit:g} s) before proving the matching optimal: {stats}; "
           "raise 'time_limit' for a proven optimum")
    return answer(sub, cohort, settings, goals, mentor_of, value, bound, value >= bound, diagnosis, started,
                  label, detail, why=why)
