"""The bot works in private chats only: in a group it says so and shows nothing."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _


def build_groups_router() -> Router:
    router = Router(name="groups")
    router.message.filter(F.chat.type != "private")
    router.callback_query.filter(F.message.chat.type != "private")

    @router.message(F.text.startswith("/") | F.new_chat_members)
    async def refuse(message: Message) -> None:
        await message.answer(
            _(
                "I only work in a private chat, to keep your clients' data "
                "private. Open a chat with me directly."
            )
        )

    @router.message()
    async def ignore(message: Message) -> None:
        """Group chatter that is not for the bot: stay silent."""

    @router.callback_query()
    async def refuse_button(query: CallbackQuery) -> None:
        await query.answer(_("I only work in a private chat."), show_alert=True)

    return router
