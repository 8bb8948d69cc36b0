"""`python run_bot.py` with BOT_TOKEN polls a Bot API server; TELEGRAM_API_URL chooses which.
Here the server is a local one that speaks the Bot API over HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot import run_modes
from bot.settings import Settings

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Estate CRM", "username": "crm_test_bot"}


class FakeBotAPI:
    """Serves getUpdates from a queue and records every other call."""

    def __init__(self) -> None:
        self.updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent = asyncio.Event()
        self.next_id = 1

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401}, status=401)
        method = request.match_info["method"].lower()
        fields = {key: value for key, value in (await request.post()).items()}
        self.calls.append((method, fields))
        return web.json_response({"ok": True, "result": await self.answer(method, fields)})

    async def answer(self, method: str, fields: dict[str, Any]) -> Any:
        if method == "getme":
            return BOT_USER
        if method == "getupdates":
            try:
                return [await asyncio.wait_for(self.updates.get(), timeout=0.5)]
            except TimeoutError:
                return []
        if method == "sendmessage":
            self.sent.set()
            self.next_id += 1
            return {
                "message_id": self.next_id,
                "date": int(time.time()),
                "chat": {"id": int(fields["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": fields["text"],
            }
        return True


@pytest.fixture
async def bot_api() -> AsyncIterator[tuple[FakeBotAPI, str]]:
    api = FakeBotAPI()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield api, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_polling_answers_updates_from_the_configured_server(
    bot_api: tuple[FakeBotAPI, str], tmp_path: Path
) -> None:
    api, url = bot_api
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        telegram_api_url=url,
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}",
    )
    user = {"id": 42, "is_bot": False, "first_name": "Alice", "language_code": "fr"}
    await api.updates.put(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": 42, "type": "private", "first_name": "Alice"},
                "from": user,
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
    )
    polling = asyncio.create_task(run_modes.run_polling(settings))
    try:
        await asyncio.wait_for(api.sent.wait(), timeout=20)
    finally:
        polling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await polling
    methods = [method for method, _ in api.calls]
    assert "deletewebhook" in methods and "getupdates" in methods
    commands = [fields for method, fields in api.calls if method == "setmycommands"]
    assert {fields.get("language_code") for fields in commands} == {"en", "fr", None}
    assert any("today" in json.loads(fields["commands"])[0]["command"] for fields in commands)
    [reply] = [fields for method, fields in api.calls if method == "sendmessage"]
    assert reply["chat_id"] == "42"
    assert "Bienvenue" in reply["text"]  # the user's Telegram language
