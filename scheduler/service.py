"""APScheduler 3 in this process. The database is the truth; the scheduler only decides when
to look: a sweep every few seconds (delivers what is due and what was missed, and plans an
exact-time job for each due time within the next minutes), and the digest job every minute.
Several processes may run it on one database: delivery and digests are claimed atomically."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from crm_core.db import Database
from crm_core.erasure import ForgetChat
from crm_core.storage import FileStore
from scheduler.delivery import DeliveryPolicy, ReminderDelivery, upcoming_due_times, utc_now
from scheduler.digests import send_digests
from scheduler.notifier import Notifier
from scheduler.privacy import purge_privacy

log = logging.getLogger(__name__)

# Makes an encrypted backup at the given time (and prunes old ones); see crm_core/backups.
BackupJob = Callable[[datetime], Awaitable[object]]


@dataclass(frozen=True)
class SchedulerConfig:
    sweep_seconds: int = 30
    # Reminders due within this horizon get a job at their exact time (the sweep is coarser).
    lookahead: timedelta = timedelta(minutes=5)
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)


class ReminderScheduler:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        *,
        config: SchedulerConfig | None = None,
        clock: Callable[[], datetime] = utc_now,
        files: FileStore | None = None,
        forget_chat: ForgetChat | None = None,
        backup: BackupJob | None = None,
    ) -> None:
        self.db = db
        # For the privacy purge: a closed agency's stored files, and a purged person's FSM
        # context (run modes that have them pass them; without them those two stay behind).
        self.files = files
        self.forget_chat = forget_chat
        self.backup = backup  # None: no daily backup from this process (BACKUP_ENABLED=false)
        self.notifier = notifier
        self.config = config or SchedulerConfig()
        self.clock = clock
        self.delivery = ReminderDelivery(db, notifier, policy=self.config.policy, clock=clock)
        self.scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        """Start the jobs; the first sweep runs at once (what was missed while down goes out
        first) without holding up the caller."""
        self.scheduler.add_job(
            self.sweep,
            "interval",
            seconds=self.config.sweep_seconds,
            id="reminders-sweep",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.add_job(
            self.digests, "cron", second=0, id="digests", max_instances=1, coalesce=True
        )
        self.scheduler.add_job(
            self.privacy_purge, "cron", hour=3, id="privacy-purge", max_instances=1, coalesce=True
        )
        if self.backup is not None:  # a quiet hour, before the purge
            self.scheduler.add_job(
                self.daily_backup,
                "cron",
                hour=2,
                minute=30,
                id="backup",
                max_instances=1,
                coalesce=True,
            )
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def sweep(self) -> int:
        """Deliver what is due, then plan exact-time jobs for what falls due soon."""
        try:
            delivered = await self.delivery.run_once()
            await self.plan_exact_jobs()
        except Exception:  # the database may be away for a moment: the next sweep retries
            log.exception("reminder sweep failed")
            return 0
        return delivered

    async def plan_exact_jobs(self) -> None:
        horizon = self.config.lookahead
        for due_at in await upcoming_due_times(self.db, self.clock(), horizon):
            # One job per due time, however many reminders share it; re-planning replaces it.
            self.scheduler.add_job(
                self.deliver_due,
                "date",
                run_date=due_at,
                id=f"due-{due_at.timestamp():.0f}",
                replace_existing=True,
                misfire_grace_time=int(horizon.total_seconds()),
            )

    async def deliver_due(self) -> None:
        try:
            await self.delivery.run_once()
        except Exception:
            log.exception("reminder delivery failed")

    async def privacy_purge(self) -> None:
        try:
            await purge_privacy(
                self.db, self.clock(), files=self.files, forget_chat=self.forget_chat
            )
        except Exception:
            log.exception("privacy purge failed")

    async def daily_backup(self) -> None:
        if self.backup is None:
            return
        try:
            await self.backup(self.clock())
        except Exception:
            log.exception("backup failed")

    async def digests(self) -> int:
        try:
            return await send_digests(self.db, self.notifier, self.clock())
        except Exception:
            log.exception("digest job failed")
            return 0
