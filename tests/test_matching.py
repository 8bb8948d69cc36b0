"""Matching buyers and tenants with listings: the ranking on hand-built cases, the reasons and
misses as the agent reads them, and nothing of another agency ever in a result."""

from __future__ import annotations

from crm_core.matching import Criteria, Listing, Point, fit
from tests.harness import ChatUser, Turn

BUYER = Criteria(
    role="buyer", city="Lyon", budget_max=350_000, property_type="apartment", rooms_min=3
)


def flat(**changes: object) -> Listing:
    facts: dict[str, object] = {
        "transaction": "sale",
        "property_type": "apartment",
        "city": "Lyon",
        "postcode": "69004",
        "price": 340_000,
        "surface_m2": 70,
        "rooms": 3,
    }
    return Listing(**{**facts, **changes})  # type: ignore[arg-type]


def test_a_perfect_fit_scores_full_with_its_reasons():
    result = fit(BUYER, flat())
    assert result is not None and result.score == 100 and not result.misses
    assert {p.code for p in result.reasons} == {"city", "type", "budget", "rooms"}


def test_a_budget_miss_ranks_below_and_says_by_how_much():
    result = fit(BUYER, flat(price=392_000))
    assert result is not None and 0 < result.score < 100
    assert Point("over_budget", {"percent": 12}) in result.misses


def test_wrong_city_transaction_or_far_over_budget_excludes():
    assert fit(BUYER, flat(city="Paris", postcode="75011")) is None
    assert fit(BUYER, flat(transaction="rent")) is None
    assert fit(BUYER, flat(price=500_000)) is None
    assert fit(BUYER, flat(rooms=1)) is None
    tenant = Criteria(role="tenant", city="Lyon")
    assert fit(tenant, flat()) is None and fit(tenant, flat(transaction="rent")) is not None
    assert fit(Criteria(role="seller"), flat()) is None


def test_places_compare_like_people_write_them():
    assert fit(Criteria(role="buyer", city="LYON"), flat()) is not None
    assert fit(Criteria(role="buyer", city="69"), flat(city=None)) is not None  # département
    assert fit(Criteria(role="buyer", city="69004"), flat()) is not None
    saint = flat(city="Saint-Étienne", postcode="42000")
    assert fit(Criteria(role="buyer", city="saint etienne"), saint) is not None
    unknown = fit(BUYER, flat(city=None, postcode=None))
    assert unknown is not None and Point("city_unknown") in unknown.misses


def test_smaller_misses_cost_points_in_order():
    perfect = fit(BUYER, flat())
    house = fit(BUYER, flat(property_type="house"))
    one_room_short = fit(BUYER, flat(rooms=2))
    assert perfect and house and one_room_short
    assert perfect.score > one_room_short.score > house.score


# --- through the bot --------------------------------------------------------------------------


async def ok(user: ChatUser, text: str, expected: str = "✅") -> Turn:
    turn = await user.send(text)
    assert expected in turn.text, turn.text
    return turn


async def listings(user: ChatUser) -> None:
    """P1 perfect, P2 12 % over budget, P3 wrong city, P4 for rent, P5 sold, P6 a house."""
    for command in (
        "/add_property T3 Croix-Rousse city=Lyon postcode=69004 price=340000 rooms=3 surface_m2=70",
        "/add_property T3 Monplaisir city=Lyon postcode=69008 price=392000 rooms=3 surface_m2=72",
        "/add_property T3 Bastille city=Paris postcode=75011 price=340000 rooms=3",
        "/add_property T3 a louer city=Lyon price=1200 rooms=3 transaction=rent",
        "/add_property T3 vendu city=Lyon price=300000 rooms=3",
        "/add_property Maison Lyon city=Lyon property_type=house price=345000 rooms=4",
    ):
        await ok(user, command)
    await ok(user, "/update_property P5 status=sold")


async def test_listings_for_a_buyer_best_first(owner: ChatUser, rival: ChatUser) -> None:
    await listings(owner)
    await ok(rival, "/add_property Rival T3 city=Lyon price=330000 rooms=3")
    await ok(
        owner,
        "/add_contact Marie Dupont role=buyer city=Lyon budget_max=350k "
        "property_type=apartment rooms_min=3",
    )
    turn = await owner.send("/match_properties C1")
    refs = [label.split()[0] for label in turn.labels]
    assert refs == ["P1", "P6", "P2"], turn.text
    assert "12% over budget" in turn.text and "within budget" in turn.text
    for absent in ("Bastille", "louer", "vendu", "Rival"):
        assert absent not in turn.text
    card = await owner.press("P1 T3 Croix-Rousse")
    assert "T3 Croix-Rousse" in card.text


async def test_clients_for_a_listing_and_tenancy(owner: ChatUser, rival: ChatUser) -> None:
    await listings(owner)
    for command in (
        "/add_contact Marie Dupont role=buyer city=Lyon budget_max=350k rooms_min=3",
        "/add_contact Paul Roux role=buyer city=Lyon budget_max=280k",  # 21 % over: out
        "/add_contact Lea Petit role=tenant city=Lyon budget_max=1500",
        "/add_contact Hugo Blanc role=investor city=69 budget_max=330k",
        "/add_contact Zoe Noir role=buyer city=Paris budget_max=400k",
    ):
        await ok(owner, command)
    await ok(rival, "/add_contact Rita Client role=buyer city=Lyon budget_max=400k")
    turn = await owner.send("/match_contacts P1")
    names = [label.split(maxsplit=1)[1] for label in turn.labels if label[:1] == "C"]
    assert names == ["Marie Dupont", "Hugo Blanc"], turn.text
    assert "3% over budget" in turn.text  # Hugo: 340k for 330k
    for absent in ("Paul Roux", "Lea Petit", "Zoe Noir", "Rita"):
        assert absent not in turn.text
    # The rival's records are not found, and their contacts match nothing of ours.
    assert "I found no property" in (await rival.send("/match_contacts P1")).text
    assert "No available listing" in (await rival.send("/match_properties C1")).text


async def test_a_seller_is_not_matched_and_buttons_reach_matching(owner: ChatUser) -> None:
    await ok(owner, "/add_contact Paul Martin role=seller city=Lyon")
    assert "I match listings for buyers" in (await owner.send("/match_properties Paul")).text
    await ok(owner, "/add_contact Marie Dupont role=buyer city=Lyon budget_max=350k")
    await ok(owner, "/add_property T3 Croix-Rousse city=Lyon price=340000")
    await owner.send("/show_contact C2")
    turn = await owner.press("Matching listings")
    assert "Listings for C2" in turn.text and "P1" in turn.text
    await owner.send("/show_property P1")
    turn = await owner.press("Matching clients")
    assert "Clients for P1" in turn.text and "Marie Dupont" in turn.text
