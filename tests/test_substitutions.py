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
from tests.harness import BERLIN, NETWORK, Bot

ANNA, BEN, CLARA, DORA = "@anna:buehl.de", "@ben:rastatt.de", "@clara:ettlingen.de", "@dora:buehl.de"
REQUEST = "!vertretung 12.12. 10-16 Uhr Digitaltag Bühl, Stand Engagementplattform #Engagementplattform"


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Bot]:
    bot = Bot(db, tmp_path)
    for user, city in ((ANNA, "Bühl"), (BEN, "Rastatt"), (CLARA, "Ettlingen"), (DORA, "Bühl")):
        await bot.say(user, f"!stadt {city}")
        await bot.say(user, "!ichweiss Engagementplattform")
    await bot.say(CLARA, "!erwähnen nein")
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
    assert mentioned == [BEN], "clara does not want to be pinged: listed, not mentioned"


async def test_full_lifecycle_offer_reaction_accept_remind_done_balance(bot: Bot) -> None:
    await _ask(bot)
    assert "Angebot für #1 ist notiert" in await bot.say(BEN, "!übernehme 1 bin ab 10 Uhr da")
    assert bot.dms[-1][0] == ANNA and "bietet an, dich bei #1 zu vertreten" in bot.dms[-1][1]
    assert "bin ab 10 Uhr da" in bot.dms[-1][1] and "!zusage 1 @ben:rastatt.de" in bot.dms[-1][1]

    [announcement] = bot.announcement_ids
    assert await bot.react(CLARA, "$unrelated") is None, "a ✋ elsewhere is just a reaction"
    reacted = await bot.react(CLARA, announcement, "✋🏽")
    assert reacted is not None and "Angebot für #1 ist notiert" in reacted

    # As a reply to the bot's direct message: the client mentions the bot; that is no one to accept.
    reply = await bot.say(ANNA, "!zusage 1 Ben", mentions=("@redi-bot:example.org",))
    assert "Zugesagt für #1" in reply and "besetzt" in reply
    [(room, edited, status)] = bot.edits
    assert (room, edited) == (NETWORK, announcement), "the posted announcement is edited, not posted again"
    assert status.startswith("✅ Besetzt – es vertritt: @ben:rastatt.de (Rastatt)") and "Vertretung gesucht" in status
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
    assert [body.split("\n")[0] for _, _, body in bot.edits] == ["❌ Abgesagt – wird nicht mehr gebraucht."]
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
