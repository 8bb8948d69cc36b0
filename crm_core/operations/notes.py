"""Notes: what an agent wants to remember about a client, a listing or a deal."""

from __future__ import annotations

from pydantic import Field

from crm_core.context import OperationContext
from crm_core.fields import RequiredLongText
from crm_core.i18n import N_
from crm_core.models import Note
from crm_core.operations.common import new_record, next_number, view_of
from crm_core.operations.links import LinkFields, resolve_links
from crm_core.registry import operation
from crm_core.views import NoteView


class AddNote(LinkFields):
    __doc__ = N_("Write a note, optionally about a contact, a property or a deal.")
    positional = "text"

    text: RequiredLongText = Field(description=N_("The note"))


@operation("add_note", AddNote, writes=True)
async def add_note(ctx: OperationContext, args: AddNote) -> NoteView:
    links = await resolve_links(ctx, args)
    note = new_record(ctx, Note, await next_number(ctx, Note), text=args.text, **links)
    await ctx.session.flush()
    return await view_of(ctx, note)
