"""Substitution requests through the dispatcher and the scheduler, without a homeserver (SQLite and
PostgreSQL): the whole lifecycle, the reaction path, reminders exactly once, expiry, cancel, the balance,
and every bad input answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.dispatch import IncomingMessage
from storage import Database
from storage.substitutions import SubstitutionRepository
from tests.harness import BERLIN, NETWORK, Bot

ANNA, BEN, CLARA, DORA = "@anna:buehl.de", "@ben:rastatt.de", "@clara:ettlingen.de", "@dora:buehl.de"
REQUEST = "!vertretung 12.12. 10-16 Uhr Digitaltag Bühl, Stand Engagementplattform #Engagementplattform"


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Bot]:
    bot = Bot(db, tmp_path)
    for user, city in ((ANNA, "Bühl"), (BEN, "Rastatt"), (CLARA, "Ettlingen"), (DORA, "Bühl")):
        await bot.say(user, f"!stadt {city}")
        await bot.say(user, "!ichweiss Engagementplattform")
    await bot.say(BEN, "!erwähnen ja")  # pings are opt-in: Ben asked for them, Clara did not
    yield bot


async def _ask(bot: Bot, text: str = REQUEST) -> str:
    reply = await bot.say(ANNA, text)
    assert "Vertretung #1 eingetragen" in reply, reply
    return reply


async def test_request_is_confirmed_and_announced_with_suggestions_from_other_cities(bot: Bot) -> None:
    reply = await _ask(bot)
    assert "Digitaltag Bühl, Stand Engagementplattform" in reply
    assert "Sa., 12.12.2026, 10:00–16:00 Uhr" in reply
    assert "Antwort bis Fr., 11.12.2026, 18:00 Uhr" in reply
    assert "im Netzwerkraum angekündigt" in reply
    [(room, text, mentioned)] = bot.announcements
    assert room == NETWORK
    assert "Vertretung gesucht** (#1)".replace("**", "") in text and "!übernehme 1" in text and "✋" in text
    assert "ben" in text and "clara" in text, "people from other cities who know the topic are suggested"
    assert "dora" not in text, "not someone from the requester's own city"
    assert mentioned == [BEN], "clara never asked to be pinged: listed, not mentioned"


async def test_full_lifecycle_offer_reaction_accept_remind_done_balance(bot: Bot) -> None:
    await _ask(bot)
    assert "Angebot für #1 ist notiert" in await bot.say(BEN, "!übernehme 1 bin ab 10 Uhr da")
    assert bot.dms[-1][0] == ANNA and "bietet an, dich bei #1 zu vertreten" in bot.dms[-1][1]
    assert "bin ab 10 Uhr da" in bot.dms[-1][1] and "!zusage 1 @ben:rastatt.de" in bot.dms[-1][1]

    [announcement] = bot.announcement_ids
    assert await bot.react(CLARA, "$unrelated") is None, "a ✋ elsewhere is just a reaction"
    reacted = await bot.react(CLARA, announcement, "✋🏽")
    assert reacted == "", "nothing more in the network room"
    assert bot.dms[-2] == (CLARA, "Danke! Dein Angebot für #1 ist notiert; @anna:buehl.de entscheidet, ich sag dir "
                           "Bescheid."), "the thanks for a ✋ come by direct message"  # fmt: skip

    # As a reply to the bot's direct message: the client mentions the bot; that is no one to accept.
    reply = await bot.say(ANNA, "!zusage 1 Ben", mentions=("@redi-bot:example.org",))
    assert "Zugesagt für #1" in reply and "besetzt" in reply
    [(room, edited, status)] = bot.edits
    assert (room, edited) == (NETWORK, announcement), "the posted announcement is edited, not posted again"
    assert status == (
        "✅ Besetzt (#1): Digitaltag Bühl, Stand Engagementplattform\n\nSa., 12.12.2026, 10:00–16:00 Uhr · angefragt "
        "von @anna:buehl.de (Bühl) · es vertritt: @ben:rastatt.de (Rastatt). Danke!"
    ), "the edited announcement reads right as a whole: no call to offer, no deadline"
    told = dict(bot.dms[-2:])
    assert "Du vertrittst bei #1" in told[BEN]
    assert "nicht gebraucht" in told[CLARA]
    shown = await bot.say(DORA, "!vertretung 1")
    assert "(besetzt)" in shown and "zugesagt" in shown and "nicht gebraucht" in shown

    # The day before: the requester and the helper are reminded, once.
    bot.clock.set(datetime(2026, 12, 11, 10, 0, tzinfo=BERLIN))
    await bot.jobs.run(1)
    await bot.jobs.run(1)
    reminders = bot.sent_dms()
    assert sorted(user for user, _ in reminders) == [ANNA, BEN]
    assert all("Erinnerung an Vertretung #1" in body and "ben" in body for _, body in reminders)

    # After the end: done, counted in the balance, and Ben now "has stood in" on the topic.
    bot.clock.set(datetime(2026, 12, 12, 16, 1, tzinfo=BERLIN))
    await bot.jobs.run(1)
    assert "(erledigt)" in await bot.say(DORA, "!vertretung 1")
    balance = await bot.say(DORA, "!bilanz")
    assert "Stadt hat vertreten wurde vertreten\n\nBühl 0 1\n\nRastatt 1 0" in balance
    assert "hat dazu vertreten" in await bot.say(DORA, "!werweiss Engagementplattform nicht in Bühl")


async def test_expiry_tells_requester_and_waiting_offers_once_and_closes_the_request(bot: Bot) -> None:
    await _ask(bot)
    await bot.say(BEN, "!übernehme 1")
    bot.clock.set(datetime(2026, 12, 11, 18, 0, 30, tzinfo=BERLIN))
    await bot.jobs.run(1)
    await bot.jobs.start()  # as after a restart: nothing twice
    assert sorted(user for user, _ in bot.sent_dms()) == [ANNA, BEN]
    assert all("abgelaufen" in body for _, body in bot.sent_dms())
    [(_, content, _)] = [sent for sent in bot.scheduled if sent[0] == NETWORK]
    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": bot.announcement_ids[0]}
    assert content["m.new_content"]["body"].startswith("⌛ Abgelaufen"), "the announcement shows it, once"
    late = await bot.say(CLARA, "!übernehme 1")
    assert "abgelaufen" in late and "abgeschlossen" in late


async def test_cancel_only_by_requester_and_everyone_offering_is_told(bot: Bot) -> None:
    await _ask(bot)
    await bot.say(BEN, "!übernehme 1")
    refused = await bot.say(CLARA, "!vertretung absagen 1")
    assert "Vertretung #1 absagen oder Zusagen geben dürfen nur, wer sie angefragt hat" in refused
    assert "abgesagt" in await bot.say(ANNA, "!vertretung absagen 1")
    assert bot.dms[-1][0] == BEN and "abgesagt" in bot.dms[-1][1]
    [(_, _, cancelled)] = bot.edits
    assert cancelled.startswith("❌ Abgesagt (#1): Digitaltag") and cancelled.endswith("wird nicht mehr gebraucht.")
    assert "übernehme" not in cancelled and "✋" not in cancelled and "Antwort bis" not in cancelled
    assert "abgeschlossen" in await bot.say(ANNA, "!zusage 1 @ben:rastatt.de")


async def test_withdrawing_an_accepted_offer_reopens_the_request(bot: Bot) -> None:
    await _ask(bot)
    await bot.say(BEN, "!übernehme 1")
    await bot.say(ANNA, "!zusage 1 @ben:rastatt.de")
    await bot.say(ANNA, "!sprache en")  # direct messages come in the recipient's language
    assert "nicht mehr dabei" in await bot.say(BEN, "!vertretung zurückziehen 1")
    assert bot.dms[-1][0] == ANNA and "can no longer make it to #1" in bot.dms[-1][1] and "open again" in bot.dms[-1][1]
    assert "(offen)" in await bot.say(DORA, "!vertretung 1")
    assert [body.split(" ")[1] for _, _, body in bot.edits] == ["Besetzt", "Wieder"], "filled, then open again"
    assert "notiert" in await bot.say(CLARA, "!übernehme 1")


@pytest.mark.parametrize(
    ("sender", "command", "expected"),
    [
        (BEN, "!übernehme 7", "Eine Vertretung #7 gibt es nicht"),
        (ANNA, "!übernehme 1", "deine eigene Anfrage"),
        (ANNA, "!zusage 1 @clara:ettlingen.de", "nicht angeboten"),
        (ANNA, "!zusage 1 Zorro", "Wen meinst du mit „Zorro“?"),
        (CLARA, "!zusage 1 @ben:rastatt.de", "dürfen nur, wer sie angefragt hat"),
        (ANNA, "!vertretung 1.1.2020 10-12 Uhr Messe", "Vergangenheit"),
        (ANNA, "!vertretung 12.12. 16-10 Uhr Messe", "16"),
        (ANNA, "!vertretung absagen", "So geht's: !vertretung absagen <Nr>"),
        (BEN, "!vertretungen Atlantis", "verstehe ich nicht als Filter"),
        (BEN, "!bilanz neunzehn", "ist kein Jahr"),
    ],
)
async def test_bad_input_gets_a_friendly_explanation(bot: Bot, sender: str, command: str, expected: str) -> None:
    await _ask(bot)
    await bot.say(BEN, "!übernehme 1")
    assert expected in await bot.say(sender, command)


async def test_two_offers_at_the_same_moment_are_both_recorded(bot: Bot) -> None:
    await _ask(bot)
    replies = await asyncio.gather(bot.say(BEN, "!übernehme 1"), bot.say(CLARA, "!übernehme 1"))
    assert all("notiert" in r for r in replies)
    async with bot.db.transaction() as repos:
        record = await repos.substitutions.get(1)
    assert record is not None and sorted(o.user_id for o in record.offers) == [BEN, CLARA]


async def test_list_filters(bot: Bot) -> None:
    await _ask(bot)
    await bot.say(BEN, "!vertretung 14.12. ganztägig Messe Rastatt #Sensorik")
    assert "Tipp: Mit #Thema" in await bot.say(DORA, "!vertretung 15.12. 9-12 Uhr Infostand")
    everything = await bot.say(CLARA, "!vertretungen")
    assert "#1" in everything and "#2" in everything
    assert "#2" not in await bot.say(CLARA, "!vertretungen Bühl")
    only = await bot.say(CLARA, "!vertretungen #sensorik")
    assert "#2" in only and "#1" not in only
    assert "niemand" in await bot.say(CLARA, "!vertretungen meine")


async def test_taking_back_the_reaction_withdraws_a_plain_offer_only(bot: Bot) -> None:
    await _ask(bot)
    [announcement] = bot.announcement_ids
    await bot.react(CLARA, announcement)
    clara_reaction = bot.last_reaction
    await bot.react(BEN, announcement, "👍")
    ben_reaction = bot.last_reaction

    async def redact(sender: str, event_id: str) -> None:
        message = IncomingMessage(NETWORK, f"$x{event_id}", sender, "", bot.clock.now(), changes=event_id)
        assert await bot.dispatcher.handle(message) is None

    await redact(BEN, clara_reaction)  # only the person who reacted can take it back
    assert "clara:ettlingen.de (Ettlingen): bietet an" in (await bot.say(DORA, "!vertretung 1")).replace("@", "")
    await redact(CLARA, clara_reaction)
    await bot.say(ANNA, "!zusage 1 @ben:rastatt.de")
    await redact(BEN, ben_reaction)  # accepted: a stray click does not undo a commitment
    shown = await bot.say(DORA, "!vertretung 1")
    assert "clara:ettlingen.de (Ettlingen): zurückgezogen" in shown.replace("@", "")
    assert "ben:rastatt.de (Rastatt): zugesagt" in shown.replace("@", "")


def _formatted(bot: Bot, room: str) -> list[str]:
    return [html for where, html in bot.formatted if where == room]


async def test_suggested_people_are_pinged_only_if_they_asked_for_it(bot: Bot) -> None:
    await _ask(bot)
    [(_, text, mentioned)] = bot.announcements
    assert mentioned == [BEN]
    assert text.endswith("Kennen sich aus: @ben:rastatt.de (Rastatt), @clara:ettlingen.de (Ettlingen)"), text
    [html] = _formatted(bot, NETWORK)
    assert '<a href="https://matrix.to/#/@ben:rastatt.de">@ben:rastatt.de</a> (Rastatt)' in html, "Ben: a pill"
    assert "#/@clara" not in html and "@clara:ettlingen.de (Ettlingen)" in html, "Clara: her name, no pill"
    # The profile says whether one is pinged, and how to change it.
    assert "• Erwähnen erlaubt: nein – ich nenne dich nur beim Namen, ohne Ping. Einschalten: !erwähnen ja" in (
        await bot.say(CLARA, "!profil")
    )
    assert "• Erwähnen erlaubt: nein\n" in await bot.say(BEN, f"!profil {CLARA}") + "\n", "no advice for others"
    await bot.say(BEN, "!sprache en")
    assert "• Mentions allowed: yes – I ping you, e.g. when I suggest you for a substitution. To switch off: " in (
        await bot.say(BEN, "!profile")
    )
    await bot.say(CLARA, "!erwähnen ja")
    await bot.say(ANNA, "!vertretung 14.12. ganztägig Messe #Engagementplattform")
    assert sorted(bot.announcements[-1][2]) == [BEN, CLARA], "once she said yes, she is pinged too"


@pytest.mark.parametrize(
    ("language", "call", "filled", "again", "done"),
    [
        ("de", "Wer kann? !übernehme 1 oder reagiere hier mit ✋.", "✅ Besetzt (#1): Messe", "🔄 Wieder offen",
         "✔️ Erledigt (#1): Messe\n\nSa., 12.12.2026, ganztägig · angefragt von @anna:buehl.de (Bühl) · vertreten "
         "hat: @ben:rastatt.de (Rastatt). Danke!"),
        ("en", "Who can? !offer 1 or react here with ✋.", "✅ Filled (#1): Messe", "🔄 Open again",
         "✔️ Done (#1): Messe\n\nSat 12 Dec 2026, all day · asked by @anna:buehl.de (Bühl) · stood in: "
         "@ben:rastatt.de (Rastatt). Thank you!"),
    ],
)  # fmt: skip
async def test_the_announcement_reads_right_in_every_state(
    db: Database, tmp_path: Path, language: str, call: str, filled: str, again: str, done: str
) -> None:
    """Posted open with a call to offer; edited when filled, open again, filled, done: each state reads as a whole,
    with the call to offer only while people can offer."""
    bot = Bot(db, tmp_path, default_language=language)
    for user, city in ((ANNA, "Bühl"), (BEN, "Rastatt")):
        await bot.say(user, f"!stadt {city}")
    await bot.say(ANNA, "!vertretung 12.12. ganztägig Messe")
    [(_, posted, _)] = bot.announcements
    assert posted.endswith(call)
    await bot.say(BEN, "!übernehme 1")
    await bot.say(ANNA, "!zusage 1 @ben:rastatt.de")
    await bot.say(BEN, "!vertretung zurückziehen 1")
    await bot.say(BEN, "!übernehme 1")
    await bot.say(ANNA, "!zusage 1 @ben:rastatt.de")
    bot.clock.set(datetime(2026, 12, 13, 0, 1, tzinfo=BERLIN))
    await bot.jobs.run(1)
    finished = [str(c["m.new_content"]["body"]).removeprefix("* ") for room, c, _ in bot.scheduled if room == NETWORK]
    states = [body for _, _, body in bot.edits] + finished
    assert len(states) == 4
    assert states[0].startswith(filled) and states[2].startswith(filled)
    assert states[1].startswith(again) and states[1].endswith(call), "open again: the call to offer is back"
    assert states[3] == done
    for closed in (states[0], states[2], states[3]):
        assert "✋" not in closed and "!übernehme" not in closed and "!offer" not in closed, closed


async def test_an_offer_in_the_network_room_gets_a_reaction_not_a_message(bot: Bot) -> None:
    await bot.say(ANNA, REQUEST, room=NETWORK)
    before = len(bot.transport.sent)
    reply = await bot.reply(BEN, "!übernehme 1", room=NETWORK)
    assert reply.reaction == "✅" and reply.markdown == ""
    assert bot.reactions == [(NETWORK, bot.last_event, "✅")], "a ✅ on the command itself"
    sent = zip(bot.transport.sent[before:], bot.transport.event_types[before:], strict=True)
    in_room = [(room, event_type) for (room, _, _), event_type in sent]
    assert in_room == [(NETWORK, "m.reaction"), ("!dm-" + ANNA, "m.room.message")], "no message in the network room"
    assert "bietet an, dich bei #1 zu vertreten" in bot.dms[-1][1], "the requester is told as before"
    # Elsewhere (a group room) the thanks stay a reply.
    assert "Danke! Dein Angebot für #1 ist notiert" in await bot.say(CLARA, "!übernehme 1")


async def test_plural_forms_in_lists_and_replies(bot: Bot) -> None:
    assert "Gebraucht: 2 Personen." in await bot.say(ANNA, "!vertretung 12.12. 10-16 Uhr 2 Personen Digitaltag")
    assert ", 0 Angebote" in await bot.say(DORA, "!vertretungen")
    await bot.say(BEN, "!übernehme 1")
    assert ", 1 Angebot\n" in await bot.say(DORA, "!vertretungen") + "\n"
    await bot.say(CLARA, "!übernehme 1")
    assert ", 2 Angebote" in await bot.say(DORA, "!vertretungen")
    assert "Es wird noch 1 Person gebraucht." in await bot.say(ANNA, "!zusage 1 @ben:rastatt.de")
    await bot.say(ANNA, "!sprache en")
    assert "Needed: 1 person." in await bot.say(ANNA, "!vertretung 13.12. 10-16 Uhr Messe")


async def test_the_balance_says_what_is_pending(bot: Bot) -> None:
    await _ask(bot)
    assert await bot.say(DORA, "!bilanz") == (
        "2026 gab es noch keine erledigte Vertretung zwischen Städten.\n\n1 Anfrage ist noch offen: !vertretungen"
    )
    await bot.say(BEN, "!übernehme 1")
    await bot.say(ANNA, "!zusage 1 @ben:rastatt.de")
    assert await bot.say(DORA, "!bilanz") == (
        "2026 gab es noch keine erledigte Vertretung zwischen Städten.\n\n"
        "1 Vertretung ist vereinbart und zählt, sobald sie erledigt ist."
    )
    [(_, html)] = [(room, h) for room, h in bot.formatted if "Vertretung ist vereinbart" in h]
    assert html == (
        "<p>2026 gab es noch keine erledigte Vertretung zwischen Städten.</p>\n"
        "<p>1 Vertretung ist vereinbart und zählt, sobald sie erledigt ist.</p>"
    )


async def test_a_reaction_that_cannot_be_taken_is_explained_by_direct_message_not_in_the_room(bot: Bot) -> None:
    await _ask(bot)
    [announcement] = bot.announcement_ids
    sent_before = len(bot.transport.bodies)
    assert await bot.react(ANNA, announcement) == "", "nothing in the network room"
    [(user, told)] = bot.dms[-1:]
    assert user == ANNA and "deine eigene Anfrage" in told, told
    assert "So geht" not in told, "a click has no usage line"
    assert not [body for room, body in bot.transport.bodies[sent_before:] if room == NETWORK]


async def test_a_reaction_that_crashes_apologises_by_direct_message(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    await _ask(bot)
    [announcement] = bot.announcement_ids

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(SubstitutionRepository, "set_offer", broken)
    sent_before = len(bot.transport.bodies)
    assert await bot.react(CLARA, announcement) == "", "nothing in the network room"
    [(user, told)] = bot.dms[-1:]
    assert user == CLARA and "Referenz" in told, told
    assert not [body for room, body in bot.transport.bodies[sent_before:] if room == NETWORK]
