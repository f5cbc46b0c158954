"""Shared fixtures of the fleet tests."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

from schedgym.fleet.instance import FleetScenario
from tests.fleet.scripts import small


@pytest.fixture
def small_scenario() -> FleetScenario:
    """A 4-vertiport, 8-aircraft scenario over four hours."""
    return small()
