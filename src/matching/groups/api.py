"""``matching.groups``: small, mixed groups for the program's group sessions.

The problem is the maximally diverse grouping problem (MDGP): split people into groups whose
sizes lie in given intervals so that the sum of the distances of every pair sharing a group is
as large as possible, here under hard constraints (pairs kept apart or together, earlier groups
not repeated, one host mentor per group who mentors no one in it).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import InputError, SettingsError
from ..files import columns as col
from .distance import check_weights, default_distance, table_distance
from .inputs import history_apart, host_table, load_people, mentor_links, pair_indices, size_bounds
from .result import GroupResult, group_mix
from .solve import Problem, solve

__all__ = ["groups", "GROUP_SETTINGS"]

#: Settings of :func:`groups` and their defaults.
GROUP_SETTINGS = {"weights": None, "level_band": 2, "max_iterations": None, "exact_max_people": 12,
                  "workers": 1, "min_group_size": 5}


def _settings(settings: Mapping | None, weights) -> dict:
    s = dict(GROUP_SETTINGS)
    problems = [f"unknown setting '{k}' (known: {', '.join(GROUP_SETTINGS)})" for k in (settings or {})
                if k not in GROUP_SETTINGS]
    s.update({k: v for k, v in (settings or {}).items() if k in GROUP_SETTINGS})
    for name, lo in (("level_band", 1), ("exact_max_people", 0), ("workers", 1), ("min_group_size", 1),
                     ("max_iterations", 1)):
        v = s[name]
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo) and not (
                name == "max_iterations" and v is None):
            problems.append(f"setting '{name}' must be an integer >= {lo}; got {v!r}")
    if problems:
        raise SettingsError([{"column": "settings", "problem": p} for p in problems])
    s["weights"] = check_weights({**(s["weights"] or {}), **(weights or {})})
    return s


def _check_run(time_limit, seed) -> None:
    bad = []
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not 0 < time_limit <= 86400:
        bad.append(f"time_limit must be a number of seconds in (0, 86400]; got {time_limit!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        bad.append(f"seed must be a non-negative integer; got {seed!r}")
    if bad:
        raise SettingsError([{"column": "settings", "problem": p} for p in bad])


def _problem(roster, D, lo, hi, keep_apart, keep_together, history, hosts, mentor_pairs) -> Problem:
    problems = col.Problems()
    ids = roster.ids
    apart = {"keep_apart": pair_indices(keep_apart, "keep_apart", ids, problems),
             "history": history_apart(history, ids, problems)}
    together = pair_indices(keep_together, "keep_together", ids, problems)
    host_ids = host_table(hosts, problems)
    links = None
    if host_ids is not None:
        links = mentor_links(mentor_pairs, ids, host_ids, problems) if mentor_pairs is not None else \
            np.zeros((len(host_ids), len(ids)), dtype=bool)
    if problems:
        raise InputError(problems.cases)
    return Problem(ids=ids, D=D, lo=lo, hi=hi, apart=apart, together=together, host_ids=host_ids, host_links=links)


def _labels(assign: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Groups numbered 1..: group ``k`` takes ``sizes[k - 1]`` when the intervals differ, else
    groups are numbered by their first member (people are in id order)."""
    if len(set(zip(lo.tolist(), hi.tolist()))) > 1:
        return assign.astype(np.int64) + 1
    first = {}
    for g in assign:
        first.setdefault(int(g), len(first) + 1)
    return np.array([first[int(g)] for g in assign], dtype=np.int64)


def _summary(result_assign, roster, D, objective, status) -> dict:
    G = int(result_assign.max(initial=0))
    sizes = np.bincount(result_assign, minlength=G + 1)[1:]
    pairs = int((sizes * (sizes - 1) // 2).sum())
    s = {"people": len(roster.ids), "groups": G, "smallest": int(sizes.min()) if G else 0,
         "largest": int(sizes.max()) if G else 0, "objective": round(float(objective), 6), "status": status,
         "mean_pair_distance": round(float(objective) / pairs, 6) if pairs else 0.0}
    p = roster.people
    if p is not None:
        for name, codes in (("kbu", p.kbu), ("area", p.area), ("level", p.level), ("gender", p.gender),
                            ("race", p.race)):
            mixed = [len(np.unique(codes[(result_assign == g) & (codes >= 0)])) > 1 for g in range(1, G + 1)]
            s[f"groups_mixed_{name}"] = int(sum(mixed))
    return s


def _hash(roster, D: np.ndarray, prob: Problem) -> str:
    h = hashlib.sha256(roster.input_hash.encode())
    h.update("\x1f".join(roster.ids.tolist()).encode())
    for arr in (D, prob.lo, prob.hi, prob.together, *prob.apart.values()):
        h.update(np.ascontiguousarray(arr).tobytes())
    if prob.host_ids is not None:
        h.update("\x1f".join(prob.host_ids.tolist()).encode() + prob.host_links.tobytes())
    return h.hexdigest()


def groups(people, *, size=None, sizes=None, n_groups=None, distance=None, weights=None, keep_apart=None,
           keep_together=None, history=None, hosts=None, mentor_pairs=None, time_limit=10, seed=0,
           settings=None) -> GroupResult:
    """Split people into small, mixed groups (maximally diverse grouping under hard constraints).

    Parameters
    ----------
    people : pandas.DataFrame or path
        Validated like mentees (``id, level, area, kbu`` required; extra columns kept). With
        ``distance`` only ``id`` is required.
    size : (int, int), optional
        Every group's size interval; the number of groups is ``n_groups`` or the smallest that fits.
    sizes : list of (int, int), optional
        One interval per group (instead of ``size``).
    n_groups : int, optional
    distance : DataFrame or path, optional
        ``person_a, person_b, distance`` (absent pairs 0): replaces the default distance.
    weights : mapping, optional
        Weights of the default distance (:data:`matching.groups.distance.DEFAULT_WEIGHTS`).
    keep_apart, keep_together : DataFrame or path, optional
        ``person_a, person_b`` pairs never / always in the same group.
    history : DataFrame or path, optional
        An earlier session's ``id, group``: people who shared a group do not share one again.
    hosts : DataFrame, path or list of ids, optional
        Mentors who may host a group: each group gets one, who mentors no one in it
        (``mentor_pairs``: ``mentee_id, mentor_id``, or a :class:`~matching.MatchResult`).
    time_limit : float, default 10
        Seconds. With a time limit a faster machine may search further; for results that are
        the same on every machine set ``settings={"max_iterations": N}`` (and a large time_limit).
    seed : int, default 0
    settings : mapping, optional
        See :data:`GROUP_SETTINGS`. ``workers``: CP-SAT's workers on small instances; beyond,
        with ``workers > 1``, that many independent searches (seeds ``seed + i * 1_000_003``)
        in a process pool, the best kept (ties: the lowest ``i``).

    Returns
    -------
    GroupResult

    Raises
    ------
    InputError
        Bad tables or impossible sizes (every problem listed).
    InfeasibleError
        Constraints that cannot all hold (the conflict is named).

    Examples
    --------
    >>> import matching
    >>> mentees = matching.load_example()["mentees"]
    >>> result = matching.groups(mentees, size=(5, 6), settings={"max_iterations": 200})
    >>> result.summary["groups"], result.summary["smallest"] >= 5, len(result.groups) == len(mentees)
    (11, True, True)
    """
    began = time.perf_counter()
    _check_run(time_limit, seed)
    s = _settings(settings, weights)
    roster = load_people(people, need_attributes=distance is None)
    problems = col.Problems()
    D = (table_distance(distance, roster.ids, problems) if distance is not None
         else default_distance(roster.people, s["weights"], s["level_band"]))
    if problems:
        raise InputError(problems.cases)
    lo, hi = size_bounds(len(roster.ids), size, sizes, n_groups)
    prob = _problem(roster, D, lo, hi, keep_apart, keep_together, history, hosts, mentor_pairs)
    sol = solve(prob, time_limit=float(time_limit), seed=int(seed), max_iterations=s["max_iterations"],
                exact_max=s["exact_max_people"], workers=s["workers"]) if len(roster.ids) else None
    return _result(roster, prob, sol, s, dict(time_limit=time_limit, seed=seed, began=began,
                                              distance="table" if distance is not None else "default"))


def _result(roster, prob: Problem, sol, s: dict, run: dict) -> GroupResult:
    assign = _labels(sol.assign, prob.lo, prob.hi) if sol is not None else np.zeros(0, dtype=np.int64)
    frame = pd.concat([pd.DataFrame({"id": roster.ids.astype(object), "group": assign}),
                       roster.extra.drop(columns=[c for c in ("group",) if c in roster.extra])], axis=1)
    host_rows = []
    if sol is not None and sol.hosts is not None:
        old_to_new = dict(zip(sol.assign.tolist(), assign.tolist()))
        host_rows = sorted((old_to_new[g], str(prob.host_ids[h])) for g, h in enumerate(sol.hosts) if g in old_to_new)
    hosts = pd.DataFrame(host_rows, columns=["group", "host_id"]).astype({"group": np.int64, "host_id": object})
    objective = sol.objective if sol is not None else 0.0
    status = sol.status if sol is not None else "OPTIMAL"
    info = {"solver": sol.solver if sol else "none", "iterations": sol.iterations if sol else 0,
            "seconds": round(time.perf_counter() - run["began"], 3), "time_limit": run["time_limit"],
            "seed": run["seed"], "distance": run["distance"], "settings": {**s, "weights": s["weights"]},
            "min_group_size": s["min_group_size"], "input_hash": _hash(roster, prob.D, prob),
            "library_version": __version__}
    if sol is not None and sol.bound is not None:
        info["gap"] = round(max(sol.bound - objective, 0.0) / max(abs(sol.bound), 1e-9), 9)
    protected = {} if roster.people is None else {"gender": roster.people.gender, "race": roster.people.race}
    bound = sol.bound if sol is not None else 0.0
    return GroupResult(groups=frame, hosts=hosts, objective=float(objective), status=status, bound=bound,
                       summary=_summary(assign, roster, prob.D, objective, status), info=info,
                       mix=group_mix(assign, roster, hosts), _protected=protected)
