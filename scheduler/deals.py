"""Telling others what a member's committed work changed: a deal that moved, a listing that
fits their clients. Best effort: a message that fails is not retried (the cards show the
truth)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from crm_core.db import Database
from crm_core.deal_events import deal_change_notices
from crm_core.events import DealChanged, DomainEvent
from crm_core.listing_events import listing_match_notices
from crm_core.notices import DealChangeNotice, ListingMatchNotice
from crm_core.recipients import mark_unreachable
from scheduler.notifier import Delivery, Notifier

log = logging.getLogger(__name__)


async def notify_deal_changes(
    db: Database, notifier: Notifier, events: Iterable[DomainEvent], now: datetime
) -> int:
    """Tell the deal's agent and the owner, or the agents whose clients a listing fits (never
    the actor); returns how many were told."""
    told = 0
    for event in events:
        notices: list[DealChangeNotice] | list[ListingMatchNotice]
        async with db.session(event.agency_id) as session:
            if isinstance(event, DealChanged):
                notices = await deal_change_notices(session, event, now)
            else:
                notices = await listing_match_notices(session, event, now)
        for notice in notices:
            outcome = await (
                notifier.send_deal_change(notice)
                if isinstance(notice, DealChangeNotice)
                else notifier.send_listing_match(notice)
            )
            if outcome.status is Delivery.SENT:
                told += 1
            elif outcome.status is Delivery.UNREACHABLE:
                async with db.system_session() as session:
                    await mark_unreachable(session, notice.recipient.user_id, now)
                    await session.commit()
            else:
                log.info("deal notice to user %s not sent: %s", notice.recipient.user_id, outcome)
    return told
