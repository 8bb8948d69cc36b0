"""The assistant's helpers: matching listings and clients, lead scores, listing texts."""

from __future__ import annotations

import re

from nlu.interpreter import OperationCall
from nlu.rules.common import Reading, call, name_after, words
from nlu.rules.contacts import ADD
from nlu.rules.references import CONTACT_PRONOUN, PROPERTY_PRONOUN, name_at

_LISTINGS = (
    r"(?:properties|property|listings?|biens?|annonces?|apparts?|appartements?|maisons?"
    r"|houses?|flats?|homes?|logements?|offers|offres)"
)
_MATCH_PROPERTIES = re.compile(
    # "house for sale" describes a listing: "for" names a client only before a person.
    rf"{_LISTINGS}\s+(?:\w+\s+)?(?:for|pour|(?:that |which )?(?:fit|suit|match)(?:e?s)?|matching"
    r"|qui (?:conviennent|correspondent|vont) (?:a|pour))"
    r"(?!\s+(?:sale|rent|let|lease|vente|location|louer|vendre)(?![\w]))"
    r"|(?:what|quoi|que)\s+(?:fits|suits|convient|correspond|proposer|propose)\s+(?:a|à|to|for|pour)?"
    # "match" opens the request or names its client: "who won the match" is no request.
    r"|^\s*(?:match(?:ing)?|matches|rapprochement|rapproche)(?![\w])"
    r"|(?:match(?:ing|es)?)\s+(?:for|pour)(?![\w])"
    r"|rapprochements?\s+(?:for|pour|de|du|avec)(?![\w])"
)
# "qu'est-ce que j'ai pour elle ?", "anything for her?", "rien pour Paul Martin ?": what the
# agent has for a client is a match, when a person (not a day) follows.
_FOR_WHOM = re.compile(
    r"^\s*(?:(?:do (?:i|we|you) have|have (?:i|we|you) got|got|is there|any)\s+)?"
    r"(?:anything|something|rien|quelque chose|du nouveau|des biens|des choses"
    r"|what (?:do|can|could) (?:i|we) (?:have|offer|propose|show)|what(?:'ve| have) (?:i|we) got"
    r"|qu'?est[- ]ce (?:que|qu') ?(?:j'?ai|on a|tu as|t'as|je peux proposer|on peut proposer)"
    r"|j'?ai quoi|on a quoi|t'as quoi|tu as quoi|qu'?ai[- ]je|que proposer|quoi proposer)"
    r"(?:\s+(?:de neuf|new|de nouveau|a proposer|to offer|to show|to propose))?"
    r"\s+(?:for|pour|a|à)\s+"
)
_PERSON_PRONOUN = re.compile(r"(?:elle|lui|eux|elles|her|him|them)(?![\w])")
_END = re.compile(r"[\s?!.]*$")
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
    r"is [\w' -]{1,40}? (?:a )?(?:hot|warm|good|serious) (?:lead|prospect|buyer|client)",
    r"est[- ]elle (?:chaude|serieuse)",
    r"est[- ]il (?:chaud|serieux)",
    r"chaud(?:e)?\s*\?",
    r"quel score",
)
# How warm a lead is, asked: "c'est un lead chaud ou pas ?", "is Tom Baker a hot lead?".
_HEAT = words(
    r"(?:lead|prospect|client|cliente|acheteur|acheteuse)"
    r" (?:chaude?|froide?|tiede|serieux|serieuse)",
    r"(?:hot|warm|cold|serious|good|real) (?:lead|prospect|buyer|client)",
    r"chaude?",
    r"serieux",
    r"serieuse",
)
_ASKED = re.compile(
    r"\?|(?<![\w])(?:ou pas|ou non|or not)(?![\w])|^\s*(?:is|are|est[- ]ce)(?![\w])"
)
_IS = re.compile(r"\s*(?:c'?est|est|is|it'?s|,|:|—|–|-)(?![\w'])")
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
    "fit",
    "suit",
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
    if name is None and clause.cities:
        # "biens qui correspondent à Lucas Petit": the name was read as a town after "à".
        name = name_after(clause.without_moment or clause.text, _FOR)
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


def _whom(reading: Reading) -> str | None:
    """The client after "anything for": a pronoun, a ref or a name, and nothing else."""
    clause = reading.clause
    opening = _FOR_WHOM.match(clause.low)
    if opening is None or clause.moment is not None:
        return None
    start = opening.end()
    pronoun = _PERSON_PRONOUN.match(clause.low, start)
    if pronoun and _END.fullmatch(clause.low, pronoun.end()):
        target = reading.scope.latest("contact")
        return target.ref if target else None
    ref = clause.ref("C")
    if ref and len(clause.refs) == 1 and _END.fullmatch(clause.rest.low, start):
        return ref
    found = name_at(clause.text, start, capital=True)
    # Only a capitalised name: "anything for dinner?" asks for no client.
    capitalised = clause.text.raw[start].isupper() and not clause.refs
    if found and capitalised and _END.fullmatch(clause.low, found[1]):
        known = reading.scope.named(found[0])
        return known.ref if known else found[0]
    return None


def match(reading: Reading) -> list[OperationCall] | None:
    low = reading.low
    whom = _whom(reading)
    if whom:
        return [call("match_properties", contact=whom)]
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
    low = reading.low
    asked = _HEAT.search(low) and _ASKED.search(low) and not ADD.match(low)
    if not _SCORE.search(low) and not asked:
        return None
    contact = _contact(reading)
    if contact is None and asked:
        # "Lucas Petit c'est un lead chaud ?": the name opens the question.
        found = name_at(reading.clause.rest, 0, max_words=3, capital=True)
        if found and _IS.match(low, found[1]):
            known = reading.scope.named(found[0])
            contact = known.ref if known else found[0]
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
