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
    NOT_PLACES,
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
_BEDROOMS = re.compile(
    r"(?<![\w])(\d{1,2}) ?-? ?(?:chambres?|ch|bedrooms?|beds?|bd|bdrs?|bdrms?|br)(?![\w])"
)
# A number, then an optional multiplier and an optional currency: what parse_money reads.
_MONEY = re.compile(
    r"(?<![\w.,])(?P<pre>(?:€|\$|eur)\s?)?"
    r"(?P<num>\d{1,3}(?P<sep>[ .,'])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    r"(?P<mult>\s?(?:k|m|mio|mns?|millions?)(?![a-z]))?"
    r"(?P<cur>\s?(?:€|eur(?:os?)?|e)(?![a-z]))?"
    r"(?P<per>\s?(?:/|par|per|a|an?|by)\s?(?:mois|month|mth|mo|m)(?![a-z]))?"
)
# "250-300k", "entre 300 et 380k", "from 300 to 350k": the first bound shares the unit.
_RANGE_TAIL = re.compile(
    r"\s?(?:-|–|a|à|to|et|and)\s?\d{1,3}(?:[.,]\d+)?\s?(?P<mult>k|m|mio|millions?)(?![a-z])"
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
        # A monthly amount ("850 par mois", "€900/month") is money whatever its size.
        marked = match["pre"] or match["cur"] or match["mult"] or match["per"]
        mult = (match["mult"] or "").strip()
        number = match["num"]
        shared = None if mult or match["cur"] else _RANGE_TAIL.match(text.low, match.end())
        if shared:
            mult, marked = shared["mult"], "range"
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
        if (match["cur"] or "").strip() == "e" and amount < 100 and not match["per"]:
            continue  # "2e étage" is a floor; "90e/mois" is a rent
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
_PLACE_CUE = (
    r"(?:à|a|in|sur|near|around|pres de|près de|vers|secteur|quartier|zone|area|region|ville"
    r"|city|cote|côté|based in|lives in|habite(?: a| à)?)"
)
_CITY_AFTER = re.compile(rf"(?<![\w])(?:{_PLACE_CUE})\s+({_CAPITALISED})")
# "sur" also means "about" ("infos sur jean-pierre"): a lowercase word after it is no town.
_LOWER_AFTER = re.compile(
    r"(?<![\w])(?:à|a|in|near|around|pres de|près de|vers|secteur|quartier|zone|area|ville"
    r"|city|based in|lives in)\s+((?:st|ste|saint|sainte)[ -][a-z]+(?:-[a-z]+)*"
    r"|[a-z][a-z'-]{2,})(?![\w])"
)
# "Saint-Genis-Laval", "St Etienne": a saint's name opens many town names.
_SAINT = re.compile(r"(?<![\w-])(?:st|ste|saint|sainte)[ -][a-z]+(?:-[a-z]+)*(?![\w-])")
_POSTCODE = re.compile(r"(?<![\d\w])((?:0[1-9]|[1-8]\d|9[0-5]|2[ab])\d{3})(?![\d\w])")
# A postcode is read before amounts only when a place name follows it ("69002 Lyon").
_POSTCODE_TOWN = re.compile(
    _POSTCODE.pattern + r"(?=\s+(?!(?:k|m|eur|euros?|mio)(?![\w]))[^\W\d_])"
)
_LOWER_CITY = re.compile(
    r"(?<![\w-])("
    + "|".join(sorted((re.escape(c) for c in KNOWN_CITIES), key=len, reverse=True))
    + r")(?![\w-])"
)
_PLACE_WORDS = re.compile(r"[^\W\d_][\w'-]*(?:[ -][^\W\d_][\w'-]*){0,3}")


def _city(text: Text, start: int, end: int) -> Found:
    name = text.raw[start:end]
    return Found(name if name[:1].isupper() else name.title(), start, end)


def is_place_word(low: str) -> bool:
    """Whether a folded word can name a town: not a word of the CRM's own vocabulary."""
    return low not in NOT_PLACES and not low.isdigit()


def cities(text: Text) -> tuple[list[Found], Text]:
    """A well-known city typed anyhow ("lyon"), a saint's town ("St Etienne"), or the place
    after a cue: "à Lyon", "in Lyon", "secteur Ecully", "a caluire" (a lowercase word only
    when it is not one of the CRM's words)."""
    found: list[Found] = [_city(text, *m.span()) for m in _LOWER_CITY.finditer(text.low)]
    if not found:
        found = [_city(text, *m.span()) for m in _SAINT.finditer(text.low)]
    if not found:
        for match in _CITY_AFTER.finditer(text.raw):
            word = text.low[match.start(1) : match.end(1)].split()[0]
            if not is_place_word(word) or not match[1][:1].isupper():
                continue
            found.append(Found(match[1], match.start(1), match.end(1)))
            break
    if not found:
        for match in _LOWER_AFTER.finditer(text.low):
            if is_place_word(match[1].split()[0]):
                found.append(Found(text.raw[match.start(1) : match.end(1)], *match.span(1)))
                break
    return found, _take(text, found)


def loose_city(text: Text, after: int = 0) -> Found | None:
    """A capitalised place standing alone in a record's description ("maison Tassin",
    "T2 St Etienne 120k"): the first capitalised word group after ``after`` that is none
    of the CRM's words. Only read once the person's name has been taken out."""
    for match in re.finditer(_CAPITALISED, text.raw[after:]):
        start, end = after + match.start(), after + match.end()
        if start > 0 and (text.raw[start - 1].isalnum() or text.raw[start - 1] in "'@.-"):
            continue
        words = text.low[start:end].split()
        if all(is_place_word(w) for w in words):
            return Found(text.raw[start:end], start, end)
    return None


def place_after_postcode(text: Text, postcode: Found) -> Found | None:
    """ "69002 Lyon", "69130 Ecully": the words right after a postcode name its town."""
    index = postcode.end
    while index < len(text.raw) and text.raw[index] == " ":
        index += 1
    match = _PLACE_WORDS.match(text.raw, index)
    if match is None or index - postcode.end > 2:
        return None
    words = text.low[match.start() : match.end()].split()
    if not all(is_place_word(w) for w in words):
        return None
    return Found(match[0], match.start(), match.end())


def postcodes(text: Text, *, with_town: bool = False) -> tuple[list[Found], Text]:
    pattern = _POSTCODE_TOWN if with_town else _POSTCODE
    found = [Found(m[1], *m.span()) for m in pattern.finditer(text.low)]
    return found, _take(text, found)
