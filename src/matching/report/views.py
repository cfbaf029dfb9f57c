"""Views and files shared by every result type (match and re-match results).

Thin methods that delegate to :mod:`matching.report.html` and :mod:`matching.export`.
"""

from __future__ import annotations

from ..files.export import write_csv, write_excel, write_json
from .html import result_html, write_report

__all__ = ["ResultViews"]


class ResultViews:
    """Mixin: ``mentor_of``, notebook HTML, CSV / Excel / JSON exports and the HTML report."""

    @property
    def mentor_of(self) -> dict[str, str]:
        """``{mentee_id: mentor_id}`` for every pair (after the checkpoint, for a re-match)."""
        return dict(zip(self.pairs["mentee_id"], self.pairs["mentor_id"]))

    def _repr_html_(self) -> str:
        return result_html(self)

    def to_csv(self, folder, *, include=()) -> list:
        """Write ``pairs``, ``unmatched``, ``mentors``, ``summary`` as CSV files into ``folder``
        (spreadsheet-safe, atomic; see :mod:`matching.export`). Returns the paths."""
        return write_csv(self, folder, include=include)

    def to_excel(self, path, *, include=()):
        """Write the tables as sheets of one ``.xlsx`` workbook (see :mod:`matching.export`)."""
        return write_excel(self, path, include=include)

    def to_json(self, path, *, include=()):
        """Write the summary, the solve record and the tables as JSON (see :mod:`matching.export`)."""
        return write_json(self, path, include=include)

    def report(self, path, *, title: str = "Mentoring match report", explanations: bool = True):
        """Write a self-contained HTML report (see :func:`matching.report.html.write_report`)."""
        return write_report(self, path, title=title, explanations=explanations)
