"""Account erasure: confirmation, grace period, cancel, the purge job, ownership hand-over,
an owner closing the agency; expired invitations purged."""

from __future__ import annotations

from datetime import timedelta

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select, text

from crm_core.models import Agency, Contact, Invite, PrivacyRequest, Role, User
from scheduler.privacy import purge_privacy
from tests.harness import START, ChatUser, Harness
from tests.uploads import send_file

GRACE = timedelta(days=14)


async def purge(harness: Harness) -> None:
    async def forget_chat(telegram_id: int) -> None:
        key = StorageKey(bot_id=harness.bot.id, chat_id=telegram_id, user_id=telegram_id)
        await harness.dispatcher.storage.set_state(key, None)
        await harness.dispatcher.storage.set_data(key, {})

    await purge_privacy(harness.db, harness.clock(), forget_chat=forget_chat)


async def count(harness: Harness, model: type) -> int:
    async with harness.db.system_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def text_anywhere(harness: Harness, needle: str) -> list[str]:
    """Every text column of every table that holds ``needle``."""
    from crm_core.models import Base

    found = []
    async with harness.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if column.type.python_type in (str, int):
                    rows = await connection.execute(
                        text(
                            f'SELECT 1 FROM "{table.name}" WHERE CAST("{column.name}" AS TEXT) = :v'
                            f' OR CAST("{column.name}" AS TEXT) LIKE :like'
                        ),
                        {"v": needle, "like": f"%{needle}%"},
                    )
                    if rows.first():
                        found.append(f"{table.name}.{column.name}")
    return found


async def test_agent_deletion_grace_cancel_and_purge(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await agent.send("/add_contact Paul Petit phone=0698765432")
    turn = await agent.send("/delete")
    assert "On 24 March 2026" in turn.text and "closes the agency" not in turn.text
    turn = await agent.press("Yes, delete my account")
    assert "Your account will be deleted on 24 March 2026" in turn.text
    assert "/delete cancel" in turn.text
    assert "Your account will be deleted on 24 March 2026" in (await agent.send("/mydata")).text
    # Cancelled within the grace period: nothing happens at the purge.
    assert "cancelled" in (await agent.send("/delete cancel")).text
    harness.clock.advance(days=15)
    await purge(harness)
    async with harness.db.system_session() as session:
        bob = await session.scalar(select(User).where(User.telegram_id == agent.id))
    assert bob is not None and bob.name == "Bob Durand"
    # Asked again: purged only once the grace period is over.
    await agent.send("/delete")
    await agent.press("Yes, delete my account")
    harness.clock.advance(days=13)
    await purge(harness)
    assert await text_anywhere(harness, "Bob Durand")
    await agent.send("/privacy")
    await agent.press("Edit my profile")
    await agent.press("Name")  # a conversation in progress, in FSM storage
    key = StorageKey(bot_id=harness.bot.id, chat_id=agent.id, user_id=agent.id)
    assert await harness.dispatcher.storage.get_state(key) is not None
    harness.clock.advance(days=1, seconds=1)
    await purge(harness)
    assert await harness.dispatcher.storage.get_state(key) is None
    assert await harness.dispatcher.storage.get_data(key) == {}
    for needle in ("Bob Durand", str(agent.id)):
        assert await text_anywhere(harness, needle) == [], needle
    async with harness.db.system_session() as session:
        contact = await session.scalar(select(Contact).where(Contact.name == "Paul Petit"))
        former = await session.get(User, contact.created_by_id) if contact else None
        logged = list(
            await session.scalars(select(PrivacyRequest).where(PrivacyRequest.kind == "erasure"))
        )
    assert contact is not None and former is not None  # the record stays with the agency
    assert former.name == "former agent" and former.telegram_id is None
    assert former.agency_id is None and former.policy_version is None
    assert [r.details for r in logged] == ["cancelled", None]
    assert all(r.completed_at is not None for r in logged)
    # The person is a stranger to the bot now.
    assert "What is your agency's name?" in (await agent.send("/start")).text


async def test_owner_hands_over_then_deletes(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await owner.send("/add_contact Marie Dupont")
    turn = await owner.send("/delete")
    assert "closes the agency" in turn.text and "/team" in turn.text
    await owner.send("/team")
    await owner.press("Make Bob Durand owner")
    turn = await owner.press("Yes, make owner")
    assert "Bob Durand now owns the agency" in turn.text
    turn = await owner.send("/delete")
    assert "closes the agency" not in turn.text
    await owner.press("Yes, delete my account")
    harness.clock.advance(days=15)
    await purge(harness)
    assert await count(harness, Agency) == 1 and await count(harness, Contact) == 1
    assert "Acme Realty" in (await agent.send("/team")).text
    assert await text_anywhere(harness, "Alice Martin") == []


async def test_owner_deletion_closes_the_agency(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser
) -> None:
    await owner.send("/add_contact Marie Dupont")
    await send_file(owner, "mandat.pdf", b"%PDF-1.7 mandate", caption="C1")
    await rival.send("/add_contact Roberto Rival")
    await owner.send("/delete")
    turn = await owner.press("Yes, delete my account")
    assert "24 March 2026" in turn.text
    harness.clock.advance(days=15)
    await purge(harness)
    assert await count(harness, Agency) == 1  # only Rita's
    async with harness.db.system_session() as session:
        names = set(await session.scalars(select(Contact.name)))
        bob = await session.scalar(select(User).where(User.telegram_id == agent.id))
    assert names == {"Roberto Rival"}
    assert bob is not None and bob.agency_id is None and bob.role is None
    assert await text_anywhere(harness, "Marie Dupont") == []
    assert await text_anywhere(harness, "Alice Martin") == []


async def test_purge_removes_expired_invites(harness: Harness, owner: ChatUser) -> None:
    await owner.send("/invite")
    harness.clock.advance(days=3)
    await owner.send("/invite")
    harness.clock.advance(days=5)  # the first is 8 days old: expired
    await purge(harness)
    async with harness.db.system_session() as session:
        left = list(await session.scalars(select(Invite.created_at)))
    assert left == [START + timedelta(days=3)]


async def test_deletion_confirmation_is_one_time(harness: Harness, agent: ChatUser) -> None:
    await agent.send("/delete")
    await agent.press("No, keep it")
    assert "expired" in (await agent.press("Yes, delete my account")).text
    async with harness.db.system_session() as session:
        bob = await session.scalar(select(User).where(User.telegram_id == agent.id))
    assert bob is not None and bob.deletion_due_at is None and bob.role == Role.AGENT
