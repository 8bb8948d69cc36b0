"""A day of work in free text, through the real Dispatcher with the offline parser: what the
agent sees and what the database holds, in English and in French."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from crm_core.models import Activity, ActivityKind, Contact, Deal, DealStage, Property, Reminder
from crm_core.models import User as Member
from tests.conftest import sign_up
from tests.harness import ChatUser, Harness


async def _agency_id(harness: Harness, user: ChatUser) -> int:
    async with harness.db.system_session() as session:
        agency = await session.scalar(select(Member.agency_id).where(Member.telegram_id == user.id))
    assert agency is not None
    return agency


async def _rows(harness: Harness, agency_id: int, model: type) -> list:
    async with harness.db.session(agency_id) as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def _counts(harness: Harness, agency_id: int) -> list[int]:
    counts = []
    async with harness.db.session(agency_id) as session:
        for model in (Contact, Property, Deal, Reminder, Activity):
            counts.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
    return counts


async def test_a_day_in_english(harness: Harness, owner: ChatUser) -> None:
    agency = await _agency_id(harness, owner)

    turn = await owner.send("add Marie Dupont 06 12 34 56 78 buyer Lyon 350k")
    assert "C1 Marie Dupont" in turn.text and "€350,000" in turn.text
    # "her" is the contact the chat just showed.
    turn = await owner.send("remind me to call her tomorrow at 10")
    assert "R1 Wed 11 Mar 10:00 — Call Marie Dupont (C1)" in turn.text
    turn = await owner.send("called Marie: she wants a second visit")
    assert "she wants a second visit" in turn.text
    turn = await owner.send("add an apartment T3 68 m2 in Lyon 340k")
    assert "P1" in turn.text and "68 m²" in turn.text
    turn = await owner.send("create a deal for Marie on P1")
    assert "D1 Marie Dupont" in turn.text
    turn = await owner.send("move it to offer")
    assert "offer" in turn.text
    await owner.send("remind me to send the offer to the notary today at 5pm")
    turn = await owner.send("what do I have today?")
    assert "17:00" in turn.text and "Send the offer to the notary" in turn.text

    (contact,) = await _rows(harness, agency, Contact)
    assert (contact.name, contact.phone, contact.role, contact.city, contact.budget_max) == (
        "Marie Dupont",
        "+33612345678",
        "buyer",
        "Lyon",
        350_000,
    )
    reminders = await _rows(harness, agency, Reminder)
    assert reminders[0].contact_id == contact.id
    assert reminders[0].due_at == datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    (activity,) = await _rows(harness, agency, Activity)
    assert (activity.kind, activity.contact_id) == (ActivityKind.CALL, contact.id)
    (prop,) = await _rows(harness, agency, Property)
    assert (prop.rooms, prop.surface_m2, prop.price, prop.city) == (3, 68, 340_000, "Lyon")
    (deal,) = await _rows(harness, agency, Deal)
    assert (deal.stage, deal.contact_id, deal.property_id) == (DealStage.OFFER, contact.id, prop.id)


async def test_unparseable_message_stores_nothing_and_shows_examples(
    harness: Harness, owner: ChatUser
) -> None:
    agency = await _agency_id(harness, owner)
    before = await _counts(harness, agency)
    for text in ("what is the weather like", "remind me to call Paul", "blah 12 blah"):
        turn = await owner.send(text)
        assert "add Marie Dupont 06 12 34 56 78 buyer Lyon 350k" in turn.text, text
        assert "remind me to call her tomorrow at 10" in turn.text
        assert "/contacts Dupont" in turn.text
    assert await _counts(harness, agency) == before


async def test_a_day_in_french(harness: Harness) -> None:
    louis = harness.user(310, "Louis", language_code="fr")
    await sign_up(louis, name="Louis Leroy", language="Français")
    agency = await _agency_id(harness, louis)

    turn = await louis.send(
        "ajoute Sophie Martin, acheteuse, 06 98 76 54 32, T3 a Lyon jusqu'a 300k"
    )
    assert "C1 Sophie Martin" in turn.text
    turn = await louis.send("rappelle-la demain à 14h")
    assert "R1" in turn.text and "14:00" in turn.text and "Rappeler Sophie Martin" in turn.text
    turn = await louis.send("j'ai appelé Sophie, elle veut visiter samedi")
    assert "elle veut visiter samedi" in turn.text
    turn = await louis.send("nouveau bien : appart 3 pièces 65 m² à Lyon 280 000 €")
    assert "P1" in turn.text
    turn = await louis.send("crée un deal pour Sophie sur le P1")
    assert "D1" in turn.text
    turn = await louis.send("passe le deal D1 en offre")
    assert "D1" in turn.text
    await louis.send("rappelle-moi d'envoyer le dossier au notaire aujourd'hui à 18h")
    turn = await louis.send("qu'est-ce que j'ai aujourd'hui ?")
    assert "18:00" in turn.text and "Envoyer le dossier au notaire" in turn.text

    (contact,) = await _rows(harness, agency, Contact)
    assert (contact.phone, contact.role, contact.rooms_min, contact.budget_max) == (
        "+33698765432",
        "buyer",
        3,
        300_000,
    )
    first = (await _rows(harness, agency, Reminder))[0]
    assert (first.contact_id, first.due_at) == (contact.id, datetime(2026, 3, 11, 13, tzinfo=UTC))
    (activity,) = await _rows(harness, agency, Activity)
    assert (activity.kind, activity.contact_id) == (ActivityKind.CALL, contact.id)
    (prop,) = await _rows(harness, agency, Property)
    assert (prop.rooms, prop.surface_m2, prop.price) == (3, 65, 280_000)
    (deal,) = await _rows(harness, agency, Deal)
    assert (deal.stage, deal.property_id) == (DealStage.OFFER, prop.id)

    before = await _counts(harness, agency)
    turn = await louis.send("il fait beau aujourd'hui")
    assert "/contacts Dupont" in turn.text
    assert await _counts(harness, agency) == before
