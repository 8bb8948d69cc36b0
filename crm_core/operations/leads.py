"""Lead scores: one contact's, and the agency's hottest leads. Computed on demand from the
activities, deals and criteria with a few aggregate queries (never one query per contact)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from pydantic import Field
from sqlalchemy import and_, case, func, select, union_all

from crm_core import scoring
from crm_core.context import OperationContext
from crm_core.fields import Limit, Reference
from crm_core.i18n import N_
from crm_core.models import CLOSED_STAGES, Activity, Contact, Deal
from crm_core.operations.common import resolve, scoped
from crm_core.registry import OperationInput, operation
from crm_core.views import LeadList, LeadScore, RecordLink, ScoreFactor

ID_BATCH = 500  # ids per IN (...): well under every database's parameter limit
LEAD_COLUMNS = (
    Contact.id,
    Contact.number,
    Contact.name,
    Contact.phone,
    Contact.email,
    Contact.city,
    Contact.budget_min,
    Contact.budget_max,
    Contact.property_type,
    Contact.rooms_min,
    Contact.surface_min,
)


class ScoreLead(OperationInput):
    __doc__ = N_(
        "How warm a contact is as a lead, 0-100, with the reasons (recent activity, open "
        "deals, responsiveness, criteria). Advisory only."
    )
    positional = "contact"

    contact: Reference = Field(description=N_("Short ref (C12), name, phone or email"))


class ListLeads(OperationInput):
    __doc__ = N_("The agency's hottest leads, by lead score.")

    limit: Limit = Field(10, description=N_("How many results at most"))


async def _activity_facts(
    ctx: OperationContext, contact_ids: Collection[int]
) -> dict[int, tuple[Any, int, int]]:
    """contact id -> (last activity, activities in the count window, responsive ones)."""
    window = ctx.now - scoring.COUNT_WINDOW
    responsive_since = ctx.now - scoring.RESPONSE_WINDOW
    query = (
        scoped(ctx, Activity)
        .with_only_columns(
            Activity.contact_id,
            func.max(Activity.occurred_at),
            func.sum(case((Activity.occurred_at >= window, 1), else_=0)),
            func.sum(
                case(
                    (
                        and_(
                            Activity.occurred_at >= responsive_since,
                            Activity.kind.in_(scoring.RESPONSIVE_KINDS),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .where(Activity.contact_id.is_not(None), Activity.occurred_at <= ctx.now)
        .group_by(Activity.contact_id)
    )
    query = query.where(Activity.contact_id.in_(list(contact_ids)))
    rows = (await ctx.session.execute(query)).all()
    return {cid: (last, int(count or 0), int(resp or 0)) for cid, last, count, resp in rows}


async def _open_stages(ctx: OperationContext, contact_ids: Collection[int]) -> dict[int, list[str]]:
    query = (
        scoped(ctx, Deal)
        .with_only_columns(Deal.contact_id, Deal.stage)
        .where(Deal.stage.not_in(list(CLOSED_STAGES)))
    )
    query = query.where(Deal.contact_id.in_(list(contact_ids)))
    stages: dict[int, list[str]] = defaultdict(list)
    for cid, stage in (await ctx.session.execute(query)).all():
        stages[cid].append(stage)
    return stages


def _facts(
    contact: Any, activity: tuple[Any, int, int] | None, stages: list[str]
) -> scoring.LeadFacts:
    last, count, responsive = activity or (None, 0, 0)
    return scoring.LeadFacts(
        last_activity_at=last,
        recent_activities=count,
        responsive_activities=responsive,
        open_stages=tuple(stages),
        has_budget=contact.budget_max is not None or contact.budget_min is not None,
        has_city=bool(contact.city),
        has_type=bool(contact.property_type),
        has_size=bool(contact.rooms_min or contact.surface_min),
        reachable=bool(contact.phone or contact.email),
    )


def _view(link: RecordLink, result: scoring.Score) -> LeadScore:
    return LeadScore(
        contact=link,
        score=result.value,
        factors=[
            ScoreFactor(code=f.code, points=f.points, params=dict(f.params)) for f in result.factors
        ],
    )


@operation("score_lead", ScoreLead, writes=False)
async def score_lead(ctx: OperationContext, args: ScoreLead) -> LeadScore:
    contact = await resolve(ctx, Contact, args.contact, "contact")
    activity = (await _activity_facts(ctx, [contact.id])).get(contact.id)
    stages = (await _open_stages(ctx, [contact.id])).get(contact.id, [])
    result = scoring.score(_facts(contact, activity, stages), ctx.now)
    return _view(RecordLink(ref=contact.ref, label=contact.name), result)


def _capped(count: Any, per: int, cap: int) -> Any:
    return case((count * per > cap, cap), else_=count * per)


def engagement_query(ctx: OperationContext, limit: int) -> Any:
    """(contact id, engagement) of the contacts that may be among the ``limit`` best leads.

    Engagement is the score without criteria, computed in SQL from scoring's own constants
    (tests hold it equal to the Python score). Criteria add CRITERIA_POINTS at most, so a
    contact further than that below the ``limit``-th best engagement cannot reach the top.
    """
    window = ctx.now - scoring.COUNT_WINDOW
    last = func.max(Activity.occurred_at)
    responsive = func.sum(
        case(
            (
                and_(
                    Activity.occurred_at >= ctx.now - scoring.RESPONSE_WINDOW,
                    Activity.kind.in_(scoring.RESPONSIVE_KINDS),
                ),
                1,
            ),
            else_=0,
        )
    )
    recency = case(
        *[(last >= ctx.now - age, points) for age, points in scoring.RECENCY_STEPS], else_=0
    )
    # Older activities give no points: the window loses nothing.
    by_activity = (
        scoped(ctx, Activity)
        .with_only_columns(
            Activity.contact_id.label("cid"),
            (
                recency
                + _capped(func.count(), scoring.PER_ACTIVITY, scoring.ACTIVITY_MAX)
                + _capped(responsive, scoring.PER_RESPONSE, scoring.RESPONSE_MAX)
            ).label("points"),
        )
        .where(
            Activity.contact_id.is_not(None),
            Activity.occurred_at >= window,
            Activity.occurred_at <= ctx.now,
        )
        .group_by(Activity.contact_id)
    )
    stage = case(
        *[(Deal.stage == name, points) for name, points in scoring.STAGE_POINTS.items()],
        else_=0,
    )
    by_deal = (
        scoped(ctx, Deal)
        .with_only_columns(Deal.contact_id.label("cid"), func.max(stage).label("points"))
        .where(Deal.stage.not_in(list(CLOSED_STAGES)))
        .group_by(Deal.contact_id)
    )
    parts = union_all(by_activity, by_deal).subquery()
    engagement = (
        select(parts.c.cid, func.sum(parts.c.points).label("points"))
        .group_by(parts.c.cid)
        .cte("engagement")
    )
    kth = (
        select(engagement.c.points)
        .order_by(engagement.c.points.desc())
        .limit(1)
        .offset(limit - 1)
        .scalar_subquery()
    )
    return select(engagement.c.cid).where(
        engagement.c.points > 0,
        engagement.c.points >= func.coalesce(kth, 0) - scoring.CRITERIA_POINTS,
    )


async def _batched(ctx: OperationContext, query: Any, column: Any, ids: list[int]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(ids), ID_BATCH):
        rows.extend(
            (
                await ctx.session.execute(query.where(column.in_(ids[start : start + ID_BATCH])))
            ).all()
        )
    return rows


@operation("list_leads", ListLeads, writes=False)
async def list_leads(ctx: OperationContext, args: ListLeads) -> LeadList:
    ids = sorted((await ctx.session.scalars(engagement_query(ctx, args.limit))).all())
    if not ids:
        return LeadList(items=[])
    contacts = await _batched(
        ctx, scoped(ctx, Contact).with_only_columns(*LEAD_COLUMNS), Contact.id, ids
    )
    activities: dict[int, tuple[Any, int, int]] = {}
    stages: dict[int, list[str]] = {}
    for start in range(0, len(ids), ID_BATCH):
        batch = ids[start : start + ID_BATCH]
        activities.update(await _activity_facts(ctx, batch))
        stages.update(await _open_stages(ctx, batch))
    scored = [
        (scoring.score(_facts(row, activities.get(row.id), stages.get(row.id, [])), ctx.now), row)
        for row in contacts
    ]
    scored.sort(key=lambda item: (-item[0].value, -item[1].number))
    return LeadList(
        items=[
            _view(RecordLink(ref=f"{Contact.ref_prefix}{row.number}", label=row.name), result)
            for result, row in scored[: args.limit]
        ]
    )
