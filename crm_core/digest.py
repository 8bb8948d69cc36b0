"""The daily digest: today's reminders, overdue ones and deals that have not moved, sent once
a local day at the member's chosen time (08:00 by default)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.context import OperationContext
from crm_core.models import CLOSED_STAGES, Agency, Deal, User
from crm_core.notices import DigestNotice, Recipient
from crm_core.operations.agenda import ShowAgenda
from crm_core.operations.agenda import agenda as agenda_operation
from crm_core.operations.common import scoped, views_of

STALE_DAYS = 14
MAX_STALE_DEALS = 10
_TIME = re.compile(r"^([01]?\d|2[0-3])\s*[:hH.]\s*([0-5]\d)$")


def parse_digest_time(text: str) -> str | None:
    """``"7:30"``, ``"07h30"`` -> ``"07:30"``; None when it is not a time of day."""
    match = _TIME.match(text.strip())
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


@dataclass(frozen=True)
class DigestSettings:
    enabled: bool
    at: str


async def set_digest(
    session: AsyncSession, user_id: int, *, enabled: bool | None = None, at: str | None = None
) -> DigestSettings:
    """Turn the digest on or off, or move it (which turns it on); commits."""
    user = await session.get(User, user_id)
    assert user is not None
    if at is not None:
        user.digest_time, user.digest_enabled = at, True
    if enabled is not None:
        user.digest_enabled = enabled
    await session.commit()
    return DigestSettings(user.digest_enabled, user.digest_time)


@dataclass(frozen=True)
class DigestDue:
    recipient: Recipient
    day: date  # the recipient's local day
    previous: date | None  # last_digest_on before the claim, to release it on a retry


async def due_digests(session: AsyncSession, now: datetime) -> list[DigestDue]:
    """Members whose local digest time has come today and who have not had today's digest."""
    # Nobody's local day is past UTC's tomorrow: who got that day's digest is done.
    rows = await session.execute(
        select(User, Agency)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            User.digest_enabled.is_(True),
            User.telegram_id.is_not(None),
            User.unreachable_at.is_(None),
            or_(User.last_digest_on.is_(None), User.last_digest_on <= now.date()),
        )
        .order_by(User.id)
    )
    due = []
    for user, agency in rows.all():
        local = now.astimezone(ZoneInfo(user.timezone))
        at = time.fromisoformat(user.digest_time)
        if local.time() < at or (user.last_digest_on and user.last_digest_on >= local.date()):
            continue
        recipient = Recipient.of(user, agency.currency, agency.country)
        due.append(DigestDue(recipient, local.date(), user.last_digest_on))
    return due


async def claim_digest(session: AsyncSession, due: DigestDue) -> bool:
    """Take today's digest for this member: true for one worker only; commits."""
    claimed = await session.execute(
        update(User)
        .where(
            User.id == due.recipient.user_id,
            or_(User.last_digest_on.is_(None), User.last_digest_on < due.day),
        )
        .values(last_digest_on=due.day)
        .returning(User.id)
    )
    won = claimed.scalar_one_or_none() is not None
    await session.commit()
    return won


async def release_digest(session: AsyncSession, due: DigestDue) -> None:
    """Sending failed for a passing reason: let a later pass try today's digest again."""
    await session.execute(
        update(User)
        .where(User.id == due.recipient.user_id, User.last_digest_on == due.day)
        .values(last_digest_on=due.previous)
    )
    await session.commit()


async def build_digest(session: AsyncSession, due: DigestDue, now: datetime) -> DigestNotice:
    """The digest's content, read in the member's own agency (``session`` is scoped to it)."""
    ctx = OperationContext(session, due.recipient.actor, now)
    agenda = await agenda_operation.run(ctx, ShowAgenda())
    stale = scoped(ctx, Deal).where(
        Deal.stage.not_in(list(CLOSED_STAGES)),
        Deal.stage_changed_at <= now - timedelta(days=STALE_DAYS),
    )
    if not ctx.actor.is_owner:  # the owner watches the whole pipeline, an agent their own
        stale = stale.where(Deal.assigned_to_id == ctx.actor.user_id)
    deals = (
        await session.scalars(stale.order_by(Deal.stage_changed_at).limit(MAX_STALE_DEALS))
    ).all()
    return DigestNotice(
        recipient=due.recipient,
        day=due.day,
        agenda=agenda,
        stale_deals=await views_of(ctx, deals),
        stale_days=STALE_DAYS,
    )
