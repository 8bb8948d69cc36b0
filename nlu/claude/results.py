"""What goes back to the model as a ``tool_result``: compact JSON with only what it needs to
carry on (data minimisation). The user sees the full result as a card rendered by the bot, so
personal identifiers and free texts stay out of the provider's hands."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from crm_core.errors import (
    Ambiguous,
    Conflict,
    CrmError,
    Forbidden,
    InvalidInput,
    NotFound,
    UnknownOperation,
)
from crm_core.registry import Confirmation
from nlu.interpreter import Executed

# Sent as a flag only ("has_phone": true): the model never needs the value itself.
IDENTIFIERS = frozenset({"phone", "email", "address"})
# Free texts that can be long or personal: cut short.
FREE_TEXTS = frozenset({"notes", "description", "summary", "text"})
DROPPED = frozenset({"assigned_to", "source"})
TEXT_LIMIT = 160


def compact(value: Any, *, max_rows: int, tz: ZoneInfo) -> Any:
    """A JSON-ready, minimised copy of a view: no empty fields, no identifiers, lists cut to
    ``max_rows`` with the number left out."""
    if isinstance(value, BaseModel):
        out: dict[str, Any] = {}
        for name in type(value).model_fields:
            item = getattr(value, name)
            if item is None or item == [] or item == {} or name in DROPPED:
                continue
            if name in IDENTIFIERS:
                out[f"has_{name}"] = True
            elif name in FREE_TEXTS and isinstance(item, str) and len(item) > TEXT_LIMIT:
                out[name] = item[:TEXT_LIMIT] + "…"
            elif isinstance(item, list) and len(item) > max_rows:
                out[name] = [compact(i, max_rows=max_rows, tz=tz) for i in item[:max_rows]]
                out[f"{name}_not_shown"] = len(item) - max_rows
            else:
                out[name] = compact(item, max_rows=max_rows, tz=tz)
        return out
    if isinstance(value, list):
        return [compact(item, max_rows=max_rows, tz=tz) for item in value[:max_rows]]
    if isinstance(value, dict):
        return {str(k): compact(v, max_rows=max_rows, tz=tz) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def tool_result(executed: Executed, *, max_rows: int, tz: ZoneInfo) -> tuple[str, bool]:
    """(content, is_error) for one executed call."""
    if executed.error is not None:
        return explain(executed.error), True
    result = executed.result
    if isinstance(result, Confirmation):
        summary = compact(result.summary, max_rows=max_rows, tz=tz)
        return (
            "Not done yet: the user has been asked to confirm with a button, and only their "
            "press will do it. Do not call this tool again; tell the user to confirm. "
            + to_json(summary),
            False,
        )
    return to_json(compact(result, max_rows=max_rows, tz=tz)), False


def explain(error: CrmError) -> str:
    """A short explanation of a domain error. A reference the model gave is not echoed: a
    record of another agency looks exactly like a missing one."""
    if isinstance(error, NotFound):
        return f"Not found: no {error.kind} of this agency matches that reference."
    if isinstance(error, Ambiguous):
        candidates = ", ".join(f"{c.ref} {c.label}" for c in error.candidates)
        return f"Ambiguous {error.field}: several records match ({candidates}). Ask which one."
    if isinstance(error, InvalidInput):
        problems = "; ".join(
            f"{field}: {code}" + (f" ({_params(params)})" if _params(params) else "")
            for field, code, params in error.problems
        )
        return f"Invalid input: {problems}."
    if isinstance(error, Forbidden):
        return "Forbidden: only the agency owner may do this."
    if isinstance(error, Conflict):
        return f"Not possible in the record's current state: {error.code}."
    if isinstance(error, UnknownOperation):
        return unknown_tool(error.name)
    return "Failed; nothing was changed."


def _params(params: dict[str, Any]) -> str:
    # The offending value came from the model; the allowed choices help it correct itself.
    return ", ".join(f"{k}={v}" for k, v in params.items() if k != "value")


def unknown_tool(name: str) -> str:
    return f"Unknown tool {name[:60]!r}: use only the tools provided."
