"""Shared test configuration: hypothesis profiles and the repository root."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import matching

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# "ci": more examples, derandomized so a CI run is reproducible; "dev": quick.
settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


# The bundled cohort and its default match, shared by many test modules (one per module).
@pytest.fixture(scope="module")
def example():
    return matching.load_example()


@pytest.fixture(scope="module")
def data(example):
    return example


@pytest.fixture(scope="module")
def base(example):
    return matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"])
