"""The offline parser: rules that read French and English CRM messages into the same operation
calls as the Claude tools. Serves when there is no API key, when AI processing is off, and when
the API fails.

A message is cut into clauses ("add Marie ... and remind me to call her tomorrow"); each clause
has its entities extracted (crm_core.values parsers), then the first matching intent rule
builds its call. Any clause that is not understood makes the whole message not understood:
half a message done is worse than an honest "I did not get that"."""

from __future__ import annotations

import re
from typing import Any

from crm_core.errors import NotFound
from nlu.interpreter import Executed, Executor, Interpretation, Message, OperationCall
from nlu.rules import clauses
from nlu.rules.common import Reading
from nlu.rules.intents import calls_for
from nlu.rules.references import Scope, label_of
from nlu.rules.text import Text

MAX_CLAUSES = 4
# Links guessed from a typed name (a reminder "to call Paul") may name nobody: the record is
# still worth saving without the link.
SOFT_LINKS = {"add_reminder", "add_note", "log_activity"}
_KINDS = {"C": "contact", "P": "property", "D": "deal", "R": "reminder"}


def parse(message: Message) -> list[OperationCall]:
    """The operation calls `message` means, or [] when it is not understood."""
    text = Text.of(message.text)
    if not text.raw or len(text.raw) > 1000:
        return []
    actor = message.actor
    lang = clauses.language(text) or actor.locale[:2]
    scope = Scope.of(message.recent)
    parts = clauses.split(text)
    if len(parts) > MAX_CLAUSES:
        return []
    calls: list[OperationCall] = []
    for part in parts:
        clause = clauses.read(part, lang, actor.timezone, message.now, actor.country)
        found = calls_for(Reading(clause, scope, actor.timezone, message.now))
        if not found or _left_out(clause.refs, found):
            return []
        calls.extend(found)
        # "D3 en offre et note : ...": a later clause's pronoun or bare note means this record.
        for ref in dict.fromkeys(str(f.value) for f in clause.refs):
            kind = _KINDS.get(ref[0])
            if kind:
                scope.push(kind, ref, label_of(ref, scope))
    return calls


class RuleInterpreter:
    async def interpret(self, message: Message, executor: Executor) -> Interpretation:
        calls = parse(message)
        if not calls:
            return Interpretation(engine="none")
        return Interpretation(engine="rules", executed=[await _run(executor, c) for c in calls])


async def _run(executor: Executor, call: OperationCall) -> Executed:
    executed = await executor.run(call)
    error = executed.error
    if call.name in SOFT_LINKS and isinstance(error, NotFound):
        field = error.kind
        if field in call.input and not _is_ref(str(call.input[field])):
            rest = {k: v for k, v in call.input.items() if k != field}
            return await executor.run(OperationCall(call.name, rest))
    return executed


def _left_out(refs: list[Any], calls: list[OperationCall]) -> bool:
    """A record the clause names that none of its calls uses ("cancel R1 and R2" read as R1
    alone): the clause was only half understood, and half a message is not done."""
    used = " ".join(str(value) for c in calls for value in c.input.values())
    return any(
        not re.search(rf"(?<![\w]){re.escape(str(f.value))}(?![\w])", used, re.IGNORECASE)
        for f in refs
    )


def _is_ref(value: str) -> bool:
    return len(value) > 1 and value[0] in "CPDR" and value[1:].isdigit()
