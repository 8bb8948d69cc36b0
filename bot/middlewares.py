"""Per-update plumbing: a database session, the acting member (tenancy comes from here and
nowhere else), the clock, and the CRM service bound to all three."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, Message, TelegramObject, User
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.limits import RateLimiter
from bot.settings import Settings
from bot.usage import command_of
from crm_core import accounts
from crm_core.analytics import NOT_COUNTED, Metric, Usage, UsageRecorder
from crm_core.db import Database
from crm_core.descriptions import DescriptionWriter
from crm_core.registry import Registry
from crm_core.service import CrmService

HOUR = 3600
DAY = 24 * HOUR

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class MemberContextMiddleware(BaseMiddleware):
    def __init__(
        self,
        db: Database,
        registry: Registry,
        clock: Callable[[], datetime],
        writer: DescriptionWriter | None = None,
        recorder: UsageRecorder | None = None,
    ) -> None:
        self.db = db
        self.registry = registry
        self.clock = clock
        self.writer = writer  # listing texts by an AI provider, when configured
        self.recorder = recorder  # usage analytics, when enabled

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        now = self.clock()
        async with self.db.session() as session:
            member = None
            # Outside a private chat nothing of a CRM may be shown: do not even load it (and
            # count nothing: the bot only says it works in private there).
            private = chat is None or chat.type == "private"
            if user is not None and private:
                member = await accounts.find_member(session, user.id)
            if member is not None:
                session.info["agency_id"] = member.agency.id
            usage = NOT_COUNTED
            if self.recorder is not None and private:
                usage = await self._usage(self.recorder, session, user, member)
            data.update(
                db_session=session,
                member=member,
                now=now,
                usage=usage,
                crm=(
                    CrmService(
                        self.registry, session, member.actor, now, writer=self.writer, usage=usage
                    )
                    if member
                    else None
                ),
            )
            return await handler(event, data)

    @staticmethod
    async def _usage(
        recorder: UsageRecorder,
        session: AsyncSession,
        user: User | None,
        member: accounts.Member | None,
    ) -> Usage:
        if member is not None:
            return recorder.usage_for(member.actor)
        if user is not None:
            # No agency (any more): an objection made while they had one still stands.
            known = await accounts.find_user(session, user.id)
            if known is not None and known.analytics_opt_out:
                return NOT_COUNTED
        return recorder.usage_for(None)


EXPORT_COMMANDS = frozenset({"export", "client_export"})


class RateLimitMiddleware(BaseMiddleware):
    """Per-user limits on messages, AI-path messages and exports. The excess does no work:
    the first refused message of a window is answered, the rest are ignored."""

    def __init__(self, limiter: RateLimiter, settings: Settings) -> None:
        self.limiter = limiter
        self.settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        message = event if isinstance(event, Message) else None
        if user is None or message is None:
            return await handler(event, data)
        settings = self.settings
        hit = await self.limiter.hit("msg", user.id, settings.rate_messages_per_minute, 60)
        if hit.exceeded:
            return await self._refuse(
                message,
                data,
                "msg",
                hit.first_excess,
                _("You are sending messages very fast. Please wait a minute and try again."),
            )
        text = message.text or ""
        command = command_of(text)
        if command in EXPORT_COMMANDS:
            hit = await self.limiter.hit("export", user.id, settings.rate_exports_per_day, DAY)
            if hit.exceeded:
                return await self._refuse(
                    message,
                    data,
                    "export",
                    hit.first_excess,
                    _("You have reached today's limit of exports. Please try again tomorrow."),
                )
        elif command is None and text and self._goes_to_ai(data):
            limit = settings.rate_ai_messages_per_hour
            hit = await self.limiter.hit("ai", user.id, limit, HOUR)
            if hit.exceeded:
                return await self._refuse(
                    message,
                    data,
                    "ai",
                    hit.first_excess,
                    _(
                        "You have sent many requests this hour. Please wait a little, or use "
                        "commands meanwhile (/help lists them)."
                    ),
                )
        return await handler(event, data)

    def _goes_to_ai(self, data: dict[str, Any]) -> bool:
        """Free text of a member reaches Claude when a key is set and AI is allowed."""
        member = data.get("member")
        return (
            self.settings.anthropic_api_key is not None
            and member is not None
            and member.actor.ai_allowed
        )

    @staticmethod
    async def _refuse(
        message: Message, data: dict[str, Any], limit: str, answer: bool, text: str
    ) -> None:
        data.get("usage", NOT_COUNTED).count(Metric.ERROR, f"rate_limited:{limit}")
        if answer:
            await message.answer(text)
        return None
