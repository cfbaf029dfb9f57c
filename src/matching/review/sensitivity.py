"""Weight sensitivity: solve a grid of weights and count how often each pair is formed.

:func:`sensitivity` validates the cohort once, then solves one task per point of the
grid on any :class:`concurrent.futures.Executor` (none: serially in this process). A
task is the module-level function :func:`solve_point` of the pickled cohort and one
settings dict, so it runs wherever the executor sends it: a
:class:`~concurrent.futures.ProcessPoolExecutor` on this machine's cores, or a cluster's
executor (Dask's ``distributed.Client(...).get_executor()``, Ray's) across machines.
Nothing here is specific to any of them. The cohort is pickled once in the caller; a
worker unpickles it once and keeps it for the next tasks of the same sweep.

The table is the same whatever the executor: results are gathered in grid order.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import pickle
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..cohort.settings import Settings
from ..cohort.validate import load_cohort
from ..errors import MatchingError, SettingsError
from ..scoring.scores import criterion_names
from .solve import solve

__all__ = ["sensitivity", "weight_grid", "solve_point", "ROBUST_SHARE", "changing_pairs", "sensitivity_report"]

log = logging.getLogger("matching")

#: A pair formed in at least this share of the runs is ``robust``.
ROBUST_SHARE = 0.9
_OPTIONS = ("settings", "relatedness", "exclusions", "pins", "extra_criteria")
_CACHE: dict = {}


def weight_grid(settings: Settings, vary: Mapping, names=None) -> list[dict]:
    """The settings dicts of the cartesian grid of ``vary`` (weight name -> values), in order.

    Every problem (a name that is no criterion, an empty list, a value that is no
    weight) is reported together as one :class:`~matching.SettingsError`.

    Examples
    --------
    >>> grid = weight_grid(Settings(), {"cross_kbu": [0.5, 1], "preference": [1, 3]})
    >>> [(g["weights"]["cross_kbu"], g["weights"]["preference"]) for g in grid]
    [(0.5, 1.0), (0.5, 3.0), (1.0, 1.0), (1.0, 3.0)]
    """
    problems = []
    if not isinstance(vary, Mapping) or not vary:
        raise SettingsError([{"column": "vary", "problem": "vary must map weight names to lists of values; "
                                                           f"got {vary!r}"}])
    vary = {name: list(values) if hasattr(values, "__iter__") and not isinstance(values, (str, bytes))
            else values for name, values in vary.items()}
    base = settings.to_dict()
    for name, values in vary.items():
        if names is not None and name not in names:
            problems.append({"column": f"vary.{name}", "problem": (
                f"'{name}' names no criterion. Criteria: {', '.join(sorted(names))}.")})
        if not isinstance(values, list) or not values:
            problems.append({"column": f"vary.{name}", "problem": f"give a non-empty list of weights; got {values!r}"})
            continue
        for value in values:  # each value checked like any weight
            try:
                Settings(weights={name: value})
            except SettingsError as err:
                problems += [c for c in err.failure_cases.to_dict("records") if c not in problems]
    if problems:
        raise SettingsError(problems)
    grid = [Settings.from_dict({**base, "weights": {**base["weights"], **dict(zip(vary, combo))}}).to_dict()
            for combo in itertools.product(*vary.values())]
    return grid


def _cohort(payload):
    """The cohort of a task: as given (serial) or unpickled once per worker and sweep."""
    if not isinstance(payload, bytes):
        return payload
    key = hashlib.sha256(payload).hexdigest()
    cohort = _CACHE.get(key)
    if cohort is None:  # thread-safe: a concurrent sweep may clear the cache, never this local
        cohort = pickle.loads(payload)
        _CACHE.clear()  # keep only the latest sweep's cohort: memory stays bounded
        _CACHE[key] = cohort
    return cohort


def solve_point(payload, settings: dict) -> tuple[np.ndarray, str]:
    """One task: solve the cohort (a Cohort, or its pickle) under one settings dict.

    Returns the mentor position of each mentee (-1 unmatched) and the solver status.
    """
    outcome = solve(_cohort(payload), Settings.from_dict(settings))
    return outcome.assignment.mentor_of, outcome.info.status


def _payload(cohort, executor):
    if executor is None:
        return cohort
    try:
        return pickle.dumps(cohort, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise MatchingError(f"the cohort cannot be sent to the executor ({exc}); user criteria given as "
                            "functions must be defined at module level to run in other processes") from exc


def _run(cohort, grid: list[dict], executor) -> list:
    payload = _payload(cohort, executor)
    if executor is None:
        return [solve_point(payload, point) for point in grid]
    if not callable(getattr(executor, "submit", None)):
        raise SettingsError([{"column": "executor", "problem": (
            f"executor must be a concurrent.futures.Executor; got {type(executor).__name__}")}])
    futures = [executor.submit(solve_point, payload, point) for point in grid]
    return [f.result() for f in futures]


def sensitivity(mentees, mentors, *, vary, executor=None, **match_options) -> pd.DataFrame:
    """How often each pair is formed over a grid of weights.

    Parameters
    ----------
    mentees, mentors : DataFrame or path
        As for :func:`matching.match`.
    vary : dict of str to list of float
        Weight name -> values; the cartesian grid of them is solved, every other setting
        as given.
    executor : concurrent.futures.Executor, optional
        Where the runs are solved; None: serially here. Tasks are plain picklable
        functions (user criteria given as functions must be defined at module level).
    **match_options
        ``settings, relatedness, exclusions, pins, extra_criteria`` as for :func:`matching.match`.

    Returns
    -------
    pandas.DataFrame
        One row per pair formed in any run: ``mentee_id, mentor_id, runs, share``
        (runs with the pair / all runs) and ``robust`` (``share >= 0.9``), sorted by
        ids; ``attrs["runs"]``, ``attrs["vary"]`` and ``attrs["statuses"]`` record the sweep.

    Examples
    --------
    >>> import matching
    >>> data = matching.load_example()
    >>> table = matching.sensitivity(data["mentees"], data["mentors"], relatedness=data["relatedness"],
    ...                              vary={"cross_kbu": [0.5, 2], "preference": [1, 3]})
    >>> table.attrs["runs"], bool(table["share"].between(0, 1).all())
    (4, True)
    """
    unknown = sorted(set(match_options) - set(_OPTIONS))
    if unknown:
        raise TypeError(f"sensitivity() got unexpected keyword arguments {unknown}; options: {list(_OPTIONS)}")
    settings = Settings.coerce(match_options.pop("settings", None))
    cohort = load_cohort(mentees, mentors, **match_options)
    grid = weight_grid(settings, vary, criterion_names(cohort))
    runs = _run(cohort, grid, executor)
    log.info("sensitivity: %d runs of %d mentees", len(runs), len(cohort.mentees))
    return _table(cohort, vary, runs)


def _table(cohort, vary: Mapping, runs: list) -> pd.DataFrame:
    m = max(len(cohort.mentors), 1)
    keys = np.concatenate([np.flatnonzero(mo >= 0) * m + mo[mo >= 0] for mo, _ in runs] or [np.zeros(0, np.int64)])
    pair, count = np.unique(keys.astype(np.int64), return_counts=True)
    i, j = np.divmod(pair, m)
    share = count / max(len(runs), 1)
    table = pd.DataFrame({"mentee_id": cohort.mentees.ids[i].astype(object),
                          "mentor_id": cohort.mentors.ids[j].astype(object),
                          "runs": count.astype(np.int64), "share": share,
                          "robust": share >= ROBUST_SHARE - 1e-12})
    table = table.sort_values(["mentee_id", "mentor_id"], kind="stable").reset_index(drop=True)
    table.attrs.update(runs=len(runs), vary={k: [float(v) for v in vs] for k, vs in vary.items()},
                       statuses=sorted({status for _, status in runs}))
    return table


def changing_pairs(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of mentees whose mentor is not the same in every run (``share < 1``)."""
    runs = table.attrs.get("runs", int(table["runs"].max()) if len(table) else 0)
    moving = set(table.loc[table["runs"] < runs, "mentee_id"])
    return table[table["mentee_id"].isin(moving)].reset_index(drop=True)



def sensitivity_report(table: pd.DataFrame, *, limit: int = 50) -> str:
    """A short text report of a sensitivity table: the grid, robust pairs, and the mentees
    whose mentor changes with the weights (each mentor with its runs), at most ``limit``.

    Examples
    --------
    >>> table = pd.DataFrame({"mentee_id": ["E1", "E2", "E2"], "mentor_id": ["M1", "M1", "M2"],
    ...                       "runs": [2, 1, 1], "share": [1.0, 0.5, 0.5], "robust": [True, False, False]})
    >>> table.attrs.update(runs=2, vary={"preference": [1.0, 3.0]}, statuses=["OPTIMAL"])
    >>> print(sensitivity_report(table))
    2 runs: preference in 1, 3 (solver status: OPTIMAL)
    3 pairs formed in at least one run; 1 robust (in at least 90% of the runs).
    1 mentee keeps one mentor in every run; 1 changes with the weights:
      E2: M1 1/2, M2 1/2
    """
    runs = int(table.attrs.get("runs", 0))
    vary = table.attrs.get("vary", {})
    grid = " x ".join(f"{name} in {', '.join(f'{v:g}' for v in values)}" for name, values in vary.items())
    lines = [f"{runs} runs: {grid} (solver status: {', '.join(table.attrs.get('statuses', []))})",
             f"{len(table)} pairs formed in at least one run; {int(table['robust'].sum())} robust "
             f"(in at least {ROBUST_SHARE:.0%} of the runs)."]
    moving = changing_pairs(table)
    n_moving = moving["mentee_id"].nunique()
    n_stable = table["mentee_id"].nunique() - n_moving
    lines.append(f"{n_stable} mentee{'s' if n_stable != 1 else ''} keep{'s' if n_stable == 1 else ''} one mentor "
                 f"in every run; {n_moving} change{'s' if n_moving == 1 else ''} with the weights"
                 + (":" if n_moving else "."))
    for k, (mentee, rows) in enumerate(moving.groupby("mentee_id", sort=True)):
        if k == limit:
            lines.append(f"  ... and {n_moving - limit} more (see the table)")
            break
        rows = rows.sort_values(["runs", "mentor_id"], ascending=[False, True])
        lines.append(f"  {mentee}: " + ", ".join(f"{m} {r}/{runs}" for m, r in zip(rows["mentor_id"], rows["runs"])))
    return "\n".join(lines)
