"""Substitutions (Vertretungen) between cities: what a request says and which changes its state may take.

Pure functions: no database, no Matrix, no clock (`now` and the zone are arguments). The handlers load
snapshots (`RequestView`, `OfferView`), ask a function here, and store and announce the `Transition` it
returns. A refusal is a `SubstitutionError` (a bad argument) or, when only others may decide, a
`SubstitutionForbidden`: a message key of `rule_texts` and its parameters, whose text shows the command that works.

Reading `!vertretung 12.12. 10-16 Uhr Digitaltag Bühl, Stand Engagementplattform #Engagementplattform`:
- `#Themen`, "2 Personen" and "Frist 10.12. 12 Uhr" may stand anywhere and are taken out first; the rest goes
  to `parse_schedule`, so dates and times mean exactly what they mean for `!termin`.
- A span is required ("10-16 Uhr", "10 Uhr für 2 Stunden"): a guessed end would be a promise nobody made.
- A date without a time ("12.12. Digitaltag", "12.12. ganztägig …") covers whole days, 00:00 to 24:00
  local; "für 2 Tage" makes it two days. Today cannot be a whole day any more: it has begun.
- Without "Frist", answers are due at 18:00 on the day before, or at the start when that has passed.

States (the table `ALLOWED_STATES` is the rule, the functions add who may act and when):
  OPEN --accept (enough people)--> FILLED --withdraw (an accepted helper)--> OPEN
  OPEN/FILLED --cancel--> CANCELLED;  due_transition: --> DONE after the end, EXPIRED without helpers.
Terminal transitions change only the request: offers keep their last state as the record of who did what.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from bot.errors import BadArgument, Example, Forbidden, Localized, UserError
from bot.schedule_parsing import Schedule, ScheduleError, format_when, parse_date, parse_schedule
from commands.expertise.importing import MAX_TOPIC_LENGTH, MAX_TOPICS
from storage.text import fold

__all__ = [
    "ALLOWED_STATES",
    "EXAMPLE_DE",
    "EXAMPLE_EN",
    "MAX_NEEDED",
    "Action",
    "CityBalance",
    "Notice",
    "OfferChange",
    "OfferState",
    "OfferView",
    "Problem",
    "RequestDraft",
    "RequestState",
    "RequestView",
    "SubstitutionError",
    "SubstitutionForbidden",
    "Tell",
    "Transition",
    "accept",
    "balance",
    "cancel",
    "describe_span",
    "due_transition",
    "is_whole_day",
    "offer",
    "parse_request",
    "withdraw",
]

EXAMPLE_DE: Final = "!vertretung 12.12. 10-16 Uhr Digitaltag Bühl, Stand Engagementplattform #Engagementplattform"
EXAMPLE_EN: Final = "!cover 12/12 10am-4pm Digital Day Bühl, engagement platform booth #Engagementplattform"
MAX_NEEDED: Final = 20
DEFAULT_DEADLINE_TIME: Final = time(18, 0)
"""Answers are due at this local time: on the day before (by default) or on the day a bare "Frist" names."""


# --- Errors ----------------------------------------------------------------------------------------------


class Problem(StrEnum):
    """Why something was refused, for code and tests that tell refusals apart (the message key is about wording)."""

    INVALID = "invalid"  # the request text
    FILLED = "filled"
    CLOSED = "closed"  # done, expired or cancelled
    STARTED = "started"
    OVER = "over"
    OWN_REQUEST = "own_request"
    ALREADY_OFFERED = "already_offered"
    ALREADY_ACCEPTED = "already_accepted"
    NO_OFFER = "no_offer"
    NOT_ALLOWED = "not_allowed"
    NOT_OFFERED = "not_offered"
    TOO_MANY = "too_many"
    NO_TARGETS = "no_targets"


class SubstitutionError(BadArgument):
    """A request text or a step the bot refuses: `key` (in `rule_texts`) says how to do it right."""

    def __init__(self, key: str, /, *, problem: Problem = Problem.INVALID, **params: object) -> None:
        super().__init__(key, **params)
        self.problem = problem


class SubstitutionForbidden(Forbidden):
    """Only the requester, the moderators of the room it was asked in and the coordination may decide on a
    request: the refusal of `commands.rights`, which also says how to stand in instead."""

    problem: Final = Problem.NOT_ALLOWED

    def __init__(self, request_id: int) -> None:
        super().__init__("rights.substitution", id=request_id)


def _part(key: str, /, **params: object) -> UserError:
    """A part of a sentence that has variants (why a request is closed) or plural forms ("1 Person", "2 Personen",
    chosen by `count`): a parameter of another message, rendered in the same language."""
    return UserError(key, **params)


def _with_example(error: ScheduleError) -> SubstitutionError:
    return SubstitutionError("subrule.with_example", error=error)


# --- Reading a request -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestDraft:
    start: datetime
    """Aware, in the zone given to `parse_request`; local midnight for a whole-day request."""
    end: datetime
    """Aware, after `start`; the following local midnight(s) for a whole-day request."""
    what: str
    topics: tuple[str, ...]
    """As written, without "#", in order; a repeat that differs only in case or umlaut spelling is dropped."""
    needed: int
    deadline: datetime
    """Aware: after this, a request nobody was accepted for expires; never after `start`."""

    @property
    def whole_day(self) -> bool:
        return is_whole_day(self.start, self.end)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE)


# A topic needs one letter: "#12" is more likely a request number than a topic. "#raum:server" is a Matrix
# room address, not a topic.
_TOPIC = _rx(r"(?<!\S)\#(?P<tag>(?=[\w-]*[^\W\d_])\w[\w-]*)(?![\w-]|:\S)")
_NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einen": 1, "einer": 1, "eins": 1, "one": 1,
    "zwei": 2, "two": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fuenf": 5, "five": 5,
    "sechs": 6, "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "neun": 9, "nine": 9,
    "zehn": 10, "ten": 10, "elf": 11, "eleven": 11, "zwoelf": 12, "twelve": 12,
}  # fmt: skip
# Only with a noun: "für 2" could be two hours, two days or two people.
_NEEDED = _rx(r"""
    (?<![\w-])(?:(?:f(?:ü|ue)r|for)\s+)?(?P<count>\d+|[^\W\d_]+)\s+
    (?P<noun>personen|person|leute|menschen|people|persons|helpers?|helfer(?::?innen)?)(?![\w-])
""")
_DEADLINE = _rx(r"""
    (?<![\w-])(?P<keyword>frist|deadline|answer\s+by|reply\s+by|antwort\s+bis|r(?:ü|ue)ckmeldung\s+bis)
    (?:\s*:)?(?:\s+(?:bis(?:\s+zum)?|am|zum|on))?\s+
""")
_DEADLINE_CLOCK = _rx(r"""
    [\s,]*(?:(?P<prefix>um|at)\s+)?
    (?P<hour>\d{1,2})(?:(?P<sep>[:.])(?P<minute>\d{2}))?\s*(?P<suffix>uhr|[ap]\.?\s?m\.?)?(?![\w:])
""")
_ALL_DAY = _rx(
    r"(?<![\w-])(?:ganzt(?:ä|ae)gig|ganztags|den\s+ganzen\s+tag|all[-\s]day|(?:the\s+)?whole\s+day)(?![\w-])"
)
# A time in what would be the title of a whole-day request: "Digitaltag 10 Uhr", "10-16 Stand" (no "Uhr").
_TIME_LIKE = _rx(r"""
    (?<![\w.:])\d{1,2}(?::\d{2}\s*(?:uhr)?|(?:[.:]\d{2})?\s*(?:uhr|[ap]\.?m\.?))(?!\w)
  | (?<![\w.:])\d{1,2}(?::\d{2})?\s*(?:-|–|bis|to)\s*\d{1,2}(?::\d{2})?(?![\w.])
""")
_BARE_RANGE = _rx(r"\s*(?P<first>\d{1,2})\s*[-–]\s*(?P<last>\d{1,2})(?![\w:.])")
_WORD = re.compile(r"\S+")
_LONGEST_DATE_WORDS = 4  # "Samstag, 12. Dezember 2026"
_PROBE_TITLE = "Vertretung"


@dataclass(frozen=True)
class _DeadlineAsked:
    day: date
    clock: time | None
    source: str


def _blank(text: str, match: re.Match[str]) -> str:
    """Cut a phrase out, leaving a blank so the words around it stay apart."""
    return text[: match.start()] + " " + text[match.end() :]


def _tidy(text: str) -> str:
    """Drop what cut-out phrases leave behind: double blanks, blanks before commas, empty list items."""
    text = " ".join(text.split())
    text = re.sub(r"\s+([,;.])", r"\1", text)
    text = re.sub(r"([,;])(?:\s*[,;])+", r"\1", text)
    return text.strip(" ,;:–—-")


def _take_topics(text: str) -> tuple[str, tuple[str, ...]]:
    found: dict[str, str] = {}
    for match in _TOPIC.finditer(text):
        tag = match["tag"].rstrip("-")
        if len(tag) > MAX_TOPIC_LENGTH:  # matched against profile topics, which are no longer
            raise SubstitutionError("subrule.topic_too_long", tag=tag[:30], limit=MAX_TOPIC_LENGTH)
        found.setdefault(fold(tag), tag)
    if len(found) > MAX_TOPICS:
        raise SubstitutionError("subrule.too_many_topics", count=len(found), limit=MAX_TOPICS)
    return _TOPIC.sub(" ", text), tuple(found.values())


def _take_needed(text: str) -> tuple[str, int]:
    matches = []
    for match in _NEEDED.finditer(text):
        count = match["count"]
        number = int(count) if count.isdecimal() else _NUMBER_WORDS.get(fold(count))
        if number is None:  # "viele Leute", "all people": a description, not a count
            continue
        if not 1 <= number <= MAX_NEEDED:
            raise SubstitutionError("subrule.needed_range", source=match.group().strip(), limit=MAX_NEEDED)
        matches.append((match, number))
    if not matches:
        return text, 1
    if len(matches) > 1:
        first, second = (match.group().strip() for match, _ in matches[:2])
        raise SubstitutionError("subrule.needed_twice", first=first, second=second)
    match, number = matches[0]
    return _blank(text, match), number


def _deadline_error(source: str, reason: UserError | Localized) -> SubstitutionError:
    return SubstitutionError("subrule.deadline", source=source, reason=reason)


def _read_deadline_clock(text: str, pos: int) -> tuple[time, int] | None:
    """ "12 Uhr", "12:30", "5pm", "um 12" right after the date; a bare "12" could begin the title instead."""
    match = _DEADLINE_CLOCK.match(text, pos)
    if match is None or (match["suffix"] is None and match["minute"] is None and match["prefix"] is None):
        return None
    suffix = fold(match["suffix"] or "")
    if match["sep"] == "." and suffix != "uhr":  # "11.12" is a date; "11.30 Uhr" a time
        return None
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if not suffix and match["minute"] is None and 1 <= hour <= 6:  # as for `!termin`: 3:00 or 15:00?
        written = match.group().strip(" ,")
        raise _deadline_error(written, _part("subrule.deadline.which_hour", hour=hour, afternoon=hour + 12))
    if suffix in ("am", "pm") and 1 <= hour <= 12 and minute <= 59:
        return time(hour % 12 + (12 if suffix == "pm" else 0), minute), match.end()
    if suffix not in ("am", "pm") and hour <= 23 and minute <= 59:
        return time(hour, minute), match.end()
    written = match.group().strip(" ,")
    raise _deadline_error(written, _part("subrule.deadline.no_time"))


def _read_deadline_day(text: str, pos: int, now: datetime, tz: ZoneInfo) -> tuple[date, int] | None:
    """The longest run of words after `pos` that `parse_date` reads ("10. Dezember" before "10."), and its end."""
    words = list(_WORD.finditer(text, pos))[:_LONGEST_DATE_WORDS]
    shortest_error: ScheduleError | None = None
    for word in reversed(words):
        written = text[pos : word.end()].rstrip(",;")
        try:
            return parse_date(written, now=now, tz=tz), pos + len(written)
        except ScheduleError as error:
            shortest_error = error
    if words and words[0].group()[0].isdigit():  # "Frist 31.11.", "deadline 12/10": meant as a date
        assert shortest_error is not None
        raise _deadline_error(text[:pos].split()[-1] + " " + words[0].group(), shortest_error)
    return None  # "Deadline-Workshop", "Frist beachten": part of the description


def _take_deadline(text: str, now: datetime, tz: ZoneInfo) -> tuple[str, _DeadlineAsked | None]:
    asked: list[tuple[_DeadlineAsked, int, int]] = []
    for keyword in _DEADLINE.finditer(text):
        if (dated := _read_deadline_day(text, keyword.end(), now, tz)) is None:
            continue
        day, end = dated
        clock = _read_deadline_clock(text, end)
        if clock is not None:
            end = clock[1]
        source = text[keyword.start() : end].strip()
        asked.append((_DeadlineAsked(day, clock[0] if clock else None, source), keyword.start(), end))
    if not asked:
        return text, None
    if len(asked) > 1:
        first, second = asked[0][0].source, asked[1][0].source
        raise SubstitutionError("subrule.deadline_twice", first=first, second=second)
    found, start, end = asked[0]
    return text[:start] + " " + text[end:], found


def _take_all_day(text: str) -> tuple[str, bool]:
    match = _ALL_DAY.search(text)
    return (text, False) if match is None else (_blank(text, match), True)


def _is_past(moment: datetime, now: datetime) -> bool:
    """`moment` has come (at or before `now`); in UTC, as within one zone Python compares wall times."""
    return now.astimezone(UTC) >= moment.astimezone(UTC)


def _later(moment: datetime, than: datetime) -> bool:
    return moment.astimezone(UTC) > than.astimezone(UTC)


def _localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """A local wall time as an aware moment; one in a DST gap moves on by the gap, as `parse_schedule` does."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def _parse_titled(text: str, now: datetime, tz: ZoneInfo) -> Schedule:
    """`parse_schedule`, but a missing title comes back as "" instead of the meeting-worded question."""
    try:
        return parse_schedule(text, now=now, tz=tz)
    except ScheduleError as error:
        try:
            probe = parse_schedule(f"{text} {_PROBE_TITLE}", now=now, tz=tz)
        except ScheduleError:
            raise error from None
        if probe.title != _PROBE_TITLE:
            raise
        return Schedule(probe.start, probe.duration, probe.rrule, title="")


def _leading_date(text: str, now: datetime, tz: ZoneInfo) -> tuple[date, str, str] | None:
    """(day, its words, the rest) when the text starts with a day that `parse_date` reads."""
    words = list(_WORD.finditer(text))[:_LONGEST_DATE_WORDS]
    for word in reversed(words):
        written = text[: word.end()].rstrip(",;:")
        try:
            return parse_date(written, now=now, tz=tz), written, text[word.end() :]
        except ScheduleError:
            continue
    return None


def _whole_days(text: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, str] | None:
    """Start, end and title of "12.12. Digitaltag" / "12.12. für 2 Tage Messe"; None if that is not the form.

    The rest is read by `parse_schedule` with a time put in, so "für 2 Tage" and a title separated by a colon
    mean what they mean for `!termin`. Two probe hours tell a bare date from one with a part of day: "abends"
    moves 0 Uhr to 12:00, "früh" refuses 13 Uhr; both need a real time. A day that has begun is probed with a
    stand-in a week ahead, so "heute 9-10 Uhr" still gets the meeting parser's "in der Vergangenheit".
    """
    found = _leading_date(text, now, tz)
    if found is None:
        return None
    day, written, rest = found
    today = now.date()
    stand_in = today + timedelta(days=7)
    probe_day = written if day > today else f"{stand_in.day}.{stand_in.month}.{stand_in.year}"
    probes: list[Schedule] = []
    for hour in (0, 13):
        try:
            probe = _parse_titled(f"{probe_day} {hour} Uhr {rest}", now, tz)
        except ScheduleError:
            return None
        if probe.start.hour != hour or probe.rrule is not None:
            return None
        probes.append(probe)
    title = probes[0].title
    if _TIME_LIKE.search(title):  # parse_schedule's own "Um wie viel Uhr?" explains these best
        return None
    days = 1
    if probes[0].duration is not None:
        length = probes[0].duration
        if length % timedelta(days=1):
            return None
        days = length // timedelta(days=1)
    if day <= today:
        raise _day_has_begun(day, today, written, title)
    start = _localize(datetime.combine(day, time(0)), tz)
    end = _localize(datetime.combine(day + timedelta(days=days), time(0)), tz)
    return start, end, title


def _day_has_begun(day: date, today: date, written: str, title: str) -> SubstitutionError:
    what = title or "Digitaltag Bühl"
    if day == today:
        return SubstitutionError(
            "subrule.today_begun", written=written, example=Example("subrule.example.today", what=what)
        )
    later = next((d for year in (today.year, today.year + 1) if (d := _same_day_in(day, year)) and d > today), None)
    gone = f"{day.day}.{day.month}.{day.year}"
    if later is None:  # 29 February
        return SubstitutionError("subrule.day_gone", day=gone)
    meant = f"{later.day}.{later.month}.{later.year}"
    return SubstitutionError(
        "subrule.day_gone_this_year",
        day=gone,
        meant=meant,
        example=Example("subrule.example.with_year", day=meant, what=what),
    )


def _same_day_in(day: date, year: int) -> date | None:
    try:
        return day.replace(year=year)
    except ValueError:
        return None


def _missing_span(start: datetime, what: str) -> SubstitutionError:
    day, clock = f"{start.day}.{start.month}.", f"{start.hour}:{start.minute:02d}"
    what = what or "Digitaltag Bühl"
    return SubstitutionError(
        "subrule.missing_span",
        span_example=Example("subrule.example.span", day=day, clock=clock, what=what),
        day_example=Example("subrule.example.whole_day", day=day, what=what),
    )


def _bare_range(text: str, now: datetime, tz: ZoneInfo) -> SubstitutionError | None:
    """ "12.12. 10-16 Digitaltag": for `!termin` "10-16" may be anything, here it is surely the hours."""
    found = _leading_date(text, now, tz)
    if found is None or (hours := _BARE_RANGE.match(found[2])) is None:
        return None
    span, what = f"{hours['first']}-{hours['last']}", _tidy(found[2][hours.end() :]) or "Digitaltag Bühl"
    try:  # only a suggestion that works: "22-2 Uhr" would cross midnight
        parse_schedule(f"{found[1]} {span} Uhr {what}", now=now, tz=tz)
    except ScheduleError:
        return None
    return SubstitutionError(
        "subrule.bare_range", span=span, example=Example("subrule.example.hours", day=found[1], span=span, what=what)
    )


def _read_when(text: str, all_day: bool, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, str]:
    if all_day:
        found = _whole_days(text, now, tz)
        if found is None:
            raise SubstitutionError("subrule.all_day_with_time")
        return found
    try:
        schedule = _parse_titled(text, now, tz)
    except ScheduleError as error:
        found = _whole_days(text, now, tz)
        if found is None:
            raise _bare_range(text, now, tz) or _with_example(error) from None
        return found
    if schedule.rrule is not None:
        raise SubstitutionError("subrule.series")
    if schedule.duration is None:
        raise _missing_span(schedule.start, _tidy(schedule.title))
    return schedule.start, schedule.start + schedule.duration, schedule.title


def _when(moment: datetime) -> Localized:
    return Localized(format_when(moment, language="de"), format_when(moment, language="en"))


def _resolve_deadline(asked: _DeadlineAsked | None, start: datetime, now: datetime, tz: ZoneInfo) -> datetime:
    if asked is None:
        evening_before = _localize(datetime.combine(start.date() - timedelta(days=1), DEFAULT_DEADLINE_TIME), tz)
        return start if _is_past(evening_before, now) else evening_before
    deadline = _localize(datetime.combine(asked.day, asked.clock or DEFAULT_DEADLINE_TIME), tz)
    if asked.clock is None and asked.day == start.date() and _later(deadline, start):
        deadline = start  # "Frist 12.12." for an event on the 12th: answers are due when it begins
    if _is_past(deadline, now):
        raise _deadline_error(asked.source, _part("subrule.deadline.past", when=_when(deadline)))
    if _later(deadline, start):
        raise _deadline_error(asked.source, _part("subrule.deadline.after_start", start=_when(start)))
    return deadline


def parse_request(text: str, *, now: datetime, tz: ZoneInfo) -> RequestDraft:
    """Understand `!vertretung <wann> <was> [N Personen] [#Thema …] [Frist <Datum> [Uhrzeit]]`."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    now = now.astimezone(tz)
    if not text.strip():
        raise SubstitutionError("subrule.empty")
    rest, topics = _take_topics(text)
    rest, asked = _take_deadline(rest, now, tz)
    rest, needed = _take_needed(rest)
    rest, all_day = _take_all_day(rest)
    if not _tidy(rest):
        raise SubstitutionError("subrule.nothing_left")
    start, end, title = _read_when(rest, all_day, now, tz)
    what = _tidy(title)
    if not what:
        day = f"{start.day}.{start.month}."
        raise SubstitutionError("subrule.no_what", example=Example("subrule.example.what", day=day))
    if not _later(end, start):  # parse_schedule already refuses this; kept so no later change can store such a request
        raise SubstitutionError("subrule.end_before_start")
    deadline = _resolve_deadline(asked, start, now, tz)
    return RequestDraft(start=start, end=end, what=what, topics=topics, needed=needed, deadline=deadline)


def is_whole_day(start: datetime, end: datetime) -> bool:
    """Both at local midnight (in the zone `start` carries), so shown as "ganztägig"."""
    local_end = end.astimezone(start.tzinfo)
    return start.time() == time(0) and local_end.time() == time(0) and local_end > start


def describe_span(start: datetime, end: datetime, *, language: str) -> str:
    """ "Sa., 12.12.2026, 10:00–16:00 Uhr", "Sa., 12.12.2026, ganztägig", in the zone `start` carries."""
    end = end.astimezone(start.tzinfo)
    # format_when is the one place that spells dates; its last ", " part is the clock.
    first_day = format_when(start, language=language).rsplit(", ", 1)[0]
    if is_whole_day(start, end):
        last = end - timedelta(days=1)
        all_day = "ganztägig" if language == "de" else "all day"
        if last.date() == start.date():
            return f"{first_day}, {all_day}"
        last_day = format_when(last, language=language).rsplit(", ", 1)[0]
        return f"{first_day} – {last_day}, {all_day}"
    if end.date() == start.date():
        clock = f"{start.hour}:{start.minute:02d}–{end.hour}:{end.minute:02d}"
        return f"{first_day}, {clock} Uhr" if language == "de" else f"{first_day}, {clock}"
    return f"{format_when(start, language=language)} – {format_when(end, language=language)}"


# --- States ----------------------------------------------------------------------------------------------


class RequestState(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    DONE = "done"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class OfferState(StrEnum):
    OFFERED = "offered"
    WITHDRAWN = "withdrawn"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Action(StrEnum):
    OFFER = "offer"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    CANCEL = "cancel"


ALLOWED_STATES: Final[Mapping[Action, frozenset[RequestState]]] = MappingProxyType(
    {
        Action.OFFER: frozenset({RequestState.OPEN}),
        # FILLED: an accepted helper may still step back; that reopens the request.
        Action.WITHDRAW: frozenset({RequestState.OPEN, RequestState.FILLED}),
        Action.ACCEPT: frozenset({RequestState.OPEN}),
        Action.CANCEL: frozenset({RequestState.OPEN, RequestState.FILLED}),
    }
)
"""Which request states each action starts from; everything else is refused."""

_CLOSED = frozenset({RequestState.DONE, RequestState.EXPIRED, RequestState.CANCELLED})
_ACTIVE = frozenset({OfferState.OFFERED, OfferState.ACCEPTED})


class Notice(StrEnum):
    """What a person is told, besides the reply to whoever acted (who is never told twice)."""

    NEW_OFFER = "new_offer"  # requester: someone offers to stand in
    HELPER_WITHDREW = "helper_withdrew"  # requester: an accepted helper stepped back, a place is open again
    ACCEPTED = "accepted"  # helper: you stand in
    HELPERS_CHOSEN = "helpers_chosen"  # requester: the coordination accepted helpers for you
    NOT_NEEDED = "not_needed"  # helper: thanks, enough people were found
    CANCELLED = "cancelled"  # helpers (and the requester if the coordination cancelled)
    EXPIRED = "expired"  # requester and those who offered: nobody was accepted in time


@dataclass(frozen=True)
class RequestView:
    id: int
    requester: str
    requester_city: str | None
    state: RequestState
    needed: int
    start: datetime
    end: datetime
    deadline: datetime


@dataclass(frozen=True)
class OfferView:
    user_id: str
    city: str | None
    state: OfferState


@dataclass(frozen=True)
class OfferChange:
    user_id: str
    before: OfferState | None  # None: a first offer
    after: OfferState


@dataclass(frozen=True)
class Tell:
    user_id: str
    notice: Notice


@dataclass(frozen=True)
class Transition:
    """A change to store: the request's state (possibly unchanged), the offers that change, who to tell."""

    request_id: int
    before: RequestState
    after: RequestState
    offers: tuple[OfferChange, ...] = ()
    tell: tuple[Tell, ...] = ()

    @property
    def reopened(self) -> bool:
        """A filled request is open again: worth announcing where it was first asked."""
        return self.before is RequestState.FILLED and self.after is RequestState.OPEN

    def offer_states(self) -> dict[str, OfferState]:
        return {change.user_id: change.after for change in self.offers}


def _by_user(offers: Sequence[OfferView]) -> dict[str, OfferView]:
    found: dict[str, OfferView] = {}
    for item in offers:
        if item.user_id in found:
            raise ValueError(f"two offers by {item.user_id}: the store keeps one per person and request")
        found[item.user_id] = item
    return found


def _tell(actor: str | None, *pairs: tuple[str, Notice]) -> tuple[Tell, ...]:
    """Notices in order, once per person, never to the actor (who reads the reply anyway)."""
    seen: set[str] = set()
    told: list[Tell] = []
    for user_id, notice in pairs:
        if user_id != actor and user_id not in seen:
            seen.add(user_id)
            told.append(Tell(user_id, notice))
    return tuple(told)


def _closed_error(request: RequestView, action: Action) -> SubstitutionError:
    # Whoever accepts or cancels may want to ask again; whoever offers or withdraws has nothing left to do.
    advice = "ask_again" if action in (Action.ACCEPT, Action.CANCEL) else "nothing_to_do"
    return SubstitutionError(
        "subrule.closed",
        id=request.id,
        why=_part(f"subrule.closed.{request.state}"),
        advice=_part(f"subrule.closed.{advice}"),
        problem=Problem.CLOSED,
    )


def _filled_error(request: RequestView, action: Action) -> SubstitutionError:
    if action is Action.OFFER:
        return SubstitutionError("subrule.filled_offer", id=request.id, problem=Problem.FILLED)
    taken = _part("subrule.filled.taken", count=request.needed)
    return SubstitutionError("subrule.filled", id=request.id, taken=taken, problem=Problem.FILLED)


def _check_state(request: RequestView, action: Action) -> None:
    if request.state in ALLOWED_STATES[action]:
        return
    if request.state in _CLOSED:
        raise _closed_error(request, action)
    raise _filled_error(request, action)


def _check_not_started(request: RequestView, now: datetime) -> None:
    if _is_past(request.start, now):
        raise SubstitutionError("subrule.started", id=request.id, start=_when(request.start), problem=Problem.STARTED)


def _check_may_decide(request: RequestView, actor: str, may_decide: bool) -> None:
    """`may_decide`: what commands.rights says for this actor and request (the requester always may)."""
    if actor != request.requester and not may_decide:
        raise SubstitutionForbidden(request.id)


def offer(request: RequestView, offers: Sequence[OfferView], actor: str, now: datetime) -> Transition:
    """`!übernehme 12`: offer to stand in; an offer once withdrawn or declined may be made again."""
    _check_state(request, Action.OFFER)
    _check_not_started(request, now)
    n = request.id
    if actor == request.requester:
        raise SubstitutionError("subrule.own_request", id=n, problem=Problem.OWN_REQUEST)
    mine = _by_user(offers).get(actor)
    if mine is not None and mine.state is OfferState.ACCEPTED:
        raise SubstitutionError("subrule.already_accepted", id=n, problem=Problem.ALREADY_ACCEPTED)
    if mine is not None and mine.state is OfferState.OFFERED:
        raise SubstitutionError(
            "subrule.already_offered", id=n, requester=request.requester, problem=Problem.ALREADY_OFFERED
        )
    return Transition(
        request_id=n,
        before=request.state,
        after=request.state,
        offers=(OfferChange(actor, mine.state if mine else None, OfferState.OFFERED),),
        tell=_tell(actor, (request.requester, Notice.NEW_OFFER)),
    )


def withdraw(request: RequestView, offers: Sequence[OfferView], actor: str, now: datetime) -> Transition:
    """Take back one's offer or acceptance; an accepted helper stepping back reopens a filled request."""
    _check_state(request, Action.WITHDRAW)
    _check_not_started(request, now)
    n = request.id
    mine = _by_user(offers).get(actor)
    if mine is None or mine.state not in _ACTIVE:
        why = _part(f"subrule.no_offer.{mine.state if mine else 'none'}")
        raise SubstitutionError("subrule.no_offer", id=n, why=why, problem=Problem.NO_OFFER)
    was_accepted = mine.state is OfferState.ACCEPTED
    after = RequestState.OPEN if was_accepted else request.state
    return Transition(
        request_id=n,
        before=request.state,
        after=after,
        offers=(OfferChange(actor, mine.state, OfferState.WITHDRAWN),),
        tell=_tell(actor, (request.requester, Notice.HELPER_WITHDREW)) if was_accepted else (),
    )


def _cannot_accept(
    request: RequestView, not_offered: list[str], already: list[str], waiting: list[str]
) -> SubstitutionError:
    n = request.id
    reasons = [
        _part(key, names=", ".join(names), count=len(names))
        for key, names in (("subrule.not_offered", not_offered), ("subrule.accepted_already", already))
        if names
    ]
    reason = _part("subrule.both", first=reasons[0], second=reasons[1]) if len(reasons) == 2 else reasons[0]
    if waiting:
        example = Example("subrule.example.accept", id=n, who=waiting[0])
        hint = _part("subrule.waiting", names=", ".join(waiting), count=len(waiting), example=example)
    else:
        hint = _part("subrule.nobody_waiting", id=n)
    problem = Problem.NOT_OFFERED if not_offered else Problem.ALREADY_ACCEPTED
    return SubstitutionError("subrule.cannot_accept", id=n, reason=reason, hint=hint, problem=problem)


def accept(
    request: RequestView,
    offers: Sequence[OfferView],
    actor: str,
    targets: Sequence[str],
    may_decide: bool,
    now: datetime,
) -> Transition:
    """`!zusage 12 @maria`: the requester (or coordination) accepts offers; once enough, the rest are thanked."""
    _check_state(request, Action.ACCEPT)
    _check_not_started(request, now)
    _check_may_decide(request, actor, may_decide)
    n = request.id
    chosen = list(dict.fromkeys(targets))
    by_user = _by_user(offers)
    waiting = [item.user_id for item in offers if item.state is OfferState.OFFERED]
    if not chosen:
        example = Example("subrule.example.accept", id=n, who=" ".join(waiting[:1]) or "@maria:example.org")
        raise SubstitutionError("subrule.no_targets", example=example, problem=Problem.NO_TARGETS)
    states = {user: by_user[user].state if user in by_user else None for user in chosen}
    not_offered = [user for user, state in states.items() if state not in _ACTIVE]
    already = [user for user, state in states.items() if state is OfferState.ACCEPTED]
    if not_offered or already:
        raise _cannot_accept(request, not_offered, already, waiting)
    open_places = request.needed - sum(1 for item in offers if item.state is OfferState.ACCEPTED)
    if len(chosen) > open_places:
        raise SubstitutionError(
            "subrule.too_many",
            id=n,
            still=_part("subrule.too_many.still", count=open_places),
            named=len(chosen),
            example=Example("subrule.example.accept", id=n, who=chosen[0]),
            problem=Problem.TOO_MANY,
        )
    changes = [OfferChange(user, OfferState.OFFERED, OfferState.ACCEPTED) for user in chosen]
    pairs = [(user, Notice.ACCEPTED) for user in chosen]
    filled = len(chosen) == open_places
    if filled:
        for item in offers:
            if item.state is OfferState.OFFERED and item.user_id not in states:
                changes.append(OfferChange(item.user_id, OfferState.OFFERED, OfferState.DECLINED))
                pairs.append((item.user_id, Notice.NOT_NEEDED))
    pairs.append((request.requester, Notice.HELPERS_CHOSEN))  # only told when the coordination decided
    return Transition(
        request_id=n,
        before=request.state,
        after=RequestState.FILLED if filled else request.state,
        offers=tuple(changes),
        tell=_tell(actor, *pairs),
    )


def cancel(
    request: RequestView, actor: str, may_decide: bool, now: datetime, *, offers: Sequence[OfferView]
) -> Transition:
    """The request is no longer needed; everyone still offering or accepted is told. Possible until the end."""
    _check_state(request, Action.CANCEL)
    _check_may_decide(request, actor, may_decide)
    if _is_past(request.end, now):
        raise SubstitutionError("subrule.over", id=request.id, problem=Problem.OVER)
    helpers = [(item.user_id, Notice.CANCELLED) for item in offers if item.state in _ACTIVE]
    return Transition(
        request_id=request.id,
        before=request.state,
        after=RequestState.CANCELLED,
        tell=_tell(actor, (request.requester, Notice.CANCELLED), *helpers),
    )


def due_transition(request: RequestView, offers: Sequence[OfferView], now: datetime) -> Transition | None:
    """For the scheduler: DONE after the end if anyone was accepted, EXPIRED when nobody was by the deadline."""
    accepted = any(item.state is OfferState.ACCEPTED for item in _by_user(offers).values())
    after: RequestState | None = None
    if request.state in (RequestState.OPEN, RequestState.FILLED) and _is_past(request.end, now):
        after = RequestState.DONE if accepted else RequestState.EXPIRED
    elif request.state is RequestState.OPEN and not accepted and _is_past(request.deadline, now):
        after = RequestState.EXPIRED
    if after is None:
        return None
    tell: tuple[Tell, ...] = ()
    if after is RequestState.EXPIRED:
        waiting = [(item.user_id, Notice.EXPIRED) for item in offers if item.state is OfferState.OFFERED]
        tell = _tell(None, (request.requester, Notice.EXPIRED), *waiting)
    return Transition(request_id=request.id, before=request.state, after=after, tell=tell)


# --- Balance ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CityBalance:
    city: str | None
    """None: people without a city in their profile ("ohne Stadt")."""
    helped: int = 0
    was_helped: int = 0


def balance(entries: Iterable[tuple[str | None, str | None]]) -> list[CityBalance]:
    """Who stood in for whom: (helper_city, requester_city) per accepted offer of a done request.

    Each pair counts once (two helpers for one request are two). Help within one city is left out: the
    balance is between cities. Sorted by city name (folded, so "Bühl" sits with "Buehl"), "ohne Stadt" last.
    """
    helped: Counter[str | None] = Counter()
    was_helped: Counter[str | None] = Counter()
    for helper_city, requester_city in entries:
        if helper_city is not None and helper_city == requester_city:
            continue
        helped[helper_city] += 1
        was_helped[requester_city] += 1
    cities = sorted(helped.keys() | was_helped.keys(), key=lambda city: (city is None, fold(city or ""), city or ""))
    return [CityBalance(city, helped[city], was_helped[city]) for city in cities]
