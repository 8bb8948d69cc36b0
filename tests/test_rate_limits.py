"""Rate limits per Telegram user, through the real Dispatcher: the excess is answered once
per window, then ignored, and does no work."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.factory import create_bot, create_dispatcher
from bot.limits import MemoryLimitBackend, RateLimiter, RedisLimitBackend
from bot.local_session import LocalBotSession
from bot.settings import Settings
from crm_core.db import Database
from crm_core.models import Contact
from nlu.rules import RuleInterpreter
from tests.conftest import invite_link, sign_up
from tests.harness import ChatUser, Clock, Harness

TOO_FAST = "sending messages very fast"


async def contacts(harness: Harness) -> int:
    async with harness.db.system_session() as session:
        return int(await session.scalar(select(func.count()).select_from(Contact)) or 0)


async def test_the_31st_message_in_a_minute_is_refused_once_and_does_nothing(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    clock.advance(minutes=1)  # a fresh window: sign-up messages do not count
    for number in range(1, 31):
        turn = await owner.send(f"/add_contact Person {number}")
        assert f"C{number}" in turn.text, turn.text
    assert await contacts(harness) == 30

    refused = await owner.send("/add_contact Extra Person")
    assert TOO_FAST in refused.text
    assert await contacts(harness) == 30  # the handler did not run

    silent = await owner.send("/add_contact Another Extra")
    assert silent.methods == []  # answered once per window, then silence
    assert await contacts(harness) == 30

    clock.advance(minutes=1)  # the window resets
    turn = await owner.send("/add_contact Next Minute")
    assert "C31" in turn.text
    assert await contacts(harness) == 31


async def test_exports_per_day(harness: Harness, owner: ChatUser, clock: Clock) -> None:
    await owner.send("/add_contact Marie Dupont")
    for _ in range(2):
        assert "Preparing the export" in await owner.send("/export")
    assert "C1" in (await owner.send("/client_export C1")).text  # counts as an export
    harness.session.sent_files.clear()

    refused = await owner.send("/export")
    assert "limit of exports" in refused.text
    assert "Preparing" not in refused.text and not harness.session.sent_files
    assert (await owner.send("/client_export C1")).methods == []
    assert not harness.session.sent_files

    clock.advance(days=1)
    assert "Preparing the export" in await owner.send("/export")


async def test_ai_path_messages_per_hour(db: Database, clock: Clock, tmp_path: Path) -> None:
    """Counted when a Claude key is set (here with the offline parser standing in)."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        anthropic_api_key="sk-test",
        rate_ai_messages_per_hour=3,
    )
    session = LocalBotSession()
    bot = create_bot(settings, session=session)
    dispatcher = create_dispatcher(settings, db, clock=clock, interpreter=RuleInterpreter())
    harness = Harness(dispatcher, bot, session, db, clock)
    owner = harness.user(101, "Alice")
    await sign_up(owner)
    for number, name in enumerate(["Anna", "Berta", "Carla"], start=1):
        turn = await owner.send(f"add {name} Dupont buyer Lyon")
        assert f"C{number}" in turn.text, turn.text
    refused = await owner.send("add Dora Dupont buyer Lyon")
    assert "many requests this hour" in refused.text
    assert await contacts(harness) == 3
    assert "C4" in (await owner.send("/add_contact Commands Still Work")).text  # not AI
    clock.advance(hours=1)
    assert "C5" in (await owner.send("add Emma Dupont buyer Lyon")).text


async def test_invite_guessing_is_locked_out_and_logged(
    harness: Harness, owner: ChatUser, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    good = await invite_link(owner)
    guesser = harness.user(303, "Mallory")
    for attempt in range(5):
        turn = await guesser.send(f"/start inv_{attempt}wrongtoken{attempt}")
        assert "invited to join" not in turn.text
    warnings = [r.getMessage() for r in caplog.records if "locked out" in r.getMessage()]
    assert len(warnings) == 1 and "303" in warnings[0]
    assert "wrongtoken" not in warnings[0] and "Mallory" not in warnings[0]

    refused = await guesser.send(f"/start {good}")  # even a good link: not for an hour
    assert "Too many invalid invitation links" in refused.text
    assert "invited to join" not in refused.text

    clock.advance(minutes=61)
    assert "invited to join Acme Realty" in (await guesser.send(f"/start {good}")).text


async def test_memory_backend_windows_and_locks() -> None:
    clock = Clock()
    limiter = RateLimiter(MemoryLimitBackend(), clock)
    assert [(await limiter.hit("x", 1, 2, 60)).exceeded for _ in range(3)] == [
        False,
        False,
        True,
    ]
    assert not (await limiter.hit("x", 2, 2, 60)).exceeded  # per user
    clock.advance(seconds=60)
    assert (await limiter.hit("x", 1, 2, 60)).count == 1
    await limiter.lock("y", 1, 30)
    assert await limiter.locked("y", 1) and not await limiter.locked("y", 2)
    clock.advance(seconds=31)
    assert not await limiter.locked("y", 1)


@pytest.fixture
def redis_backend(redis_client: Any, redis_prefix: str) -> RedisLimitBackend:
    return RedisLimitBackend(redis_client, redis_prefix)


async def test_redis_backend_counts_expire_and_locks(redis_backend: RedisLimitBackend) -> None:
    clock = Clock()
    limiter = RateLimiter(redis_backend, clock)
    hits = [await limiter.hit("msg", 7, 2, 60) for _ in range(3)]
    assert [h.count for h in hits] == [1, 2, 3] and hits[2].first_excess
    key = f"{redis_backend.prefix}:limit:msg:7:{int(clock().timestamp()) // 60}"
    assert 0 < await redis_backend.redis.ttl(key) <= 60  # type: ignore[attr-defined]
    clock.advance(minutes=1)
    assert (await limiter.hit("msg", 7, 2, 60)).count == 1
    await limiter.lock("invite", 7, 3600)
    assert await limiter.locked("invite", 7)
    clock.advance(hours=1, seconds=1)
    assert not await limiter.locked("invite", 7)


async def test_redis_backend_through_the_dispatcher(
    db: Database, clock: Clock, settings: Settings, redis_backend: RedisLimitBackend
) -> None:
    limited = settings.model_copy(update={"rate_messages_per_minute": 5})
    session = LocalBotSession()
    bot = create_bot(limited, session=session)
    dispatcher = create_dispatcher(limited, db, clock=clock, limits=redis_backend)
    harness = Harness(dispatcher, bot, session, db, clock)
    owner = harness.user(101, "Alice")
    await sign_up(owner)
    clock.advance(minutes=1)
    for number in range(1, 6):
        assert f"C{number}" in (await owner.send(f"/add_contact Person {number}")).text
    assert TOO_FAST in (await owner.send("/add_contact Extra"))
    assert await contacts(harness) == 5
