"""Tests for crm_core.values: table-driven examples plus hypothesis properties."""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_core.values import (
    ValueProblem,
    clean_text,
    parse_date,
    parse_datetime,
    parse_email,
    parse_money,
    parse_phone,
    parse_rooms,
    parse_surface,
    search_key,
)

PARIS = "Europe/Paris"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo(PARIS))  # a Friday
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def problem(call: Callable[[], object]) -> ValueProblem:
    with pytest.raises(ValueProblem) as info:
        call()
    return info.value


# --- ValueProblem ---------------------------------------------------------------------------


def test_value_problem_carries_code_and_params() -> None:
    error = ValueProblem("text_too_long", max_length=5)
    assert isinstance(error, ValueError)
    assert error.code == "text_too_long"
    assert error.params == {"max_length": 5}
    assert ValueProblem("text_empty").params == {}


# --- clean_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "multiline", "expected"),
    [
        ("  hello  ", False, "hello"),
        ("a \t\t b", False, "a b"),
        ("line1\nline2", False, "line1 line2"),
        ("line1\r\nline2", True, "line1\nline2"),
        ("a\n\n\n\n\nb", True, "a\n\nb"),
        ("a  \t b \nc   ", True, "a b\nc"),
        ("e\u0301te\u0301", False, "été"),  # NFC
        ("abc\u202edef", False, "abcdef"),  # bidi override removed
        ("a\u2066b\u2069c", False, "abc"),  # bidi isolates removed
        ("zero\u200bwidth\ufeff", False, "zerowidth"),
        ("bell\x07\x00", False, "bell"),
        ("no\u00a0break", False, "no break"),
        ("<b>bold</b>", False, "<b>bold</b>"),  # escaped at render time, not here
        ("'; DROP TABLE contacts; --", False, "'; DROP TABLE contacts; --"),
        ("Müller & Fils", False, "Müller & Fils"),
    ],
)
def test_clean_text(raw: str, multiline: bool, expected: str) -> None:
    assert clean_text(raw, max_length=100, multiline=multiline) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", "\u200b\u202e", "\x00"])
def test_clean_text_empty(raw: str) -> None:
    assert problem(lambda: clean_text(raw, max_length=10)).code == "text_empty"


def test_clean_text_too_long() -> None:
    assert clean_text("x" * 10, max_length=10) == "x" * 10
    error = problem(lambda: clean_text("x" * 11, max_length=10))
    assert (error.code, error.params) == ("text_too_long", {"max_length": 10})


def _has_invisible(text: str, multiline: bool) -> bool:
    return any(
        unicodedata.category(char) in ("Cc", "Cf", "Cs") and not (multiline and char == "\n")
        for char in text
    )


@FEW
@given(st.text(max_size=80), st.integers(min_value=1, max_value=60), st.booleans())
def test_clean_text_never_returns_invisibles_or_too_much(
    raw: str, max_length: int, multiline: bool
) -> None:
    try:
        cleaned = clean_text(raw, max_length=max_length, multiline=multiline)
    except ValueProblem as error:
        assert error.code in ("text_empty", "text_too_long")
        return
    assert cleaned
    assert len(cleaned) <= max_length
    assert cleaned == cleaned.strip()
    assert not _has_invisible(cleaned, multiline)
    # Cleaning is stable: cleaning clean text changes nothing.
    assert clean_text(cleaned, max_length=max_length, multiline=multiline) == cleaned


# --- search_key -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("François  Müller", "francois muller"),
        ("  ÉLODIE\tDURAND ", "elodie durand"),
        ("Straße", "strasse"),
        ("Ĳssel", "ijssel"),
        ("Anne-Sophie", "anne-sophie"),
    ],
)
def test_search_key(raw: str, expected: str) -> None:
    assert search_key(raw) == expected


@FEW
@given(st.text(max_size=40))
def test_search_key_idempotent(raw: str) -> None:
    key = search_key(raw)
    assert search_key(key) == key


# --- parse_phone ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("0612345678", "FR", "+33612345678"),
        ("+44 20 7946 0958", "FR", "+442079460958"),
        ("0033 6 12 34 56 78", "FR", "+33612345678"),
        ("06.12.34.56.78", "FR", "+33612345678"),
        ("(06) 12-34-56-78", "FR", "+33612345678"),
        ("+33612345678", "FR", "+33612345678"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("01 42 68 53 00", "FR", "+33142685300"),
    ],
)
def test_parse_phone(raw: str, region: str, expected: str) -> None:
    assert parse_phone(raw, region) == expected


@pytest.mark.parametrize(
    "raw", ["", "123", "06 12 34", "not a phone", "1-800-FLOWERS", "06 12 34 56 78 ext 2", "+999"]
)
def test_parse_phone_invalid(raw: str) -> None:
    error = problem(lambda: parse_phone(raw))
    assert (error.code, error.params) == ("phone_invalid", {"value": raw})


_SEPARATORS = st.sampled_from(["", " ", ".", "-"])


@FEW
@given(
    st.sampled_from(["060", "061", "062", "064", "065", "066", "067", "068", "073", "075", "078"]),
    st.lists(st.integers(0, 99), min_size=4, max_size=4),
    _SEPARATORS,
)
def test_parse_phone_idempotent_on_french_mobiles(lead: str, pairs: list[int], sep: str) -> None:
    # Metropolitan mobile ranges only: 063x and 069x are partly overseas (+262), 070-072 unused.
    digits = lead + "".join(f"{pair:02d}" for pair in pairs)
    groups = [digits[i : i + 2] for i in range(0, 10, 2)]
    e164 = parse_phone(sep.join(groups))
    assert e164 == "+33" + "".join(groups)[1:]
    assert parse_phone(e164) == e164


# --- parse_email ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jean.dupont@example.com", "jean.dupont@example.com"),
        ("  Jean.Dupont@Example.COM ", "Jean.Dupont@example.com"),
        ("a+tag@sub.domain.fr", "a+tag@sub.domain.fr"),
        ("élodie@café.fr", "élodie@café.fr"),
        ("x@xn--80ak6aa92e.xn--p1ai", "x@xn--80ak6aa92e.xn--p1ai"),
        ("x@my-agency.immo", "x@my-agency.immo"),
    ],
)
def test_parse_email(raw: str, expected: str) -> None:
    assert parse_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "plainaddress",
        "@example.com",
        "a@@example.com",
        "a@b@example.com",
        "jean dupont@example.com",
        "a@example",
        "a@example.c",
        "a@example.c0m",
        "a@-example.com",
        "a@example-.com",
        "a@exa_mple.com",
        "a@example..com",
        "a@.example.com",
        "a@" + "x" * 250 + ".com",
    ],
)
def test_parse_email_invalid(raw: str) -> None:
    error = problem(lambda: parse_email(raw))
    assert error.code == "email_invalid"
    assert error.params == {"value": raw[:40]}


# --- parse_money ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (350000, 350000),
        (350000.0, 350000),
        ("350000", 350000),
        ("350k", 350000),
        ("350K€", 350000),
        ("350 000 €", 350000),
        ("350 000", 350000),
        ("350\u202f000", 350000),
        ("350\u00a0000 €", 350000),
        ("350.000", 350000),
        ("350,000", 350000),
        ("1 250 000", 1250000),
        ("1.250.000", 1250000),
        ("1,2 M€", 1200000),
        ("1.2M", 1200000),
        ("1.2 million", 1200000),
        ("1,2 millions", 1200000),
        ("2 M", 2000000),
        ("€350k", 350000),
        ("EUR 350000", 350000),
        ("350 000 euros", 350000),
        ("350kE", 350000),
        ("1,5k", 1500),
        ("1 234 567,89", 1234568),
        ("99,50", 100),  # whole units, half up
        (10**12, 10**12),
    ],
)
def test_parse_money(raw: str | int | float, expected: int) -> None:
    assert parse_money(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "k", "1.234.5", "12,34,56", "3 pommes", "1e6", "€"])
def test_parse_money_invalid(raw: str) -> None:
    error = problem(lambda: parse_money(raw))
    assert (error.code, error.params) == ("money_invalid", {"value": raw})


@pytest.mark.parametrize("raw", [True, False, float("nan"), float("inf"), None, [1]])
def test_parse_money_wrong_types(raw: object) -> None:
    assert problem(lambda: parse_money(raw)).code == "money_invalid"  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", [0, -5, "0", "-350k", "- 350 000 €", "0,4", -1.5])
def test_parse_money_not_positive(raw: str | int | float) -> None:
    assert problem(lambda: parse_money(raw)).code == "money_negative"


@pytest.mark.parametrize("raw", [10**12 + 1, "2000000M", "1 000 000 000 001"])
def test_parse_money_too_large(raw: str | int) -> None:
    assert problem(lambda: parse_money(raw)).code == "money_too_large"


@FEW
@given(st.integers(min_value=1, max_value=10**9))
def test_parse_money_round_trips_integers(amount: int) -> None:
    assert parse_money(str(amount)) == amount
    assert parse_money(f"{amount:,}".replace(",", " ")) == amount
    assert parse_money(f"{amount:,} €".replace(",", "\u202f")) == amount
    assert parse_money(amount) == amount


# --- parse_surface --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (68, 68),
        (68.4, 68),
        (68.5, 69),
        ("68", 68),
        ("68 m²", 68),
        ("68m2", 68),
        ("68 sqm", 68),
        ("68 m 2", 68),
        ("68,5 m²", 69),  # half up
        ("68.4 m²", 68),
        ("68 sq m", 68),
        ("68 mètres carrés", 68),
        ("68 metres carres", 68),
        ("68 M²", 68),
        ("1 200 m²", 1200),
        ("100000", 100000),
    ],
)
def test_parse_surface(raw: str | int | float, expected: int) -> None:
    assert parse_surface(raw) == expected


@pytest.mark.parametrize(
    "raw", [0, -3, "0", "0,2 m²", "-68", "abc", "68 km", "100001", 100000.6, True, float("nan"), ""]
)
def test_parse_surface_invalid(raw: object) -> None:
    assert problem(lambda: parse_surface(raw)).code == "surface_invalid"  # type: ignore[arg-type]


# --- parse_rooms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (3, 3),
        ("3", 3),
        ("T3", 3),
        ("t3", 3),
        ("F4", 4),
        ("3 pièces", 3),
        ("3 pieces", 3),
        ("3 pcs", 3),
        ("3-room", 3),
        ("3 rooms", 3),
        ("studio", 1),
        ("Studio", 1),
        ("T1 bis", 1),
        ("T2bis", 2),
        ("50", 50),
    ],
)
def test_parse_rooms(raw: str | int, expected: int) -> None:
    assert parse_rooms(raw) == expected


@pytest.mark.parametrize("raw", [0, 51, "0", "T0", "51", "three", "", "3.5", True, -1])
def test_parse_rooms_invalid(raw: str | int) -> None:
    error = problem(lambda: parse_rooms(raw))
    assert (error.code, error.params) == ("rooms_invalid", {"value": str(raw)})


# --- parse_datetime -------------------------------------------------------------------------


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tomorrow 10:00", utc(2026, 12, 5, 9, 0)),
        ("tomorrow at 10am", utc(2026, 12, 5, 9, 0)),
        ("demain 10h", utc(2026, 12, 5, 9, 0)),
        ("demain 10:00", utc(2026, 12, 5, 9, 0)),
        ("demain à 10h30", utc(2026, 12, 5, 9, 30)),
        ("in 2 hours", utc(2026, 12, 4, 10, 0)),
        ("dans 2 heures", utc(2026, 12, 4, 10, 0)),
        ("dans 2h", utc(2026, 12, 4, 10, 0)),
        ("next monday 9:00", utc(2026, 12, 7, 8, 0)),
        ("lundi prochain 9h", utc(2026, 12, 7, 8, 0)),
        ("lundi prochain à 9h", utc(2026, 12, 7, 8, 0)),
        ("2026-12-24 18:00", utc(2026, 12, 24, 17, 0)),
        ("24/12/2026 18:00", utc(2026, 12, 24, 17, 0)),
        ("2026-12-24T18:00:00Z", utc(2026, 12, 24, 18, 0)),
        ("2026-12-24T18:00:00+05:00", utc(2026, 12, 24, 13, 0)),
    ],
)
def test_parse_datetime(raw: str, expected: datetime) -> None:
    result = parse_datetime(raw, tz=PARIS, now=NOW)
    assert result == expected
    assert result.tzinfo is UTC


def test_parse_datetime_across_dst() -> None:
    # Clocks go forward on 2026-03-29: 10:00 local that day is CEST (+02:00).
    now = datetime(2026, 3, 28, 12, 0, tzinfo=ZoneInfo(PARIS))
    assert parse_datetime("tomorrow 10:00", tz=PARIS, now=now) == utc(2026, 3, 29, 8, 0)
    assert parse_datetime("demain 10h", tz=PARIS, now=now) == utc(2026, 3, 29, 8, 0)
    assert parse_datetime("2026-03-29 10:00", tz=PARIS, now=now) == utc(2026, 3, 29, 8, 0)


def test_parse_datetime_other_zone() -> None:
    now = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    result = parse_datetime("tomorrow 10:00", tz="America/New_York", now=now)
    assert result == utc(2026, 12, 5, 15, 0)


def test_parse_datetime_from_datetimes() -> None:
    aware = datetime(2026, 12, 24, 18, 0, tzinfo=ZoneInfo(PARIS))
    assert parse_datetime(aware, tz="UTC", now=NOW) == utc(2026, 12, 24, 17, 0)
    naive = datetime(2026, 7, 1, 18, 0)
    assert parse_datetime(naive, tz=PARIS, now=NOW) == utc(2026, 7, 1, 16, 0)


@pytest.mark.parametrize(
    "raw", ["", "   ", "junk", "hello world", "a", "33", "x" * 500, "32/13/2026"]
)
def test_parse_datetime_invalid(raw: str) -> None:
    error = problem(lambda: parse_datetime(raw, tz=PARIS, now=NOW))
    assert (error.code, error.params) == ("datetime_invalid", {"value": raw[:40]})


def test_parse_datetime_requires_aware_now() -> None:
    with pytest.raises(AssertionError):
        parse_datetime("tomorrow", tz=PARIS, now=datetime(2026, 12, 4, 9, 0))


@FEW
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(2200, 12, 30),
        timezones=st.none() | st.timezones(),
    ),
    st.sampled_from(["T", " "]),
)
def test_parse_datetime_iso_is_aware_utc(moment: datetime, sep: str) -> None:
    text = moment.isoformat(sep)
    result = parse_datetime(text, tz=PARIS, now=NOW)
    assert result.tzinfo is UTC
    if moment.tzinfo is not None:
        # The instant the text names (its written offset): a zone's gap or fold times do not
        # compare equal across zones in Python, even when they print the same.
        assert result == datetime.fromisoformat(text)
    else:
        assert result.astimezone(ZoneInfo(PARIS)).replace(tzinfo=None) - moment in (
            timedelta(0),
            timedelta(hours=1),  # a wall-clock time inside the spring-forward gap
        )


# --- parse_date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("today", date(2026, 12, 4)),
        ("aujourd'hui", date(2026, 12, 4)),
        ("tomorrow", date(2026, 12, 5)),
        ("demain", date(2026, 12, 5)),
        ("2026-12-24", date(2026, 12, 24)),
        ("24/12/2026", date(2026, 12, 24)),
        ("lundi", date(2026, 12, 7)),
        ("monday", date(2026, 12, 7)),
        ("lundi prochain", date(2026, 12, 7)),
        (date(2027, 1, 1), date(2027, 1, 1)),
        (datetime(2026, 12, 24, 23, 30, tzinfo=UTC), date(2026, 12, 25)),  # already 00:30 Paris
    ],
)
def test_parse_date(raw: str | date, expected: date) -> None:
    assert parse_date(raw, tz=PARIS, now=NOW) == expected


def test_parse_date_is_local() -> None:
    late = datetime(2026, 12, 4, 23, 30, tzinfo=ZoneInfo(PARIS))  # 22:30 UTC
    assert parse_date("today", tz=PARIS, now=late) == date(2026, 12, 4)
    assert parse_date("demain", tz=PARIS, now=late) == date(2026, 12, 5)


@pytest.mark.parametrize("raw", ["", "junk", "31/02/2026", "x" * 200])
def test_parse_date_invalid(raw: str) -> None:
    error = problem(lambda: parse_date(raw, tz=PARIS, now=NOW))
    assert (error.code, error.params) == ("date_invalid", {"value": raw[:40]})


# --- junk never escapes as anything but ValueProblem ----------------------------------------

_PARSERS: dict[str, Callable[[str], object]] = {
    "clean_text": lambda raw: clean_text(raw, max_length=20),
    "search_key": search_key,
    "parse_phone": parse_phone,
    "parse_email": parse_email,
    "parse_money": parse_money,
    "parse_surface": parse_surface,
    "parse_rooms": parse_rooms,
    "parse_datetime": lambda raw: parse_datetime(raw, tz=PARIS, now=NOW),
    "parse_date": lambda raw: parse_date(raw, tz=PARIS, now=NOW),
}

_JUNK = st.text(max_size=30) | st.text(alphabet="0123456789 .,:/-+hkKmM€T", max_size=20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_PARSERS)), _JUNK)
def test_junk_raises_only_value_problem(name: str, raw: str) -> None:
    with contextlib.suppress(ValueProblem):
        _PARSERS[name](raw)
