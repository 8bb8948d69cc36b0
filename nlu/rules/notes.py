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
# "Lucas Petit note : divorce en cours", "D3 nb - ...": the record first, then the note.
_AFTER_SUBJECT = re.compile(r"\s*(?:notes?|nb|memo)(?![\w])\s*(?:[:—–-]\s*)?")
_KINDS = {"C": "contact", "P": "property", "D": "deal"}


def _subject_first(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    ref = next((f for f in clause.refs if not clause.low[: f.start].strip()), None)
    named = None if ref else name_at(clause.text, 0, max_words=3, capital=True)
    end = ref.end if ref else (named[1] if named else None)
    after = _AFTER_SUBJECT.match(clause.low, end) if end is not None else None
    if after is None:
        return None
    text = tidy(clause.text.raw[after.end() :])
    if not text:
        return None
    if ref is not None:
        kind = _KINDS.get(str(ref.value)[0])
        return [call("add_note", text=text, **{kind: str(ref.value)})] if kind else None
    assert named is not None
    known = reading.scope.named(named[0])
    return [call("add_note", text=text, contact=known.ref if known else named[0])]


def add(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    match = _NOTE.match(clause.low)
    if match is None:
        return _subject_first(reading)
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
