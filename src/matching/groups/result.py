"""The result of a grouping: who is in which group, each group's host, how it was solved.

Gender and race appear only as aggregates: per group ``mixed: yes/no`` and counts in which a
cell below ``min_group_size`` is suppressed (with the complementary rule of
:func:`matching.privacy.suppress`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MatchingError
from ..files.export import write_csv, write_excel, write_json
from ..report.privacy import SUPPRESSED, suppress

__all__ = ["GroupResult", "group_mix"]


@dataclass(frozen=True, eq=False)
class GroupResult:
    """Groups, hosts, objective and status of :func:`matching.groups`.

    Attributes
    ----------
    groups : pandas.DataFrame
        ``id, group`` (group ``k`` has the size interval ``sizes[k - 1]``; with one interval for
        all, groups are numbered from 1 by their first member's id), then the input's extra
        columns (never gender or race).
    hosts : pandas.DataFrame
        ``group, host_id`` (empty when no hosts were asked for).
    objective : float
        Sum of the distances of every pair sharing a group.
    status : str
        ``OPTIMAL`` (proven) or ``FEASIBLE``.
    bound : float or None
        An upper bound on the objective where one is known.
    summary : dict
    info : dict
        Solver, iterations, seconds, seed, time limit, settings and input hash.
    """

    groups: pd.DataFrame
    hosts: pd.DataFrame
    objective: float
    status: str
    bound: float | None
    summary: dict
    info: dict
    mix: pd.DataFrame = field(repr=False)
    _protected: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        s = self.summary
        return (f"GroupResult({s['people']} people in {s['groups']} groups, objective {self.objective:.6g}, "
                f"{self.status})")

    def explain(self, group) -> dict:
        """The mix of one group: KBUs, areas, levels, competencies; gender and race only as
        ``mixed: yes/no`` and counts with small cells suppressed.

        Raises
        ------
        MatchingError
            For a group that does not exist.
        """
        try:
            g = int(group)
        except (TypeError, ValueError):
            g = -1
        rows = self.groups.index[self.groups["group"] == g]
        if not len(rows):
            raise MatchingError(f"there is no group {group!r}; groups are 1 to {self.summary['groups']}")
        out = {"group": g, "members": self.groups.loc[rows, "id"].tolist()}
        host = self.hosts.loc[self.hosts["group"] == g, "host_id"]
        if len(host):
            out["host"] = host.iloc[0]
        out.update(self.mix.loc[g].to_dict() if g in self.mix.index else {})
        for name, codes in self._protected.items():
            out[name] = _protected_mix(codes[rows.to_numpy()], self.info.get("min_group_size", 5))
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """``groups``, ``hosts``, ``mix`` (one row per group) and ``summary`` tables."""
        summary = pd.DataFrame([(k, str(v)) for k, v in {**self.summary, **_info_rows(self.info)}.items()],
                               columns=["key", "value"], dtype=object)
        mix = self.mix.reset_index().astype(object)
        return {"groups": self.groups, "hosts": self.hosts, "group_mix": mix, "summary": summary}

    def to_csv(self, folder) -> list[Path]:
        """Write ``groups.csv``, ``hosts.csv``, ``group_mix.csv`` and ``summary.csv`` into ``folder``."""
        return write_csv(self.tables(), folder)

    def to_excel(self, path) -> Path:
        """Write one workbook with a sheet per table."""
        return write_excel(self.tables(), path)

    def to_json(self, path) -> Path:
        """Write the tables as JSON."""
        return write_json(self.tables(), path)

    def report_section(self) -> str:
        """An HTML ``<section>`` (no scripts, no links) for a report: summary and one row per group."""
        cells = ("size", "kbus", "areas", "levels", "host")
        rows = "".join(f"<tr><td>{int(g)}</td>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in cells)
                       + "</tr>" for g, r in self.mix.iterrows())
        s = self.summary
        return ("<section><h2>Networking groups</h2>"
                f"<p>{s['people']} people in {s['groups']} groups of {s['smallest']} to {s['largest']}; "
                f"objective {self.objective:.6g} ({html.escape(self.status)}).</p>"
                "<table><tr><th>group</th><th>size</th><th>KBUs</th><th>areas</th><th>levels</th><th>host</th></tr>"
                f"{rows}</table></section>")


def _info_rows(info: dict) -> dict:
    return {f"info.{k}": v for k, v in info.items()}


def _protected_mix(codes: np.ndarray, k: int) -> dict:
    """``mixed`` yes/no and counts per (anonymous) category, small cells suppressed."""
    known = codes[codes >= 0]
    values, counts = np.unique(known, return_counts=True)
    hidden = suppress(counts, k) if len(counts) else np.zeros(0, bool)
    shown = {f"category {i + 1}": int(c) for i, c in enumerate(counts[~hidden])}
    if hidden.any():
        shown[SUPPRESSED] = None
    return {"mixed": "yes" if len(values) > 1 else "no", "counts": shown}


def _names(codes: np.ndarray, names: tuple) -> str:
    values, counts = np.unique(codes, return_counts=True)
    return "; ".join(f"{names[v] if 0 <= v < len(names) else '?'} ({c})" for v, c in zip(values, counts))


def group_mix(assign: np.ndarray, roster, hosts: pd.DataFrame) -> pd.DataFrame:
    """One row per group (index ``group``): size, KBUs, areas, levels, top competencies, host."""
    rows = {}
    for g in np.unique(assign):
        m = assign == g
        row = {"size": int(m.sum())}
        p = roster.people
        if p is not None:
            comp = p.competencies[m].sum(0)
            top = np.argsort(-comp, kind="stable")[:5]
            row.update(kbus=_names(p.kbu[m], roster.kbus), areas=_names(p.area[m], roster.areas),
                       levels=_names(p.level[m], tuple(str(v) for v in range(int(p.level.max()) + 1))),
                       competencies="; ".join(f"{roster.competencies[c]} ({comp[c]})" for c in top if comp[c]))
        rows[int(g)] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "group"
    if len(hosts):
        out["host"] = hosts.set_index("group")["host_id"].reindex(out.index).to_numpy()
    return out
