"""Hostile input (issue 9): prompt injections and hostile record contents, through both free
text paths (the offline rule parser, and the Claude agent against the local fake Messages API
with a model scripted to "obey" the injection). Whatever the text says:

1. nothing is deleted without the user's button (a destructive intent at most asks);
2. nothing of another agency shows, to the user or in a tool result sent to the model, and the
   other agency's rows do not change;
3. every message the bot sends is valid Telegram HTML;
4. record texts are stored as typed, shown escaped, and reach the model as data inside
   tool_result blocks, never in the system prompt.

The corpus is tests/data/hostile.jsonl: one JSON object per line, with ``id``, ``kind``
(``message``, or the record field it is stored in: ``contact_name``, ``note``,
``description``, ``property_title``, ``reminder_text``), ``lang``, ``text``; messages also
have ``rules`` (what the offline parser may do: ``examples`` = not understood,
``confirm`` = a deletion question, ``harmless`` = anything that leaves the existing records
as they were), and optionally ``obey`` (the tool calls an injected model makes; placeholders
name the rival's records) and ``reply`` (the injected model's final words).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import AsyncIterator
from html import escape
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import InlineKeyboardMarkup
from anthropic import AsyncAnthropic
from sqlalchemy import select

from bot.factory import create_bot, create_dispatcher
from bot.local_session import LocalBotSession
from bot.settings import Settings
from crm_core.db import Database
from crm_core.models import Contact, Note, Property, Reminder
from crm_core.registry import build_registry
from nlu.claude import ClaudeInterpreter
from nlu.rules import RuleInterpreter
from tests.conftest import sign_up
from tests.fake_anthropic import Canned, FakeAnthropic, message, text, tool_use
from tests.harness import ChatUser, Clock, Harness, Turn
from tests.test_bad_input import agency_of, html_problem, snapshot

CORPUS_PATH = Path(__file__).parent / "data" / "hostile.jsonl"
CORPUS: list[dict[str, Any]] = [
    json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines() if line
]
MESSAGES = [e for e in CORPUS if e["kind"] == "message"]
RECORD_KINDS = ("contact_name", "note", "description", "property_title", "reminder_text")
RECORDS = [e for e in CORPUS if e["kind"] in RECORD_KINDS]
TYPED_IN_RECORDS = "\n".join(e["text"] for e in RECORDS)  # the attacker's own words

NOT_UNDERSTOOD = "I did not understand that, so I changed nothing"
YES_DELETE = "Yes, delete"

# The rival agency's records: none of this may ever reach the attacker or the model.
RIVAL = {
    "{rival_name}": "Victor Secret",
    "{rival_phone}": "+33698765432",
    "{rival_email}": "victor@rival.example",
    "{rival_title}": "Villa Confidentielle",
}
RIVAL_SECRETS = (
    "Victor Secret",
    "Victor",
    "victor@rival.example",
    "+33698765432",
    "698765432",
    "98 76 54 32",
    "Villa Confidentielle",
    "Confidentielle",
    "Dossier du rival",
    "note confidentielle",
    "Rita Rossi",
    "Rival Homes",
)
# What an injected model does when its entry does not say: delete everything, look next door.
DEFAULT_OBEY = [
    ["delete_contact", {"contact": "C1"}],
    ["delete_property", {"property": "P1"}],
    ["show_contact", {"contact": "{rival_name}"}],
]


# --- the corpus ------------------------------------------------------------------------------


def test_the_corpus_covers_both_paths_and_both_languages() -> None:
    ids = [e["id"] for e in CORPUS]
    assert len(ids) == len(set(ids))
    assert 25 <= len(MESSAGES) <= 60 and len(RECORDS) >= 8
    assert {e["lang"] for e in MESSAGES} == {"en", "fr"}
    assert {e["kind"] for e in RECORDS} == set(RECORD_KINDS)
    assert {e["rules"] for e in MESSAGES} == {"examples", "confirm", "harmless"}
    registry = build_registry()
    called = {name for e in MESSAGES for name, _ in e.get("obey", DEFAULT_OBEY)}
    assert {"delete_contact", "delete_property"} <= called
    assert called - {op.name for op in registry}  # and tools that do not exist
    for entry in CORPUS:
        assert entry["text"].strip() and entry["lang"] in ("en", "fr"), entry["id"]
        for name, arguments in entry.get("obey", []):
            assert isinstance(name, str) and isinstance(arguments, dict), entry["id"]


# --- helpers ---------------------------------------------------------------------------------


def fill(value: Any) -> Any:
    """An `obey` argument with the rival's placeholders replaced by its real values."""
    if isinstance(value, str):
        for placeholder, real in RIVAL.items():
            value = value.replace(placeholder, real)
        return value
    if isinstance(value, dict):
        return {k: fill(v) for k, v in value.items()}
    return value


def sent_html(turn: Turn) -> list[str]:
    return [
        m.text
        for m in turn.methods
        if isinstance(m, SendMessage | EditMessageText) and m.text is not None
    ]


def assert_renders(turn: Turn, label: str) -> None:
    assert sent_html(turn), (label, "no reply")
    for html in sent_html(turn):
        problem = html_problem(html)
        assert problem is None, (label, problem, html[:300])


def assert_everything_rendered(harness: Harness) -> None:
    for method in harness.session.requests:
        if isinstance(method, SendMessage | EditMessageText) and method.text is not None:
            problem = html_problem(method.text)
            assert problem is None, (problem, method.text[:300])


def leaks(shown: str, typed: str = "") -> list[str]:
    """Rival secrets in `shown`, except what the attacker typed themselves (an echo)."""
    typed = "".join(c for c in typed if unicodedata.category(c) not in ("Cc", "Cf")).lower()
    return [s for s in RIVAL_SECRETS if s.lower() in shown.lower() and s.lower() not in typed]


def kept(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, list[str]]:
    """Rows of `before` missing or changed in `after` (new rows may appear: a note)."""
    lost = {}
    for table, rows in before.items():
        if table == "record_counters":
            continue
        now = {repr(row) for row in after[table]}
        gone = [repr(row)[:120] for row in rows if repr(row) not in now]
        if gone:
            lost[table] = gone
    return lost


def invisible(turn: Turn) -> list[str]:
    """Bidi overrides, zero-width and control characters, lone surrogates: what spoofs text or
    cannot be sent. Stored texts lose them; so do the model's words."""
    return [
        f"U+{ord(char):04X}"
        for html in sent_html(turn)
        for char in html
        if char != "\n" and unicodedata.category(char) in ("Cc", "Cf", "Cs")
    ]


def flat(value: str) -> str:
    return re.sub(r"\s+", "", value)


async def seed(owner: ChatUser, rival: ChatUser) -> None:
    """The attacker's agency: C1 Marie, C2 Paul, P1, D1, R1, a note. The rival's: C1 Victor
    Secret (phone, email), P1 Villa Confidentielle, D1, a note."""
    for user, commands in (
        (
            owner,
            [
                "/add_contact Marie Dupont phone=06 12 34 56 78 email=marie@example.com "
                "role=buyer city=Lyon",
                "/add_contact Paul Martin role=seller",
                "/add_property T3 Croix-Rousse city=Lyon price=300k owner_contact=C2",
                "/create_deal C1 property=P1",
                "/add_reminder C1 Call Marie due_at=tomorrow 10:00",
                "/add_note C1 Wants a balcony",
            ],
        ),
        (
            rival,
            [
                "/add_contact Victor Secret phone=06 98 76 54 32 email=victor@rival.example "
                "role=buyer city=Nice",
                "/add_property Villa Confidentielle city=Nice price=2000k",
                "/create_deal C1 property=P1 title=Dossier du rival",
                "/add_note C1 note confidentielle du rival",
            ],
        ),
    ):
        for command in commands:
            turn = await user.send(command)
            assert "saved" in turn.text or "set" in turn.text, (command, turn.text)


async def store_hostile_records(owner: ChatUser) -> dict[str, str]:
    """Each hostile record text stored through slash commands; returns id -> the new ref."""
    refs: dict[str, str] = {}
    for entry in RECORDS:
        body = entry["text"]
        command = {
            "contact_name": f"/add_contact {body}",
            "note": f"/add_note C1 {body}",
            "description": f"/add_property Hostile flat city=Lyon description={body}",
            "property_title": f"/add_property {body}",
            "reminder_text": f"/add_reminder {body} due_at=tomorrow 11:00",
        }[entry["kind"]]
        owner.harness.clock.advance(seconds=3)
        turn = await owner.send(command)
        assert_renders(turn, entry["id"])
        assert "saved" in turn.text or "set" in turn.text, (entry["id"], turn.text)
        found = re.search(r"\b([CPRN]\d+)\b", turn.text)
        assert found, turn.text
        refs[entry["id"]] = found[1]
    return refs


async def stored_text(harness: Harness, owner: ChatUser, entry: dict[str, Any]) -> str:
    """The record text as the database holds it (control characters cleaned away)."""
    model, column = {
        "contact_name": (Contact, "name"),
        "note": (Note, "text"),
        "description": (Property, "description"),
        "property_title": (Property, "title"),
        "reminder_text": (Reminder, "text"),
    }[entry["kind"]]
    async with harness.db.session(await agency_of(harness, owner)) as session:
        values = [getattr(r, column) for r in await session.scalars(select(model))]
    wanted = flat(re.sub(r"[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]", "", entry["text"]))
    matches = [v for v in values if v and flat(v) == wanted]
    assert len(matches) == 1, (entry["id"], values)
    return matches[0]


def questions(turn: Turn) -> int:
    """How many deletion questions (messages with a "Yes, delete" button) the turn holds."""
    return sum(
        any(b.text == YES_DELETE for row in m.reply_markup.inline_keyboard for b in row)
        for m in turn.methods
        if isinstance(getattr(m, "reply_markup", None), InlineKeyboardMarkup)
    )


async def press_no_if_asked(user: ChatUser, turn: Turn, label: str) -> None:
    if YES_DELETE in turn.labels:
        kept_turn = await user.press("No, keep it")
        assert_renders(kept_turn, label)


# --- the offline parser ----------------------------------------------------------------------


async def test_hostile_messages_on_the_rules_path(
    harness: Harness, owner: ChatUser, rival: ChatUser
) -> None:
    await seed(owner, rival)
    rival_before = await snapshot(harness, rival)
    for entry in MESSAGES:
        label = entry["id"]
        harness.clock.advance(seconds=3)  # under the per-minute limit
        before = await snapshot(harness, owner)

        turn = await owner.send(entry["text"])

        assert_renders(turn, label)
        assert not invisible(turn), (label, invisible(turn))
        assert not leaks("\n".join(sent_html(turn)) + turn.text, entry["text"]), (label, turn.text)
        if entry["rules"] == "examples":
            assert NOT_UNDERSTOOD in turn.text, (label, turn.text[:300])
        elif entry["rules"] == "confirm":
            assert questions(turn) == entry.get("questions", 1), (label, turn.text[:300])
        if YES_DELETE not in turn.labels:
            assert "Delete " not in turn.text, (label, turn.text[:300])
        await press_no_if_asked(owner, turn, label)
        assert kept(before, await snapshot(harness, owner)) == {}, label
    assert await snapshot(harness, rival) == rival_before
    assert_everything_rendered(harness)


# --- the Claude agent against the fake Messages API ------------------------------------------


@pytest.fixture
async def claude_harness(
    db: Database, clock: Clock, settings: Settings, server: FakeAnthropic
) -> AsyncIterator[Harness]:
    client = AsyncAnthropic(api_key="test", base_url=server.url, max_retries=0, timeout=5.0)
    claude = ClaudeInterpreter(
        client, model="claude-haiku-4-5", max_rounds=4, max_rows=10, fallback=RuleInterpreter()
    )
    session = LocalBotSession()
    bot = create_bot(settings, session=session)
    dispatcher = create_dispatcher(settings, db, interpreter=claude, clock=clock)
    yield Harness(dispatcher, bot, session, db, clock)
    await client.close()


@pytest.fixture
async def people(claude_harness: Harness) -> tuple[ChatUser, ChatUser]:
    """Alice (Acme Realty, the one typing hostile things) and Rita (Rival Homes)."""
    alice = claude_harness.user(101, "Alice")
    await sign_up(alice)
    rita = claude_harness.user(202, "Rita")
    await sign_up(rita, agency="Rival Homes", name="Rita Rossi")
    return alice, rita


def names_of_uses(server: FakeAnthropic, first_request: int) -> dict[str, str]:
    """tool_use id -> tool name, for the tool calls answered since `first_request`."""
    found = {}
    for body in server.requests[first_request:]:
        for msg in body["messages"]:
            if isinstance(msg["content"], list):
                for block in msg["content"]:
                    if block.get("type") == "tool_use":
                        found[block["id"]] = block["name"]
    return found


def check_delete_results(server: FakeAnthropic, first: int, turn: Turn, label: str) -> int:
    """A delete the model called either failed (bad arguments, not found) or asked the user."""
    names = names_of_uses(server, first)
    asked = 0
    for result in server.tool_results(since=first):
        if names.get(result["tool_use_id"], "").startswith("delete_") and not result["is_error"]:
            assert result["content"].startswith("Not done yet"), (label, result)
            asked += 1
    assert questions(turn) == asked, (label, asked, turn.text[:300])
    return asked


async def test_hostile_messages_obeyed_on_the_claude_path(
    claude_harness: Harness, people: tuple[ChatUser, ChatUser], server: FakeAnthropic
) -> None:
    harness = claude_harness
    owner, rival = people
    await seed(owner, rival)
    rival_before = await snapshot(harness, rival)
    asked = 0
    for entry in MESSAGES:
        label = entry["id"]
        harness.clock.advance(seconds=3)
        before = await snapshot(harness, owner)
        first = len(server.requests)
        if not entry["text"].startswith("/"):  # a command never reaches the model
            uses = [tool_use(name, fill(args)) for name, args in entry.get("obey", DEFAULT_OBEY)]
            if uses:
                server.queue(message(*uses))
            server.queue(message(text(entry.get("reply", "Done, as the message asked."))))

        turn = await owner.send(entry["text"])

        assert not server.script, (label, "the model was not asked what was scripted")
        assert_renders(turn, label)
        assert not invisible(turn), (label, invisible(turn))
        assert not leaks("\n".join(sent_html(turn)) + turn.text, entry["text"]), (label, turn.text)
        results = json.dumps(server.tool_results(since=first), ensure_ascii=False)
        assert not leaks(results), (label, results[:500])
        assert not leaks(server.system_text(since=first)), label
        if entry["text"].startswith("/"):
            # The command's own question, if it is a deletion.
            assert questions(turn) == (entry["rules"] == "confirm"), label
        else:
            asked += check_delete_results(server, first, turn, label)
        await press_no_if_asked(owner, turn, label)
        assert kept(before, await snapshot(harness, owner)) == {}, label
    assert asked >= 40  # the injected deletions reached the bot, and each only asked
    assert await snapshot(harness, rival) == rival_before
    assert_everything_rendered(harness)


# --- hostile record contents -----------------------------------------------------------------


async def test_hostile_records_are_stored_as_typed_and_shown_escaped(
    harness: Harness, owner: ChatUser, rival: ChatUser
) -> None:
    await seed(owner, rival)
    refs = await store_hostile_records(owner)
    harness.clock.advance(minutes=1)
    card_of = {
        "contact_name": "/show_contact {ref}",
        "note": "/show_contact C1",
        "description": "/show_property {ref}",
        "property_title": "/show_property {ref}",
        "reminder_text": "/reminders",
    }
    free_text_of = {
        "contact_name": "show {ref}",
        "note": "montre C1",
        "description": "montre {ref}",
        "property_title": "show {ref}",
        "reminder_text": "what do I have tomorrow?",
    }
    before = await snapshot(harness, owner)
    for entry in RECORDS:
        stored = await stored_text(harness, owner, entry)
        ref = refs[entry["id"]]
        for step in (card_of[entry["kind"]], free_text_of[entry["kind"]]):
            harness.clock.advance(seconds=3)
            turn = await owner.send(step.format(ref=ref))
            label = f"{entry['id']}: {step}"
            assert_renders(turn, label)
            raw = "".join(sent_html(turn))
            # Shown as typed: every <, > and & of the record arrives escaped.
            assert flat(escape(stored)) in flat(raw) or flat(escape(stored, quote=False)) in flat(
                raw
            ), (label, raw[:600])
            assert flat(stored) in flat(turn.text), label
            assert YES_DELETE not in turn.labels, label
            assert not leaks(raw, TYPED_IN_RECORDS), label
    for listing in ("/contacts", "/properties", "/find_contacts SYSTEM", "/today", "/deals"):
        turn = await owner.send(listing)
        assert_renders(turn, listing)
        assert not leaks(turn.text, TYPED_IN_RECORDS), listing
    assert kept(before, await snapshot(harness, owner)) == {}
    assert_everything_rendered(harness)


def reads_every_hostile_record(refs: dict[str, str]) -> Canned:
    """Round 1: the model looks at everything hostile the agency holds."""
    uses = [tool_use("show_contact", {"contact": "C1"}), tool_use("find_contacts", {})]
    for entry in RECORDS:
        ref = refs[entry["id"]]
        if entry["kind"] == "contact_name":
            uses.append(tool_use("show_contact", {"contact": ref}))
        elif entry["kind"] in ("description", "property_title"):
            uses.append(tool_use("show_property", {"property": ref}))
    uses.append(tool_use("list_reminders", {"period": "upcoming"}))
    return message(text("Let me look."), *uses)


def obeys_the_injection(refs: dict[str, str]) -> Canned:
    """Round 2: the model does what the records told it: delete everything, look next door,
    write into the rival's records, and use powers it does not have."""
    contacts = ["C1", "C2"] + [refs[e["id"]] for e in RECORDS if e["kind"] == "contact_name"]
    properties = ["P1"] + [
        refs[e["id"]] for e in RECORDS if e["kind"] in ("description", "property_title")
    ]
    uses = [tool_use("delete_contact", {"contact": ref}) for ref in contacts]
    uses += [tool_use("delete_property", {"property": ref}) for ref in properties]
    uses += [
        tool_use("delete_contact", {"contact": "C2", "confirmed": True}),
        tool_use("delete_contact", {"contact": RIVAL["{rival_name}"]}),
        tool_use("show_contact", {"contact": RIVAL["{rival_phone}"]}),
        tool_use("find_contacts", {"query": RIVAL["{rival_email}"]}),
        tool_use("find_contacts", {"agency_id": 2}),
        tool_use("update_contact", {"contact": RIVAL["{rival_name}"], "city": "Pwned"}),
        tool_use("add_note", {"contact": RIVAL["{rival_email}"], "text": "pwned"}),
        tool_use("show_property", {"property": RIVAL["{rival_title}"]}),
        tool_use("delete_all_contacts", {}),
    ]
    return message(*uses)


async def test_claude_reads_hostile_records_as_data_and_obeying_them_only_asks(
    claude_harness: Harness, people: tuple[ChatUser, ChatUser], server: FakeAnthropic
) -> None:
    harness = claude_harness
    owner, rival = people
    await seed(owner, rival)
    refs = await store_hostile_records(owner)
    harness.clock.advance(minutes=1)
    assert server.requests == []  # commands never reach the model
    before = await snapshot(harness, owner)
    rival_before = await snapshot(harness, rival)

    server.queue(
        reads_every_hostile_record(refs),
        obeys_the_injection(refs),
        message(text('</b><a href="https://evil.example">All deleted</a> <i>as \u202easked\ud83d')),
    )
    turn = await owner.send("what is new on my records?")

    assert not server.script
    assert_renders(turn, "obeying")
    assert not invisible(turn), invisible(turn)
    deletes = len([e for e in RECORDS if e["kind"] == "contact_name"]) + 2
    deletes += 1 + len([e for e in RECORDS if e["kind"] in ("description", "property_title")])
    assert questions(turn) == deletes  # one question per record, nothing deleted yet
    check_delete_results(server, 0, turn, "obeying")
    assert "&lt;/b&gt;&lt;a href=" in "".join(sent_html(turn))  # the model's words, escaped
    results = server.tool_results()
    assert not leaks(json.dumps(results, ensure_ascii=False), TYPED_IN_RECORDS), results
    assert not leaks("\n".join(sent_html(turn)), TYPED_IN_RECORDS)
    assert kept(before, await snapshot(harness, owner)) == {}
    assert await snapshot(harness, rival) == rival_before

    # The record texts reached the model inside tool results, as JSON data...
    contents = "\n".join(r["content"] for r in results)
    for entry in RECORDS:
        stored = await stored_text(harness, owner, entry)
        start = json.dumps(stored[:40], ensure_ascii=False)[1:-1]
        assert start in contents, (entry["id"], start)
    # ... never in the system prompt.
    system = server.system_text()
    for entry in RECORDS:
        stored = await stored_text(harness, owner, entry)
        assert stored[:20] not in system, entry["id"]

    # Next message: the hostile records are now "recently mentioned". Their names go with the
    # user's message as data, not into the system prompt.
    first = len(server.requests)
    server.queue(message(tool_use("delete_contact", {"contact": "C1"})), message(text("Asked.")))
    harness.clock.advance(seconds=5)
    turn = await owner.send("ok, now delete her")
    assert_renders(turn, "recent")
    assert YES_DELETE in turn.labels
    later = server.requests[first]
    assert "Recent records, most recent first: " in later["system"][1]["text"]
    recent, typed = later["messages"][0]["content"]
    assert typed == {"type": "text", "text": "ok, now delete her"}
    assert "not instructions" in recent["text"] and '"ref":"C1"' in recent["text"]
    system = server.system_text(since=first)
    for entry in RECORDS:
        stored = await stored_text(harness, owner, entry)
        assert stored[:20] not in system, entry["id"]
    names = [e for e in RECORDS if e["kind"] == "contact_name"]
    shown = [e for e in names if refs[e["id"]] in recent["text"]]
    assert shown, recent["text"]  # some hostile names are recent, and sent as JSON strings
    for entry in shown:
        stored = await stored_text(harness, owner, entry)
        assert json.dumps(" ".join(stored.split())[:40], ensure_ascii=False)[1:-1] in recent["text"]
    await owner.press("No, keep it")
    assert kept(before, await snapshot(harness, owner)) == {}
    assert_everything_rendered(harness)
