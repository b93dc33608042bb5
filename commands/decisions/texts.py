"""What the decision, minutes, action-item and export commands say, in German and English: `dec.*` the
decision log and its searches, `decq.*` a search the bot will not guess at (raised by `query`), `min.*` minutes,
`act.*` action items, `exp.*` and `rep.*` the export and the yearly report, `file.*` the files (`render`).

Numbers are shown one way per kind: "Beschluss #17" and "Aufgabe #3" are record numbers that commands take
(`!beschluss 17`, `!erledigt 3`), each counted on its own; "Info 2" is the place of an info in its minutes."""

from bot.i18n import Messages

MESSAGES: Messages = {
    "dec.usage": {
        "de": "So hältst du einen Beschluss fest: `{example_de}` – auch als Antwort auf die Nachricht, um die es geht.",
        "en": "This is how you log a decision: `{example_en}` – also as a reply to the message it is about.",
    },
    "dec.logged": {
        "de": "Beschluss #{id} festgehalten{group}. Zeigen: `{prefix}beschluss {id}`",
        "en": "Decision #{id} logged{group}. Show it: `{prefix}decision {id}`",
    },
    "dec.group": {"de": " (Gruppe {group})", "en": " (group {group})"},
    "dec.in_minutes": {"de": "Steht auch im Protokoll „{title}“.", "en": "Also in the minutes “{title}”."},
    "dec.forbidden_log": {
        "de": "Beschlüsse, Protokolle und Aufgaben hält hier nur die Koordination fest (`[decisions].who_may_log`).",
        "en": "Only coordinators log decisions, minutes and action items here (`[decisions].who_may_log`).",
    },
    "dec.too_many_tags": {
        "de": {
            "one": "Das ist {count} Schlagwort; höchstens {limit} gehen, z. B. `#eAkte #Vergabe`.",
            "other": "Das sind {count} Schlagworte; höchstens {limit} gehen, z. B. `#eAkte #Vergabe`.",
        },
        "en": {
            "one": "That is {count} tag; at most {limit} work, e.g. `#eAkte #Vergabe`.",
            "other": "That is {count} tags; at most {limit} work, e.g. `#eAkte #Vergabe`.",
        },
    },
    "dec.too_long": {
        "de": "Das ist zu lang: höchstens {limit} Zeichen. Fass den Beschluss kürzer und antworte damit auf "
        "die ausführliche Nachricht – die speichere ich mit.",
        "en": "That is too long: at most {limit} characters. Summarise it and reply to the detailed message – "
        "I keep that one too.",
    },
    "dec.not_found": {
        "de": "Einen Beschluss #{id} gibt es nicht. Suchen: `{prefix}beschluesse <Begriff>`",
        "en": "There is no decision #{id}. Search: `{prefix}decisions <term>`",
    },
    "dec.other_group": {
        "de": "Beschluss #{id} gehört zu einer anderen Gruppe; den zeigt dir die Koordination.",
        "en": "Decision #{id} belongs to another group; the coordinators can show it to you.",
    },
    "dec.show": {
        "de": "**Beschluss #{id}** ({status}) · {when} · {group} · {author}\n\n{text}",
        "en": "**Decision #{id}** ({status}) · {when} · {group} · {author}\n\n{text}",
    },
    "dec.status.active": {"de": "gültig", "en": "in force"},
    "dec.status.superseded": {"de": "ersetzt", "en": "superseded"},
    "dec.status.revoked": {"de": "aufgehoben", "en": "revoked"},
    "dec.no_group": {"de": "ohne Gruppe", "en": "no group"},
    "dec.tags": {"de": "Schlagworte: {tags}", "en": "Tags: {tags}"},
    "dec.context": {"de": "Bezieht sich auf {sender}: „{text}“", "en": "Refers to {sender}: “{text}”"},
    "dec.context.edited": {
        "de": "(die Nachricht wurde danach bearbeitet; hier steht der Stand beim Beschluss)",
        "en": "(the message was edited afterwards; this is how it read at the time)",
    },
    "dec.context.redacted": {
        "de": "(die Nachricht wurde im Chat gelöscht; der Beschluss behält seine Kopie)",
        "en": "(the message was deleted in the chat; the decision keeps its copy)",
    },
    "dec.superseded_by": {"de": "Ersetzt durch #{id}.", "en": "Superseded by #{id}."},
    "dec.supersedes": {"de": "Ersetzt #{id}.", "en": "Supersedes #{id}."},
    "dec.revoked_because": {"de": "Aufgehoben: {reason}", "en": "Revoked: {reason}"},
    "dec.link": {"de": "[Im Chat ansehen]({link})", "en": "[See it in the chat]({link})"},
    "dec.history": {"de": "Verlauf:", "en": "History:"},
    "dec.audit.created": {"de": "festgehalten", "en": "logged"},
    "dec.audit.superseded": {"de": "ersetzt", "en": "superseded"},
    "dec.audit.supersedes": {"de": "ersetzt einen älteren", "en": "supersedes an older one"},
    "dec.audit.revoked": {"de": "aufgehoben", "en": "revoked"},
    "dec.audit.context_edited": {"de": "Quellnachricht bearbeitet", "en": "source message edited"},
    "dec.audit.context_redacted": {"de": "Quellnachricht gelöscht", "en": "source message deleted"},
    "dec.not_active": {
        "de": "Beschluss #{id} ist schon {status}; ändern lässt sich nur ein gültiger. {hint}",
        "en": "Decision #{id} is already {status}; only one in force can be changed. {hint}",
    },
    "dec.see_successor": {"de": "Der aktuelle ist #{id}.", "en": "The current one is #{id}."},
    "dec.need_text": {
        "de": "Was gilt stattdessen? `{prefix}beschluss ersetzen {id} <neuer Text>`",
        "en": "What holds instead? `{prefix}decision supersede {id} <new text>`",
    },
    "dec.need_reason": {
        "de": "Warum wird er aufgehoben? `{prefix}beschluss aufheben {id} <Grund>`",
        "en": "Why is it revoked? `{prefix}decision revoke {id} <reason>`",
    },
    "dec.superseded": {
        "de": "Beschluss #{new} ersetzt #{old}; #{old} bleibt im Log, als ersetzt markiert.",
        "en": "Decision #{new} supersedes #{old}; #{old} stays in the log, marked as superseded.",
    },
    "dec.revoked": {
        "de": "Beschluss #{id} ist aufgehoben; er bleibt im Log, mit Grund.",
        "en": "Decision #{id} is revoked; it stays in the log, with the reason.",
    },
    # Queries
    "dec.results": {
        "de": {"one": "**{count} Beschluss** – {query}", "other": "**{count} Beschlüsse** – {query}"},
        "en": {"one": "**{count} decision** – {query}", "other": "**{count} decisions** – {query}"},
    },
    "dec.results_many": {
        "de": {
            "one": "**Mehr als {count} Beschluss** – {query}; die neuesten zuerst. Mit weiteren Wörtern, `gruppe:` "
            "oder `seit:` grenzt du die Suche ein.",
            "other": "**Mehr als {count} Beschlüsse** – {query}; die neuesten zuerst. Mit weiteren Wörtern, "
            "`gruppe:` oder `seit:` grenzt du die Suche ein.",
        },
        "en": {
            "one": "**More than {count} decision** – {query}; newest first. Narrow it down with more words, "
            "`group:` or `since:`.",
            "other": "**More than {count} decisions** – {query}; newest first. Narrow it down with more words, "
            "`group:` or `since:`.",
        },
    },
    "dec.none": {
        "de": "Keine Beschlüsse gefunden ({query}).",
        "en": "No decisions found ({query}).",
    },
    "dec.hidden": {
        "de": {
            "one": "{count} weiterer ist ersetzt oder aufgehoben: mit `status:alle` siehst du auch den.",
            "other": "{count} weitere sind ersetzt oder aufgehoben: mit `status:alle` siehst du auch die.",
        },
        "en": {
            "one": "{count} more is superseded or revoked: add `status:all` to see it.",
            "other": "{count} more are superseded or revoked: add `status:all` to see them.",
        },
    },
    "dec.hidden_many": {
        "de": "Weitere sind ersetzt oder aufgehoben: mit `status:alle` siehst du auch die.",
        "en": "More are superseded or revoked: add `status:all` to see them.",
    },
    "dec.next_page": {"de": "Weiter: `{command} seite:{page}`", "en": "Next: `{command} page:{page}`"},
    "dec.scope_room": {"de": "dieser Raum", "en": "this room"},
    "dec.scope_group": {"de": "Gruppe {group}", "en": "group {group}"},
    "dec.scope_all": {"de": "alle Gruppen", "en": "all groups"},
    "dec.cross_group": {
        "de": "Gruppenübergreifend suchen darf die Koordination (in ihrem Raum oder per Direktnachricht). "
        "Hier geht es um die Gruppe {group}.",
        "en": "Searching across groups is for the coordinators (in their room or a direct message). "
        "This room is about the group {group}.",
    },
    "dec.bad_page": {"de": "„{page}“ ist keine Seitenzahl.", "en": "“{page}” is not a page number."},
    # Searches the bot will not guess at (commands.decisions.query): the filter's name and its examples differ by
    # language, so they come as parameters; the person's words are escaped, examples are code.
    "decq.unknown_key": {
        "de": "„{written}:“ kenne ich nicht. Möglich sind gruppe:, seit:, bis:, von:, status: und #Schlagwort, "
        "z. B. `gruppe:Sensorik seit:1.1.2026`. Suchst du den Text? Dann in Anführungszeichen: {literal}.",
        "en": "I don't know “{written}:”. Possible are group:, since:, until:, from:, status: and #tag, "
        "e.g. `group:Sensorik since:1.1.2026`. Looking for the text? Then put it in quotes: {literal}.",
    },
    "decq.unknown_key_close": {
        "de": "„{written}:“ kenne ich nicht – meintest du {close}? Möglich sind gruppe:, seit:, bis:, von:, status: "
        "und #Schlagwort, z. B. `gruppe:Sensorik seit:1.1.2026`.",
        "en": "I don't know “{written}:” – did you mean {close}? Possible are group:, since:, until:, from:, status: "
        "and #tag, e.g. `group:Sensorik since:1.1.2026`.",
    },
    "decq.missing_value": {
        "de": "Nach „{name}:“ fehlt der Wert, z. B. {example}.",
        "en": "“{name}:” needs a value, e.g. {example}.",
    },
    "decq.twice": {
        "de": "„{name}:“ geht nur einmal pro Suche, z. B. {example}.",
        "en": "“{name}:” works only once per search, e.g. {example}.",
    },
    "decq.group_ambiguous": {
        "de": "„gruppe:{value}“ passt auf mehrere Gruppen: {groups}. Schreib mehr vom Namen, z. B. {example}.",
        "en": "“group:{value}” fits several groups: {groups}. Write more of the name, e.g. {example}.",
    },
    "decq.group_ambiguous_quoted": {
        "de": "„gruppe:{value}“ passt auf mehrere Gruppen: {groups}. Schreib mehr vom Namen, "
        "z. B. {example} oder {quoted}.",
        "en": "“group:{value}” fits several groups: {groups}. Write more of the name, e.g. {example} or {quoted}.",
    },
    "decq.unknown_group": {
        "de": "Die Gruppe „{value}“ kenne ich nicht. Möglich: {groups}. "
        'Namen mit Leerzeichen in Anführungszeichen: `gruppe:"Recht und Datenschutz"`.',
        "en": "I don't know the group “{value}”. Possible: {groups}. "
        'Put names with spaces in quotes: `group:"Recht und Datenschutz"`.',
    },
    "decq.unknown_group_close": {
        "de": "Die Gruppe „{value}“ kenne ich nicht. Meintest du {close}? Möglich: {groups}. "
        'Namen mit Leerzeichen in Anführungszeichen: `gruppe:"Recht und Datenschutz"`.',
        "en": "I don't know the group “{value}”. Did you mean {close}? Possible: {groups}. "
        'Put names with spaces in quotes: `group:"Recht und Datenschutz"`.',
    },
    "decq.unknown_status": {
        "de": "„status:{value}“ kenne ich nicht. Möglich: aktiv (Vorgabe: gilt noch), ersetzt, aufgehoben, alle – "
        "z. B. `status:alle`.",
        "en": "I don't know “status:{value}”. Possible: active (default: still in force), superseded, revoked, all – "
        "e.g. `status:all`.",
    },
    "decq.not_a_user": {
        "de": "„von:{value}“ ist keine Matrix-ID. Schreib z. B. `von:@anna:example.org` oder erwähne die Person "
        "nach `von:`.",
        "en": "“from:{value}” is not a Matrix id. Write e.g. `from:@anna:example.org` or mention the person after "
        "`from:`.",
    },
    "decq.too_many_words": {
        "de": {
            "one": "Das ist {count} Suchwort; höchstens {limit} gehen, und jedes muss vorkommen. Nimm die "
            "wichtigsten, z. B. `XRechnung Pflicht`.",
            "other": "Das sind {count} Suchwörter; höchstens {limit} gehen, und jedes muss vorkommen. Nimm die "
            "wichtigsten, z. B. `XRechnung Pflicht`.",
        },
        "en": {
            "one": "That is {count} search word; at most {limit} fit, and each must occur. Keep the important ones, "
            "e.g. `XRechnung duty`.",
            "other": "That is {count} search words; at most {limit} fit, and each must occur. Keep the important "
            "ones, e.g. `XRechnung duty`.",
        },
    },
    "decq.bad_date": {
        "de": "„{name}:{value}“ verstehe ich nicht als Datum. Schreib z. B. {example}.",
        "en": "I don't understand “{name}:{value}” as a date. Write e.g. {example}.",
    },
    "decq.since_future": {
        "de": "„seit:{value}“ ist der {day} und liegt in der Zukunft – von dort gibt es noch keine Beschlüsse. "
        "Schreib z. B. {example}.",
        "en": "“since:{value}” is {day}, in the future – there are no decisions from then yet. Write e.g. {example}.",
    },
    "decq.since_after_until": {
        "de": "„seit:“ ({since}) liegt nach „bis:“ ({until}). Der Anfang kommt zuerst, "
        "z. B. `seit:1.1.2026 bis:31.3.2026`.",
        "en": "“since:” ({since}) is after “until:” ({until}). The start comes first, "
        "e.g. `since:1.1.2026 until:31.3.2026`.",
    },
    # Minutes
    "min.started": {
        "de": "Protokoll „{title}“ läuft. Festhalten mit `{prefix}info …`, `{prefix}beschluss …`, "
        "`{prefix}aufgabe @wer [bis Datum] …`; `{prefix}rueckgaengig` nimmt den letzten Punkt zurück; "
        "`{prefix}sitzung ende` beendet es.",
        "en": "Minutes “{title}” are running. Add `{prefix}info …`, `{prefix}decision …`, "
        "`{prefix}action @who [by date] …`; `{prefix}undo` takes back the last item; `{prefix}minutes end` ends them.",
    },
    "min.already": {
        "de": "Hier läuft schon ein Protokoll: „{title}“, begonnen {when} von {who}. Erst `{prefix}sitzung ende`.",
        "en": "Minutes are already running here: “{title}”, started {when} by {who}. First `{prefix}minutes end`.",
    },
    "min.none": {
        "de": "Hier läuft gerade kein Protokoll. Starten: `{prefix}sitzung start Jour fixe`",
        "en": "No minutes are running here. Start: `{prefix}minutes start jour fixe`",
    },
    "min.status": {
        "de": "Protokoll „{title}“ läuft seit {when}: {items}.",
        "en": "Minutes “{title}” running since {when}: {items}.",
    },
    "min.status_empty": {
        "de": "Protokoll „{title}“ läuft seit {when}; noch ist nichts notiert.",
        "en": "Minutes “{title}” running since {when}; nothing noted yet.",
    },
    "min.count.info": {
        "de": {"one": "{count} Info", "other": "{count} Infos"},
        "en": {"one": "{count} info item", "other": "{count} info items"},
    },
    "min.count.decision": {
        "de": {"one": "{count} Beschluss", "other": "{count} Beschlüsse"},
        "en": {"one": "{count} decision", "other": "{count} decisions"},
    },
    "min.count.action": {
        "de": {"one": "{count} Aufgabe", "other": "{count} Aufgaben"},
        "en": {"one": "{count} action item", "other": "{count} action items"},
    },
    "min.default_title": {"de": "Sitzung vom {day}", "en": "Meeting of {day}"},
    "min.noted": {
        "de": "Notiert: Info {number} im Protokoll „{title}“.",
        "en": "Noted: info item {number} in the minutes “{title}”.",
    },
    "min.undone": {
        "de": "Zurückgenommen: {what} „{text}“.{extra}",
        "en": "Taken back: {what} “{text}”.{extra}",
    },
    "min.undone.info": {"de": "Info", "en": "info item"},
    "min.undone.decision": {"de": "Beschluss #{number}", "en": "decision #{number}"},
    "min.undone.action": {"de": "Aufgabe #{number}", "en": "action item #{number}"},
    "min.undone_decision": {
        "de": " Beschluss #{id} ist damit aufgehoben (er bleibt im Log).",
        "en": " Decision #{id} is revoked with it (it stays in the log).",
    },
    "min.nothing_to_undo": {"de": "Im Protokoll steht noch nichts.", "en": "The minutes are still empty."},
    "min.ended": {
        "de": "Protokoll beendet; hier ist es auch als Datei.",
        "en": "Minutes ended; here they are as a file too.",
    },
    "min.need_text": {
        "de": "Was soll ins Protokoll? z. B. `{prefix}{command} Haushalt ist freigegeben`",
        "en": "What goes into the minutes? e.g. `{prefix}{command} budget approved`",
    },
    # Action items
    "act.usage": {
        "de": "So geht's: `{prefix}aufgabe @maria:example.org bis 10.12. Angebot einholen`",
        "en": "Like this: `{prefix}action @maria:example.org by 10.12. get a quote`",
    },
    "act.added": {
        "de": "Aufgabe #{number} für {owner}{due}: {text}{reminder}",
        "en": "Action item #{number} for {owner}{due}: {text}{reminder}",
    },
    "act.due": {"de": " bis {day}", "en": " by {day}"},
    "act.reminder": {
        "de": " – am Fälligkeitstag erinnere ich per Direktnachricht.",
        "en": " – I'll remind them by direct message on the due date.",
    },
    "act.past": {
        "de": "„{day}“ liegt in der Vergangenheit; eine Aufgabe braucht ein künftiges Datum.",
        "en": "“{day}” is in the past; an action item needs a future date.",
    },
    "act.list": {"de": "**Offene Aufgaben**{scope}", "en": "**Open action items**{scope}"},
    "act.none": {"de": "Keine offenen Aufgaben{scope}. 🎉", "en": "No open action items{scope}. 🎉"},
    "act.line": {"de": "**#{number}** {text} – {owner}{due}", "en": "**#{number}** {text} – {owner}{due}"},
    "act.done": {"de": "Aufgabe #{number} ist erledigt. Danke!", "en": "Action item #{number} is done. Thank you!"},
    "act.already_done": {
        "de": "Aufgabe #{number} war schon erledigt.",
        "en": "Action item #{number} was already done.",
    },
    "act.not_found": {
        "de": "Eine offene Aufgabe #{number} gibt es nicht. Offene Aufgaben: `{prefix}aufgaben`",
        "en": "There is no open action item #{number}. Open ones: `{prefix}actions`",
    },
    "act.remind": {
        "de": "⏰ Heute fällig – Aufgabe #{number}: {text}{group}",
        "en": "⏰ Due today – action item #{number}: {text}{group}",
    },
    # Export and report
    "exp.usage": {
        "de": "So geht's: `{prefix}export beschluesse csv` oder `{prefix}export beschluesse md eAkte 2026`",
        "en": "Like this: `{prefix}export decisions csv` or `{prefix}export decisions md eAkte 2026`",
    },
    "exp.done": {
        "de": {"one": "{count} Beschluss als {kind}-Datei.", "other": "{count} Beschlüsse als {kind}-Datei."},
        "en": {"one": "{count} decision as a {kind} file.", "other": "{count} decisions as a {kind} file."},
    },
    "exp.title": {"de": "Beschlüsse – {scope}", "en": "Decisions – {scope}"},
    "exp.title_all": {"de": "Beschlüsse", "en": "Decisions"},
    "rep.forbidden": {
        "de": "Den Jahresbericht über alle Gruppen erstellt die Koordination; in einem Gruppenraum gibt es "
        "den Bericht der Gruppe.",
        "en": "The yearly report across all groups is for the coordinators; a group room gets its group's report.",
    },
    "rep.done": {
        "de": "Jahresbericht {year}{scope}: {counts}. Die Datei hängt an.",
        "en": "Yearly report {year}{scope}: {counts}. The file is attached.",
    },
    "rep.done_empty": {
        "de": "Jahresbericht {year}{scope}: keine Beschlüsse, Termine, Protokolle oder offenen Aufgaben. Die Datei "
        "hängt an.",
        "en": "Yearly report {year}{scope}: no decisions, meetings, minutes or open action items. The file is "
        "attached.",
    },
    "rep.count.decisions": {
        "de": {"one": "{count} Beschluss", "other": "{count} Beschlüsse"},
        "en": {"one": "{count} decision", "other": "{count} decisions"},
    },
    "rep.count.meetings": {
        "de": {"one": "{count} Termin", "other": "{count} Termine"},
        "en": {"one": "{count} meeting", "other": "{count} meetings"},
    },
    "rep.count.minutes": {
        "de": {"one": "{count} Protokoll", "other": "{count} Protokolle"},
        "en": {"one": "{count} set of minutes", "other": "{count} sets of minutes"},
    },
    "rep.count.actions": {
        "de": {"one": "{count} offene Aufgabe", "other": "{count} offene Aufgaben"},
        "en": {"one": "{count} open action item", "other": "{count} open action items"},
    },
    "rep.network": {"de": "Netzwerk (ohne Gruppe)", "en": "Network (no group)"},
    "rep.balance": {"de": "Vertretungsbilanz", "en": "Substitution balance"},
    "rep.asked": {"de": "Meistgefragte Themen bei Wer weiß was", "en": "Most-asked topics in who knows what"},
    # The chart of decisions per group and month (`!jahresbericht`, the report page)
    "rep.chart.title": {"de": "Beschlüsse pro Gruppe und Monat {year}", "en": "Decisions per group and month {year}"},
    "rep.chart.axis": {"de": "Beschlüsse", "en": "Decisions"},
    "rep.chart.alt": {
        "de": "Balkendiagramme: Beschlüsse {year} pro Monat, eines je Gruppe. {details}",
        "en": "Bar charts: decisions {year} per month, one per group. {details}",
    },
    "rep.chart.alt_group": {
        "de": {"one": "{group}: {count} Beschluss", "other": "{group}: {count} Beschlüsse"},
        "en": {"one": "{group}: {count} decision", "other": "{group}: {count} decisions"},
    },
    "rep.chart.none": {"de": "Keine Beschlüsse.", "en": "No decisions."},
    "rep.chart.file": {"de": "beschluesse-{year}.png", "en": "decisions-{year}.png"},
    # The report's web page (`/bericht`)
    "page.report": {"de": "Jahresbericht", "en": "Yearly report"},
    "page.report_title": {"de": "Jahresbericht {year}", "en": "Yearly report {year}"},
    "page.report_year": {"de": "Jahr", "en": "Year"},
    "page.report_show": {"de": "Anzeigen", "en": "Show"},
    "page.report_print": {"de": "Druckansicht (auch als PDF speichern)", "en": "Print view (also to save as PDF)"},
    "page.report_print_hint": {
        "de": "Drucken oder als PDF speichern: Strg+P (Mac: ⌘+P). Diese Ansicht ist für A4 gemacht.",
        "en": "Print or save as PDF: Ctrl+P (Mac: ⌘+P). This view is made for A4.",
    },
    "page.report_back": {"de": "Zurück zum Jahresbericht", "en": "Back to the yearly report"},
    "page.report_bad_year": {"de": "Kein Jahr", "en": "Not a year"},
    "page.report_scope_all": {
        "de": "Du siehst als Koordination alle Gruppen und den Netzwerkraum, wie „{prefix}jahresbericht“ im "
        "Netzwerkraum.",
        "en": "As a coordinator you see every group and the network room, as “{prefix}annualreport” in the network "
        "room.",
    },
    "page.report_scope_groups": {
        "de": "Beschlüsse der Gruppen deiner Räume, wie „{prefix}jahresbericht“ dort; die Vertretungsbilanz des "
        "ganzen Netzwerks, wie „{prefix}bilanz“.",
        "en": "Decisions of your rooms' groups, as “{prefix}annualreport” there; the whole network's substitution "
        "balance, as “{prefix}balance”.",
    },
    "page.report_scope_none": {
        "de": "Du bist in keinem Gruppenraum, deshalb gibt es hier keine Beschlüsse; die Vertretungsbilanz des ganzen "
        "Netzwerks siehst du wie mit „{prefix}bilanz“.",
        "en": "You are in no group room, so there are no decisions here; the whole network's substitution balance is "
        "shown as with “{prefix}balance”.",
    },
    "page.report_chart_alt": {
        "de": "{title}, als Diagramm. Die Zahlen stehen in der Tabelle darunter.",
        "en": "{title}, as a chart. The numbers are in the table below.",
    },
    "page.report_no_balance": {
        "de": "{year} gab es noch keine erledigte Vertretung zwischen Städten.",
        "en": "No substitution between cities was completed in {year} yet.",
    },
    "page.report_no_decisions": {
        "de": "{year} gibt es in deinen Gruppen keine Beschlüsse.",
        "en": "No decisions in your groups in {year}.",
    },
    "page.report_city": {"de": "Stadt", "en": "City"},
    "page.report_group": {"de": "Gruppe", "en": "Group"},
    "page.report_total": {"de": "Summe", "en": "Total"},
    "page.report_balance_caption": {
        "de": "Vertretungsbilanz {year}: erledigte Vertretungen zwischen Städten",
        "en": "Substitution balance {year}: completed substitutions between cities",
    },
    "page.report_months_caption": {
        "de": "Beschlüsse {year} pro Gruppe und Monat",
        "en": "Decisions {year} per group and month",
    },
    # The files (`render`): read in an editor as often as rendered, so they name people in full and dates plainly.
    "file.no_group": {"de": "Ohne Gruppe", "en": "No group"},
    "file.no_decisions": {"de": "Keine Beschlüsse gefunden.", "en": "No decisions found."},
    "file.superseded_by": {"de": "ersetzt durch #{id}", "en": "superseded by #{id}"},
    "file.note": {"de": "Hinweis", "en": "Note"},
    "file.link": {"de": "Nachricht", "en": "message"},
    "file.minutes": {"de": "Protokoll: {title}", "en": "Minutes: {title}"},
    "file.group": {"de": "Gruppe {group}", "en": "Group {group}"},
    "file.participants": {"de": "Teilnehmende: {people}", "en": "Participants: {people}"},
    "file.infos": {"de": "Infos", "en": "Information"},
    "file.decisions": {"de": "Beschlüsse", "en": "Decisions"},
    "file.actions": {"de": "Aufgaben", "en": "Action items"},
    "file.owner": {"de": "zuständig: {person}", "en": "owner: {person}"},
    "file.due": {"de": "bis {day}", "en": "due {day}"},
    "file.no_entries": {"de": "Keine Einträge.", "en": "No entries."},
    "file.span": {"de": "{day}, {start}–{end} Uhr", "en": "{day}, {start}–{end}"},
    "file.span_running": {"de": "{day}, ab {start} Uhr (läuft noch)", "en": "{day}, from {start} (still running)"},
    "file.report": {"de": "Jahresbericht {year}", "en": "Yearly report {year}"},
    "file.overview": {"de": "Überblick", "en": "Overview"},
    "file.column.group": {"de": "Gruppe", "en": "Group"},
    "file.column.decisions": {"de": "Beschlüsse", "en": "Decisions"},
    "file.column.meetings": {"de": "Termine", "en": "Meetings"},
    "file.column.minutes": {"de": "Protokolle", "en": "Minutes"},
    "file.column.actions": {"de": "Offene Aufgaben", "en": "Open action items"},
    "file.total": {"de": "Summe", "en": "Total"},
    "file.nothing": {
        "de": "Im Jahr {year} ist nichts festgehalten: keine Beschlüsse, Termine, Protokolle oder offenen Aufgaben.",
        "en": "Nothing recorded in {year}: no decisions, meetings, minutes or open action items.",
    },
    "file.quiet": {
        "de": "Ohne Einträge im Jahr {year}: {groups}.",
        "en": "Nothing recorded in {year}: {groups}.",
    },
    "file.section": {"de": "{title} ({count})", "en": "{title} ({count})"},
    "file.section_decisions": {
        "de": "Beschlüsse ({count}, davon {statuses})",
        "en": "Decisions ({count}; {statuses})",
    },
    "file.status_count.superseded": {"de": "{count} ersetzt", "en": "{count} superseded"},
    "file.status_count.revoked": {"de": "{count} aufgehoben", "en": "{count} revoked"},
    "file.meeting": {"de": "{title}: {dates}", "en": "{title}: {dates}"},
}
