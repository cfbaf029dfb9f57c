"""Reading input tables from CSV and Excel files.

Every cell is read as text (``001`` stays ``001``); blank cells become missing
values; blank rows are dropped but every row keeps its line number in the file, so
messages point at the line a person sees. Headers are read raw: two columns with
the same header are reported, never silently renamed (pandas would make ``id.1``).
Excel workbooks are read with openpyxl, which parses their XML with defusedxml (no
entity expansion); the unzipped size of a workbook is bounded too.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .excel import excel_rows
from .latest import keep_latest as latest_rows
from .provenance import Lines, lines_of

__all__ = ["Table", "read_table", "as_table", "normalize_header", "MAX_BYTES", "MAX_ROWS", "EXCEL_SUFFIXES"]

#: Largest input file read by default (bytes); pass ``max_bytes=`` to read a larger one.
MAX_BYTES = 200 * 2**20
#: Most data rows read from one table by default; pass ``max_rows=`` to change it.
MAX_ROWS = 1_000_000
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_ATTR = "matching_provenance"


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
        If true, row labels are line numbers in the file (``lines``).
    lines : ndarray of int or None
        Line (spreadsheet row) number of each frame row, header included in the count.
    """

    frame: pd.DataFrame
    source: str
    sheet: str | None = None
    from_file: bool = False
    lines: np.ndarray | None = None

    def row_label(self, position: int):
        """The row as a person would find it: line number in a file (None if it cannot be
        told, e.g. an edited row of a re-sorted frame), else index label."""
        if self.lines is not None:
            line = int(self.lines[position])
            return line if line >= 0 else None
        if self.from_file:
            return int(position) + 2
        label = self.frame.index[position]
        return label.item() if hasattr(label, "item") else label

    def row_labels(self) -> np.ndarray:
        """Every row's label (vectorized :meth:`row_label`), as an object array."""
        n = len(self.frame)
        if self.lines is not None:
            out = np.asarray(self.lines, dtype=np.int64).astype(object)
            out[np.asarray(self.lines) < 0] = None
            return out
        if self.from_file:
            return (np.arange(n) + 2).astype(object)
        return np.asarray(self.frame.index.tolist() + [None], dtype=object)[:n]


def read_table(path, *, sheet=None, encoding: str | None = None, columns=None, header: int = 0,
               max_bytes: int | None = None, max_rows: int | None = None,
               keep_latest: str | None = None) -> pd.DataFrame:
    """Read a CSV or Excel file as text, ready for :func:`matching.match`.

    Parameters
    ----------
    path : str or os.PathLike
        ``.xlsx`` / ``.xlsm`` (or any file that is a workbook), else CSV.
    sheet : str or int, optional
        Excel sheet name or position (default: the first sheet).
    encoding : str, optional
        CSV text encoding (default UTF-8, with or without a byte-order mark). The
        separator is ``,`` unless the header line holds more ``;`` or tabs.
    columns : mapping, optional
        Rename headers ``{"Employee ID": "id", ...}`` (keys as in the file).
    header : int, default 0
        Row (0-based) holding the column headers; rows above it (titles, notes) are ignored.
    max_bytes, max_rows : int, optional
        Refuse a larger file or more data rows (defaults :data:`MAX_BYTES`, :data:`MAX_ROWS`).
    keep_latest : str, optional
        A timestamp column (e.g. ``"Timestamp"`` of a form export): of the rows sharing an
        id (a form submitted twice), keep the latest and warn listing the rows dropped
        (see :mod:`matching.files.latest`). Applied after ``columns=``.

    Returns
    -------
    pandas.DataFrame
        Every cell as text or missing. Passed to :func:`matching.match`, its problems
        are reported with this file's name and line numbers.

    Raises
    ------
    InputError
        Missing, empty, oversized, badly encoded or malformed file; unknown sheet.

    Examples
    --------
    >>> from matching.examples import example_paths
    >>> df = read_table(example_paths()["mentors"])
    >>> df["id"].iloc[0]
    'M001'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InputError([{"problem": f"read_table needs a path (str or os.PathLike); got {type(path).__name__}"}])
    table = _read(Path(os.fspath(path)), sheet=sheet, encoding=encoding, columns=columns, header=header,
                  max_bytes=MAX_BYTES if max_bytes is None else max_bytes,
                  max_rows=MAX_ROWS if max_rows is None else max_rows)
    if keep_latest is not None:
        kept, lines = latest_rows(table.frame, keep_latest, source=table.source, sheet=table.sheet,
                                  lines=table.lines, normalize=normalize_header)
        table = Table(frame=kept, source=table.source, sheet=table.sheet, from_file=True, lines=lines)
    frame = table.frame
    frame.attrs[_ATTR] = {"source": table.source, "sheet": table.sheet, "lines": Lines(table.lines, frame)}
    return frame


def _fail(path: Path, problem: str, sheet=None, **kw):
    return InputError([{"file": path.name, "sheet": sheet, "problem": problem, **kw}])


def _read(path: Path, *, sheet=None, encoding=None, columns=None, header=0, max_bytes=None,
          max_rows=None) -> Table:
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    max_rows = MAX_ROWS if max_rows is None else max_rows
    if not isinstance(header, (int, np.integer)) or isinstance(header, bool) or header < 0:
        raise _fail(path, f"header must be an int >= 0 (the row of the column headers); got {header!r}")
    if not path.is_file():
        raise _fail(path, "file not found" if not path.exists() else "not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise _fail(path, f"the file has {size:,} bytes, more than the limit of {max_bytes:,}; "
                          "pass max_bytes= to read it")
    if size == 0:
        raise _fail(path, "the file is empty")
    with path.open("rb") as fh:
        magic = fh.read(4)
    excel = path.suffix.lower() in EXCEL_SUFFIXES or magic == _ZIP_MAGIC
    if excel:
        rows = excel_rows(path, sheet, header, max_rows, max_bytes)
    elif magic == _OLE_MAGIC or path.suffix.lower() == ".xls":
        raise _fail(path, "an old-style .xls or encrypted workbook cannot be read; save it as .xlsx or CSV")
    else:
        rows = _csv_rows(path, encoding, header, max_rows)
    return _finish(path, rows, sheet=sheet if excel else None, columns=columns, first_line=header + 1,
                   max_rows=max_rows)


def _finish(path: Path, raw: pd.DataFrame, *, sheet, columns, first_line: int, max_rows: int) -> Table:
    """Raw rows (header first) -> a Table: headers checked, blank rows and columns dropped."""
    if len(raw) == 0:
        what = "the sheet is empty" if sheet is not None else "the file has no header row"
        raise _fail(path, what + (f" from row {first_line}" if first_line > 1 else ""), sheet)
    head = [None if pd.isna(h) else str(h).strip() for h in raw.iloc[0].tolist()]
    body = raw.iloc[1:]
    if len(body) > max_rows:
        raise _fail(path, f"the table has more than {max_rows:,} rows; pass max_rows= to read it", sheet)
    filled = body.notna().to_numpy()
    keep_col = np.array([h not in (None, "") for h in head]) | filled.any(axis=0)
    if not keep_col.any():
        raise _fail(path, "the header row is blank", sheet, row=first_line)
    head = [h if h not in (None, "") else f"Unnamed: {k}" for k, h in enumerate(head)]
    body = body.iloc[:, np.flatnonzero(keep_col)]
    body.columns = [h for h, k in zip(head, keep_col) if k]
    keep_row = filled[:, keep_col].any(axis=1)
    lines = (np.arange(len(keep_row)) + first_line + 1)[keep_row]
    frame = body.iloc[np.flatnonzero(keep_row)].reset_index(drop=True)
    if columns:
        frame.columns = _renamed(path, list(frame.columns), columns, sheet)
    return Table(frame=frame, source=path.name, sheet=sheet, from_file=True, lines=lines)


def normalize_header(name) -> str:
    """How headers compare: ``' Years Experience '`` -> ``'years_experience'``."""
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def _renamed(path: Path, names: list, mapping, sheet) -> list:
    """Apply ``columns=``; every key must name a header (compared loosely)."""
    mapping = dict(mapping)
    loose = {normalize_header(k): v for k, v in mapping.items()}
    present = {normalize_header(n) for n in names}
    unknown = [k for k in mapping if normalize_header(k) not in present]
    if unknown:
        raise InputError([{"file": path.name, "sheet": sheet, "column": str(k), "problem": (
            f"columns= renames '{k}', which is not a header of the file" + _hint(str(k), names))}
            for k in unknown])
    return [mapping.get(n, loose.get(normalize_header(n), n)) for n in names]


def _hint(word: str, options) -> str:
    close = difflib.get_close_matches(word, [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


# --------------------------------------------------------------------------- CSV
def _csv_rows(path: Path, encoding: str | None, header: int, max_rows: int) -> pd.DataFrame:
    enc = encoding or "utf-8-sig"
    try:
        codecs.lookup(enc)
        sep = _separator(path, enc, header)
        return pd.read_csv(path, header=None, dtype=str, keep_default_na=False, na_values=[""], encoding=enc,
                           sep=sep, skip_blank_lines=False, skiprows=header, nrows=max_rows + 2, engine="c")
    except LookupError:
        raise _fail(path, f"unknown text encoding {enc!r}; try encoding='utf-8' or 'cp1252'") from None
    except UnicodeDecodeError as exc:
        raise _fail(path, f"the file is not valid {enc} text (byte {exc.start}); if a spreadsheet saved it "
                          "in another encoding, pass encoding= (command line: --encoding), "
                          "e.g. encoding='cp1252'") from None
    except pd.errors.EmptyDataError:
        raise _fail(path, "the file is empty" if header == 0 else f"the file has no rows from row {header + 1}") \
            from None
    except pd.errors.ParserError:
        raise InputError(_ragged(path, enc, sep, header)) from None


def _separator(path: Path, enc: str, header: int) -> str:
    """``,`` unless the header line has more ``;`` or tabs (spreadsheets in some locales)."""
    with path.open(encoding=enc, newline="") as fh:
        for _ in range(header):
            fh.readline()
        line = fh.readline(1 << 16)
    counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))


def _ragged(path: Path, enc: str, sep: str, header: int) -> list[dict]:
    """Every line with more cells than the header row (the slow path, only on error)."""
    cases = []
    with path.open(newline="", encoding=enc, errors="replace") as fh:
        for _ in range(header):
            fh.readline()
        reader = csv.reader(fh, delimiter=sep)
        width = None
        for cells in reader:
            if width is None:
                width = len(cells)
            elif len(cells) > width:
                cases.append({"file": path.name, "row": reader.line_num + header, "problem": (
                    f"this line has {len(cells)} cells but the header has {width} "
                    "(an unquoted separator inside a value?)")})
    return cases or [{"file": path.name, "problem": "not a well-formed CSV file"}]


# --------------------------------------------------------------------------- entry
def as_table(data, role: str) -> Table | None:
    """A DataFrame, a path, or None, as a :class:`Table` for validation.

    A frame returned by :func:`read_table` keeps its file name and line numbers
    (while its index still points at the rows read).
    """
    if data is None:
        return None
    if isinstance(data, Table):
        return data
    if isinstance(data, pd.DataFrame):
        return _frame_table(data, role)
    if isinstance(data, (str, os.PathLike)):
        return _read(Path(os.fspath(data)))
    raise InputError([{"file": role, "problem": (
        f"{role} must be a pandas DataFrame or a path to a CSV or Excel file; got {type(data).__name__}")}])


def _frame_table(frame: pd.DataFrame, role: str) -> Table:
    info = frame.attrs.get(_ATTR) if isinstance(frame.attrs, dict) else None
    kept = info.get("lines") if isinstance(info, dict) else None
    lines = lines_of(frame, kept) if isinstance(kept, Lines) else None
    if lines is None:
        return Table(frame=frame, source=role)
    return Table(frame=frame, source=str(info.get("source") or role), sheet=info.get("sheet"), from_file=True,
                 lines=lines)
