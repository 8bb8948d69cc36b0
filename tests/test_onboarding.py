"""/start: a new user creates an agency, in English or French; nothing is stored before the
last step; a known user is welcomed back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm_core.models import Agency, Role, User
from tests.conftest import sign_up
from tests.harness import Harness


async def users(harness: Harness) -> list[User]:
    async with harness.db.system_session() as session:
        return list(await session.scalars(select(User).order_by(User.id)))


async def agency_count(harness: Harness) -> int:
    async with harness.db.system_session() as session:
        return int(await session.scalar(select(func.count()).select_from(Agency)) or 0)


async def test_owner_onboarding_stores_profile_agency_and_consents(harness: Harness) -> None:
    alice = harness.user(101, "Alice")
    turn = await alice.send("/start")
    assert "agency's name" in turn.text
    assert "Use “Alice”" in (await alice.send("Acme Realty")).labels
    await alice.send("Alice Martin")
    await alice.send("alice@acme.fr")
    assert (await alice.press("Français")).text.startswith("Votre fuseau horaire")
    assert "18 ans" in (await alice.send("America/Montreal")).text
    assert "politique de confidentialité" in (await alice.press("18 ans ou plus")).text
    turn = await alice.press("J'accepte")
    assert "C'est prêt, Alice Martin ! Bienvenue chez Acme Realty." in turn.text

    [user] = await users(harness)
    assert (user.telegram_id, user.name, user.email) == (101, "Alice Martin", "alice@acme.fr")
    assert (user.locale, user.timezone, user.role) == ("fr", "America/Montreal", Role.OWNER)
    assert user.adult_confirmed_at == harness.clock.now
    assert (user.policy_version, user.policy_accepted_at) == ("2026-11", harness.clock.now)
    async with harness.db.system_session() as session:
        agency = await session.get(Agency, user.agency_id)
    assert agency is not None and agency.name == "Acme Realty"


async def test_french_telegram_user_is_greeted_in_french(harness: Harness) -> None:
    louis = harness.user(103, "Louis", language_code="fr-FR")
    turn = await louis.send("/start")
    assert "Bienvenue" in turn.text
    await louis.send("Agence du Port")
    await louis.press("Louis")
    assert "✓ Français" in (await louis.press("Passer")).labels


@pytest.mark.parametrize("refusal", ["I am not", "I decline"])
async def test_refusing_age_or_policy_stores_nothing(harness: Harness, refusal: str) -> None:
    bob = harness.user(104, "Bob")
    await bob.send("/start")
    await bob.send("Bob's Homes")
    await bob.press("Bob")
    await bob.press("Skip")
    await bob.press("English")
    await bob.press("Keep")
    if refusal == "I decline":
        await bob.press("I am 18 or older")
    turn = await bob.press(refusal)
    assert "Nothing about you was stored" in turn.text
    assert await users(harness) == []
    assert await agency_count(harness) == 0
    # The old question's buttons no longer do anything.
    turn = await bob.press("English")
    assert "This question is closed" in turn.text
    assert await users(harness) == []


async def test_onboarding_answers_are_validated(harness: Harness) -> None:
    carl = harness.user(105, "Carl")
    await carl.send("/start")
    assert "at most 120 characters" in (await carl.send("x" * 121)).text
    await carl.send("Carl Immo")
    await carl.send("Carl")
    assert "does not look like an email" in (await carl.send("carl@")).text
    await carl.press("Skip")
    await carl.press("English")
    turn = await carl.send("Mars/Olympus_Mons")
    assert "I do not know the time zone" in turn.text
    assert "18" in (await carl.send("europe/brussels")).text
    await carl.press("I am 18 or older")
    await carl.press("I accept")
    [user] = await users(harness)
    assert (user.name, user.email, user.timezone) == ("Carl", None, "Europe/Brussels")


async def test_stopping_halfway_leaves_nothing_and_start_begins_again(harness: Harness) -> None:
    dana = harness.user(106, "Dana")
    await dana.send("/start")
    await dana.send("Half Agency")
    assert "agency's name" in (await dana.send("/start")).text
    assert await users(harness) == []


async def test_known_user_start_shows_what_to_do_next(harness: Harness) -> None:
    alice = harness.user(101, "Alice")
    await sign_up(alice)
    turn = await alice.send("/start")
    assert "Hello Alice Martin! You are in Acme Realty." in turn.text
    assert "/contacts" in turn.text and "/invite" in turn.text
    assert await agency_count(harness) == 1


async def test_unknown_user_gets_pointed_to_start(harness: Harness) -> None:
    stranger = harness.user(107, "Sam")
    for text in ("/contacts", "/add_contact Eve", "/team", "hello"):
        turn = await stranger.send(text)
        assert "/start" in turn.text, text
    assert await users(harness) == []


async def test_menu_commands_registered_in_both_languages(harness: Harness) -> None:
    await harness.dispatcher.emit_startup(bot=harness.bot)
    menus = {
        request.language_code: [c.command for c in request.commands]
        for request in harness.session.requests
        if type(request).__name__ == "SetMyCommands"
    }
    assert set(menus) == {"en", "fr", None}
    assert {"today", "contacts", "properties", "deals", "new", "help"} <= set(menus["fr"])
    french = next(
        r
        for r in harness.session.requests
        if type(r).__name__ == "SetMyCommands" and r.language_code == "fr"
    )
    assert any(c.description == "Votre agenda" for c in french.commands)
