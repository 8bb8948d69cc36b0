"""Arguments shared by the records that hang off a contact, a property and/or a deal."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from crm_core.context import OperationContext
from crm_core.fields import OptionalReference
from crm_core.i18n import N_
from crm_core.models import Contact, Deal, Property
from crm_core.operations.common import resolve_optional
from crm_core.registry import OperationInput


class LinkFields(OperationInput):
    contact: OptionalReference = Field(None, description=N_("A contact: short ref, name or phone"))
    property: OptionalReference = Field(None, description=N_("A property: short ref (P3)"))
    deal: OptionalReference = Field(None, description=N_("A deal: short ref (D2)"))


async def resolve_links(ctx: OperationContext, args: LinkFields) -> dict[str, Any]:
    """Resolve the linked records inside the agency. A deal brings its contact and property."""
    contact = await resolve_optional(ctx, Contact, args.contact, "contact")
    prop = await resolve_optional(ctx, Property, args.property, "property")
    deal = await resolve_optional(ctx, Deal, args.deal, "deal")
    contact_id = contact.id if contact else (deal.contact_id if deal else None)
    property_id = prop.id if prop else (deal.property_id if deal else None)
    return {
        "contact_id": contact_id,
        "property_id": property_id,
        "deal_id": deal.id if deal else None,
    }
