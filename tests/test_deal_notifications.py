"""When a deal changes stage or amount, its agent and the agency owner are told, in their own
chat and language; the member who made the change is not, and other agencies hear nothing."""

from __future__ import annotations

import pytest
from aiogram.methods import SendMessage
from sqlalchemy import update

from crm_core.accounts import find_member
from crm_core.errors import NotFound
from crm_core.models import User
from crm_core.registry import build_registry
from crm_core.service import CrmService
from tests.harness import ChatUser, Harness

NOTICE = "was updated by"


def notices_to(harness: Harness, user: ChatUser) -> list[str]:
    return [
        m.text
        for m in harness.session.requests
        if isinstance(m, SendMessage) and m.chat_id == user.id and NOTICE in m.text
    ]


async def test_the_owner_hears_of_the_agents_change_and_the_agent_of_the_owners(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser
) -> None:
    await agent.send("/add_contact Marie Dupont phone=06 12 34 56 78")
    await agent.send("/create_deal C1 amount=300k")  # assigned to the agent
    harness.session.clear()

    turn = await agent.send("/update_deal D1 stage=offer")

    assert "Deal updated" in turn.text
    [to_owner] = notices_to(harness, owner)
    assert "D1" in to_owner and "Bob Durand" in to_owner
    assert "Stage: <b>lead → offer</b>" in to_owner and "Amount" not in to_owner
    assert notices_to(harness, agent) == [] and notices_to(harness, rival) == []

    harness.session.clear()
    await owner.send("/update_deal D1 amount=320k")
    [to_agent] = notices_to(harness, agent)
    assert "Amount: €300,000 → €320,000" in to_agent and "Alice Martin" in to_agent
    assert notices_to(harness, owner) == []
    [message] = [m for m in harness.session.sent_messages(agent.id) if NOTICE in (m.text or "")]
    assert message.reply_markup is not None
    assert [b.text for row in message.reply_markup.inline_keyboard for b in row] == [
        "D1 Marie Dupont"
    ]


async def test_nothing_is_told_when_neither_stage_nor_amount_changes(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await agent.send("/add_contact Marie Dupont")
    await agent.send("/create_deal C1 stage=visit")
    harness.session.clear()

    await agent.send("/update_deal D1 title=Marie flat")
    await agent.send("/update_deal D1 stage=visit")  # already there

    assert notices_to(harness, owner) == [] and notices_to(harness, agent) == []


async def test_the_owner_changing_their_own_deal_tells_nobody(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await owner.send("/add_contact Marie Dupont")
    await owner.send("/create_deal C1")
    harness.session.clear()

    await owner.send("/update_deal D1 stage=won")

    assert notices_to(harness, owner) == [] and notices_to(harness, agent) == []


async def test_a_stage_button_on_the_deal_card_tells_the_others_too(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await agent.send("/add_contact Marie Dupont")
    await agent.send("/create_deal C1")
    await owner.send("/show_deal D1")
    harness.session.clear()

    await owner.press("negotiation")

    [to_agent] = notices_to(harness, agent)
    assert "Stage: <b>lead → negotiation</b>" in to_agent


async def test_each_one_is_told_in_their_own_language(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    async with harness.db.system_session() as session:
        await session.execute(update(User).where(User.telegram_id == owner.id).values(locale="fr"))
        await session.commit()
    await agent.send("/add_contact Marie Dupont")
    await agent.send("/create_deal C1 amount=300k")
    harness.session.clear()

    await agent.send("/update_deal D1 stage=offer amount=310k")

    [to_owner] = [t for t in harness.session.texts(owner.id) if "D1" in t]
    assert "Étape : <b>prospect → offre</b>" in to_owner
    assert "Montant : 300 000 € → 310 000 €" in to_owner.replace("\u202f", " ").replace("\xa0", " ")


async def test_events_are_handed_out_only_for_committed_work(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await agent.send("/add_contact Marie Dupont")
    await agent.send("/create_deal C1")
    async with harness.db.session() as session:
        member = await find_member(session, agent.id)
        assert member is not None
        session.info["agency_id"] = member.agency.id
        crm = CrmService(build_registry(), session, member.actor, harness.clock())

        async with crm.unit_of_work() as work:  # undone: nothing to tell
            await crm.run("update_deal", {"deal": "D1", "stage": "offer"})
            await work.discard()
        assert crm.take_events() == []

        async with crm.unit_of_work():
            await crm.run("update_deal", {"deal": "D1", "stage": "visit"})
            with pytest.raises(NotFound):  # a failing operation adds nothing
                await crm.run("update_deal", {"deal": "D9", "stage": "won"})
            assert crm.take_events() == []  # not committed yet
        [event] = crm.take_events()
        assert (event.old_stage, event.amount_changed) == ("lead", False)

        await crm.run("update_deal", {"deal": "D1", "amount": "250k"})  # committed at once
        [event] = crm.take_events()
        assert (event.old_stage, event.old_amount, event.amount_changed) == (None, None, True)
        assert crm.take_events() == []  # handed out once
