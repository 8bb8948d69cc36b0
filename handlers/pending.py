"""Actions waiting for the user's answer (a confirmation, or a pick among homonyms).

Kept in FSM storage under their own key (memory, or Redis at scale), bound to a random
one-time token that the button carries: a button works once, expires, and can only run the
exact arguments that were stored when it was shown.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiogram.fsm.context import FSMContext

MAX_PENDING = 20


def _store(state: FSMContext) -> FSMContext:
    return FSMContext(storage=state.storage, key=replace(state.key, destiny="pending"))


async def put(state: FSMContext, now: datetime, ttl_seconds: int, action: dict[str, Any]) -> str:
    store = _store(state)
    pending = {
        token: item
        for token, item in (await store.get_data()).items()
        if item.get("expires", 0) > now.timestamp()
    }
    token = secrets.token_urlsafe(8)
    pending[token] = {**action, "expires": now.timestamp() + ttl_seconds}
    if len(pending) > MAX_PENDING:  # keep the newest
        pending = dict(list(pending.items())[-MAX_PENDING:])
    await store.set_data(pending)
    return token


async def take(state: FSMContext, token: str, now: datetime) -> dict[str, Any] | None:
    """The stored action, removed so that it cannot run twice; None if gone or expired."""
    store = _store(state)
    pending = await store.get_data()
    action = pending.pop(token, None)
    await store.set_data(pending)
    if action is None or action.get("expires", 0) <= now.timestamp():
        return None
    return dict(action)
