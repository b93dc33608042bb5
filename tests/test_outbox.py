"""The outbox, without a homeserver (SQLite and PostgreSQL): what a command says is stored with its effect,
so a crash between the commit and the send loses neither the reply nor its direct messages, and nothing goes
out twice; messages that cannot be sent now keep their order and are sent later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot import outbox as outbox_module
from bot.dispatch import IncomingMessage
from bot.outbox import Content, Outbox, PermanentSendError, outgoing, reply_txn_id
from bot.replies import MESSAGE, Reply
from storage import Database
from tests.fakes import RecordingSender
from tests.harness import GROUP_ROOM, NETWORK, NOW, Bot

ANNA, BEN = "@anna:buehl.de", "@ben:rastatt.de"
REQUEST = "!vertretung 12.12. 10-16 Uhr Digitaltag Bühl #Engagementplattform"


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Bot]:
    bot = Bot(db, tmp_path)
    for user, city in ((ANNA, "Bühl"), (BEN, "Rastatt")):
        await bot.say(user, f"!stadt {city}")
    yield bot


class FlakyTransport(RecordingSender):
    """Fails the first `failures` sends (a homeserver that is away), or refuses one room for good."""

    def __init__(self, failures: int = 0, refused_room: str | None = None, failing_room: str | None = None) -> None:
        super().__init__()
        self.failures = failures
        self.refused_room = refused_room
        self.failing_room = failing_room

    async def send(
        self, room_id: str, content: Content, *, txn_id: str | None = None, event_type: str = MESSAGE
    ) -> str:
        if room_id == self.refused_room:
            raise PermanentSendError("M_FORBIDDEN")
        if room_id == self.failing_room:
            raise ConnectionError("room unreachable")
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("homeserver away")
        return await super().send(room_id, content, txn_id=txn_id, event_type=event_type)


def _message(event_id: str, body: str, sender: str = BEN, room: str = GROUP_ROOM) -> IncomingMessage:
    return IncomingMessage(room, event_id, sender, body, NOW)


async def test_a_crash_after_the_commit_sends_the_very_same_reply_and_direct_message_once(bot: Bot) -> None:
    await bot.say(ANNA, REQUEST)
    offer = _message("$offer", "!übernehme 1 bin da")
    reply = await bot.dispatcher.handle(offer)  # committed; the bot dies before sending anything
    assert reply is not None and reply.outboxed
    sent_before = len(bot.transport.sent)

    # Restart: a new outbox finds what was left, the command is delivered again (the sync token was not saved).
    restarted = Outbox(bot.db, bot.transport, bot.dispatcher.registry.sent_hooks, bot.clock)
    assert await restarted.deliver()
    again = await bot.dispatcher.handle(offer)
    assert again is not None and again.outboxed and again.markdown == ""
    assert await restarted.deliver()

    sent = bot.transport.sent[sent_before:]
    assert [(room, txn) for room, _, txn in sent] == [
        (GROUP_ROOM, reply_txn_id("$offer")),
        (f"!dm-{ANNA}", reply_txn_id("$offer") + "-f0"),
    ]
    assert "Angebot für #1 ist notiert" in sent[0][1]["body"], "the reply the person would have seen"
    assert sent[0][1]["m.relates_to"] == {"m.in_reply_to": {"event_id": "$offer"}}
    assert "bietet an, dich bei #1 zu vertreten" in sent[1][1]["body"]
    async with bot.db.transaction() as repos:
        assert await repos.outbox.pending() == []
    shown = await bot.say(ANNA, "!vertretung 1")
    assert shown.count("bin da") == 1, "one offer, not two"


async def test_messages_that_cannot_be_sent_now_keep_their_order_and_go_out_later(bot: Bot) -> None:
    await bot.say(ANNA, REQUEST)
    flaky = FlakyTransport(failures=1)
    outbox = Outbox(bot.db, flaky, bot.dispatcher.registry.sent_hooks, bot.clock)
    reply = await bot.dispatcher.handle(_message("$offer", "!übernehme 1"))
    assert reply is not None
    assert not await outbox.deliver("$offer"), "the homeserver was away: something is left"
    assert flaky.sent == [], "the direct message does not overtake the reply that failed"
    async with bot.db.transaction() as repos:
        pending = await repos.outbox.pending("$offer")
    assert [p.attempts for p in pending] == [1, 0]
    assert await outbox.deliver()
    assert [txn for _, _, txn in flaky.sent] == [reply_txn_id("$offer"), reply_txn_id("$offer") + "-f0"]


async def test_a_message_refused_for_good_is_given_up_without_holding_back_others(bot: Bot) -> None:
    await bot.say(ANNA, REQUEST)
    flaky = FlakyTransport(refused_room=GROUP_ROOM)  # e.g. the bot was removed from the room meanwhile
    outbox = Outbox(bot.db, flaky, bot.dispatcher.registry.sent_hooks, bot.clock)
    await bot.dispatcher.handle(_message("$offer", "!übernehme 1"))
    assert await outbox.deliver()
    assert [room for room, *_ in flaky.sent] == [f"!dm-{ANNA}"], "the person is still told"
    async with bot.db.transaction() as repos:
        assert await repos.outbox.pending() == []


async def test_the_announcement_hook_runs_when_it_is_sent_also_after_a_restart(bot: Bot) -> None:
    reply = await bot.dispatcher.handle(_message("$request", REQUEST, sender=ANNA))
    assert reply is not None and reply.outboxed
    restarted = Outbox(bot.db, bot.transport, bot.dispatcher.registry.sent_hooks, bot.clock)
    assert await restarted.deliver()
    sent = zip(bot.transport.sent, bot.transport.event_ids, strict=True)
    [announcement] = [event for (room, _, _), event in sent if room == NETWORK]
    # The ✋ on the announcement sent after the restart is an offer: the hook stored its event id.
    assert await bot.react(BEN, announcement) == "", "nothing more in the network room"
    assert bot.dms[0][0] == BEN and "Angebot für #1 ist notiert" in bot.dms[0][1], "the thanks come by direct message"


async def test_a_message_nobody_could_send_for_a_day_is_given_up_and_no_longer_holds_back(bot: Bot) -> None:
    await bot.say(ANNA, REQUEST)
    flaky = FlakyTransport(failing_room=GROUP_ROOM)  # a room the bot cannot reach, for whatever reason
    outbox = Outbox(bot.db, flaky, bot.dispatcher.registry.sent_hooks, bot.clock)
    await bot.dispatcher.handle(_message("$offer", "!übernehme 1"))
    assert not await outbox.deliver("$offer")
    assert flaky.sent == [], "the direct message waits behind the reply"
    bot.clock.advance(timedelta(days=1, minutes=1))
    assert await outbox.deliver("$offer"), "the reply is given up (logged), the direct message goes out"
    assert [room for room, *_ in flaky.sent] == [f"!dm-{ANNA}"]


async def test_a_failure_after_the_commit_never_turns_the_reply_into_an_apology(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    working = bot.planner.refresh
    calls: list[tuple[str, int]] = []

    async def broken(kind: str, ref_id: int) -> None:
        calls.append((kind, ref_id))
        raise ConnectionError("scheduler hiccup")

    bot.planner.refresh = broken  # type: ignore[method-assign]
    try:
        reply = await bot.say(ANNA, REQUEST)
    finally:
        bot.planner.refresh = working  # type: ignore[method-assign]
    assert "Vertretung #1 eingetragen" in reply and "schiefgegangen" not in reply
    assert calls == [("substitution", 1)] and "retrying" in caplog.text
    await bot.dispatcher.close()


async def test_an_idle_bot_sends_what_another_process_stored_in_the_outbox(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`redi-bot privacy forget` runs in its own process and leaves its notices in the outbox: the running bot's
    idle outbox loop looks for them (every minute; here at once) instead of waiting for the next command."""
    monkeypatch.setattr(outbox_module, "IDLE_LOOK_S", 0.01)
    sent = asyncio.Queue[str]()

    class Watching(RecordingSender):
        async def send(
            self, room_id: str, content: Content, *, txn_id: str | None = None, event_type: str = MESSAGE
        ) -> str:
            event_id = await super().send(room_id, content, txn_id=txn_id, event_type=event_type)
            sent.put_nowait(str((content() if callable(content) else content)["body"]))
            return event_id

    async def store(event_id: str, body: str) -> None:
        async with bot.db.transaction() as repos:
            await repos.outbox.add(event_id, outgoing(event_id, NETWORK, {}, Reply.text(body)), now=bot.clock.now())

    outbox = Outbox(bot.db, Watching(), bot.dispatcher.registry.sent_hooks, bot.clock)
    await store("$cli-1", "erste")
    loop = asyncio.create_task(outbox.run())
    try:
        assert await asyncio.wait_for(sent.get(), 10) == "erste"  # the first round, at start
        await store("$cli-2", "zweite")  # after that round looked: only the idle look finds it
        assert await asyncio.wait_for(sent.get(), 10) == "zweite"
    finally:
        outbox.stop()
        await loop
