"""Min-cost flow optima for the certified solve, from scratch.

:func:`optimum` solves a sparse graph with OR-Tools (scores only when everyone with an
arc can be matched: smaller costs solve faster). A round that changed little is
re-solved warm instead (:mod:`matching.solvers.augment`).
"""

from __future__ import annotations

import logging

import numpy as np

from .._numeric import unique
from ..errors import SolverError
from .flow import STATUS_TEXT, assign

__all__ = ["optimum"]

log = logging.getLogger(__name__)


def _flow(n, m, i, j, score, prio, left, weight, everyone: bool = False):
    """Optimal ``mentor_of`` (-1 unmatched) on arcs ``(i, j)`` by OR-Tools min-cost flow.

    With ``everyone``, every mentee with an arc must be matched and only scores count
    (small costs solve faster); ``None`` if that is infeasible.
    """
    entry = np.zeros(n, np.int64) if everyone else -weight * prio
    mentor_of, name = assign(n, m, i, j, score, entry, left, bypass=not everyone)
    if everyone and name == "INFEASIBLE":
        return None
    if mentor_of is None:
        raise SolverError(STATUS_TEXT.get(name, f"unexpected min-cost flow status {name}"), status=name)
    return mentor_of


def optimum(n, m, i, j, score, prio, left, weight):
    """The lexicographic optimum on arcs ``(i, j)``: scores only when everyone can be matched."""
    mentor_of = None
    if left[left > 0].sum() >= len(unique(i)):
        mentor_of = _flow(n, m, i, j, score, prio, left, weight, everyone=True)
    return mentor_of if mentor_of is not None else _flow(n, m, i, j, score, prio, left, weight)
