"""Cohort-level statistics: counts and shares, never per-person protected attributes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cohort.model import Cohort
from ..cohort.settings import Settings

__all__ = ["summarize", "preference_counts"]


def _share(mask) -> float | None:
    mask = np.asarray(mask, dtype=bool)
    return round(float(mask.mean()), 4) if len(mask) else None


def preference_counts(cohort: Cohort, pairs: pd.DataFrame) -> dict:
    """How many matched mentees got their 1st, 2nd, ... choice, an unranked mentor, or had none.

    ``top3_share`` is the share of matched mentees with preferences who got one of
    their first three choices.
    """
    ranked = np.bincount(cohort.preferences.i, minlength=len(cohort.mentees)) > 0
    pos = cohort.mentee_index(pairs["mentee_id"].to_numpy(dtype=object))
    has = ranked[pos] if len(pos) else np.zeros(0, bool)
    rank = pairs["preference_rank"].to_numpy(dtype="float64", na_value=np.nan)
    counts = {str(r): int((rank == r).sum()) for r in sorted(set(rank[~np.isnan(rank)].astype(int)))}
    with_prefs = int(has.sum())
    top3 = int(((rank <= 3) & has).sum())
    return {
        "ranks": counts,
        "unranked_mentor": int((np.isnan(rank) & has).sum()),
        "no_preferences": int((~has).sum()),
        "top3_share": round(top3 / with_prefs, 4) if with_prefs else None,
    }


def summarize(cohort: Cohort, settings: Settings, pairs: pd.DataFrame, unmatched: pd.DataFrame, info) -> dict:
    """The summary dict of a :class:`~matching.review.result.MatchResult`."""
    codes = unmatched["code"].value_counts().to_dict() if len(unmatched) else {}
    return {
        "mentees": len(cohort.mentees),
        "mentors": len(cohort.mentors),
        "pairs": len(pairs),
        "unmatched": len(unmatched),
        "ineligible": int(codes.get("ineligible", 0)),
        "no_eligible_mentor": int(codes.get("no_eligible_mentor", 0)),
        "capacity_exhausted": int(codes.get("capacity_exhausted", 0)),
        "capacity": int(cohort.mentors.capacity.sum()),
        "capacity_used": len(pairs),
        "cross_kbu_share": _share(pairs["is_cross_kbu"]),
        "cross_gender_share": _share(pairs["is_cross_gender"]),
        "cross_race_share": _share(pairs["is_cross_race"]),
        "preferences": preference_counts(cohort, pairs),
        "mean_score": round(float(pairs["score"].mean()), 4) if len(pairs) else None,
        "objective": {"matched_priority": info.matched_priority, "score": info.score},
        "solver": info.solver,
        "status": info.status,
    }
