"""Who is acting, in which agency, and when: the only source of tenancy for operations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.models import Role


@dataclass(frozen=True)
class Actor:
    user_id: int
    agency_id: int
    role: Role
    timezone: str = "Europe/Paris"
    locale: str = "en"
    country: str = "FR"
    currency: str = "EUR"
    # False when the agency switched AI processing off or the user asked for restriction:
    # then nothing of theirs may be sent to an AI provider.
    ai_allowed: bool = True

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER


@dataclass
class OperationContext:
    session: AsyncSession
    actor: Actor
    now: datetime  # aware, UTC
    # Inside a unit of work (several operations for one message) the caller commits once at
    # the end; each operation then runs in a savepoint so a failing one undoes only itself.
    deferred: bool = False

    def validation_context(self) -> dict[str, Any]:
        """What input validators need to read relative dates and national phone numbers."""
        return {"tz": self.actor.timezone, "now": self.now, "region": self.actor.country}
