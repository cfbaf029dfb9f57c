"""Program: a mentoring program's memory across sessions, in one SQLite ledger.

The top of the package, above the checkpoint and groups wings: it calls
:func:`matching.match`, :func:`matching.rematch` and :func:`matching.groups` with what
the ledger remembers, and records what they return.
"""

from .ledger import Program
from .schema import SCHEMA_VERSION

__all__ = ["Program", "SCHEMA_VERSION"]
