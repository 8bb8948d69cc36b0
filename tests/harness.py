"""Drive the real Dispatcher as Telegram users would, through a recording Bot session.

A `ChatUser` sends text and presses buttons; each action returns a `Turn`: what the bot
sent to that user's chat in answer (messages, edits, pop-up notices).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from bot.local_session import LocalBotSession
from bot.local_updates import UpdateFactory, deliver
from crm_core.db import Database

START = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Paris


class Clock:
    """The bot's clock in tests: fixed until a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Turn:
    """What the bot sent to one chat in answer to one user action."""

    methods: list[TelegramMethod[Any]] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        """Texts of sent and edited messages, HTML as sent."""
        return [
            m.text or ""
            for m in self.methods
            if isinstance(m, SendMessage | EditMessageText) and m.text is not None
        ]

    @property
    def text(self) -> str:
        """Everything shown, tags stripped and entities decoded, one message per line."""
        return unescape(_strip_tags("\n".join(self.messages + self.notices)))

    @property
    def notices(self) -> list[str]:
        return [m.text for m in self.methods if isinstance(m, AnswerCallbackQuery) and m.text]

    @property
    def buttons(self) -> list[InlineKeyboardButton]:
        for method in reversed(self.methods):
            markup = getattr(method, "reply_markup", None)
            if isinstance(markup, InlineKeyboardMarkup):
                return [b for row in markup.inline_keyboard for b in row]
        return []

    @property
    def labels(self) -> list[str]:
        return [b.text for b in self.buttons]

    def __contains__(self, needle: str) -> bool:
        return needle in self.text


def _strip_tags(text: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", text)


class ChatUser:
    def __init__(
        self, harness: Harness, user_id: int, first_name: str, language_code: str | None
    ) -> None:
        self.harness = harness
        self.user = User(
            id=user_id, is_bot=False, first_name=first_name, language_code=language_code
        )
        self.chat = Chat(id=user_id, type="private", first_name=first_name)
        # The bot's messages in this chat by id, as last sent or edited.
        self.messages: dict[int, Message] = {}

    @property
    def id(self) -> int:
        return self.user.id

    async def send(self, text: str, *, chat: Chat | None = None) -> Turn:
        update = self.harness.updates.text(self.user, text, chat=chat or self.chat)
        return await self.harness.feed(update, (chat or self.chat).id)

    async def press(self, label: str, *, occurrence: int = -1) -> Turn:
        """Press the button whose text contains `label`, on the latest bot message having one
        (or an earlier one with `occurrence`=-2, -3...)."""
        candidates = [
            (message, button)
            for message in self.messages.values()
            if message.reply_markup
            for row in message.reply_markup.inline_keyboard
            for button in row
            if label in button.text
        ]
        if not candidates:
            shown = [
                b.text
                for m in self.messages.values()
                if m.reply_markup
                for row in m.reply_markup.inline_keyboard
                for b in row
            ]
            raise AssertionError(f"no button {label!r} on screen; buttons: {shown}")
        message, button = candidates[occurrence]
        assert button.callback_data is not None, f"{label!r} is a link: {button.url}"
        return await self.press_data(message, button.callback_data)

    async def press_data(self, message: Message, data: str) -> Turn:
        update = self.harness.updates.callback(self.user, message, data)
        return await self.harness.feed(update, self.chat.id)

    def last_message(self) -> Message:
        return self.messages[max(self.messages)]


class Harness:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        session: LocalBotSession,
        db: Database,
        clock: Clock,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.session = session
        self.db = db
        self.clock = clock
        self.updates = UpdateFactory(session)
        self.users: dict[int, ChatUser] = {}
        session.on_request = self._record

    def user(
        self, user_id: int, first_name: str = "Alex", language_code: str | None = "en"
    ) -> ChatUser:
        if user_id not in self.users:
            self.users[user_id] = ChatUser(self, user_id, first_name, language_code)
        return self.users[user_id]

    async def feed(self, update: Any, chat_id: int) -> Turn:
        first = len(self.session.requests)
        await deliver(self.dispatcher, self.bot, update)
        methods = [
            m for m in self.session.requests[first:] if getattr(m, "chat_id", chat_id) == chat_id
        ]
        return Turn(methods)

    def _record(self, method: TelegramMethod[Any], result: Any) -> None:
        if isinstance(result, Message) and result.chat.id in self.users:
            self.users[result.chat.id].messages[result.message_id] = result
