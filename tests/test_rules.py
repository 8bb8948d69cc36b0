"""The offline parser: phrasings in French and English -> the catalogue's calls, and property
tests for the entity extractors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.context import Actor
from crm_core.models import Role
from nlu.interpreter import Mention, Message
from nlu.rules import entities, parse
from nlu.rules.text import Text

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Paris
ACTOR = Actor(user_id=1, agency_id=1, role=Role.AGENT)
RECENT = (
    Mention("D2", "Marie Dupont"),
    Mention("C3", "Marie Dupont"),
    Mention("P1", "T3 Lyon"),
    Mention("R4", "Call Marie"),
)


def calls(text: str, recent: tuple[Mention, ...] = ()) -> list[dict[str, Any]]:
    return [c.as_json() for c in parse(Message(text, ACTOR, NOW, recent))]


def one(text: str, recent: tuple[Mention, ...] = ()) -> tuple[str, dict[str, Any]]:
    found = calls(text, recent)
    assert len(found) == 1, (text, found)
    return found[0]["name"], found[0]["input"]


MARIE = {"name": "Marie Dupont", "phone": "+33612345678", "role": "buyer", "city": "Lyon"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add Marie Dupont 0612345678 buyer Lyon 350k", {**MARIE, "budget_max": 350_000}),
        (
            "ajoute Marie Dupont, acheteuse, 06 12 34 56 78, T3 à Lyon jusqu'à 350k",
            {**MARIE, "budget_max": 350_000, "rooms_min": 3},
        ),
        (
            "nouveau client marie dupont 06.12.34.56.78 acheteur a lyon 350 000 €",
            {**MARIE, "budget_max": 350_000},
        ),
        (
            "new buyer Paul Martin paul@example.com +44 7911 123456 1,2 M€",
            {
                "name": "Paul Martin",
                "email": "paul@example.com",
                "phone": "+447911123456",
                "role": "buyer",
                "budget_max": 1_200_000,
            },
        ),
        (
            "add contact Jean Roux seller, budget between 300k and 350K€",
            {"name": "Jean Roux", "role": "seller", "budget_min": 300_000, "budget_max": 350_000},
        ),
    ],
)
def test_add_contact(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("add_contact", expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ajoute un appart T3 68m2 à Lyon 250k",
            {
                "property_type": "apartment",
                "rooms": 3,
                "surface_m2": 68,
                "city": "Lyon",
                "price": 250_000,
            },
        ),
        (
            "new property: house 5 rooms 120 sqm Bordeaux 450 000 €",
            {
                "property_type": "house",
                "rooms": 5,
                "surface_m2": 120,
                "city": "Bordeaux",
                "price": 450_000,
            },
        ),
        (
            "nouveau bien studio 25 m² a louer Paris 900€",
            {
                "property_type": "apartment",
                "rooms": 1,
                "surface_m2": 25,
                "transaction": "rent",
                "city": "Paris",
                "price": 900,
            },
        ),
    ],
)
def test_add_property(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("add_property", expected)


@pytest.mark.parametrize(
    ("text", "due", "expected"),
    [
        ("rappelle-moi d'appeler Marie demain à 10h", "2026-03-11T10:00:00+01:00", "Appeler Marie"),
        ("rappel demain 10h appeler le notaire", "2026-03-11T10:00:00+01:00", "Appeler le notaire"),
        ("remind me to call Paul on Monday 9am", "2026-03-16T09:00:00+01:00", "Call Paul"),
        (
            "remind me in 2 hours to send the contract",
            "2026-03-10T11:00:00+01:00",
            "Send the contract",
        ),
        ("remind me tomorrow at 10 to call Paul", "2026-03-11T10:00:00+01:00", "Call Paul"),
        ("rappelle moi dans 30 min de relancer Paul", "2026-03-10T09:30:00+01:00", "Relancer Paul"),
        (
            "rappelle moi lundi prochain a 14h30 d'envoyer le mandat",
            "2026-03-16T14:30:00+01:00",
            "Envoyer le mandat",
        ),
        (
            "remind me on 20/03 at 9am to renew the listing",
            "2026-03-20T09:00:00+01:00",
            "Renew the listing",
        ),
        (
            "n'oublie pas de rappeler Paul vendredi 17h",
            "2026-03-13T17:00:00+01:00",
            "Rappeler Paul",
        ),
    ],
)
def test_add_reminder(text: str, due: str, expected: str) -> None:
    name, args = one(text)
    assert name == "add_reminder"
    assert (args["due_at"], args["text"]) == (due, expected)


def test_reminder_without_time_is_not_guessed() -> None:
    assert calls("remind me to call Paul") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "call her tomorrow",
            {"due_at": "2026-03-11T09:00:00+01:00", "text": "Call Marie Dupont", "contact": "C3"},
        ),
        (
            "rappelle-la demain 14h",
            {
                "due_at": "2026-03-11T14:00:00+01:00",
                "text": "Rappeler Marie Dupont",
                "contact": "C3",
            },
        ),
        (  # the apostrophe typed as a space, as on many phones
            "rappelle moi de l appeler demain a 10h",
            {
                "due_at": "2026-03-11T10:00:00+01:00",
                "text": "Appeler Marie Dupont",
                "contact": "C3",
            },
        ),
    ],
)
def test_pronouns_name_the_last_contact(text: str, expected: dict[str, Any]) -> None:
    assert one(text, RECENT) == ("add_reminder", expected)


def test_elision_without_apostrophe() -> None:
    assert one("qu est ce que j ai demain") == ("agenda", {"day": "2026-03-11"})


def test_two_intents_the_second_names_the_first() -> None:
    found = calls("add Marie Dupont 0612345678 and remind me to call her tomorrow at 10")
    assert [c["name"] for c in found] == ["add_contact", "add_reminder"]
    assert found[1]["input"] == {
        "due_at": "2026-03-11T10:00:00+01:00",
        "text": "Call Marie Dupont",
        "contact": "Marie Dupont",
    }


@pytest.mark.parametrize(
    ("text", "recent", "expected"),
    [
        ("passe le deal D2 en offre", (), ("update_deal", {"deal": "D2", "stage": "offer"})),
        ("move it to offer", RECENT, ("update_deal", {"deal": "D2", "stage": "offer"})),
        ("D2 perdu", (), ("update_deal", {"deal": "D2", "stage": "lost"})),
        (
            "Marie a fait une offre de 340k",
            (),
            ("update_deal", {"deal": "Marie", "stage": "offer", "amount": 340_000}),
        ),
        (
            "create a deal for C3 on P2",
            (),
            ("create_deal", {"contact": "C3", "property": "P2"}),
        ),
        ("mes deals en négo", (), ("list_deals", {"stage": "negotiation"})),
        ("show D2", (), ("show_deal", {"deal": "D2"})),
    ],
)
def test_deals(text: str, recent: tuple[Mention, ...], expected: tuple[str, Any]) -> None:
    assert one(text, recent) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "called Marie, she wants to visit Saturday",
            {"kind": "call", "contact": "Marie", "summary": "she wants to visit Saturday"},
        ),
        (
            "j'ai appelé Paul Martin: il veut baisser son budget",
            {"kind": "call", "contact": "Paul Martin", "summary": "il veut baisser son budget"},
        ),
        (
            "visited P3 with Marie yesterday",
            {
                "kind": "visit",
                "contact": "Marie",
                "property": "P3",
                "occurred_at": "2026-03-09T09:00:00+01:00",
            },
        ),
        ("met Paul Martin", {"kind": "meeting", "contact": "Paul Martin"}),
    ],
)
def test_log_activity(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("log_activity", expected)


def test_an_appointment_to_come_is_a_reminder() -> None:
    name, args = one("rdv avec Paul demain 14h")
    assert (name, args["due_at"], args["text"]) == (
        "add_reminder",
        "2026-03-11T14:00:00+01:00",
        "Rdv avec Paul",
    )


@pytest.mark.parametrize(
    ("text", "recent", "expected"),
    [
        ("what do I have today?", (), ("agenda", {})),
        ("qu'est-ce que j'ai aujourd'hui ?", (), ("agenda", {})),
        ("agenda demain", (), ("agenda", {"day": "2026-03-11"})),
        ("mes rappels de demain", (), ("list_reminders", {"period": "tomorrow"})),
        ("overdue reminders", (), ("list_reminders", {"period": "overdue"})),
        ("R4 done", (), ("complete_reminder", {"reminder": "R4"})),
        ("done", RECENT, ("complete_reminder", {"reminder": "R4"})),
        ("annule le rappel R2", (), ("cancel_reminder", {"reminder": "R2"})),
        (
            "snooze R4 to tomorrow 9am",
            (),
            ("snooze_reminder", {"reminder": "R4", "until": "2026-03-11T09:00:00+01:00"}),
        ),
        (
            "snooze it 1h",
            RECENT,
            ("snooze_reminder", {"reminder": "R4", "until": "2026-03-10T10:00:00+01:00"}),
        ),
        (
            "note: elle préfère le matin",
            RECENT,
            ("add_note", {"text": "elle préfère le matin", "deal": "D2"}),
        ),
        (
            "ajoute une note pour C3 : cherche près des écoles",
            (),
            ("add_note", {"text": "cherche près des écoles", "contact": "C3"}),
        ),
    ],
)
def test_planning_and_notes(
    text: str, recent: tuple[Mention, ...], expected: tuple[str, Any]
) -> None:
    assert one(text, recent) == expected


@pytest.mark.parametrize(
    ("text", "recent", "expected"),
    [
        ("cherche Dupont", (), ("find_contacts", {"query": "Dupont"})),
        ("acheteurs à Lyon", (), ("find_contacts", {"role": "buyer", "city": "Lyon"})),
        ("show C3", (), ("show_contact", {"contact": "C3"})),
        ("P3", (), ("show_property", {"property": "P3"})),
        ("show it", RECENT, ("show_property", {"property": "P1"})),
        (
            "Marie's phone is 0611223344",
            (),
            ("update_contact", {"contact": "Marie", "phone": "+33611223344"}),
        ),
        (
            "son tel: 06 11 22 33 44",
            RECENT,
            ("update_contact", {"contact": "C3", "phone": "+33611223344"}),
        ),
        (
            "her budget is now 400k",
            RECENT,
            ("update_contact", {"contact": "C3", "budget_max": 400_000}),
        ),
        ("le P3 est vendu", (), ("update_property", {"property": "P3", "status": "sold"})),
        ("delete C3", (), ("delete_contact", {"contact": "C3"})),
        ("supprime le bien P3", (), ("delete_property", {"property": "P3"})),
        (
            "find apartments in Lyon under 400k",
            (),
            (
                "find_properties",
                {"property_type": "apartment", "city": "Lyon", "price_max": 400_000},
            ),
        ),
        ("find properties for Marie", (), ("match_properties", {"contact": "Marie"})),
        ("find properties for her", RECENT, ("match_properties", {"contact": "C3"})),
        ("qui pourrait acheter le P3 ?", (), ("match_contacts", {"property": "P3"})),
        ("score Marie", (), ("score_lead", {"contact": "Marie"})),
        (
            "rédige une annonce pour le P3 ton chaleureux",
            (),
            ("write_description", {"property": "P3", "tone": "warm"}),
        ),
    ],
)
def test_records_and_helpers(
    text: str, recent: tuple[Mention, ...], expected: tuple[str, Any]
) -> None:
    assert one(text, recent) == expected


@pytest.mark.parametrize(
    "text",
    [
        "what is the weather like",
        "hello",
        "ok",
        "move it to offer",  # no deal in view: nothing to move
        "remind me",
        "rappel",
        "il fait beau aujourd'hui",
        "",
        "350k",
    ],
)
def test_not_understood_is_empty(text: str) -> None:
    assert calls(text) == []


# --- entity extractors -------------------------------------------------------------------------

_FILLER = st.text(alphabet="abcdefghijklmnopqrstuvwxyz éà", min_size=0, max_size=20).map(
    lambda s: f"{s} " if s else ""
)


@settings(max_examples=60, deadline=None)
@given(_FILLER, st.integers(min_value=1, max_value=999), _FILLER)
def test_money_in_thousands_is_found(before: str, thousands: int, after: str) -> None:
    found, _ = entities.money(Text.of(f"{before}{thousands}k {after}"))
    assert [f.value for f in found] == [thousands * 1000]


@settings(max_examples=60, deadline=None)
@given(_FILLER, st.integers(min_value=10_000, max_value=9_999_999), _FILLER)
def test_money_with_spaces_and_euro_is_found(before: str, amount: int, after: str) -> None:
    spaced = f"{amount:,}".replace(",", " ")
    found, _ = entities.money(Text.of(f"{before}{spaced} € {after}"))
    assert [f.value for f in found] == [amount]


@settings(max_examples=60, deadline=None)
@given(
    _FILLER,
    st.integers(min_value=1, max_value=9999),
    st.sampled_from(["m2", " m²", " sqm"]),
    _FILLER,
)
def test_surface_is_found(before: str, area: int, unit: str, after: str) -> None:
    found, _ = entities.surfaces(Text.of(f"{before}{area}{unit} {after}"))
    assert [f.value for f in found] == [area]


@settings(max_examples=60, deadline=None)
@given(
    _FILLER,
    st.integers(min_value=1, max_value=20),
    st.sampled_from(["T{}", "F{}", "{} pièces", "{}-room", "{} rooms"]),
    _FILLER,
)
def test_rooms_are_found(before: str, count: int, form: str, after: str) -> None:
    found, _ = entities.rooms(Text.of(f"{before}{form.format(count)} {after}"))
    assert [f.value for f in found] == [count]


@settings(max_examples=60, deadline=None)
@given(
    _FILLER,
    st.integers(min_value=10_000_000, max_value=38_999_999),
    st.just("06"),
    _FILLER,
)
def test_french_mobiles_are_found(before: str, digits: int, prefix: str, after: str) -> None:
    number = f"{prefix}{digits}"
    spaced = " ".join(number[i : i + 2] for i in range(0, 10, 2))
    found, _ = entities.phones(Text.of(f"{before}{spaced} {after}"), "FR")
    assert [f.value for f in found] == [f"+33{number[1:]}"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_raises(text: str) -> None:
    parse(Message(text, ACTOR, NOW, RECENT))


# --- general classes: each with wordings of its own, in both languages ----------------------

PROPERTY_RECENT = (Mention("P7", "Loft Vaise"),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # budget ranges share the unit of their upper bound
        (
            "ajoute Léa Morel acheteuse 410-460k",
            {"name": "Léa Morel", "role": "buyer", "budget_min": 410_000, "budget_max": 460_000},
        ),
        (
            "add Ben Cole buyer from 200 to 240k",
            {"name": "Ben Cole", "role": "buyer", "budget_min": 200_000, "budget_max": 240_000},
        ),
        # monthly rents are money whatever their size
        (
            "ajoute Inès Brun locataire 720 par mois",
            {"name": "Inès Brun", "role": "tenant", "budget_max": 720},
        ),
        (
            "add Amy Shaw renter up to 1300 a month",
            {"name": "Amy Shaw", "role": "tenant", "budget_max": 1300},
        ),
        # feminine role words and wishes
        ("ajoute Odile Caron bailleresse", {"name": "Odile Caron", "role": "landlord"}),
        ("add Ray Fox, looking to rent", {"name": "Ray Fox", "role": "tenant"}),
        ("ajoute Noé Petit, veut acheter", {"name": "Noé Petit", "role": "buyer"}),
        # civilities are not part of the name; an initial A is not an article
        ("ajoute Madame Agnès Leroy", {"name": "Agnès Leroy"}),
        ("add Mr. Alan Reed seller", {"name": "Alan Reed", "role": "seller"}),
        # towns after a cue, in lowercase, bare after the name, and saints' towns
        (
            "ajoute Yves Roux vendeur secteur bron",
            {"name": "Yves Roux", "role": "seller", "city": "bron"},
        ),
        (
            "add Kim Lau buyer around oullins",
            {"name": "Kim Lau", "role": "buyer", "city": "oullins"},
        ),
        (
            "ajoute Théo Klein acheteur maison Dardilly",
            {"name": "Théo Klein", "role": "buyer", "property_type": "house", "city": "Dardilly"},
        ),
        (
            "add Sam Reid buyer Saint-Priest",
            {"name": "Sam Reid", "role": "buyer", "city": "Saint-Priest"},
        ),
        # sources
        ("ajoute Eva Blanc, trouvée sur seloger", {"name": "Eva Blanc", "source": "seloger"}),
        ("add Joe Park, source: radio ad", {"name": "Joe Park", "source": "radio ad"}),
        (
            "add Lia Wong, recommended by Hugo Lambert",
            {"name": "Lia Wong", "source": "Hugo Lambert"},
        ),
        # polite long forms and cards without a verb
        (
            "Bonsoir, pouvez-vous ajouter un contact pour Rémi Vidal, vendeur",
            {"name": "Rémi Vidal", "role": "seller"},
        ),
        (
            "Hi, can you please create a contact named Nora Diaz, buyer",
            {"name": "Nora Diaz", "role": "buyer"},
        ),
        (
            "client: Anaïs Roy, locataire, 0611223344",
            {"name": "Anaïs Roy", "role": "tenant", "phone": "+33611223344"},
        ),
    ],
)
def test_contact_classes(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("add_contact", expected)


@pytest.mark.parametrize(
    ("text", "recent", "expected"),
    [
        # off the market is a status, never a deletion
        (
            "retire P4 de la vente",
            (),
            ("update_property", {"property": "P4", "status": "withdrawn"}),
        ),
        (
            "pull P4 off the market",
            (),
            ("update_property", {"property": "P4", "status": "withdrawn"}),
        ),
        # a pronoun is resolved by the field: a price belongs to a property
        (
            "set its price to 615k",
            PROPERTY_RECENT,
            ("update_property", {"property": "P7", "price": 615_000}),
        ),
        (
            "baisse-le à 590k",
            PROPERTY_RECENT,
            ("update_property", {"property": "P7", "price": 590_000}),
        ),
        # "create a contact for X" adds, never updates
        (
            "crée un contact pour Lina Faure tel 0611223344",
            (),
            ("add_contact", {"name": "Lina Faure", "phone": "+33611223344"}),
        ),
        (
            "create a contact for Zoe Hart, phone 0611223344",
            (),
            ("add_contact", {"name": "Zoe Hart", "phone": "+33611223344"}),
        ),
        # contact lookups
        ("recherche le client martin", (), ("find_contacts", {"query": "Martin"})),
        ("clients in Bron", (), ("find_contacts", {"city": "Bron"})),
        ("mes contacts à Oullins", (), ("find_contacts", {"city": "Oullins"})),
        ("donne-moi les coordonnées de Paul Roux", (), ("show_contact", {"contact": "Paul Roux"})),
        ("what's Anna Bell's email?", (), ("show_contact", {"contact": "Anna Bell"})),
        ("affiche sa fiche", RECENT, ("show_contact", {"contact": "C3"})),
        # contact updates: subject first, new state, renames
        (
            "Hugo Lambert budget now 480k",
            (),
            ("update_contact", {"contact": "Hugo Lambert", "budget_max": 480_000}),
        ),
        ("C9 devient acheteur", (), ("update_contact", {"contact": "C9", "role": "buyer"})),
        (
            "renomme C4 en Anne-Sophie Roy",
            (),
            ("update_contact", {"contact": "C4", "name": "Anne-Sophie Roy"}),
        ),
        (
            "change the name of C4 to Ann Roy",
            (),
            ("update_contact", {"contact": "C4", "name": "Ann Roy"}),
        ),
        # property searches without a verb, with a bare town and a street
        (
            "maisons à vendre Dardilly",
            (),
            (
                "find_properties",
                {"property_type": "house", "transaction": "sale", "city": "Dardilly"},
            ),
        ),
        (
            "flats for rent in Bron",
            (),
            (
                "find_properties",
                {"property_type": "apartment", "transaction": "rent", "city": "Bron"},
            ),
        ),
        ("which properties are sold?", (), ("find_properties", {"status": "sold"})),
        ("search listings avenue Foch", (), ("find_properties", {"query": "avenue Foch"})),
    ],
)
def test_general_classes(
    text: str, recent: tuple[Mention, ...], expected: tuple[str, dict[str, Any]]
) -> None:
    assert one(text, recent) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ajoute un bien: appart 3 pieces 70 m2, 5 rue Sala 69002 Lyon, 1 100 €/mois",
            {
                "property_type": "apartment",
                "rooms": 3,
                "surface_m2": 70,
                "address": "5 rue Sala",
                "postcode": "69002",
                "city": "Lyon",
                "price": 1100,
                "transaction": "rent",
            },
        ),
        (
            "add house for sale, 3 avenue Foch, 69006 Lyon, 700k, owner C2",
            {
                "property_type": "house",
                "transaction": "sale",
                "address": "3 avenue Foch",
                "postcode": "69006",
                "city": "Lyon",
                "price": 700_000,
                "owner_contact": "C2",
            },
        ),
        (
            "new listing titled 'Duplex Bellecour' 90m2 for sale 600k Lyon",
            {
                "title": "Duplex Bellecour",
                "surface_m2": 90,
                "transaction": "sale",
                "price": 600_000,
                "city": "Lyon",
            },
        ),
    ],
)
def test_add_property_classes(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("add_property", expected)


@pytest.mark.parametrize(
    ("text", "due", "expected"),
    [
        # the cue after the task, the moment first
        (
            "jeudi 11h signature P2 avec Lina Faure, rappelle-moi",
            "2026-03-12T11:00:00+01:00",
            "signature P2 avec Lina Faure",
        ),
        ("friday 4pm keys handover P2, remind me", "2026-03-13T16:00:00+01:00", "keys handover P2"),
        ("dans 3h relancer Hugo Roux", "2026-03-10T12:00:00+01:00", "relancer Hugo Roux"),
        ("in 1 hour call back Zoe Hart", "2026-03-10T10:00:00+01:00", "call back Zoe Hart"),
        # a day of the month alone, and a calendar date with its weekday
        ("rappel le 20 à 10h: loyer P2", "2026-03-20T10:00:00+01:00", "loyer P2"),
        ("remind me on the 2nd at 9am: insurance P2", "2026-04-02T09:00:00+02:00", "insurance P2"),
        (
            "merci de me rappeler le jeudi 12 mars à 15h de relancer la banque",
            "2026-03-12T15:00:00+01:00",
            "relancer la banque",
        ),
        ("fri 10am photos of P2, dont forget", "2026-03-13T10:00:00+01:00", "photos of P2"),
    ],
)
def test_reminder_classes(text: str, due: str, expected: str) -> None:
    name, args = one(text)
    assert name == "add_reminder"
    assert args["due_at"] == due
    assert args["text"].lower() == expected.lower()


def test_recurring_weekday_reminder() -> None:
    for text in (
        "rappel tous les vendredis 8h : rapport hebdo",
        "every friday at 8 remind me: weekly report",
    ):
        name, args = one(text)
        assert (name, args["due_at"], args["recurrence"]) == (
            "add_reminder",
            "2026-03-13T08:00:00+01:00",
            "weekly",
        )
        assert not args["text"].lower().startswith(("tous", "every"))


def test_snooze_to_a_day_and_hour_is_not_a_shift() -> None:
    assert one("décale R4 à demain 8h") == (
        "snooze_reminder",
        {"reminder": "R4", "until": "2026-03-11T08:00:00+01:00"},
    )


@pytest.mark.parametrize("text", ["demain", "tomorrow"])
def test_a_lone_day_is_a_fragment(text: str) -> None:
    assert calls(text) == []


def test_a_date_after_the_comma_belongs_to_the_summary() -> None:
    name, args = one("call with the bank about D2, answer expected on the 20th")
    assert name == "log_activity"
    assert args["deal"] == "D2" and "contact" not in args


# --- activities without the usual verbs, notes, matches, deals, listing cards ---------------

CLIENT_RECENT = (Mention("C5", "Paul Martin"), Mention("P3", "T3 République"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what was sent, and how: the summary is what was sent
        (
            "envoyé le compromis par mail à Sophie Leroy",
            {"kind": "email", "contact": "Sophie Leroy", "summary": "envoyé le compromis"},
        ),
        (
            "sent the lease by email to Nina Cruz",
            {"kind": "email", "contact": "Nina Cruz", "summary": "sent the lease"},
        ),
        (
            "j'ai envoyé les photos par sms à Karim Benali",
            {"kind": "message", "contact": "Karim Benali", "summary": "j'ai envoyé les photos"},
        ),
        # the words after the name are what was said
        (
            "mailed Jack Stone the tax notice",
            {"kind": "email", "contact": "Jack Stone", "summary": "the tax notice"},
        ),
        (
            "texted Ben Cole to move the visit",
            {"kind": "message", "contact": "Ben Cole", "summary": "move the visit"},
        ),
        (
            "sms à Hugo Roux pour caler la visite",
            {"kind": "message", "contact": "Hugo Roux", "summary": "caler la visite"},
        ),
        (
            "whatsapp to Ben Cole about the keys",
            {"kind": "message", "contact": "Ben Cole", "summary": "the keys"},
        ),
        # "this morning" is no time to record; a clock time or another day is
        (
            "met Sam Reid this morning, likes the flat",
            {"kind": "meeting", "contact": "Sam Reid", "summary": "likes the flat"},
        ),
        (
            "rdv avec Zoé Hart ce matin ok pour baisser le prix",
            {"kind": "meeting", "contact": "Zoé Hart", "summary": "ok pour baisser le prix"},
        ),
        (
            "called Ann Roy yesterday 3pm",
            {"kind": "call", "contact": "Ann Roy", "occurred_at": "2026-03-09T15:00:00+01:00"},
        ),
        # a filler after the name is not the summary
        (
            "called Tom Fox back, he agrees",
            {"kind": "call", "contact": "Tom Fox", "summary": "he agrees"},
        ),
    ],
)
def test_activities_without_the_usual_verbs(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("log_activity", expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("je l'ai eu au téléphone, il hésite", {"summary": "il hésite"}),
        ("caught him on the phone, he is thinking it over", {"summary": "he is thinking it over"}),
    ],
)
def test_a_call_with_an_object_pronoun(text: str, expected: dict[str, Any]) -> None:
    assert one(text, CLIENT_RECENT) == (
        "log_activity",
        {"kind": "call", "contact": "C5", **expected},
    )


@pytest.mark.parametrize(
    "text",
    [
        "sms à Paul",  # nothing said, nothing to say it happened
        "email to Paul",
    ],
)
def test_a_message_noun_alone_is_not_logged(text: str) -> None:
    assert calls(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "rdv avec Paul Martin ce soir",
            {"due_at": "2026-03-10T18:00:00+01:00", "text": "Rdv avec Paul Martin"},
        ),
        (
            "meeting with Tom Fox this afternoon",
            {"due_at": "2026-03-10T14:00:00+01:00", "text": "Meeting with Tom Fox"},
        ),
        (
            "sms à Hugo Roux demain 10h pour caler la visite",
            {"due_at": "2026-03-11T10:00:00+01:00", "text": "Sms à Hugo Roux pour caler la visite"},
        ),
    ],
)
def test_an_appointment_later_today_is_still_to_come(text: str, expected: dict[str, Any]) -> None:
    name, args = one(text)
    assert name == "add_reminder"
    assert (args["due_at"], args["text"]) == (expected["due_at"], expected["text"])


@pytest.mark.parametrize(
    ("text", "second"),
    [
        (
            "appelé Nina Cruz, elle veut revoir P4 ; rappelle-moi vendredi 10h de la rappeler",
            "Rappeler Nina Cruz",
        ),
        (
            "spoke with Ann Roy, she wants P4 again; remind me friday 9am to call her back",
            "Call Ann Roy back",
        ),
    ],
)
def test_the_activity_names_the_next_pronoun(text: str, second: str) -> None:
    first, reminder = calls(text, CLIENT_RECENT)
    assert first["name"] == "log_activity"
    # a record named in what was said is not what the activity is about
    assert "property" not in first["input"]
    assert first["input"]["contact"] == reminder["input"]["contact"]
    assert reminder["input"]["text"] == second


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a bare note: the body is free text, even with a verb after a comma
        (
            "note: elle veut un balcon, cherche près du métro",
            {"text": "elle veut un balcon, cherche près du métro", "contact": "C5"},
        ),
        (
            "note: wants a balcony, find out about schools",
            {"text": "wants a balcony, find out about schools", "contact": "C5"},
        ),
        # the record first
        (
            "Zoé Hart note: allergique aux chats",
            {"text": "allergique aux chats", "contact": "Zoé Hart"},
        ),
        (
            "Sam Reid nb - needs parking, show him garages",
            {"text": "needs parking, show him garages", "contact": "Sam Reid"},
        ),
        (
            "P4 note : toiture refaite en 2020",
            {"text": "toiture refaite en 2020", "property": "P4"},
        ),
    ],
)
def test_notes_without_a_link_verb(text: str, expected: dict[str, Any]) -> None:
    assert one(text, CLIENT_RECENT) == ("add_note", expected)


@pytest.mark.parametrize(
    "text",
    [
        "D6 passe en négo et note : vendeur pressé",
        "move D6 to negotiation and add a note: seller in a hurry",
    ],
)
def test_a_note_after_a_clause_inherits_its_record(text: str) -> None:
    update, note = calls(text, CLIENT_RECENT)
    assert update == {"name": "update_deal", "input": {"deal": "D6", "stage": "negotiation"}}
    assert note["name"] == "add_note" and note["input"]["deal"] == "D6"


def test_a_note_then_a_reminder_are_two_clauses() -> None:
    note, reminder = calls(
        "note: il a un chien et rappelle-moi demain 10h de le relancer", CLIENT_RECENT
    )
    assert note == {"name": "add_note", "input": {"text": "il a un chien", "contact": "C5"}}
    assert reminder["input"]["contact"] == "C5"


@pytest.mark.parametrize(
    ("text", "recent", "expected"),
    [
        ("t'as quoi pour lui ?", CLIENT_RECENT, ("match_properties", {"contact": "C5"})),
        ("got anything for him?", CLIENT_RECENT, ("match_properties", {"contact": "C5"})),
        ("qu'est-ce que j'ai pour Nina Cruz ?", (), ("match_properties", {"contact": "Nina Cruz"})),
        (
            "des biens qui conviennent à Hugo Roux ?",
            (),
            ("match_properties", {"contact": "Hugo Roux"}),
        ),
        ("listings that suit Ann Roy", (), ("match_properties", {"contact": "Ann Roy"})),
        # a day after "pour" is the agenda, not a client
        ("qu'est-ce que j'ai pour demain ?", (), ("agenda", {"day": "2026-03-11"})),
        ("what do I have for tomorrow?", (), ("agenda", {"day": "2026-03-11"})),
        # how warm a lead is, asked
        (
            "Hugo Roux est un prospect sérieux ou pas ?",
            (),
            ("score_lead", {"contact": "Hugo Roux"}),
        ),
        ("is Ben Cole a serious buyer?", (), ("score_lead", {"contact": "Ben Cole"})),
        ("Ann Roy, hot lead or not?", (), ("score_lead", {"contact": "Ann Roy"})),
    ],
)
def test_matching_and_scoring_phrasings(
    text: str, recent: tuple[Mention, ...], expected: tuple[str, dict[str, Any]]
) -> None:
    assert one(text, recent) == expected


@pytest.mark.parametrize(
    "text", ["who won the match yesterday", "anything for D4?", "c'est chaud ?"]
)
def test_not_a_match_nor_a_score(text: str) -> None:
    assert calls(text, CLIENT_RECENT) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # pronouns for the client and the property
        (
            "ouvre un deal pour elle sur cet appart",
            ("create_deal", {"contact": "C5", "property": "P3"}),
        ),
        (
            "open a deal with her on that listing",
            ("create_deal", {"contact": "C5", "property": "P3"}),
        ),
        # a possessive names the client, and a verb before it is not part of the name
        ("Move Ann Roy's deal to offer", ("update_deal", {"deal": "Ann Roy", "stage": "offer"})),
        (
            "Ben Cole's deals in negotiation",
            ("list_deals", {"stage": "negotiation", "contact": "Ben Cole"}),
        ),
        # a signed sales agreement is under contract; the deed wins the deal
        ("promesse signée pour D2", ("update_deal", {"deal": "D2", "stage": "under_contract"})),
        (
            "sales agreement signed for D2",
            ("update_deal", {"deal": "D2", "stage": "under_contract"}),
        ),
        ("acte signé pour D2", ("update_deal", {"deal": "D2", "stage": "won"})),
    ],
)
def test_deal_phrasings(text: str, expected: tuple[str, dict[str, Any]]) -> None:
    assert one(text, CLIENT_RECENT) == expected


@pytest.mark.parametrize(
    ("text", "stage"),
    [("P4 vendu, marque D6 comme gagné", "won"), ("P4 rented, mark D6 as lost", "lost")],
)
def test_mark_opens_a_clause_of_its_own(text: str, stage: str) -> None:
    first, second = calls(text)
    assert first["name"] == "update_property" and first["input"]["property"] == "P4"
    assert second == {"name": "update_deal", "input": {"deal": "D6", "stage": stage}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "nouveau mandat: maison 4 pièces 110 m2 Bron 420k",
            {
                "property_type": "house",
                "rooms": 4,
                "surface_m2": 110,
                "city": "Bron",
                "price": 420_000,
            },
        ),
        (
            "mandate signed: flat 3 rooms 70 sqm Lyon 300k",
            {
                "property_type": "apartment",
                "rooms": 3,
                "surface_m2": 70,
                "city": "Lyon",
                "price": 300_000,
            },
        ),
        (
            "list an office for rent 80m2 Lyon 2000 per month",
            {
                "property_type": "commercial",
                "transaction": "rent",
                "surface_m2": 80,
                "city": "Lyon",
                "price": 2000,
            },
        ),
        (
            "mets en vente une maison 5 pieces Ecully 750k",
            {
                "property_type": "house",
                "transaction": "sale",
                "rooms": 5,
                "city": "Ecully",
                "price": 750_000,
            },
        ),
        (
            "add house for sale 4 br 150 sqm Lyon 700k",
            {
                "property_type": "house",
                "transaction": "sale",
                "bedrooms": 4,
                "surface_m2": 150,
                "city": "Lyon",
                "price": 700_000,
            },
        ),
        (
            "ajoute box a louer 75e/mois Lyon",
            {"property_type": "parking", "transaction": "rent", "city": "Lyon", "price": 75},
        ),
    ],
)
def test_listing_cards_and_list_verbs(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("add_property", expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list my apartments in Lyon", {"property_type": "apartment", "city": "Lyon"}),
        ("list apartments for sale", {"property_type": "apartment", "transaction": "sale"}),
    ],
)
def test_list_without_an_article_searches(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("find_properties", expected)


@pytest.mark.parametrize("text", ["bien: super", "mandat signé: Paul Martin"])
def test_a_card_without_a_description_is_not_a_listing(text: str) -> None:
    assert calls(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("supprime Paul Roux c'était une erreur", "Paul Roux"),
        ("delete tom baker he's a duplicate", "Tom Baker"),
    ],
)
def test_a_name_stops_at_an_elided_verb(text: str, name: str) -> None:
    assert one(text) == ("delete_contact", {"contact": name})


def test_names_keep_their_own_apostrophe() -> None:
    assert one("add Sean O'Brien buyer") == (
        "add_contact",
        {"name": "Sean O'Brien", "role": "buyer"},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the records after "about"/"pour" are the topic; after a comma, only what was said
        (
            "called Ann Roy about the offer on P8",
            {"kind": "call", "contact": "Ann Roy", "property": "P8", "summary": "the offer on P8"},
        ),
        (
            "appelé Nina Cruz, elle adore le P8",
            {"kind": "call", "contact": "Nina Cruz", "summary": "elle adore le P8"},
        ),
        # an appointment named by its noun alone, that took place
        (
            "bank appt yesterday for D4, loan ok",
            {
                "kind": "meeting",
                "deal": "D4",
                "summary": "loan ok",
                "occurred_at": "2026-03-09T09:00:00+01:00",
            },
        ),
    ],
)
def test_activity_links_and_nouns(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("log_activity", expected)


@pytest.mark.parametrize(
    ("text", "due", "expected"),
    [
        # the moment first, then a colon or a dash, then the task
        ("vendredi 14h : relancer le notaire", "2026-03-13T14:00:00+01:00", "Relancer le notaire"),
        ("tomorrow 9am - call the bank", "2026-03-11T09:00:00+01:00", "Call the bank"),
        # an appointment to come, named by its noun alone
        ("rendez-vous notaire jeudi 10h", "2026-03-12T10:00:00+01:00", "Rendez-vous notaire"),
        ("dentist appointment friday 4pm", "2026-03-13T16:00:00+01:00", "Dentist appointment"),
    ],
)
def test_reminders_opened_by_their_moment_or_noun(text: str, due: str, expected: str) -> None:
    name, args = one(text)
    assert (name, args["due_at"], args["text"]) == ("add_reminder", due, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mes rdv de demain", {"day": "2026-03-11"}),
        ("my appointments tomorrow", {"day": "2026-03-11"}),
    ],
)
def test_my_appointments_is_the_agenda_not_a_new_one(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("agenda", expected)


# --- held-out classes: general rules, own phrasings --------------------------------------------

LATE = datetime(2026, 3, 10, 10, 30, tzinfo=UTC)  # Tuesday 11:30 in Paris
LUCAS = (Mention("C8", "Lucas Petit"), Mention("P5", "T2 Lyon"))


def at(text: str, now: datetime = LATE, recent: tuple[Mention, ...] = ()) -> list[dict[str, Any]]:
    return [c.as_json() for c in parse(Message(text, ACTOR, now, recent))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "rdv au bureau avec Nadia Roche à 10h, compromis relu ensemble",
            {
                "kind": "meeting",
                "contact": "Nadia Roche",
                "summary": "compromis relu ensemble",
                "occurred_at": "2026-03-10T10:00:00+01:00",
            },
        ),
        (
            "visite avec Hugo Blanc à 9h30 : a adoré la terrasse",
            {
                "kind": "visit",
                "contact": "Hugo Blanc",
                "summary": "a adoré la terrasse",
                "occurred_at": "2026-03-10T09:30:00+01:00",
            },
        ),
        (
            "coffee with Emma Stone at 10am, she agreed to list the flat",
            {
                "kind": "meeting",
                "contact": "Emma Stone",
                "summary": "she agreed to list the flat",
                "occurred_at": "2026-03-10T10:00:00+01:00",
            },
        ),
        (
            "call with Ryan Gold at 8, wants to sell in spring",
            {
                "kind": "call",
                "contact": "Ryan Gold",
                "summary": "wants to sell in spring",
                "occurred_at": "2026-03-10T08:00:00+01:00",
            },
        ),
    ],
)
def test_a_report_with_a_clock_time_already_past_happened_today(
    text: str, expected: dict[str, Any]
) -> None:
    assert at(text) == [{"name": "log_activity", "input": expected}]


@pytest.mark.parametrize(
    "text",
    [
        "rdv avec Nadia Roche à 10h",  # past today, nothing said about it: ask
        "meeting with Emma Stone at 9am",
    ],
)
def test_a_past_clock_time_without_a_report_is_not_guessed(text: str) -> None:
    assert at(text) == []


@pytest.mark.parametrize(
    ("text", "due"),
    [
        # a reminder cue or an order keeps the next such time
        ("rappelle-moi à 10h d'appeler Nadia Roche", "2026-03-11T10:00:00+01:00"),
        ("call Emma Stone at 9am", "2026-03-11T09:00:00+01:00"),
        # still to come today
        ("rdv avec Nadia Roche à 15h", "2026-03-10T15:00:00+01:00"),
    ],
)
def test_a_clock_time_to_come_or_with_a_cue_is_a_reminder(text: str, due: str) -> None:
    found = at(text)
    assert [c["name"] for c in found] == ["add_reminder"]
    assert found[0]["input"]["due_at"] == due


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nouveau numéro pour Lucas Petit : 06 98 76 54 32", {"phone": "+33698765432"}),
        ("nv portable de Lucas Petit 06 98 76 54 32", {"phone": "+33698765432"}),
        ("Lucas Petit a changé de mail : lucas.p@example.fr", {"email": "lucas.p@example.fr"}),
        ("new phone for Lucas Petit: 06 98 76 54 32", {"phone": "+33698765432"}),
        ("new email for Lucas Petit - lucas.p@example.fr", {"email": "lucas.p@example.fr"}),
        ("Lucas Petit has a new number: 06 98 76 54 32", {"phone": "+33698765432"}),
        ("Lucas Petit changed his email to lucas.p@example.fr", {"email": "lucas.p@example.fr"}),
    ],
)
def test_a_new_detail_updates_the_contact(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("update_contact", {"contact": "Lucas Petit", **expected})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("crée une fiche acheteur paul girard", {"name": "Paul Girard", "role": "buyer"}),
        ("ajoute prospect chaud Léa Martin", {"name": "Léa Martin"}),
        ("nv lead Karim Benali", {"name": "Karim Benali"}),
        ("add warm lead Jack Hill", {"name": "Jack Hill"}),
        ("create a new hot prospect Anna Bell", {"name": "Anna Bell"}),
        ("new client file: Omar Diaz, seller", {"name": "Omar Diaz", "role": "seller"}),
    ],
)
def test_a_new_contact_is_not_named_by_a_common_noun(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("add_contact", expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sms à Inès Dubois pr confirmer la visite de jeudi",
            {
                "kind": "message",
                "contact": "Inès Dubois",
                "summary": "confirmer la visite de jeudi",
            },
        ),
        (
            "text to Noah Price to confirm the viewing on Friday",
            {
                "kind": "message",
                "contact": "Noah Price",
                "summary": "confirm the viewing on Friday",
            },
        ),
    ],
)
def test_a_date_inside_the_purpose_is_what_was_said(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("log_activity", expected)


@pytest.mark.parametrize(
    ("text", "due", "expected"),
    [
        ("rappelle moi ds 2h de relancer Inès Dubois", "2026-03-10T11:00:00+01:00", "Relancer"),
        ("rappel ds 30 min pr envoyer le bail", "2026-03-10T09:30:00+01:00", "Envoyer le bail"),
        ("sms à Inès Dubois demain pour confirmer", "2026-03-11T09:00:00+01:00", "Sms"),
    ],
)
def test_phone_shorthand_and_a_time_before_the_purpose(text: str, due: str, expected: str) -> None:
    name, args = one(text)
    assert (name, args["due_at"]) == ("add_reminder", due)
    assert args["text"].startswith(expected)


def test_c_fait_completes_the_reminder() -> None:
    assert one("c fait", RECENT) == ("complete_reminder", {"reminder": "R4"})


@pytest.mark.parametrize(
    "text",
    [
        "remind me tomorrow at 9 to Review the offers",
        "rappel demain 9h : L'Equipe photo passe au P5",
        "remind me friday to Update the website",
        "remind me monday to Chase the notary",
        "rdv demain 14h avec L'Agence du Parc",
    ],
)
def test_a_capitalised_common_word_is_no_contact(text: str) -> None:
    name, args = one(text)
    assert name == "add_reminder"
    assert "contact" not in args


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("relance le jeudi à 11h", "Relancer Lucas Petit"),
        ("rappelle-moi demain de signer avec lui", "Signer avec Lucas Petit"),
        ("remind me tomorrow to sign with him", "Sign with Lucas Petit"),
        ("penser à passer chez lui demain 18h", "Passer chez Lucas Petit"),
    ],
)
def test_object_pronouns_without_a_hyphen(text: str, expected: str) -> None:
    name, args = one(text, LUCAS)
    assert (name, args["text"], args["contact"]) == ("add_reminder", expected, "C8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("supprime la", ("delete_contact", {"contact": "C8"})),
        ("efface le", ("delete_contact", {"contact": "C8"})),
        ("delete it", ("delete_property", {"property": "P5"})),
    ],
)
def test_a_bare_pronoun_deletes_the_last_mention(text: str, expected: tuple[str, Any]) -> None:
    assert one(text, LUCAS) == expected


def test_a_bare_pronoun_deletes_nothing_without_a_mention() -> None:
    assert calls("supprime le") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "il a visité le P5 hier, trop sombre",
            {"kind": "visit", "property": "P5", "summary": "trop sombre"},
        ),
        ("elle a visité ce matin, pas emballée", {"kind": "visit", "summary": "pas emballée"}),
        (
            "he visited yesterday, liked the garden",
            {"kind": "visit", "summary": "liked the garden"},
        ),
        ("je l'ai appelé, il réfléchit", {"kind": "call", "summary": "il réfléchit"}),
    ],
)
def test_a_subject_pronoun_names_the_last_contact(text: str, expected: dict[str, Any]) -> None:
    name, args = one(text, LUCAS)
    assert name == "log_activity"
    assert {k: args[k] for k in expected} == expected
    assert args["contact"] == "C8"


@pytest.mark.parametrize(
    ("text", "due"),
    [
        # Tuesday 09:00: the first one is today at 18:00, this morning's 8:00 is past
        ("remind me every tuesday at 6pm to send the report", "2026-03-10T18:00:00+01:00"),
        ("tous les mardis à 17h rappelle-moi de faire le point", "2026-03-10T17:00:00+01:00"),
        ("every tuesday at 8am remind me: team call", "2026-03-17T08:00:00+01:00"),
        ("chaque mercredi 10h rappel compta", "2026-03-11T10:00:00+01:00"),
    ],
)
def test_a_recurrence_starts_at_its_next_occurrence(text: str, due: str) -> None:
    name, args = one(text)
    assert (name, args["due_at"], args["recurrence"]) == ("add_reminder", due, "weekly")


def test_a_weekday_alone_on_that_day_is_next_week() -> None:
    name, args = one("remind me tuesday at 6pm to send the report")
    assert (name, args["due_at"]) == ("add_reminder", "2026-03-17T18:00:00+01:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nouveau mail Lucas Petit lucas.p@example.fr", {"email": "lucas.p@example.fr"}),
        ("new phone number Lucas Petit 06 98 76 54 32", {"phone": "+33698765432"}),
        ("Lucas Petit's new number is 06 98 76 54 32", {"phone": "+33698765432"}),
    ],
)
def test_a_new_detail_then_the_name(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("update_contact", {"contact": "Lucas Petit", **expected})


def test_a_new_detail_for_a_pronoun_is_the_last_contact() -> None:
    assert one("nouveau num pour lui : 06 98 76 54 32", LUCAS) == (
        "update_contact",
        {"contact": "C8", "phone": "+33698765432"},
    )


@pytest.mark.parametrize(
    "text",
    [
        "rappelle la jeudi 10h",  # nobody mentioned: whom?
        "remind me to phone him on friday",
        "rdv avec Nadia Roche à 10h, apporter les clés",  # past today, but a plan
        "meeting with Emma Stone at 9am, bring the keys",
    ],
)
def test_unsure_readings_are_not_written(text: str) -> None:
    assert at(text) == []


def test_an_order_with_a_past_clock_time_stays_a_reminder() -> None:
    found = at("call Emma Stone at 9, she wants to sell")
    assert [c["name"] for c in found] == ["add_reminder"]
    assert found[0]["input"]["due_at"] == "2026-03-11T09:00:00+01:00"


def test_pr_before_a_ref_is_pour() -> None:
    name, args = one("rdv notaire pr D4 jeudi 10h")
    assert (name, args["text"], args["deal"]) == ("add_reminder", "Rdv notaire", "D4")


@pytest.mark.parametrize(
    "text",
    [
        "rdv avec Nadia Roche à 15h, elle signe lundi",  # which time is the appointment's?
        "appt with Emma Stone at 4pm; she'll sign next week",
    ],
)
def test_times_on_both_sides_of_a_comment_are_not_guessed(text: str) -> None:
    assert at(text) == []


def test_a_day_before_the_comment_is_the_appointment() -> None:
    name, args = one("rdv avec Nadia Roche demain 15h, elle signe lundi")
    assert (name, args["due_at"]) == ("add_reminder", "2026-03-11T15:00:00+01:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "mail à Inès Dubois pr le compromis de vendredi",
            {"kind": "email", "contact": "Inès Dubois", "summary": "le compromis de vendredi"},
        ),
        (
            "whatsapp to Noah Price about tomorrow's viewing",
            {"kind": "message", "contact": "Noah Price", "summary": "tomorrow's viewing"},
        ),
    ],
)
def test_a_date_in_what_was_sent_is_no_due_date(text: str, expected: dict[str, Any]) -> None:
    assert one(text) == ("log_activity", expected)
