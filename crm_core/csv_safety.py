"""Spreadsheet formula injection: a cell such as ``=HYPERLINK("http://evil", "Click")`` is
data to us, but a formula to Excel or LibreOffice when a CSV is opened there.

Imports keep such cells as plain text (nothing here evaluates anything); every CSV the bot
writes goes through :func:`neutralise` so that a spreadsheet shows the text, never runs it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

# What makes a spreadsheet read a cell as a formula (tab and CR too: some strip them first).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# "+33 6 12 34 56 78" or "-12.5": numbers and phone numbers are not formulas.
_NUMBERISH = re.compile(r"^[+-]?[\d\s.,()/]*\d[\d\s.,()/]*$")


def looks_like_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_START) and not _NUMBERISH.match(cell)


def neutralise(value: Any) -> str:
    """The cell as text a spreadsheet shows verbatim: a leading ``'`` before formula starts
    (numbers and phones included: a leading ``'`` is harmless and keeps them as typed)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(rows: Iterable[Iterable[Any]], *, delimiter: str = ",") -> str:
    """CSV text with every cell neutralised; for all of the bot's exports."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
