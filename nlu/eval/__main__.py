"""``python -m nlu.eval [--corpus PATH] [--verbose]``: score the offline rule parser.

Every message is parsed in this process by ``nlu.rules.parse``; the scores are printed
(see :mod:`nlu.eval` for their definitions). The exit code is 0 whatever the scores: this is a
measurement, not a gate.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from crm_core.context import Actor
from crm_core.models import Role
from crm_core.registry import build_registry
from nlu.eval import CORPUS, LANGUAGES, Case, Tally, load_corpus, score
from nlu.interpreter import Mention, Message, OperationCall

Parser = Callable[[Message], Any]


def message_of(case: Case) -> Message:
    actor = Actor(user_id=0, agency_id=0, role=Role.AGENT, timezone=case.tz, locale=case.lang)
    recent = tuple(Mention(ref, label) for ref, label in case.recent)
    return Message(case.text, actor, case.now.astimezone(UTC), recent)


def as_call(value: Any) -> OperationCall:
    if isinstance(value, OperationCall):
        return value
    return OperationCall(value["name"], dict(value.get("input") or {}))


def load_parser() -> Parser | None:
    try:
        from nlu.rules import parse
    except ImportError as error:
        print(f"nlu.rules.parse is not available ({error}): every message counts as []")
        return None
    return parse


def run(parse: Parser | None, cases: Sequence[Case]) -> tuple[list[list[OperationCall]], int]:
    """What the parser produced for each case, and how many messages made it raise."""
    results: list[list[OperationCall]] = []
    errors = 0
    for case in cases:
        if parse is None:
            results.append([])
            continue
        try:
            produced = parse(message_of(case))
            if inspect.isawaitable(produced):
                produced = asyncio.run(produced)
            results.append([as_call(call) for call in produced or ()])
        except Exception as error:
            errors += 1
            results.append([])
            print(f"{case.id}: the parser raised {type(error).__name__}: {error}", file=sys.stderr)
    return results, errors


def _percent(part: float) -> str:
    return f"{100 * part:5.1f}%"


def report(tallies: dict[str, Tally], verbose: bool) -> None:
    print(f"{'':4} {'messages':>8} {'intent':>16} {'arguments':>18} {'wrong writes':>13}")
    for key in ("all", *LANGUAGES):
        t = tallies[key]
        intent = f"{_percent(t.intent_accuracy)} ({t.intents_right}/{t.messages})"
        args = "n/a"
        if t.arguments_counted:
            args = f"{_percent(t.argument_accuracy)} ({t.arguments_right}/{t.arguments_counted})"
        writes = f"{t.wrong_writes} ({t.wrong_destructive} destr.)"
        print(f"{key:4} {t.messages:>8} {intent:>16} {args:>18} {writes:>13}")
    if not verbose:
        return
    print()
    for failure in tallies["all"].failures:
        case = failure.case
        print(f"[{failure.reason}] {case.id}: {case.text}")
        print(f"    expected: {_dump(case.expected)}")
        print(f"    got:      {_dump(failure.got)}")


def _dump(calls: Sequence[OperationCall]) -> str:
    return json.dumps([call.as_json() for call in calls], ensure_ascii=False, default=str)


def main(argv: Sequence[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="python -m nlu.eval", description=__doc__)
    options.add_argument("--corpus", type=Path, default=CORPUS)
    options.add_argument("--verbose", action="store_true", help="list every failure")
    args = options.parse_args(argv)

    cases = load_corpus(args.corpus)
    results, errors = run(load_parser(), cases)
    registry = build_registry()
    tallies = score(
        cases,
        results,
        writes=(op.name for op in registry if op.writes),
        destructive=(op.name for op in registry if op.destructive),
    )
    print(f"corpus: {args.corpus} ({len(cases)} messages), parser: nlu.rules.parse")
    if errors:
        print(f"the parser raised on {errors} messages (counted as [])")
    report(tallies, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
