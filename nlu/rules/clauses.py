"""A message cut into clauses (one intent each), and the entities of one clause."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from nlu.rules import entities
from nlu.rules.dates import Moment, find_moment
from nlu.rules.entities import Found
from nlu.rules.text import Text

# A new clause starts at a connector followed by a verb that opens an intent of its own:
# "add Marie ... and remind me to call her tomorrow".
_OPENERS = (
    r"remind|rappelle|rappel|add|ajoute|create|cree|set|mets|note|log|schedule|programme"
    r"|show|montre|affiche|find|cherche|trouve|move|passe|book|plan|planifie|mark|marque"
)
_SPLIT = re.compile(
    rf"\s*(?:[,;.]\s*(?:and|et|then|puis|also|aussi)?|\b(?:and|et|then|puis|also)\b)\s+"
    rf"(?:(?:then|puis|also|aussi|please|stp)\s+)?(?=(?:{_OPENERS})\b)"
)
_FRENCH = re.compile(
    r"(?<![\w])(?:le|la|les|un|une|des|du|de|et|pour|avec|demain|moi|mon|ma|mes|rappelle|"
    r"ajoute|appele|appelle|aujourd'hui|qu'est|quoi|j'ai|nouveau|nouvelle|acheteur|acheteuse|"
    r"vendeur|bien|passe|cherche|montre|supprime|fiche|rdv|visite|offre|a|à|sur|chez)(?![\w])"
)
_ENGLISH = re.compile(
    r"(?<![\w])(?:the|a|an|and|to|for|with|tomorrow|me|my|remind|add|called|call|today|what|"
    r"new|buyer|seller|show|find|delete|move|deal|meeting|visited|met|in|on|her|him|it|is)"
    r"(?![\w])"
)


def language(text: Text) -> str:
    """ "fr" or "en", whichever the little words say (ties go to the hint)."""
    fr = len(_FRENCH.findall(text.low)) + len(re.findall(r"[éèêàçù]", text.raw.lower()))
    en = len(_ENGLISH.findall(text.low))
    if fr == en:
        return ""
    return "fr" if fr > en else "en"


# A cue alone after the task ("mardi 14h visite P3, rappelle-moi") belongs to that task.
_CUE_ONLY = re.compile(
    r"\s*(?:remind me|rappelle[- ]?moi|rappel(?:le)? moi|n'oublie pas|don'?t forget)\W*"
)


# A note's body is free text ("note: il a un chien, cherche un jardin"): only a reminder
# after it is a clause of its own.
_NOTE_OPENING = re.compile(
    r"^\s*(?:(?:add|ajoute|ajouter|write|ecris|mets|put|create|cree)\s+(?:a |an |une |un )?)?"
    r"(?:notes?|nb|memo|remarque|comment(?:aire)?)(?![\w])"
    # the record first: "Lucas Petit note: ...", "P3 nb - ..."
    r"|^\s*(?:[cpdr]\d+|[^\W\d_][\w'-]*(?:\s+[^\W\d_][\w'-]*){0,2})\s+(?:notes?|nb|memo)(?![\w])"
)
_REMINDER_OPENING = re.compile(r"remind|rappel")


def split(text: Text) -> list[Text]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SPLIT.finditer(text.low):
        if _CUE_ONLY.fullmatch(text.low[match.end() :]):
            break
        if _NOTE_OPENING.match(text.low[start : match.start()]) and not (
            _REMINDER_OPENING.match(text.low, match.end())
        ):
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text.raw)))
    parts = [text.slice(a, b) for a, b in spans]
    return [p for p in parts if p.low.strip()]


@dataclass
class Clause:
    """One clause and what it holds; ``rest`` is the text with every entity blanked out."""

    text: Text
    lang: str
    moment: Moment | None = None
    without_moment: Text | None = None
    refs: list[Found] = field(default_factory=list)
    emails: list[Found] = field(default_factory=list)
    phones: list[Found] = field(default_factory=list)
    surfaces: list[Found] = field(default_factory=list)
    rooms: list[Found] = field(default_factory=list)
    bedrooms: list[Found] = field(default_factory=list)
    money: list[Found] = field(default_factory=list)
    roles: list[Found] = field(default_factory=list)
    types: list[Found] = field(default_factory=list)
    transactions: list[Found] = field(default_factory=list)
    cities: list[Found] = field(default_factory=list)
    postcodes: list[Found] = field(default_factory=list)
    rest: Text = field(default_factory=lambda: Text("", ""))

    @property
    def low(self) -> str:
        return self.text.low

    def ref(self, prefix: str) -> str | None:
        return next((str(f.value) for f in self.refs if str(f.value).startswith(prefix)), None)

    def first(self, name: str) -> object | None:
        found: list[Found] = getattr(self, name)
        return found[0].value if found else None


# Greetings and polite openings carry no intent: blanked so rules see the request itself
# ("Bonjour, pourriez-vous enregistrer un contact" reads as "enregistrer un contact").
_COURTESY = re.compile(
    r"^\s*(?:(?:bonjour|bonsoir|salut|coucou|hello|hi|hey)(?![\w])[\s,!.]*)?"
    r"(?:(?:pourriez|pouvez|pourrais|peux|veux|voulez|voudriez)[- ]?(?:vous|tu)|tu peux"
    r"|tu pourrais|vous pouvez|vous pourriez|could you|can you|would you|will you|merci de"
    r"|je voudrais|i(?:'d| would) like to|s'il (?:te|vous) pla[iî]t)?"
    r"(?:[\s,]*(?:please|pls|plz|stp|svp|kindly))*[\s,:]*"
)


def courteous(text: Text) -> Text:
    """The text with its greeting and polite opening blanked (kept aligned)."""
    match = _COURTESY.match(text.low)
    if match is None or not match.group(0).strip(" ,:"):
        return text
    return text.cut(0, match.end())


def read(text: Text, lang: str, tz: str, now: datetime, region: str) -> Clause:
    text = courteous(text)
    clause = Clause(text=text, lang=lang)
    rest = text
    clause.emails, rest = entities.emails(rest)
    clause.phones, rest = entities.phones(rest, region)
    clause.moment, rest = find_moment(rest, tz, now)
    clause.without_moment = rest
    clause.refs, rest = entities.refs(rest)
    clause.surfaces, rest = entities.surfaces(rest)
    clause.bedrooms, rest = entities.bedrooms(rest)
    clause.rooms, rest = entities.rooms(rest)
    # "69002 Lyon" is a postcode, not 69 002 €: read before amounts when a town follows.
    towns, rest = entities.postcodes(rest, with_town=True)
    clause.money, rest = entities.money(rest)
    clause.postcodes, rest = entities.postcodes(rest)
    clause.postcodes = sorted(towns + clause.postcodes, key=lambda f: f.start)
    clause.roles, rest = entities.roles(rest)
    clause.transactions, rest = entities.transactions(rest)
    clause.types, rest = entities.property_types(rest)
    clause.cities, rest = entities.cities(rest)
    if not clause.cities and towns:
        town = entities.place_after_postcode(rest, towns[0])
        if town is not None:
            clause.cities, rest = [town], rest.cut(town.start, town.end)
    clause.rest = rest
    return clause
