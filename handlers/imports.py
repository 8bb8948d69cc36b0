"""Bringing contacts and listings in: a shared Telegram contact, a .vcf file (imported at
once), a .csv file (a preview of the column mapping first, then the agent confirms). The
file waits for the confirmation encrypted in the file store, named by a one-time token."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from crm_core.imports import MAX_IMPORT_BYTES, MAX_ROWS, ImportProblem, ImportRow, Kind
from crm_core.imports.csvfile import Table, parse_csv
from crm_core.imports.mapping import (
    FIRST_NAME,
    LAST_NAME,
    Mapping,
    detect_kind,
    map_columns,
    rows_of,
)
from crm_core.imports.runner import ImportReport, run_import
from crm_core.imports.telegram import shared_contact_row
from crm_core.imports.text import decode
from crm_core.imports.vcard import parse_vcards
from crm_core.service import CrmService
from crm_core.storage import StorageError
from handlers import labels, pending
from handlers.files import TooLarge, download, file_store
from handlers.filters import IsMember
from handlers.render import Reply
from handlers.replies import escape_params, send

SHOWN_REJECTIONS = 10
PROGRESS_ABOVE = 200
VCARD_TYPES = ("text/vcard", "text/x-vcard", "text/directory")
CSV_TYPES = ("text/csv", "text/comma-separated-values", "application/csv")
PROPERTY_WORDS = ("properties", "property", "listings", "biens", "bien", "annonces", "mandats")


class ImportAnswer(CallbackData, prefix="im"):
    token: str
    choice: str  # y: import, n: cancel, k: the other kind of record


def import_format(message: Message) -> str | None:
    document = message.document
    if document is None:
        return None
    name = (document.file_name or "").lower()
    if name.endswith((".vcf", ".vcard")) or document.mime_type in VCARD_TYPES:
        return "vcf"
    if name.endswith(".csv") or document.mime_type in CSV_TYPES:
        return "csv"
    return None


def problem_text(problem: ImportProblem) -> str:
    params = problem.params
    texts = {
        "empty": _("This file is empty."),
        "binary": _(
            "This file is not a text file (is it a spreadsheet renamed .csv?). "
            "Save it as CSV (comma or semicolon separated) and send it again."
        ),
        "encoding": _(
            "I cannot read this file's characters. Save it as CSV in UTF-8 and send it again."
        ),
        "csv_broken": _(
            "This CSV file is broken near line {line} (a quote is not closed?). "
            "Nothing was imported."
        ).format(line=params.get("line", "?")),
        "too_many_rows": _(
            "This file has more than {limit} rows. Split it into smaller files and send "
            "them one by one. Nothing was imported."
        ).format(limit=params.get("limit", MAX_ROWS)),
        "too_large": _(
            "This file is too large to import (2 MB at most, about {limit} rows). "
            "Split it into smaller files."
        ).format(limit=MAX_ROWS),
        "cell_too_long": _(
            "Line {line} has a cell longer than {limit} characters: is this really a contact "
            "list? Nothing was imported."
        ).format(line=params.get("line", "?"), limit=params.get("limit", "?")),
        "line_too_long": _(
            "Line {line} of this file is far too long. Nothing was imported."
        ).format(line=params.get("line", "?")),
        "no_columns": _("I found no columns in this file. Is it a CSV export?"),
    }
    return texts.get(problem.code) or _("I cannot import this file. Nothing was imported.")


def kind_words(kind: Kind) -> str:
    return _("contacts") if kind == "contacts" else _("properties")


def field_label(name: str) -> str:
    if name == FIRST_NAME:
        return _("first name (joined into the name)")
    if name == LAST_NAME:
        return _("last name (joined into the name)")
    return labels.field(name)


def report_reply(report: ImportReport) -> Reply:
    lines = [
        _(
            "✅ Import finished: {created} created, {updated} updated, {skipped} already there, "
            "{rejected} rejected."
        ).format(
            created=len(report.created),
            updated=len(report.updated),
            skipped=len(report.skipped),
            rejected=len(report.rejected),
        )
    ]
    if report.created:
        lines.append(_("Created: {refs}").format(refs=_refs(report.created)))
    if report.updated:
        lines.append(_("Completed with new details: {refs}").format(refs=_refs(report.updated)))
    if report.rejected:
        lines.append(_("Rejected rows:"))
        for rejected in report.rejected[:SHOWN_REJECTIONS]:
            reasons = "; ".join(
                f"{escape(labels.field(field))}: {escape_params(code, params)}"
                for field, code, params in rejected.problems
            )
            lines.append(_("• line {line}: {reasons}").format(line=rejected.line, reasons=reasons))
        hidden = len(report.rejected) - SHOWN_REJECTIONS
        if hidden > 0:
            lines.append(_("…and {count} more rejected rows.").format(count=hidden))
    return Reply("\n".join(lines))


def _refs(refs: list[str], limit: int = 20) -> str:
    shown = ", ".join(refs[:limit])
    return shown + (f" (+{len(refs) - limit})" if len(refs) > limit else "")


def preview_reply(name: str, table: Table, mapping: Mapping, token: str) -> Reply:
    rows = rows_of(table, mapping)
    kind = kind_words(mapping.kind)
    other: Kind = "properties" if mapping.kind == "contacts" else "contacts"
    if mapping.usable:
        lines = [
            _("📄 {name}: {count} rows of {kind}.").format(
                name=escape(name), count=len(rows), kind=kind
            )
        ]
    else:
        needed = _("a name") if mapping.kind == "contacts" else _("a title, an address or a city")
        lines = [
            _("📄 {name}: I cannot import these rows as {kind}: no column holds {needed}.").format(
                name=escape(name), kind=kind, needed=needed
            )
        ]
    lines.append(_("Columns:"))
    for header, target in mapping.columns:
        shown = escape(header) or "—"
        if target:
            lines.append(f"• {shown} → {escape(field_label(target))}")
        else:
            lines.append(_("• {header} → ignored").format(header=shown))
    formulas = table.formula_cells()
    if formulas:
        lines.append(
            _(
                "⚠️ {count} cells start like spreadsheet formulas (=, +, -, @): they are kept "
                "as plain text, never run."
            ).format(count=formulas)
        )
    buttons = []
    if mapping.usable:
        label = _("✅ Import {count} {kind}").format(count=len(rows), kind=kind)
        buttons.append(
            [
                InlineKeyboardButton(
                    text=label, callback_data=ImportAnswer(token=token, choice="y").pack()
                )
            ]
        )
    buttons.append(
        [
            InlineKeyboardButton(
                text=_("These are {kind}").format(kind=kind_words(other)),
                callback_data=ImportAnswer(token=token, choice="k").pack(),
            ),
            InlineKeyboardButton(
                text=_("Cancel"), callback_data=ImportAnswer(token=token, choice="n").pack()
            ),
        ]
    )
    return Reply("\n".join(lines), buttons)


def _read_table(data: bytes) -> Table:
    return parse_csv(decode(data))


async def _fetch(message: Message, bot: Bot) -> bytes | None:
    """The file's bytes, or None when the user was told it is too large."""
    document = message.document
    assert document is not None
    if document.file_size is not None and document.file_size > MAX_IMPORT_BYTES:
        await message.answer(problem_text(ImportProblem("too_large")))
        return None
    try:
        return await download(bot, document.file_id, MAX_IMPORT_BYTES)
    except TooLarge:
        await message.answer(problem_text(ImportProblem("too_large")))
        return None


async def _preview(
    message: Message,
    crm: CrmService,
    state: FSMContext,
    settings: Settings,
    pending_import: dict[str, Any],
    table: Table,
) -> None:
    """Show how the columns will be read; the file stays staged while the buttons live."""
    mapping = map_columns(table.headers, pending_import["kind"])
    token = await pending.put(state, crm.now, settings.confirmation_ttl_seconds, pending_import)
    await send(message, preview_reply(pending_import["name"], table, mapping, token))


async def _import(message: Message, crm: CrmService, kind: Kind, rows: list[ImportRow]) -> None:
    if len(rows) > PROGRESS_ABOVE:  # thousands of rows take a few seconds: say so first
        await message.answer(_("⏳ Importing {count} rows…").format(count=len(rows)))
    await send(message, report_reply(await run_import(crm, kind, rows)))


def build_imports_router() -> Router:
    router = Router(name="imports")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())

    @router.message(F.contact)
    async def shared_contact(message: Message, crm: CrmService) -> None:
        contact = message.contact
        assert contact is not None
        row = shared_contact_row(
            contact.first_name, contact.last_name, contact.phone_number, contact.vcard
        )
        await send(message, report_reply(await run_import(crm, "contacts", [row])))

    @router.message(lambda m: import_format(m) == "vcf")
    async def vcard_file(message: Message, bot: Bot, crm: CrmService) -> None:
        data = await _fetch(message, bot)
        if data is None:
            return
        try:
            cards = parse_vcards(decode(data))
        except ImportProblem as problem:
            await message.answer(problem_text(problem))
            return
        if not cards:
            await message.answer(_("I found no contact card in this file."))
            return
        await _import(message, crm, "contacts", [card.to_row() for card in cards])

    @router.message(lambda m: import_format(m) == "csv")
    async def csv_file(
        message: Message, bot: Bot, crm: CrmService, state: FSMContext, settings: Settings
    ) -> None:
        data = await _fetch(message, bot)
        if data is None:
            return
        try:
            table = _read_table(data)
        except ImportProblem as problem:
            await message.answer(problem_text(problem))
            return
        caption = (message.caption or "").lower()
        kind: Kind = (
            "properties"
            if any(word in caption for word in PROPERTY_WORDS)
            else detect_kind(table.headers)
        )
        staged = file_store(settings).stage(crm.actor.agency_id, data)
        name = (message.document.file_name if message.document else None) or "import.csv"
        action = {"op": "import", "kind": kind, "staged": staged, "name": name[:80]}
        await _preview(message, crm, state, settings, action, table)

    @router.callback_query(ImportAnswer.filter())
    async def answered(
        query: CallbackQuery,
        callback_data: ImportAnswer,
        crm: CrmService,
        state: FSMContext,
        settings: Settings,
    ) -> None:
        action = await pending.take(state, callback_data.token, crm.now)
        message = query.message
        if action is None or action.get("op") != "import" or not isinstance(message, Message):
            await query.answer(
                _("This import has expired. Please send the file again."), show_alert=True
            )
            return
        await query.answer()
        store = file_store(settings)
        agency_id = crm.actor.agency_id
        if callback_data.choice == "k":
            action["kind"] = "properties" if action["kind"] == "contacts" else "contacts"
            try:
                table = _read_table(store.read_staged(agency_id, action["staged"]))
            except (StorageError, ImportProblem):
                await message.answer(_("This import has expired. Please send the file again."))
                return
            await _preview(message, crm, state, settings, action, table)
            return
        try:
            data = store.take_staged(agency_id, action["staged"])
        except StorageError:
            await message.answer(_("This import has expired. Please send the file again."))
            return
        if callback_data.choice != "y":
            await message.answer(_("Import cancelled: nothing was changed."))
            return
        try:
            table = _read_table(data)
        except ImportProblem as problem:
            await message.answer(problem_text(problem))
            return
        rows = rows_of(table, map_columns(table.headers, action["kind"]))
        await _import(message, crm, action["kind"], rows)

    return router
