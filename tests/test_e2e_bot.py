"""End to end: real people (nio clients) talk to the bot through a real Synapse."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from nio import ErrorResponse
from sqlalchemy import text

from bot.clock import ShiftedClock
from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.homeserver import Homeserver
from bot.scheduler import Delivery, DueMessage, deliver
from tests.conftest import RunningBot, StartBot

pytestmark = pytest.mark.e2e
GRACE = timedelta(hours=2)

MakeUser = Callable[..., Awaitable[DevClient]]


def reply_to(bot: RunningBot, event_id: str) -> Callable[[ReceivedMessage], bool]:
    def match(message: ReceivedMessage) -> bool:
        relates = message.content.get("m.relates_to") or {}
        return message.sender == bot.user_id and (relates.get("m.in_reply_to") or {}).get("event_id") == event_id

    return match


async def room_with_bot(user: DevClient, bot: RunningBot, *, encrypted: bool = False) -> str:
    room = await user.create_room(name="Projektgruppe eAkte", invite=[bot.user_id], encrypted=encrypted)
    await user.wait_for_join(room, bot.user_id)
    return room


async def test_ping_in_plain_room(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    anna = await make_user("anna")
    room = await room_with_bot(anna, bot)
    event_id = await anna.send_text(room, "!ping")
    reply = await anna.wait_for_message(reply_to(bot, event_id))
    assert reply.msgtype == "m.notice"
    assert "Pong" in reply.body
    assert reply.content["m.mentions"] == {}, "a reply pings nobody"
    assert not reply.encrypted


async def test_ping_in_encrypted_room(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    ben = await make_user("ben")
    room = await room_with_bot(ben, bot, encrypted=True)
    event_id = await ben.send_text(room, "!ping")
    reply = await ben.wait_for_message(reply_to(bot, event_id), timeout=30)
    assert reply.encrypted
    assert "Pong" in reply.body
    # and a second command in the same session works too (megolm session reuse)
    event_id = await ben.send_text(room, "!hilfe ping")
    assert "Prüft, ob ich antworte" in (await ben.wait_for_message(reply_to(bot, event_id), timeout=30)).body


async def test_reply_stays_in_the_thread(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    cem = await make_user("cem")
    room = await room_with_bot(cem, bot)
    root = await cem.send_text(room, "Frage zur eAkte")
    event_id = await cem.send_text(room, "!ping", thread_root=root)
    reply = await cem.wait_for_message(reply_to(bot, event_id))
    relates = reply.content["m.relates_to"]
    assert relates["rel_type"] == "m.thread"
    assert relates["event_id"] == root


async def test_user_html_arrives_escaped(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    dora = await make_user("dora")
    room = await room_with_bot(dora, bot)
    event_id = await dora.send_text(room, '!<img src=x onerror="alert(1)">')
    reply = await dora.wait_for_message(reply_to(bot, event_id))
    assert reply.formatted_body is not None
    assert "<img" not in reply.formatted_body
    assert "&lt;img" in reply.formatted_body
    assert "kenne ich nicht" in reply.body


async def test_language_switch_through_matrix(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    emil = await make_user("emil")
    room = await room_with_bot(emil, bot)
    await emil.wait_for_message(reply_to(bot, await emil.send_text(room, "!language en")))
    reply = await emil.wait_for_message(reply_to(bot, await emil.send_text(room, "!pnig")))
    assert "I don't know the command !pnig. Did you mean !ping?" in reply.body


async def test_history_before_join_is_not_answered(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    fee = await make_user("fee")
    room = await fee.create_room(name="Altlasten")
    old = await fee.send_text(room, "!ping")
    await fee.invite(room, bot.user_id)
    await fee.wait_for_join(room, bot.user_id)
    new = await fee.send_text(room, "!ping")
    await fee.wait_for_message(reply_to(bot, new))
    assert not [m for m in fee.received() if reply_to(bot, old)(m)]


async def test_notices_and_edits_are_ignored(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    gil = await make_user("gil")
    room = await room_with_bot(gil, bot)
    notice = await gil.send_content(room, {"msgtype": "m.notice", "body": "!ping"})
    original = await gil.send_text(room, "Hallo")
    edit = await gil.send_content(
        room,
        {
            "msgtype": "m.text",
            "body": "!ping",  # some clients send no "* " fallback prefix
            "m.new_content": {"msgtype": "m.text", "body": "!ping"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original},
        },
    )
    marker = await gil.send_text(room, "!ping")
    await gil.wait_for_message(reply_to(bot, marker))
    answered = {
        (m.content.get("m.relates_to") or {}).get("m.in_reply_to", {}).get("event_id")
        for m in gil.received()
        if m.sender == bot.user_id and m.reply_to  # the bot's hello on arrival answers nothing
    }
    assert answered == {marker}, (notice, edit)


async def test_restart_answers_downtime_commands_once(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    hana = await make_user("hana")
    room = await room_with_bot(hana, bot)
    before = await hana.send_text(room, "!ping")
    await hana.wait_for_message(reply_to(bot, before))
    await bot.stop()
    during = await hana.send_text(room, "!ping")
    await bot.start()
    await hana.wait_for_message(reply_to(bot, during), timeout=30)
    after = await hana.send_text(room, "!ping")
    await hana.wait_for_message(reply_to(bot, after))
    replies = [m for m in hana.received() if m.sender == bot.user_id and m.reply_to]
    targets = [(m.content["m.relates_to"]["m.in_reply_to"]["event_id"]) for m in replies]
    assert sorted(targets) == sorted([before, during, after]), "each command answered exactly once"


async def test_commands_older_than_max_age_are_not_answered(start_bot: StartBot, make_user: MakeUser) -> None:
    clock = ShiftedClock()
    bot = await start_bot(max_age=60, clock=clock)
    ida = await make_user("ida")
    room = await room_with_bot(ida, bot)
    await bot.stop()
    stale = await ida.send_text(room, "!ping")
    # The bot is back two minutes later by its clock. The homeserver stamped the command with its own clock, which
    # keeps running as it is, so the bot's clock is ahead only while it takes in the backlog: start() returns once
    # the first sync, the one that brings `stale`, has been handled.
    clock.advance(timedelta(minutes=2))
    await bot.start()
    clock.advance(-timedelta(minutes=2))  # in step with the homeserver again: a command sent now is fresh
    fresh = await ida.send_text(room, "!ping")
    await ida.wait_for_message(reply_to(bot, fresh))
    assert not [m for m in ida.received() if reply_to(bot, stale)(m)]


async def test_invites_only_from_the_allowlist(
    start_bot: StartBot, make_user: MakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    friend = await make_user("freundin")
    stranger = await make_user("fremd")
    bot = await start_bot(servers=(), users=(friend.user_id,))
    with caplog.at_level(logging.WARNING, logger="bot.matrix"):
        refused = await stranger.create_room(name="Fremder Raum", invite=[bot.user_id])
        await stranger.wait_for_membership(refused, bot.user_id, "leave")
    assert [r.getMessage() for r in caplog.records if r.name == "bot.matrix"] == [
        f"declined the invite of {stranger.user_id} to {refused}: their server localhost is not in "
        "[invites].allowed_servers (now: none), nor are they in [invites].allowed_users. If the bot should join, add "
        "the server or the account there and reload the config (SIGHUP) or restart; then invite the bot again"
    ]
    accepted = await friend.create_room(name="Erlaubter Raum", invite=[bot.user_id])
    await friend.wait_for_join(accepted, bot.user_id)


async def test_rate_limited_bot_still_answers_everything(
    start_bot: StartBot, make_user: MakeUser, homeserver: Homeserver, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await start_bot()
    await homeserver.set_message_ratelimit(bot.user_id, messages_per_second=1, burst_count=1)
    jan = await make_user("jan")
    room = await room_with_bot(jan, bot)
    with caplog.at_level(logging.WARNING, logger="nio"):
        sent = [await jan.send_text(room, "!ping") for _ in range(5)]
        for event_id in sent:
            await jan.wait_for_message(reply_to(bot, event_id), timeout=60)
    assert any("429" in r.getMessage() for r in caplog.records), "the homeserver never rate-limited the bot"


async def test_scheduled_message_arrives_once_even_after_a_crash(start_bot: StartBot, make_user: MakeUser) -> None:
    """The exactly-once path meeting reminders will use, through the real homeserver: a crash between
    sending and marking as sent is retried with the same txn id, and Synapse drops the duplicate."""
    bot = await start_bot()
    kim = await make_user("kim")
    room = await room_with_bot(kim, bot)
    assert bot.app is not None
    app = bot.app
    due = app.clock.now()
    message = DueMessage(
        kind="meeting",
        ref_id=1,
        occurrence=due + timedelta(minutes=15),
        offset=timedelta(minutes=15),
        room_id=room,
        content=lambda late: {"msgtype": "m.notice", "body": "Erinnerung: Jour fixe in 15 Minuten"},
    )
    fired = asyncio.Event()
    results: list[Delivery] = []

    async def job() -> None:
        results.append(await deliver(message, db=app.db, sender=app.transport, clock=app.clock, grace=GRACE))
        fired.set()

    app.scheduler.at("reminder-1", due + timedelta(seconds=1), job)
    await asyncio.wait_for(fired.wait(), 10)
    first = await kim.wait_for_message(lambda m: m.sender == bot.user_id and "Jour fixe" in m.body)
    assert results == [Delivery.SENT]

    # Simulate the crash: the ledger row goes back to 'claimed' as if mark_sent never ran.
    async with app.db.transaction() as repos:
        entry = await repos.ledger.get("meeting", 1, message.occurrence, 15 * 60)
    assert entry is not None
    async with app.db.engine.begin() as conn:
        await conn.execute(text("UPDATE reminder_ledger SET status = 'claimed', sent_at = NULL"))
    assert await deliver(message, db=app.db, sender=app.transport, clock=app.clock, grace=GRACE) is Delivery.SENT
    assert await deliver(message, db=app.db, sender=app.transport, clock=app.clock, grace=GRACE) is (
        Delivery.ALREADY_SENT
    )
    marker = await kim.send_text(room, "!ping")
    await kim.wait_for_message(reply_to(bot, marker))
    reminders = [m for m in kim.received() if m.sender == bot.user_id and "Jour fixe" in m.body]
    assert [m.event_id for m in reminders] == [first.event_id]


async def test_a_burst_of_commands_during_downtime_is_answered_completely(
    start_bot: StartBot, make_user: MakeUser
) -> None:
    # More than Synapse's default of 10 timeline events per sync: none may fall into a sync gap.
    bot = await start_bot()
    lea = await make_user("lea")
    room = await room_with_bot(lea, bot)
    await bot.stop()
    sent = [await lea.send_text(room, "!ping") for _ in range(15)]
    await bot.start()
    for event_id in sent:
        await lea.wait_for_message(reply_to(bot, event_id), timeout=30)


def hello(bot: RunningBot, room: str) -> Callable[[ReceivedMessage], bool]:
    return lambda m: m.sender == bot.user_id and m.room_id == room and m.body.startswith("👋 Hallo!")


async def test_the_bot_introduces_itself_once_per_room(start_bot: StartBot, make_user: MakeUser) -> None:
    jana = await make_user("jana", displayname="Jana Schulz")
    network = await jana.create_room(name="re@di-Netzwerk")
    group = await jana.create_room(name="Projektgruppe eAkte", encrypted=True)
    bot = await start_bot(extra=f'[network]\nnetwork_room = "{network}"\n[rooms]\n"{group}" = "eAkte"\n')
    other = await room_with_bot(jana, bot)
    direct = await jana.create_room(invite=[bot.user_id], direct=True)
    for room in (network, group):
        await jana.invite(room, bot.user_id)

    said = {room: await jana.wait_for_message(hello(bot, room), timeout=30) for room in (other, direct, network, group)}
    assert said[other].body == (
        "👋 Hallo! Ich bin der re@di-Bot. In diesem Raum trage ich Termine ein und erinnere daran (!termin), halte "
        "Beschlüsse fest (!beschluss) und finde Leute, die sich auskennen (!werweiss). Ich melde mich nur, wenn mich "
        "jemand mit ! anspricht oder ein Termin ansteht. Überblick: !hilfe"
    )
    assert "(<code>!termin</code>)" in str(said[other].formatted_body)
    assert said[other].msgtype == "m.notice" and said[other].content["m.mentions"] == {}
    assert "Hier kannst du mich fragen, ohne dass andere mitlesen" in said[direct].body
    assert "Hier im Netzwerkraum kündige ich an, wenn eine Stadt eine Vertretung sucht" in said[network].body
    assert said[group].encrypted and "helfe der Projektgruppe eAkte" in said[group].body
    assert "<strong>eAkte</strong>" in str(said[group].formatted_body)

    # Restarted, kicked and invited back: not a word more (a ping answered later shows nothing else came).
    await bot.stop()
    await bot.start()
    await jana.wait_for_message(reply_to(bot, await jana.send_text(other, "!ping")), timeout=30)
    kicked = await jana.nio.room_kick(other, bot.user_id)
    assert not isinstance(kicked, ErrorResponse), kicked
    await jana.wait_for_membership(other, bot.user_id, "leave")
    await jana.invite(other, bot.user_id)
    await jana.wait_for_join(other, bot.user_id)
    await jana.wait_for_message(reply_to(bot, await jana.send_text(other, "!ping")), timeout=30)
    for room in (other, direct, network, group):
        assert len([m for m in jana.received() if hello(bot, room)(m)]) == 1, room
