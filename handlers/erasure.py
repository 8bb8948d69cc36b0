"""/delete (account erasure after a grace period; /delete cancel undoes it), and
/client_erase C12 (the owner erases one client). Both ask first with a one-time button."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from crm_core import client_rights, erasure
from crm_core.accounts import Member
from crm_core.errors import CrmError
from crm_core.service import CrmService
from handlers import pending
from handlers.files import file_store
from handlers.filters import IsMember
from handlers.render import Reply
from handlers.replies import error_reply, send


class PrivacyAnswer(CallbackData, prefix="pv"):
    """Yes/no to an erasure, bound to a one-time token held server-side."""

    token: str
    choice: str


def _ask(token: str, yes: str) -> list[list[InlineKeyboardButton]]:
    return [
        [
            InlineKeyboardButton(
                text=yes, callback_data=PrivacyAnswer(token=token, choice="y").pack()
            ),
            InlineKeyboardButton(
                text=_("No, keep it"), callback_data=PrivacyAnswer(token=token, choice="n").pack()
            ),
        ]
    ]


def build_erasure_router() -> Router:
    router = Router(name="erasure")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())

    @router.message(Command("delete"))
    async def delete(
        message: Message,
        command: CommandObject,
        member: Member,
        db_session: AsyncSession,
        state: FSMContext,
        now: datetime,
        settings: Settings,
    ) -> None:
        if (command.args or "").strip().lower() == "cancel":
            if await erasure.cancel(db_session, member.user, now):
                await message.answer(_("Your account deletion is cancelled. Nothing was deleted."))
            else:
                await message.answer(_("No deletion of your account is scheduled."))
            return
        grace = timedelta(days=settings.account_deletion_grace_days)
        plan = await erasure.plan(db_session, member.user, now, grace)
        date = format_date(plan.due_at, "d MMMM y", locale=member.user.locale)
        text = _(
            "Delete your account? On {date} your profile, Telegram id and consents will be "
            "erased. The records you created stay with the agency, as a former agent's."
        ).format(date=date)
        if plan.closes_agency:
            text += "\n\n" + _(
                "You own <b>{agency}</b>: deleting your account closes the agency, and ALL its "
                "data (contacts, properties, deals, documents) will be deleted with it. To keep "
                "the agency, first make an agent its owner in /team."
            ).format(agency=escape(member.agency.name))
        token = await pending.put(
            state, now, settings.confirmation_ttl_seconds, {"op": "delete_account"}
        )
        await send(message, Reply(text, _ask(token, _("Yes, delete my account"))))

    @router.message(Command("client_erase"))
    async def client_erase(
        message: Message,
        command: CommandObject,
        crm: CrmService,
        state: FSMContext,
        now: datetime,
        settings: Settings,
    ) -> None:
        reference = (command.args or "").strip()
        if not reference:
            await message.answer(_("Which client? For example: /client_erase C12"))
            return
        try:
            contact = await client_rights.find_client(crm, reference)
        except CrmError as error:
            await send(message, await error_reply(error))
            return
        token = await pending.put(
            state,
            now,
            settings.confirmation_ttl_seconds,
            {"op": "client_erase", "ref": contact.ref},
        )
        text = _(
            "Erase {ref} {name} with their notes, activities, reminders, documents and deals? "
            "This cannot be undone."
        ).format(ref=contact.ref, name=escape(contact.name))
        await send(message, Reply(text, _ask(token, _("Yes, erase"))))

    @router.callback_query(PrivacyAnswer.filter(F.choice == "n"))
    async def keep(
        query: CallbackQuery, callback_data: PrivacyAnswer, state: FSMContext, now: datetime
    ) -> None:
        await pending.take(state, callback_data.token, now)
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(_("Cancelled. Nothing was changed."))

    @router.callback_query(PrivacyAnswer.filter(F.choice == "y"))
    async def confirmed(
        query: CallbackQuery,
        callback_data: PrivacyAnswer,
        member: Member,
        crm: CrmService,
        db_session: AsyncSession,
        state: FSMContext,
        now: datetime,
        settings: Settings,
    ) -> None:
        await query.answer()
        action = await pending.take(state, callback_data.token, now)
        if not isinstance(query.message, Message):
            return
        if action is None:
            await query.message.answer(_("This question has expired. Please ask again."))
            return
        if action.get("op") == "delete_account":
            grace = timedelta(days=settings.account_deletion_grace_days)
            plan = await erasure.schedule(db_session, member.user, now, grace)
            date = format_date(plan.due_at, "d MMMM y", locale=member.user.locale)
            await query.message.answer(
                _(
                    "Your account will be deleted on {date}. Until then, /delete cancel undoes it."
                ).format(date=date)
            )
            return
        if action.get("op") == "client_erase":
            try:
                ref = await client_rights.erase_client(
                    crm, member.user, str(action.get("ref")), file_store(settings)
                )
            except CrmError as error:
                await send(query.message, await error_reply(error))
                return
            await query.message.answer(
                _("{ref} and everything linked to it are erased.").format(ref=ref)
            )

    return router
