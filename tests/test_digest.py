"""The daily digest: at the member's local time (08:00 unless moved with /digest), once a
local day, in their language, with today's reminders, overdue ones and deals that have not
moved for 14 days."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage
from sqlalchemy import update

from bot.i18n import create_i18n
from bot.notifier import AiogramNotifier
from crm_core.db import Database
from crm_core.models import User
from scheduler.digests import send_digests
from scheduler.pacing import RateLimiter
from tests.harness import ChatUser, Clock, Harness
from tests.test_scheduler import FakeTime


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def notifier_for(harness: Harness) -> AiogramNotifier:
    time = FakeTime()
    return AiogramNotifier(
        harness.bot, create_i18n("en"), RateLimiter(clock=time, sleep=time.sleep)
    )


def digests_to(harness: Harness, user: ChatUser) -> list[str]:
    return [
        m.text
        for m in harness.session.requests
        if isinstance(m, SendMessage) and m.chat_id == user.id and "<b>Your day</b>" in m.text
    ]


async def run(harness: Harness, clock: Clock, db: Database | None = None) -> int:
    return await send_digests(db or harness.db, notifier_for(harness), clock.now)


async def seed(owner: ChatUser) -> None:
    """On Tue 10 March: D1 (lead), one reminder that will be overdue, one on the 25th."""
    for command in (
        "/add_contact Marie Dupont phone=06 12 34 56 78",
        "/create_deal C1",
        "/add_reminder C1 Send the mandate due_at=today 10:00",
        "/add_reminder C1 Visit with Marie due_at=2026-03-25 11:00",
    ):
        await owner.send(command)


async def test_the_digest_comes_at_08_00_local_time_once_a_day(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await seed(owner)
    harness.session.clear()

    clock.now = utc(2026, 3, 25, 6, 59)  # 07:59 in Paris
    assert await run(harness, clock) == 0
    clock.now = utc(2026, 3, 25, 7, 0)
    assert await run(harness, clock) == 1
    clock.advance(hours=3)
    assert await run(harness, clock) == 0  # once a day

    [digest] = digests_to(harness, owner)
    assert "Wednesday 25 March" in digest
    today, stale = digest.split("Reminders")[1], digest.split("Deals not moved for 14 days")[1]
    assert "Visit with Marie" in today
    overdue = digest.split("Overdue")[1].split("Reminders")[0]
    assert "Send the mandate" in overdue and "Visit" not in overdue
    assert "D1" in stale and "lead" in stale

    clock.now = utc(2026, 3, 26, 7, 0)  # the next day: again
    assert await run(harness, clock) == 1


async def test_the_digest_is_in_the_members_language(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await seed(owner)
    async with harness.db.system_session() as session:
        await session.execute(update(User).where(User.telegram_id == owner.id).values(locale="fr"))
        await session.commit()
    harness.session.clear()
    clock.now = utc(2026, 3, 25, 7, 0)

    assert await run(harness, clock) == 1

    [digest] = [m.text for m in harness.session.requests if isinstance(m, SendMessage)]
    assert "mercredi 25 mars" in digest
    assert "<i>En retard</i>" in digest and "<i>Rappels</i>" in digest
    assert "D1</b> Marie Dupont — prospect" in digest  # the stage, translated


async def test_digest_off_on_and_moved(harness: Harness, owner: ChatUser, clock: Clock) -> None:
    await seed(owner)
    turn = await owner.send("/digest off")
    assert "off" in turn.text
    clock.now = utc(2026, 3, 25, 7, 0)
    assert await run(harness, clock) == 0

    turn = await owner.send("/digest 9h30")
    assert "09:30" in turn.text
    assert await run(harness, clock) == 0  # 08:00: not yet
    clock.now = utc(2026, 3, 25, 8, 30)
    assert await run(harness, clock) == 1

    turn = await owner.send("/digest at noon")
    assert "/digest 07:30" in turn.text  # how to use it; nothing changed
    assert "09:30" in (await owner.send("/digest")).text


async def test_two_schedulers_send_one_digest(
    harness: Harness, db: Database, owner: ChatUser, clock: Clock
) -> None:
    await seed(owner)
    harness.session.clear()
    clock.now = utc(2026, 3, 25, 7, 0)
    other = Database(db.engine.url.render_as_string(hide_password=False), pool_size=2)
    try:
        counts = await asyncio.gather(run(harness, clock), run(harness, clock, other))
    finally:
        await other.dispose()
    assert sorted(counts) == [0, 1]
    assert len(digests_to(harness, owner)) == 1


async def test_a_digest_that_hits_429_is_tried_again_and_403_stops_them(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await seed(owner)
    harness.session.clear()
    method = SendMessage(chat_id=owner.id, text="x")
    clock.now = utc(2026, 3, 25, 7, 0)

    harness.session.failures.append(TelegramRetryAfter(method, "Too Many Requests", 5))
    assert await run(harness, clock) == 0
    clock.advance(minutes=1)
    assert await run(harness, clock) == 1  # today's digest was released, then sent

    clock.now = utc(2026, 3, 26, 7, 0)
    harness.session.failures.append(TelegramForbiddenError(method, "Forbidden: bot was blocked"))
    assert await run(harness, clock) == 0
    clock.now = utc(2026, 3, 27, 7, 0)
    assert await run(harness, clock) == 0  # unreachable: no more digests
    assert len(digests_to(harness, owner)) == 1
