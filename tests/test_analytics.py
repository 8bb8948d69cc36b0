"""Usage analytics through the real Dispatcher: what is counted (operations, commands, buttons,
NLU paths, refusals, limits, latencies), that the figures hold no identifiers, that objectors
are not counted, /stats for the owner, ``run_bot.py stats`` and the Prometheus endpoint."""

from __future__ import annotations

import asyncio
import math
import shutil
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiogram.types import Chat
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import select, update

import run_bot
from bot.factory import create_bot, create_dispatcher
from bot.local_session import LocalBotSession
from bot.settings import Settings
from bot.usage import prometheus_text
from bot.webhook import build_app
from crm_core import analytics
from crm_core.analytics import (
    BUCKETS_MS,
    OVERFLOW_MS,
    SAFE_NAME,
    UsageRecorder,
    bucket_of,
    percentile,
    safe_name,
)
from crm_core.context import OperationContext
from crm_core.db import Database
from crm_core.models import Agency, UsageCount, UsageLatency, User
from crm_core.registry import Operation, OperationInput, Registry, build_registry
from scheduler.privacy import purge_privacy
from tests.conftest import sign_up
from tests.harness import ChatUser, Clock, Harness

Counts = dict[tuple[str, str], int]


def recorder_of(harness: Harness) -> UsageRecorder:
    recorder = harness.dispatcher.workflow_data["usage_recorder"]
    assert isinstance(recorder, UsageRecorder)
    return recorder


async def counts(harness: Harness, agency_id: int | None = None) -> Counts:
    """Every stored counter (summed over days), after writing what is pending."""
    await recorder_of(harness).flush()
    async with harness.db.system_session() as session:
        query = select(UsageCount)
        if agency_id is not None:
            query = query.where(UsageCount.agency_id == agency_id)
        found: Counts = {}
        for row in await session.scalars(query):
            key = (row.metric, row.name)
            found[key] = found.get(key, 0) + row.count
    return found


async def latency_runs(harness: Harness, operation: str) -> int:
    await recorder_of(harness).flush()
    async with harness.db.system_session() as session:
        rows = await session.scalars(
            select(UsageLatency).where(UsageLatency.operation == operation)
        )
        return sum(row.count for row in rows)


async def agency_id(harness: Harness, name: str) -> int:
    async with harness.db.system_session() as session:
        found = await session.scalar(select(Agency.id).where(Agency.name == name))
    assert found is not None
    return found


async def test_a_session_of_work_is_counted_by_feature(harness: Harness, owner: ChatUser) -> None:
    before = await counts(harness)
    await owner.send("/add_contact Marie Dupont phone=06 12 34 56 78")
    await owner.send("add Paul Martin buyer Lyon 300k")
    await owner.send("blorp wibble")  # not understood
    await owner.send("/add_contact")  # refused: no name
    await owner.send("/frobnicate C1")  # no such command
    await owner.send("/delete_contact C1")
    await owner.press("Yes, delete")
    after = await counts(harness)
    grew = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    assert grew[("operation", "add_contact")] == 2
    assert grew[("command", "add_contact")] == 2
    assert grew[("nlu", "rules")] == 1
    assert grew[("nlu", "none")] == 1
    assert grew[("error", "add_contact:invalid_input")] == 1
    assert grew[("command", "unknown")] == 1
    assert grew[("operation", "delete_contact:asked")] == 1
    assert grew[("operation", "delete_contact")] == 1
    assert sum(count for (metric, _), count in grew.items() if metric == "button") == 1
    assert await latency_runs(harness, "add_contact") == 2  # completed runs only


async def test_figures_hold_no_identifiers(
    harness: Harness, owner: ChatUser, rival: ChatUser
) -> None:
    secrets = ["Marie", "Dupont", "612345678", "marie@example.com", "Lyon", "C1", "D1", "P1"]
    await owner.send("/add_contact Marie Dupont phone=06 12 34 56 78 email=marie@example.com")
    await owner.send("/add_property flat Lyon 250k")
    await owner.send("/show_contact Marie")
    await owner.send("/show_contact C1")
    await owner.send("called Marie Dupont about P1 in Lyon")
    await owner.send("/Marie_Dupont")  # a "command" made of a name
    await rival.send("/contacts Marie")
    # Other handlers answer unknown commands too: a group's refusal, a policy prompt.
    group = Chat(id=-100123, type="supergroup", title="Team")
    await owner.send("/marie_dupont_0612345678", chat=group)
    async with harness.db.system_session() as session:
        await session.execute(
            update(User).where(User.telegram_id == rival.id).values(policy_version="2000-01")
        )
        await session.commit()
    assert "privacy policy" in (await rival.send("/marie_dupont")).text
    await counts(harness)  # flushed
    async with harness.db.system_session() as session:
        count_rows = list(await session.scalars(select(UsageCount)))
        latency_rows = list(await session.scalars(select(UsageLatency)))
    assert count_rows and latency_rows
    # The columns are these and no others: no user, no record, no text.
    assert set(UsageCount.__table__.columns.keys()) == {
        "day",
        "agency_id",
        "metric",
        "name",
        "count",
    }
    assert set(UsageLatency.__table__.columns.keys()) == {
        "day",
        "agency_id",
        "operation",
        "le_ms",
        "count",
    }
    names = [row.name for row in count_rows] + [row.operation for row in latency_rows]
    assert all(SAFE_NAME.fullmatch(name) for name in names), names
    stored = " ".join(names).lower()
    assert not [secret for secret in secrets if secret.lower() in stored.split()], stored
    assert "marie" not in stored and "dupont" not in stored and "612345678" not in stored
    agencies = {row.agency_id for row in count_rows}
    assert agencies <= {
        0,
        await agency_id(harness, "Acme Realty"),
        await agency_id(harness, "Rival Homes"),
    }
    assert owner.id not in agencies and rival.id not in agencies


async def test_people_who_objected_are_not_counted(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await agent.send("/privacy")
    await agent.press("Usage analytics: on")  # objects
    before = await counts(harness)
    await agent.send("/add_contact Marie Dupont")
    await agent.send("add Paul Martin buyer")
    await agent.send("/add_contact")
    await agent.send("/contacts")
    runs_before = await latency_runs(harness, "add_contact")
    assert await counts(harness) == before
    assert await latency_runs(harness, "add_contact") == runs_before
    await owner.send("/add_contact Zoe Blanc")  # the owner did not object: counted
    assert (await counts(harness))[("operation", "add_contact")] == before.get(
        ("operation", "add_contact"), 0
    ) + 1
    # Withdrawing the objection counts them again.
    await agent.send("/privacy")
    await agent.press("Usage analytics: off")
    await agent.send("/add_contact Hugo Petit")
    assert (await counts(harness))[("operation", "add_contact")] == before.get(
        ("operation", "add_contact"), 0
    ) + 2


async def test_an_objection_outlives_membership(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await agent.send("/privacy")
    await agent.press("Usage analytics: on")  # objects
    await owner.send("/team")
    await owner.press("Remove Bob Durand")
    await owner.press("Yes")
    before = await counts(harness)
    assert "/start" in (await agent.send("/contacts")).text  # no agency any more
    await agent.send("/help")
    await agent.send("/start")
    assert await counts(harness) == before


async def test_rate_limited_messages_are_counted_as_refusals(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    clock.advance(minutes=1)
    for number in range(31):
        await owner.send(f"/add_contact Person {number}")
    found = await counts(harness)
    assert found[("error", "rate_limited:msg")] == 1
    assert found[("operation", "add_contact")] == 30


async def test_owner_reads_their_agency_figures_with_stats(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser, clock: Clock
) -> None:
    await owner.send("/add_contact Marie Dupont")
    await agent.send("/add_contact Paul Martin")
    await agent.send("/add_contact")
    for number in range(3):
        await rival.send(f"/add_property flat Nice {number + 1}00k")
    turn = await owner.send("/stats")
    text = turn.text
    assert "Your agency's usage" in text and "2026-03-04 to 2026-03-10" in text
    assert "/add_contact — 2" in text  # both members of Acme, in one line
    assert "/add_property" not in text  # Rita's agency is not Alice's
    assert "/add_contact: refused input — 1" in text
    assert "Speed" in text and " ms" in text
    assert "Marie" not in text and "Paul" not in text

    rivals = await rival.send("/stats")
    assert "/add_property — 3" in rivals.text and "/add_contact" not in rivals.text

    refused = await agent.send("/stats")
    assert "Only the agency's owner" in refused.text
    assert "2026-02-09 to 2026-03-10" in (await owner.send("/stats 30")).text
    for bad in ("/stats 0", "/stats 91", "/stats soon", "/stats -3", "/stats ３"):
        assert "/stats 30 for up to 90 days" in (await owner.send(bad)).text, bad


async def test_stats_in_french(harness: Harness) -> None:
    claire = harness.user(303, "Claire", language_code="fr")
    await sign_up(claire, agency="Immo Claire", name="Claire Morel", language="Français")
    await claire.send("/add_contact Marie Dupont")
    turn = await claire.send("/stats")
    assert "Utilisation de votre agence" in turn.text, turn.text


async def test_a_failed_flush_keeps_the_figures(tmp_path: Path, db: Database, clock: Clock) -> None:
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    recorder = UsageRecorder(broken, clock)
    usage = recorder.usage_for(None)
    usage.count(analytics.Metric.COMMAND, "start")
    usage.latency("add_contact", 0.004)
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
        await recorder.flush()
    assert recorder.pending == 2
    recorder.db = db  # the database is back
    usage.count(analytics.Metric.COMMAND, "start")
    await recorder.flush()
    assert recorder.pending == 0
    async with db.system_session() as session:
        [row] = await session.scalars(select(UsageCount))
        [bucket] = await session.scalars(select(UsageLatency))
    assert (row.name, row.count) == ("start", 2)
    assert (bucket.operation, bucket.le_ms, bucket.count) == ("add_contact", 5, 1)
    await broken.dispose()


async def test_flushes_from_two_processes_add_up(db: Database, clock: Clock) -> None:
    first, second = UsageRecorder(db, clock), UsageRecorder(db, clock)
    for recorder, times in ((first, 3), (second, 4)):
        for _ in range(times):
            recorder.usage_for(None).count(analytics.Metric.COMMAND, "start")
    await asyncio.gather(first.flush(), second.flush())
    async with db.system_session() as session:
        [row] = await session.scalars(select(UsageCount))
    assert row.count == 7


async def test_a_closed_agency_takes_its_figures_and_old_ones_expire(
    harness: Harness, owner: ChatUser, rival: ChatUser, clock: Clock
) -> None:
    await owner.send("/add_contact Marie Dupont")
    await rival.send("/add_contact Roberto Rival")
    acme = await agency_id(harness, "Acme Realty")
    await owner.send("/delete")
    await owner.press("Yes, delete my account")
    await counts(harness)
    clock.advance(days=15)
    await purge_privacy(harness.db, clock())
    assert await counts(harness, acme) == {}
    assert await counts(harness, await agency_id(harness, "Rival Homes")) != {}
    clock.advance(days=401)
    await purge_privacy(harness.db, clock())
    assert await counts(harness) == {}


def test_names_that_do_not_look_like_code_are_not_kept() -> None:
    assert safe_name("add_contact") == "add_contact"
    assert safe_name("rules:fallback_unavailable") == "rules:fallback_unavailable"
    for unsafe in ("Marie", "C12", "marie dupont", "06 12", "a:b:c", "x" * 80, "", "é"):
        assert safe_name(unsafe) == "other", unsafe


@given(st.dictionaries(st.sampled_from([*BUCKETS_MS, OVERFLOW_MS]), st.integers(0, 10**6)))
def test_percentiles_are_ordered_and_inside_the_filled_buckets(buckets: dict[int, int]) -> None:
    filled = sorted(bound for bound, count in buckets.items() if count)
    p50, p95, p99 = (percentile(buckets, f) for f in (0.5, 0.95, 0.99))
    if not filled:
        assert math.isnan(p50)
        return
    assert p50 <= p95 <= p99
    bounds = [0, *BUCKETS_MS]
    lowest = bounds[bounds.index(filled[0]) - 1] if filled[0] != OVERFLOW_MS else BUCKETS_MS[-1]
    highest = min(filled[-1], BUCKETS_MS[-1])
    assert lowest <= p50 and p99 <= highest


@given(st.floats(0, 100, allow_nan=False))
def test_a_duration_falls_in_the_first_bucket_that_holds_it(seconds: float) -> None:
    bound = bucket_of(seconds)
    assert bound == OVERFLOW_MS or seconds * 1000 <= bound
    smaller = [b for b in BUCKETS_MS if b < bound]
    assert not smaller or seconds * 1000 > smaller[-1]


def test_run_bot_stats_prints_the_service_wide_figures(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sqlite_template: Path,
) -> None:
    database = tmp_path / "crm.db"
    shutil.copy(sqlite_template, database)

    async def some_usage() -> None:
        db = Database(f"sqlite+aiosqlite:///{database}")
        recorder = UsageRecorder(db, lambda: datetime.now(UTC))  # the command reads today
        for agency in (1, 2):
            usage = analytics.Usage(recorder, agency)
            usage.count(analytics.Metric.OPERATION, "add_contact")
            usage.latency("add_contact", 0.012)
        await recorder.flush()
        await db.dispose()

    asyncio.run(some_usage())
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    assert run_bot.main(["stats", "--days", "1"]) == 0
    out = capsys.readouterr().out
    assert "(1 days), all agencies" in out and "agencies active: 2" in out
    assert "add_contact" in out and "p95" in out
    with pytest.raises(SystemExit):
        run_bot.main(["stats", "30"])  # the number of days goes with --days
    assert run_bot.main(["stats", "--days", "0"]) == 2


async def test_prometheus_metrics_on_the_webhook_server(
    harness: Harness, owner: ChatUser, settings: Settings, db: Database
) -> None:
    await owner.send("/add_contact Marie Dupont")
    recorder = recorder_of(harness)
    recorder.add_latency(1, "add_contact", 0.150)  # a second run, in a slower bucket
    text = prometheus_text(recorder)
    assert 'crm_usage_total{metric="operation",name="add_contact"} 1' in text
    assert 'crm_operation_duration_seconds_count{operation="add_contact"} 2' in text
    assert "Marie" not in text
    buckets = [
        int(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('crm_operation_duration_seconds_bucket{operation="add_contact"')
    ]
    assert buckets == sorted(buckets) and buckets[-1] == 2  # cumulative, +Inf = count
    assert 'operation="add_contact",le="0.2"} 2' in text
    assert 'operation="add_contact",le="0.1"} 1' in text

    # Served by the webhook app (the same dispatcher type the workers run).
    hook = settings.model_copy(
        update={
            "webhook_url": "https://bot.example.test/telegram",
            "webhook_secret": SecretStr("s3cret"),
        }
    )
    dispatcher = create_dispatcher(hook, db)
    bot = create_bot(hook, session=LocalBotSession())
    app = build_app(hook, dispatcher, bot, db)
    from aiohttp.test_utils import TestServer

    async with (
        TestServer(app) as server,
        aiohttp.ClientSession() as http,
        http.get(server.make_url("/metrics")) as response,
    ):
        assert response.status == 200
        body = await response.text()
    assert "# TYPE crm_usage_total counter" in body and "crm_updates_in_flight 0" in body
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")


async def test_stopping_the_bot_writes_the_counts(harness: Harness, owner: ChatUser) -> None:
    await owner.send("/add_contact Marie Dupont")
    async with harness.db.system_session() as session:
        assert list(await session.scalars(select(UsageCount))) == []  # not yet written
    await harness.dispatcher.emit_startup(bot=harness.bot)
    await harness.dispatcher.emit_shutdown(bot=harness.bot)
    async with harness.db.system_session() as session:
        written = {(r.metric, r.name) for r in await session.scalars(select(UsageCount))}
    assert ("operation", "add_contact") in written


def test_percentiles_interpolate_inside_a_bucket() -> None:
    assert percentile({10: 1, 20: 1}, 0.5) == 10.0
    assert percentile({20: 4}, 0.5) == 15.0  # halfway between 10 and 20 ms
    assert percentile({1: 1, OVERFLOW_MS: 99}, 0.99) == BUCKETS_MS[-1]
    assert percentile({15: 2}, 0.5) == 12.5  # a bound no longer in the list still reads


class NoArguments(OperationInput):
    """Fails on purpose (a stand-in for a bug)."""


async def _explode(_ctx: OperationContext, _args: NoArguments) -> None:
    raise RuntimeError("a bug")


async def test_a_crash_is_counted_by_its_class(
    db: Database, clock: Clock, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry([*build_registry(), Operation("explode", NoArguments, _explode, False)])
    session = LocalBotSession()
    harness = Harness(
        create_dispatcher(settings, db, clock=clock, registry=registry),
        create_bot(settings, session=session),
        session,
        db,
        clock,
    )
    owner = harness.user(101, "Alice")
    await sign_up(owner)
    turn = await owner.send("/explode")
    assert "something went wrong on my side" in turn.text
    found = await counts(harness)
    assert found[("error", "crash:runtime_error")] == 1
    assert found[("command", "explode")] == 1
    assert ("operation", "explode") not in found
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [RuntimeError]
    caplog.clear()  # the crash was the point
