"""What `commands.substitutions.rules` refuses, in German and English: the texts of its `subrule.*` keys.

Every refusal shows a command that works. Fixed examples stand in the texts with `{prefix}`; an example with the
person's words (a title, a date they wrote, a Matrix id) is a `bot.errors.Example` of a `subrule.example.*` text,
because those words are shown as code, not escaped. Request numbers are plain numbers and may stand in code.
Keys with a dot after the message's name (`subrule.closed.done`) are parts of another message, its variants; a text
about a number of things (places, people, names) has plural forms chosen by its `count` (`bot.i18n`).
"""

from __future__ import annotations

from bot.i18n import Text
from commands.substitutions.rules import EXAMPLE_DE, EXAMPLE_EN

# The example request of `rules`, which `!vertretung` without arguments shows too, with the configured prefix.
_EXAMPLE_DE = "`{prefix}" + EXAMPLE_DE.removeprefix("!") + "`"
_EXAMPLE_EN = "`{prefix}" + EXAMPLE_EN.removeprefix("!") + "`"

MESSAGES: dict[str, dict[str, Text]] = {
    # Reading a request
    "subrule.empty": {
        "de": "Wann und wofür suchst du eine Vertretung? Schreib z. B. " + _EXAMPLE_DE + ".",
        "en": "When and for what do you need someone? Write e.g. " + _EXAMPLE_EN + ".",
    },
    "subrule.nothing_left": {
        "de": "Da fehlen noch Zeitpunkt und Beschreibung. Schreib z. B. " + _EXAMPLE_DE + ".",
        "en": "The date and the description are missing. Write e.g. " + _EXAMPLE_EN + ".",
    },
    "subrule.no_what": {
        "de": "Worum geht es? Schreib hinter den Zeitpunkt, wofür du jemanden suchst, z. B. {example} – ganz: "
        + _EXAMPLE_DE
        + ".",
        "en": "What is it about? Write after the time what you need someone for, e.g. {example} – in full: "
        + _EXAMPLE_EN
        + ".",
    },
    "subrule.example.what": {
        "de": "{prefix}vertretung {day} … Digitaltag Bühl, Stand Engagementplattform",
        "en": "{prefix}cover {day} … Digital Day Bühl, engagement platform booth",
    },
    "subrule.end_before_start": {
        "de": "Das Ende muss nach dem Beginn liegen, z. B. " + _EXAMPLE_DE + ".",
        "en": "The end must come after the start, e.g. " + _EXAMPLE_EN + ".",
    },
    "subrule.with_example": {
        "de": "{error} So sieht eine Anfrage aus: " + _EXAMPLE_DE,
        "en": "{error} A request looks like this: " + _EXAMPLE_EN,
    },
    "subrule.topic_too_long": {
        "de": "„#{tag}…“ ist als Thema zu lang: höchstens {limit} Zeichen, z. B. `#eAkte`.",
        "en": "“#{tag}…” is too long for a topic: at most {limit} characters, e.g. `#eAkte`.",
    },
    "subrule.too_many_topics": {
        "de": "Das sind {count} Themen; höchstens {limit} gehen, z. B. `#eAkte #Sensorik`.",
        "en": "That is {count} topics; at most {limit} work, e.g. `#eAkte #Sensorik`.",
    },
    "subrule.needed_range": {
        "de": "„{source}“: Wie viele sollen einspringen? Ich kann 1 bis {limit} Personen suchen, "
        "z. B. `{prefix}vertretung 12.12. 10-16 Uhr 2 Personen Digitaltag Bühl`.",
        "en": "“{source}”: how many people should stand in? I can look for 1 to {limit}, "
        "e.g. `{prefix}cover 12/12 10am-4pm 2 people Digital Day Bühl`.",
    },
    "subrule.needed_twice": {
        "de": "Ich habe zweimal eine Anzahl gefunden: „{first}“ und „{second}“. Bitte nur eine, "
        "z. B. `{prefix}vertretung 12.12. 10-16 Uhr 2 Personen Digitaltag Bühl`.",
        "en": "I found two numbers of people: “{first}” and “{second}”. Please give one, "
        "e.g. `{prefix}cover 12/12 10am-4pm 2 people Digital Day Bühl`.",
    },
    # Deadlines: `reason` is one of the parts below or what the date parser said.
    "subrule.deadline": {
        "de": "„{source}“: {reason} Schreib die Frist z. B. so: `{prefix}vertretung 12.12. 10-16 Uhr Digitaltag Bühl "
        "Frist 10.12. 12 Uhr` – oder lass sie weg, dann gilt der Vortag, 18 Uhr.",
        "en": "“{source}”: {reason} Write the deadline e.g. like this: `{prefix}cover 12/12 10am-4pm Digital Day "
        "Bühl deadline 10.12. 12pm` – or leave it out to get the day before, 6pm.",
    },
    "subrule.deadline.which_hour": {
        "de": "{hour} Uhr morgens oder {afternoon} Uhr?",
        "en": "{hour}am or {hour}pm ({afternoon}:00)?",
    },
    "subrule.deadline.no_time": {"de": "Das ist keine gültige Uhrzeit.", "en": "that is not a valid time."},
    "subrule.deadline.past": {"de": "{when} liegt in der Vergangenheit.", "en": "{when} is in the past."},
    "subrule.deadline.after_start": {
        "de": "Die Frist liegt nach dem Beginn ({start}); sie muss davor liegen.",
        "en": "the deadline is after the start ({start}); it must come before.",
    },
    "subrule.deadline_twice": {
        "de": "Ich habe zwei Fristen gefunden: „{first}“ und „{second}“. Bitte nur eine angeben, z. B. "
        "`{prefix}vertretung 12.12. 10-16 Uhr Digitaltag Bühl Frist 10.12. 12 Uhr`.",
        "en": "I found two deadlines: “{first}” and “{second}”. Please give one, e.g. "
        "`{prefix}cover 12/12 10am-4pm Digital Day Bühl deadline 10.12. 12pm`.",
    },
    # When
    "subrule.today_begun": {
        "de": "„{written}“ hat schon begonnen, ganztägig geht für heute nicht mehr. Gib die Zeit an, z. B. {example}.",
        "en": "“{written}” has already begun, so it cannot be a whole day any more. Give the hours, e.g. {example}.",
    },
    "subrule.example.today": {
        "de": "{prefix}vertretung heute 14-16 Uhr {what}",
        "en": "{prefix}cover today 2-4pm {what}",
    },
    "subrule.day_gone": {
        "de": "Der {day} ist schon vorbei. Bitte gib ein Datum in der Zukunft an, z. B. " + _EXAMPLE_DE + ".",
        "en": "{day} has already passed. Please give a date in the future, e.g. " + _EXAMPLE_EN + ".",
    },
    "subrule.day_gone_this_year": {
        "de": "Der {day} ist schon vorbei. Meinst du den {meant}? Dann schreib das Jahr dazu: {example}.",
        "en": "{day} has already passed. Do you mean {meant}? Then add the year: {example}.",
    },
    "subrule.example.with_year": {"de": "{prefix}vertretung {day} {what}", "en": "{prefix}cover {day} {what}"},
    "subrule.missing_span": {
        "de": "Bis wann brauchst du die Vertretung? Bitte gib eine Zeitspanne an, z. B. {span_example} oder "
        + _EXAMPLE_DE
        + ". Für einen ganzen Tag lass die Uhrzeit weg: {day_example}.",
        "en": "Until when do you need someone? Please give a span, e.g. {span_example} or "
        + _EXAMPLE_EN
        + ". For a whole day leave out the time: {day_example}.",
    },
    "subrule.example.span": {
        "de": "{prefix}vertretung {day} {clock} Uhr für 2 Stunden {what}",
        "en": "{prefix}cover {day} {clock} for 2 hours {what}",
    },
    "subrule.example.whole_day": {
        "de": "{prefix}vertretung {day} ganztägig {what}",
        "en": "{prefix}cover {day} all day {what}",
    },
    "subrule.bare_range": {
        "de": "Meinst du {example}? Schreib „Uhr“ dazu, dann ist „{span}“ eindeutig eine Uhrzeit.",
        "en": "Do you mean {example}? Add “Uhr” (or write `10am-4pm`) so “{span}” is clearly the hours.",
    },
    "subrule.example.hours": {
        "de": "{prefix}vertretung {day} {span} Uhr {what}",
        "en": "{prefix}cover {day} {span} Uhr {what}",
    },
    "subrule.all_day_with_time": {
        "de": "„ganztägig“ passt nur zu einem Datum ohne Uhrzeit. Schreib entweder "
        "`{prefix}vertretung 12.12. ganztägig Digitaltag Bühl` oder " + _EXAMPLE_DE + ".",
        "en": "“all day” only fits a date without a time. Write either "
        "`{prefix}cover 12/12 all day Digital Day Bühl` or " + _EXAMPLE_EN + ".",
    },
    "subrule.series": {
        "de": "Eine Vertretung gilt für einen einzelnen Termin, nicht für eine Serie. Frag bitte für jeden Tag "
        "einzeln an, z. B. " + _EXAMPLE_DE + ".",
        "en": "A substitution is for one date, not a series. Please ask for each day on its own, e.g. "
        + _EXAMPLE_EN
        + ".",
    },
    # Steps
    "subrule.closed": {
        "de": "Vertretung {id} {why} und damit abgeschlossen. {advice}",
        "en": "Substitution {id} {why}, so it is closed. {advice}",
    },
    "subrule.closed.done": {"de": "ist schon vorbei", "en": "is already over"},
    "subrule.closed.expired": {
        "de": "ist abgelaufen: bis zur Frist wurde niemand zugesagt",
        "en": "expired: nobody was accepted",
    },
    "subrule.closed.cancelled": {"de": "wurde abgesagt", "en": "was cancelled"},
    "subrule.closed.ask_again": {
        "de": "Brauchst du noch jemanden, stell eine neue Anfrage, z. B. " + _EXAMPLE_DE + ".",
        "en": "If you still need someone, ask again, e.g. " + _EXAMPLE_EN + ".",
    },
    "subrule.closed.nothing_to_do": {
        "de": "Da ist nichts mehr zu tun – danke fürs Mitdenken!",
        "en": "There is nothing left to do – thanks for thinking of it!",
    },
    "subrule.filled_offer": {
        "de": "Vertretung {id} ist schon besetzt – danke trotzdem! Springt jemand ab, ist sie wieder offen; "
        "dann geht `{prefix}übernehme {id}`.",
        "en": "Substitution {id} is already filled – thank you anyway! If someone steps back it opens again; "
        "then use `{prefix}offer {id}`.",
    },
    "subrule.filled": {
        "de": "Vertretung {id} ist schon besetzt: {taken} vergeben. Soll jemand anderes einspringen, muss erst "
        "jemand mit `{prefix}vertretung zurückziehen {id}` zurückziehen.",
        "en": "Substitution {id} is already filled: {taken} taken. For someone else to stand in, a helper first has "
        "to use `{prefix}cover withdraw {id}`.",
    },
    "subrule.filled.taken": {
        "de": {"one": "der Platz ist", "other": "alle {count} Plätze sind"},
        "en": {"one": "the place is", "other": "all {count} places are"},
    },
    "subrule.started": {
        "de": "Vertretung {id} hat schon begonnen ({start}); jetzt lässt sich daran nichts mehr ändern. Für "
        "einen neuen Termin: " + _EXAMPLE_DE + ".",
        "en": "Substitution {id} has already begun ({start}); it can no longer be changed. For a new date: "
        + _EXAMPLE_EN
        + ".",
    },
    "subrule.own_request": {
        "de": "Vertretung {id} ist deine eigene Anfrage – einspringen müssen andere. Wenn du sie nicht mehr brauchst: "
        "`{prefix}vertretung absagen {id}`.",
        "en": "Substitution {id} is your own request – someone else has to stand in. If you no longer need it: "
        "`{prefix}cover cancel {id}`.",
    },
    "subrule.already_accepted": {
        "de": "Für Vertretung {id} bist du schon zugesagt – danke! Kannst du doch nicht: "
        "`{prefix}vertretung zurückziehen {id}`.",
        "en": "You are already accepted for substitution {id} – thank you! If you cannot make it: "
        "`{prefix}cover withdraw {id}`.",
    },
    "subrule.already_offered": {
        "de": "Für Vertretung {id} hast du schon angeboten; {requester} entscheidet. "
        "Zurückziehen geht mit `{prefix}vertretung zurückziehen {id}`.",
        "en": "You have already offered for substitution {id}; {requester} decides. "
        "To withdraw: `{prefix}cover withdraw {id}`.",
    },
    "subrule.no_offer": {
        "de": "Bei Vertretung {id} {why}, also gibt es nichts zurückzuziehen. Einspringen: `{prefix}übernehme {id}`.",
        "en": "For substitution {id} {why}, so there is nothing to withdraw. To offer: `{prefix}offer {id}`.",
    },
    "subrule.no_offer.none": {"de": "hast du nichts angeboten", "en": "you have not offered anything"},
    "subrule.no_offer.withdrawn": {
        "de": "hast du dein Angebot schon zurückgezogen",
        "en": "you have already withdrawn",
    },
    "subrule.no_offer.declined": {"de": "wurdest du nicht mehr gebraucht", "en": "you were not needed in the end"},
    "subrule.cannot_accept": {
        "de": "Vertretung {id}: {reason}. {hint}",
        "en": "Substitution {id}: {reason}. {hint}",
    },
    "subrule.both": {"de": "{first}; {second}", "en": "{first}; {second}"},
    # `count`: how many people `names` lists (the verb agrees with it)
    "subrule.not_offered": {
        "de": {"one": "{names} hat nicht angeboten", "other": "{names} haben nicht angeboten"},
        "en": "{names} did not offer (or withdrew)",
    },
    "subrule.accepted_already": {
        "de": {"one": "{names} ist schon zugesagt", "other": "{names} sind schon zugesagt"},
        "en": {"one": "{names} is already accepted", "other": "{names} are already accepted"},
    },
    "subrule.waiting": {
        "de": {
            "one": "Angeboten hat: {names}, z. B. {example}.",
            "other": "Angeboten haben: {names}, z. B. {example}.",
        },
        "en": "Offers are from: {names}, e.g. {example}.",
    },
    "subrule.nobody_waiting": {
        "de": "Gerade wartet kein Angebot; wer einspringen möchte, schreibt `{prefix}übernehme {id}`.",
        "en": "No offer is waiting; whoever wants to stand in writes `{prefix}offer {id}`.",
    },
    "subrule.example.accept": {"de": "{prefix}zusage {id} {who}", "en": "{prefix}accept {id} {who}"},
    "subrule.no_targets": {
        "de": "Wem sagst du zu? Nenn die Person, z. B. {example}.",
        "en": "Whom do you accept? Name them, e.g. {example}.",
    },
    "subrule.too_many": {
        "de": "Für Vertretung {id} {still} gebraucht, du hast {named} genannt. Bitte wähl aus, z. B. {example}.",
        "en": "Substitution {id} needs only {still}, you named {named}. Please choose, e.g. {example}.",
    },
    "subrule.too_many.still": {
        "de": {"one": "wird nur noch {count} Person", "other": "werden nur noch {count} Personen"},
        "en": "{count} more",
    },
    "subrule.over": {
        "de": "Vertretung {id} ist schon vorbei; absagen geht nicht mehr. Für einen neuen Termin: " + _EXAMPLE_DE + ".",
        "en": "Substitution {id} is already over; it can no longer be cancelled. For a new date: " + _EXAMPLE_EN + ".",
    },
}
