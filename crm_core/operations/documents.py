"""Documents attached to contacts, properties and deals. The bytes never pass through an
operation's arguments: the handler puts them in the encrypted file store (``ctx.files``) and
names them by hash; ``attach_document`` links an agency's stored file to one of its records."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import func, select

from crm_core.context import OperationContext
from crm_core.documents import DocumentList, DocumentView, allowed_mime
from crm_core.errors import InvalidInput, NotFound
from crm_core.fields import Reference, ShortText
from crm_core.i18n import N_
from crm_core.models import Contact, Deal, Document, Property, TenantRecord
from crm_core.operations.common import (
    label_of,
    new_record,
    next_number,
    parse_ref,
    resolve,
    scoped,
)
from crm_core.registry import OperationInput, operation
from crm_core.views import RecordLink

LINKABLE: dict[str, tuple[type[TenantRecord], str]] = {
    "C": (Contact, "contact_id"),
    "P": (Property, "property_id"),
    "D": (Deal, "deal_id"),
}
KIND = {"C": "contact", "P": "property", "D": "deal"}
MAX_LISTED = 30


class AttachDocument(OperationInput):
    __doc__ = N_("Attach a file the user sent to a contact, property or deal.")
    positional = "record"

    record: Reference = Field(description=N_("Short ref (C12, P3, D2) or name of the record"))
    name: Reference = Field(description=N_("File name"))
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description=N_("The stored file's hash"))


class ListDocuments(OperationInput):
    __doc__ = N_("List the documents of a contact, property or deal (or the latest ones).")
    positional = "record"

    record: ShortText = Field(None, description=N_("Short ref (C12, P3, D2) or name"))


class GetDocument(OperationInput):
    __doc__ = N_("Get one document by its short ref (K3), to send it back.")
    positional = "document"

    document: Reference = Field(description=N_("Short ref of the document (K3)"))


async def resolve_record(ctx: OperationContext, reference: str) -> TenantRecord:
    """A contact, property or deal of the agency: by short ref, else a contact's name,
    phone or email, else a property's title or address."""
    ref = parse_ref(reference)
    if ref is not None and ref[0] in LINKABLE:
        model = LINKABLE[ref[0]][0]
        return await resolve(ctx, model, reference, KIND[ref[0]])
    try:
        return await resolve(ctx, Contact, reference, "record")
    except NotFound:
        pass
    try:
        return await resolve(ctx, Property, reference, "record")
    except NotFound:
        raise NotFound("record", reference) from None


def _link_column(record: TenantRecord) -> str:
    return LINKABLE[record.ref_prefix][1]


def _view(document: Document, record: TenantRecord | None, **extra: Any) -> DocumentView:
    link = RecordLink(ref=record.ref, label=label_of(record)) if record is not None else None
    return DocumentView(
        ref=document.ref,
        name=document.name,
        mime_type=document.mime_type,
        size=document.size,
        sha256=document.sha256,
        created_at=document.created_at,
        record=link,
        **extra,
    )


async def _linked_record(ctx: OperationContext, document: Document) -> TenantRecord | None:
    for model, column in LINKABLE.values():
        record_id = getattr(document, column)
        if record_id is not None:
            return await ctx.session.scalar(scoped(ctx, model).where(model.id == record_id))
    return None


@operation("attach_document", AttachDocument, writes=True)
async def attach_document(ctx: OperationContext, args: AttachDocument) -> DocumentView:
    record = await resolve_record(ctx, args.record)
    agency_id = ctx.actor.agency_id
    # Only a file this agency stored can be linked: a hash alone opens nothing.
    if ctx.files is None or not ctx.files.exists(agency_id, args.sha256):
        raise NotFound("document", args.sha256[:12])
    mime = allowed_mime(args.name)
    if mime is None:
        raise InvalidInput([("name", "file_type_refused", {})])
    column = _link_column(record)
    existing = await ctx.session.scalar(
        scoped(ctx, Document).where(
            Document.sha256 == args.sha256, getattr(Document, column) == record.id
        )
    )
    if existing is not None:
        return _view(existing, record, already_attached=True)
    document = new_record(
        ctx,
        Document,
        await next_number(ctx, Document),
        name=args.name,
        mime_type=mime,
        size=ctx.files.size(agency_id, args.sha256),
        sha256=args.sha256,
        **{column: record.id},
    )
    await ctx.session.flush()
    return _view(document, record)


@operation("list_documents", ListDocuments, writes=False)
async def list_documents(ctx: OperationContext, args: ListDocuments) -> DocumentList:
    query = scoped(ctx, Document)
    record: TenantRecord | None = None
    if args.record:
        record = await resolve_record(ctx, args.record)
        query = query.where(getattr(Document, _link_column(record)) == record.id)
    total = await ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        await ctx.session.scalars(
            query.order_by(Document.created_at.desc(), Document.number.desc()).limit(MAX_LISTED)
        )
    )
    items = [_view(row, record or await _linked_record(ctx, row)) for row in rows]
    link = RecordLink(ref=record.ref, label=label_of(record)) if record else None
    return DocumentList(record=link, items=items, total=total)


@operation("get_document", GetDocument, writes=False)
async def get_document(ctx: OperationContext, args: GetDocument) -> DocumentView:
    ref = parse_ref(args.document)
    if ref is None or ref[0] != Document.ref_prefix:
        raise NotFound("document", args.document)
    document = await ctx.session.scalar(scoped(ctx, Document).where(Document.number == ref[1]))
    if document is None:
        raise NotFound("document", args.document)
    return _view(document, await _linked_record(ctx, document))
