"""A client's rights (a data subject who is not a user): the owner exports everything held
about one contact, or erases the contact with everything linked to it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from crm_core.errors import Forbidden
from crm_core.export import Scope, build_export
from crm_core.models import Contact, Document, PrivacyKind, User
from crm_core.operations.common import resolve
from crm_core.privacy import log_request
from crm_core.service import CrmService
from crm_core.storage import FileStore


async def find_client(crm: CrmService, reference: str) -> Contact:
    """The agency's contact (another agency's is "not found", like a missing one)."""
    if not crm.actor.is_owner:
        raise Forbidden("client_rights")
    return await resolve(crm.context, Contact, reference, "contact")


async def export_client(
    crm: CrmService, user: User, reference: str, store: FileStore, folder: Path
) -> tuple[Contact, Path]:
    contact = await find_client(crm, reference)
    scope = Scope.of_client(crm.actor.agency_id, contact.id)
    path = await build_export(crm.session, scope, store, crm.now, folder)
    log_request(crm.session, user, PrivacyKind.CLIENT_EXPORT, crm.now, details=contact.ref)
    await crm.session.commit()
    return contact, path


async def erase_client(crm: CrmService, user: User, reference: str, store: FileStore) -> str:
    """Erase the contact and what hangs off it (see delete_contact); returns its ref. The
    encrypted files no other document of the agency uses are removed from disk at once."""
    contact = await find_client(crm, reference)
    ref = contact.ref
    hashes = set(
        await crm.session.scalars(
            select(Document.sha256).where(
                Document.agency_id == crm.actor.agency_id, Document.contact_id == contact.id
            )
        )
    )
    async with crm.unit_of_work():  # the erasure and its log entry commit together
        await crm.run("delete_contact", {"contact": ref}, confirmed=True)
        log_request(crm.session, user, PrivacyKind.CLIENT_ERASURE, crm.now, details=ref)
    still_used = set(
        await crm.session.scalars(
            select(Document.sha256).where(
                Document.agency_id == crm.actor.agency_id, Document.sha256.in_(hashes)
            )
        )
    )
    for sha256 in hashes - still_used:
        store.delete(crm.actor.agency_id, sha256)
    return ref
