"""The offline parser: rules that read French and English CRM messages into the same operation
calls as the Claude tools. Serves when there is no API key, when AI processing is off, and when
the API fails."""

from __future__ import annotations

from nlu.interpreter import Executor, Interpretation, Message, OperationCall


def parse(message: Message) -> list[OperationCall]:
    """The operation calls `message` means, or [] when it is not understood."""
    return []


class RuleInterpreter:
    async def interpret(self, message: Message, executor: Executor) -> Interpretation:
        calls = parse(message)
        if not calls:
            return Interpretation(engine="none")
        return Interpretation(engine="rules", executed=[await executor.run(c) for c in calls])
