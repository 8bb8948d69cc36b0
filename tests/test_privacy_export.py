"""Portability: /export and /client_export ZIPs (contents, scope, tenancy), client erasure."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from typing import Any

from sqlalchemy import func, select

from bot.settings import Settings
from crm_core.models import Contact, Document, PrivacyRequest
from tests.harness import ChatUser, Harness
from tests.uploads import send_file

PDF = b"%PDF-1.7\n" + os.urandom(2000) + b"\n%%EOF\n"
FORMULA = "=HYPERLINK(x)"


def last_zip(harness: Harness) -> tuple[str, zipfile.ZipFile]:
    name, data = harness.session.sent_files[-1]
    return name, zipfile.ZipFile(io.BytesIO(data))


def export_json(archive: zipfile.ZipFile) -> dict[str, Any]:
    return json.loads(archive.read("export.json"))


def csv_rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode())))


async def fill(owner: ChatUser, agent: ChatUser, rival: ChatUser) -> None:
    await owner.send("/add_contact Marie Dupont phone=0612345678 email=marie@example.com")
    await owner.send(f"/add_note C1 {FORMULA}")
    await owner.send("/add_property T3 Croix-Rousse city=Lyon price=385k")
    await owner.send("/create_deal C1 property=P1")
    await send_file(owner, "mandat.pdf", PDF, caption="C1")
    await agent.send("/add_contact Paul Petit phone=0698765432")
    await rival.send("/add_contact Roberto Rival phone=0611111111")


async def test_owner_exports_the_whole_agency_and_nothing_else(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser, settings: Settings
) -> None:
    await fill(owner, agent, rival)
    harness.session.sent_files.clear()
    turn = await owner.send("/export")
    assert "Preparing the export of the whole agency" in turn.text
    name, archive = last_zip(harness)
    assert name == "export-20260310.zip"
    files = set(archive.namelist())
    kinds = ["agency", "agents", "contacts", "properties", "deals", "activities"]
    kinds += ["reminders", "notes", "documents", "privacy_requests", "audit"]
    expected_csvs = {f"{kind}.csv" for kind in kinds}
    assert expected_csvs | {"export.json", "README.txt", "documents/K1_mandat.pdf"} == files
    data = export_json(archive)
    assert data["format"] == "estate-crm-export" and data["version"] == 1
    assert data["exported_at"].startswith("2026-03-10T08:00:00")
    assert [a["name"] for a in data["agency"]] == ["Acme Realty"]
    assert {a["name"] for a in data["agents"]} == {"Alice Martin", "Bob Durand"}
    contacts = {c["ref"]: c for c in data["contacts"]}
    assert set(contacts) == {"C1", "C2"}  # Rita's contact is another agency's
    assert contacts["C1"]["phone"] == "+33612345678" and contacts["C1"]["email"]
    assert data["deals"][0]["contact"] == "C1" and data["deals"][0]["property"] == "P1"
    assert data["notes"][0]["text"] == FORMULA  # JSON keeps the data as it is
    assert data["documents"][0]["file"] == "documents/K1_mandat.pdf"
    assert archive.read("documents/K1_mandat.pdf") == PDF
    assert "Roberto" not in archive.read("export.json").decode()
    # CSV: catalogue field names, the formula neutralised.
    header, *_rows = csv_rows(archive, "contacts.csv")
    assert header[:4] == ["ref", "name", "phone", "email"]
    note_header, note = csv_rows(archive, "notes.csv")
    assert note[note_header.index("text")] == "'" + FORMULA
    # The temporary ZIP is gone from DATA_DIR; the export is logged.
    assert not any((settings.data_dir / "exports").glob("*"))
    async with harness.db.system_session() as session:
        kinds = list(await session.scalars(select(PrivacyRequest.kind)))
    assert "export" in kinds


async def test_agent_exports_only_their_own_records(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser
) -> None:
    await fill(owner, agent, rival)
    harness.session.sent_files.clear()
    assert "export of your data" in (await agent.send("/export")).text
    _, archive = last_zip(harness)
    data = export_json(archive)
    assert [c["name"] for c in data["contacts"]] == ["Paul Petit"]
    assert [a["name"] for a in data["agents"]] == ["Bob Durand"]
    assert data["notes"] == [] and data["documents"] == [] and data["deals"] == []
    assert not any(n.startswith("documents/") for n in archive.namelist())


async def test_client_export_holds_one_contact(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser
) -> None:
    await fill(owner, agent, rival)
    harness.session.sent_files.clear()
    await owner.send("/client_export C1")
    name, archive = last_zip(harness)
    assert name == "client-C1.zip"
    data = export_json(archive)
    assert [c["ref"] for c in data["contacts"]] == ["C1"]
    assert [n["ref"] for n in data["notes"]] == ["N1"] and len(data["deals"]) == 1
    assert archive.read("documents/K1_mandat.pdf") == PDF
    assert data["agents"] == []
    # Another agency's contact is simply not found; an agent may not.
    assert "I found no contact" in (await rival.send("/client_export C2")).text
    sent = len(harness.session.sent_files)
    assert "I found no contact" in (await rival.send("/client_export Marie Dupont")).text
    assert len(harness.session.sent_files) == sent
    assert "Only the agency owner" in (await agent.send("/client_export C2")).text


async def test_client_erase_after_confirmation(
    harness: Harness, owner: ChatUser, agent: ChatUser, rival: ChatUser, settings: Settings
) -> None:
    await fill(owner, agent, rival)
    assert "I found no contact" in (await rival.send("/client_erase C2")).text
    turn = await owner.send("/client_erase C1")
    assert "Erase C1 Marie Dupont" in turn.text
    await owner.press("No, keep it")
    await owner.send("/client_erase C1")
    turn = await owner.press("Yes, erase")
    assert "C1 and everything linked to it are erased." in turn.text
    async with harness.db.system_session() as session:
        names = set(await session.scalars(select(Contact.name)))
        documents = await session.scalar(select(func.count()).select_from(Document))
        logged = list(await session.scalars(select(PrivacyRequest)))
    assert names == {"Paul Petit", "Roberto Rival"}
    assert documents == 0
    assert not list((settings.data_dir / "documents").rglob("*.*")) and not [
        p for p in (settings.data_dir / "documents").rglob("*") if p.is_file()
    ]
    assert [(r.kind, r.details, r.completed_at is not None) for r in logged] == [
        ("client_erasure", "C1", True)
    ]
    # The button cannot be replayed.
    turn = await owner.press("Yes, erase")
    assert "expired" in turn.text
