"""The audit trail: who did what and when, without copying the personal data itself.

Entries are added to the caller's session, so they commit (or roll back) with the change they
record. Privacy requests are traced by a flush hook, wherever they are logged from.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from crm_core.context import Actor
from crm_core.errors import Forbidden
from crm_core.models import AuditEvent, PrivacyKind, PrivacyRequest

SHOWN = 30  # entries /audit shows
SHORT_REF = re.compile(r"[A-Z]\d{1,9}")
OK = "ok"

# Privacy requests that are exports keep their own action names.
EXPORT_ACTIONS = {PrivacyKind.EXPORT: "export", PrivacyKind.CLIENT_EXPORT: "client_export"}


def short_ref(value: Any) -> str | None:
    """A short ref (C12) or nothing: never a name or free text."""
    if isinstance(value, str) and SHORT_REF.fullmatch(value):
        return value
    return None


def ref_of(result: Any) -> str | None:
    """The short ref of an operation's result (a view, or a deletion summary)."""
    ref = short_ref(getattr(result, "ref", None))
    if ref is None:
        ref = short_ref(getattr(getattr(result, "record", None), "ref", None))
    return ref


def record(
    session: AsyncSession | Session,
    *,
    agency_id: int,
    user_id: int | None,
    action: str,
    now: datetime,
    ref: str | None = None,
    outcome: str = OK,
) -> None:
    session.add(
        AuditEvent(
            agency_id=agency_id,
            user_id=user_id,
            at=now,
            action=action[:40],
            ref=short_ref(ref),
            outcome=outcome,
        )
    )


def _privacy_requests(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.new):
        if isinstance(obj, PrivacyRequest) and obj.agency_id is not None:
            kind = PrivacyKind(obj.kind)
            record(
                session,
                agency_id=obj.agency_id,
                user_id=obj.user_id,
                action=EXPORT_ACTIONS.get(kind, f"privacy_request:{kind.value}"),
                now=obj.requested_at,
                ref=obj.details,
            )


event.listen(Session, "before_flush", _privacy_requests)


async def latest(session: AsyncSession, actor: Actor, limit: int = SHOWN) -> list[AuditEvent]:
    """The agency's latest entries, newest first; for the owner only."""
    if not actor.is_owner:
        raise Forbidden("audit")
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.agency_id == actor.agency_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(rows)
