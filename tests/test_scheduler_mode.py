"""``python run_bot.py scheduler``: reminders without answering updates, against a Bot API
server (a local one here); and the schema the delivery columns came with."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import run_bot
from bot import run_modes
from bot.settings import Settings
from crm_core import schema
from crm_core.db import Database
from crm_core.models import Agency, Reminder, User
from tests.test_polling import TOKEN, FakeBotAPI, bot_api  # noqa: F401 (a fixture)


async def test_scheduler_mode_sends_what_was_missed_on_start(
    bot_api: tuple[FakeBotAPI, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    api, url = bot_api
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        telegram_api_url=url,
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}",
    )
    db = await run_modes.open_database(settings)
    async with db.system_session() as session:
        agency = Agency(name="Acme")
        session.add(agency)
        await session.flush()
        user = User(telegram_id=42, agency_id=agency.id, role="owner", name="Alice", locale="en")
        session.add(user)
        await session.flush()
        session.add(
            Reminder(
                agency_id=agency.id,
                number=1,
                assigned_to_id=user.id,
                due_at=datetime.now(UTC) - timedelta(hours=1),  # due while nothing ran
                text="Call the notary",
            )
        )
        await session.commit()
    await db.dispose()

    stop = asyncio.Event()
    task = asyncio.create_task(run_modes.run_scheduler(settings, stop))
    try:
        await asyncio.wait_for(api.sent.wait(), timeout=20)
    finally:
        stop.set()
        await task

    [sent] = [fields for method, fields in api.calls if method == "sendmessage"]
    assert sent["chat_id"] == "42"
    assert "Call the notary" in sent["text"] and "Late" in sent["text"]
    buttons = json.loads(sent["reply_markup"])["inline_keyboard"][0]
    assert buttons[0]["callback_data"] == "op:complete_reminder:R1:"


def test_scheduler_mode_needs_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    assert run_bot.main(["scheduler"]) == 2
    assert "scheduler needs BOT_TOKEN" in capsys.readouterr().err


async def test_existing_rows_get_delivery_defaults(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}")
    try:
        await schema.upgrade(db, "0002")
        async with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO agencies (id, name, currency, country, ai_processing, created_at)"
                " VALUES (1, 'Acme', 'EUR', 'FR', 1, '2026-01-01')",
                "INSERT INTO users (id, telegram_id, agency_id, role, name, locale, timezone,"
                " ai_restricted, created_at) VALUES (1, 42, 1, 'owner', 'Alice', 'en',"
                " 'Europe/Paris', 0, '2026-01-01')",
                "INSERT INTO reminders (id, agency_id, number, due_at, text, status,"
                " assigned_to_id, created_at, updated_at) VALUES (1, 1, 1, '2026-01-02',"
                " 'Call', 'pending', 1, '2026-01-01', '2026-01-01')",
            ):
                await connection.exec_driver_sql(statement)
        await schema.upgrade(db)
        async with db.engine.connect() as connection:
            user = await connection.exec_driver_sql(
                "SELECT digest_enabled, digest_time, last_digest_on, unreachable_at FROM users"
            )
            assert user.all() == [(1, "08:00", None, None)]
            reminder = await connection.exec_driver_sql(
                "SELECT attempts, late, fired_at, claimed_until, claim_token FROM reminders"
            )
            assert reminder.all() == [(0, 0, None, None, None)]
        await schema.migrate(db, "0002", downgrade=True)  # and back down
    finally:
        await db.dispose()
