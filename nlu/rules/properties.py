"""Properties: add, find, show, update, delete."""

from __future__ import annotations

import re

from nlu.interpreter import OperationCall
from nlu.rules.common import Reading, call, name_after, words
from nlu.rules.contacts import ADD, DELETE, FIND, SHOW
from nlu.rules.entities import statuses
from nlu.rules.references import PROPERTY_PRONOUN, property_of

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
_ADDRESS = re.compile(
    r"(?<![\w])(\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|av|avenue|bd|boulevard|place|pl|chemin"
    r"|allee|impasse|quai|cours|route|street|st|road|rd|lane|ave)\b[^,;]*)"
)
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


def _common(reading: Reading) -> dict[str, object]:
    clause = reading.clause
    low = clause.low
    transaction = clause.first("transactions")
    if transaction is None and _RENT.search(low):
        transaction = "rent"
    return {
        "property_type": clause.first("types"),
        "transaction": transaction,
        "surface_m2": clause.first("surfaces"),
        "rooms": clause.first("rooms"),
        "bedrooms": clause.first("bedrooms"),
        "city": clause.first("cities"),
        "postcode": clause.first("postcodes"),
    }


def is_about_property(reading: Reading) -> bool:
    clause = reading.clause
    return bool(clause.types or _NOUN.search(clause.low) or clause.ref("P"))


def add(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = ADD.match(clause.low)
    if match is None:
        return None
    head = clause.low[match.end() : match.end() + 40]
    if not (
        re.match(r"\s*(?:\w+\s+)?(?:" + _NOUN.pattern + ")", head)
        or (clause.types and clause.types[0].start - match.end() < 12)
    ):
        return None
    if clause.roles:
        return None  # "new buyer ... apartment": a person looking for a place
    fields = _common(reading)
    address = _ADDRESS.search(clause.text.raw)
    owner = None
    found_owner = _OWNER.search(clause.low)
    if found_owner:
        owner = clause.ref("C") or name_after(clause.rest, _OWNER)
    price = clause.first("money")
    fields.update(
        address=address[1].strip() if address else None,
        price=price,
        owner_contact=owner,
    )
    if not any(v is not None for v in fields.values()):
        return None
    return [call("add_property", **fields)]


def find(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    if not (FIND.match(clause.low) or re.search(r"\?\s*$", clause.text.raw)) or not (
        clause.types or _NOUN.search(clause.low) or clause.rooms
    ):
        return None
    if clause.refs or clause.roles:
        return None
    fields = _common(reading)
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


def delete(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    if DELETE.match(clause.low) is None:
        return None
    ref = clause.ref("P") or (
        _target(reading)
        if PROPERTY_PRONOUN.search(clause.low) and _NOUN.search(clause.low)
        else None
    )
    return [call("delete_property", property=ref)] if ref else None
