"""Callback data of every button. Each packs to well under Telegram's 64 bytes."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class OpenRecord(CallbackData, prefix="o"):
    ref: str


class RunOperation(CallbackData, prefix="op"):
    """Run ``op`` on the record ``ref``; ``extra`` is one more argument as ``field=value``."""

    op: str
    ref: str
    extra: str = ""


class StartForm(CallbackData, prefix="f"):
    form: str
    ref: str = ""


class EditField(CallbackData, prefix="ed"):
    ref: str
    field: str


class PendingAnswer(CallbackData, prefix="pa"):
    """Yes/no to a confirmation, or the pick among ambiguous records: bound to a one-time
    token held server-side, so the button cannot be replayed or forged."""

    token: str
    choice: str


class FormAnswer(CallbackData, prefix="fa"):
    """A button answer to the current step of a guided form (a choice, or skip)."""

    value: str


class Menu(CallbackData, prefix="m"):
    name: str
    value: str = ""


class Describe(CallbackData, prefix="wd"):
    """Write the listing text of ``ref`` again, in this tone and language."""

    ref: str
    tone: str
    lang: str


class SaveDescription(CallbackData, prefix="sd"):
    """Save the listing text shown in this very message to the property ``ref``."""

    ref: str


class SendDocument(CallbackData, prefix="ds"):
    ref: str
