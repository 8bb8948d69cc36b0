"""/start: create an agency and become its owner, or join one through an invitation link.

Nothing is stored until the last step: a person who stops halfway leaves no data behind.
"""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo, available_timezones

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import pick_locale
from bot.limits import RateLimiter
from bot.settings import Settings
from crm_core import accounts, values
from crm_core.accounts import Member, Profile
from crm_core.errors import CrmError
from handlers.callbacks_data import Menu
from handlers.help import welcome_back
from handlers.render import Reply
from handlers.replies import error_reply, send

LANGUAGES = {"en": "English", "fr": "Français"}
ANSWER = F.text & ~F.text.startswith("/")


class Onboarding(StatesGroup):
    agency_name = State()
    name = State()
    email = State()
    language = State()
    timezone = State()
    adult = State()
    policy = State()


def _button(text: str, name: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=Menu(name=name, value=value).pack())


async def _ask_name(message: Message, state: FSMContext, first_name: str) -> None:
    await state.set_state(Onboarding.name)
    buttons = (
        [[_button(_("Use “{name}”").format(name=first_name[:30]), "ob_name", "tg")]]
        if (first_name)
        else []
    )
    await send(message, Reply(_("What is your name?"), buttons))


async def _ask_email(message: Message, state: FSMContext) -> None:
    await state.set_state(Onboarding.email)
    await send(
        message, Reply(_("Your email address? (optional)"), [[_button(_("Skip"), "ob_email")]])
    )


async def _ask_language(message: Message, state: FSMContext) -> None:
    await state.set_state(Onboarding.language)
    current = (await state.get_data()).get("locale", "en")
    buttons = [
        [
            _button(("✓ " if code == current else "") + label, "ob_lang", code)
            for code, label in LANGUAGES.items()
        ]
    ]
    await send(message, Reply(_("Which language do you want me to use?"), buttons))


async def _ask_timezone(message: Message, state: FSMContext, settings: Settings) -> None:
    await state.set_state(Onboarding.timezone)
    await send(
        message,
        Reply(
            _(
                "Your time zone is {zone}. Keep it, or type another one (for example "
                "Europe/Brussels or America/Montreal)."
            ).format(zone=settings.default_timezone),
            [[_button(_("Keep {zone}").format(zone=settings.default_timezone), "ob_tz")]],
        ),
    )


async def _ask_adult(message: Message, state: FSMContext) -> None:
    await state.set_state(Onboarding.adult)
    await send(
        message,
        Reply(
            _("Please confirm that you are 18 or older."),
            [
                [
                    _button(_("I am 18 or older"), "ob_adult", "y"),
                    _button(_("I am not"), "ob_adult", "n"),
                ]
            ],
        ),
    )


async def _ask_policy(message: Message, state: FSMContext, settings: Settings) -> None:
    await state.set_state(Onboarding.policy)
    await send(
        message,
        Reply(
            _(
                "Last step: please read our privacy policy (version {version}): {url}\n"
                "It says what we keep about you and your clients, and the rights you have."
            ).format(
                version=settings.privacy_policy_version, url=escape(settings.privacy_policy_url)
            ),
            [[_button(_("I accept"), "ob_policy", "y"), _button(_("I decline"), "ob_policy", "n")]],
        ),
    )


log = logging.getLogger(__name__)

INVITE_LIMIT = "invite"


async def _invite_failed(limiter: RateLimiter | None, message: Message, settings: Settings) -> None:
    """Count a failed invitation payload; lock the user out after too many."""
    if limiter is None or message.from_user is None:
        return
    user_id = message.from_user.id
    window = settings.invite_failure_window_seconds
    hit = await limiter.hit(INVITE_LIMIT, user_id, settings.invite_max_failures, window)
    if hit.count >= settings.invite_max_failures:
        await limiter.lock(INVITE_LIMIT, user_id, settings.invite_lockout_seconds)
        log.warning("invitation guessing: telegram id %s locked out", user_id)


def build_onboarding_router(i18n: I18n) -> Router:
    router = Router(name="onboarding")

    @router.message(CommandStart())
    async def start(
        message: Message,
        command: CommandObject,
        state: FSMContext,
        member: Member | None,
        db_session: AsyncSession,
        now: datetime,
        settings: Settings,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        payload = (command.args or "").strip()
        if member is not None:
            await state.clear()
            if payload:
                await send(message, await error_reply(accounts.AlreadyMember(member.agency.name)))
            await send(message, welcome_back(member))
            return
        await state.clear()
        locale = pick_locale(
            message.from_user.language_code if message.from_user else None, settings.default_locale
        )
        await state.update_data(locale=locale)
        first_name = message.from_user.first_name if message.from_user else ""
        if payload:
            user_id = message.from_user.id if message.from_user else 0
            if rate_limiter is not None and await rate_limiter.locked(INVITE_LIMIT, user_id):
                await state.clear()
                await message.answer(
                    _("Too many invalid invitation links. Please try again in an hour.")
                )
                return
            try:
                agency = await accounts.check_invite(db_session, payload, now)
            except CrmError as error:
                await state.clear()
                await _invite_failed(rate_limiter, message, settings)
                await send(message, await error_reply(error))
                return
            await state.update_data(invite=payload, agency_name=agency.name)
            await send(
                message,
                Reply(
                    _("Welcome! You are invited to join <b>{agency}</b>.").format(
                        agency=escape(agency.name)
                    )
                ),
            )
            await _ask_name(message, state, first_name)
            return
        await state.set_state(Onboarding.agency_name)
        await send(
            message,
            Reply(
                _(
                    "Welcome! I am your real-estate CRM, right here in Telegram.\n"
                    "Let's set up your agency in a minute. What is your agency's name?"
                )
            ),
        )

    @router.message(Onboarding.agency_name, ANSWER)
    async def agency_name(message: Message, state: FSMContext) -> None:
        try:
            name = values.clean_text(message.text or "", max_length=120)
        except values.ValueProblem:
            await message.answer(_("Please type a name of at most 120 characters."))
            return
        await state.update_data(agency_name=name)
        await _ask_name(message, state, message.from_user.first_name if message.from_user else "")

    async def save_name(message: Message, state: FSMContext, text: str) -> None:
        try:
            name = values.clean_text(text, max_length=120)
        except values.ValueProblem:
            await message.answer(_("Please type a name of at most 120 characters."))
            return
        await state.update_data(name=name)
        await _ask_email(message, state)

    @router.message(Onboarding.name, ANSWER)
    async def typed_name(message: Message, state: FSMContext) -> None:
        await save_name(message, state, message.text or "")

    @router.callback_query(Onboarding.name, Menu.filter(F.name == "ob_name"))
    async def telegram_name(query: CallbackQuery, state: FSMContext) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            await save_name(query.message, state, query.from_user.first_name)

    @router.message(Onboarding.email, ANSWER)
    async def email(message: Message, state: FSMContext) -> None:
        try:
            address = values.parse_email(message.text or "")
        except values.ValueProblem:
            await message.answer(_("That does not look like an email address."))
            await _ask_email(message, state)
            return
        await state.update_data(email=address)
        await _ask_language(message, state)

    @router.callback_query(Onboarding.email, Menu.filter(F.name == "ob_email"))
    async def skip_email(query: CallbackQuery, state: FSMContext) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            await state.update_data(email=None)
            await _ask_language(query.message, state)

    @router.callback_query(Onboarding.language, Menu.filter(F.name == "ob_lang"))
    async def language(
        query: CallbackQuery, callback_data: Menu, state: FSMContext, settings: Settings
    ) -> None:
        await query.answer()
        locale = callback_data.value if callback_data.value in LANGUAGES else "en"
        await state.update_data(locale=locale)
        if isinstance(query.message, Message):
            with i18n.use_locale(locale):
                await _ask_timezone(query.message, state, settings)

    @router.message(Onboarding.timezone, ANSWER)
    async def typed_timezone(message: Message, state: FSMContext, settings: Settings) -> None:
        zone = _known_zone(message.text or "")
        if zone is None:
            await message.answer(
                _("I do not know the time zone “{zone}”. Try a name like Europe/Paris.").format(
                    zone=escape((message.text or "")[:60])
                )
            )
            await _ask_timezone(message, state, settings)
            return
        await state.update_data(timezone=zone)
        await _ask_adult(message, state)

    @router.callback_query(Onboarding.timezone, Menu.filter(F.name == "ob_tz"))
    async def keep_timezone(query: CallbackQuery, state: FSMContext, settings: Settings) -> None:
        await query.answer()
        await state.update_data(timezone=settings.default_timezone)
        if isinstance(query.message, Message):
            await _ask_adult(query.message, state)

    @router.callback_query(Onboarding.adult, Menu.filter(F.name == "ob_adult"))
    async def adult(
        query: CallbackQuery, callback_data: Menu, state: FSMContext, settings: Settings
    ) -> None:
        await query.answer()
        if not isinstance(query.message, Message):
            return
        if callback_data.value != "y":
            await state.clear()
            await query.message.answer(
                _(
                    "Sorry, this service is for people aged 18 or older. "
                    "Nothing about you was stored."
                )
            )
            return
        await _ask_policy(query.message, state, settings)

    @router.callback_query(Onboarding.policy, Menu.filter(F.name == "ob_policy"))
    async def policy(
        query: CallbackQuery,
        callback_data: Menu,
        state: FSMContext,
        db_session: AsyncSession,
        now: datetime,
        settings: Settings,
    ) -> None:
        await query.answer()
        if not isinstance(query.message, Message):
            return
        data = await state.get_data()
        await state.clear()
        if callback_data.value != "y":
            await query.message.answer(
                _(
                    "Without accepting the privacy policy you cannot use "
                    "the service. Nothing about you was stored. Send /start "
                    "if you change your mind."
                )
            )
            return
        profile = Profile(
            name=data.get("name", query.from_user.first_name),
            email=data.get("email"),
            locale=data.get("locale", "en"),
            timezone=data.get("timezone", settings.default_timezone),
        )
        try:
            if data.get("invite"):
                member = await accounts.accept_invite(
                    db_session,
                    payload=data["invite"],
                    telegram_id=query.from_user.id,
                    profile=profile,
                    policy_version=settings.privacy_policy_version,
                    now=now,
                )
            else:
                member = await accounts.create_agency(
                    db_session,
                    telegram_id=query.from_user.id,
                    agency_name=data.get("agency_name", profile.name),
                    profile=profile,
                    policy_version=settings.privacy_policy_version,
                    now=now,
                )
        except CrmError as error:
            await send(query.message, await error_reply(error))
            return
        with i18n.use_locale(profile.locale):
            await send(query.message, welcome_back(member, first_time=True))

    @router.callback_query(Menu.filter(F.name.startswith("ob_")))
    async def stale(query: CallbackQuery) -> None:
        await query.answer(_("This question is closed. Send /start to begin again."))

    return router


def _known_zone(text: str) -> str | None:
    wanted = text.strip().replace(" ", "_").lower()
    for zone in available_timezones():
        if zone.lower() == wanted:
            ZoneInfo(zone)
            return zone
    return None
