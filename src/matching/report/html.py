"""HTML views of a result: the notebook table (``_repr_html_``) and a self-contained report.

The report is one HTML file with inline CSS and inline SVG charts: no scripts, no
external resources, so it can be mailed to a committee and opened offline. Every
piece of user text (ids, areas, reasons, explanations) is HTML-escaped. Diversity
figures are shares of pairs with small cells suppressed (see
:func:`matching.report.charts.cross_shares`); no person's gender or race is shown.

Examples
--------
>>> import matching
>>> data = matching.load_example()
>>> r = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
>>> page = report_html(r, explanations=False)
>>> page.startswith("<!DOCTYPE html>") and "<script" not in page
True
"""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path

import pandas as pd

from . import charts, sections
from ..errors import MatchingError
from ..files import progress as _progress
from ..files.export import atomic_write
from ..files.ids import canonical
from .privacy import diversity_table
from .style import CSS, NOTEBOOK_CSS

__all__ = ["result_html", "report_html", "write_report", "report_file", "explanation_text", "summary_rows"]

_LABELS = {"cross_kbu_share": "cross-KBU share", "cross_gender_share": "cross-gender share",
           "cross_race_share": "cross-race share", "top3_share": "top-3 choice share",
           "unranked_mentor": "matched to a mentor they did not rank", "no_preferences": "ranked no mentors",
           "matched_priority": "matched priority", "no_eligible_mentor": "no mentor fits the rules",
           "capacity_exhausted": "every fitting mentor full", "ineligible": "not eligible"}


def _text(value) -> str:
    if value is None or (not isinstance(value, (str, bytes, list, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table(frame: pd.DataFrame, *, max_rows: int | None = None, raw: dict | None = None, cls: str = "m auto") -> str:
    """An escaped HTML table; ``raw`` maps a column to pre-rendered (already safe) cells."""
    raw = raw or {}
    shown = frame if max_rows is None else frame.head(max_rows)
    head = "".join(f"<th>{escape(str(c))}</th>" for c in list(shown.columns) + list(raw))
    rows = []
    for k, row in enumerate(shown.itertuples(index=False)):
        cells = "".join(f"<td>{escape(_text(v))}</td>" for v in row)
        cells += "".join(f"<td>{cells_[k]}</td>" for cells_ in raw.values())
        rows.append(f"<tr>{cells}</tr>")
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        more = f'<p class="muted">First {max_rows} of {len(frame)} rows.</p>'
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'


def _label(path: list[str]) -> str:
    if len(path) == 3 and path[:2] == ["preferences", "ranks"] and path[2].isdigit():
        return f"{charts.ordinal(int(path[2]))} choice"
    if path[0] == "preferences":
        path = path[1:]
    return " / ".join(_LABELS.get(p, p.replace("_", " ")) for p in path)


def summary_rows(result) -> pd.DataFrame:
    """The summary as ``item, value`` rows in words (``1st choice``, not ``preferences / ranks / 1``);
    shares with their denominators, diversity shares with small cells suppressed."""
    summary = dict(getattr(result, "summary", {}) or {})
    settings = getattr(result, "settings", None)
    pairs = getattr(result, "pairs", None)
    if pairs is not None:
        n = len(pairs)
        shares = charts.cross_shares(pairs, int(getattr(settings, "min_group_size", 5)))
        for key, label in (("cross_kbu_share", "cross-KBU"), ("cross_gender_share", "cross-gender"),
                           ("cross_race_share", "cross-race")):
            if key in summary:
                v = shares[label]
                summary[key] = "suppressed (small group)" if v is None else sections.share_text(round(v * n), n)
    rows = []

    def walk(path, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(path + [str(k)], v)
        else:
            rows.append((_label(path), _text(value)))

    prefs = summary.get("preferences")
    if isinstance(prefs, dict) and prefs.get("top3_share") is not None:
        ranks = {int(k): int(v) for k, v in (prefs.get("ranks") or {}).items()}
        ranked = sum(ranks.values()) + int(prefs.get("unranked_mentor", 0))
        top3 = sum(v for k, v in ranks.items() if k <= 3)
        summary["preferences"] = {**prefs, "top3_share": sections.share_text(top3, ranked)}
    for key, value in summary.items():
        walk([key], value)
    return pd.DataFrame(rows, columns=["item", "value"], dtype=object)


def _compact_pairs(result, columns) -> pd.DataFrame:
    """The pairs' key columns for the notebook, with names and titles when shown."""
    pairs = result.pairs
    keep = [c for c in ("mentee_id", "mentor_id", "status", "score", "preference_rank", "mentee_area",
                        "mentor_area", "is_cross_kbu", "pinned") if c in pairs]
    frame = pairs[keep].copy()
    if columns:
        for role in ("mentee", "mentor"):
            frame[f"{role}_id"] = sections.people_text(result, role, pairs[f"{role}_id"], columns)
    return frame


def result_html(result, *, max_rows: int = 200, display=None) -> str:
    """The notebook view: the summary in words and as a table, then pairs, unmatched and decisions."""
    columns = sections.display_columns(result, display)
    words = "".join(f"<li>{w}</li>" for w in sections.summary_words(result))
    parts = [f"<div class=\"mnbw\"><style>{NOTEBOOK_CSS}</style><strong>{escape(repr(result))}</strong>",
             f"<ul>{words}</ul>", _table(summary_rows(result), cls="mnb")]
    tables = {"pairs": _compact_pairs(result, columns) if len(result.pairs) else None}
    for name in ("unmatched", "withdrawn", "changes", "decisions"):
        tables[name] = getattr(result, name, None)
    for name, frame in tables.items():
        if isinstance(frame, pd.DataFrame) and len(frame):
            parts.append(f"<h4>{escape(name)}</h4>" + _table(frame, max_rows=max_rows, cls="mnb"))
    return "".join(parts) + "</div>"
def _fallback_explanation(result, row) -> str:
    """Each criterion's part from the pairs table (used when ``result.explain`` is absent)."""
    lines = [f"mentor {row['mentor_id']} for mentee {row['mentee_id']}: score {row['score']:.3f}"]
    gap = row.get("level_gap")
    rank = row.get("preference_rank")
    detail = {"seniority": f"mentor {gap} level{'s' if gap != 1 else ''} up",
              "relatedness": f"{row.get('mentee_area')} -> {row.get('mentor_area')}",
              "preference": ("not among the mentee's choices" if pd.isna(rank)
                             else f"mentee's {charts.ordinal(int(rank))} choice")}
    for name in getattr(result.candidates, "names", ()):
        value = row.get(name)
        if name.startswith("cross_") or not isinstance(value, (int, float)):
            continue
        lines.append(f"  {name}: {value:+.3f}" + (f" ({detail[name]})" if name in detail else ""))
    for c in ("cross_kbu", "cross_gender", "cross_race"):
        flag = row.get(f"is_{c}", row.get(c))
        part = row.get(c) if f"is_{c}" in row else None
        label = c.replace("_", "-").replace("kbu", "KBU")
        lines.append(f"  {label}: {'yes' if flag else 'no'}" + (f" ({part:+.3f})" if part is not None else ""))
    if row.get("pinned"):
        lines.append("  pinned by the committee")
    return "\n".join(lines)


def explanation_text(result, mentee_id) -> str:
    """Why this mentee got this mentor: ``result.explain`` where available, else the parts."""
    mentee_id = canonical(mentee_id)
    match = result.pairs[result.pairs["mentee_id"] == mentee_id]
    if len(match):
        if hasattr(result, "explain"):
            return str(result.explain(mentee_id))
        return _fallback_explanation(result, match.iloc[0].to_dict())
    if hasattr(result, "explain_unmatched"):
        return str(result.explain_unmatched(mentee_id))
    row = result.unmatched[result.unmatched["mentee_id"] == mentee_id]
    if not len(row):
        raise MatchingError(f"unknown mentee id '{mentee_id}': it is neither paired nor unmatched in this result")
    return f"{mentee_id} is unmatched: {row['reason'].iloc[0]}"


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def _fallback_line(row) -> str:
    rank = row.get("preference_rank")
    choice = "not among the mentee's choices" if rank is None or pd.isna(rank) else \
        f"mentee's {charts.ordinal(int(rank))} choice"
    area = f"{row.get('mentee_area')} -> {row.get('mentor_area')}" if "mentee_area" in row else ""
    return "; ".join(x for x in (choice, area, "cross-KBU" if row.get("is_cross_kbu") else "") if x)


def _explanations(result, explanations, progress) -> tuple[dict, dict]:
    """One line and the full text of each pair's explanation, and a line per unmatched mentee."""
    rows = {str(r["mentee_id"]): r for r in result.pairs.to_dict("records")}
    lines = {k: _fallback_line(r) for k, r in rows.items()}
    fulls: dict = {}
    given = explanations if isinstance(explanations, dict) else {}
    if isinstance(explanations, dict):  # texts or explanation objects (with .line) computed already
        fulls = {str(k): str(v) for k, v in explanations.items() if str(k) in rows}
        lines.update({str(k): v.line for k, v in explanations.items() if str(k) in rows and hasattr(v, "line")})
    elif explanations and hasattr(result, "explain_many") and rows:
        found = result.explain_many(list(rows), progress=progress)
        lines.update({k: e.line for k, e in found.items()})
        fulls = {k: str(e) for k, e in found.items()}
    elif explanations and hasattr(result, "explain"):
        with _progress.bar(len(rows), "explaining pairs", flag=progress, unit="pair") as bar:
            for k in rows:
                e = result.explain(k)
                lines[k], fulls[k] = getattr(e, "line", _first_line(str(e))), str(e)
                bar.update(1)
    for k in result.unmatched["mentee_id"].astype(str):
        if hasattr(given.get(k), "line"):
            lines[k] = given[k].line
        elif explanations and hasattr(result, "explain_unmatched"):
            lines[k] = getattr(result.explain_unmatched(k), "line", "")
    return lines, fulls


def _statistics(result) -> str:
    ranks = charts.rank_counts(result.summary)
    total = sum(ranks.values())
    prefs = pd.DataFrame({"obtained": list(ranks), "mentees": list(ranks.values()),
                          "share": [sections.share_text(v, total) for v in ranks.values()]})
    k = int(result.settings.min_group_size)
    n = len(result.pairs)
    shares = charts.cross_shares(result.pairs, k)
    div = pd.DataFrame({"pairs that are": list(shares),
                        "share": ["suppressed" if v is None else sections.share_text(round(v * n), n)
                                  for v in shares.values()]})
    groups = diversity_table(result, min_group_size=k)
    return ("<h3>Preferences</h3>" + _table(prefs) + '<section id="diversity"><h3>Diversity</h3>' + _table(div)
            + f'<p class="muted">Shares of the {n} pairs; a share is suppressed when fewer than '
              f"{k} pairs are on either side of it.</p><h4>By group of mentees</h4>" + _table(groups)
            + f'<p class="muted">Groups of fewer than {k} mentees are suppressed, with complementary '
              "suppression so that totals cannot reveal them; this section is the only place group labels "
              "appear, and no person's gender or race is shown anywhere.</p></section>")


def _stability(result) -> str:
    """Blocking pairs and the rank profile obtained beside the best reachable (rank-maximal)."""
    audit = (getattr(result, "summary", None) or {}).get("audit")
    if not hasattr(result, "audit") or not audit:
        return ""
    got, best = audit["rank_profile"], audit["best_rank_profile"]
    ranks = [charts.ordinal(r + 1) + " choice" for r in range(len(got))]
    profiles = pd.DataFrame({"choice": ranks, "obtained": got,
                             "best reachable": best if best is not None else ["not computed"] * len(got)})
    table = result.audit()
    words = ("<p>No blocking pairs: no mentee and ranked mentor would both rather be together.</p>"
             if not len(table) else _table(table, cls="m"))
    return (f"<h2>Stability ({audit['blocking_pairs']} blocking pairs)</h2>"
            '<p class="muted">A blocking pair is a mentee and a mentor they ranked above their own who would '
            "take them (a free seat, or a mentee the mentor wants less). The best reachable profile is "
            "rank-maximal: the most 1st choices, then the most 2nd, ...; the weights trade some of it for "
            "other criteria.</p>" + _table(profiles) + words)


def report_html(result, *, title: str = "Mentoring match report", explanations=True, display=None,
                previous=None, progress=None) -> str:
    """The whole report as one HTML string (see :func:`write_report`)."""
    info = result.info
    columns = sections.display_columns(result, display)
    lines, fulls = _explanations(result, explanations, progress)
    pairs, unmatched = result.pairs, result.unmatched
    words = "".join(f"<li>{w}</li>" for w in sections.summary_words(result))
    out = [
        f"<h1>{escape(title)}</h1><p class=\"muted\">{escape(info.status)} by {escape(info.solver)}; created "
        f"{escape(info.created)}; library {escape(info.library_version)}; input {escape(info.input_hash[:12])}</p>",
        f'<h2>Summary</h2><ul class="facts lead">{words}</ul>',
    ]
    if previous is not None:
        out.append("<h2>What changed</h2>" + sections.changes_table(result, previous, columns))
    out += [
        f"<h2>Pairs ({len(pairs)})</h2>" + (sections.pairs_table(result, columns, lines, fulls) if len(pairs)
                                             else "<p>No pairs.</p>"),
        f"<h2>Unmatched mentees ({len(unmatched)})</h2>" + sections.unmatched_table(result, columns, lines),
        "<h2>Decisions</h2>" + sections.decisions_table(result, columns),
    ]
    for name in ("changes", "withdrawn"):
        frame = getattr(result, name, None)
        if isinstance(frame, pd.DataFrame):
            out.append(f"<h2>{escape(name.capitalize())} ({len(frame)})</h2>" + _table(frame, cls="m"))
    out += ["<h2>Charts</h2><div class=\"charts\">" + "".join(charts.result_charts(result).values()) + "</div>",
            "<h2>Statistics</h2>" + _statistics(result),
            _stability(result),
            "<h2>Summary table</h2>" + _table(summary_rows(result)),
            "<h2>Mentors</h2>" + sections.mentors_table(result, columns)]
    settings = json.dumps(info.settings, indent=1, sort_keys=True, default=str)
    out.append(f"<h2>How it was solved</h2><details><summary>settings</summary><pre>{escape(settings)}</pre>"
               "</details>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{''.join(out)}</body></html>")


def write_report(result, path, *, title: str = "Mentoring match report", explanations=True, display=None,
                 previous=None, progress=None) -> Path:
    """Write the report to ``path`` atomically; returns the path.

    Built for a 1280 px screen and for print (A4 or Letter): a summary in words, the
    pairs with a one- or two-line "why" each (the full explanation folds out), the
    unmatched with reasons, the committee's decisions, and what changed.

    Parameters
    ----------
    result : MatchResult or re-match result
    path : str or os.PathLike
    title : str, optional
    explanations : bool or dict, default True
        Explain each pair (priced alternatives, in one batch); a ``{mentee_id: text}``
        dict supplies texts already computed; False shows only the choice and areas.
    display : str or sequence of str, optional
        Input columns shown with each person's id, headers as the files spell them
        (matched loosely, e.g. ``("name", "title")``). Default: name and title columns
        when the input has them; ``()`` shows ids only.
    previous : result, optional
        An earlier result: the report then lists what changed since.
    progress : bool, optional
        Progress bars (default: only on a terminal or in a notebook).
    """
    return atomic_write(report_file(result, path, title=title, explanations=explanations, display=display,
                                    previous=previous, progress=progress))[0]


def report_file(result, path, *, title: str = "Mentoring match report", explanations=True, display=None,
                previous=None, progress=None) -> dict:
    """``{path: writer}`` of :func:`write_report`, to write the report in one
    :func:`~matching.files.export.atomic_write` set with other files."""
    if not isinstance(path, (str, os.PathLike)):
        raise MatchingError(f"the report to write must be a path (str or os.PathLike); got {path!r}")
    text = report_html(result, title=title, explanations=explanations, display=display, previous=previous,
                       progress=progress)
    return {Path(path): lambda temp: temp.write_text(text, encoding="utf-8")}
