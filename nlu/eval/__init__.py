"""Scoring an interpreter against the evaluation corpus (``nlu/eval/corpus.jsonl``).

Each corpus line is a message an agent might type, with the operation calls it means.
The scores, per message, overall and per language:

* **Intent accuracy**: the multiset of operation names produced equals the expected one.
  A message that expects ``[]`` (chit-chat, a question outside the CRM, a fragment) is right
  only when nothing at all is produced.
* **Argument accuracy**: over the messages whose intent is right, the fraction of arguments
  that are right. Each expected call is paired with a produced call of the same name (the
  pairing that gets the most arguments right); every expected argument counts once, and so
  does every argument the produced call has and the expected one lacks (always wrong).
  Equality after normalisation:

  - datetimes (``due_at``, ``until``, ``occurred_at``) are the same instant, whatever the
    offset they are written with; a naive datetime is never right;
  - free text (``text``, ``summary``, ``notes``, ``description``, ``title``, ``query``,
    ``source``) is right when the Jaccard overlap of the two sets of words (after
    :func:`crm_core.values.search_key`) is at least 60 %;
  - phones are compared on their digits and ``+``; numbers numerically; short refs (``C12``,
    ``#c-12``) as refs; other strings (names, cities, enums) on their words, accents and
    case removed ("Jean-Pierre Hélie" = "jean pierre helie").

  An argument equal to the operation's default (``list_reminders`` period ``upcoming``,
  ``agenda`` day = the message's own day) or ``None`` means the same as no argument and is
  dropped from both sides.
* **Wrong writes**: produced calls of a write operation beyond the expected ones (a write where
  nothing, or something else, was expected). The number that matters most: a wrong read costs
  the agent a retry, a wrong write changes their CRM. Destructive ones are counted apart.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crm_core.operations.common import parse_ref
from crm_core.values import search_key
from nlu.interpreter import OperationCall

CORPUS = Path(__file__).with_name("corpus.jsonl")
LANGUAGES = ("fr", "en")
REQUIRED_KEYS = frozenset({"id", "lang", "text", "now", "tz", "expected"})

FREE_TEXT = frozenset({"text", "summary", "notes", "description", "title", "query", "source"})
DATETIMES = frozenset({"due_at", "until", "occurred_at"})
JACCARD_MIN = 0.6

# Catalogue operations (DESIGN.md) that the registry does not hold yet: name -> arguments.
# None of them writes to the CRM.
CATALOGUE_ONLY: Mapping[str, frozenset[str]] = {
    "match_properties": frozenset({"contact"}),
    "match_contacts": frozenset({"property"}),
    "score_lead": frozenset({"contact"}),
    "write_description": frozenset({"property", "tone", "language"}),
}


@dataclass(frozen=True)
class Case:
    """One corpus line."""

    id: str
    lang: str
    text: str
    now: datetime  # aware
    tz: str
    recent: tuple[tuple[str, str], ...]
    expected: tuple[OperationCall, ...]

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> Case:
        return cls(
            id=row["id"],
            lang=row["lang"],
            text=row["text"],
            now=datetime.fromisoformat(row["now"]),
            tz=row["tz"],
            recent=tuple((ref, label) for ref, label in row.get("recent", ())),
            expected=tuple(OperationCall(c["name"], dict(c["input"])) for c in row["expected"]),
        )


def load_corpus(path: Path = CORPUS) -> list[Case]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Case.from_json(json.loads(line)) for line in lines if line.strip()]


# --- comparing one argument ------------------------------------------------------------------


def words(value: str) -> list[str]:
    return re.findall(r"\w+", search_key(value))


def jaccard(a: str, b: str) -> float:
    left, right = set(words(a)), set(words(b))
    if not left and not right:
        return 1.0
    return len(left & right) / len(left | right)


def _instant(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(" ", "").replace(",", "."))
        except ValueError:
            return None
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return value


def values_equal(name: str, expected: Any, got: Any) -> bool:
    """Whether the produced value of argument ``name`` means the expected one."""
    if name in DATETIMES:
        want, have = _instant(expected), _instant(got)
        return want is not None and have is not None and want == have
    expected, got = _plain(expected), _plain(got)
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return _number(got) == float(expected)
    if not isinstance(expected, str) or not isinstance(got, str):
        return expected == got
    if name in FREE_TEXT:
        return jaccard(expected, got) >= JACCARD_MIN
    if name == "phone":
        return re.sub(r"[^\d+]", "", expected) == re.sub(r"[^\d+]", "", got)
    want_ref, have_ref = parse_ref(expected), parse_ref(got)
    if want_ref and have_ref:
        return want_ref == have_ref
    return words(expected) == words(got)


# --- comparing calls -------------------------------------------------------------------------


def drop_defaults(call: OperationCall, case: Case) -> dict[str, Any]:
    """The call's arguments without ``None`` and without values equal to the default."""
    args = {key: value for key, value in call.input.items() if value is not None}
    if call.name == "list_reminders" and _plain(args.get("period")) == "upcoming":
        del args["period"]
    if call.name == "agenda" and "day" in args:
        today = case.now.astimezone(ZoneInfo(case.tz)).date().isoformat()
        if str(_plain(args["day"]))[:10] == today:
            del args["day"]
    return args


def argument_score(expected: Mapping[str, Any], got: Mapping[str, Any]) -> tuple[int, list[str]]:
    """(right, wrong names) for one pair of calls: every expected argument is counted, and so
    is every extra produced one (always wrong)."""
    right = [key for key, value in expected.items() if values_equal(key, value, got.get(key))]
    wrong = [key for key in expected.keys() | got.keys() if key not in right]
    return len(right), sorted(wrong)


def intent_correct(expected: Sequence[OperationCall], got: Sequence[OperationCall]) -> bool:
    return Counter(c.name for c in expected) == Counter(c.name for c in got)


def pair_arguments(case: Case, got: Sequence[OperationCall]) -> tuple[int, list[str]]:
    """(right, wrong names) over all calls of a message whose intent is correct."""
    right, wrong = 0, []
    for name in sorted({c.name for c in case.expected}):
        wanted = [drop_defaults(c, case) for c in case.expected if c.name == name]
        produced = [drop_defaults(c, case) for c in got if c.name == name]
        best = max(
            (
                [argument_score(w, p) for w, p in zip(wanted, order, strict=True)]
                for order in itertools.permutations(produced)
            ),
            key=lambda scores: (sum(r for r, _ in scores), -sum(len(w) for _, w in scores)),
        )
        right += sum(r for r, _ in best)
        wrong += [f"{name}.{key}" for _, keys in best for key in keys]
    return right, wrong


def wrong_writes(
    expected: Sequence[OperationCall], got: Sequence[OperationCall], writes: Iterable[str]
) -> list[str]:
    """Names of the produced write calls that the expected calls do not account for."""
    write_names = set(writes)
    surplus = Counter(c.name for c in got if c.name in write_names) - Counter(
        c.name for c in expected
    )
    return sorted(surplus.elements())


# --- tallies ---------------------------------------------------------------------------------


@dataclass
class Failure:
    case: Case
    got: list[OperationCall]
    reason: str  # "intent", or the wrong arguments ("add_contact.role, add_contact.city")


@dataclass
class Tally:
    messages: int = 0
    intents_right: int = 0
    arguments_right: int = 0
    arguments_counted: int = 0
    wrong_writes: int = 0
    wrong_destructive: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intents_right / self.messages if self.messages else 0.0

    @property
    def argument_accuracy(self) -> float:
        return self.arguments_right / self.arguments_counted if self.arguments_counted else 0.0


def score(
    cases: Sequence[Case],
    results: Sequence[Sequence[OperationCall]],
    writes: Iterable[str],
    destructive: Iterable[str] = (),
) -> dict[str, Tally]:
    """Tallies for ``"all"`` and for each language; ``results[i]`` is what ``cases[i]`` got."""
    write_names, destructive_names = frozenset(writes), frozenset(destructive)
    tallies = {"all": Tally(), **{lang: Tally() for lang in LANGUAGES}}
    for case, produced in zip(cases, results, strict=True):
        got = list(produced)
        mistakes = wrong_writes(case.expected, got, write_names)
        right, wrong = 0, []
        intent = intent_correct(case.expected, got)
        if intent:
            right, wrong = pair_arguments(case, got)
        for tally in (tallies["all"], tallies.setdefault(case.lang, Tally())):
            tally.messages += 1
            tally.intents_right += intent
            tally.arguments_right += right
            tally.arguments_counted += right + len(wrong)
            tally.wrong_writes += len(mistakes)
            tally.wrong_destructive += sum(1 for name in mistakes if name in destructive_names)
            if not intent:
                tally.failures.append(Failure(case, got, "intent"))
            elif wrong:
                tally.failures.append(Failure(case, got, ", ".join(wrong)))
    return tallies
