"""Row-level security, the database's own wall (migration 0006, PostgreSQL only).

Raw SQL skips the ORM's agency criteria, as a careless future query would. Run as a
non-superuser role (superusers bypass RLS), such a query still sees only the acting agency's
rows, nothing in a session without an agency, and every agency's in a system session.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.db import Database
from crm_core.models import Agency, Base, Contact

pytestmark = pytest.mark.postgresql

ROLE = f"crm_rls_test_{os.getpid()}"  # roles are server-wide: one per test run


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[tuple[Database, int, int]]:
    """Two agencies with a contact each, and a NOLOGIN role with the application's grants."""
    db = Database(postgres_url, pool_size=2)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await connection.execute(text(f"DROP ROLE IF EXISTS {ROLE}"))
        await connection.execute(text(f"CREATE ROLE {ROLE} NOLOGIN"))
        await connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {ROLE}"))
        await connection.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}")
        )
        await connection.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {ROLE}"))
    async with db.system_session() as session:
        acme, rival = Agency(name="Acme"), Agency(name="Rival")
        session.add_all([acme, rival])
        await session.flush()
        session.add_all(
            [
                Contact(agency_id=acme.id, number=1, name="Jean Acme", name_key="jean acme"),
                Contact(agency_id=rival.id, number=1, name="Victor Secret", name_key="victor"),
            ]
        )
        await session.commit()
    try:
        yield db, acme.id, rival.id
    finally:
        async with db.engine.begin() as connection:
            await connection.execute(text(f"DROP OWNED BY {ROLE}"))
            await connection.execute(text(f"DROP ROLE {ROLE}"))
        await db.dispose()


async def contact_names(session: AsyncSession) -> set[str]:
    """The query that forgot its filter, as the application's non-superuser role."""
    await session.execute(text(f"SET LOCAL ROLE {ROLE}"))  # undone at the transaction's end
    rows = await session.execute(text("SELECT name FROM contacts"))
    return {name for (name,) in rows}


async def test_a_raw_query_sees_only_the_acting_agency(pg: tuple[Database, int, int]) -> None:
    db, acme, rival = pg
    async with db.session(acme) as session:
        assert await contact_names(session) == {"Jean Acme"}
    async with db.session(rival) as session:
        assert await contact_names(session) == {"Victor Secret"}
    async with db.session() as session:
        assert await contact_names(session) == set()
    async with db.system_session() as session:
        assert await contact_names(session) == {"Jean Acme", "Victor Secret"}
    # The superuser the suite connects as bypasses RLS: the policies did the filtering above.
    async with db.session(acme) as session:
        rows = await session.execute(text("SELECT count(*) FROM contacts"))
        assert rows.scalar_one() == 2


async def test_the_scope_follows_the_session_within_a_transaction(
    pg: tuple[Database, int, int],
) -> None:
    """The member middleware sets the agency after looking the member up, mid-transaction."""
    db, acme, _rival = pg
    async with db.session() as session:
        assert await contact_names(session) == set()
        session.info["agency_id"] = acme
        assert await contact_names(session) == {"Jean Acme"}
        async with session.begin_nested():  # a SAVEPOINT keeps the scope
            assert await contact_names(session) == {"Jean Acme"}
        assert await contact_names(session) == {"Jean Acme"}
        await session.commit()
        # A new transaction: the settings are set again, not inherited.
        assert await contact_names(session) == {"Jean Acme"}


async def test_a_raw_write_into_another_agency_is_refused(pg: tuple[Database, int, int]) -> None:
    db, acme, rival = pg
    async with db.session(acme) as session:
        await session.execute(text(f"SET LOCAL ROLE {ROLE}"))
        moved = await session.execute(text("UPDATE contacts SET name = 'Hacked'"))
        assert moved.rowcount == 1  # its own contact only
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO contacts (agency_id, number, name, name_key, role, created_at,"
                    " updated_at) VALUES (:agency, 9, 'Planted', 'planted', 'buyer', now(), now())"
                ),
                {"agency": rival},
            )
        await session.rollback()
