"""Contacts: add, find, show, update, delete."""

from __future__ import annotations

import re

from nlu.interpreter import OperationCall
from nlu.rules.common import Reading, call, name_after, words
from nlu.rules.entities import Found
from nlu.rules.references import CONTACT_PRONOUN, POSSESSIVE, name_at
from nlu.rules.text import tidy

ADD = re.compile(
    r"^\s*(?:(?:please|stp|svp)\s+)?(?:add|ajoute|ajouter|ajout|create|cree|creer|new|nouveau"
    r"|nouvelle|nouv|nv|enregistre|save|register|record)(?![\w])"
    r"(?:\s+(?:a|an|un|une|le|la|new|nouveau|nouvelle|nouvel|the))?"
)
_CONTACT_NOUN = re.compile(
    r"\s*(?:contact|client|cliente|prospect|lead|person|personne|customer)s?(?![\w])\s*:?"
)
_MIN_WORDS = words(
    r"min",
    r"minimum",
    r"at least",
    r"au moins",
    r"from",
    r"a partir de",
    r"des",
    r"starting at",
    r"mini",
)
_SOURCE = re.compile(
    r"(?<![\w])(?:source|via|from|venu(?:e)? (?:de|par)|referred by|recommande(?:e)? par"
    r"|apporte(?:e)? par)\s*:?\s*([\w'.-]+(?: [A-Z][\w'.-]+)?)"
)
_NOTES = re.compile(r"(?<![\w])(?:notes?|remarques?|nb|info)\s*:\s*(.+)$")
FIND = re.compile(
    r"^\s*(?:(?:please|stp)\s+)?(?:find|search(?: for)?|look ?up|look for|cherche|chercher"
    r"|recherche|trouve|retrouve|who is|qui est|c'?est qui|list|liste|show me|montre[- ]moi"
    r"|affiche|give me|donne[- ]moi|any|all|tous|toutes|mes|my|les|des)(?![\w])"
)
SHOW = re.compile(
    r"^\s*(?:show|montre|affiche|voir|ouvre|open|display|details?|fiche|infos?|card|view"
    r"|get|what about|et)(?![\w])(?:[- ]moi)?(?:\s+(?:la fiche|fiche|the card|details))?"
    r"(?:\s+(?:de|du|of|for|pour|sur|on))?"
)
DELETE = re.compile(
    r"^\s*(?:delete|remove|supprime|supprimer|efface|effacer|erase|vire|retire)(?![\w])"
)
_FIELD_WORDS = {
    "phone": words(
        "phone", "tel", "telephone", "portable", "mobile", "numero", "number", "num", "cell"
    ),
    "email": words("email", "e-mail", "mail", "adresse mail", "courriel"),
    "budget": words("budget", "budget max", "max"),
    "city": words("city", "ville", "secteur", "area", "zone"),
}
_UPDATE = re.compile(
    r"^\s*(?:update|change|changer|modifie|modifier|mets? a jour|maj|set|corrige|fix|edit"
    r"|mets|put)(?![\w])"
)
_POSSESSOR = re.compile(r"([A-ZÀ-Ý][\w-]+(?: [A-ZÀ-Ý][\w-]+)?)'s(?![\w])")
_OF_NAME = words("de", "du", "d'", "of", "for", "pour")


def _budget(reading: Reading) -> dict[str, int]:
    amounts: list[Found] = reading.clause.money
    if len(amounts) >= 2:
        low, high = sorted(int(str(a.value)) for a in amounts[:2])
        return {"budget_min": low, "budget_max": high}
    if amounts:
        before = reading.low[max(0, amounts[0].start - 14) : amounts[0].start]
        key = "budget_min" if _MIN_WORDS.search(before) else "budget_max"
        return {key: int(str(amounts[0].value))}
    return {}


def _fields(reading: Reading) -> dict[str, object]:
    clause = reading.clause
    source = _SOURCE.search(clause.text.raw)
    notes = _NOTES.search(clause.text.low)
    found: dict[str, object] = {
        "phone": clause.first("phones"),
        "email": clause.first("emails"),
        "role": clause.first("roles"),
        "city": clause.first("cities"),
        "property_type": clause.first("types"),
        "rooms_min": clause.first("rooms"),
        "surface_min": clause.first("surfaces"),
        "source": tidy(source[1]) if source else None,
        "notes": tidy(clause.text.raw[notes.start(1) : notes.end(1)]) if notes else None,
        **_budget(reading),
    }
    return {k: v for k, v in found.items() if v is not None}


def add(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = ADD.match(clause.rest.low)
    if match is None:
        return None
    end = match.end()
    noun = _CONTACT_NOUN.match(clause.rest.low, end)
    if noun:
        end = noun.end()
    found = name_at(clause.rest, end)
    if found is None:
        return None
    name = found[0]
    reading.scope.push("contact", name, name)
    return [call("add_contact", name=name, **_fields(reading))]


def _target(reading: Reading) -> str | None:
    """The contact an update or a lookup is about: ref, "her"/"son", "Marie's", "tel de Marie"."""
    clause = reading.clause
    ref = clause.ref("C")
    if ref:
        return ref
    possessor = _POSSESSOR.search(clause.text.raw)
    if possessor:
        return possessor[1]
    if CONTACT_PRONOUN.search(clause.low) or POSSESSIVE.search(clause.low):
        target = reading.scope.latest("contact")
        return target.ref if target else None
    name = name_after(clause.rest, _OF_NAME) or name_after(clause.rest, _UPDATE)
    return name


def update(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    keyed = _UPDATE.match(clause.low) or any(p.search(clause.low) for p in _FIELD_WORDS.values())
    if not keyed:
        return None
    fields = _fields(reading)
    if not fields:
        return None
    # A budget needs its word: "C3 350k" alone could be a price or an offer.
    if (
        ("budget_max" in fields or "budget_min" in fields)
        and not _FIELD_WORDS["budget"].search(clause.low)
        and not _UPDATE.match(clause.low)
    ):
        return None
    target = _target(reading)
    if target is None:
        return None
    return [call("update_contact", contact=target, **fields)]


def find(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = FIND.match(clause.rest.low)
    role = clause.first("roles")
    city = clause.first("cities")
    contactish = re.search(
        r"(?<![\w])(?:contacts?|clients?|clientes?|leads?|prospects?)(?![\w])", clause.low
    )
    if match is None and not (role and re.search(r"(?:s|x)(?![\w])", clause.low)):
        return None
    if match is None and not contactish and not role:
        return None
    query = None
    if match is not None:
        start = match.end()
        rest = clause.rest.low[start:]
        noun = re.match(
            r"\s*(?:les |the |my |mes )?(?:contacts?|clients?|leads?|prospects?)"
            r"\s*(?:named|nommee?|appele)?",
            rest,
        )
        found = name_at(clause.rest, start + (noun.end() if noun else 0))
        query = found[0] if found else None
        if query is None and clause.phones:
            query = str(clause.phones[0].value)
        if query is None and clause.emails:
            query = str(clause.emails[0].value)
    if query is None and role is None and city is None and not contactish:
        return None
    return [call("find_contacts", query=query, role=role, city=city)]


def show(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = SHOW.match(clause.rest.low)
    bare_ref = re.fullmatch(r"\s*", clause.rest.low) and len(clause.refs) == 1
    if match is None and not bare_ref:
        return None
    ref = clause.ref("C")
    if ref:
        return [call("show_contact", contact=ref)]
    if clause.refs:
        return None  # a property or a deal: theirs
    if match is None:
        return None
    if CONTACT_PRONOUN.search(clause.low):
        target = reading.scope.latest("contact")
        return [call("show_contact", contact=target.ref)] if target else None
    found = name_at(clause.rest, match.end())
    return [call("show_contact", contact=found[0])] if found else None


def delete(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = DELETE.match(clause.rest.low)
    if match is None:
        return None
    ref = clause.ref("C")
    if ref:
        return [call("delete_contact", contact=ref)]
    if clause.refs:
        return None
    if CONTACT_PRONOUN.search(clause.low):
        target = reading.scope.latest("contact")
        return [call("delete_contact", contact=target.ref)] if target else None
    rest = clause.rest.low[match.end() :]
    noun = re.match(r"\s*(?:le |la |the )?(?:contact|client|cliente)?", rest)
    found = name_at(clause.rest, match.end() + (noun.end() if noun else 0))
    return [call("delete_contact", contact=found[0])] if found else None
