"""Deals: a client's way through the pipeline, from lead to won or lost."""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import func, select

from crm_core.context import OperationContext
from crm_core.events import DealChanged
from crm_core.fields import DealStageChoice, Money, OptionalReference, Reference, ShortText
from crm_core.i18n import N_
from crm_core.models import CLOSED_STAGES, Contact, Deal, DealStage, Property
from crm_core.operations.common import (
    history_of,
    new_record,
    next_number,
    resolve,
    resolve_optional,
    scoped,
    view_of,
    views_of,
)
from crm_core.registry import OperationInput, operation
from crm_core.views import DealCard, DealList, DealView


class CreateDeal(OperationInput):
    __doc__ = N_("Open a deal for a contact, optionally on a property.")
    positional = "contact"

    contact: Reference = Field(description=N_("The client: short ref (C12), name or phone"))
    property: OptionalReference = Field(None, description=N_("The property: short ref (P3)"))
    stage: DealStageChoice = Field(
        None,
        description=N_("lead, visit, offer, negotiation, under_contract, won or lost"),
    )
    amount: Money = Field(None, description=N_("Expected amount, whole currency units"))
    title: ShortText = Field(None, description=N_("Short title"))


class ShowDeal(OperationInput):
    __doc__ = N_("Show a deal with its reminders, notes and activities.")
    positional = "deal"

    deal: Reference = Field(description=N_("Short ref (D2), or the client's name"))


class UpdateDeal(OperationInput):
    __doc__ = N_("Move a deal to another stage, or change its amount or title.")
    positional = "deal"

    deal: Reference = Field(description=N_("Short ref (D2), or the client's name"))
    stage: DealStageChoice = Field(
        None,
        description=N_("lead, visit, offer, negotiation, under_contract, won or lost"),
    )
    amount: Money = Field(None, description=N_("Amount, whole currency units"))
    title: ShortText = Field(None, description=N_("Short title"))


class ListDeals(OperationInput):
    __doc__ = N_("List deals, open ones by default, optionally by stage, contact or property.")
    positional = "stage"

    stage: DealStageChoice = Field(None, description=N_("Only this stage"))
    contact: OptionalReference = Field(None, description=N_("Only this client's deals"))
    property: OptionalReference = Field(None, description=N_("Only deals on this property"))


@operation("create_deal", CreateDeal, writes=True)
async def create_deal(ctx: OperationContext, args: CreateDeal) -> DealView:
    contact = await resolve(ctx, Contact, args.contact, "contact")
    prop = await resolve_optional(ctx, Property, args.property, "property")
    amount = args.amount if args.amount is not None else (prop.price if prop else None)
    deal = new_record(
        ctx,
        Deal,
        await next_number(ctx, Deal),
        contact_id=contact.id,
        property_id=prop.id if prop else None,
        stage=args.stage or DealStage.LEAD,
        amount=amount,
        title=args.title or (f"{contact.name} · {prop.title}" if prop else contact.name),
        assigned_to_id=ctx.actor.user_id,
        stage_changed_at=ctx.now,
    )
    await ctx.session.flush()
    return await view_of(ctx, deal)


@operation("show_deal", ShowDeal, writes=False)
async def show_deal(ctx: OperationContext, args: ShowDeal) -> DealCard:
    deal = await resolve(ctx, Deal, args.deal, "deal")
    return DealCard(
        deal=await view_of(ctx, deal), history=await history_of(ctx, "deal_id", deal.id)
    )


@operation("update_deal", UpdateDeal, writes=True)
async def update_deal(ctx: OperationContext, args: UpdateDeal) -> DealView:
    deal = await resolve(ctx, Deal, args.deal, "deal")
    old_stage, old_amount = deal.stage, deal.amount
    if args.stage and args.stage != deal.stage:
        deal.stage = args.stage
        deal.stage_changed_at = ctx.now
    if "amount" in args.model_fields_set:
        deal.amount = args.amount
    if args.title:
        deal.title = args.title
    await ctx.session.flush()
    if deal.stage != old_stage or deal.amount != old_amount:  # the assignee and owner hear of it
        ctx.events.append(
            DealChanged(
                agency_id=deal.agency_id,
                deal_id=deal.id,
                actor_user_id=ctx.actor.user_id,
                old_stage=old_stage if deal.stage != old_stage else None,
                old_amount=old_amount,
                amount_changed=deal.amount != old_amount,
            )
        )
    return await view_of(ctx, deal)


@operation("list_deals", ListDeals, writes=False)
async def list_deals(ctx: OperationContext, args: ListDeals) -> DealList:
    query = scoped(ctx, Deal)
    if args.stage:
        query = query.where(Deal.stage == args.stage)
    else:
        query = query.where(Deal.stage.not_in(list(CLOSED_STAGES)))
    if args.contact:
        contact = await resolve(ctx, Contact, args.contact, "contact")
        query = query.where(Deal.contact_id == contact.id)
    if args.property:
        prop = await resolve(ctx, Property, args.property, "property")
        query = query.where(Deal.property_id == prop.id)
    total = await ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (
        await ctx.session.scalars(
            query.order_by(Deal.stage_changed_at.desc(), Deal.number.desc()).limit(50)
        )
    ).all()
    return DealList(items=await views_of(ctx, rows), total=total)
