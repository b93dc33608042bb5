"""What the substitution commands and their scheduled messages say, in German and English (`sub.*`)."""

from bot.i18n import Text

MESSAGES: dict[str, dict[str, Text]] = {
    "sub.usage": {
        "de": "So fragst du nach einer Vertretung: `{example_de}`\n\nOffene Anfragen: `{prefix}vertretungen`",
        "en": "This is how you ask for a stand-in: `{example_en}`\n\nOpen requests: `{prefix}covers`",
    },
    "sub.created": {
        "de": "Vertretung #{id} eingetragen: **{what}** – {span}. {needed} Antwort bis {deadline}.",
        "en": "Substitution #{id} saved: **{what}** – {span}. {needed} Answers by {deadline}.",
    },
    "sub.needed": {
        "de": {"one": "Gebraucht: {count} Person.", "other": "Gebraucht: {count} Personen."},
        "en": {"one": "Needed: {count} person.", "other": "Needed: {count} people."},
    },
    "sub.people": {
        "de": {"one": "{count} Person", "other": "{count} Personen"},
        "en": {"one": "{count} person", "other": "{count} people"},
    },
    "sub.still_needed": {
        "de": {"one": "noch {count} Person", "other": "noch {count} Personen"},
        "en": {"one": "{count} more person", "other": "{count} more people"},
    },
    "sub.no_topics": {
        "de": "Tipp: Mit `#Thema` (z. B. `#eAkte`) in der Anfrage schlage ich passende Leute aus anderen Städten vor.",
        "en": "Tip: with a `#topic` (e.g. `#eAkte`) in the request I suggest fitting people from other cities.",
    },
    "sub.announced_elsewhere": {
        "de": "Ich habe sie im Netzwerkraum angekündigt und sage dir Bescheid, sobald jemand anbietet.",
        "en": "I announced it in the network room and will tell you as soon as someone offers.",
    },
    "sub.no_city": {
        "de": "Tipp: Trag deine Stadt ein (`{prefix}stadt Bühl`), dann schlage ich Leute aus anderen Städten vor "
        "und die Bilanz zählt richtig.",
        "en": "Tip: set your city (`{prefix}city Bühl`), then I suggest people from other cities and the balance "
        "counts correctly.",
    },
    # The announcement in the network room, as it reads in each state: the posted one is edited when the state
    # changes, so a closed request shows no call to offer any more.
    "sub.announcement.open": {
        "de": "🙋 **Vertretung gesucht** (#{id}): {what}\n\n{span} · angefragt von {requester} · gebraucht: "
        "{needed} · Antwort bis {deadline}{topics}\n\nWer kann? `{prefix}übernehme {id}` oder reagiere hier mit ✋.",
        "en": "🙋 **Stand-in wanted** (#{id}): {what}\n\n{span} · asked by {requester} · needed: {needed} · "
        "answers by {deadline}{topics}\n\nWho can? `{prefix}offer {id}` or react here with ✋.",
    },
    "sub.announcement.reopened": {
        "de": "🔄 **Wieder offen** – Vertretung gesucht (#{id}): {what}\n\n{span} · angefragt von {requester} · "
        "gebraucht: {needed} · Antwort bis {deadline}{topics}\n\nWer kann? `{prefix}übernehme {id}` oder reagiere "
        "hier mit ✋.",
        "en": "🔄 **Open again** – stand-in wanted (#{id}): {what}\n\n{span} · asked by {requester} · needed: "
        "{needed} · answers by {deadline}{topics}\n\nWho can? `{prefix}offer {id}` or react here with ✋.",
    },
    "sub.announcement.filled": {  # count: how many stand in
        "de": {
            "one": "✅ **Besetzt** (#{id}): {what}\n\n{span} · angefragt von {requester} · es vertritt: {helpers}. "
            "Danke!",
            "other": "✅ **Besetzt** (#{id}): {what}\n\n{span} · angefragt von {requester} · es vertreten: "
            "{helpers}. Danke!",
        },
        "en": "✅ **Filled** (#{id}): {what}\n\n{span} · asked by {requester} · standing in: {helpers}. Thank you!",
    },
    "sub.announcement.done": {
        "de": {
            "one": "✔️ **Erledigt** (#{id}): {what}\n\n{span} · angefragt von {requester} · vertreten hat: "
            "{helpers}. Danke!",
            "other": "✔️ **Erledigt** (#{id}): {what}\n\n{span} · angefragt von {requester} · vertreten haben: "
            "{helpers}. Danke!",
        },
        "en": "✔️ **Done** (#{id}): {what}\n\n{span} · asked by {requester} · stood in: {helpers}. Thank you!",
    },
    "sub.announcement.cancelled": {
        "de": "❌ **Abgesagt** (#{id}): {what}\n\n{span} · angefragt von {requester} · wird nicht mehr gebraucht.",
        "en": "❌ **Cancelled** (#{id}): {what}\n\n{span} · asked by {requester} · no longer needed.",
    },
    "sub.announcement.expired": {
        "de": "⌛ **Abgelaufen** (#{id}): {what}\n\n{span} · angefragt von {requester} · bis zur Frist hat niemand "
        "zugesagt.",
        "en": "⌛ **Expired** (#{id}): {what}\n\n{span} · asked by {requester} · nobody was accepted by the deadline.",
    },
    "sub.topics": {"de": " · Themen: {topics}", "en": " · topics: {topics}"},
    "sub.suggest": {  # pills only for those who may be pinged (`!erwähnen ja`), plain names for the others
        "de": {"one": "Kennt sich aus: {people}", "other": "Kennen sich aus: {people}"},
        "en": "Knows about it: {people}",
    },
    "sub.offered": {
        "de": "Danke! Dein Angebot für #{id} ist notiert; {requester} entscheidet, ich sag dir Bescheid.",
        "en": "Thank you! Your offer for #{id} is noted; {requester} decides and I'll let you know.",
    },
    "sub.withdrawn": {
        "de": "Erledigt: Du bist bei #{id} nicht mehr dabei.",
        "en": "Done: you are no longer part of #{id}.",
    },
    "sub.accepted": {
        "de": "Zugesagt für #{id}: {people}. {state}",
        "en": "Accepted for #{id}: {people}. {state}",
    },
    "sub.state_filled": {"de": "Damit ist die Vertretung besetzt. 🎉", "en": "The substitution is now filled. 🎉"},
    "sub.state_open": {
        "de": {"one": "Es wird noch {count} Person gebraucht.", "other": "Es werden noch {count} Personen gebraucht."},
        "en": {"one": "Still needed: {count} person.", "other": "Still needed: {count} people."},
    },
    "sub.cancelled": {
        "de": "Vertretung #{id} ist abgesagt; wer angeboten hatte, bekommt Bescheid.",
        "en": "Substitution #{id} is cancelled; everyone who offered is told.",
    },
    "sub.not_found": {
        "de": "Eine Vertretung #{id} gibt es nicht. Offene Anfragen: `{prefix}vertretungen`",
        "en": "There is no substitution #{id}. Open requests: `{prefix}covers`",
    },
    "sub.unknown_person": {
        "de": "Wen meinst du mit „{name}“? Angeboten haben: {offers}.",
        "en": "Whom do you mean by “{name}”? Offers came from: {offers}.",
    },
    "sub.nobody_yet": {"de": "noch niemand", "en": "nobody yet"},
    # Direct messages (in the recipient's language)
    "sub.notice.new_offer": {
        "de": "✋ {actor} bietet an, dich bei #{id} zu vertreten ({what}, {span}).{note}\n\n"
        "Zusagen: `{prefix}zusage {id} {actor_id}`",
        "en": "✋ {actor} offers to stand in for you at #{id} ({what}, {span}).{note}\n\nTo accept: `{prefix}accept "
        "{id} {actor_id}`",
    },
    "sub.notice.helper_withdrew": {
        "de": "{actor} kann bei #{id} ({what}, {span}) doch nicht. Die Anfrage ist wieder offen.",
        "en": "{actor} can no longer make it to #{id} ({what}, {span}). The request is open again.",
    },
    "sub.notice.accepted": {
        "de": "🎉 Du vertrittst bei #{id}: **{what}**, {span}. Angefragt von {requester}. Danke! Ich erinnere dich "
        "vorher. Kannst du doch nicht: `{prefix}vertretung zurückziehen {id}`",
        "en": "🎉 You stand in at #{id}: **{what}**, {span}. Asked by {requester}. Thank you! I'll remind you "
        "beforehand. If you can't make it: `{prefix}cover withdraw {id}`",
    },
    "sub.notice.helpers_chosen": {
        "de": "Für deine Vertretung #{id} ({what}) hat die Koordination zugesagt: {people}.",
        "en": "The coordinators accepted for your substitution #{id} ({what}): {people}.",
    },
    "sub.notice.not_needed": {
        "de": "Danke fürs Angebot bei #{id} ({what})! Es haben sich genug gefunden – du wirst diesmal nicht gebraucht.",
        "en": "Thanks for offering at #{id} ({what})! Enough people were found – you are not needed this time.",
    },
    "sub.notice.cancelled": {
        "de": "Vertretung #{id} ({what}, {span}) ist abgesagt – du wirst nicht mehr gebraucht. Danke trotzdem!",
        "en": "Substitution #{id} ({what}, {span}) was cancelled – you are no longer needed. Thanks anyway!",
    },
    "sub.notice.expired": {
        "de": "Vertretung #{id} ({what}, {span}) ist abgelaufen: bis zur Frist wurde niemand zugesagt.",
        "en": "Substitution #{id} ({what}, {span}) expired: nobody was accepted by the deadline.",
    },
    "sub.reminder": {
        "de": "⏰ Erinnerung an Vertretung #{id}: **{what}**, {span}. Angefragt von {requester}; es vertreten: "
        "{helpers}.",
        "en": "⏰ Reminder of substitution #{id}: **{what}**, {span}. Asked by {requester}; standing in: {helpers}.",
    },
    # Showing and listing
    "sub.show": {
        "de": "**Vertretung #{id}** ({state}): {what}\n\n{span} · angefragt von {requester} · gebraucht: {needed} · "
        "Antwort bis {deadline}{topics}",
        "en": "**Substitution #{id}** ({state}): {what}\n\n{span} · asked by {requester} · needed: {needed} · "
        "answers by {deadline}{topics}",
    },
    "sub.offers": {"de": "Angebote: {offers}", "en": "Offers: {offers}"},
    "sub.history": {"de": "Verlauf:", "en": "History:"},
    "sub.state.open": {"de": "offen", "en": "open"},
    "sub.state.filled": {"de": "besetzt", "en": "filled"},
    "sub.state.done": {"de": "erledigt", "en": "done"},
    "sub.state.expired": {"de": "abgelaufen", "en": "expired"},
    "sub.state.cancelled": {"de": "abgesagt", "en": "cancelled"},
    "sub.offer.offered": {"de": "bietet an", "en": "offers"},
    "sub.offer.withdrawn": {"de": "zurückgezogen", "en": "withdrawn"},
    "sub.offer.accepted": {"de": "zugesagt", "en": "accepted"},
    "sub.offer.declined": {"de": "nicht gebraucht", "en": "not needed"},
    "sub.action.created": {"de": "angefragt", "en": "asked"},
    "sub.action.offered": {"de": "bietet an", "en": "offered"},
    "sub.action.withdrew": {"de": "zieht zurück", "en": "withdrew"},
    "sub.action.accepted": {"de": "sagt zu", "en": "accepted"},
    "sub.action.declined": {"de": "nicht gebraucht", "en": "not needed"},
    "sub.action.cancelled": {"de": "abgesagt", "en": "cancelled"},
    "sub.action.expired": {"de": "abgelaufen", "en": "expired"},
    "sub.action.done": {"de": "erledigt", "en": "done"},
    "sub.action.reopened": {"de": "wieder offen", "en": "open again"},
    "sub.list.heading": {"de": "**Vertretungen**{filters}", "en": "**Substitutions**{filters}"},
    "sub.list.none": {
        "de": "Gerade sucht niemand eine Vertretung{filters}. Selbst fragen: `{example_de}`",
        "en": "Nobody is looking for a stand-in right now{filters}. To ask: `{example_en}`",
    },
    "sub.list.line": {
        "de": "#{id} {what} – {span} · {requester} · {state}, {offers}",
        "en": "#{id} {what} – {span} · {requester} · {state}, {offers}",
    },
    "sub.offer_count": {
        "de": {"one": "{count} Angebot", "other": "{count} Angebote"},
        "en": {"one": "{count} offer", "other": "{count} offers"},
    },
    "sub.unknown_filter": {
        "de": "„{word}“ verstehe ich nicht als Filter. Möglich sind eine Stadt, `#Thema`, `meine` und `alle`, "
        "z. B. `{prefix}vertretungen Bühl #eAkte`.",
        "en": "I don't understand “{word}” as a filter. Use a city, `#topic`, `mine` or `all`, "
        "e.g. `{prefix}covers Bühl #eAkte`.",
    },
    "sub.balance.heading": {
        "de": "**Vertretungsbilanz {year}** (erledigte Vertretungen zwischen Städten)",
        "en": "**Substitution balance {year}** (completed substitutions between cities)",
    },
    "sub.balance.table": {"de": "| Stadt | hat vertreten | wurde vertreten |", "en": "| City | helped | was helped |"},
    "sub.balance.none": {
        "de": "{year} gab es noch keine erledigte Vertretung zwischen Städten.",
        "en": "No substitution between cities was completed in {year} yet.",
    },
    # What the balance does not count yet (requests of that year that are not done)
    "sub.balance.arranged": {
        "de": {
            "one": "{count} Vertretung ist vereinbart und zählt, sobald sie erledigt ist.",
            "other": "{count} Vertretungen sind vereinbart und zählen, sobald sie erledigt sind.",
        },
        "en": {
            "one": "{count} substitution is arranged and counts once it is done.",
            "other": "{count} substitutions are arranged and count once they are done.",
        },
    },
    "sub.balance.open": {
        "de": {
            "one": "{count} Anfrage ist noch offen: `{prefix}vertretungen`",
            "other": "{count} Anfragen sind noch offen: `{prefix}vertretungen`",
        },
        "en": {
            "one": "{count} request is still open: `{prefix}covers`",
            "other": "{count} requests are still open: `{prefix}covers`",
        },
    },
    "sub.balance.no_city": {"de": "ohne Stadt", "en": "no city"},
    # --- the web board (`/vertretungen`, `commands.substitutions.web`) --------------------------------------------
    "page.substitutions": {"de": "Vertretungen", "en": "Substitutions"},
    "page.sub.intro": {
        "de": "Offene Anfragen aus dem ganzen Netzwerk, die nächsten zuerst – dieselben wie „{prefix}vertretungen“ im "
        "Chat. Eine Vertretung anfragen: im Chat mit „{prefix}vertretung“.",
        "en": "Open requests from the whole network, soonest first – the same as “{prefix}covers” in chat. To ask for "
        "a stand-in: “{prefix}cover” in chat.",
    },
    "page.sub.open": {"de": "Offene Anfragen", "en": "Open requests"},
    "page.sub.none": {
        "de": "Gerade sucht niemand eine Vertretung.",
        "en": "Nobody is looking for a stand-in right now.",
    },
    "page.sub.more": {
        "de": {
            "one": "{count} weitere Anfrage steht nicht hier, wie im Chat.",
            "other": "{count} weitere Anfragen stehen nicht hier, wie im Chat.",
        },
        "en": {
            "one": "{count} more request is not shown, as in chat.",
            "other": "{count} more requests are not shown, as in chat.",
        },
    },
    "page.sub.request": {"de": "#{id} {what}", "en": "#{id} {what}"},
    "page.sub.city": {"de": "Stadt", "en": "City"},
    "page.sub.no_city": {"de": "keine Angabe", "en": "not given"},
    "page.sub.requester": {"de": "Angefragt von", "en": "Asked by"},
    "page.sub.needed": {"de": "Gebraucht", "en": "Needed"},
    "page.sub.deadline": {"de": "Antwort bis", "en": "Answers by"},
    "page.sub.topics": {"de": "Themen", "en": "Topics"},
    "page.sub.offers": {"de": "Angebote", "en": "Offers"},
    "page.sub.own": {"de": "Deine Anfrage.", "en": "Your request."},
    "page.sub.my_offer.offered": {
        "de": "Du hast angeboten; {requester} entscheidet.",
        "en": "You offered; {requester} decides.",
    },
    "page.sub.my_offer.accepted": {"de": "Du bist zugesagt: Du vertrittst.", "en": "You are accepted: you stand in."},
    "page.sub.my_offer.withdrawn": {
        "de": "Du hast dein Angebot zurückgezogen.",
        "en": "You withdrew your offer.",
    },
    "page.sub.my_offer.declined": {"de": "Dein Angebot wurde nicht gebraucht.", "en": "Your offer was not needed."},
    "page.sub.note_label": {"de": "Notiz (freiwillig)", "en": "Note (optional)"},
    "page.sub.note_help": {
        "de": "Z. B. „komme ab 11 Uhr“; höchstens {limit} Zeichen. {name} bekommt sie mit deinem Angebot.",
        "en": "E.g. “can be there from 11am”; at most {limit} characters. {name} gets it with your offer.",
    },
    "page.sub.offer_button": {"de": "Ich übernehme #{id}", "en": "I'll take #{id}"},
    "page.sub.mine": {"de": "Meine Anfragen", "en": "My requests"},
    "page.sub.mine_none": {"de": "Du hast gerade keine offene Anfrage.", "en": "You have no open request right now."},
    "page.sub.offered": {"de": "Meine Angebote", "en": "My offers"},
    "page.sub.offered_none": {
        "de": "Du hast gerade bei keiner offenen Anfrage angeboten.",
        "en": "You have not offered on any open request right now.",
    },
    "page.sub.accept_in_chat": {
        "de": "Zusagen, absagen und zurückziehen geht im Chat: „{prefix}zusage {id} @name“, „{prefix}vertretung "
        "absagen {id}“, „{prefix}vertretung zurückziehen {id}“.",
        "en": "Accept, cancel and withdraw in chat: “{prefix}accept {id} @name”, “{prefix}cover cancel {id}”, "
        "“{prefix}cover withdraw {id}”.",
    },
    "page.sub.done": {"de": "Erledigt", "en": "Done"},
    "page.sub.refused": {"de": "Nicht möglich", "en": "Not possible"},
    # The balance as a chart (`!bilanz`, `!jahresbericht`, the report page)
    "sub.chart.title": {"de": "Vertretungsbilanz {year}", "en": "Substitution balance {year}"},
    "sub.chart.helped": {"de": "hat vertreten", "en": "helped"},
    "sub.chart.was_helped": {"de": "wurde vertreten", "en": "was helped"},
    "sub.chart.axis": {"de": "Erledigte Vertretungen", "en": "Completed substitutions"},
    "sub.chart.alt": {
        "de": "Balkendiagramm: Vertretungsbilanz {year}, pro Stadt wie oft sie vertreten hat und vertreten wurde. "
        "{details}",
        "en": "Bar chart: substitution balance {year}, per city how often it helped and was helped. {details}",
    },
    "sub.chart.alt_city": {"de": "{city}: {helped} zu {was_helped}", "en": "{city}: {helped} to {was_helped}"},
    "sub.chart.file": {"de": "vertretungsbilanz-{year}.png", "en": "substitution-balance-{year}.png"},
}
