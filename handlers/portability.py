"""/export (the person's data, or the whole agency's for the owner) and /client_export C12:
a ZIP built on disk under DATA_DIR, sent as a document, then deleted."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import FSInputFile, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from crm_core import client_rights
from crm_core.accounts import Member
from crm_core.errors import CrmError
from crm_core.export import Scope, build_export
from crm_core.models import PrivacyKind
from crm_core.privacy import log_request
from crm_core.service import CrmService
from handlers.files import file_store
from handlers.filters import IsMember
from handlers.replies import error_reply, send


def exports_folder(settings: Settings) -> Path:
    return settings.data_dir / "exports"


async def _send_zip(message: Message, path: Path, filename: str) -> None:
    try:
        await message.answer_document(FSInputFile(path, filename=filename))
    finally:
        _delete(path)  # the ZIP holds personal data: never left on disk


def _delete(path: Path) -> None:
    path.unlink(missing_ok=True)


def build_portability_router() -> Router:
    router = Router(name="portability")
    router.message.filter(IsMember())

    @router.message(Command("export"))
    async def export(
        message: Message,
        member: Member,
        db_session: AsyncSession,
        now: datetime,
        settings: Settings,
    ) -> None:
        actor = member.actor
        if actor.is_owner:
            scope = Scope.of_agency(actor.agency_id)
            await message.answer(_("Preparing the export of the whole agency…"))
        else:
            scope = Scope.of_agent(actor.agency_id, actor.user_id)
            await message.answer(_("Preparing the export of your data…"))
        path = await build_export(
            db_session, scope, file_store(settings), now, exports_folder(settings)
        )
        log_request(db_session, member.user, PrivacyKind.EXPORT, now)
        await db_session.commit()
        await _send_zip(message, path, "export-{day}.zip".format(day=now.strftime("%Y%m%d")))
        await message.answer(
            _("Here is your export: export.json, one CSV per record type, your documents.")
        )

    @router.message(Command("client_export"))
    async def client_export(
        message: Message,
        command: CommandObject,
        member: Member,
        crm: CrmService,
        settings: Settings,
    ) -> None:
        reference = (command.args or "").strip()
        if not reference:
            await message.answer(_("Which client? For example: /client_export C12"))
            return
        try:
            contact, path = await client_rights.export_client(
                crm, member.user, reference, file_store(settings), exports_folder(settings)
            )
        except CrmError as error:
            await send(message, await error_reply(error))
            return
        await _send_zip(message, path, f"client-{contact.ref}.zip")
        await message.answer(
            _("Everything held about {ref} is in this ZIP.").format(ref=contact.ref)
        )

    return router
