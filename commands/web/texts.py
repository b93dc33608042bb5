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
}
