"""The fleet problem: urban-air-mobility scenarios, realised days, the simulator, the validator and
the ``schedgym/FleetScheduling-v0`` environment."""

from schedgym.fleet.instance import FleetScenario, load_scenario, read_scenario, write_scenario
from schedgym.fleet.realisation import Realisation, realise, realise_day
from schedgym.fleet.schedule import FleetSchedule, read_schedule

__all__ = [
    "FleetScenario",
    "FleetSchedule",
    "Realisation",
    "load_scenario",
    "read_scenario",
    "read_schedule",
    "realise",
    "realise_day",
    "write_scenario",
]
