"""Every CRM operation, end to end as a member sees it in the chat, and what the database then
holds: contacts, properties, deals, activities, notes, reminders, the agenda, short refs,
homonyms, confirmations, guided forms and the buttons on record cards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from crm_core.models import (
    Activity,
    Contact,
    Deal,
    Note,
    Property,
    Reminder,
    TenantRecord,
    User,
)
from tests.harness import START, ChatUser, Clock, Harness, Turn

# --- helpers ---------------------------------------------------------------------------------


async def agency_of(harness: Harness, user: ChatUser) -> int:
    async with harness.db.session() as session:
        agency_id = await session.scalar(select(User.agency_id).where(User.telegram_id == user.id))
    assert agency_id is not None
    return agency_id


async def stored(harness: Harness, user: ChatUser, model: type[Any], *where: Any) -> list[Any]:
    """The records of ``user``'s agency, by short-ref number."""
    async with harness.db.session(await agency_of(harness, user)) as session:
        return list(await session.scalars(select(model).where(*where).order_by(model.number)))


async def by_ref(harness: Harness, user: ChatUser, model: type[Any], number: int) -> Any:
    rows = await stored(harness, user, model, model.number == number)
    return rows[0] if rows else None


async def count(harness: Harness, user: ChatUser, model: type[TenantRecord]) -> int:
    async with harness.db.session(await agency_of(harness, user)) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def ok(user: ChatUser, text: str, expected: str) -> Turn:
    """Send a command that must succeed with ``expected`` in the answer."""
    turn = await user.send(text)
    assert expected in turn.text, turn.text
    return turn


async def seed(user: ChatUser) -> None:
    """C1 Marie Dupont (buyer), C2 Paul Martin (landlord), P1 owned by Paul, D1 Marie on P1."""
    await ok(user, "/add_contact Marie Dupont phone=06 12 34 56 78 city=Lyon", "C1")
    await ok(user, "/add_contact Paul Martin role=landlord", "C2")
    await ok(user, "/add_property T3 Croix-Rousse city=Lyon price=300k owner_contact=C2", "P1")
    await ok(user, "/create_deal C1 property=P1", "D1")


# --- contacts --------------------------------------------------------------------------------


async def test_add_contact_reads_every_field_and_stores_it(
    harness: Harness, owner: ChatUser
) -> None:
    turn = await owner.send(
        "/add_contact Marie Dupont phone=06 12 34 56 78 email=Marie@Example.COM role=acheteuse "
        "city=Lyon budget_min=250k budget_max=350 000 € property_type=appartement rooms_min=T3 "
        "surface_min=60 m² source=Leboncoin notes=Wants a balcony"
    )

    assert "Contact saved" in turn.text
    assert "C1" in turn.text and "Marie Dupont" in turn.text
    assert "+33 6 12 34 56 78" in turn.text and "€350,000" in turn.text
    [contact] = await stored(harness, owner, Contact)
    assert (contact.number, contact.name, contact.name_key) == (1, "Marie Dupont", "marie dupont")
    assert contact.phone == "+33612345678"
    assert contact.email == "Marie@example.com"
    assert contact.role == "buyer"
    assert (contact.city, contact.source, contact.notes) == ("Lyon", "Leboncoin", "Wants a balcony")
    assert (contact.budget_min, contact.budget_max) == (250_000, 350_000)
    assert (contact.property_type, contact.rooms_min, contact.surface_min) == ("apartment", 3, 60)


async def test_find_contacts_by_name_role_and_city(harness: Harness, owner: ChatUser) -> None:
    await ok(owner, "/add_contact Marie Dupont city=Lyon", "C1")
    await ok(owner, "/add_contact Paul Martin role=tenant city=Paris", "C2")
    await ok(owner, "/add_contact Marie-Thérèse Curie role=seller city=Paris", "C3")

    by_name = await owner.send("/find_contacts marie")
    assert "(2 of 2)" in by_name.text
    assert "Marie Dupont" in by_name.text and "Curie" in by_name.text
    assert "Paul" not in by_name.text
    assert sorted(by_name.labels) == ["C1 Marie Dupont", "C3 Marie-Thérèse Curie"]

    accents = await owner.send("/find_contacts THERESE")
    assert "Curie" in accents.text and "Dupont" not in accents.text

    tenants = await owner.send("/find_contacts role=locataire")
    assert "Paul Martin" in tenants.text and "Marie" not in tenants.text

    in_paris = await owner.send("/find_contacts city=paris")
    assert "(2 of 2)" in in_paris.text and "Dupont" not in in_paris.text

    limited = await owner.send("/find_contacts limit=1")
    assert "(1 of 3)" in limited.text

    everyone = await owner.send("/contacts")
    assert "(3 of 3)" in everyone.text

    nobody = await owner.send("/find_contacts Zebulon")
    assert "No contact found" in nobody.text


async def test_show_contact_card_with_its_history(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)
    await ok(owner, "/add_note C1 Prefers top floors", "Note saved")
    await ok(owner, "/log_activity C1 Asked for photos kind=call", "Logged")
    await ok(owner, "/add_reminder C1 Send the lease due_at=tomorrow 10:00", "Reminder set")

    card = await owner.send("/show_contact C1")

    assert "C1 · Marie Dupont" in card.text
    assert "+33 6 12 34 56 78" in card.text and "Lyon" in card.text
    for section, row in [
        ("Open deals", "D1"),
        ("Reminders", "Send the lease"),
        ("Latest notes", "Prefers top floors"),
        ("Latest activity", "Asked for photos"),
    ]:
        assert section in card.text and row in card.text
    assert "Wed 11 Mar 10:00" in card.text  # the reminder, in Alice's time zone
    for label in ("Edit", "Note", "Remind", "Log call", "New deal", "Delete", "D1"):
        assert any(label in shown for shown in card.labels), (label, card.labels)

    by_phone = await owner.send("/show_contact +33 6 12 34 56 78")
    assert "C1 · Marie Dupont" in by_phone.text


async def test_update_contact_changes_only_given_fields(harness: Harness, owner: ChatUser) -> None:
    await ok(owner, "/add_contact Marie Dupont phone=0612345678 city=Lyon budget_max=300k", "C1")

    turn = await owner.send("/update_contact C1 city=Paris budget_max=400k")

    assert "Contact updated" in turn.text and "Paris" in turn.text and "€400,000" in turn.text
    contact = await by_ref(harness, owner, Contact, 1)
    assert (contact.city, contact.budget_max) == ("Paris", 400_000)
    assert (contact.name, contact.phone) == ("Marie Dupont", "+33612345678")

    await ok(owner, "/update_contact C1 name=Marie Durand-Dupont role=seller", "Contact updated")
    contact = await by_ref(harness, owner, Contact, 1)
    assert (contact.name, contact.name_key) == ("Marie Durand-Dupont", "marie durand-dupont")
    assert contact.role == "seller"
    found = await owner.send("/find_contacts durand")
    assert "C1" in found.text


async def test_delete_contact_asks_first_and_no_keeps_it(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)
    await ok(owner, "/add_note C1 Call after 6pm", "Note saved")

    question = await owner.send("/delete_contact Marie Dupont")

    assert "Delete C1 · Marie Dupont?" in question.text
    assert "1 deal" in question.text and "1 note" in question.text
    assert "cannot be undone" in question.text
    assert question.labels == ["Yes, delete", "No, keep it"]
    assert await count(harness, owner, Contact) == 2

    kept = await owner.press("No, keep it")

    assert "Nothing was changed" in kept.text
    assert await by_ref(harness, owner, Contact, 1) is not None
    assert await count(harness, owner, Deal) == 1 and await count(harness, owner, Note) == 1


async def test_delete_contact_yes_deletes_it_with_what_hangs_off_it(
    harness: Harness, owner: ChatUser
) -> None:
    await seed(owner)
    await ok(owner, "/add_note C1 Call after 6pm", "Note saved")
    await ok(owner, "/add_reminder D1 Visit due_at=tomorrow 10:00", "Reminder set")
    await ok(owner, "/log_activity C2 Signed the mandate kind=meeting", "Logged")

    await owner.send("/delete_contact C1")
    done = await owner.press("Yes, delete")

    assert "Deleted C1 · Marie Dupont" in done.text
    assert [c.number for c in await stored(harness, owner, Contact)] == [2]
    assert await count(harness, owner, Deal) == 0
    assert await count(harness, owner, Note) == 0
    assert await count(harness, owner, Reminder) == 0
    assert await count(harness, owner, Activity) == 1  # Paul's, untouched
    assert await count(harness, owner, Property) == 1
    gone = await owner.send("/show_contact C1")
    assert "found no contact" in gone.text


async def test_deleting_the_owner_unlinks_the_property(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)
    await owner.send("/delete_contact C2")
    await owner.press("Yes, delete")

    [prop] = await stored(harness, owner, Property)
    assert prop.owner_contact_id is None
    card = await owner.send("/show_property P1")
    assert "Owner" not in card.text and "T3 Croix-Rousse" in card.text


async def test_confirmation_buttons_work_once(harness: Harness, owner: ChatUser) -> None:
    await ok(owner, "/add_contact Marie Dupont", "C1")
    await ok(owner, "/add_contact Paul Martin", "C2")
    question = await owner.send("/delete_contact C1")
    message = owner.last_message()
    yes, no = (b.callback_data or "" for b in question.buttons)

    await owner.press_data(message, no)
    # The same question's other answer is spent too.
    late_yes = await owner.press_data(message, yes)

    assert "expired" in late_yes.text
    assert "Deleted" not in late_yes.text
    assert await count(harness, owner, Contact) == 2

    question = await owner.send("/delete_contact C1")
    message = owner.last_message()
    yes = question.buttons[0].callback_data or ""
    first = await owner.press_data(message, yes)
    again = await owner.press_data(message, yes)

    assert "Deleted C1" in first.text
    assert "expired" in again.text and "Deleted" not in again.text
    assert [c.number for c in await stored(harness, owner, Contact)] == [2]


@pytest.mark.parametrize(("wait_seconds", "deleted"), [(590, True), (601, False)])
async def test_confirmation_expires_after_its_ttl(
    harness: Harness, owner: ChatUser, clock: Clock, wait_seconds: int, deleted: bool
) -> None:
    await ok(owner, "/add_contact Marie Dupont", "C1")
    await owner.send("/delete_contact C1")

    clock.advance(seconds=wait_seconds)
    turn = await owner.press("Yes, delete")

    assert ("Deleted C1" in turn.text) is deleted, turn.text
    assert ("expired" in turn.text) is not deleted, turn.text
    assert await count(harness, owner, Contact) == (0 if deleted else 1)


# --- properties ------------------------------------------------------------------------------


async def test_add_property_reads_every_field(harness: Harness, owner: ChatUser) -> None:
    await ok(owner, "/add_contact Paul Martin role=landlord", "C1")

    turn = await owner.send(
        "/add_property T3 Croix-Rousse address=12 rue d'Austerlitz city=Lyon postcode=69004 "
        "property_type=appartement transaction=location price=1 200 € surface_m2=68,5 m² "
        "rooms=T3 bedrooms=2 owner_contact=C1 description=Bright, quiet"
    )

    assert "Property saved" in turn.text and "P1" in turn.text
    assert "for rent" in turn.text and "69 m²" in turn.text and "€1,200" in turn.text
    [prop] = await stored(harness, owner, Property)
    [paul] = await stored(harness, owner, Contact)
    assert (prop.title, prop.address, prop.city, prop.postcode) == (
        "T3 Croix-Rousse",
        "12 rue d'Austerlitz",
        "Lyon",
        "69004",
    )
    assert (prop.property_type, prop.transaction, prop.status) == ("apartment", "rent", "available")
    assert (prop.price, prop.surface_m2, prop.rooms, prop.bedrooms) == (1200, 69, 3, 2)
    assert prop.owner_contact_id == paul.id and prop.description == "Bright, quiet"

    card = await owner.send("/show_property P1")
    assert "P1 · T3 Croix-Rousse" in card.text
    assert "Owner: C1 · Paul Martin" in card.text and "2 bedrooms" in card.text


async def test_property_without_title_is_named_after_its_address(
    harness: Harness, owner: ChatUser
) -> None:
    await ok(owner, "/add_property address=3 place Bellecour city=Lyon", "P1")
    [prop] = await stored(harness, owner, Property)
    assert prop.title == "3 place Bellecour, Lyon"


async def test_find_properties_with_filters(harness: Harness, owner: ChatUser) -> None:
    await ok(owner, "/add_property Studio Bellecour city=Lyon price=150k rooms=1", "P1")
    await ok(
        owner, "/add_property Maison Caluire city=Caluire property_type=house price=600k", "P2"
    )
    await ok(owner, "/add_property T2 Vieux Lyon city=Lyon transaction=rent price=900", "P3")

    cheap = await owner.send("/find_properties city=Lyon price_max=200k")
    assert "Studio Bellecour" in cheap.text and "T2 Vieux Lyon" in cheap.text
    assert "Maison" not in cheap.text

    houses = await owner.send("/find_properties property_type=maison")
    assert "(1 of 1)" in houses.text and "Maison Caluire" in houses.text

    rentals = await owner.send("/find_properties transaction=rent")
    assert "(1 of 1)" in rentals.text and "T2 Vieux Lyon" in rentals.text

    words = await owner.send("/find_properties bellecour")
    assert "(1 of 1)" in words.text and "Studio" in words.text

    # "T2" is how a flat is named, not a short ref.
    by_kind = await owner.send("/show_property T2")
    assert "P3 · T2 Vieux Lyon" in by_kind.text

    await ok(owner, "/properties", "(3 of 3)")


async def test_update_property_status_and_price(harness: Harness, owner: ChatUser) -> None:
    await ok(owner, "/add_property T3 Croix-Rousse city=Lyon price=300k", "P1")

    turn = await owner.send("/update_property P1 status=sous offre price=290k")

    assert "Property updated" in turn.text and "[under offer]" in turn.text
    prop = await by_ref(harness, owner, Property, 1)
    assert (prop.status, prop.price, prop.title) == ("under_offer", 290_000, "T3 Croix-Rousse")

    await ok(owner, "/update_property Croix-Rousse status=sold", "[sold]")
    assert (await by_ref(harness, owner, Property, 1)).status == "sold"
    sold = await owner.send("/find_properties status=sold")
    assert "(1 of 1)" in sold.text
    available = await owner.send("/find_properties status=available")
    assert "No property found" in available.text


async def test_delete_property_keeps_the_deal_unlinked(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)
    await ok(owner, "/add_note P1 Needs new windows", "Note saved")

    question = await owner.send("/delete_property P1")
    assert "Delete P1 · T3 Croix-Rousse?" in question.text and "1 note" in question.text
    assert await count(harness, owner, Property) == 1
    done = await owner.press("Yes, delete")

    assert "Deleted P1" in done.text
    assert await count(harness, owner, Property) == 0
    assert await count(harness, owner, Note) == 0
    [deal] = await stored(harness, owner, Deal)
    assert deal.property_id is None and deal.contact_id is not None


# --- deals -----------------------------------------------------------------------------------


async def test_create_deal_defaults_to_lead_and_the_listing_price(
    harness: Harness, owner: ChatUser
) -> None:
    await ok(owner, "/add_contact Marie Dupont", "C1")
    await ok(owner, "/add_property T3 Croix-Rousse price=300k", "P1")

    turn = await owner.send("/create_deal Marie property=P1")

    assert "Deal saved" in turn.text and "D1" in turn.text and "lead" in turn.text
    [deal] = await stored(harness, owner, Deal)
    [marie] = await stored(harness, owner, Contact)
    [prop] = await stored(harness, owner, Property)
    assert (deal.contact_id, deal.property_id) == (marie.id, prop.id)
    assert (deal.stage, deal.amount, deal.title) == (
        "lead",
        300_000,
        "Marie Dupont · T3 Croix-Rousse",
    )
    assert deal.stage_changed_at == START

    card = await owner.send("/show_deal D1")
    assert "Stage: lead" in card.text and "Amount: €300,000" in card.text
    assert "Client: C1 · Marie Dupont" in card.text and "Property: P1" in card.text
    assert "Agent: Alice Martin" in card.text


async def test_update_deal_stage_and_amount(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await seed(owner)
    clock.advance(hours=2)

    turn = await owner.send("/update_deal D1 stage=offre amount=280k")

    assert "Deal updated" in turn.text and "offer" in turn.text and "€280,000" in turn.text
    deal = await by_ref(harness, owner, Deal, 1)
    assert (deal.stage, deal.amount) == ("offer", 280_000)
    assert deal.stage_changed_at == clock.now


async def test_list_deals_open_by_default_or_by_stage(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)
    await ok(owner, "/create_deal C2 title=Mandate Paul stage=won", "D2")
    await ok(owner, "/create_deal C2 title=Second flat", "D3")

    open_deals = await owner.send("/deals")
    assert "(2 of 2)" in open_deals.text
    assert "D1" in open_deals.text and "D3" in open_deals.text and "D2" not in open_deals.text

    won = await owner.send("/deals won")
    assert "(1 of 1)" in won.text and "Mandate Paul" in won.text

    pauls = await owner.send("/list_deals contact=C2")
    assert "Second flat" in pauls.text and "D1" not in pauls.text

    on_p1 = await owner.send("/list_deals property=P1")
    assert "(1 of 1)" in on_p1.text and "D1" in on_p1.text

    lost = await owner.send("/deals lost")
    assert "No open deal" in lost.text


# --- activities and notes -------------------------------------------------------------------


async def test_log_activity_links_and_dates_it(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)

    turn = await owner.send("/log_activity D1 Visited the flat kind=visite")
    assert (
        "Logged" in turn.text
        and "Visited the flat" in turn.text
        and "Tue 10 Mar 09:00" in turn.text
    )

    earlier = await owner.send("/log_activity C2 Phoned kind=appel occurred_at=yesterday 15:00")
    assert "Mon 9 Mar 15:00" in earlier.text

    visit, call = await stored(harness, owner, Activity)
    deal = await by_ref(harness, owner, Deal, 1)
    assert (visit.kind, visit.summary, visit.occurred_at) == ("visit", "Visited the flat", START)
    # A deal brings its contact and property along.
    assert (visit.deal_id, visit.contact_id, visit.property_id) == (
        deal.id,
        deal.contact_id,
        deal.property_id,
    )
    assert (call.kind, call.occurred_at) == ("call", utc(2026, 3, 9, 14, 0))
    card = await owner.send("/show_contact C2")
    assert "Latest activity" in card.text and "Phoned" in card.text


async def test_add_note_on_a_contact_a_property_and_free(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)

    turn = await owner.send("/add_note C1 Prefers top floors")
    assert "Note saved" in turn.text and "Prefers top floors" in turn.text
    assert turn.labels == ["C1 Marie Dupont"]
    await ok(owner, "/add_note P1 Roof redone in 2020", "Note saved")
    await ok(owner, "/add_note Team meeting on Friday", "Note saved")

    on_contact, on_property, free = await stored(harness, owner, Note)
    marie = await by_ref(harness, owner, Contact, 1)
    prop = await by_ref(harness, owner, Property, 1)
    assert (on_contact.text, on_contact.contact_id) == ("Prefers top floors", marie.id)
    assert (on_property.property_id, on_property.contact_id) == (prop.id, None)
    assert (free.contact_id, free.property_id, free.deal_id) == (None, None, None)
    card = await owner.send("/show_property P1")
    assert "Latest notes" in card.text and "Roof redone in 2020" in card.text
    assert "Prefers top floors" not in card.text


# --- reminders -------------------------------------------------------------------------------


async def test_add_reminder_reads_time_in_the_agents_zone(
    harness: Harness, owner: ChatUser
) -> None:
    await seed(owner)

    turn = await owner.send("/add_reminder C1 Call Marie back due_at=tomorrow 10:00")

    assert "Reminder set" in turn.text and "R1" in turn.text
    assert "Wed 11 Mar 10:00" in turn.text and "Call Marie back" in turn.text
    [reminder] = await stored(harness, owner, Reminder)
    marie = await by_ref(harness, owner, Contact, 1)
    assert reminder.due_at == utc(2026, 3, 11, 9, 0)  # 10:00 in Paris
    assert (reminder.text, reminder.status, reminder.contact_id) == (
        "Call Marie back",
        "pending",
        marie.id,
    )


async def test_list_reminders_by_period(harness: Harness, owner: ChatUser, clock: Clock) -> None:
    await ok(owner, "/add_reminder Today's call due_at=today 17:00", "R1")
    await ok(owner, "/add_reminder Tomorrow's visit due_at=tomorrow 11:00", "R2")
    await ok(owner, "/add_reminder Friday paperwork due_at=2026-03-13 09:30", "R3")
    await ok(owner, "/add_reminder Next month due_at=2026-04-20 09:30", "R4")
    await ok(owner, "/add_reminder Soon due_at=in 1 hour", "R5")

    def refs(turn: Turn) -> list[str]:
        return [label.split()[0] for label in turn.labels]

    assert refs(await owner.send("/reminders")) == ["R5", "R1", "R2", "R3", "R4"]
    assert refs(await owner.send("/reminders today")) == ["R5", "R1"]
    assert refs(await owner.send("/list_reminders tomorrow")) == ["R2"]
    assert refs(await owner.send("/list_reminders week")) == ["R5", "R1", "R2", "R3"]
    assert "No reminder overdue" in (await owner.send("/list_reminders overdue")).text

    clock.advance(hours=3)
    overdue = await owner.send("/list_reminders overdue")
    assert refs(overdue) == ["R5"] and "Soon" in overdue.text


async def test_complete_and_cancel_reminders(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await ok(owner, "/add_reminder Call the notary due_at=tomorrow 10:00", "R1")
    await ok(owner, "/add_reminder Order keys due_at=tomorrow 11:00", "R2")
    clock.advance(minutes=5)

    done = await owner.send("/complete_reminder R1")
    cancelled = await owner.send("/cancel_reminder Order keys")

    assert "R1" in done.text and "done" in done.text
    assert "R2" in cancelled.text and "cancelled" in cancelled.text
    first, second = await stored(harness, owner, Reminder)
    assert (first.status, first.completed_at) == ("done", clock.now)
    assert (second.status, second.completed_at) == ("cancelled", None)
    assert "No reminder upcoming" in (await owner.send("/reminders")).text

    again = await owner.send("/complete_reminder R1")
    assert "already done" in again.text
    assert (await by_ref(harness, owner, Reminder, 1)).completed_at == clock.now


async def test_snooze_reminder_by_command(harness: Harness, owner: ChatUser) -> None:
    await ok(owner, "/add_reminder Call the notary due_at=tomorrow 10:00", "R1")

    turn = await owner.send("/snooze_reminder R1 until=2026-03-12 14:30")

    assert "Thu 12 Mar 14:30" in turn.text
    reminder = await by_ref(harness, owner, Reminder, 1)
    assert (reminder.due_at, reminder.status) == (utc(2026, 3, 12, 13, 30), "pending")


@pytest.mark.parametrize(
    ("button", "due_at", "shown"),
    [
        ("+1 h", utc(2026, 3, 10, 9, 0), "Tue 10 Mar 10:00"),  # one hour from now
        ("Tomorrow 9:00", utc(2026, 3, 11, 8, 0), "Wed 11 Mar 09:00"),  # 9:00 in Paris
    ],
)
async def test_snooze_buttons_on_the_reminder_card(
    harness: Harness, owner: ChatUser, button: str, due_at: datetime, shown: str
) -> None:
    await ok(owner, "/add_reminder Call the notary due_at=today 09:30", "R1")
    card = await owner.send("/snooze_reminder R1 until=today 09:45")
    assert any("Done" in label for label in card.labels)

    turn = await owner.press(button)

    assert shown in turn.text
    reminder = await by_ref(harness, owner, Reminder, 1)
    assert (reminder.due_at, reminder.status) == (due_at, "pending")


@pytest.mark.parametrize(("button", "status"), [("Done", "done"), ("Cancel", "cancelled")])
async def test_done_and_cancel_buttons_on_the_reminder_card(
    harness: Harness, owner: ChatUser, button: str, status: str
) -> None:
    await ok(owner, "/add_reminder Call the notary due_at=today 11:00", "R1")
    await owner.send("/snooze_reminder R1 until=today 12:00")

    turn = await owner.press(button)

    assert status in turn.text
    assert turn.buttons == []  # nothing left to do on a closed reminder
    assert (await by_ref(harness, owner, Reminder, 1)).status == status


@pytest.mark.parametrize(
    ("recurrence", "next_due", "shown"),
    [
        ("daily", utc(2026, 3, 11, 17, 0), "Wed 11 Mar 18:00"),
        ("weekly", utc(2026, 3, 17, 17, 0), "Tue 17 Mar 18:00"),
        # Summer time starts on 29 March: still 18:00 in Paris, one hour earlier in UTC.
        ("monthly", utc(2026, 4, 10, 16, 0), "Fri 10 Apr 18:00"),
    ],
)
async def test_completing_a_recurring_reminder_moves_it_on(
    harness: Harness, owner: ChatUser, recurrence: str, next_due: datetime, shown: str
) -> None:
    await ok(owner, f"/add_reminder Check mail due_at=today 18:00 recurrence={recurrence}", "R1")

    turn = await owner.send("/complete_reminder R1")

    assert shown in turn.text
    reminder = await by_ref(harness, owner, Reminder, 1)
    assert (reminder.due_at, reminder.status, reminder.completed_at) == (next_due, "pending", None)
    assert "Check mail" in (await owner.send("/reminders")).text


async def test_a_snooze_moves_one_occurrence_of_a_recurring_reminder(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    """Every Monday at 09:00, snoozed twice on one Monday then done: the next one is still
    Monday 09:00, not the snoozed time."""
    await ok(owner, "/add_reminder Team call due_at=2026-03-16 09:00 recurrence=weekly", "R1")
    clock.now = utc(2026, 3, 16, 7, 30)  # Monday 08:30 in Paris

    first = await owner.send("/snooze_reminder R1 in 2 hours")
    assert "Mon 16 Mar 10:30" in first.text  # the card shows the snoozed time
    clock.advance(hours=2)
    second = await owner.send("/snooze_reminder R1 in 1 hour")
    assert "Mon 16 Mar 11:30" in second.text
    reminder = await by_ref(harness, owner, Reminder, 1)
    assert (reminder.due_at, reminder.series_due_at) == (
        utc(2026, 3, 16, 10, 30),
        utc(2026, 3, 16, 8, 0),  # the occurrence's own time: the first snooze's anchor kept
    )

    done = await owner.send("/complete_reminder R1")

    assert "Mon 23 Mar 09:00" in done.text
    reminder = await by_ref(harness, owner, Reminder, 1)
    assert (reminder.due_at, reminder.series_due_at, reminder.status) == (
        utc(2026, 3, 23, 8, 0),
        None,
        "pending",
    )


async def test_a_recurring_reminder_snoozed_before_its_time_is_done_once(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    """Snoozed the day before and done before the snoozed time: that occurrence is done, the
    next is the week after at the usual time."""
    await ok(owner, "/add_reminder Team call due_at=2026-03-16 09:00 recurrence=weekly", "R1")
    clock.now = utc(2026, 3, 15, 17, 0)  # Sunday evening
    await owner.send("/snooze_reminder R1 until=2026-03-16 14:00")

    done = await owner.send("/complete_reminder R1")

    assert "Mon 23 Mar 09:00" in done.text
    assert (await by_ref(harness, owner, Reminder, 1)).due_at == utc(2026, 3, 23, 8, 0)


async def test_snoozing_a_one_off_reminder_is_unchanged(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await ok(owner, "/add_reminder Call the notary due_at=today 10:00", "R1")
    await owner.send("/snooze_reminder R1 in 2 hours")
    reminder = await by_ref(harness, owner, Reminder, 1)
    assert (reminder.due_at, reminder.series_due_at) == (START + timedelta(hours=2), None)

    done = await owner.send("/complete_reminder R1")

    assert "done" in done.text
    reminder = await by_ref(harness, owner, Reminder, 1)
    assert (reminder.status, reminder.completed_at) == ("done", clock.now)


# --- the agenda ------------------------------------------------------------------------------


async def test_today_shows_the_day_in_the_agents_zone(
    harness: Harness, owner: ChatUser, clock: Clock
) -> None:
    await ok(owner, "/add_reminder Overdue call due_at=today 20:00", "R1")
    await ok(owner, "/add_reminder Just after midnight due_at=2026-03-11 00:45", "R2")
    await ok(owner, "/add_reminder Morning visit due_at=2026-03-11 08:00", "R3")
    await ok(owner, "/add_reminder Thursday due_at=2026-03-12 10:00", "R4")
    # 23:30 UTC on Tuesday is already 00:30 on Wednesday in Paris.
    clock.advance(hours=15, minutes=30)

    turn = await owner.send("/today")

    assert "Wednesday 11 March" in turn.text
    overdue, _sep, today = turn.text.partition("Reminders")
    assert "Overdue" in overdue and "Overdue call" in overdue
    assert "Just after midnight" in today and "Morning visit" in today
    assert "Thursday" not in turn.text
    assert today.index("Just after midnight") < today.index("Morning visit")

    thursday = await owner.send("/agenda 2026-03-12")
    assert "Thursday 12 March" in thursday.text and "Thu 12 Mar 10:00" in thursday.text
    assert "Overdue" not in thursday.text and "Morning visit" not in thursday.text


@pytest.mark.parametrize(
    ("timezone", "day", "listed"),
    [
        ("Europe/Paris", "Tuesday 10 March", False),  # 04:00 on Wednesday in Paris
        ("America/New_York", "Tuesday 10 March", True),  # 23:00 on Tuesday in New York
    ],
)
async def test_today_follows_the_users_time_zone(
    harness: Harness, owner: ChatUser, timezone: str, day: str, listed: bool
) -> None:
    await ok(owner, "/add_reminder Late call due_at=2026-03-11T03:00:00Z", "R1")
    async with harness.db.session() as session:
        await session.execute(
            update(User).where(User.telegram_id == owner.id).values(timezone=timezone)
        )
        await session.commit()

    turn = await owner.send("/today")

    assert day in turn.text
    assert ("Late call" in turn.text) is listed, turn.text
    if listed:
        assert "Tue 10 Mar 23:00" in turn.text


async def test_reminders_are_the_agents_own(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await ok(owner, "/add_reminder Alice's call due_at=today 15:00", "R1")
    await ok(agent, "/add_reminder Bob's visit due_at=today 16:00", "R2")

    alice, bob = await owner.send("/today"), await agent.send("/today")

    assert "Alice's call" in alice.text and "Bob's visit" not in alice.text
    assert "Bob's visit" in bob.text and "Alice's call" not in bob.text


# --- short refs ------------------------------------------------------------------------------


async def test_short_refs_are_numbered_per_agency(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser
) -> None:
    await ok(owner, "/add_contact Marie Dupont", "C1")
    await ok(agent, "/add_contact Paul Martin", "C2")  # Bob shares Acme's numbering
    await ok(rival, "/add_contact Rosa Rossi", "C1")
    await ok(rival, "/add_property Villa Rossi", "P1")
    await ok(rival, "/create_deal C1 property=P1", "D1")
    await ok(rival, "/add_reminder C1 Call Rosa due_at=tomorrow 10:00", "R1")
    await ok(owner, "/add_property T3 Croix-Rousse", "P1")
    await ok(owner, "/create_deal C2", "D1")
    await ok(owner, "/add_reminder Call due_at=tomorrow 10:00", "R1")

    assert "Rosa Rossi" in (await rival.send("/show_contact C1")).text
    assert "Marie Dupont" in (await owner.send("/show_contact C1")).text
    # Acme's C2 does not exist for the rival agency.
    assert "found no contact" in (await rival.send("/show_contact C2")).text
    assert "Paul Martin" in (await owner.send("/show_deal D1")).text
    assert "Rosa" in (await rival.send("/show_deal D1")).text

    # A deleted ref is never handed out again.
    await owner.send("/delete_contact C2")
    await owner.press("Yes, delete")
    await ok(owner, "/add_contact Zoé Blanc", "C3")
    assert [c.number for c in await stored(harness, owner, Contact)] == [1, 3]
    assert [c.number for c in await stored(harness, rival, Contact)] == [1]


# --- homonyms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "query", "labels", "picked", "other"),
    [
        (
            ["/add_contact Marie Dupont city=Lyon", "/add_contact Marie Dupont city=Nice"],
            "/show_contact Marie Dupont",
            ["C1 Marie Dupont", "C2 Marie Dupont"],
            "C2 · Marie Dupont",
            "Lyon",
        ),
        (
            ["/add_contact Marie Dupont", "/add_contact Marie Durand"],
            "/show_contact marie",
            ["C1 Marie Dupont", "C2 Marie Durand"],
            "C2 · Marie Durand",
            "Dupont",
        ),
        (
            ["/add_property T3 Lyon", "/add_property T3 Nice"],
            "/show_property T3",
            ["P1 T3 Lyon", "P2 T3 Nice"],
            "P2 · T3 Nice",
            "Lyon",
        ),
        (
            ["/add_contact Marie", "/create_deal C1 title=First", "/create_deal C1 title=Second"],
            "/show_deal Marie",
            ["D1 First", "D2 Second"],
            "D2 · Second",
            "First",
        ),
    ],
)
async def test_homonyms_are_offered_as_buttons(
    harness: Harness,
    owner: ChatUser,
    setup: list[str],
    query: str,
    labels: list[str],
    picked: str,
    other: str,
) -> None:
    for command in setup:
        await ok(owner, command, "saved")
    before = await count(harness, owner, Contact), await count(harness, owner, Property)

    question = await owner.send(query)

    assert "Several records match" in question.text
    assert question.labels == labels
    assert (await count(harness, owner, Contact), await count(harness, owner, Property)) == before
    card = await owner.press(labels[1])
    assert picked in card.text and other not in card.text


async def test_picking_a_homonym_runs_the_original_request(
    harness: Harness, owner: ChatUser
) -> None:
    await ok(owner, "/add_contact Marie Dupont city=Lyon", "C1")
    await ok(owner, "/add_contact Marie Durand city=Lyon", "C2")

    question = await owner.send("/update_contact Marie city=Nice")
    assert [c.city for c in await stored(harness, owner, Contact)] == ["Lyon", "Lyon"]
    message = owner.last_message()
    pick = question.buttons[0].callback_data or ""

    turn = await owner.press_data(message, pick)

    assert "Contact updated" in turn.text and "C1" in turn.text
    assert [c.city for c in await stored(harness, owner, Contact)] == ["Nice", "Lyon"]
    replay = await owner.press_data(message, pick)
    assert "expired" in replay.text


async def test_an_exact_name_is_not_ambiguous(harness: Harness, owner: ChatUser) -> None:
    await ok(owner, "/add_contact Marie Dupont", "C1")
    await ok(owner, "/add_contact Marie Dupont-Moreau", "C2")

    turn = await owner.send("/show_contact marie dupont")

    assert "C1 · Marie Dupont" in turn.text and "Several" not in turn.text


# --- guided forms ----------------------------------------------------------------------------


async def answer(user: ChatUser, *steps: str) -> Turn:
    """Answer a form: ``"[label]"`` presses a button, anything else is typed."""
    turn = Turn()
    for step in steps:
        if step.startswith("[") and step.endswith("]"):
            turn = await user.press(step[1:-1])
        else:
            turn = await user.send(step)
    return turn


async def test_new_contact_form(harness: Harness, owner: ChatUser) -> None:
    start = await owner.send("/new")
    assert start.labels == ["👤 Contact", "🏠 Property", "🤝 Deal"]

    turn = await answer(owner, "[Contact]", "Jean Valjean", "[seller]", "12")
    assert "phone" in turn.text and "“12”" in turn.text  # refused, asked again
    assert "Phone number?" in turn.text

    turn = await answer(owner, "06 11 22 33 44", "[Skip]", "Paris", "450k")

    assert "Contact saved" in turn.text and "C1" in turn.text
    [contact] = await stored(harness, owner, Contact)
    assert (contact.name, contact.role, contact.phone) == ("Jean Valjean", "seller", "+33611223344")
    assert (contact.email, contact.city, contact.budget_max) == (None, "Paris", 450_000)


async def test_new_property_form(harness: Harness, owner: ChatUser) -> None:
    turn = await answer(
        owner,
        "/new",
        "[Property]",
        "[house]",
        "[for rent]",
        "Lyon",
        "1 rue de la Paix",
        "-5",
    )
    assert "price" in turn.text and "above zero" in turn.text

    turn = await answer(owner, "1200", "[Skip]", "T4")

    assert "Property saved" in turn.text and "P1" in turn.text
    [prop] = await stored(harness, owner, Property)
    assert (prop.property_type, prop.transaction, prop.city) == ("house", "rent", "Lyon")
    assert (prop.address, prop.price, prop.surface_m2, prop.rooms) == (
        "1 rue de la Paix",
        1200,
        None,
        4,
    )
    assert prop.title == "1 rue de la Paix, Lyon"


async def test_new_deal_form(harness: Harness, owner: ChatUser) -> None:
    await ok(owner, "/add_contact Marie Dupont", "C1")
    await ok(owner, "/add_property T3 Croix-Rousse price=300k", "P1")

    turn = await answer(owner, "/new", "[Deal]", "Marie", "P1", "280k")

    assert "Deal saved" in turn.text and "D1" in turn.text
    [deal] = await stored(harness, owner, Deal)
    assert (deal.stage, deal.amount) == ("lead", 280_000)
    assert deal.contact_id == (await by_ref(harness, owner, Contact, 1)).id
    assert deal.property_id == (await by_ref(harness, owner, Property, 1)).id


@pytest.mark.parametrize(
    ("form", "answers", "model"),
    [
        ("Contact", ["Half Done", "[buyer]", "06 11 22 33 44"], Contact),
        ("Property", ["[land]", "[for sale]", "Lyon"], Property),
        ("Deal", ["C1", "[Skip]"], Deal),
    ],
)
async def test_cancel_midway_stores_nothing(
    harness: Harness, owner: ChatUser, form: str, answers: list[str], model: type[TenantRecord]
) -> None:
    await ok(owner, "/add_contact Marie Dupont", "C1")
    before = await count(harness, owner, model)
    await answer(owner, "/new", f"[{form}]", *answers)

    cancelled = await owner.send("/cancel")

    assert "Nothing was saved" in cancelled.text
    # The form is over: what follows is not taken as an answer...
    await owner.send("250k")
    # ...and its buttons are closed.
    stale = await owner.press("Skip")
    assert "closed" in stale.text
    assert await count(harness, owner, model) == before


async def test_a_stale_form_button_is_closed(harness: Harness, owner: ChatUser) -> None:
    await answer(owner, "/new", "[Contact]", "Half Done")
    await owner.send("/cancel")

    turn = await owner.press("seller")

    assert "closed" in turn.text
    assert await count(harness, owner, Contact) == 0


# --- buttons on cards and lists -------------------------------------------------------------


async def test_list_buttons_open_the_cards(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)

    await owner.send("/contacts")
    contact = await owner.press("C2 Paul Martin")
    assert "C2 · Paul Martin" in contact.text and "landlord" in contact.text

    await owner.send("/properties")
    prop = await owner.press("P1 T3 Croix-Rousse")
    assert "P1 · T3 Croix-Rousse" in prop.text and "Owner: C2 · Paul Martin" in prop.text
    owner_card = await owner.press("C2 Paul Martin")
    assert "C2 · Paul Martin" in owner_card.text

    await owner.send("/deals")
    deal = await owner.press("D1")
    assert "D1 · Marie Dupont · T3 Croix-Rousse" in deal.text
    client = await owner.press("C1 Marie Dupont")
    assert "C1 · Marie Dupont" in client.text


async def test_contact_card_buttons(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)

    await owner.send("/show_contact C1")
    fields = await owner.press("Edit")
    assert "What do you want to change on C1?" in fields.text
    assert "phone" in fields.labels and "maximum budget" in fields.labels
    saved = await answer(owner, "[maximum budget]", "320k")
    assert "Contact updated" in saved.text
    assert (await by_ref(harness, owner, Contact, 1)).budget_max == 320_000

    await owner.send("/show_contact C1")
    await answer(owner, "[Note]", "Has a dog")
    await owner.send("/show_contact C1")
    await answer(owner, "[Remind]", "tomorrow 10:00", "Send the floor plan")
    await owner.send("/show_contact C1")
    await answer(owner, "[Log call]", "Confirmed the visit")
    await owner.send("/show_contact C1")
    await answer(owner, "[New deal]", "[Skip]", "250k")

    marie = await by_ref(harness, owner, Contact, 1)
    [note] = await stored(harness, owner, Note)
    [reminder] = await stored(harness, owner, Reminder)
    [call] = await stored(harness, owner, Activity)
    new_deal = await by_ref(harness, owner, Deal, 2)
    assert (note.text, note.contact_id) == ("Has a dog", marie.id)
    assert (reminder.text, reminder.contact_id) == ("Send the floor plan", marie.id)
    assert reminder.due_at == utc(2026, 3, 11, 9, 0)
    assert (call.kind, call.summary, call.contact_id) == ("call", "Confirmed the visit", marie.id)
    assert (new_deal.contact_id, new_deal.property_id, new_deal.amount) == (marie.id, None, 250_000)

    card = await owner.send("/show_contact C1")
    assert "Has a dog" in card.text and "Send the floor plan" in card.text
    assert "Confirmed the visit" in card.text and "D2" in card.text

    question = await owner.press("Delete")
    assert "Delete C1 · Marie Dupont?" in question.text and "2 deals" in question.text
    await owner.press("No, keep it")
    assert await by_ref(harness, owner, Contact, 1) is not None


async def test_property_card_buttons(harness: Harness, owner: ChatUser) -> None:
    await seed(owner)

    await owner.send("/show_property P1")
    turn = await answer(owner, "[Status]", "[sold]")
    assert "[sold]" in turn.text
    assert (await by_ref(harness, owner, Property, 1)).status == "sold"

    await owner.send("/show_property P1")
    turn = await answer(owner, "[Edit]", "[surface]", "72 m2")
    assert "72 m²" in turn.text
    assert (await by_ref(harness, owner, Property, 1)).surface_m2 == 72

    await owner.send("/show_property P1")
    await answer(owner, "[New deal]", "Paul", "[Skip]")
    deal = await by_ref(harness, owner, Deal, 2)
    paul = await by_ref(harness, owner, Contact, 2)
    assert (deal.contact_id, deal.amount) == (paul.id, 300_000)

    await owner.send("/show_property P1")
    await owner.press("Delete")
    await owner.press("Yes, delete")
    assert await count(harness, owner, Property) == 0


async def test_deal_card_buttons(harness: Harness, owner: ChatUser, clock: Clock) -> None:
    await seed(owner)
    card = await owner.send("/show_deal D1")
    assert "lead" not in card.labels  # the current stage is not offered
    assert {"visit", "offer", "won", "lost"} <= set(card.labels)
    clock.advance(hours=1)

    turn = await owner.press("negotiation")

    assert "Deal updated" in turn.text and "negotiation" in turn.text
    deal = await by_ref(harness, owner, Deal, 1)
    assert (deal.stage, deal.stage_changed_at) == ("negotiation", clock.now)

    await owner.send("/show_deal D1")
    await answer(owner, "[Amount]", "295 000")
    assert (await by_ref(harness, owner, Deal, 1)).amount == 295_000

    await owner.send("/show_deal D1")
    await answer(owner, "[Remind]", "in 2 hours", "Call the bank")
    [reminder] = await stored(harness, owner, Reminder)
    assert (reminder.deal_id, reminder.due_at) == (deal.id, utc(2026, 3, 10, 11, 0))

    await owner.send("/show_deal D1")
    await owner.press("won")
    assert "No open deal" in (await owner.send("/deals")).text


async def test_new_deal_form_checks_the_client_at_its_step(
    harness: Harness, owner: ChatUser
) -> None:
    await ok(owner, "/add_contact Marie Dupont", "C1")
    turn = await answer(owner, "/new", "[Deal]", "C9")
    assert "I found no contact matching “C9”" in turn.text
    assert "Which client?" in turn.text
    turn = await answer(owner, "Marie", "[Skip]", "[Skip]")
    assert "Deal saved" in turn.text
    [deal] = await stored(harness, owner, Deal)
    assert deal.contact_id == (await by_ref(harness, owner, Contact, 1)).id
