"""The Claude agent end to end: the real SDK against a local Messages API server, the real
Dispatcher, a real database. Tools from the registry, caching markers, the bounded loop,
confirmations, every fault falling back to the offline parser with nothing half-written, no
request under restriction, and no record of another agency in any tool result."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from anthropic import AsyncAnthropic
from sqlalchemy import select, update

from bot.factory import create_bot, create_dispatcher, create_interpreter
from bot.local_session import LocalBotSession
from bot.settings import Settings
from crm_core.db import Database
from crm_core.models import Agency, Contact, Reminder, UsageCount, UsageLatency, User
from crm_core.registry import build_registry
from crm_core.views import ContactList, ContactView
from nlu.claude import ClaudeInterpreter
from nlu.claude.results import compact
from nlu.claude.tools import build_tools
from nlu.interpreter import Executor, Interpretation, Message
from nlu.rules import RuleInterpreter
from tests.fake_anthropic import (
    Body,
    Canned,
    FakeAnthropic,
    error,
    message,
    overloaded,
    rate_limited,
    refused_url,
    server_error,
    text,
    tool_use,
)
from tests.harness import ChatUser, Clock, Harness

MAX_ROUNDS = 3
UNAVAILABLE = "the AI assistant is unavailable right now"
RESTRICTED = "AI processing is off for you or your agency"
STOPPED = "I stopped there"


class SpyFallback:
    """The offline parser, noting the messages it was given."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.rules = RuleInterpreter()

    async def interpret(self, message: Message, executor: Executor) -> Interpretation:
        self.texts.append(message.text)
        return await self.rules.interpret(message, executor)


# --- fixtures: the harness's dispatcher runs Claude against the fake server -----------------


@pytest.fixture
def client_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """SDK client options; a test changes them with indirect parametrisation."""
    return {"max_retries": 2, "timeout": 5.0, **getattr(request, "param", {})}


@pytest.fixture
def fallback() -> SpyFallback:
    return SpyFallback()


@pytest.fixture
async def claude(
    server: FakeAnthropic, client_options: dict[str, Any], fallback: SpyFallback
) -> AsyncIterator[ClaudeInterpreter]:
    options = dict(client_options)
    base_url = refused_url() if options.pop("refused", False) else server.url
    client = AsyncAnthropic(api_key="test", base_url=base_url, **options)
    yield ClaudeInterpreter(
        client,
        model="claude-haiku-4-5",
        max_rounds=MAX_ROUNDS,
        max_rows=3,
        max_tokens=512,
        fallback=fallback,
    )
    await client.close()


@pytest.fixture
async def harness(
    db: Database, clock: Clock, settings: Settings, claude: ClaudeInterpreter
) -> Harness:
    """Overrides conftest's: `owner` and `rival` sign up through this one."""
    session = LocalBotSession()
    bot = create_bot(settings, session=session)
    dispatcher = create_dispatcher(settings, db, interpreter=claude, clock=clock)
    return Harness(dispatcher, bot, session, db, clock)


async def contacts_named(harness: Harness, name: str) -> list[Contact]:
    async with harness.db.system_session() as session:
        return list(await session.scalars(select(Contact).where(Contact.name == name)))


def result_json(block: Body) -> Any:
    assert not block.get("is_error"), block
    return json.loads(block["content"])


# --- tools and prompt ------------------------------------------------------------------------


def schema_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    """Every sub-schema; the keys of "properties" are field names, not schema keywords."""
    found = [node]
    for key, value in node.items():
        children = list(value.values()) if key == "properties" else [value]
        for child in children:
            items = child if isinstance(child, list) else [child]
            found.extend(n for item in items if isinstance(item, dict) for n in schema_nodes(item))
    return found


def test_tools_are_built_from_the_registry() -> None:
    registry = build_registry()
    tools = build_tools(registry)
    assert [t["name"] for t in tools] == [op.name for op in registry]
    json_types = {"string", "integer", "number", "boolean", "object", "array"}
    for tool, op in zip(tools, registry, strict=True):
        assert tool["description"] == op.description or op.destructive
        assert tool["description"].startswith(op.description) and op.description
        schema = tool["input_schema"]
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        fields = op.input_model.model_fields
        assert set(schema["properties"]) == set(fields)
        required = {name for name, info in fields.items() if info.is_required()}
        assert set(schema.get("required", [])) == required
        for name, prop in schema["properties"].items():
            assert prop["type"] in json_types, (op.name, name, prop)
            assert prop.get("description"), (op.name, name)
        # No pydantic noise: titles, references, null variants, null defaults.
        for node in schema_nodes(schema):
            assert not {"title", "$ref", "$defs", "anyOf"} & set(node), (op.name, node)
            assert node.get("default", 0) is not None
    by_name = {t["name"]: t for t in tools}
    assert by_name["add_contact"]["input_schema"]["required"] == ["name"]
    assert set(by_name["add_reminder"]["input_schema"]["required"]) == {"due_at", "text"}
    assert by_name["add_contact"]["input_schema"]["properties"]["role"]["enum"][0] == "buyer"
    # A field called "title" is data, not noise.
    assert "title" in by_name["add_property"]["input_schema"]["properties"]
    assert "confirm" in by_name["delete_contact"]["description"]
    assert [t for t in tools if "cache_control" in t] == [tools[-1]]
    assert tools[-1]["cache_control"] == {"type": "ephemeral"}


async def test_cache_markers_and_the_per_message_block(
    harness: Harness, owner: ChatUser, server: FakeAnthropic
) -> None:
    assert server.requests == []  # signing up sent nothing to the provider
    server.queue(message(tool_use("add_contact", {"name": "Marie Dupont"})))
    server.queue(message(text("Marie is in.")))
    first = await owner.send("add Marie Dupont")
    assert "Marie is in." in first.text and "Marie Dupont" in first.text
    harness.clock.advance(minutes=20)  # recent mentions are kept for 30 minutes
    server.queue(message(text("Hello!")))
    await owner.send("hi")

    body = server.requests[0]
    assert body["model"] == "claude-haiku-4-5" and body["max_tokens"] == 512
    assert body["messages"][0] == {"role": "user", "content": "add Marie Dupont"}
    stable, situation = body["system"]
    assert stable["cache_control"] == {"type": "ephemeral"}
    assert "C12" in stable["text"] and "EUR" in stable["text"] and "ISO 8601" in stable["text"]
    assert "cache_control" not in situation
    assert "Tuesday 2026-03-10 09:00 in Europe/Paris (UTC+01:00)" in situation["text"]
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert all("cache_control" not in tool for tool in body["tools"][:-1])

    later = server.requests[-1]
    assert later["system"][0] == stable and later["tools"] == body["tools"]  # same prefix
    assert "Tuesday 2026-03-10 09:20" in later["system"][1]["text"]
    # Recent mentions: refs in the system prompt, names (typed data) with the user's message.
    assert "Recent records, most recent first: C1 (contact)." in later["system"][1]["text"]
    assert "Marie Dupont" not in json.dumps(later["system"])
    recent, typed = later["messages"][0]["content"]
    assert '{"ref":"C1","kind":"contact","name":"Marie Dupont"}' in recent["text"]
    assert typed == {"type": "text", "text": "hi"}


# --- the loop --------------------------------------------------------------------------------


def remind_about_created_contact(body: Body) -> Canned:
    """Round 2: the model reads the ref that add_contact returned."""
    ref = json.loads(body["messages"][-1]["content"][0]["content"])["ref"]
    return message(
        text("Now the reminder."),
        tool_use(
            "add_reminder",
            {"contact": ref, "due_at": "2026-03-11T10:00:00+01:00", "text": "Call Marie"},
        ),
    )


async def test_two_operations_over_two_rounds(
    harness: Harness, owner: ChatUser, server: FakeAnthropic
) -> None:
    server.queue(
        message(
            tool_use(
                "add_contact",
                {"name": "Marie Dupont", "phone": "06 12 34 56 78", "notes": "x" * 500},
            )
        ),
        remind_about_created_contact,
        message(text("Marie Dupont added; I'll remind you tomorrow at 10:00.")),
    )
    turn = await owner.send("add Marie Dupont 06 12 34 56 78 and remind me to call her tomorrow 10")
    assert "Marie Dupont" in turn.text and "Call Marie" in turn.text
    assert "I'll remind you tomorrow at 10:00." in turn.text
    assert UNAVAILABLE not in turn.text and len(server.requests) == 3

    [contact] = await contacts_named(harness, "Marie Dupont")
    async with harness.db.system_session() as session:
        [reminder] = list(await session.scalars(select(Reminder)))
    assert reminder.contact_id == contact.id and reminder.text == "Call Marie"
    assert reminder.due_at.astimezone(ZoneInfo("Europe/Paris")).hour == 10

    # Data minimisation: the phone number and long notes are not sent back.
    added = server.result_for("add_contact")
    assert result_json(added)["has_phone"] is True
    assert "612345678" not in added["content"] and "x" * 200 not in added["content"]
    assert result_json(server.result_for("add_reminder"))["due_at"].startswith("2026-03-11T10:00")


async def test_two_operations_in_one_round(
    harness: Harness, owner: ChatUser, server: FakeAnthropic
) -> None:
    server.queue(
        message(
            tool_use("add_contact", {"name": "Paul Martin", "role": "seller"}),
            tool_use("add_property", {"title": "T3 Croix-Rousse", "city": "Lyon", "price": 350000}),
        ),
        message(text("Both added.")),
    )
    turn = await owner.send("add seller Paul Martin and his T3 in Lyon at 350k")
    assert "Paul Martin" in turn.text and "T3 Croix-Rousse" in turn.text and "Both added." in turn
    results = server.tool_results()
    assert [result_json(r)["ref"] for r in results] == ["C1", "P1"]


async def test_a_looping_model_is_stopped_and_writes_once(
    harness: Harness, owner: ChatUser, server: FakeAnthropic
) -> None:
    # Each response a new tool_use id, as the API gives.
    server.always = lambda body: message(tool_use("add_contact", {"name": "Loop Lou"}))
    turn = await owner.send("add Loop Lou")
    assert len(server.requests) == MAX_ROUNDS
    assert STOPPED in turn.text and "Loop Lou" in turn.text
    assert len(await contacts_named(harness, "Loop Lou")) == 1
    # The last round's result never goes back: no request follows it.
    first, *repeats = server.tool_results()
    assert not first["is_error"] and len(repeats) == MAX_ROUNDS - 2
    assert all(r["is_error"] and "Do not repeat" in r["content"] for r in repeats)


async def test_a_destructive_call_waits_for_the_users_button(
    harness: Harness, owner: ChatUser, server: FakeAnthropic
) -> None:
    await owner.send("/add_contact Marie Dupont")
    server.queue(
        message(tool_use("delete_contact", {"contact": "C1"})),
        message(text("Please confirm with the button.")),
    )
    turn = await owner.send("delete Marie")
    assert "Yes, delete" in turn.labels and "Please confirm" in turn.text
    assert "confirm with a button" in server.result_for("delete_contact")["content"]
    assert len(await contacts_named(harness, "Marie Dupont")) == 1  # still there

    await owner.press("Yes, delete")
    assert await contacts_named(harness, "Marie Dupont") == []
    assert len(server.requests) == 2  # the button does not go through the model


async def test_bad_tool_calls_get_errors_and_the_model_carries_on(
    harness: Harness, owner: ChatUser, server: FakeAnthropic, fallback: SpyFallback
) -> None:
    server.queue(
        message(
            tool_use("add_reminder", {"due_at": "someday", "text": "Call"}),
            tool_use("launch_rockets", {"count": 3}),
            tool_use("add_note", "not an object"),
            tool_use("show_contact", {"contact": "C99"}),
        ),
        message(tool_use("add_reminder", {"due_at": "2026-03-10T18:00:00+01:00", "text": "Call"})),
        message(text("Reminder set for 18:00.")),
    )
    turn = await owner.send("remind me to call")
    invalid, unknown, not_object, missing, fixed = server.tool_results()
    assert invalid["is_error"] and "due_at" in invalid["content"]
    assert unknown["is_error"] and "Unknown tool" in unknown["content"]
    assert not_object["is_error"] and "JSON object" in not_object["content"]
    assert missing["is_error"] and missing["content"].startswith("Not found")
    assert not fixed["is_error"]
    assert "Reminder set for 18:00." in turn.text and fallback.texts == []
    # The errors were the model's to handle: the user sees the outcome, not the stumbles.
    assert "I could not use that" not in turn.text and "I found no" not in turn.text


# --- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [rate_limited, overloaded, server_error])
async def test_api_errors_fall_back_after_bounded_retries(
    harness: Harness,
    owner: ChatUser,
    server: FakeAnthropic,
    fallback: SpyFallback,
    failure: Any,
) -> None:
    server.always = failure()
    turn = await owner.send("add Marie Dupont")
    assert len(server.requests) == 3  # the first try and max_retries=2
    assert fallback.texts == ["add Marie Dupont"]
    assert UNAVAILABLE in turn.text


@pytest.mark.parametrize("client_options", [{"timeout": 0.3, "max_retries": 1}], indirect=True)
async def test_a_timeout_falls_back(
    harness: Harness, owner: ChatUser, server: FakeAnthropic, fallback: SpyFallback
) -> None:
    server.always = Canned(body=message(text("too late")).body, delay=3)
    turn = await owner.send("hello")
    assert len(server.requests) == 2
    assert fallback.texts == ["hello"] and UNAVAILABLE in turn.text


@pytest.mark.parametrize("client_options", [{"refused": True, "max_retries": 1}], indirect=True)
async def test_a_refused_connection_falls_back(
    harness: Harness, owner: ChatUser, server: FakeAnthropic, fallback: SpyFallback
) -> None:
    turn = await owner.send("hello")
    assert server.requests == [] and fallback.texts == ["hello"] and UNAVAILABLE in turn.text


@pytest.mark.parametrize(
    "canned",
    [
        Canned(body={"type": "message", "role": "assistant"}),  # no content, no stop_reason
        Canned(body="<html>Bad gateway</html>"),  # JSON content type, not JSON
        Canned(body={"content": "oops", "stop_reason": "end_turn"}),
    ],
    ids=["missing-fields", "not-json", "content-not-a-list"],
)
async def test_a_malformed_response_falls_back(
    harness: Harness, owner: ChatUser, server: FakeAnthropic, fallback: SpyFallback, canned: Canned
) -> None:
    server.always = canned
    turn = await owner.send("hello")
    assert fallback.texts == ["hello"] and UNAVAILABLE in turn.text


async def test_a_failure_in_round_two_undoes_round_one(
    harness: Harness, owner: ChatUser, server: FakeAnthropic, fallback: SpyFallback
) -> None:
    # The model writes something the text does not say, so the parser cannot write it again.
    server.queue(message(tool_use("add_contact", {"name": "Half Written"})))
    server.always = server_error()
    turn = await owner.send("hello there")
    assert len(server.requests) == 1 + 3
    assert await contacts_named(harness, "Half Written") == []
    assert fallback.texts == ["hello there"] and UNAVAILABLE in turn.text
    assert "Half Written" not in turn.text  # the discarded card was never shown
    # Undone work is not usage: no add_contact counted, only the path the message took.
    recorder = harness.dispatcher.workflow_data["usage_recorder"]
    await recorder.flush()
    async with harness.db.system_session() as session:
        counted = {
            (row.metric, row.name): row.count
            for row in await session.scalars(
                select(UsageCount).where(UsageCount.metric.in_(["operation", "nlu"]))
            )
        }
        timed = list(await session.scalars(select(UsageLatency)))
    assert counted == {("nlu", "none:fallback_unavailable"): 1}
    assert timed == []


async def test_a_client_error_is_not_retried_and_falls_back(
    harness: Harness, owner: ChatUser, server: FakeAnthropic, fallback: SpyFallback
) -> None:
    server.always = error(400, "invalid_request_error", "bad request")
    turn = await owner.send("hello")
    assert len(server.requests) == 1 and UNAVAILABLE in turn.text


# --- privacy and tenancy ---------------------------------------------------------------------


@pytest.mark.parametrize("switch", ["agency", "user"])
async def test_no_request_under_restriction(
    harness: Harness, owner: ChatUser, server: FakeAnthropic, fallback: SpyFallback, switch: str
) -> None:
    async with harness.db.system_session() as session:
        if switch == "agency":
            await session.execute(update(Agency).values(ai_processing=False))
        else:
            await session.execute(
                update(User).where(User.telegram_id == owner.id).values(ai_restricted=True)
            )
        await session.commit()
    server.always = message(text("should never be asked"))
    turn = await owner.send("add Marie Dupont")
    assert server.requests == []
    assert fallback.texts == ["add Marie Dupont"] and RESTRICTED in turn.text


async def test_migrated_rows_allow_ai(harness: Harness, owner: ChatUser) -> None:
    async with harness.db.system_session() as session:
        agency = await session.scalar(select(Agency))
        user = await session.scalar(select(User).where(User.telegram_id == owner.id))
    assert agency is not None and agency.ai_processing is True
    assert user is not None and user.ai_restricted is False


async def test_no_record_of_another_agency_reaches_a_tool_result(
    harness: Harness, owner: ChatUser, rival: ChatUser, server: FakeAnthropic
) -> None:
    await rival.send("/add_contact Victor Secret phone=0698765432")
    assert len(await contacts_named(harness, "Victor Secret")) == 1
    await owner.send("/add_contact Marie Dupont")
    server.queue(
        message(
            tool_use("show_contact", {"contact": "Victor Secret"}),
            tool_use("find_contacts", {"query": "Victor"}),
            tool_use("find_contacts", {}),
            tool_use("show_contact", {"contact": "C1"}),
        ),
        message(text("I found no Victor.")),
    )
    await owner.send("show me Victor Secret")
    results = server.tool_results()
    assert len(results) == 4
    assert results[0]["is_error"] and results[0]["content"].startswith("Not found")
    assert result_json(results[1]) == {"total": 0}
    assert [c["name"] for c in result_json(results[2])["items"]] == ["Marie Dupont"]
    assert result_json(results[3])["contact"]["ref"] == "C1"  # the owner's own C1
    bodies = json.dumps(results, ensure_ascii=False)
    assert "Victor" not in bodies and "698765432" not in bodies


# --- pieces ----------------------------------------------------------------------------------


def test_results_are_cut_to_max_rows_with_the_total() -> None:
    items = [ContactView(ref=f"C{n}", name=f"Name {n}", role="buyer") for n in range(1, 13)]
    data = compact(ContactList(items=items, total=12), max_rows=3, tz=ZoneInfo("Europe/Paris"))
    assert data == {
        "items": [
            {"ref": "C1", "name": "Name 1", "role": "buyer"},
            {"ref": "C2", "name": "Name 2", "role": "buyer"},
            {"ref": "C3", "name": "Name 3", "role": "buyer"},
        ],
        "items_not_shown": 9,
        "total": 12,
    }


async def test_create_interpreter_follows_the_settings(settings: Settings) -> None:
    assert isinstance(create_interpreter(settings), RuleInterpreter)
    configured = Settings(
        _env_file=None,  # type: ignore[call-arg]
        anthropic_api_key="sk-test",
        anthropic_base_url="http://127.0.0.1:9",
        anthropic_model="claude-test",
        anthropic_max_retries=4,
        anthropic_timeout_seconds=7.5,
        nlu_max_rounds=2,
    )
    interpreter = create_interpreter(configured)
    assert isinstance(interpreter, ClaudeInterpreter)
    assert isinstance(interpreter.fallback, RuleInterpreter)
    assert interpreter.model == "claude-test" and interpreter.max_rounds == 2
    client = interpreter.client
    assert client.max_retries == 4 and client.timeout == 7.5
    assert str(client.base_url).startswith("http://127.0.0.1:9")
    await client.close()
