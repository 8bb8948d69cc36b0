"""A listing that is new, back on the market or cheaper reaches the agents whose clients it
fits, with a button to the match; not the agent who made the change, nobody elsewhere."""

from __future__ import annotations

from tests.harness import ChatUser, Harness


def received(harness: Harness, user: ChatUser) -> str:
    return "\n".join(harness.session.texts(user.id))


async def test_new_listing_alerts_the_agent_whose_client_it_fits(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser
) -> None:
    await agent.send("/add_contact Marie Dupont role=buyer city=Lyon budget_max=350k")
    await agent.send("/add_contact Paul Girard role=buyer city=Paris budget_max=900k")
    await rival.send("/add_contact Victor Secret role=buyer city=Lyon budget_max=350k")
    harness.session.clear()

    turn = await owner.send("/add_property T3 Croix-Rousse city=Lyon price=320k rooms=3")

    assert "fits your clients" not in turn.text  # the one who added it is not alerted
    alert = received(harness, agent)
    assert "New listing" in alert and "P1" in alert and "Marie Dupont" in alert
    assert "Paul Girard" not in alert  # Paris does not fit Lyon
    assert received(harness, rival) == ""
    await agent.press("Matching clients")
    assert "Marie Dupont" in received(harness, agent)


async def test_price_drop_alerts_when_the_listing_starts_to_fit(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await agent.send("/add_contact Marie Dupont role=buyer city=Lyon budget_max=350k")
    await owner.send("/add_property T3 Croix-Rousse city=Lyon price=450k")
    assert "fits your clients" not in received(harness, agent)  # 29% over budget
    harness.session.clear()

    await owner.send("/update_property P1 price=340k")

    alert = received(harness, agent)
    assert "Price drop" in alert and "Marie Dupont" in alert
    harness.session.clear()
    await owner.send("/update_property P1 description=Bright, quiet")
    assert received(harness, agent) == ""  # nothing new for her clients


async def test_the_actor_is_not_told_about_their_own_clients(
    harness: Harness, owner: ChatUser
) -> None:
    await owner.send("/add_contact Marie Dupont role=buyer city=Lyon budget_max=350k")
    harness.session.clear()
    await owner.send("/add_property T3 city=Lyon price=320k")
    assert "fits your clients" not in received(harness, owner)


async def test_alert_in_the_recipients_language(
    harness: Harness, owner: ChatUser, agent: ChatUser
) -> None:
    await agent.send("/language")
    await agent.press("Français")
    await agent.send("/add_contact Marie Dupont role=buyer city=Lyon budget_max=350k")
    harness.session.clear()
    await owner.send("/add_property T3 city=Lyon price=320k")
    assert "Nouveau bien" in received(harness, agent)


async def test_back_on_the_market(harness: Harness, owner: ChatUser, agent: ChatUser) -> None:
    await owner.send("/add_property T3 city=Lyon price=320k")
    await owner.send("/update_property P1 status=withdrawn")
    await agent.send("/add_contact Marie Dupont role=buyer city=Lyon budget_max=350k")
    harness.session.clear()
    await owner.send("/update_property P1 status=available")
    alert = received(harness, agent)
    assert "is available again" in alert and "Marie Dupont" in alert
