"""Privacy-safe aggregates (public path of :mod:`matching.report.privacy`)."""

from .report.privacy import *  # noqa: F401,F403
from .report.privacy import __all__  # noqa: F401
