"""Domain errors. Each carries what the presentation layer needs to explain it to a person;
none carries text of another agency."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class CrmError(Exception):
    """Base of the errors a user can cause; the message is for logs, never shown as is."""


@dataclass
class NotFound(CrmError):
    """No record of the acting agency matches (records of other agencies look the same)."""

    kind: str  # "contact", "property", ...
    reference: str


@dataclass
class Candidate:
    ref: str
    label: str


@dataclass
class Ambiguous(CrmError):
    """Several records match a reference: the user picks one."""

    field: str
    reference: str
    candidates: list[Candidate]


@dataclass
class InvalidInput(CrmError):
    """Arguments that do not validate. ``problems`` are (field, code, params) triples."""

    problems: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Forbidden(CrmError):
    """The acting user's role may not run this operation."""

    operation: str


@dataclass
class Conflict(CrmError):
    """The action does not fit the record's state (e.g. completing a cancelled reminder)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class UnknownOperation(CrmError):
    name: str
