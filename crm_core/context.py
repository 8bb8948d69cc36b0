"""Who is acting, in which agency, and when: the only source of tenancy for operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.events import DomainEvent
from crm_core.models import Role
from crm_core.storage import FileStore

if TYPE_CHECKING:
    from crm_core.descriptions import DescriptionWriter


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
    # False when the user objected to usage analytics: nothing they do is counted.
    counted: bool = True

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
    # What the operation did that others may need to hear of; handed out after the commit.
    events: list[DomainEvent] = field(default_factory=list)
    # Writes listing texts with an AI provider when one is configured (used only when the
    # actor allows AI processing); None: the template writes them.
    writer: DescriptionWriter | None = None
    # The encrypted file store, when the caller handles files (documents); None otherwise.
    files: FileStore | None = None

    def validation_context(self) -> dict[str, Any]:
        """What input validators need to read relative dates and national phone numbers."""
        return {"tz": self.actor.timezone, "now": self.now, "region": self.actor.country}
