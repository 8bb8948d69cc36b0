"""Annotated field types for operation inputs: each turns what a person (or a model) typed
into the stored form, or fails with a stable error code that the bot translates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError

from crm_core import values
from crm_core.models import (
    ActivityKind,
    ContactRole,
    DealStage,
    PropertyStatus,
    PropertyType,
    Recurrence,
    Transaction,
)

E = TypeVar("E", bound=StrEnum)

MAX_MESSAGE = 4096


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context or {}


def _now(info: ValidationInfo) -> datetime:
    return _context(info).get("now") or datetime.now(UTC)


def _optional(parse: Callable[[Any, ValidationInfo], Any]) -> Callable[[Any, ValidationInfo], Any]:
    """Blank means "not given"; a parser's ValueProblem becomes a pydantic error with its code."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse(value, info)
        except values.ValueProblem as problem:
            raise PydanticCustomError(problem.code, problem.code, problem.params) from None

    return validate


def _required(parse: Callable[[Any, ValidationInfo], Any]) -> Callable[[Any, ValidationInfo], Any]:
    optional = _optional(parse)

    def validate(value: Any, info: ValidationInfo) -> Any:
        result = optional(value, info)
        if result is None:
            raise PydanticCustomError("value_missing", "value_missing", {})
        return result

    return validate


def _text(max_length: int, multiline: bool = False) -> Callable[[Any, ValidationInfo], str]:
    def parse(value: Any, _info: ValidationInfo) -> str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise values.ValueProblem("text_invalid")
        return values.clean_text(str(value), max_length=max_length, multiline=multiline)

    return parse


def _phone(value: Any, info: ValidationInfo) -> str:
    return values.parse_phone(str(value), _context(info).get("region", "FR"))


def _email(value: Any, _info: ValidationInfo) -> str:
    return values.parse_email(str(value))


def _money(value: Any, _info: ValidationInfo) -> int:
    return values.parse_money(value)


def _surface(value: Any, _info: ValidationInfo) -> int:
    return values.parse_surface(value)


def _rooms(value: Any, _info: ValidationInfo) -> int:
    return values.parse_rooms(value)


def _count(value: Any, _info: ValidationInfo) -> int:
    problem = values.ValueProblem("number_invalid", value=values.shown(value))
    try:
        number = int(str(value).strip())
    except ValueError:
        raise problem from None
    if not 0 <= number <= 1000:
        raise problem
    return number


def _datetime(value: Any, info: ValidationInfo) -> datetime:
    ctx = _context(info)
    if not isinstance(value, str | datetime):
        raise values.ValueProblem("datetime_invalid", value=values.shown(value))
    return values.parse_datetime(value, tz=ctx.get("tz", "Europe/Paris"), now=_now(info))


def _date(value: Any, info: ValidationInfo) -> date:
    ctx = _context(info)
    if not isinstance(value, str | date):
        raise values.ValueProblem("date_invalid", value=values.shown(value))
    return values.parse_date(value, tz=ctx.get("tz", "Europe/Paris"), now=_now(info))


# Words agents use for each choice, in French and English, beside the canonical values.
class Period(StrEnum):
    """A window of the agenda, for listing reminders."""

    TODAY = "today"
    TOMORROW = "tomorrow"
    WEEK = "week"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"


class Tone(StrEnum):
    """How a listing text sounds (the facts stay the same)."""

    STANDARD = "standard"
    WARM = "warm"
    PREMIUM = "premium"
    CONCISE = "concise"


class Language(StrEnum):
    """Languages a listing text can be written in."""

    EN = "en"
    FR = "fr"


SYNONYMS: dict[type[StrEnum], dict[str, str]] = {
    ContactRole: {
        "acheteur": "buyer",
        "acheteuse": "buyer",
        "acquereur": "buyer",
        "vendeur": "seller",
        "vendeuse": "seller",
        "locataire": "tenant",
        "renter": "tenant",
        "proprietaire": "landlord",
        "bailleur": "landlord",
        "owner": "landlord",
        "investisseur": "investor",
        "investisseuse": "investor",
        "autre": "other",
    },
    PropertyType: {
        "appartement": "apartment",
        "appart": "apartment",
        "flat": "apartment",
        "maison": "house",
        "villa": "house",
        "terrain": "land",
        "plot": "land",
        "local": "commercial",
        "local commercial": "commercial",
        "commerce": "commercial",
        "bureau": "commercial",
        "office": "commercial",
        "shop": "commercial",
        "garage": "parking",
        "box": "parking",
        "autre": "other",
    },
    Transaction: {
        "vente": "sale",
        "buy": "sale",
        "location": "rent",
        "rental": "rent",
        "louer": "rent",
        "a louer": "rent",
        "en location": "rent",
        "a vendre": "sale",
        "en vente": "sale",
    },
    PropertyStatus: {
        "disponible": "available",
        "sous offre": "under_offer",
        "under offer": "under_offer",
        "vendu": "sold",
        "loue": "rented",
        "retire": "withdrawn",
    },
    DealStage: {
        "prospect": "lead",
        "visite": "visit",
        "offre": "offer",
        "negociation": "negotiation",
        "compromis": "under_contract",
        "sous compromis": "under_contract",
        "under contract": "under_contract",
        "gagne": "won",
        "signe": "won",
        "perdu": "lost",
    },
    ActivityKind: {
        "appel": "call",
        "visite": "visit",
        "rdv": "meeting",
        "rendez-vous": "meeting",
        "reunion": "meeting",
        "mail": "email",
        "sms": "message",
        "autre": "other",
    },
    Recurrence: {
        "quotidien": "daily",
        "quotidienne": "daily",
        "every day": "daily",
        "hebdomadaire": "weekly",
        "every week": "weekly",
        "mensuel": "monthly",
        "mensuelle": "monthly",
        "every month": "monthly",
    },
    Tone: {
        "neutre": "standard",
        "neutral": "standard",
        "classique": "standard",
        "chaleureux": "warm",
        "chaleureuse": "warm",
        "friendly": "warm",
        "luxe": "premium",
        "luxury": "premium",
        "haut de gamme": "premium",
        "prestige": "premium",
        "court": "concise",
        "courte": "concise",
        "bref": "concise",
        "short": "concise",
    },
    Language: {
        "english": "en",
        "anglais": "en",
        "french": "fr",
        "francais": "fr",
    },
    Period: {
        "aujourd'hui": "today",
        "aujourd’hui": "today",
        "aujourdhui": "today",
        "demain": "tomorrow",
        "semaine": "week",
        "cette semaine": "week",
        "this week": "week",
        "en retard": "overdue",
        "late": "overdue",
        "a venir": "upcoming",
        "prochains": "upcoming",
        "next": "upcoming",
    },
}


def _choice(enum: type[E]) -> Callable[[Any, ValidationInfo], E]:
    # Keys go through the same normalisation as the input ("rendez-vous" -> "rendez vous").
    synonyms = {
        values.search_key(key).replace("-", " "): value
        for key, value in SYNONYMS.get(enum, {}).items()
    }

    def parse(value: Any, _info: ValidationInfo) -> E:
        key = values.search_key(str(value)).replace("-", " ").strip()
        canonical = key.replace(" ", "_")
        if canonical in enum._value2member_map_:
            return enum(canonical)
        if key in synonyms:
            return enum(synonyms[key])
        raise values.ValueProblem(
            "choice_invalid", value=values.shown(value), choices=", ".join(e.value for e in enum)
        )

    return parse


def Choice(enum: type[E]) -> Any:
    return Annotated[enum | None, BeforeValidator(_optional(_choice(enum)))]


Name = Annotated[str, BeforeValidator(_required(_text(200)))]
ShortText = Annotated[str | None, BeforeValidator(_optional(_text(200)))]
LongText = Annotated[str | None, BeforeValidator(_optional(_text(4000, multiline=True)))]
RequiredLongText = Annotated[str, BeforeValidator(_required(_text(4000, multiline=True)))]
# Texts stored in narrower columns: refused beyond the column's size, not cut by the database.
City = Annotated[str | None, BeforeValidator(_optional(_text(120)))]
Source = Annotated[str | None, BeforeValidator(_optional(_text(120)))]
Postcode = Annotated[str | None, BeforeValidator(_optional(_text(12)))]
ReminderText = Annotated[str, BeforeValidator(_required(_text(1000, multiline=True)))]
Reference = Annotated[str, BeforeValidator(_required(_text(200)))]
OptionalReference = Annotated[str | None, BeforeValidator(_optional(_text(200)))]
Phone = Annotated[str | None, BeforeValidator(_optional(_phone))]
Email = Annotated[str | None, BeforeValidator(_optional(_email))]
Money = Annotated[int | None, BeforeValidator(_optional(_money))]
Surface = Annotated[int | None, BeforeValidator(_optional(_surface))]
Rooms = Annotated[int | None, BeforeValidator(_optional(_rooms))]
Count = Annotated[int | None, BeforeValidator(_optional(_count))]
When = Annotated[datetime, BeforeValidator(_required(_datetime))]
OptionalWhen = Annotated[datetime | None, BeforeValidator(_optional(_datetime))]
Day = Annotated[date | None, BeforeValidator(_optional(_date))]
Limit = Annotated[int, Field(ge=1, le=50)]

ContactRoleChoice = Choice(ContactRole)
PropertyTypeChoice = Choice(PropertyType)
TransactionChoice = Choice(Transaction)
PropertyStatusChoice = Choice(PropertyStatus)
DealStageChoice = Choice(DealStage)
ActivityKindChoice = Choice(ActivityKind)
RecurrenceChoice = Choice(Recurrence)
PeriodChoice = Choice(Period)
ToneChoice = Choice(Tone)
LanguageChoice = Choice(Language)
