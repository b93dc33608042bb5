"""Meetings of a room and personal reminders: `!termin …`, `!termine`, `!erinnere mich …`.

Handlers only write the database and ask the planner (after commit) to re-plan; the reminders
themselves are sent by `commands.meetings.jobs`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from babel.lists import format_list
from babel.units import format_unit

from bot.dispatch import CommandContext, Router, is_number_word, record_number
from bot.errors import BadArgument, Localized, NotFound
from bot.i18n import Catalog
from bot.replies import Attachment, Reply, md_escape, message_content
from bot.schedule_parsing import (
    describe_schedule,
    format_when,
    occurrences,
    parse_date,
    parse_reminder,
    parse_schedule,
)
from commands import rights
from commands.arguments import DURATIONS
from commands.meetings.jobs import reminders_for_next
from commands.meetings.texts import MESSAGES
from commands.timezones import personal_timezone, room_timezone
from storage.meetings import MeetingRecord, PersonalReminderRecord
from storage.text import fold, slug

MAX_TITLE = 200
MAX_TEXT = 1000

router = Router(
    "meetings",
    title_de="Termine",
    title_en="Meetings",
    messages=MESSAGES,
    highlights=("termin", "termine", "erinnere"),
)
_catalog = Catalog(MESSAGES)


def span_text(seconds: int, language: str) -> str:
    """1 Tag / 2 Stunden / 90 Minuten: the largest unit that counts it whole, named with CLDR's plural forms."""
    units = ((86400 * 7, "duration-week"), (86400, "duration-day"), (3600, "duration-hour"), (60, "duration-minute"))
    for size, unit in units:
        if seconds >= size and seconds % size == 0:
            return str(format_unit(seconds // size, unit, length="long", locale=language))
    return str(format_unit(seconds, "duration-second", length="long", locale=language))


def _next_dates(meeting: MeetingRecord, now: datetime, language: str, count: int = 3) -> list[datetime]:
    return occurrences(
        meeting.start, meeting.rrule, tz=ZoneInfo(meeting.timezone), after=now, count=count, exdates=meeting.skips
    )


def _dates_text(dates: list[datetime], language: str) -> str:
    return "; ".join(format_when(d, language=language) for d in dates)


def _offsets_text(offsets: tuple[int, ...] | list[int], language: str) -> str:
    """The offsets as the language lists them (CLDR): "1 Tag, 1 Stunde und 15 Minuten"."""
    return str(format_list([span_text(o, language) for o in offsets], locale=language))


@router.command(
    "termin",
    aliases=["meeting"],
    help_de="Trägt einen Termin ein, zeigt oder ändert einen (absagen, aussetzen, erinnern, ort, agenda, titel, zeit)",
    help_en="Creates a meeting, shows or changes one (cancel, skip, remind, place, agenda, title, time)",
    details_de=(
        "Neu: `!termin morgen 14 Uhr Abstimmung eAkte`, `!termin 3.12. 9:30 Fachgruppe`, "
        "`!termin jeden Dienstag 10:00 Jour fixe`, `!termin jeden 2. Dienstag im Monat 14 Uhr Sensorik`, "
        "`!termin alle 2 Wochen montags 9 Uhr Runde`, `!termin werktags 8:30 Kurzabstimmung`.\n\n"
        "Zeigen: `!termin 7` (die Nummer steht in `!termine`)."
    ),
    details_en=(
        "New: `!meeting tomorrow 3pm sync`, `!meeting every friday 3pm retro`, "
        "`!meeting every 2 weeks on monday 9am round`.\n\n"
        "Show: `!meeting 7` (`!meetings` shows the numbers)."
    ),
    labels={"text": ("Wann Titel", "when title")},
)
async def meeting(ctx: CommandContext, *, text: str) -> Reply:
    first, _, rest = text.strip().partition(" ")
    if is_number_word(first) and not rest.strip():
        return await _show(ctx, record_number(first, _LABEL))
    return await _create(ctx, text)


_LABEL = Localized("Termin", "meeting")


NUMBER = {"number": ("Nr", "no.")}


@router.subcommand(
    "termin", "absagen", aliases=["cancel", "loeschen"], help_de="Sagt einen Termin ab", help_en="Cancels a meeting",
    labels=NUMBER,
)  # fmt: skip
async def cancel_meeting(ctx: CommandContext, *, number: int) -> Reply:
    record = await _own_meeting(ctx, number)
    await ctx.repos.meetings.cancel(record.id, now=ctx.clock.now())
    _replan(ctx, record.id)
    return Reply.text(ctx.t("meeting.cancelled", id=record.id, title=md_escape(record.title)))


@router.subcommand(
    "termin", "aussetzen", aliases=["skip", "faelltaus"],
    help_de="Lässt einen Termin einer Serie an einem Tag ausfallen", help_en="Skips one date of a series",
    labels=NUMBER | {"day": ("am Datum", "on date")},
)  # fmt: skip
async def skip_meeting(ctx: CommandContext, *, number: int, day: str) -> Reply:
    record = await _own_meeting(ctx, number)
    now = ctx.clock.now()
    tz = ZoneInfo(record.timezone)
    date = parse_date(re.sub(r"^(am|on)\s+", "", day, flags=re.I), now=now, tz=tz)
    window = datetime.combine(date, datetime.min.time(), tz)
    hits = [o for o in _next_dates(record, window - timedelta(seconds=1), ctx.language, 5) if o.date() == date]
    if not hits:
        upcoming = _next_dates(record, now, ctx.language)
        dates = _dates_text(upcoming, ctx.language)
        raise BadArgument(
            "meeting.not_on_that_day", id=record.id, date=date.strftime("%d.%m.%Y"), dates=dates, count=len(upcoming)
        )
    for occurrence in hits:
        await ctx.repos.meetings.skip(record.id, occurrence, now=now)
    _replan(ctx, record.id)
    updated = await _find(ctx, record.id)
    return Reply.text(
        ctx.t(
            "meeting.skipped",
            id=record.id,
            title=md_escape(record.title),
            date=date.strftime("%d.%m.%Y"),
            next=_dates_text(_next_dates(updated, now, ctx.language), ctx.language),
        )
    )


@router.subcommand(
    "termin", "erinnern", aliases=["remind", "erinnerung"],
    help_de="Stellt die Erinnerungen ein (keine = aus)", help_en="Sets the reminders (none = off)",
    labels=NUMBER | {"offsets": ("1 Tag, 15 min", "1 day, 15 min")},
)  # fmt: skip
async def remind_meeting(ctx: CommandContext, *, number: int, offsets: Annotated[list[timedelta], DURATIONS]) -> Reply:
    record = await _own_meeting(ctx, number)
    seconds = [int(offset.total_seconds()) for offset in offsets]
    await ctx.repos.meetings.update(record.id, now=ctx.clock.now(), offsets=seconds)
    return await _updated(ctx, record.id)


@router.subcommand(
    "termin", "ort", aliases=["place", "link"],
    help_de="Setzt Ort oder Link (video = Jitsi-Raum)", help_en="Sets the place or link (video = a Jitsi room)",
    labels=NUMBER | {"place": ("Ort oder video", "place or video")},
)  # fmt: skip
async def place_meeting(ctx: CommandContext, *, number: int, place: str) -> Reply:
    record = await _own_meeting(ctx, number)
    _fits(ctx, place, MAX_TEXT)
    if fold(place) in {"video", "jitsi", "online"}:
        if not ctx.config.jitsi_base_url:
            raise BadArgument("meeting.no_jitsi")
        name = slug(record.title) or "termin"
        place = f"{ctx.config.jitsi_base_url}redi-{name}-{secrets.token_hex(3)}"
    await ctx.repos.meetings.update(record.id, now=ctx.clock.now(), place=place)
    return await _updated(ctx, record.id)


@router.subcommand(
    "termin", "agenda", aliases=["tagesordnung"], name_en="agenda",
    help_de="Setzt die Agenda", help_en="Sets the agenda", labels=NUMBER | {"agenda": ("Agenda", "agenda")},
)  # fmt: skip
async def agenda_meeting(ctx: CommandContext, *, number: int, agenda: str) -> Reply:
    return await _set_text(ctx, number, "agenda", agenda, MAX_TEXT)


@router.subcommand(
    "termin", "titel", aliases=["title"], help_de="Ändert den Titel", help_en="Changes the title",
    labels=NUMBER | {"title": ("Titel", "title")},
)  # fmt: skip
async def title_meeting(ctx: CommandContext, *, number: int, title: str) -> Reply:
    return await _set_text(ctx, number, "title", title, MAX_TITLE)


async def _set_text(
    ctx: CommandContext, number: int, field: Literal["agenda", "title"], text: str, limit: int
) -> Reply:
    record = await _own_meeting(ctx, number)
    _fits(ctx, text, limit)
    await ctx.repos.meetings.update(record.id, now=ctx.clock.now(), **{field: text})
    return await _updated(ctx, record.id)


@router.subcommand(
    "termin", "zeit", aliases=["time", "verschieben", "move"],
    help_de="Verlegt einen Termin (auch eine Serie)", help_en="Moves a meeting (a series too)",
    labels=NUMBER | {"when": ("wann", "when")},
)  # fmt: skip
async def move_meeting(ctx: CommandContext, *, number: int, when: str) -> Reply:
    record = await _own_meeting(ctx, number)
    # The colon ends the time part, so the stored title cannot change the schedule.
    schedule = parse_schedule(f"{when}: {record.title}", now=ctx.clock.now(), tz=ZoneInfo(record.timezone))
    await ctx.repos.meetings.update(
        record.id,
        now=ctx.clock.now(),
        start=schedule.start,
        rrule=schedule.rrule,
        duration_minutes=int(schedule.duration.total_seconds() // 60) if schedule.duration else None,
    )
    return await _updated(ctx, record.id)


def _fits(ctx: CommandContext, text: str, limit: int) -> None:
    if len(text) > limit:
        raise BadArgument("meeting.too_long", limit=limit)


async def _updated(ctx: CommandContext, meeting_id: int) -> Reply:
    _replan(ctx, meeting_id)
    updated = await _find(ctx, meeting_id)
    return Reply.text(ctx.t("meeting.updated", id=meeting_id) + "\n\n" + _summary(ctx, updated, created=False))


async def _create(ctx: CommandContext, text: str) -> Reply:
    now = ctx.clock.now()
    zone = await room_timezone(ctx)
    schedule = parse_schedule(text, now=now, tz=zone)
    if len(schedule.title) > MAX_TITLE:
        raise BadArgument("meeting.too_long", limit=MAX_TITLE)
    offsets = [int(o.total_seconds()) for o in ctx.config.reminder_offsets]
    record = await ctx.repos.meetings.add(
        room_id=ctx.room_id,
        title=schedule.title,
        start=schedule.start,
        timezone=zone.key,
        rrule=schedule.rrule,
        duration_minutes=int(schedule.duration.total_seconds() // 60) if schedule.duration else None,
        offsets=offsets,
        created_by=ctx.sender,
        now=now,
    )
    _replan(ctx, record.id)
    return Reply.text(_summary(ctx, record, created=True))


def _summary(ctx: CommandContext, record: MeetingRecord, *, created: bool) -> str:
    language = ctx.language
    now = ctx.clock.now()
    when = describe_schedule(record.start.astimezone(ZoneInfo(record.timezone)), record.rrule, language=language)
    key = "meeting.created" if created else "meeting.details"
    lines = [ctx.t(key, id=record.id, title=md_escape(record.title), when=when, zone=record.timezone)]
    dates = _next_dates(record, now, language)
    if dates:
        lines.append(ctx.t("meeting.next", dates=_dates_text(dates, language), count=len(dates)))
    else:
        lines.append(ctx.t("meeting.over"))
    if record.place:
        lines.append(ctx.t("meeting.place", place=md_escape(record.place)))
    if record.agenda:
        lines.append(ctx.t("meeting.agenda", agenda=md_escape(record.agenda)))
    if not record.offsets:
        lines.append(ctx.t("meeting.no_reminders"))
    elif dates:  # a meeting in the past gets no reminders: "meeting.over" says so
        change = ctx.t("meeting.reminders.change", prefix=ctx.prefix, id=record.id)
        lines.append(_reminders_text(ctx, record, now) + " " + change)
    return "\n\n".join(lines)


def _reminders_text(ctx: CommandContext, record: MeetingRecord, now: datetime) -> str:
    """Which reminders will really come: a reminder whose time has passed is never sent (a meeting in two minutes
    gets no reminder "1 day before"), so the confirmation does not promise it."""
    language = ctx.language
    first, coming, late = reminders_for_next(record, now=now)
    spans = {
        "offsets": _offsets_text(record.offsets, language),
        "coming": _offsets_text(coming, language),
        "late": _offsets_text(late, language),
    }
    if not late:
        return ctx.t("meeting.reminders", **spans)
    if record.rrule is None:
        return ctx.t("meeting.reminders.partly" if coming else "meeting.reminders.none", **spans)
    assert first is not None
    date = format_when(first.astimezone(ZoneInfo(record.timezone)), language=language)
    return ctx.t("meeting.reminders.next_partly" if coming else "meeting.reminders.next_none", date=date, **spans)


async def _find(ctx: CommandContext, meeting_id: int) -> MeetingRecord:
    record = await ctx.repos.meetings.get(meeting_id)
    if record is None or record.room_id != ctx.room_id or record.cancelled_at is not None:
        raise NotFound("meeting.not_found", id=meeting_id)
    return record


async def _own_meeting(ctx: CommandContext, meeting_id: int) -> MeetingRecord:
    record = await _find(ctx, meeting_id)
    rights.require(ctx, "meeting", owners=(record.created_by,), room_id=record.room_id, record_id=record.id)
    return record


async def _show(ctx: CommandContext, meeting_id: int) -> Reply:
    return Reply.text(_summary(ctx, await _find(ctx, meeting_id), created=False))


def _replan(ctx: CommandContext, meeting_id: int) -> None:
    ctx.replan("meeting", meeting_id)


@router.command(
    "termine",
    aliases=["meetings"],
    help_de="Listet die kommenden Termine dieses Raums; „ics“ schickt sie als Kalenderdatei",
    help_en="Lists the upcoming meetings of this room; “ics” sends them as a calendar file",
    labels={"export": ("ics", "ics")},
    replay_safe=True,
)
async def list_meetings(ctx: CommandContext, *, export: Literal["ics"] | None = None) -> Reply:
    now = ctx.clock.now()
    if export == "ics":
        # Recently cancelled meetings go along as cancelled, so calendars that imported them drop them.
        records = await ctx.repos.meetings.in_room(ctx.room_id, cancelled_since=now - timedelta(days=90))
        if not records:
            return Reply.text(ctx.t("meeting.list_empty", prefix=ctx.prefix))
        from commands.meetings.calendar import calendar_file  # icalendar: 8 MiB, only for calendars

        data = calendar_file(records, server=ctx.config.matrix.user_id.partition(":")[2], now=now)
        return Reply.text(
            ctx.t("meeting.ics", count=sum(1 for r in records if r.cancelled_at is None)),
            attachments=[Attachment("termine.ics", "text/calendar", data)],
        )
    upcoming: list[tuple[datetime, MeetingRecord]] = []
    for record in await ctx.repos.meetings.in_room(ctx.room_id):
        dates = _next_dates(record, now, ctx.language, 1)
        if dates:
            upcoming.append((dates[0], record))
    if not upcoming:
        return Reply.text(ctx.t("meeting.list_empty", prefix=ctx.prefix))
    lines = [ctx.t("meeting.list_title"), ""]
    for when, record in sorted(upcoming, key=lambda pair: pair[0]):
        repeat = describe_schedule(
            record.start.astimezone(ZoneInfo(record.timezone)), record.rrule, language=ctx.language
        )
        lines.append(
            f"- #{record.id} **{md_escape(record.title)}** – {format_when(when, language=ctx.language)}"
            + (f" ({repeat})" if record.rrule else "")
        )
    return Reply.text("\n".join(lines))


@router.command(
    "erinnere",
    aliases=["remindme", "erinnermich"],
    help_de="Persönliche Erinnerung per Direktnachricht, z. B. „!erinnere mich in 2 Stunden an …“",
    help_en="Personal reminder by direct message, e.g. “!remindme in 2 hours to …”",
    labels={"text": ("mich wann an was", "when to what")},
)
async def remind_me(ctx: CommandContext, *, text: str) -> Reply:
    text = re.sub(r"^(mich|me)\s+", "", text.strip(), flags=re.I)
    tz = await personal_timezone(ctx)
    now = ctx.clock.now()
    due, message = parse_reminder(text, now=now, tz=tz)
    if len(message) > MAX_TEXT:
        raise BadArgument("meeting.too_long", limit=MAX_TEXT)
    record = await ctx.repos.reminders.add(
        user_id=ctx.sender,
        message=message,
        due=due,
        timezone=tz.key,
        language=ctx.language,
        created_in=ctx.room_id,
        now=now,
    )
    ctx.replan("personal", record.id)
    return Reply.text(
        ctx.t("reminder.personal_saved", when=format_when(due, language=ctx.language), message=md_escape(message))
    )


@router.command(
    "erinnerungen",
    aliases=["reminders"],
    help_de="Zeigt deine offenen persönlichen Erinnerungen",
    help_en="Shows your pending personal reminders",
    replay_safe=True,
)
async def my_reminders(ctx: CommandContext) -> Reply:
    pending = await ctx.repos.reminders.upcoming_for(ctx.sender, now=ctx.clock.now())
    if not pending:
        return Reply.text(ctx.t("reminders.none", prefix=ctx.prefix))
    lines = [ctx.t("reminders.title"), ""]
    for reminder in pending:
        when = format_when(reminder.due.astimezone(ZoneInfo(reminder.timezone)), language=ctx.language)
        lines.append(f"- #{reminder.id} {when}: {md_escape(reminder.message)}")
    lines += ["", ctx.t("reminders.cancel_hint", prefix=ctx.prefix)]
    return Reply.text("\n".join(lines))


@router.subcommand(
    "erinnerungen", "löschen", aliases=["delete"], help_de="Löscht eine deiner Erinnerungen",
    help_en="Deletes one of your reminders", labels={"number": ("Nr", "no.")}, replay_safe=True,
)  # fmt: skip
async def delete_reminder(ctx: CommandContext, *, number: int) -> Reply:
    now = ctx.clock.now()
    if number not in {r.id for r in await ctx.repos.reminders.upcoming_for(ctx.sender, now=now)}:
        raise NotFound("reminders.not_found", id=number)
    await ctx.repos.reminders.cancel(number, now=now)
    ctx.replan("personal", number)
    return Reply.text(ctx.t("reminders.cancelled", id=number))


# --- what the planner sends ------------------------------------------------------------------------------


def meeting_reminder_content(language: str) -> Any:
    """The content builder the planner uses for room reminders (in the configured default language):
    one reminder as it is, several due together in one room as one list (one notification, not ten)."""

    def details(record: MeetingRecord) -> list[str]:
        lines = []
        if record.place:
            lines.append(_catalog.text(language, "meeting.place", place=md_escape(record.place)))
        if record.agenda:
            lines.append(_catalog.text(language, "meeting.agenda", agenda=md_escape(record.agenda)))
        return lines

    def headline(record: MeetingRecord, occurrence: datetime, offset: int) -> str:
        relative = (
            _catalog.text(language, "relative.in", span=span_text(offset, language))
            if offset
            else _catalog.text(language, "relative.now")
        )
        local = occurrence.astimezone(ZoneInfo(record.timezone))
        return _catalog.text(
            language,
            "reminder.meeting",
            title=md_escape(record.title),
            relative=relative,
            when=format_when(local, language=language),
        )

    def build(items: Sequence[tuple[MeetingRecord, datetime, int, bool]]) -> dict[str, Any]:
        if len(items) == 1:
            [(record, occurrence, offset, _)] = items
            lines = [headline(record, occurrence, offset), *details(record)]
        else:
            bullets = [
                " · ".join([headline(record, occurrence, offset).removeprefix("⏰ "), *details(record)])
                for record, occurrence, offset, _ in items
            ]
            lines = [
                _catalog.text(language, "reminder.several", count=len(items)),
                "\n".join(f"- {b}" for b in bullets),
            ]
        if any(late for *_, late in items):
            lines.append(_catalog.text(language, "reminder.late"))
        return message_content(Reply.text("\n\n".join(lines)))

    return build


def personal_reminder_content(record: PersonalReminderRecord, late: bool) -> dict[str, Any]:
    lines = [_catalog.text(record.language, "reminder.personal", message=md_escape(record.message))]
    if late:
        lines.append(_catalog.text(record.language, "reminder.late"))
    return message_content(Reply.text("\n\n".join(lines)))
