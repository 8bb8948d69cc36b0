"""vCard 2.1, 3.0 and 4.0 (RFC 2426, RFC 6350) as phones and Google/Apple/Outlook export them:
many cards per file, folded lines, QUOTED-PRINTABLE and CHARSET parameters (2.1), grouped
properties (``item1.TEL``), ``tel:`` URIs (4.0). Only what a contact needs is read: FN, N, TEL,
EMAIL, ADR, NOTE, ORG; everything else (photos included) is skipped."""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass, field

from crm_core.imports import MAX_ROWS, ImportProblem, ImportRow

MAX_LINE = 100_000
_PARAM_SPLIT = re.compile(r';(?=(?:[^"]*"[^"]*")*[^"]*$)')


@dataclass
class Card:
    line: int = 0
    fn: str | None = None
    family: str | None = None
    given: str | None = None
    org: str | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    note: str | None = None

    @property
    def name(self) -> str | None:
        built = " ".join(p for p in (self.given, self.family) if p)
        return self.fn or built or self.org

    def to_row(self) -> ImportRow:
        fields = {
            "name": self.name,
            "phone": self.phones[0] if self.phones else None,
            "email": self.emails[0] if self.emails else None,
            "city": self.city,
            "notes": self.note,
        }
        return ImportRow(self.line, {k: v for k, v in fields.items() if v})


# --- reading -----------------------------------------------------------------------------


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Unfolded content lines with their first physical line number."""
    physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    result: list[tuple[int, str]] = []
    quoted_printable_open = False
    for number, line in enumerate(physical, start=1):
        if quoted_printable_open and result:
            # vCard 2.1 soft line break: "=" at the end continues the value on the next line.
            start, previous = result[-1]
            result[-1] = (start, previous[:-1] + line)
        elif line[:1] in (" ", "\t") and result:
            start, previous = result[-1]
            result[-1] = (start, previous + line[1:])
        else:
            result.append((number, line))
        current = result[-1][1] if result else ""
        head = current.split(":", 1)[0].upper()
        quoted_printable_open = "QUOTED-PRINTABLE" in head and current.endswith("=")
        if len(current) > MAX_LINE:
            raise ImportProblem("line_too_long", line=result[-1][0])
    return result


def _split_name(line: str) -> tuple[str, dict[str, list[str]], str] | None:
    """``item1.TEL;TYPE=cell:+33...`` -> ("TEL", {"TYPE": ["cell"]}, "+33...")."""
    head, sep, value = _split_unquoted(line, ":")
    if not sep:
        return None
    parts = _PARAM_SPLIT.split(head)
    name = parts[0].rsplit(".", 1)[-1].strip().upper()
    params: dict[str, list[str]] = {}
    for part in parts[1:]:
        key, has_value, raw = part.partition("=")
        if not has_value:  # vCard 2.1 bare parameter: TEL;CELL;PREF or NOTE;QUOTED-PRINTABLE
            key, raw = (
                ("ENCODING", part)
                if part.upper() in ("QUOTED-PRINTABLE", "BASE64", "B")
                else ("TYPE", part)
            )
        items = [v.strip().strip('"') for v in raw.strip().strip('"').split(",")]
        params.setdefault(key.strip().upper(), []).extend(i for i in items if i)
    return name, params, value


def _split_unquoted(line: str, sep: str) -> tuple[str, str, str]:
    quoted = False
    for index, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            return line[:index], sep, line[index + 1 :]
    return line, "", ""


def _decode(value: str, params: dict[str, list[str]]) -> str | None:
    encoding = {e.upper() for e in params.get("ENCODING", [])}
    if encoding & {"BASE64", "B"}:
        return None  # binary (a photo): not something a contact card holds for us
    if "QUOTED-PRINTABLE" in encoding:
        charset = (params.get("CHARSET") or ["utf-8"])[0]
        raw = quopri.decodestring(value.encode("latin-1", "replace"))
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            return raw.decode("latin-1")
    return value


def _components(value: str) -> list[str]:
    """A structured value (N, ADR) split on unescaped ';', each component unescaped."""
    parts, current, escaped = [], [], False
    for ch in value:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ";":
            parts.append(_unescape("".join(current)))
            current = []
        else:
            current.append(ch)
    if escaped:
        current.append("\\")
    parts.append(_unescape("".join(current)))
    return parts


def _unescape(value: str) -> str:
    out, index = [], 0
    while index < len(value):
        ch = value[index]
        if ch == "\\" and index + 1 < len(value):
            nxt = value[index + 1]
            out.append("\n" if nxt in "nN" else nxt)
            index += 2
        else:
            out.append(ch)
            index += 1
    return "".join(out)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _priority(types: list[str], pref: bool) -> int:
    """Preferred number first (2.1/3.0 TYPE=pref, 4.0 PREF=1), then mobiles."""
    lowered = {t.lower() for t in types}
    if pref or "pref" in lowered:
        return 0
    return 1 if lowered & {"cell", "mobile", "iphone"} else 2


def parse_vcards(text: str, *, max_cards: int = MAX_ROWS) -> list[Card]:
    """Every card of ``text``. Lines that are not vCard are ignored; a file with no card at
    all gives an empty list."""
    cards: list[Card] = []
    card: Card | None = None
    phones: list[tuple[int, int, str]] = []
    for number, line in _logical_lines(text):
        parsed = _split_name(line)
        if parsed is None:
            continue
        name, params, raw = parsed
        if name == "BEGIN" and raw.strip().upper() == "VCARD":
            if len(cards) >= max_cards:
                raise ImportProblem("too_many_rows", limit=max_cards)
            card, phones = Card(line=number), []
            continue
        if card is None:
            continue
        if name == "END" and raw.strip().upper() == "VCARD":
            card.phones = [p for _prio, _i, p in sorted(phones)]
            cards.append(card)
            card = None
            continue
        value = _decode(raw, params)
        if value is None:
            continue
        types = params.get("TYPE", [])
        if name == "FN":
            card.fn = _clean(_unescape(value))
        elif name == "N":
            parts = [*_components(value), "", ""]
            card.family, card.given = _clean(parts[0]), _clean(parts[1])
        elif name == "ORG":
            card.org = _clean(_components(value)[0])
        elif name == "TEL":
            phone = _unescape(value)
            if phone[:4].lower() == "tel:":  # 4.0 URI, maybe with ";ext=..."
                phone = phone[4:].split(";", 1)[0]
            if phone := _clean(phone):
                phones.append((_priority(types, "PREF" in params), len(phones), phone))
        elif name == "EMAIL":
            email = _clean(_unescape(value).removeprefix("mailto:"))
            if email:
                card.emails.append(email)
        elif name == "ADR" and card.city is None:
            parts = [*_components(value), *[""] * 7]
            card.street, card.city = _clean(parts[2]), _clean(parts[3])
            card.postcode, card.country = _clean(parts[5]), _clean(parts[6])
        elif name == "NOTE":
            card.note = _clean(_unescape(value))
    if card is not None:  # a last card without END: keep what it said
        card.phones = [p for _prio, _i, p in sorted(phones)]
        cards.append(card)
    return cards


# --- writing (round trips in the tests; an export can use it) ------------------------------


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    chunks = [line[i : i + 74] for i in range(0, len(line), 74)] or [""]
    return "\r\n ".join(chunks)


def _qp(value: str) -> str:
    """Quoted-printable of UTF-8, soft line breaks under 76 characters."""
    out, width = [], 0
    for byte in value.encode("utf-8"):
        token = chr(byte) if 33 <= byte <= 126 and byte != ord("=") else f"={byte:02X}"
        if width + len(token) > 72:
            out.append("=\r\n")
            width = 0
        out.append(token)
        width += len(token)
    return "".join(out)


def _property(name: str, value: str, version: str) -> str:
    if version == "2.1" and (not value.isascii() or "\n" in value or value != value.strip()):
        return f"{name};ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:{_qp(value)}"
    return _fold(f"{name}:{value}")


def to_vcard(card: Card, version: str = "3.0") -> str:
    def esc(value: str | None) -> str:
        return _escape(value or "")

    lines = ["BEGIN:VCARD", f"VERSION:{version}"]
    if card.fn:
        lines.append(_property("FN", esc(card.fn), version))
    if card.family or card.given:
        lines.append(_property("N", f"{esc(card.family)};{esc(card.given)};;;", version))
    if card.org:
        lines.append(_property("ORG", esc(card.org), version))
    for phone in card.phones:
        lines.append(_property("TEL", esc(phone), version))
    for email in card.emails:
        lines.append(_property("EMAIL", esc(email), version))
    if card.street or card.city or card.postcode or card.country:
        adr = f";;{esc(card.street)};{esc(card.city)};;{esc(card.postcode)};{esc(card.country)}"
        lines.append(_property("ADR", adr, version))
    if card.note:
        lines.append(_property("NOTE", esc(card.note), version))
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"
