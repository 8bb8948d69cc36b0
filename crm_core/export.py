"""Portability: a ZIP of what is held, written to disk row by row (bounded memory).

``export.json`` holds one list per record type, each record with its short ref and the
catalogue's field names; one CSV per type (cells neutralised, see csv_safety); the stored
documents, decrypted; a README describing the fields. The scope decides which rows: an
agent's own records, the whole agency, or everything about one client.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.csv_safety import neutralise
from crm_core.models import (
    Activity,
    Agency,
    AuditEvent,
    Contact,
    Deal,
    Document,
    Note,
    PrivacyRequest,
    Property,
    Reminder,
    TenantRecord,
    User,
)
from crm_core.operations.contacts import CONTACT_FIELDS
from crm_core.storage import FileStore, StorageError

FORMAT_NAME = "estate-crm-export"
FORMAT_VERSION = 1
BATCH = 200  # rows fetched at a time

LINKS = ("contact", "property", "deal")
FIELDS: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "contacts": (Contact, ("ref", *CONTACT_FIELDS)),
    "properties": (
        Property,
        (
            "ref",
            "title",
            "address",
            "city",
            "postcode",
            "property_type",
            "transaction",
            "price",
            "surface_m2",
            "rooms",
            "bedrooms",
            "owner_contact",
            "description",
            "status",
        ),
    ),
    "deals": (
        Deal,
        ("ref", "title", "contact", "property", "stage", "amount", "stage_changed_at"),
    ),
    "activities": (Activity, ("ref", "kind", "summary", *LINKS, "occurred_at")),
    "reminders": (
        Reminder,
        ("ref", "due_at", "text", "recurrence", "status", *LINKS, "completed_at"),
    ),
    "notes": (Note, ("ref", "text", *LINKS)),
    "documents": (Document, ("ref", "name", "mime_type", "size", "sha256", *LINKS, "file")),
}
COMMON = ("created_by", "created_at", "updated_at")
AGENCY_FIELDS = ("name", "currency", "country", "ai_processing", "created_at")
AGENT_FIELDS = ("id", "name", "email", "role", "locale", "timezone", "created_at")
REQUEST_FIELDS = ("kind", "requested_at", "due_at", "completed_at", "details")
AUDIT_FIELDS = ("at", "user_id", "action", "ref", "outcome")

README = """Export of a real-estate CRM account ({format} version {version}).

export.json   everything below in one file: "format", "version", "exported_at", then one
              list per record type.
*.csv         one file per record type, same fields; cells that a spreadsheet would read as
              a formula start with an apostrophe.
documents/    the stored files, decrypted, named <ref>_<original name>.

audit         who did what and when (user_id is an agent's id; ref a short ref).

Records are named by their short ref (C contact, P property, D deal, A activity,
R reminder, N note, K document); links to other records are refs too. Phones are in
E.164 (+33612345678), times in ISO 8601 (UTC), money in whole units of the agency's
currency. created_by is the id of the agent who created the record (see agents).
Field names are those of the bot's commands (/help add_contact lists them).
"""


@dataclass(frozen=True)
class Scope:
    """Which rows go into the export: a condition per record model."""

    agency_id: int
    where: Callable[[type[Any]], ColumnElement[bool]]
    agents: tuple[int, ...] | None  # user ids to list; None: every member of the agency
    requester_id: int | None  # whose privacy requests are included (None: the agency's)

    @classmethod
    def of_agency(cls, agency_id: int) -> Scope:
        return cls(agency_id, lambda _model: true(), None, None)

    @classmethod
    def of_agent(cls, agency_id: int, user_id: int) -> Scope:
        return cls(agency_id, lambda model: model.created_by_id == user_id, (user_id,), user_id)

    @classmethod
    def of_client(cls, agency_id: int, contact_id: int) -> Scope:
        def where(model: type[Any]) -> ColumnElement[bool]:
            if model is Contact:
                return Contact.id == contact_id
            if model is Property:
                return Property.owner_contact_id == contact_id
            if model is Deal:
                return Deal.contact_id == contact_id
            deals = select(Deal.id).where(Deal.contact_id == contact_id)
            return or_(model.contact_id == contact_id, model.deal_id.in_(deals))

        return cls(agency_id, where, (), -1)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:100] or "file"


async def _refs(session: AsyncSession, model: type[TenantRecord], agency_id: int) -> dict[int, str]:
    """id -> short ref of one kind of record (two integers a row: small even for big agencies)."""
    rows = await session.execute(select(model.id, model.number).where(model.agency_id == agency_id))
    return {row_id: f"{model.ref_prefix}{number}" for row_id, number in rows}


class _Table:
    """One record type being written: a CSV file and its part of the JSON file."""

    def __init__(self, folder: Path, name: str, fields: tuple[str, ...], json_out: TextIO) -> None:
        self.name, self.fields, self.json_out = name, fields, json_out
        self.path = folder / f"{name}.csv"
        self._file = self.path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file, lineterminator="\r\n")
        self._csv.writerow(fields)
        self.count = 0
        json_out.write(f',\n"{name}": [')

    def add(self, record: dict[str, Any]) -> None:
        self.json_out.write(("," if self.count else "") + "\n  ")
        json.dump(record, self.json_out, ensure_ascii=False, default=str)
        self._csv.writerow([neutralise(record.get(field)) for field in self.fields])
        self.count += 1

    def close(self) -> None:
        self.json_out.write("\n]")
        self._file.close()


async def build_export(
    session: AsyncSession,
    scope: Scope,
    store: FileStore | None,
    now: datetime,
    folder: Path,
) -> Path:
    """Write the ZIP into ``folder`` and return its path (the caller deletes it)."""
    work = _work_folder(folder)
    json_path = work / "export.json"
    zip_path = folder / f"{work.name}.zip"
    refs = {
        "contact": await _refs(session, Contact, scope.agency_id),
        "property": await _refs(session, Property, scope.agency_id),
        "deal": await _refs(session, Deal, scope.agency_id),
    }
    tables: list[_Table] = []
    with (
        json_path.open("w", encoding="utf-8") as out,
        zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        head = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "exported_at": now.isoformat()}
        out.write(json.dumps(head)[:-1])  # left open: the lists follow
        agency = await session.get(Agency, scope.agency_id)
        table = _Table(work, "agency", AGENCY_FIELDS, out)
        if agency is not None:
            table.add({f: _iso(getattr(agency, f)) for f in AGENCY_FIELDS})
        table.close()
        tables.append(table)
        tables.append(await _agents(session, scope, work, out))
        for name, (model, fields) in FIELDS.items():
            tables.append(
                await _records(session, scope, model, name, fields, refs, work, out, archive, store)
            )
        tables.append(await _requests(session, scope, work, out))
        tables.append(await _audit(session, scope, work, out))
        out.write("\n}\n")
        out.close()
        archive.write(json_path, "export.json")
        for table in tables:
            archive.write(table.path, table.path.name)
            table.path.unlink()
        archive.writestr("README.txt", README.format(format=FORMAT_NAME, version=FORMAT_VERSION))
    _remove(json_path, work)
    return zip_path


def _work_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="export-", dir=folder))


def _remove(*paths: Path) -> None:
    for path in paths:
        path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)


async def _agents(session: AsyncSession, scope: Scope, work: Path, out: TextIO) -> _Table:
    table = _Table(work, "agents", AGENT_FIELDS, out)
    query = select(User).where(User.agency_id == scope.agency_id).order_by(User.id)
    if scope.agents is not None:
        query = query.where(User.id.in_(scope.agents))
    for user in await session.scalars(query):
        table.add({f: _iso(getattr(user, f)) for f in AGENT_FIELDS})
    table.close()
    return table


async def _requests(session: AsyncSession, scope: Scope, work: Path, out: TextIO) -> _Table:
    table = _Table(work, "privacy_requests", REQUEST_FIELDS, out)
    query = select(PrivacyRequest).where(PrivacyRequest.agency_id == scope.agency_id)
    if scope.requester_id is not None:
        query = query.where(PrivacyRequest.user_id == scope.requester_id)
    for request in await session.scalars(query.order_by(PrivacyRequest.id)):
        table.add({f: _iso(getattr(request, f)) for f in REQUEST_FIELDS})
    table.close()
    return table


async def _audit(session: AsyncSession, scope: Scope, work: Path, out: TextIO) -> _Table:
    """The agency's audit trail (the owner's export), or the agent's own entries."""
    table = _Table(work, "audit", AUDIT_FIELDS, out)
    query = select(AuditEvent).where(AuditEvent.agency_id == scope.agency_id)
    if scope.agents is not None:  # an agent's or a client's export: their own entries only
        query = query.where(AuditEvent.user_id.in_(scope.agents))
    for entry in await session.scalars(query.order_by(AuditEvent.id)):
        table.add({f: _iso(getattr(entry, f)) for f in AUDIT_FIELDS})
    table.close()
    return table


def _record(row: Any, fields: Iterable[str], refs: dict[str, dict[int, str]]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for field in fields:
        if field == "ref":
            record[field] = row.ref
        elif field == "owner_contact":
            record[field] = refs["contact"].get(row.owner_contact_id)
        elif field in LINKS:
            record[field] = refs[field].get(getattr(row, f"{field}_id"))
        elif field == "file":
            record[field] = f"documents/{row.ref}_{_safe_name(row.name)}"
        else:
            record[field] = _iso(getattr(row, field))
    record["created_by"] = row.created_by_id
    record["created_at"] = _iso(row.created_at)
    record["updated_at"] = _iso(row.updated_at)
    return record


async def _records(
    session: AsyncSession,
    scope: Scope,
    model: type[Any],
    name: str,
    fields: tuple[str, ...],
    refs: dict[str, dict[int, str]],
    work: Path,
    out: TextIO,
    archive: zipfile.ZipFile,
    store: FileStore | None,
) -> _Table:
    table = _Table(work, name, (*fields, *COMMON), out)
    query = (
        select(model)
        .where(model.agency_id == scope.agency_id, scope.where(model))
        .order_by(model.number)
        .execution_options(yield_per=BATCH)
    )
    stream = await session.stream_scalars(query)
    async for row in stream:
        record = _record(row, fields, refs)
        if model is Document:
            # One document in memory at a time (files are at most 20 MB).
            try:
                data = store.get(scope.agency_id, row.sha256) if store else None
            except StorageError:
                data = None
            if data is None:
                record["file"] = None  # listed, but its file is gone
            else:
                archive.writestr(record["file"], data)
        table.add(record)
    table.close()
    return table
