"""The SoC-DAG problem: DAG tasks on heterogeneous processing elements (static and stream)."""

from schedgym.socdag.application import Application
from schedgym.socdag.formats import read_application, read_instance
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.schedule import Conditions, SoCDAGSchedule, TaskSlot

__all__ = [
    "Application",
    "Conditions",
    "SoCDAGInstance",
    "SoCDAGSchedule",
    "TaskSlot",
    "read_application",
    "read_instance",
]
