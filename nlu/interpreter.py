"""The contract between the chat and whatever reads free text.

The chat handler gives an interpreter the message (a :class:`Message`: text, who, when, the
records recently mentioned) and an :class:`Executor` that runs operation calls in the
member's agency. The interpreter decides which calls the message means and runs them through
the executor (the rule parser runs what it parsed; the Claude agent runs tools as the model
calls them and reads their results). The handler renders what was executed afterwards, so an
interpreter that fails halfway can ``discard()`` its work and leave nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from crm_core.context import Actor
from crm_core.errors import CrmError


@dataclass(frozen=True)
class OperationCall:
    """One operation with the registry's name and the catalogue's argument names."""

    name: str
    input: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "input": self.input}


@dataclass(frozen=True)
class Mention:
    """A record the conversation recently showed or touched ("call her" means the last one)."""

    ref: str  # C12, P3, D2, R4
    label: str

    @property
    def kind(self) -> str:
        return {"C": "contact", "P": "property", "D": "deal", "R": "reminder"}.get(
            self.ref[:1], "record"
        )


@dataclass(frozen=True)
class Message:
    text: str
    actor: Actor
    now: datetime  # aware, UTC
    recent: tuple[Mention, ...] = ()  # most recent first


@dataclass
class Executed:
    """A call that went through the executor: its result (a view, or a Confirmation waiting
    for the user's yes) or the domain error it raised."""

    call: OperationCall
    result: Any = None
    error: CrmError | None = None


class Executor(Protocol):
    async def run(self, call: OperationCall) -> Executed: ...

    async def discard(self) -> None:
        """Undo every call run so far for this message and forget their results."""


@dataclass
class Interpretation:
    engine: str  # "rules" or "claude"; "none" when nothing was understood
    executed: list[Executed] = field(default_factory=list)
    reply: str | None = None  # the interpreter's own words for the user (Claude's answer)
    fallback_reason: str | None = None  # why the rules answered instead of Claude
    # The step limit was hit: what ran is kept, the rest of the request was not done.
    stopped_early: bool = False

    @property
    def understood(self) -> bool:
        return bool(self.executed) or bool(self.reply)


class Interpreter(Protocol):
    async def interpret(self, message: Message, executor: Executor) -> Interpretation: ...


class NoInterpreter:
    """Understands nothing: free text gets a helpful pointer to the commands."""

    async def interpret(self, message: Message, executor: Executor) -> Interpretation:
        return Interpretation(engine="none")
