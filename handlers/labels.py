"""Translated names for the domain's values, fields and error codes."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

CHOICES: dict[str, Any] = {
    # contact roles
    "buyer": __("buyer"),
    "seller": __("seller"),
    "tenant": __("tenant"),
    "landlord": __("landlord"),
    "investor": __("investor"),
    "other": __("other"),
    # property types
    "apartment": __("apartment"),
    "house": __("house"),
    "land": __("land"),
    "commercial": __("commercial premises"),
    "parking": __("parking"),
    # transactions
    "sale": __("for sale"),
    "rent": __("for rent"),
    # property status
    "available": __("available"),
    "under_offer": __("under offer"),
    "sold": __("sold"),
    "rented": __("rented"),
    "withdrawn": __("withdrawn"),
    # deal stages
    "lead": __("lead"),
    "visit": __("visit"),
    "offer": __("offer"),
    "negotiation": __("negotiation"),
    "under_contract": __("under contract"),
    "won": __("won"),
    "lost": __("lost"),
    # activities
    "call": __("call"),
    "meeting": __("meeting"),
    "email": __("email"),
    "message": __("message"),
    # recurrence
    "daily": __("every day"),
    "weekly": __("every week"),
    "monthly": __("every month"),
    # reminder status
    "pending": __("pending"),
    "done": __("done"),
    "cancelled": __("cancelled"),
    # reminder periods
    "today": __("today"),
    "tomorrow": __("tomorrow"),
    "week": __("this week"),
    "overdue": __("overdue"),
    "upcoming": __("upcoming"),
}

FIELDS: dict[str, Any] = {
    "name": __("name"),
    "phone": __("phone"),
    "email": __("email"),
    "role": __("role"),
    "city": __("city"),
    "budget_min": __("minimum budget"),
    "budget_max": __("maximum budget"),
    "property_type": __("property type"),
    "rooms_min": __("minimum rooms"),
    "surface_min": __("minimum surface"),
    "source": __("source"),
    "notes": __("notes"),
    "title": __("title"),
    "address": __("address"),
    "postcode": __("postcode"),
    "transaction": __("transaction"),
    "price": __("price"),
    "price_min": __("minimum price"),
    "price_max": __("maximum price"),
    "surface_m2": __("surface"),
    "rooms": __("rooms"),
    "bedrooms": __("bedrooms"),
    "owner_contact": __("owner"),
    "description": __("description"),
    "status": __("status"),
    "contact": __("contact"),
    "property": __("property"),
    "deal": __("deal"),
    "stage": __("stage"),
    "amount": __("amount"),
    "kind": __("kind"),
    "summary": __("summary"),
    "occurred_at": __("date"),
    "due_at": __("time"),
    "text": __("text"),
    "recurrence": __("recurrence"),
    "reminder": __("reminder"),
    "until": __("new time"),
    "period": __("period"),
    "day": __("day"),
    "query": __("search"),
    "limit": __("limit"),
    "agent": __("agent"),
    "invite": __("invitation"),
    "record": __("record"),
    "document": __("document"),
    "sha256": __("document"),  # attach_document's stored file, named by its hash
    "tone": __("tone"),
    "language": __("language"),
}

KINDS: dict[str, Any] = {
    "contact": __("contact"),
    "property": __("property"),
    "deal": __("deal"),
    "reminder": __("reminder"),
    "note": __("note"),
    "activity": __("activity"),
    "agent": __("agent"),
    "invite": __("invitation"),
    "record": __("contact, property or deal"),
    "document": __("document"),
}


def choice(value: str | None) -> str:
    if value is None:
        return ""
    label = CHOICES.get(value)
    return str(label) if label is not None else value


def field(name: str) -> str:
    label = FIELDS.get(name)
    return str(label) if label is not None else name


def kind(name: str) -> str:
    label = KINDS.get(name)
    return str(label) if label is not None else name


def problem(code: str, params: dict[str, Any]) -> str:
    """One sentence for one validation problem; the field name is added by the caller."""
    value = params.get("value", "")
    messages = {
        "value_missing": _("this is required."),
        "missing": _("this is required."),
        "text_empty": _("this cannot be empty."),
        "text_invalid": _("this must be text."),
        "text_too_long": _("this is too long (at most {max_length} characters).").format(
            max_length=params.get("max_length", "?")
        ),
        "phone_invalid": _("“{value}” is not a phone number I can use.").format(value=value),
        "email_invalid": _("“{value}” is not a valid email address.").format(value=value),
        "money_invalid": _("“{value}” is not an amount (try 350000 or 350k).").format(value=value),
        "money_negative": _("an amount must be above zero."),
        "money_too_large": _("this amount is too large."),
        "surface_invalid": _("a surface must be a number of m² above zero."),
        "rooms_invalid": _("“{value}” is not a number of rooms (try 3, T3 or studio).").format(
            value=value
        ),
        "number_invalid": _("“{value}” is not a valid number.").format(value=value),
        "datetime_invalid": _(
            "I could not read “{value}” as a date and time (try “tomorrow 10:00” "
            "or “2026-12-24 18:00”)."
        ).format(value=value),
        "date_invalid": _(
            "I could not read “{value}” as a day (try “today” or “2026-12-24”)."
        ).format(value=value),
        "datetime_past": _("this time has already passed."),
        "choice_invalid": _("“{value}” is not one of: {choices}.").format(
            value=value,
            choices=", ".join(choice(c.strip()) for c in str(params.get("choices", "")).split(",")),
        ),
        "enum": _("this is not one of the allowed values."),
        "budget_range_invalid": _("the minimum budget is above the maximum."),
        "extra_forbidden": _("I do not know this field."),
        "file_type_refused": _("I cannot store this type of file."),
    }
    return messages.get(code) or _("this value is not valid.")
