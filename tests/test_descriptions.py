"""Listing texts: the template in English and French states the stored facts and nothing
else; Claude writes them against the local Messages API server, sent the property's facts
only; any provider failure falls back to the template; the buttons regenerate and save."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.factory import create_bot, create_dispatcher
from bot.local_session import LocalBotSession
from bot.settings import Settings
from crm_core.db import Database
from crm_core.descriptions import states_facts, template
from crm_core.models import Agency
from tests.conftest import sign_up
from tests.fake_anthropic import FakeAnthropic, message, server_error, text
from tests.harness import ChatUser, Clock, Harness

FACTS = {
    "property_type": "apartment",
    "transaction": "sale",
    "city": "Lyon",
    "postcode": "69004",
    "price": 350_000,
    "currency": "EUR",
    "surface_m2": 72,
    "rooms": 3,
    "bedrooms": 2,
}
INVENTED = ("balcon", "balcony", "terrasse", "terrace", "jardin", "garden", "vue", "view")


@pytest.mark.parametrize("tone", ["standard", "warm", "premium", "concise"])
def test_the_template_states_the_stored_facts_only(tone: str) -> None:
    english = template(FACTS, tone, "en")
    french = template(FACTS, tone, "fr")
    assert "€350,000" in english and "72 m²" in english and "Lyon" in english
    assert "350\u202f000 €" in french and "72 m²" in french and "pièces" in french
    for written in (english, french):
        assert states_facts(written, FACTS)
        assert not set(re.findall(r"\w+", written.lower())) & set(INVENTED)


def test_the_template_says_nothing_of_what_is_not_recorded() -> None:
    bare = {"property_type": "house", "transaction": "rent", "price": 1200, "currency": "EUR"}
    assert template(bare, "standard", "en").startswith("House to rent.")
    assert "€1,200 per month" in template(bare, "standard", "en")
    assert "Loyer : 1\u202f200 € par mois." in template(bare, "standard", "fr")
    for written in (template(bare, "warm", "en"), template(bare, "warm", "fr")):
        assert "m²" not in written and "room" not in written and "pièce" not in written


def test_a_writer_text_must_state_surface_and_price() -> None:
    assert states_facts("72 m² for 350 000 € in Lyon", FACTS)
    assert states_facts("72 m², €350,000", FACTS)
    assert not states_facts("70 m² for 350 000 €", FACTS)
    assert not states_facts("72 m², a bargain", FACTS)


# --- through the bot, without a provider ------------------------------------------------------

ADD_FLAT = (
    "/add_property T3 Croix-Rousse city=Lyon postcode=69004 price=350000 surface_m2=72 rooms=3 "
    "bedrooms=2 address=12 rue Dumenge"
)


async def test_template_ad_regenerated_and_saved(owner: ChatUser) -> None:
    await owner.send("/add_contact Paul Martin role=seller phone=06 12 34 56 78")
    await owner.send(f"{ADD_FLAT} owner_contact=C1")
    turn = await owner.send("/write_description P1")
    assert "from the template" in turn.text and "€350,000" in turn.text
    assert "balcony" not in turn.text.lower()
    warm = await owner.press("warm")
    assert "Welcome to this apartment for sale in Lyon (69004)." in warm.text
    french = await owner.press("Français")
    assert "Bienvenue dans cet appartement à vendre à Lyon (69004)." in french.text
    saved = await owner.press("Save to the listing")
    assert "Property updated" in saved.text
    card = await owner.send("/show_property P1")
    # Stored as typed text: the narrow no-break space of "350 000" became a plain one.
    assert "Bienvenue dans cet appartement" in card.text and "Prix : 350 000 €." in card.text
    # The card offers to write one, in the agent's language by default.
    turn = await owner.press("Write ad")
    assert "Apartment for sale in Lyon (69004)." in turn.text


# --- with Claude ------------------------------------------------------------------------------


@pytest.fixture
async def claude_harness(
    db: Database, clock: Clock, tmp_path: Path, server: FakeAnthropic
) -> Harness:
    """The bot with an Anthropic key, talking to the local server."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        anthropic_api_key="test",
        anthropic_base_url=server.url,
        anthropic_max_retries=1,
    )
    session = LocalBotSession()
    bot = create_bot(settings, session=session)
    return Harness(create_dispatcher(settings, db, clock=clock), bot, session, db, clock)


@pytest.fixture
async def alice(claude_harness: Harness) -> ChatUser:
    user = claude_harness.user(101, "Alice")
    await sign_up(user)
    return user


CLAUDE_AD = (
    "Bright three-room apartment in Lyon 69004: 72 m² of living space, two bedrooms, "
    "offered at 350,000 €."
)


async def test_claude_writes_from_the_facts_only(alice: ChatUser, server: FakeAnthropic) -> None:
    await alice.send("/add_contact Paul Martin role=seller phone=06 12 34 56 78")
    await alice.send(f"{ADD_FLAT} owner_contact=C1")
    server.queue(message(text(CLAUDE_AD)))
    turn = await alice.send("/write_description P1 tone=premium language=en")
    assert "written by AI" in turn.text and CLAUDE_AD in turn.text
    sent = json.dumps(server.requests[-1], ensure_ascii=False)
    for private in ("Paul", "Martin", "612345678", "12 34 56", "Dumenge", "Croix-Rousse"):
        assert private not in sent
    assert '\\"surface_m2\\": 72' in sent and "premium" not in sent.split("Facts")[1]
    saved = await alice.press("Save to the listing")
    assert "Property updated" in saved.text
    assert CLAUDE_AD in (await alice.send("/show_property P1")).text


async def test_provider_faults_and_made_up_facts_fall_back_to_the_template(
    alice: ChatUser, server: FakeAnthropic
) -> None:
    await alice.send(ADD_FLAT)
    server.always = server_error()
    turn = await alice.send("/write_description P1")
    assert "from the template" in turn.text and "€350,000" in turn.text
    assert len(server.requests) == 2  # the SDK's one retry, then the template
    server.always = message(text("Lovely 80 m² flat with a balcony, 350 000 €."))
    turn = await alice.send("/write_description P1")
    assert "from the template" in turn.text and "balcony" not in turn.text


async def test_no_request_when_ai_processing_is_off(
    claude_harness: Harness, alice: ChatUser, server: FakeAnthropic
) -> None:
    await alice.send(ADD_FLAT)
    async with claude_harness.db.system_session() as session:
        await session.execute(update(Agency).values(ai_processing=False))
        await session.commit()
    turn = await alice.send("/write_description P1")
    assert "from the template" in turn.text and server.requests == []
