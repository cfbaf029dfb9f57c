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

from . import charts
from ..errors import MatchingError
from ..files.export import atomic_write
from ..files.ids import canonical
from .privacy import diversity_table

__all__ = ["result_html", "report_html", "write_report", "report_file", "explanation_text", "summary_rows"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:2px solid #3b6ea5;padding-bottom:.2em;margin-top:1.6em}
table.m{border-collapse:collapse;font-size:.9em;margin:.5em 0}
table.m th,table.m td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
table.m th{background:#eef3f8}.charts{display:flex;flex-wrap:wrap;gap:1.5em}
pre.why{white-space:pre-wrap;margin:.3em 0;font-family:inherit}.muted{color:#666;font-size:.9em}
details summary{cursor:pointer;color:#3b6ea5}
"""

_LABELS = {"cross_kbu_share": "cross-KBU share", "cross_gender_share": "cross-gender share",
           "cross_race_share": "cross-race share", "top3_share": "top-3 choice share"}


def _text(value) -> str:
    if value is None or (not isinstance(value, (str, bytes, list, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table(frame: pd.DataFrame, *, max_rows: int | None = None, raw: dict | None = None) -> str:
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
    return f'<table class="m"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'


def summary_rows(result) -> pd.DataFrame:
    """The summary as ``item, value`` rows, diversity shares with small cells suppressed."""
    summary = dict(getattr(result, "summary", {}) or {})
    settings = getattr(result, "settings", None)
    pairs = getattr(result, "pairs", None)
    if pairs is not None:
        shares = charts.cross_shares(pairs, int(getattr(settings, "min_group_size", 5)))
        for key, label in (("cross_kbu_share", "cross-KBU"), ("cross_gender_share", "cross-gender"),
                           ("cross_race_share", "cross-race")):
            if key in summary:
                summary[key] = "suppressed (small group)" if shares[label] is None else shares[label]
    rows = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix} / {k}" if prefix else str(k), v)
        else:
            rows.append((prefix, _text(value)))

    for key, value in summary.items():
        walk(_LABELS.get(key, key.replace("_", " ")), value)
    return pd.DataFrame(rows, columns=["item", "value"], dtype=object)


def result_html(result, *, max_rows: int = 200) -> str:
    """The notebook view: the summary on top, then the pairs and the unmatched mentees."""
    parts = [f"<div><strong>{escape(repr(result))}</strong>", _table(summary_rows(result))]
    for name in ("pairs", "unmatched", "withdrawn", "changes"):
        frame = getattr(result, name, None)
        if isinstance(frame, pd.DataFrame) and len(frame):
            parts.append(f"<h4>{escape(name)}</h4>" + _table(frame, max_rows=max_rows))
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


def _why_cells(result, explanations) -> list[str]:
    known = explanations if isinstance(explanations, dict) else {}
    texts = [known[mid] if mid in known else explanation_text(result, mid) for mid in result.pairs["mentee_id"]]
    return [f'<details><summary>why</summary><pre class="why">{escape(t)}</pre></details>' for t in texts]


def _unmatched_section(result) -> str:
    frame = result.unmatched
    if not len(frame):
        return "<p>Every eligible mentee has a mentor.</p>"
    raw = None
    if hasattr(result, "explain_unmatched"):
        raw = {"what would change it": [f'<pre class="why">{escape(str(result.explain_unmatched(m)))}</pre>'
                                        for m in frame["mentee_id"]]}
    return _table(frame, raw=raw)


def _statistics(result) -> str:
    ranks = charts.rank_counts(result.summary)
    total = max(sum(ranks.values()), 1)
    prefs = pd.DataFrame({"obtained": list(ranks), "mentees": list(ranks.values()),
                          "share": [f"{100 * v / total:.0f} %" for v in ranks.values()]})
    k = int(result.settings.min_group_size)
    shares = charts.cross_shares(result.pairs, k)
    div = pd.DataFrame({"pairs that are": list(shares),
                        "share": ["suppressed" if v is None else f"{100 * v:.0f} %" for v in shares.values()]})
    groups = diversity_table(result, min_group_size=k)
    return ("<h3>Preferences</h3>" + _table(prefs) + '<section id="diversity"><h3>Diversity</h3>' + _table(div)
            + f'<p class="muted">Shares of the {len(result.pairs)} pairs; a share is suppressed when fewer than '
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
             if not len(table) else _table(table))
    return (f"<h2>Stability ({audit['blocking_pairs']} blocking pairs)</h2>"
            '<p class="muted">A blocking pair is a mentee and a mentor they ranked above their own who would '
            "take them (a free seat, or a mentee the mentor wants less). The best reachable profile is "
            "rank-maximal: the most 1st choices, then the most 2nd, ...; the weights trade some of it for "
            "other criteria.</p>" + _table(profiles) + words)


def report_html(result, *, title: str = "Mentoring match report", explanations=True) -> str:
    """The whole report as one HTML string (see :func:`write_report`)."""
    info = result.info
    svg = charts.result_charts(result)
    pairs = result.pairs
    sections = [
        f"<h1>{escape(title)}</h1><p class=\"muted\">{escape(info.status)} by {escape(info.solver)}; created "
        f"{escape(info.created)}; library {escape(info.library_version)}; input {escape(info.input_hash[:12])}</p>",
        "<h2>Summary</h2>" + _table(summary_rows(result)),
        "<h2>Charts</h2><div class=\"charts\">" + "".join(svg.values()) + "</div>",
        "<h2>Statistics</h2>" + _statistics(result),
        _stability(result),
        f"<h2>Pairs ({len(pairs)})</h2>" + _table(pairs, raw={"explanation": _why_cells(result, explanations)}
                                                  if explanations and len(pairs) else None),
        f"<h2>Unmatched mentees ({len(result.unmatched)})</h2>" + _unmatched_section(result),
        "<h2>Mentors</h2>" + _table(result.mentors),
    ]
    for name in ("withdrawn", "changes"):
        frame = getattr(result, name, None)
        if isinstance(frame, pd.DataFrame):
            sections.append(f"<h2>{escape(name.capitalize())} ({len(frame)})</h2>" + _table(frame))
    settings = json.dumps(info.settings, indent=1, sort_keys=True, default=str)
    sections.append(f"<h2>How it was solved</h2><pre>{escape(settings)}</pre>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(sections)}</body></html>")


def write_report(result, path, *, title: str = "Mentoring match report", explanations=True) -> Path:
    """Write the report to ``path`` atomically; returns the path.

    Parameters
    ----------
    result : MatchResult
    path : str or os.PathLike
    title : str, optional
    explanations : bool or dict, default True
        Add each pair's explanation (folded, opens on click without JavaScript); a
        ``{mentee_id: text}`` dict supplies texts already computed.
    """
    return atomic_write(report_file(result, path, title=title, explanations=explanations))[0]


def report_file(result, path, *, title: str = "Mentoring match report", explanations=True) -> dict:
    """``{path: writer}`` of :func:`write_report`, to write the report in one
    :func:`~matching.files.export.atomic_write` set with other files."""
    if not isinstance(path, (str, os.PathLike)):
        raise MatchingError(f"the report to write must be a path (str or os.PathLike); got {path!r}")
    text = report_html(result, title=title, explanations=explanations)
    return {Path(path): lambda temp: temp.write_text(text, encoding="utf-8")}
