"""Bring a database to the current schema with the Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from crm_core.db import Database

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    # A PRAGMA, outside any transaction (SQLite ignores this one inside), on the raw driver.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")


async def upgrade(db: Database, revision: str = "head") -> None:
    await migrate(db, revision, downgrade=False)


async def migrate(db: Database, revision: str, *, downgrade: bool) -> None:
    """On SQLite, foreign keys are off while migrating: batch mode rebuilds a table by dropping
    it, and that DROP would fire every ON DELETE CASCADE pointing at it. They are checked
    before the migration commits, and switched back on after."""

    def run(connection: Connection) -> None:
        if db.is_sqlite:
            _sqlite_foreign_keys(connection, on=False)
        config = alembic_config(connection)
        if downgrade:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)
        if db.is_sqlite:
            _check_foreign_keys(connection)

    async with db.engine.connect() as connection:
        try:
            await connection.run_sync(run)
            await connection.commit()
        finally:
            if db.is_sqlite:
                await connection.run_sync(_sqlite_foreign_keys, True)
