"""Pacing under Telegram's limits: about one message a second per chat, 30 a second overall.

Time is cut into ticks of 1/30 s and each send books one: the first free tick at or after
its chat's next free second. Booking happens before sleeping, so concurrent senders get
distinct slots, and a chat that must wait does not hold up the others. Clock and sleep are
injectable: tests never sleep for real.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    def __init__(
        self,
        *,
        per_chat_interval: float = 1.0,
        per_second: int = 30,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_chat_interval = per_chat_interval
        self.per_second = per_second
        self.clock = clock
        self.sleep = sleep
        self._booked: set[int] = set()  # ticks taken
        self._next_chat: dict[int, float] = {}

    def reserve(self, chat_id: int) -> float:
        """Book the next slot for ``chat_id``; returns how long to wait for it."""
        now = self.clock()
        earliest = max(now, self._next_chat.get(chat_id, 0.0))
        tick = math.ceil(earliest * self.per_second - 1e-9)
        while tick in self._booked:
            tick += 1
        self._booked.add(tick)
        slot = tick / self.per_second
        self._next_chat[chat_id] = slot + self.per_chat_interval
        self._forget_before(now)
        return max(slot - now, 0.0)

    def _forget_before(self, now: float) -> None:
        if len(self._booked) > 1_000:
            first = math.floor(now * self.per_second)
            self._booked = {t for t in self._booked if t >= first}
        if len(self._next_chat) > 10_000:
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}

    async def wait(self, chat_id: int) -> None:
        delay = self.reserve(chat_id)
        if delay > 0:
            await self.sleep(delay)
