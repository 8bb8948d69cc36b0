"""What the service tells a user on its own initiative (a fired reminder, the daily digest, a
deal that moved): plain data, rendered by whoever implements the Notifier."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from crm_core.context import Actor
from crm_core.models import Role, User
from crm_core.views import (
    Agenda,
    ContactMatch,
    ContactView,
    DealView,
    PropertyView,
    ReminderView,
)


@dataclass(frozen=True)
class Recipient:
    """A member to message: their chat, language and time zone. Always a member of the agency
    the message is about (the loaders check it)."""

    user_id: int
    agency_id: int
    telegram_id: int
    role: Role
    locale: str
    timezone: str
    currency: str = "EUR"
    country: str = "FR"

    @classmethod
    def of(cls, user: User, currency: str = "EUR", country: str = "FR") -> Recipient:
        assert user.agency_id is not None and user.telegram_id is not None
        return cls(
            user_id=user.id,
            agency_id=user.agency_id,
            telegram_id=user.telegram_id,
            role=Role(user.role),
            locale=user.locale,
            timezone=user.timezone,
            currency=currency,
            country=country,
        )

    @property
    def actor(self) -> Actor:
        """The recipient as the reader of views (formatting money, dates, in their zone)."""
        return Actor(
            user_id=self.user_id,
            agency_id=self.agency_id,
            role=self.role,
            timezone=self.timezone,
            locale=self.locale,
            country=self.country,
            currency=self.currency,
        )


@dataclass(frozen=True)
class ReminderNotice:
    recipient: Recipient
    reminder: ReminderView
    contact: ContactView | None = None
    property: PropertyView | None = None
    deal: DealView | None = None
    late: bool = False  # due long before it could be sent (the bot was down)


@dataclass(frozen=True)
class DigestNotice:
    recipient: Recipient
    day: date
    agenda: Agenda  # today's reminders and the overdue ones
    stale_deals: list[DealView] = field(default_factory=list)
    stale_days: int = 14

    @property
    def empty(self) -> bool:
        return not (self.agenda.reminders or self.agenda.overdue or self.stale_deals)


@dataclass(frozen=True)
class DealChangeNotice:
    recipient: Recipient
    deal: DealView
    changed_by: str
    old_stage: str | None = None  # set when the stage changed
    old_amount: int | None = None
    amount_changed: bool = False


@dataclass(frozen=True)
class ListingMatchNotice:
    """A listing that is new, back on the market or cheaper fits some of the recipient's
    clients (the contacts they created or whose open deals they handle)."""

    recipient: Recipient
    property: PropertyView
    matches: list[ContactMatch]
    kind: str  # "new", "available" or "price_drop"
    old_price: int | None = None
