"""Calendar subscription end to end: a real person in a room with the bot asks `!termine abo`, accepts the direct
chat a moment later, reads the secret address there (encrypted), subscribes over HTTP like a calendar program and
parses the feed; a change of the meeting shows in the feed, an unchanged feed answers 304, and once revoked the
address answers 404."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import icalendar
import pytest

from bot.dev.homeserver import free_port
from tests.conftest import StartBot
from tests.fixtures_matrix import MakeUser
from tests.test_e2e_meetings import ask
from tests.test_e2e_privacy import accept_direct_chat

pytestmark = pytest.mark.e2e


async def test_subscribe_to_a_rooms_meetings_and_follow_a_change(start_bot: StartBot, make_user: MakeUser) -> None:
    port = free_port()
    bot = await start_bot(extra=f'[web]\nlisten = "127.0.0.1:{port}"\n')
    anna, ben = await make_user("anna"), await make_user("ben")
    room = await anna.create_room(name="Jour fixe", invite=[bot.user_id, ben.user_id], encrypted=True)
    await ben.join(room)
    await anna.wait_for_join(room, bot.user_id)
    assert "eingetragen" in await ask(anna, room, bot, "!termin jeden Dienstag 10:00 Jour fixe")

    accepting = asyncio.create_task(accept_direct_chat(anna, bot))
    assert "Direktnachricht" in await ask(anna, room, bot, "!termine abo")
    dm = await accepting
    message = await anna.wait_for_message(lambda m: m.room_id == dm and "/kalender/" in m.body, timeout=30)
    assert message.encrypted
    found = re.search(r"(http://127\.0\.0\.1:\d+/kalender/[A-Za-z0-9_-]+\.ics)", message.body)
    assert found, message.body
    url = found.group(1)

    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200, await response.text()
            etag = response.headers["ETag"]
            [event] = icalendar.Calendar.from_ical(await response.read()).walk("VEVENT")
        assert str(event["summary"]) == "Jour fixe"
        async with http.get(url, headers={"If-None-Match": etag}) as response:
            assert response.status == 304

        assert "#1" in await ask(anna, room, bot, "!termin titel 1 Jour fixe Engagement")
        async with http.get(url, headers={"If-None-Match": etag}) as response:
            assert response.status == 200
            [event] = icalendar.Calendar.from_ical(await response.read()).walk("VEVENT")
        assert str(event["summary"]) == "Jour fixe Engagement"

        assert "gekündigt" in await ask(anna, dm, bot, "!termine abo löschen 1")
        async with http.get(url) as response:
            assert response.status == 404
