"""Privacy rights from the chat: the menu, access, rectification, restriction, objection,
marketing, the request log and a changed policy."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.settings import Settings
from crm_core.models import Agency, PrivacyRequest, User
from tests.harness import START, ChatUser, Harness


async def user_row(harness: Harness, telegram_id: int) -> User:
    async with harness.db.system_session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
    assert user is not None
    return user


async def requests(harness: Harness) -> list[PrivacyRequest]:
    async with harness.db.system_session() as session:
        return list(await session.scalars(select(PrivacyRequest).order_by(PrivacyRequest.id)))


async def test_menu_shows_policy_contact_and_rights(owner: ChatUser) -> None:
    turn = await owner.send("/privacy")
    assert "version 2026-11" in turn.text and "https://example.com/privacy" in turn.text
    assert "privacy@example.com" in turn.text
    assert "/mydata" in turn.text and "/export" in turn.text and "/delete" in turn.text
    assert "/privacy_requests" in turn.text  # the owner's
    assert "Marketing messages: off" in turn.labels  # opt-in only
    assert "never who or what" in turn.text  # what objecting to analytics is about


async def test_toggles_are_stored_and_logged_with_due_date(
    harness: Harness, owner: ChatUser
) -> None:
    await owner.send("/privacy")
    await owner.press("Marketing messages: off")
    turn = await owner.press("Usage analytics: on")
    assert "Saved." in turn.text and "Usage analytics: off" in turn.labels
    await owner.press("AI processing for me: on")
    user = await user_row(harness, owner.id)
    assert user.marketing_opt_in and user.analytics_opt_out and user.ai_restricted
    logged = await requests(harness)
    assert [(r.kind, r.details) for r in logged] == [
        ("marketing", "on"),
        ("objection", "on"),
        ("restriction", "on"),
    ]
    assert all(r.requested_at == START and r.completed_at == START for r in logged)
    assert all(r.due_at - r.requested_at == timedelta(days=31) for r in logged)
    await owner.press("Marketing messages: on")  # withdrawable
    assert not (await user_row(harness, owner.id)).marketing_opt_in


async def test_owner_switches_ai_for_the_agency(harness: Harness, owner: ChatUser) -> None:
    await owner.send("/privacy")
    await owner.press("AI processing for the agency: on")
    async with harness.db.system_session() as session:
        agency = await session.scalar(select(Agency))
    assert agency is not None and agency.ai_processing is False


async def test_agent_has_no_agency_switch(agent: ChatUser) -> None:
    turn = await agent.send("/privacy")
    assert not any("agency" in label for label in turn.labels)
    assert "/privacy_requests" not in turn.text
    assert "Only the agency owner" in (await agent.send("/privacy_requests")).text


async def test_mydata_shows_what_is_held(harness: Harness, owner: ChatUser) -> None:
    await owner.send("/add_contact Marie Dupont phone=0612345678")
    await owner.send("/privacy")
    await owner.press("Marketing messages: off")
    turn = await owner.send("/mydata")
    text = turn.text
    assert "Name: Alice Martin" in text and f"Telegram id: {owner.id}" in text
    assert "Agency: Acme Realty (owner)" in text
    assert "Aged 18 or older, confirmed 10 March 2026" in text
    assert "Privacy policy 2026-11, accepted 10 March 2026" in text
    assert "Marketing messages: on" in text
    assert "contacts 1 · properties 0" in text
    assert "marketing, 10 March 2026: done 10 March 2026" in text
    assert [r.kind for r in await requests(harness)] == ["marketing", "access"]


async def test_rectification_validates_and_logs(harness: Harness, owner: ChatUser) -> None:
    await owner.send("/privacy")
    await owner.press("Edit my profile")
    await owner.press("Email")
    assert "not a valid value" in (await owner.send("not an email")).text
    assert "Saved." in (await owner.send("alice@example.com")).text
    await owner.press("Edit my profile")
    await owner.press("Time zone")
    await owner.send("america/montreal")
    await owner.press("Edit my profile")
    await owner.press("Name")
    await owner.send("Alice Martin-Roy")
    await owner.press("Edit my profile")
    await owner.press("Language")
    await owner.press("Français")
    user = await user_row(harness, owner.id)
    assert (user.email, user.timezone, user.locale, user.name) == (
        "alice@example.com",
        "America/Montreal",
        "fr",
        "Alice Martin-Roy",
    )
    logged = await requests(harness)
    assert [(r.kind, r.details) for r in logged] == [
        ("rectification", "email"),
        ("rectification", "timezone"),
        ("rectification", "name"),
        ("rectification", "locale"),
    ]
    assert all("alice" not in (r.details or "") for r in logged)  # no personal data


async def test_changed_policy_is_accepted_first(
    harness: Harness, owner: ChatUser, settings: Settings
) -> None:
    settings.privacy_policy_version = "2027-01"
    turn = await owner.send("/contacts")
    assert "privacy policy has changed (version 2027-01)" in turn.text
    assert "I accept" in turn.labels
    harness.clock.advance(days=1)
    turn = await owner.press("I accept")
    assert "Thank you" in turn.text
    user = await user_row(harness, owner.id)
    assert user.policy_version == "2027-01" and user.policy_accepted_at == START + timedelta(days=1)
    assert "privacy policy" not in (await owner.send("/contacts")).text
