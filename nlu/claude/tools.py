"""Registry operations as Anthropic tool definitions: the name, the input model's docstring as
the description, its JSON schema (cleaned of pydantic's noise) as ``input_schema``."""

from __future__ import annotations

from typing import Any

from crm_core.registry import Operation, Registry

CACHE_CONTROL = {"type": "ephemeral"}
# Keys that only describe the Python model (names of classes, null defaults) and cost tokens.
NOISE = ("title", "$defs", "definitions")
CONFIRMED_BY_USER = (
    "The user is then asked to confirm with a button: nothing is deleted until they press it."
)


def input_schema(op: Operation) -> dict[str, Any]:
    raw = op.input_model.model_json_schema()
    schema = _clean(raw, raw.get("$defs", {}))
    schema.pop("description", None)  # it is the tool's description already
    properties = schema.setdefault("properties", {})
    required = [name for name in schema.get("required", []) if name in properties]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    schema["type"] = "object"
    return schema


def _clean(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_clean(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return _clean({**target, **rest}, defs)
    variants = node.get("anyOf")
    if isinstance(variants, list):
        # ``X | None`` fields: "null" means "not given", which leaving the field out says too.
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) == 1:
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            return _clean({**kept[0], **rest}, defs)
    cleaned = {}
    for key, value in node.items():
        if key in NOISE or (key == "default" and value is None):
            continue
        if key == "properties" and isinstance(value, dict):
            # Property names are data here: a field may be called "title".
            cleaned[key] = {name: _clean(sub, defs) for name, sub in value.items()}
        else:
            cleaned[key] = _clean(value, defs)
    return cleaned


def describe(op: Operation) -> str:
    if op.destructive:
        return f"{op.description} {CONFIRMED_BY_USER}"
    return op.description


def build_tools(registry: Registry) -> list[dict[str, Any]]:
    """One tool per operation; the last carries the cache breakpoint, so the whole (stable)
    tool list is cached as the start of the prompt prefix."""
    tools: list[dict[str, Any]] = [
        {"name": op.name, "description": describe(op), "input_schema": input_schema(op)}
        for op in registry
    ]
    if tools:
        tools[-1]["cache_control"] = dict(CACHE_CONTROL)
    return tools
