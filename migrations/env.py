"""Alembic environment. Runs on a connection handed over by ``crm_core.schema`` (the bot and
the tests), or on its own from DATABASE_URL (``alembic upgrade head`` on a server)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from crm_core.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Tenant tables FORCE row-level security (0006): a migration that touches their
            # rows must see every agency's. Transaction-local, so it never leaks into the pool.
            connection.exec_driver_sql("SELECT set_config('app.all_agencies', 'on', true)")
        context.run_migrations()


async def _run_from_settings() -> None:
    from bot.settings import Settings
    from crm_core.db import Database

    db = Database(Settings().database_url)
    try:
        async with db.engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await db.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_from_settings())
