"""What the meeting commands and reminders say, in German and English: `meeting.*` the meetings of a room,
`reminder.*` and `reminders.*` personal reminders, `relative.*` "starts in …"."""

MESSAGES: dict[str, dict[str, str]] = {
    "meeting.created": {
        "de": "Termin #{id} eingetragen: **{title}** – {when} ({zone}).",
        "en": "Meeting #{id} saved: **{title}** – {when} ({zone}).",
    },
    "meeting.next": {"de": "Nächste Termine: {dates}", "en": "Next dates: {dates}"},
    "meeting.reminders": {
        "de": "Erinnerung: {offsets} vorher. Ändern: `{prefix}termin erinnern {id} 1h`, "
        "absagen: `{prefix}termin absagen {id}`",
        "en": "Reminders: {offsets} before. Change: `{prefix}meeting remind {id} 1h`, "
        "cancel: `{prefix}meeting cancel {id}`",
    },
    "meeting.no_reminders": {"de": "Keine Erinnerungen.", "en": "No reminders."},
    "meeting.details": {"de": "**#{id} {title}** – {when} ({zone})", "en": "**#{id} {title}** – {when} ({zone})"},
    "meeting.place": {"de": "Ort: {place}", "en": "Place: {place}"},
    "meeting.agenda": {"de": "Agenda: {agenda}", "en": "Agenda: {agenda}"},
    "meeting.over": {"de": "Der Termin liegt in der Vergangenheit.", "en": "The meeting is in the past."},
    "meeting.cancelled": {
        "de": "Termin #{id} **{title}** ist abgesagt; es kommen keine Erinnerungen mehr.",
        "en": "Meeting #{id} **{title}** is cancelled; no more reminders.",
    },
    "meeting.skipped": {
        "de": "#{id} **{title}** fällt am {date} aus. Danach geht es weiter: {next}",
        "en": "#{id} **{title}** is skipped on {date}. It continues: {next}",
    },
    "meeting.not_on_that_day": {
        "de": "Am {date} findet #{id} nicht statt. Nächste Termine: {dates}",
        "en": "#{id} does not take place on {date}. Next dates: {dates}",
    },
    "meeting.updated": {"de": "#{id} geändert.", "en": "#{id} changed."},
    "meeting.ics": {
        "de": "Hier sind die Termine dieses Raums als Kalenderdatei (für Outlook, Thunderbird & Co.): {count}.",
        "en": "Here are this room's meetings as a calendar file (for Outlook, Thunderbird & co.): {count}.",
    },
    "meeting.list_title": {"de": "**Termine in diesem Raum**", "en": "**Meetings in this room**"},
    "meeting.list_empty": {
        "de": "Hier sind keine Termine eingetragen. Neu: `{prefix}termin morgen 14 Uhr Abstimmung`",
        "en": "No meetings here. New: `{prefix}meeting tomorrow 2pm sync`",
    },
    "meeting.not_found": {
        "de": "Einen Termin #{id} gibt es in diesem Raum nicht. Alle Termine: `{prefix}termine`",
        "en": "There is no meeting #{id} in this room. All meetings: `{prefix}meetings`",
    },
    "meeting.too_long": {
        "de": "Das ist zu lang (höchstens {limit} Zeichen).",
        "en": "That is too long (at most {limit} characters).",
    },
    "meeting.no_jitsi": {
        "de": "Für Videolinks ist kein Jitsi-Server eingerichtet ([meetings].jitsi_base_url). Gib den Link direkt an.",
        "en": "No Jitsi server is configured ([meetings].jitsi_base_url). Give the link directly.",
    },
    "reminder.meeting": {
        "de": "⏰ **{title}** {relative}: {when}",
        "en": "⏰ **{title}** {relative}: {when}",
    },
    "reminder.several": {"de": "⏰ {count} Termine stehen an:", "en": "⏰ {count} meetings coming up:"},
    "reminder.late": {
        "de": "(verspätet – ich war kurz offline)",
        "en": "(late – I was offline for a while)",
    },
    "reminder.personal": {"de": "⏰ Erinnerung: {message}", "en": "⏰ Reminder: {message}"},
    "reminder.personal_saved": {
        "de": "Mach ich: am {when} erinnere ich dich per Direktnachricht an: {message}",
        "en": "Will do: on {when} I'll remind you by direct message of: {message}",
    },
    "reminders.none": {
        "de": "Du hast keine offenen Erinnerungen. Neu: `{prefix}erinnere mich in 2 Stunden an …`",
        "en": "You have no pending reminders. New: `{prefix}remindme in 2 hours to …`",
    },
    "reminders.title": {"de": "**Deine Erinnerungen**", "en": "**Your reminders**"},
    "reminders.cancel_hint": {
        "de": "Löschen: `{prefix}erinnerungen löschen <Nr>`",
        "en": "Delete: `{prefix}reminders delete <no>`",
    },
    "reminders.cancelled": {"de": "Erinnerung #{id} gelöscht.", "en": "Reminder #{id} deleted."},
    "reminders.not_found": {
        "de": "Eine offene Erinnerung #{id} von dir gibt es nicht. Alle: `{prefix}erinnerungen`",
        "en": "You have no pending reminder #{id}. All: `{prefix}reminders`",
    },
    "relative.now": {"de": "beginnt jetzt", "en": "starts now"},
    "relative.in": {"de": "beginnt in {span}", "en": "starts in {span}"},
}
