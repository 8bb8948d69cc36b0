"""The daily digest job: run every minute; each member gets at most one digest a local day
(claimed atomically, so two schedulers never both send it). A crash between claim and send
loses that day's digest: at most once, unlike reminders."""

from __future__ import annotations

import logging
from datetime import datetime

from crm_core import digest
from crm_core.db import Database
from crm_core.recipients import mark_unreachable
from scheduler.notifier import Delivery, Notifier

log = logging.getLogger(__name__)


async def send_digests(db: Database, notifier: Notifier, now: datetime) -> int:
    """Send the digests that are due; returns how many were sent."""
    async with db.system_session() as session:
        due_list = await digest.due_digests(session, now)
    sent = 0
    for due in due_list:
        async with db.system_session() as session:
            if not await digest.claim_digest(session, due):
                continue  # another worker has it
        async with db.session(due.recipient.agency_id) as session:
            notice = await digest.build_digest(session, due, now)
        if notice.empty:  # nothing to say: no message (the day still counts as done)
            continue
        try:
            outcome = await notifier.send_digest(notice)
        except Exception:
            log.exception("digest for user %s failed", due.recipient.user_id)
            outcome = None
        if outcome is not None and outcome.status is Delivery.SENT:
            sent += 1
        elif outcome is not None and outcome.status is Delivery.UNREACHABLE:
            async with db.system_session() as session:
                await mark_unreachable(session, due.recipient.user_id, now)
                await session.commit()
        elif outcome is None or outcome.status is Delivery.RETRY:
            async with db.system_session() as session:
                await digest.release_digest(session, due)
    return sent
