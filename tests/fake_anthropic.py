"""A local HTTP server that speaks the Anthropic Messages API, for driving the real SDK.

``POST /v1/messages`` records every request body, checks it the way the API does (a
``tool_use`` must be answered by a ``tool_result`` in the next message, at most four cache
breakpoints, ...) and answers from a script: a queue of canned responses, each a
:class:`Canned` or a function of the request body, then ``always`` once the queue is empty.
Errors carry the API's status codes and bodies, and retry headers that make the SDK's
retries fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Body = dict[str, Any]


@dataclass
class Canned:
    status: int = 200
    body: Any = None  # JSON-ready data, or a str sent as it is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow or hung API)


Script = Canned | Callable[[Body], Canned]

_ids = itertools.count(1)


def text(value: str) -> Body:
    return {"type": "text", "text": value}


def tool_use(name: str, input: Any, id: str | None = None) -> Body:
    return {"type": "tool_use", "id": id or f"toolu_{next(_ids):04d}", "name": name, "input": input}


def message(*content: Body, stop_reason: str | None = None) -> Canned:
    if stop_reason is None:
        uses = any(block["type"] == "tool_use" for block in content)
        stop_reason = "tool_use" if uses else "end_turn"
    return Canned(body={"content": list(content), "stop_reason": stop_reason})


def error(status: int, kind: str, text: str = "fake failure") -> Canned:
    # `retry-after: 0` is what the brief asked for, but this SDK ignores values <= 0 and
    # backs off for 0.5 s and more; `retry-after-ms` (read first) makes retries take 1 ms.
    return Canned(
        status,
        {"type": "error", "error": {"type": kind, "message": text}, "request_id": "req_fake"},
        {"retry-after": "0", "retry-after-ms": "1"},
    )


def rate_limited() -> Canned:
    return error(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit.")


def overloaded() -> Canned:
    return error(529, "overloaded_error", "Overloaded")


def server_error() -> Canned:
    return error(500, "api_error", "Internal server error")


def refused_url() -> str:
    """A local URL where nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class FakeAnthropic:
    def __init__(self) -> None:
        self.requests: list[Body] = []
        self.script: deque[Script] = deque()
        self.always: Script | None = None
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()

    # --- scripting ----------------------------------------------------------------------------

    def queue(self, *responses: Script) -> None:
        self.script.extend(responses)

    def tool_results(self, since: int = 0) -> list[Body]:
        """Every tool_result block the server received, in order, without repeats (each
        request carries the whole conversation so far); with `since`, only those first sent
        in ``requests[since:]``."""
        earlier = {
            block.get("tool_use_id")
            for block in _blocks(self.requests[:since])
            if block.get("type") == "tool_result"
        }
        seen: dict[str, Body] = {}
        for block in _blocks(self.requests[since:]):
            if block.get("type") == "tool_result" and block["tool_use_id"] not in earlier:
                seen.setdefault(block["tool_use_id"], block)
        return list(seen.values())

    def system_text(self, since: int = 0) -> str:
        """The text of every system block of ``requests[since:]``."""
        return "\n".join(
            block.get("text", "")
            for body in self.requests[since:]
            for block in (body.get("system") if isinstance(body.get("system"), list) else [])
        )

    def result_for(self, name: str) -> Body:
        """The tool_result answering the first call of tool `name`."""
        ids = [b["id"] for b in _blocks(self.requests) if b.get("type") == "tool_use"]
        names = {b["id"]: b["name"] for b in _blocks(self.requests) if b.get("type") == "tool_use"}
        wanted = next(i for i in ids if names[i] == name)
        return next(r for r in self.tool_results() if r["tool_use_id"] == wanted)

    # --- serving ------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def close(self) -> None:
        self._closing.set()  # a hung answer ends now
        if self._runner is not None:
            await self._runner.cleanup()

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _respond(error(400, "invalid_request_error", "body is not JSON"))
        self.requests.append(body)
        problem = check(body)
        if problem:
            return _respond(error(400, "invalid_request_error", problem))
        script = self.script.popleft() if self.script else self.always
        if script is None:
            return _respond(error(400, "invalid_request_error", "fake: nothing scripted"))
        canned = script(body) if callable(script) else script
        if canned.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), canned.delay)
        if canned.status == 200 and isinstance(canned.body, dict) and "content" in canned.body:
            canned = Canned(200, _full_message(body, canned.body), canned.headers)
        return _respond(canned)


def _full_message(request: Body, partial: Body) -> Body:
    return {
        "id": f"msg_fake_{next(_ids):04d}",
        "type": "message",
        "role": "assistant",
        "model": request["model"],
        "stop_sequence": None,
        "usage": {
            "input_tokens": 100,
            "output_tokens": 20,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
        **partial,
    }


def _respond(canned: Canned) -> web.Response:
    headers = {"request-id": "req_fake", **canned.headers}
    if isinstance(canned.body, str):
        return web.Response(
            status=canned.status, text=canned.body, headers=headers, content_type="application/json"
        )
    return web.json_response(canned.body, status=canned.status, headers=headers)


def _blocks(requests: list[Body]) -> Iterator[Body]:
    for body in requests:
        for msg in body.get("messages", []):
            if isinstance(msg.get("content"), list):
                yield from msg["content"]


TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def check(body: Body) -> str | None:
    """What the real API would refuse in this request body (a few of its rules)."""
    for key, kind in (("model", str), ("max_tokens", int), ("messages", list)):
        if not isinstance(body.get(key), kind):
            return f"{key}: Field required"
    messages = body["messages"]
    if not messages or messages[0].get("role") != "user":
        return "messages: first message must use the user role"
    breakpoints = 0
    for tool in body.get("tools", []):
        if not TOOL_NAME.match(str(tool.get("name"))):
            return "tools: invalid name"
        if (tool.get("input_schema") or {}).get("type") != "object":
            return f"tools.{tool.get('name')}.input_schema.type: must be object"
        breakpoints += "cache_control" in tool
    system = body.get("system", [])
    if isinstance(system, list):
        breakpoints += sum("cache_control" in block for block in system)
    for index, msg in enumerate(messages):
        content = msg.get("content")
        blocks = content if isinstance(content, list) else [text(str(content))]
        breakpoints += sum("cache_control" in block for block in blocks)
        if any(b.get("type") == "text" and not b.get("text") for b in blocks):
            return f"messages.{index}: text content blocks must be non-empty"
        uses = [b["id"] for b in blocks if b.get("type") == "tool_use"]
        if msg.get("role") == "assistant" and uses:
            answer = messages[index + 1] if index + 1 < len(messages) else {}
            answered = [
                b.get("tool_use_id")
                for b in (answer.get("content") if isinstance(answer.get("content"), list) else [])
                if b.get("type") == "tool_result"
            ]
            missing = [u for u in uses if u not in answered]
            if missing:
                return (
                    f"messages.{index}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(missing)}"
                )
    if breakpoints > 4:
        return "A maximum of 4 blocks with cache_control may be provided."
    return None
