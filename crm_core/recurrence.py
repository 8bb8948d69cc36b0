"""Next occurrence of a recurring reminder, at the same wall-clock time in the agent's zone
(so "every day at 9:00" stays at 9:00 across daylight-saving changes)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from crm_core.models import Recurrence


def _add_month(local: datetime) -> datetime:
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def _sub_month(local: datetime) -> datetime:
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def previous_occurrence(due_at: datetime, recurrence: str, tz: str) -> datetime:
    """The occurrence one step before ``due_at``, in UTC: the one ``next_occurrence`` moved
    on from (it steps forward to ``due_at`` again)."""
    zone = ZoneInfo(tz)
    local = due_at.astimezone(zone).replace(tzinfo=None)
    step = {Recurrence.DAILY: timedelta(days=1), Recurrence.WEEKLY: timedelta(weeks=1)}
    local = (
        _sub_month(local)
        if recurrence == Recurrence.MONTHLY
        else local - step[Recurrence(recurrence)]
    )
    return local.replace(tzinfo=zone).astimezone(UTC)


def next_occurrence(due_at: datetime, recurrence: str, tz: str, *, after: datetime) -> datetime:
    """The first occurrence strictly after ``after`` (both aware), returned in UTC."""
    zone = ZoneInfo(tz)
    local = due_at.astimezone(zone).replace(tzinfo=None)
    step = {Recurrence.DAILY: timedelta(days=1), Recurrence.WEEKLY: timedelta(weeks=1)}
    while True:
        local = (
            _add_month(local)
            if recurrence == Recurrence.MONTHLY
            else local + step[Recurrence(recurrence)]
        )
        candidate = local.replace(tzinfo=zone).astimezone(UTC)
        if candidate > after:
            return candidate
