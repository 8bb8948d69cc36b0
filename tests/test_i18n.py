"""Every user-visible string exists in English and French, and the French keeps the
placeholders and markup the code fills in."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[^}]*\}")
TAG = re.compile(r"</?[a-z]+")


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def _extracted_ids(tmp_path: Path) -> set[str]:
    """The msgids in the code right now (the committed .pot may be stale)."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_", "-k", "__", "-k", "N_", "-k", "ngettext:1,2", "--no-location",
         "-o", str(pot), "bot", "crm_core", "handlers", "nlu"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as file:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(file) if m.id}


def test_every_string_in_the_code_is_translated_to_french(tmp_path: Path) -> None:
    french = _catalog("fr")
    missing = [
        msgid
        for msgid in sorted(_extracted_ids(tmp_path))
        if (message := french.get(msgid)) is None
        or not all(message.string if isinstance(message.string, tuple) else [message.string])
        or message.fuzzy
    ]
    assert missing == [], "run `make i18n` and translate:\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", ["fr"])
def test_translations_keep_placeholders_and_markup(locale: str) -> None:
    wrong = []
    for message in _catalog(locale):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in filter(None, strings):  # untranslated ones are the other test's concern
            if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(source[-1])):
                wrong.append((source[0], text))
            if sorted(TAG.findall(text)) != sorted(TAG.findall(source[0])):
                wrong.append((source[0], text))
    assert wrong == []
