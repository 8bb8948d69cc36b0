"""What usage analytics cost: the same updates through the real Dispatcher with analytics on
and off (the baseline, measured in the same run, interleaved), then the time to write the
counts of a busy day (10,000 distinct counters) against a quiet one (1,000).

    .venv/bin/python -m bench.analytics [--updates 600] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram.types import User as TelegramUser
from sqlalchemy import func, select

from bot.factory import create_bot, create_dispatcher
from bot.local_session import LocalBotSession
from bot.local_updates import UpdateFactory, deliver
from bot.settings import Settings
from crm_core import schema
from crm_core.analytics import Metric, Usage, UsageRecorder
from crm_core.db import Database
from crm_core.models import Agency, Contact, User

START = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
TELEGRAM_ID = 5_000
MESSAGES = ["/add_contact Client {n}", "/contacts Client", "/today", "add Buyer {n} buyer Lyon"]


class SteppingClock:
    """Three seconds per reading: at most 20 messages a minute, under the rate limit."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=3)
        return self.now


async def seed(db: Database, settings: Settings) -> None:
    async with db.system_session() as session:
        agency = Agency(name="Bench Realty")
        session.add(agency)
        await session.flush()
        session.add(
            User(
                telegram_id=TELEGRAM_ID,
                agency_id=agency.id,
                role="owner",
                name="Bench Owner",
                policy_version=settings.privacy_policy_version,
            )
        )
        await session.commit()


async def time_updates(db: Database, settings: Settings, count: int, offset: int) -> float:
    """Seconds per update for ``count`` messages (commands, free text, a search)."""
    session = LocalBotSession()
    bot = create_bot(settings, session=session)
    dispatcher = create_dispatcher(settings, db, clock=SteppingClock())
    updates = UpdateFactory(session)
    sender = TelegramUser(id=TELEGRAM_ID, is_bot=False, first_name="Bench")
    started = time.perf_counter()
    for n in range(count):
        text = MESSAGES[n % len(MESSAGES)].format(n=offset + n)
        await deliver(dispatcher, bot, updates.text(sender, text))
    elapsed = time.perf_counter() - started
    recorder = dispatcher.workflow_data.get("usage_recorder")
    if isinstance(recorder, UsageRecorder):
        await recorder.flush()  # part of the cost
        elapsed = time.perf_counter() - started
    return elapsed / count


async def time_flush(db: Database, counters: int, day: int) -> float:
    """Writing ``counters`` new counters (a day of its own: inserts, not updates)."""
    moment = START + timedelta(days=day)
    recorder = UsageRecorder(db, lambda: moment)
    for n in range(counters):
        Usage(recorder, 1 + n // 100).count(Metric.OPERATION, f"operation_{n % 100}")
    started = time.perf_counter()
    await recorder.flush()
    return time.perf_counter() - started


async def main(updates: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        db = Database(f"sqlite+aiosqlite:///{path}")
        await schema.upgrade(db)
        base = Settings(_env_file=None, data_dir=Path(folder))  # type: ignore[call-arg]
        await seed(db, base)
        on = base.model_copy(update={"analytics_enabled": True})
        off = base.model_copy(update={"analytics_enabled": False})
        await time_updates(db, off, 20, 0)  # warm-up: imports, caches, first pages
        timings: dict[bool, list[float]] = {True: [], False: []}
        for round_ in range(rounds):
            # Each run adds contacts, so later runs search more: alternate which goes first.
            order = ((False, off), (True, on)) if round_ % 2 == 0 else ((True, on), (False, off))
            for enabled, settings in order:
                per_update = await time_updates(
                    db, settings, updates, (round_ * 2 + enabled) * updates
                )
                timings[enabled].append(per_update)
        best_off, best_on = min(timings[False]), min(timings[True])
        median_off = statistics.median(timings[False]) * 1000
        median_on = statistics.median(timings[True]) * 1000
        print(
            f"{updates} updates x {rounds} rounds | analytics off {best_off * 1000:6.2f} ms/update"
            f" (median {median_off:6.2f}) | on {best_on * 1000:6.2f} ms/update"
            f" (median {median_on:6.2f}) | ratio on/off {best_on / best_off:4.2f}x"
        )
        async with db.system_session() as session:  # the updates did real work
            added = await session.scalar(select(func.count()).select_from(Contact))
        assert added and added >= updates // 2, added
        quiet, busy = await time_flush(db, 1_000, 1), await time_flush(db, 10_000, 2)
        print(
            f"flush 1,000 counters {quiet * 1000:7.1f} ms | 10,000 counters {busy * 1000:7.1f} ms"
            f" | ratio {busy / quiet:4.1f}x"
        )
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=4)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.updates, arguments.rounds))
