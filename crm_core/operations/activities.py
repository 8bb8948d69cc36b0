"""Activities: calls, visits, meetings and messages that happened."""

from __future__ import annotations

from pydantic import Field

from crm_core.context import OperationContext
from crm_core.errors import InvalidInput
from crm_core.fields import ActivityKindChoice, LongText, OptionalWhen
from crm_core.i18n import N_
from crm_core.models import Activity
from crm_core.operations.common import new_record, next_number, view_of
from crm_core.operations.links import LinkFields, resolve_links
from crm_core.registry import operation
from crm_core.views import ActivityView


class LogActivity(LinkFields):
    __doc__ = N_("Record a call, visit, meeting, email or message that took place.")
    positional = "summary"

    kind: ActivityKindChoice = Field(
        description=N_("call, visit, meeting, email, message or other")
    )
    summary: LongText = Field(None, description=N_("What was said or done"))
    occurred_at: OptionalWhen = Field(
        None, description=N_("When it happened (ISO 8601 with offset); default now")
    )


@operation("log_activity", LogActivity, writes=True)
async def log_activity(ctx: OperationContext, args: LogActivity) -> ActivityView:
    if args.kind is None:
        raise InvalidInput([("kind", "value_missing", {})])
    links = await resolve_links(ctx, args)
    activity = new_record(
        ctx,
        Activity,
        await next_number(ctx, Activity),
        kind=args.kind,
        summary=args.summary,
        occurred_at=args.occurred_at or ctx.now,
        **links,
    )
    await ctx.session.flush()
    return await view_of(ctx, activity)
