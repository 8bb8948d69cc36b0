"""Free text: members' messages go to the interpreter; everyone else is told how to start."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from crm_core.accounts import Member
from crm_core.analytics import NOT_COUNTED, Metric, Usage
from crm_core.fields import MAX_MESSAGE
from crm_core.service import CrmService, UnitOfWork
from handlers import recent
from handlers.actions import execute, present
from handlers.render import Reply
from handlers.replies import send
from nlu.interpreter import Executed, Interpretation, Interpreter, OperationCall
from nlu.interpreter import Message as NluMessage


def not_understood() -> Reply:
    return Reply(
        _(
            "I did not understand that, so I changed nothing. You can write things like:\n"
            "• add Marie Dupont 06 12 34 56 78 buyer Lyon 350k\n"
            "• remind me to call her tomorrow at 10\n"
            "• called Marie: she wants a second visit\n"
            "• move D2 to offer\n"
            "• what do I have today?\n"
            "Or use a command:\n"
            "/contacts Dupont — find a contact\n"
            "/new — add a contact, a property or a deal\n"
            "/today — your agenda\n"
            "/help — everything I can do"
        )
    )


def fallback_notice(reason: str) -> str:
    if reason == "restricted":
        return _("(Answered by the offline parser: AI processing is off for you or your agency.)")
    return _("(Answered by the offline parser: the AI assistant is unavailable right now.)")


def nlu_path(interpretation: Interpretation) -> str:
    """The path free text took, for usage figures: ``rules``, ``claude``, ``none``, and
    ``<engine>:fallback_<why>`` when the offline parser stood in for Claude
    (``rules:fallback_unavailable``, ``none:fallback_restricted``)."""
    if interpretation.fallback_reason:
        return f"{interpretation.engine}:fallback_{interpretation.fallback_reason}"
    return interpretation.engine


class ChatExecutor:
    """Runs the interpreter's calls in the member's agency, inside the message's unit of
    work; the handler shows the outcomes once the interpreter is done."""

    def __init__(self, crm: CrmService, work: UnitOfWork) -> None:
        self.crm = crm
        self.work = work

    async def run(self, call: OperationCall) -> Executed:
        return await execute(self.crm, call)

    async def discard(self) -> None:
        await self.work.discard()


def build_chat_router(interpreter: Interpreter) -> Router:
    router = Router(name="chat")

    @router.message(F.text.startswith("/"))
    async def unknown_command(message: Message, member: Member | None) -> None:
        if member is None:
            await message.answer(_("Send /start to set up your agency first."))
            return
        await message.answer(_("I do not know that command. Send /help to see what I can do."))

    @router.message(F.text)
    async def free_text(
        message: Message,
        member: Member | None,
        crm: CrmService | None,
        state: FSMContext,
        settings: Settings,
        usage: Usage = NOT_COUNTED,
    ) -> None:
        if member is None or crm is None:
            await message.answer(
                _(
                    "Hello! Send /start to set up your agency, or open the "
                    "invitation link your agency owner sent you."
                )
            )
            return
        text = message.text or ""
        if len(text) > MAX_MESSAGE:
            await message.answer(
                _(
                    "That message is too long ({length} characters). Please keep it under {limit}."
                ).format(length=len(text), limit=MAX_MESSAGE)
            )
            return
        ttl = settings.confirmation_ttl_seconds
        async with crm.unit_of_work() as work:
            executor = ChatExecutor(crm, work)
            interpretation = await interpreter.interpret(
                NluMessage(text, crm.actor, crm.now, await recent.recall(state, crm.now)),
                executor,
            )
        usage.count(Metric.NLU, nlu_path(interpretation))
        if not interpretation.understood:
            await send(message, not_understood())
        for executed in interpretation.executed:
            await present(message, crm, state, ttl, executed)
        if interpretation.reply:
            await send(message, Reply(escape(interpretation.reply)))
        if interpretation.stopped_early:
            await message.answer(
                _("(I stopped there: that took too many steps. Check what was done above.)")
            )
        # Also when nothing was understood: the user learns the AI assistant did not answer.
        if interpretation.fallback_reason:
            await message.answer(fallback_notice(interpretation.fallback_reason))

    @router.message()
    async def other(message: Message, member: Member | None) -> None:
        if member is None:
            await message.answer(_("Send /start to set up your agency first."))
            return
        await message.answer(_("I can only read text messages for now."))

    @router.callback_query()
    async def stale_button(query: CallbackQuery, member: Member | None) -> None:
        if member is None:
            await query.answer(_("Send /start to set up your agency first."), show_alert=True)
            return
        await query.answer(_("This button has expired. Please ask again."), show_alert=True)

    return router
