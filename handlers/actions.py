"""Run operations for the member and answer with their result, a confirmation question, or a
clear message for what went wrong. Slash commands, buttons and free text all end here."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _

from crm_core.errors import CrmError
from crm_core.registry import Confirmation
from crm_core.service import CrmService
from handlers import pending, recent
from handlers.callbacks_data import PendingAnswer
from handlers.render import Formatter, Reply, deletion_question, render_result
from handlers.replies import error_reply, send
from nlu.interpreter import Executed, OperationCall

CREATING_PREFIXES = ("add_", "create_", "log_")


async def execute(crm: CrmService, call: OperationCall, *, confirmed: bool = False) -> Executed:
    """Run one call; a domain error is part of the outcome, not an exception."""
    try:
        return Executed(call, await crm.run(call.name, call.input, confirmed=confirmed))
    except CrmError as error:
        return Executed(call, error=error)


async def present(
    message: Message, crm: CrmService, state: FSMContext, ttl: int, executed: Executed
) -> None:
    """Show one outcome to the user, and remember the records it named."""
    call = executed.call
    if executed.error is not None:
        retry = {"op": call.name, "args": call.input}
        reply = await error_reply(executed.error, state=state, now=crm.now, ttl=ttl, retry=retry)
        await send(message, reply)
        return
    if isinstance(executed.result, Confirmation):
        await ask_confirmation(message, state, crm, ttl, executed.result)
        return
    created = call.name.startswith(CREATING_PREFIXES)
    await send(message, render_result(executed.result, Formatter(crm.actor), created=created))
    await recent.note(state, [executed.result], crm.now)


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
    executed = await execute(crm, OperationCall(name, args), confirmed=confirmed)
    await present(message, crm, state, ttl, executed)
    if executed.error is not None or isinstance(executed.result, Confirmation):
        return None
    return executed.result


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
