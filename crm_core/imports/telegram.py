"""A contact shared in Telegram (the paperclip -> Contact) -> one import row."""

from __future__ import annotations

from crm_core.imports import ImportProblem, ImportRow
from crm_core.imports.vcard import parse_vcards


def shared_contact_row(
    first_name: str, last_name: str | None, phone_number: str | None, vcard: str | None
) -> ImportRow:
    phone = (phone_number or "").strip()
    # Telegram sends international numbers without their "+" ("33612345678").
    if phone and phone[0].isdigit() and not phone.startswith("0"):
        phone = "+" + phone
    fields = {"name": " ".join(p for p in (first_name, last_name) if p).strip(), "phone": phone}
    if vcard:  # the sender's card may add an email, a city, a note
        try:
            cards = parse_vcards(vcard, max_cards=1)
        except ImportProblem:
            cards = []
        if cards:
            extra = cards[0].to_row().fields
            for key in ("email", "city", "notes"):
                if key in extra:
                    fields[key] = extra[key]
            fields["name"] = fields["name"] or extra.get("name", "")
    return ImportRow(1, {k: v for k, v in fields.items() if v})
