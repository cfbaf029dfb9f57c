"""Exports: CSV, Excel and JSON, safe to open in a spreadsheet (public path of
:mod:`matching.files.export`)."""

from .files.export import *  # noqa: F401,F403
from .files.export import __all__  # noqa: F401
