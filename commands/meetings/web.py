"""The meetings' web pages: what `/termine` (the coming weeks) and `/termine/monat` (one month as a calendar) show,
and to whom.

The dates are chat's: each meeting's occurrences come from `bot.schedule_parsing.occurrences`, the function behind
`!termine` and `!termin 7`, computed in the meeting's own zone (so "every Tuesday 10:00" stays 10:00 across DST) and
shown in the person's zone (`!zeitzone`, else the configured one), as the decision pages show times. A skipped date
is shown as chat says it ("fällt aus"), a meeting cancelled within the last `CANCELLED_SHOWN` with its dates after
the cancellation marked "abgesagt" (the calendar feed keeps it that long too). Who sees which room's meetings is
chat's rule (`commands.web.access.Viewer.may_see`): the rooms the person shares with the bot, the rooms of their
groups, every room for a coordinator. Everything returned is plain data; the transport renders it (autoescaped).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names

from bot.config import Config
from bot.errors import BadArgument, Forbidden, NotFound
from bot.i18n import Translator
from bot.schedule_parsing import format_when, occurrences
from commands.meetings.feeds import CANCELLED_SHOWN
from commands.web.access import Viewer, viewer_timezone
from storage import Database, Repositories
from storage.meetings import MeetingRecord
from storage.text import fold

UPCOMING = timedelta(weeks=8)
MONTH_YEARS = 3
"""The month view reaches from January this many years back to December this many years ahead: far enough for any
planning, near enough that nobody pages through centuries of empty months (or makes the server expand them)."""
MAX_OCCURRENCES = 64  # per meeting and page: a daily series has 56 dates in 8 weeks, 31 in a month
BATCH = 10  # dates asked for at a time
MAX_FILTER = 255  # characters of a group name or room id in the query, as the database holds them
_ROOM_ID = re.compile(r"![^\s\x00-\x1f:/?#]+(:[^\s\x00-\x1f/?#]+)?")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")

State = Literal["", "skipped", "cancelled"]


@dataclass(frozen=True)
class Choice:
    """A group (all its rooms) or a room without a group: one section of the pages and one filter."""

    kind: Literal["group", "room"]
    key: str  # the group's name or the room's id, as the filter's query parameter carries it
    label: str


@dataclass(frozen=True)
class Occurrence:
    meeting_id: int
    title: str
    start: datetime  # in the viewer's zone
    date_text: str  # "Di., 24.11.2026"
    time_text: str  # "10:00 Uhr"
    own_time: str | None  # the time in the meeting's zone, when that is not the viewer's: "9:00 Uhr (Europe/London)"
    repeat: bool
    place: str | None
    link: str | None  # the place, when it is a web address (a video call)
    link_host: str | None  # its host, what a calendar's narrow cell shows of it
    state: State
    state_text: str
    section: Choice

    @property
    def day(self) -> date:
        return self.start.date()


@dataclass(frozen=True)
class Section:
    choice: Choice
    occurrences: list[Occurrence]


@dataclass(frozen=True)
class UpcomingView:
    sections: list[Section]  # only those with dates, in the order of `choices`
    choices: list[Choice]  # every group and room the person may see
    chosen: Choice | None
    until_text: str
    zone: str
    month: str  # the current month, "2026-11", for the link to the calendar


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    today: bool
    long_text: str  # "Dienstag, 24. November"
    occurrences: list[Occurrence]


@dataclass(frozen=True)
class Week:
    number: int  # ISO week ("KW")
    days: list[Day]


@dataclass(frozen=True)
class MonthView:
    month: str  # "2026-12"
    caption: str  # "Dezember 2026"
    weekdays: list[tuple[str, str]]  # (short, long), Monday first
    weeks: list[Week]
    count: int  # dates in the month (skipped and cancelled ones too)
    previous: str | None  # "2026-11", None at the end of the range
    previous_caption: str
    next: str | None
    next_caption: str
    current: str  # this month, for "today"
    choices: list[Choice]
    chosen: Choice | None
    zone: str


@dataclass(frozen=True)
class Filter:
    """What the query asks for (`gruppe`/`group`, `raum`/`room`), checked against the config but not yet against the
    person's rights."""

    group: str | None = None
    room: str | None = None


def parse_filter(config: Config, group: str | None, room: str | None) -> Filter:
    """The query's filter, bounded; raises `BadArgument` for an unknown group or what cannot be a room id."""
    group = " ".join((group or "").split())
    room = (room or "").strip()
    if group and room:
        raise BadArgument("page.meetings.one_filter")
    if group:
        if len(group) > MAX_FILTER:
            raise BadArgument("page.meetings.unknown_group", group=group[:40] + "…")
        known = {fold(name): name for name in config.groups}
        if fold(group) not in known:
            raise BadArgument("page.meetings.unknown_group", group=group)
        return Filter(group=known[fold(group)])
    if room:
        if len(room) > MAX_FILTER or not _ROOM_ID.fullmatch(room):
            raise BadArgument("page.meetings.bad_room")
        return Filter(room=room)
    return Filter()


def parse_month(text: str | None, *, today: date) -> date:
    """The first day of the month `text` ("2026-12") asks for, this month without one; raises `BadArgument` for
    anything else and for a month outside the range (`MONTH_YEARS`)."""
    if text is None or not text.strip():
        return today.replace(day=1)
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise BadArgument("page.meetings.bad_month", value=text[:20])
    first, last = month_range(today)
    asked = (int(found.group(1)), int(found.group(2)))
    if not (first.year, first.month) <= asked <= (last.year, last.month):  # compared first: year 0 is no date
        raise BadArgument("page.meetings.month_range", first=f"{first:%m/%Y}", last=f"{last:%m/%Y}")
    return date(*asked, 1)


def month_range(today: date) -> tuple[date, date]:
    """The first and the last month (their first days) the month view shows."""
    return date(today.year - MONTH_YEARS, 1, 1), date(today.year + MONTH_YEARS, 12, 1)


async def upcoming_view(
    db: Database, viewer: Viewer, config: Config, t: Translator, wanted: Filter, *, now: datetime
) -> UpcomingView:
    """The meetings of the next `UPCOMING` weeks, by group and room. Raises `Forbidden` for another group and
    `NotFound` for a room the person does not share."""
    async with db.reading() as repos:
        tz = await viewer_timezone(repos, viewer, config)
        choices, chosen, records = await _meetings(
            repos, viewer, config, t, wanted, cancelled_since=now - CANCELLED_SHOWN
        )
    until = now + UPCOMING
    found = _dates(records, t, tz, after=now, before=until)  # after now, as `!termine` lists them
    sections = [
        Section(choice, sorted((o for o in found if o.section == choice), key=lambda o: (o.start, o.meeting_id)))
        for choice in choices
    ]
    return UpcomingView(
        sections=[section for section in sections if section.occurrences],
        choices=choices,
        chosen=chosen,
        until_text=format_when(until.astimezone(tz), language=t.language).rpartition(", ")[0],
        zone=tz.key,
        month=f"{now.astimezone(tz):%Y-%m}",
    )


async def month_view(
    db: Database,
    viewer: Viewer,
    config: Config,
    t: Translator,
    wanted: Filter,
    month_text: str | None,
    *,
    now: datetime,
) -> MonthView:
    """One month as weeks of days (Monday first), each day with its meetings. Raises `BadArgument` for a month that
    is no month or outside the range, `Forbidden` and `NotFound` as `upcoming_view`."""
    async with db.reading() as repos:
        tz = await viewer_timezone(repos, viewer, config)
        today = now.astimezone(tz).date()
        first = parse_month(month_text, today=today)
        start = datetime.combine(first, time(), tz)
        following = (first + timedelta(days=31)).replace(day=1)
        end = datetime.combine(following, time(), tz)
        choices, chosen, records = await _meetings(
            repos, viewer, config, t, wanted, cancelled_since=start - CANCELLED_SHOWN
        )
    by_day: dict[date, list[Occurrence]] = {}
    for found in _dates(records, t, tz, after=start - timedelta(microseconds=1), before=end):
        by_day.setdefault(found.day, []).append(found)
    long_names = get_day_names("wide", locale=t.language)
    weeks = []
    for week in calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(first.year, first.month):
        days = [
            Day(
                day=day,
                in_month=day.month == first.month,
                today=day == today,
                long_text=format_date(
                    day, "EEEE, d. MMMM" if t.language == "de" else "EEEE, d MMMM", locale=t.language
                ),
                occurrences=sorted(by_day.get(day, []), key=lambda o: (o.start, o.meeting_id))
                if day.month == first.month
                else [],
            )
            for day in week
        ]
        weeks.append(Week(week[0].isocalendar().week, days))
    lowest, highest = month_range(today)
    previous = (first - timedelta(days=1)).replace(day=1)
    short_names = get_day_names("abbreviated", locale=t.language)
    return MonthView(
        month=f"{first:%Y-%m}",
        caption=format_date(first, "LLLL y", locale=t.language),
        weekdays=[(short_names[n], long_names[n]) for n in range(7)],
        weeks=weeks,
        count=sum(len(found) for day, found in by_day.items() if day.month == first.month),
        previous=f"{previous:%Y-%m}" if previous >= lowest else None,
        previous_caption=format_date(previous, "LLLL y", locale=t.language),
        next=f"{following:%Y-%m}" if following <= highest else None,
        next_caption=format_date(following, "LLLL y", locale=t.language),
        current=f"{today:%Y-%m}",
        choices=choices,
        chosen=chosen,
        zone=tz.key,
    )


# --- shared ------------------------------------------------------------------------------------------------


def _choice(config: Config, t: Translator, room_id: str) -> Choice:
    group = config.group_of_room(room_id)
    if group is not None:
        return Choice("group", group, group)
    if room_id == config.network_room:
        return Choice("room", room_id, t("page.meetings.network"))
    return Choice("room", room_id, t("page.meetings.room", room=room_id))


async def _meetings(
    repos: Repositories,
    viewer: Viewer,
    config: Config,
    t: Translator,
    wanted: Filter,
    *,
    cancelled_since: datetime,
) -> tuple[list[Choice], Choice | None, list[tuple[Choice, MeetingRecord]]]:
    """The groups and rooms the person may see, the one the filter chose, and the meetings of the chosen ones (all
    without a filter): not cancelled, or cancelled after `cancelled_since`."""
    # The person's own rooms and the configured ones (of which `may_see` keeps their groups', or all for a
    # coordinator); never a room that is neither, such as someone else's direct chat with the bot: `!termine` shows
    # only the room it is asked in, so nobody, a coordinator neither, sees another person's private meetings in chat.
    candidates = set(viewer.rooms) | set(config.room_groups)
    if config.network_room:
        candidates.add(config.network_room)
    rooms = sorted(room for room in candidates if viewer.may_see(room_id=room, group=config.group_of_room(room)))
    by_room = {room: _choice(config, t, room) for room in rooms}
    records = {room: await repos.meetings.in_room(room, cancelled_since=cancelled_since) for room in rooms}
    # Every group and the network are choices; another room (a direct chat with the bot, say) only with meetings.
    listed = {choice for room, choice in by_room.items() if choice.kind == "group" or room == config.network_room}
    listed |= {by_room[room] for room, found in records.items() if found}
    choices = sorted(listed, key=lambda c: (c.kind != "group", c.key != config.network_room, fold(c.label), c.key))
    chosen = None
    if wanted.group is not None:
        chosen = next((c for c in by_room.values() if c.kind == "group" and c.key == wanted.group), None)
        if chosen is None:
            raise Forbidden("page.meetings.other_group", group=wanted.group)
    elif wanted.room is not None:
        chosen = by_room.get(wanted.room)
        if chosen is None:
            raise NotFound("page.meetings.unknown_room")
    found = [
        (by_room[room], record)
        for room in rooms
        if chosen is None or by_room[room] == chosen
        for record in records[room]
    ]
    return choices, chosen, found


def _dates(
    records: Iterable[tuple[Choice, MeetingRecord]], t: Translator, tz: ZoneInfo, *, after: datetime, before: datetime
) -> list[Occurrence]:
    """Every date of the meetings strictly after `after` and before `before`, skipped ones marked, and a cancelled
    meeting's dates up to `CANCELLED_SHOWN` after its cancellation marked (those before it took place)."""
    found = []
    end = before.astimezone(UTC)  # instants: within one zone Python compares wall times, ignoring `fold`
    for choice, record in records:
        own = ZoneInfo(record.timezone)
        skipped = {moment.astimezone(UTC) for moment in record.skips}
        for local in _until(record, own, after=after, end=end):
            moment = local.astimezone(UTC)
            state: State = ""
            if record.cancelled_at is not None and moment > record.cancelled_at:
                if moment > record.cancelled_at + CANCELLED_SHOWN:
                    break
                state = "cancelled"
            elif moment in skipped:
                state = "skipped"
            found.append(_occurrence(choice, record, local, t, tz, state))
    return found


def _until(record: MeetingRecord, tz: ZoneInfo, *, after: datetime, end: datetime) -> Iterator[datetime]:
    """`occurrences` (chat's dates) strictly after `after` and before `end`, at most `MAX_OCCURRENCES`, asked for a
    few at a time: a series has no end of its own, and a weekly one needs 8 dates for 8 weeks, not 64."""
    cursor, given = after, 0
    while given < MAX_OCCURRENCES:
        batch = occurrences(record.start, record.rrule, tz=tz, after=cursor, count=BATCH)
        for moment in batch:
            if moment.astimezone(UTC) >= end or given >= MAX_OCCURRENCES:
                return
            given += 1
            yield moment
        if len(batch) < BATCH:
            return
        cursor = batch[-1]


def _occurrence(
    choice: Choice, record: MeetingRecord, moment: datetime, t: Translator, tz: ZoneInfo, state: State
) -> Occurrence:
    language = t.language
    local = moment.astimezone(tz)
    date_text, _, time_text = format_when(local, language=language).rpartition(", ")
    own_time = None
    if record.timezone != tz.key and moment.utcoffset() != local.utcoffset():
        own_time = f"{format_when(moment, language=language).rpartition(', ')[2]} ({record.timezone})"
    place = record.place
    link_host = _host(place) if place and re.fullmatch(r"https?://\S+", place) else None
    link = place if link_host else None
    return Occurrence(
        meeting_id=record.id,
        title=record.title,
        start=local,
        date_text=date_text,
        time_text=time_text,
        own_time=own_time,
        repeat=record.rrule is not None,
        place=place,
        link=link,
        link_host=link_host,
        state=state,
        state_text=t(f"page.meetings.{state}") if state else "",
        section=choice,
    )


def _host(link: str) -> str | None:
    """The host a place's link shows; None for a link that only looks like one (`https://[meet` is accepted as a
    place in chat, and urlsplit raises on it): shown as text then."""
    try:
        return urlsplit(link).hostname
    except ValueError:
        return None
