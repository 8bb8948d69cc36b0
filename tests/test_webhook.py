"""Webhook mode in one process (SQLite): setWebhook with the secret, 401 without it, the
health check, the refusal to start without a secret, and a stop that lets an update finish."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import run_bot
from bot import run_modes
from bot.settings import Settings
from tests.test_polling import TOKEN, FakeBotAPI, bot_api  # noqa: F401 (a fixture)

SECRET = "a-Secret_for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_settings(url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "telegram_api_url": url,
        "data_dir": tmp_path,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}",
        "webhook_url": "https://bot.example.test/telegram",
        "webhook_secret": SECRET,
        "webhook_port": free_port(),
        "scheduler_enabled": False,
    }
    return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[call-arg]


def start_update(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": 42, "type": "private", "first_name": "Alice"},
            "from": {"id": 42, "is_bot": False, "first_name": "Alice", "language_code": "en"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def wait_up(http: aiohttp.ClientSession, base: str) -> None:
    for _ in range(100):
        try:
            async with http.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the webhook server never came up")


async def test_webhook_mode_checks_the_secret_and_answers_health_checks(
    bot_api: tuple[FakeBotAPI, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    api, url = bot_api
    settings = webhook_settings(url, tmp_path)
    base = f"http://127.0.0.1:{settings.webhook_port}"
    stop = asyncio.Event()
    server = asyncio.create_task(run_modes.run_webhook(settings, stop))
    try:
        async with aiohttp.ClientSession() as http:
            await wait_up(http, base)
            [(_, hook)] = [(m, f) for m, f in api.calls if m == "setwebhook"]
            assert hook["url"] == "https://bot.example.test/telegram"
            assert hook["secret_token"] == SECRET
            assert hook.get("drop_pending_updates") in (None, "false")

            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(
                    f"{base}/telegram", json=start_update(1), headers=headers
                ) as response:
                    assert response.status == 401
            assert not api.sent.is_set()

            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(
                f"{base}/telegram", json=start_update(2), headers=headers
            ) as response:
                assert response.status == 200
            # Handled before the answer (handle_in_background=False): the reply is out already.
            [reply] = [f for m, f in api.calls if m == "sendmessage"]
            assert reply["chat_id"] == "42" and "Welcome" in reply["text"]
    finally:
        stop.set()
        await asyncio.wait_for(server, timeout=20)
    assert not [m for m, _ in api.calls if m == "deletewebhook"]  # other workers still serve


async def test_health_check_fails_when_the_database_is_unreachable(
    bot_api: tuple[FakeBotAPI, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    from bot.factory import create_bot, create_dispatcher
    from bot.webhook import build_app
    from crm_core.db import Database

    _api, url = bot_api
    settings = webhook_settings(url, tmp_path)
    db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # nothing listens on port 1
    bot = create_bot(settings)
    app = build_app(settings, create_dispatcher(settings, db), bot, db)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 503
    finally:
        await runner.cleanup()
        await bot.session.close()
        await db.dispose()


@pytest.mark.parametrize("secret", [None, "has spaces", "x" * 257])
def test_webhook_mode_refuses_to_start_without_a_valid_secret(
    secret: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.test/telegram")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    if secret is None:
        monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("WEBHOOK_SECRET", secret)
    assert run_bot.main([]) == 2  # WEBHOOK_URL makes webhook the default mode
    assert "WEBHOOK_SECRET" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()  # refused before touching anything


def test_the_default_mode_follows_the_settings() -> None:
    def mode(**values: Any) -> str:
        return run_bot.default_mode(Settings(_env_file=None, **values))  # type: ignore[call-arg]

    assert mode() == "console"
    assert mode(bot_token=TOKEN) == "polling"
    assert mode(bot_token=TOKEN, webhook_url="https://bot.example.test/t") == "webhook"


class SlowBotAPI(FakeBotAPI):
    async def answer(self, method: str, fields: dict[str, Any]) -> Any:
        if method == "sendmessage":
            await asyncio.sleep(1.0)  # the update is still in flight when the stop comes
        return await super().answer(method, fields)


async def test_stopping_lets_the_update_in_flight_finish(tmp_path: Path) -> None:
    api = SlowBotAPI()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    api_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", api_port).start()
    settings = webhook_settings(f"http://127.0.0.1:{api_port}", tmp_path)
    base = f"http://127.0.0.1:{settings.webhook_port}"
    stop = asyncio.Event()
    server = asyncio.create_task(run_modes.run_webhook(settings, stop))
    try:
        async with aiohttp.ClientSession() as http:
            await wait_up(http, base)
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            post = asyncio.create_task(
                http.post(f"{base}/telegram", json=start_update(3), headers=headers)
            )
            for _ in range(100):  # until the handler is waiting on sendMessage
                if any(m == "sendmessage" for m, _ in api.calls):
                    break
                await asyncio.sleep(0.02)
            stop.set()
            response = await post
            assert response.status == 200  # answered only once the update was handled
            response.release()
        await asyncio.wait_for(server, timeout=20)
        assert api.sent.is_set()
    finally:
        stop.set()
        if not server.done():
            server.cancel()
        await runner.cleanup()
