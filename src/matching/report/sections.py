"""The report's sections, from any result's tables (duck-typed: no result class here).

Every piece of user text is HTML-escaped. People are shown by name and title when the
input has such columns (``display``), with their id; labels are words, not keys.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from ..files.export import input_column
from . import charts

__all__ = ["display_columns", "people_labels", "people_text", "summary_words", "pairs_table", "unmatched_table",
           "decisions_table", "changes_table", "mentors_table", "share_text", "AUTO_DISPLAY"]

#: Input columns shown next to ids when ``display`` is not given (compared loosely).
AUTO_DISPLAY = ("name", "full name", "title", "job title", "position")
_CODES = {"capacity_exhausted": "because every fitting mentor was full",
          "no_eligible_mentor": "because no mentor fits the hard rules",
          "ineligible": "because they are not eligible this session"}
_KIND = {"pin": "pinned", "exclusion": "banned"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def share_text(part: int, whole: int) -> str:
    """``"38 % (20 of 53)"``: a share always with its denominator."""
    return f"{round(100 * part / whole)} % ({part} of {whole})" if whole else f"{part} of 0"


def display_columns(result, display=None) -> list[str]:
    """The input columns to show next to ids: ``display`` (headers as the files spell
    them, matched loosely), or name / title columns when the input has them."""
    cohort = getattr(result, "cohort", None)
    if cohort is None or display == () or display == []:
        return []
    wanted = [display] if isinstance(display, str) else list(display or AUTO_DISPLAY)
    found = []
    for name in wanted:
        if any(input_column(people, name) is not None for people in (cohort.mentees, cohort.mentors)):
            found.append(name)
    return found[:3]


def _people_texts(result, role: str, ids, columns) -> list[list[str]]:
    """For each id: the shown columns' texts (name first), then the id."""
    ids = [str(x) for x in ids]
    cohort = getattr(result, "cohort", None)
    people = getattr(cohort, f"{role}s", None) if cohort is not None else None
    if people is None or not columns:
        return [[x] for x in ids]
    where = dict(zip(people.ids.astype(str), range(len(people.ids))))
    values = [input_column(people, c) for c in columns]
    out = []
    for x in ids:
        k = where.get(x)
        texts = [str(v[k]).strip() for v in values if v is not None and k is not None and not pd.isna(v[k])
                 and str(v[k]).strip()]
        out.append(texts + [x])
    return out


def people_text(result, role: str, ids, columns) -> list[str]:
    """Plain text for each person: ``"Name (Title, E001)"``, or the id alone."""
    return [t[0] if len(t) == 1 else f"{t[0]} ({', '.join(t[1:])})" for t in _people_texts(result, role, ids, columns)]


def people_labels(result, role: str, ids, columns) -> list[str]:
    """HTML for each person: name (bold) and the other shown columns, then the id."""
    return [escape(t[0]) if len(t) == 1 else
            f'<span class="who"><b>{escape(t[0])}</b><span>{escape(" · ".join(t[1:]))}</span></span>'
            for t in _people_texts(result, role, ids, columns)]


def summary_words(result) -> list[str]:
    """The summary as sentences (HTML-escaped)."""
    s = dict(getattr(result, "summary", {}) or {})
    n, pairs = int(s.get("mentees", 0)), len(result.pairs)
    unmatched = result.unmatched
    lines = [f"{pairs} of {_plural(n, 'mentee')} have a mentor" + ("." if not len(unmatched) else "; ")]
    if len(unmatched):
        codes = unmatched["code"].value_counts() if "code" in unmatched else pd.Series(dtype=int)
        why = [f"{int(v)} {_CODES.get(str(k), 'for another reason: ' + str(k))}" for k, v in codes.items()]
        lines[0] += f"{len(unmatched)} do not" + (": " + ", ".join(why) if why else "") + "."
    if "capacity" in s:
        used, cap = int(s.get("capacity_used", pairs)), int(s["capacity"])
        lines.append(f"{_plural(int(s.get('mentors', 0)), 'mentor')} offer {_plural(cap, 'seat')}; "
                     f"{used} are taken, {cap - used} free.")
    lines += _preference_words(s.get("preferences") or {}, pairs)
    lines += _diversity_words(result)
    decisions = getattr(result, "decisions", None)
    if isinstance(decisions, pd.DataFrame) and len(decisions):
        kinds = decisions["kind"].value_counts()
        lines.append(f"The committee pinned {_plural(int(kinds.get('pin', 0)), 'pair')} and banned "
                     f"{_plural(int(kinds.get('exclusion', 0)), 'pair')} (see Decisions).")
    info = getattr(result, "info", None)
    if info is not None:
        proven = "proven optimal" if info.status == "OPTIMAL" else f"{info.status}, not proven optimal"
        lines.append(f"The answer is {proven} ({info.solver}).")
    return [escape(x) for x in lines]


def _preference_words(prefs: dict, pairs: int) -> list[str]:
    ranks = {int(k): int(v) for k, v in (prefs.get("ranks") or {}).items()}
    ranked = sum(ranks.values()) + int(prefs.get("unranked_mentor", 0))
    if not ranked:
        return []
    got = ", ".join(f"{v} their {charts.ordinal(k)} choice" for k, v in sorted(ranks.items()) if v)
    text = f"Of the {_plural(ranked, 'matched mentee')} who ranked mentors, {got or 'none a ranked mentor'}"
    if prefs.get("unranked_mentor"):
        text += f", and {prefs['unranked_mentor']} a mentor they did not rank"
    top3 = sum(v for k, v in ranks.items() if k <= 3)
    return [text + f"; top-3 choice: {share_text(top3, ranked)}."]


def _diversity_words(result) -> list[str]:
    k = int(getattr(getattr(result, "settings", None), "min_group_size", 5))
    shares = charts.cross_shares(result.pairs, k)
    n = len(result.pairs)
    hidden = f"not shown (a group smaller than {k})"
    parts = [f"{label}: {hidden if v is None else share_text(round(v * n), n)}"
             for label, v in shares.items()] if n else []
    return ["Pairs that are " + "; ".join(parts) + "."] if parts else []


def _choice(row) -> str:
    rank = row.get("preference_rank")
    text = "not ranked" if rank is None or pd.isna(rank) else f"{charts.ordinal(int(rank))} choice"
    if row.get("status"):
        text += f" · {row['status']}"
    if row.get("pinned") is True:
        text += " · pinned"
    return text


def _why_cell(line: str, full: str | None) -> str:
    more = f'<details class="more"><summary>details</summary><div>{escape(full)}</div></details>' if full else ""
    return f"{escape(line)}{more}"


def _table(head: list[str], rows: list[list[str]], widths: list[int], num=()) -> str:
    cols = "".join(f'<col style="width:{w}%">' for w in widths)
    th = "".join(f'<th{" class=num" if k in num else ""}>{h}</th>' for k, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if k in num else ""}>{c}</td>' for k, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f'<table class="m"><colgroup>{cols}</colgroup><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def pairs_table(result, columns, lines: dict, fulls: dict) -> str:
    """Mentee, mentor, score, choice and why (a line or two, always visible; details fold)."""
    pairs = result.pairs
    mentees = people_labels(result, "mentee", pairs["mentee_id"], columns)
    mentors = people_labels(result, "mentor", pairs["mentor_id"], columns)
    rows = []
    for k, row in enumerate(pairs.to_dict("records")):
        mid = str(row["mentee_id"])
        rows.append([mentees[k], mentors[k], f"{row.get('score', 0):.2f}", escape(_choice(row)),
                     _why_cell(lines.get(mid, ""), fulls.get(mid))])
    return _table(["Mentee", "Mentor", "Score", "Choice", "Why"], rows, [17, 17, 7, 11, 48], num=(2,))


def unmatched_table(result, columns, lines: dict) -> str:
    frame = result.unmatched
    if not len(frame):
        return "<p>Every mentee has a mentor.</p>"
    who = people_labels(result, "mentee", frame["mentee_id"], columns)
    rows = [[who[k], escape(str(r.get("reason", ""))), escape(lines.get(str(r["mentee_id"]), ""))]
            for k, r in enumerate(frame.to_dict("records"))]
    return _table(["Mentee", "Why no mentor", "What would change it"], rows, [20, 35, 45])


def decisions_table(result, columns) -> str:
    frame = getattr(result, "decisions", None)
    if not isinstance(frame, pd.DataFrame) or not len(frame):
        return "<p>The committee has pinned or banned no pair.</p>"
    e = people_labels(result, "mentee", frame["mentee_id"], columns)
    m = people_labels(result, "mentor", frame["mentor_id"], columns)
    text = lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else escape(str(v))  # noqa: E731
    rows = [[escape(_KIND.get(str(r["kind"]), str(r["kind"]))), e[k], m[k], text(r.get("reason")),
             text(r.get("decided_by")), text(r.get("decided_at")) or "with the input"]
            for k, r in enumerate(frame.to_dict("records"))]
    return _table(["Decision", "Mentee", "Mentor", "Reason", "Decided by", "When"], rows, [10, 17, 17, 24, 14, 18])


def changes_table(result, previous, columns) -> str:
    """What changed from ``previous`` (another result) to ``result``, mentee by mentee."""
    old = dict(zip(previous.pairs["mentee_id"].astype(str), previous.pairs["mentor_id"].astype(str)))
    new = dict(zip(result.pairs["mentee_id"].astype(str), result.pairs["mentor_id"].astype(str)))
    moved = sorted(x for x in set(old) | set(new) if old.get(x) != new.get(x))
    if not moved:
        return "<p>No mentee's mentor changed.</p>"
    who = people_labels(result, "mentee", moved, columns)
    before = people_labels(previous, "mentor", [old.get(x, "") for x in moved], columns)
    after = people_labels(result, "mentor", [new.get(x, "") for x in moved], columns)
    rows = [[who[k], before[k] if x in old else "no mentor", after[k] if x in new else "no mentor",
             "gained a mentor" if x not in old else "lost their mentor" if x not in new else "new mentor"]
            for k, x in enumerate(moved)]
    return (f"<p>{_plural(len(moved), 'mentee')} changed.</p>"
            + _table(["Mentee", "Before", "After", "Change"], rows, [28, 28, 28, 16]))


def mentors_table(result, columns) -> str:
    frame = result.mentors
    who = people_labels(result, "mentor", frame["mentor_id"], columns)
    rows = [[who[k], str(r.get("capacity", "")), str(r.get("assigned", "")), str(r.get("spare", "")),
             escape(str(r.get("note", "") or ""))] for k, r in enumerate(frame.to_dict("records"))]
    return _table(["Mentor", "Seats", "Taken", "Free", "Note"], rows, [26, 8, 8, 8, 50], num=(1, 2, 3))
