"""Contacts: add, find, show, update, delete."""

from __future__ import annotations

import re

from nlu.interpreter import OperationCall
from nlu.rules.common import Reading, call, name_after, words
from nlu.rules.entities import Found, loose_city
from nlu.rules.references import CONTACT_PRONOUN, POSSESSIVE, latest_any, name_at
from nlu.rules.text import tidy
from nlu.rules.vocabulary import STOPWORDS

ADD = re.compile(
    r"^\s*(?:(?:please|stp|svp)\s+)?(?:add|ajoute|ajouter|ajout|create|cree|creer|new|nouveau"
    r"|nouvelle|nouvel|nouv|nv|enregistre|enregistrer|save|register|record|saisis|saisir"
    r"|rajoute|rajouter)(?![\w])"
    # The article must be a whole word: "ajoute Aurélie" is not "ajoute a urélie".
    r"(?:\s+(?:a|an|un|une|le|la|new|nouveau|nouvelle|nouvel|the)(?![\w]))*"
)
# "cree fiche locataire Julie", "add hot lead Tom Fox", "nouveau prospect chaud Marie Leroy":
# the words describing the record before the name (the role itself is already blanked).
_CONTACT_NOUN = re.compile(
    r"\s*(?:(?:contact|client|cliente|prospect|lead|person|personne|customer|fiche|file|card"
    r"|record|hot|chaud|chaude|warm|tiede|cold|froid|froide|new|nouveau|nouvelle|nouvel|nv"
    r"|a|an|un|une|le|la|the)s?(?![\w])[\s:]*)+"
    r"(?:\s*(?:for|pour|named|called|nomme|nommee|appele|appelee)(?![\w]))?"
)
# "nouveau num pour Lucas Petit : 06...", "new email for Tom": a new detail, not a new person.
_NEW_DETAIL = re.compile(
    r"\s*(?:num|numero|number|no|tel|telephone|phone|portable|mobile|cell|mail|e-?mail|adresse"
    r"|address|courriel|coordonnees|contact details)(?![\w])"
)
_LISTINGS = re.compile(
    r"(?<![\w])(?:properties|listings|biens|annonces|logements|mandats|rentals|locations)(?![\w])"
)
_HEADER = re.compile(r"^\s*(?:contact|client|cliente|lead|prospect|new lead)\s*:")
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
# Where a lead came from: the phrase after the cue, up to punctuation or a removed entity
# ("source: salon immo", "vu sur leboncoin", "recommandée par Paul Martin", "met at open house").
_SOURCE = re.compile(
    r"(?<![\w])(?:source|origine|provenance|via|from|venue? (?:de|par)"
    r"|(?:vue?|trouvee?|seen|found)\s+(?:sur|on|via|dans|in)"
    r"|(?:referred|recommended|introduced|sent|recommandee?|envoyee?|apportee?|presentee?)"
    r"\s+(?:by|par)"
    r"|(?:met|rencontree?)\s+(?:at|during|au|a la|lors d[eu]))(?![\w])\s*:?\s*"
    r"(?P<phrase>[^\W\d_][^,;.!?\d]*?)\s*(?=[,;.!?\d]|$)"
)
_SOURCE_WORDS = 5
_NOTES = re.compile(r"(?<![\w])(?:notes?|remarques?|nb|info)\s*:\s*(.+)$")
FIND = re.compile(
    r"^\s*(?:(?:please|stp)\s+)?(?:find|search(?: for)?|look ?up|look for|cherche|chercher"
    r"|recherche|trouve|retrouve|who is|qui est|c'?est qui|list|liste|show me|montre[- ]moi"
    r"|affiche|give me|donne[- ]moi|any|all|tous|toutes|mes|my|les|des)(?![\w])"
)
SHOW = re.compile(
    r"^\s*(?:(?:me|m')\s*)?(?:show|montre|affiche|voir|ouvre|open|display|details?|fiche|infos?"
    r"|card|view|get|what about|et|pull up|bring up|redonne|redonner|donne|donner|give"
    r"|rappelle[- ]moi|coordonnees)(?![\w])(?:[- ]?moi| me)?"
    r"(?:\s+(?:la|le|les|sa|son|ses|his|her|their|the|its)(?![\w]))?"
    r"(?:\s+(?:fiche|card|file|details?|infos?|coordonnees|contact details|profile|record"
    r"|numero|number|phone|email)(?![\w]))?"
    r"(?:\s*(?:(?:de|du|of|for|pour|sur|on)(?![\w])|d'))?"
)
# "what's Olivia Brown's number?", "quel est le numéro de Paul": asking for a detail.
_DETAIL_QUESTION = re.compile(
    r"^\s*(?:what'?s|what is|quel est|c'?est quoi|donne[- ]moi|give me)(?![\w])"
    r".*(?:number|phone|email|address|file|details|numero|tel|mail|adresse|coordonnees|fiche)"
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
# What introduces a change of a contact's details after their name, or a new state.
_CHANGE_CUE = re.compile(
    r"\s*(?:'s\s+|[:,–-]\s*)?(?:budget|ville|city|secteur|tel|telephone|phone|email|mail"
    r"|numero|number|role|est maintenant|est desormais|devient|is now|becomes|moved"
    r"|a demenage|demenage"
    r"|habite|lives|now"
    # "Lucas a changé de numéro : ...", "Tom has a new email: ...", "Tom changed his number"
    r"|a change (?:de|d'|son|sa)|changed"
    r"|(?:a un |a une |has (?:a )?)?(?:nouveau|nouvelle|nv|new)\s+(?:num|numero|number|tel"
    r"|telephone|phone|portable|mobile|cell|mail|e-?mail|adresse|address))(?![\w])"
)
_NOW = words(
    r"est maintenant",
    r"est desormais",
    r"devient",
    r"is now",
    r"becomes",
    r"moved to",
    r"a demenage",
    r"demenage",
    r"habite maintenant",
    r"now lives",
    r"passe a",
    r"now",
)
_RENAME = words(r"rename", r"renomme", r"renommer", r"(?:le |the )?(?:nom|name)")
_NEW_NAME = words(r"to", r"en", r"as", r"par", r"->", r":")
# "nouveau mail Lucas Petit ...", "new phone number Tom Fox ...": the person after the detail.
_NEW_FIELD = words(
    r"(?:new|nouveau|nouvelle|nv)(?:\s+(?:phone|tel|telephone|mobile|portable|cell|numero|number"
    r"|num|mail|e-?mail|adresse|address|de|du|d'|for|pour|of))+"
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


def _source(reading: Reading) -> tuple[str | None, tuple[int, int]]:
    """The lead's source and its span; a cue followed by a little word is no source."""
    text = reading.clause.text
    for match in _SOURCE.finditer(text.low):
        phrase = text.low[match.start("phrase") : match.end("phrase")].split()
        if not phrase or phrase[0] in STOPWORDS or len(phrase) > _SOURCE_WORDS:
            continue
        return tidy(text.raw[match.start("phrase") : match.end("phrase")]), match.span()
    return None, (0, 0)


def _outside(found: list[Found], span: tuple[int, int]) -> object | None:
    """The first value not inside ``span`` ("met at open house" names no house)."""
    return next((f.value for f in found if not span[0] <= f.start < span[1]), None)


def _fields(reading: Reading) -> dict[str, object]:
    clause = reading.clause
    source, span = _source(reading)
    notes = _NOTES.search(clause.text.low)
    found: dict[str, object] = {
        "phone": clause.first("phones"),
        "email": clause.first("emails"),
        "role": _outside(clause.roles, span),
        "city": _outside(clause.cities, span),
        "property_type": _outside(clause.types, span),
        "rooms_min": clause.first("rooms"),
        "surface_min": clause.first("surfaces"),
        "source": source,
        "notes": tidy(clause.text.raw[notes.start(1) : notes.end(1)]) if notes else None,
        **_budget(reading),
    }
    return {k: v for k, v in found.items() if v is not None}


def add(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = ADD.match(clause.rest.low)
    header = _HEADER.match(clause.rest.low)
    if match is None and header is None:
        return None
    end = match.end() if match else 0
    if match and _NEW_DETAIL.match(clause.rest.low, end):
        return None
    noun = _CONTACT_NOUN.match(clause.rest.low, end)
    if noun:
        end = noun.end()
    found = name_at(clause.rest, end)
    if found is None:
        return None
    name, name_end = found
    fields = _fields(reading)
    # "contact: Lucas Petit, acheteur, ...": a card typed without a verb needs a detail.
    if match is None and not fields:
        return None
    if "city" not in fields:
        _, span = _source(reading)
        place = loose_city(clause.rest.cut(*span) if span[1] else clause.rest, name_end)
        if place is not None:
            fields["city"] = place.value
    reading.scope.push("contact", name, name)
    return [call("add_contact", name=name, **fields)]


def _target(reading: Reading) -> str | None:
    """The contact an update or a lookup is about: ref, "her"/"son", "Marie's", "tel de Marie"."""
    clause = reading.clause
    ref = clause.ref("C")
    if ref:
        return ref
    possessor = _POSSESSOR.search(clause.text.raw)
    if possessor:
        return possessor[1]
    # "Lucas Petit changed his number": the name opening the clause owns the possessive.
    subject = _subject(reading)
    if subject is not None and POSSESSIVE.search(clause.low):
        return subject
    if CONTACT_PRONOUN.search(clause.low) or POSSESSIVE.search(clause.low):
        target = reading.scope.latest("contact")
        return target.ref if target else None
    name = (
        name_after(clause.rest, _OF_NAME)
        or name_after(clause.rest, _UPDATE)
        or name_after(clause.rest, _NEW_FIELD)
    )
    return name or subject


def _subject(reading: Reading) -> str | None:
    """A name opening the clause and followed by what changes ("Paul Martin budget passe à
    450k", "james wilson moved to Bordeaux")."""
    for words_max in (3, 2, 1):
        found = name_at(reading.clause.rest, 0, max_words=words_max)
        if found and _CHANGE_CUE.match(reading.clause.low, found[1]):
            return found[0]
    return None


def _renamed(reading: Reading) -> str | None:
    """The new name in "rename C7 to Sarah Connor", "modifie le nom de C7 en Sophie Leroy"."""
    clause = reading.clause
    if not _RENAME.search(clause.low):
        return None
    for match in _NEW_NAME.finditer(clause.rest.low):
        found = name_at(clause.rest, match.end(), capital=True)
        if found:
            return found[0]
    return None


def update(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    keyed = (
        _UPDATE.match(clause.low)
        or _NOW.search(clause.low)
        or any(p.search(clause.low) for p in _FIELD_WORDS.values())
    )
    renamed = _renamed(reading)
    if not keyed and not renamed:
        return None
    fields = _fields(reading)
    if renamed:
        fields = {"name": renamed}
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
    listed = re.match(
        r"\s*(?:(?:mes|my|les|the|all|all my|tous mes|toutes mes)\s+)?"
        r"(?:contacts|clients|clientes|leads|prospects)(?![\w])",
        clause.low,
    )
    if match is None and listed and (city or role):
        return [call("find_contacts", role=role, city=city)]
    if match is None and not (role and re.search(r"(?:s|x)(?![\w])", clause.low)):
        return None
    if match is None and not contactish and not role:
        return None
    query = None
    if match is not None:
        start = match.end()
        rest = clause.rest.low[start:]
        noun = re.match(
            r"\s*(?:les |le |la |un |une |the |a |my |mes )?"
            r"(?:contacts?|clients?|leads?|prospects?)"
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


def is_about_listings(low: str) -> bool:
    return bool(_LISTINGS.search(low))


def show(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    if _DETAIL_QUESTION.match(clause.low):
        possessor = _POSSESSOR.search(clause.text.raw)
        name = clause.ref("C") or (possessor[1] if possessor else name_after(clause.rest, _OF_NAME))
        if name:
            return [call("show_contact", contact=name)]
    if is_about_listings(clause.low) or clause.types:
        return None  # "show me sold properties": a search of listings
    match = SHOW.match(clause.rest.low) or SHOW.match(clause.low)
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
    if CONTACT_PRONOUN.search(clause.low) or POSSESSIVE.search(clause.low):
        target = reading.scope.latest("contact")
        return [call("show_contact", contact=target.ref)] if target else None
    found = name_at(clause.rest, match.end())
    if found:
        return [call("show_contact", contact=found[0])]
    if clause.rest.low[match.end() :].strip(" ?!.,"):
        return None
    # "redonne-moi les détails" names nothing: the record the chat was just about.
    latest = latest_any(reading.scope, ("contact", "property", "deal"))
    if latest is None:
        return None
    return [call(f"show_{latest.kind}", **{latest.kind: latest.ref})]


def delete(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = DELETE.match(clause.rest.low)
    if match is None:
        return None
    named = list(dict.fromkeys(str(f.value) for f in clause.refs))
    if len(named) > 1:
        # "delete C1 and P1": one question per record (each waits for its button); a record
        # that cannot be deleted makes the whole message not understood, never half done.
        deletable = {"C": "contact", "P": "property"}
        if any(ref[0] not in deletable for ref in named):
            return []
        return [call(f"delete_{deletable[ref[0]]}", **{deletable[ref[0]]: ref}) for ref in named]
    ref = clause.ref("C")
    if ref:
        return [call("delete_contact", contact=ref)]
    if clause.refs:
        return None
    if CONTACT_PRONOUN.search(clause.low):
        target = reading.scope.latest("contact")
        return [call("delete_contact", contact=target.ref)] if target else None
    rest = clause.rest.low[match.end() :]
    bare = re.fullmatch(r"[- ](le|la|l'|it)\W*", rest)
    if bare:
        # "supprime le", "delete it": the record just mentioned (the delete asks to confirm).
        kinds = ("contact", "property", "reminder", "deal")
        latest = latest_any(reading.scope, kinds[1:] if bare[1] == "it" else kinds)
        if latest is None or latest.kind == "deal":
            return []
        if latest.kind == "reminder":
            return [call("cancel_reminder", reminder=latest.ref)]
        return [call(f"delete_{latest.kind}", **{latest.kind: latest.ref})]
    noun = re.match(r"\s*(?:le |la |the )?(?:contact|client|cliente)?", rest)
    found = name_at(clause.rest, match.end() + (noun.end() if noun else 0))
    return [call("delete_contact", contact=found[0])] if found else None
