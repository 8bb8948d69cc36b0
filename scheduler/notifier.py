"""The one way jobs talk to users. ``bot.notifier`` implements it with aiogram; tests use fakes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from crm_core.notices import DealChangeNotice, DigestNotice, ListingMatchNotice, ReminderNotice


class Delivery(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a passing fault (429, 5xx, network): try again later
    UNREACHABLE = "unreachable"  # the user blocked the bot (403): stop sending to them
    FAILED = "failed"  # this message can never be sent (400): give up on it, not on the user


@dataclass(frozen=True)
class Outcome:
    status: Delivery
    retry_after: float | None = None  # seconds, when the server said how long to wait

    @classmethod
    def sent(cls) -> Outcome:
        return cls(Delivery.SENT)

    @classmethod
    def retry(cls, after: float | None = None) -> Outcome:
        return cls(Delivery.RETRY, after)

    @classmethod
    def unreachable(cls) -> Outcome:
        return cls(Delivery.UNREACHABLE)

    @classmethod
    def failed(cls) -> Outcome:
        return cls(Delivery.FAILED)


class Notifier(Protocol):
    async def send_reminder(self, notice: ReminderNotice) -> Outcome: ...

    async def send_digest(self, notice: DigestNotice) -> Outcome: ...

    async def send_deal_change(self, notice: DealChangeNotice) -> Outcome: ...

    async def send_listing_match(self, notice: ListingMatchNotice) -> Outcome: ...
