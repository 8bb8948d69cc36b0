"""Engine and sessions. Every session is scoped to at most one agency (see ``tenancy``).

On PostgreSQL the scope is also handed to the row-level security policies of migration 0006:
each transaction sets ``app.agency_id`` / ``app.all_agencies`` with ``set_config(..., true)``
(SET LOCAL), so a query that escapes the ORM criteria (raw SQL) still sees one agency only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from crm_core.tenancy import AgencyScopedSession

_APPLIED = "_rls_scope"  # session.info: the scope the current transaction's settings carry
_STALE = ("?", "?")  # matches no scope: re-apply before the next statement
_SET_SCOPE = text(
    "SELECT set_config('app.agency_id', :agency_id, true),"
    " set_config('app.all_agencies', :all_agencies, true)"
)


def _scope(session: Session) -> tuple[str, str]:
    """The settings for this session: no agency is '' (the policies read it as NULL: no row)."""
    agency_id = session.info.get("agency_id")
    every = "on" if session.info.get("all_agencies") else "off"
    return ("" if agency_id is None else str(int(agency_id)), every)


def _apply(session: Session, connection: Connection) -> None:
    scope = session.info[_APPLIED] = _scope(session)
    if connection.dialect.name == "postgresql":
        connection.execute(_SET_SCOPE, {"agency_id": scope[0], "all_agencies": scope[1]})


@event.listens_for(AgencyScopedSession, "after_begin")
def _on_begin(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    _apply(session, connection)


@event.listens_for(AgencyScopedSession, "do_orm_execute")
def _follow_scope_changes(state: ORMExecuteState) -> None:
    # The member middleware learns the agency inside the transaction that looked it up.
    session = state.session
    if session.in_transaction() and session.info.get(_APPLIED) not in (None, _scope(session)):
        _apply(session, session.connection())


@event.listens_for(AgencyScopedSession, "before_flush")
def _scope_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_APPLIED) not in (None, _scope(session)):
        _apply(session, session.connection())


@event.listens_for(AgencyScopedSession, "after_transaction_end")
def _forget_scope(session: Session, transaction: SessionTransaction) -> None:
    # SET LOCAL dies with the transaction; a rolled-back SAVEPOINT undoes a re-application.
    if transaction.parent is None:
        session.info.pop(_APPLIED, None)
    elif transaction.nested:
        session.info[_APPLIED] = _STALE


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

    async def ping(self) -> None:
        """Raise if the database does not answer (health checks)."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
