"""What the operations share: short-ref numbers, resolving a reference the way a person
names a record, and turning rows into views. Every query here filters on the acting agency."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select, update

from crm_core import values
from crm_core.context import OperationContext
from crm_core.errors import Ambiguous, Candidate, NotFound
from crm_core.models import (
    MODEL_BY_PREFIX,
    Contact,
    Deal,
    LinkedRecord,
    Property,
    RecordCounter,
    Reminder,
    ReminderStatus,
    TenantRecord,
    User,
)
from crm_core.views import (
    ActivityView,
    ContactView,
    DealView,
    History,
    NoteView,
    PropertyView,
    RecordLink,
    ReminderView,
)

T = TypeVar("T", bound=TenantRecord)

REF_PATTERN = re.compile(r"^\s*#?([A-Za-z])\s*-?\s*(\d{1,9})\s*$")
MAX_CANDIDATES = 5
HISTORY_ROWS = 5


def parse_ref(text: str) -> tuple[str, int] | None:
    """``"C12"``, ``"c 12"``, ``"#C-12"`` -> ("C", 12)."""
    match = REF_PATTERN.match(text)
    if not match:
        return None
    return match.group(1).upper(), int(match.group(2))


async def next_number(ctx: OperationContext, model: type[TenantRecord]) -> int:
    """The next short-ref number for ``model`` in the acting agency; atomic under concurrency."""
    agency_id, kind = ctx.actor.agency_id, model.ref_prefix
    bump = (
        update(RecordCounter)
        .where(RecordCounter.agency_id == agency_id, RecordCounter.kind == kind)
        .values(last_number=RecordCounter.last_number + 1)
        .returning(RecordCounter.last_number)
    )
    number = (await ctx.session.execute(bump)).scalar_one_or_none()
    if number is None:
        ctx.session.add(RecordCounter(agency_id=agency_id, kind=kind, last_number=1))
        await ctx.session.flush()
        number = 1
    return number


def new_record(ctx: OperationContext, model: type[T], number: int, **fields: Any) -> T:
    # Timestamps come from the operation's clock, like every other time it handles.
    fields = {"created_at": ctx.now, "updated_at": ctx.now, **fields}
    record = model(
        agency_id=ctx.actor.agency_id, number=number, created_by_id=ctx.actor.user_id, **fields
    )
    ctx.session.add(record)
    return record


def scoped(ctx: OperationContext, model: type[T]) -> Select[tuple[T]]:
    """The one entry point for reading tenant records: always filtered on the acting agency."""
    return select(model).where(model.agency_id == ctx.actor.agency_id)


async def by_number(ctx: OperationContext, model: type[T], number: int) -> T | None:
    return await ctx.session.scalar(scoped(ctx, model).where(model.number == number))


def label_of(record: TenantRecord) -> str:
    if isinstance(record, Contact):
        return record.name
    if isinstance(record, Property):
        return record.title
    if isinstance(record, Deal):
        return record.title or record.ref
    if isinstance(record, Reminder):
        return record.text
    return record.ref


def _pick_one(records: Sequence[T], field: str, reference: str, kind: str) -> T:
    if not records:
        raise NotFound(kind, reference)
    if len(records) > 1:
        candidates = [Candidate(r.ref, label_of(r)) for r in records[:MAX_CANDIDATES]]
        raise Ambiguous(field, reference, candidates)
    return records[0]


async def _search(
    ctx: OperationContext, model: type[T], key_column: Any, reference: str
) -> Sequence[T]:
    """Exact (accent- and case-insensitive) matches first, then partial ones."""
    # Stored keys are cut to their column's size; a lookup key is cut the same way.
    key = values.search_key(reference)[: key_column.type.length]
    exact = await ctx.session.scalars(
        scoped(ctx, model).where(key_column == key).limit(MAX_CANDIDATES + 1)
    )
    found = exact.all()
    if found:
        return found
    partial = await ctx.session.scalars(
        scoped(ctx, model)
        .where(key_column.contains(key, autoescape=True))
        .order_by(model.number)
        .limit(MAX_CANDIDATES + 1)
    )
    return partial.all()


async def resolve(ctx: OperationContext, model: type[T], reference: str, field: str) -> T:
    """Find the one record of the acting agency that ``reference`` names.

    A short ref is looked up by number; a contact also by phone, email or name; a property by
    title or address; a deal by title or its contact's name. Anything of another agency is
    simply not there.
    """
    kind = field.removeprefix("owner_")
    # Callers outside the input models (privacy commands) pass raw text: without its control
    # characters (PostgreSQL refuses NUL in a query) and spacing, as names are stored.
    reference = _cleaned(reference)
    if not reference:  # an empty search would match every record
        raise NotFound(kind, reference)
    ref = parse_ref(reference)
    # Only our own prefixes make a short ref: "T3" or "F2" is how a flat is named.
    if ref is not None and ref[0] in MODEL_BY_PREFIX:
        prefix, number = ref
        record = await by_number(ctx, model, number) if prefix == model.ref_prefix else None
        if record is None:
            raise NotFound(kind, reference)
        return record
    if model is Contact:
        return await _resolve_contact(ctx, reference, field)
    if model is Property:
        found = await _search(ctx, Property, Property.title_key, reference)
        return _pick_one(found, field, reference, kind)
    if model is Deal:
        return await _resolve_deal(ctx, reference, field)
    if model is Reminder:
        found = (
            await ctx.session.scalars(
                scoped(ctx, Reminder)
                .where(
                    Reminder.status == ReminderStatus.PENDING,
                    func.lower(Reminder.text).contains(reference.lower(), autoescape=True),
                )
                .order_by(Reminder.due_at)
                .limit(MAX_CANDIDATES + 1)
            )
        ).all()
        return _pick_one(found, field, reference, kind)
    raise NotFound(kind, reference)


def _cleaned(reference: str) -> str:
    try:
        return values.clean_text(reference, max_length=len(reference) * 4)
    except values.ValueProblem:  # nothing visible: matches nothing
        return ""


async def _resolve_contact(ctx: OperationContext, reference: str, field: str) -> Contact:
    if "@" in reference:
        try:
            email = values.parse_email(reference)
        except values.ValueProblem:
            raise NotFound("contact", reference) from None
        found = (
            await ctx.session.scalars(scoped(ctx, Contact).where(Contact.email == email))
        ).all()
        return _pick_one(found, field, reference, "contact")
    if sum(ch.isdigit() for ch in reference) >= 6:
        try:
            phone = values.parse_phone(reference, ctx.actor.country)
        except values.ValueProblem:
            raise NotFound("contact", reference) from None
        found = (
            await ctx.session.scalars(scoped(ctx, Contact).where(Contact.phone == phone))
        ).all()
        return _pick_one(found, field, reference, "contact")
    found = await _search(ctx, Contact, Contact.name_key, reference)
    return _pick_one(found, field, reference, "contact")


async def _resolve_deal(ctx: OperationContext, reference: str, field: str) -> Deal:
    key = values.search_key(reference)
    query = (
        scoped(ctx, Deal)
        .join(Contact, Contact.id == Deal.contact_id)
        .where(
            or_(
                Contact.name_key.contains(key, autoescape=True),
                func.lower(Deal.title).contains(reference.lower(), autoescape=True),
            )
        )
        .order_by(Deal.number)
        .limit(MAX_CANDIDATES + 1)
    )
    found = (await ctx.session.scalars(query)).all()
    return _pick_one(found, field, reference, "deal")


async def resolve_optional(
    ctx: OperationContext, model: type[T], reference: str | None, field: str
) -> T | None:
    return None if reference is None else await resolve(ctx, model, reference, field)


# --- views ---------------------------------------------------------------------------------


async def _links_for(
    ctx: OperationContext, ids: dict[type[TenantRecord], set[int]]
) -> dict[tuple[type[TenantRecord], int], RecordLink]:
    links: dict[tuple[type[TenantRecord], int], RecordLink] = {}
    for model, wanted in ids.items():
        if not wanted:
            continue
        rows = await ctx.session.scalars(scoped(ctx, model).where(model.id.in_(wanted)))
        for row in rows:
            links[(model, row.id)] = RecordLink(ref=row.ref, label=label_of(row))
    return links


class Linker:
    """Batch-loads the records that rows link to, so a list of N rows costs a few queries."""

    def __init__(self, ctx: OperationContext) -> None:
        self.ctx = ctx
        self._wanted: dict[type[TenantRecord], set[int]] = {
            Contact: set(),
            Property: set(),
            Deal: set(),
        }
        self._links: dict[tuple[type[TenantRecord], int], RecordLink] = {}
        self._agents: dict[int, str] = {}

    def want(self, model: type[TenantRecord], record_id: int | None) -> None:
        if record_id is not None and (model, record_id) not in self._links:
            self._wanted[model].add(record_id)

    def want_links_of(self, rows: Iterable[Any]) -> None:
        for row in rows:
            if isinstance(row, LinkedRecord):
                self.want(Contact, row.contact_id)
                self.want(Property, row.property_id)
                self.want(Deal, row.deal_id)
            elif isinstance(row, Deal):
                self.want(Contact, row.contact_id)
                self.want(Property, row.property_id)
            elif isinstance(row, Property):
                self.want(Contact, row.owner_contact_id)

    async def load(self) -> None:
        self._links.update(await _links_for(self.ctx, self._wanted))
        for wanted in self._wanted.values():
            wanted.clear()

    async def load_agents(self, user_ids: set[int]) -> None:
        missing = {uid for uid in user_ids if uid not in self._agents}
        if missing:
            rows = await self.ctx.session.execute(
                select(User.id, User.name).where(
                    User.id.in_(missing), User.agency_id == self.ctx.actor.agency_id
                )
            )
            self._agents.update({uid: name for uid, name in rows.all()})

    def link(self, model: type[TenantRecord], record_id: int | None) -> RecordLink | None:
        return None if record_id is None else self._links.get((model, record_id))

    def links(self, row: LinkedRecord) -> list[RecordLink]:
        found = (
            self.link(Contact, row.contact_id),
            self.link(Property, row.property_id),
            self.link(Deal, row.deal_id),
        )
        return [link for link in found if link is not None]

    def agent(self, user_id: int | None) -> str | None:
        return None if user_id is None else self._agents.get(user_id)


def contact_view(contact: Contact) -> ContactView:
    return ContactView(
        ref=contact.ref,
        name=contact.name,
        phone=contact.phone,
        email=contact.email,
        role=contact.role,
        city=contact.city,
        budget_min=contact.budget_min,
        budget_max=contact.budget_max,
        property_type=contact.property_type,
        rooms_min=contact.rooms_min,
        surface_min=contact.surface_min,
        source=contact.source,
        notes=contact.notes,
    )


def property_view(prop: Property, linker: Linker) -> PropertyView:
    return PropertyView(
        ref=prop.ref,
        title=prop.title,
        address=prop.address,
        city=prop.city,
        postcode=prop.postcode,
        property_type=prop.property_type,
        transaction=prop.transaction,
        price=prop.price,
        surface_m2=prop.surface_m2,
        rooms=prop.rooms,
        bedrooms=prop.bedrooms,
        owner_contact=linker.link(Contact, prop.owner_contact_id),
        description=prop.description,
        status=prop.status,
    )


def deal_view(deal: Deal, linker: Linker) -> DealView:
    contact = linker.link(Contact, deal.contact_id) or RecordLink(ref="?", label="?")
    return DealView(
        ref=deal.ref,
        title=deal.title,
        contact=contact,
        property=linker.link(Property, deal.property_id),
        stage=deal.stage,
        amount=deal.amount,
        assigned_to=linker.agent(deal.assigned_to_id),
    )


def reminder_view(reminder: Reminder, linker: Linker) -> ReminderView:
    return ReminderView(
        ref=reminder.ref,
        due_at=reminder.due_at,
        text=reminder.text,
        recurrence=reminder.recurrence,
        status=reminder.status,
        links=linker.links(reminder),
    )


async def views_of(ctx: OperationContext, rows: Sequence[Any]) -> list[Any]:
    """Views for rows of one kind, with their links loaded in a few queries."""
    from crm_core.models import Activity, Note

    linker = Linker(ctx)
    linker.want_links_of(rows)
    await linker.load()
    await linker.load_agents(
        {r.assigned_to_id for r in rows if isinstance(r, Deal) and r.assigned_to_id}
    )
    result: list[Any] = []
    for row in rows:
        if isinstance(row, Contact):
            result.append(contact_view(row))
        elif isinstance(row, Property):
            result.append(property_view(row, linker))
        elif isinstance(row, Deal):
            result.append(deal_view(row, linker))
        elif isinstance(row, Reminder):
            result.append(reminder_view(row, linker))
        elif isinstance(row, Note):
            result.append(
                NoteView(
                    ref=row.ref, text=row.text, created_at=row.created_at, links=linker.links(row)
                )
            )
        elif isinstance(row, Activity):
            result.append(
                ActivityView(
                    ref=row.ref,
                    kind=row.kind,
                    summary=row.summary,
                    occurred_at=row.occurred_at,
                    links=linker.links(row),
                )
            )
    return result


async def view_of(ctx: OperationContext, row: Any) -> Any:
    return (await views_of(ctx, [row]))[0]


async def history_of(ctx: OperationContext, column_name: str, record_id: int) -> History:
    """Open deals, pending reminders, latest notes and activities linked to one record."""
    from crm_core.models import CLOSED_STAGES, Activity, Note

    def linked(model: type[T]) -> Select[tuple[T]]:
        return scoped(ctx, model).where(getattr(model, column_name) == record_id)

    session = ctx.session
    deals: list[Deal] = []
    if hasattr(Deal, column_name):
        deals = list(
            await session.scalars(
                linked(Deal).where(Deal.stage.not_in(list(CLOSED_STAGES))).order_by(Deal.number)
            )
        )
    reminders = list(
        await session.scalars(
            linked(Reminder)
            .where(Reminder.status == ReminderStatus.PENDING)
            .order_by(Reminder.due_at)
            .limit(HISTORY_ROWS)
        )
    )
    notes = list(
        await session.scalars(
            linked(Note).order_by(Note.created_at.desc(), Note.id.desc()).limit(HISTORY_ROWS)
        )
    )
    activities = list(
        await session.scalars(
            linked(Activity)
            .order_by(Activity.occurred_at.desc(), Activity.id.desc())
            .limit(HISTORY_ROWS)
        )
    )
    return History(
        deals=await views_of(ctx, deals),
        reminders=await views_of(ctx, reminders),
        notes=await views_of(ctx, notes),
        activities=await views_of(ctx, activities),
    )


def apply_fields(record: Any, args: Any, names: Iterable[str]) -> list[str]:
    """Copy the fields the caller actually gave (``None`` clears an optional field)."""
    changed = []
    for name in names:
        if name in args.model_fields_set:
            setattr(record, name, getattr(args, name))
            changed.append(name)
    return changed
