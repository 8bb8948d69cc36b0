"""Encrypted file storage: documents (and staged imports) at rest under DATA_DIR.

Each file is AES-256-GCM encrypted with a fresh 96-bit nonce, stored as ``nonce || ciphertext``
under ``documents/<agency>/<sha256 of the plaintext>``: the same file sent twice to one agency
is stored once. The agency id and the hash are bound as associated data, so a blob copied to
another agency's folder or renamed does not decrypt. The key comes from settings
(``DATA_ENCRYPTION_KEY``, base64) or is generated into ``DATA_DIR/secret.key`` on first run;
it is never logged.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "secret.key"
NONCE_SIZE = 12
TAG_SIZE = 16
OVERHEAD = NONCE_SIZE + TAG_SIZE
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_STAGED_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
STAGED_LIFETIME_SECONDS = 24 * 3600


class StorageError(Exception):
    """A stored file is missing or does not decrypt (tampered, wrong key)."""


class EncryptionKeyError(ValueError):
    """DATA_ENCRYPTION_KEY is not 32 bytes of base64."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_key(data_dir: Path, configured: str | None) -> bytes:
    """The 32-byte key: from settings, else from DATA_DIR/secret.key (created 0600 if absent)."""
    if configured:
        try:
            key = base64.b64decode(configured.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise EncryptionKeyError("DATA_ENCRYPTION_KEY is not valid base64") from None
        if len(key) != 32:
            raise EncryptionKeyError("DATA_ENCRYPTION_KEY must decode to 32 bytes")
        return key
    path = data_dir / KEY_FILE
    if path.exists():
        key = base64.b64decode(path.read_bytes().strip())
        if len(key) != 32:
            raise EncryptionKeyError(f"{path} does not hold a 32-byte key")
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    # O_EXCL: two processes starting together must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_key(data_dir, None)
    with os.fdopen(fd, "wb") as file:
        file.write(base64.b64encode(key) + b"\n")
    return key


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int  # of the plaintext


class FileStore:
    """Encrypted, content-addressed files per agency. Paths are built from validated parts
    only (an integer agency id, a hex hash), never from a user's file name."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self._aead = AESGCM(key)

    def __repr__(self) -> str:  # never show the key
        return f"FileStore({str(self.root)!r})"

    @classmethod
    def open(cls, data_dir: Path, configured_key: str | None = None) -> FileStore:
        return cls(data_dir, load_key(data_dir, configured_key))

    # -- documents ------------------------------------------------------------------------

    def path(self, agency_id: int, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise StorageError("not a sha256")
        return self.root / "documents" / str(int(agency_id)) / sha256

    def put(self, agency_id: int, data: bytes) -> StoredFile:
        """Store ``data`` for the agency (once: an existing copy is kept)."""
        digest = sha256_of(data)
        path = self.path(agency_id, digest)
        if not path.exists():
            self._write(path, self._seal(data, self._aad(agency_id, digest)))
        return StoredFile(digest, len(data))

    def exists(self, agency_id: int, sha256: str) -> bool:
        try:
            return self.path(agency_id, sha256).is_file()
        except StorageError:
            return False

    def size(self, agency_id: int, sha256: str) -> int:
        return self.path(agency_id, sha256).stat().st_size - OVERHEAD

    def get(self, agency_id: int, sha256: str) -> bytes:
        path = self.path(agency_id, sha256)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise StorageError("missing") from None
        data = self._open(blob, self._aad(agency_id, sha256))
        if sha256_of(data) != sha256:
            raise StorageError("hash mismatch")
        return data

    def delete(self, agency_id: int, sha256: str) -> None:
        self.path(agency_id, sha256).unlink(missing_ok=True)

    def stored(self) -> Iterator[tuple[int, str, float]]:
        """(agency id, hash, modification time) of every stored document file."""
        root = self.root / "documents"
        if not root.is_dir():
            return
        for folder in root.iterdir():
            if not folder.name.isdigit():
                continue
            for file in folder.iterdir():
                if _SHA256.match(file.name):
                    with contextlib.suppress(FileNotFoundError):
                        yield int(folder.name), file.name, file.stat().st_mtime

    # -- staged uploads (an import waiting for the user's confirmation) --------------------

    def stage(self, agency_id: int, data: bytes) -> str:
        """Keep ``data`` encrypted until :meth:`take_staged`; returns an unguessable id."""
        folder = self.root / "staging" / str(int(agency_id))
        self._prune(folder)
        staged_id = secrets.token_urlsafe(16)
        self._write(folder / staged_id, self._seal(data, self._aad(agency_id, staged_id)))
        return staged_id

    def read_staged(self, agency_id: int, staged_id: str) -> bytes:
        try:
            blob = self._staged_path(agency_id, staged_id).read_bytes()
        except FileNotFoundError:
            raise StorageError("missing") from None
        return self._open(blob, self._aad(agency_id, staged_id))

    def take_staged(self, agency_id: int, staged_id: str) -> bytes:
        """The staged bytes, removed from disk (a staged import runs once)."""
        data = self.read_staged(agency_id, staged_id)
        self._staged_path(agency_id, staged_id).unlink(missing_ok=True)
        return data

    def _staged_path(self, agency_id: int, staged_id: str) -> Path:
        if not _STAGED_ID.match(staged_id):
            raise StorageError("bad staged id")
        return self.root / "staging" / str(int(agency_id)) / staged_id

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _aad(agency_id: int, name: str) -> bytes:
        return f"{int(agency_id)}/{name}".encode()

    def _seal(self, data: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return nonce + self._aead.encrypt(nonce, data, aad)

    def _open(self, blob: bytes, aad: bytes) -> bytes:
        try:
            return self._aead.decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], aad)
        except (InvalidTag, ValueError):
            raise StorageError("does not decrypt") from None

    @staticmethod
    def _write(path: Path, blob: bytes) -> None:
        # Write then rename: a crash never leaves a half-written file under the final name.
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        temp.write_bytes(blob)
        os.chmod(temp, 0o600)
        temp.replace(path)

    @staticmethod
    def _prune(folder: Path) -> None:
        if not folder.is_dir():
            return
        cutoff = time.time() - STAGED_LIFETIME_SECONDS
        for old in folder.iterdir():
            with contextlib.suppress(FileNotFoundError):  # taken meanwhile by another worker
                if old.stat().st_mtime < cutoff:
                    old.unlink(missing_ok=True)


# -- whole files (backups) ----------------------------------------------------------------------

FILE_MAGIC = b"CRMENC1\n"
FILE_CHUNK = 1024 * 1024  # plaintext bytes per AES-GCM record: memory stays bounded


def _chunk_aad(index: int, final: bool) -> bytes:
    # Binding the position and the last-record flag makes a reordered, cut or spliced file
    # fail to decrypt instead of restoring silently short.
    return FILE_MAGIC + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def encrypt_file(source: Path, target: Path, key: bytes) -> None:
    """Encrypt ``source`` into ``target`` (mode 0600) with the documents' key, streamed: any
    size, 1 MiB at a time. Format: magic, then records ``nonce || ciphertext+tag``; every
    record but the last holds exactly FILE_CHUNK bytes (the last may hold none)."""
    aead = AESGCM(key)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        out.write(FILE_MAGIC)
        index = 0
        while True:
            chunk = src.read(FILE_CHUNK)
            final = len(chunk) < FILE_CHUNK
            nonce = os.urandom(NONCE_SIZE)
            out.write(nonce + aead.encrypt(nonce, chunk, _chunk_aad(index, final)))
            if final:
                break
            index += 1
    os.chmod(target, 0o600)


def decrypt_file(source: Path, target: Path, key: bytes) -> None:
    """Decrypt a file written by :func:`encrypt_file` into ``target`` (mode 0600); raises
    StorageError on a wrong key, a damaged or truncated file (``target`` is then removed)."""
    aead = AESGCM(key)
    record = NONCE_SIZE + FILE_CHUNK + TAG_SIZE
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            if src.read(len(FILE_MAGIC)) != FILE_MAGIC:
                raise StorageError("not an encrypted backup file")
            index = 0
            while True:
                blob = src.read(record)
                final = len(blob) < record
                if len(blob) < OVERHEAD:
                    raise StorageError("truncated")
                try:
                    data = aead.decrypt(
                        blob[:NONCE_SIZE], blob[NONCE_SIZE:], _chunk_aad(index, final)
                    )
                except InvalidTag:
                    raise StorageError(
                        "does not decrypt: wrong key (DATA_ENCRYPTION_KEY / secret.key)"
                        " or a damaged file"
                    ) from None
                out.write(data)
                if final:
                    break
                index += 1
            if src.read(1):
                raise StorageError("trailing data after the last record")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
