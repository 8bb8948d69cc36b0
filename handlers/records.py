"""The CRM from slash commands and buttons: one command per registry operation
(``/add_contact``, ``/show_contact C12``...), the everyday shortcuts (/contacts, /properties,
/deals, /today, /reminders), record cards, and the answers to confirmations."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from crm_core.registry import Operation, Registry
from crm_core.service import CrmService
from handlers import pending
from handlers.actions import perform
from handlers.callbacks_data import OpenRecord, PendingAnswer, RunOperation
from handlers.command_args import REF_FIELDS, UnexpectedText, parse_command_args
from handlers.filters import IsMember
from handlers.render import Reply
from handlers.replies import send

SHOW_OPERATION = {"C": "show_contact", "P": "show_property", "D": "show_deal"}
SHORTCUTS = {
    "contacts": "find_contacts",
    "properties": "find_properties",
    "deals": "list_deals",
    "today": "agenda",
    "reminders": "list_reminders",
    "leads": "list_leads",
}


def _snooze_preset(preset: str, now: datetime, tz: str) -> str:
    """Snooze buttons carry a preset name (callback data allows no ':'): the time is computed
    here, in the agent's zone."""
    if preset == "1h":
        return (now + timedelta(hours=1)).isoformat()
    local_tomorrow = now.astimezone(ZoneInfo(tz)).date() + timedelta(days=1)
    return datetime.combine(local_tomorrow, time(9), ZoneInfo(tz)).isoformat()


def _command_handler(op: Operation):  # type: ignore[no-untyped-def]
    async def handle(
        message: Message,
        command: CommandObject,
        crm: CrmService,
        state: FSMContext,
        settings: Settings,
    ) -> None:
        await state.set_state(None)
        fields = set(op.input_model.model_fields)
        try:
            args = parse_command_args(command.args or "", fields, op.input_model.positional)
        except UnexpectedText:
            await send(
                message,
                Reply(
                    _(
                        "This command takes no free text. Send /help {name} to see how to use it."
                    ).format(name=op.name)
                ),
            )
            return
        await perform(message, crm, state, settings.confirmation_ttl_seconds, op.name, args)

    return handle


def build_records_router(registry: Registry) -> Router:
    router = Router(name="records")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())

    for op in registry:
        router.message.register(_command_handler(op), Command(op.name))
    for shortcut, name in SHORTCUTS.items():
        router.message.register(_command_handler(registry.get(name)), Command(shortcut))

    @router.callback_query(OpenRecord.filter())
    async def open_record(
        query: CallbackQuery,
        callback_data: OpenRecord,
        crm: CrmService,
        state: FSMContext,
        settings: Settings,
    ) -> None:
        await query.answer()
        prefix = callback_data.ref[:1]
        name = SHOW_OPERATION.get(prefix)
        if not isinstance(query.message, Message):
            return
        if name is None:  # a reminder has no card of its own: show the agent's upcoming ones
            await perform(
                query.message,
                crm,
                state,
                settings.confirmation_ttl_seconds,
                "list_reminders",
                {"period": "upcoming"},
            )
            return
        await perform(
            query.message,
            crm,
            state,
            settings.confirmation_ttl_seconds,
            name,
            {REF_FIELDS[prefix]: callback_data.ref},
        )

    @router.callback_query(RunOperation.filter())
    async def run_operation(
        query: CallbackQuery,
        callback_data: RunOperation,
        crm: CrmService,
        state: FSMContext,
        settings: Settings,
    ) -> None:
        await query.answer()
        field = REF_FIELDS.get(callback_data.ref[:1])
        if (
            field is None
            or callback_data.op not in registry
            or not isinstance(query.message, Message)
        ):
            return
        args = {field: callback_data.ref}
        if callback_data.extra:
            key, _sep, value = callback_data.extra.partition("=")
            if key == "until":
                value = _snooze_preset(value, crm.now, crm.actor.timezone)
            args[key] = value
        await perform(
            query.message, crm, state, settings.confirmation_ttl_seconds, callback_data.op, args
        )

    @router.callback_query(PendingAnswer.filter())
    async def answer_pending(
        query: CallbackQuery,
        callback_data: PendingAnswer,
        crm: CrmService,
        state: FSMContext,
        settings: Settings,
    ) -> None:
        action = await pending.take(state, callback_data.token, crm.now)
        if action is None:
            await query.answer(_("This button has expired. Please ask again."), show_alert=True)
            return
        await query.answer()
        if not isinstance(query.message, Message):
            return
        await query.message.edit_reply_markup(reply_markup=None)
        if callback_data.choice != "y":
            await query.message.answer(_("Cancelled. Nothing was changed."))
            return
        await perform(
            query.message,
            crm,
            state,
            settings.confirmation_ttl_seconds,
            action["op"],
            action["args"],
            confirmed=bool(action.get("confirmed")),
        )

    return router
