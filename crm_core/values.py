"""Pure parsers for what agents type: text, phones, e-mails, money, surfaces, rooms, dates.

No aiogram, no SQL, no I/O. Each parser returns the stored form or raises ValueProblem with a
stable code (and params) that the bot translates; pydantic validators in crm_core.fields wrap them.
"""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import phonenumbers

__all__ = [
    "ValueProblem",
    "clean_text",
    "parse_date",
    "parse_datetime",
    "parse_email",
    "parse_money",
    "parse_phone",
    "parse_rooms",
    "parse_surface",
    "place_key",
    "search_key",
    "shown",
]

MAX_MONEY = 10**12
MAX_SURFACE = 100_000
MAX_ROOMS = 50
# Longer inputs are never a phone, an amount or a date; refusing them early keeps regexes and
# dateparser fast whatever gets pasted.
_MAX_SHORT_INPUT = 100
# Moments and days outside these years are typing mistakes, and near the ends of Python's
# calendar (years 1 and 9999) shifting to a time zone or to the next day overflows.
FIRST_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
END_OF_MOMENTS = datetime(3000, 1, 1, tzinfo=UTC)


class ValueProblem(ValueError):
    """An unusable input; ``code`` is stable (used as a translation key), ``params`` fill it."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, object] = params

    def __repr__(self) -> str:
        return f"ValueProblem({self.code!r}, **{self.params!r})"


def shown(value: object) -> str:
    # Echoed back in error messages: keep it short so a pasted essay doesn't flood the chat.
    try:
        return str(value)[:40]
    except ValueError:  # an int of more than 4300 digits has no str()
        return "…"


# --- text ---------------------------------------------------------------------------------

# Line separators other than "\n" (CR, NEL, U+2028/9) become "\n" before anything else.
_NEWLINES = re.compile(r"\r\n|[\r\x85\u2028\u2029]")
_SPACES = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


def _visible(char: str) -> str:
    """Map one character: newline kept, any other whitespace -> space, invisible -> dropped."""
    if char == "\n":
        return char
    if char.isspace():
        return " "
    # Cc: controls; Cf: bidi overrides/isolates, zero-width chars, BOM (used to spoof text);
    # Cs: lone surrogates, which cannot even be encoded to UTF-8 for storage.
    if unicodedata.category(char) in ("Cc", "Cf", "Cs"):
        return ""
    return char


def clean_text(value: str, *, max_length: int, multiline: bool = False) -> str:
    """Normalise free text. HTML/SQL-looking text is kept verbatim: it is stored as data and
    escaped at render time, so "sanitising" it here would only corrupt what the agent typed."""
    text = _NEWLINES.sub("\n", value)
    text = "".join(_visible(char) for char in text)
    # NFC after dropping invisibles, which may have separated a letter from its accent.
    text = unicodedata.normalize("NFC", text)
    if multiline:
        lines = [_SPACES.sub(" ", line).rstrip() for line in text.split("\n")]
        # At most one blank line between paragraphs.
        text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    else:
        text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    if not text:
        raise ValueProblem("text_empty")
    if len(text) > max_length:
        raise ValueProblem("text_too_long", max_length=max_length)
    return text


def search_key(value: str) -> str:
    """Accent- and case-insensitive lookup key: "François  Müller" -> "francois muller"."""
    # casefold before and after NFKD: each can produce what the other changes ("ℌ" -> "H",
    # "İ" -> "i" + dot), and the key must be idempotent to compare keys with keys.
    text = unicodedata.normalize("NFKD", value.casefold()).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.split())


# What separates the words of a town's name, written one way or another: "Saint-Étienne",
# "St. Etienne", "L'Isle-d'Abeau", "Aix en Provence"; any dash or apostrophe counts.
_PLACE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212'\u2019\u02bc.,/]+")
_PLACE_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}


def place_key(value: str) -> str:
    """Key of a town or area, to compare places as people write them: the search_key with
    hyphens, apostrophes and dots read as spaces, and "St"/"Ste" as "Saint"/"Sainte":
    "ST-ÉTIENNE" -> "saint etienne". A postcode or département keeps its digits only
    ("69 004" -> "69004"). Idempotent, so keys compare with keys."""
    words = _PLACE_SEPARATORS.sub(" ", search_key(value)).split()
    if words and all(word.isdecimal() for word in words):
        return "".join(words)
    return " ".join(_PLACE_ABBREVIATIONS.get(word, word) for word in words)


# --- phone & e-mail -----------------------------------------------------------------------


def parse_phone(value: str, region: str = "FR") -> str:
    """Any usual way of writing a phone number -> E.164; national numbers use ``region``."""
    # Letters are refused: phonenumbers would read "1-800-FLOWERS" or "06 12 ext 3" happily.
    if (
        not isinstance(value, str)
        or len(value) > _MAX_SHORT_INPUT
        or any(char.isalpha() for char in value)
    ):
        raise ValueProblem("phone_invalid", value=shown(value))
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueProblem("phone_invalid", value=shown(value)) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueProblem("phone_invalid", value=shown(value))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _domain_label_ok(label: str) -> bool:
    return (
        bool(label)
        and not label.startswith("-")
        and not label.endswith("-")
        and all(char.isalnum() or char == "-" for char in label)
    )


def parse_email(value: str) -> str:
    """A plausible address (not RFC 5322 in full): the domain is lowercased, the local part
    kept as typed because some servers treat it case-sensitively."""
    text = value.strip() if isinstance(value, str) else ""
    problem = ValueProblem("email_invalid", value=shown(value))
    if len(text) > 254 or text.count("@") != 1:
        raise problem
    local, domain = text.split("@")
    domain = domain.lower()
    labels = domain.split(".")
    tld = labels[-1]
    if (
        not local
        or not local.isprintable()
        or any(char.isspace() for char in local)
        or len(labels) < 2
        or not all(_domain_label_ok(label) for label in labels)
        # "xn--" TLDs are punycode spellings of IDN ones such as ".рф".
        or not (len(tld) >= 2 and (tld.isalpha() or tld.startswith("xn--")))
    ):
        raise problem
    return f"{local}@{domain}"


# --- numbers ------------------------------------------------------------------------------

# Thousands groups need one consistent separator and exactly 3 digits per group, so "1,5" and
# "1.2" stay decimals while "350.000", "350,000" and "350 000" are thousands.
_NUMBER = (
    r"(?P<int>\d{1,3}(?P<sep>[ .,'])\d{3}(?:(?P=sep)\d{3})*|\d+)"
    r"(?:(?P<dot>[.,])(?P<frac>\d+))?"
)
_CURRENCY = r"(?:€|\$|£|eur|euros?|e)"
_MONEY = re.compile(
    rf"(?:{_CURRENCY}\s*)?(?P<minus>-\s*)?(?:{_CURRENCY}\s*)?{_NUMBER}\s*"
    r"(?P<mult>k|m|mio|mns?|millions?)?\s*"
    rf"(?:{_CURRENCY})?"
)
_MULTIPLIERS = {
    "k": 1_000,
    "m": 1_000_000,
    "mio": 1_000_000,
    "mn": 1_000_000,
    "mns": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
}
# Narrow no-break, no-break, thin and figure spaces are what French formatting emits.
_SPACE_LIKE = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " ", "\u2007": " "})


def _decimal(match: re.Match[str]) -> Decimal | None:
    sep, dot, frac = match["sep"], match["dot"], match["frac"]
    if frac is not None and sep is not None and dot == sep:
        return None  # "1.234.5": the same mark cannot be both grouping and decimal point
    digits = match["int"].replace(sep or "_", "")
    return Decimal(f"{digits}.{frac}" if frac is not None else digits)


def _whole(number: Decimal) -> int:
    # Half-up rounding, as people do by hand: 68.5 m² -> 69.
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_money(value: str | int | float) -> int:
    """An amount in whole currency units: "350k", "350 000 €", "1,2 M€", "EUR 350000"..."""
    echoed = shown(value)
    if isinstance(value, bool):  # bool is an int subclass, but True is not 1 €
        raise ValueProblem("money_invalid", value=echoed)
    amount: Decimal | None
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(str(value)) if math.isfinite(value) else None
    elif isinstance(value, str) and len(value) <= _MAX_SHORT_INPUT:
        text = value.translate(_SPACE_LIKE).replace("\u2212", "-").strip().lower()
        match = _MONEY.fullmatch(text)
        amount = _decimal(match) if match else None
        if match and amount is not None:
            amount *= _MULTIPLIERS.get(match["mult"] or "", 1)
            if match["minus"]:
                amount = -amount
    else:
        amount = None
    if amount is None:
        raise ValueProblem("money_invalid", value=echoed)
    if amount > MAX_MONEY:
        raise ValueProblem("money_too_large")
    if amount <= 0:  # before rounding: -1e30 has more digits than a Decimal may quantize
        raise ValueProblem("money_negative")
    whole = _whole(amount)
    if whole <= 0:
        raise ValueProblem("money_negative")
    return whole


_SURFACE = re.compile(
    r"(?P<int>\d{1,3}(?: \d{3})+|\d+)(?:[.,](?P<frac>\d+))?\s*"
    r"(?:m\s*\^?\s*2|sq\.?\s*m|sqm|square\s+met(?:er|re)s?|met(?:er|re)s?\s+carres?|m)?"
)


def parse_surface(value: str | int | float) -> int:
    """Square metres, rounded half up to an int ("68,5 m²" -> 69)."""
    problem = ValueProblem("surface_invalid", value=shown(value))
    area: Decimal
    if isinstance(value, bool):
        raise problem
    if isinstance(value, int | float):
        area = Decimal(str(value))  # str() of a float is always a valid Decimal, maybe NaN
        if not area.is_finite():
            raise problem
    elif isinstance(value, str) and len(value) <= _MAX_SHORT_INPUT:
        # search_key turns "²" into "2" and "mètres carrés" into "metres carres".
        match = _SURFACE.fullmatch(search_key(value.translate(_SPACE_LIKE)))
        if not match:
            raise problem
        digits = match["int"].replace(" ", "")
        area = Decimal(f"{digits}.{match['frac']}" if match["frac"] else digits)
    else:
        raise problem
    if not 0 < area <= MAX_SURFACE:  # before rounding: -1e28 cannot be quantized
        raise problem
    whole = _whole(area)
    if whole <= 0:
        raise problem
    return whole


# "T3"/"F4" (French listings), "T1 bis", "3 pièces", "3 pcs", "3-room", "3 rooms".
_ROOMS = re.compile(
    r"[tf]\s*(?P<t>\d{1,3})(?:\s*bis)?"
    r"|(?P<n>\d{1,3})(?:\s*-?\s*(?:pieces?|pcs?|p|rooms?|r))?"
)


def parse_rooms(value: str | int) -> int:
    """Number of rooms; a studio counts as one."""
    problem = ValueProblem("rooms_invalid", value=shown(value))
    if isinstance(value, bool):
        raise problem
    if isinstance(value, int):
        rooms = value
    elif isinstance(value, str) and len(value) <= _MAX_SHORT_INPUT:
        key = search_key(value)
        match = _ROOMS.fullmatch(key)
        if key == "studio":
            rooms = 1
        elif match:
            rooms = int(match["t"] or match["n"])
        else:
            raise problem
    else:
        raise problem
    if not 1 <= rooms <= MAX_ROOMS:
        raise problem
    return rooms


# --- dates --------------------------------------------------------------------------------

_WEEKDAYS_FR = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
# dateparser reads "demain 10h" as "in 10 hours" and "lundi prochain" not at all.
_FRENCH_HOUR = re.compile(r"(?<![\d:])(\d{1,2})\s*h(?:\s*(\d{2}))?\b", re.IGNORECASE)
_DURATION_BEFORE = re.compile(r"\b(?:dans|in)\s*$", re.IGNORECASE)
_NEXT_WEEKDAY = re.compile(
    rf"\b(?:({_WEEKDAYS_FR})\s+prochain|prochain\s+({_WEEKDAYS_FR}))\b", re.IGNORECASE
)


def _french_hour(match: re.Match[str]) -> str:
    # "dans 2h" is a duration, which dateparser understands as it is.
    if _DURATION_BEFORE.search(match.string[: match.start()]):
        return match.group(0)
    return f"{match[1]}:{match[2] or '00'}"


def _normalise_phrase(text: str) -> str:
    text = _FRENCH_HOUR.sub(_french_hour, text)
    # With PREFER_DATES_FROM=future a bare weekday already means the next one.
    return _NEXT_WEEKDAY.sub(lambda m: m[1] or m[2], text)


def _in_zone(moment: datetime, tz: str) -> datetime:
    """Aware UTC for ``moment``; a naive one is a wall-clock time in ``tz``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC)


def _from_iso(text: str, tz: str) -> datetime | None:
    try:
        # Python 3.11 accepts "Z" and most ISO 8601 forms; "2026-12-24" means its midnight.
        return _in_zone(datetime.fromisoformat(text), tz)
    except (ValueError, OverflowError):
        return None


def _from_words(text: str, tz: str, now: datetime, locales: tuple[str, ...]) -> datetime | None:
    # dateparser reads a lone number ("33") as a year or a day and "a" as "1": not a moment.
    if len(text) < 2 or text.isdigit():
        return None
    import dateparser  # slow first import: only paid when someone types words
    from dateparser.conf import SettingValidationError

    languages = list(dict.fromkeys(re.split(r"[-_]", loc)[0].lower() for loc in locales))
    settings = {
        "TIMEZONE": tz,
        # Naive wall-clock results, localised below with zoneinfo: dateparser's own aware
        # results carry the UTC offset of `now` (pytz), wrong across a DST change. A zone
        # named in the text is still honoured, converted to `tz` before the offset is dropped.
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.astimezone(ZoneInfo(tz)).replace(tzinfo=None),
        "DATE_ORDER": "DMY",
    }
    try:
        parsed = dateparser.parse(_normalise_phrase(text), languages=languages, settings=settings)
        return _in_zone(parsed, tz) if parsed is not None else None
    except SettingValidationError:
        raise  # our bug, not the agent's
    except Exception:  # dateparser can trip on odd input (overflow, regex, ...): not a date
        return None


def parse_datetime(
    value: str | datetime,
    *,
    tz: str,
    now: datetime,
    locales: tuple[str, ...] = ("en", "fr"),
) -> datetime:
    """A moment as an aware UTC datetime; naive input and words are read in the ``tz`` zone,
    relative phrases ("tomorrow 10:00", "demain 10h", "dans 2 heures") from ``now``."""
    assert now.tzinfo is not None and now.utcoffset() is not None, "now must be aware"
    ZoneInfo(tz)  # an unknown zone is a configuration bug: fail loudly, not as "invalid date"
    result = None
    if isinstance(value, datetime):
        with contextlib.suppress(OverflowError):
            result = _in_zone(value, tz)
    else:
        text = value.strip() if isinstance(value, str) else ""
        if text and len(text) <= _MAX_SHORT_INPUT:
            result = _from_iso(text, tz) or _from_words(text, tz, now, locales)
    if result is None or not FIRST_MOMENT <= result < END_OF_MOMENTS:
        raise ValueProblem("datetime_invalid", value=shown(value))
    return result


def parse_date(value: str | date, *, tz: str, now: datetime) -> date:
    """A calendar day as seen in ``tz``: "today", "demain", "24/12/2026", "lundi"..."""
    assert now.tzinfo is not None and now.utcoffset() is not None, "now must be aware"
    day = _day(value, ZoneInfo(tz), tz, now)
    if day is None or not FIRST_MOMENT.date() <= day < END_OF_MOMENTS.date():
        raise ValueProblem("date_invalid", value=shown(value))
    return day


def _day(value: str | date, zone: ZoneInfo, tz: str, now: datetime) -> date | None:
    if isinstance(value, datetime):
        try:
            return value.astimezone(zone).date() if value.tzinfo is not None else value.date()
        except OverflowError:
            return None
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if text and len(text) <= _MAX_SHORT_INPUT:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return parse_datetime(text, tz=tz, now=now).astimezone(zone).date()
        except (ValueProblem, OverflowError):
            pass
    return None
