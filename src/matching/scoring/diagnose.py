"""Pre-solve diagnosis: how many mentors each mentee may be paired with, and why not more.

Counts come from the hard rules alone (no solver), block by block, so they are cheap
and say nothing about gender or race (no hard rule reads them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..cohort.model import Cohort
from .rules import RULES, Pairs, rule_masks
from .scores import block_rows
from ..cohort.settings import Settings
from ..cohort.validate import load_cohort

__all__ = ["Diagnosis", "diagnose", "diagnose_cohort"]


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """What the hard rules leave open, before any solving.

    Attributes
    ----------
    mentees : pandas.DataFrame
        ``mentee_id, eligible, eligible_mentors, top_rule, top_rule_removes``: for each
        mentee, how many mentors the rules allow and the rule that removes the most
        mentors for them (empty for ineligible mentees).
    rules : pandas.DataFrame
        ``rule, pairs_removed, only_rule``: over eligible mentees, the pairs each rule
        forbids, and those it alone forbids (lifting it would allow them).
    no_mentor : tuple of str
        Eligible mentees with no eligible mentor.
    capacity, eligible : int
        Total mentor seats; eligible mentees.
    """

    mentees: pd.DataFrame
    rules: pd.DataFrame
    no_mentor: tuple
    capacity: int
    eligible: int

    @property
    def top_rule(self) -> str | None:
        """The rule that removes the most options over the cohort."""
        if not len(self.rules) or self.rules["pairs_removed"].max() == 0:
            return None
        return str(self.rules.sort_values(["pairs_removed", "rule"], ascending=[False, True])["rule"].iloc[0])

    @property
    def text(self) -> str:
        """One paragraph in plain words."""
        counts = self.mentees.loc[self.mentees["eligible"], "eligible_mentors"]
        words = [f"{self.eligible} eligible mentees, {self.capacity} mentor seats"]
        if len(counts):
            words.append(f"eligible mentors per mentee: median {int(counts.median())}, fewest {int(counts.min())}")
        if self.no_mentor:
            shown = ", ".join(self.no_mentor[:10]) + (" ..." if len(self.no_mentor) > 10 else "")
            words.append(f"{len(self.no_mentor)} with no eligible mentor ({shown})")
        if self.top_rule:
            row = self.rules.set_index("rule").loc[self.top_rule]
            words.append(f"the rule that removes the most options is '{self.top_rule}' "
                         f"({int(row['pairs_removed'])} pairs, {int(row['only_rule'])} by it alone)")
        return "; ".join(words)

    def short(self) -> dict:
        """A small dict for ``result.info.extra['diagnosis']``."""
        counts = self.mentees.loc[self.mentees["eligible"], "eligible_mentors"]
        return {"eligible_mentees": self.eligible, "capacity": self.capacity,
                "fewest_eligible_mentors": int(counts.min()) if len(counts) else None,
                "no_eligible_mentor": list(self.no_mentor), "top_rule": self.top_rule, "text": self.text}


def diagnose_cohort(cohort: Cohort, settings: Settings, cands=None) -> Diagnosis:
    """The :class:`Diagnosis` of a validated cohort (``cands`` is unused: rules are re-counted)."""
    n, names = len(cohort.mentees), list(RULES)
    allowed = np.zeros(n, np.int64)
    removed = np.zeros((n, len(names)), np.int64)
    only = np.zeros(len(names), np.int64)
    step = block_rows(cohort)
    for start in range(0, n, step):
        stop = min(start + step, n)
        masks = np.stack([rule_masks(Pairs.block(cohort, settings, start, stop))[k] for k in names])
        fails = ~masks
        allowed[start:stop] = (~fails.any(axis=0)).sum(axis=1)
        removed[start:stop] = fails.sum(axis=2).T
        sole = fails & (fails.sum(axis=0) == 1)
        eligible = cohort.mentees.eligible[start:stop]
        only += sole[:, eligible].sum(axis=(1, 2))
    return _assemble(cohort, names, allowed, removed, only)


def _assemble(cohort, names, allowed, removed, only) -> Diagnosis:
    e = cohort.mentees
    eligible = e.eligible.astype(bool)
    rule_cols = [k for k, name in enumerate(names) if name != "eligible"]
    sub = removed[:, rule_cols]
    top = np.argmax(sub, axis=1) if len(names) else np.zeros(len(e), int)
    top_names = np.array([names[rule_cols[k]] for k in top], dtype=object) if len(e) else np.zeros(0, object)
    top_count = sub[np.arange(len(e)), top] if len(e) else np.zeros(0, np.int64)
    has = eligible & (top_count > 0)
    mentees = pd.DataFrame({
        "mentee_id": e.ids.astype(object), "eligible": eligible,
        "eligible_mentors": np.where(eligible, allowed, 0),
        "top_rule": pd.Series(np.where(has, top_names, None), dtype=object),
        "top_rule_removes": np.where(has, top_count, 0),
    })
    rules = pd.DataFrame({"rule": [names[k] for k in rule_cols],
                          "pairs_removed": removed[eligible][:, rule_cols].sum(axis=0),
                          "only_rule": only[rule_cols]})
    no_mentor = tuple(str(x) for x in e.ids[eligible & (allowed == 0)])
    return Diagnosis(mentees=mentees, rules=rules, no_mentor=no_mentor,
                     capacity=int(cohort.mentors.capacity.sum()), eligible=int(eligible.sum()))


def diagnose(mentees, mentors, *, settings=None, relatedness=None, exclusions=None, pins=None,
             extra_criteria=None) -> Diagnosis:
    """Count eligible mentors per mentee before solving; name mentees with none.

    Takes the same inputs as :func:`matching.match`.

    Returns
    -------
    Diagnosis

    Examples
    --------
    >>> import matching
    >>> data = matching.load_example()
    >>> d = matching.diagnose(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    >>> int(d.mentees["eligible_mentors"].min()) >= 0, d.top_rule in d.rules["rule"].tolist()
    (True, True)
    """
    settings = Settings.coerce(settings)
    cohort = load_cohort(mentees, mentors, relatedness=relatedness, exclusions=exclusions, pins=pins,
                         extra_criteria=extra_criteria, settings=settings)
    return diagnose_cohort(cohort, settings)
