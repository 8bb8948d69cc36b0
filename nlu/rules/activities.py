"""Activities that took place: "called Marie", "j'ai appelé Paul", "visite du P3 avec Marie",
"met Paul". The same words with a time to come make a reminder instead ("rdv avec Paul demain
14h")."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from nlu.interpreter import OperationCall
from nlu.rules import reminders
from nlu.rules.common import Reading, call, words
from nlu.rules.dates import Moment, find_moment, names_day
from nlu.rules.references import (
    CONTACT_PRONOUN,
    PROPERTY_PRONOUN,
    SUBJECT_PRONOUN,
    label_of,
    name_at,
)
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
            r"(?:je )?l'ai (?:re)?appelee?",
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
            # the person as an object pronoun: "je l'ai eue au tel", "got her on the phone"
            r"(?:je )?l'ai eue? au (?:tel|telephone|bout du fil)",
            r"(?:got|had|reached|caught) (?:her|him|them) (?:on|over) the phone",
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
            r"(?:je )?l'ai (?:vue?|rencontree?)",
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
            r"appt",
            r"appointment",
            r"rendez[- ]vous",
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
            r"(?:j'?ai )?envoye [^,;.]{1,40}? par (?:e-?mail|mail|courriel)",
            r"sent [^,;.]{1,40}? (?:by|via) e-?mail",
            r"e-?mail (?:a|to)",
            r"mail a",
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
            r"(?:j'?ai )?envoye [^,;.]{1,40}? par (?:sms|texto|whatsapp|message)",
            r"sent [^,;.]{1,40}? (?:by|via|on) (?:text|sms|whatsapp)",
            r"(?:sms|whatsapp) (?:a|to)",
            r"text to",
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
    r"rdv|meeting|visite|visit|appt|appointment|rendez[- ]vous|rdv avec|meeting with"
    r"|rendez[- ]vous avec"
    r"|reunion avec|visite (?:du|de|avec)|visit with|showing with|appt with"
    r"|lunch with|dej avec|coffee with|cafe avec"
)
# A message named by its noun ("sms à Paul pour confirmer"): a time to come makes it a reminder,
# a purpose without one says it was sent.
_MESSAGE_NOUNS = re.compile(r"e-?mail (?:a|to)|mail a|(?:sms|whatsapp) (?:a|to)|text to|texto")
_PURPOSE = re.compile(r"\s(?:pour|to|about|au sujet de|concernant|re)\s+\w")
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
# "envoyé le dossier par mail": what was sent is the summary when nothing else is said.
_SENT = re.compile(
    r"((?:j'?ai )?(?:envoye|sent) [^,;.]{1,40}?) (?:par|by|via|on) (?:e-?mail|mail|courriel"
    r"|sms|texto|text|whatsapp|message)(?![\w])"
)
# The person as an object pronoun inside the verb ("je l'ai eue au tel", "got her on the phone").
_OBJECT = re.compile(r"(?<![\w])(?:l'ai|her|him|them)(?![\w])")
# Words between a name and what was said that are no part of it ("called Tom back, ...").
_FILLER = re.compile(
    r"\s*(?:(?:back|again|earlier|just now|de nouveau|encore|tout a l'heure|to|pour)(?![\w])\s*)*"
)


def log(reading: Reading) -> list[OperationCall] | None:
    clause = reading.clause
    found = _kind(clause.low)
    if found is None:
        return None
    kind, match = found
    moment = clause.moment
    noun = _NOUNS.fullmatch(match[0]) or _MESSAGE_NOUNS.fullmatch(match[0])
    if moment is not None and moment.rolled:
        # "rdv avec Karim à 9h, mandat signé" typed at 10:00: a clock time already past today,
        # with a verb in the past or words about how it went, is when it happened, not
        # tomorrow's appointment; a noun alone could be either.
        if noun and not _reported(clause.without_moment or clause.text, match.end()):
            return []
        moment = moment.today()
    past = moment is not None and moment.at <= reading.now
    if noun:
        # "sms à Karim pour confirmer le rdv de lundi": the day is what the message is about.
        if moment is not None and not past and _dated_purpose(reading, match):
            moment = None
        # "rdv avec Paul demain 14h" is an appointment to remember, not one that happened.
        if moment is not None and not past:
            if _split_moment(reading, match.end()):
                return []
            text = clause.without_moment or clause.text
            return [made] if (made := reminders.reminder_call(reading, text)) else None
        said = _MESSAGE_NOUNS.fullmatch(match[0]) and _PURPOSE.search(clause.low, match.end())
        if (
            not past
            and not said
            and not _HAPPENED.search(clause.low)
            and not re.search(r"[:,]", clause.low)
        ):
            return None
    # A past moment ("hier") is when it happened; a future one belongs to the summary.
    text = clause.without_moment if past and clause.without_moment else clause.text
    separator = _SUMMARY.search(text.low, match.end())
    head = text.slice(0, separator.start()) if separator else text
    contact, name_end = _contact(reading, head)
    if contact is None and (_OBJECT.search(match[0]) or SUBJECT_PRONOUN.match(clause.low)):
        target = reading.scope.latest("contact")
        contact = target.ref if target else None
    summary, span = _summary(text, match.end(), separator, name_end)
    if summary is None:
        sent = _SENT.search(text.low)
        summary = tidy(text.raw[sent.start(1) : sent.end(1)]) if sent else None
    # Records named in what was said are not what the activity is about ("..., il veut P8").
    refs = [f for f in clause.refs if not span[0] <= f.start < span[1]]
    prop = next((str(f.value) for f in refs if str(f.value).startswith("P")), None)
    deal = next((str(f.value) for f in refs if str(f.value).startswith("D")), None)
    if prop is None and PROPERTY_PRONOUN.search(head.low):
        target = reading.scope.latest("property")
        prop = target.ref if target else None
    if contact is None and prop is None and deal is None:
        return None
    if contact is not None:
        # "appelé Lucas ; rappelle-moi de le rappeler": later pronouns mean this person.
        reading.scope.push("contact", contact, label_of(contact, reading.scope))
    return [
        call(
            "log_activity",
            kind=kind,
            contact=contact,
            property=prop,
            deal=deal,
            summary=summary,
            occurred_at=_occurred(reading, moment) if past else None,
        )
    ]


def _split_moment(reading: Reading, after: int) -> bool:
    """Whether times are named on both sides of a comment ("rdv avec Karim à 9h, il signe la
    semaine prochaine"): which one is the appointment's is anybody's guess."""
    text = reading.clause.text
    separator = re.search(r"[,;.:—–]\s", text.low[after:])
    if separator is None:
        return False
    cut = after + separator.start()
    head = text.slice(0, cut)
    if names_day(head, reading.tz, reading.now):
        return False  # "rdv avec Karim demain 9h, il signe lundi": the day is the head's
    found, _ = find_moment(head, reading.tz, reading.now)
    tail, _ = find_moment(text.slice(cut, len(text.raw)), reading.tz, reading.now)
    return found is not None and tail is not None


def _dated_purpose(reading: Reading, match: re.Match[str]) -> bool:
    """Whether the moment of a message named by its noun lies inside its purpose ("sms à X
    pour confirmer le rdv de lundi", "text to Tom to confirm the viewing on Monday")."""
    if not _MESSAGE_NOUNS.fullmatch(match[0]):
        return False
    clause = reading.clause
    purpose = _PURPOSE.search(clause.low, match.end())
    without = (clause.without_moment or clause.text).low
    start = next((i for i, (a, b) in enumerate(zip(clause.low, without, strict=True)) if a != b), 0)
    return purpose is not None and start > purpose.start()


def _reported(text: Text, after: int) -> bool:
    """Whether the words after the activity tell how it went: a comment after a separator
    ("..., signature mandat", "...: discussed financing") or a word saying it took place."""
    return bool(_HAPPENED.search(text.low)) or reminders.reported(text.low, after)


def _occurred(reading: Reading, moment: Moment | None) -> str | None:
    """When it happened, if said: a clock time or another day ("hier", "mardi 15h"); "ce
    matin" alone is just now."""
    if moment is None:
        return None
    today = reading.now.astimezone(ZoneInfo(reading.tz)).date()
    if not moment.has_time and moment.day() == today:
        return None
    return moment.iso()


def _contact(reading: Reading, text: Text) -> tuple[str | None, int | None]:
    """The contact and, for a typed name, where the name ends."""
    refs = [str(f.value) for f in reading.clause.refs if str(f.value).startswith("C")]
    ref = refs[0] if refs else None
    if any(f.start < len(text.raw) for f in reading.clause.refs if str(f.value) == ref):
        return ref, None
    for found in _WITH.finditer(text.low):
        gap = re.match(r"[ ,:-]*", text.raw[found.end() :])
        if gap and "," in gap[0]:
            continue
        named = name_at(_without_refs(text), found.end(), capital=True)
        if named:
            known = reading.scope.named(named[0])
            return (known.ref if known else named[0]), named[1]
    if ref:
        return ref, None
    if CONTACT_PRONOUN.search(text.low):
        target = reading.scope.latest("contact")
        return (target.ref if target else None), None
    return None, None


def _summary(
    text: Text, after: int, separator: re.Match[str] | None, name_end: int | None
) -> tuple[str | None, tuple[int, int]]:
    """What was said, and the span whose records are not linked: after the name when words
    follow it ("rdv avec Paul ok pour le mandat", "emailed Olivia the plans"), else after the
    separator."""
    start: int | None = None
    if name_end is not None and name_end >= after:
        filler = _FILLER.match(text.low, name_end)
        begin = filler.end() if filler else name_end
        stop = separator.start() if separator else len(text.low)
        if text.low[begin:stop].strip(" ,;:.-–—!?"):
            start = begin
    if start is None and separator is not None:
        start = separator.end()
    if start is None:
        return None, (0, 0)
    while start < len(text.raw) and text.raw[start] in " ,;:.-–—!?'\"()":
        start += 1
    # "about D4, signing on the 18th": the record is linked, the rest is the summary.
    lead = re.match(r"[cpdr]\d+(?:\s*[,;:—–-]\s*|\s*$)", text.low[start:])
    if lead:
        start += lead.end()
    summary = tidy(text.raw[start:])
    topic = separator is not None and start >= separator.end() and separator[0].strip().isalpha()
    # After "about"/"pour" the records named are the topic; after a comma, just what was said.
    return (summary or None), ((0, 0) if topic else (start, len(text.raw)))


def _without_refs(text: Text) -> Text:
    for match in reversed(list(re.finditer(r"(?<![\w])[cpdr]\d+(?![\w])", text.low))):
        text = text.cut(match.start(), match.end())
    return text
