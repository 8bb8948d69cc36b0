"""How well a listing fits a buyer's or tenant's criteria: pure functions, no database.

A fit is a score out of 100 with the reasons it fits and what it misses, each a code with
parameters (the bot words them in the reader's language). A wrong city, the wrong transaction,
or a price beyond the budget tolerance excludes the listing outright; smaller misses cost
points, so a perfect fit always ranks first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from crm_core import values
from crm_core.models import ContactRole, Transaction

# A listing up to this much over the budget is still worth showing (prices get negotiated).
BUDGET_TOLERANCE = 0.15
# A listing this much smaller than the wanted surface is still shown, with a miss.
SURFACE_TOLERANCE = 0.15
# One room fewer than wanted is shown, with a miss; two fewer is not a fit.
ROOMS_TOLERANCE = 1

TRANSACTION_FOR_ROLE: dict[str, str] = {
    ContactRole.BUYER: Transaction.SALE,
    ContactRole.INVESTOR: Transaction.SALE,
    ContactRole.TENANT: Transaction.RENT,
}


def transaction_for(role: str) -> str | None:
    """What a contact of this role looks for; None: they are not looking (a seller...)."""
    return TRANSACTION_FOR_ROLE.get(role)


def roles_for(transaction: str) -> list[str]:
    return sorted(role for role, wanted in TRANSACTION_FOR_ROLE.items() if wanted == transaction)


@dataclass(frozen=True)
class Criteria:
    role: str
    city: str | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    property_type: str | None = None
    rooms_min: int | None = None
    surface_min: int | None = None


@dataclass(frozen=True)
class Listing:
    transaction: str
    property_type: str
    city: str | None = None
    postcode: str | None = None
    price: int | None = None
    surface_m2: int | None = None
    rooms: int | None = None


@dataclass(frozen=True)
class Point:
    """One reason or miss: a stable code and what the sentence needs."""

    code: str
    params: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Fit:
    score: int
    reasons: tuple[Point, ...]
    misses: tuple[Point, ...]


def max_price_for(budget_max: int) -> int:
    """The highest price still shown for this budget."""
    return math.floor(budget_max * (1 + BUDGET_TOLERANCE))


def min_budget_for(price: int) -> int:
    """The lowest maximum budget for which this price is still shown."""
    return math.ceil(price / (1 + BUDGET_TOLERANCE))


def min_surface_for(surface_min: int) -> int:
    return math.ceil(surface_min * (1 - SURFACE_TOLERANCE))


def max_surface_min_for(surface: int) -> int:
    return math.floor(surface / (1 - SURFACE_TOLERANCE))


def same_place(wanted: str, listing: Listing) -> bool | None:
    """True when the wanted city or postcode names the listing's place; None when the listing
    says nowhere. A two-digit "département" matches its postcodes ("69" -> 69004). Cities
    compare by values.place_key, the key stored beside them that SQL compares
    (operations/matching.py): what fits here, the SQL filter must let through."""
    if not listing.city and not listing.postcode:
        return None
    key = values.place_key(wanted)
    if listing.city and values.place_key(listing.city) == key:
        return True
    if listing.postcode:
        code = listing.postcode.replace(" ", "")
        return key == code or (key.isdigit() and len(key) in (2, 3) and code.startswith(key))
    return False


def _percent(part: float) -> int:
    return max(1, round(part * 100))


def fit(criteria: Criteria, listing: Listing) -> Fit | None:
    """The fit of ``listing`` for ``criteria``, or None when it is not a fit at all."""
    if transaction_for(criteria.role) != listing.transaction:
        return None
    reasons: list[Point] = []
    misses: list[Point] = []
    penalty = 0

    if criteria.city:
        place = same_place(criteria.city, listing)
        if place is False:
            return None
        if place:
            reasons.append(Point("city", {"city": listing.city or listing.postcode or ""}))
        else:
            misses.append(Point("city_unknown"))
            penalty += 10

    if criteria.property_type:
        if criteria.property_type == listing.property_type:
            reasons.append(Point("type", {"type": listing.property_type}))
        else:
            misses.append(
                Point("type", {"wanted": criteria.property_type, "type": listing.property_type})
            )
            penalty += 25

    if criteria.budget_max is not None or criteria.budget_min is not None:
        if listing.price is None:
            misses.append(Point("price_unknown"))
            penalty += 10
        elif criteria.budget_max is not None and listing.price > criteria.budget_max:
            if listing.price > max_price_for(criteria.budget_max):
                return None
            over = _percent(listing.price / criteria.budget_max - 1)
            misses.append(Point("over_budget", {"percent": over}))
            penalty += 5 + 2 * over
        elif criteria.budget_min is not None and listing.price < criteria.budget_min:
            under = _percent(1 - listing.price / criteria.budget_min)
            misses.append(Point("under_budget_min", {"percent": under}))
            penalty += 5 + min(under, 20)
        else:
            reasons.append(Point("budget", {"price": listing.price}))

    if criteria.rooms_min:
        if listing.rooms is None:
            misses.append(Point("rooms_unknown"))
            penalty += 5
        elif listing.rooms >= criteria.rooms_min:
            reasons.append(Point("rooms", {"rooms": listing.rooms}))
        elif listing.rooms >= criteria.rooms_min - ROOMS_TOLERANCE:
            misses.append(Point("rooms", {"rooms": listing.rooms, "wanted": criteria.rooms_min}))
            penalty += 15
        else:
            return None

    if criteria.surface_min:
        if listing.surface_m2 is None:
            misses.append(Point("surface_unknown"))
            penalty += 5
        elif listing.surface_m2 >= criteria.surface_min:
            reasons.append(Point("surface", {"surface": listing.surface_m2}))
        elif listing.surface_m2 >= min_surface_for(criteria.surface_min):
            short = _percent(1 - listing.surface_m2 / criteria.surface_min)
            misses.append(Point("surface_short", {"percent": short}))
            penalty += 5 + 2 * short
        else:
            return None

    return Fit(max(0, 100 - penalty), tuple(reasons), tuple(misses))
