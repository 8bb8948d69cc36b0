"""Filters shared by the routers."""

from __future__ import annotations

from typing import Any

from aiogram.filters import BaseFilter
from aiogram.types import TelegramObject


class IsMember(BaseFilter):
    """The sender belongs to an agency (the middleware resolved them)."""

    async def __call__(self, event: TelegramObject, member: Any = None) -> bool:
        return member is not None
