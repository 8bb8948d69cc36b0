"""Several workers, end to end: two ``run_bot.py webhook --no-scheduler`` processes and one
``run_bot.py scheduler``, as real subprocesses on one PostgreSQL database and one Redis,
against a local Bot API server that records which process made each call.

Updates are posted to the workers alternately, as Telegram would (with the secret header):
each is handled once, by the worker it was posted to; an onboarding started on worker 1
finishes on worker 2 (its state lives in Redis); a reminder due in a few seconds is sent once,
by the scheduler. The processes connect as a non-superuser role, so the row-level security
policies apply to every query they make, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from crm_core import schema
from crm_core.db import Database
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.postgresql  # and Redis: skipped when either is unreachable

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
TOKEN = "123456:TEST-token"
SECRET = "s3cret-For-tests_only"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Estate CRM", "username": "crm_test_bot"}
USER = {"id": 4242, "is_bot": False, "first_name": "Alice", "language_code": "en"}
CHAT = {"id": 4242, "type": "private", "first_name": "Alice"}
DEADLINE_SECONDS = 55  # the whole scenario, start-up included (about 12 s when idle)


@dataclass
class Call:
    process: str  # "w1", "w2" or "sched": each process has its own API base URL
    method: str
    fields: dict[str, Any]
    result: Any = None


@dataclass
class FakeTelegram:
    calls: list[Call] = field(default_factory=list)
    next_id: int = 100

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401}, status=401)
        method = request.match_info["method"].lower()
        fields = dict(await request.post())
        call = Call(request.match_info["process"], method, fields, self.answer(method, fields))
        self.calls.append(call)
        return web.json_response({"ok": True, "result": call.result})

    def answer(self, method: str, fields: dict[str, Any]) -> Any:
        if method == "getme":
            return BOT_USER
        if method in ("sendmessage", "editmessagetext"):
            if method == "sendmessage":
                self.next_id += 1
            message_id = int(fields.get("message_id", self.next_id))
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": CHAT,
                "from": BOT_USER,
                "text": fields.get("text", ""),
            }
        return True

    def messages(self, method: str = "sendmessage") -> list[Call]:
        return [c for c in self.calls if c.method == method]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database of this test's own, migrated once (as the owner) before any
    worker runs. The processes connect as a plain role, so row-level security applies to them
    as it should in production; if that role cannot log in here, as the suite's own user."""
    if not POSTGRES_URL.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL does not name a PostgreSQL database")
    name = f"{make_url(POSTGRES_URL).database}_workers_{os.getpid()}"
    role = f"crm_app_{os.getpid()}"
    try:
        await _admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}"')
        await _admin(POSTGRES_URL, f'CREATE DATABASE "{name}"')
    except (OSError, Exception) as error:  # unreachable, or no CREATEDB right
        pytest.skip(f"cannot create a PostgreSQL database: {error}")
    owner_url = make_url(POSTGRES_URL).set(database=name)
    db = Database(owner_url.render_as_string(hide_password=False))
    await schema.upgrade(db)  # once, here: workers starting together would race on it
    await db.dispose()
    url = owner_url.render_as_string(hide_password=False)
    with contextlib.suppress(Exception):  # no CREATEROLE right, or no trust for a new role
        owner = owner_url.render_as_string(hide_password=False)
        await _admin(owner, f"DROP ROLE IF EXISTS {role}")
        await _admin(owner, f"CREATE ROLE {role} LOGIN")
        for grant in (
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        ):
            await _admin(owner, grant)
        app_url = owner_url.set(username=role, password=None)
        await _admin(app_url.render_as_string(hide_password=False), "SELECT 1")
        url = app_url.render_as_string(hide_password=False)
    yield url
    await _admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with contextlib.suppress(Exception):
        await _admin(POSTGRES_URL, f"DROP ROLE IF EXISTS {role}")


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[FakeTelegram, str]]:
    api = FakeTelegram()
    app = web.Application()
    app.router.add_post("/{process}/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield api, f"http://127.0.0.1:{port}"
    await runner.cleanup()


@dataclass
class Processes:
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def start(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> None:
        log = cwd / f"{name}.log"
        self.logs[name] = log
        with log.open("wb") as out:
            self.procs[name] = subprocess.Popen(
                [sys.executable, str(ROOT / "run_bot.py"), *args],
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def report(self) -> str:
        return "\n".join(f"--- {n}\n{p.read_text()[-3000:]}" for n, p in self.logs.items())


@pytest.fixture
def processes() -> Iterator[Processes]:
    procs = Processes()
    try:
        yield procs
    finally:
        procs.stop()  # always: a failing test must not leave workers behind


class Feeder:
    """Posts updates to the workers' webhooks, the way Telegram does."""

    def __init__(self, http: aiohttp.ClientSession, api: FakeTelegram, ports: list[int]) -> None:
        self.http, self.api, self.ports = http, api, ports
        self.update_id = 1000

    async def post(self, worker: int, update: dict[str, Any], secret: str = SECRET) -> int:
        url = f"http://127.0.0.1:{self.ports[worker - 1]}/telegram"
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with self.http.post(url, json=update, headers=headers) as response:
            return response.status

    def _next(self) -> int:
        self.update_id += 1
        return self.update_id

    async def text(self, worker: int, text: str) -> list[Call]:
        """Send a message; the calls it caused (handled before the webhook answers)."""
        before = len(self.api.calls)
        update: dict[str, Any] = {
            "update_id": self._next(),
            "message": {
                "message_id": self.update_id,
                "date": int(time.time()),
                "chat": CHAT,
                "from": USER,
                "text": text,
            },
        }
        if text.startswith("/"):
            command = text.split()[0]
            update["message"]["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command)}
            ]
        assert await self.post(worker, update) == 200
        return self.api.calls[before:]

    async def press(self, worker: int, label: str) -> list[Call]:
        """Press the button labelled `label` on the latest bot message showing it."""
        for call in reversed(self.api.calls):
            markup = json.loads(call.fields.get("reply_markup") or "{}")
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if label in button["text"]:
                        return await self._callback(worker, call, button["callback_data"])
        raise AssertionError(f"no button {label!r} shown")

    async def _callback(self, worker: int, shown: Call, data: str) -> list[Call]:
        before = len(self.api.calls)
        message_id = int(shown.result["message_id"])
        update = {
            "update_id": self._next(),
            "callback_query": {
                "id": str(self.update_id),
                "from": USER,
                "chat_instance": "1",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": CHAT,
                    "from": BOT_USER,
                    "text": shown.fields.get("text", ""),
                },
            },
        }
        assert await self.post(worker, update) == 200
        return self.api.calls[before:]


def replies(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method in ("sendmessage", "editmessagetext")]


async def wait_healthy(http: aiohttp.ClientSession, port: int, procs: Processes) -> None:
    for _ in range(350):  # start-up imports take seconds, more on a busy CI machine
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                if response.status == 200:
                    return
        if any(p.poll() is not None for p in procs.procs.values()):
            raise AssertionError("a process exited early\n" + procs.report())
        await asyncio.sleep(0.1)
    raise AssertionError(f"worker on {port} never became healthy\n" + procs.report())


async def test_two_webhook_workers_and_one_scheduler(
    redis_prefix: str,  # first: no database is created when Redis is away
    database: str,
    telegram: tuple[FakeTelegram, str],
    processes: Processes,
    tmp_path: Path,
) -> None:
    api, api_url = telegram
    ports = [free_port(), free_port()]
    base_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ANTHROPIC_", "WEBHOOK_", "REDIS_", "DATABASE_"))
    }
    base_env.update(
        BOT_TOKEN=TOKEN,
        DATABASE_URL=database,
        DATABASE_POOL_SIZE="2",
        REDIS_URL=REDIS_URL,
        REDIS_PREFIX=redis_prefix,
        DATA_DIR=str(tmp_path / "data"),
        WEBHOOK_URL="https://bot.example.test/telegram",
        WEBHOOK_SECRET=SECRET,
        REMINDER_SWEEP_SECONDS="1",
        LOG_LEVEL="INFO",
    )
    for number, port in enumerate(ports, start=1):
        env = {**base_env, "TELEGRAM_API_URL": f"{api_url}/w{number}", "WEBHOOK_PORT": str(port)}
        processes.start(f"w{number}", ["webhook", "--no-scheduler"], env, tmp_path)
    processes.start(
        "sched", ["scheduler"], {**base_env, "TELEGRAM_API_URL": f"{api_url}/sched"}, tmp_path
    )

    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            for port in ports:
                await wait_healthy(http, port, processes)
            feed = Feeder(http, api, ports)
            webhooks = [c for c in api.calls if c.method == "setwebhook"]
            assert {c.process for c in webhooks} == {"w1", "w2"}
            assert all(c.fields["secret_token"] == SECRET for c in webhooks)
            assert all(c.fields.get("drop_pending_updates") in (None, "false") for c in webhooks)

            # Without the secret, nothing is handled.
            before = len(api.calls)
            assert await feed.post(1, {"update_id": 1, "message": {}}, secret="wrong") == 401
            assert api.calls[before:] == []

            # Onboarding starts on worker 1 and moves between workers at every step.
            turn = replies(await feed.text(1, "/start"))
            assert [c.process for c in turn] == ["w1"], turn
            turn = replies(await feed.text(2, "Acme Realty"))
            assert [c.process for c in turn] == ["w2"], turn
            turn = replies(await feed.text(1, "Alice Martin"))
            assert [c.process for c in turn] == ["w1"], turn
            await feed.press(2, "Skip")
            await feed.press(1, "English")
            await feed.press(2, "Europe/Paris")
            await feed.press(1, "18 or older")
            turn = replies(await feed.press(2, "I accept"))
            assert turn and "/help" in turn[-1].fields["text"], turn

            # Each update once: one reply, from the worker it was posted to.
            for worker in (1, 2, 1, 2):
                turn = replies(await feed.text(worker, "/today"))
                assert [c.process for c in turn] == [f"w{worker}"], turn

            # The daily digest (due at once after 08:00) would list the reminder too.
            turn = replies(await feed.text(2, "/digest off"))
            assert [c.process for c in turn] == ["w2"], turn

            # A reminder due in a few seconds: sent once, by the scheduler.
            due = (datetime.now(UTC) + timedelta(seconds=3)).isoformat(timespec="seconds")
            turn = replies(await feed.text(1, f"/add_reminder due_at={due} text=Call the notary"))
            assert [c.process for c in turn] == ["w1"] and "R1" in turn[0].fields["text"], turn

            def fired() -> list[Call]:
                return [
                    c
                    for c in api.messages()
                    if "Call the notary" in c.fields.get("text", "") and c is not turn[0]
                ]

            for _ in range(150):
                if fired():
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(2.5)  # time enough for more sweeps to send it again
            assert [c.process for c in fired()] == ["sched"], [c.fields for c in fired()]

    try:
        await asyncio.wait_for(scenario(), timeout=DEADLINE_SECONDS)
    except BaseException:
        print(processes.report())
        raise
    processes.stop()  # SIGTERM: each process drains and exits cleanly
    codes = {name: proc.returncode for name, proc in processes.procs.items()}
    assert codes == {"w1": 0, "w2": 0, "sched": 0}, processes.report()
