"""Sending replies, and turning domain errors into clear, translated answers."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _

from crm_core.accounts import AlreadyMember, InvalidInvite, InviteProblem
from crm_core.errors import (
    Ambiguous,
    Conflict,
    CrmError,
    Forbidden,
    InvalidInput,
    NotFound,
    UnknownOperation,
)
from handlers import labels, pending
from handlers.callbacks_data import PendingAnswer
from handlers.render import Reply, short, split_text


async def send(message: Message, reply: Reply) -> None:
    """Send a reply, split under Telegram's limit, the keyboard on the last part."""
    chunks = split_text(reply.text)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await message.answer(chunk, reply_markup=reply.markup if last else None)


def invalid_input_text(error: InvalidInput) -> str:
    lines = [_("I could not use that:")]
    for field_name, code, params in error.problems:
        lines.append(f"• <b>{escape(labels.field(field_name))}</b>: {escape_params(code, params)}")
    return "\n".join(lines)


def escape_params(code: str, params: dict[str, Any]) -> str:
    safe = {k: escape(str(v)) if isinstance(v, str) else v for k, v in params.items()}
    return labels.problem(code, safe)


def invite_problem_text(problem: InviteProblem) -> str:
    return {
        InviteProblem.MALFORMED: _(
            "This invitation link is not valid. Ask the agency owner for a new one."
        ),
        InviteProblem.UNKNOWN: _(
            "This invitation link is not valid. Ask the agency owner for a new one."
        ),
        InviteProblem.USED: _(
            "This invitation link has already been used. Ask the agency owner for a new one."
        ),
        InviteProblem.EXPIRED: _(
            "This invitation link has expired. Ask the agency owner for a new one."
        ),
        InviteProblem.REVOKED: _(
            "This invitation link was revoked. Ask the agency owner for a new one."
        ),
    }[problem]


def conflict_text(error: Conflict) -> str:
    if error.code == "reminder_not_pending":
        return _("Reminder {ref} is already {status}.").format(
            ref=error.params.get("ref", ""), status=labels.choice(error.params.get("status"))
        )
    return _("That cannot be done in the record's current state.")


async def error_reply(
    error: CrmError,
    *,
    state: FSMContext | None = None,
    now: Any = None,
    ttl: int = 600,
    retry: dict[str, Any] | None = None,
) -> Reply:
    """The answer to a domain error. For several matching records, the user picks one and
    ``retry`` (the operation and its arguments) runs again with the pick."""
    if isinstance(error, NotFound):
        return Reply(
            _("I found no {kind} matching “{reference}”.").format(
                kind=labels.kind(error.kind), reference=escape(error.reference)
            )
        )
    if isinstance(error, Ambiguous):
        text = _("Several records match “{reference}”. Which one?").format(
            reference=escape(error.reference)
        )
        if state is None or retry is None:
            lines = [f"• {c.ref} {escape(c.label)}" for c in error.candidates]
            return Reply("\n".join([text, *lines]))
        buttons = []
        for candidate in error.candidates:
            args = {**retry["args"], error.field: candidate.ref}
            token = await pending.put(
                state, now, ttl, {"op": retry["op"], "args": args, "confirmed": False}
            )
            buttons.append(
                [
                    InlineKeyboardButton(
                        text=short(f"{candidate.ref} {candidate.label}", 48),
                        callback_data=PendingAnswer(token=token, choice="y").pack(),
                    )
                ]
            )
        return Reply(text, buttons)
    if isinstance(error, InvalidInput):
        return Reply(invalid_input_text(error))
    if isinstance(error, Forbidden):
        return Reply(_("Only the agency owner can do that."))
    if isinstance(error, Conflict):
        return Reply(conflict_text(error))
    if isinstance(error, InvalidInvite):
        return Reply(invite_problem_text(error.problem))
    if isinstance(error, AlreadyMember):
        return Reply(
            _(
                "You already belong to the agency “{agency}”. A person can belong to "
                "one agency only."
            ).format(agency=escape(error.agency_name))
        )
    if isinstance(error, UnknownOperation):
        return Reply(_("I do not know that command. Send /help to see what I can do."))
    return Reply(_("That did not work, and nothing was changed."))
