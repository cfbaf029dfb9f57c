"""The three-month checkpoint: :func:`rematch` re-pairs those who ask, disturbs no one
else, and withdraws a mentee only when no mentor with free capacity fits."""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, replace

import numpy as np

from ..errors import InputError, MatchingWarning, PinError, SettingsError
from ..cohort.model import Cohort
from ..files.tables import as_table
from .inputs import BROKEN_RULE, REQUESTED_BY, Checkpoint, add_exclusions, load_checkpoint
from .kept import check_broken_pairs
from .result import RematchResult, build_rematch_result
from ..review.outcome import PRIORITY_RESOLUTION
from ..review.solve import check_pins
from ..scoring.sparse import build_candidates
from ..cohort.settings import Settings
from ..solvers.problem import Assignment
from ..solvers.rematch_flow import RematchProblem, solve_rematch
from ..cohort.validate import load_cohort

__all__ = ["rematch", "RematchResult", "Plan"]

log = logging.getLogger("matching")

#: Roles of mentees at the checkpoint.
KEPT, SEARCH, WAIT, IDLE, LEFT = "kept", "search", "wait", "idle", "left"


@dataclass(frozen=True, eq=False)
class Plan:
    """Who does what at the checkpoint (positions in the solving cohort).

    Attributes
    ----------
    cohort : Cohort
        Exclusions include history and this run's dissolved pairs; mentors who left
        have capacity 0 and mentees who left are not eligible.
    checkpoint : Checkpoint
    role : ndarray of object
        ``kept`` (did not ask), ``search`` (asked, or the mentor left), ``wait``
        (waitlisted), ``idle`` (unpaired, not waitlisted) or ``left``.
    pin : ndarray of int64
        Pinned mentor of each mentee, or -1.
    fixed : ndarray of bool
        Mentees whose mentor is decided before solving (pins; kept pairs unless moves are
        allowed; kept pairs that break a hard rule always).
    dissolved_i, dissolved_j : ndarray of int64
    dissolved_by : ndarray of object
        Pairs dissolved before solving: on request (``mentee``, ``mentor``, ``both``), for a
        broken hard rule (``broken rule``, with ``broken_pairs="rematch"``) or by a pin.
    allow_moves : bool
    move_penalty : float
    """

    cohort: Cohort
    checkpoint: Checkpoint
    role: np.ndarray
    pin: np.ndarray
    fixed: np.ndarray
    dissolved_i: np.ndarray
    dissolved_j: np.ndarray
    dissolved_by: np.ndarray
    allow_moves: bool
    move_penalty: float


def _check_options(allow_moves, move_penalty) -> None:
    problems = []
    if not isinstance(allow_moves, (bool, np.bool_)):
        problems.append({"column": "allow_moves",
                         "problem": f"allow_moves must be a bool. Got {allow_moves!r} instead."})
    number = isinstance(move_penalty, (int, float)) and not isinstance(move_penalty, bool)
    if not (number and 0.01 <= move_penalty <= 1000):
        problems.append({"column": "move_penalty",
                         "problem": "move_penalty must be a number in [0.01, 1000] (re-matched mentees lost per "
                                    f"disturbed pair). Got {move_penalty!r} instead."})
    if problems:
        raise SettingsError(problems)


def make_plan(cohort: Cohort, cp: Checkpoint, *, allow_moves: bool, move_penalty: float) -> Plan:
    """Roles, pins, fixed pairs and the pairs dissolved before solving."""
    n = len(cohort.mentees)
    pin = np.full(n, -1, dtype=np.int64)
    pin[cohort.pins.i] = cohort.pins.j
    paired = cp.previous != None  # noqa: E711
    role = np.full(n, IDLE, dtype=object)
    role[cp.waitlist & cohort.mentees.eligible] = WAIT
    role[(cp.home >= 0) & (cp.ask == "")] = KEPT
    role[paired & (cp.ask != "")] = SEARCH
    role[cp.left_mentee] = LEFT
    asked = (role == SEARCH) & np.isin(cp.ask, REQUESTED_BY + (BROKEN_RULE,))
    moved_by_pin = (role == KEPT) & (pin >= 0) & (pin != cp.home)
    gone = asked | moved_by_pin
    dissolved_by = np.where(asked, cp.ask, "pinned")[gone]
    fixed = (pin >= 0) | ((role == KEPT) & (cp.broken | (not allow_moves)))
    mentors = replace(cohort.mentors, capacity=np.where(cp.left_mentor, 0, cohort.mentors.capacity))
    mentees = replace(cohort.mentees, eligible=cohort.mentees.eligible & ~cp.left_mentee)
    solving = add_exclusions(replace(cohort, mentors=mentors, mentees=mentees), np.flatnonzero(gone),
                             cp.home[gone], "dissolved pair (this checkpoint)")
    return Plan(cohort=solving, checkpoint=cp, role=role, pin=pin, fixed=fixed, dissolved_i=np.flatnonzero(gone),
                dissolved_j=cp.home[gone], dissolved_by=dissolved_by.astype(object), allow_moves=bool(allow_moves),
                move_penalty=float(move_penalty))


def _fixed_mentor(plan: Plan) -> np.ndarray:
    return np.where(plan.pin >= 0, plan.pin, np.where(plan.fixed, plan.checkpoint.home, -1))


def _check_seats(plan: Plan, settings: Settings) -> np.ndarray:
    """Free seats after fixed pairs; pins must fit next to the kept pairs."""
    check_pins(plan.cohort, settings)
    cohort = plan.cohort
    fixed = _fixed_mentor(plan)
    kept = (plan.role == KEPT) & (plan.pin < 0)
    load = np.bincount(np.concatenate([fixed[fixed >= 0], plan.checkpoint.home[kept & ~plan.fixed]]),
                       minlength=len(cohort.mentors))
    over = np.flatnonzero(load > cohort.mentors.capacity)
    if len(over):
        raise PinError([{"file": "pins", "column": "mentor_id", "id": str(cohort.mentors.ids[j]),
                         "problem": f"mentor '{cohort.mentors.ids[j]}' has capacity {cohort.mentors.capacity[j]} "
                                    f"but pins and kept pairs give {load[j]} mentees"} for j in over])
    return cohort.mentors.capacity - np.bincount(fixed[fixed >= 0], minlength=len(cohort.mentors))


def _solve(plan: Plan, settings: Settings, cands) -> Assignment:
    """The integer problem: re-matched mentees first, then waitlisted, then moves, then score."""
    seats = _check_seats(plan, settings)
    cohort = plan.cohort
    free = ~plan.fixed
    search, wait = free & (plan.role == SEARCH), free & (plan.role == WAIT)
    movable = free & (plan.role == KEPT)
    units = np.rint(cohort.mentees.priority * PRIORITY_RESOLUTION).astype(np.int64)
    tier = int(units[wait].sum()) + 1
    priority = np.where(search, units * tier, np.where(wait, units, 0)).astype(np.int64)
    keep = (search | wait | movable)[cands.i]
    problem = RematchProblem(
        n_mentees=len(cohort.mentees), n_mentors=len(cohort.mentors), i=cands.i[keep], j=cands.j[keep],
        score=cands.total[keep], priority=priority, movable=movable,
        home=np.where(movable, plan.checkpoint.home, -1), seats=seats,
        move_cost=int(round(plan.move_penalty * PRIORITY_RESOLUTION)) * tier)
    assignment = solve_rematch(problem)
    mentor_of = assignment.mentor_of.copy()
    fixed = _fixed_mentor(plan)
    mentor_of[fixed >= 0] = fixed[fixed >= 0]
    return replace(assignment, mentor_of=mentor_of)


def rematch(current_pairs, mentees, mentors, requests, *, settings=None, relatedness=None, exclusions=None,
            pins=None, extra_criteria=None, history=None, waitlist=None, left=None, allow_moves=False,
            move_penalty=0.5, broken_pairs="keep") -> RematchResult:
    """Re-pair the pairs that ask for a change at the checkpoint; keep everyone else.

    Every pair named in ``requests`` is dissolved and never formed again. Its mentee
    is re-matched to a mentor with a free seat (the seats freed by dissolved pairs and
    by people who left, and any spare capacity) or, if no mentor with free capacity
    fits under the hard rules, withdrawn with the reason (eligible for the next
    session). A mentor who asked keeps the seat open to every re-matching mentee; a
    mentor left without a mentee is reported in ``available_mentors``, never withdrawn.

    Dissolved pairs free their seats before any check: a mentor who asks for a change
    may come with capacity 0 (or one less) in the new mentors table, and a pair that
    asks is not checked against the hard rules. Only the pairs that stay are checked: a
    mentor's new capacity must hold them, and a pair that now breaks a hard rule (the
    mentee was promoted to the mentor's level) is flagged in ``flags``, and kept with a
    :class:`~matching.MatchingWarning` unless ``broken_pairs="rematch"``.

    The objective is exact and lexicographic: (1) the most requesting mentees
    re-matched (weighted by ``priority``), less ``move_penalty`` per disturbed pair;
    (2) the most waitlisted mentees placed; (3) the highest total score. By default
    pairs that did not ask are kept as they are; with ``allow_moves=True`` such a
    pair may be moved to another mentor, but only when that lets more requesting
    mentees be re-matched than the penalty costs (a kept pair is never broken to
    place a waitlisted mentee or to raise the score).

    Parameters
    ----------
    current_pairs : MatchResult, RematchResult, pandas.DataFrame or path
        The pairs before the checkpoint (``mentee_id, mentor_id``).
    mentees, mentors : pandas.DataFrame or path
        The people tables as for :func:`matching.match`, updated: late joiners simply
        appear without a current pair (late mentors add capacity).
    requests : pandas.DataFrame, path or None
        ``mentee_id, mentor_id, requested_by`` (``mentee``, ``mentor`` or ``both``), one
        row per pair that asks for a change; two rows for the same pair combine.
    settings, relatedness, exclusions, pins, extra_criteria
        As for :func:`matching.match`. ``settings`` defaults to those of
        ``current_pairs`` when it is a result. Pins must fit next to the kept pairs.
    history : pandas.DataFrame or path, optional
        Past dissolved pairs ``mentee_id, mentor_id[, requested_by]`` (the ``history``
        of an earlier result); never formed again. Defaults to ``current_pairs.history``
        when ``current_pairs`` is a :class:`RematchResult`.
    waitlist : "all", list of ids, pandas.DataFrame or path, optional
        Unpaired mentees to place in seats left free after re-matching (``"all"``: every
        unpaired eligible mentee). Others without a pair stay unmatched.
    left : pandas.DataFrame or path, optional
        ``id[, role]`` of people who left. A mentee who left frees the seat; the
        mentees of a mentor who left are re-matched like requesting mentees.
    allow_moves : bool, default False
    move_penalty : float, default 0.5
        Requesting mentees that one disturbed pair must be worth (in [0.01, 1000]):
        with 0.5 one move that lets one more mentee be re-matched is made; with 1.5
        it is not.
    broken_pairs : {"keep", "rematch"}, default "keep"
        What to do with a pair that did not ask but now breaks a hard rule: keep it (it
        is listed in ``flags`` and a ``MatchingWarning`` is issued) or dissolve it and
        re-match its mentee like a requesting one (``requested_by = "broken rule"``).

    Returns
    -------
    RematchResult

    Raises
    ------
    InputError
        Bad input: an unknown id, a request naming a pair that is not current,
        ``requested_by`` not in the set, a current pair that is in the history, a mentee
        in two current pairs, a mentor whose new capacity is below the pairs they keep
        (named, with the option that resolves it).
    PinError
        A pin breaks a hard rule (a dissolved pair included) or does not fit.

    Examples
    --------
    >>> import matching, pandas as pd
    >>> data = matching.load_example()
    >>> first = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    >>> ask = first.pairs.head(2)[["mentee_id", "mentor_id"]].assign(requested_by="mentee")
    >>> new = matching.rematch(first, data["mentees"], data["mentors"], ask, relatedness=data["relatedness"])
    >>> new.summary["requests"], new.summary["kept"] + new.summary["re_matched"] + new.summary["withdrawn"]
    (2, 53)
    """
    started = time.perf_counter()
    settings = Settings.coerce(settings if settings is not None else getattr(current_pairs, "settings", None))
    _check_options(allow_moves, move_penalty)
    broken_pairs = check_broken_pairs(broken_pairs)
    if history is None and isinstance(current_pairs, RematchResult):
        history = current_pairs.history
    source = _mentee_source(mentees)
    cohort = load_cohort(source if source is not None else mentees, mentors, relatedness=relatedness,
                         exclusions=exclusions, pins=pins, extra_criteria=extra_criteria, settings=settings)
    cp, cohort = load_checkpoint(cohort, settings, current_pairs, requests, history=history, left=left,
                                 waitlist=waitlist, broken_pairs=broken_pairs)
    plan = make_plan(cohort, cp, allow_moves=allow_moves, move_penalty=move_penalty)
    seconds = {"validate": time.perf_counter() - started}
    started = time.perf_counter()
    cands = build_candidates(plan.cohort, settings)
    seconds["score"] = time.perf_counter() - started
    assignment = _solve(plan, settings, cands)
    started = time.perf_counter()
    result = build_rematch_result(plan, settings, cands, assignment, seconds, source)
    result.info.seconds["result"] = time.perf_counter() - started
    result.info.seconds["total"] = sum(v for k, v in result.info.seconds.items() if k != "total")
    s = result.summary
    log.info("rematch: %d kept, %d re-matched, %d withdrawn, %d moved (%s)", s["kept"], s["re_matched"],
             s["withdrawn"], s["moved"], result.info.status)
    _warn_flags(result.flags)
    return result


def _mentee_source(mentees):
    """The mentees table as read (kept for :meth:`RematchResult.carry_over`); None if unreadable
    (:func:`load_cohort` then reports why)."""
    try:
        return as_table(mentees, "mentees")
    except InputError:
        return None


def _warn_flags(flags) -> None:
    kept = flags[flags["action"] == "kept"]
    if len(kept):
        pairs = sorted(set(zip(kept["mentee_id"], kept["mentor_id"])))
        listed = "; ".join(f"({e}, {m}): " + ", ".join(kept.loc[(kept["mentee_id"] == e) & (kept["mentor_id"] == m),
                                                                 "reason"]) for e, m in pairs)
        warnings.warn(f"{len(pairs)} pair(s) that did not ask for a change now break a hard rule and are kept "
                      f"(see the result's flags; broken_pairs='rematch' re-matches them): {listed}",
                      MatchingWarning, stacklevel=3)
