"""Text the rules read: a folded copy (lowercase, no accents) aligned character for character
with what the agent typed, so a match on the folded text slices the original (names keep
their accents and capitals)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_SPACE_LIKE = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " ", "\u2007": " "})
# French elision typed with a space on a phone ("j ai", "l appeler", "qu est-ce"): the space
# becomes the apostrophe (same length, so spans stay aligned). Lowercase only: "J Arnaud" is a
# name with an initial.
# Not after an apostrophe: "he's a buyer" keeps its space.
_LOST_APOSTROPHE = re.compile(r"(?<![\w'])(qu|[cdjlmnst]) (?=[aeiouyhàâéèêîôû])")


# French phone shorthand, typed in lowercase ("Pr Dupont" is a professor, "DS" anything):
# "pr" pour, "ds" dans, "qd" quand, "tjs" toujours, "nv" nouveau, "c fait" c'est fait.
_SHORTHAND = [
    (re.compile(r"(?<![\w'@.-])pr(?= (?:[a-zà-ÿ0-9]|[CPDR]\d))"), "pour"),
    (re.compile(r"(?<![\w'@.-])ds(?= (?:\d|[a-zà-ÿ]))"), "dans"),
    (re.compile(r"(?<![\w'@.-])qd(?= )"), "quand"),
    (re.compile(r"(?<![\w'@.-])tjr?s(?![\w@.-])"), "toujours"),
    (re.compile(r"(?<![\w'@.-])nv(?= [a-zà-ÿ])"), "nouveau"),
    (re.compile(r"(?<![\w'@.-])c fait(?![\w@.-])"), "c'est fait"),
]


def _fold_char(char: str) -> str:
    base = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    ).lower()
    if len(base) == 1:
        return base
    lower = char.lower()
    return lower if len(lower) == 1 else char


def fold(text: str) -> str:
    """Lowercase without accents, same length as ``text`` ("Élodie" -> "elodie")."""
    return "".join(_fold_char(c) for c in text)


@dataclass(frozen=True)
class Text:
    """The original text and its folded twin; spans index both."""

    raw: str
    low: str

    @classmethod
    def of(cls, raw: str) -> Text:
        raw = raw.translate(_APOSTROPHES).translate(_SPACE_LIKE)
        # Whitespace runs and newlines become one space: messages are read as one line.
        raw = re.sub(r"\s+", " ", raw).strip()
        raw = _LOST_APOSTROPHE.sub(r"\1'", raw)
        for pattern, word in _SHORTHAND:
            raw = pattern.sub(word, raw)
        return cls(raw, fold(raw))

    def cut(self, start: int, end: int) -> Text:
        """The text with [start, end) blanked out (kept aligned for later spans)."""
        pad = " " * (end - start)
        return Text(
            self.raw[:start] + pad + self.raw[end:], self.low[:start] + pad + self.low[end:]
        )

    def slice(self, start: int, end: int) -> Text:
        return Text(self.raw[start:end], self.low[start:end])

    def search(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        return pattern.search(self.low)

    def original(self, match: re.Match[str], group: int | str = 0) -> str:
        return self.raw[match.start(group) : match.end(group)]

    def squeezed(self) -> str:
        return " ".join(self.raw.split())


def tidy(fragment: str) -> str:
    """A fragment of text without the punctuation and connectors left around it."""
    fragment = " ".join(fragment.split())
    return fragment.strip(" ,;:.-–—!?'\"()")
