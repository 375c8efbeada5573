"""The clock: one process runs every timed job (digests, check-ins, later the
LinkedIn sync) from a ledger in the store, so a restart, a redeploy or a second
clock process never runs a job twice for the same period."""

from bot.clock.runner import Job, Ran, Run, RunFailed, RunUnsure, run_due
from bot.clock.schedule import DAYS, Every, Once, Schedule, ScheduleError, Weekly

__all__ = [
    "DAYS",
    "Every",
    "Job",
    "Once",
    "Ran",
    "Run",
    "RunFailed",
    "RunUnsure",
    "Schedule",
    "ScheduleError",
    "Weekly",
    "run_due",
]
