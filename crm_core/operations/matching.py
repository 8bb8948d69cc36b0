"""Matching listings and clients: SQL narrows the agency's records to plausible candidates
(status, transaction, place, price window, size), then crm_core.matching ranks them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field
from sqlalchemy import Row, func, or_

from crm_core import matching
from crm_core.context import OperationContext
from crm_core.fields import Limit, Reference
from crm_core.i18n import N_
from crm_core.models import Contact, Property, PropertyStatus, city_key
from crm_core.operations.common import contact_view, resolve, scoped, views_of
from crm_core.registry import OperationInput, operation
from crm_core.views import (
    ContactMatch,
    ContactMatches,
    MatchPoint,
    PropertyMatch,
    PropertyMatches,
    RecordLink,
)

# Candidates ranked per query at most: the SQL filters leave far fewer in practice; the cap
# bounds the work when criteria are loose (no city, no budget).
MAX_CANDIDATES = 2000

PROPERTY_COLUMNS = (
    Property.id,
    Property.transaction,
    Property.property_type,
    Property.city,
    Property.postcode,
    Property.price,
    Property.surface_m2,
    Property.rooms,
)
CONTACT_COLUMNS = (
    Contact.id,
    Contact.role,
    Contact.city,
    Contact.budget_min,
    Contact.budget_max,
    Contact.property_type,
    Contact.rooms_min,
    Contact.surface_min,
)


class MatchProperties(OperationInput):
    __doc__ = N_(
        "Listings that fit a buyer's or tenant's criteria (place, type, budget, rooms, "
        "surface), best first, with what fits and what is missing."
    )
    positional = "contact"

    contact: Reference = Field(description=N_("The buyer or tenant: short ref (C12) or name"))
    limit: Limit = Field(10, description=N_("How many results at most"))


class MatchContacts(OperationInput):
    __doc__ = N_(
        "Buyers or tenants whose criteria a listing fits, best first, with what fits and "
        "what is missing."
    )
    positional = "property"

    property: Reference = Field(description=N_("The listing: short ref (P3) or words of its title"))
    limit: Limit = Field(10, description=N_("How many results at most"))


def criteria_of(contact: Any) -> matching.Criteria:
    return matching.Criteria(
        role=contact.role,
        city=contact.city,
        budget_min=contact.budget_min,
        budget_max=contact.budget_max,
        property_type=contact.property_type,
        rooms_min=contact.rooms_min,
        surface_min=contact.surface_min,
    )


def listing_of(prop: Any) -> matching.Listing:
    return matching.Listing(
        transaction=prop.transaction,
        property_type=prop.property_type,
        city=prop.city,
        postcode=prop.postcode,
        price=prop.price,
        surface_m2=prop.surface_m2,
        rooms=prop.rooms,
    )


def _points(points: Sequence[matching.Point]) -> list[MatchPoint]:
    return [MatchPoint(code=p.code, params=dict(p.params)) for p in points]


def _ranked(fits: list[tuple[int, matching.Fit]], limit: int) -> list[tuple[int, matching.Fit]]:
    # Best score first; on a tie the newer record (higher id) first.
    return sorted(fits, key=lambda item: (-item[1].score, -item[0]))[:limit]


def property_candidates(
    ctx: OperationContext, criteria: matching.Criteria, transaction: str
) -> Any:
    """Available listings of the agency that may fit: what SQL can rule out, it does."""
    query = (
        scoped(ctx, Property)
        .with_only_columns(*PROPERTY_COLUMNS)
        .where(Property.status == PropertyStatus.AVAILABLE, Property.transaction == transaction)
    )
    if criteria.city:
        key = city_key(criteria.city) or ""
        places = [Property.city_key == key, Property.city.is_(None)]
        if key.isdigit():  # a postcode or a département: "69" finds 69004 and "69 004"
            postcode = func.replace(Property.postcode, " ", "")
            places.append(postcode.startswith(key, autoescape=True))
        query = query.where(or_(*places))
    if criteria.budget_max is not None:
        ceiling = matching.max_price_for(criteria.budget_max)
        query = query.where(or_(Property.price.is_(None), Property.price <= ceiling))
    if criteria.rooms_min:
        floor = criteria.rooms_min - matching.ROOMS_TOLERANCE
        query = query.where(or_(Property.rooms.is_(None), Property.rooms >= floor))
    if criteria.surface_min:
        floor = matching.min_surface_for(criteria.surface_min)
        query = query.where(or_(Property.surface_m2.is_(None), Property.surface_m2 >= floor))
    return query.order_by(Property.id.desc()).limit(MAX_CANDIDATES)


def contact_candidates(ctx: OperationContext, listing: matching.Listing) -> Any:
    """Contacts of the agency looking for this kind of deal whose criteria may fit."""
    query = (
        scoped(ctx, Contact)
        .with_only_columns(*CONTACT_COLUMNS)
        .where(Contact.role.in_(matching.roles_for(listing.transaction)))
    )
    if listing.city or listing.postcode:
        keys = set()
        if listing.city:
            keys.add(city_key(listing.city))
        if listing.postcode:  # a client may want a postcode or a département ("69", "974")
            code = listing.postcode.replace(" ", "")
            keys.update((code, code[:2], code[:3]))
        query = query.where(or_(Contact.city.is_(None), Contact.city_key.in_(sorted(keys))))
    if listing.price is not None:
        floor = matching.min_budget_for(listing.price)
        query = query.where(or_(Contact.budget_max.is_(None), Contact.budget_max >= floor))
    if listing.rooms is not None:
        ceiling = listing.rooms + matching.ROOMS_TOLERANCE
        query = query.where(or_(Contact.rooms_min.is_(None), Contact.rooms_min <= ceiling))
    if listing.surface_m2 is not None:
        ceiling = matching.max_surface_min_for(listing.surface_m2)
        query = query.where(or_(Contact.surface_min.is_(None), Contact.surface_min <= ceiling))
    return query.order_by(Contact.id.desc()).limit(MAX_CANDIDATES)


@operation("match_properties", MatchProperties, writes=False)
async def match_properties(ctx: OperationContext, args: MatchProperties) -> PropertyMatches:
    contact = await resolve(ctx, Contact, args.contact, "contact")
    link = RecordLink(ref=contact.ref, label=contact.name)
    transaction = matching.transaction_for(contact.role)
    if transaction is None:
        return PropertyMatches(contact=link, role=contact.role)
    criteria = criteria_of(contact)
    rows: Sequence[Row[Any]] = (
        await ctx.session.execute(property_candidates(ctx, criteria, transaction))
    ).all()
    fits = [(row.id, f) for row in rows if (f := matching.fit(criteria, listing_of(row)))]
    best = _ranked(fits, args.limit)
    props = {
        p.id: p
        for p in await ctx.session.scalars(
            scoped(ctx, Property).where(Property.id.in_([pid for pid, _fit in best]))
        )
    }
    ordered = [props[pid] for pid, _fit in best]
    views = await views_of(ctx, ordered)
    items = [
        PropertyMatch(
            property=view, score=f.score, reasons=_points(f.reasons), misses=_points(f.misses)
        )
        for view, (_pid, f) in zip(views, best, strict=True)
    ]
    return PropertyMatches(
        contact=link, role=contact.role, transaction=transaction, items=items, total=len(fits)
    )


async def fitting_contacts(
    ctx: OperationContext, prop: Property, limit: int
) -> tuple[list[tuple[Contact, matching.Fit]], int]:
    """The agency's buyers or tenants that ``prop`` fits, best first (at most ``limit``), and
    how many fit in all. Also what a new-listing or price-drop alert needs: who to tell."""
    listing = listing_of(prop)
    rows: Sequence[Row[Any]] = (await ctx.session.execute(contact_candidates(ctx, listing))).all()
    fits = [(row.id, f) for row in rows if (f := matching.fit(criteria_of(row), listing))]
    best = _ranked(fits, limit)
    contacts = {
        c.id: c
        for c in await ctx.session.scalars(
            scoped(ctx, Contact).where(Contact.id.in_([cid for cid, _fit in best]))
        )
    }
    return [(contacts[cid], f) for cid, f in best], len(fits)


def contact_match(contact: Contact, fit: matching.Fit) -> ContactMatch:
    return ContactMatch(
        contact=contact_view(contact),
        score=fit.score,
        reasons=_points(fit.reasons),
        misses=_points(fit.misses),
    )


@operation("match_contacts", MatchContacts, writes=False)
async def match_contacts(ctx: OperationContext, args: MatchContacts) -> ContactMatches:
    prop = await resolve(ctx, Property, args.property, "property")
    best, total = await fitting_contacts(ctx, prop, args.limit)
    items = [contact_match(contact, f) for contact, f in best]
    return ContactMatches(
        property=RecordLink(ref=prop.ref, label=prop.title),
        transaction=prop.transaction,
        items=items,
        total=total,
    )
