"""Properties: the listings an agency sells or lets."""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import delete, func, or_, select, update

from crm_core import values
from crm_core.context import OperationContext
from crm_core.events import ListingChanged
from crm_core.fields import (
    City,
    Count,
    LongText,
    Money,
    OptionalReference,
    Postcode,
    PropertyStatusChoice,
    PropertyTypeChoice,
    Reference,
    Rooms,
    ShortText,
    Surface,
    TransactionChoice,
)
from crm_core.i18n import N_
from crm_core.models import (
    Activity,
    Contact,
    Deal,
    Document,
    Note,
    Property,
    PropertyStatus,
    PropertyType,
    Reminder,
    Transaction,
    city_key,
)
from crm_core.operations.common import (
    apply_fields,
    history_of,
    new_record,
    next_number,
    resolve,
    resolve_optional,
    scoped,
    view_of,
    views_of,
)
from crm_core.registry import Confirmation, OperationInput, operation
from crm_core.views import DeletionSummary, PropertyCard, PropertyList, PropertyView, RecordLink

PROPERTY_FIELDS = (
    "title",
    "address",
    "city",
    "postcode",
    "property_type",
    "transaction",
    "price",
    "surface_m2",
    "rooms",
    "bedrooms",
    "description",
)


class PropertyFields(OperationInput):
    title: ShortText = Field(None, description=N_("Short title of the listing"))
    address: ShortText = Field(None, description=N_("Street address"))
    city: City = Field(None, description=N_("City"))
    postcode: Postcode = Field(None, description=N_("Postcode"))
    property_type: PropertyTypeChoice = Field(
        None, description=N_("apartment, house, land, commercial, parking or other")
    )
    transaction: TransactionChoice = Field(None, description=N_("sale or rent"))
    price: Money = Field(None, description=N_("Price (sale) or monthly rent, whole units"))
    surface_m2: Surface = Field(None, description=N_("Living surface in m²"))
    rooms: Rooms = Field(None, description=N_("Number of rooms"))
    bedrooms: Count = Field(None, description=N_("Number of bedrooms"))
    owner_contact: OptionalReference = Field(
        None, description=N_("The owner: a contact's short ref, name or phone")
    )
    description: LongText = Field(None, description=N_("Description of the listing"))


class AddProperty(PropertyFields):
    __doc__ = N_("Add a property listing.")
    positional = "title"


class FindProperties(OperationInput):
    __doc__ = N_(
        "Search listings by words, city, type, transaction, status, price, rooms, surface."
    )
    positional = "query"

    query: ShortText = Field(None, description=N_("Words of the title or address"))
    city: ShortText = Field(None, description=N_("City"))
    property_type: PropertyTypeChoice = Field(None, description=N_("Type of property"))
    transaction: TransactionChoice = Field(None, description=N_("sale or rent"))
    status: PropertyStatusChoice = Field(None, description=N_("Listing status"))
    price_min: Money = Field(None, description=N_("Minimum price"))
    price_max: Money = Field(None, description=N_("Maximum price"))
    rooms_min: Rooms = Field(None, description=N_("Minimum rooms"))
    surface_min: Surface = Field(None, description=N_("Minimum surface in m²"))
    limit: int = Field(10, ge=1, le=50, description=N_("How many results at most"))


class ShowProperty(OperationInput):
    __doc__ = N_("Show a listing with its deals, reminders, notes and activities.")
    positional = "property"

    property: Reference = Field(description=N_("Short ref (P3), or words of the title"))


class UpdateProperty(PropertyFields):
    __doc__ = N_("Change a listing's details or status.")
    positional = "property"

    property: Reference = Field(description=N_("Short ref (P3), or words of the title"))
    status: PropertyStatusChoice = Field(
        None, description=N_("available, under_offer, sold, rented or withdrawn")
    )


class DeleteProperty(OperationInput):
    __doc__ = N_("Delete a listing with its notes, activities and reminders.")
    positional = "property"

    property: Reference = Field(description=N_("Short ref (P3), or words of the title"))


def _default_title(prop: Property) -> str:
    return ", ".join(p for p in (prop.address, prop.city) if p) or prop.ref


def _refresh_key(prop: Property) -> None:
    prop.title_key = values.search_key(
        " ".join(filter(None, (prop.title, prop.address, prop.city)))
    )[: Property.title_key.type.length]


@operation("add_property", AddProperty, writes=True)
async def add_property(ctx: OperationContext, args: AddProperty) -> PropertyView:
    owner = await resolve_optional(ctx, Contact, args.owner_contact, "owner_contact")
    prop = new_record(
        ctx,
        Property,
        await next_number(ctx, Property),
        **{name: getattr(args, name) for name in PROPERTY_FIELDS},
        owner_contact_id=owner.id if owner else None,
    )
    prop.property_type = args.property_type or PropertyType.APARTMENT
    prop.transaction = args.transaction or Transaction.SALE
    prop.status = PropertyStatus.AVAILABLE
    prop.title = args.title or _default_title(prop)
    _refresh_key(prop)
    await ctx.session.flush()
    ctx.events.append(ListingChanged(prop.agency_id, prop.id, ctx.actor.user_id, "new"))
    return await view_of(ctx, prop)


@operation("find_properties", FindProperties, writes=False)
async def find_properties(ctx: OperationContext, args: FindProperties) -> PropertyList:
    query = scoped(ctx, Property)
    if args.query:
        query = query.where(
            Property.title_key.contains(values.search_key(args.query), autoescape=True)
        )
    if args.city:
        query = query.where(
            or_(Property.city_key == city_key(args.city), Property.postcode == args.city)
        )
    filters = (
        (args.property_type, Property.property_type.__eq__),
        (args.transaction, Property.transaction.__eq__),
        (args.status, Property.status.__eq__),
        (args.price_min, Property.price.__ge__),
        (args.price_max, Property.price.__le__),
        (args.rooms_min, Property.rooms.__ge__),
        (args.surface_min, Property.surface_m2.__ge__),
    )
    for value, condition in filters:
        if value is not None:
            query = query.where(condition(value))
    total = await ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (
        await ctx.session.scalars(
            query.order_by(Property.updated_at.desc(), Property.number.desc()).limit(args.limit)
        )
    ).all()
    return PropertyList(items=await views_of(ctx, rows), total=total)


@operation("show_property", ShowProperty, writes=False)
async def show_property(ctx: OperationContext, args: ShowProperty) -> PropertyCard:
    prop = await resolve(ctx, Property, args.property, "property")
    return PropertyCard(
        property=await view_of(ctx, prop), history=await history_of(ctx, "property_id", prop.id)
    )


@operation("update_property", UpdateProperty, writes=True)
async def update_property(ctx: OperationContext, args: UpdateProperty) -> PropertyView:
    prop = await resolve(ctx, Property, args.property, "property")
    if "owner_contact" in args.model_fields_set:
        owner = await resolve_optional(ctx, Contact, args.owner_contact, "owner_contact")
        prop.owner_contact_id = owner.id if owner else None
    names = [
        n
        for n in (*PROPERTY_FIELDS, "status")
        if n not in ("title", "property_type", "transaction", "status") or getattr(args, n)
    ]
    old_price, old_status = prop.price, prop.status
    apply_fields(prop, args, names)
    _refresh_key(prop)
    await ctx.session.flush()
    if (change := _listing_change(old_price, old_status, prop)) is not None:
        ctx.events.append(
            ListingChanged(prop.agency_id, prop.id, ctx.actor.user_id, change, old_price)
        )
    return await view_of(ctx, prop)


def _listing_change(old_price: int | None, old_status: str, prop: Property) -> str | None:
    """What makes clients worth telling: back on the market, or a lower price."""
    if prop.status != PropertyStatus.AVAILABLE:
        return None
    if old_status != PropertyStatus.AVAILABLE:
        return "available"
    if old_price is not None and prop.price is not None and prop.price < old_price:
        return "price_drop"
    return None


async def _dependents(ctx: OperationContext, prop: Property) -> dict[str, int]:
    counts = {}
    for label, model in (("notes", Note), ("activities", Activity), ("reminders", Reminder)):
        counts[label] = (
            await ctx.session.scalar(
                select(func.count())
                .select_from(model)
                .where(model.agency_id == ctx.actor.agency_id, model.property_id == prop.id)
            )
            or 0
        )
    return counts


async def preview_delete_property(ctx: OperationContext, args: DeleteProperty) -> Confirmation:
    prop = await resolve(ctx, Property, args.property, "property")
    summary = DeletionSummary(
        record=RecordLink(ref=prop.ref, label=prop.title), removed=await _dependents(ctx, prop)
    )
    return Confirmation("delete_property", {"property": prop.ref}, summary)


@operation("delete_property", DeleteProperty, writes=True, preview=preview_delete_property)
async def delete_property(ctx: OperationContext, args: DeleteProperty) -> DeletionSummary:
    prop = await resolve(ctx, Property, args.property, "property")
    removed = await _dependents(ctx, prop)
    agency_id = ctx.actor.agency_id
    for model in (Note, Activity, Reminder, Document):  # documents' files stay on disk
        await ctx.session.execute(
            delete(model).where(model.agency_id == agency_id, model.property_id == prop.id)
        )
    # A deal is about a client: it survives the listing, unlinked.
    await ctx.session.execute(
        update(Deal)
        .where(Deal.agency_id == agency_id, Deal.property_id == prop.id)
        .values(property_id=None)
    )
    await ctx.session.delete(prop)
    await ctx.session.flush()
    return DeletionSummary(record=RecordLink(ref=prop.ref, label=prop.title), removed=removed)
