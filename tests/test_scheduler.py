"""Reminder delivery end to end: due reminders reach their agent through the real Bot session
(and its buttons through the real handlers), on time or flagged late, never lost and never
doubled, recurring ones across daylight-saving changes. The clock is the harness's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.i18n import create_i18n
from bot.notifier import AiogramNotifier
from crm_core.db import Database
from crm_core.models import Reminder, ReminderStatus, User
from crm_core.notices import DealChangeNotice, DigestNotice, ReminderNotice
from scheduler.delivery import DeliveryPolicy, ReminderDelivery, claim_due
from scheduler.notifier import Outcome
from scheduler.pacing import RateLimiter
from tests.harness import ChatUser, Clock, Harness

LEASE = timedelta(seconds=120)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class FakeTime:
    """A monotonic clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def delivery_for(harness: Harness, db: Database | None = None) -> ReminderDelivery:
    time = FakeTime()
    notifier = AiogramNotifier(
        harness.bot, create_i18n("en"), RateLimiter(clock=time, sleep=time.sleep)
    )
    policy = DeliveryPolicy(lease=LEASE, late_after=timedelta(minutes=10))
    return ReminderDelivery(db or harness.db, notifier, policy=policy, clock=harness.clock)


def sent_to(harness: Harness, user: ChatUser) -> list[SendMessage]:
    return [
        m for m in harness.session.requests if isinstance(m, SendMessage) and m.chat_id == user.id
    ]


async def reminders(harness: Harness) -> list[Reminder]:
    async with harness.db.system_session() as session:
        return list(await session.scalars(select(Reminder).order_by(Reminder.id)))


async def add(user: ChatUser, command: str) -> None:
    turn = await user.send(command)
    assert "Reminder set" in turn.text, turn.text


# --- on time, late, buttons ---------------------------------------------------------------------


async def test_a_due_reminder_is_sent_on_time_with_its_buttons(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await owner.send("/add_contact Marie Dupont phone=06 12 34 56 78 city=Lyon")
    await add(owner, "/add_reminder C1 Call Marie back due_at=today 10:00")  # 09:00 UTC
    delivery = delivery_for(harness)
    harness.session.clear()

    clock.now = utc(2026, 3, 10, 8, 59)
    assert await delivery.run_once() == 0
    clock.now = utc(2026, 3, 10, 9, 0)
    assert await delivery.run_once() == 1

    [message] = sent_to(harness, owner)
    assert "Call Marie back" in message.text
    assert "+33 6 12 34 56 78" in message.text  # Telegram's apps make it tap-to-call
    assert "Late" not in message.text
    labels = [b.text for row in message.reply_markup.inline_keyboard for b in row]
    assert labels == ["✅ Done", "⏰ +1 h", "🌅 Tomorrow 9:00", "C1 Marie Dupont"]
    [reminder] = await reminders(harness)
    assert (reminder.fired_at, reminder.late, reminder.claim_token) == (clock.now, False, None)

    assert await delivery.run_once() == 0  # fired: not owed again
    turn = await owner.press("Done")
    assert "done" in turn.text
    assert (await reminders(harness))[0].status == ReminderStatus.DONE


async def test_snoozing_a_fired_reminder_makes_it_fire_again(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await add(owner, "/add_reminder Call the notary due_at=today 10:00")
    delivery = delivery_for(harness)
    clock.now = utc(2026, 3, 10, 9, 0)
    await delivery.run_once()

    await owner.press("+1 h")
    clock.advance(minutes=59)
    assert await delivery.run_once() == 0
    clock.advance(minutes=1)
    assert await delivery.run_once() == 1
    assert len(sent_to(harness, owner)) >= 2


async def test_reminders_due_while_the_bot_was_down_are_sent_on_start_marked_late(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await add(owner, "/add_reminder Call the notary due_at=today 10:00")
    await add(owner, "/add_reminder Order keys due_at=today 12:55")
    harness.session.clear()
    clock.now = utc(2026, 3, 10, 12, 0)  # 13:00 in Paris: the process was down since 09:00

    assert await delivery_for(harness).run_once() == 2  # a new process, its first sweep

    late, fresh = sorted(sent_to(harness, owner), key=lambda m: "Order keys" in m.text)
    assert "Call the notary" in late.text and "Late: this was due Tue 10 Mar 10:00" in late.text
    assert "Order keys" in fresh.text and "Late" not in fresh.text  # 5 minutes: not late
    assert [r.late for r in await reminders(harness)] == [True, False]


# --- never lost, never doubled --------------------------------------------------------------------


async def test_a_crash_between_claim_and_send_loses_nothing(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await add(owner, "/add_reminder Call the notary due_at=today 10:00")
    clock.now = utc(2026, 3, 10, 9, 0)
    harness.session.clear()
    # A worker claims it, then dies before sending: its lease stays behind.
    [claim] = await claim_due(harness.db, clock.now, LEASE)
    delivery = delivery_for(harness)

    assert await delivery.run_once() == 0  # the lease holds
    clock.now += LEASE - timedelta(seconds=1)
    assert await delivery.run_once() == 0
    clock.advance(seconds=1)
    assert await delivery.run_once() == 1  # lease expired: recovered

    assert len(sent_to(harness, owner)) == 1
    [reminder] = await reminders(harness)
    assert (reminder.fired_at, reminder.claim_token, reminder.claimed_until) == (
        clock.now,
        None,
        None,
    )
    assert claim.reminder_id == reminder.id and reminder.attempts == 0


class RecordingNotifier:
    """Counts what it is asked to send; yields so concurrent workers interleave."""

    def __init__(self, sent: list[str]) -> None:
        self.sent = sent

    async def send_reminder(self, notice: ReminderNotice) -> Outcome:
        await asyncio.sleep(0)
        self.sent.append(notice.reminder.ref)
        return Outcome.sent()

    async def send_digest(self, notice: DigestNotice) -> Outcome:
        return Outcome.sent()

    async def send_deal_change(self, notice: DealChangeNotice) -> Outcome:
        return Outcome.sent()


async def seed_due(db: Database, owner: ChatUser, count: int, due_at: datetime) -> None:
    async with db.system_session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == owner.id))
        assert user is not None and user.agency_id is not None
        session.add_all(
            Reminder(
                agency_id=user.agency_id,
                number=1000 + n,
                assigned_to_id=user.id,
                created_by_id=user.id,
                due_at=due_at,
                text=f"Task {n}",
            )
            for n in range(count)
        )
        await session.commit()


async def test_two_schedulers_on_one_database_send_each_reminder_once(
    harness: Harness, db: Database, owner: ChatUser, clock: Clock
) -> None:
    await seed_due(db, owner, 60, clock.now - timedelta(minutes=1))
    other = Database(db.engine.url.render_as_string(hide_password=False), pool_size=2)
    try:
        # Bare claims race first: disjoint, and together they take everything.
        first, second = await asyncio.gather(
            claim_due(db, clock.now, LEASE, limit=25), claim_due(other, clock.now, LEASE, limit=25)
        )
        ids = [c.reminder_id for c in first + second]
        assert len(ids) == len(set(ids)) == 50
        clock.now += LEASE  # those workers "died": their leases expire

        sent: list[str] = []
        policy = DeliveryPolicy(lease=LEASE, batch_size=7)
        workers = [
            ReminderDelivery(database, RecordingNotifier(sent), policy=policy, clock=clock)
            for database in (db, other, db, other)
        ]
        counts = await asyncio.gather(*(worker.run_once() for worker in workers))
    finally:
        await other.dispose()

    assert sum(counts) == 60
    assert sorted(sent) == sorted(f"R{1000 + n}" for n in range(60))  # each exactly once


# --- recurrence and daylight saving ---------------------------------------------------------------


async def test_a_daily_reminder_keeps_its_local_time_across_the_spring_change(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await add(owner, "/add_reminder Open the office due_at=2026-03-28 09:00 recurrence=daily")
    delivery = delivery_for(harness)
    harness.session.clear()

    clock.now = utc(2026, 3, 28, 8, 0)  # Saturday 09:00 in Paris (UTC+1)
    assert await delivery.run_once() == 1
    [reminder] = await reminders(harness)
    assert (reminder.status, reminder.due_at) == ("pending", utc(2026, 3, 29, 7, 0))

    clock.now = utc(2026, 3, 29, 6, 59)  # Sunday: summer time, 09:00 is 07:00 UTC
    assert await delivery.run_once() == 0
    clock.now = utc(2026, 3, 29, 7, 0)
    assert await delivery.run_once() == 1
    assert (await reminders(harness))[0].due_at == utc(2026, 3, 30, 7, 0)

    saturday, sunday = sent_to(harness, owner)
    assert "Sat 28 Mar 09:00" in saturday.text and "Sun 29 Mar 09:00" in sunday.text
    assert "every day" in sunday.text


async def test_done_on_a_fired_recurring_reminder_does_not_skip_the_next_one(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await add(owner, "/add_reminder Check mail due_at=today 10:00 recurrence=daily")
    clock.now = utc(2026, 3, 10, 9, 0)
    await delivery_for(harness).run_once()

    await owner.press("Done")

    [reminder] = await reminders(harness)
    assert (reminder.status, reminder.due_at) == ("pending", utc(2026, 3, 11, 9, 0))
    clock.now = utc(2026, 3, 11, 9, 0)
    assert await delivery_for(harness).run_once() == 1


async def test_a_snoozed_weekly_reminder_keeps_its_local_time_across_the_spring_change(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    """Monday 09:00 in Paris, sent, snoozed an hour from its message, sent again: the next is
    Monday 09:00 in summer time (07:00 UTC), neither 10:00 nor 08:00 UTC."""
    await add(owner, "/add_reminder Team call due_at=2026-03-23 09:00 recurrence=weekly")
    delivery = delivery_for(harness)
    clock.now = utc(2026, 3, 23, 8, 0)  # Monday 09:00, winter time
    assert await delivery.run_once() == 1

    snoozed = await owner.press("+1 h")
    assert "Mon 23 Mar 10:00" in snoozed.text
    clock.advance(hours=1)
    assert await delivery.run_once() == 1
    [reminder] = await reminders(harness)
    assert (reminder.due_at, reminder.series_due_at) == (utc(2026, 3, 30, 7, 0), None)

    await owner.press("Done")  # acknowledges the message sent: the series stays put
    assert (await reminders(harness))[0].due_at == utc(2026, 3, 30, 7, 0)
    clock.now = utc(2026, 3, 30, 6, 59)
    assert await delivery.run_once() == 0
    clock.now = utc(2026, 3, 30, 7, 0)
    assert await delivery.run_once() == 1
    assert "Mon 30 Mar 09:00" in sent_to(harness, owner)[-1].text


async def test_a_recurring_reminder_snoozed_before_it_is_sent_comes_back_at_its_time(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await add(owner, "/add_reminder Team call due_at=2026-03-16 09:00 recurrence=weekly")
    delivery = delivery_for(harness)
    clock.now = utc(2026, 3, 16, 7, 0)  # Monday 08:00 in Paris
    await owner.send("/snooze_reminder R1 in 2 hours")

    clock.now = utc(2026, 3, 16, 8, 0)
    assert await delivery.run_once() == 0  # 09:00 was moved
    clock.now = utc(2026, 3, 16, 9, 0)
    assert await delivery.run_once() == 1

    [reminder] = await reminders(harness)
    assert (reminder.due_at, reminder.series_due_at) == (utc(2026, 3, 23, 8, 0), None)


async def test_done_after_snoozing_a_sent_recurring_reminder_does_not_send_it_again(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await add(owner, "/add_reminder Check mail due_at=today 10:00 recurrence=daily")
    delivery = delivery_for(harness)
    clock.now = utc(2026, 3, 10, 9, 0)
    await delivery.run_once()
    await owner.press("+1 h")
    await owner.press("+1 h")  # snoozed twice: still the 10:00 occurrence

    clock.advance(minutes=30)
    await owner.press("Done")

    [reminder] = await reminders(harness)
    assert (reminder.due_at, reminder.series_due_at) == (utc(2026, 3, 11, 9, 0), None)
    clock.now = utc(2026, 3, 10, 11, 0)
    assert await delivery.run_once() == 0  # the snoozed time passes quietly
    clock.now = utc(2026, 3, 11, 9, 0)
    assert await delivery.run_once() == 1


async def test_a_monthly_reminder_snoozed_from_its_message_stays_on_its_day(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    """The 31st, sent and snoozed, comes back as next month's clamped occurrence (30 April),
    the one firing had already planned."""
    await add(owner, "/add_reminder Pay rent due_at=2026-03-31 09:00 recurrence=monthly")
    delivery = delivery_for(harness)
    clock.now = utc(2026, 3, 31, 7, 0)  # summer time: 09:00 is 07:00 UTC
    await delivery.run_once()
    assert (await reminders(harness))[0].due_at == utc(2026, 4, 30, 7, 0)

    await owner.press("Tomorrow 9:00")
    clock.now = utc(2026, 4, 1, 7, 0)
    assert await delivery.run_once() == 1

    [reminder] = await reminders(harness)
    assert (reminder.due_at, reminder.series_due_at) == (utc(2026, 4, 30, 7, 0), None)


# --- the APScheduler wiring ---------------------------------------------------------------------


class SignallingNotifier(RecordingNotifier):
    def __init__(self) -> None:
        super().__init__([])


async def test_the_scheduler_sweeps_at_once_on_start_and_plans_exact_time_jobs(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

    from scheduler.service import ReminderScheduler, SchedulerConfig

    await add(owner, "/add_reminder Missed call due_at=today 10:00")
    await add(owner, "/add_reminder Soon due_at=today 11:03")
    await add(owner, "/add_reminder Later due_at=today 15:00")
    clock.now = utc(2026, 3, 10, 10, 0)  # 11:00 in Paris: the first one was missed
    notifier = SignallingNotifier()
    service = ReminderScheduler(
        harness.db, notifier, config=SchedulerConfig(sweep_seconds=30), clock=clock
    )
    swept = asyncio.Event()

    def on_job(event: object) -> None:
        if getattr(event, "job_id", None) == "reminders-sweep":
            swept.set()

    service.scheduler.add_listener(on_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    service.start()
    try:
        await asyncio.wait_for(swept.wait(), timeout=10)  # the first sweep runs at once
        jobs = {job.id: job for job in service.scheduler.get_jobs()}
    finally:
        service.shutdown()
    assert notifier.sent == ["R1"]
    assert jobs["reminders-sweep"].trigger.interval == timedelta(seconds=30)
    assert "digests" in jobs

    # Exact-time jobs (planned on a stopped scheduler here: APScheduler runs on real time,
    # and would drop a job dated in this test's past as missed).
    await service.plan_exact_jobs()
    planned = {job.id: job.trigger.run_date for job in service.scheduler.get_jobs()}
    soon = utc(2026, 3, 10, 10, 3)  # "Soon" is within the 5-minute horizon, "Later" is not
    assert planned == {f"due-{soon.timestamp():.0f}": soon}

    clock.now = soon
    await service.deliver_due()  # what the exact-time job runs
    assert notifier.sent == ["R1", "R2"]
