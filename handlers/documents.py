"""Documents: a photo or file sent to the bot is stored encrypted and attached to the record
named in its caption ("P3", "Marie Dupont"), or to one the agent picks among the records
mentioned lately. ``/docs <record>`` lists documents; a button sends one back."""

from __future__ import annotations

import re
from html import escape, unescape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from crm_core.documents import (
    ALLOWED_TYPES,
    MAX_DOCUMENT_BYTES,
    DocumentView,
    allowed_mime,
    extension,
)
from crm_core.errors import Ambiguous
from crm_core.service import CrmService
from crm_core.storage import StorageError
from handlers import pending, recent
from handlers.actions import execute
from handlers.callbacks_data import SendDocument
from handlers.files import TooLarge, download, file_store, with_files
from handlers.filters import IsMember
from handlers.render import Reply, document_list, human_size, short
from handlers.replies import error_reply, send
from nlu.interpreter import OperationCall

LINKABLE_PREFIXES = ("C", "P", "D")
MAX_PICKS = 5
MAX_NAME = 120
SHORT_REF = re.compile(r"(?<![\w-])([CPDcpd])-?(\d{1,9})(?![\w-])")


class AttachTo(CallbackData, prefix="da"):
    """Attach the file held by a one-time pending token to the record picked."""

    token: str


def too_large_text() -> str:
    return _(
        "This file is too large: I can receive files of up to 20 MB. "
        "Send a smaller or compressed version."
    )


def refused_type_text(name: str) -> str:
    kinds = ", ".join(sorted({ext for ext in ALLOWED_TYPES if ext != "jpeg"}))
    return _("I cannot store “{name}”: I keep these types of files only: {kinds}.").format(
        name=escape(name), kinds=kinds
    )


def attached_text(view: DocumentView) -> str:
    record = view.record
    where = f"{record.ref} {escape(record.label)}" if record else ""
    if view.already_attached:
        return _("📎 This file is already attached to {record} as {ref}.").format(
            record=where, ref=view.ref
        )
    return _("📎 Saved {ref} “{name}” ({size}) on {record}.").format(
        ref=view.ref, name=escape(view.name), size=human_size(view.size), record=where
    )


def record_in(caption: str) -> str:
    """The record a caption names: its one short ref ("Mandat signé P3" -> "P3"), else the
    caption itself (a name, a phone)."""
    refs = {f"{p.upper()}{n}" for p, n in SHORT_REF.findall(caption)}
    return refs.pop() if len(refs) == 1 else caption


def _upload_of(message: Message) -> tuple[str, str, int | None]:
    """(file id, file name, announced size) of a photo or a document."""
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return photo.file_id, f"photo_{message.message_id}.jpg", photo.file_size
    document = message.document
    assert document is not None
    name = document.file_name or "document"
    if not extension(name) and document.mime_type:
        # A client may omit the extension: take it from the announced type when we allow it.
        known = {mime: ext for ext, mime in ALLOWED_TYPES.items()}
        if document.mime_type in known:
            name = f"{name}.{known[document.mime_type]}"
    if len(name) > MAX_NAME:  # keep the extension: it decides the type
        ext = extension(name)
        name = f"{name[: MAX_NAME - len(ext) - 2]}….{ext}" if ext else name[:MAX_NAME]
    return document.file_id, name, document.file_size


async def _attach(
    message: Message,
    crm: CrmService,
    state: FSMContext,
    settings: Settings,
    args: dict[str, str],
) -> None:
    executed = await execute(with_files(crm, settings), OperationCall("attach_document", args))
    error = executed.error
    if isinstance(error, Ambiguous):
        # The pick must re-run with the stored file: our own buttons, not the generic retry.
        buttons = []
        for candidate in error.candidates:
            token = await pending.put(
                state,
                crm.now,
                settings.confirmation_ttl_seconds,
                {"op": "attach_document", "args": {**args, "record": candidate.ref}},
            )
            buttons.append(
                [
                    InlineKeyboardButton(
                        text=short(f"{candidate.ref} {candidate.label}", 40),
                        callback_data=AttachTo(token=token).pack(),
                    )
                ]
            )
        text = _("Several records match “{reference}”. Which one?").format(
            reference=escape(error.reference)
        )
        await send(message, Reply(text, buttons))
        return
    if error is not None:
        await send(message, await error_reply(error))
        return
    view: DocumentView = executed.result
    await message.answer(attached_text(view))


def build_documents_router() -> Router:
    router = Router(name="documents")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())

    @router.message(F.photo | F.document)
    async def received(
        message: Message, bot: Bot, crm: CrmService, state: FSMContext, settings: Settings
    ) -> None:
        file_id, name, size = _upload_of(message)
        if size is not None and size > MAX_DOCUMENT_BYTES:
            await message.answer(too_large_text())
            return
        if allowed_mime(name) is None:
            await message.answer(refused_type_text(name))
            return
        caption = (message.caption or "").strip()
        picks = []
        if not caption:
            mentions = await recent.recall(state, crm.now)
            picks = [m for m in mentions if m.ref.startswith(LINKABLE_PREFIXES)][:MAX_PICKS]
            if not picks:
                await message.answer(
                    _(
                        "Which record is this file for? Send it again with the record in "
                        "the caption, for example P3 or Marie Dupont."
                    )
                )
                return
        try:
            data = await download(bot, file_id, MAX_DOCUMENT_BYTES)
        except TooLarge:
            await message.answer(too_large_text())
            return
        stored = file_store(settings).put(crm.actor.agency_id, data)
        args = {"record": record_in(caption), "name": name, "sha256": stored.sha256}
        if caption:
            await _attach(message, crm, state, settings, args)
            return
        buttons = []
        for mention in picks:
            token = await pending.put(
                state,
                crm.now,
                settings.confirmation_ttl_seconds,
                {"op": "attach_document", "args": {**args, "record": mention.ref}},
            )
            buttons.append(
                [
                    InlineKeyboardButton(
                        text=short(f"{mention.ref} {mention.label}", 40),
                        callback_data=AttachTo(token=token).pack(),
                    )
                ]
            )
        await send(
            message,
            Reply(
                _("Which record should I attach “{name}” to?").format(name=escape(name)), buttons
            ),
        )

    @router.callback_query(AttachTo.filter())
    async def picked(
        query: CallbackQuery,
        callback_data: AttachTo,
        crm: CrmService,
        state: FSMContext,
        settings: Settings,
    ) -> None:
        action = await pending.take(state, callback_data.token, crm.now)
        if action is None or action.get("op") != "attach_document" or query.message is None:
            await query.answer(
                _("This button has expired. Please send the file again."), show_alert=True
            )
            return
        await query.answer()
        message = query.message
        assert isinstance(message, Message)
        await _attach(message, crm, state, settings, action["args"])

    @router.message(Command("docs"))
    async def docs(message: Message, command: CommandObject, crm: CrmService) -> None:
        record = (command.args or "").strip()
        executed = await execute(crm, OperationCall("list_documents", {"record": record or None}))
        if executed.error is not None:
            await send(message, await error_reply(executed.error))
            return
        await send(message, document_list(executed.result))

    @router.callback_query(SendDocument.filter())
    async def send_back(
        query: CallbackQuery, callback_data: SendDocument, crm: CrmService, settings: Settings
    ) -> None:
        executed = await execute(
            crm, OperationCall("get_document", {"document": callback_data.ref})
        )
        if executed.error is not None:
            reply = await error_reply(executed.error)
            await query.answer(_strip(reply.text), show_alert=True)
            return
        view: DocumentView = executed.result
        try:
            data = file_store(settings).get(crm.actor.agency_id, view.sha256)
        except StorageError:
            await query.answer(
                _("I cannot read this document's file any more. Please send it again."),
                show_alert=True,
            )
            return
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer_document(
                BufferedInputFile(data, filename=view.name),
                caption=f"{view.ref} {escape(view.name)}",
            )

    return router


def _strip(text: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", text))[:200]
