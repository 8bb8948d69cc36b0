"""Files sent to the bot: the agency's encrypted store, and downloads bounded in size."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from bot.settings import Settings
from crm_core.service import CrmService
from crm_core.storage import FileStore


class TooLarge(Exception):
    pass


@lru_cache(maxsize=4)
def _store(data_dir: Path, key: str | None) -> FileStore:
    return FileStore.open(data_dir, key)


def file_store(settings: Settings) -> FileStore:
    key = settings.data_encryption_key
    return _store(settings.data_dir, key.get_secret_value() if key else None)


def with_files(crm: CrmService, settings: Settings) -> CrmService:
    """The member's CRM service, able to link stored files (see ``attach_document``)."""
    crm.files = file_store(settings)
    return crm


async def download(bot: Bot, file_id: str, limit: int) -> bytes:
    """The file's bytes; :class:`TooLarge` above ``limit`` (checked again after the download:
    the size Telegram announces is optional)."""
    try:
        buffer = await bot.download(file_id, destination=io.BytesIO())
    except TelegramBadRequest as error:  # "file is too big" from the Bot API
        if "too big" in str(error).lower():
            raise TooLarge from None
        raise
    assert isinstance(buffer, io.BytesIO)
    data = buffer.getvalue()
    if len(data) > limit:
        raise TooLarge
    return data
