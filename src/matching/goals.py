"""Deprecated path: cohort goals live in :mod:`matching.cohort.goals`.

This re-export is kept for one release and will then be removed.
"""

import warnings as _warnings

from .cohort.goals import *  # noqa: F401,F403
from .cohort.goals import __all__  # noqa: F401

_warnings.warn("matching.goals is deprecated; use matching.cohort.goals", DeprecationWarning, stacklevel=2)
