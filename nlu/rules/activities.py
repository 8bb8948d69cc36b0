"""Activities that took place: "called Marie", "j'ai appelé Paul", "visite du P3 avec Marie",
"met Paul". The same words with a time to come make a reminder instead ("rdv avec Paul demain
14h")."""

from __future__ import annotations

import re

from nlu.interpreter import OperationCall
from nlu.rules import reminders
from nlu.rules.common import Reading, call, name_after, words
from nlu.rules.references import CONTACT_PRONOUN, PROPERTY_PRONOUN
from nlu.rules.text import Text, tidy

_DONE_KINDS = [
    (
        "call",
        words(
            r"called",
            r"phoned",
            r"rang",
            r"spoke (?:to|with)",
            r"talked (?:to|with)",
            r"had a call with",
            r"call with",
            r"called back",
            r"(?:j'?ai )?appele",
            r"appel avec",
            r"eu au (?:tel|telephone|tél)",
            r"eu \w+ au (?:tel|telephone)",
            r"tel avec",
            r"coup de fil (?:a|avec)",
            r"(?:j'?ai )?rappele",
            r"(?:j'?ai )?parle (?:a|avec)",
            r"call done",
            r"appel fait",
            r"called her",
            r"called him",
        ),
    ),
    (
        "visit",
        words(
            r"visited",
            r"showed",
            r"did (?:a|the) visit",
            r"visit done",
            r"viewing (?:done|with)",
            r"(?:j'?ai )?fait visiter",
            r"(?:j'?ai )?fait (?:la|une) visite",
            r"visite (?:faite|effectuee)",
            r"a visite",
            r"ont visite",
            r"visite du",
            r"visite de",
            r"visite avec",
            r"visit(?:ed)? with",
            r"(?:visit|viewing|showing) (?:of|at)",
            r"showing with",
            r"visite",
        ),
    ),
    (
        "meeting",
        words(
            r"met",
            r"met with",
            r"had a meeting",
            r"meeting with",
            r"(?:j'?ai )?rencontre",
            r"(?:j'?ai )?vu",
            r"saw",
            r"rdv avec",
            r"rendez[- ]vous avec",
            r"reunion avec",
            r"dej avec",
            r"lunch with",
            r"appt with",
            r"coffee with",
            r"cafe avec",
            r"rdv",
            r"meeting",
        ),
    ),
    (
        "email",
        words(
            r"emailed",
            r"mailed",
            r"sent (?:an |a )?e?-?mail",
            r"(?:j'?ai )?envoye (?:un )?e?-?mail",
            r"(?:e-?)?mail envoye",
            r"ecrit a",
            r"wrote to",
        ),
    ),
    (
        "message",
        words(
            r"texted",
            r"sent (?:a |an )?(?:text|sms|message|whatsapp)",
            r"messaged",
            r"whatsapped",
            r"(?:j'?ai )?envoye (?:un )?(?:sms|texto|message|whatsapp)",
            r"sms envoye",
            r"texto",
        ),
    ),
]
_WITH = words(
    "with",
    "avec",
    "to",
    "a",
    "called",
    "phoned",
    "rang",
    "met",
    "saw",
    "visited",
    "appele",
    "rappele",
    "rencontre",
    "vu",
    "emailed",
    "texted",
    "messaged",
    "mailed",
    "showed",
    "de",
    "du",
    "eu",
    "pour",
)
_SUMMARY = re.compile(r"\s*[:,;—–-]\s*|\s+(?:about|au sujet de|concernant|re|pour|to discuss)\s+")


def _kind(low: str) -> tuple[str, re.Match[str]] | None:
    best: tuple[str, re.Match[str]] | None = None
    for kind, pattern in _DONE_KINDS:
        match = pattern.search(low)
        if match and (best is None or match.start() < best[1].start()):
            best = (kind, match)
    return best


_NOUNS = re.compile(
    r"rdv|meeting|visite|visit|appt|rdv avec|meeting with|rendez[- ]vous avec"
    r"|reunion avec|visite (?:du|de|avec)|visit with|showing with|appt with"
    r"|lunch with|dej avec|coffee with|cafe avec"
)
_HAPPENED = words(
    "fait",
    "faite",
    "done",
    "effectue",
    "effectuee",
    "hier",
    "yesterday",
    "ce matin",
    "this morning",
    "went well",
    "s'est bien passe",
    "ok",
)


def log(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    found = _kind(clause.low)
    if found is None:
        return None
    kind, match = found
    moment = clause.moment
    past = moment is not None and moment.at <= reading.now
    if _NOUNS.fullmatch(match[0]):
        # "rdv avec Paul demain 14h" is an appointment to remember, not one that happened.
        if moment is not None and not past:
            text = clause.without_moment or clause.text
            return [made] if (made := reminders.reminder_call(reading, text)) else None
        if not past and not _HAPPENED.search(clause.low) and not re.search(r"[:,]", clause.low):
            return None
    # A past moment ("hier") is when it happened; a future one belongs to the summary.
    text = clause.without_moment if past and clause.without_moment else clause.text
    contact = _contact(reading, text)
    prop = clause.ref("P")
    if prop is None and PROPERTY_PRONOUN.search(text.low):
        target = reading.scope.latest("property")
        prop = target.ref if target else None
    if contact is None and prop is None and clause.ref("D") is None:
        return None
    return [
        call(
            "log_activity",
            kind=kind,
            contact=contact,
            property=prop,
            deal=clause.ref("D"),
            summary=_summary(text, match.end()),
            occurred_at=moment.iso() if past and moment is not None else None,
        )
    ]


def _contact(reading: Reading, text: Text) -> str | None:
    ref = reading.clause.ref("C")
    if ref:
        return ref
    name = name_after(_without_refs(text), _WITH)
    if name is not None:
        known = reading.scope.named(name)
        return known.ref if known else name
    if CONTACT_PRONOUN.search(text.low):
        target = reading.scope.latest("contact")
        return target.ref if target else None
    return None


def _summary(text: Text, after: int) -> str | None:
    match = _SUMMARY.search(text.low, after)
    if not match:
        return None
    summary = tidy(text.raw[match.end() :])
    # "about D4, signing on the 18th": the record is linked already, the rest is the summary.
    summary = tidy(re.sub(r"^[CPDRcpdr]\d+\s*[,;:—–-]\s*", "", summary))
    return summary or None


def _without_refs(text: Text) -> Text:
    for match in reversed(list(re.finditer(r"(?<![\w])[cpdr]\d+(?![\w])", text.low))):
        text = text.cut(match.start(), match.end())
    return text
