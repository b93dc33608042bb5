"""What `!web` says in chat, and the texts of the web pages (keys `page.*`), German and English."""

from __future__ import annotations

from bot.i18n import Text

MESSAGES: dict[str, dict[str, Text]] = {
    "web.sent": {
        "de": "Ich habe dir einen Anmelde-Link per Direktnachricht geschickt ({minutes} Minuten gültig).",
        "en": "I sent you a sign-in link by direct message (valid for {minutes} minutes).",
    },
    "web.dm": {
        "de": "🔑 Dein Anmelde-Link für die Webseiten des Bots, {minutes} Minuten gültig und nur einmal nutzbar:\n\n"
        "{url}\n\n"
        "Gib ihn nicht weiter. Die Anmeldung im Browser endet nach {hours} Stunden ohne Nutzung, spätestens nach "
        "{days} Tagen; abmelden auf allen Geräten: `{prefix}web abmelden`.",
        "en": "🔑 Your sign-in link for the bot's web pages, valid for {minutes} minutes and only once:\n\n"
        "{url}\n\n"
        "Do not pass it on. The browser's sign-in ends after {hours} hours unused, after {days} days at the latest; "
        "to sign out on every device: `{prefix}web logout`.",
    },
    "web.no_web": {
        "de": "Die Webseiten sind auf diesem Server nicht eingerichtet (die Administration kann sie mit [web] in der "
        "Konfiguration einschalten).",
        "en": "The web pages are not set up on this server (the admins can turn them on with [web] in the config).",
    },
    "web.logged_out": {
        "de": {"one": "Abgemeldet: {count} Anmeldung beendet.", "other": "Abgemeldet: {count} Anmeldungen beendet."},
        "en": {"one": "Signed out: {count} session ended.", "other": "Signed out: {count} sessions ended."},
    },
    "web.no_sessions": {
        "de": "Du warst auf den Webseiten nicht angemeldet. Offene Anmelde-Links gelten nicht mehr.",
        "en": "You were not signed in to the web pages. Open sign-in links no longer work.",
    },
    # --- the pages ---------------------------------------------------------------------------------------------
    "page.sign_in_title": {"de": "Anmelden", "en": "Sign in"},
    "page.sign_in_as": {"de": "Anmelden als {name}", "en": "Sign in as {name}"},
    "page.sign_in_text": {
        "de": "Dieser Link aus deiner Direktnachricht meldet dich in diesem Browser an. Er gilt nur einmal; bist du "
        "nicht {name}, schließ die Seite einfach.",
        "en": "This link from your direct message signs you in in this browser. It works once; if you are not "
        "{name}, just close the page.",
    },
    "page.sign_in_button": {"de": "Anmelden", "en": "Sign in"},
    "page.bad_characters": {
        "de": "Die Suche enthält Steuerzeichen. Bitte tipp sie noch einmal ein oder kopier nur den Text.",
        "en": "The search contains control characters. Please type it again or copy only the text.",
    },
    "page.skip": {"de": "Zum Inhalt springen", "en": "Skip to content"},
    "page.nav": {"de": "Hauptnavigation", "en": "Main navigation"},
    "page.home": {"de": "Start", "en": "Home"},
    "page.decisions": {"de": "Beschlüsse", "en": "Decisions"},
    "page.logout": {"de": "Abmelden", "en": "Sign out"},
    "page.signed_in_as": {"de": "Angemeldet als {name}", "en": "Signed in as {name}"},
    "page.language_hint": {
        "de": "Sprache: im Chat mit „{prefix}sprache en“ auf Englisch umstellen.",
        "en": "Language: switch to German in chat with “{prefix}language de”.",
    },
    "page.welcome": {"de": "Willkommen, {name}", "en": "Welcome, {name}"},
    "page.scope_all": {
        "de": "Du koordinierst das Netzwerk und siehst die Beschlüsse aller Gruppen.",
        "en": "You coordinate the network and see the decisions of every group.",
    },
    "page.scope_groups": {
        "de": "Du siehst die Beschlüsse deiner Gruppen: {groups}.",
        "en": "You see the decisions of your groups: {groups}.",
    },
    "page.scope_rooms": {
        "de": "Du siehst die Beschlüsse der Räume, die du mit dem Bot teilst.",
        "en": "You see the decisions of the rooms you share with the bot.",
    },
    "page.search_label": {"de": "Suche", "en": "Search"},
    "page.search_button": {"de": "Suchen", "en": "Search"},
    "page.search_help": {
        "de": "Wie im Chat: Begriffe, gruppe:, seit:, bis:, #Schlagwort, von:, status:alle – "
        "z. B. „XRechnung seit:2026 #Pflicht“.",
        "en": "As in chat: words, group:, since:, until:, #tag, from:, status:all – e.g. “XRechnung since:2026 #duty”.",
    },
    "page.results": {
        "de": {"one": "{count} Beschluss: {query}", "other": "{count} Beschlüsse: {query}"},
        "en": {"one": "{count} decision: {query}", "other": "{count} decisions: {query}"},
    },
    "page.results_many": {
        "de": "Mehr als {count} Beschlüsse: {query} – die besten zuerst; grenze die Suche ein.",
        "en": "More than {count} decisions: {query} – best first; narrow the search down.",
    },
    "page.no_results": {"de": "Keine Beschlüsse: {query}", "en": "No decisions: {query}"},
    "page.hidden": {
        "de": {
            "one": "{count} weiterer ist ersetzt oder aufgehoben (status:alle zeigt ihn).",
            "other": "{count} weitere sind ersetzt oder aufgehoben (status:alle zeigt sie).",
        },
        "en": {
            "one": "{count} more is superseded or revoked (status:all shows it).",
            "other": "{count} more are superseded or revoked (status:all shows them).",
        },
    },
    "page.cross_group": {
        "de": "Die Beschlüsse der Gruppe {group} sieht, wer in einem ihrer Räume ist, und die Koordination.",
        "en": "The decisions of group {group} are for the people in one of its rooms, and the coordinators.",
    },
    "page.paging": {"de": "Seiten", "en": "Pages"},
    "page.previous": {"de": "← Neuere", "en": "← Newer"},
    "page.previous_ranked": {"de": "← Vorige Seite", "en": "← Previous page"},
    "page.next": {"de": "Ältere →", "en": "Older →"},
    "page.next_ranked": {"de": "Nächste Seite →", "en": "Next page →"},
    "page.page_of": {"de": "Seite {page} von {pages}", "en": "Page {page} of {pages}"},
    "page.decision": {"de": "Beschluss #{id}", "en": "Decision #{id}"},
    "page.status": {"de": "Status", "en": "Status"},
    "page.group": {"de": "Gruppe", "en": "Group"},
    "page.no_group": {"de": "keine Gruppe", "en": "no group"},
    "page.author": {"de": "Festgehalten von", "en": "Logged by"},
    "page.when": {"de": "Datum", "en": "Date"},
    "page.tags": {"de": "Schlagworte", "en": "Tags"},
    "page.context": {"de": "Bezug (zitierte Nachricht von {sender})", "en": "Context (quoted message by {sender})"},
    "page.context_edited": {
        "de": "Die Nachricht wurde danach bearbeitet.",
        "en": "The message was edited afterwards.",
    },
    "page.context_redacted": {
        "de": "Die Nachricht wurde danach gelöscht.",
        "en": "The message was deleted afterwards.",
    },
    "page.supersedes": {"de": "Ersetzt Beschluss #{id}", "en": "Supersedes decision #{id}"},
    "page.superseded_by": {"de": "Ersetzt durch Beschluss #{id}", "en": "Superseded by decision #{id}"},
    "page.revoked_because": {"de": "Aufgehoben, Grund: {reason}", "en": "Revoked, reason: {reason}"},
    "page.permalink": {"de": "Im Chat öffnen", "en": "Open in chat"},
    "page.history": {"de": "Verlauf", "en": "History"},
    "page.the_bot": {"de": "der Bot", "en": "the bot"},
    "page.back_to_search": {"de": "Zur Suche", "en": "Back to the search"},
    "page.no_room_title": {"de": "Kein gemeinsamer Raum", "en": "No shared room"},
    "page.no_room": {
        "de": "Diese Seiten zeigen, was du im Chat sehen kannst – und du teilst gerade keinen Raum mit dem Bot. Tritt "
        "dem Raum deiner Projektgruppe oder dem Netzwerk-Raum bei (oder schreib dem Bot eine Direktnachricht) und lade "
        "die Seite dann neu.",
        "en": "These pages show what you can see in chat – and right now you share no room with the bot. Join your "
        "project group's room or the network room (or write the bot a direct message), then reload this page.",
    },
    "page.not_found_title": {"de": "Nicht gefunden", "en": "Not found"},
    "page.not_found": {
        "de": "Diese Seite gibt es nicht, oder sie ist für dich nicht sichtbar.",
        "en": "This page does not exist, or you may not see it.",
    },
    "page.error_title": {"de": "Das hat nicht geklappt", "en": "That did not work"},
    "page.error": {
        "de": "Auf dem Server ist ein Fehler passiert (Referenz {ref}). Bitte versuche es gleich noch einmal.",
        "en": "Something went wrong on the server (reference {ref}). Please try again in a moment.",
    },
    # --- the room widget (`!widget`, bot.web.widget) -------------------------------------------------------------
    "widget.added": {
        "de": "📌 Das Widget „re@di“ ist in diesem Raum eingerichtet: in Element unter Rauminfo → Erweiterungen. Beim "
        "ersten Öffnen fragt Element, ob das Widget prüfen darf, wer du bist; bestätigst du das, siehst du dort die "
        "Webseiten des Bots mit dem, was du im Chat sehen darfst. Entfernen: `{prefix}widget entfernen`.",
        "en": "📌 The “re@di” widget is set up in this room: in Element under Room info → Extensions. The first time "
        "it opens, Element asks whether the widget may check who you are; once you confirm, it shows the bot's web "
        "pages with what you may see in chat. To remove it: `{prefix}widget remove`.",
    },
    "widget.removed": {
        "de": "Das Widget „re@di“ ist aus diesem Raum entfernt.",
        "en": "The “re@di” widget is removed from this room.",
    },
    "widget.no_power": {
        "de": "Ich darf in diesem Raum keine Widgets einrichten: Dafür braucht es das Power-Level {needed}, ich habe "
        "{has}. Wer den Raum verwaltet, kann das in Element ändern: Raumeinstellungen → Rollen & Berechtigungen → "
        "„Widgets ändern“ auf {has} senken, oder mir dort eine Rolle mit {needed} geben.",
        "en": "I may not set up widgets in this room: that takes power level {needed}, and I have {has}. Whoever "
        "manages the room can change this in Element: Room settings → Roles & Permissions → lower “Modify widgets” "
        "to {has}, or give me a role with {needed} there.",
    },
    "widget.off": {
        "de": "Das Widget ist auf diesem Server ausgeschaltet (die Administration schaltet es mit [web] "
        "widget_parents ein). Die Webseiten gibt es trotzdem: `{prefix}web`.",
        "en": "The widget is turned off on this server (the admins turn it on with [web] widget_parents). The web "
        "pages are there all the same: `{prefix}web`.",
    },
    "widget.unavailable": {
        "de": "Widgets kann ich hier gerade nicht einrichten. Die Webseiten erreichst du mit `{prefix}web`.",
        "en": "I cannot set up widgets here right now. You reach the web pages with `{prefix}web`.",
    },
    "page.widget_title": {"de": "Anmeldung über den Chat", "en": "Signing in through the chat"},
    "page.widget_connecting": {
        "de": "Einen Moment: Der Chat bestätigt, wer du bist …",
        "en": "One moment: the chat confirms who you are …",
    },
    "page.widget_waiting": {
        "de": "Bitte bestätige im Chat, dass das Widget prüfen darf, wer du bist.",
        "en": "Please confirm in the chat that the widget may check who you are.",
    },
    "page.widget_blocked": {
        "de": "Ohne deine Bestätigung kann das Widget dich nicht anmelden. Öffne es noch einmal, um es erneut zu "
        "versuchen, oder schreib dem Bot im Chat „{prefix}web“.",
        "en": "Without your confirmation the widget cannot sign you in. Open it again to try once more, or write "
        "“{prefix}web” to the bot in chat.",
    },
    "page.widget_signing_in": {"de": "Anmelden …", "en": "Signing in …"},
    "page.widget_alone": {
        "de": "Diese Seite meldet dich in einem Widget eines Matrix-Raums an und funktioniert nur dort. Im Browser "
        "meldest du dich mit „{prefix}web“ im Chat an.",
        "en": "This page signs you in inside a Matrix room's widget and works only there. In the browser, sign in "
        "with “{prefix}web” in chat.",
    },
    "page.widget_timeout": {
        "de": "Der Chat hat nicht geantwortet. Lade das Widget neu; hilft das nicht, schreib dem Bot im Chat "
        "„{prefix}web“.",
        "en": "The chat did not answer. Reload the widget; if that does not help, write “{prefix}web” to the bot in "
        "chat.",
    },
    "page.widget_noscript": {
        "de": "Das Widget braucht JavaScript, um dich über den Chat anzumelden. Ohne: „{prefix}web“ im Chat.",
        "en": "The widget needs JavaScript to sign you in through the chat. Without it: “{prefix}web” in chat.",
    },
    "page.widget_open_browser": {"de": "Im Browser öffnen (neuer Tab)", "en": "Open in the browser (new tab)"},
    "page.widget_again": {"de": "Noch einmal versuchen", "en": "Try again"},
    "page.widget_off_title": {"de": "Kein Widget", "en": "No widget"},
    "page.widget_off": {
        "de": "Die Webseiten dürfen auf diesem Server nicht als Widget erscheinen. Im Browser: „{prefix}web“ im Chat.",
        "en": "The web pages may not be shown as a widget on this server. In the browser: “{prefix}web” in chat.",
    },
    "page.widget_refused_title": {"de": "Anmeldung abgelehnt", "en": "Sign-in refused"},
    "page.widget_refused": {
        "de": "Der Matrix-Server hat nicht bestätigt, wer du bist (der Nachweis ist ungültig oder abgelaufen). Lade "
        "das Widget neu.",
        "en": "The Matrix server did not confirm who you are (the proof is invalid or has expired). Reload the widget.",
    },
    "page.widget_other_server_title": {"de": "Anderer Matrix-Server", "en": "Another Matrix server"},
    "page.widget_other_server": {
        "de": "Das Widget meldet nur Konten von {server} an. Mit einem Konto eines anderen Servers schreib dem Bot im "
        "Chat „{prefix}web“.",
        "en": "The widget signs in accounts of {server} only. With an account on another server, write “{prefix}web” "
        "to the bot in chat.",
    },
    "page.widget_unavailable_title": {
        "de": "Der Matrix-Server antwortet nicht",
        "en": "The Matrix server does not answer",
    },
    "page.widget_unavailable": {
        "de": "Der Matrix-Server konnte gerade nicht bestätigen, wer du bist. Bitte versuche es in ein paar Minuten "
        "noch einmal.",
        "en": "The Matrix server could not confirm who you are just now. Please try again in a few minutes.",
    },
    "page.widget_no_rooms_title": {"de": "Noch kein gemeinsamer Raum", "en": "No shared room yet"},
    "page.widget_no_rooms": {
        "de": "Die Seiten zeigen, was du in deinen Räumen mit dem Bot sehen darfst, und du teilst noch keinen mit "
        "ihm. Lade den Bot in einen Raum ein oder schreib ihm direkt.",
        "en": "The pages show what you may see in your rooms with the bot, and you share none with it yet. Invite the "
        "bot to a room or write to it directly.",
    },
    "page.widget_no_cookie_title": {
        "de": "Dein Browser lässt die Anmeldung im Widget nicht zu",
        "en": "Your browser does not allow signing in inside the widget",
    },
    "page.widget_no_cookie": {
        "de": "Er speichert in eingebetteten Seiten keine Cookies. Öffne die Seiten in einem eigenen Tab und melde "
        "dich dort mit „{prefix}web“ im Chat an.",
        "en": "It keeps no cookies in embedded pages. Open the pages in a tab of their own and sign in there with "
        "“{prefix}web” in chat.",
    },
}
