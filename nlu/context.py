"""The short memory of a chat: the records it recently showed or touched, most recent first,
so that "call her tomorrow" or "move it to offer" can name them. Kept per chat in FSM storage
by the handlers (memory, or Redis at scale), never in the CRM tables, and forgotten after a
while of silence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from crm_core.views import (
    ActivityView,
    ContactCard,
    ContactList,
    ContactMatches,
    ContactView,
    DealCard,
    DealList,
    DealView,
    LeadScore,
    ListingDescription,
    NoteView,
    PropertyCard,
    PropertyList,
    PropertyMatches,
    PropertyView,
    RecordLink,
    ReminderView,
)
from nlu.interpreter import Mention

MAX_MENTIONS = 8
FORGET_AFTER = timedelta(minutes=30)
# A list names its first few items only: "call her" after a list of 10 is a guess too far.
LIST_ITEMS = 1


def _of_view(view: Any) -> list[Mention]:
    if isinstance(view, ContactView):
        return [Mention(view.ref, view.name)]
    if isinstance(view, PropertyView):
        return [Mention(view.ref, view.title)]
    if isinstance(view, DealView):
        # The deal first, then who and what it is about.
        return [Mention(view.ref, view.title or view.contact.label), *_links([view.contact])]
    if isinstance(view, ReminderView):
        return [Mention(view.ref, view.text), *_links(view.links)]
    if isinstance(view, ActivityView | NoteView):
        return _links(view.links)
    if isinstance(view, ContactCard):
        return _of_view(view.contact)
    if isinstance(view, PropertyCard):
        return _of_view(view.property)
    if isinstance(view, DealCard):
        return _of_view(view.deal)
    if isinstance(view, ContactList | PropertyList | DealList):
        return [m for item in view.items[:LIST_ITEMS] for m in _of_view(item)]
    # Matches, scores and listing texts are about one record: "her", "it" mean that one.
    if isinstance(view, PropertyMatches | LeadScore):
        return _links([view.contact])
    if isinstance(view, ContactMatches | ListingDescription):
        return _links([view.property])
    return []


def _links(links: Iterable[RecordLink]) -> list[Mention]:
    return [Mention(link.ref, link.label) for link in links]


def mentions_in(results: Sequence[Any]) -> list[Mention]:
    """The records named by results, the last result's first."""
    found: list[Mention] = []
    for result in reversed(results):
        found.extend(_of_view(result))
    return found


def remember(
    stored: dict[str, Any] | None, new: Sequence[Mention], now: datetime
) -> dict[str, Any]:
    """The stored memory updated with `new` (most recent first), as JSON-ready data."""
    previous = recall(stored, now)
    merged: list[Mention] = []
    for mention in [*new, *previous]:
        if all(m.ref != mention.ref for m in merged):
            merged.append(mention)
    return {
        "at": now.timestamp(),
        "mentions": [[m.ref, m.label[:80]] for m in merged[:MAX_MENTIONS]],
    }


def recall(stored: dict[str, Any] | None, now: datetime) -> tuple[Mention, ...]:
    if not stored or now.timestamp() - float(stored.get("at", 0)) > FORGET_AFTER.total_seconds():
        return ()
    return tuple(Mention(str(ref), str(label)) for ref, label in stored.get("mentions", []))
