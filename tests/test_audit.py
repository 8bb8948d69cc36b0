"""The audit trail: who did what and when, never the personal data itself; the owner's
/audit; part of the agency's export; gone with the agency."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from sqlalchemy import delete, select

from crm_core.erasure import purge_due
from crm_core.models import Agency, AuditEvent, User
from tests.harness import ChatUser, Harness

NAME, PHONE = "Marie Dupont", "06 12 34 56 78"


async def entries(harness: Harness) -> list[AuditEvent]:
    async with harness.db.system_session() as session:
        return list(await session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


async def user_id(harness: Harness, person: ChatUser) -> int:
    async with harness.db.system_session() as session:
        found = await session.scalar(select(User.id).where(User.telegram_id == person.id))
    assert found is not None
    return found


def no_personal_data(rows: list[AuditEvent]) -> None:
    for row in rows:
        cells = " ".join(str(value) for value in vars(row).values()).lower()
        for secret in ("marie", "dupont", "0612345678", "612345678", "lyon", "secret note"):
            assert secret not in cells, (secret, cells)


async def test_writes_deletions_exports_invites_and_removals_are_traced(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await owner.send(f"/add_contact {NAME} phone={PHONE} city=Lyon")
    await owner.send("/update_contact C1 city=Paris")
    await owner.send("/add_note C1 secret note about Marie")
    await owner.send("/show_contact C1")  # a read: not traced
    await owner.send("/delete_contact C1")
    await owner.press("Yes, delete")
    await owner.send("/export")
    await owner.send("/team")
    await owner.press("Remove Bob Durand")
    await owner.press("Yes, remove")

    rows = await entries(harness)
    alice, bob = await user_id(harness, owner), await user_id(harness, agent)
    seen = [(row.user_id, row.action, row.ref, row.outcome) for row in rows]
    assert seen == [
        (alice, "invite_created", "I1", "ok"),
        (bob, "member_joined", None, "ok"),
        (alice, "add_contact", "C1", "ok"),
        (alice, "update_contact", "C1", "ok"),
        (alice, "add_note", "N1", "ok"),
        (alice, "delete_contact", "C1", "ok"),
        (alice, "export", None, "ok"),
        (alice, "member_removed", f"U{bob}", "ok"),
    ]
    assert {row.agency_id for row in rows} == {rows[0].agency_id}
    no_personal_data(rows)


async def test_only_the_owner_reads_the_trail_and_only_their_agency(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser
) -> None:
    await owner.send(f"/add_contact {NAME}")
    await rival.send("/add_contact Victor Secret")
    await rival.send("/invite")

    turn = await owner.send("/audit")
    assert "Audit trail" in turn.text
    assert "add_contact C1" in turn.text and "invite_created I1" in turn.text
    assert "Alice Martin" in turn.text and "Bob Durand" in turn.text
    assert "Rita" not in turn.text and "I2" not in turn.text  # the rival's entries

    refused = await agent.send("/audit")
    assert "Only the agency's owner" in refused.text and "add_contact" not in refused.text

    rival_view = await rival.send("/audit")
    assert "invite_created I2" in rival_view.text and "Alice" not in rival_view.text
    assert "I1" not in rival_view.text


async def test_audit_shows_the_latest_30(harness: Harness, owner: ChatUser) -> None:
    for number in range(1, 36):
        harness.clock.advance(seconds=3)
        await owner.send(f"/add_contact Person {number}")
    text = (await owner.send("/audit")).text
    assert "add_contact C35" in text and "add_contact C6" in text
    assert "add_contact C5\n" not in text + "\n" and "add_contact C1\n" not in text + "\n"
    assert text.count("add_contact") == 30


async def test_the_trail_is_in_the_agency_export(harness: Harness, owner: ChatUser) -> None:
    await owner.send(f"/add_contact {NAME} phone={PHONE}")
    harness.session.sent_files.clear()
    await owner.send("/export")
    _name, content = harness.session.sent_files[-1]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        data = json.loads(archive.read("export.json"))
        assert "audit.csv" in archive.namelist()
    actions = [(e["action"], e["ref"]) for e in data["audit"]]
    assert ("add_contact", "C1") in actions
    assert set(data["audit"][0]) == {"at", "user_id", "action", "ref", "outcome"}


async def test_closing_the_agency_purges_its_trail_and_a_purged_person_keeps_only_an_id(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser
) -> None:
    await agent.send(f"/add_contact {NAME}")
    await rival.send("/add_contact Victor Secret")
    bob = await user_id(harness, agent)
    now = harness.clock()
    async with harness.db.system_session() as session:
        for person in (owner, agent):
            user = await session.scalar(select(User).where(User.telegram_id == person.id))
            assert user is not None
            user.deletion_due_at = now - timedelta(days=1)
        await session.commit()
    async with harness.db.system_session() as session:
        agency_id = await session.scalar(select(User.agency_id).where(User.id == bob))
        await purge_due(session, now)
    rows = await entries(harness)
    assert rows and all(row.agency_id != agency_id for row in rows)  # the rival's remain
    async with harness.db.system_session() as session:
        assert await session.get(Agency, agency_id) is None
        await session.execute(delete(AuditEvent))
        await session.commit()


async def test_a_purged_agent_is_a_former_member_in_the_trail(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await agent.send(f"/add_contact {NAME}")
    bob = await user_id(harness, agent)
    now = harness.clock()
    async with harness.db.system_session() as session:
        user = await session.get(User, bob)
        assert user is not None
        user.deletion_due_at = now - timedelta(days=1)
        await session.commit()
    async with harness.db.system_session() as session:
        await purge_due(session, now)
    rows = [row for row in await entries(harness) if row.action == "add_contact"]
    assert [row.user_id for row in rows] == [bob]  # the id only: the account is anonymised
    text = (await owner.send("/audit")).text
    assert "former member · add_contact C1" in text and "Bob" not in text
