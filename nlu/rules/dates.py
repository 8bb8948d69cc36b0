"""Moments in a message: "demain 10h", "tomorrow at 10", "lundi prochain 14h30", "on Monday
9am", "in 2 hours", "dans 30 min", "le 15 mars", "15/03 à 9h".

Relative days and clock times are read here (dateparser alone reads "tomorrow at 10" as
tomorrow at the current time, and "à 17h" as the 1st of the month); calendar dates go through
crm_core.values.parse_date. Results are wall-clock times in the agent's zone, from ``now``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_core import values
from nlu.rules.text import Text

DEFAULT_HOUR = 9  # "tomorrow" alone: the start of a working day

_NUMBER_WORDS = {
    "un": 1,
    "une": 1,
    "a": 1,
    "an": 1,
    "one": 1,
    "deux": 2,
    "two": 2,
    "trois": 3,
    "three": 3,
    "quatre": 4,
    "four": 4,
    "cinq": 5,
    "five": 5,
}
_UNITS = {
    "min": "minutes",
    "mn": "minutes",
    "h": "hours",
    "hr": "hours",
    "heure": "hours",
    "hour": "hours",
    "j": "days",
    "jour": "days",
    "day": "days",
    "sem": "weeks",
    "semaine": "weeks",
    "week": "weeks",
    "wk": "weeks",
}
_DURATION = re.compile(
    r"(?<![\w])(?:in|dans|d'ici)\s+(\d{1,3}|un|une|an|a|one|deux|two|trois|three|quatre|four"
    r"|cinq|five)\s*(minutes?|mins?|mn|hours?|hrs?|h|heures?|days?|jours?|j|weeks?|wks?"
    r"|semaines?|sem)(?![\w])"
)
_WEEKDAYS = {
    "lundi": 0,
    "mardi": 1,
    "mercredi": 2,
    "jeudi": 3,
    "vendredi": 4,
    "samedi": 5,
    "dimanche": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
    "lun": 0,
    "mer": 2,
    "jeu": 3,
    "ven": 4,
    "sam": 5,
    "dim": 6,
}
_WEEKDAY = re.compile(
    r"(?<![\w])(?:(?:next|this|on|ce|le)\s+)?("
    + "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
    + r")s?(?:\s+(?:prochain|pro|next))?(?![\w'])"
)
# "le 15", "on the 1st", "le 1er de chaque mois": a day of the month without its month is
# the next such day (this month, or the next one when it has passed).
_MONTH_DAY = re.compile(
    r"(?<![\w/])(?:le|on the|the)\s+(\d{1,2})(?:er|st|nd|rd|th)?"
    r"(?!\s*(?:h|heures?|:|am|pm|\d|/|m2|k|€|%|chambres?|pieces?|rooms?))(?![\w/])"
)
# A short weekday ("sat", "wed") is a day when a clock time follows it.
_SHORT_DAY_TIME = re.compile(r"\s+(?:at\s+|a\s+|à\s+)?(?:\d|noon|midi)")
_RELATIVE_DAYS = [
    (re.compile(r"(?<![\w])(?:apres[- ]?demain|day after tomorrow)(?![\w])"), 2),
    (re.compile(r"(?<![\w])(?:avant[- ]?hier|day before yesterday)(?![\w])"), -2),
    (
        re.compile(
            r"(?<![\w])(?:demain|dem1|tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr|tmw|2moro|2morrow)"
            r"(?![\w])"
        ),
        1,
    ),
    (
        re.compile(
            r"(?<![\w])(?:aujourd'? ?hui|aujourdhui|auj|ajd|today|tdy|tonight|ce soir"
            r"|ce matin|this morning|this evening|this afternoon|cet apres[- ]?midi"
            r"|cet aprem)(?![\w])"
        ),
        0,
    ),
    (re.compile(r"(?<![\w])(?:hier|yesterday|yday)(?![\w])"), -1),
]
_PRONOUN_VERB = re.compile(
    r"(?<![\w])(?:appelle|rappelle|relance|contacte|vois|appeler|rappeler|relancer|contacter"
    r"|voir|recontacte)\s*$"
)
_EVERY = re.compile(r"(?<![\w])(?:every|each|tous les|toutes les|chaque)\s*$")
_EVERY_DAY = re.compile(
    r"(?<![\w])(?:every|each|tous les|toutes les|chaque)\s+(?:"
    + "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
    + r")"
)
_NEXT_WEEK = re.compile(
    r"(?<![\w])(?:next week|la semaine (?:prochaine|pro)|semaine (?:prochaine|pro))(?![\w])"
)
_MONTHS = (
    r"janv(?:ier)?|fevr?(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|aout|sept?(?:embre)?"
    r"|oct(?:obre)?|nov(?:embre)?|dec(?:embre)?|january|february|march|april|may|june|july"
    r"|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept"
)
_CALENDAR = re.compile(
    r"(?<![\w/])(?:(?:le|on|the)\s+)?(?:"
    r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}\.\d{1,2}\.\d{2,4}"
    rf"|\d{{1,2}}(?:er|st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})(?:\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    r")(?![\w/])"
)
_PARTS = [
    (re.compile(r"(?<![\w])(?:apres[- ]?midi|aprem|afternoon)(?![\w])"), 14),
    (re.compile(r"(?<![\w])(?:matin|morning)(?![\w])"), 9),
    (re.compile(r"(?<![\w])(?:midi|noon|lunchtime|lunch)(?![\w])"), 12),
    (re.compile(r"(?<![\w])(?:soir|evening|tonight)(?![\w])"), 18),
]
_PREP = r"(?:(?:a|at|vers|around|for|pour|@|by)\s+)?"
_CLOCK = [
    # 9am, 9:30 pm, 9 p.m.
    re.compile(rf"(?<![\w:]){_PREP}(\d{{1,2}})(?:[:h.](\d{{2}}))?\s*([ap])\.?m\.?(?![\w])"),
    # 10h, 10h30, 14 h, 10 heures
    re.compile(rf"(?<![\w:]){_PREP}(\d{{1,2}})\s*(?:h|heures?)\s*(\d{{2}})?(?![\w])()"),
    # 10:30
    re.compile(rf"(?<![\w:]){_PREP}(\d{{1,2}}):(\d{{2}})(?![\w:])()"),
    # "at 10", "à 10": a bare hour needs its preposition
    re.compile(r"(?<![\w])(?:a|at|vers|around|@)\s+(\d{1,2})(?![\w:/.]|,\d)()()"),
]


@dataclass(frozen=True)
class Moment:
    at: datetime  # aware, in the agent's zone
    has_time: bool
    # A clock time without a day that had already passed today, read as tomorrow ("à 9h" at
    # 10:00): a report may mean today ("rdv avec Karim à 9h, mandat signé").
    rolled: bool = False

    def today(self) -> Moment:
        """The same clock time on the day it was said (for a rolled moment)."""
        return Moment(self.at - timedelta(days=1), self.has_time) if self.rolled else self

    def iso(self) -> str:
        return self.at.isoformat()

    def day(self) -> date:
        return self.at.date()


def _cut(text: Text, match: re.Match[str]) -> Text:
    return text.cut(match.start(), match.end())


def _duration(text: Text, now: datetime) -> tuple[Moment | None, Text]:
    match = _DURATION.search(text.low)
    if not match:
        return None, text
    count = _NUMBER_WORDS.get(match[1]) or int(match[1])
    unit = match[2].rstrip("s")
    unit = next((v for k, v in _UNITS.items() if unit.startswith(k)), "hours")
    if unit == "minutes" and match[2].startswith("m") and len(match[2]) == 1:
        unit = "minutes"
    at = (now + timedelta(**{unit: count})).replace(second=0, microsecond=0)
    return Moment(at, has_time=unit in ("minutes", "hours")), _cut(text, match)


def _day(text: Text, today: date, tz: str, now: datetime) -> tuple[date | None, Text]:
    for pattern, offset in _RELATIVE_DAYS:
        match = pattern.search(text.low)
        if match:
            return today + timedelta(days=offset), _cut(text, match)
    match = _NEXT_WEEK.search(text.low)
    if match:
        return today + timedelta(days=7 - today.weekday()), _cut(text, match)
    # A calendar date wins over the weekday written with it ("lundi 7 décembre").
    match = _CALENDAR.search(text.low)
    if match:
        phrase = re.sub(r"^(?:le|on|the)\s+", "", text.raw[match.start() : match.end()].strip())
        phrase = re.sub(r"(?<=\d)(?:er|st|nd|rd|th)\b", "", phrase)
        try:
            found = values.parse_date(phrase, tz=tz, now=now)
        except values.ValueProblem:
            found = None
        if found is not None:
            text = _cut(text, match)
            weekday = _WEEKDAY.search(text.low[max(0, match.start() - 16) : match.start()])
            if weekday:
                start = max(0, match.start() - 16) + weekday.start()
                text = text.cut(start, max(0, match.start() - 16) + weekday.end())
            return found, text
    match = _WEEKDAY.search(text.low)
    # Short forms ("mon", "sat", "sun") are words too: only with a preposition, "next", or a
    # clock time right after.
    if match and (
        len(match[1]) > 4
        or re.match(r"(?:next|on|this|le|ce)\s", match[0])
        or _SHORT_DAY_TIME.match(text.low, match.end())
    ):
        if re.match(r"le\s", match[0]) and _PRONOUN_VERB.search(text.low[: match.start()]):
            # "rappelle le jeudi": "le" is the person ("call him on Thursday"), not an article.
            text = text.cut(match.start(1), match.end())
        else:
            text = _cut(text, match)
        ahead = (_WEEKDAYS[match[1]] - today.weekday()) % 7
        # "every friday at 5pm" said on a Friday morning: the first one is today (the caller
        # moves it a week on when its time has passed); "friday" alone is next week's.
        if not (ahead == 0 and _EVERY.search(text.low[: match.start()])):
            ahead = ahead or 7
        return today + timedelta(days=ahead), text
    match = _MONTH_DAY.search(text.low)
    if match and 1 <= int(match[1]) <= 31:
        day = _next_month_day(today, int(match[1]))
        if day is not None:
            return day, _cut(text, match)
    return None, text


def _next_month_day(today: date, number: int) -> date | None:
    """The next date (today included) whose day of the month is ``number``."""
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = date(year, month, number)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _clock(text: Text) -> tuple[time | None, Text]:
    for pattern in _CLOCK:
        match = pattern.search(text.low)
        if not match:
            continue
        hour, minute = int(match[1]), int(match[2] or 0)
        if match[3] == "p" and hour < 12:
            hour += 12
        elif match[3] == "a" and hour == 12:
            hour = 0
        elif not match[3] and 1 <= hour <= 7:
            hour += 12  # "à 3", "at 5": agents meet people in the afternoon, not at 3 am
        if hour > 23 or minute > 59:
            continue
        return time(hour, minute), _cut(text, match)
    for pattern, hour in _PARTS:
        match = pattern.search(text.low)
        if match:
            return time(hour), _cut(text, match)
    return None, text


# "ce soir", "this afternoon": today, at that part of the day when no clock time is given
# (a meeting "ce soir" is still to come at 10 am).
_TODAY_PARTS = [
    (re.compile(r"(?<![\w])(?:ce soir|tonight|this evening)(?![\w])"), 18),
    (re.compile(r"(?<![\w])(?:cet apres[- ]?midi|cet aprem|this afternoon)(?![\w])"), 14),
]


def names_day(text: Text, tz: str, now: datetime) -> bool:
    """Whether the text names a day ("demain", "lundi", "le 15 mars"), not just a time."""
    day, _ = _day(text, now.astimezone(ZoneInfo(tz)).date(), tz, now)
    return day is not None


def find_moment(text: Text, tz: str, now: datetime) -> tuple[Moment | None, Text]:
    """The first moment the text names, and the text without it."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    moment, text = _duration(text, local_now)
    if moment is not None:
        return moment, text
    default = next((h for p, h in _TODAY_PARTS if p.search(text.low)), DEFAULT_HOUR)
    original = text
    day, text = _day(text, local_now.date(), tz, now)
    clock, text = _clock(text)
    if day is None and clock is None:
        return None, text
    rolled = False
    if day is None:
        day = local_now.date()
        if datetime.combine(day, clock or time(DEFAULT_HOUR), zone) <= local_now:
            day += timedelta(days=1)
            rolled = clock is not None
    elif (
        day == local_now.date()
        and _EVERY_DAY.search(original.low)
        and datetime.combine(day, clock or time(default), zone) <= local_now
    ):
        day += timedelta(days=7)  # "every friday at 9" said on a Friday at 10
    at = datetime.combine(day, clock or time(default), zone)
    return Moment(at, has_time=clock is not None, rolled=rolled), text
