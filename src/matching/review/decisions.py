"""The committee's decision log: every pin and ban with its reason, who decided and when.

:data:`DECISION_COLUMNS` is a stable, documented table (``kind, mentee_id, mentor_id,
reason, decided_by, decided_at``): ``kind`` is ``"pin"`` or ``"exclusion"``;
``decided_at`` is an ISO 8601 UTC time stamp, empty for pins and bans that came with
the input files. It appears in every output (CSV ``decisions.csv``, an xlsx sheet,
JSON, the report and the notebook view) and re-applies:
``match(mentees, mentors, decisions=log)`` replays it, time-stamped rows in order as the
committee made them, and gives the committee's result again.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt

import numpy as np
import pandas as pd

from ..cohort.model import Cohort
from ..errors import InputError
from ..files.tables import read_table
from .outcome import Outcome
from .overrides import OVERRIDE_COLUMNS, _text, add_overrides, changed_cohort

__all__ = ["DECISION_COLUMNS", "decisions_table", "read_decisions", "apply_upfront", "replay", "now"]

#: Columns of :attr:`MatchResult.decisions` (stable: other tools store this table).
DECISION_COLUMNS = OVERRIDE_COLUMNS + ("decided_at",)
_KINDS = {"pin": "pin", "pins": "pin", "exclusion": "exclusion", "exclusions": "exclusion", "ban": "exclusion"}


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def decisions_table(result: Outcome) -> pd.DataFrame:
    """Every pin and ban in force, in the order decided (input ones first)."""
    records = result.info.extra.get("overrides")
    if records is None:
        c = result.cohort
        records = [{"kind": kind, "mentee_id": str(c.mentees.ids[a]), "mentor_id": str(c.mentors.ids[b]),
                    "reason": _text(v)}
                   for kind, t in (("pin", c.pins), ("exclusion", c.exclusions))
                   for a, b, v in zip(t.i.tolist(), t.j.tolist(), t.value.tolist())]
    rows = [{k: r.get(k) for k in DECISION_COLUMNS} for r in records]
    return pd.DataFrame(rows, columns=list(DECISION_COLUMNS), dtype=object)


def read_decisions(data) -> pd.DataFrame:
    """A decision log (DataFrame, or a CSV / Excel path) as a frame of text, checked.

    Raises :class:`~matching.InputError` listing every problem (a missing column, an
    unknown kind)."""
    file = "decisions"
    if not isinstance(data, pd.DataFrame):
        file = str(data)
        data = read_table(data)
    frame = data.rename(columns=lambda c: str(c).strip().lower().replace(" ", "_"))
    problems = [{"file": file, "column": c, "problem": f"required column '{c}' is missing"}
                for c in ("kind", "mentee_id", "mentor_id") if c not in frame.columns]
    if problems:
        raise InputError(problems)
    out = pd.DataFrame({c: [_text(v) for v in frame[c].astype(object)] if c in frame.columns else [None] * len(frame)
                        for c in DECISION_COLUMNS}, dtype=object)
    kinds = [_KINDS.get((k or "").lower()) for k in out["kind"]]
    for row, (given, kind) in enumerate(zip(out["kind"], kinds)):
        if kind is None:
            problems.append({"file": file, "row": row, "column": "kind", "id": out["mentee_id"][row],
                             "problem": f"kind must be 'pin' or 'exclusion'; got {given!r}"})
    if problems:
        raise InputError(problems)
    out["kind"] = kinds
    return out


def apply_upfront(cohort: Cohort, log: pd.DataFrame) -> Cohort:
    """The cohort with the log's input rows (no ``decided_at``) added to its pins and bans."""
    rows = log[log["decided_at"].isna()]
    changes = {}
    for kind, name in (("pin", "pins"), ("exclusion", "exclusions")):
        part = rows[rows["kind"] == kind]
        if not len(part):
            continue
        i = cohort.mentee_index([x or "" for x in part["mentee_id"]])
        j = cohort.mentor_index([x or "" for x in part["mentor_id"]])
        bad = [{"file": "decisions", "row": int(r), "column": col, "id": part[col].iloc[k],
                "problem": f"decisions: unknown {col.split('_')[0]} '{part[col].iloc[k]}'"}
               for col, pos in (("mentee_id", i), ("mentor_id", j)) for k, r in enumerate(part.index)
               if pos[k] < 0]
        if bad:
            raise InputError(bad)
        changes[name] = (i, j, np.array([x or "" for x in part["reason"]], dtype=object))
    return changed_cohort(cohort, **changes) if changes else cohort


def replay(result: Outcome, log: pd.DataFrame) -> Outcome:
    """Re-apply the time-stamped rows of ``log`` to ``result`` in order, one batch per
    (kind, time stamp), as :meth:`MatchResult.with_pins` / ``with_exclusions`` did."""
    upfront = log[log["decided_at"].isna()]
    records = [{k: r.get(k) for k in DECISION_COLUMNS} for r in upfront.to_dict("records")]
    inputs = decisions_table(result)
    given = {(r["kind"], r["mentee_id"], r["mentor_id"]) for r in records}
    records = [r for r in inputs.to_dict("records") if (r["kind"], r["mentee_id"], r["mentor_id"]) not in given] \
        + records
    info = dataclasses.replace(result.info, extra={**result.info.extra, "overrides": records})
    result = dataclasses.replace(result, info=info)
    timed = log[log["decided_at"].notna()]
    if not len(timed):
        return result
    key = (timed["kind"] + "\x1f" + timed["decided_at"]).to_numpy()
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    for lo, hi in zip(starts, np.r_[starts[1:], len(timed)]):
        batch = timed.iloc[lo:hi]
        result = add_overrides(result, batch[list(OVERRIDE_COLUMNS[1:])].reset_index(drop=True),
                               kind=batch["kind"].iloc[0], decided_at=batch["decided_at"].iloc[0])
    return result
