"""Data-protection requests: the log (every right exercised is a row with its due date) and
the small account changes behind rectification, restriction, objection and marketing.
These act on the person's own account, never on CRM records of the agency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core import values
from crm_core.errors import Forbidden
from crm_core.models import (
    TENANT_MODELS,
    Agency,
    Document,
    PrivacyKind,
    PrivacyRequest,
    Role,
    User,
)

# The GDPR's deadline to answer a request (art. 12(3)); 31 days covers every month.
RESPONSE_TIME = timedelta(days=31)
LOCALES = ("en", "fr")
EDITABLE_FIELDS = ("name", "email", "locale", "timezone")


def log_request(
    session: AsyncSession,
    user: User,
    kind: PrivacyKind,
    now: datetime,
    *,
    details: str | None = None,
    completed: bool = True,
) -> PrivacyRequest:
    """Add the request to the session (the caller commits with the change it records)."""
    request = PrivacyRequest(
        user_id=user.id,
        agency_id=user.agency_id,
        kind=kind,
        requested_at=now,
        due_at=now + RESPONSE_TIME,
        completed_at=now if completed else None,
        details=details,
    )
    session.add(request)
    return request


async def requests_of(session: AsyncSession, user_id: int) -> list[PrivacyRequest]:
    rows = await session.scalars(
        select(PrivacyRequest)
        .where(PrivacyRequest.user_id == user_id)
        .order_by(PrivacyRequest.requested_at, PrivacyRequest.id)
    )
    return list(rows)


async def open_requests(session: AsyncSession, user: User) -> list[tuple[PrivacyRequest, str]]:
    """The agency's requests not yet completed, with the requester's name (owner only)."""
    if user.role != Role.OWNER or user.agency_id is None:
        raise Forbidden("privacy_requests")
    rows = await session.execute(
        select(PrivacyRequest, User.name)
        .join(User, User.id == PrivacyRequest.user_id, isouter=True)
        .where(
            PrivacyRequest.agency_id == user.agency_id,
            PrivacyRequest.completed_at.is_(None),
        )
        .order_by(PrivacyRequest.due_at)
    )
    return [(request, name or "") for request, name in rows]


@dataclass(frozen=True)
class AccessReport:
    """What /mydata shows: everything held about the person, by category."""

    user: User
    agency: Agency | None
    created: dict[str, int]  # record kind prefix -> count of records the person created
    requests: list[PrivacyRequest]


async def access_report(session: AsyncSession, user: User) -> AccessReport:
    created: dict[str, int] = {}
    for model in (*TENANT_MODELS, Document):
        count = await session.scalar(
            select(func.count()).select_from(model).where(model.created_by_id == user.id)
        )
        created[model.ref_prefix] = int(count or 0)
    agency = await session.get(Agency, user.agency_id) if user.agency_id else None
    return AccessReport(user, agency, created, await requests_of(session, user.id))


def clean_field(field: str, text: str, known_zones: frozenset[str]) -> str | None:
    """The validated new value of a profile field (ValueProblem when it is not one)."""
    if field == "name":
        return values.clean_text(text, max_length=120)
    if field == "email":
        return values.parse_email(text)
    if field == "locale":
        if text not in LOCALES:
            raise values.ValueProblem("locale")
        return text
    if field == "timezone":
        wanted = text.strip().replace(" ", "_").lower()
        for zone in known_zones:
            if zone.lower() == wanted:
                return zone
        raise values.ValueProblem("timezone")
    raise values.ValueProblem("field")


async def rectify(
    session: AsyncSession, user: User, field: str, value: str | None, now: datetime
) -> None:
    if field not in EDITABLE_FIELDS:
        raise Forbidden("rectify")
    setattr(user, field, value)
    session.add(user)
    log_request(session, user, PrivacyKind.RECTIFICATION, now, details=field)
    await session.commit()


async def toggle(session: AsyncSession, user: User, kind: PrivacyKind, now: datetime) -> bool:
    """Flip the person's restriction, objection or marketing choice; returns the new value."""
    attribute = {
        PrivacyKind.RESTRICTION: "ai_restricted",
        PrivacyKind.OBJECTION: "analytics_opt_out",
        PrivacyKind.MARKETING: "marketing_opt_in",
    }[kind]
    value = not getattr(user, attribute)
    setattr(user, attribute, value)
    session.add(user)
    log_request(session, user, kind, now, details="on" if value else "off")
    await session.commit()
    return value


async def toggle_agency_ai(
    session: AsyncSession, user: User, agency: Agency, now: datetime
) -> bool:
    """The owner switches AI processing for the whole agency; returns whether it is now on."""
    if user.role != Role.OWNER or user.agency_id != agency.id:
        raise Forbidden("agency_ai")
    agency.ai_processing = not agency.ai_processing
    session.add(agency)
    details = "agency " + ("on" if agency.ai_processing else "off")
    log_request(session, user, PrivacyKind.RESTRICTION, now, details=details)
    await session.commit()
    return agency.ai_processing


async def accept_policy(session: AsyncSession, user: User, version: str, now: datetime) -> None:
    user.policy_version = version
    user.policy_accepted_at = now
    session.add(user)
    await session.commit()
