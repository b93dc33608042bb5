"""What the who-knows-what commands say, in German and English: `who.*` the search, `profile.*`, `topics.*`,
`city.*`, `groups.*`, `note.*` and `mentions.*` a person's profile, `import.*` the profile import."""

from bot.i18n import Messages

MESSAGES: Messages = {
    "who.heading": {
        "de": "**Wer kennt sich mit {query} aus?**{where}",
        "en": "**Who knows about {query}?**{where}",
    },
    "who.where_city": {"de": " (in {city})", "en": " (in {city})"},
    "who.where_not_city": {"de": " (nicht in {city})", "en": " (not in {city})"},
    "who.more": {
        "de": {
            "one": "Noch {count} weitere Person: `{prefix}mehr`",
            "other": "Noch {count} weitere Personen: `{prefix}mehr`",
        },
        "en": {"one": "{count} more person: `{prefix}more`", "other": "{count} more people: `{prefix}more`"},
    },
    "who.many_more": {
        "de": {
            "one": "Das ist mehr als {count} Person – grenz die Suche ein (z. B. `in Bühl`) oder blättere: "
            "`{prefix}mehr`",
            "other": "Das sind mehr als {count} Personen – grenz die Suche ein (z. B. `in Bühl`) oder blättere: "
            "`{prefix}mehr`",
        },
        "en": {
            "one": "That's more than {count} person – narrow it down (e.g. `in Bühl`) or page on: `{prefix}more`",
            "other": "That's more than {count} people – narrow it down (e.g. `in Bühl`) or page on: `{prefix}more`",
        },
    },
    "who.page": {"de": "Seite {page}", "en": "page {page}"},
    # Why a topic answers a question, one text per commands.expertise.matching.Reason (an exact match has none).
    "who.kind.synonym": {"de": "verwandter Begriff", "en": "related term"},
    "who.kind.stem": {"de": "andere Wortform", "en": "another form of the word"},
    "who.kind.compound": {"de": "Wortteil", "en": "part of the word"},
    "who.kind.part": {"de": "Teilbegriff", "en": "part of the term"},
    "who.kind.synonym_part": {"de": "über einen verwandten Begriff", "en": "through a related term"},
    "who.kind.fuzzy": {"de": "ähnlich geschrieben", "en": "similar spelling"},
    "who.source.decision": {"de": "aus Beschlüssen", "en": "from decisions"},
    "who.source.substitution": {"de": "hat dazu vertreten", "en": "stood in for it"},
    "who.nobody": {
        "de": "Zu {query}{where} habe ich niemanden gefunden.",
        "en": "I found nobody for {query}{where}.",
    },
    "who.related": {"de": "Vielleicht hilft: {topics}", "en": "Maybe try: {topics}"},
    "who.ask_network": {
        "de": "Du kannst auch im Netzwerk nachfragen: `{prefix}{command} …`",
        "en": "You can also ask the network: `{prefix}{command} …`",
    },
    "who.enter_yourself": {
        "de": "Kennst du dich selbst aus? {command}",
        "en": "Do you know about it yourself? {command}",
    },
    "who.no_own_city": {
        "de": "Dafür muss ich deine Stadt kennen: `{prefix}stadt <Stadt>`",
        "en": "For that I need to know your city: `{prefix}city <city>`",
    },
    "who.empty_query": {
        "de": "Wonach soll ich suchen? Zum Beispiel: `{prefix}werweiss XRechnung in Bühl`",
        "en": "What should I look for? For example: `{prefix}whoknows XRechnung in Bühl`",
    },
    "who.no_previous": {
        "de": "Es gibt keine Suche zum Weiterblättern. Frag zuerst: `{prefix}werweiss <Begriff>`",
        "en": "There is no search to page through. Ask first: `{prefix}whoknows <term>`",
    },
    "who.no_more": {
        "de": "Das waren alle Treffer für {query}.",
        "en": "Those were all matches for {query}.",
    },
    "topics.added": {"de": "Eingetragen: {topics}.", "en": "Added: {topics}."},
    "topics.already": {"de": "Schon in deinem Profil: {topics}.", "en": "Already in your profile: {topics}."},
    "topics.removed": {"de": "Entfernt: {topics}.", "en": "Removed: {topics}."},
    "topics.not_there": {"de": "Nicht in deinem Profil: {topics}.", "en": "Not in your profile: {topics}."},
    "topics.none_given": {
        "de": "Welche Themen? Mehrere mit Komma trennen: `{prefix}{command} eAkte, XRechnung`",
        "en": "Which topics? Separate several with commas: `{prefix}{command} eAkte, XRechnung`",
    },
    "topics.too_long": {
        "de": "„{topic}“ ist zu lang (höchstens {limit} Zeichen). Trenne mehrere Themen mit Komma.",
        "en": "“{topic}” is too long (at most {limit} characters). Separate several topics with commas.",
    },
    "topics.too_many": {
        "de": "Höchstens {limit} Themen pro Profil – entferne erst welche mit `{prefix}ichweissnicht …`.",
        "en": "At most {limit} topics per profile – remove some first with `{prefix}idontknow …`.",
    },
    "topics.see_profile": {"de": "Dein Profil: `{prefix}profil`", "en": "Your profile: `{prefix}profile`"},
    "city.set": {"de": "Deine Stadt: {city}.", "en": "Your city: {city}."},
    "city.current": {
        "de": "Deine Stadt: {city}. Ändern: `{prefix}stadt <Stadt>` – möglich: {cities}.",
        "en": "Your city: {city}. Change: `{prefix}city <city>` – possible: {cities}.",
    },
    "groups.set": {"de": "Deine Gruppen: {groups}.", "en": "Your groups: {groups}."},
    "groups.cleared": {"de": "Du bist in keiner Gruppe mehr eingetragen.", "en": "You are in no group now."},
    "groups.current": {
        "de": "Deine Gruppen: {mine}. Setzen: `{prefix}gruppen eAkte, Sensorik` – möglich: {groups}.",
        "en": "Your groups: {mine}. Set: `{prefix}groups eAkte, Sensorik` – possible: {groups}.",
    },
    "note.set": {"de": "Deine Notiz: {note}", "en": "Your note: {note}"},
    "note.cleared": {"de": "Deine Notiz ist gelöscht.", "en": "Your note is deleted."},
    "note.too_long": {
        "de": "Die Notiz ist {length} Zeichen lang, höchstens {limit} gehen.",
        "en": "The note has {length} characters; at most {limit} fit.",
    },
    "mentions.on": {
        "de": "Ich darf dich erwähnen (anpingen), z. B. wenn jemand eine Vertretung sucht.",
        "en": "I may mention (ping) you, e.g. when someone looks for a substitute.",
    },
    "mentions.off": {
        "de": "Ich erwähne dich nicht mehr; dein Name erscheint ohne Ping.",
        "en": "I won't mention you any more; your name appears without a ping.",
    },
    "profile.none_own": {
        "de": "Du hast noch kein Profil. Leg los: `{prefix}ichweiss eAkte, XRechnung` und `{prefix}stadt Bühl`.",
        "en": "You have no profile yet. Start with `{prefix}iknow eAkte, XRechnung` and `{prefix}city Bühl`.",
    },
    "profile.none_other": {
        "de": "{user} hat kein Profil eingetragen.",
        "en": "{user} has not entered a profile.",
    },
    "profile.city": {"de": "Stadt", "en": "City"},
    "profile.groups": {"de": "Gruppen", "en": "Groups"},
    "profile.topics": {"de": "Themen", "en": "Topics"},
    "profile.note": {"de": "Notiz", "en": "Note"},
    "profile.mentions": {"de": "Erwähnen erlaubt", "en": "Mentions allowed"},
    "profile.unset": {"de": "–", "en": "–"},
    "profile.yes": {"de": "ja", "en": "yes"},
    "profile.no": {"de": "nein", "en": "no"},
    "profile.own.yes": {
        "de": "ja – ich pinge dich, z. B. wenn ich dich für eine Vertretung vorschlage. Ausschalten: "
        "`{prefix}erwähnen nein`",
        "en": "yes – I ping you, e.g. when I suggest you for a substitution. To switch off: `{prefix}mentions no`",
    },
    "profile.own.no": {
        "de": "nein – ich nenne dich nur beim Namen, ohne Ping. Einschalten: `{prefix}erwähnen ja`",
        "en": "no – I only name you, without a ping. To switch on: `{prefix}mentions yes`",
    },
    "profile.deleted": {
        "de": "Dein Profil ist gelöscht: Themen, Stadt, Gruppen, Notiz und deine Einstellungen sind weg.",
        "en": "Your profile is deleted: topics, city, groups, note and your settings are gone.",
    },
    "import.how": {
        "de": "So geht's: Lade die CSV- oder TOML-Datei hier hoch und antworte auf die Datei mit `{prefix}import` "
        "(Probelauf) und danach mit `{prefix}import anwenden`. Spalten: matrix_id, name, stadt, gruppen, themen, "
        "notiz, erwaehnen.",
        "en": "How: upload the CSV or TOML file here and reply to the file with `{prefix}import` (dry run), then "
        "with `{prefix}import apply`. Columns: matrix_id, name, city, groups, topics, note, mentions.",
    },
    "import.not_a_file": {
        "de": "Die Nachricht, auf die du antwortest, enthält keine Datei. {how}",
        "en": "The message you reply to contains no file. {how}",
    },
    "import.apply_hint": {
        "de": "Passt alles? Dann antworte noch einmal auf die Datei: `{prefix}import anwenden`",
        "en": "All good? Then reply to the file once more: `{prefix}import apply`",
    },
    # --- the directory's web pages (commands.expertise.web, bot.web.directory) ------------------------------------
    "page.directory": {"de": "Wer weiß was", "en": "Who knows what"},
    "page.dir_intro": {
        "de": "Kolleg:innen aus den Städten des Netzwerks, die ein Profil eingetragen haben – wie im Chat mit "
        "„{prefix}werweiss“. Dein eigenes Profil: „{prefix}profil“ im Chat.",
        "en": "Colleagues from the network's cities who entered a profile – as in chat with “{prefix}whoknows”. "
        "Your own profile: “{prefix}profile” in chat.",
    },
    "page.dir_search_label": {"de": "Thema", "en": "Topic"},
    "page.dir_search_help": {
        "de": "Wie im Chat: „XRechnung“, „eAkte in Bühl“, „DMS nicht in Rastatt“, „Sensorik woanders“. Groß- und "
        "Kleinschreibung, Wortformen und kleine Tippfehler sind egal.",
        "en": "As in chat: “XRechnung”, “eAkte in Bühl”, “DMS not in Rastatt”, “sensors elsewhere”. Case, word forms "
        "and small typos don't matter.",
    },
    "page.dir_city": {"de": "Stadt", "en": "City"},
    "page.dir_any_city": {"de": "alle Städte", "en": "all cities"},
    "page.dir_group": {"de": "Gruppe", "en": "Group"},
    "page.dir_any_group": {"de": "alle Gruppen", "en": "all groups"},
    "page.dir_show": {"de": "Anzeigen", "en": "Show"},
    "page.dir_reset": {"de": "Alle anzeigen", "en": "Show everyone"},
    "page.dir_count": {
        "de": {"one": "{count} Person", "other": "{count} Personen"},
        "en": {"one": "{count} person", "other": "{count} people"},
    },
    "page.dir_searched": {"de": "zu „{query}“", "en": "for “{query}”"},
    "page.dir_in_city": {"de": "in {city}", "en": "in {city}"},
    "page.dir_not_in_city": {"de": "nicht in {city}", "en": "not in {city}"},
    "page.dir_in_group": {"de": "Gruppe {group}", "en": "group {group}"},
    "page.dir_with_topic": {"de": "Thema „{topic}“", "en": "topic “{topic}”"},
    "page.dir_many": {
        "de": "Es passen mehr Personen, als eine Suche zeigt; hier sind die besten. Grenz die Suche ein, z. B. mit "
        "einer Stadt.",
        "en": "More people match than a search shows; here are the best. Narrow it down, e.g. with a city.",
    },
    "page.dir_nobody": {
        "de": "Niemand gefunden. Kennst du dich selbst aus? Trag es im Chat ein: „{prefix}ichweiss …“",
        "en": "Nobody found. Do you know about it yourself? Enter it in chat: “{prefix}iknow …”",
    },
    "page.dir_empty": {
        "de": "Noch hat niemand ein Profil eingetragen. Fang an, im Chat: „{prefix}ichweiss eAkte, XRechnung“.",
        "en": "Nobody has entered a profile yet. Start in chat: “{prefix}iknow eAkte, XRechnung”.",
    },
    "page.dir_matched": {"de": "Passt über", "en": "Matches"},
    "page.dir_topics": {"de": "Themen", "en": "Topics"},
    "page.dir_groups": {"de": "Gruppen", "en": "Groups"},
    "page.dir_no_city": {"de": "Stadt nicht angegeben", "en": "city not given"},
    "page.dir_write": {"de": "{name} im Chat schreiben", "en": "Write to {name} in chat"},
    "page.dir_people": {"de": "Personen", "en": "People"},
    "page.dir_by_city": {"de": "Nach Stadt", "en": "By city"},
    "page.dir_by_group": {"de": "Nach Gruppe", "en": "By group"},
    "page.dir_common_topics": {"de": "Häufige Themen", "en": "Common topics"},
    "page.dir_all_topics": {"de": "Alle Themen von A bis Z", "en": "All topics A to Z"},
    "page.dir_no_topics": {"de": "Noch hat niemand Themen eingetragen.", "en": "Nobody has entered topics yet."},
    "page.dir_back": {"de": "Zum Verzeichnis", "en": "Back to the directory"},
    "page.dir_no_room": {
        "de": "Das Verzeichnis sieht, wer den Bot im Chat fragen kann, also wer mit ihm in einem Raum ist – und du "
        "bist gerade in keinem. Tritt dem Raum deiner Projektgruppe oder dem Netzwerk-Raum bei (oder schreib dem Bot "
        "eine Direktnachricht) und lade diese Seite dann neu.",
        "en": "The directory is for whoever can ask the bot in chat, that is who shares a room with it – and right now "
        "you share none. Join your project group's room or the network room (or write the bot a direct message), "
        "then reload this page.",
    },
}
