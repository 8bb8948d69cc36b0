"""The interpreter protocol that the chat handler talks to.

An interpreter reads one message and returns the operation calls it means, with the
registry's names and arguments (the same contract as the Claude tools). The rule parser and
the Claude agent of the NLU issue implement it; until then :class:`NoInterpreter` answers
that it did not understand, and the bot points at the commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from crm_core.context import Actor


@dataclass(frozen=True)
class OperationCall:
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Interpretation:
    calls: list[OperationCall] = field(default_factory=list)
    engine: str = "none"  # which interpreter answered: "none", "rules", "claude"

    @property
    def understood(self) -> bool:
        return bool(self.calls)


class Interpreter(Protocol):
    async def interpret(self, text: str, *, actor: Actor, now: datetime) -> Interpretation: ...


class NoInterpreter:
    """Understands nothing: free text gets a helpful pointer to the commands."""

    async def interpret(self, text: str, *, actor: Actor, now: datetime) -> Interpretation:
        return Interpretation()
