"""Small inline SVG charts for reports and notebooks (no JavaScript, no external files).

Every text that reaches the SVG is escaped. Diversity shares are aggregates over
pairs; a share is suppressed (shown as "suppressed") when fewer than
``settings.min_group_size`` pairs are on either side of it, so that a small group
cannot be read off the chart.

Examples
--------
>>> svg = bar_chart(["1st", "2nd"], [3, 1], title="Choice <obtained>")
>>> svg.startswith("<svg") and "&lt;obtained&gt;" in svg
True
"""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from .privacy import suppress

__all__ = ["bar_chart", "histogram", "share_chart", "cross_shares", "rank_counts", "ordinal", "result_charts"]

_W, _BAR, _GAP, _LEFT, _TOP = 460, 22, 6, 130, 30
_COLOUR = "#3b6ea5"


def _frame(title: str, height: int, body: list[str]) -> str:
    t = escape(title)
    return (f'<svg width="{_W}" height="{height}" '
            f'viewBox="0 0 {_W} {height}" role="img" aria-label="{t}" font-family="sans-serif" font-size="12">'
            f'<title>{t}</title><text x="0" y="16" font-weight="bold" font-size="13">{t}</text>'
            + "".join(body) + "</svg>")


def bar_chart(labels, values, *, title: str, fmt=lambda v: f"{v:g}", scale: float | None = None) -> str:
    """Horizontal bars, one per label; ``None`` values are drawn as "suppressed"."""
    values = list(values)
    top = scale or max([v for v in values if v is not None] + [1e-12])
    width = _W - _LEFT - 60
    body = []
    for k, (label, v) in enumerate(zip(labels, values)):
        y = _TOP + k * (_BAR + _GAP)
        body.append(f'<text x="{_LEFT - 6}" y="{y + 15}" text-anchor="end">{escape(str(label))}</text>')
        if v is None:
            body.append(f'<text x="{_LEFT}" y="{y + 15}" fill="#777" font-style="italic">suppressed</text>')
            continue
        w = max(width * float(v) / top, 0.0)
        body.append(f'<rect x="{_LEFT}" y="{y}" width="{w:.1f}" height="{_BAR}" fill="{_COLOUR}"/>'
                    f'<text x="{_LEFT + w + 4:.1f}" y="{y + 15}">{escape(fmt(v))}</text>')
    return _frame(title, _TOP + len(values) * (_BAR + _GAP) + 4, body)


def histogram(values, *, title: str, bins: int = 10) -> str:
    """Counts of ``values`` in equal-width bins, as vertical bars with range labels."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return _frame(title, 50, ['<text x="0" y="40" fill="#777">no values</text>'])
    counts, edges = np.histogram(values, bins=bins)
    height, base, col = 140, 185, (_W - 20) / bins
    top = max(int(counts.max()), 1)
    body = []
    for k, c in enumerate(counts):
        h = height * c / top
        x = 10 + k * col
        body.append(f'<rect x="{x + 1:.1f}" y="{base - h:.1f}" width="{col - 2:.1f}" height="{h:.1f}" '
                    f'fill="{_COLOUR}"><title>{edges[k]:.2f} to {edges[k + 1]:.2f}: {c}</title></rect>'
                    f'<text x="{x + col / 2:.1f}" y="{base - h - 3:.1f}" text-anchor="middle">{c}</text>')
    for k in (0, bins // 2, bins):
        body.append(f'<text x="{10 + k * col:.1f}" y="{base + 15}" text-anchor="middle">{edges[k]:.2f}</text>')
    return _frame(title, base + 22, body)


def share_chart(shares: dict, *, title: str) -> str:
    """Bars of shares in [0, 1] on a common 0-100 % scale."""
    return bar_chart(list(shares), list(shares.values()), title=title, fmt=lambda v: f"{100 * v:.0f} %",
                     scale=1.0)


def cross_shares(pairs: pd.DataFrame, min_group_size: int) -> dict:
    """Share of pairs that are cross-KBU / cross-gender / cross-race, with small cells suppressed.

    A share is ``None`` when some but fewer than ``min_group_size`` pairs are cross,
    or are not (:func:`matching.privacy.suppress`: the total is public, so both sides go).

    >>> frame = pd.DataFrame({"is_cross_kbu": [True] * 6 + [False] * 5, "is_cross_gender": [True] * 10 + [False],
    ...                       "is_cross_race": [False] * 11})
    >>> cross_shares(frame, 5)
    {'cross-KBU': 0.5455, 'cross-gender': None, 'cross-race': 0.0}
    """
    out = {}
    for column, label in (("cross_kbu", "cross-KBU"), ("cross_gender", "cross-gender"), ("cross_race", "cross-race")):
        column = f"is_{column}" if f"is_{column}" in pairs else column
        flags = pairs[column].to_numpy(dtype=bool) if column in pairs else np.zeros(0, bool)
        yes = int(flags.sum())
        small = suppress([yes, len(flags) - yes], min_group_size).any()
        out[label] = None if small or not len(flags) else round(yes / len(flags), 4)
    return out


def ordinal(n: int) -> str:
    """``1 -> '1st'``, ``12 -> '12th'``, ``23 -> '23rd'``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_counts(summary: dict) -> dict:
    """``{"1st choice": n, ..., "unranked mentor": n, "no preferences": n}`` from a summary."""
    prefs = summary.get("preferences") or {}
    out = {f"{ordinal(int(r))} choice": int(n) for r, n in sorted((prefs.get("ranks") or {}).items(),
                                                                    key=lambda kv: int(kv[0]))}
    out["unranked mentor"] = int(prefs.get("unranked_mentor", 0))
    out["no preferences"] = int(prefs.get("no_preferences", 0))
    return out


def result_charts(result) -> dict[str, str]:
    """The three standard charts of a result: ``score``, ``preference`` and ``diversity``.

    >>> import matching
    >>> data = matching.load_example()
    >>> r = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    >>> sorted(result_charts(r))
    ['diversity', 'preference', 'score']
    """
    k = int(getattr(result.settings, "min_group_size", 5))
    ranks = rank_counts(result.summary)
    return {
        "score": histogram(result.pairs["score"], title="Pair scores (number of pairs per score band)"),
        "preference": bar_chart(list(ranks), list(ranks.values()), title="Preference rank obtained (mentees)"),
        "diversity": share_chart(cross_shares(result.pairs, k),
                                 title=f"Share of pairs across KBU, gender, race (groups < {k} suppressed)"),
    }
