"""Cohort-level goals: parsed once from ``settings.targets`` into a frozen :class:`Goals`.

Goals are stated in the settings (a dict or a ``[targets]`` TOML table). A number
states a **hard** goal; a table with a ``weight`` states a **soft** one (missing it
costs ``weight`` score points per unit missed, in the score level of the objective).

==========================  =======================================================
key                         meaning
==========================  =======================================================
``cross_kbu``               at least this share of matched pairs (pins included) is
``cross_gender``            cross-KBU / cross-gender / cross-race (both codes known
``cross_race``              and different, as in ``summary["cross_*_share"]``).
                            Soft unit: one pair short.
``top1`` ... ``top9``       at least this share of matched mentees who listed
                            preferences got one of their first *k* choices
                            (``top3`` = ``summary["preferences"]["top3_share"]``).
                            Soft unit: one pair short.
``max_same_kbu_per_mentor`` int k: no mentor takes more than k mentees of one KBU.
                            Soft unit: one mentee over.
``max_mentor_kbu_share``    of the mentors who take at least one mentee, at most this
                            share belong to any one KBU. Soft unit: one mentor over.
``max_rank_lag``            ``{"max": 0.5, "by": ["kbu", "gender", "race"]}``: the
                            average outcome rank of each group of mentees (mentees
                            who listed preferences, groups of at least
                            ``min_group_size``) is at most ``max`` ranks worse than
                            the cohort's. A mentee's outcome rank is the rank of the
                            matched mentor among their choices, or one past the
                            longest list in the cohort when unranked or unmatched.
                            Soft unit: 0.01 rank over, per group. Reported only as
                            the worst lag per attribute (never per person).
``fairness``                ``"maximin"``: among the best matchings, first raise the
                            lowest pair score of any matched mentee, then the total.
==========================  =======================================================

Goals never change the first objective level: as many mentees are matched (by
priority) as without goals. Hard goals are constraints on those matchings; when they
cannot hold, :class:`~matching.errors.InfeasibleError` names the conflict.

Examples
--------
>>> g = parse_goals({"cross_kbu": 0.6, "top3": {"min": 0.7, "weight": 2}})
>>> [(s.name, str(s.share), s.weight) for s in g.shares]
[('cross_kbu', '3/5', None), ('top3', '7/10', 2.0)]
>>> describe_goal(g.shares[0])
'the 60% cross-KBU target'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._numeric import unique
from ..errors import SettingsError

__all__ = ["ShareGoal", "LimitGoal", "RankLagGoal", "Goals", "parse_goals", "target_problems",
           "describe_goal", "percent", "share_masks", "outcome_ranks", "rank_groups", "pair_ranks",
           "evaluate_goals"]

SHARE_NAMES = ("cross_kbu", "cross_gender", "cross_race")
_TOP = re.compile(r"^top([1-9])$")
_ATTRS = ("kbu", "gender", "race")
_WORDS = {"cross_kbu": "cross-KBU", "cross_gender": "cross-gender", "cross_race": "cross-race"}


@dataclass(frozen=True)
class ShareGoal:
    """At least ``share`` of the relevant matched pairs qualify (``weight`` None: hard)."""

    name: str
    share: Fraction
    weight: float | None = None


@dataclass(frozen=True)
class LimitGoal:
    """``max_same_kbu_per_mentor`` (``value`` int) or ``max_mentor_kbu_share`` (Fraction)."""

    name: str
    value: Fraction
    weight: float | None = None


@dataclass(frozen=True)
class RankLagGoal:
    """Average outcome rank of any group at most ``lag`` ranks above the cohort's."""

    lag: Fraction
    by: tuple = _ATTRS
    weight: float | None = None
    name: str = "max_rank_lag"


@dataclass(frozen=True)
class Goals:
    """Every cohort goal of the settings, parsed and checked."""

    shares: tuple = ()
    limits: tuple = ()
    rank_lag: RankLagGoal | None = None
    maximin: bool = False

    @property
    def constraints(self) -> tuple:
        """Every goal that is a constraint (hard or soft), in a fixed order."""
        return self.shares + self.limits + ((self.rank_lag,) if self.rank_lag else ())

    @property
    def hard(self) -> tuple:
        return tuple(g for g in self.constraints if g.weight is None)

    def __bool__(self) -> bool:
        return bool(self.constraints) or self.maximin


#: Smallest non-zero share, largest load limit and largest rank lag accepted.
MIN_SHARE = 0.0001
MAX_LIMIT = 10_000
MAX_LAG = 1000


def _fraction(v) -> Fraction:
    return Fraction(repr(float(v))) if isinstance(v, (float, np.floating)) else Fraction(int(v))


def _real(v) -> bool:
    """A finite real number (numpy scalars too); never raises, even for ``10**400``."""
    if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, (bool, np.bool_)):
        return False
    try:
        return bool(np.isfinite(float(v)))
    except OverflowError:
        return False


def _share(v, *, zero: bool) -> bool:
    return _real(v) and (v == 0 and zero or MIN_SHARE <= v <= 1)


def _split(key: str, spec, bound: str) -> tuple[object, object, list[str]]:
    """(value, weight, problems) of ``0.6`` or ``{"min": 0.6, "weight": 2}``."""
    if not isinstance(spec, Mapping):
        return spec, None, []
    extra = sorted(set(spec) - {bound, "weight", "by"})
    problems = [f"unknown key '{k}' (use '{bound}' and optionally 'weight')" for k in extra]
    if bound not in spec:
        problems.append(f"a table needs '{bound}'")
    weight = spec.get("weight")
    if weight is not None and not (_real(weight) and 0.001 <= weight <= 1e6):
        problems.append(f"'weight' must be a float in [0.001, 1e6]; got {_cut(weight)}")
        weight = None
    return spec.get(bound), (None if weight is None else float(weight)), problems


def _cut(value) -> str:
    """``repr`` of a bad value, cut to a readable length (``10**400`` has 401 digits)."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text):,} characters)"


def _parse_one(key: str, spec) -> tuple[object, list[str]]:
    if key in SHARE_NAMES or _TOP.match(key):
        value, weight, problems = _split(key, spec, "min")
        if not _share(value, zero=True):
            problems.append(f"must be 0 or a share in [{MIN_SHARE:g}, 1]; got {_cut(value)}")
            return None, problems
        return ShareGoal(key, _fraction(value), weight), problems
    if key == "max_same_kbu_per_mentor":
        value, weight, problems = _split(key, spec, "max")
        if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and 1 <= value <= MAX_LIMIT):
            problems.append(f"must be an int in [1, {MAX_LIMIT:_}]; got {_cut(value)}")
            return None, problems
        return LimitGoal(key, Fraction(int(value)), weight), problems
    if key == "max_mentor_kbu_share":
        value, weight, problems = _split(key, spec, "max")
        if not _share(value, zero=False):
            problems.append(f"must be a share in [{MIN_SHARE:g}, 1]; got {_cut(value)}")
            return None, problems
        return LimitGoal(key, _fraction(value), weight), problems
    if key == "max_rank_lag":
        value, weight, problems = _split(key, spec, "max")
        by = spec.get("by", _ATTRS) if isinstance(spec, Mapping) else _ATTRS
        by = tuple(by) if isinstance(by, (list, tuple)) else (by,)
        if not all(isinstance(a, str) for a in by) or not set(by) <= set(_ATTRS) or not by:
            problems.append(f"'by' must list some of {list(_ATTRS)}; got {_cut(list(by))}")
        if not (_real(value) and 0 <= value <= MAX_LAG):
            problems.append(f"must be a number of ranks in [0, {MAX_LAG}]; got {_cut(value)}")
            return None, problems
        lag = Fraction(round(float(value) * 10000), 10000)
        return RankLagGoal(lag, tuple(a for a in _ATTRS if a in by), weight), problems
    if key == "fairness":
        ok = spec in ("maximin", None, "none")
        return spec == "maximin", [] if ok else [f"must be 'maximin' or 'none'; got {_cut(spec)}"]
    known = ", ".join(SHARE_NAMES + ("top1..top9", "max_same_kbu_per_mentor", "max_mentor_kbu_share",
                                     "max_rank_lag", "fairness"))
    return None, [f"unknown goal; known goals: {known}"]


def target_problems(targets) -> list[dict]:
    """Every problem of a ``targets`` mapping, as SettingsError failure rows."""
    if not isinstance(targets, Mapping):
        return [{"column": "targets", "problem": f"The 'targets' setting must be a dict. Got {targets!r} instead."}]
    return [{"column": f"targets.{key}", "problem": f"The 'targets.{key}' goal {text}."}
            for key, spec in targets.items() for text in _parse_one(str(key), spec)[1]]


def parse_goals(targets) -> Goals:
    """The :class:`Goals` of a ``targets`` mapping (raises :class:`SettingsError`)."""
    problems = target_problems(targets)
    if problems:
        raise SettingsError(problems)
    parsed = {str(k): _parse_one(str(k), v)[0] for k, v in sorted(targets.items())}
    shares = tuple(g for g in parsed.values() if isinstance(g, ShareGoal))
    limits = tuple(g for g in parsed.values() if isinstance(g, LimitGoal))
    lag = parsed.get("max_rank_lag")
    return Goals(shares=shares, limits=limits, rank_lag=lag, maximin=bool(parsed.get("fairness")))


def percent(x) -> str:
    """``0.6 -> '60%'``, ``0.5238 -> '52.38%'`` (never rounds up past the value)."""
    value = np.floor(float(x) * 10000 + 1e-9) / 100
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"


def describe_goal(goal) -> str:
    """Plain words for a goal, e.g. 'the 60% cross-KBU target'."""
    kind = "" if goal.weight is None else "soft "
    if isinstance(goal, ShareGoal):
        top = _TOP.match(goal.name)
        what = f"top-{top.group(1)}-choice" if top else _WORDS[goal.name]
        return f"the {kind}{percent(goal.share)} {what} target"
    if isinstance(goal, RankLagGoal):
        return f"the {kind}limit of {float(goal.lag):g} ranks on any group's preference lag ({'/'.join(goal.by)})"
    if goal.name == "max_same_kbu_per_mentor":
        return f"the {kind}limit of {int(goal.value)} mentees of one KBU per mentor"
    return f"the {kind}limit of {percent(goal.value)} of active mentors from one KBU"


def _cross(a, b) -> np.ndarray:
    return (a >= 0) & (b >= 0) & (a != b)


def share_masks(cohort, goal: ShareGoal, i, j, rank) -> tuple[np.ndarray, np.ndarray]:
    """(counts, qualifies) per pair: whether it is in the share's denominator / numerator.

    ``rank`` is each pair's preference rank (0 when unranked).
    """
    e, m = cohort.mentees, cohort.mentors
    top = _TOP.match(goal.name)
    if top:
        counts = np.bincount(cohort.preferences.i, minlength=len(e))[i] > 0
        return counts, counts & (rank >= 1) & (rank <= int(top.group(1)))
    attr = goal.name.removeprefix("cross_")
    return np.ones(len(i), bool), _cross(getattr(e, attr)[i], getattr(m, attr)[j])


def outcome_ranks(cohort, i, rank) -> tuple[np.ndarray, np.ndarray, int]:
    """(mentees counted, outcome rank of each pair, rank of an unranked/unmatched outcome)."""
    listed = np.bincount(cohort.preferences.i, minlength=len(cohort.mentees)) > 0
    counted = listed & cohort.mentees.eligible
    worst = int(cohort.preferences.value.max(initial=0)) + 1
    return counted, np.where(rank > 0, rank, worst).astype(np.int64), worst


def rank_groups(cohort, settings, attr: str, counted: np.ndarray) -> list[np.ndarray]:
    """Boolean masks over mentees of each group large enough to be constrained/reported."""
    codes = getattr(cohort.mentees, attr)
    groups = []
    for code in unique(codes[counted & (codes >= 0)]):
        mask = counted & (codes == code)
        if mask.sum() >= settings.min_group_size:
            groups.append(mask)
    return groups


def pair_ranks(cohort, i, j) -> np.ndarray:
    prefs = cohort.preferences
    if not len(prefs) or not len(i):
        return np.zeros(len(i), np.int64)
    keys = prefs.i * (1 << 32) + prefs.j
    probe = i * (1 << 32) + j
    pos = np.minimum(np.searchsorted(keys, probe), len(keys) - 1)
    return np.where(keys[pos] == probe, prefs.value[pos], 0).astype(np.int64)


def evaluate_goals(cohort, settings, goals: Goals, mentor_of: np.ndarray) -> list[dict]:
    """How each goal fares in a matching: value reached, target, hard/soft, and the miss.

    ``missed_by`` is in the goal's soft unit (pairs short, mentees or mentors over, or
    hundredths of a rank over for the worst group); 0 when the goal holds.
    """
    i = np.flatnonzero(mentor_of >= 0)
    j = mentor_of[i]
    rank = pair_ranks(cohort, i, j)
    rows = []
    for goal in goals.constraints:
        row = {"goal": goal.name, "hard": goal.weight is None, "weight": goal.weight}
        if isinstance(goal, ShareGoal):
            counts, good = share_masks(cohort, goal, i, j, rank)
            n, k = int(counts.sum()), int((good & counts).sum())
            need = -(-goal.share.numerator * n // goal.share.denominator)
            row.update(target=float(goal.share), value=round(k / n, 4) if n else None, missed_by=max(0, need - k))
        elif isinstance(goal, RankLagGoal):
            row.update(target=float(goal.lag), **_lag_report(cohort, settings, goal, mentor_of))
        else:
            row.update(_limit_report(cohort, goal, i, j))
        rows.append(row)
    return rows


def _limit_report(cohort, goal: LimitGoal, i, j) -> dict:
    kbu_e, kbu_m = cohort.mentees.kbu, cohort.mentors.kbu
    if goal.name == "max_same_kbu_per_mentor":
        known = kbu_e[i] >= 0
        load = np.zeros((len(cohort.mentors), max(len(cohort.kbus), 1)), np.int64)
        np.add.at(load, (j[known], kbu_e[i][known]), 1)
        k = int(goal.value)
        return {"target": k, "value": int(load.max(initial=0)), "missed_by": int(np.maximum(load - k, 0).sum())}
    used = unique(j)
    per_kbu = np.bincount(kbu_m[used][kbu_m[used] >= 0], minlength=max(len(cohort.kbus), 1))
    limit = goal.value * len(used)
    over = int(sum(max(0, int(c) - int(limit)) for c in per_kbu))
    return {"target": float(goal.value),
            "value": round(float(per_kbu.max(initial=0)) / len(used), 4) if len(used) else None,
            "missed_by": over}


def _lag_report(cohort, settings, goal: RankLagGoal, mentor_of) -> dict:
    i = np.arange(len(mentor_of))
    counted, _, worst = outcome_ranks(cohort, i, np.zeros(len(i), np.int64))
    got = np.full(len(i), worst, np.int64)
    matched = np.flatnonzero(mentor_of >= 0)
    r = pair_ranks(cohort, matched, mentor_of[matched])
    got[matched] = np.where(r > 0, r, worst)
    cohort_mean = got[counted].mean() if counted.any() else 0.0
    lags, missed = {}, 0
    for attr in goal.by:
        groups = rank_groups(cohort, settings, attr, counted)
        worst_lag = max((got[g].mean() - cohort_mean for g in groups), default=None)
        lags[attr] = None if worst_lag is None else round(float(worst_lag), 4)
        missed += sum(int(np.ceil(max(0.0, got[g].mean() - cohort_mean - float(goal.lag)) * 100 - 1e-9))
                      for g in groups)
    return {"value": lags, "missed_by": missed}
