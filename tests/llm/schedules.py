"""Broken LLM-serving schedules shared by the validator tests."""

from __future__ import annotations

import dataclasses

from schedgym.llm.schedule import ServingSchedule


def without_last_step(s: ServingSchedule) -> ServingSchedule:
    """``s`` with its last step cut off: some request never gets all its tokens."""
    last = s.num_steps - 1
    return dataclasses.replace(
        s,
        step_replica=s.step_replica[:last],
        step_start=s.step_start[:last],
        step_end=s.step_end[:last],
        step_repeat=s.step_repeat[:last],
        member_ptr=s.member_ptr[: last + 1],
        preempt_ptr=s.preempt_ptr[: last + 1],
    )
