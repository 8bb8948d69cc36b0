"""Reminder delivery: claim, send, settle. The reminders table is the truth.

- ``claim_due`` takes due reminders with one conditional UPDATE ... RETURNING (and FOR UPDATE
  SKIP LOCKED on PostgreSQL): a row is claimed only if it is still pending, owed a message
  (never fired since its current due_at) and its lease is free. Two workers on one database
  therefore never hold the same reminder; on SQLite the UPDATE itself is serialised.
- The lease (``claimed_until``) is what makes a crash harmless: a worker that dies between
  claim and send leaves a lease that expires, and the next sweep sends the reminder.
  Settling is conditional on the claim token: a worker whose lease was taken over changes
  nothing. (A send slower than the lease could be repeated: keep the lease well above the
  Bot API timeout.)
- Sent: ``fired_at`` is set; the reminder stays pending until the agent presses Done. A
  recurring one moves to its next occurrence (same wall-clock time in the agent's zone), so
  it is owed a message again then; a snoozed one moves on from the scheduled time of the
  occurrence it stood for (``series_due_at``), not from the snoozed time.
- Retry (429, 5xx, network): the lease is extended to the server's retry_after, or to an
  exponential backoff. Unreachable (403): the agent is marked, and their reminders are no
  longer claimed until they unblock the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_core.db import Database
from crm_core.recurrence import next_occurrence
from crm_core.reminder_claims import (
    Claim,
    DeliveryPolicy,
    Pending,
    claim_due,
    load_claimed,
    settle_claim,
    upcoming_due_times,
)
from scheduler.notifier import Delivery, Notifier, Outcome

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class ReminderDelivery:
    """Delivers every due reminder: claim a batch, send each, settle each, until none is due."""

    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        *,
        policy: DeliveryPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.notifier = notifier
        self.policy = policy or DeliveryPolicy()
        self.clock = clock

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many reminders were attempted."""
        attempted = 0
        while True:
            limit = self.policy.claim_limit
            claims = await claim_due(self.db, self.clock(), self.policy.lease, limit=limit)
            if claims:
                await self.deliver(claims)
            attempted += len(claims)
            if len(claims) < limit:
                return attempted

    async def deliver(self, claims: Sequence[Claim]) -> None:
        async with self.db.system_session() as session:
            loaded = await load_claimed(session, claims, self.clock(), self.policy.late_after)
        missing = {c.reminder_id for c in claims} - {p.claim.reminder_id for p in loaded}
        if missing:  # the assignee left between claim and load: the lease simply expires
            log.info("reminders %s have no reachable assignee any more", sorted(missing))
        gate = asyncio.Semaphore(self.policy.concurrency)

        async def one(pending: Pending) -> None:
            async with gate:
                outcome = await self._send(pending)
                await self.settle(pending, outcome)

        await asyncio.gather(*(one(pending) for pending in loaded))

    async def _send(self, pending: Pending) -> Outcome:
        try:
            return await self.notifier.send_reminder(pending.notice)
        except Exception:  # a notifier bug must not stop the other reminders
            log.exception("sending reminder %s failed", pending.claim.reminder_id)
            return Outcome.retry()

    async def settle(self, pending: Pending, outcome: Outcome) -> None:
        now = self.clock()
        release: dict[str, Any] = {"claimed_until": None, "claim_token": None}
        if outcome.status in (Delivery.SENT, Delivery.FAILED):
            if outcome.status is Delivery.FAILED:
                log.warning("reminder %s cannot be sent: given up", pending.claim.reminder_id)
            values = {**release, "fired_at": now, "late": pending.notice.late, "attempts": 0}
            if pending.recurrence:
                # From the snoozed occurrence's scheduled time if it was snoozed: a snooze
                # moves that occurrence only.
                values["due_at"] = next_occurrence(
                    pending.series_due_at or pending.due_at,
                    pending.recurrence,
                    pending.notice.recipient.timezone,
                    after=now,
                )
                values["series_due_at"] = None
        elif outcome.status is Delivery.RETRY:
            delay = (
                timedelta(seconds=outcome.retry_after)
                if outcome.retry_after is not None
                else self.policy.backoff(pending.attempts)
            )
            # The lease becomes the backoff: nobody claims it before then.
            values = {"claimed_until": now + delay, "claim_token": None}
        else:  # unreachable: no more attempts until the user is back
            values = {**release, "attempts": 0}
        unreachable = outcome.status is Delivery.UNREACHABLE
        settled = await settle_claim(
            self.db,
            pending.claim,
            values,
            unreachable_user=pending.notice.recipient.user_id if unreachable else None,
            now=now,
        )
        if not settled:
            log.warning("lease on reminder %s was lost before settling", pending.claim.reminder_id)


__all__ = ["DeliveryPolicy", "ReminderDelivery", "claim_due", "upcoming_due_times", "utc_now"]
