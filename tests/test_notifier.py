"""Telegram faults during delivery, answered by the recording Bot session as a Bot API server
would: 429 waits for retry_after, 5xx and network errors back off, 403 marks the agent
unreachable and stops sending; and the pacing under Telegram's limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from sqlalchemy import select

from crm_core.models import Reminder, User
from scheduler.delivery import DeliveryPolicy
from scheduler.pacing import RateLimiter
from tests.harness import ChatUser, Clock, Harness
from tests.test_scheduler import FakeTime, add, delivery_for, reminders, sent_to, utc

METHOD = SendMessage(chat_id=101, text="x")


async def due_now(harness: Harness, owner: ChatUser, clock: Clock) -> None:
    await add(owner, "/add_reminder Call the notary due_at=today 10:00")
    clock.now = utc(2026, 3, 10, 9, 0)
    harness.session.clear()


async def test_429_is_retried_after_the_time_telegram_asks(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await due_now(harness, owner, clock)
    delivery = delivery_for(harness)
    harness.session.failures.append(
        TelegramRetryAfter(METHOD, "Too Many Requests: retry after 37", retry_after=37)
    )

    assert await delivery.run_once() == 1
    [reminder] = await reminders(harness)
    assert reminder.fired_at is None and reminder.claimed_until == clock.now + timedelta(seconds=37)
    assert sent_to(harness, owner) == []

    clock.advance(seconds=36)
    assert await delivery.run_once() == 0  # not before retry_after
    clock.advance(seconds=1)
    assert await delivery.run_once() == 1
    assert len(sent_to(harness, owner)) == 1
    assert (await reminders(harness))[0].fired_at == clock.now


@pytest.mark.parametrize(
    "fault",
    [
        TelegramServerError(METHOD, "Internal Server Error"),
        TelegramNetworkError(METHOD, "connection reset"),
    ],
)
async def test_server_and_network_errors_back_off_exponentially(
    harness: Harness, owner: ChatUser, clock: Clock, fault: Exception
) -> None:
    await due_now(harness, owner, clock)
    delivery = delivery_for(harness)
    waits = []
    for _ in range(3):
        harness.session.failures.append(fault)
        assert await delivery.run_once() == 1
        [reminder] = await reminders(harness)
        waits.append(reminder.claimed_until - clock.now)
        clock.now = reminder.claimed_until
    assert waits == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
    assert await delivery.run_once() == 1
    assert len(sent_to(harness, owner)) == 1


async def test_403_marks_the_agent_unreachable_and_stops_sending(
    harness: Harness, owner: ChatUser, agent: ChatUser, clock: Clock
) -> None:
    await add(agent, "/add_reminder Agent's own task due_at=today 10:05")
    await due_now(harness, owner, clock)
    delivery = delivery_for(harness)
    harness.session.failures.append(TelegramForbiddenError(METHOD, "Forbidden: bot was blocked"))

    assert await delivery.run_once() == 1
    async with harness.db.system_session() as session:
        rows = await session.execute(select(User.telegram_id, User.unreachable_at))
        unreachable = {telegram_id: at for telegram_id, at in rows}
    assert unreachable == {owner.id: clock.now, agent.id: None}

    await add(owner, "/add_reminder Another task due_at=today 10:30")  # replies still work
    harness.session.clear()
    clock.now = utc(2026, 3, 10, 12, 0)
    assert await delivery.run_once() == 1  # the agent's; none to the blocked chat
    assert sent_to(harness, owner) == [] and len(sent_to(harness, agent)) == 1
    fired = {r.text: r.fired_at for r in await reminders(harness)}
    assert fired == {"Call the notary": None, "Another task": None, "Agent's own task": clock.now}


async def test_unblocking_the_bot_makes_the_agent_reachable_again(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await due_now(harness, owner, clock)
    delivery = delivery_for(harness)
    harness.session.failures.append(TelegramForbiddenError(METHOD, "Forbidden: bot was blocked"))
    await delivery.run_once()

    await harness.feed(member_update(harness, owner, "member"), owner.id)

    assert await delivery.run_once() == 1
    assert len(sent_to(harness, owner)) == 1
    assert (await reminders(harness))[0].late is False


def member_update(harness: Harness, user: ChatUser, status: str) -> object:
    from aiogram.types import ChatMemberMember, ChatMemberUpdated, Update
    from aiogram.types import User as TgUser

    bot_user = TgUser(id=harness.session.bot_id, is_bot=True, first_name="Estate CRM")
    old = {"status": "kicked", "user": bot_user, "until_date": 0}
    return Update(
        update_id=9000,
        my_chat_member=ChatMemberUpdated(
            chat=user.chat,
            from_user=user.user,
            date=0,
            old_chat_member=old,
            new_chat_member=ChatMemberMember(user=bot_user),
        ),
    )


async def test_a_message_telegram_refuses_is_given_up_not_retried(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await due_now(harness, owner, clock)
    delivery = delivery_for(harness)
    harness.session.failures.append(TelegramBadRequest(METHOD, "Bad Request: can't parse"))

    assert await delivery.run_once() == 1
    [reminder] = await reminders(harness)
    assert reminder.fired_at == clock.now and reminder.status == "pending"
    clock.advance(hours=1)
    assert await delivery.run_once() == 0


# --- pacing ------------------------------------------------------------------------------------


async def test_pacing_one_message_a_second_per_chat_and_thirty_overall() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time, sleep=time.sleep)

    for chat in range(60):  # 60 chats at once: two seconds' worth
        await limiter.wait(chat)
    assert time.now == pytest.approx(59 / 30)

    start = time.now
    for _ in range(3):  # one chat: a second apart
        await limiter.wait(7)
    assert time.now - start == pytest.approx(2.0, abs=0.05)


async def test_concurrent_senders_get_distinct_slots() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time, sleep=time.sleep)
    delays = [limiter.reserve(chat_id=1) for _ in range(4)] + [limiter.reserve(chat_id=2)]
    assert delays == pytest.approx([0.0, 1.0, 2.0, 3.0, 1 / 30])  # chat 2 is not held up


def test_a_batch_never_holds_more_than_pacing_can_send_within_half_the_lease() -> None:
    assert DeliveryPolicy(lease=timedelta(seconds=60), batch_size=100).claim_limit == 30
    assert DeliveryPolicy(lease=timedelta(seconds=600), batch_size=100).claim_limit == 100


async def test_sending_is_paced_through_the_notifier(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    for hour in ("10:00", "10:01", "10:02"):
        await add(owner, f"/add_reminder Task at {hour} due_at=today {hour}")
    clock.now = utc(2026, 3, 10, 9, 5)
    delivery = delivery_for(harness)

    assert await delivery.run_once() == 3

    time = delivery.notifier.limiter.clock  # type: ignore[attr-defined]
    assert time.sleeps == pytest.approx([1.0, 1.0])  # one chat: a second apart
    assert time.now == pytest.approx(2.0)
    async with harness.db.system_session() as session:
        assert len(list(await session.scalars(select(Reminder)))) == 3
