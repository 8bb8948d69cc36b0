"""``python -m nlu parse "<text>" [--lang fr] [--now ISO] [--tz Europe/Paris]``: the offline
parser's calls as JSON. Without a text, one message per stdin line -> one JSON list per line,
so a whole corpus is parsed in one process."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from crm_core.context import Actor
from crm_core.models import Role
from nlu.interpreter import Message
from nlu.rules import parse


def _now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise SystemExit("--now needs an offset, e.g. 2026-12-04T10:00:00+01:00")
    return moment.astimezone(UTC)


def _line(text: str, actor: Actor, now: datetime) -> str:
    calls = parse(Message(text, actor, now))
    return json.dumps([c.as_json() for c in calls], ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu")
    commands = parser.add_subparsers(dest="command", required=True)
    parse_cmd = commands.add_parser("parse", help="print the operation calls of a message")
    parse_cmd.add_argument("text", nargs="?", help="the message; stdin lines when omitted")
    parse_cmd.add_argument("--lang", default="en", help="a hint: en or fr")
    parse_cmd.add_argument("--now", help="ISO 8601 with offset; default: the current time")
    parse_cmd.add_argument("--tz", default="Europe/Paris")
    args = parser.parse_args(argv)
    actor = Actor(user_id=0, agency_id=0, role=Role.AGENT, timezone=args.tz, locale=args.lang)
    now = _now(args.now)
    if args.text is not None:
        print(_line(args.text, actor, now))
        return 0
    for line in sys.stdin:
        print(_line(line.rstrip("\n"), actor, now), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
