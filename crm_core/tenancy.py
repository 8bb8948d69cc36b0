"""The second wall of tenancy.

Operations already filter every query by the acting agency. This module makes a forgotten
filter fail closed: every ORM SELECT, UPDATE and DELETE on a tenant model gets
``agency_id = <session's agency>`` added, and a flush refuses to write a record of another
agency. A session with no agency sees no tenant record at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from crm_core.models import TenantRecord

NO_AGENCY = -1  # matches no row: ids start at 1


class CrossAgencyWrite(RuntimeError):
    """A flush tried to write a record outside the session's agency: a bug, never user input."""


class AgencyScopedSession(Session):
    """Session class whose tenant queries are confined to ``info["agency_id"]``."""


def _agency_of(session: Session) -> int | None:
    if session.info.get("all_agencies"):
        return None
    agency_id = session.info.get("agency_id")
    return agency_id if agency_id is not None else NO_AGENCY


@event.listens_for(AgencyScopedSession, "do_orm_execute")
def _confine_queries(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    agency_id = _agency_of(state.session)
    if agency_id is None:
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantRecord,
            lambda cls: cls.agency_id == agency_id,
            include_aliases=True,
        )
    )


@event.listens_for(AgencyScopedSession, "before_flush")
def _refuse_foreign_writes(session: Session, _context: Any, _instances: Any) -> None:
    agency_id = _agency_of(session)
    if agency_id is None:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, TenantRecord) and obj.agency_id != agency_id:
            raise CrossAgencyWrite(f"{type(obj).__name__} of another agency in this session")
