"""Rate limits per Telegram user: fixed-window counters in memory or in Redis.

A window is identified by the injected clock (``now // window``), so a test that moves the
clock starts a new window on either backend; Redis keys also expire on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis


class LimitBackend(Protocol):
    async def incr(self, key: str, ttl: int, now: datetime) -> int:
        """Add one to ``key`` (created with a lifetime of ``ttl`` seconds); the new count."""
        ...

    async def get(self, key: str, now: datetime) -> int: ...

    async def set(self, key: str, value: int, ttl: int, now: datetime) -> None: ...


class MemoryLimitBackend:
    """One process: a dict of (value, expires at) pruned as it grows."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}

    def _live(self, key: str, now: datetime) -> int:
        value, expires = self._values.get(key, (0, 0.0))
        if expires <= now.timestamp():
            self._values.pop(key, None)
            return 0
        return value

    def _prune(self, now: datetime) -> None:
        if len(self._values) > 10_000:
            stamp = now.timestamp()
            for key in [k for k, (_v, exp) in self._values.items() if exp <= stamp]:
                del self._values[key]

    async def incr(self, key: str, ttl: int, now: datetime) -> int:
        self._prune(now)
        value = self._live(key, now) + 1
        expires = self._values.get(key, (0, now.timestamp() + ttl))[1]
        self._values[key] = (value, expires)
        return value

    async def get(self, key: str, now: datetime) -> int:
        return self._live(key, now)

    async def set(self, key: str, value: int, ttl: int, now: datetime) -> None:
        self._values[key] = (value, now.timestamp() + ttl)


class RedisLimitBackend:
    """Several workers: INCR + EXPIRE on keys named after the window."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:limit:{key}"

    async def incr(self, key: str, ttl: int, now: datetime) -> int:
        pipe = self.redis.pipeline(transaction=True)
        pipe.incr(self._key(key))
        # The key names its window, so refreshing its lifetime never stretches a window.
        pipe.expire(self._key(key), ttl)
        count, _ = await pipe.execute()
        return int(count)

    async def get(self, key: str, now: datetime) -> int:
        value = await self.redis.get(self._key(key))
        return int(value or 0)

    async def set(self, key: str, value: int, ttl: int, now: datetime) -> None:
        await self.redis.set(self._key(key), value, ex=ttl)


def create_limit_backend(settings: Settings) -> LimitBackend:
    if not settings.redis_url:
        return MemoryLimitBackend()
    from redis.asyncio import Redis as RedisClient

    return RedisLimitBackend(RedisClient.from_url(settings.redis_url), settings.redis_prefix)


@dataclass(frozen=True)
class Hit:
    count: int
    limit: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    @property
    def first_excess(self) -> bool:
        """The first refused event of the window: the only one that is answered."""
        return self.count == self.limit + 1


class RateLimiter:
    def __init__(self, backend: LimitBackend, clock: Callable[[], datetime]) -> None:
        self.backend = backend
        self.clock = clock

    async def hit(self, name: str, user_id: int, limit: int, window: int) -> Hit:
        now = self.clock()
        slot = int(now.timestamp()) // window
        count = await self.backend.incr(f"{name}:{user_id}:{slot}", window, now)
        return Hit(count, limit)

    async def locked(self, name: str, user_id: int) -> bool:
        now = self.clock()
        until = await self.backend.get(f"{name}:lock:{user_id}", now)
        return until > now.timestamp()

    async def lock(self, name: str, user_id: int, seconds: int) -> None:
        now = self.clock()
        until = int(now.timestamp()) + seconds
        await self.backend.set(f"{name}:lock:{user_id}", until, seconds, now)
