"""Per-update plumbing: a database session, the acting member (tenancy comes from here and
nowhere else), the clock, and the CRM service bound to all three."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from crm_core import accounts
from crm_core.db import Database
from crm_core.descriptions import DescriptionWriter
from crm_core.registry import Registry
from crm_core.service import CrmService

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class MemberContextMiddleware(BaseMiddleware):
    def __init__(
        self,
        db: Database,
        registry: Registry,
        clock: Callable[[], datetime],
        writer: DescriptionWriter | None = None,
    ) -> None:
        self.db = db
        self.registry = registry
        self.clock = clock
        self.writer = writer  # listing texts by an AI provider, when configured

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        now = self.clock()
        async with self.db.session() as session:
            member = None
            # Outside a private chat nothing of a CRM may be shown: do not even load it.
            if user is not None and (chat is None or chat.type == "private"):
                member = await accounts.find_member(session, user.id)
            if member is not None:
                session.info["agency_id"] = member.agency.id
            data.update(
                db_session=session,
                member=member,
                now=now,
                crm=(
                    CrmService(self.registry, session, member.actor, now, writer=self.writer)
                    if member
                    else None
                ),
            )
            return await handler(event, data)
