"""Fixtures: a migrated database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL
reaches one), the real Dispatcher on a recording Bot session, and onboarded users."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.factory import create_bot, create_dispatcher
from bot.local_session import LocalBotSession
from bot.settings import Settings
from crm_core import schema
from crm_core.db import Database
from crm_core.models import Base
from tests.fake_anthropic import FakeAnthropic
from tests.harness import ChatUser, Clock, Harness

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs on the PostgreSQL test database")


# --- databases -------------------------------------------------------------------------------


async def _ping(url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await db.dispose()


async def _migrate(url: str, *, reset: bool = False) -> None:
    db = Database(url)
    try:
        if reset:
            async with db.engine.begin() as connection:
                await connection.execute(text("DROP SCHEMA public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
        await schema.upgrade(db)
    finally:
        await db.dispose()


def _run_apart(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a set-up coroutine on its own loop and thread: session fixtures may be first
    requested from inside a test's running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "crm.db"
    _run_apart(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


async def _create_database(url: str, name: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


async def _drop_database(url: str, name: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test run's own, created beside TEST_DATABASE_URL's (so two runs on
    one server do not truncate each other's tables); that database itself if we may not."""
    if not POSTGRES_URL.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL does not name a PostgreSQL database")
    try:
        _run_apart(_ping(POSTGRES_URL))
    except (OSError, DBAPIError) as error:
        pytest.skip(f"PostgreSQL unreachable at TEST_DATABASE_URL: {error}")
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_run_{os.getpid()}"
    try:
        _run_apart(_create_database(POSTGRES_URL, name))
    except DBAPIError:  # no CREATEDB right: share the named database
        _run_apart(_migrate(POSTGRES_URL, reset=True))
        yield POSTGRES_URL
        return
    url = base.set(database=name).render_as_string(hide_password=False)
    _run_apart(_migrate(url))  # a failure here is a real failure
    yield url
    _run_apart(_drop_database(POSTGRES_URL, name))


async def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "crm.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite+aiosqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("postgres_url"), pool_size=2)
        await _truncate_all(database)
    yield database
    await database.dispose()


# --- the bot ---------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]


@pytest.fixture
async def harness(db: Database, clock: Clock, settings: Settings) -> AsyncIterator[Harness]:
    session = LocalBotSession()
    bot = create_bot(settings, session=session)
    dispatcher = create_dispatcher(settings, db, clock=clock)
    yield Harness(dispatcher, bot, session, db, clock)


@pytest.fixture(autouse=True)
def no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A handler that crashed still answers politely; the test must fail anyway."""
    caplog.set_level(logging.ERROR, logger="bot")
    yield
    # caplog.records holds the current phase only: at teardown, look back at setup and call.
    records = caplog.get_records("setup") + caplog.get_records("call")
    crashes = [r for r in records if r.levelno >= logging.ERROR and r.name.startswith("bot")]
    assert not crashes, "\n".join(r.getMessage() + "\n" + (r.exc_text or "") for r in crashes)


# --- onboarded people ------------------------------------------------------------------------


async def sign_up(
    user: ChatUser,
    *,
    agency: str | None = "Acme Realty",
    name: str = "Alice Martin",
    language: str = "English",
    payload: str = "",
) -> None:
    """The whole /start conversation, accepting everything (agency=None when invited)."""
    turn = await user.send(f"/start {payload}".strip())
    assert "18" not in turn.text
    if agency is not None:
        await user.send(agency)
    await user.send(name)
    await user.press("Skip" if language == "English" else "Passer")
    await user.press(language)
    await user.press("Europe/Paris")
    await user.press("18 or older" if language == "English" else "18 ans ou plus")
    turn = await user.press("I accept" if language == "English" else "J'accepte")
    assert "/help" in turn.text, turn.text


@pytest.fixture
async def owner(harness: Harness) -> ChatUser:
    """Alice, owner of Acme Realty."""
    user = harness.user(101, "Alice")
    await sign_up(user)
    return user


@pytest.fixture
async def rival(harness: Harness) -> ChatUser:
    """Rita, owner of another agency."""
    user = harness.user(202, "Rita")
    await sign_up(user, agency="Rival Homes", name="Rita Rossi")
    return user


async def invite_link(owner: ChatUser) -> str:
    turn = await owner.send("/invite")
    links = [word for word in turn.text.split() if "?start=" in word]
    assert links, turn.text
    return links[0].split("?start=", 1)[1].rstrip(".)")


@pytest.fixture
async def agent(harness: Harness, owner: ChatUser) -> ChatUser:
    """Bob, agent at Acme Realty (joined through Alice's invitation)."""
    user = harness.user(102, "Bob")
    await sign_up(user, agency=None, name="Bob Durand", payload=await invite_link(owner))
    return user


# --- local stand-ins for the services the bot talks to ---------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[FakeAnthropic]:
    """A local server that speaks the Anthropic Messages API (tests/fake_anthropic.py)."""
    fake = FakeAnthropic()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def redis_client() -> AsyncIterator[Any]:
    """A client of the test Redis (TEST_REDIS_URL); the test is skipped when it is away."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, RedisError) as error:
        await client.aclose()
        pytest.skip(f"Redis unreachable at TEST_REDIS_URL: {error}")
    yield client
    await client.aclose()


@pytest.fixture
async def redis_prefix(redis_client: Any) -> AsyncIterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"crmtest-{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = [key async for key in redis_client.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis_client.delete(*keys)
