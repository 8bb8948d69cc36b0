"""Rows -> records, through the operations (validation, numbering and tenancy are theirs), in
one unit of work: the import is committed whole, or not at all.

An existing contact with the same phone (E.164) or email is a duplicate: its empty fields are
filled from the row ("updated"), or it is left as it is ("skipped"). A property is a
duplicate when its title, address and city read the same."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_

from crm_core import values
from crm_core.context import OperationContext
from crm_core.errors import CrmError, InvalidInput
from crm_core.imports import ImportRow, Kind
from crm_core.models import Contact, Property, TenantRecord
from crm_core.operations.common import scoped
from crm_core.service import CrmService

ADD = {"contacts": "add_contact", "properties": "add_property"}
UPDATE = {"contacts": ("update_contact", "contact"), "properties": ("update_property", "property")}


@dataclass(frozen=True)
class Rejected:
    line: int
    problems: list[tuple[str, str, dict[str, Any]]]


@dataclass
class ImportReport:
    kind: Kind
    created: list[str] = field(default_factory=list)  # short refs
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


async def _duplicate(ctx: OperationContext, kind: Kind, args: Any) -> TenantRecord | None:
    if kind == "contacts":
        conditions = []
        if args.phone:
            conditions.append(Contact.phone == args.phone)
        if args.email:
            # Addresses differ in case between exports ("JULIE.MOREAU@..."): same mailbox.
            conditions.append(func.lower(Contact.email) == args.email.lower())
        if not conditions:  # no phone nor email: the same name is the same person
            key = values.search_key(args.name)[: Contact.name_key.type.length]
            conditions.append(Contact.name_key == key)
        query = scoped(ctx, Contact).where(or_(*conditions)).order_by(Contact.number).limit(1)
        return await ctx.session.scalar(query)
    if not (args.title or args.address):
        return None
    key = values.search_key(" ".join(filter(None, (args.title, args.address, args.city))))
    query = scoped(ctx, Property).where(Property.title_key == key[: Property.title_key.type.length])
    return await ctx.session.scalar(query.order_by(Property.number).limit(1))


def _missing_fields(record: TenantRecord, args: Any, row: ImportRow) -> dict[str, str]:
    """The row's fields that the existing record lacks."""
    return {
        name: raw
        for name, raw in row.fields.items()
        if getattr(args, name, None) is not None and getattr(record, name, None) in (None, "")
    }


async def run_import(crm: CrmService, kind: Kind, rows: Sequence[ImportRow]) -> ImportReport:
    report = ImportReport(kind)
    update_op, ref_field = UPDATE[kind]
    async with crm.unit_of_work():
        for row in rows:
            try:
                args = crm.validate(ADD[kind], row.fields)
                existing = await _duplicate(crm.context, kind, args)
                if existing is None:
                    report.created.append((await crm.run(ADD[kind], row.fields)).ref)
                    continue
                missing = _missing_fields(existing, args, row)
                if missing:
                    await crm.run(update_op, {ref_field: existing.ref, **missing})
                    report.updated.append(existing.ref)
                else:
                    report.skipped.append(existing.ref)
            except InvalidInput as error:
                report.rejected.append(Rejected(row.line, error.problems))
            except CrmError:  # e.g. a reference in the row that names nothing
                report.rejected.append(Rejected(row.line, [("input", "row_invalid", {})]))
    return report
