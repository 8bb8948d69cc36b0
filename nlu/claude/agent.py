"""The bounded tool loop: Claude calls tools, the executor runs them in the user's agency, the
results go back as ``tool_result`` blocks, until Claude answers or the round limit is hit.

Whatever the provider does wrong (rate limits, overload, 5xx, timeouts, refused connections,
unusable responses) ends the same way once the SDK's own bounded retries are spent: the work of
this message is discarded and the offline parser answers it."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from anthropic import AnthropicError, AsyncAnthropic
from anthropic.types import Message as ApiMessage

from crm_core import values
from crm_core.registry import Registry, build_registry
from nlu.claude.prompt import system_blocks, user_content
from nlu.claude.results import tool_result, unknown_tool
from nlu.claude.tools import build_tools
from nlu.interpreter import Executed, Executor, Interpretation, Interpreter, Message, OperationCall

log = logging.getLogger(__name__)

REPEATED = "Already done in this message with these arguments (result above). Do not repeat it."
NOT_AN_OBJECT = "Invalid input: the tool input must be a JSON object."


class ProviderUnavailable(Exception):
    """The API failed after the SDK's retries, or answered something unusable."""


@dataclass
class ToolUse:
    id: str
    name: str
    input: Any


@dataclass
class Reply:
    """One assistant response, read defensively."""

    stop_reason: str
    text: str = ""
    uses: list[ToolUse] = field(default_factory=list)
    content: list[dict[str, Any]] = field(default_factory=list)  # to send back as it was


def read_reply(response: Any) -> Reply:
    # The SDK does not validate responses strictly: check the shape we rely on ourselves.
    content = getattr(response, "content", None)
    stop_reason = getattr(response, "stop_reason", None)
    if not isinstance(response, ApiMessage) or not isinstance(content, list):
        raise ProviderUnavailable("malformed response")
    if not isinstance(stop_reason, str):
        raise ProviderUnavailable("response without stop_reason")
    reply = Reply(stop_reason)
    texts = []
    for block in content:
        kind = getattr(block, "type", None)
        if kind == "text":
            text = getattr(block, "text", None)
            if not isinstance(text, str):
                raise ProviderUnavailable("malformed text block")
            if text.strip():
                texts.append(text.strip())
                reply.content.append({"type": "text", "text": text})
        elif kind == "tool_use":
            use = ToolUse(*(getattr(block, key, None) for key in ("id", "name", "input")))
            if not isinstance(use.id, str) or not isinstance(use.name, str):
                raise ProviderUnavailable("malformed tool_use block")
            reply.uses.append(use)
            echoed = use.input if isinstance(use.input, dict) else {}
            reply.content.append(
                {"type": "tool_use", "id": use.id, "name": use.name, "input": echoed}
            )
    reply.text = visible("\n\n".join(texts))
    return reply


def visible(words: str) -> str:
    """The model's words as the user may see them: what an injected record could make it
    echo (bidi overrides that spoof text, zero-width or control characters, lone surrogates
    Telegram refuses) is dropped, as from every stored text."""
    try:
        return values.clean_text(words, max_length=sys.maxsize, multiline=True)
    except values.ValueProblem:
        return ""


class ClaudeInterpreter:
    def __init__(
        self,
        client: AsyncAnthropic,
        *,
        model: str,
        fallback: Interpreter,
        max_rounds: int = 6,
        max_rows: int = 10,
        max_tokens: int = 1024,
        registry: Registry | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.fallback = fallback
        self.max_rounds = max_rounds
        self.max_rows = max_rows
        self.max_tokens = max_tokens
        self.registry = registry or build_registry()
        self.tools = build_tools(self.registry)  # built once: a stable, cacheable prefix

    async def interpret(self, message: Message, executor: Executor) -> Interpretation:
        if not message.actor.ai_allowed:
            # Restriction: not a single request to the provider.
            return await self._fallback(message, executor, "restricted")
        try:
            return await self._converse(message, executor)
        except ProviderUnavailable as fault:
            log.warning("Claude unavailable, the offline parser answers: %s", fault)
            await executor.discard()  # nothing half-written
            return await self._fallback(message, executor, "unavailable")

    async def _fallback(self, message: Message, executor: Executor, reason: str) -> Interpretation:
        interpretation = await self.fallback.interpret(message, executor)
        return replace(interpretation, fallback_reason=reason)

    async def _converse(self, message: Message, executor: Executor) -> Interpretation:
        system = system_blocks(message)
        tz = ZoneInfo(message.actor.timezone)
        history: list[dict[str, Any]] = [{"role": "user", "content": user_content(message)}]
        done: list[Executed] = []
        text = ""
        for _round in range(self.max_rounds):
            reply = await self._ask(system, history)
            text = reply.text
            if reply.stop_reason != "tool_use" or not reply.uses:
                return Interpretation("claude", shown(done), reply=text or None)
            history.append({"role": "assistant", "content": reply.content})
            results = [await self._run(use, executor, done, tz) for use in reply.uses]
            history.append({"role": "user", "content": results})
        # Out of rounds: keep what ran, tell the user the rest was not done.
        log.info("Claude stopped after %d tool rounds", self.max_rounds)
        return Interpretation("claude", shown(done), reply=text or None, stopped_early=True)

    async def _ask(self, system: list[dict[str, Any]], history: list[dict[str, Any]]) -> Reply:
        try:
            response = await self.client.messages.create(
                model=self.model,
                max_tokens=self.max_tokens,
                system=system,  # type: ignore[arg-type]
                tools=self.tools,  # type: ignore[arg-type]
                messages=history,  # type: ignore[arg-type]
            )
        except (AnthropicError, ValueError) as error:  # ValueError: a body that is not JSON
            raise ProviderUnavailable(f"{type(error).__name__}: {error}") from error
        return read_reply(response)

    async def _run(
        self, use: ToolUse, executor: Executor, done: list[Executed], tz: ZoneInfo
    ) -> dict[str, Any]:
        def result(content: str, is_error: bool) -> dict[str, Any]:
            return {
                "type": "tool_result",
                "tool_use_id": use.id,
                "content": content,
                "is_error": is_error,
            }

        if use.name not in self.registry:
            return result(unknown_tool(use.name), True)
        if not isinstance(use.input, dict):
            return result(NOT_AN_OBJECT, True)
        call = OperationCall(use.name, use.input)
        # A model that loops must not write twice (reads may be repeated harmlessly).
        if self.registry.get(call.name).writes and any(e.call == call for e in done):
            return result(REPEATED, True)
        # The executor validates the arguments with the input model and runs the operation
        # in the user's agency; a destructive one only ever comes back as a Confirmation.
        executed = await executor.run(call)
        done.append(executed)
        return result(*tool_result(executed, max_rows=self.max_rows, tz=tz))


def shown(done: list[Executed]) -> list[Executed]:
    """What the user is shown: what ran and what waits for their confirmation. Errors went
    back to the model, whose answer explains them."""
    return [e for e in done if e.error is None]
