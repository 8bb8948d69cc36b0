"""Listing texts written by Claude, from a property's facts only (the operation decides what
the facts are; see crm_core.descriptions). Any provider fault becomes DescriptionUnavailable,
and the operation falls back to its template."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from anthropic import AnthropicError, AsyncAnthropic
from anthropic.types import Message as ApiMessage

from crm_core.descriptions import DescriptionUnavailable

LANGUAGES = {"en": "English", "fr": "French"}
TONES = {
    "standard": "clear and professional",
    "warm": "warm and welcoming",
    "premium": "refined, for a demanding clientele",
    "concise": "very short: two sentences at most",
}
SYSTEM = """\
You write real-estate listing texts (ads) for an agency. You are given the facts of one \
property as JSON, and nothing else exists about it.

Rules:
- Use only the facts given. Never add a feature, room, view, balcony, garden, parking, \
condition, floor, orientation, neighbourhood detail or anything else the facts do not state.
- State the surface (surface_m2, in m²) and the price exactly as given, with the currency. For \
a rental (transaction "rent") the price is the monthly rent.
- Plain text only: no markdown, no headings, no emojis, at most 120 words.
- Answer with the listing text alone."""


class ClaudeDescriptionWriter:
    def __init__(self, client: AsyncAnthropic, *, model: str, max_tokens: int = 600) -> None:
        self.client = client
        self.model = model
        self.max_tokens = max_tokens

    async def write(self, facts: Mapping[str, Any], tone: str, language: str) -> str:
        request = (
            f"Language: {LANGUAGES.get(language, 'English')}. "
            f"Tone: {TONES.get(tone, TONES['standard'])}.\n"
            f"Facts: {json.dumps(dict(facts), ensure_ascii=False, sort_keys=True)}"
        )
        try:
            response = await self.client.messages.create(
                model=self.model,
                max_tokens=self.max_tokens,
                system=SYSTEM,
                messages=[{"role": "user", "content": request}],
            )
        except (AnthropicError, ValueError) as error:  # ValueError: a body that is not JSON
            raise DescriptionUnavailable(type(error).__name__) from error
        return _text_of(response)


def _text_of(response: Any) -> str:
    # Read defensively: the SDK does not validate responses strictly.
    content = getattr(response, "content", None)
    if not isinstance(response, ApiMessage) or not isinstance(content, list):
        raise DescriptionUnavailable("malformed response")
    if response.stop_reason not in ("end_turn", "stop_sequence"):
        raise DescriptionUnavailable(f"stopped: {response.stop_reason}")
    texts = [b.text for b in content if getattr(b, "type", None) == "text"]
    text = "\n\n".join(t.strip() for t in texts if isinstance(t, str) and t.strip())
    if not text:
        raise DescriptionUnavailable("empty answer")
    return text
