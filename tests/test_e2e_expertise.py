"""Who knows what, end to end: people in three cities fill in profiles and ask through Synapse;
a coordinator onboards colleagues from a CSV file uploaded into the room."""

from __future__ import annotations

import pytest

from bot.dev.client import DevClient
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser

pytestmark = pytest.mark.e2e


async def ask(user: DevClient, room: str, bot: RunningBot, body: str, *, reply_to: str | None = None) -> str:
    if reply_to is None:
        event_id = await user.send_text(room, body)
    else:
        event_id = await user.send_text(room, body, reply_to=reply_to)
    reply = await user.wait_for_message(lambda m: m.sender == bot.user_id and m.reply_to == event_id, timeout=30)
    return reply.body


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_profiles_and_questions_across_cities(start_bot: StartBot, make_user: MakeUser, encrypted: bool) -> None:
    bot = await start_bot(extra='[expertise]\nsynonyms = [["XRechnung", "E-Rechnung"]]\n')
    anna = await make_user("anna", displayname="Anna Schmidt")
    ben = await make_user("ben", displayname="Ben Braun")
    cem = await make_user("cem", displayname="Cem Yilmaz")
    room = await anna.create_room(name="Netzwerk", invite=[bot.user_id, ben.user_id, cem.user_id], encrypted=encrypted)
    for member in (ben, cem):
        await member.join(room)
    await anna.wait_for_join(room, bot.user_id)

    assert "Eingetragen: XRechnung, eAkte." in await ask(anna, room, bot, "!ichweiss XRechnung, eAkte")
    assert "Deine Stadt: Bühl." in await ask(anna, room, bot, "!stadt buehl")
    assert "Eingetragen: E-Rechnung." in await ask(ben, room, bot, "!iknow E-Rechnung")
    assert "Deine Stadt: Rastatt." in await ask(ben, room, bot, "!city rastatt")

    answer = await ask(cem, room, bot, "!werweiß xrechnung")
    assert "1. Anna Schmidt – Bühl — XRechnung" in answer
    assert "2. Ben Braun – Rastatt — E-Rechnung (verwandter Begriff)" in answer
    assert "Ben Braun" not in await ask(cem, room, bot, "!wer-weiss XRechnung nicht in Rastatt")

    assert "Entfernt: XRechnung." in await ask(anna, room, bot, "!ichweissnicht xrechnung")
    answer = await ask(cem, room, bot, "!werweiss XRechnung")
    assert "Anna" not in answer and "1. Ben Braun" in answer
    assert "Dein Profil ist gelöscht" in await ask(ben, room, bot, "!profil löschen")
    assert "niemanden gefunden" in await ask(cem, room, bot, "!werweiss XRechnung")


async def test_questions_in_other_forms_and_compounds(start_bot: StartBot, make_user: MakeUser) -> None:
    """Issue #12 through the homeserver, each answer as the person asking reads it: another form of a word, a
    compound, the network's default synonyms (the config names none), and never the asker."""
    bot = await start_bot()
    anna = await make_user("anna", displayname="Anna Schmidt")
    ben = await make_user("ben", displayname="Ben Braun")
    room = await anna.create_room(name="Netzwerk", invite=[bot.user_id, ben.user_id])
    await ben.join(room)
    await anna.wait_for_join(room, bot.user_id)

    entered = await ask(anna, room, bot, "!ichweiss Vertrag, XRechnung, Druckerflotte")
    assert "Eingetragen: Vertrag, XRechnung, Druckerflotte." in entered
    assert "1. Anna Schmidt — Vertrag (andere Wortform)" in await ask(ben, room, bot, "!werweiss Verträge")
    assert "1. Anna Schmidt — XRechnung (Wortteil)" in await ask(ben, room, bot, "!werweiss XRechnungsportal")
    assert "1. Anna Schmidt — Druckerflotte (Wortteil)" in await ask(ben, room, bot, "!werweiss Druckern")
    answer = await ask(ben, room, bot, "!werweiss e-rechnung")
    assert "1. Anna Schmidt — XRechnung (verwandter Begriff)" in answer
    assert "Vertrag" not in answer and "Druckerflotte" not in answer
    assert "niemanden gefunden" in await ask(anna, room, bot, "!werweiss Verträge"), "the asker is no answer"


CSV = (
    "matrix_id;name;stadt;gruppen;themen;notiz\n"
    "@dora:localhost;Dora Daum;Bruchsal;eAkte;LoRaWAN, Sensorik;Mo–Do\n"
    "@emil:localhost;Emil Engel;Gaggenau;Sensorik;Sensorik;\n"
).encode()
BAD_CSV = b"matrix_id,stadt\n@fritz:localhost,Karlsruhe\n"


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_coordinator_imports_profiles_from_a_file(
    start_bot: StartBot, make_user: MakeUser, encrypted: bool
) -> None:
    coordinator = await make_user("koordination")
    member = await make_user("mitglied")
    bot = await start_bot(extra=f'[network]\ncoordinators = ["{coordinator.user_id}"]\n')
    room = await coordinator.create_room(name="Koordination", invite=[bot.user_id, member.user_id], encrypted=encrypted)
    await member.join(room)
    await coordinator.wait_for_join(room, bot.user_id)

    bad = await coordinator.send_file(room, "fehler.csv", BAD_CSV)
    report = await ask(coordinator, room, bot, "!import", reply_to=bad)
    assert "Zeile 2" in report and "Karlsruhe" in report and "nichts importiert" in report

    upload = await coordinator.send_file(room, "profile.csv", CSV)
    assert "Das dürfen nur Koordinator:innen" in await ask(member, room, bot, "!import", reply_to=upload)
    assert "So geht's" in await ask(coordinator, room, bot, "!import")
    dry_run = await ask(coordinator, room, bot, "!import", reply_to=upload)
    assert "2 neu" in dry_run and "!import anwenden" in dry_run
    assert "Erwähnen" not in dry_run, "no erwaehnen column: nobody is pinged, so there is nothing to say"
    assert "niemanden gefunden" in await ask(member, room, bot, "!werweiss LoRaWAN")

    applied = await ask(coordinator, room, bot, "!import anwenden", reply_to=upload)
    assert "2 neu" in applied
    answer = await ask(member, room, bot, "!werweiss Sensorik in Gaggenau")
    assert "1. Emil Engel – Gaggenau · Sensorik — Sensorik" in answer
    profile = await ask(member, room, bot, "!profil @dora:localhost")
    assert "Stadt: Bruchsal" in profile and "Themen: LoRaWAN, Sensorik" in profile and "Notiz: Mo–Do" in profile
    assert "Erwähnen erlaubt: nein" in profile, "pings are opt-in, for imported profiles too"
