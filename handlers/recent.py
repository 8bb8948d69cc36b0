"""Per-chat memory of recently mentioned records, in FSM storage under its own key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiogram.fsm.context import FSMContext

from nlu import context
from nlu.interpreter import Mention


def _store(state: FSMContext) -> FSMContext:
    return FSMContext(storage=state.storage, key=replace(state.key, destiny="recent"))


async def note(state: FSMContext, results: Sequence[Any], now: datetime) -> None:
    mentions = context.mentions_in(results)
    if mentions:
        store = _store(state)
        await store.set_data(context.remember(await store.get_data(), mentions, now))


async def recall(state: FSMContext, now: datetime) -> tuple[Mention, ...]:
    return context.recall(await _store(state).get_data(), now)
