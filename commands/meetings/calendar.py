"""Meetings as iCalendar (RFC 5545) for Outlook, Thunderbird and phones: the file of `!termine ics` and the feed of
`!termine abo`. Its own module so that icalendar (8 MiB) is imported only when a calendar is made, not at start."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rrulestr

from storage.meetings import MeetingRecord


def calendar_file(
    records: list[MeetingRecord], *, server: str, now: datetime, stamp: datetime | None = None, name: str | None = None
) -> bytes:
    """An iCalendar file (RFC 5545) Outlook and Thunderbird import: local times with their VTIMEZONE,
    the RRULE, skipped dates as EXDATE, and the reminders as alarms. A feed passes `stamp` (its last change) so the
    same meetings give the same bytes (and ETag), and `name` for the calendar list of the subscribing program."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//re@di//redi-bot//DE")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    for record in records:
        tz = ZoneInfo(record.timezone)
        event = icalendar.Event()
        event.add("uid", f"redi-meeting-{record.id}@{server}")
        event.add("dtstamp", (stamp or now).astimezone(UTC))
        event.add("created", record.created_at.astimezone(UTC))
        event.add("last-modified", (record.updated_at or record.created_at).astimezone(UTC))
        event.add("sequence", record.revision)
        if record.cancelled_at is not None:
            event.add("status", "CANCELLED")
        event.add("summary", record.title)
        event.add("dtstart", record.start.astimezone(tz))
        event.add("duration", timedelta(minutes=record.duration_minutes or 60))
        if record.rrule:
            event.add("rrule", icalendar.vRecur.from_ical(record.rrule))
            for skipped in record.skips:
                event.add("exdate", skipped.astimezone(tz))
        if record.place:
            event.add("location", record.place)
        if record.agenda:
            event.add("description", record.agenda)
        for offset in record.offsets:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", record.title)
            alarm.add("trigger", -timedelta(seconds=offset))
            event.add_component(alarm)
        calendar.add_component(event)
    for zone in sorted({record.timezone for record in records}):
        vtimezone = rule_based_vtimezone(ZoneInfo(zone), now.year)
        if vtimezone is not None:
            calendar.add_component(vtimezone)
    calendar.add_missing_timezones()  # only for zones whose rules could not be written as RRULEs
    return bytes(calendar.to_ical())


@functools.lru_cache(maxsize=64)  # the same zones and year on every feed request: scanned once (~20 % of a feed)
def _transitions(tz: ZoneInfo, year: int) -> tuple[tuple[datetime, timedelta, timedelta, str], ...]:
    """(local wall time just before, offset before, offset after, name after) of each change in `year`."""
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=1)
    while moment < end:
        before, after = moment.astimezone(tz).utcoffset(), (moment + step).astimezone(tz).utcoffset()
        if before != after and before is not None and after is not None:
            change = moment + step
            local_before = (change.astimezone(tz) - after + before).replace(tzinfo=None)
            found.append((local_before, before, after, change.astimezone(tz).tzname() or ""))
        moment += step
    return tuple(found)


def rule_based_vtimezone(tz: ZoneInfo, year: int) -> icalendar.Timezone | None:
    """A VTIMEZONE with yearly RRULEs ("last Sunday of March"), the form Outlook handles reliably;
    None if the zone's changes in `year` don't follow such a rule (icalendar then writes RDATEs)."""
    changes = _transitions(tz, year)
    component = icalendar.Timezone()
    component.add("tzid", tz.key)
    if not changes:
        offset = datetime(year, 6, 1, tzinfo=tz).utcoffset() or timedelta(0)
        standard = icalendar.TimezoneStandard()
        standard.add("dtstart", datetime(1970, 1, 1))
        standard.add("tzoffsetfrom", offset)
        standard.add("tzoffsetto", offset)
        standard.add("tzname", datetime(year, 6, 1, tzinfo=tz).tzname() or tz.key)
        component.add_component(standard)
        return component
    if len(changes) != 2:
        return None
    for local, before, after, name in changes:
        last_day = (local.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[local.weekday()]
        ordinal = -1 if local.day + 7 > last_day.day else (local.day - 1) // 7 + 1
        if ordinal > 0 and ordinal != (local.day - 1) // 7 + 1:
            return None
        rule_text = f"FREQ=YEARLY;BYMONTH={local.month};BYDAY={ordinal}{weekday}"
        rule = icalendar.vRecur.from_ical(rule_text)
        first = rrulestr(rule_text, dtstart=datetime(1970, 1, 1, local.hour, local.minute))[0]
        part = icalendar.TimezoneDaylight() if after > before else icalendar.TimezoneStandard()
        part.add("dtstart", first)
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after)
        part.add("tzname", name)
        part.add("rrule", rule)
        component.add_component(part)
    return component
