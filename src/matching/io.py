"""Reading input tables from CSV and Excel files.

Every cell is read as text (``001`` stays ``001``); blank cells become missing
values; trailing blank rows are dropped. Column headers are matched loosely
(case, surrounding spaces and inner spaces/dashes do not matter).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import InputError

__all__ = ["Table", "read_table", "as_table"]

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass(frozen=True, eq=False)
class Table:
    """A raw input table with where it came from.

    Attributes
    ----------
    frame : pandas.DataFrame
    source : str
        File name (or the table's role, for a DataFrame passed in directly).
    sheet : str or None
    from_file : bool
        If true, row labels are spreadsheet line numbers (header = line 1).
    """

    frame: pd.DataFrame
    source: str
    sheet: str | None = None
    from_file: bool = False

    def row_label(self, position: int):
        """The row as a person would find it: line number in a file, else index label."""
        if self.from_file:
            return int(position) + 2
        label = self.frame.index[position]
        return label.item() if hasattr(label, "item") else label


def read_table(path, *, sheet=None, encoding: str | None = None, columns=None) -> pd.DataFrame:
    """Read a CSV or Excel file as text, ready for :func:`matching.match`.

    Parameters
    ----------
    path : str or os.PathLike
        ``.csv`` (any other suffix is read as CSV) or ``.xlsx`` / ``.xlsm``.
    sheet : str or int, optional
        Excel sheet name or position (default: the first sheet).
    encoding : str, optional
        CSV text encoding (default UTF-8, with or without a byte-order mark).
    columns : mapping, optional
        Rename columns ``{"Employee ID": "id", ...}`` after reading.

    Returns
    -------
    pandas.DataFrame
        Every cell as text or missing.

    Examples
    --------
    >>> from matching.examples import example_paths
    >>> df = read_table(example_paths()["mentors"])
    >>> df["id"].iloc[0]
    'M001'
    """
    return _read(Path(os.fspath(path)), sheet=sheet, encoding=encoding, columns=columns).frame


def _read(path: Path, *, sheet=None, encoding=None, columns=None) -> Table:
    if not path.exists():
        raise InputError([{"file": str(path), "problem": "file not found"}])
    if path.suffix.lower() in EXCEL_SUFFIXES:
        frame = _read_excel(path, sheet)
    else:
        frame = _read_csv(path, encoding)
    frame = frame.dropna(how="all")
    if columns:
        frame = frame.rename(columns=dict(columns))
    return Table(frame=frame.reset_index(drop=True), source=path.name, sheet=sheet, from_file=True)


def _read_csv(path: Path, encoding: str | None) -> pd.DataFrame:
    enc = encoding or "utf-8-sig"
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=enc,
                           skip_blank_lines=True)
    except UnicodeDecodeError as exc:
        raise InputError([{"file": path.name, "problem": (
            f"the file is not valid {enc} text (byte {exc.start}); if it was saved by a "
            "spreadsheet in another encoding, pass encoding= (e.g. encoding='cp1252')")}]) from None
    except pd.errors.EmptyDataError:
        raise InputError([{"file": path.name, "problem": "the file is empty"}]) from None
    except pd.errors.ParserError as exc:
        raise InputError([{"file": path.name, "problem": f"not a well-formed CSV file: {exc}"}]) from None


def _read_excel(path: Path, sheet) -> pd.DataFrame:
    try:
        return pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=str,
                             keep_default_na=False, na_values=[""], engine="openpyxl")
    except ValueError as exc:
        raise InputError([{"file": path.name, "sheet": sheet, "problem": f"cannot read the sheet: {exc}"}]) from None
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise InputError([{"file": path.name, "problem": f"not a readable Excel workbook ({type(exc).__name__})"}]) from None


def as_table(data, role: str) -> Table | None:
    """A DataFrame, a path, or None, as a :class:`Table` for validation."""
    if data is None:
        return None
    if isinstance(data, Table):
        return data
    if isinstance(data, pd.DataFrame):
        return Table(frame=data, source=role)
    if isinstance(data, (str, os.PathLike)):
        return _read(Path(os.fspath(data)))
    raise InputError([{"file": role, "problem": (
        f"{role} must be a pandas DataFrame or a path to a CSV or Excel file; got {type(data).__name__}")}])
