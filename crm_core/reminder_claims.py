"""Reminder claims in the database: the SQL half of delivery (``scheduler.delivery`` sends).

A due reminder is claimed with one conditional UPDATE ... RETURNING (FOR UPDATE SKIP LOCKED on
PostgreSQL) that sets a lease and a token; settling is conditional on that token, so a worker
whose lease was taken over changes nothing. See ``scheduler/delivery.py`` for the whole story.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm_core.context import OperationContext
from crm_core.db import Database
from crm_core.models import Agency, Contact, Deal, Property, Reminder, ReminderStatus, User
from crm_core.notices import Recipient, ReminderNotice
from crm_core.operations.common import Linker, contact_view, deal_view, property_view, scoped
from crm_core.operations.common import reminder_view as make_reminder_view
from crm_core.recipients import mark_unreachable


@dataclass(frozen=True)
class DeliveryPolicy:
    lease: timedelta = timedelta(seconds=120)
    late_after: timedelta = timedelta(minutes=10)
    batch_size: int = 100
    concurrency: int = 8  # sends in flight; the notifier paces them per chat and overall
    first_backoff: timedelta = timedelta(seconds=10)
    max_backoff: timedelta = timedelta(hours=1)

    @property
    def claim_limit(self) -> int:
        """Reminders claimed at once. Pacing sends one a second per chat, so a batch that is
        all one agent's takes as many seconds as it holds: keep that within half the lease, or
        the lease could lapse before the last one is sent (and another worker send it too)."""
        return max(1, min(self.batch_size, int(self.lease.total_seconds() / 2)))

    def backoff(self, attempts: int) -> timedelta:
        """10 s, 20 s, 40 s... capped: reminders are never dropped, only delayed."""
        factor = 2 ** min(max(attempts - 1, 0), 16)
        return min(self.first_backoff * factor, self.max_backoff)


@dataclass(frozen=True)
class Claim:
    reminder_id: int
    token: str


def owed(reminder: Any) -> list[ColumnElement[bool]]:
    """Pending and not fired since its current due time (a snooze or a recurrence moves
    due_at past fired_at, so the reminder is owed a message again)."""
    return [
        reminder.status == ReminderStatus.PENDING,
        or_(reminder.fired_at.is_(None), reminder.fired_at < reminder.due_at),
    ]


def _claimable(reminder: Any, now: datetime) -> list[ColumnElement[bool]]:
    return [
        *owed(reminder),
        reminder.due_at <= now,
        or_(reminder.claimed_until.is_(None), reminder.claimed_until <= now),
    ]


def _reachable_assignee(reminder: Any) -> list[ColumnElement[bool]]:
    # Tenancy: a reminder goes to its own assignee, and only while they are a member of the
    # reminder's agency.
    return [
        User.id == reminder.assigned_to_id,
        User.agency_id == reminder.agency_id,
        User.telegram_id.is_not(None),
        User.unreachable_at.is_(None),
    ]


async def claim_due(
    db: Database, now: datetime, lease: timedelta, *, limit: int = 200
) -> list[Claim]:
    """Claim up to ``limit`` due reminders for this worker, oldest first."""
    candidate = aliased(Reminder)
    # A materialised CTE is evaluated once: a LIMIT ... SKIP LOCKED subquery inside IN (...)
    # may be re-run by the planner and claim more rows than asked.
    batch = (
        select(candidate.id)
        .join(User, User.id == candidate.assigned_to_id)
        .where(*_claimable(candidate, now), *_reachable_assignee(candidate))
        .order_by(candidate.due_at, candidate.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=candidate)  # PostgreSQL; SQLite ignores it
        .cte("batch")
        .prefix_with("MATERIALIZED")
    )
    token = secrets.token_hex(16)
    claim = (
        update(Reminder)
        # The conditions again on the row being updated: what another worker claimed between
        # the CTE and the update is not taken twice.
        .where(Reminder.id == batch.c.id, *_claimable(Reminder, now))
        .values(
            claimed_until=now + lease,
            claim_token=token,
            attempts=Reminder.attempts + 1,
            updated_at=Reminder.updated_at,  # bookkeeping, not an edit of the reminder
        )
        .returning(Reminder.id)
        .execution_options(synchronize_session=False)
    )
    async with db.system_session() as session:
        ids = list((await session.execute(claim)).scalars())
        await session.commit()
    return [Claim(reminder_id, token) for reminder_id in sorted(ids)]


async def upcoming_due_times(db: Database, now: datetime, horizon: timedelta) -> list[datetime]:
    """The distinct due times of owed reminders in (now, now + horizon]: exact-time jobs."""
    async with db.system_session() as session:
        rows = await session.scalars(
            select(Reminder.due_at)
            .where(*owed(Reminder), Reminder.due_at > now, Reminder.due_at <= now + horizon)
            .distinct()
            .order_by(Reminder.due_at)
            .limit(1000)
        )
        return list(rows)


@dataclass(frozen=True)
class Pending:
    """A claimed reminder, loaded: what to send and what settling it needs."""

    claim: Claim
    notice: ReminderNotice
    due_at: datetime
    series_due_at: datetime | None  # set while a recurring reminder is snoozed
    recurrence: str | None
    attempts: int


async def load_claimed(
    session: AsyncSession, claims: Sequence[Claim], now: datetime, late_after: timedelta
) -> list[Pending]:
    """Notices for claimed reminders, with their linked records, in a few queries per agency."""
    by_id = {claim.reminder_id: claim for claim in claims}
    rows = (
        await session.execute(
            select(Reminder, User, Agency)
            .join(User, User.id == Reminder.assigned_to_id)
            .join(Agency, Agency.id == Reminder.agency_id)
            .where(Reminder.id.in_(by_id), User.agency_id == Reminder.agency_id)
        )
    ).all()
    agencies: dict[int, list[tuple[Reminder, Recipient]]] = {}
    for reminder, user, agency in rows:
        recipient = Recipient.of(user, agency.currency, agency.country)
        agencies.setdefault(agency.id, []).append((reminder, recipient))
    loaded: list[Pending] = []
    for items in agencies.values():
        # Every record is read through the reminder's agency: the agency's own scope.
        ctx = OperationContext(session, items[0][1].actor, now)
        reminders = [reminder for reminder, _ in items]
        contacts = await _by_id(ctx, Contact, (r.contact_id for r in reminders))
        properties = await _by_id(ctx, Property, (r.property_id for r in reminders))
        deals = await _by_id(ctx, Deal, (r.deal_id for r in reminders))
        linker = Linker(ctx)
        linker.want_links_of([*reminders, *properties.values(), *deals.values()])
        await linker.load()
        await linker.load_agents({d.assigned_to_id for d in deals.values() if d.assigned_to_id})
        for reminder, recipient in items:
            contact = contacts.get(reminder.contact_id or 0)
            prop = properties.get(reminder.property_id or 0)
            deal = deals.get(reminder.deal_id or 0)
            notice = ReminderNotice(
                recipient=recipient,
                reminder=make_reminder_view(reminder, linker),
                contact=contact_view(contact) if contact else None,
                property=property_view(prop, linker) if prop else None,
                deal=deal_view(deal, linker) if deal else None,
                late=now - reminder.due_at > late_after,
            )
            loaded.append(
                Pending(
                    by_id[reminder.id],
                    notice,
                    reminder.due_at,
                    reminder.series_due_at,
                    reminder.recurrence,
                    reminder.attempts,
                )
            )
    return loaded


async def _by_id(ctx: OperationContext, model: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await ctx.session.scalars(scoped(ctx, model).where(model.id.in_(wanted)))
    return {row.id: row for row in rows}


async def settle_claim(
    db: Database,
    claim: Claim,
    values: dict[str, Any],
    *,
    unreachable_user: int | None,
    now: datetime,
) -> bool:
    """Apply a delivery outcome to a reminder still held by ``claim``; False if the lease was
    lost meanwhile. ``unreachable_user`` is marked so their reminders wait for them."""
    values = {**values, "updated_at": Reminder.updated_at}  # bookkeeping, not an edit
    async with db.system_session() as session:
        result = await session.execute(
            update(Reminder)
            .where(Reminder.id == claim.reminder_id, Reminder.claim_token == claim.token)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if unreachable_user is not None:
            await mark_unreachable(session, unreachable_user, now)
        await session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]
