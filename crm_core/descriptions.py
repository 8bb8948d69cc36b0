"""Listing texts from a property's facts: a template in English and French, and the protocol
of a writer (an AI provider) that the operation may be given instead.

Only the facts below ever leave the CRM for a writer: no title, address, owner, client or
free notes. Whatever writes, the text may state nothing the record does not hold, and states
the surface and the price exactly as stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from babel.numbers import format_currency, format_decimal

from crm_core.models import Property

# The facts a listing text is written from (and all that a writer is sent).
FACT_NAMES = (
    "property_type",
    "transaction",
    "city",
    "postcode",
    "price",
    "currency",
    "surface_m2",
    "rooms",
    "bedrooms",
)
MAX_LENGTH = 3000  # a Telegram message, with the header and room to spare


class DescriptionUnavailable(Exception):
    """The writer could not write (provider down, unusable answer): use the template."""


class DescriptionWriter(Protocol):
    async def write(self, facts: Mapping[str, Any], tone: str, language: str) -> str:
        """A listing text from ``facts`` only; raises DescriptionUnavailable."""
        ...


def listing_facts(prop: Property, currency: str) -> dict[str, Any]:
    facts = {name: getattr(prop, name) for name in FACT_NAMES if name != "currency"}
    facts["currency"] = currency
    return {name: value for name, value in facts.items() if value is not None}


def _digits_of(text: str) -> str:
    # "350 000 €", "350,000", "350.000" all state 350000: drop thousands separators.
    return re.sub(r"(?<=\d)[\s,.\u00a0\u202f'](?=\d{3}\b)", "", text)


def states_facts(text: str, facts: Mapping[str, Any]) -> bool:
    """True when ``text`` states the stored surface and price (a writer's answer must)."""
    flat = _digits_of(text)
    numbers = set(re.findall(r"\d+", flat))
    return all(str(facts[name]) in numbers for name in ("surface_m2", "price") if name in facts)


# --- the template ----------------------------------------------------------------------------

TYPE_NAMES = {
    "en": {
        "apartment": "apartment",
        "house": "house",
        "land": "plot of land",
        "commercial": "commercial premises",
        "parking": "parking space",
        "other": "property",
    },
    "fr": {
        "apartment": "appartement",
        "house": "maison",
        "land": "terrain",
        "commercial": "local commercial",
        "parking": "parking",
        "other": "bien",
    },
}
FR_THIS = {
    "apartment": "cet appartement",
    "house": "cette maison",
    "land": "ce terrain",
    "commercial": "ce local commercial",
    "parking": "ce parking",
    "other": "ce bien",
}
LIVING = ("apartment", "house", "other")


def _money(amount: int, currency: str, language: str) -> str:
    pattern = "#,##0 ¤" if language == "fr" else "¤#,##0"
    return format_currency(amount, currency, locale=language, format=pattern, currency_digits=False)


def _place(facts: Mapping[str, Any], language: str) -> str:
    city, postcode = facts.get("city"), facts.get("postcode")
    if city and postcode:
        where = f"{city} ({postcode})"
    elif city or postcode:
        where = city or postcode
    else:
        return ""
    return f" à {where}" if language == "fr" else f" in {where}"


def _headline(facts: Mapping[str, Any], tone: str, language: str) -> str:
    kind = facts.get("property_type", "other")
    rent = facts.get("transaction") == "rent"
    place = _place(facts, language)
    if language == "fr":
        name = TYPE_NAMES["fr"].get(kind, "bien")
        deal = "à louer" if rent else "à vendre"
        if tone == "warm":
            return f"Bienvenue dans {FR_THIS.get(kind, 'ce bien')} {deal}{place}."
        if tone == "premium":
            who = "locataires" if rent else "acquéreurs"
            return f"Pour les {who} exigeants : {name} {deal}{place}."
        return f"{name.capitalize()} {deal}{place}."
    name = TYPE_NAMES["en"].get(kind, "property")
    deal = "to rent" if rent else "for sale"
    if tone == "warm":
        return f"Welcome to this {name} {deal}{place}."
    if tone == "premium":
        who = "tenants" if rent else "buyers"
        return f"For discerning {who}: {name} {deal}{place}."
    return f"{name.capitalize()} {deal}{place}."


def _body(facts: Mapping[str, Any], language: str) -> list[str]:
    fr = language == "fr"
    living = facts.get("property_type", "other") in LIVING
    sentences = []
    surface = facts.get("surface_m2")
    if surface is not None:
        label = ("Surface habitable" if fr else "Living area") if living else "Surface"
        colon = " : " if fr else ": "
        sentences.append(f"{label}{colon}{format_decimal(surface, locale=language)} m².")
    rooms, bedrooms = facts.get("rooms"), facts.get("bedrooms")
    if rooms:
        text = (
            f"{rooms} pièce{'s' if rooms > 1 else ''}"
            if fr
            else (f"{rooms} room{'s' if rooms > 1 else ''}")
        )
        if bedrooms:
            text += (
                f", dont {bedrooms} chambre{'s' if bedrooms > 1 else ''}"
                if fr
                else f", including {bedrooms} bedroom{'s' if bedrooms > 1 else ''}"
            )
        sentences.append(text + ".")
    elif bedrooms:
        sentences.append(
            f"{bedrooms} chambre{'s' if bedrooms > 1 else ''}."
            if fr
            else f"{bedrooms} bedroom{'s' if bedrooms > 1 else ''}."
        )
    price = facts.get("price")
    if price is not None:
        amount = _money(price, facts.get("currency", "EUR"), language)
        if facts.get("transaction") == "rent":
            sentences.append(f"Loyer : {amount} par mois." if fr else f"Rent: {amount} per month.")
        else:
            sentences.append(f"Prix : {amount}." if fr else f"Price: {amount}.")
    return sentences


CLOSINGS = {
    "en": {
        "standard": "Contact us for more information or to arrange a visit.",
        "warm": "Get in touch to arrange a visit: we will be glad to show it to you.",
        "premium": "Viewings by appointment: contact us for a private visit.",
        "concise": "",
    },
    "fr": {
        "standard": "Contactez-nous pour plus d'informations ou pour organiser une visite.",
        "warm": "Contactez-nous pour organiser une visite : nous serons ravis de vous la faire "
        "découvrir.",
        "premium": "Visites sur rendez-vous : contactez-nous pour une visite privée.",
        "concise": "",
    },
}


def template(facts: Mapping[str, Any], tone: str, language: str) -> str:
    """A plain listing text from the facts alone: every sentence states a stored fact, or is
    a call to visit."""
    language = language if language in CLOSINGS else "en"
    parts = [_headline(facts, tone, language), *_body(facts, language)]
    closing = CLOSINGS[language].get(tone, CLOSINGS[language]["standard"])
    if tone == "concise":
        return " ".join(parts)
    return "\n\n".join([parts[0], " ".join(parts[1:]), closing]).replace("\n\n\n\n", "\n\n")
