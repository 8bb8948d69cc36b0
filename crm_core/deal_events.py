"""Who hears of a deal that moved, and what they are told: the deal's agent and the agency's
owner, never the member who made the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.context import OperationContext
from crm_core.events import DealChanged
from crm_core.models import Deal, User
from crm_core.notices import DealChangeNotice
from crm_core.operations.common import scoped, view_of
from crm_core.recipients import agency_recipients


async def deal_change_notices(
    session: AsyncSession, event: DealChanged, now: datetime
) -> list[DealChangeNotice]:
    """``session`` is scoped to the event's agency."""
    assignee = await session.scalar(
        select(Deal.assigned_to_id).where(
            Deal.id == event.deal_id, Deal.agency_id == event.agency_id
        )
    )
    people = await agency_recipients(
        session, event.agency_id, user_ids={assignee} if assignee else set(), owners=True
    )
    people = [p for p in people if p.user_id != event.actor_user_id]
    if not people:
        return []
    ctx = OperationContext(session, people[0].actor, now)
    deal = await session.scalar(scoped(ctx, Deal).where(Deal.id == event.deal_id))
    if deal is None:
        return []
    view = await view_of(ctx, deal)
    actor_name = await session.scalar(
        select(User.name).where(User.id == event.actor_user_id, User.agency_id == event.agency_id)
    )
    return [
        DealChangeNotice(
            recipient=person,
            deal=view,
            changed_by=actor_name or "?",
            old_stage=event.old_stage,
            old_amount=event.old_amount,
            amount_changed=event.amount_changed,
        )
        for person in people
    ]
