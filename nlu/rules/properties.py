"""Properties: add, find, show, update, delete."""

from __future__ import annotations

import re

from nlu.interpreter import OperationCall
from nlu.rules.common import Reading, call, words
from nlu.rules.contacts import ADD, FIND, SHOW
from nlu.rules.entities import loose_city, statuses
from nlu.rules.references import (
    OBJECT_PRONOUN,
    PROPERTY_PRONOUN,
    latest_any,
    name_at,
    property_of,
)
from nlu.rules.text import tidy

_NOUN = words(
    "property",
    "properties",
    "listing",
    "listings",
    "bien",
    "biens",
    "mandat",
    "mandats",
    "annonce",
    "annonces",
    "logement",
    "logements",
    "lot",
    "home",
    "homes",
)
# A street: with its number ("12 rue Merciere", "8 chemin des Vignes") or a long street word
# ("rue de la Republique"); it ends at punctuation, a number or a removed entity (city, price).
_ADDRESS = re.compile(
    r"(?<![\w])((?:\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|av|avenue|bd|boulevard|place|pl|chemin"
    r"|allee|impasse|quai|cours|route|street|st|road|rd|lane|ave|drive)"
    r"|(?:rue|avenue|boulevard|chemin|allee|impasse|quai|place|cours|route))"
    r"\s+[^\W\d_][^,;\d]*?)(?=\s{2,}|[,;]|\s\d|\s*$)"
)
_TITLE = re.compile(
    r"(?<![\w])(?:titre|titled|title|intitulee?|called|named|nommee?)\s*:?\s*"
    r"['\"“«‘]\s*([^'\"”»’]+?)\s*['\"”»’]"
)
# "biens à vendre à Lyon", "houses for sale in Caluire": a list asked for by its noun alone.
_PLURAL_START = re.compile(
    r"^\s*(?:(?:les|des|mes|nos|my|our|the|all|tous les|toutes les|any)\s+)?"
    r"(?:quels|quelles|which|what)?\s*"
    r"(?:biens|properties|listings|apparts|appartements|apartments|flats|maisons|houses"
    r"|studios|terrains|plots|locaux|parkings|garages|villas|locations|rentals|annonces"
    r"|logements|homes|lofts)(?![\w])"
)
_QUESTION = re.compile(r"^\s*(?:quels|quelles|which|what|any)(?![\w])")
_RENT = words(
    "loyer", "rent", "per month", "par mois", "/mois", "/month", "pcm", "cc", "hc", "mensuel"
)
_MAX = words(
    "under",
    "below",
    "max",
    "maximum",
    "less than",
    "moins de",
    "jusqu'?a",
    "up to",
    "budget",
    "<",
    "pas plus de",
    "au plus",
)
_MIN = words(
    "over",
    "above",
    "min",
    "minimum",
    "more than",
    "plus de",
    "au moins",
    "from",
    "a partir de",
    ">",
    "starting",
)
_OWNER = re.compile(
    r"(?<![\w])(?:owner|owned by|proprio|proprietaire|appartient a|vendeur"
    r"|seller|mandat de|pour le compte de)\s*:?\s*"
)
_PRICE_WORDS = words(
    "price",
    "prix",
    "loyer",
    "rent",
    "asking",
    "baisse",
    "augmente",
    "lower",
    "drop",
    "reduce",
    "raise",
)


def _common(
    reading: Reading, after: int | None = None, skip: tuple[int, int] = (0, 0)
) -> dict[str, object]:
    """What describes a property. A new or searched description (``after``: where it starts)
    may name its town bare ("maison Tassin"); ``skip`` is a span that is not the description
    (a quoted title, an owner's name)."""
    clause = reading.clause
    low = clause.low
    transaction = clause.first("transactions")
    if transaction is None and _RENT.search(low):
        transaction = "rent"
    city = clause.first("cities")
    if city is None and after is not None:
        rest = clause.rest.cut(*skip) if skip[1] else clause.rest
        loose = loose_city(rest, after)
        city = loose.value if loose else None
    return {
        "property_type": next(
            (t.value for t in clause.types if not skip[0] <= t.start < skip[1]), None
        ),
        "transaction": transaction,
        "surface_m2": clause.first("surfaces"),
        "rooms": clause.first("rooms"),
        "bedrooms": clause.first("bedrooms"),
        "city": city,
        "postcode": clause.first("postcodes"),
    }


def _address(reading: Reading) -> str | None:
    rest = reading.clause.rest
    match = _ADDRESS.search(rest.low)
    return tidy(rest.raw[match.start(1) : match.end(1)]) if match else None


def is_about_property(reading: Reading) -> bool:
    clause = reading.clause
    return bool(clause.types or _NOUN.search(clause.low) or clause.ref("P"))


# A listing typed as a card, without a verb: "mandat signé: studio ...", "bien à vendre: ...",
# "new listing: ...". What follows must describe a property.
_HEADER = re.compile(
    r"^\s*(?:(?:nouveau|nouvel|new|autre|another)\s+)?(?:mandat|mandate|bien|listing|property"
    r"|annonce)(?:\s+(?:signe|signed|rentre|obtenu|exclusif|exclusive|won|recu|in))?"
    r"(?:\s+(?:a vendre|a louer|for sale|for rent|to let|en vente|en location))?\s*:"
)
# "list a commercial unit for rent", "mets en vente une maison": one new listing, not a search.
_LIST_ONE = re.compile(
    r"^\s*(?:(?:please|pls|stp|svp)\s+)?(?:list|put up|mets en (?:vente|location)"
    r"|mettre en (?:vente|location))\s+(?:a|an|un|une)\s+(?:new\s+)?"
)
_DESCRIBING = ("types", "surfaces", "rooms", "money", "cities", "postcodes")


def add(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = ADD.match(clause.low) or _LIST_ONE.match(clause.low)
    header = None if match else _HEADER.match(clause.low)
    if header is not None:
        # A card needs a description: at least two of type, surface, rooms, price, place.
        if sum(1 for name in _DESCRIBING if getattr(clause, name)) < 2:
            return None
        match = header
    if match is None:
        return None
    head = clause.low[match.end() : match.end() + 40]
    if not (
        header is not None
        or re.match(r"\s*(?:\w+\s+)?(?:" + _NOUN.pattern + ")", head)
        or (clause.types and clause.types[0].start - match.end() < 12)
    ):
        return None
    owner_at = _OWNER.search(clause.low)
    if any(owner_at is None or r.start != owner_at.start() for r in clause.roles):
        return None  # "new buyer ... apartment": a person looking for a place
    owner, skip = None, (0, 0)
    if owner_at:
        found = name_at(clause.rest, owner_at.end(), capital=True)
        owner = clause.ref("C") or (found[0] if found else None)
        skip = (owner_at.start(), found[1]) if found else skip
    title = _TITLE.search(clause.low)
    if title:
        skip = title.span()
    fields = _common(reading, match.end(), skip)
    fields.update(
        title=tidy(clause.text.raw[title.start(1) : title.end(1)]) if title else None,
        address=_address(reading),
        price=clause.first("money"),
        owner_contact=owner,
    )
    if not any(v is not None for v in fields.values()):
        return None
    return [call("add_property", **fields)]


def find(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    opener = FIND.match(clause.low) or _QUESTION.match(clause.low)
    plural = _PLURAL_START.match(clause.low)
    asked = opener or plural or re.search(r"\?\s*$", clause.text.raw)
    if not asked or not (
        clause.types or _NOUN.search(clause.low) or clause.rooms or clause.transactions
    ):
        return None
    if clause.refs or clause.roles or ADD.match(clause.low):
        return None
    start = max(m.end() for m in (opener, plural) if m) if (opener or plural) else 0
    fields = _common(reading, start)
    address = _address(reading)
    del fields["bedrooms"], fields["postcode"]
    fields["rooms_min"] = fields.pop("rooms")
    fields["surface_min"] = fields.pop("surface_m2")
    amounts = [int(str(m.value)) for m in clause.money]
    if len(amounts) >= 2:
        fields["price_min"], fields["price_max"] = sorted(amounts[:2])
    elif amounts:
        before = clause.low[max(0, clause.money[0].start - 14) : clause.money[0].start]
        fields["price_min" if _MIN.search(before) and not _MAX.search(before) else "price_max"] = (
            amounts[0]
        )
    status, _ = statuses(clause.rest)
    fields["status"] = status[0].value if status else None
    if address:
        fields["query"] = address
        fields["city"] = clause.first("cities")  # a street name is no town
    return [call("find_properties", **fields)]


def _target(reading: Reading) -> str | None:
    return property_of(reading.clause, reading.scope)


def show(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    ref = clause.ref("P")
    bare = re.fullmatch(r"\s*", clause.rest.low) and len(clause.refs) == 1
    if SHOW.match(clause.low) is None and not bare:
        return None
    if ref is None and PROPERTY_PRONOUN.search(clause.low):
        ref = _target(reading)
    return [call("show_property", property=ref)] if ref else None


def update(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    target = _target(reading)
    if target is None and clause.money and OBJECT_PRONOUN.match(clause.low):
        # "passe-le à 780k": "le" is the last record an amount fits, if it is a property.
        latest = latest_any(reading.scope, ("property", "deal", "contact"))
        if latest is not None and latest.kind == "property":
            target = latest.ref
            return [call("update_property", property=target, price=clause.money[-1].value)]
    if target is None:
        return None
    status, _ = statuses(clause.rest)
    fields: dict[str, object] = {k: v for k, v in _common(reading).items() if v is not None}
    if clause.money and (_PRICE_WORDS.search(clause.low) or clause.ref("P")):
        fields["price"] = clause.money[-1].value
    if status:
        fields["status"] = status[0].value
    if not fields:
        return None
    return [call("update_property", property=target, **fields)]


# Off the market is a status, never a deletion: the record and its history stay.
_OFF_MARKET = re.compile(
    r"(?<![\w])(?:du marche|de la vente|de la location|des annonces|de la commercialisation"
    r"|off(?: the)? market|from the market|from sale|off sale|hors marche)(?![\w])"
    r"|^\s*(?:withdraw|retire|retirer)\s+(?:[cpdr]\d+|le bien|ce bien|the property|it)\s*$"
)
# Only an explicit delete verb deletes a property ("retire" means off the market).
_DELETE = re.compile(r"^\s*(?:delete|remove|supprime|supprimer|efface|effacer|erase)(?![\w])")


def withdraw(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    if not _OFF_MARKET.search(clause.low):
        return None
    target = _target(reading)
    return [call("update_property", property=target, status="withdrawn")] if target else []


def delete(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    if _DELETE.match(clause.low) is None:
        return None
    ref = clause.ref("P") or (
        _target(reading)
        if PROPERTY_PRONOUN.search(clause.low) and _NOUN.search(clause.low)
        else None
    )
    return [call("delete_property", property=ref)] if ref else None
