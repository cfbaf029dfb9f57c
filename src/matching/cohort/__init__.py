"""The cohort: validation at the door and the validated, frozen input model.

Raw tables in (from :mod:`matching.files`), a :class:`~matching.cohort.model.Cohort`, settings and
cohort goals out. Everything past this stage works on validated models, never on raw frames.
"""
