"""The bundled example cohort: a synthetic city government (no real person)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from .files.tables import read_table

__all__ = ["load_example", "example_paths"]

_FILES = {"mentees": "mentees.csv", "mentors": "mentors.csv", "relatedness": "relatedness.csv"}


def example_paths() -> dict[str, Path]:
    """Paths of the bundled CSV files: ``mentees``, ``mentors``, ``relatedness``.

    >>> sorted(example_paths())
    ['mentees', 'mentors', 'relatedness']
    """
    root = resources.files("matching") / "data"
    return {key: Path(str(root / name)) for key, name in _FILES.items()}


def load_example() -> dict[str, pd.DataFrame]:
    """The example cohort as DataFrames (all cells as text, like a spreadsheet export).

    About 60 mentees and 40 mentors with KBUs, areas, levels, preferences and
    development goals from the program's 18 leadership competencies.

    >>> data = load_example()
    >>> len(data["mentors"])
    40
    """
    return {key: read_table(path) for key, path in example_paths().items()}
