"""What the privacy commands say, German first. Table names in the readable export: `TABLE_LABELS`."""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import Messages

TABLE_LABELS: Mapping[str, tuple[str, str]] = {
    "user_settings": ("Einstellungen (Sprache, Zeitzone, Direktchat)", "Settings (language, time zone, direct chat)"),
    "profiles": ("Profil", "Profile"),
    "profile_groups": ("Profil: Gruppen", "Profile: groups"),
    "profile_topics": ("Profil: Themen", "Profile: topics"),
    "topic_activity": ("Themen aus Beschlüssen und Vertretungen", "Topics from decisions and substitutions"),
    "saved_queries": ("Letzte Suche (für !mehr)", "Last search (for !more)"),
    "meetings": ("Termine, die du eingetragen hast", "Meetings you added"),
    "personal_reminders": ("Persönliche Erinnerungen", "Personal reminders"),
    "calendar_feeds": (
        "Kalender-Abos (ohne die geheime Adresse)",
        "Calendar subscriptions (without the secret address)",
    ),
    "web_links": (
        "Anmelde-Links für die Webseiten (ohne den Link)",
        "Sign-in links for the web pages (without the link)",
    ),
    "web_sessions": ("Anmeldungen auf den Webseiten", "Sign-ins to the web pages"),
    "substitution_requests": ("Deine Vertretungsanfragen", "Your substitution requests"),
    "substitution_offers": ("Deine Vertretungsangebote", "Your substitution offers"),
    "substitution_history": ("Verlauf von Vertretungen (deine Schritte)", "Substitution history (your steps)"),
    "minutes_sessions": ("Protokolle, die du gestartet hast", "Minutes you started"),
    "decisions": ("Beschlüsse (von dir, dich zitierend oder nennend)", "Decisions (yours, quoting or naming you)"),
    "decision_audit": ("Verlauf von Beschlüssen (deine Schritte)", "Decision history (your steps)"),
    "minutes_items": ("Protokolleinträge und Aufgaben", "Minutes entries and action items"),
    "outbox": ("Nachrichten an dich, die noch gespeichert sind", "Messages to you still stored"),
}
"""How the readable export names each table that can hold a person (storage.privacy.PERSON_COLUMNS)."""

MESSAGES: Messages = {
    "privacy.mydata.sent": {
        "de": "Ich habe dir alles, was ich über dich gespeichert habe, per Direktnachricht geschickt "
        "(verschlüsselt, als JSON- und Markdown-Datei).",
        "en": "I sent you everything I store about you by direct message (encrypted, as a JSON and a Markdown file).",
    },
    "privacy.mydata.dm": {
        "de": {
            "one": "Hier ist alles, was ich über dich gespeichert habe: {count} Eintrag. "
            "Löschen: `{prefix}vergissmich`",
            "other": "Hier ist alles, was ich über dich gespeichert habe: {count} Einträge. "
            "Löschen: `{prefix}vergissmich`",
        },
        "en": {
            "one": "Here is everything I store about you: {count} record. To delete it: `{prefix}forgetme`",
            "other": "Here is everything I store about you: {count} records. To delete it: `{prefix}forgetme`",
        },
    },
    "privacy.export.title": {"de": "# Meine Daten bei redi-bot", "en": "# My data at redi-bot"},
    "privacy.export.intro": {
        "de": "Matrix-Konto: {user}. Stand: {at}. Die JSON-Datei enthält dasselbe vollständig, für Programme.",
        "en": "Matrix account: {user}. As of: {at}. The JSON file holds the same in full, for programs.",
    },
    "privacy.export.table": {
        "de": {"one": "## {label} ({count} Eintrag)", "other": "## {label} ({count} Einträge)"},
        "en": {"one": "## {label} ({count} record)", "other": "## {label} ({count} records)"},
    },
    "privacy.export.nothing": {
        "de": "Über dich ist nichts gespeichert.",
        "en": "Nothing is stored about you.",
    },
    "privacy.forget.preview": {
        "de": "**Das passiert, wenn du bestätigst:**\n"
        "• Gelöscht werden: dein Profil, deine Einstellungen, deine persönlichen Erinnerungen ({reminders}), "
        "deine letzte Suche, der Direktchat-Eintrag und deine Angebote auf offene Vertretungen ({offers}; "
        "die Anfragenden erfahren, dass jemand zurückgezogen hat). Deine offenen Vertretungsanfragen ({requests}) "
        "werden abgesagt.\n"
        "• Behalten werden die Aufzeichnungen der Gruppen – Beschlüsse, Protokolle, Aufgaben, abgeschlossene "
        "Vertretungen (für die Bilanz) und Termine –, aber dort heißt du dann „ehemaliges Mitglied“ statt "
        "{user}.\n"
        "• Das lässt sich nicht rückgängig machen. Koordinator:innen sehen nur, dass jemand gelöscht wurde.\n\n"
        "Bestätigen (gilt {minutes} Minuten): `{prefix}vergissmich {code}`",
        "en": "**This happens when you confirm:**\n"
        "• Deleted: your profile, your settings, your personal reminders ({reminders}), your last search, the "
        "direct chat record and your offers on open substitution requests ({offers}; the requesters are told "
        "that someone withdrew). Your open substitution requests ({requests}) are cancelled.\n"
        "• Kept: the groups' records – decisions, minutes, action items, finished substitutions (for the "
        "balance) and meetings – but there you become “ehemaliges Mitglied” (former member) instead of {user}.\n"
        "• This cannot be undone. Coordinators only see that someone was deleted.\n\n"
        "To confirm (valid for {minutes} minutes): `{prefix}forgetme {code}`",
    },
    "privacy.forget.in_direct": {
        "de": "Das klären wir unter vier Augen: Ich habe dir eine Direktnachricht geschrieben. Bestätige bitte dort.",
        "en": "Let's do this in private: I sent you a direct message. Please confirm there.",
    },
    "privacy.forget.bad_code": {
        "de": "Der Code {code} stimmt nicht oder ist abgelaufen. Einen neuen bekommst du mit `{prefix}vergissmich`.",
        "en": "The code {code} is wrong or expired. `{prefix}forgetme` gives you a new one.",
    },
    "privacy.forget.done": {
        "de": "Erledigt: Ich habe deine Daten gelöscht ({deleted}). In den Aufzeichnungen der Gruppen heißt du jetzt "
        "„{pseudonym}“. Wenn du mir wieder schreibst, fange ich neu an.",
        "en": "Done: I deleted your data ({deleted}). In the groups' records you are now “{pseudonym}”. "
        "If you write to me again, I start afresh.",
    },
    "privacy.forget.deleted": {
        "de": {"one": "{count} Eintrag", "other": "{count} Einträge"},
        "en": {"one": "{count} record", "other": "{count} records"},
    },
    "privacy.forget.withdrawn": {
        "de": "Jemand hat das Angebot für deine Vertretung #{id} zurückgezogen (die Person hat ihre Daten beim Bot "
        "löschen lassen).",
        "en": "Someone withdrew their offer for your substitution request #{id} (they had their data deleted).",
    },
    "privacy.forget.reopened": {
        "de": "Die Vertretung #{id} ist damit wieder offen.",
        "en": "Substitution request #{id} is open again.",
    },
    "privacy.forget.coordinators": {
        "de": "Datenschutz: Eine Person hat ihre Daten beim Bot löschen lassen. In den Aufzeichnungen heißt sie "
        "„{pseudonym}“.",
        "en": "Data protection: someone had their data deleted. In the records they are “{pseudonym}”.",
    },
    "privacy.days": {
        "de": {"one": "{count} Tag", "other": "{count} Tage"},
        "en": {"one": "{count} day", "other": "{count} days"},
    },
    "privacy.notice.title": {
        "de": "**Datenschutz: was ich über Personen speichere, wozu und wie lange**",
        "en": "**Privacy: what I store about people, why, and for how long**",
    },
    "privacy.notice.intro": {
        "de": "Ich lese nur Nachrichten, die mit `{prefix}` beginnen (Befehle), und speichere keine anderen "
        "Chatnachrichten. Gespeichert wird:",
        "en": "I only read messages that start with `{prefix}` (commands) and store no other chat messages. I store:",
    },
    "privacy.notice.profile": {
        "de": "• **Profil** (Name, Stadt, Gruppen, Themen, Notiz, ob du erwähnt werden möchtest): freiwillig, damit "
        "Kolleg:innen finden, wer sich auskennt. Bis du es löschst (`{prefix}profil löschen`). "
        "Themen deiner Beschlüsse und übernommenen Vertretungen zählen {activity} lang für `{prefix}werweiss`.",
        "en": "• **Profile** (name, city, groups, topics, note, whether you want to be mentioned): voluntary, so "
        "colleagues find who knows what. Until you delete it (`{prefix}profile delete`). "
        "Topics of decisions you logged and substitutions you took over count for `{prefix}whoknows` for {activity}.",
    },
    "privacy.notice.settings": {
        "de": "• **Einstellungen** (Sprache, Zeitzone, Direktchat mit dir): damit ich dir richtig antworte. "
        "Bis `{prefix}vergissmich`.",
        "en": "• **Settings** (language, time zone, the direct chat with you): to answer you right. "
        "Until `{prefix}forgetme`.",
    },
    "privacy.notice.meetings": {
        "de": "• **Termine** (wer sie eingetragen hat) und **persönliche Erinnerungen**: um zu erinnern. Termine "
        "bleiben, bis sie abgesagt werden; persönliche Erinnerungen {reminders} nach dem Fälligkeitstag. "
        "**Kalender-Abos** (für welchen Raum, wann zuletzt abgerufen; die geheime Adresse nur als Prüfsumme): bis du "
        "sie kündigst.",
        "en": "• **Meetings** (who added them) and **personal reminders**: to remind. Meetings are kept until "
        "cancelled; personal reminders {reminders} after they fell due. **Calendar subscriptions** (for which room, "
        "when last fetched; the secret address only as a checksum): until you revoke them.",
    },
    "privacy.notice.substitutions": {
        "de": "• **Vertretungen** (Anfrage, Angebote, Verlauf, Stadt): um Vertretungen zu vermitteln und die Bilanz "
        "zu zeigen. Freitext und Notizen abgeschlossener Vertretungen {substitutions} nach dem Abschluss; wer wen "
        "vertreten hat, bleibt für `{prefix}bilanz`.",
        "en": "• **Substitutions** (request, offers, history, city): to arrange them and to show the balance. Free "
        "text and notes of finished requests {substitutions} after they finished; who covered for whom stays for "
        "`{prefix}balance`.",
    },
    "privacy.notice.decisions": {
        "de": "• **Beschlüsse, Protokolle und Aufgaben** (wer sie eingetragen hat, eine zitierte Nachricht): das "
        "Gedächtnis des Netzwerks, {records}. Die zitierte Nachricht eines aufgehobenen Beschlusses {quotes} nach "
        "der Aufhebung.",
        "en": "• **Decisions, minutes and action items** (who logged them, a quoted message): the network's "
        "memory, {records}. The quoted message of a revoked decision {quotes} after the revocation.",
    },
    "privacy.records.kept": {"de": "dauerhaft", "en": "kept"},
    "privacy.records.deleted": {
        "de": "gelöscht {days} nach dem Eintragen",
        "en": "deleted {days} after they were logged",
    },
    "privacy.notice.technical": {
        "de": "• **Technisches**: Anmeldungen auf den Webseiten (`{prefix}web`), bis sie enden (höchstens 7 Tage); "
        "deine letzte Suche (für `{prefix}mehr`) {searches}; bearbeitete Befehle und "
        "meine Antworten (damit nach einem Absturz nichts doppelt passiert) {commands}; das Zustellprotokoll "
        "geplanter Nachrichten (ohne Namen) {ledger}; wie oft ein Thema gesucht wurde (ohne Namen) dauerhaft.",
        "en": "• **Technical**: sign-ins to the web pages (`{prefix}web`), until they end (7 days at most); "
        "your last search (for `{prefix}more`) {searches}; handled commands and my replies "
        "(so nothing happens twice after a crash) {commands}; the delivery log of scheduled messages (no names) "
        "{ledger}; how often a topic was searched (no names) kept.",
    },
    "privacy.notice.rights": {
        "de": "**Deine Rechte:** `{prefix}meinedaten` schickt dir alles, was über dich gespeichert ist "
        "(Art. 15 DSGVO); `{prefix}vergissmich` löscht es (Art. 17), in den Aufzeichnungen der Gruppen wirst du zu "
        "„ehemaliges Mitglied“. Anfragen per Brief bearbeitet die Administration (`redi-bot privacy export` / "
        "`forget`). Die Protokolldateien des Bots enthalten keine Nachrichteninhalte.",
        "en": "**Your rights:** `{prefix}mydata` sends you everything stored about you (GDPR Art. 15); "
        "`{prefix}forgetme` deletes it (Art. 17), in the groups' records you become “ehemaliges Mitglied” "
        "(former member). Requests by letter are handled by the admins (`redi-bot privacy export` / `forget`). "
        "The bot's log files contain no message content.",
    },
}
