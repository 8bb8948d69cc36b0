"""Reminders: what an agent must do and when. Firing them is the scheduler's job."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field
from sqlalchemy import Select

from crm_core.context import OperationContext
from crm_core.errors import Conflict, InvalidInput
from crm_core.fields import (
    Period,
    PeriodChoice,
    RecurrenceChoice,
    Reference,
    ReminderText,
    When,
)
from crm_core.i18n import N_
from crm_core.models import Reminder, ReminderStatus
from crm_core.operations.common import new_record, next_number, resolve, scoped, view_of, views_of
from crm_core.operations.links import LinkFields, resolve_links
from crm_core.recurrence import next_occurrence, previous_occurrence
from crm_core.registry import OperationInput, operation
from crm_core.views import ReminderList, ReminderView


class AddReminder(LinkFields):
    __doc__ = N_("Set a reminder for the agent at a given time, optionally about a record.")
    positional = "text"

    due_at: When = Field(description=N_("When to remind (ISO 8601 with offset)"))
    text: ReminderText = Field(description=N_("What to do"))
    recurrence: RecurrenceChoice = Field(None, description=N_("daily, weekly or monthly"))


class ListReminders(OperationInput):
    __doc__ = N_("List the agent's pending reminders for a period.")
    positional = "period"

    period: PeriodChoice = Field(
        None, description=N_("today, tomorrow, week, overdue or upcoming (the default)")
    )


class ReminderRef(OperationInput):
    positional = "reminder"

    reminder: Reference = Field(description=N_("Short ref of the reminder (R4)"))


class CompleteReminder(ReminderRef):
    __doc__ = N_("Mark a reminder as done (a recurring one moves to its next time).")


class CancelReminder(ReminderRef):
    __doc__ = N_("Cancel a reminder.")


class SnoozeReminder(ReminderRef):
    __doc__ = N_("Postpone a reminder to a later time.")
    positional = "until"

    until: When = Field(description=N_("The new time (ISO 8601 with offset)"))


def _require_future(ctx: OperationContext, field: str, when: datetime) -> None:
    if when <= ctx.now - timedelta(minutes=1):
        raise InvalidInput([(field, "datetime_past", {})])


async def _pending(ctx: OperationContext, reference: str) -> Reminder:
    reminder = await resolve(ctx, Reminder, reference, "reminder")
    if reminder.status != ReminderStatus.PENDING:
        raise Conflict("reminder_not_pending", {"ref": reminder.ref, "status": reminder.status})
    return reminder


@operation("add_reminder", AddReminder, writes=True)
async def add_reminder(ctx: OperationContext, args: AddReminder) -> ReminderView:
    _require_future(ctx, "due_at", args.due_at)
    links = await resolve_links(ctx, args)
    reminder = new_record(
        ctx,
        Reminder,
        await next_number(ctx, Reminder),
        due_at=args.due_at,
        text=args.text,
        recurrence=args.recurrence,
        assigned_to_id=ctx.actor.user_id,
        **links,
    )
    await ctx.session.flush()
    return await view_of(ctx, reminder)


def local_day_bounds(
    ctx: OperationContext, day_offset: int = 0, days: int = 1
) -> tuple[datetime, datetime]:
    zone = ZoneInfo(ctx.actor.timezone)
    today = ctx.now.astimezone(zone).date()
    start = datetime.combine(today + timedelta(days=day_offset), time(0), zone)
    end = datetime.combine(today + timedelta(days=day_offset + days), time(0), zone)
    return start, end


def my_pending(ctx: OperationContext) -> Select[tuple[Reminder]]:
    return scoped(ctx, Reminder).where(
        Reminder.status == ReminderStatus.PENDING,
        Reminder.assigned_to_id == ctx.actor.user_id,
    )


@operation("list_reminders", ListReminders, writes=False)
async def list_reminders(ctx: OperationContext, args: ListReminders) -> ReminderList:
    period = args.period or Period.UPCOMING
    query = my_pending(ctx)
    if period is Period.OVERDUE:
        query = query.where(Reminder.due_at < ctx.now)
    elif period is Period.UPCOMING:
        query = query.where(Reminder.due_at >= ctx.now)
    else:
        offset, days = {Period.TODAY: (0, 1), Period.TOMORROW: (1, 1), Period.WEEK: (0, 7)}[period]
        start, end = local_day_bounds(ctx, offset, days)
        query = query.where(Reminder.due_at >= start, Reminder.due_at < end)
    rows = (await ctx.session.scalars(query.order_by(Reminder.due_at).limit(50))).all()
    return ReminderList(period=period.value, items=await views_of(ctx, rows))


@operation("complete_reminder", CompleteReminder, writes=True)
async def complete_reminder(ctx: OperationContext, args: CompleteReminder) -> ReminderView:
    reminder = await _pending(ctx, args.reminder)
    if reminder.recurrence and reminder.series_due_at is not None:
        # A snoozed occurrence is done: the series goes on from its scheduled time.
        reminder.due_at = next_occurrence(
            reminder.series_due_at, reminder.recurrence, ctx.actor.timezone, after=ctx.now
        )
        reminder.series_due_at = None
        reminder.fired_at = None
    elif reminder.recurrence and reminder.fired_at is not None:
        # Firing already moved it to its next occurrence: Done acknowledges the one sent.
        reminder.fired_at = None
    elif reminder.recurrence:
        reminder.due_at = next_occurrence(
            reminder.due_at, reminder.recurrence, ctx.actor.timezone, after=ctx.now
        )
    else:
        reminder.status = ReminderStatus.DONE
        reminder.completed_at = ctx.now
    await ctx.session.flush()
    return await view_of(ctx, reminder)


@operation("cancel_reminder", CancelReminder, writes=True)
async def cancel_reminder(ctx: OperationContext, args: CancelReminder) -> ReminderView:
    reminder = await _pending(ctx, args.reminder)
    reminder.status = ReminderStatus.CANCELLED
    await ctx.session.flush()
    return await view_of(ctx, reminder)


@operation("snooze_reminder", SnoozeReminder, writes=True)
async def snooze_reminder(ctx: OperationContext, args: SnoozeReminder) -> ReminderView:
    _require_future(ctx, "until", args.until)
    reminder = await _pending(ctx, args.reminder)
    if reminder.recurrence and reminder.series_due_at is None:
        # A snooze moves one occurrence: remember its scheduled time (a second snooze keeps
        # it), and the series goes on from there. Sent and not yet acknowledged, the
        # occurrence snoozed is the one sent, and firing already moved due_at one step on.
        reminder.series_due_at = (
            previous_occurrence(reminder.due_at, reminder.recurrence, ctx.actor.timezone)
            if reminder.fired_at is not None
            else reminder.due_at
        )
    reminder.due_at = args.until
    await ctx.session.flush()
    return await view_of(ctx, reminder)
