"""When a meeting or reminder is: German and English phrases, refusals instead of guesses, DST-safe series."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import BadArgument, render
from bot.i18n import Catalog
from bot.schedule_parsing import (
    ScheduleError,
    describe_schedule,
    format_when,
    occurrences,
    parse_date,
    parse_duration,
    parse_reminder,
    parse_schedule,
)
from bot.schedule_texts import MESSAGES

BERLIN = ZoneInfo("Europe/Berlin")
CATALOG = Catalog(MESSAGES)


def said(error: ScheduleError, language: str, prefix: str = "!") -> str:
    """The refusal as plain text (the person's words unescaped, examples between backticks)."""
    return render(error, CATALOG, language, prefix, plain=True)


def german(call: Callable[[], object]) -> str:
    """What `call` says in German when it refuses."""
    with pytest.raises(ScheduleError) as caught:
        call()
    return said(caught.value, "de")


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


SATURDAY = berlin(2026, 11, 21, 9, 0)
LATE_SATURDAY = berlin(2026, 11, 21, 23, 30)
MONDAY = berlin(2026, 11, 23, 9, 0)
TUESDAY_MORNING = berlin(2026, 11, 24, 9, 0)
TUESDAY_NOON = berlin(2026, 11, 24, 12, 0)

WORKDAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
TUESDAYS = "FREQ=WEEKLY;BYDAY=TU"
H = timedelta(hours=1)

# (now, phrase, expected local start, rrule, title, duration)
PHRASES = [
    # German, one-off
    (SATURDAY, "morgen 14 Uhr Abstimmung eAkte", (2026, 11, 22, 14, 0), None, "Abstimmung eAkte", None),
    (SATURDAY, "3.12. 9:30 Fachgruppe", (2026, 12, 3, 9, 30), None, "Fachgruppe", None),
    (SATURDAY, "am 12.12.2026 um 14:30 Digitaltag", (2026, 12, 12, 14, 30), None, "Digitaltag", None),
    (SATURDAY, "übermorgen 10:00 Workshop Datenschutz", (2026, 11, 23, 10, 0), None, "Workshop Datenschutz", None),
    (SATURDAY, "uebermorgen 10 Uhr Workshop", (2026, 11, 23, 10, 0), None, "Workshop", None),
    (SATURDAY, "nächsten Dienstag 10 Uhr Lenkungskreis", (2026, 11, 24, 10, 0), None, "Lenkungskreis", None),
    (SATURDAY, "Dienstag 10 Uhr Lenkungskreis", (2026, 11, 24, 10, 0), None, "Lenkungskreis", None),
    (SATURDAY, "am Dienstag, den 24.11. um 10 Uhr Lenkungskreis", (2026, 11, 24, 10, 0), None, "Lenkungskreis", None),
    (SATURDAY, "Di. 10 Uhr Lenkungskreis", (2026, 11, 24, 10, 0), None, "Lenkungskreis", None),
    (MONDAY, "kommenden Dienstag 10 Uhr Lenkungskreis", (2026, 11, 24, 10, 0), None, "Lenkungskreis", None),
    (SATURDAY, "heute 16 Uhr Kaffee", (2026, 11, 21, 16, 0), None, "Kaffee", None),
    (SATURDAY, "in 2 Stunden Telefonkonferenz", (2026, 11, 21, 11, 0), None, "Telefonkonferenz", None),
    (SATURDAY, "in 30 Minuten Kurzabstimmung", (2026, 11, 21, 9, 30), None, "Kurzabstimmung", None),
    (LATE_SATURDAY, "in einer Stunde Nachtschicht", (2026, 11, 22, 0, 30), None, "Nachtschicht", None),
    (SATURDAY, "14 Uhr Mittagsrunde", (2026, 11, 21, 14, 0), None, "Mittagsrunde", None),
    (SATURDAY, "12.12. 14-16 Uhr Klausur", (2026, 12, 12, 14, 0), None, "Klausur", 2 * H),
    (SATURDAY, "3.12.2026 von 9 bis 12:30 Uhr Schulung", (2026, 12, 3, 9, 0), None, "Schulung", 3.5 * H),
    (SATURDAY, "morgen 14.30 Uhr Rückblick", (2026, 11, 22, 14, 30), None, "Rückblick", None),
    (SATURDAY, "5.1. 10 Uhr Neujahrsempfang", (2027, 1, 5, 10, 0), None, "Neujahrsempfang", None),
    (SATURDAY, "3. Dezember 9:30 Fachgruppe", (2026, 12, 3, 9, 30), None, "Fachgruppe", None),
    (SATURDAY, "2026-12-03 09:30 Fachgruppe", (2026, 12, 3, 9, 30), None, "Fachgruppe", None),
    (SATURDAY, "heute Abend um 7 Stammtisch", (2026, 11, 21, 19, 0), None, "Stammtisch", None),
    (SATURDAY, "morgen früh um 8 Lauftreff", (2026, 11, 22, 8, 0), None, "Lauftreff", None),
    (SATURDAY, "Montag morgen 10 Uhr Wochenstart", (2026, 11, 23, 10, 0), None, "Wochenstart", None),
    (SATURDAY, "morgen 19 Uhr: Montag-Runde planen", (2026, 11, 22, 19, 0), None, "Montag-Runde planen", None),
    (SATURDAY, "morgen 14 Uhr Dienstag-Runde", (2026, 11, 22, 14, 0), None, "Dienstag-Runde", None),
    (SATURDAY, "morgen 14 Uhr für 90 Minuten Workshop", (2026, 11, 22, 14, 0), None, "Workshop", 1.5 * H),
    (SATURDAY, "18 Uhr Abend der Begegnung", (2026, 11, 21, 18, 0), None, "Abend der Begegnung", None),
    (LATE_SATURDAY, "morgen 14 Uhr Abstimmung eAkte", (2026, 11, 22, 14, 0), None, "Abstimmung eAkte", None),
    # English, one-off
    (SATURDAY, "tomorrow 3pm Sync", (2026, 11, 22, 15, 0), None, "Sync", None),
    (SATURDAY, "next tuesday 10am review", (2026, 11, 24, 10, 0), None, "review", None),
    (SATURDAY, "today at 4:30 pm coffee", (2026, 11, 21, 16, 30), None, "coffee", None),
    (SATURDAY, "on 25/12 at 10am Christmas call", (2026, 12, 25, 10, 0), None, "Christmas call", None),
    (SATURDAY, "December 3rd at 9:30 planning", (2026, 12, 3, 9, 30), None, "planning", None),
    (SATURDAY, "in an hour stand-up", (2026, 11, 21, 10, 0), None, "stand-up", None),
    (SATURDAY, "2-4pm workshop", (2026, 11, 21, 14, 0), None, "workshop", 2 * H),
    (SATURDAY, "11-1pm lunch talk", (2026, 11, 21, 11, 0), None, "lunch talk", 2 * H),
    (SATURDAY, "tonight at 8 dinner", (2026, 11, 21, 20, 0), None, "dinner", None),
    (SATURDAY, "10 Uhr Morning Briefing", (2026, 11, 21, 10, 0), None, "Morning Briefing", None),
    # German, recurring
    (SATURDAY, "jeden Dienstag 10:00 Jour fixe", (2026, 11, 24, 10, 0), TUESDAYS, "Jour fixe", None),
    (TUESDAY_MORNING, "jeden Dienstag 10:00 Jour fixe", (2026, 11, 24, 10, 0), TUESDAYS, "Jour fixe", None),
    (TUESDAY_NOON, "jeden Dienstag 10:00 Jour fixe", (2026, 12, 1, 10, 0), TUESDAYS, "Jour fixe", None),
    (SATURDAY, "jeden 2. Dienstag im Monat 14 Uhr Sensorik", (2026, 12, 8, 14, 0), "FREQ=MONTHLY;BYDAY=+2TU",
     "Sensorik", None),
    (SATURDAY, "jeden zweiten Dienstag im Monat 14 Uhr Sensorik", (2026, 12, 8, 14, 0), "FREQ=MONTHLY;BYDAY=+2TU",
     "Sensorik", None),
    (SATURDAY, "jeden letzten Freitag im Monat 9 Uhr Review", (2026, 11, 27, 9, 0), "FREQ=MONTHLY;BYDAY=-1FR",
     "Review", None),
    (SATURDAY, "alle 2 Wochen montags 9 Uhr Planung", (2026, 11, 23, 9, 0), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
     "Planung", None),
    (SATURDAY, "14-tägig freitags 13 Uhr Bürgerdialog", (2026, 11, 27, 13, 0), "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
     "Bürgerdialog", None),
    (SATURDAY, "werktags 8:30 Daily", (2026, 11, 23, 8, 30), WORKDAYS, "Daily", None),
    (SATURDAY, "morgen 9 Uhr Weekly", (2026, 11, 22, 9, 0), None, "Weekly", None),
    (SATURDAY, "Mo-Fr 8:30 Frühbesprechung", (2026, 11, 23, 8, 30), WORKDAYS, "Frühbesprechung", None),
    (SATURDAY, "täglich 12 Uhr Mittagspause", (2026, 11, 21, 12, 0), "FREQ=DAILY", "Mittagspause", None),
    (LATE_SATURDAY, "täglich 12 Uhr Mittagspause", (2026, 11, 22, 12, 0), "FREQ=DAILY", "Mittagspause", None),
    (SATURDAY, "monatlich am 15. um 10 Uhr Monatsbericht", (2026, 12, 15, 10, 0), "FREQ=MONTHLY;BYMONTHDAY=15",
     "Monatsbericht", None),
    (SATURDAY, "monatlich am letzten Tag 10 Uhr Abrechnung", (2026, 11, 30, 10, 0), "FREQ=MONTHLY;BYMONTHDAY=-1",
     "Abrechnung", None),
    (SATURDAY, "jeden Montag und Donnerstag 9 Uhr Sport", (2026, 11, 23, 9, 0), "FREQ=WEEKLY;BYDAY=MO,TH", "Sport",
     None),
    (SATURDAY, "dienstags und donnerstags 16 Uhr Sprechstunde", (2026, 11, 24, 16, 0), "FREQ=WEEKLY;BYDAY=TU,TH",
     "Sprechstunde", None),
    (SATURDAY, "jährlich am 1.3. 10 Uhr Plenum", (2027, 3, 1, 10, 0), "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1", "Plenum",
     None),
    (SATURDAY, "jeden Dienstag 10 Uhr bis 31.3.2027 Jour fixe", (2026, 11, 24, 10, 0),
     "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270331T215959Z", "Jour fixe", None),
    (SATURDAY, "ab 1.12. jeden Donnerstag 9 Uhr Fachgruppe", (2026, 12, 3, 9, 0), "FREQ=WEEKLY;BYDAY=TH",
     "Fachgruppe", None),
    (SATURDAY, "wöchentlich ab 1.12. 10 Uhr Austausch", (2026, 12, 1, 10, 0), "FREQ=WEEKLY;BYDAY=TU", "Austausch",
     None),
    (SATURDAY, "jeden Montag morgen um 7 Frühsport", (2026, 11, 23, 7, 0), "FREQ=WEEKLY;BYDAY=MO", "Frühsport", None),
    (SATURDAY, "jeden Dienstag 10-11:30 Uhr Jour fixe", (2026, 11, 24, 10, 0), TUESDAYS, "Jour fixe",
     1.5 * H),
    # English, recurring
    (SATURDAY, "every friday 3pm retro", (2026, 11, 27, 15, 0), "FREQ=WEEKLY;BYDAY=FR", "retro", None),
    (SATURDAY, "every 2 weeks on monday 9am planning", (2026, 11, 23, 9, 0), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
     "planning", None),
    (SATURDAY, "every other week on monday at 9 planning", (2026, 11, 23, 9, 0), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
     "planning", None),
    # "every other Monday" can only mean every two weeks ("every second Monday" stays a question, as in German).
    (SATURDAY, "every other monday at 9am planning", (2026, 11, 23, 9, 0), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
     "planning", None),
    (SATURDAY, "Every Other Friday 3pm retro", (2026, 11, 27, 15, 0), "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "retro",
     None),
    (SATURDAY, "weekdays 8:30 standup", (2026, 11, 23, 8, 30), WORKDAYS, "standup", None),
    (SATURDAY, "the 2nd tuesday of every month at 2pm sensors", (2026, 12, 8, 14, 0), "FREQ=MONTHLY;BYDAY=+2TU",
     "sensors", None),
    (SATURDAY, "every last friday of the month at 9am review", (2026, 11, 27, 9, 0), "FREQ=MONTHLY;BYDAY=-1FR",
     "review", None),
    (SATURDAY, "every month on the 15th at 10:00 report", (2026, 12, 15, 10, 0), "FREQ=MONTHLY;BYMONTHDAY=15",
     "report", None),
    (SATURDAY, "every year on 1 March at 10am plenary", (2027, 3, 1, 10, 0), "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1",
     "plenary", None),
    (SATURDAY, "mondays and thursdays 9am sport", (2026, 11, 23, 9, 0), "FREQ=WEEKLY;BYDAY=MO,TH", "sport", None),
    (SATURDAY, "daily at 12:00 lunch", (2026, 11, 21, 12, 0), "FREQ=DAILY", "lunch", None),
]  # fmt: skip


@pytest.mark.parametrize(("now", "text", "start", "rrule", "title", "duration"), PHRASES, ids=[p[1] for p in PHRASES])
def test_phrases(
    now: datetime,
    text: str,
    start: tuple[int, int, int, int, int],
    rrule: str | None,
    title: str,
    duration: timedelta | None,
) -> None:
    schedule = parse_schedule(text, now=now, tz=BERLIN)
    assert schedule.start == berlin(*start)
    assert schedule.start.tzinfo is BERLIN
    assert (schedule.rrule, schedule.title, schedule.duration) == (rrule, title, duration)


def test_now_in_another_zone_means_the_same_moment() -> None:
    schedule = parse_schedule("morgen 14 Uhr Abstimmung", now=SATURDAY.astimezone(UTC), tz=BERLIN)
    assert schedule.start == berlin(2026, 11, 22, 14, 0)


def test_offsets_are_elapsed_time_across_the_dst_change() -> None:
    # 01:30 CET + 1 hour is 03:30 CEST on the spring-forward night, not the non-existent 02:30.
    schedule = parse_schedule("in 1 Stunde Wartung", now=berlin(2027, 3, 28, 1, 30), tz=BERLIN)
    assert schedule.start.isoformat() == "2027-03-28T03:30:00+02:00"


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_schedule("morgen 14 Uhr X", now=datetime(2026, 11, 21, 9, 0), tz=BERLIN)


# (now, phrase, words of the German message, words of the English message)
REFUSED = [
    (SATURDAY, "1.11.2026 10 Uhr Rückblick", ["1.11.2026", "Vergangenheit", "`morgen 10 Uhr …`"], ["in the past"]),
    (SATURDAY, "1.11. 10 Uhr Rückblick", ["war dieses Jahr schon", "`1.11.2027 …`"], ["`1.11.2027 …`"]),
    (SATURDAY, "morgen Teamrunde", ["Um wie viel Uhr?", "`morgen 14 Uhr Teamrunde`"], ["At what time?"]),
    (SATURDAY, "31.2. 10 Uhr Planung", ["Den 31.2. gibt es nicht", "`3.12. 9:30 Fachgruppe`"], ["There is no 31.2."]),
    (SATURDAY, "29.2. 10 Uhr Planung", ["nur in Schaltjahren"], ["only in leap years"]),
    (SATURDAY, "blabla", ["keinen Zeitpunkt erkannt", "`morgen 14 Uhr Abstimmung eAkte`"], ["did not find"]),
    (SATURDAY, "Dienstag 3.12. 10 Uhr Fachgruppe", ["3.12.2026 ist ein Donnerstag, kein Dienstag"],
     ["is a Thursday, not a Tuesday"]),
    (SATURDAY, "morgen 14 Uhr", ["Wie soll der Termin heißen?", "`morgen 14 Uhr Teamrunde`"], ["title"]),
    (SATURDAY, "25 Uhr Abendrunde", ["„25 Uhr“ ist keine gültige Uhrzeit", "`14 Uhr`"], ["not a valid time"]),
    (SATURDAY, "morgen 14:75 Runde", ["„14:75“ ist keine gültige Uhrzeit"], ["not a valid time"]),
    (SATURDAY, "morgen 13pm Runde", ["„13pm“ ist keine gültige Uhrzeit"], ["1 to 12 with am/pm"]),
    (SATURDAY, "on 12/3 10am review", ["„12/3“ ist mehrdeutig", "`12.3.`", "`3.12.`"], ["ambiguous"]),
    (LATE_SATURDAY, "14 Uhr Mittagsrunde", ["14:00 Uhr ist heute schon vorbei", "`morgen 14 Uhr Mittagsrunde`"],
     ["`tomorrow 14 Uhr Mittagsrunde`"]),
    (LATE_SATURDAY, "heute 16 Uhr Kaffee", ["Sa., 21.11.2026, 16:00 Uhr liegt in der Vergangenheit"],
     ["Sat 21 Nov 2026, 16:00 is in the past"]),
    (MONDAY, "nächsten Dienstag 10 Uhr Lenkungskreis", ["Dienstag, 24. November 2026", "Dienstag, 1. Dezember 2026",
     "`24.11.`", "`1.12.`", "`kommenden Dienstag`"], ["“next Tuesday” could be"]),
    (TUESDAY_MORNING, "Dienstag 16 Uhr Lenkungskreis", ["Heute ist Dienstag", "`heute …`", "`1.12. …`"],
     ["Today is Tuesday"]),
    (SATURDAY, "um 3 Kaffee", ["„um 3“: 3 Uhr morgens oder 15 Uhr?", "`15 Uhr`"], ["3am or 3pm?"]),
    (SATURDAY, "jeden zweiten Dienstag 10 Uhr Runde", ["„jeden zweiten Dienstag“",
     "`jeden 2. Dienstag im Monat 14 Uhr …`", "`alle 2 Wochen dienstags 14 Uhr …`"], ["every 2 weeks"]),
    (SATURDAY, "every second tuesday 10am sync", ["„every second tuesday“"], ["the 2nd Tuesday of the month"]),
    (SATURDAY, "monatlich am 31. 10 Uhr Abschluss", ["nicht in jedem Monat", "`monatlich am letzten Tag 10 Uhr …`"],
     ["the last day"]),
    (SATURDAY, "wöchentlich 10 Uhr Austausch", ["An welchem Tag?", "`wöchentlich ab 1.12. 10 Uhr …`"],
     ["on which day?"]),
    (SATURDAY, "Teamrunde morgen 14 Uhr", ["zuerst den Zeitpunkt", "`morgen 14 Uhr Teamrunde`"], ["time first"]),
    (SATURDAY, "jeden Dienstag Jour fixe 10 Uhr", ["vor dem Titel", "`jeden Dienstag 10 Uhr Jour fixe`"],
     ["before the title"]),
    (SATURDAY, "morgen 16-14 Uhr Klausur", ["Das Ende liegt vor dem Beginn", "`14-16 Uhr`"], ["end is before"]),
    (SATURDAY, "jeden Dienstag ab 8.12. bis 1.12. 10 Uhr Runde", ["endet, bevor sie beginnt"], ["ends before"]),
    (SATURDAY, "bis 31.3. morgen 10 Uhr Runde", ["nur zu einem wiederkehrenden Termin"], ["repeating meeting"]),
    (SATURDAY, "jeden Dienstag am 3.12. 10 Uhr Runde", ["Soll die Serie dann beginnen?", "ab 1.12."],
     ["Should the series start then?"]),
    (SATURDAY, "morgen in 2 Stunden Runde", ["widersprechen sich"], ["contradict"]),
    (SATURDAY, "morgen 14 Uhr 16 Uhr Runde", ["zweimal die Uhrzeit", "„14 Uhr“ und „16 Uhr“", "Doppelpunkt"],
     ["the time twice"]),
    (SATURDAY, "morgen Dienstag 14 Uhr Runde", ["zweimal den Tag"], ["the day twice"]),
    (SATURDAY, "morgen 14 Uhr am 3.12. Runde", ["zweimal den Tag", "„morgen“ und „am 3.12.“"], ["the day twice"]),
    (SATURDAY, "jeden Dienstag 10 Uhr 3.12. Runde", ["„3.12.“ passt nicht zu „jeden Dienstag“"], ["does not fit"]),
    (SATURDAY, "morgen 9 Uhr jeden Dienstag Jour fixe", ["„morgen“ passt nicht zu „jeden Dienstag“",
     "`jeden Dienstag ab 1.12. 10 Uhr …`"], ["does not fit"]),
    (SATURDAY, "Dienstag 10 Uhr heute Runde", ["zweimal den Tag"], ["the day twice"]),
    (SATURDAY, "ab 1.11.2026 jeden Dienstag 10 Uhr Runde",
     ["liegt in der Vergangenheit", "`jeden Dienstag 10 Uhr Runde`"], ["is in the past"]),
    (SATURDAY, "ab 1.11. jeden Dienstag 10 Uhr Runde", ["war dieses Jahr schon"], ["already passed"]),
    (SATURDAY, "14 Uhr morgens Runde", ["passt nicht zu"], ["does not fit"]),
    (SATURDAY, "morgen 14-16 Uhr für 1 Stunde Runde", ["nur eine Dauer"], ["length only once"]),
]  # fmt: skip


@pytest.mark.parametrize(("now", "text", "german", "english"), REFUSED, ids=[case[1] for case in REFUSED])
def test_refused_with_a_precise_message(now: datetime, text: str, german: list[str], english: list[str]) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text, now=now, tz=BERLIN)
    for words in german:
        assert words in said(caught.value, "de")
    for words in english:
        assert words in said(caught.value, "en")
    # Every refusal shows a form that works, in both languages.
    assert "`" in said(caught.value, "de")
    assert "`" in said(caught.value, "en")


def test_schedule_error_is_a_keyed_bad_argument_and_a_value_error() -> None:
    error = ScheduleError("schedule.not_a_date", text="bald")
    assert isinstance(error, BadArgument) and isinstance(error, ValueError)
    assert (
        said(error, "de") == "„bald“ verstehe ich nicht als Datum. Schreib z. B. `10.12.`, `10.12.2026` oder `morgen`."
    )
    assert said(error, "en") == "I do not understand “bald” as a date. Write e.g. `10.12.`, `10.12.2026` or `tomorrow`."


def test_this_weekday_is_the_one_of_the_current_week() -> None:
    assert parse_schedule("diesen Mittwoch 10 Uhr X", now=MONDAY, tz=BERLIN).start == berlin(2026, 11, 25, 10)
    assert "dieser Woche ist schon vorbei" in german(
        lambda: parse_schedule("diesen Montag 10 Uhr X", now=TUESDAY_MORNING, tz=BERLIN)
    )


def test_next_weekday_said_on_sunday_is_unambiguous() -> None:
    sunday = berlin(2026, 11, 22, 12)
    assert parse_schedule("nächsten Montag 10 Uhr X", now=sunday, tz=BERLIN).start == berlin(2026, 11, 23, 10)
    assert parse_schedule("nächsten Sonntag 10 Uhr X", now=sunday, tz=BERLIN).start == berlin(2026, 11, 29, 10)


def test_two_letter_weekdays_only_where_a_weekday_is_expected() -> None:
    # "So" is also a word: without a dot or a date after it, it starts the title, and the time is missing.
    assert "keinen Zeitpunkt" in german(lambda: parse_schedule("So geht es weiter", now=SATURDAY, tz=BERLIN))
    assert parse_schedule("jeden Mo und Do 9 Uhr Sport", now=SATURDAY, tz=BERLIN).rrule == "FREQ=WEEKLY;BYDAY=MO,TH"


# --- occurrences -----------------------------------------------------------------------------------------


def test_weekly_meeting_stays_at_14_across_spring_forward() -> None:
    start = berlin(2027, 3, 16, 14)
    found = occurrences(start, "FREQ=WEEKLY;BYDAY=TU", tz=BERLIN, after=start)
    assert [moment.isoformat() for moment in found] == [
        "2027-03-23T14:00:00+01:00",
        "2027-03-30T14:00:00+02:00",
        "2027-04-06T14:00:00+02:00",
    ]


def test_weekly_meeting_stays_at_14_across_fall_back() -> None:
    start = berlin(2027, 10, 19, 14)
    found = occurrences(start, "FREQ=WEEKLY;BYDAY=TU", tz=BERLIN, after=start, count=2)
    assert [moment.isoformat() for moment in found] == ["2027-10-26T14:00:00+02:00", "2027-11-02T14:00:00+01:00"]


@pytest.mark.parametrize(
    ("first", "transition"),
    [(berlin(2027, 3, 21, 14), "2027-03-28T14:00:00+02:00"), (berlin(2027, 10, 24, 14), "2027-10-31T14:00:00+01:00")],
)
def test_sunday_meeting_on_the_day_of_the_change(first: datetime, transition: str) -> None:
    found = occurrences(first, "FREQ=WEEKLY;BYDAY=SU", tz=BERLIN, after=first, count=1)
    assert [moment.isoformat() for moment in found] == [transition]


def test_non_existent_time_moves_on_by_the_gap() -> None:
    start = berlin(2027, 3, 27, 2, 30)
    found = occurrences(start, "FREQ=DAILY", tz=BERLIN, after=start - timedelta(minutes=1))
    assert [moment.isoformat() for moment in found] == [
        "2027-03-27T02:30:00+01:00",
        "2027-03-28T03:30:00+02:00",  # 02:30 does not exist that night
        "2027-03-29T02:30:00+02:00",
    ]


def test_repeated_time_takes_its_first_instance() -> None:
    start = berlin(2027, 10, 30, 2, 30)
    found = occurrences(start, "FREQ=DAILY", tz=BERLIN, after=start, count=2)
    assert [moment.isoformat() for moment in found] == ["2027-10-31T02:30:00+02:00", "2027-11-01T02:30:00+01:00"]
    assert found[0].astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_exdates_are_compared_as_instants() -> None:
    start = berlin(2026, 11, 24, 10)
    skipped = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    found = occurrences(start, "FREQ=WEEKLY;BYDAY=TU", tz=BERLIN, after=SATURDAY, exdates=[skipped])
    assert found == [berlin(2026, 11, 24, 10), berlin(2026, 12, 8, 10), berlin(2026, 12, 15, 10)]


def test_occurrences_are_strictly_after() -> None:
    start = berlin(2026, 11, 24, 10)
    assert occurrences(start, "FREQ=WEEKLY;BYDAY=TU", tz=BERLIN, after=start, count=1) == [berlin(2026, 12, 1, 10)]
    assert occurrences(start, "FREQ=WEEKLY;BYDAY=TU", tz=BERLIN, after=start.astimezone(UTC), count=1) == [
        berlin(2026, 12, 1, 10)
    ]


def test_until_ends_the_series_inclusively() -> None:
    schedule = parse_schedule("jeden Dienstag 10 Uhr bis 15.12. Jour fixe", now=SATURDAY, tz=BERLIN)
    assert schedule.rrule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215T225959Z"
    found = occurrences(schedule.start, schedule.rrule, tz=BERLIN, after=SATURDAY, count=10)
    assert [moment.date() for moment in found] == [date(2026, 11, 24), date(2026, 12, 1), date(2026, 12, 8),
                                                   date(2026, 12, 15)]  # fmt: skip


def test_one_off_has_one_occurrence() -> None:
    start = berlin(2026, 12, 3, 9, 30)
    assert occurrences(start, None, tz=BERLIN, after=SATURDAY) == [start]
    assert occurrences(start, None, tz=BERLIN, after=start) == []
    assert occurrences(start, None, tz=BERLIN, after=SATURDAY, exdates=[start.astimezone(UTC)]) == []


def test_occurrences_of_a_parsed_series_follow_the_rule() -> None:
    schedule = parse_schedule("alle 2 Wochen montags 9 Uhr Planung", now=SATURDAY, tz=BERLIN)
    found = occurrences(schedule.start, schedule.rrule, tz=BERLIN, after=SATURDAY)
    assert found == [berlin(2026, 11, 23, 9), berlin(2026, 12, 7, 9), berlin(2026, 12, 21, 9)]
    monthly = parse_schedule("jeden 2. Dienstag im Monat 14 Uhr Sensorik", now=SATURDAY, tz=BERLIN)
    found = occurrences(monthly.start.astimezone(UTC), monthly.rrule, tz=BERLIN, after=SATURDAY)
    assert found == [berlin(2026, 12, 8, 14), berlin(2027, 1, 12, 14), berlin(2027, 2, 9, 14)]


def test_occurrences_need_aware_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        occurrences(datetime(2026, 12, 1, 10), "FREQ=DAILY", tz=BERLIN, after=SATURDAY)


# --- saying it back --------------------------------------------------------------------------------------

# (phrase, German, English): every kind of repetition this module writes
DESCRIPTIONS = [
    ("jeden Dienstag 10 Uhr", "jeden Dienstag um 10:00 Uhr", "every Tuesday at 10:00"),
    ("jeden Montag und Donnerstag 9 Uhr", "jeden Montag und Donnerstag um 9:00 Uhr",
     "every Monday and Thursday at 9:00"),
    ("jeden 2. Dienstag im Monat 14 Uhr", "jeden 2. Dienstag im Monat um 14:00 Uhr",
     "every 2nd Tuesday of the month at 14:00"),
    ("jeden letzten Freitag im Monat 9 Uhr", "jeden letzten Freitag im Monat um 9:00 Uhr",
     "every last Friday of the month at 9:00"),
    ("jeden vorletzten Freitag im Monat 9 Uhr", "jeden vorletzten Freitag im Monat um 9:00 Uhr",
     "every second-to-last Friday of the month at 9:00"),
    ("alle 2 Wochen montags 9 Uhr", "alle 2 Wochen montags um 9:00 Uhr", "every 2 weeks on Monday at 9:00"),
    ("werktags 8:30", "werktags um 8:30 Uhr", "every weekday at 8:30"),
    ("alle 2 Wochen werktags 8:30", "alle 2 Wochen werktags um 8:30 Uhr", "every 2 weeks on weekdays at 8:30"),
    ("täglich 12 Uhr", "täglich um 12:00 Uhr", "daily at 12:00"),
    ("alle 3 Tage 7:15", "alle 3 Tage um 7:15 Uhr", "every 3 days at 7:15"),
    ("monatlich am 15. 10 Uhr", "monatlich am 15. um 10:00 Uhr", "monthly on the 15th at 10:00"),
    ("monatlich am letzten Tag 16 Uhr", "monatlich am letzten Tag um 16:00 Uhr", "monthly on the last day at 16:00"),
    ("alle 2 Monate am 1. Montag 9 Uhr", "alle 2 Monate am 1. Montag um 9:00 Uhr",
     "every 2 months on the 1st Monday at 9:00"),
    ("jährlich am 1.3. 10 Uhr", "jährlich am 1. März um 10:00 Uhr", "every year on 1 March at 10:00"),
    ("jeden Dienstag 10 Uhr bis 31.3.2027", "jeden Dienstag um 10:00 Uhr, bis 31.3.2027",
     "every Tuesday at 10:00, until 31 March 2027"),
    ("3.12. 9:30", "einmalig am Donnerstag, 3. Dezember 2026 um 9:30 Uhr", "once on Thursday, 3 December 2026 at 9:30"),
]  # fmt: skip


@pytest.mark.parametrize(("phrase", "german", "english"), DESCRIPTIONS, ids=[d[0] for d in DESCRIPTIONS])
def test_describe_round_trip(phrase: str, german: str, english: str) -> None:
    schedule = parse_schedule(f"{phrase} Runde", now=SATURDAY, tz=BERLIN)
    assert describe_schedule(schedule.start, schedule.rrule, language="de") == german
    assert describe_schedule(schedule.start, schedule.rrule, language="en") == english
    # What the bot says back, it also understands.
    for text in (german, english):
        again = parse_schedule(f"{text} Runde", now=SATURDAY, tz=BERLIN)
        assert (again.start, again.rrule) == (schedule.start, schedule.rrule)


def test_describe_uses_the_wall_time_of_the_given_zone() -> None:
    start = berlin(2027, 3, 30, 14).astimezone(UTC)
    assert describe_schedule(start.astimezone(BERLIN), "FREQ=WEEKLY;BYDAY=TU", language="de") == (
        "jeden Dienstag um 14:00 Uhr"
    )


def test_describe_unknown_rule_shows_it() -> None:
    text = describe_schedule(berlin(2026, 12, 1, 10), "FREQ=HOURLY;INTERVAL=2", language="en")
    assert text == "repeating by the rule FREQ=HOURLY;INTERVAL=2, first on Tuesday, 1 December 2026 at 10:00"


@pytest.mark.parametrize(("language", "expected"), [("de", "Do., 3.12.2026, 9:30 Uhr"), ("en", "Thu 3 Dec 2026, 9:30")])
def test_format_when(language: str, expected: str) -> None:
    assert format_when(berlin(2026, 12, 3, 9, 30), language=language) == expected


def test_unknown_language_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="language"):
        format_when(SATURDAY, language="fr")
    with pytest.raises(ValueError, match="language"):
        describe_schedule(SATURDAY, None, language="fr")


# --- durations, reminders, single dates ------------------------------------------------------------------

DURATIONS = [
    ("1h", timedelta(hours=1)),
    ("15 min", timedelta(minutes=15)),
    ("15m", timedelta(minutes=15)),
    ("15min", timedelta(minutes=15)),
    ("10 Min.", timedelta(minutes=10)),
    ("30 Minuten", timedelta(minutes=30)),
    ("1 Stunde", timedelta(hours=1)),
    ("eine Stunde", timedelta(hours=1)),
    ("2 Std.", timedelta(hours=2)),
    ("an hour", timedelta(hours=1)),
    ("2 hours", timedelta(hours=2)),
    ("eine halbe Stunde", timedelta(minutes=30)),
    ("1,5 Stunden", timedelta(minutes=90)),
    ("1h 30min", timedelta(minutes=90)),
    ("1 Stunde und 30 Minuten", timedelta(minutes=90)),
    ("1 Tag", timedelta(days=1)),
    ("2 Tage", timedelta(days=2)),
    ("1d", timedelta(days=1)),
    ("1 Woche", timedelta(weeks=1)),
    ("2 weeks", timedelta(weeks=2)),
    ("60 Tage", timedelta(days=60)),
]


@pytest.mark.parametrize(("text", "expected"), DURATIONS, ids=[d[0] for d in DURATIONS])
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "german"),
    [
        ("0 min", "größer als 0"),
        ("61 Tage", "höchstens 60 Tage"),
        ("9 Wochen", "höchstens 60 Tage"),
        ("", "verstehe ich nicht als Dauer"),
        ("90", "verstehe ich nicht als Dauer"),
        ("bald", "verstehe ich nicht als Dauer"),
        ("-5 min", "verstehe ich nicht als Dauer"),
        ("15 Monate", "verstehe ich nicht als Dauer"),
    ],
)
def test_parse_duration_refuses(text: str, german: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_duration(text)
    assert german in said(caught.value, "de")
    assert "`1 Woche`" in said(caught.value, "de") or "`15 min`" in said(caught.value, "de")
    assert "`" in said(caught.value, "en")


REMINDERS = [
    ("mich in 2 Stunden an den Bericht", (2026, 11, 21, 11, 0), "den Bericht"),
    ("in 2 Stunden an den Bericht", (2026, 11, 21, 11, 0), "den Bericht"),
    ("mich morgen um 9 an XRechnung-Frist", (2026, 11, 22, 9, 0), "XRechnung-Frist"),
    ("mich am 3.12. 8 Uhr an die Haushaltsplanung", (2026, 12, 3, 8, 0), "die Haushaltsplanung"),
    ("mich um 16 Uhr an den Rückruf", (2026, 11, 21, 16, 0), "den Rückruf"),
    ("mich in 2 Tagen an die Abgabe", (2026, 11, 23, 9, 0), "die Abgabe"),
    ("mich in einer halben Stunde an den Tee", (2026, 11, 21, 9, 30), "den Tee"),
    ("mich in 15 min daran, dass Anna Geburtstag hat", (2026, 11, 21, 9, 15), "Anna Geburtstag hat"),
    ("mich morgen früh um 8: Laptop mitnehmen", (2026, 11, 22, 8, 0), "Laptop mitnehmen"),
    ("me in 10 minutes to call Anna", (2026, 11, 21, 9, 10), "call Anna"),
    ("me tomorrow at 9 to send the report", (2026, 11, 22, 9, 0), "send the report"),
    ("me in 1h 30min to stretch", (2026, 11, 21, 10, 30), "stretch"),
    ("me next tuesday at 8:15 am about the budget", (2026, 11, 24, 8, 15), "the budget"),
]


@pytest.mark.parametrize(("text", "due", "message"), REMINDERS, ids=[r[0] for r in REMINDERS])
def test_parse_reminder(text: str, due: tuple[int, int, int, int, int], message: str) -> None:
    assert parse_reminder(text, now=SATURDAY, tz=BERLIN) == (berlin(*due), message)


def test_reminder_offsets_keep_the_seconds() -> None:
    now = SATURDAY + timedelta(seconds=30)
    assert parse_reminder("in 10 Minuten an Tee", now=now, tz=BERLIN)[0] == now + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("now", "text", "german"),
    [
        (SATURDAY, "mich morgen an den Bericht", "`morgen 14 Uhr an den Bericht`"),
        (SATURDAY, "mich in 2 Stunden", "Woran soll ich dich erinnern?"),
        (SATURDAY, "mich jeden Tag um 9 an die Tabletten", "einmalig"),
        (SATURDAY, "mich morgen 9-10 Uhr an X", "nur eine Uhrzeit"),
        (SATURDAY, "mich irgendwann an X", "Wann soll ich dich erinnern?"),
        (LATE_SATURDAY, "mich um 16 Uhr an X", "heute schon vorbei"),
        (SATURDAY, "mich am 1.11.2026 um 9 an X", "Vergangenheit"),
    ],
)
def test_parse_reminder_refuses(now: datetime, text: str, german: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_reminder(text, now=now, tz=BERLIN)
    assert german in said(caught.value, "de")
    assert "`" in said(caught.value, "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.12.", date(2026, 12, 10)),
        ("10.12.2026", date(2026, 12, 10)),
        ("am 10.12.", date(2026, 12, 10)),
        ("3. Dezember", date(2026, 12, 3)),
        ("morgen", date(2026, 11, 22)),
        ("übermorgen", date(2026, 11, 23)),
        ("next friday", date(2026, 11, 27)),
        ("Freitag", date(2026, 11, 27)),
        ("in 3 Tagen", date(2026, 11, 24)),
        ("1.11.", date(2026, 11, 1)),  # the nearest 1 November; whether the series had a date then is the caller's
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text, now=SATURDAY, tz=BERLIN) == expected


@pytest.mark.parametrize("text", ["quatsch", "10 Uhr", "in 2 Stunden", "10.12. und 17.12.", ""])
def test_parse_date_refuses(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_date(text, now=SATURDAY, tz=BERLIN)
    assert "`10.12.`" in said(caught.value, "de")


def test_parse_date_refuses_impossible_dates() -> None:
    assert "31.2. gibt es nicht" in german(lambda: parse_date("31.2.", now=SATURDAY, tz=BERLIN))


# Bounds: what a city employee could mean, and absurd input (numbers beyond any column, year 9999) explained.
OUT_OF_BOUNDS = [
    ("31.12.9999 10 Uhr Planung", ["31.12.9999 liegt zu weit in der Zukunft", "höchstens 5 Jahre"],
     ["at most 5 years"]),
    ("1.12.2031 10 Uhr Planung", ["zu weit in der Zukunft"], ["too far in the future"]),
    ("jeden Dienstag 10 Uhr bis 31.12.9999 Runde", ["zu weit in der Zukunft"], ["too far"]),
    ("in 1000000000 Tagen Planung", ["„in 1000000000 Tagen“ ist zu lang", "höchstens 60 Tage"], ["at most 60 days"]),
    ("in 99999999999999999999 Stunden Planung", ["ist zu lang"], ["too long"]),
    ("morgen 10 Uhr für 99999999999999999999 Tage Klausur", ["ist zu lang"], ["too long"]),
    ("alle 99999999999999999999 Wochen montags 9 Uhr Runde", ["nur alle 1–52 Wochen", "`alle 2 Wochen …`"],
     ["every 1–52 weeks"]),
    ("alle 53 Wochen montags 9 Uhr Runde", ["nur alle 1–52 Wochen"], ["every 1–52 weeks"]),
    ("alle 25 Monate am 1. um 9 Uhr Runde", ["nur alle 1–24 Monate"], ["every 1–24 months"]),
    ("alle 400 Tage 9 Uhr Runde", ["nur alle 1–365 Tage"], ["every 1–365 days"]),
]  # fmt: skip

WITHIN_BOUNDS = [
    ("1.11.2031 10 Uhr Planung", (2031, 11, 1, 10, 0), None),
    ("in 60 Tagen 10 Uhr Planung", (2027, 1, 20, 10, 0), None),
    ("alle 52 Wochen montags 9 Uhr Runde", (2026, 11, 23, 9, 0), "FREQ=WEEKLY;INTERVAL=52;BYDAY=MO"),
    ("alle 24 Monate am 1. um 9 Uhr Runde", (2026, 12, 1, 9, 0), "FREQ=MONTHLY;INTERVAL=24;BYMONTHDAY=1"),
]


@pytest.mark.parametrize(("text", "german", "english"), OUT_OF_BOUNDS, ids=[case[0] for case in OUT_OF_BOUNDS])
def test_out_of_bounds_is_explained(text: str, german: list[str], english: list[str]) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text, now=SATURDAY, tz=BERLIN)
    for words in german:
        assert words in said(caught.value, "de")
    for words in english:
        assert words in said(caught.value, "en")


@pytest.mark.parametrize(("text", "start", "rrule"), WITHIN_BOUNDS, ids=[case[0] for case in WITHIN_BOUNDS])
def test_the_edge_of_the_bounds_is_accepted(text: str, start: tuple[int, ...], rrule: str | None) -> None:
    schedule = parse_schedule(text, now=SATURDAY, tz=BERLIN)
    assert schedule.start == berlin(*start)
    assert schedule.rrule == rrule


def test_reminders_and_skipped_dates_are_bounded_too() -> None:
    assert "zu weit in der Zukunft" in german(
        lambda: parse_reminder("am 1.1.2099 9 Uhr an die Rente", now=SATURDAY, tz=BERLIN)
    )
    assert "ist zu lang" in german(
        lambda: parse_reminder("in 99999999999999999999 Stunden an X", now=SATURDAY, tz=BERLIN)
    )
    assert "zu weit in der Vergangenheit" in german(lambda: parse_date("1.1.0001", now=SATURDAY, tz=BERLIN))
    assert parse_date("1.12.2021", now=SATURDAY, tz=BERLIN) == date(2021, 12, 1)  # a past skip date is fine
    assert "ist zu lang" in german(lambda: parse_duration("99999999999999999999 min"))


# --- Keys and catalog ------------------------------------------------------------------------------------


def schedule(text: str, now: datetime = SATURDAY) -> Callable[[], object]:
    return lambda: parse_schedule(text, now=now, tz=BERLIN)


def reminder(text: str) -> Callable[[], object]:
    return lambda: parse_reminder(text, now=SATURDAY, tz=BERLIN)


def day(text: str) -> Callable[[], object]:
    return lambda: parse_date(text, now=SATURDAY, tz=BERLIN)


def duration(text: str) -> Callable[[], object]:
    return lambda: parse_duration(text)


EVERY_REFUSAL: list[tuple[str, Callable[[], object]]] = [
    ("schedule.twice", schedule("morgen 14 Uhr 15 Uhr Runde")),
    ("schedule.ambiguous_slash_date", schedule("12/3 10 Uhr Runde")),
    ("schedule.invalid_time", schedule("morgen 25 Uhr Runde")),
    ("schedule.end_before_start", schedule("morgen 16-14 Uhr Runde")),
    ("schedule.interval_too_large", schedule("alle 53 Wochen montags 9 Uhr Runde")),
    ("schedule.nth_weekday_ambiguous", schedule("jeden zweiten Dienstag 10 Uhr Runde")),
    ("schedule.this_weekday_passed", schedule("diesen Montag 10 Uhr X", TUESDAY_MORNING)),
    ("schedule.next_weekday_ambiguous", schedule("nächsten Dienstag 10 Uhr X", MONDAY)),
    ("schedule.weekday_is_today", schedule("Samstag 10 Uhr X")),
    ("schedule.no_such_date", schedule("31.2. 10 Uhr X")),
    ("schedule.no_such_date_leap", schedule("29.2.2027 10 Uhr X")),
    ("schedule.too_far_ahead", schedule("31.12.9999 10 Uhr Planung")),
    ("schedule.too_far_back", day("1.1.0001")),
    ("schedule.weekday_mismatch", schedule("Dienstag, 3.12. 10 Uhr X")),
    ("schedule.date_passed", schedule("1.11. 10 Uhr X")),
    ("schedule.daypart_conflict", schedule("14 Uhr morgens Runde")),
    ("schedule.bare_hour", schedule("morgen um 3 Runde")),
    ("schedule.time_after_title", schedule("morgen Runde 14 Uhr")),
    ("schedule.missing_time", schedule("morgen Runde")),
    ("schedule.when_after_title", schedule("Teamrunde morgen 14 Uhr")),
    ("schedule.no_when", schedule("Teamrunde")),
    ("schedule.in_past", schedule("1.11.2026 10 Uhr X")),
    ("schedule.limit_needs_series", schedule("morgen 10 Uhr bis 31.3. X")),
    ("schedule.offset_conflict", schedule("morgen in 2 Stunden X")),
    ("schedule.time_passed_today", schedule("8 Uhr X")),
    ("schedule.two_lengths", schedule("morgen 14-16 Uhr für 1 Stunde Runde")),
    ("schedule.missing_title", schedule("morgen 14 Uhr")),
    ("schedule.series_needs_day", schedule("wöchentlich 10 Uhr Runde")),
    ("schedule.monthday_not_in_every_month", schedule("monatlich am 31. 10 Uhr Runde")),
    ("schedule.conflicts_with_series", schedule("morgen jeden Dienstag 10 Uhr Runde")),
    ("schedule.series_start_passed", schedule("ab 1.11.2026 jeden Dienstag 10 Uhr Runde")),
    ("schedule.series_ends_before_start", schedule("jeden Dienstag 10 Uhr bis 1.11.2026 Runde")),
    ("schedule.reminder_no_when", reminder("mich irgendwann an X")),
    ("schedule.reminder_once", reminder("mich jeden Tag um 9 an X")),
    ("schedule.reminder_range", reminder("mich morgen 9-10 Uhr an X")),
    ("schedule.reminder_missing_text", reminder("mich in 2 Stunden")),
    ("schedule.not_a_date", day("quatsch")),
    ("schedule.not_a_duration", duration("bald")),
    ("schedule.duration_not_positive", duration("0 min")),
    ("schedule.duration_too_long", duration("61 Tage")),
]


@pytest.mark.parametrize(("key", "call"), EVERY_REFUSAL, ids=[key for key, _ in EVERY_REFUSAL])
def test_every_refusal_has_its_text_in_both_languages(key: str, call: Callable[[], object]) -> None:
    with pytest.raises(ScheduleError) as caught:
        call()
    assert caught.value.key == key
    for language in ("de", "en"):
        plain = said(caught.value, language, prefix="?")
        assert plain and "{" not in plain and "!" not in plain, plain
        shown = render(caught.value, CATALOG, language, "?")
        # Examples are code: the person's words in them are shown as written, never with escaping backslashes.
        for span in re.findall(r"(`+)(.+?)\1", shown):
            assert "\\" not in span[1], shown
    assert said(caught.value, "de") != said(caught.value, "en")


def test_the_catalog_has_exactly_the_keys_the_parser_raises() -> None:
    tested = {key for key, _ in EVERY_REFUSAL}
    assert tested == set(MESSAGES), "every text is tested by a phrase that produces it"
    source = Path(__file__).parents[1].joinpath("bot", "schedule_parsing.py").read_text(encoding="utf-8")
    assert set(re.findall(r'"(schedule\.\w+)"', source)) == set(MESSAGES)
    # A parameter between backticks would show its escaping backslashes; examples are passed as code(...).
    for key, texts in MESSAGES.items():
        for language, template in texts.items():
            for span in re.findall(r"`([^`]*)`", template):
                assert re.search(r"\{(?!prefix\})", span) is None, (key, language, span)


def test_refusals_escape_the_persons_words_and_show_examples_with_the_prefix() -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_reminder("mich jeden Tag um 9 an X", now=SATURDAY, tz=BERLIN)
    shown = render(caught.value, CATALOG, "de", "?")
    assert "`?termin jeden Dienstag 10 Uhr Jour fixe`" in shown and "!" not in shown
    assert "`?meeting every tuesday 10am jour fixe`" in render(caught.value, CATALOG, "en", "?")
    with pytest.raises(ScheduleError) as caught:
        parse_date("*bald* [hier](https://x.example)", now=SATURDAY, tz=BERLIN)
    assert "„\\*bald\\* \\[hier\\]\\(https\\://x\\.example\\)“" in render(caught.value, CATALOG, "de", "!")
    with pytest.raises(ScheduleError) as caught:
        parse_schedule("Runde_[1]* morgen 14 Uhr", now=SATURDAY, tz=BERLIN)
    assert "`morgen 14 Uhr Runde_[1]*`" in render(caught.value, CATALOG, "de", "!")
    with pytest.raises(ScheduleError) as caught:
        parse_schedule("nächsten Dienstag 10 Uhr X", now=MONDAY, tz=BERLIN)
    assert "Dienstag, 24. November 2026 oder Dienstag, 1. Dezember 2026" in said(caught.value, "de")
    assert "Tuesday, 24 November 2026 or Tuesday, 1 December 2026" in said(caught.value, "en")
