"""Reading Excel workbooks for :mod:`matching.files.tables`, defensively.

openpyxl parses the workbook XML with defusedxml when it is installed (it is a
dependency): entity declarations (the "billion laughs") are refused. The unzipped
size is bounded before anything is parsed (zip bombs), and an error names only the
exception types, never cell content.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["excel_rows", "UNZIP_RATIO"]

#: A workbook may unzip to at most this many times ``max_bytes`` (zip-bomb guard).
UNZIP_RATIO = 20


def _fail(path: Path, problem: str, sheet=None):
    return InputError([{"file": path.name, "sheet": sheet, "problem": problem}])


def _hint(word: str, options) -> str:
    close = difflib.get_close_matches(word, [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def excel_rows(path: Path, sheet, header: int, max_rows: int, max_bytes: int) -> pd.DataFrame:
    _check_zip(path, max_bytes)
    import openpyxl

    handle = path.open("rb")  # a file object: openpyxl would refuse a workbook named .csv
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        handle.close()
        raise _fail(path, f"not a readable Excel workbook ({_cause(exc)})") from None
    try:
        ws = _sheet(path, book, sheet)
        ws.reset_dimensions()  # some writers record a wrong size; read every row
        rows = []
        for k, row in enumerate(ws.iter_rows()):
            if k < header:
                continue
            rows.append([_cell_text(c.value, getattr(c, "number_format", None)) for c in row])
            if len(rows) > max_rows + 1:
                break
    except InputError:
        raise
    except Exception as exc:  # malformed sheet XML, forbidden entities (defusedxml), ...
        raise _fail(path, f"the sheet cannot be read ({_cause(exc)})", sheet) from None
    finally:
        book.close()
        handle.close()
    return _rectangle(path, rows, sheet, header)


def _cause(exc: BaseException) -> str:
    """``ValueError: EntitiesForbidden``: the error and its first cause, by type name only."""
    names = [type(exc).__name__]
    inner = exc.__cause__ or exc.__context__
    while inner is not None and len(names) < 5:
        names.append(type(inner).__name__)
        inner = inner.__cause__ or inner.__context__
    text = names[0] if len(names) == 1 else f"{names[0]}: {names[-1]}"
    if names[-1] in ("EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden"):
        text += "; XML entity declarations are refused for safety"
    return text


def _check_zip(path: Path, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            unzipped = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        raise _fail(path, "not an Excel workbook (.xlsx): the file is not a zip archive; "
                          "a CSV file should be named .csv") from None
    if unzipped > UNZIP_RATIO * max_bytes:
        raise _fail(path, f"the workbook unzips to {unzipped:,} bytes, more than {UNZIP_RATIO} x max_bytes; "
                          "pass max_bytes= to read it")


def _sheet(path: Path, book, sheet):
    names = book.sheetnames
    if sheet is None:
        return book[names[0]]
    if isinstance(sheet, (int, np.integer)) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return book[names[sheet]]
        raise _fail(path, f"sheet position {sheet} is out of range: the workbook has {len(names)} sheet(s) "
                          f"({', '.join(names)})", sheet)
    if str(sheet) not in names:
        raise _fail(path, f"no sheet named '{sheet}'; sheets: {', '.join(names)}" + _hint(str(sheet), names),
                    sheet)
    return book[str(sheet)]


def _cell_text(v, number_format=None):
    """A cell as the text a person sees: an integer shown with a zero-padded format
    (``000``, ``00000``) keeps its leading zeros, so id ``001`` stays ``001``."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)) and number_format and set(number_format) == {"0"} and float(v).is_integer():
        return str(int(v)).zfill(len(number_format))
    if isinstance(v, float):
        if not np.isfinite(v):
            return str(v)
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ") if (v.hour, v.minute, v.second) != (0, 0, 0) else v.date().isoformat()
    s = str(v).strip()
    return s or None


def _rectangle(path: Path, rows: list, sheet, header: int) -> pd.DataFrame:
    """Pad rows to the header's width; cells beyond the last header are an error."""
    if not rows:
        return pd.DataFrame()
    width = len(rows[0])
    while width and rows[0][width - 1] is None:
        width -= 1
    cases = [{"file": path.name, "sheet": sheet, "row": header + 1 + k, "problem": (
        f"this row has values beyond the last header (column {width + 1} or later)")}
        for k, r in enumerate(rows) if any(v is not None for v in r[width:])]
    if cases:
        raise InputError(cases)
    body = [r[:width] + [None] * (width - len(r)) for r in rows]
    return pd.DataFrame(body, dtype=object)
