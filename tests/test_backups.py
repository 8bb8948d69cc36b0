"""Encrypted backups: a consistent, encrypted copy that restores to the same data; retention
by the time in the name; a wrong key fails clearly; restore never overwrites; the CLI and the
daily job."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

import run_bot
from crm_core.backups import (
    BackupError,
    backup_dir,
    create_backup,
    prune_backups,
    restore_backup,
)
from crm_core.db import Database
from crm_core.models import Agency, Contact, User
from crm_core.storage import FILE_CHUNK, OVERHEAD, StorageError, decrypt_file, encrypt_file
from scheduler.service import ReminderScheduler
from tests.test_scheduler import RecordingNotifier

KEY = bytes(range(32))
OTHER_KEY = bytes(reversed(range(32)))
NOW = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)
SECRET_NAME = "Zoe Backupwright"


async def fill(db: Database) -> None:
    async with db.system_session() as session:
        agency = Agency(name="Acme Realty")
        session.add(agency)
        await session.flush()
        user = User(telegram_id=4242, agency_id=agency.id, role="owner", name="Alice Martin")
        session.add(user)
        await session.flush()
        session.add(
            Contact(
                agency_id=agency.id,
                number=1,
                created_by_id=user.id,
                name=SECRET_NAME,
                name_key=SECRET_NAME.lower(),
                phone="+33612345678",
            )
        )
        await session.commit()


def rows(path: Path) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT a.name, u.name, u.telegram_id, c.name, c.phone FROM contacts c"
            " JOIN agencies a ON a.id = c.agency_id JOIN users u ON u.id = c.created_by_id"
        ).fetchall()
    finally:
        connection.close()


def dump_as_sql(dump: Path) -> str:
    command = ["pg_restore", "--data-only", "--file=-", str(dump)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


async def test_backup_is_encrypted_and_restores_the_data(db: Database, tmp_path: Path) -> None:
    await fill(db)
    data_dir = tmp_path / "data"
    path = await create_backup(db, data_dir=data_dir, key=KEY, now=NOW)

    assert path.parent == backup_dir(data_dir)
    assert path.name == ("crm-20261204T023000Z." + ("db" if db.is_sqlite else "dump") + ".enc")
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no plaintext left behind
    blob = path.read_bytes()
    for plain in (SECRET_NAME.encode(), b"+33612345678", b"Acme Realty", b"SQLite format"):
        assert plain not in blob

    target = tmp_path / "restored" / ("crm.db" if db.is_sqlite else "crm.dump")
    restored = restore_backup(path, target, KEY)
    assert restored.path == target
    if db.is_sqlite:
        assert restored.next_step is None
        original = db.engine.url.database
        assert original is not None
        assert rows(target) == rows(Path(original))
        assert rows(target) == [("Acme Realty", "Alice Martin", 4242, SECRET_NAME, "+33612345678")]
    else:
        assert restored.next_step is not None and "pg_restore" in restored.next_step
        if shutil.which("pg_restore") is None:
            pytest.skip("pg_restore is not on PATH")
        script = await asyncio.to_thread(dump_as_sql, target)
        assert SECRET_NAME in script and "+33612345678" in script


async def test_backup_without_pg_dump_says_so(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump here
    with pytest.raises(BackupError, match="pg_dump is not on PATH"):
        await create_backup(db, data_dir=tmp_path, key=KEY, now=NOW)


def test_prune_goes_by_the_time_in_the_name(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    names = {
        "crm-20260904T023000Z.db.enc": True,  # 91 days old: gone
        "crm-20260905T012959Z.dump.enc": True,  # 90 days and an hour: gone
        "crm-20260905T023000Z.db.enc": False,  # exactly 90 days: kept
        "crm-20261203T023000Z.db.enc": False,
        "notes.txt": False,  # not a backup: never touched
    }
    for name in names:
        (folder / name).write_bytes(b"x")
        os.utime(folder / name, (0, 0))  # an ancient mtime must not matter
    recent = folder / "crm-20261203T023000Z.db.enc"
    removed = prune_backups(folder, NOW, keep_days=90)
    assert sorted(p.name for p in removed) == sorted(n for n, gone in names.items() if gone)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        n for n, gone in names.items() if not gone
    )
    assert recent.exists()


async def test_wrong_key_fails_clearly(db: Database, tmp_path: Path) -> None:
    if not db.is_sqlite:
        pytest.skip("the encryption is the same for both databases")
    await fill(db)
    path = await create_backup(db, data_dir=tmp_path, key=KEY, now=NOW)
    target = tmp_path / "restored.db"
    with pytest.raises(StorageError, match="wrong key"):
        restore_backup(path, target, OTHER_KEY)
    left = os.listdir(tmp_path)  # neither the target nor a partial file
    assert not [name for name in left if "restored" in name]


def test_restore_refuses_to_overwrite(tmp_path: Path) -> None:
    source = tmp_path / "plain.db"
    sqlite3.connect(source).close()
    path = tmp_path / "crm-20261204T023000Z.db.enc"
    encrypt_file(source, path, KEY)
    target = tmp_path / "live.db"
    target.write_bytes(b"the live database")
    with pytest.raises(BackupError, match="exists"):
        restore_backup(path, target, KEY)
    assert target.read_bytes() == b"the live database"


@pytest.mark.parametrize("size", [0, 10, FILE_CHUNK, 2 * FILE_CHUNK + 7])
def test_file_encryption_round_trip_and_truncation(tmp_path: Path, size: int) -> None:
    plain, sealed, back = tmp_path / "plain", tmp_path / "sealed", tmp_path / "back"
    plain.write_bytes(os.urandom(size))
    encrypt_file(plain, sealed, KEY)
    decrypt_file(sealed, back, KEY)
    assert back.read_bytes() == plain.read_bytes()
    # The last record cut off at a record boundary: must not pass for a shorter, valid file.
    blob = sealed.read_bytes()
    sealed.write_bytes(blob[: len(blob) - (OVERHEAD + size % FILE_CHUNK)])
    with pytest.raises(StorageError):
        decrypt_file(sealed, back, KEY)
    assert not back.exists()


def test_commands_backup_then_restore(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sqlite_template: Path,
) -> None:
    database = tmp_path / "crm.db"
    shutil.copy(sqlite_template, database)
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", base64.b64encode(KEY).decode())
    old = tmp_path / "data" / "backups" / "crm-20200101T000000Z.db.enc"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x")

    assert run_bot.main(["backup"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.is_file() and path.parent == old.parent
    assert not old.exists()  # pruned by the same command

    target = tmp_path / "restored.db"
    assert run_bot.main(["restore", str(path), str(target)]) == 0
    assert str(target) in capsys.readouterr().out
    assert rows(target) == rows(database)

    assert run_bot.main(["restore", str(path), str(target)]) == 1
    assert "exists" in capsys.readouterr().err


async def test_daily_backup_job(db: Database, tmp_path: Path) -> None:
    if not db.is_sqlite:
        pytest.skip("the job is the same for both databases")
    made: list[datetime] = []

    async def backup(now: datetime) -> Path:
        made.append(now)
        return await create_backup(db, data_dir=tmp_path, key=KEY, now=now)

    service = ReminderScheduler(db, RecordingNotifier([]), clock=lambda: NOW, backup=backup)
    service.start()
    try:
        job = service.scheduler.get_job("backup")
        assert job is not None
        assert job.next_run_time.hour == 2 and job.next_run_time.minute == 30
    finally:
        service.shutdown()
    await service.daily_backup()
    assert made == [NOW]
    assert (backup_dir(tmp_path) / "crm-20261204T023000Z.db.enc").is_file()

    without = ReminderScheduler(db, RecordingNotifier([]), clock=lambda: NOW)
    without.start()
    try:
        assert without.scheduler.get_job("backup") is None
    finally:
        without.shutdown()
