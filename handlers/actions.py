"""Run one operation for the member and answer with its result, its confirmation question,
or a clear message for what went wrong. Slash commands, buttons and free text all end here."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _

from crm_core.errors import CrmError
from crm_core.registry import Confirmation
from crm_core.service import CrmService
from handlers import pending
from handlers.callbacks_data import PendingAnswer
from handlers.render import Formatter, Reply, deletion_question, render_result
from handlers.replies import error_reply, send

CREATING_PREFIXES = ("add_", "create_", "log_")


async def perform(
    message: Message,
    crm: CrmService,
    state: FSMContext,
    ttl: int,
    name: str,
    args: dict[str, Any],
    *,
    confirmed: bool = False,
) -> Any:
    """Returns the operation's result, or None when the user was told why it did not run."""
    try:
        result = await crm.run(name, args, confirmed=confirmed)
    except CrmError as error:
        retry = {"op": name, "args": args}
        await send(
            message, await error_reply(error, state=state, now=crm.now, ttl=ttl, retry=retry)
        )
        return None
    if isinstance(result, Confirmation):
        await ask_confirmation(message, state, crm, ttl, result)
        return None
    await send(
        message,
        render_result(result, Formatter(crm.actor), created=name.startswith(CREATING_PREFIXES)),
    )
    return result


async def ask_confirmation(
    message: Message, state: FSMContext, crm: CrmService, ttl: int, confirmation: Confirmation
) -> None:
    token = await pending.put(
        state,
        crm.now,
        ttl,
        {"op": confirmation.operation, "args": confirmation.args, "confirmed": True},
    )
    buttons = [
        [
            InlineKeyboardButton(
                text=_("Yes, delete"), callback_data=PendingAnswer(token=token, choice="y").pack()
            ),
            InlineKeyboardButton(
                text=_("No, keep it"), callback_data=PendingAnswer(token=token, choice="n").pack()
            ),
        ]
    ]
    await send(message, Reply(deletion_question(confirmation.summary), buttons))
