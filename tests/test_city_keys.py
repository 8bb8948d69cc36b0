"""One town however it is written: "Saint-Étienne", "Saint-Etienne", "st etienne", "SAINT
ETIENNE". Matching compares the stored city keys in SQL (operations/matching.py) and
values.place_key in Python (matching.same_place); a buyer and a listing meet whichever way the
agent typed the town, alerts too, and a database migrated from 0010 has its keys filled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, inspect, select, text

from crm_core import schema
from crm_core.db import Database
from crm_core.matching import Criteria, Listing, fit, same_place
from crm_core.models import Agency, Contact, Property, User, city_key
from crm_core.values import place_key
from tests.harness import ChatUser, Harness
from tests.test_imports import sample
from tests.uploads import send_file

SAINT_ETIENNE = ["Saint-Étienne", "Saint-Etienne", "st etienne", "SAINT ETIENNE", "Saint Étienne"]

# --- the key ---------------------------------------------------------------------------------

ACCENTED = {
    "a": "àâä",
    "c": "ç",
    "e": "éèêë",
    "i": "îï",
    "o": "ôö",
    "u": "ùûü",
    "y": "ÿ",
}
PLAIN = "abcdefghijklmnopqrstuvwxyz"
words = st.lists(st.text(PLAIN, min_size=1, max_size=10), min_size=1, max_size=4)
separators = st.sampled_from([" ", "  ", "-", " - ", "\t", "'", "’", ". ", "–"])


@st.composite
def written(draw: st.DrawFn, parts: list[str]) -> str:
    """``parts`` as someone may type them: any case, accents, separators, stray spaces."""
    out = []
    for word in parts:
        letters = []
        for char in word:
            if char in ACCENTED and draw(st.booleans()):
                char = draw(st.sampled_from(ACCENTED[char]))
            letters.append(char.upper() if draw(st.booleans()) else char)
        out.append("".join(letters))
    text = out[0]
    for word in out[1:]:
        text += draw(separators) + word
    return draw(st.sampled_from(["", " ", "  "])) + text + draw(st.sampled_from(["", " "]))


FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FEW
@given(st.data(), words)
def test_the_key_ignores_case_accents_hyphens_and_spaces(data: st.DataObject, parts: list[str]):
    first, second = data.draw(written(parts)), data.draw(written(parts))
    key = place_key(first)
    assert key == place_key(second) == place_key(" ".join(parts))
    assert place_key(key) == key  # idempotent: stored keys compare with computed ones
    assert key == key.strip() and "  " not in key and "-" not in key and key == key.lower()


@FEW
@given(st.text(max_size=60))
def test_the_key_is_idempotent_on_anything(raw: str) -> None:
    key = place_key(raw)
    assert place_key(key) == key


@FEW
@given(st.data(), words, words)
def test_sql_keys_and_same_place_agree(data: st.DataObject, wanted: list[str], town: list[str]):
    """What same_place accepts, the SQL filter (stored key == key of the wish) lets through,
    and the other way round, for cities: the prefilter never hides a fit."""
    asked, listed = data.draw(written(wanted)), data.draw(written(town))
    assume(place_key(asked) and place_key(listed))
    in_sql = city_key(asked) == city_key(listed)
    assert in_sql == bool(same_place(asked, Listing("sale", "apartment", city=listed)))


def test_saints_and_postcodes() -> None:
    assert {place_key(town) for town in SAINT_ETIENNE} == {"saint etienne"}
    assert place_key("Ste-Foy-lès-Lyon") == place_key("Sainte Foy les Lyon")
    assert place_key("St. Étienne") == "saint etienne"
    assert place_key("69 004") == "69004"
    assert place_key("Saint-Chamond") != place_key("Saint-Étienne")
    assert place_key("Stella") == "stella"  # "St" is a word, not a prefix
    criteria = Criteria(role="buyer", city="st etienne")
    assert fit(criteria, Listing("sale", "apartment", city="Saint-Étienne")) is not None
    assert fit(criteria, Listing("sale", "apartment", city="Saint-Chamond")) is None


# --- through the bot -------------------------------------------------------------------------


async def ok(user: ChatUser, command: str) -> None:
    turn = await user.send(command)
    assert "✅" in turn.text, turn.text


def refs(labels: list[str], prefix: str) -> set[str]:
    return {label.split()[0] for label in labels if label[:1] == prefix}


async def test_a_buyer_finds_the_listing_however_either_is_written(owner: ChatUser) -> None:
    await ok(owner, "/add_property T3 Jacquard city=Saint-Étienne price=200000")  # P1
    await ok(owner, "/add_property T3 Chamond city=Saint-Chamond price=200000")  # P2
    for n, town in enumerate(SAINT_ETIENNE, start=1):
        await ok(owner, f"/add_contact Client {n} role=buyer city={town} budget_max=250k")
        turn = await owner.send(f"/match_properties C{n}")
        assert refs(turn.labels, "P") == {"P1"}, (town, turn.text)  # never Saint-Chamond
    turn = await owner.send("/match_contacts P1")
    assert refs(turn.labels, "C") == {f"C{n}" for n in range(1, len(SAINT_ETIENNE) + 1)}
    assert "Client" not in (await owner.send("/match_contacts P2")).text


async def test_a_listing_finds_the_buyer_however_either_is_written(owner: ChatUser) -> None:
    await ok(owner, "/add_contact Marie Dupont role=buyer city=Saint-Étienne budget_max=250k")
    await ok(owner, "/add_contact Paul Roux role=buyer city=Saint-Chamond budget_max=250k")
    for n, town in enumerate(SAINT_ETIENNE[1:], start=1):
        await ok(owner, f"/add_property T3 numero {n} city={town} price=200000")
        turn = await owner.send(f"/match_contacts P{n}")
        assert "Marie Dupont" in turn.text and "Paul Roux" not in turn.text, (town, turn.text)
    turn = await owner.send("/match_properties C1")
    assert refs(turn.labels, "P") == {f"P{n}" for n in range(1, len(SAINT_ETIENNE))}
    # A city changed later keeps its key: Marie now looks in Lyon only.
    await ok(owner, "/update_contact C1 city=Lyon")
    assert not refs((await owner.send("/match_properties C1")).labels, "P")
    await ok(owner, "/update_contact C1 city=st-etienne")
    assert len(refs((await owner.send("/match_properties C1")).labels, "P")) == 4


def received(harness: Harness, user: ChatUser) -> str:
    return "\n".join(harness.session.texts(user.id))


async def test_alerts_fire_across_accents(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await agent.send("/add_contact Marie Dupont role=buyer city=Saint-Etienne budget_max=350k")
    await agent.send("/add_contact Paul Roux role=buyer city=Saint-Chamond budget_max=350k")
    harness.session.clear()
    await owner.send("/add_property T3 Jacquard city=SAINT-ÉTIENNE price=320k")
    alert = received(harness, agent)
    assert "New listing" in alert and "Marie Dupont" in alert
    assert "Paul Roux" not in alert  # another town, however alike its name
    harness.session.clear()
    await owner.send("/add_property T2 Chamond city=saint chamond price=320k")
    alert = received(harness, agent)
    assert "Paul Roux" in alert and "Marie Dupont" not in alert


async def test_find_by_city_ignores_accents(owner: ChatUser) -> None:
    await ok(owner, "/add_contact Marie Dupont role=buyer city=Saint-Étienne")
    await ok(owner, "/add_property T3 Jacquard city=Saint-Étienne")
    assert "Marie Dupont" in (await owner.send("/find_contacts city=st etienne")).text
    assert "Jacquard" in (await owner.send("/find_properties city=SAINT ETIENNE")).text


async def test_imported_records_have_keys(harness: Harness, owner: ChatUser) -> None:
    await send_file(owner, "biens.csv", sample("listings_numbers.csv"))
    await owner.press("Import 3 properties")
    async with harness.db.system_session() as session:
        keys = {p.city: p.city_key for p in await session.scalars(select(Property))}
    assert keys == {"Lyon": "lyon", "Bordeaux": "bordeaux", "Grenoble": "grenoble"}


# --- the migration ---------------------------------------------------------------------------

TOWNS = [None, "Saint-Étienne", "ST ETIENNE", "Lyon", "L’Isle-d’Abeau", "69 004", "Straße"]
ROWS = 2 * 1000 + 7  # more than two of the migration's batches


async def test_upgrading_from_0010_fills_the_keys(db: Database) -> None:
    """A populated database at 0010 (both engines): 0011 fills every row's key with the same
    normaliser the models use; its downgrade drops them; up again."""
    now = datetime(2026, 12, 4, tzinfo=UTC)
    try:
        await schema.migrate(db, "0010", downgrade=True)
        async with db.system_session() as session:
            agency = Agency(name="Acme")
            session.add(agency)
            await session.flush()
            session.add(User(telegram_id=42, agency_id=agency.id, role="owner", name="Alice"))
            common = {"agency_id": agency.id, "created_at": now, "updated_at": now}
            # Core inserts name only the columns given: city_key does not exist yet.
            contacts = [
                {**common, "number": n, "name": f"C{n}", "name_key": f"c{n}", "role": "buyer"}
                | {"city": TOWNS[n % len(TOWNS)]}
                for n in range(1, ROWS + 1)
            ]
            properties = [
                {**common, "number": n, "title": f"P{n}", "title_key": f"p{n}"}
                | {"property_type": "apartment", "transaction": "sale", "status": "available"}
                | {"city": TOWNS[n % len(TOWNS)]}
                for n in range(1, 12)
            ]
            await session.execute(insert(Contact), contacts)
            await session.execute(insert(Property), properties)
            await session.commit()

        await schema.upgrade(db)

        async with db.engine.connect() as connection:
            for table in ("contacts", "properties"):
                rows = await connection.execute(text(f"SELECT city, city_key FROM {table}"))
                pairs = rows.all()
                assert pairs and all(key == city_key(city) for city, key in pairs), table
            count = await connection.scalar(
                text("SELECT count(*) FROM contacts WHERE city_key = 'saint etienne'")
            )
            assert count == len([n for n in range(1, ROWS + 1) if n % len(TOWNS) in (1, 2)])
        # The new keys work for matching at once.
        async with db.system_session() as session:
            found = await session.scalar(
                select(Property.number)
                .where(Property.city_key == place_key("Saint Etienne"))
                .order_by(Property.number)
            )
            assert found == 1

        await schema.migrate(db, "0010", downgrade=True)
        async with db.engine.connect() as connection:
            for table in ("contacts", "properties"):
                columns = await connection.run_sync(
                    lambda sync, table=table: {c["name"] for c in inspect(sync).get_columns(table)}
                )
                assert "city_key" not in columns and "city" in columns
            assert await connection.scalar(text("SELECT count(*) FROM contacts")) == ROWS
    finally:
        await schema.upgrade(db)


@pytest.mark.parametrize("town", SAINT_ETIENNE)
def test_models_keep_the_key(town: str) -> None:
    contact = Contact(name="Marie", city=town)
    assert contact.city_key == "saint etienne"
    contact.city = None
    assert contact.city_key is None
    prop = Property(title="T3")
    prop.city = town
    assert prop.city_key == "saint etienne"
