"""What operations return: plain, serialisable views of records (never ORM objects), so the
bot can render them and the NLU can hand them to a model as tool results."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class View(BaseModel):
    pass


class RecordLink(View):
    ref: str
    label: str


class ContactView(View):
    ref: str
    name: str
    phone: str | None = None
    email: str | None = None
    role: str
    city: str | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    property_type: str | None = None
    rooms_min: int | None = None
    surface_min: int | None = None
    source: str | None = None
    notes: str | None = None


class PropertyView(View):
    ref: str
    title: str
    address: str | None = None
    city: str | None = None
    postcode: str | None = None
    property_type: str
    transaction: str
    price: int | None = None
    surface_m2: int | None = None
    rooms: int | None = None
    bedrooms: int | None = None
    owner_contact: RecordLink | None = None
    description: str | None = None
    status: str


class DealView(View):
    ref: str
    title: str | None = None
    contact: RecordLink
    property: RecordLink | None = None
    stage: str
    amount: int | None = None
    assigned_to: str | None = None


class ActivityView(View):
    ref: str
    kind: str
    summary: str | None = None
    occurred_at: datetime
    links: list[RecordLink] = []


class ReminderView(View):
    ref: str
    due_at: datetime
    text: str
    recurrence: str | None = None
    status: str
    links: list[RecordLink] = []


class NoteView(View):
    ref: str
    text: str
    created_at: datetime
    links: list[RecordLink] = []


class History(View):
    """What hangs off a record: open deals, pending reminders, recent notes and activities."""

    deals: list[DealView] = []
    reminders: list[ReminderView] = []
    notes: list[NoteView] = []
    activities: list[ActivityView] = []


class ContactCard(View):
    contact: ContactView
    history: History


class PropertyCard(View):
    property: PropertyView
    history: History


class DealCard(View):
    deal: DealView
    history: History


class ContactList(View):
    items: list[ContactView]
    total: int


class PropertyList(View):
    items: list[PropertyView]
    total: int


class DealList(View):
    items: list[DealView]
    total: int


class ReminderList(View):
    period: str
    items: list[ReminderView]


class Agenda(View):
    day: date
    reminders: list[ReminderView]
    overdue: list[ReminderView]


class DeletionSummary(View):
    """What a deletion removes (before: to confirm; after: what was done)."""

    record: RecordLink
    removed: dict[str, int]


# --- matching, lead scores, listing texts ----------------------------------------------------


class MatchPoint(View):
    """Why a match fits, or what it misses: a code and its parameters, worded by the bot."""

    code: str
    params: dict[str, str | int] = {}


class PropertyMatch(View):
    property: PropertyView
    score: int
    reasons: list[MatchPoint] = []
    misses: list[MatchPoint] = []


class ContactMatch(View):
    contact: ContactView
    score: int
    reasons: list[MatchPoint] = []
    misses: list[MatchPoint] = []


class PropertyMatches(View):
    """Listings for a buyer or tenant, best fit first."""

    contact: RecordLink
    role: str
    transaction: str | None = None  # what they look for; None: their role looks for nothing
    items: list[PropertyMatch] = []
    total: int = 0


class ContactMatches(View):
    """Buyers or tenants for a listing, best fit first."""

    property: RecordLink
    transaction: str
    items: list[ContactMatch] = []
    total: int = 0


class ScoreFactor(View):
    code: str
    points: int
    params: dict[str, str | int] = {}


class LeadScore(View):
    """An advisory score, 0-100, with what made it."""

    contact: RecordLink
    score: int
    factors: list[ScoreFactor] = []


class LeadList(View):
    items: list[LeadScore]


class ListingDescription(View):
    property: RecordLink
    text: str
    tone: str
    language: str
    written_by: str  # "ai" or "template"
