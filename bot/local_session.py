"""An in-process Bot API: answers every request locally and records it.

Used by the console chat (talk to the real Dispatcher without Telegram) and by the
test-suite as a "recording Bot session".
"""

from __future__ import annotations

import itertools
import time
import types
import typing
from collections import deque
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

from aiogram.client.session.base import BaseSession
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import File, InlineKeyboardMarkup, InputFile, Message, User

if TYPE_CHECKING:
    from aiogram import Bot

RequestHook = Callable[[TelegramMethod[Any], Any], None]

# Method fields that may carry an upload; their bytes are kept in `sent_files`.
_MEDIA_FIELDS = ("document", "photo", "audio", "video", "voice", "animation")


class LocalBotSession(BaseSession):
    def __init__(
        self,
        *,
        bot_username: str = "estate_crm_bot",
        bot_id: int = 1000,
        on_request: RequestHook | None = None,
    ) -> None:
        super().__init__()
        self.bot_username = bot_username
        self.bot_id = bot_id
        # Public and reassignable: the console installs its printer here.
        self.on_request = on_request
        self.requests: list[TelegramMethod[Any]] = []
        self.sent_files: list[tuple[str, bytes]] = []
        self._files: dict[str, bytes] = {}
        # Last known state of every message the bot sent, so edits keep what they don't change.
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        # Errors the next requests raise, as a Bot API server's error answers would (tests
        # queue aiogram's TelegramRetryAfter, TelegramForbiddenError...). Not recorded.
        self.failures: deque[Exception] = deque()

    # -- BaseSession -------------------------------------------------------------------------

    async def close(self) -> None:
        pass

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (BaseSession's signature)
    ) -> TelegramType:
        if self.failures:
            raise self.failures.popleft()
        self.requests.append(method)
        payload = await self._answer(bot, method)
        # Validate like a real HTTP answer, so the result and all nested objects are bound to
        # the bot (handlers can call `message.answer(...)` on them).
        response = Response[method.__returning__].model_validate(  # type: ignore[name-defined]
            {"ok": True, "result": payload}, context={"bot": bot}
        )
        result = typing.cast(TelegramType, response.result)
        if self.on_request is not None:
            self.on_request(method, result)
        return result

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (BaseSession's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        # Download URLs end with the `files/<file_id>` path handed out by GetFile.
        file_id = url.rsplit("/files/", 1)[-1]
        if file_id not in self._files:
            raise FileNotFoundError(f"unknown file {file_id!r}: register it with add_file()")
        content = self._files[file_id]
        for start in range(0, len(content), chunk_size):
            yield content[start : start + chunk_size]

    # -- helpers for tests and the console ---------------------------------------------------

    def add_file(self, file_id: str, content: bytes) -> None:
        """Make `file_id` downloadable (e.g. a document a simulated user sent)."""
        self._files[file_id] = content

    def next_message_id(self) -> int:
        """One id sequence for bot and user messages, as in a Telegram private chat."""
        return next(self._message_ids)

    def sent_messages(self, chat_id: int | None = None) -> list[SendMessage | EditMessageText]:
        return [
            m
            for m in self.requests
            if isinstance(m, SendMessage | EditMessageText) and _in_chat(m, chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m.text or "" for m in self.sent_messages(chat_id)]

    def last_markup(self, chat_id: int | None = None) -> InlineKeyboardMarkup | None:
        for method in reversed(self.requests):
            markup = getattr(method, "reply_markup", None)
            if isinstance(markup, InlineKeyboardMarkup) and _in_chat(method, chat_id):
                return markup
        return None

    def clear(self) -> None:
        """Forget recorded requests and sent files (registered files and ids are kept)."""
        self.requests.clear()
        self.sent_files.clear()

    # -- answers -----------------------------------------------------------------------------

    async def _answer(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        returning = method.__returning__
        options = typing.get_args(returning) if _is_union(returning) else (returning,)
        if Message in options:
            chat_id = getattr(method, "chat_id", None)
            if chat_id is None:  # an inline message edit: Telegram answers True
                return True
            return await self._message(bot, method, _chat_id(chat_id), edit=len(options) > 1)
        if returning is User:
            return {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "Estate CRM",
                "username": self.bot_username,
            }
        if returning is bool:
            return True
        if typing.get_origin(returning) is list:
            return []
        if returning is File:
            file_id: str = getattr(method, "file_id", "")
            size = len(self._files[file_id]) if file_id in self._files else None
            return {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": size,
                "file_path": f"files/{file_id}",
            }
        raise NotImplementedError(f"LocalBotSession cannot answer {type(method).__name__}")

    async def _message(
        self, bot: Bot, method: TelegramMethod[Any], chat_id: int, *, edit: bool
    ) -> dict[str, Any]:
        now = int(time.time())  # the Bot API sends unix timestamps (edit_date is an int)
        if edit:
            message_id: int = getattr(method, "message_id", None) or 0
            payload = dict(self._messages.get((chat_id, message_id), {}))
            payload["edit_date"] = now
        else:
            message_id = self.next_message_id()
            payload = {}
        payload.update(
            message_id=message_id,
            date=payload.get("date", now),
            chat={"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            from_user={
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "Estate CRM",
                "username": self.bot_username,
            },
        )
        for field in ("text", "caption"):
            if getattr(method, field, None) is not None:
                payload[field] = getattr(method, field)
        # Like Telegram, an edit without reply_markup drops the inline keyboard.
        markup = getattr(method, "reply_markup", None)
        payload["reply_markup"] = markup if isinstance(markup, InlineKeyboardMarkup) else None
        for field in _MEDIA_FIELDS:
            media = getattr(method, field, None)
            if isinstance(media, InputFile | str):
                payload.update(await self._media(bot, field, media))
        self._messages[(chat_id, message_id)] = payload
        return payload

    async def _media(self, bot: Bot, field: str, media: InputFile | str) -> dict[str, Any]:
        if isinstance(media, str):  # re-sending a known file_id
            file_id, name = media, None
        else:
            file_id, name = f"file-{next(self._file_ids)}", media.filename
            if hasattr(media, "data") or hasattr(media, "path"):  # Buffered/FSInputFile
                content = b"".join([chunk async for chunk in media.read(bot)])
                self.sent_files.append((name or file_id, content))
                self._files[file_id] = content  # so the bot can download what it sent
        info = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(self._files[file_id]) if file_id in self._files else None,
        }
        if field == "document":
            return {"document": {**info, "file_name": name}}
        if field == "photo":
            return {"photo": [{**info, "width": 1280, "height": 960}]}
        return {}  # other kinds need type-specific metadata; their bytes are still recorded


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _chat_id(value: int | str) -> int:
    # "@channel" usernames have no numeric id here; any negative id stands in for them.
    return int(value) if str(value).lstrip("-").isdigit() else -1


def _in_chat(method: TelegramMethod[Any], chat_id: int | None) -> bool:
    return chat_id is None or getattr(method, "chat_id", None) == chat_id
