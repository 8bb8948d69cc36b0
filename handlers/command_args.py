"""Slash-command arguments: ``/update_contact C12 phone=06 12 34 56 78 city=Lyon``.

Leading short refs go to their field (C -> contact, P -> property, ...), ``field=value`` pairs
run until the next known field, and the remaining text goes to the operation's positional
field. Only the operation's own field names count as keys, so ``=`` inside a note is text.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from crm_core.operations.common import parse_ref

REF_FIELDS = {"C": "contact", "P": "property", "D": "deal", "R": "reminder"}


class UnexpectedText(ValueError):
    """Free text given to an operation that takes none."""


def parse_command_args(
    text: str, fields: Collection[str], positional: str | None
) -> dict[str, str]:
    args: dict[str, str] = {}
    names = sorted(fields, key=len, reverse=True)
    matches = list(re.finditer(r"(?:^|(?<=\s))(" + "|".join(map(re.escape, names)) + r")=", text))
    for match, following in zip(matches, [*matches[1:], None], strict=False):
        end = following.start() if following else len(text)
        args[match.group(1)] = _unquote(text[match.end() : end].strip())
    head = text[: matches[0].start()] if matches else text
    # Leading refs are taken off word by word; the rest keeps its own spacing and line breaks
    # (a multi-line note stays multi-line).
    while (parts := head.split(maxsplit=1)) and (ref := parse_ref(parts[0])):
        field = REF_FIELDS.get(ref[0])
        if field is None or field not in fields or field in args:
            break
        args[field] = parts[0]
        head = parts[1] if len(parts) > 1 else ""
    rest = head.strip()
    if rest:
        if positional is None or positional in args:
            raise UnexpectedText(rest)
        args[positional] = _unquote(rest)
    return args


def _unquote(value: str) -> str:
    if len(value) >= 2 and (value[0] + value[-1]) in ('""', "''", "«»", "“”"):
        return value[1:-1].strip()
    return value
