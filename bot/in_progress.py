"""How much work is in progress (updates, webhook requests), so that a stop can wait for it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class InProgress:
    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def one(self) -> AsyncIterator[None]:
        """Counts one piece of work while the block runs."""
        self.count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def wait_idle(self, at_most: float) -> None:
        """Until nothing is in progress, or ``at_most`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), at_most)
