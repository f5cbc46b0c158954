"""The job-shop problem: instances, generators, schedules, validator and the Gymnasium env."""

from schedgym.jobshop.formats import read_instance, write_orlib
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import JobShopSchedule, Operation

__all__ = [
    "JobShopInstance",
    "JobShopSchedule",
    "Operation",
    "read_instance",
    "write_orlib",
]
