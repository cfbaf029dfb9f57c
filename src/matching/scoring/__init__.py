"""Scoring: hard rules and criteria over a validated cohort, turned into integer scores.

Also the candidate sets (complete or sparse) the solvers take, and the diagnosis of
how many mentors each rule leaves a mentee.
"""
