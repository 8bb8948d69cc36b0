"""The agent's day at a glance."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field

from crm_core.context import OperationContext
from crm_core.fields import Day
from crm_core.i18n import N_
from crm_core.models import Reminder
from crm_core.operations.common import views_of
from crm_core.operations.reminders import my_pending
from crm_core.registry import OperationInput, operation
from crm_core.views import Agenda


class ShowAgenda(OperationInput):
    __doc__ = N_("The agent's reminders for a day (today by default), with overdue ones.")
    positional = "day"

    day: Day = Field(None, description=N_("The day (YYYY-MM-DD); default today"))


@operation("agenda", ShowAgenda, writes=False)
async def agenda(ctx: OperationContext, args: ShowAgenda) -> Agenda:
    zone = ZoneInfo(ctx.actor.timezone)
    today = ctx.now.astimezone(zone).date()
    day = args.day or today
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    due = (
        await ctx.session.scalars(
            my_pending(ctx)
            .where(Reminder.due_at >= start, Reminder.due_at < end)
            .order_by(Reminder.due_at)
        )
    ).all()
    overdue = []
    if day == today:
        overdue = (
            await ctx.session.scalars(
                my_pending(ctx).where(Reminder.due_at < start).order_by(Reminder.due_at).limit(20)
            )
        ).all()
    return Agenda(day=day, reminders=await views_of(ctx, due), overdue=await views_of(ctx, overdue))
