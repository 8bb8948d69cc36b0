"""The ways the bot runs: polling Telegram (or any Bot API server), a webhook worker, the
console chat, or the reminder scheduler on its own."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from aiogram import Bot
from aiogram.fsm.storage.base import BaseStorage, StorageKey

from bot import webhook
from bot.console import run_console
from bot.factory import create_bot, create_dispatcher
from bot.i18n import create_i18n
from bot.local_session import LocalBotSession
from bot.notifier import AiogramNotifier
from bot.settings import Settings
from bot.storage import create_storage
from bot.usage import report_text
from crm_core import analytics, schema
from crm_core.backups import Restored, backup_and_prune, restore_backup
from crm_core.db import Database
from crm_core.erasure import ForgetChat
from crm_core.storage import KEY_FILE, load_key
from handlers.files import file_store
from scheduler.delivery import DeliveryPolicy
from scheduler.service import BackupJob, ReminderScheduler, SchedulerConfig


async def open_database(settings: Settings) -> Database:
    """Create the data folder if needed and bring the schema up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if (path := settings.sqlite_path()) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    await schema.upgrade(db)
    return db


def scheduler_config(settings: Settings) -> SchedulerConfig:
    return SchedulerConfig(
        sweep_seconds=settings.reminder_sweep_seconds,
        policy=DeliveryPolicy(
            lease=timedelta(seconds=settings.reminder_lease_seconds),
            late_after=timedelta(minutes=settings.late_after_minutes),
        ),
    )


def create_scheduler(
    settings: Settings, db: Database, notifier: AiogramNotifier, storage: BaseStorage
) -> ReminderScheduler:
    return ReminderScheduler(
        db,
        notifier,
        config=scheduler_config(settings),
        files=file_store(settings),  # the privacy purge deletes a closed agency's files
        forget_chat=chat_forgetter(notifier.bot, storage),
        backup=backup_job(settings, db),
    )


def encryption_key(settings: Settings) -> bytes:
    """The documents' key, which backups share (generated on first use, like documents')."""
    key = settings.data_encryption_key
    return load_key(settings.data_dir, key.get_secret_value() if key else None)


async def make_backup(settings: Settings, db: Database, now: datetime) -> Path:
    return await backup_and_prune(
        db,
        data_dir=settings.data_dir,
        key=encryption_key(settings),
        now=now,
        keep_days=settings.backup_keep_days,
    )


def backup_job(settings: Settings, db: Database) -> BackupJob | None:
    if not settings.backup_enabled:
        return None
    return functools.partial(make_backup, settings, db)


async def run_stats(settings: Settings, *, days: int, today: date) -> str:
    """``run_bot.py stats``: the service-wide usage figures of the last ``days`` days."""
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.system_session() as session:
            report = await analytics.report(session, today=today, days=days)
    finally:
        await db.dispose()
    return report_text(report)


async def run_backup(settings: Settings) -> Path:
    """``run_bot.py backup``: one backup now, then prune. The schema is left as it is."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url, pool_size=1)
    try:
        return await make_backup(settings, db, datetime.now(UTC))
    finally:
        await db.dispose()


def run_restore(settings: Settings, backup: Path, target: Path) -> Restored:
    """``run_bot.py restore``: never generates a key (a new one could not decrypt anything)."""
    if not settings.data_encryption_key and not (settings.data_dir / KEY_FILE).exists():
        raise FileNotFoundError(
            f"no key: set DATA_ENCRYPTION_KEY or put the key file at {settings.data_dir / KEY_FILE}"
        )
    return restore_backup(backup, target, encryption_key(settings))


def chat_forgetter(bot: Bot, storage: BaseStorage) -> ForgetChat:
    """Erase a purged person's conversation state (forms, confirmations, recent records)."""

    async def forget(telegram_id: int) -> None:
        for destiny in ("default", "pending", "recent"):
            key = StorageKey(
                bot_id=bot.id, chat_id=telegram_id, user_id=telegram_id, destiny=destiny
            )
            await storage.set_state(key, None)
            await storage.set_data(key, {})

    return forget


def create_notifier(settings: Settings, bot: Bot) -> AiogramNotifier:
    """One per process: its rate limiter paces every message the process sends on its own."""
    return AiogramNotifier(bot, create_i18n(settings.default_locale))


async def run_polling(settings: Settings) -> None:
    db = await open_database(settings)
    bot = create_bot(settings)
    notifier = create_notifier(settings, bot)
    dp = create_dispatcher(settings, db, notifier=notifier)
    scheduler = (
        create_scheduler(settings, db, notifier, dp.storage) if settings.scheduler_enabled else None
    )
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        if scheduler is not None:
            scheduler.start()
        await dp.start_polling(bot, handle_signals=True)
    finally:
        if scheduler is not None:
            scheduler.shutdown()
        await bot.session.close()
        await db.dispose()


async def run_webhook(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """One webhook worker; run several behind a proxy, with SCHEDULER_ENABLED=false and one
    ``run_bot.py scheduler`` beside them."""
    webhook.webhook_secret(settings)  # refuse a missing secret before touching anything
    db = await open_database(settings)
    bot = create_bot(settings)
    notifier = create_notifier(settings, bot)
    dp = create_dispatcher(settings, db, notifier=notifier)
    scheduler = (
        create_scheduler(settings, db, notifier, dp.storage) if settings.scheduler_enabled else None
    )
    try:
        if scheduler is not None:
            scheduler.start()
        app = webhook.build_app(settings, dp, bot, db)
        await webhook.serve(app, settings, stop or asyncio.Event())
    finally:
        if scheduler is not None:
            scheduler.shutdown()
        await bot.session.close()
        await db.dispose()


async def run_console_chat(settings: Settings) -> None:
    db = await open_database(settings)
    session = LocalBotSession()
    bot = create_bot(settings, session=session)
    notifier = create_notifier(settings, bot)
    dp = create_dispatcher(settings, db, notifier=notifier)
    scheduler = (
        create_scheduler(settings, db, notifier, dp.storage) if settings.scheduler_enabled else None
    )
    try:
        if scheduler is not None:  # fired reminders print in the chat like any message
            scheduler.start()
        await run_console(dp, bot, session, stdin=sys.stdin, out=sys.stdout)
    finally:
        if scheduler is not None:
            scheduler.shutdown()
        await db.dispose()


async def run_scheduler(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Reminders and digests only, for deployments with several bot workers (which then run
    with SCHEDULER_ENABLED=false, or not: claims keep deliveries single)."""
    db = await open_database(settings)
    bot = create_bot(settings)
    scheduler = create_scheduler(
        settings, db, create_notifier(settings, bot), create_storage(settings)
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform
            loop.add_signal_handler(sig, stop.set)
    try:
        scheduler.start()
        await stop.wait()
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        scheduler.shutdown()
        await bot.session.close()
        await db.dispose()
