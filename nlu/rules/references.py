"""Who or what a clause is about: short refs, pronouns resolved against the chat's recent
mentions ("call her" -> the last contact), and names typed in the text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlu.interpreter import Mention
from nlu.rules.clauses import Clause
from nlu.rules.text import Text, tidy
from nlu.rules.vocabulary import (
    NOT_NAMES,
    PROPERTY_STATUSES,
    PROPERTY_TYPES,
    ROLES,
    STAGES,
    STOPWORDS,
)

CONTACT_PRONOUN = re.compile(
    r"(?<![\w])(?:her|him|them)(?![\w])"
    r"|-(?:la|le|lui)(?![\w])"
    r"|(?<![\w])(?:la|le|lui|l')\s*(?=(?:re)?(?:appel|contact|voir|relanc|envoy|ecri|rencontr|"
    r"rappel|texter|sms|mail|faire visiter))"
    r"|(?<![\w])(?:l'|la |le )(?:rappeler|appeler|relancer|contacter|voir)"
    # "rappelle la demain": the pronoun after the verb when no noun follows it.
    r"|(?<![\w])(?:appelle|rappelle|relance|contacte|vois|recontacte)\s+(?:la|le|lui)"
    r"(?=\s*(?:$|[,.;!?]|demain|ce |cet |lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    r"|a \d|à \d|vers|\d))"
    # "confirmer avec lui", "passer chez elle": the stressed pronoun after a preposition
    r"|(?<![\w])(?:avec|pour|chez|aupres d') ?(?:lui|elle)(?![\w])"
)
# "elle a visité hier", "she loved it": the person as the subject opening the clause.
SUBJECT_PRONOUN = re.compile(r"^\s*(?:elle|il|she|he)(?![\w'])")
POSSESSIVE = re.compile(r"(?<![\w])(?:her|his|son|sa|ses|leur)(?![\w])")
PROPERTY_PRONOUN = re.compile(
    r"(?<![\w])(?:it|its|this one|the property|this property|the listing|this listing|le bien"
    r"|ce bien|l'annonce|cette annonce|the flat|the house|l'appart|la maison|le mandat"
    r"|that property|that listing|that house|that flat|that apartment|cet appart(?:ement)?"
    r"|cette maison)(?![\w])"
)
DEAL_PRONOUN = re.compile(
    r"(?<![\w])(?:it|its|the deal|this deal|le deal|ce deal|l'affaire|cette affaire|le dossier"
    r"|ce dossier|la vente|the sale)(?![\w])"
)
_NAME_WORD = re.compile(r"[^\W\d_][\w'-]*")
_TITLE = re.compile(
    r"(?:mme|mmes|mlle|mle|madame|mademoiselle|monsieur|messieurs|m\.|mr\.?|mrs\.?|ms\.?"
    r"|miss|dr\.?|docteur|doctor|pr\.?|prof\.?|maitre|me\.)\s+(?=\w)"
)
_PARTICLES = {"de", "du", "van", "von", "le", "la", "da", "di", "des", "el"}


@dataclass(frozen=True)
class Target:
    kind: str  # contact, property, deal, reminder
    ref: str  # a short ref, or the name of a record created earlier in the same message
    label: str


@dataclass
class Scope:
    """What pronouns can point to: records created earlier in this message (by name), then
    the chat's recent mentions, most recent first."""

    mentions: list[Target] = field(default_factory=list)

    @classmethod
    def of(cls, recent: tuple[Mention, ...]) -> Scope:
        return cls([Target(m.kind, m.ref, m.label) for m in recent])

    def latest(self, kind: str) -> Target | None:
        return next((m for m in self.mentions if m.kind == kind), None)

    def push(self, kind: str, ref: str, label: str) -> None:
        self.mentions.insert(0, Target(kind, ref, label))

    def named(self, name: str) -> Target | None:
        """A recent contact whose name is this (or starts with it: "Marie" -> "Marie D.")."""
        key = name.casefold()
        for mention in self.mentions:
            if mention.kind != "contact":
                continue
            label = mention.label.casefold()
            if label == key or label.startswith(key + " "):
                return mention
        return None


# "c'est", "j'ai", "qu'il", "he's", "that's": a clause going on after the name, never part of
# it (names with an apostrophe keep theirs: "O'Brien", "d'Arc").
_ELIDED = re.compile(
    r"(?:c|j|qu|n|s|m|t|jusqu|lorsqu|puisqu|he|she|it|that|there|what|who|i|you|we|they)'\w*"
)


def is_name_word(word: str) -> bool:
    low = word.lower()
    return (
        bool(_NAME_WORD.fullmatch(word))
        and not _ELIDED.fullmatch(low)
        and low not in STOPWORDS
        and low not in NOT_NAMES
        # "L'Equipe", "L'Agence": an article elided onto a noun
        and not low.startswith("l'")
        and low not in ROLES
        and low not in PROPERTY_TYPES
        and low not in STAGES
        and low not in PROPERTY_STATUSES
    )


def name_at(
    text: Text, start: int, *, max_words: int = 4, capital: bool = False
) -> tuple[str, int] | None:
    """The person's name starting at ``start`` (after spaces): up to ``max_words`` name-like
    words separated by single spaces; stops at punctuation, vocabulary or a removed entity."""
    index = start
    while index < len(text.raw) and text.raw[index] in " ,:-":
        index += 1
    # A civility is not part of the name the CRM stores ("Mme Isabelle Faure").
    title = _TITLE.match(text.low, index)
    if title:
        index = title.end()
    words: list[str] = []
    end = index
    pattern = re.compile(r"([^\W\d_][\w'-]*)( ?)")
    while len(words) < max_words:
        match = pattern.match(text.raw, end)
        if not match:
            break
        word = match[1]
        low = text.low[match.start(1) : match.end(1)]
        if (low in _PARTICLES and words) or (
            is_name_word(low) and (word[0].isupper() or not words or words[0][0].islower())
        ):
            words.append(word)
        else:
            break
        end = match.end(1)
        if not match[2]:
            break
        end = match.end()
    while words and words[-1].lower() in _PARTICLES:
        words.pop()
    if not words:
        return None
    # A name typed in lowercase is only believed when the whole message is lowercase.
    if capital and words[0][0].islower() and text.raw != text.raw.lower():
        return None
    name = " ".join(words)
    if name.islower():
        name = name.title()
    return tidy(name), end


def contact_of(clause: Clause, scope: Scope, text: Text | None = None) -> str | None:
    """The contact a clause names: a C-ref, a pronoun for the last contact."""
    ref = clause.ref("C")
    if ref:
        return ref
    low = (text or clause.text).low
    if CONTACT_PRONOUN.search(low) or POSSESSIVE.search(low):
        mention = scope.latest("contact")
        return mention.ref if mention else None
    return None


def property_of(clause: Clause, scope: Scope) -> str | None:
    ref = clause.ref("P")
    if ref:
        return ref
    if PROPERTY_PRONOUN.search(clause.low):
        mention = scope.latest("property")
        return mention.ref if mention else None
    return None


def deal_of(clause: Clause, scope: Scope) -> str | None:
    ref = clause.ref("D")
    if ref:
        return ref
    if DEAL_PRONOUN.search(clause.low):
        mention = scope.latest("deal")
        return mention.ref if mention else None
    return None


# "passe-le à 780k", "baisse la à 750k": an object pronoun, whose kind the field decides.
OBJECT_PRONOUN = re.compile(r"^\s*[\w']+(?:-| )(?:le|la|l')(?= |$)")


def latest_any(scope: Scope, kinds: tuple[str, ...]) -> Target | None:
    """The most recent mention of one of ``kinds``."""
    return next((m for m in scope.mentions if m.kind in kinds), None)


def label_of(ref: str, scope: Scope) -> str:
    return next((m.label for m in scope.mentions if m.ref == ref), ref)
