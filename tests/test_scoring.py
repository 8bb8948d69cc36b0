"""Lead scores: the reasons match the data, they follow each logged activity, /leads ranks
the agency's leads (and no one else's) exactly as the individual scores do."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from crm_core.scoring import LeadFacts, score
from tests.harness import ChatUser, Clock

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def test_each_factor_says_what_it_gave() -> None:
    facts = LeadFacts(
        last_activity_at=NOW - timedelta(days=2),
        recent_activities=2,
        responsive_activities=1,
        open_stages=("lead", "offer"),
        has_budget=True,
        has_city=True,
        reachable=True,
    )
    result = score(facts, NOW)
    points = {f.code: (f.points, f.params) for f in result.factors}
    assert points == {
        "last_activity": (30, {"days": 2}),
        "activities": (6, {"count": 2}),
        "deal_stage": (18, {"stage": "offer"}),
        "responsive": (8, {"count": 1}),
        "criteria": (11, {"filled": 3, "of": 5}),
    }
    assert result.value == 73


def test_a_cold_contact_scores_low_and_everything_is_capped() -> None:
    assert score(LeadFacts(), NOW).value == 0
    assert score(LeadFacts(last_activity_at=NOW - timedelta(days=120)), NOW).value == 0
    hottest = LeadFacts(
        last_activity_at=NOW,
        recent_activities=40,
        responsive_activities=9,
        open_stages=("under_contract",),
        has_budget=True,
        has_city=True,
        has_type=True,
        has_size=True,
        reachable=True,
    )
    assert score(hottest, NOW).value == 100


# --- through the bot --------------------------------------------------------------------------


async def test_score_reasons_match_the_data_and_follow_activities(
    owner: ChatUser, clock: Clock
) -> None:
    await owner.send(
        "/add_contact Marie Dupont role=buyer city=Lyon budget_max=350k phone=0612345678"
    )
    await owner.send("/log_activity C1 kind=call summary=First call")
    await owner.send("/log_activity C1 kind=visit summary=Visited P1")
    await owner.send("/create_deal C1 stage=offer")
    clock.advance(days=2)
    turn = await owner.send("/score_lead C1")
    for line in (
        "lead score 73/100",
        "+30 last activity 2 days ago",
        "+6 2 activities in 90 days",
        "+18 open deal at stage “offer”",
        "+8 1 visit or meeting in 60 days",
        "+11 3 of 5 criteria known",
        "Advisory",
    ):
        assert line in turn.text, (line, turn.text)
    await owner.send("/log_activity C1 kind=meeting")
    assert "lead score 83/100" in (await owner.send("/score_lead Marie")).text
    await owner.send("/show_contact C1")
    assert "lead score 83/100" in (await owner.press("Lead score")).text


async def test_leads_lists_the_hottest_of_the_agency_only(
    owner: ChatUser, rival: ChatUser, clock: Clock
) -> None:
    await owner.send("/add_contact Cold Only role=buyer")  # C1: nothing going on
    await owner.send("/add_contact Warm Call role=buyer city=Lyon")  # C2
    await owner.send("/add_contact Hot Deal role=buyer city=Lyon budget_max=300k")  # C3
    await owner.send("/add_contact Old Call role=tenant")  # C4: 100 days ago
    await owner.send("/log_activity C4 kind=call")
    clock.advance(days=100)
    await owner.send("/log_activity C2 kind=call")
    await owner.send("/log_activity C3 kind=visit")
    await owner.send("/create_deal C3 stage=negotiation")
    await rival.send("/add_contact Rival Lead role=buyer")
    await rival.send("/log_activity C1 kind=visit")
    await rival.send("/create_deal C1 stage=under_contract")
    turn = await owner.send("/leads")
    assert [label.split()[0] for label in turn.labels] == ["C3", "C2"], turn.text
    assert "Rival" not in turn.text and "Cold" not in turn.text and "Old Call" not in turn.text
    assert "Hottest leads" in turn.text


async def test_leads_rank_exactly_like_individual_scores(owner: ChatUser, clock: Clock) -> None:
    """The SQL pre-ranking of /leads never drops a contact its own score would keep."""
    rng = random.Random(3)
    for n in range(1, 19):
        extras = " budget_max=300k" if n % 2 else ""
        extras += " city=Lyon" if n % 3 == 0 else ""
        await owner.send(f"/add_contact Lead {n} role=buyer{extras}")
    for _ in range(40):
        clock.advance(days=rng.choice([0, 1, 3, 12]))
        kind = rng.choice(["call", "visit", "meeting", "email"])
        await owner.send(f"/log_activity C{rng.randint(1, 18)} kind={kind}")
    for n in (2, 5, 7, 11):
        stage = rng.choice(["lead", "visit", "offer", "lost"])
        await owner.send(f"/create_deal C{n} stage={stage}")
    scores = {}
    for n in range(1, 19):
        text = (await owner.send(f"/score_lead C{n}")).text
        scores[f"C{n}"] = int(text.split("lead score ")[1].split("/")[0])
    turn = await owner.send("/list_leads limit=5")
    listed = [label.split()[0] for label in turn.labels]
    expected = sorted(scores, key=lambda ref: (-scores[ref], -int(ref[1:])))[:5]
    assert listed == expected, (scores, turn.text)
