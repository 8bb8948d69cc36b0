"""Documents through the bot: stored encrypted, deduplicated, listed and sent back, never
across agencies."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select

from bot.settings import Settings
from crm_core.models import Agency, Document
from crm_core.storage import FileStore, StorageError, sha256_of
from tests.harness import ChatUser, Harness
from tests.uploads import send_file, send_photo

PDF = b"%PDF-1.7\n" + os.urandom(4000) + b"\n%%EOF\n"


def stored_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "documents"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def documents_count(harness: Harness) -> int:
    async with harness.db.system_session() as session:
        return await session.scalar(select(func.count()).select_from(Document)) or 0


async def test_document_round_trip(harness: Harness, owner: ChatUser, settings: Settings) -> None:
    await owner.send("/add_property T3 Croix-Rousse city=Lyon price=385k")
    turn = await send_file(owner, "mandat.pdf", PDF, caption="P1")
    assert "Saved K1 “mandat.pdf”" in turn.text and "P1 T3 Croix-Rousse" in turn.text

    # On disk: one file, under the agency and the plaintext's hash, not the plaintext.
    [path] = stored_files(settings)
    assert path.name == sha256_of(PDF)
    on_disk = path.read_bytes()
    assert on_disk != PDF and PDF[:64] not in on_disk
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    key_file = settings.data_dir / "secret.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    store = FileStore.open(settings.data_dir)
    assert store.get(int(path.parent.name), path.name) == PDF

    turn = await owner.send("/docs P1")
    assert "Documents of P1 T3 Croix-Rousse" in turn.text and "K1 mandat.pdf" in turn.text
    harness.session.sent_files.clear()
    await owner.press("K1 mandat.pdf")
    assert harness.session.sent_files == [("mandat.pdf", PDF)]


async def test_same_file_is_stored_once(
    harness: Harness, owner: ChatUser, settings: Settings
) -> None:
    await owner.send("/add_contact Marie Dupont phone=0612345678")
    await owner.send("/add_property Villa city=Nice")
    assert "Saved K1" in (await send_file(owner, "id.pdf", PDF, caption="Marie Dupont")).text
    again = await send_file(owner, "id (1).pdf", PDF, caption="C1")
    assert "already attached to C1 Marie Dupont as K1" in again.text
    other = await send_file(owner, "id.pdf", PDF, caption="Carte d'identité pour P1")
    assert "Saved K2" in other.text
    assert len(stored_files(settings)) == 1
    assert await documents_count(harness) == 2
    turn = await owner.send("/docs")
    assert "K2 id.pdf" in turn.text and "K1 id.pdf" in turn.text


async def test_photo_goes_to_a_recent_record_picked_by_button(owner: ChatUser) -> None:
    await owner.send("/add_contact Marie Dupont phone=0612345678")
    await owner.send("/add_property Villa city=Nice")
    photo = os.urandom(2048)
    turn = await send_photo(owner, photo)
    assert "Which record should I attach" in turn.text
    assert turn.labels[:2] == ["P1 Villa", "C1 Marie Dupont"]
    turn = await owner.press("C1 Marie Dupont")
    assert "Saved K1" in turn.text and "C1 Marie Dupont" in turn.text
    # The button worked once.
    turn = await owner.press("C1 Marie Dupont")
    assert "expired" in turn.text


async def test_file_without_caption_nor_recent_record_is_not_stored(
    harness: Harness, owner: ChatUser, settings: Settings
) -> None:
    turn = await send_file(owner, "plan.pdf", PDF)
    assert "Which record is this file for?" in turn.text
    assert stored_files(settings) == [] and await documents_count(harness) == 0


async def test_ambiguous_caption_asks_which_record(owner: ChatUser) -> None:
    await owner.send("/add_contact Marie Dupont")
    await owner.send("/add_contact Marie Curie")
    turn = await send_file(owner, "dpe.pdf", PDF, caption="Marie")
    assert "Several records match “Marie”" in turn.text
    turn = await owner.press("C2 Marie Curie")
    assert "Saved K1" in turn.text and "C2 Marie Curie" in turn.text


async def test_oversized_and_unsupported_files(
    harness: Harness, owner: ChatUser, settings: Settings
) -> None:
    await owner.send("/add_property Villa city=Nice")
    # Refused on the announced size, before any download (the file is not even downloadable).
    turn = await send_file(
        owner, "scan.pdf", b"x", caption="P1", announced_size=21 * 1024 * 1024, downloadable=False
    )
    assert "too large" in turn.text and "20 MB" in turn.text
    turn = await send_file(owner, "setup.exe", b"MZ\x90\x00", caption="P1")
    assert "I cannot store “setup.exe”" in turn.text and "pdf" in turn.text
    turn = await send_file(owner, "nothing", b"abc", caption="P1")
    assert "I cannot store" in turn.text
    turn = await send_file(owner, "plan.pdf", PDF, caption="P9")
    assert "I found no property matching “P9”" in turn.text
    assert await documents_count(harness) == 0


async def test_another_agencys_document_is_not_found(
    harness: Harness, owner: ChatUser, rival: ChatUser, settings: Settings
) -> None:
    secret = b"%PDF-1.4 rival secret " + os.urandom(512)
    await rival.send("/add_property Secret villa city=Cannes")
    assert "Saved K1" in (await send_file(rival, "secret.pdf", secret, caption="P1")).text

    await owner.send("/add_property Flat city=Lyon")
    # Alice names Rita's property and document: both look missing, nothing is sent.
    assert "I found no property matching “P2”" in (await owner.send("/docs P2")).text
    turn = await owner.send("/docs")
    assert "No documents yet" in turn.text and "secret" not in turn.text
    turn = await owner.send("/get_document K1")
    assert "I found no document matching “K1”" in turn.text
    harness.session.sent_files.clear()
    turn = await owner.press_data(owner.last_message(), "ds:K1")
    assert turn.notices == ["I found no document matching “K1”."]
    assert harness.session.sent_files == []

    # The same bytes sent by Alice are stored again, for her agency, under another key path.
    await send_file(owner, "copy.pdf", secret, caption="P1")
    paths = stored_files(settings)
    assert len(paths) == 2 and paths[0].name == paths[1].name
    async with harness.db.system_session() as session:
        ids = sorted(a for a in await session.scalars(select(Agency.id)))
    assert sorted(int(p.parent.name) for p in paths) == ids
    store = FileStore.open(settings.data_dir)
    assert store.get(ids[0], paths[0].name) == store.get(ids[1], paths[1].name) == secret
    # A blob copied into another agency's folder does not decrypt there (bound to its agency).
    paths[1].write_bytes(paths[0].read_bytes())
    try:
        store.get(ids[1], paths[1].name)
    except StorageError:
        pass
    else:
        raise AssertionError("a blob of agency A decrypted as agency B's")


async def test_configured_key_is_used(tmp_path: Path) -> None:
    import base64

    from crm_core.storage import EncryptionKeyError, load_key

    key = os.urandom(32)
    assert load_key(tmp_path, base64.b64encode(key).decode()) == key
    assert not (tmp_path / "secret.key").exists()
    try:
        load_key(tmp_path, "bm90IGEga2V5")
    except EncryptionKeyError as error:
        assert "32 bytes" in str(error)
    else:
        raise AssertionError("a short key was accepted")
    store = FileStore(tmp_path, key)
    stored = store.put(1, b"hello")
    assert "hello" not in repr(store) and key.hex() not in repr(store)
    assert FileStore(tmp_path, key).get(1, stored.sha256) == b"hello"
    wrong = FileStore(tmp_path, os.urandom(32))
    try:
        wrong.get(1, stored.sha256)
    except StorageError:
        pass
    else:
        raise AssertionError("decrypted with the wrong key")


async def test_files_of_deleted_records_are_purged(
    harness: Harness, owner: ChatUser, settings: Settings
) -> None:
    from crm_core.document_files import purge_unreferenced

    await owner.send("/add_contact Marie Dupont")
    await owner.send("/add_property Villa city=Nice")
    kept = b"%PDF kept " + os.urandom(64)
    await send_file(owner, "id.pdf", PDF, caption="C1")
    await send_file(owner, "plan.pdf", kept, caption="P1")
    await owner.send("/delete_contact C1")
    assert "deleted" in (await owner.press("Yes, delete")).text.lower()
    assert await documents_count(harness) == 1
    store = FileStore.open(settings.data_dir)
    async with harness.db.system_session() as session:
        assert await purge_unreferenced(session, store) == 0  # too recent: maybe in flight
        assert await purge_unreferenced(session, store, grace_seconds=-1) == 1
    assert [p.name for p in stored_files(settings)] == [sha256_of(kept)]
