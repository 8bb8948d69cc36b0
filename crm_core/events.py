"""Domain events: what an operation did that someone else may need to hear about. Operations
append them to their context; the CRM service hands them out once the work is committed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DealChanged:
    """A deal moved to another stage, or its amount changed."""

    agency_id: int
    deal_id: int
    actor_user_id: int
    old_stage: str | None = None  # None: the stage did not change
    old_amount: int | None = None
    amount_changed: bool = False


@dataclass(frozen=True)
class ListingChanged:
    """A listing became worth a look for the agency's clients: new, back on the market, or
    cheaper than before."""

    agency_id: int
    property_id: int
    actor_user_id: int
    kind: str  # "new", "available" (back on the market) or "price_drop"
    old_price: int | None = None


DomainEvent = DealChanged | ListingChanged
