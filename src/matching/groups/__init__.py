"""Networking groups: small, mixed groups of people for the program's group sessions
(the maximally diverse grouping problem under hard constraints).

>>> import matching
>>> r = matching.groups(matching.load_example()["mentees"], size=(5, 6), settings={"max_iterations": 100})
>>> r.status, int(r.groups["group"].max())
('FEASIBLE', 11)
"""

from .api import GROUP_SETTINGS, groups
from .result import GroupResult

__all__ = ["groups", "GroupResult", "GROUP_SETTINGS"]
