"""Engine and sessions. Every session is scoped to at most one agency (see ``tenancy``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from crm_core.tenancy import AgencyScopedSession


def _configure_sqlite(engine: AsyncEngine) -> None:
    """SQLite via aiosqlite: foreign keys on, WAL, and SAVEPOINTs that work.

    pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented fix is to
    switch it off on connect and emit BEGIN ourselves.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


class Database:
    """Owns the engine and hands out agency-scoped sessions."""

    def __init__(self, url: str, *, pool_size: int = 5, echo: bool = False) -> None:
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        options: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            options.update(pool_size=pool_size, pool_pre_ping=True)
        self.engine = create_async_engine(url, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=AgencyScopedSession
        )

    def session(self, agency_id: int | None = None) -> AsyncSession:
        """A session that sees only ``agency_id``'s records (none when it is None)."""
        session = self._sessions()
        session.info["agency_id"] = agency_id
        return session

    def system_session(self) -> AsyncSession:
        """A session for service-wide jobs (purges, reminder sweeps) that spans agencies."""
        session = self._sessions()
        session.info["all_agencies"] = True
        return session

    async def dispose(self) -> None:
        await self.engine.dispose()
