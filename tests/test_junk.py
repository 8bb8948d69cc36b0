"""Junk in, clear answers out: property-based tests that feed every operation's input model and
every slash command the bot knows with generated junk (control characters, huge texts, huge and
negative numbers, NaN, lists, dicts, unknown keys...), and check that

- nothing crashes: an operation raises a CrmError at worst, no handler logs an ERROR (the
  autouse ``no_unexpected_errors`` fixture of conftest) and no reply is the generic apology;
- every refusal is a translated message that Telegram accepts (``html_problem``);
- nothing is half-written: after a refusal the database is byte-for-byte as it was, read-only
  operations never change it, and nothing is deleted without the confirmation press.

Both levels enumerate what they test (the registry's operations, the Dispatcher's commands), so
a new operation or command is covered without touching this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from aiogram import Router
from aiogram.filters import Command
from aiogram.utils.i18n import I18n
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.factory import menu_commands
from bot.i18n import create_i18n
from bot.middlewares import EXPORT_COMMANDS
from crm_core import accounts, values
from crm_core.errors import CrmError, InvalidInput
from crm_core.models import Base, Contact, Property
from crm_core.registry import Confirmation, Registry, build_registry
from crm_core.service import CrmService
from handlers import labels
from handlers.records import SHORTCUTS
from handlers.render import Formatter, deletion_question, render_result, split_text
from handlers.replies import error_reply
from tests.harness import ChatUser, Harness, Turn
from tests.test_bad_input import (
    agency_of,
    everything_sent_is_deliverable,  # noqa: F401  (autouse here too: every message deliverable)
    html_problem,
)

REGISTRY: Registry = build_registry()
OPERATIONS = {op.name: op for op in REGISTRY}
CRASH_TEXT = "something went wrong on my side"
# Analytics counters (usage per feature and day, latency buckets) legitimately move on any
# message or operation, whatever its outcome: they are left out of the snapshots.
VOLATILE_TABLES = frozenset({"usage_counts", "usage_latencies"})
# Commands whose handler writes outside the registry even when the user made no mistake: an
# export or /mydata is a logged privacy request, /invite makes a link, /digest sets its time.
NON_OPERATION_WRITERS = frozenset({"export", "client_export", "mydata", "invite", "digest"})
# Commands that delete only after a confirmation press (never given here).
ASK_FIRST = frozenset({"delete", "client_erase"})
# How the bot's refusals begin (in English: the owner signed up in English). Only the start
# of the first message counts: a saved record may well echo such words from its own text.
REFUSAL = re.compile(
    "|".join(
        [
            "I could not use that",
            "I found no ",
            "Several records match",
            "This command takes no free text",
            "Only the agency",
            "That cannot be done",
            r"Reminder R\d+ is already",
            "That did not work",
            "I do not know",
            "Which client\\?",
            "Send /digest off",
            "You have reached today's limit",
            "You are sending messages very fast",
        ]
    )
)

OPERATION_EXAMPLES = 12  # per operation
COMMAND_EXAMPLES = 120  # over all commands, beside a sweep that sends junk to each


def bounded(examples: int) -> Any:
    """Few examples, no deadline: the fixtures (one database, one owner) serve them all."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def test_the_registry_has_operations() -> None:
    assert OPERATIONS, "build_registry() returned no operation"


def test_every_argument_has_a_name_in_words() -> None:
    """A refusal names the field in the user's language (labels.FIELDS), never as coded."""
    fields = {field for op in OPERATIONS.values() for field in op.input_model.model_fields}
    assert fields - set(labels.FIELDS) == set()


# --- junk -----------------------------------------------------------------------------------

# Any character a client can send (lone surrogates cannot even be encoded), controls included.
_ANY_CHAR = st.characters(blacklist_categories=("Cs",))
_TRICKY_TEXT = [
    "",
    " ",
    "\x00",
    "\u202e\u200b",
    "\r\n\t",
    "C1",
    "c 1",
    "#C-1",
    "P1",
    "D1",
    "R1",
    "K1",
    "C0",
    "C999999999",
    "C9999999999",
    "Marie",
    "Marie Dupont",
    "06 12 34 56 78",
    "+33612345678",
    "marie@example.com",
    "@",
    "tomorrow 10:00",
    "in 2 hours",
    "yesterday",
    "2026-02-30",
    "9999-12-31",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01",
    "0001-01-01T00:00:00-14:00",
    "350k",
    "-5",
    "0",
    "1e309",
    "nan",
    "inf",
    "-inf",
    "9" * 30,
    "T3",
    "studio",
    "buyer",
    "landlord",
    "apartment",
    "sale",
    "rent",
    "sold",
    "won",
    "call",
    "daily",
    "today",
    "overdue",
    "warm",
    "fr",
    "%",
    "_",
    "\\",
    "' OR 1=1 --",
    "<b>x</b> & <i>",
    "&amp;",
    "0" * 64,
    "report.pdf",
    "x" * 4097,
    "é" * 201,
    "<" * 1500,
    "9" * 5000,
    "\n" * 100,
    "C1 " * 300,
]
JUNK_TEXT = st.one_of(
    st.text(_ANY_CHAR, max_size=40),
    st.text(_ANY_CHAR, min_size=190, max_size=1200),
    st.sampled_from(_TRICKY_TEXT),
)
_SCALAR = st.one_of(
    JUNK_TEXT,
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**12 + 1, 10**4300]),
    st.floats(),  # NaN and infinities included
    st.none(),
    st.booleans(),
    st.binary(max_size=8),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=14))])),
)
JUNK = st.one_of(
    _SCALAR,
    st.lists(_SCALAR, max_size=3),
    st.dictionaries(st.text(max_size=5), _SCALAR, max_size=2),
)
_UNKNOWN_KEY = st.one_of(
    st.text(_ANY_CHAR, min_size=1, max_size=20),
    st.sampled_from(
        ["agency_id", "agency", "id", "created_by_id", "number", "__class__", "", "x" * 300]
    ),
)


# Values that often pass a field's validation, so that junk elsewhere meets the database paths
# too: references that exist, do not or name several records, past and future times...
_REFERENCES = ["C1", "C2", "P1", "D1", "R1", "K1", "C99", "Marie", "T3", "Nobody", "Call"]
_MOMENTS = ["tomorrow 10:00", "in 2 hours", "yesterday", "2026-03-09 10:00", "now"]
_TEXTS = ["Hello", "<b>x</b> & y", "Line\nbreak", "' OR 1=1 --", "%_\\"]
PLAUSIBLE: dict[str, list[Any]] = {
    "name": ["Marie Dupont", "Jean", "report.pdf", "photo.exe"],
    "phone": ["06 12 34 56 78", "+33612345678", "123"],
    "email": ["marie@example.com", "bob@"],
    "role": ["buyer", "tenant", "investisseur", "alien"],
    "property_type": ["apartment", "maison", "castle"],
    "transaction": ["sale", "rent", "swap"],
    "status": ["available", "sold", "under offer", "demolished"],
    "stage": ["lead", "won", "sous compromis", "maybe"],
    "kind": ["call", "visite", "telepathy"],
    "recurrence": ["daily", "weekly", "hourly"],
    "period": ["today", "overdue", "week", "forever"],
    "tone": ["warm", "premium", "loud"],
    "language": ["fr", "english", "klingon"],
    "budget_min": ["500k", 100000, 0],
    "budget_max": ["300k", 2_000_000, -1],
    "price": ["300k", 1200, 10**13],
    "price_min": ["100k", 0],
    "price_max": ["1 M€", 1],
    "amount": ["250k", 9, -5],
    "surface_m2": ["68,5 m²", 70, 0],
    "surface_min": ["50", 40.5],
    "rooms": ["T3", 3, 51],
    "rooms_min": ["studio", 2],
    "bedrooms": [2, "0", "-1"],
    "limit": [1, 5, 50, 0, 51, "3"],
    "due_at": _MOMENTS,
    "until": _MOMENTS,
    "occurred_at": _MOMENTS,
    "day": ["today", "tomorrow", "lundi", "2026-13-45"],
    "sha256": ["0" * 64, "f" * 63],
    "document": ["K1", "K99", "C1"],
    "postcode": ["69004", "1234567890123"],
}


def _plausible(field: str) -> st.SearchStrategy[Any]:
    if field in PLAUSIBLE:
        return st.sampled_from(PLAUSIBLE[field])
    reference = field in {"contact", "property", "deal", "reminder", "record", "owner_contact"}
    return st.sampled_from(_REFERENCES if reference else [*_TEXTS, "Lyon", "Marie"])


@st.composite
def junk_arguments(draw: st.DrawFn, name: str) -> dict[Any, Any]:
    """The model's own field names with junk values or plausible ones, sometimes unknown keys
    too: optional fields are often left out, required ones seldom."""
    args: dict[Any, Any] = {}
    for field, info in sorted(OPERATIONS[name].input_model.model_fields.items()):
        roll = draw(st.integers(0, 9))
        if roll < (1 if info.is_required() else 5):
            continue
        args[field] = draw(JUNK if roll >= 8 else _plausible(field))
    if draw(st.integers(0, 4)) == 0:
        args.update(draw(st.dictionaries(_UNKNOWN_KEY, JUNK, min_size=1, max_size=2)))
    return args


# --- the database ---------------------------------------------------------------------------


async def everything(harness: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but the volatile ones), across agencies, sorted."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with harness.db.system_session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            rows = (await session.execute(select(table))).all()
            tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return tables


def changes(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


async def ensure_seeded(harness: Harness, owner: ChatUser) -> None:
    """Records to find, update and delete (two Maries: "Marie" is ambiguous), made again
    through the service when an earlier example deleted them."""
    agency_id = await agency_of(harness, owner)
    async with harness.db.session(agency_id) as session:
        contacts = (await session.scalars(select(Contact.id))).all()
        properties = (await session.scalars(select(Property.id))).all()
        if len(contacts) >= 2 and properties:
            return
        member = await accounts.find_member(session, owner.id)
        assert member is not None
        crm = CrmService(REGISTRY, session, member.actor, harness.clock.now)
        marie = await crm.run("add_contact", {"name": "Marie Dupont", "city": "Lyon"})
        await crm.run("add_contact", {"name": "Marie Durand", "role": "tenant"})
        flat = await crm.run(
            "add_property", {"title": "T3 Croix-Rousse", "city": "Lyon", "price": "300k"}
        )
        deal = await crm.run("create_deal", {"contact": marie.ref, "property": flat.ref})
        await crm.run(
            "add_reminder", {"text": "Call", "due_at": "tomorrow 10:00", "deal": deal.ref}
        )
        await crm.run("add_note", {"text": "Likes light", "contact": marie.ref})


@pytest.fixture(scope="module")
def i18n() -> I18n:
    return create_i18n("en")


@contextmanager
def in_english(i18n: I18n) -> Iterator[None]:
    """Translations as in an update (``_()`` fails outside one), for an English speaker."""
    with i18n.context(), i18n.use_locale("en"):
        yield


def in_french(i18n: I18n) -> Any:
    return i18n.use_locale("fr")


def _shown(value: Any) -> str:
    try:
        return repr(value)[:300]
    except ValueError:  # an int of over 4300 digits has no repr
        return "<unprintable>"


# --- level 1: every operation, straight through the service ---------------------------------


async def _run_once(
    harness: Harness,
    owner: ChatUser,
    i18n: I18n,
    name: str,
    args: dict[Any, Any],
    confirmed: bool,
) -> None:
    op = OPERATIONS[name]
    before = await everything(harness)
    agency_id = await agency_of(harness, owner)
    outcome: Any
    async with harness.db.session(agency_id) as session:
        member = await accounts.find_member(session, owner.id)
        assert member is not None
        crm = CrmService(REGISTRY, session, member.actor, harness.clock.now)
        try:
            outcome = await crm.run(name, dict(args), confirmed=confirmed)
        except CrmError as error:
            outcome = error
        # Anything else is a crash: it propagates and hypothesis reports it with its input.
    after = await everything(harness)
    shown = (name, confirmed, _shown(args))
    event(type(outcome).__name__)  # see --hypothesis-show-statistics

    with in_english(i18n):
        if isinstance(outcome, CrmError):
            assert not changes(before, after), (*shown, outcome, changes(before, after))
            reply = await error_reply(outcome)
            if isinstance(outcome, InvalidInput):
                assert outcome.problems, shown
                for field, code, _params in outcome.problems:
                    # Each field is named in words (and translated), not as the code knows it.
                    assert field in labels.FIELDS or code == "extra_forbidden", (*shown, field)
            with in_french(i18n):
                french = await error_reply(outcome)
            assert french.text.split("\n")[0] != reply.text.split("\n")[0], (*shown, reply.text)
            texts = split_text(reply.text)
        elif isinstance(outcome, Confirmation):
            assert op.destructive and not confirmed, shown
            assert not changes(before, after), (*shown, changes(before, after))
            texts = split_text(deletion_question(outcome.summary))
        else:
            if not op.writes:
                assert not changes(before, after), (*shown, changes(before, after))
            reply = render_result(outcome, Formatter(member.actor))
            texts = split_text(reply.text)
    assert texts and any(text.strip() for text in texts), shown
    for text in texts:
        assert CRASH_TEXT not in text and "Traceback" not in text, shown
        problem = html_problem(text)
        assert problem is None, (*shown, problem, text[:300])


@pytest.mark.parametrize("name", sorted(OPERATIONS))
@bounded(OPERATION_EXAMPLES)
@given(data=st.data(), confirmed=st.booleans())
async def test_junk_arguments_are_refused_cleanly_or_used(
    harness: Harness, owner: ChatUser, i18n: I18n, name: str, data: st.DataObject, confirmed: bool
) -> None:
    harness.clock.advance(minutes=1)
    await ensure_seeded(harness, owner)
    args = data.draw(junk_arguments(name), label="args")
    await _run_once(harness, owner, i18n, name, args, confirmed)


# --- level 2: every slash command, through the real Dispatcher ------------------------------


def commands_of(router: Router) -> set[str]:
    """Every command a message handler of ``router`` or of its sub-routers answers."""
    found: set[str] = set()
    for handler in router.message.handlers:
        for flt in handler.filters or ():
            if isinstance(flt.callback, Command):
                found.update(c for c in flt.callback.commands if isinstance(c, str))
    for sub in router.sub_routers:
        found |= commands_of(sub)
    return found


def operation_of(command: str) -> Any:
    name = SHORTCUTS.get(command, command)
    return OPERATIONS.get(name)


def may_write(command: str) -> bool:
    """Whether a command may change the database without a confirmation press."""
    op = operation_of(command)
    if op is not None:
        return op.writes and not op.destructive
    return command in NON_OPERATION_WRITERS


def is_refusal(turn: Turn) -> bool:
    first = Turn(turn.methods[:1]).text
    return REFUSAL.match(first) is not None


async def send_and_check(harness: Harness, user: ChatUser, command: str, text: str) -> Turn:
    # Under the messages-per-minute limit, and the exports-per-day one: a limited message gets
    # one answer, the next ones none, by design.
    if command in EXPORT_COMMANDS:
        harness.clock.advance(days=1)
    else:
        harness.clock.advance(minutes=1)
    before = await everything(harness)
    turn = await user.send(text)
    after = await everything(harness)
    shown = (command, _shown(text)[:200], turn.text[:300])
    assert turn.messages or turn.notices, shown
    for message in turn.messages:
        assert CRASH_TEXT not in message and "Traceback" not in message, shown
        problem = html_problem(message)
        assert problem is None, (*shown, problem)
    changed = changes(before, after)
    if not may_write(command):
        assert not changed, (*shown, changed)  # nothing deleted without the press, no read writes
    elif is_refusal(turn):
        assert not changed, (*shown, changed)  # no partial write
    return turn


def test_the_commands_cover_the_registry_and_the_menu(harness: Harness, i18n: I18n) -> None:
    commands = commands_of(harness.dispatcher)
    assert set(OPERATIONS) <= commands
    assert set(SHORTCUTS) <= commands
    with in_english(i18n):
        assert {c.command for c in menu_commands()} <= commands
    assert {"start", "help", "cancel", "new"} <= commands
    assert commands >= ASK_FIRST | NON_OPERATION_WRITERS


SWEEP_JUNK = [
    "",
    "\x00\u202e\u200b<b>&amp;</b> \r\n\t= =value",
    "x" * 4000,
    "C1 9999-12-31 " + "9" * 60,
    "Marie",
]
SWEEP_VALUES = ["\x00", "-1e309", "9" * 120, "<i>", "C999999999", "0001-01-01"]


async def test_every_command_answers_junk_clearly(harness: Harness, owner: ChatUser) -> None:
    await ensure_seeded(harness, owner)
    commands = sorted(commands_of(harness.dispatcher))
    for command in commands:
        for junk in SWEEP_JUNK:
            await send_and_check(harness, owner, command, f"/{command} {junk}".rstrip())
        op = operation_of(command)
        fields = sorted(op.input_model.model_fields) if op is not None else []
        for index, field in enumerate(fields):
            junk = SWEEP_VALUES[index % len(SWEEP_VALUES)]
            await send_and_check(harness, owner, command, f"/{command} {field}={junk}")
    for text in ("/frobnicate C1", "/ADD_CONTACT Bob", "/add_contact@SomeOtherBot Bob"):
        await send_and_check(harness, owner, "unknown", text)


# Text a person can type or paste (not a lone surrogate), kept under Telegram's 4096 limit.
_MESSAGE_TEXT = st.one_of(
    st.text(_ANY_CHAR, max_size=60),
    st.text(_ANY_CHAR, min_size=150, max_size=600),
    st.sampled_from([t for t in _TRICKY_TEXT if len(t) < 4000]),
)


@bounded(COMMAND_EXAMPLES)
@given(data=st.data())
async def test_any_command_with_any_text_is_answered_clearly(
    harness: Harness, owner: ChatUser, agent: ChatUser, data: st.DataObject
) -> None:
    await ensure_seeded(harness, owner)
    user = data.draw(st.sampled_from([owner, agent]), label="user")  # an agent is refused more
    command = data.draw(st.sampled_from(sorted(commands_of(harness.dispatcher))), label="command")
    op = operation_of(command)
    if op is not None and data.draw(st.booleans(), label="key=value"):
        fields = sorted(op.input_model.model_fields)
        pairs = data.draw(
            st.lists(st.tuples(st.sampled_from(fields), _MESSAGE_TEXT), min_size=1, max_size=4),
            label="pairs",
        )
        head = data.draw(_MESSAGE_TEXT | st.just(""), label="head")
        text = " ".join([f"/{command} {head}".rstrip(), *(f"{k}={v}" for k, v in pairs)])
    else:
        text = f"/{command} {data.draw(_MESSAGE_TEXT, label='text')}"
    await send_and_check(harness, user, command, text[:4096])


# --- what the junk found, pinned -------------------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "value", "code"),
    [
        (values.parse_money, -1e30, "money_negative"),  # was decimal.InvalidOperation
        (values.parse_money, 10**4300, "money_too_large"),  # was a ValueError from str()
        (values.parse_surface, -1e28, "surface_invalid"),
        (values.parse_surface, 1e-30, "surface_invalid"),
    ],
    ids=["-1e30 €", "10**4300 €", "-1e28 m²", "1e-30 m²"],
)
def test_extreme_numbers_are_refused_with_their_code(parse: Any, value: Any, code: str) -> None:
    with pytest.raises(values.ValueProblem) as problem:
        parse(value)
    assert problem.value.code == code


@pytest.mark.parametrize(
    "value",
    ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59-14:00", "1899-12-30 12:00"],
)
def test_days_and_moments_at_the_ends_of_the_calendar_are_refused(value: str) -> None:
    # Shifting them to a time zone or to the next day overflows (the agenda crashed on them).
    now = datetime(2026, 3, 10, 8, tzinfo=UTC)
    with pytest.raises(values.ValueProblem):
        values.parse_date(value, tz="Pacific/Kiritimati", now=now)
    with pytest.raises(values.ValueProblem):
        values.parse_datetime(value, tz="Pacific/Kiritimati", now=now)
    with pytest.raises(values.ValueProblem):
        values.parse_datetime(datetime.max.replace(tzinfo=UTC), tz="UTC", now=now)


async def test_an_invisible_reference_names_no_client(harness: Harness, owner: ChatUser) -> None:
    # It was searched as typed, and PostgreSQL refused the NUL (a crash). Cleaned, nothing is
    # left of it: an empty search must match no record, not every one.
    await ensure_seeded(harness, owner)
    for command in ("/client_erase", "/client_export", "/docs"):
        before = await everything(harness)
        turn = await send_and_check(harness, owner, command[1:], f"{command} \u200b\x00\u202e")
        assert is_refusal(turn) and "Marie" not in turn.text, turn.text
        assert not changes(before, await everything(harness))
