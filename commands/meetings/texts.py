"""What the meeting commands and reminders say, in German and English: `meeting.*` the meetings of a room,
`reminder.*` and `reminders.*` personal reminders, `relative.*` "starts in …"."""

from bot.i18n import Text

MESSAGES: dict[str, dict[str, Text]] = {
    "meeting.created": {
        "de": "Termin #{id} eingetragen: **{title}** – {when} ({zone}).",
        "en": "Meeting #{id} saved: **{title}** – {when} ({zone}).",
    },
    "meeting.next": {
        "de": {"one": "Nächster Termin: {dates}", "other": "Nächste Termine: {dates}"},
        "en": {"one": "Next date: {dates}", "other": "Next dates: {dates}"},
    },
    # Which reminders will really come: a reminder whose time has passed is never sent (see `commands.meetings.jobs`)
    "meeting.reminders": {"de": "Erinnerung: {offsets} vorher.", "en": "Reminders: {offsets} before."},
    "meeting.reminders.partly": {
        "de": "Erinnerung: {coming} vorher – für {late} vorher ist es schon zu spät.",
        "en": "Reminder: {coming} before – it is too late for {late} before.",
    },
    "meeting.reminders.none": {
        "de": "Es kommt keine Erinnerung: für {late} vorher ist es schon zu spät.",
        "en": "No reminder will come: it is too late for {late} before.",
    },
    "meeting.reminders.next_partly": {
        "de": "Erinnerung: {offsets} vorher – zum nächsten Termin ({date}) nur {coming} vorher, für {late} vorher ist "
        "es schon zu spät.",
        "en": "Reminders: {offsets} before – for the next date ({date}) only {coming} before, it is too late for "
        "{late} before.",
    },
    "meeting.reminders.next_none": {
        "de": "Erinnerung: {offsets} vorher – zum nächsten Termin ({date}) keine, dafür ist es schon zu spät.",
        "en": "Reminders: {offsets} before – none for the next date ({date}), it is too late for that.",
    },
    "meeting.reminders.change": {
        "de": "Ändern: `{prefix}termin erinnern {id} 1h`, absagen: `{prefix}termin absagen {id}`",
        "en": "Change: `{prefix}meeting remind {id} 1h`, cancel: `{prefix}meeting cancel {id}`",
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
        "de": {
            "one": "Am {date} findet #{id} nicht statt. Nächster Termin: {dates}",
            "other": "Am {date} findet #{id} nicht statt. Nächste Termine: {dates}",
        },
        "en": {
            "one": "#{id} does not take place on {date}. Next date: {dates}",
            "other": "#{id} does not take place on {date}. Next dates: {dates}",
        },
    },
    "meeting.updated": {"de": "#{id} geändert.", "en": "#{id} changed."},
    "meeting.ics": {
        "de": {
            "one": "Hier ist der Termin dieses Raums als Kalenderdatei (für Outlook, Thunderbird & Co.).",
            "other": "Hier sind die {count} Termine dieses Raums als Kalenderdatei (für Outlook, Thunderbird & Co.).",
        },
        "en": {
            "one": "Here is this room's meeting as a calendar file (for Outlook, Thunderbird & co.).",
            "other": "Here are this room's {count} meetings as a calendar file (for Outlook, Thunderbird & co.).",
        },
    },
    "feed.sent": {
        "de": "Ich habe dir die Kalender-Adresse per Direktnachricht geschickt. Sie ist geheim: Wer sie kennt, sieht "
        "die Termine.",
        "en": "I sent you the calendar address by direct message. It is secret: whoever has it sees the meetings.",
    },
    "feed.dm": {
        "de": "📅 Dein Kalender-Abo (Nr. {id}) für {which}:\n\n{url}\n\n"
        "• **Outlook**: Kalender hinzufügen → Aus dem Internet → Adresse einfügen.\n"
        "• **Thunderbird**: Neuer Kalender → Im Netzwerk → Adresse einfügen.\n"
        "• **iPhone/iPad**: Einstellungen → Kalender → Accounts → Kalenderabo hinzufügen; manche Programme wollen "
        "{webcal}.\n\n"
        "Dein Kalender zeigt dann Änderungen, ausfallende und abgesagte Termine von selbst. Gib die Adresse nicht "
        "weiter. Kündigen: `{prefix}termine abo löschen {id}`, alle Abos: `{prefix}termine abo liste`.",
        "en": "📅 Your calendar subscription (no. {id}) for {which}:\n\n{url}\n\n"
        "• **Outlook**: Add calendar → From Internet → paste the address.\n"
        "• **Thunderbird**: New calendar → On the network → paste the address.\n"
        "• **iPhone/iPad**: Settings → Calendar → Accounts → Add subscribed calendar; some programs want {webcal}.\n\n"
        "Your calendar then shows changes, skipped and cancelled meetings by itself. Do not pass the address on. "
        "To revoke: `{prefix}meetings subscribe delete {id}`, all subscriptions: `{prefix}meetings subscribe list`.",
    },
    "feed.every_room": {"de": "die Termine aller deiner Räume mit mir", "en": "the meetings of all your rooms with me"},
    "feed.group_room": {"de": "die Termine von „{group}“", "en": "the meetings of “{group}”"},
    "feed.this_room": {"de": "die Termine dieses Raums", "en": "this room's meetings"},
    "feed.a_room": {"de": "die Termine des Raums {room}", "en": "the meetings of room {room}"},
    "feed.no_web": {
        "de": "Kalender-Abos sind auf diesem Server nicht eingerichtet (die Administration kann sie mit [web] in der "
        "Konfiguration einschalten). Solange schickt `{prefix}termine ics` die Termine als Datei.",
        "en": "Calendar subscriptions are not set up on this server (the admins can turn them on with [web] in the "
        "config). Until then, `{prefix}meetings ics` sends the meetings as a file.",
    },
    "feed.too_many": {
        "de": "Du hast schon {limit} Kalender-Abos. Kündige eines, das du nicht mehr brauchst: "
        "`{prefix}termine abo liste`",
        "en": "You already have {limit} calendar subscriptions. Revoke one you no longer need: "
        "`{prefix}meetings subscribe list`",
    },
    "feed.unknown": {
        "de": "„{what}“ kenne ich hier nicht. `{prefix}termine abo` (dieser Raum), `{prefix}termine abo alle`, "
        "`{prefix}termine abo liste` oder `{prefix}termine abo löschen 3`.",
        "en": "I don't know “{what}” here. `{prefix}meetings subscribe` (this room), `{prefix}meetings subscribe all`, "
        "`{prefix}meetings subscribe list` or `{prefix}meetings subscribe delete 3`.",
    },
    "feed.none": {
        "de": "Du hast keine Kalender-Abos. Eines für diesen Raum: `{prefix}termine abo`",
        "en": "You have no calendar subscriptions. One for this room: `{prefix}meetings subscribe`",
    },
    "feed.list_title": {"de": "**Deine Kalender-Abos**", "en": "**Your calendar subscriptions**"},
    "feed.list_line": {
        "de": "- Nr. {id}: {which} – seit {since}, zuletzt abgerufen: {fetched}",
        "en": "- No. {id}: {which} – since {since}, last fetched: {fetched}",
    },
    "feed.never_fetched": {"de": "noch nie", "en": "never"},
    "feed.list_hint": {
        "de": "Kündigen: `{prefix}termine abo löschen Nr.` oder `{prefix}termine abo löschen alle`. Die Adressen "
        "selbst kenne ich nicht mehr – sie stehen nur in deinen Direktnachrichten.",
        "en": "To revoke: `{prefix}meetings subscribe delete no.` or `{prefix}meetings subscribe delete all`. I no "
        "longer know the addresses themselves – they are only in your direct messages.",
    },
    "feed.revoke_which": {
        "de": "Welches Abo? `{prefix}termine abo löschen 3` (die Nummer aus `{prefix}termine abo liste`) oder "
        "`{prefix}termine abo löschen alle`.",
        "en": "Which subscription? `{prefix}meetings subscribe delete 3` (the number from "
        "`{prefix}meetings subscribe list`) or `{prefix}meetings subscribe delete all`.",
    },
    "feed.not_found": {
        "de": "Ein Kalender-Abo Nr. {id} hast du nicht. Deine Abos: `{prefix}termine abo liste`",
        "en": "You have no calendar subscription no. {id}. Yours: `{prefix}meetings subscribe list`",
    },
    "feed.revoked": {
        "de": "Kalender-Abo Nr. {id} ist gekündigt: Die Adresse zeigt nichts mehr.",
        "en": "Calendar subscription no. {id} is revoked: the address shows nothing any more.",
    },
    "feed.revoked_all": {
        "de": {"one": "{count} Kalender-Abo gekündigt.", "other": "{count} Kalender-Abos gekündigt."},
        "en": {"one": "{count} calendar subscription revoked.", "other": "{count} calendar subscriptions revoked."},
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
    "reminder.several": {
        "de": {"one": "⏰ {count} Termin steht an:", "other": "⏰ {count} Termine stehen an:"},
        "en": {"one": "⏰ {count} meeting coming up:", "other": "⏰ {count} meetings coming up:"},
    },
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
    # The web pages (`commands.meetings.web`, `bot/web/templates/meetings*.html`): plain text, escaped by the templates;
    # the errors are Markdown, as in chat.
    "page.meetings": {"de": "Termine", "en": "Meetings"},
    "page.meetings.title": {"de": "Termine der nächsten 8 Wochen", "en": "Meetings of the next 8 weeks"},
    "page.meetings.intro": {
        "de": "Die Termine deiner Räume und Gruppen bis {until}. Zeiten in {zone}.",
        "en": "The meetings of your rooms and groups until {until}. Times in {zone}.",
    },
    "page.meetings.intro_all": {
        "de": "Die Termine aller Räume bis {until} (du koordinierst). Zeiten in {zone}.",
        "en": "The meetings of every room until {until} (you coordinate). Times in {zone}.",
    },
    "page.meetings.none": {"de": "Keine Termine bis {until}.", "en": "No meetings until {until}."},
    "page.meetings.number_hint": {
        "de": "Details und Änderungen im Chat mit der Nummer, z. B. „{prefix}termin 7“.",
        "en": "Details and changes in chat with the number, e.g. “{prefix}meeting 7”.",
    },
    "page.meetings.filter": {"de": "Gruppen und Räume", "en": "Groups and rooms"},
    "page.meetings.all": {"de": "Alle", "en": "All"},
    "page.meetings.network": {"de": "Netzwerk", "en": "Network"},
    "page.meetings.room": {"de": "Raum {room}", "en": "Room {room}"},
    "page.meetings.skipped": {"de": "fällt aus", "en": "skipped"},
    "page.meetings.cancelled": {"de": "abgesagt", "en": "cancelled"},
    "page.meetings.series": {"de": "Serie", "en": "series"},
    "page.meetings.place": {"de": "Ort", "en": "Place"},
    "page.meetings.own_time": {"de": "Ortszeit des Termins: {time}", "en": "the meeting's own time: {time}"},
    "page.meetings.to_month": {"de": "Monatsansicht", "en": "Month view"},
    "page.meetings.to_list": {"de": "Die nächsten 8 Wochen", "en": "The next 8 weeks"},
    "page.meetings.subscribe_title": {"de": "Im eigenen Kalender", "en": "In your own calendar"},
    "page.meetings.subscribe": {
        "de": "Schreib „{prefix}termine abo“ in einem Raum: Der Bot schickt dir per Direktnachricht eine geheime "
        "Kalender-Adresse für Outlook, Thunderbird oder das Handy, die die Termine dieses Raums zeigt und "
        "Änderungen von selbst übernimmt („{prefix}termine abo alle“: die Termine aller deiner Räume). "
        "„{prefix}termine abo liste“ zeigt deine Abos, „{prefix}termine abo löschen 3“ kündigt eines.",
        "en": "Write “{prefix}meetings subscribe” in a room: the bot sends you a secret calendar address by direct "
        "message, for Outlook, Thunderbird or your phone, showing that room's meetings and following their changes "
        "(“{prefix}meetings subscribe all”: the meetings of all your rooms). “{prefix}meetings subscribe list” "
        "shows your subscriptions, “{prefix}meetings subscribe delete 3” revokes one.",
    },
    "page.meetings.month_title": {"de": "Termine im {month}", "en": "Meetings in {month}"},
    "page.meetings.month_count": {
        "de": {
            "one": "{count} Termin im {month}. Zeiten in {zone}.",
            "other": "{count} Termine im {month}. Zeiten in {zone}.",
        },
        "en": {
            "one": "{count} meeting in {month}. Times in {zone}.",
            "other": "{count} meetings in {month}. Times in {zone}.",
        },
    },
    "page.meetings.month_none": {
        "de": "Keine Termine im {month}. Zeiten in {zone}.",
        "en": "No meetings in {month}. Times in {zone}.",
    },
    "page.meetings.months": {"de": "Monate", "en": "Months"},
    "page.meetings.this_month": {"de": "Dieser Monat", "en": "This month"},
    "page.meetings.week": {"de": "KW", "en": "Week"},
    "page.meetings.week_number": {"de": "KW {week}", "en": "Week {week}"},
    "page.meetings.today": {"de": "heute", "en": "today"},
    "page.meetings.one_filter": {
        "de": "Bitte entweder eine Gruppe oder einen Raum wählen, nicht beides.",
        "en": "Please choose either a group or a room, not both.",
    },
    "page.meetings.unknown_group": {
        "de": "Eine Gruppe „{group}“ gibt es nicht. Die Gruppen stehen oben in der Auswahl.",
        "en": "There is no group “{group}”. The groups are listed in the choice above.",
    },
    "page.meetings.bad_room": {
        "de": "Das ist keine Raum-Adresse (sie beginnt mit „!“, z. B. `!abc:example.org`).",
        "en": "That is no room id (it starts with “!”, e.g. `!abc:example.org`).",
    },
    "page.meetings.other_group": {
        "de": "Die Termine der Gruppe {group} sieht, wer in einem ihrer Räume ist, und die Koordination.",
        "en": "The meetings of group {group} are for the people in one of its rooms, and the coordinators.",
    },
    "page.meetings.unknown_room": {
        "de": "Diesen Raum kenne ich nicht, oder du bist nicht darin.",
        "en": "I don't know this room, or you are not in it.",
    },
    "page.meetings.bad_month": {
        "de": "„{value}“ ist kein Monat. So geht's: `?m=2026-12` für Dezember 2026.",
        "en": "“{value}” is no month. It goes like this: `?m=2026-12` for December 2026.",
    },
    "page.meetings.month_range": {
        "de": "Die Monatsansicht reicht von {first} bis {last}.",
        "en": "The month view covers {first} to {last}.",
    },
}
