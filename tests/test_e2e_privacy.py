"""Data protection end to end through the real homeserver (SQLite, and PostgreSQL with REDI_TEST_DATABASE_URL): a
person with a profile, a meeting, a substitution offer and a decision gets everything by `!meinedaten` as encrypted
files in a direct chat they accept a moment later, then leaves with `!vergissmich` (asked in the group, answered in
the direct chat) and its code. Afterwards their profile is gone, the decision says "ehemaliges Mitglied", the
requester was told, and their id is nowhere in the database."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta

import pytest
from nio.crypto.attachments import decrypt_attachment

from bot.dev.client import DevClient, ReceivedMessage
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser
from tests.harness import BERLIN
from tests.test_privacy import scan_database

pytestmark = pytest.mark.e2e


async def ask(user: DevClient, room: str, bot: RunningBot, body: str) -> str:
    event_id = await user.send_text(room, body)
    reply = await user.wait_for_message(lambda m: m.sender == bot.user_id and m.reply_to == event_id, timeout=30)
    return reply.body


async def accept_direct_chat(user: DevClient, bot: RunningBot) -> str:
    room = await user.wait_for_invite(inviter=bot.user_id, timeout=30)
    await asyncio.sleep(1.0)  # a person reads the notification first
    await user.join(room)
    return room


async def read_file(user: DevClient, message: ReceivedMessage) -> bytes:
    file_info = message.content.get("file")
    assert file_info is not None, "in an encrypted chat the file is encrypted too"
    download = await user.nio.download(file_info["url"])
    return bytes(
        decrypt_attachment(download.body, file_info["key"]["k"], file_info["hashes"]["sha256"], file_info["iv"])
    )


def _day(days: int) -> str:
    return (datetime.now(BERLIN) + timedelta(days=days)).strftime("%d.%m.%Y")


async def test_my_data_then_forget_me(start_bot: StartBot, make_user: MakeUser, database_url: str | None) -> None:
    bot = await start_bot(database_url=database_url)
    assert bot.app is not None
    anna, ben = await make_user("anna"), await make_user("ben")
    room = await anna.create_room(name="Netzwerk", invite=[bot.user_id, ben.user_id], encrypted=True)
    await ben.join(room)
    await anna.wait_for_join(room, bot.user_id)
    await ask(anna, room, bot, "!stadt Bühl")
    await ask(anna, room, bot, "!ichweiss eAkte")
    await ask(ben, room, bot, "!stadt Rastatt")
    assert "eingetragen" in await ask(anna, room, bot, "!termin jeden Dienstag 10:00 Jour fixe")
    assert "Vertretung #1 eingetragen" in await ask(ben, room, bot, f"!vertretung {_day(5)} 10-16 Uhr Messe")
    assert "notiert" in await ask(anna, room, bot, "!übernehme 1 bin ab 10 da")
    assert "#1" in await ask(anna, room, bot, "!beschluss Wir testen DMS B ab März")

    # Access: two files in an encrypted direct chat, accepted a moment later.
    accepting = asyncio.create_task(accept_direct_chat(anna, bot))
    assert "Direktnachricht" in await ask(anna, room, bot, "!meinedaten")
    dm = await accepting
    files = {}
    for suffix in (".json", ".md"):

        def is_file(m: ReceivedMessage, suffix: str = suffix) -> bool:
            return m.room_id == dm and m.msgtype == "m.file" and m.body.endswith(suffix)

        message = await anna.wait_for_message(is_file, timeout=30)
        assert message.encrypted
        files[suffix] = await read_file(anna, message)
    tables = json.loads(files[".json"])["tables"]
    assert tables["profiles"][0]["city"] == "Bühl"
    assert tables["meetings"][0]["title"] == "Jour fixe"
    assert tables["substitution_offers"][0]["note"] == "bin ab 10 da"
    assert tables["decisions"][0]["text"] == "Wir testen DMS B ab März"
    assert "Jour fixe" in files[".md"].decode()

    # Erasure, asked in the group room: the preview with its code comes by direct message, the code confirms there.
    assert "Direktnachricht" in await ask(anna, room, bot, "!vergissmich")
    preview = await anna.wait_for_message(lambda m: m.room_id == dm and "!vergissmich " in m.body, timeout=30)
    assert preview.encrypted
    match = re.search(r"!vergissmich ([0-9a-f]{6})", preview.body)
    assert match, preview.body
    ben_dm = asyncio.create_task(accept_direct_chat(ben, bot))
    assert "ehemaliges Mitglied 1" in await ask(anna, dm, bot, f"!vergissmich {match.group(1)}")
    ben_chat = await ben_dm
    told = await ben.wait_for_message(lambda m: m.room_id == ben_chat and "zurückgezogen" in m.body, timeout=30)
    assert "#1" in told.body and told.encrypted

    assert "kein Profil" in await ask(ben, room, bot, f"!profil {anna.user_id}")
    shown = await ask(ben, room, bot, "!beschluss 1")
    assert "ehemaliges Mitglied 1" in shown and anna.user_id not in shown
    assert await scan_database(bot.app.db, anna.user_id) == []
