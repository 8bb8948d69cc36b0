"""Reminders and the agenda: add, list, complete, cancel, snooze; "what do I have today?"."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from nlu.interpreter import OperationCall
from nlu.rules.common import Reading, call, capitalise, name_after, words
from nlu.rules.references import CONTACT_PRONOUN, Scope, property_of
from nlu.rules.text import Text, tidy

_ADD = re.compile(
    r"^(?:(?:please|pls|stp|svp|hey)\s+)?(?:remind me|remind|rappelle[- ]?moi|rapelle[- ]?moi"
    r"|rappel(?:le)? moi|set (?:me )?(?:a )?reminder|add (?:a )?reminder|create (?:a )?reminder"
    r"|new reminder|reminder|rappel|ajoute(?:[- ]moi)? (?:un )?rappel|mets(?:[- ]moi)? un rappel"
    r"|cree (?:un )?rappel|nouveau rappel|n'oublie pas|noublie pas|don'?t (?:let me )?forget"
    r"|schedule (?:a |me a )?reminder|me rappeler|rapel|rappelle[- ]moi|(?:monthly|weekly|daily)"
    r" reminder"
    r"|ne pas oublier|pense a|penser a|faut que je|il faut que je|je dois|i need to|i have to"
    r"|todo|to do|a faire)(?![\w])\s*:?"
)
# "call her tomorrow", "rappelle Marie demain": an errand with a future time is a reminder.
_ERRAND = re.compile(
    r"^(?:(?:please|stp)\s+)?(?:l'|la |le |lui )?"
    r"(call|phone|ring|visit|see|meet|follow up"
    # "email to Tom ...", "text to Tom ...": the message named by its noun (an activity's)
    r"|(?:email|mail|text)(?! (?:to|a) )"
    r"|relance|relancer|rappelle|rappeler|appelle|appeler|envoie|envoyer|contacte|contacter"
    r"|ecris|ecrire|voir|visiter|envoyer|send|chase|relancer|call back|rappeler)(?![\w])"
)
# The same cue after the task: "mardi 14h visite P3 avec Paul, rappelle-moi",
# "every monday at 9 remind me: pipeline review".
_CUE_INSIDE = re.compile(
    r"(?:^|[\s,;])(?:remind me|rappelle[- ]?moi|rappel(?:le)? moi|reminder|rappel"
    r"|n'oublie pas|don'?t forget)(?![\w])\s*:?"
)
_INFINITIVE = {
    "relance": "relancer",
    "rappelle": "rappeler",
    "appelle": "appeler",
    "envoie": "envoyer",
    "contacte": "contacter",
    "ecris": "écrire",
}
# Whole words only: "dentist" does not start with "de".
_LEAD = re.compile(r"^\s*(?:(?:(?:to|de|that|que|qu'il faut|about|pour|for)(?![\w])|d'|:|-|,)\s*)+")
# "rdv notaire pour D4": the linked record is an argument, not part of the text.
_TRAILING_LINK = re.compile(r"\s+(?:pour|for|sur|on|re|regarding)\s+[cpdr]\d+\s*$", re.I)
_PERSON_VERB = words(
    "call back",
    "follow up",
    "call",
    "phone",
    "ring",
    "email",
    "text",
    "see",
    "meet",
    "with",
    "follow up with",
    "appeler",
    "rappeler",
    "relancer",
    "contacter",
    "voir",
    "rencontrer",
    "avec",
    "chez",
    "appelle",
    "rappelle",
    "relance",
    "contacte",
    "to",
    "a",
    "à",
    "chase",
)
_RECURRENCE = [
    (words(r"every ?day", "daily", "chaque jour", "tous les jours", "quotidien(?:ne)?"), "daily"),
    (
        words(
            r"every ?week",
            "weekly",
            "chaque semaine",
            "toutes les semaines",
            "hebdo(?:madaire)?",
            r"every (?:mon|tues|wednes|thurs|fri|satur|sun)day",
            r"tous les (?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)s?",
            r"chaque (?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)",
        ),
        "weekly",
    ),
    (
        words(r"every ?month", "monthly", "chaque mois", "tous les mois", "mensuel(?:le)?"),
        "monthly",
    ),
]
_PRONOUNS_EN = re.compile(r"(?<![\w])(?:her|him|them)(?![\w])")
_PRONOUNS_FR = re.compile(r"(?<![\w])(?:l'|la |le |lui )(?=\w)|-(?:la|le|lui)(?![\w])")

_LIST = re.compile(
    r"^(?:(?:show|list|liste|voir|affiche|montre|see|check)(?:[- ]moi)?\s+)?"
    r"(?:(?:my|mes|les|all|tous mes|all my|what are my|quels sont mes|what|quels)\s+)?"
    r"(?:reminders|rappels|rappel en retard|reminder list)(?![\w])"
)
_PERIODS = [
    (words("overdue", "late", "en retard", "retard", "missed", "manques?"), "overdue"),
    (words("today", "aujourd'?hui", "auj", "ajd", "du jour"), "today"),
    (words("tomorrow", "demain", "tmrw"), "tomorrow"),
    (words("this week", "week", "semaine", "cette semaine"), "week"),
    (words("upcoming", "a venir", "next", "prochains", "coming"), "upcoming"),
]
_AGENDA = words(
    r"agenda",
    r"planning",
    r"programme",
    r"my day",
    r"ma journee",
    r"mon programme",
    r"what(?:'s| is)? on",
    r"whats on",
    r"what do i have",
    r"what have i got",
    r"what'?s up",
    r"qu'?est[- ]ce que j'?ai",
    r"j'?ai quoi",
    r"quoi de prevu",
    r"qu'?ai[- ]je",
    r"what'?s planned",
    r"schedule",
    r"mon emploi du temps",
    r"que dois[- ]je faire",
    r"what should i do",
    r"on fait quoi",
    r"today'?s plan",
    r"plan for today",
    # "mes rdv de demain", "my appointments tomorrow": the agent's own, asked for
    r"(?:mes|my|nos|our)\s+(?:rdvs?|rendez[- ]vous|appointments?|appts?|meetings?|visites|visits"
    r"|viewings)",
)
_DONE = words(
    r"done",
    r"fait",
    r"faite",
    r"termine",
    r"terminee",
    r"complete",
    r"completed",
    r"finished",
    r"c'?est fait",
    r"mark(?:ed)? (?:as )?done",
    r"ok fait",
    r"effectue",
)
_CANCEL = words(
    r"cancel",
    r"annule",
    r"annuler",
    r"supprime",
    r"supprimer",
    r"delete",
    r"remove",
    r"efface",
    r"drop",
    r"oublie",
)
_SNOOZE = words(
    r"snooze",
    r"reporte",
    r"reporter",
    r"repousse",
    r"repousser",
    r"decale",
    r"decaler",
    r"postpone",
    r"delay",
    r"remets",
)
# Words that also move deals ("move it to offer"): a reminder only when named by its ref.
_SNOOZE_WITH_REF = words(r"move", r"push", r"deplace", r"deplacer")
_REMINDER_WORD = words("reminder", "rappel", "it", "le", "la", "ca", "ça")
_SHIFT = re.compile(
    r"(?<![\w])(?:by|de|d')?\s*(\d{1,3}|une|un|an|one)\s*(h|hours?|heures?|min|minutes?|mn|days?|jours?)"
    r"(?![\w])"
)


# What a recurrence leaves once its weekday was read as the moment ("tous les [lundis]").
_RECURRENCE_LEFT = re.compile(r"(?<![\w])(?:every|tous les|toutes les|chaque)(?![\w])")


# Words of a report ("discussed", "a aimé", "était"), and words of a plan.
_PAST_WORDS = words(
    r"\w{3,}ed",
    r"went",
    r"was",
    r"were",
    r"said",
    r"told",
    r"saw",
    r"met",
    r"a (?:aime|adore|signe|accepte|refuse|dit|pris|fait|vu|eu|visite|trouve|confirme|valide"
    r"|appele|rappele|parle|demande|propose|prefere|hesite)",
    r"etait",
    r"signee?s?",
    r"discute",
    r"convaincue?s?",
    r"interessee?s?",
    r"ok",
    r"ras",
)
_TO_COME = words(
    r"prevoir",
    r"apporter",
    r"penser",
    r"pense a",
    r"need to",
    r"have to",
    r"bring",
    r"don'?t forget",
    r"remember",
    r"il faut",
    r"faudra",
    r"will",
    r"va",
    r"vont",
    r"tomorrow",
    r"demain",
)
# The first word of a comment giving an order: an infinitive ("confirmer", "prévoir") or an
# English imperative ("bring", "confirm").
_ORDER = re.compile(
    r"\w{2,}(?:er|ir)(?![\w])|(?:bring|confirm|call|send|check|ask|prepare|book|print|take|get"
    r"|follow|review|sign|update|email|text|meet|see|visit|remind|make|pick|plan)(?![\w])"
)


def reported(low: str, after: int) -> bool:
    """Whether the words after an activity tell how it went: a verb of a report ("discussed",
    "a aimé"), or a comment after a separator that is no order ("..., signature mandat")."""
    if _TO_COME.search(low):
        return False
    if _PAST_WORDS.search(low, after):
        return True
    separator = re.search(r"[,;:—–]\s*(?=[^\W_])", low[after:])
    return separator is not None and not _ORDER.match(low, after + separator.end())


def _recurrence(reading: Reading) -> tuple[str | None, Text]:
    # Read on the whole clause: the moment took the weekday of "every monday".
    text = reading.clause.text
    for pattern, value in _RECURRENCE:
        match = pattern.search(text.low)
        if match:
            return value, text.cut(match.start(), match.end())
    return None, text


def _with_names(task: str, scope: Scope, contact: str | None) -> str:
    """ "call her" -> "call Marie Dupont": a reminder must make sense when it fires."""
    target = next((m for m in scope.mentions if m.ref == contact), None)
    if target is None:
        return task
    task = _PRONOUNS_EN.sub(target.label, task)
    task = re.sub(
        r"(?<![\w])(avec|pour|chez|aupres d') ?(?:lui|elle)(?![\w])",
        lambda m: f"{m[1]}{'' if m[1].endswith(chr(39)) else ' '}{target.label}",
        task,
        flags=re.I,
    )
    # "rappeler la": the pronoun typed after the verb, without its hyphen.
    task = re.sub(r"(?<=\w) (?:la|le|lui)$", " " + target.label, task, flags=re.I)
    match = _PRONOUNS_FR.search(task.lower())
    if match and match.group(0).startswith("-"):
        return task[: match.start()] + " " + target.label + task[match.end() :]
    if match:
        rest = task[match.end() :]
        verb, _, tail = rest.partition(" ")
        return task[: match.start()] + verb + " " + target.label + (" " + tail if tail else "")
    return task


def _contact_in(task: Text, reading: Reading) -> str | None:
    ref = reading.clause.ref("C")
    if ref:
        return ref
    if CONTACT_PRONOUN.search(task.low):
        target = reading.scope.latest("contact")
        return target.ref if target else None
    name = name_after(task, _PERSON_VERB)
    if name is None:
        return None
    known = reading.scope.named(name)
    return known.ref if known else name


def reminder_call(reading: Reading, task: Text) -> OperationCall | None:
    moment = reading.clause.moment
    if moment is None or moment.at <= reading.now:
        return None
    recurrence, _ = _recurrence(reading)
    for pattern, _value in _RECURRENCE:
        match = pattern.search(task.low)
        if match:
            task = task.cut(match.start(), match.end())
    if recurrence:
        for match in _RECURRENCE_LEFT.finditer(task.low):
            task = task.cut(match.start(), match.end())
    contact = _contact_in(task, reading)
    if contact is None and CONTACT_PRONOUN.search(task.low):
        return None  # "rappelle la mardi" with nobody mentioned before: whom?
    text = tidy(_LEAD.sub("", task.raw.strip()))
    first, _, tail = text.partition(" ")
    verb, dash, pronoun = first.partition("-")
    if dash and pronoun.lower() in ("la", "le", "lui", "les"):
        # "rappelle-la" -> "rappeler la": _with_names then puts the name in.
        first, tail = _INFINITIVE.get(verb.lower(), verb), f"{pronoun} {tail}".strip()
        text = f"{pronoun} {first} {tail[len(pronoun) :].strip()}".strip()
    else:
        text = (_INFINITIVE.get(first.lower(), first) + (" " + tail if tail else "")).strip()
    text = _TRAILING_LINK.sub("", " ".join(text.split()))
    if CONTACT_PRONOUN.search(task.low):
        text = _with_names(text, reading.scope, contact)
    text = capitalise(text)
    if len(text) < 2:
        return None
    return call(
        "add_reminder",
        due_at=moment.iso(),
        text=text,
        contact=contact,
        property=reading.clause.ref("P")
        or (property_of(reading.clause, reading.scope) if "bien" in task.low else None),
        deal=reading.clause.ref("D"),
        recurrence=recurrence,
    )


def add_reminder(reading: Reading) -> list[OperationCall] | None:
    text = reading.clause.without_moment or reading.clause.text
    # "Demain 9h : appeler la banque": the moment opened the clause, its colon goes with it.
    lead = re.match(r"\s*(?:[:—–-]\s*)?", text.low) if reading.clause.moment else None
    start = lead.end() if lead else len(text.low) - len(text.low.lstrip())
    # "^" only anchors at the string's real start: match on the text from ``start`` on.
    match = _ADD.match(text.low[start:])
    if match and not _LIST.match(reading.low.strip()):
        made = reminder_call(reading, text.slice(start + match.end(), len(text.raw)))
        return [made] if made else []  # a reminder without a time: ask, never guess
    inside = _CUE_INSIDE.search(text.low, start)
    if match is None and inside and not _LIST.match(reading.low.strip()):
        task = text.cut(inside.start(), inside.end())
        made = reminder_call(reading, task.slice(start, len(task.raw)))
        return [made] if made else []
    if _ERRAND.match(text.low[start:]):
        # "call with the notary about D4, signing on the 18th": a date after the comma is
        # part of what was said, not when to do it.
        blanked = next(
            (i for i, (a, b) in enumerate(zip(reading.low, text.low, strict=True)) if a != b),
            len(text.low),
        )
        if re.search(r"[,;]", reading.low[start:blanked]):
            return None
        moment = reading.clause.moment
        noun = re.match(r"\S+ (?:with|avec)(?![\w])", text.low[start:])
        if noun and moment is not None and moment.rolled and reported(reading.low, start):
            # "call with Sarah at 8, she wants to sell" at 10:00: the call named by its noun
            # took place this morning ("call Sarah at 8" is an order).
            return None
        made = reminder_call(reading, text.slice(start, len(text.raw)))
        return [made] if made else None
    return None


def list_reminders(reading: Reading) -> list[OperationCall] | None:
    if not _LIST.match(reading.low.strip()) and not re.search(
        r"(?<![\w])(?:reminders|rappels)(?![\w])", reading.low
    ):
        return None
    if re.match(r"^\s*(?:add|ajoute|set|cree|create|new|nouveau)", reading.low):
        return None
    period = next((v for p, v in _PERIODS if p.search(reading.low)), None)
    return [call("list_reminders", period=period)]


def agenda(reading: Reading) -> list[OperationCall] | None:
    # "et demain ?" follows an agenda; "demain" alone is a fragment, not a question.
    bare_day = re.fullmatch(
        r"(?:(?:and|et) (?:today|aujourd'?hui|tomorrow|demain)|(?:today|aujourd'?hui|tomorrow"
        r"|demain)\s*\?)",
        reading.low.strip(" !."),
    )
    if not _AGENDA.search(reading.low) and not bare_day:
        return None
    moment = reading.clause.moment
    day = None
    if moment is not None:
        today = reading.now.astimezone(ZoneInfo(reading.tz)).date()
        day = moment.day().isoformat() if moment.day() != today else None
    return [call("agenda", day=day)]


def _reminder_ref(reading: Reading) -> str | None:
    ref = reading.clause.ref("R")
    if ref:
        return ref
    if _REMINDER_WORD.search(reading.low):
        target = reading.scope.latest("reminder")
        return target.ref if target else None
    return None


def manage(reading: Reading) -> list[OperationCall] | None:
    """complete / cancel / snooze a reminder named by its ref (or "it" after one was shown)."""
    low = reading.low
    has_ref = reading.clause.ref("R") is not None
    snooze = _SNOOZE.search(low) or (has_ref and _SNOOZE_WITH_REF.search(low))
    if snooze and (has_ref or re.search(r"(?<![\w])(?:reminder|rappel|it|le)\b", low)):
        reminder = _reminder_ref(reading)
        if reminder is None:
            return None
        until = reading.clause.moment
        shift = _SHIFT.search(low)
        # "snooze it 1h" is an hour later, not 1 pm: a bare duration wins unless "at/à" names
        # a clock time.
        # "à demain 9h" names a day: its "9h" is a clock time, not nine hours.
        if shift and not re.search(
            r"(?<![\w])(?:at|a|to|au|until|jusqu'?a)\s*$"
            r"|(?<![\w])(?:demain|tomorrow|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
            r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s*$",
            low[: shift.start()],
        ):
            until = None
        if until is None:
            if not shift:
                return []
            count = int(shift[1]) if shift[1].isdigit() else 1
            unit = shift[2][0]
            delta = {"h": timedelta(hours=count), "m": timedelta(minutes=count)}.get(
                unit, timedelta(days=count)
            )
            local = reading.now.astimezone(ZoneInfo(reading.tz)).replace(second=0, microsecond=0)
            return [call("snooze_reminder", reminder=reminder, until=(local + delta).isoformat())]
        return [call("snooze_reminder", reminder=reminder, until=until.iso())]
    if _CANCEL.search(low) and (has_ref or re.search(r"(?<![\w])(?:reminder|rappel)\b", low)):
        reminder = _reminder_ref(reading)
        return [call("cancel_reminder", reminder=reminder)] if reminder else None
    if _DONE.search(low) and (
        has_ref
        or re.fullmatch(
            r"\s*(?:ok\W*)?(?:done|c'?est fait|fait|termine|c'?est bon|finished)"
            r"(?: with (?:that|this|it)(?: one)?| pour (?:celui-ci|celui-la|ca))?\W*",
            low,
        )
    ):
        reminder = reading.clause.ref("R") or getattr(reading.scope.latest("reminder"), "ref", None)
        return [call("complete_reminder", reminder=reminder)] if reminder else None
    return None
