"""The door the bot goes through to run operations for the acting member."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from crm_core.context import Actor, OperationContext
from crm_core.registry import Registry


@dataclass
class CrmService:
    registry: Registry
    session: AsyncSession
    actor: Actor
    now: datetime
    _deferred: bool = False

    @property
    def context(self) -> OperationContext:
        return OperationContext(self.session, self.actor, self.now, deferred=self._deferred)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """Run several operations as one: committed together when the block ends, or all
        undone by an exception or by ``discard()`` (nothing half-written)."""
        self._deferred = True
        work = UnitOfWork(self.session)
        try:
            await work.start()
            yield work
            await self.session.commit()
        except BaseException:
            await self.session.rollback()
            raise
        finally:
            self._deferred = False

    async def run(self, name: str, args: dict[str, Any], *, confirmed: bool = False) -> Any:
        return await self.registry.execute(self.context, name, args, confirmed=confirmed)

    def validate(self, name: str, args: dict[str, Any]) -> Any:
        return self.registry.validate(self.context, name, args)


class UnitOfWork:
    """The operations of one message so far; ``discard()`` undoes them all."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._savepoint: AsyncSessionTransaction | None = None

    async def start(self) -> None:
        self._savepoint = await self.session.begin_nested()

    async def discard(self) -> None:
        if self._savepoint is not None and self._savepoint.is_active:
            await self._savepoint.rollback()
        await self.start()
