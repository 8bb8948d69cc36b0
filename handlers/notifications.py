"""What the bot sends on its own: /digest (off, on, or its time), and noticing when a user
blocks or unblocks the bot (then nothing, or again everything, is sent to them)."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.enums import ChatMemberStatus
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core import digest, recipients
from crm_core.accounts import Member
from handlers.filters import IsMember


def digest_state_text(settings: digest.DigestSettings) -> str:
    if settings.enabled:
        return _(
            "Your daily digest comes at {time} (your time): today's reminders, overdue ones and "
            "deals that have not moved. /digest off stops it; /digest 07:30 moves it."
        ).format(time=settings.at)
    return _("Your daily digest is off. /digest on turns it back on.")


def build_notifications_router() -> Router:
    router = Router(name="notifications")

    @router.message(Command("digest"), IsMember())
    async def set_digest(
        message: Message, command: CommandObject, member: Member, db_session: AsyncSession
    ) -> None:
        arg = (command.args or "").strip().lower()
        user_id = member.user.id
        if arg == "off":
            state = await digest.set_digest(db_session, user_id, enabled=False)
        elif arg == "on":
            state = await digest.set_digest(db_session, user_id, enabled=True)
        elif arg and (at := digest.parse_digest_time(arg)):
            state = await digest.set_digest(db_session, user_id, at=at)
        elif arg:
            await message.answer(_("Send /digest off, /digest on, or a time like /digest 07:30."))
            return
        else:
            state = digest.DigestSettings(member.user.digest_enabled, member.user.digest_time)
        await message.answer(digest_state_text(state))

    @router.my_chat_member()
    async def membership(event: ChatMemberUpdated, db_session: AsyncSession, now: datetime) -> None:
        """Blocking the bot in a private chat arrives as "kicked", unblocking as "member"."""
        status = event.new_chat_member.status
        if event.chat.type != "private" or status not in (
            ChatMemberStatus.KICKED,
            ChatMemberStatus.MEMBER,
        ):
            return
        reachable = status == ChatMemberStatus.MEMBER
        await recipients.set_reachable(db_session, event.from_user.id, reachable, now)

    return router
