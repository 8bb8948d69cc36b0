"""The door the bot goes through to run operations for the acting member."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from crm_core.analytics import NOT_COUNTED, Metric, Usage, snake_case
from crm_core.context import Actor, OperationContext
from crm_core.descriptions import DescriptionWriter
from crm_core.errors import CrmError
from crm_core.events import DomainEvent
from crm_core.registry import Confirmation, Registry
from crm_core.storage import FileStore


@dataclass
class CrmService:
    registry: Registry
    session: AsyncSession
    actor: Actor
    now: datetime
    _deferred: bool = False
    # Events of operations not yet committed, and of committed ones not yet taken.
    _uncommitted: list[DomainEvent] = field(default_factory=list)
    _committed: list[DomainEvent] = field(default_factory=list)
    # Usage of operations not yet committed: counted only if their work stays.
    _uncounted: list[Tally] = field(default_factory=list)
    # Set by the handlers that deal with files (see handlers/files.py).
    files: FileStore | None = None
    writer: DescriptionWriter | None = None  # handed to every operation's context
    usage: Usage = NOT_COUNTED  # counts the operations run (once committed) and times them

    @property
    def context(self) -> OperationContext:
        return OperationContext(
            self.session,
            self.actor,
            self.now,
            deferred=self._deferred,
            events=self._uncommitted,
            writer=self.writer,
            files=self.files,
        )

    def take_events(self) -> list[DomainEvent]:
        """The events of committed work, once: who must be told is the caller's business."""
        events, self._committed = self._committed, []
        return events

    def _after_commit(self) -> None:
        """The work is kept: its events may be handed out and its usage counted."""
        self._committed.extend(self._uncommitted)
        self._uncommitted.clear()
        for tally in self._uncounted:
            self.usage.count(Metric.OPERATION, tally.name)
            if tally.seconds is not None:
                self.usage.latency(tally.name, tally.seconds)
        self._uncounted.clear()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """Run several operations as one: committed together when the block ends, or all
        undone by an exception or by ``discard()`` (nothing half-written)."""
        self._deferred = True
        work = UnitOfWork(self.session, self._uncommitted, self._uncounted)
        try:
            await work.start()
            yield work
            await self.session.commit()
            self._after_commit()
        except BaseException:
            await self.session.rollback()
            self._uncommitted.clear()
            self._uncounted.clear()
            raise
        finally:
            self._deferred = False

    async def run(self, name: str, args: dict[str, Any], *, confirmed: bool = False) -> Any:
        mark = len(self._uncommitted)
        started = perf_counter()
        try:
            result = await self.registry.execute(self.context, name, args, confirmed=confirmed)
        except BaseException as error:
            del self._uncommitted[mark:]  # rolled back (the operation or its savepoint)
            if isinstance(error, CrmError) and name in self.registry:
                kind = snake_case(type(error).__name__)
                self.usage.count(Metric.ERROR, f"{name}:{kind}")  # a refusal: nothing to undo
            raise
        if name in self.registry:  # only a registered name: a model may call anything
            if isinstance(result, Confirmation):
                self._uncounted.append(Tally(f"{name}:asked"))
            else:  # timed: the completed runs only, so a quick "asked" cannot hide a slow run
                self._uncounted.append(Tally(name, perf_counter() - started))
        if not self._deferred:  # committed by the registry
            self._after_commit()
        return result

    def validate(self, name: str, args: dict[str, Any]) -> Any:
        return self.registry.validate(self.context, name, args)


@dataclass(frozen=True)
class Tally:
    """An operation's usage figure, held until its work is committed."""

    name: str
    seconds: float | None = None


class UnitOfWork:
    """The operations of one message so far; ``discard()`` undoes them all."""

    def __init__(
        self,
        session: AsyncSession,
        events: list[DomainEvent] | None = None,
        tallies: list[Tally] | None = None,
    ) -> None:
        self.session = session
        self._events = events if events is not None else []
        self._tallies = tallies if tallies is not None else []
        self._savepoint: AsyncSessionTransaction | None = None

    async def start(self) -> None:
        self._savepoint = await self.session.begin_nested()

    async def discard(self) -> None:
        if self._savepoint is not None and self._savepoint.is_active:
            await self._savepoint.rollback()
        self._events.clear()
        self._tallies.clear()  # undone work is not usage
        await self.start()
