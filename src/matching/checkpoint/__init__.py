"""Checkpoint: the three-month re-match (a wing above :mod:`matching.review`)."""
