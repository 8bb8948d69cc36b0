"""Account erasure: scheduled with a grace period, undone by the person meanwhile, carried
out by the daily purge job. The person's records stay with the agency, attributed to a
"former agent"; an owner who did not hand over ownership closes the agency, and every record
of it goes with them."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core import analytics
from crm_core.models import Agency, AuditEvent, Invite, PrivacyKind, PrivacyRequest, Role, User
from crm_core.privacy import log_request
from crm_core.storage import FileStore

FORMER_AGENT = "former agent"


@dataclass(frozen=True)
class DeletionPlan:
    due_at: datetime
    closes_agency: bool  # an owner with no successor: the whole agency goes


async def other_members(session: AsyncSession, user: User) -> int:
    if user.agency_id is None:
        return 0
    count = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.agency_id == user.agency_id, User.id != user.id)
    )
    return int(count or 0)


async def plan(session: AsyncSession, user: User, now: datetime, grace: timedelta) -> DeletionPlan:
    """What /delete would do, to ask the person before doing it."""
    return DeletionPlan(now + grace, user.role == Role.OWNER)


async def schedule(
    session: AsyncSession, user: User, now: datetime, grace: timedelta
) -> DeletionPlan:
    planned = await plan(session, user, now, grace)
    user.deletion_due_at = planned.due_at
    session.add(user)
    details = "closes agency" if planned.closes_agency else None
    log_request(session, user, PrivacyKind.ERASURE, now, details=details, completed=False)
    await session.commit()
    return planned


async def cancel(session: AsyncSession, user: User, now: datetime) -> bool:
    """Undo a scheduled erasure; False if none was scheduled."""
    if user.deletion_due_at is None:
        return False
    user.deletion_due_at = None
    session.add(user)
    # The open request is answered: the person withdrew it.
    await session.execute(
        update(PrivacyRequest)
        .where(
            PrivacyRequest.user_id == user.id,
            PrivacyRequest.kind == PrivacyKind.ERASURE,
            PrivacyRequest.completed_at.is_(None),
        )
        .values(completed_at=now, details="cancelled")
    )
    await session.commit()
    return True


def _anonymise(user: User, default_locale: str, default_timezone: str) -> None:
    user.name = FORMER_AGENT
    user.email = None
    user.telegram_id = None
    user.locale = default_locale
    user.timezone = default_timezone
    user.adult_confirmed_at = None
    user.policy_version = None
    user.policy_accepted_at = None
    user.marketing_opt_in = False
    user.analytics_opt_out = False
    user.ai_restricted = False
    user.unreachable_at = None
    user.deletion_due_at = None
    user.last_digest_on = None
    user.digest_enabled = False


@dataclass(frozen=True)
class PurgeReport:
    accounts: int
    agencies: int
    invites: int


ForgetChat = Callable[[int], Awaitable[None]]


async def purge_due(
    session: AsyncSession,
    now: datetime,
    *,
    store: FileStore | None = None,
    forget_chat: ForgetChat | None = None,
    default_locale: str = "en",
    default_timezone: str = "Europe/Paris",
) -> PurgeReport:
    """Carry out every erasure past its grace period, and drop expired invitations. Needs a
    system session (spans agencies)."""
    due = list(
        await session.scalars(
            select(User).where(User.deletion_due_at.is_not(None), User.deletion_due_at <= now)
        )
    )
    closed = 0
    for user in due:
        telegram_id = user.telegram_id
        agency_id = user.agency_id
        if agency_id is not None and user.role == Role.OWNER:
            # Nobody took over: the agency closes, and its records go with it (cascade).
            await session.execute(
                update(User).where(User.agency_id == agency_id).values(agency_id=None, role=None)
            )
            await session.execute(delete(AuditEvent).where(AuditEvent.agency_id == agency_id))
            await analytics.forget_agency(session, agency_id)
            await session.execute(delete(Agency).where(Agency.id == agency_id))
            if store is not None:
                shutil.rmtree(store.root / "documents" / str(int(agency_id)), ignore_errors=True)
            closed += 1
        await session.execute(
            update(PrivacyRequest)
            .where(
                PrivacyRequest.user_id == user.id,
                PrivacyRequest.kind == PrivacyKind.ERASURE,
                PrivacyRequest.completed_at.is_(None),
            )
            .values(completed_at=now)
        )
        # Records they created stay with the agency; the account no longer names anyone.
        user.agency_id, user.role = None, None
        _anonymise(user, default_locale, default_timezone)
        await session.flush()
        if forget_chat is not None and telegram_id is not None:
            await forget_chat(telegram_id)
    invites = await session.execute(delete(Invite).where(Invite.expires_at <= now))
    await session.commit()
    return PurgeReport(len(due), closed, int(invites.rowcount or 0))  # type: ignore[attr-defined]
