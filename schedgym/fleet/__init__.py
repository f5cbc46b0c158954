"""The fleet problem: urban-air-mobility scenarios, realised days, the simulator, the validator and
the ``schedgym/FleetScheduling-v0`` environment."""

from schedgym.fleet.dynamics import Realisation, realise, realise_day
from schedgym.fleet.formats import read_scenario, write_scenario
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.schedule import FleetSchedule, read_schedule

__all__ = [
    "FleetScenario",
    "FleetSchedule",
    "Realisation",
    "read_scenario",
    "read_schedule",
    "realise",
    "realise_day",
    "write_scenario",
]
