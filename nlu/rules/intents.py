"""The rules in the order they are tried: the most specific wording first, writes that need
strong evidence after the reads that share their words. A rule answers None when the clause
is not its kind, [] when it is but cannot be read safely (the message is then not understood)."""

from __future__ import annotations

from nlu.interpreter import OperationCall
from nlu.rules import activities, contacts, deals, insights, notes, properties, reminders
from nlu.rules.common import Reading, Rule

RULES: tuple[Rule, ...] = (
    insights.describe,
    insights.score,
    insights.match,
    notes.add,
    reminders.manage,
    reminders.list_reminders,
    reminders.add_reminder,
    reminders.agenda,
    deals.create,
    deals.list_deals,
    deals.show,
    properties.withdraw,
    contacts.delete,
    properties.delete,
    properties.add,
    contacts.add,
    deals.update_stage,
    activities.log,
    properties.show,
    contacts.show,
    properties.update,
    contacts.update,
    properties.find,
    contacts.find,
)


def calls_for(reading: Reading) -> list[OperationCall]:
    for rule in RULES:
        found = rule(reading)
        if found is not None:
            return found
    return []
