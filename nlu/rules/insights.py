"""The assistant's helpers: matching listings and clients, lead scores, listing texts."""

from __future__ import annotations

import re

from nlu.interpreter import OperationCall
from nlu.rules.common import Reading, call, name_after, words
from nlu.rules.references import CONTACT_PRONOUN, PROPERTY_PRONOUN

_LISTINGS = (
    r"(?:properties|property|listings?|biens?|annonces?|apparts?|appartements?|maisons?"
    r"|houses?|flats?|homes?|logements?|offers|offres)"
)
_MATCH_PROPERTIES = re.compile(
    # "house for sale" describes a listing: "for" names a client only before a person.
    rf"{_LISTINGS}\s+(?:\w+\s+)?(?:for|pour|that (?:fit|suit|match)"
    r"|qui (?:conviennent|correspondent|vont) (?:a|pour))"
    r"(?!\s+(?:sale|rent|let|lease|vente|location|louer|vendre)(?![\w]))"
    r"|(?:what|quoi|que)\s+(?:fits|suits|convient|correspond|proposer|propose)\s+(?:a|à|to|for|pour)?"
    r"|(?:match(?:ing)?|matches|rapprochement|rapproche)(?:\s+(?:for|pour|de|du|avec))?"
)
_MATCH_CONTACTS = re.compile(
    r"(?:buyers?|acheteurs?|clients?|tenants?|locataires?|who|qui|interested|interesses?|contacts?)"
    r"\s+.*?(?:for|pour|par|in|dans|would buy|could buy|pourrait acheter|serait interesse)"
)
_SCORE = words(
    r"score",
    r"scorer",
    r"lead score",
    r"qualifie",
    r"qualify",
    r"how hot",
    r"is \w+ (?:a )?(?:hot|good|serious)",
    r"est[- ]elle (?:chaude|serieuse)",
    r"est[- ]il (?:chaud|serieux)",
    r"chaud(?:e)?\s*\?",
    r"quel score",
)
_DESCRIBE = re.compile(
    r"(?:write|draft|redige|rediger|ecris|ecrire|genere|generate|fais|make|cree|create|prepare)"
    r"\s+(?:moi\s+)?(?:a |an |une |un |la |le |the )?(?:\w+\s+)?"
    r"(?:description|annonce|listing|ad|texte|text|pitch)"
    r"|(?:describe|decris)(?![\w])|description\s+(?:du|de|for|of|pour)"
)
_TONES = {
    "warm": words("warm", "chaleureu(?:x|se)", "friendly", "cosy", "cozy"),
    "luxury": words("luxury", "luxe", "luxueux", "prestige", "premium", "haut de gamme"),
    "professional": words("professional", "professionnel(?:le)?", "pro", "formal", "formel"),
    "concise": words("short", "concise", "court(?:e)?", "concis(?:e)?", "brief"),
    "dynamic": words("dynamic", "dynamique", "fun", "punchy", "catchy", "accrocheu(?:r|se)"),
}
_LANGUAGES = {
    "en": words("in english", "en anglais", "english"),
    "fr": words("in french", "en francais", "french", "francais"),
}
_FOR = words(
    "score lead",
    "lead score",
    "for",
    "pour",
    "to",
    "a",
    "de",
    "du",
    "avec",
    "with",
    "match",
    "matching",
    "fits",
    "suits",
    "score",
    "qualifie",
    "qualify",
    "is",
)


def _contact(reading: Reading) -> str | None:
    clause = reading.clause
    ref = clause.ref("C")
    if ref:
        return ref
    if CONTACT_PRONOUN.search(clause.low) or re.search(
        r"(?<![\w])(?:elle|lui|her|him)(?![\w])", clause.low
    ):
        target = reading.scope.latest("contact")
        return target.ref if target else None
    name = name_after(clause.rest, _FOR)
    if name:
        known = reading.scope.named(name)
        return known.ref if known else name
    return None


def _property(reading: Reading) -> str | None:
    clause = reading.clause
    ref = clause.ref("P")
    if ref:
        return ref
    if PROPERTY_PRONOUN.search(clause.low) or re.search(
        r"(?<![\w])(?:ce bien|le bien|it|this one)", clause.low
    ):
        target = reading.scope.latest("property")
        return target.ref if target else None
    return None


def match(reading: Reading) -> list[OperationCall] | None:
    low = reading.low
    if reading.clause.ref("P") and (_MATCH_CONTACTS.search(low) or re.search(r"match", low)):
        return [call("match_contacts", property=reading.clause.ref("P"))]
    if _MATCH_PROPERTIES.search(low) and not reading.clause.ref("P"):
        contact = _contact(reading)
        if contact:
            return [call("match_properties", contact=contact)]
    if _MATCH_CONTACTS.search(low) and re.search(
        r"(?<![\w])(?:it|ce bien|le bien|this one|this property)", low
    ):
        prop = _property(reading)
        if prop:
            return [call("match_contacts", property=prop)]
    return None


def score(reading: Reading) -> list[OperationCall] | None:
    if not _SCORE.search(reading.low):
        return None
    contact = _contact(reading)
    return [call("score_lead", contact=contact)] if contact else None


def describe(reading: Reading) -> list[OperationCall] | None:
    if not _DESCRIBE.search(reading.low):
        return None
    prop = _property(reading)
    if prop is None:
        return None
    tone = next((t for t, p in _TONES.items() if p.search(reading.low)), None)
    language = next((lang for lang, p in _LANGUAGES.items() if p.search(reading.low)), None)
    return [call("write_description", property=prop, tone=tone, language=language)]
