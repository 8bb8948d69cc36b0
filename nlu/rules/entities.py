"""Entity extractors: each finds its values in a message and blanks their spans, so what is
left (names, notes) is read afterwards. Values go through crm_core.values, the same parsers
that validate the operations' input, so a value found here is a value the operation accepts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_core import values
from nlu.rules.text import Text
from nlu.rules.vocabulary import (
    KNOWN_CITIES,
    PROPERTY_STATUSES,
    PROPERTY_TYPES,
    ROLES,
    STAGES,
    TRANSACTIONS,
)


@dataclass(frozen=True)
class Found:
    value: object
    start: int
    end: int


def _take(text: Text, found: list[Found]) -> Text:
    for item in found:
        text = text.cut(item.start, item.end)
    return text


def _words(table: dict[str, str]) -> re.Pattern[str]:
    keys = sorted(table, key=len, reverse=True)
    return re.compile(r"(?<![\w@])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w@])")


# --- references ------------------------------------------------------------------------------

_REF = re.compile(r"(?<![\w@])#?([cpdr])\s?-?(\d{1,6})(?![\w@])")


def refs(text: Text) -> tuple[list[Found], Text]:
    """Short refs: C12, P3, D2, R4 (also "c 12", "#P-3")."""
    found = [
        Found(f"{m[1].upper()}{int(m[2])}", m.start(), m.end()) for m in _REF.finditer(text.low)
    ]
    return found, _take(text, found)


# --- e-mails and phones ----------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d .\-/()]{6,20}\d(?![\w])")


def emails(text: Text) -> tuple[list[Found], Text]:
    found = []
    for match in _EMAIL.finditer(text.raw):
        try:
            found.append(Found(values.parse_email(match[0].rstrip(".")), *match.span()))
        except values.ValueProblem:
            continue
    return found, _take(text, found)


def phones(text: Text, region: str) -> tuple[list[Found], Text]:
    """National numbers read in ``region``, international ones as written; E.164 out."""
    found = []
    for match in _PHONE.finditer(text.raw):
        candidate = match[0]
        # The pattern is greedy ("+44 7911 123456 1,2 M€" takes the "1"): drop trailing groups
        # until the number is valid.
        while sum(c.isdigit() for c in candidate) >= 8:
            try:
                number = values.parse_phone(
                    "+" + candidate[2:] if candidate.startswith("00") else candidate, region
                )
            except values.ValueProblem:
                head, _, _ = candidate.rpartition(" ")
                candidate = head.rstrip(" .-/(")
                continue
            found.append(Found(number, match.start(), match.start() + len(candidate)))
            break
    return found, _take(text, found)


# --- numbers with units ----------------------------------------------------------------------

_SURFACE = re.compile(
    r"(?<![\w.,])(\d{1,3}(?: \d{3})+|\d+)(?:[.,](\d+))?\s?"
    r"(?:m2|m\^2|sqm|sq\.? ?m|m carres?|metres? carres?|square met(?:er|re)s?)(?![\w])"
)
_ROOMS = re.compile(
    r"(?<![\w])(?:[tf] ?\d{1,2}(?: ?bis)?|\d{1,2} ?-? ?(?:pieces?|pcs?|p|rooms?|r))(?![\w])"
    r"|(?<![\w])studios?(?![\w])"
)
_BEDROOMS = re.compile(r"(?<![\w])(\d{1,2}) ?-? ?(?:chambres?|ch|bedrooms?|beds?|bd)(?![\w])")
# A number, then an optional multiplier and an optional currency: what parse_money reads.
_MONEY = re.compile(
    r"(?<![\w.,])(?P<pre>(?:€|\$|eur)\s?)?"
    r"(?P<num>\d{1,3}(?P<sep>[ .,'])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    r"(?P<mult>\s?(?:k|m|mio|mns?|millions?)(?![a-z]))?"
    r"(?P<cur>\s?(?:€|eur(?:os?)?)(?![a-z]))?"
)


def surfaces(text: Text) -> tuple[list[Found], Text]:
    found = []
    for match in _SURFACE.finditer(text.low):
        try:
            found.append(Found(values.parse_surface(match[0]), *match.span()))
        except values.ValueProblem:
            continue
    return found, _take(text, found)


def rooms(text: Text) -> tuple[list[Found], Text]:
    found = []
    for match in _ROOMS.finditer(text.low):
        try:
            found.append(Found(values.parse_rooms(match[0].replace("-", " ")), *match.span()))
        except values.ValueProblem:
            continue
    # "studio" stays in the text: it is also the property type.
    return found, _take(text, [f for f in found if not text.low[f.start : f.end].startswith("s")])


def bedrooms(text: Text) -> tuple[list[Found], Text]:
    found = [Found(int(m[1]), *m.span()) for m in _BEDROOMS.finditer(text.low)]
    return found, _take(text, found)


def money(text: Text) -> tuple[list[Found], Text]:
    """Amounts: "350k", "350 000 €", "1,2 M€", "350K€", "€350,000", or a bare number of at
    least 10 000 (a bare "3" or "68" is not money)."""
    found = []
    for match in _MONEY.finditer(text.low):
        marked = match["pre"] or match["cur"] or match["mult"]
        mult = (match["mult"] or "").strip()
        number = match["num"]
        # "68m" is more likely metres than millions: "m" alone only for small or decimal values.
        if (
            mult == "m"
            and not match["cur"]
            and not re.search(r"[.,]\d{1,2}$", number)
            and int(re.sub(r"\D", "", number) or 0) > 20
        ):
            continue
        candidate = (number.replace(" ", "") if match["sep"] == " " else number) + mult
        try:
            amount = values.parse_money(candidate + ("€" if match["cur"] else ""))
        except values.ValueProblem:
            continue
        if not marked and amount < 10_000:
            continue
        end = match.end()
        found.append(Found(amount, match.start(), end))
    return found, _take(text, found)


# --- words -----------------------------------------------------------------------------------

_ROLE = _words(ROLES)
_TYPE = _words(PROPERTY_TYPES)
_TRANSACTION = _words(TRANSACTIONS)
_STAGE = _words(STAGES)
_STATUS = _words(PROPERTY_STATUSES)


def _choices(
    pattern: re.Pattern[str], table: dict[str, str], text: Text
) -> tuple[list[Found], Text]:
    found = [Found(table[m[1]], *m.span()) for m in pattern.finditer(text.low)]
    return found, _take(text, found)


def roles(text: Text) -> tuple[list[Found], Text]:
    return _choices(_ROLE, ROLES, text)


def property_types(text: Text) -> tuple[list[Found], Text]:
    return _choices(_TYPE, PROPERTY_TYPES, text)


def transactions(text: Text) -> tuple[list[Found], Text]:
    return _choices(_TRANSACTION, TRANSACTIONS, text)


def stages(text: Text) -> tuple[list[Found], Text]:
    return _choices(_STAGE, STAGES, text)


def statuses(text: Text) -> tuple[list[Found], Text]:
    return _choices(_STATUS, PROPERTY_STATUSES, text)


# --- places ----------------------------------------------------------------------------------

_CAPITALISED = r"[A-ZÀ-Ý][\w'-]*(?:[ -](?:sur|en|le|la|les|de|du)?[ -]?[A-ZÀ-Ý][\w'-]*){0,3}"
_CITY_AFTER = re.compile(rf"(?<![\w])(?:à|a|in|sur|near|pres de|près de|vers)\s+({_CAPITALISED})")
_POSTCODE = re.compile(r"(?<![\d\w])((?:0[1-9]|[1-8]\d|9[0-5]|2[ab])\d{3})(?![\d\w])")
_LOWER_CITY = re.compile(
    r"(?<![\w-])("
    + "|".join(sorted((re.escape(c) for c in KNOWN_CITIES), key=len, reverse=True))
    + r")(?![\w-])"
)


def cities(text: Text) -> tuple[list[Found], Text]:
    """ "à Lyon", "in Lyon", "sur Bordeaux", or a well-known city typed anyhow ("lyon")."""
    found: list[Found] = []
    for match in _LOWER_CITY.finditer(text.low):
        name = text.raw[match.start() : match.end()]
        found.append(Found(name if name[:1].isupper() else name.title(), *match.span()))
    if not found:
        for match in _CITY_AFTER.finditer(text.raw):
            word = text.low[match.start(1) : match.end(1)].split()[0]
            if word in PROPERTY_TYPES or word in ROLES or not match[1][:1].isupper():
                continue
            found.append(Found(match[1], match.start(1), match.end(1)))
            break
    return found, _take(text, found)


def postcodes(text: Text) -> tuple[list[Found], Text]:
    found = [Found(m[1], *m.span()) for m in _POSTCODE.finditer(text.low)]
    return found, _take(text, found)
