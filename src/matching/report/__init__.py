"""Report: HTML reports, charts, notebook views and privacy-safe aggregates of any result.

Works on a result's tables (``pairs``, ``unmatched``, ``summary``, ...), never on a solver;
it knows no result class, so every result type can use it.
"""

from .html import explanation_text, report_html, result_html, summary_rows, write_report

__all__ = ["explanation_text", "report_html", "result_html", "summary_rows", "write_report"]
