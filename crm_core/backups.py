"""Encrypted database backups under ``DATA_DIR/backups`` (``run_bot.py backup``, a daily job).

A backup is a consistent copy of the whole database: SQLite's online backup API (a snapshot
even while the bot writes, WAL included), or ``pg_dump --format=custom`` on PostgreSQL. The
copy is encrypted with the documents' key (:func:`crm_core.storage.encrypt_file`, streamed,
no size limit) into ``crm-<UTC time>.db.enc`` / ``.dump.enc``, mode 0600; the plaintext copy
lives only in a 0600 temporary file beside it, removed at once. Retention goes by the time in
the name (an mtime changes when files are copied between hosts).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import URL

from crm_core.db import Database
from crm_core.storage import decrypt_file, encrypt_file

BACKUP_DIR = "backups"
KEEP_DAYS = 90
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^crm-(\d{8}T\d{6}Z)\.(db|dump)\.enc$")


class BackupError(Exception):
    """A backup cannot be made or restored (the message says why)."""


@dataclass(frozen=True)
class Restored:
    path: Path
    next_step: str | None = None  # PostgreSQL: the pg_restore command to run


def backup_dir(data_dir: Path) -> Path:
    return data_dir / BACKUP_DIR


def backup_time(path: Path) -> datetime | None:
    """The UTC time in a backup's name; None for any other file."""
    match = _NAME.match(path.name)
    if match is None:
        return None
    return datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)


async def create_backup(db: Database, *, data_dir: Path, key: bytes, now: datetime) -> Path:
    """Copy the database consistently, encrypt the copy, return the encrypted file."""
    suffix = "db" if db.is_sqlite else "dump"
    name = f"crm-{now.astimezone(UTC).strftime(_STAMP)}.{suffix}.enc"
    plain = await asyncio.to_thread(_plain_file, backup_dir(data_dir))
    try:
        if db.is_sqlite:
            await asyncio.to_thread(_copy_sqlite, _sqlite_file(db.engine.url), plain)
        else:
            await _pg_dump(db.engine.url, plain)
        return await asyncio.to_thread(_seal, plain, plain.with_name(name), key)
    finally:
        await asyncio.to_thread(plain.unlink, missing_ok=True)


def prune_backups(folder: Path, now: datetime, keep_days: int = KEEP_DAYS) -> list[Path]:
    """Delete the backups named with a time more than ``keep_days`` before ``now``."""
    if not folder.is_dir():
        return []
    cutoff = now - timedelta(days=keep_days)
    removed = []
    for path in sorted(folder.iterdir()):
        taken = backup_time(path)
        if taken is not None and taken < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


async def backup_and_prune(
    db: Database, *, data_dir: Path, key: bytes, now: datetime, keep_days: int = KEEP_DAYS
) -> Path:
    path = await create_backup(db, data_dir=data_dir, key=key, now=now)
    prune_backups(backup_dir(data_dir), now, keep_days)
    return path


def restore_backup(path: Path, target: Path, key: bytes) -> Restored:
    """Decrypt a backup into ``target``, a new file (an existing one is never overwritten).
    SQLite: ``target`` is the restored database. PostgreSQL: ``target`` is the dump, and
    :attr:`Restored.next_step` the ``pg_restore`` command that loads it."""
    kind = _NAME.match(path.name)
    if kind is None:
        raise BackupError(f"{path.name} is not a backup name (crm-<time>.db.enc / .dump.enc)")
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    if target.exists():
        raise BackupError(f"{target} exists: restore into a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.restoring")
    try:
        decrypt_file(path, temp, key)
        if kind.group(2) == "db":
            _check_sqlite(temp)
        try:
            os.link(temp, target)  # fails if the target appeared meanwhile: no overwrite
        except FileExistsError:
            raise BackupError(f"{target} exists: restore into a new file") from None
    finally:
        temp.unlink(missing_ok=True)
    if kind.group(2) == "db":
        return Restored(target)
    command = f"pg_restore --dbname=<empty database URL> --no-owner --role=<owner> {target}"
    return Restored(target, command)


# -- internals ------------------------------------------------------------------------------


def _plain_file(folder: Path) -> Path:
    """An empty 0600 file for the unencrypted copy, in the backups folder (0700)."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".plain-", suffix=".tmp")
    os.close(fd)
    return Path(name)


def _seal(plain: Path, target: Path, key: bytes) -> Path:
    sealed = target.with_name(f".{target.name}.tmp")
    try:
        encrypt_file(plain, sealed, key)
        sealed.replace(target)  # never a half-written file under a backup's name
    finally:
        sealed.unlink(missing_ok=True)
    return target


def _sqlite_file(url: URL) -> Path:
    name = url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("only a SQLite database file can be backed up")
    path = Path(name)
    if not path.is_file():  # sqlite3.connect would create an empty one
        raise BackupError(f"the database file {path} does not exist")
    return path


def _copy_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _check_sqlite(path: Path) -> None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (result,) = connection.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the decrypted file is not a SQLite database: {error}") from None
    finally:
        connection.close()
    if result != "ok":
        raise BackupError(f"the restored database fails its check: {result}")


async def _pg_dump(url: URL, target: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError("pg_dump is not on PATH: install the PostgreSQL client tools")
    # The password goes through the environment, not the command line (visible in ps);
    # driver-specific query options (asyncpg's) are not libpq's, so they are dropped.
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None, query={}).render_as_string(
        hide_password=False
    )
    process = await asyncio.create_subprocess_exec(
        program,
        "--format=custom",
        f"--file={target}",
        f"--dbname={dsn}",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip()
        raise BackupError(f"pg_dump failed ({process.returncode}): {message}")
