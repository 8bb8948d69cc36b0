"""Lead scoring: how warm a contact is, 0-100, from the agency's own data. Pure functions.

Advisory only: the score ranks leads for the agent and is never acted on by itself. It is
computed on demand from the activities, deals and criteria as they are now, so it follows
every logged activity without being stored anywhere. Each factor says what it gave, so the
agent can see why (and disagree).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# How many days of history each factor looks at.
COUNT_WINDOW = timedelta(days=90)
RESPONSE_WINDOW = timedelta(days=60)
# Activities that need the client to take part: they answered, they came.
RESPONSIVE_KINDS = ("visit", "meeting")

STAGE_POINTS: dict[str, int] = {
    "lead": 5,
    "visit": 12,
    "offer": 18,
    "negotiation": 22,
    "under_contract": 25,
}
# Last activity at most this old -> points (the first step that holds).
RECENCY_STEPS: tuple[tuple[timedelta, int], ...] = (
    (timedelta(days=7), 30),
    (timedelta(days=30), 20),
    (COUNT_WINDOW, 10),
)
PER_ACTIVITY, ACTIVITY_MAX = 3, 15
PER_RESPONSE, RESPONSE_MAX = 8, 15
CRITERIA_POINTS = 15
# The SQL ranking of /leads (operations/leads.py) is built from these same constants.


@dataclass(frozen=True)
class LeadFacts:
    """What scoring reads about one contact (gathered with aggregate queries)."""

    last_activity_at: datetime | None = None
    recent_activities: int = 0  # within COUNT_WINDOW
    responsive_activities: int = 0  # visits and meetings within RESPONSE_WINDOW
    open_stages: tuple[str, ...] = ()
    has_budget: bool = False
    has_city: bool = False
    has_type: bool = False
    has_size: bool = False  # rooms or surface wanted
    reachable: bool = False  # a phone or an email


@dataclass(frozen=True)
class Factor:
    code: str
    points: int
    params: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    value: int
    factors: tuple[Factor, ...]


def recency_points(last_activity_at: datetime | None, now: datetime) -> int:
    if last_activity_at is None:
        return 0
    age = now - last_activity_at
    return next((points for limit, points in RECENCY_STEPS if age <= limit), 0)


def activity_points(count: int) -> int:
    return min(ACTIVITY_MAX, PER_ACTIVITY * count)


def responsive_points(count: int) -> int:
    return min(RESPONSE_MAX, PER_RESPONSE * count)


def stage_points(stages: Iterable[str]) -> int:
    return max((STAGE_POINTS.get(stage, 0) for stage in stages), default=0)


def engagement(
    last_activity_at: datetime | None,
    recent: int,
    responsive: int,
    stages: Iterable[str],
    now: datetime,
) -> int:
    """The score without criteria completeness (worth CRITERIA_POINTS at most): enough to
    rule out most contacts before their criteria are read."""
    return (
        recency_points(last_activity_at, now)
        + activity_points(recent)
        + responsive_points(responsive)
        + stage_points(stages)
    )


def _recency(facts: LeadFacts, now: datetime) -> Factor:
    if facts.last_activity_at is None:
        return Factor("no_activity", 0)
    days = max(0, (now - facts.last_activity_at).days)
    return Factor("last_activity", recency_points(facts.last_activity_at, now), {"days": days})


def _stage(facts: LeadFacts) -> Factor:
    if not facts.open_stages:
        return Factor("no_open_deal", 0)
    best = max(facts.open_stages, key=lambda stage: STAGE_POINTS.get(stage, 0))
    return Factor("deal_stage", stage_points(facts.open_stages), {"stage": best})


def _completeness(facts: LeadFacts) -> Factor:
    parts = (
        (facts.has_budget, 6),
        (facts.has_city, 3),
        (facts.has_type, 2),
        (facts.has_size, 2),
        (facts.reachable, 2),
    )
    points = sum(weight for present, weight in parts if present)
    filled = sum(1 for present, _weight in parts if present)
    return Factor("criteria", points, {"filled": filled, "of": len(parts)})


def score(facts: LeadFacts, now: datetime) -> Score:
    """0-100: recency (30), activity (15), best open deal (25), responsiveness (15),
    budget and criteria completeness (15)."""
    factors = [
        _recency(facts, now),
        Factor(
            "activities",
            activity_points(facts.recent_activities),
            {"count": facts.recent_activities},
        ),
        _stage(facts),
        Factor(
            "responsive",
            responsive_points(facts.responsive_activities),
            {"count": facts.responsive_activities},
        ),
        _completeness(facts),
    ]
    return Score(min(100, sum(f.points for f in factors)), tuple(factors))
