"""/privacy (the menu of a person's rights), /mydata (access), rectification of the profile,
the restriction / objection / marketing switches, and /privacy_requests for the owner."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import available_timezones

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from crm_core import privacy, values
from crm_core.accounts import Member
from crm_core.errors import CrmError
from crm_core.models import PrivacyKind, PrivacyRequest
from handlers.callbacks_data import Menu
from handlers.filters import IsMember
from handlers.render import Reply
from handlers.replies import error_reply, send

ANSWER = F.text & ~F.text.startswith("/")
LANGUAGES = {"en": "English", "fr": "Français"}


class Rectify(StatesGroup):
    value = State()


def _button(text: str, name: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=Menu(name=name, value=value).pack())


def _on_off(value: bool) -> str:
    return _("on") if value else _("off")


def kind_label(kind: str) -> str:
    labels: dict[str, str] = {
        PrivacyKind.ACCESS: _("access"),
        PrivacyKind.EXPORT: _("export"),
        PrivacyKind.ERASURE: _("erasure"),
        PrivacyKind.RECTIFICATION: _("rectification"),
        PrivacyKind.RESTRICTION: _("restriction"),
        PrivacyKind.OBJECTION: _("objection"),
        PrivacyKind.MARKETING: _("marketing"),
        PrivacyKind.CLIENT_EXPORT: _("client export"),
        PrivacyKind.CLIENT_ERASURE: _("client erasure"),
    }
    return labels.get(kind, kind)


def _day(moment: datetime | None, locale: str) -> str:
    return format_date(moment, "d MMMM y", locale=locale) if moment else "—"


def menu(member: Member, settings: Settings) -> Reply:
    user = member.user
    lines = [
        _("<b>Your privacy</b>"),
        _("Privacy policy version {version}: {url}").format(
            version=escape(settings.privacy_policy_version),
            url=escape(settings.privacy_policy_url),
        ),
        _("Questions or requests: {contact}").format(contact=escape(settings.privacy_contact)),
        "",
        _("/mydata — what we hold about you"),
        _("/export — a ZIP of your data"),
        _("/delete — delete your account (/delete cancel undoes it)"),
        "",
        _(
            "Usage analytics count how often each feature is used and how fast it answers, "
            "never who or what: no names, records or messages."
        ),
    ]
    if member.actor.is_owner:
        lines += [
            _("/client_export C12 · /client_erase C12 — a client's rights"),
            _("/privacy_requests — open requests"),
        ]
    buttons = [
        [_button(_("Edit my profile"), "pv_edit")],
        [
            _button(
                _("AI processing for me: {state}").format(state=_on_off(not user.ai_restricted)),
                "pv_toggle",
                PrivacyKind.RESTRICTION,
            )
        ],
        [
            _button(
                _("Usage analytics: {state}").format(state=_on_off(not user.analytics_opt_out)),
                "pv_toggle",
                PrivacyKind.OBJECTION,
            )
        ],
        [
            _button(
                _("Marketing messages: {state}").format(state=_on_off(user.marketing_opt_in)),
                "pv_toggle",
                PrivacyKind.MARKETING,
            )
        ],
    ]
    if member.actor.is_owner:
        state = _on_off(member.agency.ai_processing)
        buttons.append(
            [
                _button(
                    _("AI processing for the agency: {state}").format(state=state), "pv_agency_ai"
                )
            ]
        )
    return Reply("\n".join(lines), buttons)


def _request_line(request: PrivacyRequest, locale: str) -> str:
    if request.completed_at is not None:
        status = _("done {date}").format(date=_day(request.completed_at, locale))
    else:
        status = _("open, due {date}").format(date=_day(request.due_at, locale))
    return _("• {kind}, {date}: {status}").format(
        kind=kind_label(request.kind), date=_day(request.requested_at, locale), status=status
    )


def access_text(report: privacy.AccessReport) -> str:
    user, locale = report.user, report.user.locale
    role = _("owner") if user.role == "owner" else _("agent")
    lines = [
        _("<b>What we hold about you</b>"),
        _("Name: {value}").format(value=escape(user.name)),
        _("Email: {value}").format(value=escape(user.email or "—")),
        _("Telegram id: {value}").format(value=user.telegram_id),
        _("Language: {value} · time zone: {zone}").format(
            value=LANGUAGES.get(user.locale, user.locale), zone=escape(user.timezone)
        ),
        _("Agency: {agency} ({role})").format(
            agency=escape(report.agency.name if report.agency else "—"), role=role
        ),
        "",
        _("<b>Consents</b>"),
        _("Aged 18 or older, confirmed {date}").format(date=_day(user.adult_confirmed_at, locale)),
        _("Privacy policy {version}, accepted {date}").format(
            version=escape(user.policy_version or "—"), date=_day(user.policy_accepted_at, locale)
        ),
        _("Marketing messages: {state}").format(state=_on_off(user.marketing_opt_in)),
        _("Usage analytics: {state}").format(state=_on_off(not user.analytics_opt_out)),
        _("AI processing: {state}").format(state=_on_off(not user.ai_restricted)),
        "",
        _("<b>Records you created</b>"),
        _(
            "contacts {C} · properties {P} · deals {D} · activities {A} · reminders {R} · "
            "notes {N} · documents {K}"
        ).format(**report.created),
        "",
        _("<b>Your privacy requests</b>"),
    ]
    lines += [_request_line(r, locale) for r in report.requests] or [_("none")]
    if user.deletion_due_at is not None:
        lines += [
            "",
            _("Your account will be deleted on {date}.").format(
                date=_day(user.deletion_due_at, locale)
            ),
        ]
    return "\n".join(lines)


def build_privacy_router() -> Router:
    router = Router(name="privacy")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())

    @router.message(Command("privacy"))
    async def show_menu(message: Message, member: Member, settings: Settings) -> None:
        await send(message, menu(member, settings))

    @router.message(Command("mydata"))
    async def mydata(
        message: Message, member: Member, db_session: AsyncSession, now: datetime
    ) -> None:
        privacy.log_request(db_session, member.user, PrivacyKind.ACCESS, now)
        await db_session.commit()
        report = await privacy.access_report(db_session, member.user)
        await send(message, Reply(access_text(report)))

    @router.callback_query(Menu.filter(F.name == "pv_toggle"))
    async def toggle(
        query: CallbackQuery,
        callback_data: Menu,
        member: Member,
        db_session: AsyncSession,
        now: datetime,
        settings: Settings,
    ) -> None:
        await query.answer()
        if callback_data.value not in (
            PrivacyKind.RESTRICTION,
            PrivacyKind.OBJECTION,
            PrivacyKind.MARKETING,
        ) or not isinstance(query.message, Message):
            return
        await privacy.toggle(db_session, member.user, PrivacyKind(callback_data.value), now)
        await send(query.message, Reply(_("Saved."), menu(member, settings).buttons))

    @router.callback_query(Menu.filter(F.name == "pv_agency_ai"))
    async def agency_ai(
        query: CallbackQuery,
        member: Member,
        db_session: AsyncSession,
        now: datetime,
        settings: Settings,
    ) -> None:
        await query.answer()
        if not isinstance(query.message, Message):
            return
        try:
            await privacy.toggle_agency_ai(db_session, member.user, member.agency, now)
        except CrmError as error:
            await send(query.message, await error_reply(error))
            return
        await send(query.message, Reply(_("Saved."), menu(member, settings).buttons))

    @router.callback_query(Menu.filter(F.name == "pv_edit"))
    async def edit(query: CallbackQuery) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            fields = [
                ("name", _("Name")),
                ("email", _("Email")),
                ("locale", _("Language")),
                ("timezone", _("Time zone")),
            ]
            buttons = [[_button(label, "pv_field", name)] for name, label in fields]
            await send(query.message, Reply(_("What do you want to correct?"), buttons))

    @router.callback_query(Menu.filter(F.name == "pv_field"))
    async def ask_value(query: CallbackQuery, callback_data: Menu, state: FSMContext) -> None:
        await query.answer()
        if not isinstance(query.message, Message):
            return
        field = callback_data.value
        if field == "locale":
            buttons = [[_button(label, "pv_lang", code) for code, label in LANGUAGES.items()]]
            await send(query.message, Reply(_("Which language do you want me to use?"), buttons))
            return
        questions = {
            "name": _("Type your name."),
            "email": _("Type your email address."),
            "timezone": _("Type your time zone (for example Europe/Brussels)."),
        }
        if field not in questions:
            return
        await state.set_state(Rectify.value)
        await state.update_data(rectify=field)
        await query.message.answer(questions[field])

    @router.callback_query(Menu.filter(F.name == "pv_lang"))
    async def language(
        query: CallbackQuery,
        callback_data: Menu,
        member: Member,
        db_session: AsyncSession,
        now: datetime,
    ) -> None:
        await query.answer()
        if callback_data.value in LANGUAGES and isinstance(query.message, Message):
            await privacy.rectify(db_session, member.user, "locale", callback_data.value, now)
            await query.message.answer(_("Saved."))

    @router.message(Rectify.value, ANSWER)
    async def typed_value(
        message: Message,
        state: FSMContext,
        member: Member,
        db_session: AsyncSession,
        now: datetime,
    ) -> None:
        field = (await state.get_data()).get("rectify", "")
        try:
            value = privacy.clean_field(field, message.text or "", frozenset(available_timezones()))
        except values.ValueProblem:
            await message.answer(_("That is not a valid value. Please try again."))
            return
        await state.clear()
        await privacy.rectify(db_session, member.user, field, value, now)
        await message.answer(_("Saved."))

    @router.message(Command("privacy_requests"))
    async def open_requests(message: Message, member: Member, db_session: AsyncSession) -> None:
        try:
            rows = await privacy.open_requests(db_session, member.user)
        except CrmError as error:
            await send(message, await error_reply(error))
            return
        if not rows:
            await message.answer(_("No privacy request is open."))
            return
        locale = member.user.locale
        lines = [_("<b>Open privacy requests</b>")]
        for request, name in rows:
            lines.append(
                _("• {kind} by {name}, made {date}, due {due}").format(
                    kind=kind_label(request.kind),
                    name=escape(name),
                    date=_day(request.requested_at, locale),
                    due=_day(request.due_at, locale),
                )
            )
        await send(message, Reply("\n".join(lines)))

    return router
