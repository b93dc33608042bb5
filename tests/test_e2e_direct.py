"""Direct messages end to end: the bot's first message into a new encrypted direct chat is readable.

People accept the bot's invite a moment later, as a person does, and most of them already share an
encrypted room with the bot: then the bot knows their devices at once, and it used to encrypt the
first message before the invite was in its member list, so nobody but the bot got the room key."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from nio import MegolmEvent

from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.homeserver import Homeserver
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser, RegisterUser

pytestmark = pytest.mark.e2e

SEED = 20261204


async def _accept_later(person: DevClient, bot: RunningBot, delay: float) -> str:
    room = await person.wait_for_invite(inviter=bot.user_id, timeout=30)
    await asyncio.sleep(delay)  # a person reads the notification first
    await person.join(room)
    return room


async def test_every_first_direct_message_is_readable(
    start_bot: StartBot, make_user: MakeUser, database_url: str | None
) -> None:
    bot = await start_bot(database_url=database_url)
    assert bot.app is not None
    app = bot.app
    colleagues = [await make_user(f"kollegin{i}") for i in range(10)]
    newcomers = [await make_user(f"neu{i}") for i in range(2)]  # never met the bot
    host = colleagues[0]
    team = await host.create_room(name="eAkte", invite=[bot.user_id], encrypted=True)
    for person in colleagues[1:]:
        await host.invite(team, person.user_id)
        await person.join(team)
    await host.wait_for_join(team, bot.user_id)
    # One encrypted exchange in the team room: the bot now knows every colleague's devices.
    question = await host.send_text(team, "!ping")
    for person in colleagues:
        await person.wait_for_message(lambda m: m.sender == bot.user_id and m.reply_to == question, timeout=30)

    # Due together: everyone's direct chat is opened at the same moment; one person gets two at once.
    people = colleagues + newcomers
    now = app.clock.now()
    texts = {p.user_id: [f"Erinnerung für {p.user_id}"] for p in people}
    texts[colleagues[1].user_id].append("Und noch eine zur gleichen Zeit")
    ids = []
    async with app.db.transaction() as repos:
        for user_id, bodies in texts.items():
            for text in bodies:
                record = await repos.reminders.add(
                    user_id=user_id,
                    message=text,
                    due=now,
                    timezone="Europe/Berlin",
                    language="de",
                    created_in=team,
                    now=now,
                )
                ids.append(record.id)
    rng = random.Random(SEED)
    accepting = [asyncio.create_task(_accept_later(p, bot, rng.uniform(1.0, 2.0))) for p in people]
    for reminder_id in ids:
        await app.planner.refresh("personal", reminder_id)
    rooms = await asyncio.gather(*accepting)

    unreadable: list[str] = []
    for person, room in zip(people, rooms, strict=True):
        for text in texts[person.user_id]:

            def wanted(m: ReceivedMessage, room: str = room, text: str = text) -> bool:
                return m.room_id == room and text in m.body

            try:
                message = await person.wait_for_message(wanted, timeout=30)
            except TimeoutError as exc:
                unreadable.append(str(exc))
                continue
            assert message.encrypted, "reminders go into an encrypted direct chat"
            assert message.body == f"⏰ Erinnerung: {text}"
    assert not unreadable, "\n\n".join(unreadable)
    # One direct chat per person, also for two messages produced at once.
    invites = Counter(m.room_id for p in people for m in p.received() if m.sender == bot.user_id and m.room_id != team)
    assert len(invites) == len(people), invites
    assert all(p.pending_invites() == [] for p in people)


async def test_a_new_device_that_asks_for_the_key_can_read_an_earlier_direct_message(
    start_bot: StartBot, register_user: RegisterUser, homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = await start_bot()
    assert bot.app is not None
    app = bot.app
    account = await register_user("dora")
    laptop = await DevClient.login(homeserver.base_url, account.user_id, account.password, tmp_path / "laptop")
    phone: DevClient | None = None
    try:
        now = app.clock.now()
        async with app.db.transaction() as repos:
            record = await repos.reminders.add(
                user_id=account.user_id,
                message="Bericht abgeben",
                due=now,
                timezone="Europe/Berlin",
                language="de",
                created_in="!irgendwo:localhost",
                now=now,
            )
        await app.planner.refresh("personal", record.id)
        dm = await _accept_later(laptop, bot, 0.5)
        first = await laptop.wait_for_message(lambda m: m.room_id == dm and "⏰" in m.body, timeout=30)

        # Later Dora logs in on her phone: it never got the room key of that message, so it asks the bot.
        phone = await DevClient.login(homeserver.base_url, account.user_id, account.password, tmp_path / "phone")
        fetched = await phone.nio.room_get_event(dm, first.event_id)
        event = fetched.event
        assert isinstance(event, MegolmEvent), "a new device cannot read the old message by itself"
        await phone.nio.to_device(event.as_key_request(bot.user_id, phone.device_id))

        readable: list[Any] = []

        def decrypted() -> bool:
            try:
                readable.append(phone.nio.decrypt_event(event))
            except Exception:
                return False
            return True

        await phone.wait_for(decrypted, timeout=30)
        assert readable[0].body == "⏰ Erinnerung: Bericht abgeben"
    finally:
        await laptop.close()
        if phone is not None:
            await phone.close()
