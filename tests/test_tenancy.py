"""Tenancy, the first security property: nothing of one agency is visible to, or changed by,
another agency.

Rita (owner of Rival Homes) has a contact "Victor Secret", a property "Villa Confidentielle",
a deal, a reminder, a note and an activity. Alice (owner of Acme Realty) has a few records of
her own, so short refs numbered 1 exist in both agencies and those numbered 2 only at Rival.
For every operation of the registry Alice aims at Rita's records in every way a person (or an
attacker guessing database ids) can name one, and must get exactly the answer she gets for a
record that does not exist, see none of Rita's data, and change nothing.

The last part checks the second wall at the domain level: the ORM guard of
``crm_core.tenancy`` scopes queries that forgot their agency filter and refuses to flush a
record of another agency; the database's composite foreign keys refuse cross-agency links.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Select, delete, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm_core.db import Database
from crm_core.models import (
    TENANT_MODELS,
    Activity,
    Agency,
    Contact,
    Deal,
    Note,
    Property,
    RecordCounter,
    Reminder,
    TenantRecord,
)
from crm_core.registry import build_registry
from crm_core.tenancy import CrossAgencyWrite
from handlers.callbacks_data import (
    EditField,
    OpenRecord,
    PendingAnswer,
    RunOperation,
    StartForm,
)
from tests.harness import ChatUser, Harness, Turn

# --- the two agencies' records ---------------------------------------------------------------

ACME_RECORDS = (
    "/add_contact Jean Dupont phone=0612345678 email=jean@acme.fr",
    "/add_property Loft Bastille city=Paris price=450000 surface_m2=60 rooms=3",
    "/create_deal C1 P1",
    "/add_reminder C1 due_at=2026-03-11T10:00 text=Call Jean back",
    "/add_note C1 Jean wants a balcony",
    "/log_activity C1 kind=call summary=Spoke with Jean",
)

# Number 1 of each kind is a filler (so that numbers 1 exist in both agencies); number 2
# holds the secrets Alice goes after.
RIVAL_RECORDS = (
    "/add_contact Olga Hidden phone=0611223344 email=olga@rival.fr city=Megeve",
    "/add_contact Victor Secret phone=06 99 88 77 66 email=victor@rival.fr city=Monaco "
    "budget_max=2000000 notes=Pays cash",
    "/add_property Chalet Hidden city=Megeve price=1200000",
    "/add_property Villa Confidentielle city=Cannes price=3500000 owner_contact=C2",
    "/create_deal C1 P1",
    "/create_deal C2 P2 amount=987654",
    "/add_reminder C1 due_at=2026-03-10T18:00 text=Hidden chore",
    "/add_reminder C2 due_at=2026-03-11T11:00 text=Pelican call about the villa",
    "/add_note C1 Hidden filler note",
    "/add_note C2 Zanzibar account details",
    "/log_activity C1 kind=visit summary=Hidden filler visit",
    "/log_activity C2 kind=meeting summary=Kumquat lunch with Victor",
)

# Anything of these in one of Alice's replies is a leak (unless Alice typed it herself).
SECRETS = (
    "Rival Homes",
    "Rita",
    "Rossi",
    "Olga",
    "Hidden",
    "Megeve",
    "11 22 33 44",
    "611223344",
    "Victor",
    "Secret",
    "rival.fr",
    "99 88 77 66",
    "699887766",
    "Monaco",
    "Pays cash",
    "2,000,000",
    "Chalet",
    "Villa",
    "Confidentielle",
    "Cannes",
    "1,200,000",
    "3,500,000",
    "987",
    "Pelican",
    "Zanzibar",
    "Kumquat",
)

# Secrets that Rita's cards and lists do not show as such (phones are shown spaced out).
NOT_ON_CARDS = ("Rival Homes", "Rita", "Rossi", "611223344", "699887766")

# How Rita sees her records: unchanged, whatever Alice tried. (A contact's card shows its
# deals, reminders, notes and activities too.)
RIVAL_VIEWS = ("/show_contact C1", "/show_contact C2", "/show_property P1", "/show_property P2")

PREFIX = {"contact": "C", "property": "P", "deal": "D", "reminder": "R"}

# --- what Alice tries, for every operation ---------------------------------------------------

# Operations that name a record: (kind of the record named by {ref}, command).
NAMING: dict[str, tuple[tuple[str, str], ...]] = {
    "show_contact": (("contact", "/show_contact {ref}"),),
    "update_contact": (("contact", "/update_contact {ref} city=Nowhere notes=Overwritten"),),
    "delete_contact": (("contact", "/delete_contact {ref}"),),
    "add_property": (("contact", "/add_property Harmless flat owner_contact={ref}"),),
    "show_property": (("property", "/show_property {ref}"),),
    "update_property": (
        ("property", "/update_property {ref} price=1 status=sold"),
        ("contact", "/update_property P1 owner_contact={ref}"),
    ),
    "delete_property": (("property", "/delete_property {ref}"),),
    "create_deal": (
        ("contact", "/create_deal {ref} amount=1"),
        ("property", "/create_deal C1 property={ref}"),
    ),
    "show_deal": (("deal", "/show_deal {ref}"),),
    "update_deal": (("deal", "/update_deal {ref} stage=lost amount=1"),),
    "list_deals": (
        ("contact", "/list_deals contact={ref}"),
        ("property", "/list_deals property={ref}"),
    ),
    "log_activity": (
        ("contact", "/log_activity kind=call summary=Harmless contact={ref}"),
        ("property", "/log_activity kind=visit summary=Harmless property={ref}"),
        ("deal", "/log_activity kind=email summary=Harmless deal={ref}"),
    ),
    "add_reminder": (
        ("contact", "/add_reminder due_at=2026-03-11T12:00 text=Harmless contact={ref}"),
        ("property", "/add_reminder due_at=2026-03-11T12:00 text=Harmless property={ref}"),
        ("deal", "/add_reminder due_at=2026-03-11T12:00 text=Harmless deal={ref}"),
    ),
    "complete_reminder": (("reminder", "/complete_reminder {ref}"),),
    "cancel_reminder": (("reminder", "/cancel_reminder {ref}"),),
    "snooze_reminder": (("reminder", "/snooze_reminder reminder={ref} until=2026-03-12T15:00"),),
    "add_note": (
        ("contact", "/add_note text=Harmless contact={ref}"),
        ("property", "/add_note text=Harmless property={ref}"),
        ("deal", "/add_note text=Harmless deal={ref}"),
    ),
}

NAMING.update(
    {
        "attach_document": tuple(
            (kind, "/attach_document {ref} name=plan.pdf sha256=" + "ab" * 32)
            for kind in ("contact", "property", "deal")
        ),
        "list_documents": tuple(
            (kind, "/list_documents {ref}") for kind in ("contact", "property", "deal")
        ),
    }
)

NAMING.update(
    {
        "match_properties": (("contact", "/match_properties {ref}"),),
        "match_contacts": (("property", "/match_contacts {ref}"),),
        "score_lead": (("contact", "/score_lead {ref}"),),
        "write_description": (("property", "/write_description {ref} tone=warm language=fr"),),
    }
)

# Lists and searches: Alice sees exactly what she saw before Rita had any record.
LISTING: dict[str, tuple[str, ...]] = {
    "find_contacts": (
        "/contacts",
        "/find_contacts Victor",
        "/find_contacts hidden",
        "/find_contacts 0699887766",
        "/find_contacts rival.fr",
        "/find_contacts city=Monaco",
        "/find_contacts role=buyer limit=50",
    ),
    "find_properties": (
        "/properties",
        "/find_properties Villa",
        "/find_properties city=Cannes",
        "/find_properties price_min=1000000",
        "/find_properties property_type=apartment limit=50",
    ),
    "list_deals": ("/deals", "/list_deals lead", "/list_deals contact=C1"),
    "list_reminders": (
        "/reminders",
        "/list_reminders today",
        "/list_reminders tomorrow",
        "/list_reminders week",
        "/list_reminders overdue",
    ),
    "agenda": ("/today", "/agenda 2026-03-11"),
    "list_leads": ("/leads", "/list_leads limit=50"),
    # Alice's own records: matched among hers only.
    "match_properties": ("/match_properties C1",),
    "match_contacts": ("/match_contacts P1",),
    # Rita's documents: tests/test_documents.py (this world has none).
    "get_document": ("/get_document K1", "/docs"),
}

# Creations that name nothing of Rita's: per-agency numbering gives Alice her own next
# number (Rival already has two of each kind; Acme has one), and Alice's record is hers.
CREATING: dict[str, tuple[tuple[str, str], ...]] = {
    "add_contact": (
        (
            "/add_contact Victor Secret phone=06 99 88 77 66 email=victor@rival.fr",
            "C2 Victor Secret",
        ),
    ),
    "add_property": (
        ("/add_property Villa Confidentielle city=Cannes", "P2 Villa Confidentielle"),
    ),
    "create_deal": (("/create_deal C1 title=Second deal", "D2 Second deal"),),
    "add_reminder": (("/add_reminder C1 due_at=2026-03-11T12:00 text=Visit", "R2 "),),
    "add_note": (("/add_note C1 Harmless", "N2 "),),
    "log_activity": (("/log_activity C1 kind=call summary=Harmless", "A2 "),),
}


def test_every_operation_is_probed() -> None:
    """A new operation must say here how Alice aims it at Rita's records."""
    covered = set(NAMING) | set(LISTING) | set(CREATING)
    assert covered == {op.name for op in build_registry()}


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_crash_in_setup_or_call(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """conftest's guard reads caplog.records in teardown, which holds teardown records only:
    a handler that crashed while the test ran would go unnoticed there."""
    yield
    crashes = [
        record
        for when in ("setup", "call")
        for record in caplog.get_records(when)
        if record.levelno >= logging.ERROR and record.name.startswith("bot")
    ]
    assert not crashes, "\n".join(r.getMessage() + "\n" + (r.exc_text or "") for r in crashes)


def leaks(text: str, typed: str = "") -> list[str]:
    """Rita's secrets in ``text``, except those Alice typed herself."""
    return [
        secret
        for secret in SECRETS
        if secret.lower() in text.lower() and secret.lower() not in typed.lower()
    ]


Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(db: Database, agency_id: int | None = None) -> Snapshot:
    """Every tenant row and short-ref counter (of one agency, or of all), as stored."""
    tables: Snapshot = {}
    async with db.system_session() as session:
        for model in (*TENANT_MODELS, RecordCounter):
            table = model.__table__
            query = select(*table.columns).order_by(*table.primary_key.columns)
            if agency_id is not None:
                query = query.where(table.c.agency_id == agency_id)
            tables[table.name] = [tuple(row) for row in await session.execute(query)]
    return tables


async def agency_id(db: Database, name: str) -> int:
    async with db.system_session() as session:
        found = await session.scalar(select(Agency.id).where(Agency.name == name))
    assert found is not None, name
    return found


async def record_id(db: Database, agency: int, model: type[TenantRecord], number: int) -> int:
    async with db.system_session() as session:
        found = await session.scalar(
            select(model.id).where(model.agency_id == agency, model.number == number)
        )
    assert found is not None, (model, number)
    return found


async def create(user: ChatUser, commands: tuple[str, ...]) -> None:
    for command in commands:
        turn = await user.send(command)
        assert any(mark in turn.text for mark in ("✅", "⏰", "📝")), (command, turn.text)


async def views(user: ChatUser, commands: tuple[str, ...]) -> dict[str, tuple[str, list[str]]]:
    return {c: ((turn := await user.send(c)).text, turn.labels) for c in commands}


@dataclass
class World:
    harness: Harness
    alice: ChatUser
    rita: ChatUser
    acme: int
    rival: int
    rival_views: dict[str, tuple[str, list[str]]]
    secret_ids: dict[str, int]  # database ids of Rita's records numbered 2, by kind

    @property
    def db(self) -> Database:
        return self.harness.db

    def references(self, kind: str) -> list[tuple[str, str]]:
        """Ways to name Rita's record of ``kind``, each with a reference to nothing at all
        written the same way: (Rita's, missing)."""
        prefix = PREFIX[kind]
        guessed = self.secret_ids[kind]
        refs = [
            (f"{prefix}2", f"{prefix}999"),  # a short ref that exists at Rival only
            (f"#{prefix.lower()}-2", f"#{prefix.lower()}-999"),
            (f"{prefix}{guessed}", f"{prefix}99999"),  # the database id, as a short ref
            (str(guessed), "99999"),  # the database id, raw
            (f"#{guessed}", "#99999"),
        ]
        refs += {
            "contact": [
                ("Victor Secret", "Nobody Known"),
                ("victor", "nobody"),
                ("06 99 88 77 66", "06 00 00 00 01"),
                ("+33699887766", "+33600000001"),
                ("victor@rival.fr", "nobody@nowhere.fr"),
            ],
            "property": [
                ("Villa Confidentielle", "Chateau Inconnu"),
                ("villa", "chateau"),
                ("Cannes", "Nowhereville"),
            ],
            "deal": [("Victor Secret", "Nobody Known"), ("Confidentielle", "Inconnue")],
            "reminder": [("Pelican call about the villa", "Albatross"), ("Pelican", "Albatross")],
        }[kind]
        return refs

    async def assert_rival_untouched(self, before: Snapshot) -> None:
        assert await snapshot(self.db, self.rival) == before, "Rival Homes' data changed"
        assert await views(self.rita, RIVAL_VIEWS) == self.rival_views


@pytest.fixture
async def acme(owner: ChatUser) -> ChatUser:
    await create(owner, ACME_RECORDS)
    return owner


async def populate_rival(harness: Harness, alice: ChatUser, rita: ChatUser) -> World:
    """Rita's records, and what Alice needs to aim at them."""
    await create(rita, RIVAL_RECORDS)
    db = harness.db
    acme, rival = await agency_id(db, "Acme Realty"), await agency_id(db, "Rival Homes")
    models = {"contact": Contact, "property": Property, "deal": Deal, "reminder": Reminder}
    secret_ids = {kind: await record_id(db, rival, model, 2) for kind, model in models.items()}
    # A guessed id must not happen to be one of Acme's short-ref numbers.
    assert all(guessed > 1 for guessed in secret_ids.values()), secret_ids
    rival_views = await views(rita, RIVAL_VIEWS)
    # Rita's own views show her secrets: the same views unchanged later mean something.
    shown = "\n".join(text for text, _labels in rival_views.values())
    unseen = [s for s in SECRETS if s not in shown and s not in NOT_ON_CARDS]
    assert not unseen, unseen
    return World(harness, alice, rita, acme, rival, rival_views, secret_ids)


@pytest.fixture
async def world(harness: Harness, acme: ChatUser, rival: ChatUser) -> World:
    return await populate_rival(harness, acme, rival)


# --- naming Rita's records -------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(PREFIX))
async def test_rival_record_is_answered_like_a_missing_one(world: World, kind: str) -> None:
    """Every operation naming a record of ``kind``, aimed at Rita's in every way."""
    before = await snapshot(world.db)
    problems = []
    world.harness.clock.advance(minutes=1)  # past the setup's minute of messages
    commands = [command for probes in NAMING.values() for k, command in probes if k == kind]
    assert commands
    for command in commands:
        for rival_ref, missing_ref in world.references(kind):
            world.harness.clock.advance(seconds=5)  # a person's pace: under the rate limit
            missing = await world.alice.send(command.format(ref=missing_ref))
            aimed = await world.alice.send(typed := command.format(ref=rival_ref))
            # The reference to nothing gets an answer about that reference (not a crash, not
            # some unrelated reply that would make the comparison vacuous).
            assert missing_ref in missing.text, (missing_ref, missing.text)
            assert not leaks(missing.text, command.format(ref=missing_ref)), missing.text
            expected = (
                missing.text.replace(missing_ref, rival_ref),
                [label.replace(missing_ref, rival_ref) for label in missing.labels],
            )
            leaked = leaks(aimed.text + "\n" + "\n".join(aimed.labels), typed)
            if (aimed.text, aimed.labels) != expected or leaked:
                problems.append(
                    f"{typed!r}\n  got:      {aimed.text!r} {aimed.labels}\n"
                    f"  expected: {expected[0]!r} {expected[1]}\n  leaks: {leaked}"
                )
    assert not problems, "\n".join(problems)
    # Nothing was written, in either agency; Rita sees her records as they were.
    assert await snapshot(world.db) == before
    await world.assert_rival_untouched(await snapshot(world.db, world.rival))


@dataclass(frozen=True)
class Button:
    """A forged button: its callback data for a ref, what Alice types if it opens a form, and
    what the answer for a missing ref shows (by default: that ref, not found)."""

    data: Callable[[str], Any]
    answers: tuple[str, ...] = ()
    shows: str = ""


BUTTONS: dict[str, tuple[Button, ...]] = {
    "contact": (
        Button(lambda r: OpenRecord(ref=r)),
        Button(lambda r: RunOperation(op="delete_contact", ref=r)),
        Button(lambda r: StartForm(form="note", ref=r), ("Hi",)),
        Button(lambda r: StartForm(form="remind", ref=r), ("2026-03-11T12:00", "Hi")),
        Button(lambda r: StartForm(form="call", ref=r), ("Hi",)),
        Button(lambda r: StartForm(form="deal", ref=r), ("P1", "1")),
        Button(lambda r: EditField(ref=r, field="city"), ("Nowhere",)),
        Button(lambda r: EditField(ref=r, field="phone"), ("0600000002",)),
    ),
    "property": (
        Button(lambda r: OpenRecord(ref=r)),
        Button(lambda r: RunOperation(op="delete_property", ref=r)),
        Button(lambda r: StartForm(form="note", ref=r), ("Hi",)),
        Button(lambda r: StartForm(form="status", ref=r), ("sold",)),
        Button(lambda r: StartForm(form="deal", ref=r), ("C1", "1")),
        Button(lambda r: EditField(ref=r, field="price"), ("1",)),
    ),
    "deal": (
        Button(lambda r: OpenRecord(ref=r)),
        Button(lambda r: RunOperation(op="update_deal", ref=r, extra="stage=lost")),
        Button(lambda r: StartForm(form="amount", ref=r), ("1",)),
        Button(lambda r: StartForm(form="note", ref=r), ("Hi",)),
    ),
    "reminder": (
        # A reminder has no card: the button shows Alice's own upcoming reminders.
        Button(lambda r: OpenRecord(ref=r), shows="Call Jean back"),
        Button(lambda r: RunOperation(op="complete_reminder", ref=r)),
        Button(lambda r: RunOperation(op="cancel_reminder", ref=r)),
        Button(lambda r: RunOperation(op="snooze_reminder", ref=r, extra="until=1h")),
        Button(lambda r: RunOperation(op="snooze_reminder", ref=r, extra="until=tomorrow")),
    ),
}


@pytest.mark.parametrize("kind", list(BUTTONS))
async def test_forged_buttons_on_rival_refs_find_nothing(world: World, kind: str) -> None:
    """Buttons carry short refs: a forged one naming Rita's record opens, runs or edits
    nothing of hers, and is answered like one naming a missing record."""
    before = await snapshot(world.db)
    prefix = PREFIX[kind]
    missing_ref, rival_ref = f"{prefix}999", f"{prefix}2"
    await world.alice.send("/show_contact C1")  # a message of Alice's to hang buttons on
    message = world.alice.last_message()

    async def press(button: Button, ref: str) -> Turn:
        turn = await world.alice.press_data(message, button.data(ref).pack())
        for answer in button.answers:  # the form's questions, then the operation's answer
            turn = Turn(turn.methods + (await world.alice.send(answer)).methods)
        return turn

    problems = []
    for button in BUTTONS[kind]:
        data = button.data(rival_ref).pack()
        missing = await press(button, missing_ref)
        aimed = await press(button, rival_ref)
        assert (button.shows or missing_ref) in missing.text, (data, missing.text)
        expected = (
            missing.text.replace(missing_ref, rival_ref),
            [label.replace(missing_ref, rival_ref) for label in missing.labels],
        )
        leaked = leaks(aimed.text + "\n" + "\n".join(aimed.labels))
        if (aimed.text, aimed.labels) != expected or leaked:
            problems.append(f"{data}: got {aimed.text!r}, expected {expected[0]!r}; {leaked}")
    assert not problems, "\n".join(problems)
    assert await snapshot(world.db) == before
    await world.assert_rival_untouched(await snapshot(world.db, world.rival))


async def test_rival_confirmation_button_is_useless_to_alice(world: World) -> None:
    """Rita's "Yes, delete" is bound to a token of her chat: Alice replaying its callback
    data gets what a made-up token gets, and Rita's contact stays."""
    asked = await world.rita.send("/delete_contact C2")
    (yes,) = [b for b in asked.buttons if b.text == "Yes, delete"]
    assert yes.callback_data is not None
    rival_before = await snapshot(world.db, world.rival)
    await world.alice.send("/show_contact C1")
    message = world.alice.last_message()
    token = PendingAnswer.unpack(yes.callback_data).token
    made_up = await world.alice.press_data(
        message, PendingAnswer(token="x" * len(token), choice="y").pack()
    )
    replayed = await world.alice.press_data(message, yes.callback_data)
    assert made_up.text, "a made-up token gets an answer"
    assert (replayed.text, replayed.labels) == (made_up.text, made_up.labels)
    assert not leaks(replayed.text), replayed.text
    await world.assert_rival_untouched(rival_before)


# --- lists and searches ----------------------------------------------------------------------


@pytest.mark.parametrize("op", list(LISTING))
async def test_lists_and_searches_show_nothing_of_the_rival(
    harness: Harness, acme: ChatUser, rival: ChatUser, op: str
) -> None:
    """Alice's lists and searches read the same before and after Rita filled her CRM."""
    before = [await acme.send(command) for command in LISTING[op]]
    await populate_rival(harness, acme, rival)
    for command, was in zip(LISTING[op], before, strict=True):
        now = await acme.send(command)
        assert (now.text, now.labels) == (was.text, was.labels), command
        assert not leaks(now.text + "\n" + "\n".join(now.labels), command), now.text


async def test_alice_still_sees_her_own_records(world: World) -> None:
    """The lists above are not empty by accident: Alice's own records are there."""
    seen = [await world.alice.send(c) for c in ("/contacts", "/properties", "/deals", "/reminders")]
    text = "\n".join(turn.text for turn in seen)
    for mine in ("C1 Jean Dupont", "P1 Loft Bastille", "D1 Jean Dupont", "Call Jean back"):
        assert mine in text
    card = await world.alice.send("/show_contact C1")
    for mine in ("Jean Dupont", "12 34 56 78", "balcony", "Spoke with Jean", "D1"):
        assert mine in card.text
    assert not leaks(text + card.text)


# --- creations and shared short refs ---------------------------------------------------------


async def test_creations_are_numbered_within_the_agency(world: World) -> None:
    """Rival has two records of each kind, Acme one: Alice's next is her number 2, and
    the data she types is hers (her Victor Secret is not Rita's)."""
    rival_before = await snapshot(world.db, world.rival)
    for op, probes in CREATING.items():
        for command, new_label in probes:
            acme_before = await snapshot(world.db, world.acme)
            turn = await world.alice.send(command)
            assert new_label in turn.text, (op, turn.text)
            assert not leaks(turn.text + "\n" + "\n".join(turn.labels), command), turn.text
            acme_after = await snapshot(world.db, world.acme)
            added = sum(len(acme_after[t]) - len(acme_before[t]) for t in acme_before)
            assert added == 1, f"{op}: exactly Alice's new record was added, to Acme"
            assert await snapshot(world.db, world.rival) == rival_before, op
    card = await world.alice.send("/show_contact C2")
    assert "Victor Secret" in card.text
    assert not leaks(card.text, CREATING["add_contact"][0][0]), card.text
    await world.assert_rival_untouched(rival_before)


# Alice acts on her own records numbered 1 (and a new R2); Rival has its own with those
# numbers. (command, button to confirm it)
SHARED_NUMBER_WRITES = (
    ("/update_contact C1 city=Lyon notes=x", None),
    ("/update_property P1 price=1 status=sold", None),
    ("/update_deal D1 stage=won amount=1", None),
    ("/snooze_reminder R1 2026-03-12T15:00", None),
    ("/cancel_reminder R1", None),
    ("/add_reminder C1 due_at=2026-03-11T12:00 text=Second", None),
    ("/complete_reminder R2", None),
    ("/add_note C1 text=Second", None),
    ("/delete_property P1", "Yes, delete"),
    ("/delete_contact C1", "Yes, delete"),
)


async def test_writes_by_a_shared_number_touch_only_the_own_agency(world: World) -> None:
    rival_before = await snapshot(world.db, world.rival)
    for command, confirm in SHARED_NUMBER_WRITES:
        acme_before = await snapshot(world.db, world.acme)
        turn = await world.alice.send(command)
        if confirm is not None:
            assert not leaks(turn.text), turn.text
            turn = await world.alice.press(confirm)
        assert not leaks(turn.text), turn.text
        assert await snapshot(world.db, world.acme) != acme_before, f"{command} did nothing"
        assert await snapshot(world.db, world.rival) == rival_before, command
    await world.assert_rival_untouched(rival_before)


# --- the second wall, at the domain level ----------------------------------------------------


def new_record(model: type[TenantRecord], agency: int, number: int, links: dict[str, int]) -> Any:
    """A record of ``model`` for ``agency``, linked to that agency's contact/property/deal."""
    common: dict[str, Any] = {"agency_id": agency, "number": number}
    if model is Contact:
        return Contact(**common, name=f"Person {agency}", name_key=f"person {agency}")
    if model is Property:
        return Property(**common, title="Flat", title_key="flat", owner_contact_id=links["contact"])
    linked = {"contact_id": links["contact"], "property_id": links["property"]}
    if model is Deal:
        return Deal(**common, title="Deal", **linked)
    extra = {"deal_id": links["deal"], **linked}
    if model is Activity:
        return Activity(**common, kind="call", summary="Spoke", **extra)
    if model is Reminder:
        return Reminder(**common, due_at=datetime(2026, 3, 11, 9, tzinfo=UTC), text="Do", **extra)
    assert model is Note
    return Note(**common, text="Noted", **extra)


LINK_KEYS: dict[type[TenantRecord], str] = {Contact: "contact", Property: "property", Deal: "deal"}


@dataclass
class Agencies:
    db: Database
    a: int
    b: int
    ids: dict[int, dict[type[TenantRecord], int]]  # agency -> model -> id of its record


@pytest.fixture
async def agencies(db: Database) -> Agencies:
    """Two agencies with one record of every tenant model each, written by the system."""
    ids: dict[int, dict[type[TenantRecord], int]] = {}
    async with db.system_session() as session:
        a, b = Agency(name="A"), Agency(name="B")
        session.add_all([a, b])
        await session.flush()
        for agency in (a.id, b.id):
            links: dict[str, int] = {}
            ids[agency] = {}
            for model in (Contact, Property, Deal, Activity, Reminder, Note):
                record = new_record(model, agency, 1, links)
                session.add(record)
                await session.flush()
                ids[agency][model] = record.id
                links[LINK_KEYS.get(model, "")] = record.id
        await session.commit()
        return Agencies(db, a.id, b.id, ids)


def links_of(agencies: Agencies, agency: int) -> dict[str, int]:
    ids = agencies.ids[agency]
    return {"contact": ids[Contact], "property": ids[Property], "deal": ids[Deal]}


MODELS = [pytest.param(model, id=model.__name__) for model in TENANT_MODELS]


async def _foreign_new(session: AsyncSession, ag: Agencies, model: type[TenantRecord]) -> None:
    session.add(new_record(model, ag.b, 2, links_of(ag, ag.b)))


async def _foreign_modified(session: AsyncSession, ag: Agencies, model: type[TenantRecord]) -> None:
    async with ag.db.system_session() as system:
        foreign = await system.get(model, ag.ids[ag.b][model])
    session.add(foreign)  # a detached record of B, handed to A's session by mistake
    foreign.number = 77


async def _foreign_deleted(session: AsyncSession, ag: Agencies, model: type[TenantRecord]) -> None:
    async with ag.db.system_session() as system:
        foreign = await system.get(model, ag.ids[ag.b][model])
    session.add(foreign)
    await session.delete(foreign)


async def _own_moved_out(session: AsyncSession, ag: Agencies, model: type[TenantRecord]) -> None:
    own = await session.get(model, ag.ids[ag.a][model])
    assert own is not None
    own.agency_id = ag.b


async def _no_agency_new(session: AsyncSession, ag: Agencies, model: type[TenantRecord]) -> None:
    session.info["agency_id"] = None  # as db.session() leaves it
    session.add(new_record(model, ag.a, 2, links_of(ag, ag.a)))


Write = Callable[[AsyncSession, Agencies, type[TenantRecord]], Awaitable[None]]
FOREIGN_WRITES = [
    pytest.param(_foreign_new, id="new-record-of-B"),
    pytest.param(_foreign_modified, id="modified-record-of-B"),
    pytest.param(_foreign_deleted, id="deleted-record-of-B"),
    pytest.param(_own_moved_out, id="record-moved-to-B"),
    pytest.param(_no_agency_new, id="new-record-without-agency"),
]


@pytest.mark.parametrize("write", FOREIGN_WRITES)
async def test_flushing_a_record_of_another_agency_raises(agencies: Agencies, write: Write) -> None:
    """A session of agency A (or of no agency) refuses to flush what is not A's."""
    before = await snapshot(agencies.db)
    not_refused = []
    for model in TENANT_MODELS:
        async with agencies.db.session(agencies.a) as session:
            await write(session, agencies, model)
            try:
                await session.flush()
            except CrossAgencyWrite:
                pass
            else:
                not_refused.append(model.__name__)
            await session.rollback()
    assert not not_refused, f"flushed without CrossAgencyWrite: {not_refused}"
    assert await snapshot(agencies.db) == before


# Queries that forgot their agency filter.
Query = Callable[[type[TenantRecord]], Select[Any]]
FORGETFUL_QUERIES: dict[str, Query] = {
    "entity": lambda m: select(m),
    "column": lambda m: select(m.id),
    "aliased": lambda m: select(aliased(m).id),
    "subquery": lambda m: select(select(m.id).subquery().c.id),
    "in-subselect": lambda m: select(m.id).where(m.id.in_(select(m.id))),
    "cross-join": lambda m: select(m.id).join_from(aliased(Contact), m, true()),
    "join": lambda m: select(m.id).join(Agency, Agency.id == m.agency_id),
    "by-id": lambda m: select(m.id).where(m.id > 0),
}


async def _ids(session: AsyncSession, query: Select[Any]) -> set[int]:
    rows = (await session.execute(query)).all()
    return {row[0].id if isinstance(row[0], TenantRecord) else row[0] for row in rows}


@pytest.mark.parametrize("model", MODELS)
async def test_a_forgotten_filter_is_still_scoped(
    agencies: Agencies, model: type[TenantRecord]
) -> None:
    """Each query reaches both agencies' records in a system session; in A's session it
    reaches only A's, and in a session of no agency nothing."""
    own, foreign = agencies.ids[agencies.a][model], agencies.ids[agencies.b][model]
    problems = []
    for name, query in FORGETFUL_QUERIES.items():
        async with agencies.db.system_session() as session:
            everything = await _ids(session, query(model))
        async with agencies.db.session(agencies.a) as session:
            scoped = await _ids(session, query(model))
        async with agencies.db.session() as session:
            unscoped = await _ids(session, query(model))
        if (everything, scoped, unscoped) != ({own, foreign}, {own}, set()):
            problems.append(f"{name}: system {everything}, A {scoped}, no agency {unscoped}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("model", MODELS)
async def test_get_count_update_delete_without_filter_stay_in_the_agency(
    agencies: Agencies, model: type[TenantRecord]
) -> None:
    a, b = agencies.a, agencies.b
    own, foreign = agencies.ids[a][model], agencies.ids[b][model]
    b_before = await snapshot(agencies.db, b)
    a_before = await snapshot(agencies.db, a)
    async with agencies.db.session(a) as session:
        assert await session.get(model, foreign) is None
        assert await session.get(model, own) is not None
        assert await session.scalar(select(func.count()).select_from(model)) == 1
        assert await session.scalar(select(func.count(model.id))) == 1
        removed = await session.execute(delete(model).where(model.id == foreign))
        assert removed.rowcount == 0
        bumped = await session.execute(update(model).values(number=model.number + 1000))
        assert bumped.rowcount == 1
        await session.commit()
    async with agencies.db.session() as session:
        assert await session.get(model, own) is None
        assert await session.scalar(select(func.count()).select_from(model)) == 0
        bumped = await session.execute(update(model).values(number=model.number + 1000))
        assert bumped.rowcount == 0
        await session.commit()
    assert await snapshot(agencies.db, b) == b_before
    assert await snapshot(agencies.db, a) != a_before  # the own agency's update did happen


LINKS = (
    (Property, "owner_contact_id", Contact),
    (Deal, "contact_id", Contact),
    (Deal, "property_id", Property),
    *(
        (linked, column, target)
        for linked in (Activity, Reminder, Note)
        for column, target in (
            ("contact_id", Contact),
            ("property_id", Property),
            ("deal_id", Deal),
        )
    ),
)


async def test_the_database_refuses_a_link_across_agencies(agencies: Agencies) -> None:
    """Even a system session (no ORM guard) cannot link A's record to B's: the composite
    foreign keys (agency_id, x_id) are the last wall."""
    a, b = agencies.a, agencies.b
    accepted = []
    for model, column, target in LINKS:
        async with agencies.db.system_session() as session:
            record = new_record(model, a, 5, links_of(agencies, a))
            session.add(record)
            await session.flush()  # linked inside its agency: fine
            setattr(record, column, agencies.ids[b][target])
            try:
                await session.flush()
            except IntegrityError:
                pass
            else:
                accepted.append(f"{model.__name__}.{column}")
            await session.rollback()
    assert not accepted, f"cross-agency links stored: {accepted}"
