"""SQLAlchemy models. Every CRM record is a tenant record: it carries ``agency_id`` and a
per-agency ``number`` (the short ref), and its links to other records are composite foreign
keys ``(agency_id, x_id)``, so the database itself refuses a link across agencies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, validates

from crm_core import values

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive storage) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(StrEnum):
    OWNER = "owner"
    AGENT = "agent"


class ContactRole(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    TENANT = "tenant"
    LANDLORD = "landlord"
    INVESTOR = "investor"
    OTHER = "other"


class PropertyType(StrEnum):
    APARTMENT = "apartment"
    HOUSE = "house"
    LAND = "land"
    COMMERCIAL = "commercial"
    PARKING = "parking"
    OTHER = "other"


class Transaction(StrEnum):
    SALE = "sale"
    RENT = "rent"


class PropertyStatus(StrEnum):
    AVAILABLE = "available"
    UNDER_OFFER = "under_offer"
    SOLD = "sold"
    RENTED = "rented"
    WITHDRAWN = "withdrawn"


class DealStage(StrEnum):
    LEAD = "lead"
    VISIT = "visit"
    OFFER = "offer"
    NEGOTIATION = "negotiation"
    UNDER_CONTRACT = "under_contract"
    WON = "won"
    LOST = "lost"


CLOSED_STAGES = frozenset({DealStage.WON, DealStage.LOST})


class ActivityKind(StrEnum):
    CALL = "call"
    VISIT = "visit"
    MEETING = "meeting"
    EMAIL = "email"
    MESSAGE = "message"
    OTHER = "other"


class Recurrence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


# --- accounts (not tenant records: resolved before the agency is known) -------------------


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    # Off: no message of this agency goes to an AI provider (the offline parser serves).
    ai_processing: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    """A Telegram user known to the service; a member of at most one agency."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str | None] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    adult_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    policy_version: Mapped[str | None] = mapped_column(String(20))
    policy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The user's right to restriction: none of their messages goes to an AI provider.
    ai_restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when Telegram answers 403 (the user blocked the bot): nothing more is sent to them
    # until they come back (unblocking the bot clears it).
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    digest_time: Mapped[str] = mapped_column(String(5), default="08:00", server_default="08:00")
    # The user's local day of the last digest: claimed atomically, so one digest a day at most.
    last_digest_on: Mapped[date | None] = mapped_column(Date)
    # The right to object: no usage analytics about this person.
    analytics_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Marketing is opt-in only: off until the person switches it on, withdrawable.
    marketing_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Account erasure requested: the purge job removes the personal data at this time.
    deletion_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invite(Base):
    """An invitation link to join an agency. Only a hash of its token is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_invites_agency_id", "agency_id"),)


class PrivacyKind(StrEnum):
    ACCESS = "access"
    EXPORT = "export"
    ERASURE = "erasure"
    RECTIFICATION = "rectification"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    MARKETING = "marketing"
    CLIENT_EXPORT = "client_export"
    CLIENT_ERASURE = "client_erasure"


class PrivacyRequest(Base):
    """A data-protection request, logged with its legal due date (one month). ``details``
    never holds personal data: a field name, a short ref, "on"/"off"."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SET NULL / CASCADE: the log follows the account's anonymisation and the agency's closing.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[str | None] = mapped_column(String(200))


class AuditEvent(Base):
    """Who did what and when, never the personal data itself: an operation or account action,
    at most a short ref (C12, I3, U7) and the outcome."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # CASCADE: closing the agency takes its trail with it. user_id survives the person's
    # erasure and then names the anonymised "former agent".
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20), default="ok")


class UsageCount(Base):
    """Usage analytics: how often a feature was used, per day and agency (never by whom)."""

    __tablename__ = "usage_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # No foreign key: 0 stands for "no agency yet"; a closed agency's rows go with it.
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class UsageLatency(Base):
    """Usage analytics: how many runs of an operation fell in each latency bucket."""

    __tablename__ = "usage_latencies"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation: Mapped[str] = mapped_column(String(64), primary_key=True)
    le_ms: Mapped[int] = mapped_column(Integer, primary_key=True)  # the bucket's upper bound
    count: Mapped[int] = mapped_column(Integer, default=0)


class RecordCounter(Base):
    """The last short-ref number handed out, per agency and record kind."""

    __tablename__ = "record_counters"

    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


# --- tenant records ----------------------------------------------------------------------


class TenantRecord:
    """Columns and constraints shared by every per-agency record."""

    ref_prefix: ClassVar[str]

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        table = cls.__tablename__  # type: ignore[attr-defined]
        return (
            UniqueConstraint("agency_id", "number", name=f"uq_{table}_agency_number"),
            # Target of the composite foreign keys that keep links inside one agency.
            UniqueConstraint("agency_id", "id", name=f"uq_{table}_agency_id_id"),
            *cls.__extra_table_args__(),
        )

    @classmethod
    def __extra_table_args__(cls) -> tuple[Any, ...]:
        return ()

    @property
    def ref(self) -> str:
        return f"{self.ref_prefix}{self.number}"


def same_agency_link(table: str, column: str, target: str) -> ForeignKeyConstraint:
    """A foreign key that can only point at a record of the same agency."""
    return ForeignKeyConstraint(
        ["agency_id", column],
        [f"{target}.agency_id", f"{target}.id"],
        name=f"fk_{table}_{column}_same_agency",
    )


# Matching compares places by key, in SQL and in Python alike (crm_core.matching.same_place):
# "Saint-Etienne", "ST ÉTIENNE" and "St-Étienne" are one town. Case folding and "St" -> "Saint"
# can lengthen a name: the key has room, and is cut to its column all the same.
CITY_KEY_LENGTH = 200


def city_key(city: str | None) -> str | None:
    """The stored key of a city (crm_core.values.place_key); None for no city."""
    return None if city is None else values.place_key(city)[:CITY_KEY_LENGTH]


class Contact(TenantRecord, Base):
    __tablename__ = "contacts"
    ref_prefix = "C"

    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20), default=ContactRole.BUYER)
    city: Mapped[str | None] = mapped_column(String(120))
    city_key: Mapped[str | None] = mapped_column(String(CITY_KEY_LENGTH))
    budget_min: Mapped[int | None] = mapped_column(BigInteger)
    budget_max: Mapped[int | None] = mapped_column(BigInteger)
    property_type: Mapped[str | None] = mapped_column(String(20))
    rooms_min: Mapped[int | None] = mapped_column(Integer)
    surface_min: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def __extra_table_args__(cls) -> tuple[Any, ...]:
        # Matching a listing with its buyers or tenants (operations/matching.py).
        return (
            Index("ix_contacts_matching", "agency_id", "role", "budget_max"),
            Index("ix_contacts_city_key", "agency_id", "city_key"),
        )

    @validates("city")
    def _keep_city_key(self, _name: str, city: str | None) -> str | None:
        # Every write of the city through the ORM (operations, imports) keeps its key.
        self.city_key = city_key(city)
        return city


class Property(TenantRecord, Base):
    __tablename__ = "properties"
    ref_prefix = "P"

    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str] = mapped_column(String(400), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    city_key: Mapped[str | None] = mapped_column(String(CITY_KEY_LENGTH))
    postcode: Mapped[str | None] = mapped_column(String(12))
    property_type: Mapped[str] = mapped_column(String(20), default=PropertyType.APARTMENT)
    transaction: Mapped[str] = mapped_column(String(10), default=Transaction.SALE)
    price: Mapped[int | None] = mapped_column(BigInteger)
    surface_m2: Mapped[int | None] = mapped_column(Integer)
    rooms: Mapped[int | None] = mapped_column(Integer)
    bedrooms: Mapped[int | None] = mapped_column(Integer)
    owner_contact_id: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=PropertyStatus.AVAILABLE)

    @classmethod
    def __extra_table_args__(cls) -> tuple[Any, ...]:
        return (
            same_agency_link(cls.__tablename__, "owner_contact_id", "contacts"),
            # Matching a buyer or tenant with available listings (operations/matching.py).
            Index("ix_properties_matching", "agency_id", "status", "transaction", "price"),
            Index("ix_properties_city_key", "agency_id", "city_key"),
        )

    @validates("city")
    def _keep_city_key(self, _name: str, city: str | None) -> str | None:
        # Every write of the city through the ORM (operations, imports) keeps its key.
        self.city_key = city_key(city)
        return city


class Deal(TenantRecord, Base):
    __tablename__ = "deals"
    ref_prefix = "D"

    title: Mapped[str | None] = mapped_column(String(200))
    contact_id: Mapped[int] = mapped_column(Integer)
    property_id: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(20), default=DealStage.LEAD)
    amount: Mapped[int | None] = mapped_column(BigInteger)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def __extra_table_args__(cls) -> tuple[Any, ...]:
        return (
            same_agency_link(cls.__tablename__, "contact_id", "contacts"),
            same_agency_link(cls.__tablename__, "property_id", "properties"),
            # A contact's open deals, for lead scores (operations/leads.py).
            Index("ix_deals_contact_stage", "agency_id", "contact_id", "stage"),
        )


class LinkedRecord(TenantRecord):
    """A record that may hang off a contact, a property and/or a deal."""

    contact_id: Mapped[int | None] = mapped_column(Integer, index=True)
    property_id: Mapped[int | None] = mapped_column(Integer, index=True)
    deal_id: Mapped[int | None] = mapped_column(Integer, index=True)

    @classmethod
    def __extra_table_args__(cls) -> tuple[Any, ...]:
        return (
            same_agency_link(cls.__tablename__, "contact_id", "contacts"),
            same_agency_link(cls.__tablename__, "property_id", "properties"),
            same_agency_link(cls.__tablename__, "deal_id", "deals"),
        )


class Activity(LinkedRecord, Base):
    __tablename__ = "activities"
    ref_prefix = "A"

    kind: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def __extra_table_args__(cls) -> tuple[Any, ...]:
        # Lead scores aggregate a contact's activities by time and kind from this index alone.
        return (
            *super().__extra_table_args__(),
            Index("ix_activities_contact_time", "agency_id", "contact_id", "occurred_at", "kind"),
        )


class Reminder(LinkedRecord, Base):
    __tablename__ = "reminders"
    ref_prefix = "R"

    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    text: Mapped[str] = mapped_column(String(1000))
    recurrence: Mapped[str | None] = mapped_column(String(10))
    # While a recurring reminder is snoozed: the scheduled time of the occurrence the snooze
    # stands for. The series goes on from it (see crm_core/recurrence.py), not from the snoozed
    # due_at, so a snooze moves one occurrence and never the later ones.
    series_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=ReminderStatus.PENDING, index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Delivery (see scheduler/delivery.py). A reminder is owed a message while it is pending
    # and not fired since its current due_at; a worker claims it with a lease first.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Note(LinkedRecord, Base):
    __tablename__ = "notes"
    ref_prefix = "N"

    text: Mapped[str] = mapped_column(Text)


class Document(LinkedRecord, Base):
    """A file attached to a contact, property or deal. The bytes live encrypted in the file
    store (crm_core/storage.py) under the agency and ``sha256``: one copy per agency."""

    __tablename__ = "documents"
    # Not "F": "F2" names a two-room flat, and a short ref prefix would shadow it.
    ref_prefix = "K"

    name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)


TENANT_MODELS: tuple[type[TenantRecord], ...] = (Contact, Property, Deal, Activity, Reminder, Note)
MODEL_BY_PREFIX: dict[str, type[TenantRecord]] = {
    m.ref_prefix: m for m in (*TENANT_MODELS, Document)
}
