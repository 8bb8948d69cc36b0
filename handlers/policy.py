"""A new privacy policy version must be accepted before anything else: while a member's
accepted version differs from the one in force, every message and button gets the policy."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from crm_core import privacy
from crm_core.accounts import Member
from handlers.callbacks_data import Menu
from handlers.render import Reply
from handlers.replies import send


class PolicyOutdated(BaseFilter):
    """The member accepted an older policy version than the one in force."""

    async def __call__(
        self, event: TelegramObject, member: Any = None, settings: Any = None
    ) -> bool:
        return (
            isinstance(member, Member)
            and settings is not None
            and member.user.policy_version != settings.privacy_policy_version
        )


def policy_reply(settings: Settings) -> Reply:
    text = _(
        "Our privacy policy has changed (version {version}): {url}\n"
        "Please read it and accept it to go on using the service. /privacy shows your rights."
    ).format(
        version=escape(settings.privacy_policy_version), url=escape(settings.privacy_policy_url)
    )
    button = InlineKeyboardButton(text=_("I accept"), callback_data=Menu(name="pol_accept").pack())
    return Reply(text, [[button]])


def build_policy_router() -> Router:
    router = Router(name="policy")

    @router.callback_query(Menu.filter(F.name == "pol_accept"))
    async def accept(
        query: CallbackQuery,
        member: Member | None,
        db_session: AsyncSession,
        now: datetime,
        settings: Settings,
    ) -> None:
        await query.answer()
        if member is None or not isinstance(query.message, Message):
            return
        await privacy.accept_policy(db_session, member.user, settings.privacy_policy_version, now)
        await query.message.answer(_("Thank you. You can go on."))

    @router.message(PolicyOutdated(), ~F.text.regexp(r"^/(privacy|delete|export|mydata)\b"))
    async def ask_message(message: Message, settings: Settings) -> None:
        await send(message, policy_reply(settings))

    @router.callback_query(PolicyOutdated())
    async def ask_callback(query: CallbackQuery, settings: Settings) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            await send(query.message, policy_reply(settings))

    return router
