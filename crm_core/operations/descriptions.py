"""Listing texts: written by the context's writer (an AI provider) when the actor allows AI
processing, from the template otherwise or whenever the writer fails."""

from __future__ import annotations

import logging

from pydantic import Field

from crm_core import descriptions
from crm_core.context import OperationContext
from crm_core.fields import LanguageChoice, Reference, ToneChoice
from crm_core.i18n import N_
from crm_core.models import Property
from crm_core.operations.common import resolve
from crm_core.registry import OperationInput, operation
from crm_core.views import ListingDescription, RecordLink

log = logging.getLogger(__name__)


class WriteDescription(OperationInput):
    __doc__ = N_(
        "Write a listing text (an ad) for a property from its recorded facts only, in English "
        "or French. It is shown, not saved: the agent saves it to the listing with a button."
    )
    positional = "property"

    property: Reference = Field(description=N_("Short ref (P3), or words of the title"))
    tone: ToneChoice = Field(None, description=N_("standard, warm, premium or concise"))
    language: LanguageChoice = Field(None, description=N_("en or fr; default the agent's"))


async def _written(ctx: OperationContext, facts: dict[str, object], tone: str, lang: str) -> str:
    """The writer's text when it may and can write one that states the stored facts."""
    if ctx.writer is None or not ctx.actor.ai_allowed:
        return ""
    try:
        text = (await ctx.writer.write(facts, tone, lang)).strip()
    except descriptions.DescriptionUnavailable as error:
        log.warning("description writer unavailable: %s", error)
        return ""
    if (
        not text
        or len(text) > descriptions.MAX_LENGTH
        or not descriptions.states_facts(text, facts)
    ):
        log.warning("description writer's text refused (empty, too long or facts not stated)")
        return ""
    return text


@operation("write_description", WriteDescription, writes=False)
async def write_description(ctx: OperationContext, args: WriteDescription) -> ListingDescription:
    prop = await resolve(ctx, Property, args.property, "property")
    tone = str(args.tone or "standard")
    language = str(args.language or ("fr" if ctx.actor.locale.startswith("fr") else "en"))
    facts = descriptions.listing_facts(prop, ctx.actor.currency)
    text = await _written(ctx, facts, tone, language)
    return ListingDescription(
        property=RecordLink(ref=prop.ref, label=prop.title),
        text=text or descriptions.template(facts, tone, language),
        tone=tone,
        language=language,
        written_by="ai" if text else "template",
    )
