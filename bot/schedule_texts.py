"""What `bot.schedule_parsing` says when it refuses a date or time, in German (first) and English.

Keys are raised as `ScheduleError("schedule.<key>", **params)` and rendered by the dispatcher (`bot.errors.render`):
a plain-string parameter is the person's own words and is escaped; an example built from them is passed as
`code(...)`, so no parameter stands between backticks here; weekday and month names or dates written the local way
are `Localized`. Example commands start with `{prefix}`, the configured one.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # Reading: a clause twice, a date or time that cannot be.
    "schedule.twice": {
        "de": "Ich habe zweimal {what} gefunden: „{first}“ und „{second}“. Bitte nur eine Angabe. "
        "Gehört das zweite zum Titel, trenne den Titel mit einem Doppelpunkt ab, z. B. `morgen 14 Uhr: Montag-Runde`.",
        "en": "I found {what} twice: “{first}” and “{second}”. Please give it once. If the second belongs to the "
        "title, separate the title with a colon, e.g. `tomorrow 2pm: Monday round`.",
    },
    "schedule.ambiguous_slash_date": {
        "de": "„{text}“ ist mehrdeutig: der {a}. {month_b} oder der {b}. {month_a}? "
        "Bitte schreib das Datum mit Punkten, Tag zuerst, z. B. {dotted} oder {swapped}.",
        "en": "“{text}” is ambiguous: {a} {month_b} or {b} {month_a}? Please write the day first with dots, "
        "e.g. {dotted}, or the month's name, e.g. {named}.",
    },
    "schedule.invalid_time": {
        "de": "„{time}“ ist keine gültige Uhrzeit: Stunden gehen von 0 bis 23, Minuten von 0 bis 59, "
        "z. B. `14 Uhr` oder `9:30`.",
        "en": "“{time}” is not a valid time: hours go from 0 to 23 (1 to 12 with am/pm), minutes from 0 to 59, "
        "e.g. `2pm` or `14:30`.",
    },
    "schedule.end_before_start": {
        "de": "„{first} bis {second}“: Das Ende liegt vor dem Beginn. Schreib die frühere Uhrzeit zuerst, "
        "z. B. `14-16 Uhr`; Termine über Mitternacht kann ich nicht eintragen.",
        "en": "“{first} to {second}”: the end is before the start. Write the earlier time first, "
        "e.g. `2-4pm`; meetings across midnight are not supported.",
    },
    "schedule.interval_too_large": {
        "de": "„{written}“: Das geht nur alle 1–{limit} {unit}, z. B. {example}.",
        "en": "“{written}”: that works every 1–{limit} {unit} only, e.g. {example}.",
    },
    "schedule.nth_weekday_ambiguous": {
        "de": "„{written}“ kann den {n}. {weekday} im Monat heißen oder alle {n} Wochen. "
        "Schreib {monthly} oder {weekly}.",
        "en": "“{written}” can mean the {ordinal} {weekday} of the month or every {n} weeks. "
        "Write {monthly} or {weekly}.",
    },
    # Days: weekdays that could mean two dates, dates that do not exist or are out of reach.
    "schedule.this_weekday_passed": {
        "de": "{weekday} dieser Woche ist schon vorbei. Meinst du {nearest}? Dann schreib {date} oder {next_weekday}.",
        "en": "This week's {weekday} has passed. Do you mean {nearest}? Then write {date} or {next_weekday}.",
    },
    "schedule.next_weekday_ambiguous": {
        "de": "„nächsten {weekday}“ kann {nearest} oder {later} heißen. "
        "Bitte schreib das Datum, z. B. {nearest_date} oder {later_date} (oder {coming} für den nächstgelegenen).",
        "en": "“next {weekday}” could be {nearest} or {later}. Please write the date, "
        "e.g. {nearest_date} or {later_date} (or {coming} for the nearest one).",
    },
    "schedule.weekday_is_today": {
        "de": "Heute ist {weekday}. Meinst du heute (`heute …`) oder in einer Woche ({in_a_week})?",
        "en": "Today is {weekday}. Do you mean today (`today …`) or in a week ({in_a_week})?",
    },
    "schedule.no_such_date": {
        "de": "Den {written} gibt es nicht. Bitte prüf das Datum, z. B. `3.12. 9:30 Fachgruppe`.",
        "en": "There is no {written} (day.month.). Please check the date, e.g. `3.12. 9:30 team meeting`.",
    },
    "schedule.no_such_date_leap": {
        "de": "Den {written} gibt es nicht (nur in Schaltjahren). Bitte prüf das Datum, z. B. `3.12. 9:30 Fachgruppe`.",
        "en": "There is no {written} (day.month.) (only in leap years). Please check the date, "
        "e.g. `3.12. 9:30 team meeting`.",
    },
    "schedule.too_far_ahead": {
        "de": "Der {written} liegt zu weit in der Zukunft: Termine und Erinnerungen gehen höchstens {years} Jahre "
        "im Voraus. Bitte prüf die Jahreszahl, z. B. {example}.",
        "en": "{written} is too far in the future: meetings and reminders go at most {years} years ahead. "
        "Please check the year, e.g. {example}.",
    },
    "schedule.too_far_back": {
        "de": "Der {written} liegt zu weit in der Vergangenheit (mehr als {years} Jahre). "
        "Bitte prüf die Jahreszahl, z. B. {example}.",
        "en": "{written} is too far in the past (more than {years} years). Please check the year, e.g. {example}.",
    },
    "schedule.weekday_mismatch": {
        "de": "Der {date} ist ein {actual}, kein {named}. Welches stimmt? "
        "Schreib nur das Datum ({only_date}) oder nur den Wochentag ({only_weekday}).",
        "en": "{date} is a {actual}, not a {named}. Which is right? "
        "Write only the date ({only_date}) or only the weekday ({only_weekday}).",
    },
    "schedule.date_passed": {
        "de": "Der {written} war dieses Jahr schon. Meinst du den {following}? Dann schreib das Jahr dazu: {example}.",
        "en": "{written} has already passed this year. Do you mean {following}? Then add the year: {example}.",
    },
    # Times: a part of day that contradicts the hour, an hour that could be morning or afternoon.
    "schedule.daypart_conflict": {
        "de": "„{time}“ passt nicht zu „{daypart}“. Bitte nur eins davon, z. B. `14 Uhr`.",
        "en": "“{time}” does not fit “{daypart}”. Please give one, e.g. `2pm`.",
    },
    "schedule.bare_hour": {
        "de": "„{time}“: {hour} Uhr morgens oder {afternoon} Uhr? Bitte schreib z. B. {example} oder {alternative}.",
        "en": "“{time}”: {hour}am or {hour}pm? Please write e.g. {example} or {alternative}.",
    },
    "schedule.time_after_title": {
        "de": "Um wie viel Uhr? Die Uhrzeit muss vor dem Titel stehen, z. B. {example}.",
        "en": "At what time? The time must come before the title, e.g. {example}.",
    },
    "schedule.missing_time": {
        "de": "Um wie viel Uhr? Bitte ergänze die Uhrzeit, z. B. {example}.",
        "en": "At what time? Please add it, e.g. {example}.",
    },
    "schedule.when_after_title": {
        "de": "Bitte schreib zuerst den Zeitpunkt, dann den Titel, z. B. {example}.",
        "en": "Please write the time first, then the title, e.g. {example}.",
    },
    "schedule.no_when": {
        "de": "Ich habe keinen Zeitpunkt erkannt. Schreib zuerst wann, dann den Titel, z. B. "
        "`morgen 14 Uhr Abstimmung eAkte`, `3.12. 9:30 Fachgruppe` oder `jeden Dienstag 10 Uhr Jour fixe`.",
        "en": "I did not find a date or time. Write when first, then the title, e.g. `tomorrow 2pm sync`, "
        "`3.12. 9:30 team meeting` or `every tuesday 10am jour fixe`.",
    },
    # One-offs: in the past, or with clauses only a series (or another one-off) can have.
    "schedule.in_past": {
        "de": "{moment} liegt in der Vergangenheit. Bitte gib einen Zeitpunkt in der Zukunft an, "
        "z. B. `morgen 10 Uhr …`.",
        "en": "{moment} is in the past. Please give a time in the future, e.g. `tomorrow 10am …`.",
    },
    "schedule.limit_needs_series": {
        "de": "„{limit}“ passt nur zu einem wiederkehrenden Termin, z. B. `jeden Dienstag 10 Uhr bis 31.3. Jour fixe`.",
        "en": "“{limit}” only fits a repeating meeting, e.g. `every tuesday 10am until 31.3. jour fixe`.",
    },
    "schedule.offset_conflict": {
        "de": "„{offset}“ und „{other}“ widersprechen sich. Bitte nur eins davon angeben, "
        "z. B. `in 2 Stunden …` oder `morgen 14 Uhr …`.",
        "en": "“{offset}” and “{other}” contradict each other. Please give only one, "
        "e.g. `in 2 hours …` or `tomorrow 2pm …`.",
    },
    "schedule.time_passed_today": {
        "de": "{clock} ist heute schon vorbei. An welchem Tag? Schreib z. B. {tomorrow} oder {later}.",
        "en": "{clock} has already passed today. Which day? Write e.g. {tomorrow}.",
    },
    "schedule.two_lengths": {
        "de": "„{time}“ und „{length}“: Bitte nur eine Dauer angeben, "
        "z. B. `morgen 14-16 Uhr …` oder `morgen 14 Uhr für 2 Stunden …`.",
        "en": "“{time}” and “{length}”: please give the length only once, "
        "e.g. `tomorrow 2-4pm …` or `tomorrow 2pm for 2 hours …`.",
    },
    "schedule.missing_title": {
        "de": "Wie soll der Termin heißen? Bitte schreib den Titel hinter den Zeitpunkt, z. B. {example}.",
        "en": "What is the meeting called? Please put a title after the time, e.g. {example}.",
    },
    # Series: which day, days that not every month has, a start or end that does not fit.
    "schedule.series_needs_day": {
        "de": "„{series}“: An welchem Tag? Schreib z. B. `jeden Dienstag 10 Uhr …`, `monatlich am 15. 10 Uhr …`, "
        "`jährlich am 1.3. 10 Uhr …` oder {example}.",
        "en": "“{series}”: on which day? Write e.g. `every tuesday 10am …`, `monthly on the 15th 10am …`, "
        "`every year on 1 March 10am …` or {example}.",
    },
    "schedule.monthday_not_in_every_month": {
        "de": "Den {day}. gibt es nicht in jedem {unit}; dann fiele der Termin stillschweigend aus. "
        "Für das Monatsende schreib `monatlich am letzten Tag 10 Uhr …`, sonst einen Tag bis zum 28.",
        "en": "Not every {unit} has a {ordinal}, so the meeting would silently be skipped. "
        "For the end of the month write `monthly on the last day 10am …`, else a day up to the 28th.",
    },
    "schedule.conflicts_with_series": {
        "de": "„{other}“ passt nicht zu „{series}“. Soll die Serie dann beginnen? Schreib z. B. {example}.",
        "en": "“{other}” does not fit “{series}”. Should the series start then? Write e.g. {example}.",
    },
    "schedule.series_start_passed": {
        "de": "„{written}“ liegt in der Vergangenheit. Lass es weg, dann beginnt die Serie mit dem nächsten "
        "Termin: {example}.",
        "en": "“{written}” is in the past. Leave it out and the series starts with the next date: {example}.",
    },
    "schedule.series_ends_before_start": {
        "de": "„{written}“: Die Serie endet, bevor sie beginnt. Bitte prüf das Enddatum, z. B. {example}.",
        "en": "“{written}”: the series ends before it starts. Please check the end date, e.g. {example}.",
    },
    # Reminders.
    "schedule.reminder_no_when": {
        "de": "Wann soll ich dich erinnern? Schreib z. B. `in 2 Stunden an den Bericht`, "
        "`morgen um 9 an die XRechnung-Frist` oder `am 3.12. 8 Uhr an …`.",
        "en": "When should I remind you? Write e.g. `in 2 hours to send the report`, `tomorrow at 9 to call Anna` "
        "or `3.12. 8am to …`.",
    },
    "schedule.reminder_once": {
        "de": "„{written}“: Erinnerungen sind einmalig und haben keine Dauer. Für Serien gibt es `{prefix}termin`, "
        "z. B. `{prefix}termin jeden Dienstag 10 Uhr Jour fixe`.",
        "en": "“{written}”: reminders happen once and have no length. For series use `{prefix}meeting`, "
        "e.g. `{prefix}meeting every tuesday 10am jour fixe`.",
    },
    "schedule.reminder_range": {
        "de": "„{time}“: Für eine Erinnerung brauche ich nur eine Uhrzeit, z. B. `morgen um 9 an …`.",
        "en": "“{time}”: a reminder needs just one time, e.g. `tomorrow at 9 to …`.",
    },
    "schedule.reminder_missing_text": {
        "de": "Woran soll ich dich erinnern? Schreib es hinter den Zeitpunkt, z. B. {example}.",
        "en": "What should I remind you of? Write it after the time, e.g. {example}.",
    },
    # A single day, a length of time.
    "schedule.not_a_date": {
        "de": "„{text}“ verstehe ich nicht als Datum. Schreib z. B. `10.12.`, `10.12.2026` oder `morgen`.",
        "en": "I do not understand “{text}” as a date. Write e.g. `10.12.`, `10.12.2026` or `tomorrow`.",
    },
    "schedule.not_a_duration": {
        "de": "„{text}“ verstehe ich nicht als Dauer. Schreib z. B. `15 min`, `1h`, `2 Stunden` oder `1 Tag`.",
        "en": "I do not understand “{text}” as a length of time. Write e.g. `15 min`, `1h`, `2 hours` or `1 day`.",
    },
    "schedule.duration_not_positive": {
        "de": "„{text}“: Die Dauer muss größer als 0 sein, z. B. `15 min`, `1h` oder `1 Tag`.",
        "en": "“{text}”: the length must be more than 0, e.g. `15 min`, `1h` or `1 day`.",
    },
    "schedule.duration_too_long": {
        "de": "„{text}“ ist zu lang: höchstens {days} Tage, z. B. `1 Woche` oder `30 Tage`.",
        "en": "“{text}” is too long: at most {days} days, e.g. `1 week` or `30 days`.",
    },
}
