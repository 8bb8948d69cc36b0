"""The door the bot goes through to run operations for the acting member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.context import Actor, OperationContext
from crm_core.registry import Registry


@dataclass
class CrmService:
    registry: Registry
    session: AsyncSession
    actor: Actor
    now: datetime

    @property
    def context(self) -> OperationContext:
        return OperationContext(self.session, self.actor, self.now)

    async def run(self, name: str, args: dict[str, Any], *, confirmed: bool = False) -> Any:
        return await self.registry.execute(self.context, name, args, confirmed=confirmed)

    def validate(self, name: str, args: dict[str, Any]) -> Any:
        return self.registry.validate(self.context, name, args)
