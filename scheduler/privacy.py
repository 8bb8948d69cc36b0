"""The daily privacy purge: accounts past their deletion grace period (and the agencies their
owners closed), expired invitations."""

from __future__ import annotations

import logging
from datetime import datetime

from crm_core import analytics, erasure
from crm_core.db import Database
from crm_core.erasure import ForgetChat, PurgeReport
from crm_core.storage import FileStore

log = logging.getLogger(__name__)


async def purge_privacy(
    db: Database,
    now: datetime,
    *,
    files: FileStore | None = None,
    forget_chat: ForgetChat | None = None,
) -> PurgeReport:
    async with db.system_session() as session:
        report = await erasure.purge_due(session, now, store=files, forget_chat=forget_chat)
        await analytics.prune(session, now.date())  # usage figures past their retention
        await session.commit()
    # Counts only: the log never names a person.
    log.info(
        "privacy purge: %d accounts, %d agencies, %d invites",
        report.accounts,
        report.agencies,
        report.invites,
    )
    return report
