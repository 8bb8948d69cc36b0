"""The Notifier with aiogram: renders notices in the recipient's language and sends them,
paced under Telegram's limits, turning Bot API faults into delivery outcomes; and the
middleware that hands an update's committed changes (deals, listings) to it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from html import escape
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup, TelegramObject
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from crm_core.db import Database
from crm_core.notices import DealChangeNotice, DigestNotice, ListingMatchNotice, ReminderNotice
from crm_core.service import CrmService
from crm_core.views import RecordLink
from handlers import labels
from handlers.render import (
    Formatter,
    Reply,
    deal_line,
    link_text,
    match_point,
    op_button,
    open_button,
    open_buttons,
    property_line,
    reminder_line,
    split_text,
)
from scheduler.deals import notify_deal_changes
from scheduler.notifier import Delivery, Notifier, Outcome
from scheduler.pacing import RateLimiter

log = logging.getLogger(__name__)


def phone_link(e164: str) -> str:
    """The number in international groups. Telegram's HTML links take http(s) and tg:// only;
    its apps make a number written like this tap-to-call by themselves."""
    return Formatter.phone(e164)


def reminder_message(notice: ReminderNotice) -> Reply:
    fmt = Formatter(notice.recipient.actor)
    reminder = notice.reminder
    lines = [f"⏰ <b>{reminder.ref}</b> — {escape(reminder.text)}"]
    if notice.late:
        lines.append(_("⚠️ Late: this was due {when}.").format(when=fmt.when(reminder.due_at)))
    else:
        lines.append(fmt.when(reminder.due_at))
    if notice.contact:
        contact = notice.contact
        phone = f" — 📞 {phone_link(contact.phone)}" if contact.phone else ""
        lines.append(f"👤 {contact.ref} · {escape(contact.name)}{phone}")
    if notice.property:
        prop = notice.property
        where = f" — {escape(prop.city)}" if prop.city else ""
        lines.append(f"🏠 {prop.ref} · {escape(prop.title)}{where}")
    if notice.deal:
        lines.append(f"🤝 {deal_line(notice.deal, fmt)}")
    if reminder.recurrence:
        lines.append(f"🔁 {labels.choice(reminder.recurrence)}")
    # The same callback data as the reminder card: the buttons go through the usual handlers.
    buttons = [
        [
            op_button(_("✅ Done"), "complete_reminder", reminder.ref),
            op_button(_("⏰ +1 h"), "snooze_reminder", reminder.ref, "until=1h"),
            op_button(_("🌅 Tomorrow 9:00"), "snooze_reminder", reminder.ref, "until=t9"),
        ],
        *open_buttons(reminder.links),
    ]
    return Reply("\n".join(lines), buttons)


def digest_message(notice: DigestNotice) -> Reply:
    fmt = Formatter(notice.recipient.actor)
    agenda = notice.agenda
    lines = [_("☀️ <b>Your day</b> — {day}").format(day=fmt.day(notice.day))]
    if agenda.overdue:
        lines += ["", _("<i>Overdue</i>"), *(reminder_line(r, fmt) for r in agenda.overdue)]
    if agenda.reminders:
        lines += ["", _("<i>Reminders</i>"), *(reminder_line(r, fmt) for r in agenda.reminders)]
    if notice.stale_deals:
        lines += [
            "",
            _("<i>Deals not moved for {days} days</i>").format(days=notice.stale_days),
            *(deal_line(d, fmt) for d in notice.stale_deals),
        ]
    lines += ["", _("/digest off stops this message; /digest 07:30 moves it.")]
    links = [RecordLink(ref=d.ref, label=d.title or d.contact.label) for d in notice.stale_deals]
    return Reply("\n".join(lines), open_buttons(links[:6]))


def deal_change_message(notice: DealChangeNotice) -> Reply:
    fmt = Formatter(notice.recipient.actor)
    deal = notice.deal
    link = RecordLink(ref=deal.ref, label=deal.title or deal.contact.label)
    lines = [
        _("🤝 {deal} was updated by {name}").format(
            deal=f"<b>{link_text(link)}</b>", name=escape(notice.changed_by)
        )
    ]
    if notice.old_stage is not None:
        lines.append(
            _("Stage: <b>{stage}</b>").format(
                stage=f"{labels.choice(notice.old_stage)} → {labels.choice(deal.stage)}"
            )
        )
    if notice.amount_changed:
        old = fmt.money(notice.old_amount) or "—"
        new = fmt.money(deal.amount) or "—"
        lines.append(_("Amount: {amount}").format(amount=f"{old} → {new}"))
    return Reply("\n".join(lines), [[open_button(link)]])


def listing_match_message(notice: ListingMatchNotice) -> Reply:
    fmt = Formatter(notice.recipient.actor)
    prop = notice.property
    link = RecordLink(ref=prop.ref, label=prop.title)
    name = f"<b>{link_text(link)}</b>"
    if notice.kind == "price_drop":
        head = _("📉 Price drop on {property}: {old} → {new}. It fits your clients:").format(
            property=name, old=fmt.money(notice.old_price), new=fmt.money(prop.price)
        )
    elif notice.kind == "available":
        head = _("🏠 {property} is available again and fits your clients:").format(property=name)
    else:
        head = _("🏠 New listing {property} fits your clients:").format(property=name)
    lines = [head, property_line(prop, fmt)]
    for match in notice.matches:
        misses = ", ".join(match_point(p, fmt, miss=True) for p in match.misses)
        lines.append(
            f"• <b>{match.contact.ref}</b> {escape(match.contact.name)} — {match.score}/100"
            + (f" ({misses})" if misses else "")
        )
    clients = [RecordLink(ref=m.contact.ref, label=m.contact.name) for m in notice.matches]
    buttons = [
        [open_button(link), op_button(_("👥 Matching clients"), "match_contacts", prop.ref)],
        *open_buttons(clients),
    ]
    return Reply("\n".join(lines), buttons)


class AiogramNotifier:
    def __init__(self, bot: Bot, i18n: I18n, limiter: RateLimiter | None = None) -> None:
        self.bot = bot
        self.i18n = i18n
        self.limiter = limiter or RateLimiter()

    async def send_reminder(self, notice: ReminderNotice) -> Outcome:
        with self.i18n.context(), self.i18n.use_locale(notice.recipient.locale):
            reply = reminder_message(notice)
        return await self.send(notice.recipient.telegram_id, reply)

    async def send_digest(self, notice: DigestNotice) -> Outcome:
        with self.i18n.context(), self.i18n.use_locale(notice.recipient.locale):
            reply = digest_message(notice)
        return await self.send(notice.recipient.telegram_id, reply)

    async def send_deal_change(self, notice: DealChangeNotice) -> Outcome:
        with self.i18n.context(), self.i18n.use_locale(notice.recipient.locale):
            reply = deal_change_message(notice)
        return await self.send(notice.recipient.telegram_id, reply)

    async def send_listing_match(self, notice: ListingMatchNotice) -> Outcome:
        with self.i18n.context(), self.i18n.use_locale(notice.recipient.locale):
            reply = listing_match_message(notice)
        return await self.send(notice.recipient.telegram_id, reply)

    async def send(self, chat_id: int, reply: Reply) -> Outcome:
        """Send a reply (split under the size limit), one paced message at a time."""
        chunks = split_text(reply.text)
        for index, chunk in enumerate(chunks):
            markup = reply.markup if index == len(chunks) - 1 else None
            await self.limiter.wait(chat_id)
            outcome = await self._send_one(chat_id, chunk, markup)
            if outcome.status is not Delivery.SENT:
                return outcome
        return Outcome.sent()

    async def _send_one(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> Outcome:
        try:
            await self.bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramRetryAfter as error:  # 429: the server says how long to wait
            return Outcome.retry(float(error.retry_after))
        except TelegramForbiddenError:  # 403: blocked by the user, or deactivated
            return Outcome.unreachable()
        except TelegramBadRequest as error:  # 400: this message will never go through
            log.warning("Telegram refused a message to %s: %s", chat_id, error.message)
            return Outcome.failed()
        except TelegramNetworkError:
            return Outcome.retry()
        except TelegramAPIError as error:  # 5xx and the rest: passing, try again later
            log.warning("Telegram error sending to %s: %s", chat_id, error.message)
            return Outcome.retry()
        return Outcome.sent()


class DealEventsMiddleware(BaseMiddleware):
    """After an update's handler, tell others what its committed operations changed (a deal's
    stage or amount, a listing that fits clients). Registered inside the member middleware, so
    the CRM service is known."""

    def __init__(
        self,
        db: Database,
        i18n: I18n,
        clock: Callable[[], datetime],
        notifier: Notifier | None = None,
    ) -> None:
        self.db = db
        self.i18n = i18n
        self.clock = clock
        self.notifier = notifier

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        crm: CrmService | None = data.get("crm")
        events = crm.take_events() if crm is not None else []
        if events:
            if self.notifier is None:  # built on first use: the Bot is known only now
                self.notifier = AiogramNotifier(data["bot"], self.i18n)
            try:
                await notify_deal_changes(self.db, self.notifier, events, self.clock())
            except Exception:  # the user's own action succeeded; telling others is best effort
                log.warning("deal notifications failed", exc_info=True)
        return result
