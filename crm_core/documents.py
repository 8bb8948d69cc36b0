"""Documents: which files an agency may store, and the views of stored ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath

from crm_core.views import RecordLink, View

# Telegram's Bot API lets a bot download files up to 20 MB.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

# Extension -> the MIME type we store and send back. A file is judged by its name's
# extension: the type a client claims is not trusted more than that.
ALLOWED_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "txt": "text/plain",
}


def extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def allowed_mime(name: str) -> str | None:
    """The MIME type to store for a file called ``name``; None when the type is refused."""
    return ALLOWED_TYPES.get(extension(name))


class DocumentView(View):
    ref: str
    name: str
    mime_type: str
    size: int
    sha256: str
    created_at: datetime
    record: RecordLink | None = None
    # True when this very file was already attached to the record (nothing new stored).
    already_attached: bool = False


class DocumentList(View):
    record: RecordLink | None = None
    items: list[DocumentView]
    total: int
