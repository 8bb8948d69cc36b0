"""Reminder delivery at scale: 10,000 pending reminders in a fresh SQLite database.

Measures the scheduler's start-up (its first sweep) with everything in the future, then the
catch-up after downtime (everything overdue): how long until all are handed to a fake
notifier, and each reminder's lateness (time from start to hand-off). The same run on 1,000
reminders is the baseline: the ratio shows how the cost grows with the backlog.

Telegram pacing is left out (the fake notifier answers at once): at 30 messages a second,
10,000 reminders take at least 5.5 minutes to send whatever the pipeline costs.

    .venv/bin/python -m bench.reminders [--reminders 10000] [--baseline 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from crm_core import schema
from crm_core.db import Database
from crm_core.models import Agency, Contact, Reminder, User
from crm_core.notices import DealChangeNotice, DigestNotice, ReminderNotice
from scheduler.notifier import Outcome
from scheduler.service import ReminderScheduler

AGENTS = 100


class FakeNotifier:
    """Answers at once, and notes when each reminder was handed over."""

    def __init__(self) -> None:
        self.handed: list[float] = []

    async def send_reminder(self, notice: ReminderNotice) -> Outcome:
        self.handed.append(time.perf_counter())
        return Outcome.sent()

    async def send_digest(self, notice: DigestNotice) -> Outcome:
        return Outcome.sent()

    async def send_deal_change(self, notice: DealChangeNotice) -> Outcome:
        return Outcome.sent()


async def load(db: Database, count: int, start: datetime, *, overdue: bool) -> None:
    """``count`` reminders over AGENTS agents, one in three about a contact with a phone."""
    async with db.system_session() as session:
        agency = Agency(name="Bench Realty")
        session.add(agency)
        await session.flush()
        users = [
            User(telegram_id=10_000 + n, agency_id=agency.id, role="agent", name=f"Agent {n}")
            for n in range(AGENTS)
        ]
        session.add_all(users)
        await session.flush()
        contacts = [
            {
                "agency_id": agency.id,
                "number": n + 1,
                "name": f"Client {n}",
                "name_key": f"client {n}",
                "phone": f"+336{n:08d}",
                "created_at": start,
                "updated_at": start,
            }
            for n in range((count + 2) // 3)
        ]
        if contacts:
            await session.execute(insert(Contact), contacts)
        first_contact = 1  # a fresh database: ids follow the numbers
        step = timedelta(hours=1) / count if overdue else timedelta(days=30) / count
        rows = []
        for n in range(count):
            due = start - timedelta(hours=1) + step * n if overdue else start + step * (n + 1)
            rows.append(
                {
                    "agency_id": agency.id,
                    "number": n + 1,
                    "assigned_to_id": users[n % AGENTS].id,
                    "due_at": due,
                    "text": f"Task {n}",
                    "contact_id": first_contact + n // 3 if n % 3 == 0 else None,
                    "status": "pending",
                    "created_at": start,
                    "updated_at": start,
                }
            )
        await session.execute(insert(Reminder), rows)
        await session.commit()


@dataclass
class Run:
    count: int
    startup_s: float  # first sweep, everything in the future
    catch_up_s: float  # first sweep, everything overdue
    lateness_ms: list[float]

    def line(self) -> str:
        late = sorted(self.lateness_ms)
        p95 = late[int(len(late) * 0.95) - 1] if late else 0.0
        return (
            f"{self.count:>6} reminders | start-up sweep {self.startup_s * 1000:8.1f} ms | "
            f"catch-up {self.catch_up_s:6.2f} s ({self.count / self.catch_up_s:6.0f}/s) | "
            f"lateness p50 {statistics.median(late):8.0f} ms, p95 {p95:8.0f} ms, "
            f"max {late[-1]:8.0f} ms"
        )


async def first_sweep(path: Path, count: int, *, overdue: bool) -> tuple[float, FakeNotifier]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await schema.upgrade(db)
        start = datetime.now(UTC)
        await load(db, count, start, overdue=overdue)
        notifier = FakeNotifier()
        service = ReminderScheduler(db, notifier)
        began = time.perf_counter()
        delivered = await service.sweep()  # what start() runs at once
        elapsed = time.perf_counter() - began
        service.shutdown()
        expected = count if overdue else 0
        assert delivered == expected, f"delivered {delivered}, expected {expected}"
        notifier.handed = [t - began for t in notifier.handed]
        return elapsed, notifier
    finally:
        await db.dispose()


async def measure(count: int, folder: Path) -> Run:
    startup, _ = await first_sweep(folder / f"future-{count}.db", count, overdue=False)
    catch_up, notifier = await first_sweep(folder / f"overdue-{count}.db", count, overdue=True)
    return Run(count, startup, catch_up, [t * 1000 for t in notifier.handed])


async def main(reminders: int, baseline: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = await measure(baseline, Path(folder))
        full = await measure(reminders, Path(folder))
    print(base.line() + "  (baseline)")
    print(full.line())
    per_base = base.catch_up_s / base.count
    per_full = full.catch_up_s / full.count
    print(
        f"ratio {full.count}/{base.count}: catch-up time x{full.catch_up_s / base.catch_up_s:.1f}"
        f" for x{full.count / base.count:.0f} reminders (cost per reminder x"
        f"{per_full / per_base:.2f}); start-up sweep x{full.startup_s / base.startup_s:.1f}"
    )
    print(
        f"pacing at 30 msg/s would need {full.count / 30:.0f} s for {full.count}: "
        f"the pipeline is {full.catch_up_s / (full.count / 30):.0%} of that"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    args = parser.parse_args()
    asyncio.run(main(args.reminders, args.baseline))
