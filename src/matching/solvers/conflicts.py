"""Why hard goals cannot hold: the smallest conflict, found with CP-SAT assumptions.

Every hard goal, every pin and "match as many mentees as possible" sits behind an
assumption literal. CP-SAT's ``sufficient_assumptions_for_infeasibility`` gives a
first core; deleting one member at a time (pins first, goals next) and re-solving
shrinks it to a minimal one: dropping any member of the reported set makes the rest
feasible. For each share target in it, the best share reachable alone (rules, pins
and the most-matched level only) is found by Dinkelbach iterations on the ratio.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
from ortools.sat.python import cp_model

from ..errors import InfeasibleError
from ..cohort.goals import ShareGoal, describe_goal, percent, share_masks
from .cpsat_model import GoalModel, arc_sum
from .cpsat_run import run

__all__ = ["raise_conflict"]

_WORDS = {"cross_kbu": "of pairs cross-KBU", "cross_gender": "of pairs cross-gender",
          "cross_race": "of pairs cross-race"}


def _solve_with(model: GoalModel, labels, settings, seconds):
    """(feasible?, core) with ``labels`` assumed; feasible is None when undecided."""
    model.m.clear_assumptions()
    model.m.add_assumptions([model.lits[label] for label in labels])
    solver, status = run(model.m, settings, seconds, workers=1, linearization=2)
    if status == cp_model.INFEASIBLE:
        found = set(solver.sufficient_assumptions_for_infeasibility())
        core = [label for label in labels if model.lits[label].index in found]
        return False, core or list(labels)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True, list(labels)
    return None, list(labels)


def _order(label) -> int:
    return {"pin": 0, "most": 2}.get(label[0], 1)


def minimal_conflict(model: GoalModel, settings, seconds) -> list:
    """A minimal set of labels that cannot hold together (deletion filter)."""
    feasible, core = _solve_with(model, list(model.lits), settings, seconds())
    if feasible:
        return []
    for label in sorted(core, key=_order):
        trial = [x for x in core if x != label]
        feasible, smaller = _solve_with(model, trial, settings, seconds())
        if feasible is False:
            core = smaller if set(smaller) <= set(trial) else trial
    return sorted(core, key=_order)


def best_share(model: GoalModel, goal: ShareGoal, settings, seconds) -> tuple[Fraction | None, bool]:
    """The highest share reachable with only rules, pins and the most-matched level."""
    a = model.arcs
    counts, good = share_masks(model.cohort, goal, a.i, a.j, a.rank)
    good = good & counts
    model.m.clear_assumptions()
    model.m.add_assumptions([lit for label, lit in model.lits.items() if label[0] in ("pin", "most")])
    k, n, proven = 0, 1, False
    for _ in range(10):
        coef = n * good.astype(np.int64) - k * counts.astype(np.int64)
        idx = np.flatnonzero(coef)
        model.m.maximize(arc_sum(model.x, idx, coef[idx]))
        solver, status = run(model.m, settings, seconds(), linearization=2)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        chosen = np.fromiter((solver.boolean_value(v) for v in model.x), bool, len(model.x))
        kk, nn = int((good & chosen).sum()), int((counts & chosen).sum())
        proven = status == cp_model.OPTIMAL
        if nn == 0 or kk * n <= k * nn:
            break
        k, n = kk, nn
    return (Fraction(k, n) if n else None), proven


def _pin_text(cohort, problem, ks) -> str:
    names = [f"{cohort.mentees.ids[problem.fixed_i[k]]}/{cohort.mentors.ids[problem.fixed_j[k]]}" for k in ks]
    return f"the pin{'s' if len(names) > 1 else ''} {_join(names)}"


def _join(words) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _floor4(x: Fraction) -> float:
    return (x.numerator * 10000 // x.denominator) / 10000


def raise_conflict(arcs, cohort, settings, goals, problem, p_star, deadline):
    """Raise :class:`InfeasibleError` naming the smallest conflict and the best values."""
    model = GoalModel(arcs, cohort, settings, goals, problem, p_star, switches=True)

    def seconds():
        return max(deadline - time.perf_counter(), min(5.0, settings.time_limit))

    core = minimal_conflict(model, settings, seconds)
    by_name = {g.name: g for g in goals.hard}
    named = [by_name[label] for label in core if label in by_name]
    pins = [label[1] for label in core if label[0] == "pin"]
    parts = [describe_goal(g) for g in named] + ([_pin_text(cohort, problem, pins)] if pins else [])
    if not parts:
        parts = [describe_goal(g) for g in goals.hard]
    together = "cannot hold together" if len(parts) > 1 else "cannot hold"
    text = f"{_join(parts)} {together}"
    if ("most",) in core or not core:
        most = getattr(arcs, "n_most", None)
        text += " while matching as many mentees as possible" + (
            f" ({most} of {problem.n_mentees})" if most is not None else "")
    best, notes = {}, []
    for goal in named:
        if isinstance(goal, ShareGoal):
            value, proven = best_share(model, goal, settings, seconds)
            if value is not None:
                best[goal.name] = _floor4(value)
                what = _WORDS.get(goal.name, f"of mentees with preferences getting a top-{goal.name[3:]} choice")
                notes.append(f"{'at most ' if proven else ''}{percent(value)} {what} is reachable"
                             + ("" if proven else " (found in the time limit; not proven the most)"))
    if notes:
        text += "; " + "; ".join(notes)
    conflicts = [g.name for g in named] + [f"pin:{cohort.mentees.ids[problem.fixed_i[k]]}" for k in pins]
    if ("most",) in core:
        conflicts.append("most_matched")
    raise InfeasibleError(text, conflicts=conflicts, best=best)
