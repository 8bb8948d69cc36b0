"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from crm_core import schema
from crm_core.db import Database
from crm_core.models import Base


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_migrations_match_models(db: Database) -> None:
    async with db.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_upgrading_keeps_existing_data(tmp_path: Path) -> None:
    """Migrations run on databases full of data: nothing may cascade away. Goes back to the
    first revision with a record in every parent table, then up again."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}")
    try:
        await schema.upgrade(db, "0001")
        async with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO agencies (id, name, currency, country, ai_enabled, created_at)"
                " VALUES (1, 'Acme', 'EUR', 'FR', 1, '2026-01-01')",
                "INSERT INTO users (id, telegram_id, agency_id, role, name, locale, timezone,"
                " created_at) VALUES (1, 42, 1, 'OWNER', 'Alice', 'en', 'Europe/Paris',"
                " '2026-01-01')",
                "INSERT INTO contacts (id, agency_id, number, created_by_id, name, name_key,"
                " role, created_at, updated_at) VALUES (1, 1, 1, 1, 'Marie', 'marie', 'BUYER',"
                " '2026-01-01', '2026-01-01')",
            ):
                await connection.exec_driver_sql(statement)
        await schema.upgrade(db)
        async with db.engine.connect() as connection:
            rows = await connection.exec_driver_sql(
                "SELECT u.agency_id, u.ai_restricted, c.name, a.ai_processing FROM users u"
                " JOIN contacts c ON c.created_by_id = u.id JOIN agencies a ON a.id = u.agency_id"
            )
            assert rows.all() == [(1, 0, "Marie", 1)]
            pragma = await connection.exec_driver_sql("PRAGMA foreign_keys")
            assert pragma.scalar() == 1  # back on for the connections the pool hands out
    finally:
        await db.dispose()


async def test_the_series_anchor_migration_keeps_reminders(tmp_path: Path) -> None:
    """0009 -> 0010 on a database with reminders, and back down: nothing lost either way."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}")
    select_reminders = "SELECT id, due_at, text, recurrence, status, fired_at FROM reminders"
    try:
        await schema.upgrade(db, "0009")
        async with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO agencies (id, name, currency, country, ai_processing, created_at)"
                " VALUES (1, 'Acme', 'EUR', 'FR', 1, '2026-01-01')",
                "INSERT INTO users (id, telegram_id, agency_id, role, name, locale, timezone,"
                " created_at) VALUES (1, 42, 1, 'OWNER', 'Alice', 'en', 'Europe/Paris',"
                " '2026-01-01')",
                "INSERT INTO reminders (id, agency_id, number, created_by_id, assigned_to_id,"
                " due_at, text, recurrence, status, fired_at, created_at, updated_at) VALUES"
                " (1, 1, 1, 1, 1, '2026-03-16 08:00:00', 'Team call', 'weekly', 'pending',"
                " '2026-03-09 08:00:00', '2026-01-01', '2026-01-01'),"
                " (2, 1, 2, 1, 1, '2026-03-17 09:00:00', 'Call Marie', NULL, 'done', NULL,"
                " '2026-01-01', '2026-01-01')",
            ):
                await connection.exec_driver_sql(statement)
            before = (await connection.exec_driver_sql(select_reminders)).all()

        await schema.upgrade(db, "0010")
        async with db.engine.connect() as connection:
            assert (await connection.exec_driver_sql(select_reminders)).all() == before
            anchors = await connection.exec_driver_sql("SELECT series_due_at FROM reminders")
            assert anchors.all() == [(None,), (None,)]
            await connection.exec_driver_sql(
                "UPDATE reminders SET series_due_at = '2026-03-16 08:00:00' WHERE id = 1"
            )
            await connection.commit()

        await schema.migrate(db, "0009", downgrade=True)
        async with db.engine.connect() as connection:
            assert (await connection.exec_driver_sql(select_reminders)).all() == before
            columns = await connection.exec_driver_sql("PRAGMA table_info(reminders)")
            assert "series_due_at" not in {row[1] for row in columns}
    finally:
        await db.dispose()
