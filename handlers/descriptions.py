"""The buttons under a listing text: write it again in another tone or language, or save it
to the property (through update_property, like any other change)."""

from __future__ import annotations

from html import unescape

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.settings import Settings
from crm_core.service import CrmService
from handlers.actions import perform
from handlers.callbacks_data import Describe, SaveDescription
from handlers.filters import IsMember


def shown_text(message: Message, ref: str) -> str:
    """The listing text of ``ref`` in a message rendered by ``render.listing_description``:
    everything after its first blank line ("" for any other message). Telegram hands the text
    back plain (formatting as entities); a local Bot API session hands back the HTML sent."""
    head, _blank, body = (message.text or "").partition("\n\n")
    plain = head if message.entities else unescape(head.replace("<b>", "").replace("</b>", ""))
    if not body or not plain.startswith(f"📝 {ref} · "):
        return ""
    return body.strip() if message.entities else unescape(body).strip()


def build_descriptions_router() -> Router:
    router = Router(name="descriptions")
    router.callback_query.filter(IsMember())

    @router.callback_query(Describe.filter())
    async def write_again(
        query: CallbackQuery,
        callback_data: Describe,
        crm: CrmService,
        state: FSMContext,
        settings: Settings,
    ) -> None:
        await query.answer()
        if not isinstance(query.message, Message):
            return
        args = {"property": callback_data.ref, "tone": callback_data.tone}
        args["language"] = callback_data.lang
        await perform(
            query.message, crm, state, settings.confirmation_ttl_seconds, "write_description", args
        )

    @router.callback_query(SaveDescription.filter())
    async def save(
        query: CallbackQuery,
        callback_data: SaveDescription,
        crm: CrmService,
        state: FSMContext,
        settings: Settings,
    ) -> None:
        await query.answer()
        if not isinstance(query.message, Message):
            return
        text = shown_text(query.message, callback_data.ref)
        if not text:
            return
        # The saved text is exactly the one on screen, whoever wrote it.
        args = {"property": callback_data.ref, "description": text}
        await perform(
            query.message, crm, state, settings.confirmation_ttl_seconds, "update_property", args
        )

    return router
