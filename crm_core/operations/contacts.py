"""Contacts: the buyers, sellers, tenants, landlords and investors an agency works with."""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import delete, func, or_, select, update

from crm_core import values
from crm_core.context import OperationContext
from crm_core.fields import (
    City,
    ContactRoleChoice,
    Email,
    LongText,
    Money,
    Name,
    Phone,
    PropertyTypeChoice,
    Reference,
    Rooms,
    ShortText,
    Source,
    Surface,
)
from crm_core.i18n import N_
from crm_core.models import (
    Activity,
    Contact,
    ContactRole,
    Deal,
    Document,
    Note,
    Property,
    Reminder,
    city_key,
)
from crm_core.operations.common import (
    apply_fields,
    contact_view,
    history_of,
    new_record,
    next_number,
    resolve,
    scoped,
)
from crm_core.registry import Confirmation, OperationInput, operation
from crm_core.views import ContactCard, ContactList, ContactView, DeletionSummary, RecordLink

CONTACT_FIELDS = (
    "name",
    "phone",
    "email",
    "role",
    "city",
    "budget_min",
    "budget_max",
    "property_type",
    "rooms_min",
    "surface_min",
    "source",
    "notes",
)


class ContactFields(OperationInput):
    phone: Phone = Field(None, description=N_("Phone number, national or international"))
    email: Email = Field(None, description=N_("Email address"))
    role: ContactRoleChoice = Field(
        None, description=N_("buyer, seller, tenant, landlord, investor or other")
    )
    city: City = Field(None, description=N_("City or area they are interested in"))
    budget_min: Money = Field(None, description=N_("Minimum budget, whole currency units"))
    budget_max: Money = Field(None, description=N_("Maximum budget, whole currency units"))
    property_type: PropertyTypeChoice = Field(
        None, description=N_("apartment, house, land, commercial, parking or other")
    )
    rooms_min: Rooms = Field(None, description=N_("Minimum number of rooms"))
    surface_min: Surface = Field(None, description=N_("Minimum surface in m²"))
    source: Source = Field(None, description=N_("Where the contact came from"))
    notes: LongText = Field(None, description=N_("Free notes about the contact"))


class AddContact(ContactFields):
    __doc__ = N_("Add a contact (a buyer, seller, tenant, landlord or investor).")
    positional = "name"

    name: Name = Field(description=N_("Full name"))


class FindContacts(OperationInput):
    __doc__ = N_("Search contacts by name, phone or email, optionally by role and city.")
    positional = "query"

    query: ShortText = Field(None, description=N_("Part of a name, a phone or an email"))
    role: ContactRoleChoice = Field(None, description=N_("Only this role"))
    city: ShortText = Field(None, description=N_("Only this city"))
    limit: int = Field(10, ge=1, le=50, description=N_("How many results at most"))


class ShowContact(OperationInput):
    __doc__ = N_("Show a contact with their deals, reminders, notes and activities.")
    positional = "contact"

    contact: Reference = Field(description=N_("Short ref (C12), name, phone or email"))


class UpdateContact(ContactFields):
    __doc__ = N_("Change a contact's details.")
    positional = "contact"

    contact: Reference = Field(description=N_("Short ref (C12), name, phone or email"))
    name: ShortText = Field(None, description=N_("New full name"))


class DeleteContact(OperationInput):
    __doc__ = N_("Delete a contact with their notes, activities, reminders and deals.")
    positional = "contact"

    contact: Reference = Field(description=N_("Short ref (C12), name, phone or email"))


def _name_key(name: str) -> str:
    # Case folding can lengthen a name ("ß" -> "ss"): keep the key within its column.
    return values.search_key(name)[: Contact.name_key.type.length]


def _validate_budget(contact: Contact) -> None:
    from crm_core.errors import InvalidInput

    if (
        contact.budget_min is not None
        and contact.budget_max is not None
        and contact.budget_min > contact.budget_max
    ):
        raise InvalidInput([("budget_min", "budget_range_invalid", {})])


@operation("add_contact", AddContact, writes=True)
async def add_contact(ctx: OperationContext, args: AddContact) -> ContactView:
    contact = new_record(
        ctx,
        Contact,
        await next_number(ctx, Contact),
        name_key=_name_key(args.name),
        **{name: getattr(args, name) for name in CONTACT_FIELDS},
    )
    contact.role = args.role or ContactRole.BUYER
    _validate_budget(contact)
    await ctx.session.flush()
    return contact_view(contact)


@operation("find_contacts", FindContacts, writes=False)
async def find_contacts(ctx: OperationContext, args: FindContacts) -> ContactList:
    query = scoped(ctx, Contact)
    if args.query:
        key = values.search_key(args.query)
        conditions = [
            Contact.name_key.contains(key, autoescape=True),
            Contact.email.contains(args.query.lower(), autoescape=True),
        ]
        digits = "".join(ch for ch in args.query if ch.isdigit())
        if len(digits) >= 4:
            conditions.append(Contact.phone.contains(digits.lstrip("0"), autoescape=True))
        query = query.where(or_(*conditions))
    if args.role:
        query = query.where(Contact.role == args.role)
    if args.city:
        query = query.where(Contact.city_key == city_key(args.city))
    total = await ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await ctx.session.scalars(
        query.order_by(Contact.updated_at.desc(), Contact.number.desc()).limit(args.limit)
    )
    return ContactList(items=[contact_view(c) for c in rows], total=total)


@operation("show_contact", ShowContact, writes=False)
async def show_contact(ctx: OperationContext, args: ShowContact) -> ContactCard:
    contact = await resolve(ctx, Contact, args.contact, "contact")
    return ContactCard(
        contact=contact_view(contact), history=await history_of(ctx, "contact_id", contact.id)
    )


@operation("update_contact", UpdateContact, writes=True)
async def update_contact(ctx: OperationContext, args: UpdateContact) -> ContactView:
    contact = await resolve(ctx, Contact, args.contact, "contact")
    fields = [name for name in CONTACT_FIELDS if name != "name" or args.name]
    apply_fields(contact, args, fields)
    if args.name:
        contact.name_key = _name_key(args.name)
    if contact.role is None:
        contact.role = ContactRole.OTHER
    _validate_budget(contact)
    await ctx.session.flush()
    return contact_view(contact)


async def _dependents(ctx: OperationContext, contact: Contact) -> dict[str, int]:
    deal_ids = select(Deal.id).where(
        Deal.agency_id == ctx.actor.agency_id, Deal.contact_id == contact.id
    )
    counts = {}
    for label, model in (("notes", Note), ("activities", Activity), ("reminders", Reminder)):
        counts[label] = (
            await ctx.session.scalar(
                select(func.count())
                .select_from(model)
                .where(
                    model.agency_id == ctx.actor.agency_id,
                    or_(model.contact_id == contact.id, model.deal_id.in_(deal_ids)),
                )
            )
            or 0
        )
    counts["deals"] = (
        await ctx.session.scalar(select(func.count()).select_from(deal_ids.subquery())) or 0
    )
    return counts


async def preview_delete_contact(ctx: OperationContext, args: DeleteContact) -> Confirmation:
    contact = await resolve(ctx, Contact, args.contact, "contact")
    summary = DeletionSummary(
        record=RecordLink(ref=contact.ref, label=contact.name),
        removed=await _dependents(ctx, contact),
    )
    return Confirmation("delete_contact", {"contact": contact.ref}, summary)


@operation("delete_contact", DeleteContact, writes=True, preview=preview_delete_contact)
async def delete_contact(ctx: OperationContext, args: DeleteContact) -> DeletionSummary:
    contact = await resolve(ctx, Contact, args.contact, "contact")
    removed = await _dependents(ctx, contact)
    agency_id = ctx.actor.agency_id
    deal_ids = select(Deal.id).where(Deal.agency_id == agency_id, Deal.contact_id == contact.id)
    for model in (Note, Activity, Reminder, Document):  # documents' files stay on disk
        await ctx.session.execute(
            delete(model).where(
                model.agency_id == agency_id,
                or_(model.contact_id == contact.id, model.deal_id.in_(deal_ids)),
            )
        )
    await ctx.session.execute(
        delete(Deal).where(Deal.agency_id == agency_id, Deal.contact_id == contact.id)
    )
    await ctx.session.execute(
        update(Property)
        .where(Property.agency_id == agency_id, Property.owner_contact_id == contact.id)
        .values(owner_contact_id=None)
    )
    await ctx.session.delete(contact)
    await ctx.session.flush()
    return DeletionSummary(record=RecordLink(ref=contact.ref, label=contact.name), removed=removed)
