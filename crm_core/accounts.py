"""Agencies, their members and invitations. Not operations of the registry: these run before
a user has an agency (onboarding) or manage the team itself."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core import audit
from crm_core.context import Actor
from crm_core.errors import CrmError, Forbidden, NotFound
from crm_core.models import (
    MODEL_BY_PREFIX,
    Agency,
    Invite,
    RecordCounter,
    Role,
    User,
    utcnow,
)

INVITE_LIFETIME = timedelta(days=7)
INVITE_PREFIX = "inv_"
# 16 random bytes (128 bits) in URL-safe base64: 22 characters, well under the 64 allowed.
INVITE_TOKEN_BYTES = 16
INVITE_PAYLOAD = re.compile(r"^inv_[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True)
class Profile:
    """What onboarding asks of a person."""

    name: str
    email: str | None
    locale: str
    timezone: str


@dataclass(frozen=True)
class Member:
    """A user who belongs to an agency: what the bot needs for every update."""

    user: User
    agency: Agency

    @property
    def actor(self) -> Actor:
        return Actor(
            user_id=self.user.id,
            agency_id=self.agency.id,
            role=Role(self.user.role),
            timezone=self.user.timezone,
            locale=self.user.locale,
            country=self.agency.country,
            currency=self.agency.currency,
            ai_allowed=self.agency.ai_processing and not self.user.ai_restricted,
            counted=not self.user.analytics_opt_out,
        )


class InviteProblem(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass
class InvalidInvite(CrmError):
    problem: InviteProblem


@dataclass
class AlreadyMember(CrmError):
    agency_name: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def find_user(session: AsyncSession, telegram_id: int) -> User | None:
    return await session.scalar(select(User).where(User.telegram_id == telegram_id))


async def find_member(session: AsyncSession, telegram_id: int) -> Member | None:
    row = (
        await session.execute(
            select(User, Agency)
            .join(Agency, Agency.id == User.agency_id)
            .where(User.telegram_id == telegram_id)
        )
    ).first()
    return Member(*row) if row else None


def _apply_profile(user: User, profile: Profile, policy_version: str, now: datetime) -> None:
    user.name = profile.name
    user.email = profile.email
    user.locale = profile.locale
    user.timezone = profile.timezone
    user.adult_confirmed_at = now
    user.policy_version = policy_version
    user.policy_accepted_at = now


async def _user_for(session: AsyncSession, telegram_id: int) -> User:
    user = await find_user(session, telegram_id)
    if user is None:
        user = User(telegram_id=telegram_id, name="")
        session.add(user)
    elif user.agency_id is not None:
        agency = await session.get(Agency, user.agency_id)
        raise AlreadyMember(agency.name if agency else "")
    return user


async def create_agency(
    session: AsyncSession,
    *,
    telegram_id: int,
    agency_name: str,
    profile: Profile,
    policy_version: str,
    now: datetime,
) -> Member:
    """Create an agency with this person as its owner."""
    user = await _user_for(session, telegram_id)
    agency = Agency(name=agency_name, created_at=now)
    session.add(agency)
    await session.flush()
    session.add_all(RecordCounter(agency_id=agency.id, kind=kind) for kind in MODEL_BY_PREFIX)
    _apply_profile(user, profile, policy_version, now)
    user.agency_id, user.role = agency.id, Role.OWNER
    await session.commit()
    return Member(user, agency)


async def create_invite(session: AsyncSession, actor: Actor, now: datetime) -> tuple[str, Invite]:
    """A new single-use invitation; the payload is returned once and only its hash is kept."""
    if not actor.is_owner:
        raise Forbidden("invite")
    payload = INVITE_PREFIX + secrets.token_urlsafe(INVITE_TOKEN_BYTES)
    invite = Invite(
        agency_id=actor.agency_id,
        created_by_id=actor.user_id,
        token_hash=_hash(payload),
        created_at=now,
        expires_at=now + INVITE_LIFETIME,
    )
    session.add(invite)
    await session.flush()
    _audit(session, actor, "invite_created", now, f"I{invite.id}")
    await session.commit()
    return payload, invite


def _audit(session: AsyncSession, actor: Actor, action: str, now: datetime, ref: str) -> None:
    audit.record(
        session,
        agency_id=actor.agency_id,
        user_id=actor.user_id,
        action=action,
        now=now,
        ref=ref,
    )


def is_invite_payload(payload: str) -> bool:
    return payload.startswith(INVITE_PREFIX)


async def check_invite(session: AsyncSession, payload: str, now: datetime) -> Agency:
    """The agency an invitation leads to, or why it cannot be used."""
    if not INVITE_PAYLOAD.match(payload):
        raise InvalidInvite(InviteProblem.MALFORMED)
    invite = await session.scalar(select(Invite).where(Invite.token_hash == _hash(payload)))
    if invite is None:
        raise InvalidInvite(InviteProblem.UNKNOWN)
    if invite.revoked_at is not None:
        raise InvalidInvite(InviteProblem.REVOKED)
    if invite.used_at is not None:
        raise InvalidInvite(InviteProblem.USED)
    if invite.expires_at <= now:
        raise InvalidInvite(InviteProblem.EXPIRED)
    agency = await session.get(Agency, invite.agency_id)
    if agency is None:
        raise InvalidInvite(InviteProblem.UNKNOWN)
    return agency


async def accept_invite(
    session: AsyncSession,
    *,
    payload: str,
    telegram_id: int,
    profile: Profile,
    policy_version: str,
    now: datetime,
) -> Member:
    """Join the invitation's agency as an agent. The invitation is claimed atomically, so two
    people racing on one link cannot both join."""
    await check_invite(session, payload, now)
    user = await _user_for(session, telegram_id)
    await session.flush()
    claimed = await session.execute(
        update(Invite)
        .where(
            Invite.token_hash == _hash(payload),
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .values(used_at=now, used_by_id=user.id)
        .returning(Invite.agency_id)
    )
    agency_id = claimed.scalar_one_or_none()
    if agency_id is None:
        await session.rollback()
        raise InvalidInvite(InviteProblem.USED)
    _apply_profile(user, profile, policy_version, now)
    user.agency_id, user.role = agency_id, Role.AGENT
    agency = await session.get(Agency, agency_id)
    assert agency is not None
    audit.record(session, agency_id=agency_id, user_id=user.id, action="member_joined", now=now)
    await session.commit()
    return Member(user, agency)


async def active_invites(session: AsyncSession, actor: Actor, now: datetime) -> list[Invite]:
    if not actor.is_owner:
        raise Forbidden("invites")
    rows = await session.scalars(
        select(Invite)
        .where(
            Invite.agency_id == actor.agency_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .order_by(Invite.created_at)
    )
    return list(rows)


async def revoke_invite(session: AsyncSession, actor: Actor, invite_id: int, now: datetime) -> None:
    if not actor.is_owner:
        raise Forbidden("revoke_invite")
    result = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite_id,
            Invite.agency_id == actor.agency_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("invite", str(invite_id))
    _audit(session, actor, "invite_revoked", now, f"I{invite_id}")
    await session.commit()


async def team(session: AsyncSession, actor: Actor) -> list[User]:
    rows = await session.scalars(
        select(User).where(User.agency_id == actor.agency_id).order_by(User.role.desc(), User.name)
    )
    return list(rows)


async def remove_agent(
    session: AsyncSession, actor: Actor, user_id: int, now: datetime | None = None
) -> User:
    """The owner removes an agent; the records they created stay with the agency."""
    if not actor.is_owner:
        raise Forbidden("remove_agent")
    user = await session.scalar(
        select(User).where(
            User.id == user_id, User.agency_id == actor.agency_id, User.role == Role.AGENT
        )
    )
    if user is None:
        raise NotFound("agent", str(user_id))
    user.agency_id, user.role = None, None
    _audit(session, actor, "member_removed", now or utcnow(), f"U{user_id}")
    await session.commit()
    return user


async def set_language(session: AsyncSession, user: User, locale: str) -> None:
    user.locale = locale
    session.add(user)
    await session.commit()


async def transfer_ownership(
    session: AsyncSession, actor: Actor, user_id: int, now: datetime | None = None
) -> User:
    """The owner hands the agency to one of its agents and becomes an agent (so they may then
    delete their account without closing the agency)."""
    if not actor.is_owner:
        raise Forbidden("transfer_ownership")
    successor = await session.scalar(
        select(User).where(
            User.id == user_id, User.agency_id == actor.agency_id, User.role == Role.AGENT
        )
    )
    if successor is None:
        raise NotFound("agent", str(user_id))
    await session.execute(update(User).where(User.id == actor.user_id).values(role=Role.AGENT))
    successor.role = Role.OWNER
    _audit(session, actor, "ownership_transferred", now or utcnow(), f"U{user_id}")
    await session.commit()
    return successor
