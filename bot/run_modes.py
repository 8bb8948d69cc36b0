"""The ways the bot runs: polling Telegram (or any Bot API server), or the console chat."""

from __future__ import annotations

import sys

from bot.console import run_console
from bot.factory import create_bot, create_dispatcher
from bot.local_session import LocalBotSession
from bot.settings import Settings
from crm_core import schema
from crm_core.db import Database


async def open_database(settings: Settings) -> Database:
    """Create the data folder if needed and bring the schema up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if (path := settings.sqlite_path()) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    await schema.upgrade(db)
    return db


async def run_polling(settings: Settings) -> None:
    db = await open_database(settings)
    bot = create_bot(settings)
    dp = create_dispatcher(settings, db)
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await dp.start_polling(bot, handle_signals=True)
    finally:
        await bot.session.close()
        await db.dispose()


async def run_console_chat(settings: Settings) -> None:
    db = await open_database(settings)
    session = LocalBotSession()
    bot = create_bot(settings, session=session)
    dp = create_dispatcher(settings, db)
    try:
        await run_console(dp, bot, session, stdin=sys.stdin, out=sys.stdout)
    finally:
        await db.dispose()
