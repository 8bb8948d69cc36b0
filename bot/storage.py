"""FSM storage: in memory for one process, Redis when several workers share conversations.

Everything that must survive a hop between workers lives in FSM storage: onboarding and form
states, pending confirmations (destiny "pending") and the recent-records memory ("recent").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage

from bot.settings import Settings

RECENT_TTL_SECONDS = 3600  # the memory is read for 30 minutes; an hour is plenty


class ExpiringRedisStorage(RedisStorage):
    """RedisStorage whose data TTL depends on the destiny: side memories expire sooner."""

    def __init__(self, *args: Any, destiny_ttl: Mapping[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.destiny_ttl = dict(destiny_ttl)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        ttl = self.destiny_ttl.get(key.destiny)
        if ttl is None or not data:
            await super().set_data(key, data)
            return
        redis_key = self.key_builder.build(key, "data")
        await self.redis.set(redis_key, self.json_dumps(dict(data)), ex=ttl)


def create_storage(settings: Settings) -> BaseStorage:
    if not settings.redis_url:
        return MemoryStorage()
    # with_destiny: the "pending" and "recent" destinies need their own keys.
    key_builder = DefaultKeyBuilder(prefix=settings.redis_prefix, with_destiny=True)
    return ExpiringRedisStorage.from_url(
        settings.redis_url,
        key_builder=key_builder,
        state_ttl=settings.fsm_ttl_seconds,
        data_ttl=settings.fsm_ttl_seconds,
        destiny_ttl={
            "recent": RECENT_TTL_SECONDS,
            "pending": settings.confirmation_ttl_seconds,
        },
    )


def create_isolation(storage: BaseStorage) -> BaseEventIsolation | None:
    """With Redis, one chat's updates are handled one at a time across all workers."""
    if isinstance(storage, RedisStorage):
        return storage.create_isolation()
    return None
