"""Deals: create, move through the stages ("passe D2 en offre", "Marie a fait une offre"),
show and list."""

from __future__ import annotations

import re

from nlu.interpreter import OperationCall
from nlu.rules.common import Reading, call, name_after, words
from nlu.rules.contacts import SHOW
from nlu.rules.entities import stages
from nlu.rules.references import (
    CONTACT_PRONOUN,
    DEAL_PRONOUN,
    PROPERTY_PRONOUN,
    is_name_word,
    name_at,
)
from nlu.rules.text import Text

_DEAL = r"(?:deal|affaire|dossier|opportunite|opportunity|transaction|vente)"
_CREATE = re.compile(
    r"^\s*(?:(?:please|stp)\s+)?(?:new|create|open|cree|creer|ouvre|ouvrir|nouveau|nouvelle"
    r"|ajoute|add|start|demarre|lance)(?:\s+(?:a|an|un|une|le|la|new|nouveau|nouvelle))?\s+"
    + _DEAL
    + r"s?(?![\w])"
)
_FOR = words("for", "pour", "with", "avec", "de", "client", "contact")
_ON = words("on", "sur", "for", "pour", "bien")
_MOVE = re.compile(
    r"^\s*(?:move|passe|passer|mets|put|set|change|bascule|avance|advance|update|mark|marque"
    r"|deplace)(?![\w])"
)
_MOVE_TO = words("to", "en", "a", "au", "at", "in", "into", "as", "comme", "->", "stage", "etape")
# "Marie a fait une offre", "Paul made an offer of 340k": the client's deal moves.
_EVENTS = [
    (
        re.compile(
            r"(?:a fait|a fait une|fait une|made an|made|put in an|submitted an|a propose)"
            r"\s*(?:une |an )?(?:offre|offer)(?![\w])"
        ),
        "offer",
    ),
    (
        re.compile(
            r"(?:a signe|signe|signed|a signé)\s+(?:le |la |the )?(?:compromis"
            r"|promesse|sales? agreement|contract|contrat|offer)"
        ),
        "under_contract",
    ),
    (re.compile(r"(?:compromis|promesse) signee?(?![\w])"), "under_contract"),
    (
        re.compile(
            r"(?:a signe|signed)\s+(?:l'acte|the deed|the deal|chez le notaire)|acte signe"
            r"|(?:vente|deal|sale) (?:conclue?|closed|done|signee?)"
        ),
        "won",
    ),
    (
        re.compile(
            r"(?:abandonne|laisse tomber|n'est plus interesse|plus interesse|dropped out"
            r"|backed out|pulled out|walked away|renonce|not interested anymore"
            r"|no longer interested)"
        ),
        "lost",
    ),
    (re.compile(r"(?:negocie|negotiating|en negociation|in negotiation)"), "negotiation"),
]


# "un deal pour lui", "a deal for her": the person is the last contact in view.
_FOR_PRONOUN = re.compile(
    r"(?<![\w])(?:for|pour|with|avec)\s+(?:him|her|them|lui|elle|eux)(?![\w])"
)
# "Marie Dupont's deal": the possessor, without the verb that may open the sentence.
_POSSESSOR = re.compile(r"((?:[A-ZÀ-Ý][\w-]+ ){0,2}[A-ZÀ-Ý][\w-]+)'s (?=" + _DEAL + r"s?(?![\w]))")


def _possessor(reading: Reading) -> str | None:
    match = _POSSESSOR.search(reading.clause.text.raw)
    if match is None:
        return None
    words = match[1].split()
    while words and not is_name_word(words[0].lower()):
        words.pop(0)
    if len(words) > 1 and (_MOVE.match(words[0].lower()) or SHOW.match(words[0].lower())):
        words.pop(0)
    return " ".join(words) or None


def _client(text: Text, reading: Reading) -> str | None:
    clause = reading.clause
    ref = clause.ref("C")
    if ref:
        return ref
    if CONTACT_PRONOUN.search(text.low) or _FOR_PRONOUN.search(text.low):
        target = reading.scope.latest("contact")
        return target.ref if target else None
    name = name_after(text, _FOR)
    if name:
        known = reading.scope.named(name)
        return known.ref if known else name
    return None


def create(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = _CREATE.match(clause.rest.low)
    if match is None:
        return None
    rest = clause.rest.slice(match.end(), len(clause.rest.raw))
    contact = _client(rest, reading) or (name_at(rest, 0) or (None,))[0]
    if contact is None:
        return None
    prop = clause.ref("P")
    if prop is None and PROPERTY_PRONOUN.search(clause.low):
        target = reading.scope.latest("property")
        prop = target.ref if target else None
    found, _ = stages(clause.rest)
    reading.scope.push("deal", contact, contact)
    return [
        call(
            "create_deal",
            contact=contact,
            property=prop,
            stage=found[0].value if found else None,
            amount=clause.first("money"),
        )
    ]


def _deal(reading: Reading) -> str | None:
    clause = reading.clause
    ref = clause.ref("D")
    if ref:
        return ref
    if DEAL_PRONOUN.search(clause.low) or re.search(r"-le(?![\w])|(?<![\w])le (?=en )", clause.low):
        target = reading.scope.latest("deal")
        if target:
            return target.ref
    possessor = _possessor(reading)
    if possessor:
        return possessor
    name = name_after(clause.rest, re.compile(_DEAL + r"s?\s+(?:de|du|d'|with|avec|for|pour)?"))
    return name


def update_stage(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    found, _ = stages(clause.rest)
    moved = _MOVE.match(clause.low) or clause.ref("D") or re.search(_DEAL, clause.low)
    if found and moved:
        deal = _deal(reading)
        if deal is None:
            return None
        return [call("update_deal", deal=deal, stage=found[-1].value, amount=clause.first("money"))]
    for pattern, stage in _EVENTS:
        if pattern.search(clause.low):
            deal = clause.ref("D") or _subject(reading)
            if deal is None:
                return None
            return [call("update_deal", deal=deal, stage=stage, amount=clause.first("money"))]
    if clause.ref("D") and clause.money and re.search(r"montant|amount|prix|price", clause.low):
        return [call("update_deal", deal=clause.ref("D"), amount=clause.first("money"))]
    return None


def _subject(reading: Reading) -> str | None:
    """Whose deal an event is about: "Marie a fait une offre", "she made an offer"."""
    clause = reading.clause
    ref = clause.ref("C")
    if ref:
        return ref
    if re.match(r"\s*(?:she|he|elle|il|they|ils)(?![\w])", clause.low):
        target = reading.scope.latest("deal") or reading.scope.latest("contact")
        return target.ref if target else None
    found = name_at(clause.rest, 0, max_words=3)
    return found[0] if found else None


def show(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    ref = clause.ref("D")
    bare = re.fullmatch(r"\s*", clause.rest.low) and len(clause.refs) == 1
    if ref and (SHOW.match(clause.low) or bare):
        return [call("show_deal", deal=ref)]
    return None


def list_deals(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    if not re.search(r"(?<![\w])(?:deals|affaires|dossiers|pipeline|pipe)(?![\w])", clause.low):
        return None
    if _CREATE.match(clause.low):
        return None
    found, _ = stages(clause.rest)
    contact = (
        clause.ref("C")
        or _possessor(reading)
        or name_after(clause.rest, words("de", "of", "for", "pour", "with", "avec"))
    )
    return [
        call(
            "list_deals",
            stage=found[0].value if found else None,
            contact=contact,
            property=clause.ref("P"),
        )
    ]
