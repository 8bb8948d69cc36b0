"""Who hears of a listing that is new, back on the market or cheaper: the agents whose clients
it fits (the contacts they created, or whose open deals they handle), never the member who made
the change, and nobody outside the listing's agency."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.context import Actor, OperationContext
from crm_core.events import ListingChanged
from crm_core.models import Deal, DealStage, Property, PropertyStatus, Role
from crm_core.notices import ListingMatchNotice
from crm_core.operations.common import scoped, view_of
from crm_core.operations.matching import contact_match, fitting_contacts
from crm_core.recipients import agency_recipients

# The best fits are worth an alert; a listing that fits hundreds of clients is for /match.
MAX_FITS = 50
PER_MESSAGE = 5
CLOSED = (DealStage.WON, DealStage.LOST)


async def listing_match_notices(
    session: AsyncSession, event: ListingChanged, now: datetime
) -> list[ListingMatchNotice]:
    """``session`` is scoped to the event's agency."""
    ctx = OperationContext(session, Actor(event.actor_user_id, event.agency_id, Role.AGENT), now)
    prop = await session.scalar(scoped(ctx, Property).where(Property.id == event.property_id))
    if prop is None or prop.status != PropertyStatus.AVAILABLE:
        return []
    fits, _total = await fitting_contacts(ctx, prop, MAX_FITS)
    if not fits:
        return []
    agents: dict[int, set[int]] = defaultdict(set)  # contact id -> the agents who follow it
    for contact, _fit in fits:
        if contact.created_by_id is not None:
            agents[contact.id].add(contact.created_by_id)
    deals = await session.execute(
        select(Deal.contact_id, Deal.assigned_to_id).where(
            Deal.agency_id == event.agency_id,
            Deal.contact_id.in_([contact.id for contact, _fit in fits]),
            Deal.stage.not_in(CLOSED),
            Deal.assigned_to_id.is_not(None),
        )
    )
    for contact_id, assignee in deals.all():
        agents[contact_id].add(assignee)
    people = await agency_recipients(
        session, event.agency_id, user_ids={a for ids in agents.values() for a in ids}
    )
    view = await view_of(ctx, prop)
    notices = []
    for person in people:
        if person.user_id == event.actor_user_id:
            continue
        theirs = [contact_match(c, f) for c, f in fits if person.user_id in agents[c.id]]
        if theirs:
            notices.append(
                ListingMatchNotice(
                    recipient=person,
                    property=view,
                    matches=theirs[:PER_MESSAGE],
                    kind=event.kind,
                    old_price=event.old_price,
                )
            )
    return notices
