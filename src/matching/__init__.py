"""matching: pair mentees with mentors as well as the data allows, explain every pair,
and re-match at the three-month checkpoint.

>>> import matching
>>> data = matching.load_example()
>>> result = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
>>> result.info.status
'OPTIMAL'
"""

import logging as _logging

from . import export, privacy  # noqa: F401  (documented submodules: matching.export, matching.privacy)
from ._version import __version__
from .api import candidates, match
from .review.sensitivity import sensitivity
from .scoring.diagnose import Diagnosis, diagnose
from .errors import (InfeasibleError, InputError, MatchingError, MatchingWarning, PinError, SettingsError,
                     SolverError)
from .examples import example_paths, load_example
from .files.tables import read_table
from .files.template import write_template
from .cohort.roles import split_roles
from .program import Program
from .checkpoint.rematch import rematch
from .checkpoint.result import RematchResult
from .checkpoint.survey import Survey, read_survey
from .review.result import MatchResult, SolveInfo
from .scoring.scores import RESOLUTION
from .cohort.settings import PRESETS, Settings
from .groups import GroupResult, groups

_logging.getLogger(__name__).addHandler(_logging.NullHandler())

__all__ = [
    "__version__",
    "match",
    "candidates",
    "sensitivity",
    "diagnose",
    "Diagnosis",
    "rematch",
    "groups",
    "GroupResult",
    "RematchResult",
    "read_survey",
    "Survey",
    "MatchResult",
    "SolveInfo",
    "Settings",
    "PRESETS",
    "RESOLUTION",
    "MatchingError",
    "InputError",
    "SettingsError",
    "PinError",
    "InfeasibleError",
    "SolverError",
    "MatchingWarning",
    "load_example",
    "example_paths",
    "read_table",
    "split_roles",
    "write_template",
    "Program",
]
