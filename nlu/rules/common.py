"""What every intent rule shares: the clause being read, the scope, the agent's clock."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nlu.interpreter import OperationCall
from nlu.rules.clauses import Clause
from nlu.rules.references import Scope, name_at
from nlu.rules.text import Text


@dataclass
class Reading:
    clause: Clause
    scope: Scope
    tz: str
    now: datetime

    @property
    def low(self) -> str:
        return self.clause.low


Rule = Callable[[Reading], list[OperationCall] | None]


def call(operation: str, /, **args: Any) -> OperationCall:
    """A call with the arguments that were found (None means not said)."""
    return OperationCall(operation, {k: v for k, v in args.items() if v is not None and v != ""})


def words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])")


def name_after(text: Text, pattern: re.Pattern[str]) -> str | None:
    """The name right after the first match of ``pattern`` ("call Marie" -> "Marie")."""
    for match in pattern.finditer(text.low):
        gap = re.match(r"[ ,:-]*", text.raw[match.end() :])
        if gap and "," in gap[0]:
            continue  # a name does not start past a comma ("pour D4, date de ...")
        found = name_at(text, match.end(), capital=True)
        if found and _VERB_AFTER_TO.search(match[0]) and _ARTICLE.match(text.low, found[1]):
            continue  # "to Chase the notary", "to Review my files": a verb, not a person
        if found:
            return found[0]
    return None


_VERB_AFTER_TO = re.compile(r"(?:^|\s)to$")
_ARTICLE = re.compile(r"\s*(?:the|a|an|my|his|her|their|our|all|some|this|these|those)\s")


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
