"""Meetings and reminders without a homeserver: commands, planning across DST, catch-up after downtime."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_parts
from bot.clock import FakeClock
from bot.config import Config, load_config
from bot.dispatch import IncomingMessage
from bot.replies import message_content
from commands.meetings import ReminderPlanner
from commands.meetings.jobs import due_reminders, next_due
from storage import Database
from storage.meetings import MeetingRecord
from tests.fakes import RecordingSender

ROOT = Path(__file__).resolve().parent.parent
_EVENTS = itertools.count()  # every message its own event id, as in Matrix
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=BERLIN)  # a Saturday
ROOM = "!eakte:example.org"
ANNA, BEN = "@anna:buehl.de", "@ben:rastatt.de"


class Bot:
    """The app's real parts over a recording sender. Replies are read from the dispatcher and not delivered, so
    the sender shows only what the scheduler sent."""

    def __init__(self, config: Config, db: Database) -> None:
        self.clock = FakeClock(NOW)
        self.sender = RecordingSender()
        self.db = db
        parts = build_parts(config, self.clock, db, sender=self.sender, files=None)
        self.scheduler, self.dispatcher = parts.scheduler, parts.dispatcher
        self.planner = parts.planner.of(ReminderPlanner)

    async def say(self, body: str, *, sender: str = ANNA, power: int = 0, room: str = ROOM) -> str:
        message = IncomingMessage(room, f"$ev{next(_EVENTS)}", sender, body, self.clock.now(), sender_power=power)
        reply = await self.dispatcher.handle(message)
        assert reply is not None
        return str(message_content(reply)["body"])

    async def meetings(self) -> list[MeetingRecord]:
        async with self.db.transaction() as repos:
            return await repos.meetings.in_room(ROOM)


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Bot]:
    example = load_config(ROOT / "config.example.toml", env={})
    config = replace(example, data_dir=tmp_path, database_url="unused", jitsi_base_url="https://meet.example.org/")
    yield Bot(config, db)


async def test_create_repeats_back_and_lists(bot: Bot) -> None:
    text = await bot.say("!termin jeden Dienstag 10:00 Jour fixe")
    assert "Termin #1 eingetragen: Jour fixe – jeden Dienstag um 10:00 Uhr (Europe/Berlin)." in text
    assert "Nächste Termine: Di., 24.11.2026, 10:00 Uhr" in text
    assert "Erinnerung: 1 Tag und 15 Minuten vorher." in text
    await bot.say("!termin morgen 14 Uhr Abstimmung eAkte")
    listing = await bot.say("!termine")
    assert listing.index("Abstimmung eAkte") < listing.index("Jour fixe"), "sorted by the next date"
    assert "#2 Abstimmung eAkte – So., 22.11.2026, 14:00 Uhr" in listing


async def test_bad_phrases_get_a_clear_answer(bot: Bot) -> None:
    assert "Uhr" in await bot.say("!termin morgen Teamrunde")
    assert "Vergangenheit" in await bot.say("!termin 1.11.2026 10 Uhr Rückblick")
    assert "Einen Termin #9 gibt es in diesem Raum nicht" in await bot.say("!termin absagen 9")
    missing = await bot.say("!termin absagen")
    assert "Da fehlt noch etwas: Nr" in missing and "So geht's: !termin absagen <Nr>" in missing
    assert "Hier sind keine Termine" in await bot.say("!termine")


async def test_change_skip_cancel_with_permissions(bot: Bot) -> None:
    await bot.say("!termin jeden Dienstag 10:00 Jour fixe")
    assert "Termin #1 ändern oder absagen dürfen nur" in await bot.say("!termin absagen 1", sender=BEN)
    text = await bot.say("!termin aussetzen 1 am 1.12.")
    assert "fällt am 01.12.2026 aus" in text and "Di., 8.12.2026" in text
    assert "findet #1 nicht statt" in await bot.say("!termin aussetzen 1 am 2.12.")
    text = await bot.say("!termin erinnern 1 1h, 10 min")
    assert "Erinnerung: 1 Stunde und 10 Minuten vorher." in text
    assert "Ort: https://meet.example.org/redi-jour-fixe-" in await bot.say("!termin ort 1 video")
    assert "Agenda: Haushalt 2027" in await bot.say("!termin agenda 1 Haushalt 2027")
    text = await bot.say("!termin zeit 1 jeden Mittwoch 11 Uhr", sender=BEN, power=50)
    assert "jeden Mittwoch um 11:00 Uhr" in text, "a room moderator may change it"
    assert "ist abgesagt" in await bot.say("!termin absagen 1")
    assert "Hier sind keine Termine" in await bot.say("!termine")


async def test_weekly_reminders_stay_at_local_time_across_dst(bot: Bot) -> None:
    await bot.say("!termin jeden Dienstag 14:00 Jour fixe")
    [meeting] = await bot.meetings()
    due = due_reminders(meeting, after=datetime(2027, 3, 20, tzinfo=UTC), until=datetime(2027, 4, 3, tzinfo=UTC))
    occurrences = sorted({o.astimezone(BERLIN) for o, _ in due})
    assert [o.strftime("%d.%m. %H:%M %Z") for o in occurrences] == ["23.03. 14:00 CET", "30.03. 14:00 CEST"]
    assert {offset for _, offset in due} == {86400, 900}


async def test_reminder_sent_once_and_next_one_planned(bot: Bot) -> None:
    await bot.say("!termin jeden Dienstag 10:00 Jour fixe")
    [meeting] = await bot.meetings()
    first_due = next_due(meeting, after=bot.clock.now())
    assert first_due == datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)  # a day before Tuesday 10:00
    bot.clock.set(first_due)
    await bot.scheduler.run_due()
    # Planned anew from the database (as after a restart) and run again: nothing more is sent.
    await bot.planner.start()
    await bot.scheduler.run_due()
    assert bot.sender.bodies == [(ROOM, "⏰ Jour fixe beginnt in 1 Tag: Di., 24.11.2026, 10:00 Uhr")]
    assert next_due(meeting, after=bot.clock.now()) == datetime(2026, 11, 24, 9, 45, tzinfo=BERLIN)


async def test_reminders_due_together_go_out_as_one_message_per_room(bot: Bot) -> None:
    other = "!sensorik:example.org"
    for title in ("Jour fixe", "Abstimmung XRechnung", "Sprint Review"):
        await bot.say(f"!termin 24.11. 10 Uhr {title}")
    await bot.say("!termin ort 2 Raum 3.14")
    await bot.say("!termin 24.11. 10 Uhr Sensorik-Runde", room=other)
    meetings = await bot.meetings()
    due = next_due(meetings[0], after=bot.clock.now())
    assert due is not None
    assert {bot.planner.planned_at(m.id) for m in [*meetings, *await bot.meetings()]} == {due}
    bot.clock.set(due)
    await bot.scheduler.run_due()
    assert bot.sender.bodies == [
        (
            ROOM,
            "⏰ 3 Termine stehen an:\n\n"
            "• Jour fixe beginnt in 1 Tag: Di., 24.11.2026, 10:00 Uhr\n"
            "• Abstimmung XRechnung beginnt in 1 Tag: Di., 24.11.2026, 10:00 Uhr · Ort: Raum 3.14\n"
            "• Sprint Review beginnt in 1 Tag: Di., 24.11.2026, 10:00 Uhr",
        ),
        (other, "⏰ Sensorik-Runde beginnt in 1 Tag: Di., 24.11.2026, 10:00 Uhr"),
    ]
    batch_txn = bot.sender.sent[0][2]
    async with bot.db.transaction() as repos:
        pending = await repos.ledger.pending()
        rows = [await repos.ledger.get("meeting", m.id, m.start, 86400) for m in meetings]
    assert pending == []
    assert {row.send_txn_id for row in rows if row} == {batch_txn}, "one txn id for the whole batch"
    assert bot.planner.planned_at(meetings[0].id) == due + timedelta(days=1) - timedelta(minutes=15)


async def test_interrupted_batch_is_resent_whole_under_its_txn_id(bot: Bot) -> None:
    for title in ("Jour fixe", "Sprint Review"):
        await bot.say(f"!termin 24.11. 10 Uhr {title}")
    meetings = await bot.meetings()
    due = next_due(meetings[0], after=bot.clock.now())
    assert due is not None
    bot.clock.set(due)
    failing = bot.sender.send

    async def crash(*args: Any, **kwargs: Any) -> str:
        await failing(*args, **kwargs)  # the homeserver got it, then the bot died before marking sent
        raise ConnectionError("connection lost")

    bot.planner.sender = bot.sender  # keep the recorder, only wrap its send
    bot.sender.send = crash  # type: ignore[method-assign]
    await bot.scheduler.run_due()
    bot.sender.send = failing  # type: ignore[method-assign]
    bot.clock.set(due + timedelta(minutes=5))
    await bot.planner.start()  # as after a restart
    [(_, first, txn_first), (_, second, txn_second)] = bot.sender.sent
    assert txn_first == txn_second, "the retry reuses the batch's txn id, so the homeserver drops it"
    assert first["body"].startswith("⏰ 2 Termine") and second["body"].startswith("⏰ 2 Termine")
    # Had the first try not reached the homeserver, the retry 5 minutes later is what people see: it says so.
    assert "(verspätet" not in first["body"] and "verspätet" in second["body"]


async def test_downtime_catch_up_late_within_grace_missed_beyond(bot: Bot) -> None:
    await bot.say("!termin jeden Dienstag 10:00 Jour fixe")
    # The bot was down from Monday 9:00 until Tuesday 9:55: the 1-day reminder (Mon 10:00) is too old,
    # the 15-minute one (Tue 9:45) is within the 2-hour grace and the meeting has not begun.
    bot.clock.set(datetime(2026, 11, 24, 9, 55, tzinfo=BERLIN))
    await bot.planner.start()
    assert bot.sender.bodies == [
        (ROOM, "⏰ Jour fixe beginnt in 15 Minuten: Di., 24.11.2026, 10:00 Uhr\n\n(verspätet – ich war kurz offline)")
    ]
    async with bot.db.transaction() as repos:
        missed = await repos.ledger.get("meeting", 1, datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN), 86400)
    assert missed is not None and missed.status == "missed"
    await bot.planner.start()  # a second restart sends and records nothing new
    assert len(bot.sender.sent) == 1


async def test_no_reminder_for_a_meeting_that_has_begun(bot: Bot) -> None:
    await bot.say("!termin jeden Dienstag 10:00 Jour fixe")
    bot.clock.set(datetime(2026, 11, 24, 10, 50, tzinfo=BERLIN))  # back after the meeting began
    await bot.planner.start()
    assert bot.sender.bodies == [], "'beginnt in 15 Minuten' would be wrong at 10:50"
    async with bot.db.transaction() as repos:
        entry = await repos.ledger.get("meeting", 1, datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN), 900)
    assert entry is not None and entry.status == "missed"


async def test_personal_reminders_use_the_persons_time_zone(bot: Bot) -> None:
    assert "„Mars/Olymp“ kenne ich nicht" in await bot.say("!zeitzone Mars/Olymp")
    assert "Deine Zeitzone: Europe/Lisbon." in await bot.say("!zeitzone europe/lisbon")
    text = await bot.say("!erinnere mich morgen um 9 an die Abgabe")
    assert "So., 22.11.2026, 9:00 Uhr" in text
    async with bot.db.transaction() as repos:
        [reminder] = await repos.reminders.active(due_after=bot.clock.now())
    assert reminder.due == datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Europe/Lisbon"))


async def test_personal_reminder_by_direct_message(bot: Bot) -> None:
    text = await bot.say("!erinnere mich in 2 Stunden an den Bericht")
    assert "am Sa., 21.11.2026, 11:00 Uhr erinnere ich dich per Direktnachricht an: den Bericht" in text
    assert bot.sender.prepared == [ANNA], "the direct chat is opened now, so the reminder is only a send when due"
    bot.clock.advance(timedelta(hours=2))
    await bot.planner.start()
    assert bot.sender.bodies == [(f"!dm-{ANNA}", "⏰ Erinnerung: den Bericht")]
    await bot.planner.start()
    assert len(bot.sender.sent) == 1


async def test_calendar_file_for_outlook_and_thunderbird(bot: Bot) -> None:
    import icalendar

    await bot.say("!termin jeden Dienstag 10:00 Jour fixe")
    await bot.say("!termin aussetzen 1 am 1.12.")
    await bot.say("!termin ort 1 Rathaus Bühl, Raum 2")
    await bot.say("!termin morgen 14 Uhr Abstimmung")
    await bot.say("!termin absagen 2")
    message = IncomingMessage(ROOM, "$ics", ANNA, "!termine ics", bot.clock.now())
    reply = await bot.dispatcher.handle(message)
    assert reply is not None and reply.markdown == (
        "Hier ist der Termin dieses Raums als Kalenderdatei (für Outlook, Thunderbird & Co.)."
    ), "one meeting left: singular"
    [attachment] = reply.attachments
    assert attachment.filename == "termine.ics" and attachment.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(attachment.data)
    event, cancelled = cast(list[Any], calendar.walk("VEVENT"))  # icalendar's property types are a wide union
    # Two changes (skip, place): calendars that imported the first version update it.
    assert event["sequence"] == 2 and "last-modified" in event
    assert str(cancelled["summary"]) == "Abstimmung" and str(cancelled["status"]) == "CANCELLED"
    assert str(event["summary"]) == "Jour fixe"
    assert event["rrule"]["FREQ"] == ["WEEKLY"] and event["rrule"]["BYDAY"] == ["TU"]
    start = event.decoded("dtstart")
    assert (start.hour, start.minute, start.tzinfo.key) == (10, 0, "Europe/Berlin")
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["tzid"] == "Europe/Berlin", "Outlook needs the zone"
    # Yearly rules, not a long RDATE list: that is the form Outlook handles reliably.
    rules = {part.name: cast(Any, part["rrule"]).to_ical().decode() for part in zone.subcomponents}
    assert rules == {"DAYLIGHT": "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "STANDARD": "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"}
    assert "RDATE" not in attachment.data.decode()
    exdates = [d.dt for d in event["exdate"].dts]
    assert exdates == [datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)]
    assert str(event["location"]) == "Rathaus Bühl, Raum 2"
    triggers = sorted(alarm.decoded("trigger") for alarm in event.walk("VALARM"))
    assert triggers == [-timedelta(days=1), -timedelta(minutes=15)]


async def test_list_and_delete_personal_reminders(bot: Bot) -> None:
    assert "keine offenen Erinnerungen" in await bot.say("!erinnerungen")
    await bot.say("!erinnere mich in 2 Stunden an den Bericht")
    await bot.say("!erinnere mich morgen um 9 an die Frist")
    listing = await bot.say("!erinnerungen")
    assert (
        "#1 Sa., 21.11.2026, 11:00 Uhr: den Bericht" in listing and "#2 So., 22.11.2026, 9:00 Uhr: die Frist" in listing
    )
    assert "keine offenen Erinnerungen" in await bot.say("!erinnerungen", sender=BEN), "each sees only their own"
    assert "gibt es nicht" in await bot.say("!erinnerungen löschen 1", sender=BEN)
    assert "Erinnerung #1 gelöscht." in await bot.say("!erinnerungen löschen 1")
    bot.clock.advance(timedelta(hours=3))
    await bot.planner.start()
    assert bot.sender.bodies == [], "a deleted reminder is not sent"


async def test_day_before_reminder_keeps_the_chain_across_the_autumn_change(bot: Bot) -> None:
    # Sunday 25 Oct 2026 is the day clocks go back; the 1-day reminder is due the day before.
    bot.clock.set(datetime(2026, 10, 20, 9, 0, tzinfo=BERLIN))
    await bot.say("!termin 25.10.2026 10 Uhr Herbstrunde")
    [meeting] = await bot.meetings()
    first = next_due(meeting, after=bot.clock.now())
    # "1 Tag vorher" is an exact 24 hours: 11:00 summer time on Saturday for 10:00 winter time on Sunday.
    assert first == datetime(2026, 10, 25, 10, 0, tzinfo=BERLIN).astimezone(UTC) - timedelta(days=1)
    assert first is not None and first.astimezone(BERLIN).hour == 11
    bot.clock.set(first)
    await bot.scheduler.run_due()
    second = next_due(meeting, after=first)
    assert second is not None and second > first, "the next reminder is after the one just sent"
    assert second == datetime(2026, 10, 25, 9, 45, tzinfo=BERLIN)


async def test_parser_errors_quote_user_text_escaped(bot: Bot) -> None:
    await bot.say("!termin jeden Dienstag 10:00 Jour fixe")
    message = IncomingMessage(ROOM, "$x", ANNA, "!termin aussetzen 1 [Hier klicken](https://evil.example)", NOW)
    reply = await bot.dispatcher.handle(message)
    assert reply is not None
    assert "<a " not in message_content(reply)["formatted_body"]


async def test_time_change_does_not_read_the_title_as_time(bot: Bot) -> None:
    await bot.say("!termin morgen 14 Uhr: abends Grillen")
    text = await bot.say("!termin zeit 1 jeden Mittwoch 10 Uhr")
    assert "jeden Mittwoch um 10:00 Uhr" in text and "abends Grillen" in text


@pytest.mark.parametrize(
    ("zone", "daylight", "standard"),
    [
        ("America/New_York", "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"),
        ("Australia/Sydney", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=10", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=4"),
    ],
)
def test_vtimezone_rules_for_other_zones(zone: str, daylight: str, standard: str) -> None:
    from commands.meetings.calendar import rule_based_vtimezone

    component = rule_based_vtimezone(ZoneInfo(zone), 2026)
    assert component is not None
    rules = {part.name: cast(Any, part["rrule"]).to_ical().decode() for part in component.subcomponents}
    assert rules == {"DAYLIGHT": daylight, "STANDARD": standard}
    tokyo = rule_based_vtimezone(ZoneInfo("Asia/Tokyo"), 2026)
    assert tokyo is not None and [p.name for p in tokyo.subcomponents] == ["STANDARD"]


async def test_room_time_zone_is_used_for_new_meetings_and_set_by_moderators_only(bot: Bot) -> None:
    refused = await bot.say("!zeitzone raum America/New_York")
    assert "Das stellen nur die Moderation dieses Raums" in refused
    assert "America/New_York" in await bot.say("!zeitzone raum america/new_york", power=50)
    text = await bot.say("!termin morgen 14 Uhr Call mit Partnerstadt")
    assert "(America/New_York)" in text
    [meeting] = await bot.meetings()
    assert meeting.start == datetime(2026, 11, 22, 14, 0, tzinfo=ZoneInfo("America/New_York"))
    shown = await bot.say("!zeitzone")
    assert "Deine Zeitzone: Europe/Berlin" in shown and "Termine in diesem Raum: America/New_York" in shown
    other = await bot.say("!termin morgen 14 Uhr Jour fixe", room="!andere:example.org")
    assert "(Europe/Berlin)" in other, "another room keeps the configured zone"


async def _said(bot: Bot, body: str) -> tuple[str, str]:
    """The reply as the person gets it: plain body and formatted body."""
    message = IncomingMessage(ROOM, f"$ev{next(_EVENTS)}", ANNA, body, bot.clock.now())
    reply = await bot.dispatcher.handle(message)
    assert reply is not None
    content = message_content(reply)
    return str(content["body"]), str(content["formatted_body"])


async def test_the_confirmation_says_which_reminders_will_really_come(bot: Bot) -> None:
    # Two minutes ahead, reminders 1 day and 15 minutes before: neither can come, and none is planned.
    text, html = await _said(bot, "!termin heute 9:02 Uhr Kurzabstimmung")
    assert text.endswith(
        "Es kommt keine Erinnerung: für 1 Tag und 15 Minuten vorher ist es schon zu spät. "
        "Ändern: !termin erinnern 1 1h, absagen: !termin absagen 1"
    ), text
    assert "<p>Es kommt keine Erinnerung: für 1 Tag und 15 Minuten vorher ist es schon zu spät. Ändern: " in html
    assert "Erinnerung: 1 Tag" not in text
    assert bot.planner.planned_at(1) is None

    text, _ = await _said(bot, "!termin heute 9:30 Uhr Abstimmung")
    assert "Erinnerung: 15 Minuten vorher – für 1 Tag vorher ist es schon zu spät." in text
    assert bot.planner.planned_at(2) == datetime(2026, 11, 21, 9, 15, tzinfo=BERLIN)
    text, _ = await _said(bot, "!termin erinnern 2 1h, 10 min, 1 Tag")
    assert "Erinnerung: 10 Minuten vorher – für 1 Tag und 1 Stunde vorher ist es schon zu spät." in text

    # A series: the next date gets what still fits, the later ones get everything.
    text, _ = await _said(bot, "!termin jeden Samstag 9:10 Uhr Runde")
    assert (
        "Erinnerung: 1 Tag und 15 Minuten vorher – zum nächsten Termin (Sa., 21.11.2026, 9:10 Uhr) keine, dafür "
        "ist es schon zu spät." in text
    )
    assert bot.planner.planned_at(3) == datetime(2026, 11, 27, 9, 10, tzinfo=BERLIN)
    text, _ = await _said(bot, "!termin erinnern 3 5 min, 30 min")
    assert "Erinnerung: 30 Minuten und 5 Minuten vorher – zum nächsten Termin (Sa., 21.11.2026, 9:10 Uhr) nur " in (
        text
    )

    # Reminders in time read as before; the past gets no reminder line at all.
    text, _ = await _said(bot, "!termin morgen 14 Uhr Jour fixe")
    assert "Nächster Termin: So., 22.11.2026, 14:00 Uhr" in text, "one date: singular"
    assert "Erinnerung: 1 Tag und 15 Minuten vorher. Ändern: !termin erinnern 4 1h" in text
    bot.clock.set(datetime(2026, 11, 22, 15, 0, tzinfo=BERLIN))
    text, _ = await _said(bot, "!termin 4")
    assert "Der Termin liegt in der Vergangenheit." in text and "Erinnerung" not in text

    await bot.say("!sprache en")
    text, _ = await _said(bot, "!meeting today 3:02pm quick sync")
    assert "No reminder will come: it is too late for 1 day and 15 minutes before." in text
    text, _ = await _said(bot, "!meeting remind 5 1h, 1 min, 1 day")
    assert "Reminder: 1 minute before – it is too late for 1 day and 1 hour before." in text
