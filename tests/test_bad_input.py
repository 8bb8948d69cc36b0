"""What members get wrong, or paste, or forge: every bad input is refused with a message that
names the problem and leaves the database as it was; odd text (HTML, SQL, control characters,
huge pastes) is stored as text and shown escaped; every message the bot sends is deliverable
(valid Telegram HTML, at most 4096 characters) and every button's data fits in 64 bytes."""

from __future__ import annotations

import re
import unicodedata
from html import escape
from typing import Any

import pytest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import InlineKeyboardMarkup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select

from crm_core import accounts, values
from crm_core.context import OperationContext
from crm_core.models import (
    TENANT_MODELS,
    Activity,
    Contact,
    Deal,
    Note,
    Property,
    RecordCounter,
    Reminder,
    User,
)
from crm_core.registry import build_registry
from tests.harness import ChatUser, Harness, Turn

TELEGRAM_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);")

EVIL = "<b>Evil</b> & <script>"
EVIL_ESCAPED = "&lt;b&gt;Evil&lt;/b&gt; &amp; &lt;script&gt;"
SQL = "Robert'); DROP TABLE contacts;--"


# --- what Telegram accepts ------------------------------------------------------------------


def html_problem(message: str) -> str | None:
    """Why Telegram would refuse this HTML message, or None."""
    if not 0 < len(message) <= TELEGRAM_LIMIT:
        return f"length {len(message)}"
    opened: list[str] = []
    for tag in _TAG.finditer(message):
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if name not in HTML_TAGS:
            return f"unsupported tag <{name}>"
        if not closing:
            opened.append(name)
        elif not opened or opened.pop() != name:
            return f"unbalanced </{name}>"
    if opened:
        return f"unclosed <{opened[-1]}>"
    bare = _ENTITY.sub("", _TAG.sub("", message))
    for char in "<>&":
        if char in bare:
            return f"bare {char!r} at {bare.index(char)}"
    return None


def markups(harness: Harness) -> list[InlineKeyboardMarkup]:
    found = []
    for method in harness.session.requests:
        markup = getattr(method, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            found.append(markup)
    return found


def callback_data_sent(harness: Harness) -> list[str]:
    return [
        button.callback_data
        for markup in markups(harness)
        for row in markup.inline_keyboard
        for button in row
        if button.callback_data is not None
    ]


@pytest.fixture(autouse=True)
def everything_sent_is_deliverable(harness: Harness) -> Any:
    """After each test of this file: every text the bot sent is valid Telegram HTML of at most
    4096 characters, and every button's callback data fits in 64 bytes."""
    yield
    for method in harness.session.requests:
        if isinstance(method, SendMessage | EditMessageText) and method.text is not None:
            problem = html_problem(method.text)
            assert problem is None, f"{problem}: {method.text[:300]!r}"
    for data in callback_data_sent(harness):
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT, data
    for markup in markups(harness):
        for row in markup.inline_keyboard:
            for button in row:
                assert button.text.strip(), markup


# --- the database ---------------------------------------------------------------------------


async def agency_of(harness: Harness, user: ChatUser) -> int:
    async with harness.db.session() as session:
        agency_id = await session.scalar(select(User.agency_id).where(User.telegram_id == user.id))
    assert agency_id is not None
    return agency_id


async def snapshot(harness: Harness, user: ChatUser) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every record of the user's agency, and its short-ref counters."""
    agency_id = await agency_of(harness, user)
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with harness.db.session(agency_id) as session:
        for model in (*TENANT_MODELS, RecordCounter):
            keys = [attr.key for attr in inspect(model).column_attrs]
            query = select(model).where(model.agency_id == agency_id)
            rows = await session.scalars(query)
            tables[model.__tablename__] = sorted(
                (tuple(getattr(row, key) for key in keys) for row in rows), key=repr
            )
    return tables


async def stored(harness: Harness, user: ChatUser, model: type[Any]) -> list[Any]:
    async with harness.db.session(await agency_of(harness, user)) as session:
        return list(await session.scalars(select(model).order_by(model.number)))


async def run_operation(harness: Harness, user: ChatUser, name: str, calls: list[dict]) -> None:
    """Create records through the domain directly (fast), as ``user``."""
    registry = build_registry()
    async with harness.db.session(await agency_of(harness, user)) as session:
        member = await accounts.find_member(session, user.id)
        assert member is not None
        context = OperationContext(session, member.actor, harness.clock.now)
        for args in calls:
            await registry.execute(context, name, args)


async def seed(user: ChatUser) -> None:
    """C1 Marie, P1, D1 (Marie on P1), R1: targets for updates that must not happen."""
    for command in (
        "/add_contact Marie Dupont phone=06 12 34 56 78 city=Lyon",
        "/add_property T3 Croix-Rousse city=Lyon price=300k",
        "/create_deal C1 property=P1",
        "/add_reminder C1 Call Marie due_at=tomorrow 10:00",
    ):
        turn = await user.send(command)
        assert "✅" in turn.text or "⏰" in turn.text, turn.text


def is_refusal(turn: Turn) -> bool:
    return not any(mark in turn.text for mark in ("✅", "saved", "updated", "Deleted", "Logged"))


# --- bad arguments --------------------------------------------------------------------------

HUGE = "x" * 4000

BAD_INPUT = {
    "contacts": [
        ("/add_contact", ["name", "required"]),
        ("/add_contact    \u200b\u202e ", ["name", "cannot be empty"]),
        (f"/add_contact {HUGE}", ["name", "too long", "200"]),
        ("/add_contact Bob phone=12ab", ["phone", "“12ab”"]),
        ("/add_contact Bob phone=123", ["phone", "“123”"]),
        ("/add_contact Bob phone=06 12 34 56 78 90 12 34", ["phone", "06 12 34 56 78 90 12 34"]),
        ("/add_contact Bob phone=1-800-FLOWERS", ["phone", "1-800-FLOWERS"]),
        ("/add_contact Bob email=bob@", ["email", "“bob@”"]),
        ("/add_contact Bob email=bob@example", ["email", "bob@example"]),
        ("/add_contact Bob email=bob@@example.com", ["email", "bob@@example.com"]),
        ("/add_contact Bob email=bob smith@example.com", ["email", "bob smith@example.com"]),
        ("/add_contact Bob role=alien", ["role", "“alien”", "buyer, seller"]),
        ("/add_contact Bob budget_min=500k budget_max=300k", ["minimum budget", "maximum"]),
        ("/add_contact Bob budget_max=-300k", ["maximum budget", "above zero"]),
        ("/add_contact Bob rooms_min=lots", ["minimum rooms", "“lots”"]),
        (f"/add_contact Bob city={'c' * 121}", ["city", "too long", "120"]),
        (f"/add_contact Bob source={'s' * 121}", ["source", "too long", "120"]),
        ("/update_contact C1 phone=0", ["phone", "“0”"]),
        ("/update_contact C1 email=@example.com", ["email", "@example.com"]),
        ("/update_contact C99 city=Paris", ["no contact", "C99"]),
        ("/show_contact", ["contact", "required"]),
        ("/show_contact C99", ["no contact", "“C99”"]),
        ("/show_contact Nobody", ["no contact", "“Nobody”"]),
        ("/show_contact C1 extra words", ["takes no free text", "/help show_contact"]),
        ("/delete_contact C99", ["no contact", "C99"]),
        ("/find_contacts limit=999", ["limit", "not valid"]),
        ("/find_contacts limit=0", ["limit", "not valid"]),
        (f"/contacts {'x' * 300}", ["search", "too long"]),
    ],
    "properties": [
        ("/add_property Flat price=-5", ["price", "above zero"]),
        ("/add_property Flat price=-350k", ["price", "above zero"]),
        ("/add_property Flat price=0", ["price", "above zero"]),
        ("/add_property Flat price=lots", ["price", "“lots”"]),
        ("/add_property Flat price=99999999999999", ["price", "too large"]),
        ("/add_property Flat property_type=castle", ["property type", "“castle”", "apartment"]),
        ("/add_property Flat transaction=swap", ["transaction", "“swap”", "for rent"]),
        ("/add_property Flat surface_m2=-3", ["surface", "above zero"]),
        ("/add_property Flat rooms=many", ["rooms", "“many”"]),
        ("/add_property Flat bedrooms=-1", ["bedrooms", "“-1”"]),
        ("/add_property Flat postcode=1234567890123", ["postcode", "too long", "12"]),
        (f"/add_property Flat city={'c' * 121}", ["city", "too long", "120"]),
        (f"/add_property {'t' * 201}", ["title", "too long", "200"]),
        ("/add_property Flat owner_contact=C99", ["no contact", "C99"]),
        ("/update_property P1 status=demolished", ["status", "“demolished”", "under offer"]),
        ("/update_property P1 price=-1", ["price", "above zero"]),
        ("/update_property P99 status=sold", ["no property", "P99"]),
        ("/show_property C1", ["no property", "“C1”"]),
        ("/delete_property Nowhere", ["no property", "“Nowhere”"]),
        ("/find_properties price_min=cheap", ["minimum price", "“cheap”"]),
    ],
    "deals": [
        ("/create_deal", ["contact", "required"]),
        ("/create_deal C99", ["no contact", "C99"]),
        ("/create_deal C1 property=P99", ["no property", "P99"]),
        ("/create_deal C1 amount=-1", ["amount", "above zero"]),
        ("/create_deal C1 stage=maybe", ["stage", "“maybe”"]),
        ("/update_deal D1 stage=maybe", ["stage", "“maybe”", "under contract"]),
        ("/update_deal D1 amount=free", ["amount", "“free”"]),
        ("/update_deal D9 stage=won", ["no deal", "D9"]),
        ("/show_deal P1", ["no deal", "P1"]),
        ("/list_deals contact=C99", ["no contact", "C99"]),
    ],
    "activities and notes": [
        ("/log_activity Hi", ["kind", "required"]),
        ("/log_activity Hi kind=telepathy", ["kind", "“telepathy”", "call"]),
        ("/log_activity Hi kind=call occurred_at=whenever", ["date", "“whenever”"]),
        ("/log_activity Hi kind=call contact=C99", ["no contact", "C99"]),
        ("/add_note", ["text", "required"]),
        (f"/add_note {'y' * 4001}", ["text", "too long", "4000"]),
        ("/add_note C99 hello", ["no contact", "C99"]),
        ("/add_note D99 hello", ["no deal", "D99"]),
    ],
    "reminders": [
        ("/add_reminder Call", ["time", "required"]),
        ("/add_reminder due_at=tomorrow 10:00", ["text", "required"]),
        ("/add_reminder Call due_at=someday", ["time", "“someday”"]),
        ("/add_reminder Call due_at=2026-02-30 10:00", ["time", "2026-02-30 10:00"]),
        ("/add_reminder Call due_at=2026-03-09 10:00", ["time", "already passed"]),
        ("/add_reminder Call due_at=yesterday", ["time", "already passed"]),
        ("/add_reminder Call due_at=tomorrow 10:00 recurrence=hourly", ["“hourly”"]),
        (f"/add_reminder {'r' * 1001} due_at=tomorrow 10:00", ["text", "too long", "1000"]),
        ("/add_reminder Call due_at=tomorrow 10:00 contact=C99", ["no contact", "C99"]),
        ("/snooze_reminder R1", ["new time", "required"]),
        ("/snooze_reminder R1 until=someday", ["new time", "“someday”"]),
        ("/snooze_reminder R1 until=2026-03-01 10:00", ["new time", "already passed"]),
        ("/snooze_reminder R99 until=tomorrow 11:00", ["no reminder", "R99"]),
        ("/complete_reminder R99", ["no reminder", "R99"]),
        ("/cancel_reminder", ["reminder", "required"]),
        ("/list_reminders forever", ["period", "“forever”"]),
        ("/list_reminders today tomorrow", ["period", "“today tomorrow”"]),
        ("/agenda someday", ["day", "“someday”"]),
        ("/today 2026-13-45", ["day", "“2026-13-45”"]),
    ],
    "commands": [
        ("/frobnicate", ["do not know that command", "/help"]),
        ("/frobnicate C1 now", ["do not know that command"]),
        ("/ add_contact Bob", ["/help"]),
        ("x" * 5000, ["too long", "5000", "4096"]),
    ],
}


@pytest.mark.parametrize("area", list(BAD_INPUT))
async def test_bad_input_is_refused_clearly_and_changes_nothing(
    harness: Harness, owner: ChatUser, area: str
) -> None:
    await seed(owner)
    for command, expected in BAD_INPUT[area]:
        harness.clock.advance(seconds=3)  # a person's pace: under the messages-per-minute limit
        before = await snapshot(harness, owner)

        turn = await owner.send(command)

        shown = command[:60]
        assert len(turn.messages) == 1, (shown, turn.messages)
        for words in expected:
            assert words in turn.text, (shown, words, turn.text)
        assert turn.buttons == [], (shown, turn.labels)  # nothing to confirm or pick
        assert is_refusal(turn), (shown, turn.text)
        assert await snapshot(harness, owner) == before, shown


async def test_a_bad_answer_in_a_form_is_asked_again_and_cancel_stores_nothing(
    harness: Harness, owner: ChatUser
) -> None:
    await owner.send("/new")
    await owner.press("Contact")

    huge = await owner.send(HUGE)
    assert "too long" in huge.text and "full name?" in huge.text
    await owner.send("Jean Valjean")
    await owner.press("seller")
    phone = await owner.send("call me maybe")
    assert "“call me maybe”" in phone.text and "Phone number?" in phone.text
    await owner.send("/cancel")

    assert await stored(harness, owner, Contact) == []


@pytest.mark.parametrize(
    "data",
    [
        "pa:forgedtoken:y",  # a confirmation that was never asked
        "zzz",
        "op:",
        "op:drop_everything:C1:",
        "op:update_deal:D1:amount=-5",
        "op:update_contact:C1:name=",
        "o:C99",
        "ed:C1:agency_id",
    ],
)
async def test_forged_buttons_change_nothing(harness: Harness, owner: ChatUser, data: str) -> None:
    await seed(owner)
    before = await snapshot(harness, owner)

    turn = await owner.press_data(owner.last_message(), data)
    follow_up = await owner.send("2")  # in case a form was started

    assert "Deleted" not in turn.text + follow_up.text
    assert await snapshot(harness, owner) == before


async def test_a_forged_delete_button_only_asks(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)
    before = await snapshot(harness, owner)

    turn = await owner.press_data(owner.last_message(), "op:delete_contact:C1:")

    assert "Delete C1 · Marie Dupont?" in turn.text
    assert await snapshot(harness, owner) == before


# --- text that looks like code --------------------------------------------------------------


async def test_html_in_a_name_is_stored_as_text_and_escaped_in_every_reply(
    harness: Harness, owner: ChatUser
) -> None:
    steps = [
        f"/add_contact {EVIL} city=Lyon",
        "/contacts",
        "/find_contacts Evil",
        "/show_contact C1",
        "/create_deal C1",
        "/show_deal D1",
        "/deals",
        "/add_contact <b>Evil</b> twin",
        "/show_contact <b>Evil",  # two match: the reference is echoed, then one is picked
        "[C1]",
        "/delete_contact C1",
        "[Yes, delete]",
    ]
    for step in steps:
        turn = await (owner.press(step[1:-1]) if step.startswith("[") else owner.send(step))
        raw = "\n".join(turn.messages)
        assert "<b>Evil" not in raw and "<script>" not in raw, (step, raw)
        if step in ("/add_contact <b>Evil</b> twin", "/show_contact <b>Evil"):
            assert "&lt;b&gt;Evil" in raw, (step, raw)  # the twin, or the echoed reference
        else:
            # What the user reads is exactly what was typed.
            assert EVIL_ESCAPED in raw and EVIL in turn.text, (step, raw)
        if step == "/contacts":
            assert any(EVIL in label for label in turn.labels)  # labels are plain text
    [twin] = await stored(harness, owner, Contact)
    assert twin.name == "<b>Evil</b> twin"


@pytest.mark.parametrize(
    ("commands", "model", "column"),
    [
        (["/add_contact Bob city=EVIL", "/contacts"], Contact, "city"),
        (["/add_contact Bob source=EVIL", "/show_contact C1"], Contact, "source"),
        (["/add_contact Bob notes=EVIL", "/show_contact C1"], Contact, "notes"),
        (["/add_property EVIL", "/properties", "/show_property P1"], Property, "title"),
        (["/add_property Flat address=EVIL", "/show_property P1"], Property, "address"),
        (["/add_property Flat description=EVIL", "/show_property P1"], Property, "description"),
        (
            ["/add_contact Bob", "/create_deal C1 title=EVIL", "/deals", "/show_deal D1"],
            Deal,
            "title",
        ),
        (["/add_reminder EVIL due_at=today 18:00", "/reminders", "/today"], Reminder, "text"),
        (["/add_contact Bob", "/add_note C1 EVIL", "/show_contact C1"], Note, "text"),
        (
            ["/add_contact Bob", "/log_activity C1 EVIL kind=call", "/show_contact C1"],
            Activity,
            "summary",
        ),
    ],
)
async def test_html_in_any_text_field_is_stored_verbatim_and_shown_escaped(
    harness: Harness, owner: ChatUser, commands: list[str], model: type[Any], column: str
) -> None:
    shown_in = 0
    for command in commands:
        turn = await owner.send(command.replace("EVIL", EVIL))
        assert "could not" not in turn.text, turn.text
        raw = "\n".join(turn.messages)
        assert "<b>Evil" not in raw and "<script>" not in raw, raw
        if EVIL_ESCAPED in raw:
            assert EVIL in turn.text
            shown_in += 1

    assert EVIL_ESCAPED in raw  # the last command shows the record
    assert shown_in >= len(commands) - 1, shown_in  # and so does each other after set-up
    [record] = await stored(harness, owner, model)
    assert getattr(record, column) == EVIL


async def test_an_echoed_bad_value_is_escaped(harness: Harness, owner: ChatUser) -> None:
    for command, echoed in [
        ("/add_contact Bob phone=<b>1</b>", "“&lt;b&gt;1&lt;/b&gt;”"),
        ("/add_property Flat property_type=<i>castle</i>", "“&lt;i&gt;castle&lt;/i&gt;”"),
        ("/show_contact <a href='x'>me</a>", "&lt;a href=&#x27;x&#x27;&gt;me&lt;/a&gt;"),
        ("/add_reminder Call due_at=<when?>", "“&lt;when?&gt;”"),
    ]:
        turn = await owner.send(command)
        assert echoed in "\n".join(turn.messages), turn.messages
    assert await stored(harness, owner, Contact) == []


async def test_sql_fragments_are_stored_verbatim(harness: Harness, owner: ChatUser) -> None:
    turn = await owner.send(f"/add_contact {SQL} notes=1'; DELETE FROM users; --")
    assert "Contact saved" in turn.text and SQL in turn.text
    await owner.send("/add_contact Marie Dupont")

    robert, marie = await stored(harness, owner, Contact)
    assert marie.name == "Marie Dupont"
    assert (robert.name, robert.notes) == (SQL, "1'; DELETE FROM users; --")
    assert "Marie Dupont" in (await owner.send("/contacts")).text  # the table is still there
    found = await owner.send("/find_contacts Robert');")
    assert "(1 of 1)" in found.text and SQL in found.text
    assert "No contact found" in (await owner.send("/find_contacts ' OR 1=1 --")).text
    assert SQL in (await owner.send(f"/show_contact {SQL}")).text
    async with harness.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    ("query", "found"), [("%", "100% Pure"), ("_", "a_b"), ("\\", "back\\slash")]
)
async def test_search_wildcards_match_themselves(
    harness: Harness, owner: ChatUser, query: str, found: str
) -> None:
    for name in ("Marie Dupont", "100% Pure", "a_b", "back\\slash"):
        await owner.send(f"/add_contact {name}")

    turn = await owner.send(f"/find_contacts {query}")

    assert "(1 of 1)" in turn.text and found in turn.text, turn.text


# --- invisible and control characters -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("A\u202eB Martin", "AB Martin"),  # right-to-left override
        ("Zoé\u200b Martin", "Zoé Martin"),  # zero-width space
        ("Nul\x00l Martin", "Null Martin"),
        ("\ufeffBOM Martin", "BOM Martin"),
        ("Be\x07ll Martin", "Bell Martin"),
        ("Jose\u0301 Garcia", "José Garcia"),  # combining accent, composed
        ("Line\u2028Break", "Line Break"),
        ("Tab\tSeparated", "Tab Separated"),
        ("\u202e\u200b\x00", None),  # nothing visible left
    ],
)
async def test_control_characters_are_stripped_or_refused(
    harness: Harness, owner: ChatUser, typed: str, kept: str | None
) -> None:
    turn = await owner.send(f"/add_contact {typed}")

    contacts = await stored(harness, owner, Contact)
    if kept is None:
        assert "name" in turn.text and "empty" in turn.text
        assert contacts == []
    else:
        assert "Contact saved" in turn.text and kept in turn.text
        assert [c.name for c in contacts] == [kept]
        card = await owner.send(f"/show_contact {typed}")  # found by what was typed
        assert f"C1 · {kept}" in card.text


async def test_a_note_keeps_its_lines_but_not_its_control_characters(
    harness: Harness, owner: ChatUser
) -> None:
    await owner.send("/add_note first line\u202e\x00\n\n\n\nsecond\u200b line\r\nthird")

    [note] = await stored(harness, owner, Note)
    assert note.text == "first line\n\nsecond line\nthird"


# --- huge inputs and long answers -----------------------------------------------------------


async def test_a_4000_character_note_is_stored_whole_and_shown_in_valid_parts(
    harness: Harness, owner: ChatUser
) -> None:
    # Escaping turns each of these characters into up to 5: far over one message.
    note = ("<&>" * 1334)[:4000]
    await owner.send("/add_contact Marie Dupont")

    saved = await owner.send(f"/add_note C1 {note}")

    [stored_note] = await stored(harness, owner, Note)
    assert stored_note.text == note
    assert len(saved.messages) >= 4
    assert note in saved.text.replace("\n", "")
    for message in saved.messages:  # each part parses on its own
        assert html_problem(message) is None, message[-40:]


async def test_a_full_contact_card_is_split_under_the_limit(
    harness: Harness, owner: ChatUser
) -> None:
    await owner.send(f"/add_contact Marie Dupont notes={'&' * 4000}")
    for index in range(5):
        await owner.send(f"/add_note C1 {index}{'<' * 3999}")

    card = await owner.send("/show_contact C1")

    assert len(card.messages) >= 20
    assert all(len(message) <= TELEGRAM_LIMIT for message in card.messages)
    keyboards = [m for m in card.methods if getattr(m, "reply_markup", None) is not None]
    assert keyboards == [card.methods[-1]]  # the buttons come with the last part
    visible = card.text.replace("\n", "")
    assert "&" * 4000 in visible and visible.count("<" * 3999) == 5


async def test_long_reminder_texts_fit(harness: Harness, owner: ChatUser) -> None:
    text_1000 = "Call " + "é<" * 496 + "ok!"
    turn = await owner.send(f"/add_reminder {text_1000} due_at=today 18:00")
    assert "Reminder set" in turn.text

    [reminder] = await stored(harness, owner, Reminder)
    assert reminder.text == text_1000
    for command in ("/reminders", "/today", "/complete_reminder R1"):
        shown = await owner.send(command)
        assert text_1000 in shown.text.replace("\n", ""), command


@pytest.mark.parametrize(
    ("operation", "make", "command"),
    [
        (
            "add_contact",
            lambda i: {"name": f"{i:02d} " + "Dupont & <Fils> " * 12},
            "/contacts limit=50",
        ),
        (
            "add_property",
            lambda i: {"title": f"{i:02d} " + "Villa <Rose> & " * 13},
            "/properties limit=50",
        ),
        (
            "add_reminder",
            lambda i: {"text": f"{i:02d} " + "ring <now> & " * 70, "due_at": "tomorrow 10:00"},
            "/reminders",
        ),
    ],
)
async def test_long_lists_are_split_into_deliverable_messages(
    harness: Harness, owner: ChatUser, operation: str, make: Any, command: str
) -> None:
    await run_operation(harness, owner, operation, [make(i) for i in range(60)])

    turn = await owner.send(command)

    assert len(turn.messages) >= 3, [len(m) for m in turn.messages]
    assert all(len(message) <= TELEGRAM_LIMIT for message in turn.messages)
    lines = [line for message in turn.messages for line in message.split("\n")]
    rows = [line for line in lines if re.match(r"<b>[CPR]\d+</b>", line)]
    assert len(rows) == 50  # no row lost, none cut in two
    assert len({row.split("</b>")[0] for row in rows}) == 50
    keyboards = [m for m in turn.methods if getattr(m, "reply_markup", None) is not None]
    assert keyboards == [turn.methods[-1]]
    assert len(turn.buttons) == 10


# --- callback data --------------------------------------------------------------------------


async def test_callback_data_fits_even_with_nine_digit_refs(
    harness: Harness, owner: ChatUser
) -> None:
    agency_id = await agency_of(harness, owner)
    async with harness.db.session(agency_id) as session:
        for kind in "CPDRNA":
            counter = await session.get(RecordCounter, (agency_id, kind))
            if counter is None:
                session.add(RecordCounter(agency_id=agency_id, kind=kind, last_number=999_999_990))
            else:
                counter.last_number = 999_999_990
        await session.commit()
    await owner.send("/add_contact Marie Dupont")
    await owner.send("/add_contact Marie Durand")
    await owner.send("/add_property T3 Croix-Rousse owner_contact=C999999991")
    await owner.send("/create_deal C999999991 property=P999999991")
    turn = await owner.send("/add_reminder D999999991 Visit due_at=tomorrow 10:00")
    assert "R999999991" in turn.text
    for command in (
        "/show_contact C999999991",
        "/show_property P999999991",
        "/show_deal D999999991",
        "/snooze_reminder R999999991 until=tomorrow 11:00",
        "/show_contact Marie",
        "/delete_contact C999999992",
        "/reminders",
        "/agenda tomorrow",
        "/new",
    ):
        turn = await owner.send(command)
        assert turn.buttons, command
    await owner.send("/show_contact C999999991")
    await owner.press("Edit")
    await owner.press("property type")
    await owner.send("/cancel")

    sent = callback_data_sent(harness)
    assert len(sent) > 60
    assert max(len(data.encode()) for data in sent) <= CALLBACK_DATA_LIMIT
    assert any("under_contract" in data and "D999999991" in data for data in sent)
    # And the buttons work with such refs.
    await owner.send("/show_deal D999999991")
    moved = await owner.press("under contract")
    assert "under contract" in moved.text


# --- any text at all ------------------------------------------------------------------------

_NAME_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),  # lone surrogates: Telegram cannot deliver them
        blacklist_characters="=\"'«»“”",  # argument syntax: field=value, "quoted text"
    ),
    max_size=260,
)


def _invariants_of_a_stored_name(name: str) -> None:
    assert name == name.strip() and "  " not in name and "\n" not in name
    assert 0 < len(name) <= 200
    assert not any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in name)
    assert unicodedata.is_normalized("NFC", name)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=_NAME_TEXT)
async def test_any_text_as_a_name_is_stored_cleaned_or_refused(
    harness: Harness, owner: ChatUser, name: str
) -> None:
    harness.clock.advance(seconds=3)  # 40 examples: at a person's pace, under the rate limit
    before = [contact.number for contact in await stored(harness, owner, Contact)]
    try:
        expected: str | None = values.clean_text(name, max_length=200)
    except values.ValueProblem:
        expected = None

    turn = await owner.send(f"/add_contact {name}")

    after = await stored(harness, owner, Contact)
    if expected is None:
        assert "name" in turn.text and "could not use" in turn.text, turn.text
        assert [contact.number for contact in after] == before
    else:
        assert "Contact saved" in turn.text, turn.text
        assert [contact.number for contact in after[:-1]] == before
        assert after[-1].name == expected
        _invariants_of_a_stored_name(after[-1].name)
        assert escape(expected) in "\n".join(turn.messages)
