"""CSV text -> a table of cells: separator guessed from the header line (comma, semicolon as
French Excel writes, or tab), blank rows dropped, size bounded."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from crm_core.csv_safety import looks_like_formula
from crm_core.imports import MAX_ROWS, ImportProblem

SEPARATORS = (",", ";", "\t")
MAX_CELL = 10_000


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line in the file, cells)
    separator: str

    def formula_cells(self) -> int:
        """Cells a spreadsheet would run as formulas (they are imported as plain text)."""
        return sum(1 for _line, cells in self.rows for cell in cells if looks_like_formula(cell))


def _separator(header_line: str) -> str:
    counts = {sep: _count_outside_quotes(header_line, sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _count_outside_quotes(line: str, sep: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            count += 1
    return count


def parse_csv(text: str, *, max_rows: int = MAX_ROWS) -> Table:
    lines = text.lstrip("\ufeff").splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise ImportProblem("empty")
    separator = _separator(first)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=separator, strict=True)
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if any(len(cell) > MAX_CELL for cell in cells):
                raise ImportProblem("cell_too_long", line=reader.line_num, limit=MAX_CELL)
            if headers is None:
                headers = [cell.strip() for cell in cells]
                continue
            if len(rows) >= max_rows:
                raise ImportProblem("too_many_rows", limit=max_rows)
            rows.append((reader.line_num, [cell.strip() for cell in cells]))
    except csv.Error:
        raise ImportProblem("csv_broken", line=reader.line_num) from None
    if headers is None or (len(headers) < 2 and not rows):
        raise ImportProblem("no_columns")
    return Table(headers=headers, rows=rows, separator=separator)
