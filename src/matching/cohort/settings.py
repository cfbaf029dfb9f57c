"""Settings: the hard rules and the weights of the criteria, in one frozen object.

Build them from a dict, a TOML file or a preset name; every value is checked once,
here, and every problem is reported together with scikit-learn-style messages.

Examples
--------
>>> s = Settings.from_dict({"min_level_gap": 2, "weights": {"cross_kbu": 0}})
>>> s.min_level_gap, s.weight("cross_kbu"), s.weight("preference")
(2, 0.0, 3.0)
>>> Settings.from_dict({"min_level_gap": -1})
Traceback (most recent call last):
...
matching.errors.SettingsError: 1 problem in the input:
  - column 'min_level_gap': The 'min_level_gap' setting must be an int >= 0. Got -1 instead.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SettingsError
from .goals import target_problems

__all__ = ["Settings", "PRESETS", "BUILTIN_CRITERIA", "NON_ANSWERS", "LIST_SEPARATORS"]

#: Names of the built-in soft criteria, in the order their parts are reported.
BUILTIN_CRITERIA = (
    "seniority",
    "relatedness",
    "preference",
    "mentor_preference",
    "competency",
    "cross_kbu",
    "cross_gender",
    "cross_race",
)

_DEFAULT_WEIGHTS = {
    "seniority": 1.0,
    "relatedness": 2.0,
    "preference": 3.0,
    "mentor_preference": 1.0,
    "competency": 1.0,
    "cross_kbu": 1.0,
    "cross_gender": 0.5,
    "cross_race": 0.5,
}

#: Gender and race answers read as missing values (compared ignoring case and spaces).
NON_ANSWERS = ("prefer not to say", "prefer not to answer", "i prefer not to say", "rather not say",
               "i'd rather not say", "i’d rather not say", "decline to state", "declined to state",
               "declined", "not specified", "not stated", "not disclosed", "n/a", "na", "n.a.",
               "unknown", "-", "--", "?")
#: What splits a list cell by default: semicolon, comma, line break.
LIST_SEPARATORS = (";", ",", "\n")

#: The largest absolute weight accepted; keeps integer costs far from overflow.
MAX_WEIGHT = 1_000.0
#: The smallest non-zero absolute weight: a smaller one would round to nothing in the integer costs.
MIN_WEIGHT = 0.001
#: Largest level gap, seed, time limit (seconds) and group size accepted.
MAX_GAP = 1000
MAX_SEED = 2**31 - 1
MAX_SECONDS = 1e6
MAX_GROUP = 1_000_000


@dataclass(frozen=True)
class Settings:
    """Hard rules, soft weights and solver options.

    Parameters
    ----------
    min_level_gap : int, default 1
        Hard: the mentor's level minus the mentee's level is at least this.
    max_level_gap : int or None, default None
        Hard, optional: the gap is at most this.
    require_more_experience : bool, default True
        Hard: where both have ``years_experience``, the mentor has more.
    allow_same_area : bool, default False
        The program pairs across areas; ``True`` lifts the "never the same area" rule.
    require_cross_kbu : bool, default False
        Hard, optional: mentor and mentee come from different KBUs.
    preferred_gap : tuple of int, default (1, 2)
        Soft: a level gap inside this band scores 1 on the seniority criterion.
    gap_decay : float, default 0.25
        Seniority score lost per level outside the preferred band (floored at 0).
    default_relatedness : float, default 0.5
        Relatedness of two different areas absent from the relatedness table.
    kbu_relatedness : float or None, default None
        If set, different areas of the same KBU are related at this value unless
        the table says otherwise (declares each KBU's areas a related group).
    area_groups : dict of str to list of str
        Named groups of areas the committee declares related, e.g.
        ``{"Public Safety": ["Police", "Fire", "Emergency Management"]}``: two different
        areas of one group are related at ``group_relatedness`` unless the table says
        otherwise. Every area named must be an area of the cohort.
    group_relatedness : float, default 0.8
    preference_depth : int, default 5
        A mentee's r-th choice scores ``(depth - r + 1) / depth`` (0 beyond depth); so
        does a mentee a mentor ranked r-th (``mentor_preference``).
    weights : dict
        Weight of each criterion; built-ins default to ``seniority=1,
        relatedness=2, preference=3, mentor_preference=1, competency=1, cross_kbu=1,
        cross_gender=0.5, cross_race=0.5``; user criteria default to 1. A weight of 0
        turns it off. ``mentor_preference`` scores only where mentors ranked mentees (an
        optional ``preferences`` column in the mentors table).
    targets : dict
        Cohort goals, solved with CP-SAT (see :mod:`matching.cohort.goals`): shares of matched
        pairs ``cross_kbu``, ``cross_gender``, ``cross_race``, ``top1``..``top9``; load
        limits ``max_same_kbu_per_mentor``, ``max_mentor_kbu_share``; fairness
        ``max_rank_lag`` and ``fairness = "maximin"``. A number is a hard goal, e.g.
        ``{"cross_kbu": 0.6}``; ``{"min": 0.6, "weight": 2}`` a soft one that costs
        ``weight`` score points per unit missed. Goals never reduce how many mentees
        are matched.
    solver : {"auto", "flow", "cpsat"}, default "auto"
    time_limit : float, default 60.0
        Seconds a solver may use. With cohort goals it counts from the start of the
        solve: validation, scoring and the plain optimum come off it first.
    workers : int, default 2
        CP-SAT search workers. The search is interleaved (deterministic): a solve that
        ends OPTIMAL returns the same pairs on every run; one stopped at ``time_limit``
        (FEASIBLE) depends on where the clock stopped it.
    gap_limit : float, default 0.001
        Cohort goals only: a goal-constrained answer whose proven relative gap is at most
        this is returned (status FEASIBLE, with the bound and a warning) without further
        search; 0 asks CP-SAT to try to prove optimality within ``time_limit``.
    seed : int, default 0
        Random seed handed to solvers that take one.
    min_group_size : int, default 5
        Aggregate reports suppress groups smaller than this.
    non_answers : tuple of str
        Gender and race answers read as missing (no cross bonus, never a group in
        aggregates), compared ignoring case, spaces and Unicode forms. Default:
        :data:`NON_ANSWERS` ("Prefer not to say", "Decline to state", "N/A", "Unknown",
        "-", ...). Add a program's own: ``non_answers = [..., "Not disclosed"]``.
    list_separators : tuple of str, default (";", ",", "\\n")
        What splits a list cell (``preferences``, ``competencies``): semicolons, commas
        (form checkboxes join answers with ", ") and line breaks. Set ``[";"]`` when
        names or competencies themselves hold commas ("Smith, Jane").
    """

    min_level_gap: int = 1
    max_level_gap: int | None = None
    require_more_experience: bool = True
    allow_same_area: bool = False
    require_cross_kbu: bool = False
    preferred_gap: tuple[int, int] = (1, 2)
    gap_decay: float = 0.25
    default_relatedness: float = 0.5
    kbu_relatedness: float | None = None
    area_groups: Mapping[str, Any] = field(default_factory=dict)
    group_relatedness: float = 0.8
    preference_depth: int = 5
    weights: Mapping[str, float] = field(default_factory=lambda: dict(_DEFAULT_WEIGHTS))
    targets: Mapping[str, Any] = field(default_factory=dict)
    solver: str = "auto"
    time_limit: float = 60.0
    workers: int = 2
    gap_limit: float = 0.001
    seed: int = 0
    min_group_size: int = 5
    non_answers: tuple[str, ...] = NON_ANSWERS
    list_separators: tuple[str, ...] = LIST_SEPARATORS

    def __post_init__(self):
        problems = _check(self)
        if problems:
            raise SettingsError(problems)
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _plain(getattr(self, f.name)))
        weights = dict(_DEFAULT_WEIGHTS)
        weights.update({str(k): float(v) for k, v in self.weights.items()})
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "targets", dict(self.targets))
        object.__setattr__(self, "area_groups", {str(k): sorted(set(v)) for k, v in self.area_groups.items()})
        object.__setattr__(self, "preferred_gap", tuple(int(v) for v in self.preferred_gap))
        object.__setattr__(self, "non_answers", tuple(self.non_answers))
        object.__setattr__(self, "list_separators", tuple(self.list_separators))

    def weight(self, name: str) -> float:
        """Weight of criterion ``name`` (1.0 for a user criterion not listed)."""
        return float(self.weights.get(name, 1.0))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every setting (round-trips through :meth:`from_dict`)."""
        out = dataclasses.asdict(self)
        out["preferred_gap"] = list(self.preferred_gap)
        out["non_answers"] = list(self.non_answers)
        out["list_separators"] = list(self.list_separators)
        return out

    def replace(self, **changes) -> Settings:
        """A copy with some settings changed (checked like any other)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, source: str | None = None) -> Settings:
        """Build settings from a dict; ``preset`` names a starting point.

        Every problem (unknown keys, a bad preset, bad values) is reported together.
        """
        if not isinstance(values, Mapping):
            raise SettingsError([{"file": source, "problem": f"settings must be a dict of name -> value. Got "
                                                             f"{type(values).__name__} instead."}])
        values = dict(values)
        names = {f.name for f in dataclasses.fields(cls)}
        problems = [{"column": k, "problem": f"Unknown setting '{k}'. Known settings: {', '.join(sorted(names))}."}
                    for k in sorted(set(values) - names - {"preset"}, key=str)]
        try:
            base = _preset_dict(values.pop("preset", "balanced"), source)
        except SettingsError as err:
            problems += err.failure_cases.to_dict("records")
            base = _preset_dict("balanced", source)
        given = values.pop("weights", {})
        weights = {**base.pop("weights", {}), **given} if isinstance(given, Mapping) else given
        base.update({k: v for k, v in values.items() if k in names})
        try:
            settings = cls(weights=weights, **base)
        except SettingsError as err:
            problems += err.failure_cases.to_dict("records")
        if problems:
            raise SettingsError([{**case, "file": source or case.get("file")} for case in problems])
        return settings

    @classmethod
    def from_toml(cls, path: str | Path) -> Settings:
        """Read settings from a TOML file (top-level keys, a ``[weights]`` table)."""
        if not isinstance(path, (str, os.PathLike)):
            raise SettingsError([{"problem": f"the settings file must be a path. Got {type(path).__name__} instead."}])
        path = Path(path)
        try:
            with path.open("rb") as fh:
                values = tomllib.load(fh)
        except FileNotFoundError:
            raise SettingsError([{"file": str(path), "problem": "settings file not found"}]) from None
        except IsADirectoryError:
            raise SettingsError([{"file": str(path), "problem": "is a folder, not a settings file"}]) from None
        except OSError as exc:
            raise SettingsError([{"file": str(path), "problem": f"cannot read: {exc.strerror or exc}"}]) from None
        except UnicodeDecodeError as exc:
            raise SettingsError([{"file": str(path), "problem": f"not valid UTF-8 text (byte {exc.start}); "
                                                                "save the settings file as UTF-8"}]) from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError([{"file": str(path), "problem": f"not valid TOML: {exc}"}]) from None
        return cls.from_dict(values, source=str(path))

    @classmethod
    def coerce(cls, value: Settings | Mapping | str | Path | None) -> Settings:
        """Turn ``None``, a dict, a preset name or a TOML path into settings."""
        if value is None:
            return cls()
        if isinstance(value, Settings):
            return value
        if isinstance(value, Mapping):
            return cls.from_dict(value)
        if isinstance(value, str) and value in PRESETS:
            return cls.from_dict({"preset": value})
        if isinstance(value, (str, Path)):
            return cls.from_toml(value)
        raise SettingsError(
            [{"problem": f"settings must be a Settings, a dict, a preset name or a TOML path. Got {type(value).__name__} instead."}]
        )


#: Named starting points; ``Settings.from_dict({"preset": name, ...})``.
PRESETS: dict[str, dict[str, Any]] = {
    "balanced": {},
    "preferences_first": {"weights": {"preference": 6.0, "relatedness": 1.0}},
    "diversity_first": {"weights": {"cross_kbu": 3.0, "cross_gender": 2.0, "cross_race": 2.0}},
    "strict": {"require_cross_kbu": True, "min_level_gap": 1},
    "assignment": {
        "min_level_gap": 0,
        "require_more_experience": False,
        "allow_same_area": True,
        "weights": {name: 0.0 for name in BUILTIN_CRITERIA},
    },
}


def _preset_dict(name: Any, source: str | None) -> dict[str, Any]:
    if not isinstance(name, str) or name not in PRESETS:
        raise SettingsError(
            [{"file": source, "column": "preset", "problem": f"The 'preset' setting must be one of {sorted(PRESETS)}. Got {name!r} instead."}]
        )
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in PRESETS[name].items()}


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_real(v) -> bool:
    """A finite real number (numpy scalars too); never raises, even for ``10**400``."""
    if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, (bool, np.bool_)):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def _plain(v):
    """numpy scalars as Python numbers (settings are written to JSON and TOML)."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (list, tuple)):
        return type(v)(_plain(x) for x in v)
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _bad(name: str, expected: str, got: Any) -> dict:
    text = repr(got)
    text = text if len(text) <= 80 else f"{text[:60]}... ({len(text):,} characters)"
    return {"column": name, "problem": f"The '{name}' setting must be {expected}. Got {text} instead."}


_RULES = {
    "min_level_gap": ("an int >= 0", lambda v: _is_int(v) and v >= 0),
    "max_level_gap": ("None or an int >= 1", lambda v: v is None or (_is_int(v) and v >= 1)),
    "require_more_experience": ("a bool", lambda v: isinstance(v, bool)),
    "allow_same_area": ("a bool", lambda v: isinstance(v, bool)),
    "require_cross_kbu": ("a bool", lambda v: isinstance(v, bool)),
    "preferred_gap": (
        "a pair of ints (low, high) with 0 <= low <= high",
        lambda v: isinstance(v, (tuple, list)) and len(v) == 2 and all(_is_int(x) for x in v) and 0 <= v[0] <= v[1],
    ),
    "gap_decay": ("a float in [0, 1]", lambda v: _is_real(v) and 0 <= v <= 1),
    "default_relatedness": ("a float in [0, 1]", lambda v: _is_real(v) and 0 <= v <= 1),
    "kbu_relatedness": ("None or a float in [0, 1]", lambda v: v is None or (_is_real(v) and 0 <= v <= 1)),
    "area_groups": (
        "a dict of group name -> list of area names",
        lambda v: isinstance(v, Mapping) and all(
            isinstance(a, (list, tuple)) and all(isinstance(x, str) for x in a) for a in v.values()),
    ),
    "group_relatedness": ("a float in [0, 1]", lambda v: _is_real(v) and 0 <= v <= 1),
    "preference_depth": ("an int in [1, 1000]", lambda v: _is_int(v) and 1 <= v <= 1000),
    "weights": ("a dict of name -> float", lambda v: isinstance(v, Mapping)),
    "targets": ("a dict", lambda v: isinstance(v, Mapping)),
    "solver": ("one of 'auto', 'flow', 'cpsat'", lambda v: v in ("auto", "flow", "cpsat")),
    "time_limit": ("a float > 0", lambda v: _is_real(v) and v > 0),
    "workers": ("an int in [1, 64]", lambda v: _is_int(v) and 1 <= v <= 64),
    "gap_limit": ("a float in [0, 0.5]", lambda v: _is_real(v) and 0 <= v <= 0.5),
    "seed": ("an int >= 0", lambda v: _is_int(v) and v >= 0),
    "min_group_size": ("an int >= 1", lambda v: _is_int(v) and v >= 1),
    "non_answers": ("a list of strings", lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str)
                                                                                       for x in v)),
    "list_separators": ("a non-empty list of non-empty strings", lambda v: isinstance(v, (list, tuple)) and
                        len(v) > 0 and all(isinstance(x, str) and x for x in v)),
}


#: Upper bounds, checked once a value has the right type (far beyond any real cohort).
_LIMITS = {"min_level_gap": MAX_GAP, "max_level_gap": MAX_GAP, "time_limit": MAX_SECONDS, "seed": MAX_SEED,
           "min_group_size": MAX_GROUP}


def _check(s: Settings) -> list[dict]:
    problems = [
        _bad(name, expected, getattr(s, name))
        for name, (expected, ok) in _RULES.items()
        if not ok(getattr(s, name))
    ]
    bad = {p["column"] for p in problems}
    problems += [_bad(name, f"at most {limit:_}", getattr(s, name)) for name, limit in _LIMITS.items()
                 if name not in bad and getattr(s, name) is not None and getattr(s, name) > limit]
    if "preferred_gap" not in bad and s.preferred_gap[1] > MAX_GAP:
        problems.append(_bad("preferred_gap", f"a pair of ints at most {MAX_GAP}", s.preferred_gap))
    if not problems and s.max_level_gap is not None and s.max_level_gap < s.min_level_gap:
        problems.append(_bad("max_level_gap", f"None or >= min_level_gap ({s.min_level_gap})", s.max_level_gap))
    if isinstance(s.targets, Mapping):
        problems += target_problems(s.targets)
    if isinstance(s.weights, Mapping):
        for name, w in s.weights.items():
            if not (_is_real(w) and abs(w) <= MAX_WEIGHT):
                problems.append(_bad(f"weights.{name}", f"a finite float in [-{MAX_WEIGHT:g}, {MAX_WEIGHT:g}]", w))
            elif w != 0 and abs(w) < MIN_WEIGHT:
                problems.append(_bad(f"weights.{name}", f"0 or at least {MIN_WEIGHT:g} in absolute value (a smaller "
                                                        "weight rounds to nothing)", w))
    return problems
