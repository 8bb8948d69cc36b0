"""Bytes of an uploaded text file -> str, refusing what is not text."""

from __future__ import annotations

import codecs
import unicodedata

from crm_core.imports import ImportProblem

# Signatures of files that are not text, whatever their name says.
BINARY_MAGIC = (
    b"PK\x03\x04",  # zip: xlsx, ods, docx
    b"\xd0\xcf\x11\xe0",  # old Office: xls, doc
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",  # jpeg
    b"GIF8",
    b"\x7fELF",
    b"MZ",
)
MAX_CONTROL_RATIO = 0.01


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if not data.strip():
        raise ImportProblem("empty")
    if data.startswith(BINARY_MAGIC):
        raise ImportProblem("binary")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _strict(data, "utf-16")
    elif b"\x00" in data:
        raise ImportProblem("binary")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel on Windows saves "CSV" in the ANSI code page: Windows-1252 in France.
            text = _strict(data, "cp1252")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\x0c")
    if controls > max(2, len(text) * MAX_CONTROL_RATIO):
        raise ImportProblem("binary")
    return text


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportProblem("encoding") from None
