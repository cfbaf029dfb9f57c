"""Review: results and what-ifs.

:mod:`.solve` turns a validated cohort into an :class:`~matching.review.outcome.Outcome` (score,
check, solve, assemble); :mod:`.overrides`, :mod:`.explain` and :mod:`.unmatched` price and
explain changes by re-solving through it; :mod:`.result` holds the public
:class:`~matching.review.result.MatchResult`, whose methods call them.
"""
