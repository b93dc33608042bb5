"""Understanding *when*: `!termin`, `!erinnere` and skipped dates, German first, English second.

Pure functions: no I/O, no clock (`now` and the zone are arguments), no process locale.

A phrase is read from the left as clauses: recurrence ("jeden Dienstag"), day ("morgen", "3.12."), time
("14 Uhr", "14-16 Uhr"), offset ("in 2 Stunden"), limits ("ab 1.12.", "bis 31.3.2027"), length ("für 2
Stunden") and part of day ("abends"), in any order. The title starts at the first word that starts no
clause. Once day and time are known, a single word that could be a clause ("werktags 8:30 Daily", "morgen
14 Uhr Montag Runde") is the title too; a colon ends the time part on purpose ("morgen 14 Uhr: 3. Lesung").
Reading is syntax only; `_resolve_*` then give it meaning with `now`.

The grammar is our own rather than dateparser's: dateparser 1.5 (languages de+en, DATE_ORDER=DMY, future
preferred) fills a missing time silently with the time of `now` ("morgen 14 Uhr" -> 09:00, "heute 16 Uhr"
-> 09:00), reads "3.12." as 03:12 today, "Dienstag 10 Uhr" as a *past* Tuesday at midnight and "14 Uhr" as
14 November, and it cannot say where the date ends and the title begins. Every rule below is tested instead.

Ambiguous input is refused with a message that shows the right form, never guessed:
- "12/3": German users write 3.12.; a slash date is accepted only when one reading is impossible ("25/12").
- "nächsten Dienstag"/"next Tuesday" while that weekday is still ahead this week (this week's or next
  week's?), and "Dienstag" said on a Tuesday (today or in a week?). "kommenden Dienstag" is the nearest.
- "um 3"/"at 3": a bare hour 1-6 without "Uhr", am/pm or part of day (3:00 or 15:00?). Bare 7-12 are
  morning, 13-23 are 24-hour times; "3 Uhr" with "Uhr" is 03:00.
- "jeden zweiten Dienstag" (every other week, or the 2nd of the month?); "Dienstag 3.12." when the 3rd is no
  Tuesday; a date without year that has just passed. Such a date is the one nearest to today: "5.1." in
  November is next January, "1.11." on 21 November is refused with "meinst du 1.11.2027?".
- "monatlich am 31." (months without a 31st would be skipped silently): "am letzten Tag" is offered instead.
- A one-off in the past, a range ending before it starts, a series ending before its first date, two days
  or two times, a day that contradicts a series ("morgen jeden Dienstag": "ab morgen"?).

Times: recurrences are computed on local wall-clock times and then placed in the zone, so "jeden Dienstag
14 Uhr" stays 14:00 across DST. A wall time that does not exist (02:30 on the spring-forward day) moves on
by the length of the gap, to 03:30, as RFC 5545 (3.3.5) prescribes, so the bot agrees with any calendar the
series is exported to; a wall time that exists twice (02:30 on the fall-back day) is its first instance
(fold=0, still summer time). A series whose *first* date falls into the gap keeps the moved time.
"In 2 Stunden" is elapsed time (across a DST change too); "in 2 Tagen" keeps the wall-clock time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from bot.errors import BadArgument, Localized, code
from bot.i18n import LANGUAGES
from storage.text import fold

__all__ = [
    "Schedule",
    "ScheduleError",
    "describe_schedule",
    "format_when",
    "occurrences",
    "parse_date",
    "parse_duration",
    "parse_reminder",
    "parse_schedule",
]

MAX_DURATION = timedelta(days=60)
"""Longest reminder offset `parse_duration` accepts; also bounds "in ..." and "für ..." phrases."""
_MAX_AMOUNT = 100_000
"""Any larger amount is longer than MAX_DURATION even in minutes (the smallest unit); reading it as this much
keeps `timedelta` from overflowing ("in 1000000000 Tagen") and the caller reports "too long"."""
MAX_YEARS_AHEAD = 5
"""Dates (meetings, series ends, reminders, substitutions) at most this many years from today, either way: city
planning rarely looks further (a council term is five years), and 31.12.9999 is a typo, not a plan."""
MAX_INTERVAL = {"DAILY": 365, "WEEKLY": 52, "MONTHLY": 24, "YEARLY": MAX_YEARS_AHEAD}
"""Largest "alle N …": once a year / twice a year's span; beyond that a series is one date, not a rhythm."""
_INTERVAL_UNITS = {
    "DAILY": ("Tage", "days"), "WEEKLY": ("Wochen", "weeks"), "MONTHLY": ("Monate", "months"),
    "YEARLY": ("Jahre", "years"),
}  # fmt: skip


@dataclass(frozen=True)
class Schedule:
    start: datetime
    """Aware, in the zone given to `parse_schedule`: the one-off date or the first date of the series."""
    duration: timedelta | None
    """From "14-16 Uhr" or "für 2 Stunden"; None when not said."""
    rrule: str | None
    """RFC 5545 RRULE value without DTSTART ("FREQ=WEEKLY;BYDAY=TU"); UNTIL in UTC ('Z') form."""
    title: str


class ScheduleError(BadArgument, ValueError):
    """A phrase the bot does not understand or will not guess at: a key of `bot.schedule_texts`, whose text says how
    to write it. Handlers let it through: the dispatcher renders it in the person's language with the usage line.
    Still a `ValueError`, as for any parser."""


# --- Words -----------------------------------------------------------------------------------------------

_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS_SHORT_DE = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
_WEEKDAYS_SHORT_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_DE = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)  # fmt: skip
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# Lookup tables are keyed by `fold(word)`: case, umlauts (ä = ae) and a trailing dot do not matter.
_WEEKDAY_WORDS = {fold(name): i for names in (_WEEKDAYS_DE, _WEEKDAYS_EN) for i, name in enumerate(names)} | {
    "sonnabend": 5
}
_WEEKDAY_PLURALS = {word + "s": i for word, i in _WEEKDAY_WORDS.items()}  # "montags", "mondays"
_WEEKDAY_ABBREVIATIONS = {fold(name): i for names in (_WEEKDAYS_SHORT_DE, _WEEKDAYS_SHORT_EN) for i, name in
                          enumerate(names)} | {"tues": 1, "thur": 3, "thurs": 3}  # fmt: skip
"""Two- and three-letter names ("Do", "So", "sun") are everyday words too, so they count only where a
weekday is expected ("jeden Mo und Do", "Mo-Fr") or when a dot or a date follows ("Do. 10 Uhr", "Di 3.12.")."""
_MONTH_WORDS = {fold(name): i for names in (_MONTHS_DE, _MONTHS_EN) for i, name in enumerate(names, 1)} | {
    "jaenner": 1, "jan": 1, "feb": 2, "mrz": 3, "mar": 3, "apr": 4, "jun": 6, "jul": 7,
    "aug": 8, "sep": 9, "sept": 9, "okt": 10, "oct": 10, "nov": 11, "dez": 12, "dec": 12,
}  # fmt: skip
_NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einer": 1, "einem": 1, "einen": 1, "one": 1, "a": 1, "an": 1,
    "zwei": 2, "two": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fuenf": 5, "five": 5,
    "sechs": 6, "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "neun": 9, "nine": 9,
    "zehn": 10, "ten": 10, "elf": 11, "eleven": 11, "zwoelf": 12, "twelve": 12,
}  # fmt: skip
_ORDINAL_WORDS = {
    stem + ending: n
    for stem, n in (("erst", 1), ("zweit", 2), ("dritt", 3), ("viert", 4), ("fuenft", 5), ("letzt", -1),
                    ("vorletzt", -2))
    for ending in ("e", "en", "er", "es")
} | {"first": 1, "second": 2, "other": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1,
     "secondtolast": -2, "secondlast": -2}  # fmt: skip
_DURATION_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minuten", "minutes"), timedelta(minutes=1)),
    **dict.fromkeys(("h", "std", "stunde", "stunden", "hour", "hours", "hr", "hrs"), timedelta(hours=1)),
    **dict.fromkeys(("d", "tag", "tage", "tagen", "day", "days"), timedelta(days=1)),
    **dict.fromkeys(("w", "wo", "woche", "wochen", "week", "weeks"), timedelta(weeks=1)),
}
_PERIOD_UNITS = {
    **dict.fromkeys(("tag", "tage", "day", "days"), "DAILY"),
    **dict.fromkeys(("woche", "wochen", "week", "weeks"), "WEEKLY"),
    **dict.fromkeys(("monat", "monate", "month", "months"), "MONTHLY"),
    **dict.fromkeys(("jahr", "jahre", "year", "years"), "YEARLY"),
}
_PERIOD_ADVERBS = {
    "taeglich": ("DAILY", 1), "daily": ("DAILY", 1),
    "woechentlich": ("WEEKLY", 1), "weekly": ("WEEKLY", 1),
    "vierzehntaegig": ("WEEKLY", 2), "14taegig": ("WEEKLY", 2), "zweiwoechentlich": ("WEEKLY", 2),
    "fortnightly": ("WEEKLY", 2),
    "monatlich": ("MONTHLY", 1), "monthly": ("MONTHLY", 1),
    "jaehrlich": ("YEARLY", 1), "yearly": ("YEARLY", 1), "annually": ("YEARLY", 1),
}  # fmt: skip
_DAYPART_ADVERBS = {"frueh": "am", "morgens": "am", "vormittags": "am", "nachmittags": "pm", "abends": "pm"}
_DAYPART_NOUNS = {
    **dict.fromkeys(("morgen", "vormittag", "morning"), "am"),
    **dict.fromkeys(("nachmittag", "abend", "afternoon", "evening", "night"), "pm"),
}
"""Nouns are titles too ("Abend der Begegnung", "Morning Briefing"): they count only as "am Abend", "in the
evening", "at night", after a weekday ("Montag morgen") or a day ("heute Abend", "tomorrow morning")."""
_WORKDAYS = (0, 1, 2, 3, 4)


# --- Patterns --------------------------------------------------------------------------------------------


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE)


_W = r"[^\W\d_]+"  # one word of letters
_END = r"(?![\w-])"  # a clause never ends inside a word or before a hyphen: "Dienstag-Runde" is a title
_BLANKS = re.compile(r"\s*")
_BETWEEN = re.compile(r"[\s,]*")
_TITLE_SEPARATOR = _rx(r"(?:[:–—]|-(?=\s))\s*")

_RELATIVE_DAY = _rx(rf"""
    (?P<word>heute|today|tonight|(?:ü|ue)bermorgen|morgen|tomorrow|(?:the\s+)?day\s+after\s+tomorrow)
    (?:\s+(?P<part>{_W}))?{_END}
""")
_DAYPART = _rx(rf"(?:(?P<lead>am|in\s+the|at)\s+)?(?P<part>{_W}){_END}")
_DAY_PREFIX = _rx(r"(?:am|on|den|dem)\s+")
_WEEKDAY_QUALIFIER = _rx(r"(?P<q>n(?:ä|ae)chste[nrs]?|kommende[nrs]?|diese[nrs]?|next|this|coming)\s+")
_WEEKDAY = _rx(rf"(?P<word>{_W})(?P<dot>\.)?{_END}")
_WEEKDAY_RANGE = _rx(rf"(?P<first>{_W})\.?\s*(?:-|–|bis|to|through)\s*(?P<last>{_W})\.?{_END}")
_LIST_JOIN = _rx(r"\s*(?:,|und|and|&|/|sowie)\s*")
_DATE_AFTER_WEEKDAY = _rx(r",?\s*(?:den\s+|the\s+)?")
_DIGIT_AHEAD = _rx(r"\s*,?\s*\d")
_NUMERIC_DATE = _rx(r"""
    (?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?:(?P<year>\d{4}|\d{2})(?!\d))?
  | (?P<day2>\d{1,2})\.(?P<month2>\d{1,2})(?![\d.:]|\s*uhr)
""")
_ISO_DATE = _rx(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)")
_SLASH_DATE = _rx(r"(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<year>\d{4}|\d{2}))?(?![\d/])")
_DAY_MONTH_NAME = _rx(rf"""
    (?P<day>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?(?P<month>{_W})\.?(?:,?\s+(?P<year>\d{{4}}))?{_END}
""")
_MONTH_NAME_DAY = _rx(rf"(?P<month>{_W})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?{_END}")

_TIME_PREFIX = _rx(r"(?:(?:um|at|gegen|von|from|ab)\s+|@\s*)")
_CLOCK = _rx(r"""
    (?P<hour>\d{1,2})(?!\d)
    (?:(?P<sep>[:.])(?P<minute>\d{2})(?!\d))?
    (?:\s*(?P<suffix>uhr|[ap]\.?\s?m\.?)(?!\w))?
""")
_RANGE_JOIN = _rx(r"\s*(?:-|–|—|bis|to|until|till)\s*")
_AFTER_EXPLICIT_CLOCK = _rx(r"(?![\w-])")
_AFTER_BARE_CLOCK = _rx(r"(?![\w./-]|:\d)")
_AM = _rx(r"a\.?\s?m\.?")
_TRAILING_PUNCTUATION = re.compile(r"[\s.!?]*")

_AMOUNT = _rx(rf"(?:(?P<digits>\d+(?:[.,]\d+)?)\s*|(?P<word>{_W})\s+)(?P<unit>{_W})\.?{_END}")
_MORE_AMOUNT = _rx(rf"(?:\s*(?:,|und|and)\s*|\s*)(?P<digits>\d+(?:[.,]\d+)?)\s*(?P<unit>{_W})\.?{_END}")
_HALF_HOUR = _rx(rf"(?:(?:eine[r]?\s+)?halbe[n]?\s+stunde|half\s+an\s+hour|(?:a\s+)?half\s+hour){_END}")
_OFFSET_PREFIX = _rx(r"in\s+")
_LENGTH_PREFIX = _rx(r"(?:f(?:ü|ue)r|for|dauer:?)\s+")
_LIMIT = _rx(r"""
    (?P<kind>ab|bis(?:\s+(?:zum|einschlie(?:ß|ss)lich))?|until|till|through|from|starting(?:\s+(?:on|from))?)\s+
""")
_ONCE = _rx(rf"(?:einmalig|once){_END}")

_PERIOD_ADVERB = _rx(rf"(?P<adverb>{_W}|14-?t(?:ä|ae)gig){_END}")
_PERIOD_COUNTED = _rx(rf"(?:alle|jede[nrs]?|every)\s+(?P<count>\d+|{_W})\s+(?P<unit>{_W}){_END}")
_PERIOD_SINGLE = _rx(rf"(?:alle|jede[nrs]?|every)\s+(?P<unit>{_W}){_END}")
_WORKDAYS_PHRASE = _rx(rf"""
    (?:werktags|an\s+werktagen|jeden\s+werktag|(?:on\s+)?weekdays|every\s+weekday|(?:on\s+)?workdays){_END}
""")
_NTH_LEAD = _rx(r"(?P<lead>jede[nrs]?|every|an\s+jedem|am|on\s+the|the)\s+")
_EVERY_LEAD = _rx(r"(?P<lead>jede[nrs]?|every|immer|on)\s+")
_SPEC_PREFIX = _rx(r"(?:am|an|on|immer)\s+(?:the\s+)?")
_ORDINAL = _rx(rf"(?:(?P<digits>\d{{1,2}})(?:\.(?!\d)|st|nd|rd|th)|(?P<word>second[-\s]to[-\s]last|{_W})){_END}")
_DAY_WORD = _rx(rf"(?:tag|day){_END}")
_MONTH_SUFFIX = _rx(rf"(?:(?:im|jeden|des|eines|pro)\s+monats?|(?:of|in)\s+(?:the|every|each|a)\s+month){_END}")

_REMINDER_SUBJECT = _rx(rf"(?:mich|me){_END}")
_REMINDER_JOIN = _rx(r"(?:(?:an|daran)(?:\s*,?\s*dass)?|to|about|that|dass)(?!\w)\s*|[:–—-]\s*")
_BYDAY_ITEM = re.compile(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)")
_EXPLICIT_TIME_IN_TEXT = _rx(r"(?<![\w.:])\d{1,2}(?::\d{2}\s*(?:uhr)?|(?:[.:]\d{2})?\s*(?:uhr|[ap]m))(?!\w)")


# --- Clauses: what was written, before it means anything -------------------------------------------------


@dataclass(frozen=True)
class _CalendarDate:
    day: int
    month: int
    year: int | None
    weekday: int | None = None  # named with it: "Dienstag, 3.12."


@dataclass(frozen=True)
class _RelativeDay:
    days: int
    daypart: str | None = None


@dataclass(frozen=True)
class _WeekdayRef:
    weekday: int
    qualifier: str | None  # "next", "this", "coming"


_DayRef = _CalendarDate | _RelativeDay | _WeekdayRef


@dataclass(frozen=True)
class _ClockReading:
    hour: int
    minute: int | None
    suffix: str | None  # "uhr", "am", "pm"
    text: str

    @property
    def explicit(self) -> bool:
        """Unmistakably a time of day: "14 Uhr", "9:30", "3pm" (a bare "9" needs "um"/"at" before it)."""
        return self.suffix is not None or self.minute is not None


@dataclass(frozen=True)
class _Time:
    start: time
    end: time | None
    meridiem: bool  # am/pm was written: a part of day changes nothing
    bare_hour: bool  # "um 3", "at 3"


@dataclass(frozen=True)
class _Offset:
    delta: timedelta
    clock: bool  # "in 2 Stunden" sets the time; "in 3 Tagen" only the day


@dataclass(frozen=True)
class _Recurrence:
    freq: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    nth: int | None = None  # with one weekday: "+2TU", "-1FR"
    monthday: int | None = None
    month: int | None = None


@dataclass(frozen=True)
class _Limit:
    kind: str  # "first_day" or "last_day"
    day: _DayRef


@dataclass(frozen=True)
class _Daypart:
    meridiem: str


@dataclass(frozen=True)
class _Length:
    delta: timedelta


@dataclass(frozen=True)
class _Once:
    pass


_Clause = _DayRef | _Time | _Offset | _Recurrence | _Limit | _Daypart | _Length | _Once

_WHAT = {
    "day": Localized("den Tag", "the day"), "time": Localized("die Uhrzeit", "the time"),
    "offset": Localized("den Zeitpunkt", "the moment"), "recurrence": Localized("die Wiederholung", "the repetition"),
    "first_day": Localized("den Beginn", "the start"), "last_day": Localized("das Ende", "the end"),
    "length": Localized("die Dauer", "the length"), "daypart": Localized("die Tageszeit", "the part of day"),
    "once": Localized("„einmalig“", "“once”"),
}  # fmt: skip


@dataclass
class _Phrase:
    """The clauses found at the start of a message, and the rest (title or reminder text)."""

    day: _DayRef | None = None
    time: _Time | None = None
    offset: _Offset | None = None
    recurrence: _Recurrence | None = None
    first_day: _DayRef | None = None
    last_day: _DayRef | None = None
    length: timedelta | None = None
    daypart: str | None = None
    once: bool = False
    sources: dict[str, str] = field(default_factory=dict)
    when: str = ""
    rest: str = ""

    @property
    def empty(self) -> bool:
        return not self.sources

    @property
    def complete(self) -> bool:
        """Day and time are known: what follows is the title, except for trailing limits, length, "abends"."""
        clock = self.time is not None or (self.offset is not None and self.offset.clock)
        return clock and (self.day is not None or self.offset is not None or self.recurrence is not None)

    def add(self, clause: _Clause, source: str) -> None:
        match clause:
            case _Time():
                self._put("time", clause, source)
            case _Offset():
                self._put("offset", clause, source)
            case _Recurrence():
                self._put("recurrence", clause, source)
            case _Limit(kind=kind, day=day):
                self._put(kind, day, source)
            case _Daypart(meridiem=meridiem):
                self._put("daypart", meridiem, source)
            case _Length(delta=delta):
                self._put("length", delta, source)
            case _Once():
                self._put("once", True, source)
            case _RelativeDay(daypart=daypart) if daypart is not None:
                self._put("day", clause, source)
                self._put("daypart", daypart, source)
            case _:
                self._put("day", clause, source)

    def _put(self, name: str, value: object, source: str) -> None:
        if name in self.sources:
            raise ScheduleError("schedule.twice", what=_WHAT[name], first=self.sources[name], second=source)
        self.sources[name] = source
        setattr(self, name, value)

    def with_time(self) -> Localized:
        """The user's own phrase with a time added, as code, for "Um wie viel Uhr?"."""
        return Localized(
            code(f"{self.when} 14 Uhr {self.rest or 'Teamrunde'}"),
            code(f"{self.when} 14:00 {self.rest or 'team meeting'}"),
        )


# --- Reading ---------------------------------------------------------------------------------------------


class _Cursor:
    """Reads a phrase from the left: `take` skips blanks, then matches at the current position or moves nothing."""

    def __init__(self, text: str, pos: int = 0) -> None:
        self.text = text
        self.pos = pos

    def skip(self, pattern: re.Pattern[str] = _BLANKS) -> int:
        match = pattern.match(self.text, self.pos)
        if match:
            self.pos = match.end()
        return self.pos

    def take(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        blanks = _BLANKS.match(self.text, self.pos)
        match = pattern.match(self.text, blanks.end() if blanks else self.pos)
        if match:
            self.pos = match.end()
        return match

    def at(self, pattern: re.Pattern[str]) -> bool:
        return pattern.match(self.text, self.pos) is not None

    @property
    def done(self) -> bool:
        return not self.text[self.pos :].strip()


_T = TypeVar("_T")


def _attempt(cur: _Cursor, read: Callable[[_Cursor], _T]) -> _T:
    """Run one reader; if it finds nothing, the cursor stays where it was."""
    start = cur.pos
    result = read(cur)
    if result is None:
        cur.pos = start
    return result


def _number(word: str) -> int | None:
    return _NUMBER_WORDS.get(fold(word))


def _weekday_index(word: str, *, short: bool) -> tuple[int, bool] | None:
    """(weekday, plural) for "Dienstag"/"dienstags"/"Di"; abbreviations only where `short` allows them."""
    key = fold(word)
    if key in _WEEKDAY_WORDS:
        return _WEEKDAY_WORDS[key], False
    if key in _WEEKDAY_PLURALS:
        return _WEEKDAY_PLURALS[key], True
    if short and key in _WEEKDAY_ABBREVIATIONS:
        return _WEEKDAY_ABBREVIATIONS[key], False
    return None


def _read_weekday_list(cur: _Cursor, *, short: bool) -> tuple[tuple[int, ...], bool] | None:
    """ "Montag und Donnerstag", "Mo, Mi und Fr", "Mo-Fr": (weekdays, plural or range)."""
    if (match := cur.take(_WEEKDAY_RANGE)) is not None:
        first = _weekday_index(match["first"], short=True)
        last = _weekday_index(match["last"], short=True)
        if first and last:
            span = (last[0] - first[0]) % 7
            return tuple(sorted((first[0] + i) % 7 for i in range(span + 1))), True
        cur.pos = match.start()
    match = cur.take(_WEEKDAY)
    found = _weekday_index(match["word"], short=short) if match else None
    if found is None:
        return None
    days, plural = [found[0]], found[1]
    while True:
        before = cur.pos
        more = _weekday_index(m["word"], short=True) if cur.take(_LIST_JOIN) and (m := cur.take(_WEEKDAY)) else None
        if more is None:
            cur.pos = before
            return tuple(sorted(set(days))), plural
        days.append(more[0])
        plural = plural or more[1]


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text) + (2000 if len(text) == 2 else 0)


def _read_calendar_date(cur: _Cursor) -> _CalendarDate | None:
    if (m := cur.take(_NUMERIC_DATE)) is not None:
        if m["day"] is not None:
            return _CalendarDate(int(m["day"]), int(m["month"]), _year(m["year"]))
        return _CalendarDate(int(m["day2"]), int(m["month2"]), None)
    if (m := cur.take(_ISO_DATE)) is not None:
        return _CalendarDate(int(m["day"]), int(m["month"]), int(m["year"]))
    if (m := cur.take(_SLASH_DATE)) is not None:
        return _slash_date(int(m["a"]), int(m["b"]), _year(m["year"]), m.group())
    for pattern in (_DAY_MONTH_NAME, _MONTH_NAME_DAY):
        start = cur.pos
        if (m := cur.take(pattern)) is not None and (month := _MONTH_WORDS.get(fold(m["month"]))) is not None:
            return _CalendarDate(int(m["day"]), month, _year(m["year"]))
        cur.pos = start
    return None


def _slash_date(a: int, b: int, year: int | None, text: str) -> _CalendarDate:
    """German users write 3.12.; "12/3" might be either, so only an impossible reading is ruled out."""
    if a <= 12 and b <= 12 and a != b:
        raise ScheduleError(
            "schedule.ambiguous_slash_date",
            text=text,
            a=a,
            b=b,
            month_a=_month(a),
            month_b=_month(b),
            dotted=code(f"{a}.{b}."),
            swapped=code(f"{b}.{a}."),
            named=code(f"{a} {_MONTHS_EN[b - 1]}"),
        )
    return _CalendarDate(a, b, year) if b <= 12 else _CalendarDate(b, a, year)


def _read_day(cur: _Cursor) -> _DayRef | None:
    if (m := cur.take(_RELATIVE_DAY)) is not None:
        word = fold(m["word"])
        days = 0 if word in ("heute", "today", "tonight") else 1 if word in ("morgen", "tomorrow") else 2
        part = (_DAYPART_ADVERBS | _DAYPART_NOUNS).get(fold(m["part"] or ""))
        if m["part"] is not None and part is None:  # "morgen Teamrunde": the next word is the title
            cur.pos = m.end("word")
        return _RelativeDay(days, "pm" if word == "tonight" else part)
    cur.take(_DAY_PREFIX)
    return _attempt(cur, _read_weekday_ref) or _read_calendar_date(cur)


def _read_weekday_ref(cur: _Cursor) -> _DayRef | None:
    qualifier = cur.take(_WEEKDAY_QUALIFIER)
    if (m := cur.take(_WEEKDAY)) is None:
        return None
    found = _weekday_index(m["word"], short=bool(m["dot"]) or cur.at(_DIGIT_AHEAD))
    if found is None or found[1]:
        return None
    named = _qualifier(qualifier["q"]) if qualifier else None
    after_weekday = cur.pos
    cur.take(_DATE_AFTER_WEEKDAY)
    if named is None and (dated := _attempt(cur, _read_calendar_date)) is not None:
        return replace(dated, weekday=found[0])
    cur.pos = after_weekday
    return _WeekdayRef(found[0], named)


def _qualifier(word: str) -> str:
    key = fold(word)
    return (
        "next" if key.startswith(("naechst", "next")) else "coming" if key.startswith(("kommend", "coming")) else "this"
    )


def _read_clock(cur: _Cursor) -> _ClockReading | None:
    if (m := cur.take(_CLOCK)) is None:
        return None
    suffix = fold(m["suffix"] or "") or None
    if suffix == "am" and _day_follows(cur):  # German "um 9 am Montag", not 9 a.m.
        cur.pos = m.end("minute") if m["minute"] else m.end("hour")
        suffix = None
    if m["sep"] == "." and suffix != "uhr":  # "3.12" is a date; "14.30 Uhr" a time
        return None
    minute = int(m["minute"]) if m["minute"] else None
    return _ClockReading(int(m["hour"]), minute, suffix, cur.text[m.start() : cur.pos])


def _clock_ends(cur: _Cursor, clock: _ClockReading) -> bool:
    """A time ends at a blank or punctuation; a bare hour not before a dot or slash ("um 14.12." is no time)."""
    return cur.at(_AFTER_EXPLICIT_CLOCK if clock.explicit else _AFTER_BARE_CLOCK)


def _day_follows(cur: _Cursor) -> bool:
    ahead = _Cursor(cur.text, cur.pos)
    ahead.take(_AM)
    try:
        return _read_day(ahead) is not None
    except ScheduleError:
        return True


def _read_time(cur: _Cursor) -> _Time | None:
    prefixed = cur.take(_TIME_PREFIX) is not None
    if (first := _read_clock(cur)) is None:
        return None
    after_first = cur.pos
    second = _attempt(cur, _read_clock) if cur.take(_RANGE_JOIN) else None
    if second is not None and (prefixed or first.explicit or second.explicit) and _clock_ends(cur, second):
        return _time_range(first, second)
    cur.pos = after_first
    if not (prefixed or first.explicit) or not _clock_ends(cur, first):
        return None
    bare = first.minute is None and first.suffix is None
    return _Time(_clock_time(first), None, first.suffix in ("am", "pm"), bare)


def _clock_time(clock: _ClockReading, meridiem: str | None = None) -> time:
    minute = clock.minute or 0
    meridiem = clock.suffix if clock.suffix in ("am", "pm") else meridiem
    if meridiem is not None and 1 <= clock.hour <= 12 and minute <= 59:
        return time(clock.hour % 12 + (12 if meridiem == "pm" else 0), minute)
    if meridiem is None and clock.hour <= 23 and minute <= 59:
        return time(clock.hour, minute)
    raise ScheduleError("schedule.invalid_time", time=clock.text)


def _time_range(first: _ClockReading, second: _ClockReading) -> _Time:
    """ "14-16 Uhr", "2-4pm" (the pm counts for both), "11-1pm" (11 a.m. to 1 p.m.)."""
    end = _clock_time(second)
    inherited = second.suffix if second.suffix in ("am", "pm") and first.suffix not in ("am", "pm") else None
    start = _clock_time(first, inherited)
    if inherited == "pm" and start >= end:
        start = _clock_time(first, "am")
    if end <= start:
        raise ScheduleError("schedule.end_before_start", first=first.text, second=second.text)
    return _Time(start, end, meridiem=inherited is not None or first.suffix in ("am", "pm"), bare_hour=False)


def _read_duration(cur: _Cursor) -> tuple[timedelta, timedelta] | None:
    """(length, smallest unit used): "2 Stunden", "1h 30min", "eine halbe Stunde", "an hour"."""
    if cur.take(_HALF_HOUR):
        return timedelta(minutes=30), timedelta(minutes=1)
    if (m := cur.take(_AMOUNT)) is None:
        return None
    parts: list[tuple[float, timedelta]] = []
    while m is not None:
        amount = float(m["digits"].replace(",", ".")) if m["digits"] else _number(m["word"])
        amount = None if amount is None else min(amount, _MAX_AMOUNT)
        unit = _DURATION_UNITS.get(fold(m["unit"]))
        if amount is None or unit is None:
            cur.pos = m.start()
            break
        parts.append((amount, unit))
        m = cur.take(_MORE_AMOUNT)
    if not parts:
        return None
    return sum((amount * unit for amount, unit in parts), timedelta(0)), min(unit for _, unit in parts)


def _read_offset(cur: _Cursor) -> _Offset | None:
    start = cur.take(_OFFSET_PREFIX)
    if start is None or (found := _read_duration(cur)) is None:
        return None
    delta, finest = found
    _check_duration(delta, cur.text[start.start() : cur.pos])
    # "in 2 Stunden" sets the time of day; "in 3 Tagen" only the day (and "in 1,5 Tagen" both).
    return _Offset(delta, clock=finest < timedelta(days=1) or delta % timedelta(days=1) != timedelta(0))


def _read_length(cur: _Cursor) -> _Length | None:
    start = cur.take(_LENGTH_PREFIX)
    if start is None or (found := _read_duration(cur)) is None:
        return None
    _check_duration(found[0], cur.text[start.start() : cur.pos])
    return _Length(found[0])


def _read_limit(cur: _Cursor) -> _Limit | None:
    if (m := cur.take(_LIMIT)) is None or (day := _read_day(cur)) is None:
        return None
    return _Limit("first_day" if m["kind"].lower().startswith(("ab", "from", "starting")) else "last_day", day)


def _read_daypart(cur: _Cursor) -> _Daypart | None:
    """ "abends", "früh", "am Abend", "in the morning", "Montag morgen" (but a bare "morgen" is tomorrow)."""
    if (m := cur.take(_DAYPART)) is None:
        return None
    word, words_before = fold(m["part"]), cur.text[: m.start()].split()
    if m["lead"] is None and word in _DAYPART_ADVERBS:
        return _Daypart(_DAYPART_ADVERBS[word])
    after_weekday = bool(words_before) and _weekday_index(words_before[-1], short=True) is not None
    if word in _DAYPART_NOUNS and (m["lead"] is not None or after_weekday):
        return _Daypart(_DAYPART_NOUNS[word])
    return None


def _read_once(cur: _Cursor) -> _Once | None:
    return _Once() if cur.take(_ONCE) else None


# Recurrence: three shapes. "alle 2 Wochen montags" / "monatlich am 15." (a period, then which day);
# "jeden 2. Dienstag im Monat" / "the last day of the month" (an ordinal); "jeden Montag und Donnerstag",
# "dienstags", "werktags", "Mo-Fr" (weekdays).


def _read_recurrence(cur: _Cursor) -> _Recurrence | None:
    for read in (_read_period, _read_nth_of_month, _read_weekly):
        if (found := _attempt(cur, read)) is not None:
            return found
    return None


def _read_period_head(cur: _Cursor) -> tuple[str, int] | None:
    """ "täglich", "14-tägig", "jede Woche", "alle 2 Wochen", "jede zweite Woche", "every other week"."""
    if (m := cur.take(_PERIOD_ADVERB)) is not None:
        if (adverb := _PERIOD_ADVERBS.get(fold(m["adverb"]))) is not None:
            return adverb
        cur.pos = m.start()
    if (m := cur.take(_PERIOD_COUNTED)) is not None:
        count = m["count"]
        interval = int(count) if count.isdecimal() else _number(count) or _ORDINAL_WORDS.get(fold(count))
        unit = _PERIOD_UNITS.get(fold(m["unit"]))
        if unit is not None and interval is not None and interval >= 1:
            if interval > MAX_INTERVAL[unit]:
                de, en = _INTERVAL_UNITS[unit]
                raise ScheduleError(
                    "schedule.interval_too_large",
                    written=m.group().strip(),
                    limit=MAX_INTERVAL[unit],
                    unit=Localized(de, en),
                    example=Localized(code(f"alle 2 {de} …"), code(f"every 2 {en} …")),
                )
            return unit, interval
        cur.pos = m.start()
    if (m := cur.take(_PERIOD_SINGLE)) is not None and (unit := _PERIOD_UNITS.get(fold(m["unit"]))) is not None:
        return unit, 1
    return None


def _read_period(cur: _Cursor) -> _Recurrence | None:
    if (head := _read_period_head(cur)) is None:
        return None
    freq, interval = head
    series = _Recurrence(freq, interval)
    match freq:
        case "WEEKLY":
            if cur.take(_WORKDAYS_PHRASE):
                return replace(series, weekdays=_WORKDAYS)
            before = cur.pos
            cur.take(_SPEC_PREFIX)
            if (days := _read_weekday_list(cur, short=True)) is not None:
                return replace(series, weekdays=days[0])
            cur.pos = before
        case "MONTHLY":
            before = cur.pos
            cur.take(_SPEC_PREFIX)
            if (spec := _attempt(cur, _read_nth)) is not None:
                cur.take(_MONTH_SUFFIX)
                return replace(series, nth=spec.nth, weekdays=spec.weekdays, monthday=spec.monthday)
            cur.pos = before
        case "YEARLY":
            before = cur.pos
            cur.take(_SPEC_PREFIX)
            if (day := _attempt(cur, _read_calendar_date)) is not None and day.year is None:
                return replace(series, month=day.month, monthday=day.day)
            cur.pos = before
    return series


def _read_nth(cur: _Cursor) -> _Recurrence | None:
    """ "2. Dienstag", "letzten Freitag", "second tuesday", "15.", "15th", "letzten Tag" (freq left open)."""
    if (m := cur.take(_ORDINAL)) is None:
        return None
    nth = int(m["digits"]) if m["digits"] else _ORDINAL_WORDS.get(fold(m["word"]))
    if nth is None:
        return None
    if (weekday := _attempt(cur, lambda c: _read_weekday_list(c, short=True))) is not None:
        if len(weekday[0]) != 1 or weekday[1] or not (1 <= nth <= 5 or nth in (-1, -2)):
            return None
        return _Recurrence("MONTHLY", nth=nth, weekdays=weekday[0])
    if cur.take(_DAY_WORD) or (m["digits"] and nth >= 1):
        return _Recurrence("MONTHLY", monthday=nth) if nth in (-1, *range(1, 32)) else None
    return None


_EVERY_OTHER = re.compile(r"every\s+other\b", re.IGNORECASE)


def _read_nth_of_month(cur: _Cursor) -> _Recurrence | None:
    if (lead := cur.take(_NTH_LEAD)) is None or (spec := _read_nth(cur)) is None:
        return None
    if cur.take(_MONTH_SUFFIX) is not None:
        return spec
    if not fold(lead["lead"]).startswith(("jede", "every")):
        return None  # "am 2. Dienstag", "the 15th": not a series without "im Monat"
    if spec.nth is None or spec.nth < 2:  # "jeden 15.", "jeden ersten Montag", "jeden letzten Freitag"
        return spec
    n, day, written = spec.nth, spec.weekdays[0], cur.text[lead.start() : cur.pos]
    if n == 2 and _EVERY_OTHER.match(written):  # "every other Monday" means one thing: every two weeks
        return _Recurrence("WEEKLY", interval=2, weekdays=spec.weekdays)
    # "jeden zweiten Dienstag" and "every second Tuesday" are said for both: every other week, or the 2nd of a month.
    raise ScheduleError(
        "schedule.nth_weekday_ambiguous",
        written=written,
        n=n,
        ordinal=_ordinal_en(n),
        weekday=_weekday(day),
        monthly=Localized(
            code(f"jeden {n}. {_WEEKDAYS_DE[day]} im Monat 14 Uhr …"),
            code(f"the {_ordinal_en(n)} {_WEEKDAYS_EN[day]} of every month at 2pm …"),
        ),
        weekly=Localized(
            code(f"alle {n} Wochen {_WEEKDAYS_DE[day].lower()}s 14 Uhr …"),
            code(f"every {n} weeks on {_WEEKDAYS_EN[day]} at 2pm …"),
        ),
    )


def _read_weekly(cur: _Cursor) -> _Recurrence | None:
    if cur.take(_WORKDAYS_PHRASE):
        return _Recurrence("WEEKLY", weekdays=_WORKDAYS)
    lead = cur.take(_EVERY_LEAD)
    every = lead is not None and fold(lead["lead"]) != "on"
    if (days := _read_weekday_list(cur, short=every)) is None:
        return None
    weekdays, plural_or_range = days
    return _Recurrence("WEEKLY", weekdays=weekdays) if every or plural_or_range else None


_READERS: tuple[Callable[[_Cursor], _Clause | None], ...] = (
    _read_recurrence,
    _read_limit,
    _read_time,
    _read_offset,
    _read_daypart,  # before days: "Montag morgen" is Monday morning
    _read_day,
    _read_length,
    _read_once,
)


def _read_phrase_recurrence(cur: _Cursor) -> _Recurrence | None:
    """After day and time, "Daily" or "Weekly" alone is a title; "jeden Dienstag" is still a (conflicting) series."""
    start = cur.pos
    found = _read_recurrence(cur)
    return found if found is not None and len(cur.text[start : cur.pos].split()) > 1 else None


def _read_phrase_day(cur: _Cursor) -> _DayRef | None:
    """After day and time, a weekday name is a title ("Montag Runde"); "3.12." or "morgen" is still a day."""
    found = _read_day(cur)
    return None if isinstance(found, _WeekdayRef) and found.qualifier is None else found


_TRAILING_READERS: tuple[Callable[[_Cursor], _Clause | None], ...] = (
    _read_phrase_recurrence,
    _read_limit,
    _read_time,  # a second time or date is a mistake, not the start of a title
    _read_phrase_day,
    _read_length,
    _read_daypart,
)
"""Once day and time are known, "werktags 8:30 Daily" and "morgen 14 Uhr Montag Runde" have titles, while
"morgen 14 Uhr jeden Dienstag …" or "… 14 Uhr morgen" are still read, to be refused as contradictions."""


def _scan(text: str) -> _Phrase:
    """Read clauses from the left until a word starts none of them; the rest is the title."""
    cur, found = _Cursor(text), _Phrase()
    while True:
        cur.skip(_BETWEEN)
        title_start = cur.pos
        if cur.take(_TITLE_SEPARATOR):
            title_start = cur.pos
            break
        for read in _TRAILING_READERS if found.complete else _READERS:
            start = cur.pos
            if (clause := _attempt(cur, read)) is not None:
                found.add(clause, text[start : cur.pos].strip())
                break
        else:
            break
    found.when = " ".join(text[:title_start].split()).strip(" ,:–—-")
    found.rest = " ".join(text[title_start:].split()).lstrip(":–—- ").strip()
    return found


# --- Meaning ---------------------------------------------------------------------------------------------


def _localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """Wall-clock time in `tz`: 02:30 in the spring gap becomes 03:30, 02:30 in the autumn repeat the first."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def _local_now(now: datetime, tz: ZoneInfo) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(tz)


def _resolve_day(ref: _DayRef, today: date, *, allow_past: bool = False) -> date:
    match ref:
        case _RelativeDay(days=days):
            return today + timedelta(days=days)
        case _WeekdayRef():
            return _resolve_weekday(ref, today)
        case _CalendarDate():
            return _resolve_calendar_date(ref, today, allow_past=allow_past)


def _resolve_weekday(ref: _WeekdayRef, today: date) -> date:
    ahead = (ref.weekday - today.weekday()) % 7
    nearest = today + timedelta(days=ahead or 7)
    name_de, name_en = _WEEKDAYS_DE[ref.weekday], _WEEKDAYS_EN[ref.weekday]
    if ref.qualifier == "this":
        if ref.weekday < today.weekday():
            raise ScheduleError(
                "schedule.this_weekday_passed",
                weekday=_weekday(ref.weekday),
                nearest=_long_date(nearest),
                date=code(_short_de(nearest)),
                next_weekday=Localized(code(f"nächsten {name_de}"), code(f"next {name_en}")),
            )
        return today + timedelta(days=ahead)
    if ref.qualifier == "next" and ref.weekday > today.weekday():
        later = nearest + timedelta(days=7)
        raise ScheduleError(
            "schedule.next_weekday_ambiguous",
            weekday=_weekday(ref.weekday),
            nearest=_long_date(nearest),
            later=_long_date(later),
            nearest_date=code(_short_de(nearest)),
            later_date=code(_short_de(later)),
            coming=Localized(code(f"kommenden {name_de}"), code(f"coming {name_en}")),
        )
    if ref.qualifier is None and ahead == 0:
        raise ScheduleError(
            "schedule.weekday_is_today", weekday=_weekday(ref.weekday), in_a_week=code(f"{_short_de(nearest)} …")
        )
    return nearest


def _resolve_calendar_date(ref: _CalendarDate, today: date, *, allow_past: bool) -> date:
    """A date without year is the one nearest to today; refused when that has passed, unless `allow_past`."""
    years = (ref.year,) if ref.year is not None else (today.year - 1, today.year, today.year + 1)
    candidates = [day for year in years if (day := _valid_date(year, ref.month, ref.day)) is not None]
    written = f"{ref.day}.{ref.month}." + (str(ref.year) if ref.year is not None else "")
    if not candidates:
        leap = (ref.day, ref.month) == (29, 2)
        raise ScheduleError("schedule.no_such_date_leap" if leap else "schedule.no_such_date", written=written)
    day = min(candidates, key=lambda candidate: abs((candidate - today).days))
    next_year = code(f"{_short_de(today)}{today.year + 1} …")
    if day > _years_from(today, MAX_YEARS_AHEAD):
        raise ScheduleError("schedule.too_far_ahead", written=written, years=MAX_YEARS_AHEAD, example=next_year)
    if day < _years_from(today, -MAX_YEARS_AHEAD):
        raise ScheduleError("schedule.too_far_back", written=written, years=MAX_YEARS_AHEAD, example=next_year)
    if ref.weekday is not None and day.weekday() != ref.weekday:
        raise ScheduleError(
            "schedule.weekday_mismatch",
            date=Localized(f"{_short_de(day)}{day.year}", f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"),
            actual=_weekday(day.weekday()),
            named=_weekday(ref.weekday),
            only_date=code(f"{_short_de(day)} …"),
            only_weekday=Localized(code(f"{_WEEKDAYS_DE[ref.weekday]} …"), code(f"{_WEEKDAYS_EN[ref.weekday]} …")),
        )
    if ref.year is None and day < today and not allow_past:
        following = next(
            later for year in range(day.year + 1, day.year + 9) if (later := _valid_date(year, ref.month, ref.day))
        )
        raise ScheduleError(
            "schedule.date_passed",
            written=written,
            following=Localized(f"{_short_de(following)}{following.year}", _date_en(following)),
            example=code(f"{_short_de(following)}{following.year} …"),
        )
    return day


def _years_from(today: date, years: int) -> date:
    return _valid_date(today.year + years, today.month, today.day) or date(today.year + years, 3, 1)


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _resolve_clock(found: _Phrase) -> tuple[time, time | None]:
    """The start and end time, with "abends"/"morning" applied and a bare "um 3" refused."""
    assert found.time is not None
    clock = found.time
    if found.daypart is not None and not clock.meridiem:
        if found.daypart == "pm":
            return _afternoon(clock.start), _afternoon(clock.end) if clock.end else None
        if clock.start.hour >= 13:
            raise ScheduleError(
                "schedule.daypart_conflict", time=found.sources["time"], daypart=found.sources["daypart"]
            )
    elif found.daypart is None and clock.bare_hour and 1 <= clock.start.hour <= 6:
        hour = clock.start.hour
        raise ScheduleError(
            "schedule.bare_hour",
            time=found.sources["time"],
            hour=hour,
            afternoon=hour + 12,
            example=Localized(code(f"{hour + 12} Uhr"), code(f"{hour}pm")),
            alternative=Localized(code(f"{hour} Uhr"), code(f"{hour + 12}:00")),
        )
    return clock.start, clock.end


def _afternoon(moment: time) -> time:
    return moment.replace(hour=moment.hour + 12) if moment.hour < 12 else moment


def _missing_time(found: _Phrase) -> ScheduleError:
    misplaced = _EXPLICIT_TIME_IN_TEXT.search(found.rest)
    if misplaced:
        title = " ".join((found.rest[: misplaced.start()] + found.rest[misplaced.end() :]).split())
        example = code(f"{found.when} {misplaced.group()} {title or 'Teamrunde'}")
        return ScheduleError("schedule.time_after_title", example=example)
    return ScheduleError("schedule.missing_time", example=found.with_time())


def _no_when(text: str) -> ScheduleError:
    """Nothing at the start; if the time stands at the end ("Teamrunde morgen 14 Uhr"), show the right order."""
    for gap in re.finditer(r"\s+", text):
        try:
            tail = _scan(text[gap.end() :])
        except ScheduleError:
            continue
        if not tail.empty and not tail.rest:
            return ScheduleError(
                "schedule.when_after_title", example=code(f"{tail.when} {text[: gap.start()].strip()}")
            )
    return ScheduleError("schedule.no_when")


def _in_past(moment: datetime) -> ScheduleError:
    return ScheduleError(
        "schedule.in_past", moment=Localized(format_when(moment, language="de"), format_when(moment, language="en"))
    )


def _resolve_once(found: _Phrase, now: datetime, tz: ZoneInfo, *, reminder: bool) -> tuple[datetime, time | None]:
    """The moment of a one-off (and the end time of a range); `reminder` lets "in 2 Tagen" keep the time of now."""
    for limit in ("first_day", "last_day"):
        if limit in found.sources:
            raise ScheduleError("schedule.limit_needs_series", limit=found.sources[limit])
    today = now.date()
    if found.offset is not None:
        if found.day is not None or (found.offset.clock and found.time is not None):
            other = found.sources["day" if found.day is not None else "time"]
            raise ScheduleError("schedule.offset_conflict", offset=found.sources["offset"], other=other)
        if found.offset.clock:
            moment = (now.astimezone(UTC) + found.offset.delta).astimezone(tz)
            return (moment if reminder else moment.replace(second=0, microsecond=0)), None
        if reminder and found.time is None:
            return _localize(now.replace(tzinfo=None) + found.offset.delta, tz), None
        day: date | None = today + timedelta(days=found.offset.delta.days)
    else:
        day = _resolve_day(found.day, today) if found.day is not None else None
    if found.time is None:
        raise _missing_time(found)
    start, end = _resolve_clock(found)
    if day is None:
        if datetime.combine(today, start) <= now.replace(tzinfo=None):
            title = found.rest or "Teamrunde"
            raise ScheduleError(
                "schedule.time_passed_today",
                clock=Localized(_clock_de(start), _clock_en(start)),
                tomorrow=Localized(code(f"morgen {found.when} {title}"), code(f"tomorrow {found.when} {title}")),
                later=code(f"{_short_de(today + timedelta(days=2))} {found.when} {title}"),
            )
        day = today
    moment = _localize(datetime.combine(day, start), tz)
    if moment.astimezone(UTC) <= now.astimezone(UTC):  # within one zone Python would compare wall times
        raise _in_past(moment)
    return moment, end


def _needs_day(series: _Recurrence) -> bool:
    match series.freq:
        case "WEEKLY":
            return not series.weekdays
        case "MONTHLY":
            return series.monthday is None and not series.weekdays
        case "YEARLY":
            return series.monthday is None
    return False


def _complete_series(series: _Recurrence, first_day: date | None, source: str) -> _Recurrence:
    """ "wöchentlich ab 1.12." takes its day from the start date; without a start date it must be named."""
    if _needs_day(series):
        if first_day is None:
            raise ScheduleError("schedule.series_needs_day", series=source, example=_starting(source))
        if series.freq == "WEEKLY":
            series = replace(series, weekdays=(first_day.weekday(),))
        else:
            series = replace(series, monthday=first_day.day, month=first_day.month if series.freq == "YEARLY" else None)
    if series.monthday is not None and series.monthday > 28:
        raise ScheduleError(
            "schedule.monthday_not_in_every_month",
            day=series.monthday,
            ordinal=_ordinal_en(series.monthday),
            unit=Localized("Jahr", "year") if series.month else Localized("Monat", "month"),
        )
    return series


def _rrule_text(series: _Recurrence, until: datetime | None = None) -> str:
    parts = [f"FREQ={series.freq}"]
    if series.interval > 1:
        parts.append(f"INTERVAL={series.interval}")
    if series.month is not None:
        parts.append(f"BYMONTH={series.month}")
    if series.monthday is not None:
        parts.append(f"BYMONTHDAY={series.monthday}")
    if series.weekdays:
        prefix = f"{series.nth:+d}" if series.nth is not None else ""
        parts.append("BYDAY=" + ",".join(prefix + _WEEKDAY_CODES[day] for day in series.weekdays))
    if until is not None:
        parts.append(f"UNTIL={until.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    return ";".join(parts)


def _resolve_series(found: _Phrase, now: datetime, tz: ZoneInfo) -> tuple[datetime, time | None, str]:
    assert found.recurrence is not None
    source = found.sources["recurrence"]
    for other in ("day", "offset", "once"):
        if other in found.sources:
            raise ScheduleError(
                "schedule.conflicts_with_series", other=found.sources[other], series=source, example=_starting(source)
            )
    today = now.date()
    first_day = last_day = None
    if found.first_day is not None:
        first_day = _resolve_day(found.first_day, today)
        if first_day < today:
            written = found.sources["first_day"]
            example = code(f"{' '.join(found.when.replace(written, '').split())} {found.rest or 'Teamrunde'}")
            raise ScheduleError("schedule.series_start_passed", written=written, example=example)
    if found.last_day is not None:
        last_day = _resolve_day(found.last_day, today)
    series = _complete_series(found.recurrence, first_day, source)
    if found.time is None:
        raise _missing_time(found)
    start, end = _resolve_clock(found)
    # The first date is the first match from today (or the start day) on, counted as if INTERVAL were 1:
    # "alle 2 Wochen montags" said on a Saturday starts the coming Monday, not in nine days.
    anchor = datetime.combine(first_day or today, start)
    first = _wall_occurrences(anchor, _rrule_text(replace(series, interval=1)), tz=tz, after=now, count=1)
    until = _localize(datetime.combine(last_day, time(23, 59, 59)), tz) if last_day else None
    if not first or (until is not None and first[0] > until):
        raise ScheduleError(
            "schedule.series_ends_before_start",
            written=found.sources.get("last_day", source),
            example=Localized(code(f"{source} 10 Uhr bis 31.3.2027 …"), code(f"{source} 10am until 31.3.2027 …")),
        )
    return first[0], end, _rrule_text(series, until)


def _missing_title(found: _Phrase) -> ScheduleError:
    return ScheduleError(
        "schedule.missing_title",
        example=Localized(code(f"{found.when} Teamrunde"), code(f"{found.when} team meeting")),
    )


# --- Public functions ------------------------------------------------------------------------------------


def parse_schedule(text: str, *, now: datetime, tz: ZoneInfo) -> Schedule:
    """Understand `!termin <wann> <Titel>`; the time part comes first."""
    local_now = _local_now(now, tz)
    found = _scan(text)
    if found.empty:
        raise _no_when(text.strip())
    if found.recurrence is not None:
        start, end, rrule = _resolve_series(found, local_now, tz)
    else:
        start, end = _resolve_once(found, local_now, tz, reminder=False)
        rrule = None
    if end is not None and found.length is not None:
        raise ScheduleError("schedule.two_lengths", time=found.sources["time"], length=found.sources["length"])
    duration = found.length
    if end is not None:
        duration = datetime.combine(start.date(), end) - datetime.combine(start.date(), start.time())
    if not found.rest:
        raise _missing_title(found)
    return Schedule(start=start, duration=duration, rrule=rrule, title=found.rest)


def parse_reminder(text: str, *, now: datetime, tz: ZoneInfo) -> tuple[datetime, str]:
    """Understand a personal reminder: "in 2 Stunden an den Bericht", "tomorrow at 9 to call Anna"."""
    local_now = _local_now(now, tz)
    cur = _Cursor(text)
    cur.take(_REMINDER_SUBJECT)
    found = _scan(text[cur.pos :])
    if found.empty:
        raise ScheduleError("schedule.reminder_no_when")
    for unwanted in ("recurrence", "length", "first_day", "last_day"):
        if unwanted in found.sources:
            raise ScheduleError("schedule.reminder_once", written=found.sources[unwanted])
    if found.time is not None and found.time.end is not None:
        raise ScheduleError("schedule.reminder_range", time=found.sources["time"])
    due, _ = _resolve_once(found, local_now, tz, reminder=True)
    message = _REMINDER_JOIN.sub("", found.rest, count=1).strip() if found.rest else ""
    if not message:
        raise ScheduleError(
            "schedule.reminder_missing_text",
            example=Localized(code(f"{found.when} an den Bericht"), code(f"{found.when} to send the report")),
        )
    return due, message


def parse_date(text: str, *, now: datetime, tz: ZoneInfo) -> date:
    """A single day ("10.12.", "10.12.2026", "morgen", "next friday"), e.g. to skip one date of a series.

    A date without year is the one nearest to today and may lie in the past: the caller decides whether a
    series has a date there.
    """
    today = _local_now(now, tz).date()
    cur = _Cursor(text)
    day = _attempt(cur, _read_day)
    offset = _attempt(cur, _read_offset) if day is None else None
    cur.skip(_TRAILING_PUNCTUATION)
    if (day is None and (offset is None or offset.clock)) or cur.pos < len(text):
        raise ScheduleError("schedule.not_a_date", text=text.strip())
    if offset is not None:
        return today + timedelta(days=offset.delta.days)
    assert day is not None
    return _resolve_day(day, today, allow_past=True)


def _check_duration(delta: timedelta, text: str) -> None:
    if delta <= timedelta(0):
        raise ScheduleError("schedule.duration_not_positive", text=text.strip())
    if delta > MAX_DURATION:
        raise ScheduleError("schedule.duration_too_long", text=text.strip(), days=MAX_DURATION.days)


def parse_duration(text: str) -> timedelta:
    """An offset such as a reminder before a meeting: "15 min", "1h", "2 Tage", "1 Woche", "1h 30min"."""
    cur = _Cursor(text)
    found = _read_duration(cur)
    if found is None or not cur.done:
        raise ScheduleError("schedule.not_a_duration", text=text.strip())
    _check_duration(found[0], text)
    return found[0]


def _rule_parts(rrule: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for item in rrule.removeprefix("RRULE:").split(";"):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"not an RRULE value: {rrule!r}")
        parts[key.strip().upper()] = value.strip()
    return parts


def _until_wall(value: str, tz: tzinfo) -> datetime:
    """UNTIL as local wall time: UTC ('Z'), floating local, or a date (its whole day counts)."""
    if value.endswith("Z"):
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    if "T" in value:
        return datetime.strptime(value, "%Y%m%dT%H%M%S")
    return datetime.combine(datetime.strptime(value, "%Y%m%d").date(), time(23, 59, 59))


def _wall_occurrences(
    wall_start: datetime,
    rrule: str,
    *,
    tz: ZoneInfo,
    after: datetime,
    count: int,
    exdates: Collection[datetime] = (),
) -> list[datetime]:
    parts = _rule_parts(rrule)
    if "UNTIL" in parts:
        parts["UNTIL"] = f"{_until_wall(parts['UNTIL'], tz):%Y%m%dT%H%M%S}"
    rule = rrulestr(";".join(f"{key}={value}" for key, value in parts.items()), dtstart=wall_start)
    # A day of margin: the wall time of `after` and an occurrence's instant differ by at most the DST shift.
    walls: Iterable[datetime] = rule.xafter(after.astimezone(tz).replace(tzinfo=None) - timedelta(days=1), inc=True)
    return _upcoming((_localize(wall, tz) for wall in walls), after=after, count=count, exdates=exdates)


def _upcoming(
    moments: Iterable[datetime], *, after: datetime, count: int, exdates: Collection[datetime]
) -> list[datetime]:
    # Compared in UTC: within one zone Python compares wall times and ignores `fold`.
    after_utc = after.astimezone(UTC)
    skipped = {moment.astimezone(UTC) for moment in exdates}
    found: list[datetime] = []
    for moment in moments:
        if len(found) >= count:
            break
        if moment.astimezone(UTC) > after_utc and moment.astimezone(UTC) not in skipped:
            found.append(moment)
    return found


def occurrences(
    schedule_start: datetime,
    rrule: str | None,
    *,
    tz: ZoneInfo,
    after: datetime,
    count: int = 3,
    exdates: Collection[datetime] = (),
) -> list[datetime]:
    """The next `count` dates strictly after `after`, in `tz`, without `exdates` (compared as instants).

    A series is computed on naive local wall-clock times from the wall time of `schedule_start`, then placed
    in `tz` (see the module docstring for the DST gap and the repeated hour); a one-off is its own instant.
    """
    for moment in (schedule_start, after, *exdates):
        if moment.tzinfo is None:
            raise ValueError("occurrences needs aware datetimes")
    if rrule is None:
        return _upcoming([schedule_start.astimezone(tz)], after=after, count=count, exdates=exdates)
    wall_start = schedule_start.astimezone(tz).replace(tzinfo=None, fold=0)
    return _wall_occurrences(wall_start, rrule, tz=tz, after=after, count=count, exdates=exdates)


# --- Saying it back --------------------------------------------------------------------------------------


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")


def _clock_de(moment: datetime | time) -> str:
    return f"{moment.hour}:{moment.minute:02d} Uhr"


def _clock_en(moment: datetime | time) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def _short_de(day: date) -> str:
    return f"{day.day}.{day.month}."


def _date_de(day: date) -> str:
    return f"{_WEEKDAYS_DE[day.weekday()]}, {day.day}. {_MONTHS_DE[day.month - 1]} {day.year}"


def _date_en(day: date) -> str:
    return f"{_WEEKDAYS_EN[day.weekday()]}, {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _weekday(index: int) -> Localized:
    return Localized(_WEEKDAYS_DE[index], _WEEKDAYS_EN[index])


def _month(number: int) -> Localized:
    return Localized(_MONTHS_DE[number - 1], _MONTHS_EN[number - 1])


def _long_date(day: date) -> Localized:
    return Localized(_date_de(day), _date_en(day))


def _starting(series: str) -> Localized:
    """The person's series with a start date, as an example: "jeden Monat ab 1.12. 10 Uhr …"."""
    return Localized(code(f"{series} ab 1.12. 10 Uhr …"), code(f"{series} from 1.12. 10am …"))


def _ordinal_en(n: int) -> str:
    if n == -1:
        return "last"
    if n == -2:
        return "second-to-last"
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _ordinal_de(n: int) -> str:
    return {-1: "letzten", -2: "vorletzten"}.get(n, f"{n}.")


def _join(items: list[str], conjunction: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def format_when(moment: datetime, *, language: str) -> str:
    """ "Do., 3.12.2026, 9:30 Uhr" / "Thu 3 Dec 2026, 9:30", in the zone `moment` carries."""
    _check_language(language)
    if language == "en":
        short_month = _MONTHS_EN[moment.month - 1][:3]
        return f"{_WEEKDAYS_SHORT_EN[moment.weekday()]} {moment.day} {short_month} {moment.year}, {_clock_en(moment)}"
    return f"{_WEEKDAYS_SHORT_DE[moment.weekday()]}., {moment.day}.{moment.month}.{moment.year}, {_clock_de(moment)}"


def describe_schedule(start: datetime, rrule: str | None, *, language: str) -> str:
    """Say back what was understood: "jeden 2. Dienstag im Monat um 14:00 Uhr" / "every Tuesday at 10:00".

    Uses the wall time of `start` in the zone it carries (convert it first); `parse_schedule` reads every
    text this returns.
    """
    _check_language(language)
    if start.tzinfo is None:
        raise ValueError("describe_schedule needs an aware start")
    de = language == "de"
    at = f"um {_clock_de(start)}" if de else f"at {_clock_en(start)}"
    if rrule is None:
        return f"einmalig am {_date_de(start.date())} {at}" if de else f"once on {_date_en(start.date())} {at}"
    parts = _rule_parts(rrule)
    pattern = _describe_pattern(parts, de)
    if pattern is None:
        return f"wiederholt nach der Regel {rrule}, zuerst am {_date_de(start.date())} {at}" if de else (
            f"repeating by the rule {rrule}, first on {_date_en(start.date())} {at}"
        )  # fmt: skip
    text = f"{pattern} {at}"
    if "UNTIL" in parts:
        last = _until_wall(parts["UNTIL"], start.tzinfo).date()
        text += (
            f", bis {last.day}.{last.month}.{last.year}"
            if de
            else f", until {last.day} {_MONTHS_EN[last.month - 1]} {last.year}"
        )
    return text


_PERIOD_NAMES = {"DAILY": ("Tage", "days"), "WEEKLY": ("Wochen", "weeks"), "MONTHLY": ("Monate", "months"),
                 "YEARLY": ("Jahre", "years")}  # fmt: skip


def _describe_pattern(parts: dict[str, str], de: bool) -> str | None:
    """The repetition in words, or None for a rule this module never writes."""
    freq = parts.get("FREQ", "")
    byday = [_BYDAY_ITEM.fullmatch(item) for item in parts.get("BYDAY", "").split(",") if item]
    if freq not in _PERIOD_NAMES or set(parts) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "UNTIL"}:
        return None
    if not all(byday):
        return None
    days = [_WEEKDAY_CODES.index(m[2]) for m in byday if m]
    nths = {int(m[1]) for m in byday if m and m[1]}
    monthday = int(parts["BYMONTHDAY"]) if "BYMONTHDAY" in parts else None
    month = int(parts["BYMONTH"]) if "BYMONTH" in parts else None
    n = int(parts.get("INTERVAL", "1"))
    unit_de, unit_en = _PERIOD_NAMES[freq]
    every_n = (f"alle {n} {unit_de}" if de else f"every {n} {unit_en}") if n > 1 else None

    match freq, days, monthday, month:
        case "DAILY", [], None, None:
            return every_n or ("täglich" if de else "daily")
        case "WEEKLY", [_, *_], None, None if not nths:
            if days == list(_WORKDAYS):
                if every_n:
                    return f"{every_n} werktags" if de else f"{every_n} on weekdays"
                return "werktags" if de else "every weekday"
            if de:
                adverbs = _join([_WEEKDAYS_DE[d].lower() + "s" for d in days], "und")
                return f"{every_n} {adverbs}" if every_n else "jeden " + _join([_WEEKDAYS_DE[d] for d in days], "und")
            names = _join([_WEEKDAYS_EN[d] for d in days], "and")
            return f"{every_n} on {names}" if every_n else f"every {names}"
        case "MONTHLY", [day], None, None if len(nths) == 1:
            (nth,) = nths
            if de:
                which = f"{_ordinal_de(nth)} {_WEEKDAYS_DE[day]}"
                return f"{every_n} am {which}" if every_n else f"jeden {which} im Monat"
            which = f"{_ordinal_en(nth)} {_WEEKDAYS_EN[day]}"
            return f"{every_n} on the {which}" if every_n else f"every {which} of the month"
        case "MONTHLY", [], int(), None:
            if de:
                which = "am letzten Tag" if monthday == -1 else f"am {monthday}."
                return f"{every_n} {which}" if every_n else f"monatlich {which}"
            which = "on the last day" if monthday == -1 else f"on the {_ordinal_en(monthday)}"
            return f"{every_n} {which}" if every_n else f"monthly {which}"
        case "YEARLY", [], int(), int():
            if de:
                which = f"am {monthday}. {_MONTHS_DE[month - 1]}"
                return f"{every_n} {which}" if every_n else f"jährlich {which}"
            which = f"on {monthday} {_MONTHS_EN[month - 1]}"
            return f"{every_n} {which}" if every_n else f"every year {which}"
    return None
