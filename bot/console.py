"""Console chat: talk to the real Dispatcher in a terminal, without Telegram.

Wiring: `ConsoleChat` installs itself as `session.on_request` (chaining any hook that was
already there), so everything the bot sends through the `LocalBotSession` is printed as it
happens, including messages sent from background tasks or to other chats.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import sys
import threading
from contextlib import suppress
from typing import Any, TextIO

from aiogram import Bot, Dispatcher
from aiogram.client.default import Default
from aiogram.methods import AnswerCallbackQuery, DeleteMessage, TelegramMethod
from aiogram.types import (
    InlineKeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
    User,
)

from bot.local_session import LocalBotSession
from bot.local_updates import UpdateFactory, deliver

BANNER = (
    "Console chat with the bot. Type /start to begin. "
    "/as <id> [name] switches user; a number presses a button; Ctrl-D quits."
)
AS_USAGE = "usage: /as <telegram-user-id> [first name]"

_LINK = re.compile(r"""<a\s+href=(["'])(.*?)\1\s*>(.*?)</a>""", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def render_html(text: str) -> str:
    """Telegram HTML -> terminal text: links become `label (url)`, other tags vanish."""

    def link(match: re.Match[str]) -> str:
        url, label = match[2], match[3]
        return url if _TAG.sub("", label) == url else f"{label} ({url})"

    return html.unescape(_TAG.sub("", _LINK.sub(link, text)))


class ConsoleChat:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        session: LocalBotSession,
        *,
        out: TextIO = sys.stdout,
        user_id: int = 1,
        first_name: str = "Alex",
        language_code: str = "en",
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.session = session
        self.out = out
        self.user_id = user_id
        self.language_code = language_code
        self._names: dict[int, str] = {user_id: first_name}
        self.updates = UpdateFactory(session)
        # Per chat: the bot's messages as last returned by the session (to press their
        # buttons), and the id of the last message the bot *sent* there (edits don't count).
        self._messages: dict[int, dict[int, Message]] = {}
        self._last_sent: dict[int, int] = {}
        previous = session.on_request

        def hook(method: TelegramMethod[Any], result: Any) -> None:
            self._on_request(method, result)
            if previous is not None:
                previous(method, result)

        session.on_request = hook

    @property
    def first_name(self) -> str:
        return self._names[self.user_id]

    async def send(self, text: str) -> None:
        """Handle one line typed by the user."""
        if text.startswith("\\"):
            await self._send_text(text[1:])
        elif text == "/as" or text.startswith("/as "):
            self._switch_user(text[3:].strip())
        elif text.isascii() and text.isdigit() and (button := self._button(int(text))):
            await self._press(button)
        else:
            await self._send_text(text)

    # -- user side ---------------------------------------------------------------------------

    def _switch_user(self, args: str) -> None:
        user_id, _, name = args.partition(" ")
        if not user_id.isascii() or not user_id.isdigit() or int(user_id) <= 0:
            self._print(AS_USAGE)
            return
        self.user_id = int(user_id)
        if name.strip():
            self._names[self.user_id] = name.strip()
        self._names.setdefault(self.user_id, f"User {self.user_id}")
        self._print(f"-- now typing as {self.first_name} ({self.user_id})")

    def _user(self) -> User:
        return User(
            id=self.user_id,
            is_bot=False,
            first_name=self.first_name,
            language_code=self.language_code,
        )

    def _button(self, number: int) -> InlineKeyboardButton | None:
        last = self._last_sent.get(self.user_id)
        message = self._messages.get(self.user_id, {}).get(last) if last else None
        if message is None or message.reply_markup is None:
            return None
        buttons = [b for row in message.reply_markup.inline_keyboard for b in row]
        return buttons[number - 1] if 1 <= number <= len(buttons) else None

    async def _press(self, button: InlineKeyboardButton) -> None:
        if button.url:
            self._print(f"-- link: {button.url}")
            return
        if button.callback_data is None:
            self._print(f'-- "{button.text}" cannot be pressed in the console')
            return
        message = self._messages[self.user_id][self._last_sent[self.user_id]]
        self._print(f'-- pressed "{button.text}"')
        await self._feed(self.updates.callback(self._user(), message, button.callback_data))

    async def _send_text(self, text: str) -> None:
        await self._feed(self.updates.text(self._user(), text))

    async def _feed(self, update: Update) -> None:
        try:
            await deliver(self.dispatcher, self.bot, update)
        except Exception as error:  # the console must survive any handler failure
            self._print(f"error> {type(error).__name__}: {error}")

    # -- bot side ----------------------------------------------------------------------------

    def _on_request(self, method: TelegramMethod[Any], result: Any) -> None:
        if isinstance(result, Message):
            self._show_message(method, result)
        elif isinstance(method, AnswerCallbackQuery) and method.text:
            self._print(f"bot> (notice) {method.text}")
        elif isinstance(method, DeleteMessage) and isinstance(method.chat_id, int):
            self._messages.get(method.chat_id, {}).pop(method.message_id, None)
            self._print(f"{self._prefix(method.chat_id, 'deleted')}message {method.message_id}")

    def _show_message(self, method: TelegramMethod[Any], message: Message) -> None:
        chat_id = message.chat.id
        edited = message.edit_date is not None
        self._messages.setdefault(chat_id, {})[message.message_id] = message
        if not edited:
            self._last_sent[chat_id] = message.message_id

        lines: list[str] = []
        if message.document:
            size = message.document.file_size
            name = message.document.file_name or message.document.file_id
            lines.append(f"[document: {name}" + (f", {size} bytes]" if size is not None else "]"))
        if message.photo:
            lines.append("[photo]")
        if body := message.text or message.caption:
            lines.extend(self._render(method, body).splitlines() or [""])
        if not lines:
            lines.append(f"[{method.__api_method__}]")

        prefix = self._prefix(chat_id, "edited" if edited else None)
        indent = " " * len(prefix)
        self._print(prefix + lines[0])
        for line in lines[1:]:
            self._print(indent + line)
        if message.reply_markup:
            numbers = itertools.count(1)
            for row in message.reply_markup.inline_keyboard:
                cells = [
                    f"[{next(numbers)}] {b.text}" + (f" ({b.url})" if b.url else "") for b in row
                ]
                self._print(indent + "   ".join(cells))
        markup = getattr(method, "reply_markup", None)
        if isinstance(markup, ReplyKeyboardMarkup):  # typed by the user, so just show labels
            for keyboard_row in markup.keyboard:
                self._print(indent + "(keyboard) " + " | ".join(b.text for b in keyboard_row))

    def _render(self, method: TelegramMethod[Any], text: str) -> str:
        parse_mode = getattr(method, "parse_mode", Default("parse_mode"))
        if isinstance(parse_mode, Default):
            parse_mode = self.bot.default[parse_mode.name]
        return render_html(text) if str(parse_mode).upper() == "HTML" else text

    def _prefix(self, chat_id: int, tag: str | None) -> str:
        tags = [t for t in (tag, None if chat_id == self.user_id else f"to {chat_id}") if t]
        return f"bot ({', '.join(tags)})> " if tags else "bot> "

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


async def _read_line(stdin: TextIO, out: TextIO, prompt: str | None) -> str | None:
    """The next input line without its newline, or None at end of input.

    Reads in a daemon thread rather than `asyncio.to_thread`: a worker of the default
    executor blocked in input() would keep the process alive after Ctrl-C.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def settle(line: str | None, error: Exception | None) -> None:
        if future.done():  # cancelled by Ctrl-C meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line)

    def read() -> None:
        line: str | None = None
        error: Exception | None = None
        try:
            if prompt is not None and stdin is sys.stdin and out is sys.stdout:
                line = input(prompt)  # the real terminal: keeps line editing
            else:
                if prompt is not None:
                    out.write(prompt)
                    out.flush()
                raw = stdin.readline()
                line = raw.rstrip("\r\n") if raw else None
        except EOFError:
            pass
        except Exception as exc:
            error = exc
        with suppress(RuntimeError):  # the loop may already be closed
            loop.call_soon_threadsafe(settle, line, error)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return await future


async def run_console(
    dispatcher: Dispatcher,
    bot: Bot,
    session: LocalBotSession,
    *,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
) -> None:
    """Chat with `dispatcher` until end of input.

    On a terminal: banner and a "you> " prompt. Piped: one message per line, each echoed
    as "you> <line>" before the replies, so transcripts read like a conversation.
    """
    chat = ConsoleChat(dispatcher, bot, session, out=out)
    interactive = stdin.isatty()
    # Same startup/shutdown contract as Dispatcher.start_polling.
    workflow_data = {"dispatcher": dispatcher, "bots": (bot,), **dispatcher.workflow_data}
    workflow_data.pop("bot", None)
    await dispatcher.emit_startup(bot=bot, **workflow_data)
    try:
        if interactive:
            print(BANNER, file=out, flush=True)
        while (line := await _read_line(stdin, out, "you> " if interactive else None)) is not None:
            line = line.strip()
            if not line:
                continue
            if not interactive:
                print(f"you> {line}", file=out, flush=True)
            await chat.send(line)
    finally:
        await dispatcher.emit_shutdown(bot=bot, **workflow_data)
