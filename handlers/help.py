"""/help, the welcome of a known user, and /language."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core import accounts
from crm_core.accounts import Member
from crm_core.registry import Registry
from handlers import labels
from handlers.callbacks_data import Menu
from handlers.render import Reply
from handlers.replies import send


def commands_text(owner: bool) -> str:
    lines = [
        _("<b>Everyday</b>"),
        _("/today — your agenda"),
        _("/contacts [search] — find contacts"),
        _("/properties [search] — find listings"),
        _("/deals [stage] — open deals"),
        _("/reminders [today|tomorrow|week|overdue] — your reminders"),
        _("/new — add a contact, a property or a deal, step by step"),
        _("/docs P3 — a record's documents; send a photo or file with P3 as caption to add one"),
        _("Send a .vcf or .csv file, or share a contact, to import contacts or listings"),
        "",
        _("<b>Direct commands</b> (C12, P3, D2, R4 are short refs)"),
        _("/show_contact C12 · /update_contact C12 phone=06 12 34 56 78"),
        _("/add_note C12 Called, visit on Saturday"),
        _("/add_reminder C12 due_at=tomorrow 10:00 text=Call back"),
        _("/complete_reminder R4 · /snooze_reminder R4 in 2 hours"),
        _("/help add_contact — everything one command accepts"),
        "",
        _("<b>Account</b>"),
        _("/language — English or French"),
        _("/privacy — your data and your rights"),
    ]
    if owner:
        lines += [
            _("/invite — invite an agent"),
            _("/team — your team"),
            _("/audit — who did what, lately"),
            _("/stats — how your agency uses the bot"),
        ]
    lines += [_("/cancel — stop what is in progress")]
    return "\n".join(lines)


def welcome_back(member: Member, first_time: bool = False) -> Reply:
    name = escape(member.user.name)
    agency = escape(member.agency.name)
    head = (
        _("All set, {name}! Welcome to <b>{agency}</b>.").format(name=name, agency=agency)
        if first_time
        else _("Hello {name}! You are in <b>{agency}</b>.").format(name=name, agency=agency)
    )
    return Reply(
        "\n\n".join([head, _("Here is what you can do:"), commands_text(member.actor.is_owner)])
    )


def operation_help(registry: Registry, name: str) -> str | None:
    if name not in registry:
        return None
    op = registry.get(name)
    lines = [f"<b>/{op.name}</b> — {escape(_(op.description))}"]
    for field_name, info in op.input_model.model_fields.items():
        required = " *" if info.is_required() else ""
        description = _(info.description) if info.description else ""
        lines.append(
            f"• <code>{field_name}=</code>{required} {escape(labels.field(field_name))}"
            f" — {escape(description)}"
        )
    if op.input_model.positional:
        lines.append(
            _("Text after the command goes to <code>{field}</code>.").format(
                field=op.input_model.positional
            )
        )
    return "\n".join(lines)


def build_help_router(registry: Registry, i18n: I18n) -> Router:
    router = Router(name="help")

    @router.message(Command("help"))
    async def help_command(message: Message, command: CommandObject, member: Member | None) -> None:
        topic = (command.args or "").strip().lstrip("/")
        if topic:
            text = operation_help(registry, topic)
            await send(
                message,
                Reply(
                    text or _("I do not know the command /{name}.").format(name=escape(topic[:40]))
                ),
            )
            return
        if member is None:
            await message.answer(
                _(
                    "I am a CRM for real-estate agencies. Send /start to set up "
                    "your agency, or open the invitation link your agency "
                    "owner sent you."
                )
            )
            return
        await send(message, Reply(commands_text(member.actor.is_owner)))

    @router.message(Command("language"))
    async def language(message: Message) -> None:
        buttons = [
            [
                InlineKeyboardButton(
                    text="English", callback_data=Menu(name="lang", value="en").pack()
                ),
                InlineKeyboardButton(
                    text="Français", callback_data=Menu(name="lang", value="fr").pack()
                ),
            ]
        ]
        await send(message, Reply(_("Which language do you want me to use?"), buttons))

    @router.callback_query(Menu.filter(F.name == "lang"))
    async def set_language(
        query: CallbackQuery, callback_data: Menu, member: Member | None, db_session: AsyncSession
    ) -> None:
        locale = callback_data.value if callback_data.value in ("en", "fr") else "en"
        if member is None:
            await query.answer(_("Send /start first."))
            return
        await accounts.set_language(db_session, member.user, locale)
        with i18n.use_locale(locale):
            await query.answer()
            if isinstance(query.message, Message):
                await query.message.answer(
                    _("Done. I will answer you in this language from now on.")
                )

    return router
