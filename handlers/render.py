"""Views of the CRM as Telegram messages: HTML-escaped text and inline keyboards."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from crm_core.context import Actor
from crm_core.documents import DocumentList, DocumentView
from crm_core.views import (
    ActivityView,
    Agenda,
    ContactCard,
    ContactList,
    ContactMatches,
    ContactView,
    DealCard,
    DealList,
    DealView,
    DeletionSummary,
    History,
    LeadList,
    LeadScore,
    ListingDescription,
    MatchPoint,
    NoteView,
    PropertyCard,
    PropertyList,
    PropertyMatches,
    PropertyView,
    RecordLink,
    ReminderList,
    ReminderView,
)
from handlers import labels
from handlers.callbacks_data import (
    Describe,
    EditField,
    OpenRecord,
    RunOperation,
    SaveDescription,
    SendDocument,
    StartForm,
)

TELEGRAM_LIMIT = 4096
BUTTON_LABEL = 32


@dataclass
class Reply:
    text: str
    buttons: list[list[InlineKeyboardButton]] = field(default_factory=list)

    @property
    def markup(self) -> InlineKeyboardMarkup | None:
        return InlineKeyboardMarkup(inline_keyboard=self.buttons) if self.buttons else None


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at line breaks (or hard, for one huge line) into chunks Telegram accepts."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            cut = _hard_cut(line, limit)
            chunks.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks


def _hard_cut(line: str, limit: int) -> int:
    """Where to cut a line longer than ``limit``: never inside an HTML entity or tag, which
    Telegram would refuse to parse."""
    opening = max(line.rfind("&", 0, limit), line.rfind("<", 0, limit))
    if opening > 0 and ";" not in line[opening:limit] and ">" not in line[opening:limit]:
        return opening
    return limit


def short(text: str, limit: int = BUTTON_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Formatter:
    """Money, dates and labels in the reader's language and time zone."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.locale = actor.locale
        self.zone = ZoneInfo(actor.timezone)

    def money(self, amount: int | None) -> str:
        if amount is None:
            return ""
        return format_currency(
            amount,
            self.actor.currency,
            locale=self.locale,
            format="#,##0 ¤" if self.locale == "fr" else "¤#,##0",
            currency_digits=False,
        )

    def when(self, moment: datetime) -> str:
        return format_datetime(moment.astimezone(self.zone), "EEE d MMM HH:mm", locale=self.locale)

    def day(self, value: date) -> str:
        return format_date(value, "EEEE d MMMM", locale=self.locale)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    @staticmethod
    def phone(e164: str) -> str:
        """+33612345678 -> "+33 6 12 34 56 78": stored in E.164, read in groups."""
        try:
            number = phonenumbers.parse(e164)
        except phonenumbers.NumberParseException:
            return escape(e164)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def link_text(link: RecordLink) -> str:
    return f"{link.ref} · {escape(link.label)}"


def open_button(link: RecordLink) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=short(f"{link.ref} {link.label}"), callback_data=OpenRecord(ref=link.ref).pack()
    )


def open_buttons(links: Iterable[RecordLink], per_row: int = 2) -> list[list[InlineKeyboardButton]]:
    buttons = [open_button(link) for link in links]
    return [buttons[i : i + per_row] for i in range(len(buttons))[::per_row]]


def deal_links(deals: Iterable[DealView]) -> list[RecordLink]:
    return [RecordLink(ref=d.ref, label=d.title or d.contact.label) for d in deals]


def op_button(text: str, op: str, ref: str, extra: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=RunOperation(op=op, ref=ref, extra=extra).pack()
    )


def form_button(text: str, form: str, ref: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=StartForm(form=form, ref=ref).pack())


# --- one-line summaries -------------------------------------------------------------------


def contact_line(contact: ContactView, fmt: Formatter) -> str:
    parts = [labels.choice(contact.role)]
    if contact.city:
        parts.append(escape(contact.city))
    if contact.budget_max:
        parts.append(_("up to {amount}").format(amount=fmt.money(contact.budget_max)))
    if contact.phone:
        parts.append(fmt.phone(contact.phone))
    return f"<b>{contact.ref}</b> {escape(contact.name)} — " + " · ".join(parts)


def property_facts(prop: PropertyView, fmt: Formatter) -> str:
    parts = [labels.choice(prop.property_type), labels.choice(prop.transaction)]
    if prop.city:
        parts.append(escape(prop.city))
    if prop.surface_m2:
        parts.append(f"{fmt.number(prop.surface_m2)} m²")
    if prop.rooms:
        parts.append(ngettext("{n} room", "{n} rooms", prop.rooms).format(n=prop.rooms))
    if prop.price:
        parts.append(fmt.money(prop.price))
    return " · ".join(parts)


def property_line(prop: PropertyView, fmt: Formatter) -> str:
    status = "" if prop.status == "available" else f" [{labels.choice(prop.status)}]"
    return f"<b>{prop.ref}</b> {escape(prop.title)} — {property_facts(prop, fmt)}{status}"


def deal_line(deal: DealView, fmt: Formatter) -> str:
    amount = f" · {fmt.money(deal.amount)}" if deal.amount else ""
    what = escape(deal.title or deal.contact.label)
    return f"<b>{deal.ref}</b> {what} — {labels.choice(deal.stage)}{amount}"


def reminder_line(reminder: ReminderView, fmt: Formatter) -> str:
    about = "".join(f" ({link.ref})" for link in reminder.links[:1])
    repeat = f" 🔁 {labels.choice(reminder.recurrence)}" if reminder.recurrence else ""
    text = escape(reminder.text)
    return f"<b>{reminder.ref}</b> {fmt.when(reminder.due_at)} — {text}{about}{repeat}"


def note_line(note: NoteView, fmt: Formatter) -> str:
    return f"<b>{note.ref}</b> {fmt.when(note.created_at)} — {escape(note.text)}"


def activity_line(activity: ActivityView, fmt: Formatter) -> str:
    summary = f" — {escape(activity.summary)}" if activity.summary else ""
    kind = labels.choice(activity.kind)
    return f"<b>{activity.ref}</b> {kind} {fmt.when(activity.occurred_at)}{summary}"


# --- cards ----------------------------------------------------------------------------------


def _history_lines(history: History, fmt: Formatter) -> list[str]:
    lines: list[str] = []
    sections: Sequence[tuple[str, Sequence[Any], Any]] = (
        (_("Open deals"), history.deals, deal_line),
        (_("Reminders"), history.reminders, reminder_line),
        (_("Latest notes"), history.notes, note_line),
        (_("Latest activity"), history.activities, activity_line),
    )
    for title, rows, line in sections:
        if rows:
            lines.append("")
            lines.append(f"<i>{title}</i>")
            lines.extend(line(row, fmt) for row in rows)
    return lines


def contact_card(card: ContactCard, fmt: Formatter) -> Reply:
    c = card.contact
    lines = [f"👤 <b>{c.ref} · {escape(c.name)}</b> — {labels.choice(c.role)}"]
    contact_means = [
        f"📞 {fmt.phone(c.phone)}" if c.phone else "",
        f"✉️ {escape(c.email)}" if c.email else "",
    ]
    if any(contact_means):
        lines.append(" ".join(filter(None, contact_means)))
    wants = []
    if c.city:
        wants.append(f"📍 {escape(c.city)}")
    if c.budget_min and c.budget_max:
        wants.append(f"{fmt.money(c.budget_min)} – {fmt.money(c.budget_max)}")
    elif c.budget_max:
        wants.append(_("up to {amount}").format(amount=fmt.money(c.budget_max)))
    elif c.budget_min:
        wants.append(_("from {amount}").format(amount=fmt.money(c.budget_min)))
    if c.property_type:
        wants.append(labels.choice(c.property_type))
    if c.rooms_min:
        wants.append(_("{n}+ rooms").format(n=c.rooms_min))
    if c.surface_min:
        wants.append(_("{n}+ m²").format(n=c.surface_min))
    if wants:
        lines.append(" · ".join(wants))
    if c.source:
        lines.append(_("Source: {source}").format(source=escape(c.source)))
    if c.notes:
        lines.append(f"📝 {escape(c.notes)}")
    lines.extend(_history_lines(card.history, fmt))
    buttons = [
        [
            form_button(_("✏️ Edit"), "edit", c.ref),
            form_button(_("📝 Note"), "note", c.ref),
            form_button(_("⏰ Remind"), "remind", c.ref),
        ],
        [
            form_button(_("📞 Log call"), "call", c.ref),
            form_button(_("🤝 New deal"), "deal", c.ref),
            op_button(_("🗑 Delete"), "delete_contact", c.ref),
        ],
        [
            op_button(_("🔎 Matching listings"), "match_properties", c.ref),
            op_button(_("🔥 Lead score"), "score_lead", c.ref),
        ],
        *open_buttons(deal_links(card.history.deals)),
    ]
    return Reply("\n".join(lines), buttons)


def property_card(card: PropertyCard, fmt: Formatter) -> Reply:
    p = card.property
    lines = [f"🏠 <b>{p.ref} · {escape(p.title)}</b> — {labels.choice(p.status)}"]
    lines.append(property_facts(p, fmt))
    if p.address or p.postcode:
        lines.append("📍 " + escape(", ".join(filter(None, [p.address, p.postcode, p.city]))))
    if p.bedrooms is not None:
        lines.append(ngettext("{n} bedroom", "{n} bedrooms", p.bedrooms).format(n=p.bedrooms))
    if p.owner_contact:
        lines.append(_("Owner: {owner}").format(owner=link_text(p.owner_contact)))
    if p.description:
        lines.append("")
        lines.append(escape(p.description))
    lines.extend(_history_lines(card.history, fmt))
    buttons = [
        [
            form_button(_("✏️ Edit"), "edit", p.ref),
            form_button(_("📝 Note"), "note", p.ref),
            form_button(_("⏰ Remind"), "remind", p.ref),
        ],
        [
            form_button(_("🤝 New deal"), "deal", p.ref),
            form_button(_("🏷 Status"), "status", p.ref),
            op_button(_("🗑 Delete"), "delete_property", p.ref),
        ],
        [
            op_button(_("👥 Matching clients"), "match_contacts", p.ref),
            op_button(_("✍️ Write ad"), "write_description", p.ref),
        ],
    ]
    if p.owner_contact:
        buttons.append([open_button(p.owner_contact)])
    buttons.extend(open_buttons(deal_links(card.history.deals)))
    return Reply("\n".join(lines), buttons)


STAGE_FLOW = ("lead", "visit", "offer", "negotiation", "under_contract", "won", "lost")


def deal_card(card: DealCard, fmt: Formatter) -> Reply:
    d = card.deal
    lines = [f"🤝 <b>{d.ref} · {escape(d.title or d.contact.label)}</b>"]
    lines.append(_("Stage: <b>{stage}</b>").format(stage=labels.choice(d.stage)))
    if d.amount:
        lines.append(_("Amount: {amount}").format(amount=fmt.money(d.amount)))
    lines.append(_("Client: {contact}").format(contact=link_text(d.contact)))
    if d.property:
        lines.append(_("Property: {property}").format(property=link_text(d.property)))
    if d.assigned_to:
        lines.append(_("Agent: {name}").format(name=escape(d.assigned_to)))
    lines.extend(_history_lines(card.history, fmt))
    stages = [
        op_button(labels.choice(stage), "update_deal", d.ref, f"stage={stage}")
        for stage in STAGE_FLOW
        if stage != d.stage
    ]
    buttons = [stages[i : i + 3] for i in range(0, len(stages), 3)]
    buttons.append(
        [
            form_button(_("📝 Note"), "note", d.ref),
            form_button(_("⏰ Remind"), "remind", d.ref),
            form_button(_("💶 Amount"), "amount", d.ref),
        ]
    )
    buttons.append([open_button(d.contact)] + ([open_button(d.property)] if d.property else []))
    return Reply("\n".join(lines), buttons)


def reminder_buttons(reminder: ReminderView) -> list[list[InlineKeyboardButton]]:
    if reminder.status != "pending":
        return []
    return [
        [
            op_button(_("✅ Done"), "complete_reminder", reminder.ref),
            op_button(_("⏰ +1 h"), "snooze_reminder", reminder.ref, "until=1h"),
            op_button(_("🌅 Tomorrow 9:00"), "snooze_reminder", reminder.ref, "until=t9"),
        ],
        [op_button(_("✖️ Cancel"), "cancel_reminder", reminder.ref)],
        *open_buttons(reminder.links),
    ]


def reminder_card(reminder: ReminderView, fmt: Formatter) -> Reply:
    lines = [
        f"⏰ <b>{reminder.ref}</b> — {escape(reminder.text)}",
        f"{fmt.when(reminder.due_at)} · {labels.choice(reminder.status)}",
    ]
    if reminder.recurrence:
        lines.append(f"🔁 {labels.choice(reminder.recurrence)}")
    lines.extend(link_text(link) for link in reminder.links)
    return Reply("\n".join(lines), reminder_buttons(reminder))


# --- lists -----------------------------------------------------------------------------------


def _list(title: str, lines: list[str], links: list[RecordLink], empty: str) -> Reply:
    if not lines:
        return Reply(empty)
    return Reply("\n".join([title, *lines]), open_buttons(links[:10]))


def contact_list(result: ContactList, fmt: Formatter) -> Reply:
    title = _("<b>Contacts</b> ({shown} of {total})").format(
        shown=len(result.items), total=result.total
    )
    return _list(
        title,
        [contact_line(c, fmt) for c in result.items],
        [RecordLink(ref=c.ref, label=c.name) for c in result.items],
        _("No contact found. Add one with /new."),
    )


def property_list(result: PropertyList, fmt: Formatter) -> Reply:
    title = _("<b>Properties</b> ({shown} of {total})").format(
        shown=len(result.items), total=result.total
    )
    return _list(
        title,
        [property_line(p, fmt) for p in result.items],
        [RecordLink(ref=p.ref, label=p.title) for p in result.items],
        _("No property found. Add one with /new."),
    )


def deal_list(result: DealList, fmt: Formatter) -> Reply:
    title = _("<b>Deals</b> ({shown} of {total})").format(
        shown=len(result.items), total=result.total
    )
    return _list(
        title,
        [deal_line(d, fmt) for d in result.items],
        [RecordLink(ref=d.ref, label=d.title or d.contact.label) for d in result.items],
        _("No open deal. Open one from a contact's card or with /new."),
    )


def reminder_list(result: ReminderList, fmt: Formatter) -> Reply:
    title = _("<b>Reminders</b> — {period}").format(period=labels.choice(result.period))
    return _list(
        title,
        [reminder_line(r, fmt) for r in result.items],
        [RecordLink(ref=r.ref, label=r.text) for r in result.items],
        _("No reminder {period}.").format(period=labels.choice(result.period)),
    )


def agenda(result: Agenda, fmt: Formatter) -> Reply:
    lines = [_("📅 <b>{day}</b>").format(day=fmt.day(result.day))]
    if result.overdue:
        lines.append("")
        lines.append(_("<i>Overdue</i>"))
        lines.extend(reminder_line(r, fmt) for r in result.overdue)
    lines.append("")
    if result.reminders:
        lines.append(_("<i>Reminders</i>"))
        lines.extend(reminder_line(r, fmt) for r in result.reminders)
    else:
        lines.append(_("Nothing planned. Set a reminder from a contact's card, or /new."))
    links = [RecordLink(ref=r.ref, label=r.text) for r in [*result.overdue, *result.reminders]]
    return Reply("\n".join(lines), open_buttons(links[:10]))


# --- confirmations of writes ---------------------------------------------------------------


def deletion_question(summary: DeletionSummary) -> str:
    lines = [_("Delete {record}?").format(record=link_text(summary.record))]
    lost = _removed_text(summary.removed)
    if lost:
        lines.append(_("This also deletes: {what}.").format(what=lost))
    lines.append(_("This cannot be undone."))
    return "\n".join(lines)


def _removed_text(removed: dict[str, int]) -> str:
    words = {
        "deals": lambda n: ngettext("{n} deal", "{n} deals", n),
        "notes": lambda n: ngettext("{n} note", "{n} notes", n),
        "activities": lambda n: ngettext("{n} activity", "{n} activities", n),
        "reminders": lambda n: ngettext("{n} reminder", "{n} reminders", n),
    }
    return ", ".join(words[k](n).format(n=n) for k, n in removed.items() if n and k in words)


def deleted(summary: DeletionSummary) -> Reply:
    return Reply(_("🗑 Deleted {record}.").format(record=link_text(summary.record)))


def saved(result: Any, fmt: Formatter, created: bool) -> Reply:
    """A short acknowledgement after a write, with the record's main buttons."""
    if isinstance(result, ContactView):
        head = _("✅ Contact saved:") if created else _("✅ Contact updated:")
        return Reply(
            f"{head}\n{contact_line(result, fmt)}",
            [
                [
                    open_button(RecordLink(ref=result.ref, label=result.name)),
                    form_button(_("⏰ Remind"), "remind", result.ref),
                    form_button(_("🤝 New deal"), "deal", result.ref),
                ]
            ],
        )
    if isinstance(result, PropertyView):
        head = _("✅ Property saved:") if created else _("✅ Property updated:")
        return Reply(
            f"{head}\n{property_line(result, fmt)}",
            [[open_button(RecordLink(ref=result.ref, label=result.title))]],
        )
    if isinstance(result, DealView):
        head = _("✅ Deal saved:") if created else _("✅ Deal updated:")
        return Reply(
            f"{head}\n{deal_line(result, fmt)}",
            [[open_button(RecordLink(ref=result.ref, label=result.title or ""))]],
        )
    if isinstance(result, ReminderView):
        head = _("⏰ Reminder set:") if created else _("⏰ Reminder updated:")
        # Done or cancelled: say so, the line alone would look like the pending reminder.
        status = f" · {labels.choice(result.status)}" if result.status != "pending" else ""
        return Reply(
            f"{head}\n{reminder_line(result, fmt)}{status}",
            reminder_buttons(result) if not created else open_buttons(result.links),
        )
    if isinstance(result, NoteView):
        return Reply(
            _("📝 Note saved:") + f"\n{note_line(result, fmt)}", open_buttons(result.links)
        )
    if isinstance(result, ActivityView):
        return Reply(
            _("✅ Logged:") + f"\n{activity_line(result, fmt)}", open_buttons(result.links)
        )
    raise TypeError(f"no rendering for {type(result).__name__}")


# --- matches, lead scores, listing texts ----------------------------------------------------


def match_point(point: MatchPoint, fmt: Formatter, *, miss: bool) -> str:
    """One reason (``miss=False``) or miss, in the reader's language."""
    p = point.params
    if point.code == "type" and miss:
        return _("{type}, not {wanted}").format(
            type=labels.choice(str(p.get("type"))), wanted=labels.choice(str(p.get("wanted")))
        )
    if point.code == "rooms" and miss:
        return _("{rooms} rooms ({wanted} wanted)").format(rooms=p["rooms"], wanted=p["wanted"])
    texts = {
        "city": lambda: escape(str(p.get("city", ""))),
        "type": lambda: labels.choice(str(p.get("type"))),
        "budget": lambda: _("within budget"),
        "rooms": lambda: ngettext("{n} room", "{n} rooms", int(p["rooms"])).format(n=p["rooms"]),
        "surface": lambda: f"{fmt.number(int(p['surface']))} m²",
        "city_unknown": lambda: _("city not stated"),
        "price_unknown": lambda: _("price not stated"),
        "rooms_unknown": lambda: _("rooms not stated"),
        "surface_unknown": lambda: _("surface not stated"),
        "over_budget": lambda: _("{percent}% over budget").format(percent=p["percent"]),
        "under_budget_min": lambda: _("{percent}% under their minimum budget").format(
            percent=p["percent"]
        ),
        "surface_short": lambda: _("{percent}% smaller than wanted").format(percent=p["percent"]),
    }
    text = texts.get(point.code)
    return text() if text is not None else point.code


def _fit_lines(
    score: int, reasons: list[MatchPoint], misses: list[MatchPoint], fmt: Formatter
) -> str:
    parts = [f"<b>{score}%</b>"]
    if reasons:
        parts.append("✓ " + ", ".join(match_point(r, fmt, miss=False) for r in reasons))
    if misses:
        parts.append("✗ " + ", ".join(match_point(m, fmt, miss=True) for m in misses))
    return "   " + " · ".join(parts)


def property_matches(result: PropertyMatches, fmt: Formatter) -> Reply:
    who = link_text(result.contact)
    if result.transaction is None:
        return Reply(
            _(
                "{contact} is a {role}: I match listings for buyers, investors and tenants. "
                "Change their role to find listings for them."
            ).format(contact=who, role=labels.choice(result.role)),
            [[open_button(result.contact)]],
        )
    if not result.items:
        return Reply(
            _("No available listing fits {contact}'s criteria.").format(contact=who),
            [[open_button(result.contact)]],
        )
    lines = [
        _("🔎 <b>Listings for {contact}</b> ({shown} of {total})").format(
            contact=who, shown=len(result.items), total=result.total
        )
    ]
    for match in result.items:
        lines.append(property_line(match.property, fmt))
        lines.append(_fit_lines(match.score, match.reasons, match.misses, fmt))
    links = [RecordLink(ref=m.property.ref, label=m.property.title) for m in result.items]
    return Reply("\n".join(lines), open_buttons(links[:10]))


def contact_matches(result: ContactMatches, fmt: Formatter) -> Reply:
    what = link_text(result.property)
    if not result.items:
        return Reply(
            _("No buyer or tenant of the agency looks for a listing like {property}.").format(
                property=what
            ),
            [[open_button(result.property)]],
        )
    lines = [
        _("👥 <b>Clients for {property}</b> ({shown} of {total})").format(
            property=what, shown=len(result.items), total=result.total
        )
    ]
    for match in result.items:
        lines.append(contact_line(match.contact, fmt))
        lines.append(_fit_lines(match.score, match.reasons, match.misses, fmt))
    links = [RecordLink(ref=m.contact.ref, label=m.contact.name) for m in result.items]
    return Reply("\n".join(lines), open_buttons(links[:10]))


def score_factor(code: str, params: dict[str, Any]) -> str:
    texts = {
        "no_activity": lambda: _("no activity logged"),
        "last_activity": lambda: ngettext(
            "last activity {n} day ago", "last activity {n} days ago", int(params["days"])
        ).format(n=params["days"]),
        "activities": lambda: ngettext(
            "{n} activity in 90 days", "{n} activities in 90 days", int(params["count"])
        ).format(n=params["count"]),
        "no_open_deal": lambda: _("no open deal"),
        "deal_stage": lambda: _("open deal at stage “{stage}”").format(
            stage=labels.choice(str(params["stage"]))
        ),
        "responsive": lambda: ngettext(
            "{n} visit or meeting in 60 days",
            "{n} visits or meetings in 60 days",
            int(params["count"]),
        ).format(n=params["count"]),
        "criteria": lambda: _(
            "{filled} of {of} criteria known (budget, place, type, size, phone or email)"
        ).format(filled=params["filled"], of=params["of"]),
    }
    text = texts.get(code)
    return text() if text is not None else code


def lead_score(result: LeadScore, fmt: Formatter) -> Reply:
    lines = [
        _("🔥 <b>{contact}</b> — lead score <b>{score}</b>/100").format(
            contact=link_text(result.contact), score=result.score
        )
    ]
    for factor in result.factors:
        lines.append(f"+{factor.points} {score_factor(factor.code, factor.params)}")
    lines.append("")
    lines.append(_("<i>Advisory: a way to rank leads, not a decision.</i>"))
    return Reply("\n".join(lines), [[open_button(result.contact)]])


def lead_list(result: LeadList, fmt: Formatter) -> Reply:
    if not result.items:
        return Reply(
            _("No active lead yet: log calls and visits, or open deals, to see them here.")
        )
    lines = [_("🔥 <b>Hottest leads</b>")]
    for item in result.items:
        best = max(item.factors, key=lambda f: f.points, default=None)
        why = f" — {score_factor(best.code, best.params)}" if best and best.points else ""
        lines.append(f"<b>{item.score}</b> · {link_text(item.contact)}{why}")
    lines.append("")
    lines.append(_("<i>Advisory: a way to rank leads, not a decision.</i>"))
    return Reply("\n".join(lines), open_buttons([i.contact for i in result.items][:10]))


TONES = ("standard", "warm", "premium", "concise")
LANGUAGES = ("en", "fr")


def tone_label(tone: str) -> str:
    names = {
        "standard": _("standard"),
        "warm": _("warm"),
        "premium": _("premium"),
        "concise": _("concise"),
    }
    return names.get(tone, tone)


def listing_description(result: ListingDescription, fmt: Formatter) -> Reply:
    # The text comes after the first blank line and nothing follows it: the save button reads
    # it back from this message (see handlers/descriptions.py).
    author = _("✨ written by AI") if result.written_by == "ai" else _("from the template")
    language = "English" if result.language == "en" else "Français"
    about = " · ".join((tone_label(result.tone), language, author))
    head = f"📝 <b>{link_text(result.property)}</b> — {about}"
    ref = result.property.ref
    tones = [
        InlineKeyboardButton(
            text=f"🔄 {tone_label(tone)}",
            callback_data=Describe(ref=ref, tone=tone, lang=result.language).pack(),
        )
        for tone in TONES
        if tone != result.tone
    ]
    other = "fr" if result.language == "en" else "en"
    buttons = [
        tones,
        [
            InlineKeyboardButton(
                text="🔄 Français" if other == "fr" else "🔄 English",
                callback_data=Describe(ref=ref, tone=result.tone, lang=other).pack(),
            ),
            InlineKeyboardButton(
                text=_("💾 Save to the listing"), callback_data=SaveDescription(ref=ref).pack()
            ),
        ],
        [open_button(result.property)],
    ]
    return Reply(f"{head}\n\n{escape(result.text)}", buttons)


def edit_buttons(ref: str, fields: Sequence[str]) -> list[list[InlineKeyboardButton]]:
    buttons = [
        InlineKeyboardButton(
            text=labels.field(name), callback_data=EditField(ref=ref, field=name).pack()
        )
        for name in fields
    ]
    return [buttons[i : i + 3] for i in range(0, len(buttons), 3)]


def render_result(result: Any, fmt: Formatter, *, created: bool = False) -> Reply:
    renderers: dict[type, Any] = {
        PropertyMatches: property_matches,
        ContactMatches: contact_matches,
        LeadScore: lead_score,
        LeadList: lead_list,
        ListingDescription: listing_description,
        ContactCard: contact_card,
        PropertyCard: property_card,
        DealCard: deal_card,
        ContactList: contact_list,
        PropertyList: property_list,
        DealList: deal_list,
        ReminderList: reminder_list,
        Agenda: agenda,
    }
    render = renderers.get(type(result))
    if render is not None:
        return render(result, fmt)  # type: ignore[no-any-return]
    if isinstance(result, DeletionSummary):
        return deleted(result)
    if isinstance(result, DocumentView):  # one document, with its button to get it
        return document_list(DocumentList(record=None, items=[result], total=1))
    if isinstance(result, DocumentList):
        return document_list(result)
    return saved(result, fmt, created)


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return _("{size} MB").format(size=f"{size / (1024 * 1024):.1f}")
    if size >= 1024:
        return _("{size} KB").format(size=size // 1024)
    return _("{size} bytes").format(size=size)


def document_list(result: DocumentList) -> Reply:
    if result.record is not None:
        title = _("📎 Documents of {ref} {label}:").format(
            ref=result.record.ref, label=escape(result.record.label)
        )
    else:
        title = _("📎 Latest documents:")
    if not result.items:
        return Reply(
            _(
                "No documents yet. Send a photo or a file with the record in its caption "
                "(for example P3 or Marie Dupont) to attach it."
            )
        )
    lines = [title]
    for item in result.items:
        on = f" — {item.record.ref}" if item.record and result.record is None else ""
        lines.append(f"{item.ref} {escape(item.name)} · {human_size(item.size)}{on}")
    if result.total > len(result.items):
        lines.append(_("…and {count} more.").format(count=result.total - len(result.items)))
    buttons = [
        [
            InlineKeyboardButton(
                text=short(f"📄 {item.ref} {item.name}", 40),
                callback_data=SendDocument(ref=item.ref).pack(),
            )
        ]
        for item in result.items
    ]
    return Reply("\n".join(lines), buttons)
