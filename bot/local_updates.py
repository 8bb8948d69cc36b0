"""Updates shaped as Telegram delivers them, for chats that do not go through Telegram: the
console chat and the test-suite feed them to the real Dispatcher."""

from __future__ import annotations

import itertools
import re
import time

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Chat, Message, MessageEntity, Update, User

from bot.local_session import LocalBotSession

# Telegram marks only well-formed commands (optionally /cmd@botname) as bot_command.
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?(?=\s|$)")


class UpdateFactory:
    """Numbers updates and callback queries the way one Telegram bot sees them. Message ids
    come from the bot's session: in a private chat the user's and the bot's messages share
    one sequence."""

    def __init__(self, session: LocalBotSession) -> None:
        self._session = session
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

    def text(self, user: User, text: str, *, chat: Chat | None = None) -> Update:
        entities = None
        if command := _COMMAND.match(text):
            # Offsets are in UTF-16 code units; a matched command is ASCII, so len() is exact.
            entities = [MessageEntity(type="bot_command", offset=0, length=command.end())]
        message = Message(
            message_id=self._session.next_message_id(),
            date=int(time.time()),
            chat=chat or private_chat(user),
            from_user=user,
            text=text,
            entities=entities,
        )
        return Update(update_id=next(self._update_ids), message=message)

    def callback(self, user: User, message: Message, data: str) -> Update:
        query = CallbackQuery(
            id=str(next(self._callback_ids)),
            from_user=user,
            chat_instance=str(message.chat.id),
            message=message,
            data=data,
        )
        return Update(update_id=next(self._update_ids), callback_query=query)


def private_chat(user: User) -> Chat:
    return Chat(id=user.id, type="private", first_name=user.first_name)


async def deliver(dispatcher: Dispatcher, bot: Bot, update: Update) -> None:
    """Feed one update as polling would, including a method a handler returns webhook-style."""
    # Re-validated with the bot as context so nested objects are bound to it
    # (`Update.as_(bot)` would bind only the top-level object).
    update = Update.model_validate(update.model_dump(), context={"bot": bot})
    response = await dispatcher.feed_update(bot, update)
    if isinstance(response, TelegramMethod):
        await bot(response)
