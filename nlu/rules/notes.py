"""Notes: "note: ...", "ajoute une note pour Marie : ...", "note on P3: ..."."""

from __future__ import annotations

import re

from nlu.interpreter import OperationCall
from nlu.rules.common import Reading, call
from nlu.rules.references import CONTACT_PRONOUN, PROPERTY_PRONOUN, name_at
from nlu.rules.text import tidy

_NOTE = re.compile(
    r"^\s*(?:(?:please|stp)\s+)?(?:(?:add|ajoute|ajouter|write|ecris|mets|put|create|cree)"
    r"\s+(?:a |an |une |un )?)?(?:notes?|nb|memo|remarque|comment(?:aire)?)(?![\w])"
    r"(?:\s+(?:to|for|on|about|pour|sur|a|au|à|de|du|concernant))?"
)
_TARGET_END = re.compile(r"\s*[:—–-]\s*|\s*,\s*")


def add(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = _NOTE.match(clause.low)
    if match is None:
        return None
    raw, low = clause.text.raw, clause.low
    head_end = _TARGET_END.search(low, match.end())
    head = low[match.end() : head_end.start()] if head_end else ""
    body_start = head_end.end() if head_end else match.end()
    text = tidy(raw[body_start:])
    if not text or not head_end:
        return None
    links: dict[str, str | None] = {"contact": None, "property": None, "deal": None}
    for ref in (f.value for f in clause.refs if f.start < body_start):
        links[{"C": "contact", "P": "property", "D": "deal"}.get(str(ref)[0], "x")] = str(ref)
    if not any(links.values()) and head.strip():
        if CONTACT_PRONOUN.search(head) or re.search(r"(?<![\w])(?:her|him|elle|lui)", head):
            target = reading.scope.latest("contact")
            links["contact"] = target.ref if target else None
        elif PROPERTY_PRONOUN.search(head):
            target = reading.scope.latest("property")
            links["property"] = target.ref if target else None
        else:
            found = name_at(clause.text, match.end())
            if found:
                known = reading.scope.named(found[0])
                links["contact"] = known.ref if known else found[0]
    if not any(links.values()):
        # "ajoute une note: ..." right after showing a record: it is about that record.
        target = next(
            (m for m in reading.scope.mentions if m.kind in ("contact", "property", "deal")), None
        )
        if target is not None:
            links[target.kind] = target.ref
    links.pop("x", None)
    return [call("add_note", text=text, **links)]
