"""Invitations (deep links), joining an agency, /team, removing an agent."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from crm_core.models import Invite, Role, User
from tests.conftest import invite_link, sign_up
from tests.harness import ChatUser, Harness


async def member_of(harness: Harness, telegram_id: int) -> tuple[int | None, Role | None]:
    async with harness.db.system_session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
    return (user.agency_id, user.role) if user else (None, None)


async def start_with(user: ChatUser, payload: str) -> str:
    return (await user.send(f"/start {payload}")).text


async def test_invite_link_is_a_deep_link_with_a_hashed_single_use_token(
    harness: Harness, owner: ChatUser
) -> None:
    turn = await owner.send("/invite")
    assert "https://t.me/estate_crm_bot?start=inv_" in turn.text
    assert "It works once, until 17 March" in turn.text  # 7 days from 10 March
    payload = await invite_link(owner)
    assert len(payload) <= 64 and payload.replace("_", "").replace("-", "").isalnum()
    async with harness.db.system_session() as session:
        invites = list(await session.scalars(select(Invite)))
    assert len(invites) == 2
    stored = {invite.token_hash for invite in invites}
    assert hashlib.sha256(payload.encode()).hexdigest() in stored
    assert all(payload not in value for value in stored)
    # 16 random bytes = 128 bits at least.
    assert len(payload.removeprefix("inv_")) >= 22


async def test_agent_joins_with_the_link_and_shares_the_agency(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    owner_agency, _ = await member_of(harness, owner.id)
    assert await member_of(harness, agent.id) == (owner_agency, Role.AGENT)
    team = (await owner.send("/team")).text
    assert "Alice Martin — owner (you)" in team and "Bob Durand — agent" in team
    await owner.send("/add_contact Marie Dupont phone=0612345678")
    assert "Marie Dupont" in (await agent.send("/contacts")).text


async def test_invited_person_sees_the_agency_name_first(harness: Harness, owner: ChatUser) -> None:
    payload = await invite_link(owner)
    text = await start_with(harness.user(110, "Zoe"), payload)
    assert "You are invited to join Acme Realty" in text
    assert "What is your name?" in text


@pytest.mark.parametrize(
    "payload",
    ["hello", "inv_", "inv_short", "inv_" + "A" * 60, "inv_<script>alert(1)</script>", "C1"],
)
async def test_malformed_or_unknown_payload_joins_nothing(
    harness: Harness, owner: ChatUser, payload: str
) -> None:
    eve = harness.user(120, "Eve")
    text = await start_with(eve, payload)
    assert "This invitation link is not valid. Ask the agency owner for a new one." in text
    assert "<script>" not in text
    assert await member_of(harness, eve.id) == (None, None)


async def test_tampered_payload_joins_nothing(harness: Harness, owner: ChatUser) -> None:
    payload = await invite_link(owner)
    tampered = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    text = await start_with(harness.user(121, "Eve"), tampered)
    assert "This invitation link is not valid" in text
    # The genuine link still works afterwards.
    assert "invited to join Acme Realty" in await start_with(harness.user(122, "Gus"), payload)


async def test_used_link_cannot_be_used_again(harness: Harness, owner: ChatUser) -> None:
    payload = await invite_link(owner)
    await sign_up(harness.user(130, "Bob"), agency=None, name="Bob", payload=payload)
    carol = harness.user(131, "Carol")
    assert "has already been used" in await start_with(carol, payload)
    assert await member_of(harness, carol.id) == (None, None)


async def test_link_used_by_someone_else_during_onboarding(
    harness: Harness, owner: ChatUser
) -> None:
    payload = await invite_link(owner)
    slow = harness.user(140, "Slow")
    await slow.send(f"/start {payload}")
    await sign_up(harness.user(141, "Fast"), agency=None, name="Fast", payload=payload)
    await slow.send("Slow Sam")
    await slow.press("Skip")
    await slow.press("English")
    await slow.press("Keep")
    await slow.press("18 or older")
    turn = await slow.press("I accept")
    assert "has already been used" in turn.text
    assert await member_of(harness, slow.id) == (None, None)


async def test_expired_link(harness: Harness, owner: ChatUser) -> None:
    payload = await invite_link(owner)
    harness.clock.advance(days=7, seconds=1)
    dan = harness.user(150, "Dan")
    assert "This invitation link has expired" in await start_with(dan, payload)
    assert await member_of(harness, dan.id) == (None, None)


async def test_link_still_valid_just_before_expiry(harness: Harness, owner: ChatUser) -> None:
    payload = await invite_link(owner)
    harness.clock.advance(days=6, hours=23)
    assert "invited to join" in await start_with(harness.user(151, "Dan"), payload)


async def test_revoked_link(harness: Harness, owner: ChatUser) -> None:
    payload = await invite_link(owner)
    turn = await owner.press("Revoke this link")
    assert "revoked: nobody can join with it" in turn.text
    fay = harness.user(160, "Fay")
    assert "This invitation link was revoked" in await start_with(fay, payload)
    assert await member_of(harness, fay.id) == (None, None)
    assert "No invitation link is waiting" in (await owner.send("/invites")).text


async def test_invites_lists_and_revokes_waiting_links(harness: Harness, owner: ChatUser) -> None:
    first = await invite_link(owner)
    second = await invite_link(owner)
    turn = await owner.send("/invites")
    assert "1. made 10 March, valid until 17 March" in turn.text
    assert turn.labels == ["Revoke link 1", "Revoke link 2"]
    await owner.press("Revoke link 2")
    assert "was revoked" in await start_with(harness.user(161, "Gil"), second)
    assert "invited to join" in await start_with(harness.user(162, "Hal"), first)


async def test_revoking_twice_or_a_used_link_says_so(harness: Harness, owner: ChatUser) -> None:
    await invite_link(owner)
    await owner.press("Revoke this link")
    turn = await owner.press("Revoke this link")
    assert "I found no" in turn.text


async def test_member_opening_a_link_stays_in_their_agency(
    harness: Harness, owner: ChatUser, rival: ChatUser
) -> None:
    payload = await invite_link(owner)
    before = await member_of(harness, rival.id)
    text = await start_with(rival, payload)
    assert "You already belong to the agency “Rival Homes”" in text
    assert await member_of(harness, rival.id) == before
    # The link was not consumed.
    assert "invited to join" in await start_with(harness.user(170, "Ivy"), payload)


async def test_agents_cannot_invite_or_remove(harness: Harness, agent: ChatUser) -> None:
    for command in ("/invite", "/invites"):
        assert "Only the agency owner can do that." in (await agent.send(command)).text
    assert not [label for label in (await agent.send("/team")).labels if "Remove" in label]


async def test_owner_removes_an_agent(harness: Harness, owner: ChatUser, agent: ChatUser) -> None:
    await agent.send("/add_contact Marie Dupont")
    await owner.send("/team")
    turn = await owner.press("Remove Bob Durand")
    assert "Remove this agent" in turn.text
    await owner.press("No")
    assert (await member_of(harness, agent.id))[1] == Role.AGENT
    await owner.press("Remove Bob Durand")
    await owner.press("Yes")
    assert await member_of(harness, agent.id) == (None, None)
    assert "/start" in (await agent.send("/contacts")).text
    # What Bob created stays with the agency.
    assert "Marie Dupont" in (await owner.send("/contacts")).text
    assert "Bob Durand" not in (await owner.send("/team")).text


async def test_removed_agent_can_join_again_with_a_new_link(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await owner.send("/team")
    await owner.press("Remove Bob Durand")
    await owner.press("Yes")
    await sign_up(agent, agency=None, name="Bob Durand", payload=await invite_link(owner))
    assert (await member_of(harness, agent.id))[1] == Role.AGENT
