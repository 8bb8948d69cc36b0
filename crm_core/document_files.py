"""Stored files that no document references any more (its record was deleted, a client's
data was erased) are removed from disk: the encrypted copy must not outlive its row."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.models import Document
from crm_core.storage import FileStore

# A file is put in the store just before its row is committed: leave recent ones alone.
GRACE_SECONDS = 3600


async def purge_unreferenced(
    session: AsyncSession, store: FileStore, *, grace_seconds: float = GRACE_SECONDS
) -> int:
    """Delete unreferenced files; returns how many. Needs a session spanning agencies (a
    system session: this is a job's work)."""
    rows = await session.execute(select(Document.agency_id, Document.sha256))
    referenced = {(agency_id, sha256) for agency_id, sha256 in rows}
    cutoff = time.time() - grace_seconds
    removed = 0
    for agency_id, sha256, modified in list(store.stored()):
        if (agency_id, sha256) not in referenced and modified < cutoff:
            store.delete(agency_id, sha256)
            removed += 1
    return removed
