"""The decision log end to end through a real homeserver: logging as a reply (context fetched and kept, also
after the source is edited and deleted), minutes, searching with filters, supersede and revoke with
permissions, and the export arriving as an uploaded file; people named by their display names, action items
numbered among themselves, as the client receives the messages."""

from __future__ import annotations

import pytest

from bot.dev.client import DevClient, ReceivedMessage
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser

pytestmark = pytest.mark.e2e


async def ask(user: DevClient, room: str, bot: RunningBot, body: str, *, reply_to: str | None = None) -> str:
    return (await answer(user, room, bot, body, reply_to=reply_to)).body


async def answer(
    user: DevClient, room: str, bot: RunningBot, body: str, *, reply_to: str | None = None
) -> ReceivedMessage:
    event_id = await user.send_text(room, body, reply_to=reply_to)
    return await user.wait_for_message(lambda m: m.sender == bot.user_id and m.reply_to == event_id, timeout=30)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_decisions_minutes_search_revise_export(
    start_bot: StartBot, make_user: MakeUser, encrypted: bool
) -> None:
    bot = await start_bot()
    anna, ben = await make_user("anna", displayname="Anna Berger"), await make_user("ben", displayname="Ben Müller")
    room = await anna.create_room(name="eAkte", invite=[bot.user_id, ben.user_id], encrypted=encrypted)
    await ben.join(room)
    await anna.wait_for_join(room, bot.user_id)
    await ask(ben, room, bot, "!ichweiss Aktenplan")  # Ben's profile: his name as the room shows it

    # A decision as a reply: the replied-to message is copied, and stays when it is edited and deleted.
    source = await ben.send_text(room, "Vorschlag: Wir testen das DMS von Anbieter B ab März.")
    logged = await ask(anna, room, bot, "!beschluss DMS von Anbieter B wird ab März getestet #DMS", reply_to=source)
    assert "Beschluss #1 festgehalten" in logged
    await ben.send_content(
        room,
        {
            "msgtype": "m.text",
            "body": "* Vorschlag: Anbieter C",
            "m.new_content": {"msgtype": "m.text", "body": "Vorschlag: Anbieter C"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": source},
        },
    )
    await ben.redact(room, source, reason="vertippt")
    # The bot handles events in order: once it answers a later command, the edit and deletion are in.
    await ask(anna, room, bot, "!ping")
    shown = await ask(ben, room, bot, "!beschluss 1")
    assert "Anbieter B ab März" in shown, "the log keeps its own copy of the source"
    assert "gelöscht" in shown
    assert "Bezieht sich auf Ben Müller:" in shown and ben.user_id not in shown, "a name, not a Matrix id"

    # Minutes with an info, a decision and an action item; the file is uploaded at the end.
    assert "läuft" in await ask(anna, room, bot, "!sitzung start Jour fixe eAkte")
    assert "Info 1 im Protokoll" in await ask(anna, room, bot, "!info Schulung war gut besucht")
    await ask(anna, room, bot, "!beschluss Aktenplan wird bis Juni überarbeitet #Aktenplan")
    task = await answer(anna, room, bot, f"!aufgabe {ben.user_id} bis 15.12. Entwurf Aktenplan schicken")
    # The first action item is #1 (after an info and a decision); Ben is named with a pill and not pinged.
    assert task.body.startswith("Aufgabe #1 für Ben Müller bis 15.12."), task.body
    assert task.formatted_body is not None and ">Ben Müller</a> bis 15.12." in task.formatted_body
    assert task.content.get("m.mentions") == {}, "Ben did not say !erwähnen ja"
    end_id = await anna.send_text(room, "!sitzung ende")
    minutes = await anna.wait_for_message(
        lambda m: (
            (m.sender == bot.user_id and m.reply_to == end_id and m.msgtype == "m.text")
            or (m.sender == bot.user_id and m.reply_to == end_id and "Protokoll" in m.body)
        ),
        timeout=30,
    )
    assert "Schulung war gut besucht" in minutes.body and "Entwurf Aktenplan schicken" in minutes.body
    assert f"#1 Entwurf Aktenplan schicken – zuständig: Ben Müller ({ben.user_id})" in minutes.body
    upload = await anna.wait_for_message(
        lambda m: m.sender == bot.user_id and m.msgtype == "m.file" and m.reply_to == end_id, timeout=30
    )
    assert upload.body.startswith("protokoll-jour-fixe-eakte-") and upload.encrypted == encrypted

    # Search with filters; revise with permissions.
    found = await ask(ben, room, bot, "!beschluesse aktenplan")
    assert "#2" in found and "#1" not in found
    assert "#1" in await ask(ben, room, bot, "!beschluesse #dms")
    assert "dürfen nur, wer ihn festgehalten hat" in await ask(ben, room, bot, "!beschluss aufheben 2 passt nicht")
    assert "#3 ersetzt #2" in await ask(anna, room, bot, "!beschluss ersetzen 2 Aktenplan wird bis Juli überarbeitet")
    assert "2 weitere sind ersetzt" not in await ask(ben, room, bot, "!beschluesse aktenplan status:alle")

    # Export: the CSV arrives as an m.file upload.
    export_id = await ben.send_text(room, "!export beschluesse csv")
    exported = await ben.wait_for_message(
        lambda m: m.sender == bot.user_id and m.msgtype == "m.file" and m.reply_to == export_id, timeout=30
    )
    assert exported.body.endswith(".csv")
