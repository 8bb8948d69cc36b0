"""Bringing an agency's existing data in: pure parsers (vCard, CSV) that turn files into rows,
and the runner that creates or updates records from rows through the operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000

Kind = Literal["contacts", "properties"]


class ImportProblem(Exception):
    """A file that cannot be imported at all; ``code`` names the reason for the user."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ImportRow:
    """One record to import: its line in the file and its fields, as the operation's input
    (raw text; the operation's input model validates it)."""

    line: int
    fields: dict[str, str] = field(default_factory=dict)
