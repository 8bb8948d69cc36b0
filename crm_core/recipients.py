"""Who may be messaged on the service's own initiative, and in which agency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.models import Agency, Role, User
from crm_core.notices import Recipient


async def mark_unreachable(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Telegram said 403: the user blocked the bot. Nothing is sent to them until they return."""
    await session.execute(
        update(User)
        .where(User.id == user_id, User.unreachable_at.is_(None))
        .values(unreachable_at=now)
    )


async def set_reachable(
    session: AsyncSession, telegram_id: int, reachable: bool, now: datetime
) -> None:
    """The user blocked (kicked) or unblocked the bot; commits."""
    await session.execute(
        update(User)
        .where(User.telegram_id == telegram_id)
        .values(unreachable_at=None if reachable else now)
    )
    await session.commit()


async def agency_recipients(
    session: AsyncSession, agency_id: int, *, user_ids: set[int], owners: bool = False
) -> list[Recipient]:
    """Reachable members of ``agency_id`` among ``user_ids`` (and its owners, if asked)."""
    who = [User.id.in_(user_ids)] if user_ids else []
    if owners:
        who.append(User.role == Role.OWNER)
    if not who:
        return []
    rows = await session.execute(
        select(User, Agency)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            or_(*who),
            User.agency_id == agency_id,
            User.telegram_id.is_not(None),
            User.unreachable_at.is_(None),
        )
        .order_by(User.id)
    )
    return [Recipient.of(user, agency.currency, agency.country) for user, agency in rows.all()]
