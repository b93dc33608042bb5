"""Substitutions end to end with people of three cities: ask, offer by command and by ✋ reaction, accept,
the reminder arriving by direct message, expiry and cancel, all through a real homeserver."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.dev.client import DevClient
from commands.substitutions import SubstitutionJobs
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser

pytestmark = pytest.mark.e2e

BERLIN = ZoneInfo("Europe/Berlin")


async def ask(user: DevClient, room: str, bot: RunningBot, body: str) -> str:
    event_id = await user.send_text(room, body)
    reply = await user.wait_for_message(lambda m: m.sender == bot.user_id and m.reply_to == event_id, timeout=30)
    return reply.body


async def direct_message(user: DevClient, bot: RunningBot, text: str) -> str:
    """The next direct message from the bot containing `text` (joining the direct chat on first use)."""
    if not any(m.sender == bot.user_id and m.room_id not in user.nio.rooms for m in user.received()):
        try:
            dm = await user.wait_for_invite(inviter=bot.user_id, timeout=2)
        except TimeoutError:
            dm = None
        if dm is not None:
            await user.join(dm)
    message = await user.wait_for_message(lambda m: m.sender == bot.user_id and text in m.body, timeout=30)
    return message.body


def _day(days: int) -> str:
    return (datetime.now(BERLIN) + timedelta(days=days)).strftime("%d.%m.%Y")


async def test_lifecycle_across_three_cities(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    anna, ben, clara = await make_user("anna"), await make_user("ben"), await make_user("clara")
    room = await anna.create_room(name="Netzwerk", invite=[bot.user_id, ben.user_id, clara.user_id])
    for user in (ben, clara):
        await user.join(room)
    await anna.wait_for_join(room, bot.user_id)
    for user, city in ((anna, "Bühl"), (ben, "Rastatt"), (clara, "Ettlingen")):
        await ask(user, room, bot, f"!stadt {city}")
        await ask(user, room, bot, "!ichweiss Engagementplattform")
    await ask(ben, room, bot, "!erwähnen ja")  # pings are opt-in

    request_id = await anna.send_text(room, f"!vertretung {_day(3)} 10-16 Uhr Digitaltag, Stand #Engagementplattform")
    announcement = await ben.wait_for_message(
        lambda m: m.sender == bot.user_id and m.reply_to == request_id, timeout=30
    )
    assert "Vertretung #1 eingetragen" in announcement.body and "Vertretung gesucht" in announcement.body
    assert "ben" in announcement.body and "clara" in announcement.body, "colleagues of other cities suggested"
    assert announcement.mentioned_user_ids == [ben.user_id], "only who asked for pings is pinged"

    assert "notiert" in await ask(ben, room, bot, "!übernehme 1 bin ab 10 da")
    assert "bietet an, dich bei #1 zu vertreten" in await direct_message(anna, bot, "bietet an")

    # Clara offers with a reaction on the announcement; the bot answers below it.
    await clara.send_event(
        room,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": announcement.event_id, "key": "✋"}},
    )
    noted = await clara.wait_for_message(
        lambda m: m.sender == bot.user_id and m.reply_to == announcement.event_id and "notiert" in m.body, timeout=30
    )
    assert "#1" in noted.body

    accepted = await ask(anna, room, bot, f"!zusage 1 {ben.user_id}")
    assert "besetzt" in accepted
    assert "Du vertrittst bei #1" in await direct_message(ben, bot, "Du vertrittst")
    assert "nicht gebraucht" in await direct_message(clara, bot, "nicht gebraucht")
    edit = await clara.wait_for_message(
        lambda m: m.sender == bot.user_id and m.relates_to.get("rel_type") == "m.replace", timeout=30
    )
    assert edit.relates_to["event_id"] == announcement.event_id, "the announcement itself shows it is filled"
    assert edit.content["m.new_content"]["body"].startswith("✅ Besetzt")

    # The reminder "the day before", brought forward to a few seconds from now by the test.
    assert bot.app is not None and bot.app.planner.of(SubstitutionJobs) is not None
    jobs = bot.app.planner.of(SubstitutionJobs)
    async with bot.app.db.transaction() as repos:
        record = await repos.substitutions.get(1)
    assert record is not None
    jobs.reminder_before = record.start - (bot.app.clock.now() + timedelta(seconds=3))
    await jobs.refresh("substitution", 1)
    assert "Erinnerung an Vertretung #1" in await direct_message(anna, bot, "Erinnerung an Vertretung")
    assert "Erinnerung an Vertretung #1" in await direct_message(ben, bot, "Erinnerung an Vertretung")

    # A second request nobody is accepted for expires at its deadline; a third is cancelled.
    await ask(anna, room, bot, f"!vertretung {_day(4)} ganztägig Messe #Sensorik")
    await ask(ben, room, bot, "!übernehme 2")
    now = bot.app.clock.now()
    async with bot.app.db.transaction() as repos:
        await repos.substitutions.set_deadline(2, now + timedelta(seconds=2), now=now)
    await jobs.refresh("substitution", 2)
    assert "#2" in await direct_message(ben, bot, "abgelaufen")
    assert "abgeschlossen" in await ask(clara, room, bot, "!übernehme 2")

    await ask(anna, room, bot, f"!vertretung {_day(5)} 9-12 Uhr Workshop")
    await ask(clara, room, bot, "!übernehme 3")
    assert "absagen oder Zusagen geben dürfen nur, wer sie angefragt hat" in await ask(
        ben, room, bot, "!vertretung absagen 3"
    )
    assert "abgesagt" in await ask(anna, room, bot, "!vertretung absagen 3")
    assert "Vertretung #3" in await direct_message(clara, bot, "ist abgesagt")

    listing = await ask(clara, room, bot, "!vertretungen alle")
    assert all(f"#{n}" in listing for n in (1, 2, 3))


async def test_in_the_network_room_offers_add_no_messages_and_only_who_opted_in_is_pinged(
    start_bot: StartBot, make_user: MakeUser
) -> None:
    anna = await make_user("anna", displayname="Anna Berger")
    ben = await make_user("ben", displayname="Ben Vogel")
    clara = await make_user("clara", displayname="Clara Roth")
    network = await anna.create_room(name="re@di-Netzwerk", invite=[ben.user_id, clara.user_id])
    for user in (ben, clara):
        await user.join(network)
    bot = await start_bot(extra=f'[network]\nnetwork_room = "{network}"\n')
    await anna.invite(network, bot.user_id)
    await anna.wait_for_join(network, bot.user_id)
    for user, city in ((anna, "Bühl"), (ben, "Rastatt"), (clara, "Ettlingen")):
        await ask(user, network, bot, f"!stadt {city}")
        await ask(user, network, bot, "!ichweiss Engagementplattform")
    await ask(ben, network, bot, "!erwähnen ja")
    assert "nein – ich nenne dich nur beim Namen, ohne Ping. Einschalten: !erwähnen ja" in await ask(
        clara, network, bot, "!profil"
    )

    request = await anna.send_text(network, f"!vertretung {_day(3)} 10-16 Uhr Digitaltag #Engagementplattform")
    announcement = await clara.wait_for_message(lambda m: m.sender == bot.user_id and m.reply_to == request)
    assert announcement.mentioned_user_ids == [ben.user_id], "Clara did not opt in: named, not pinged"
    assert announcement.body.endswith("Kennen sich aus: Ben Vogel (Rastatt), Clara Roth (Ettlingen)")
    html = str(announcement.formatted_body)
    assert f'<a href="https://matrix.to/#/{ben.user_id}">Ben Vogel</a> (Rastatt)' in html, "a pill for Ben"
    assert "Clara Roth (Ettlingen)" in html and f"#/{clara.user_id}" not in html, "Clara's name, no pill"

    # `!übernehme` in the network room: a ✅ on the command, no message; the requester is told directly.
    offer = await ben.send_text(network, "!übernehme 1")
    await clara.wait_for(
        lambda: any(r.sender == bot.user_id and r.reacts_to == offer and r.key == "✅" for r in clara.reactions()),
        timeout=30,
    )
    assert "Ben Vogel (Rastatt) bietet an, dich bei #1 zu vertreten" in await direct_message(anna, bot, "bietet an")
    # A ✋ on the announcement: the thanks come by direct message (accepted a moment later).
    await clara.send_event(
        network,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": announcement.event_id, "key": "✋"}},
    )
    await asyncio.sleep(1)  # a person accepts the invite to the direct chat a moment later
    thanks = await direct_message(clara, bot, "notiert")
    assert thanks.startswith("Danke! Dein Angebot für #1 ist notiert; Anna Berger entscheidet")
    await ask(clara, network, bot, "!ping")  # everything the bot said before the pong has arrived
    said = [m for m in clara.received() if m.sender == bot.user_id and m.room_id == network]
    assert not [m for m in said if m.reply_to in (offer, announcement.event_id)], "no extra messages in the room"

    # Filled: the edited announcement reads right as a whole.
    await ask(anna, network, bot, f"!zusage 1 {ben.user_id}")
    edit = await clara.wait_for_message(
        lambda m: m.sender == bot.user_id and m.relates_to.get("rel_type") == "m.replace", timeout=30
    )
    new = edit.content["m.new_content"]
    assert (
        new["body"].startswith("✅ Besetzt (#1): Digitaltag")
        and "es vertritt: Ben Vogel (Rastatt). Danke!" in (new["body"])
    )
    for text in (new["body"], new["formatted_body"]):
        assert "übernehme" not in text and "✋" not in text and "Antwort bis" not in text, text
