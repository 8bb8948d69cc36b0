"""Matching and lead scoring at agency scale, on a fresh SQLite file.

One agency with 100,000 contacts and 50,000 listings (plus activities and deals), beside a
second agency of a tenth of that size, loaded with bulk inserts. Then random queries through
the registry, as the bot runs them: p50 and p95 of match_properties, match_contacts and
score_lead, and the time of one /leads. The baseline is the same run on a database a tenth the
size: the ratio shows how query times grow with the agency.

    .venv/bin/python -m bench.matching [--contacts 100000] [--listings 50000] [--queries 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from crm_core import schema
from crm_core.context import Actor, OperationContext
from crm_core.db import Database
from crm_core.models import Activity, Agency, Contact, Deal, Property, Role, User, city_key
from crm_core.registry import build_registry

CITIES = [
    ("Lyon", "69003"),
    ("Paris", "75011"),
    ("Marseille", "13008"),
    ("Bordeaux", "33000"),
    ("Lille", "59000"),
    ("Nantes", "44000"),
    ("Toulouse", "31000"),
    ("Nice", "06000"),
    ("Rennes", "35000"),
    ("Grenoble", "38000"),
    ("Montpellier", "34000"),
    ("Strasbourg", "67000"),
]
TYPES = ["apartment"] * 6 + ["house"] * 3 + ["land", "commercial", "parking"]
ROLES = ["buyer"] * 6 + ["tenant"] * 2 + ["investor", "seller"]
STAGES = ["lead", "visit", "offer", "negotiation", "under_contract", "won", "lost"]
CHUNK = 5000


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def contact_rows(rng: random.Random, agency_id: int, count: int, now: datetime) -> list[dict]:
    rows = []
    for n in range(1, count + 1):
        role = rng.choice(ROLES)
        city = rng.choice(CITIES)[0] if n % 10 else None
        rent = role == "tenant"
        top = rng.randrange(600, 3000, 50) if rent else rng.randrange(150_000, 900_000, 5000)
        rows.append(
            {
                "agency_id": agency_id,
                "number": n,
                "name": f"Client {n}",
                "name_key": f"client {n}",
                "phone": f"+336{n:08d}" if n % 3 else None,
                "role": role,
                "city": city,
                "city_key": city_key(city),  # bulk inserts skip the model's own upkeep
                "budget_max": top if n % 7 else None,
                "property_type": rng.choice(TYPES) if n % 2 else None,
                "rooms_min": rng.randint(1, 5) if n % 3 == 0 else None,
                "surface_min": rng.randrange(20, 150, 5) if n % 4 == 0 else None,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def property_rows(rng: random.Random, agency_id: int, count: int, now: datetime) -> list[dict]:
    rows = []
    for n in range(1, count + 1):
        city, postcode = rng.choice(CITIES)
        rent = n % 5 == 0
        rows.append(
            {
                "agency_id": agency_id,
                "number": n,
                "title": f"Listing {n}",
                "title_key": f"listing {n} {city.lower()}",
                "city": city,
                "city_key": city_key(city),
                "postcode": postcode,
                "property_type": rng.choice(TYPES),
                "transaction": "rent" if rent else "sale",
                "price": rng.randrange(500, 3500, 10)
                if rent
                else rng.randrange(80_000, 1_000_000, 1000),
                "surface_m2": rng.randrange(15, 250),
                "rooms": rng.randint(1, 7),
                "status": "available" if n % 10 else rng.choice(["sold", "under_offer"]),
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


async def load(db: Database, contacts: int, listings: int, seed: int) -> tuple[int, int]:
    """The measured agency and a second one a tenth its size; returns (agency id, user id)."""
    rng = random.Random(seed)  # noqa: S311 (benchmark data, not secrets)
    now = datetime.now(UTC)
    measured: tuple[int, int] = (0, 0)
    async with db.system_session() as session:
        for scale in (1, 10):
            agency = Agency(name=f"Bench {scale}")
            session.add(agency)
            await session.flush()
            user = User(telegram_id=agency.id, agency_id=agency.id, role="owner", name="Owner")
            session.add(user)
            await session.flush()
            if scale == 1:
                measured = (agency.id, user.id)
            n_contacts, n_listings = contacts // scale, listings // scale
            first_contact = await _insert(
                session, Contact, contact_rows(rng, agency.id, n_contacts, now)
            )
            await _insert(session, Property, property_rows(rng, agency.id, n_listings, now))
            # Two activities per contact on average over the last 120 days, a deal for one in 10.
            activities = [
                {
                    "agency_id": agency.id,
                    "number": n + 1,
                    "kind": rng.choice(["call", "call", "email", "visit", "meeting"]),
                    "contact_id": first_contact + rng.randrange(n_contacts),
                    "occurred_at": now - timedelta(minutes=rng.randrange(120 * 24 * 60)),
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(2 * n_contacts)
            ]
            await _insert(session, Activity, activities)
            deals = [
                {
                    "agency_id": agency.id,
                    "number": n + 1,
                    "contact_id": first_contact + rng.randrange(n_contacts),
                    "stage": rng.choice(STAGES),
                    "created_at": now,
                    "updated_at": now,
                    "stage_changed_at": now,
                }
                for n in range(n_contacts // 10)
            ]
            await _insert(session, Deal, deals)
        await session.commit()
    return measured


async def _insert(session: Any, model: Any, rows: list[dict[str, Any]]) -> int:
    """Bulk insert; returns the id of the first row (fresh tables: ids follow in order)."""
    first = None
    for part in chunks(rows):
        await session.execute(insert(model), part)
        if first is None:
            first = await session.scalar(
                model.__table__.select()
                .with_only_columns(model.id)
                .where(model.agency_id == part[0]["agency_id"], model.number == part[0]["number"])
            )
    return int(first or 0)


@dataclass
class Timing:
    name: str
    samples_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[max(0, int(len(ordered) * 0.95) - 1)]


async def measure(path: Path, contacts: int, listings: int, queries: int) -> list[Timing]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await schema.upgrade(db)
        began = time.perf_counter()
        agency_id, user_id = await load(db, contacts, listings, seed=7)
        print(
            f"  loaded {contacts:,} contacts, {listings:,} listings (+ a second agency) in "
            f"{time.perf_counter() - began:.1f} s"
        )
        registry = build_registry()
        actor = Actor(user_id=user_id, agency_id=agency_id, role=Role.OWNER)
        rng = random.Random(11)  # noqa: S311 (benchmark data, not secrets)
        plans = {
            "match_properties": lambda: {"contact": f"C{rng.randint(1, contacts)}"},
            "match_contacts": lambda: {"property": f"P{rng.randint(1, listings)}"},
            "score_lead": lambda: {"contact": f"C{rng.randint(1, contacts)}"},
            "list_leads": lambda: {"limit": 10},
        }
        timings = []
        for name, args in plans.items():
            samples = []
            for _ in range(queries if name != "list_leads" else max(3, queries // 40)):
                async with db.session(agency_id) as session:
                    ctx = OperationContext(session, actor, datetime.now(UTC))
                    start = time.perf_counter()
                    await registry.execute(ctx, name, args())
                    samples.append((time.perf_counter() - start) * 1000)
            timings.append(Timing(name, samples))
        return timings
    finally:
        await db.dispose()


async def main(contacts: int, listings: int, queries: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        print(f"baseline: a tenth of the size ({contacts // 10:,} contacts)")
        base = await measure(Path(folder) / "base.db", contacts // 10, listings // 10, queries)
        print(f"full size ({contacts:,} contacts, {listings:,} listings)")
        full = await measure(Path(folder) / "full.db", contacts, listings, queries)
    print()
    print(
        f"{'query':<17} {'p50 ms':>8} {'p95 ms':>8} | {'base p50':>8} {'base p95':>8} | ratio p50"
    )
    for big, small in zip(full, base, strict=True):
        print(
            f"{big.name:<17} {big.p50:8.1f} {big.p95:8.1f} | {small.p50:8.1f} {small.p95:8.1f} | "
            f"{big.p50 / small.p50:6.1f}x (data 10x)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--listings", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    options = parser.parse_args()
    asyncio.run(main(options.contacts, options.listings, options.queries))
