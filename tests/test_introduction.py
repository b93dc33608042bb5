"""The bot's hello in a room it is invited into, as the room reads it: once per room, also across restarts, never
again when invited back, and not in rooms it was in before. (Through a real homeserver: tests/test_e2e_bot.py.)"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import all_routers
from bot.clock import FakeClock
from bot.config import Config, load_config
from bot.dispatch import Registry
from bot.outbox import Content, Outbox
from bot.replies import MESSAGE
from commands.introduction import MESSAGES, Introductions
from storage import Database
from tests.fakes import RecordingSender
from tests.harness import NOW, ROOT

GROUP_ROOM, NETWORK, OTHER, DIRECT = "!eakte:example.org", "!netz:example.org", "!neu:example.org", "!dm:example.org"


def _config(tmp_path: Path, **changes: object) -> Config:
    example = load_config(ROOT / "config.example.toml", env={})
    settings: dict[str, object] = {"network_room": NETWORK, "room_groups": {GROUP_ROOM: "eAkte"}} | changes
    return replace(example, data_dir=tmp_path, database_url="unused", **settings)  # type: ignore[arg-type]


def _introductions(db: Database, config: Config, sender: RecordingSender) -> Introductions:
    clock = FakeClock(NOW)
    return Introductions(db, Outbox(db, sender, {}, clock), config, clock)


async def test_each_kind_of_room_is_told_what_the_bot_does_there(db: Database, tmp_path: Path) -> None:
    sender = RecordingSender()
    hello = _introductions(db, _config(tmp_path), sender)
    for room, direct in ((GROUP_ROOM, False), (NETWORK, False), (OTHER, False), (DIRECT, True)):
        await hello.joined(room, direct=direct)
    said = {room: content for room, content, _ in sender.sent}
    assert list(said) == [GROUP_ROOM, NETWORK, OTHER, DIRECT]
    assert said[GROUP_ROOM]["body"].startswith(
        "👋 Hallo! Ich bin der re@di-Bot und helfe der Projektgruppe eAkte: Termine mit Erinnerungen (!termin)"
    )
    assert said[GROUP_ROOM]["formatted_body"].startswith(
        "<p>👋 Hallo! Ich bin der re@di-Bot und helfe der Projektgruppe <strong>eAkte</strong>: Termine mit "
        "Erinnerungen (<code>!termin</code>)"
    )
    assert "Hier im Netzwerkraum kündige ich an, wenn eine Stadt eine Vertretung sucht" in said[NETWORK]["body"]
    assert "In diesem Raum trage ich Termine ein" in said[OTHER]["body"]
    assert "Hier kannst du mich fragen, ohne dass andere mitlesen" in said[DIRECT]["body"]
    for content in said.values():
        assert content["body"].endswith("Überblick: !hilfe"), content["body"]
        assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}, "a notice that pings nobody"
        assert len(content["body"]) < 400, "short"


async def test_once_per_room_never_when_invited_back_nor_where_it_was_before(db: Database, tmp_path: Path) -> None:
    sender = RecordingSender()
    hello = _introductions(db, _config(tmp_path), sender)
    await hello.present([OTHER])  # the bot was in this room when it started
    await hello.joined(OTHER, direct=False)
    await hello.joined(GROUP_ROOM, direct=False)
    await hello.joined(GROUP_ROOM, direct=False)  # kicked and invited back
    await _introductions(db, _config(tmp_path), sender).joined(GROUP_ROOM, direct=False)  # after a restart
    assert [room for room, _, _ in sender.sent] == [GROUP_ROOM]


async def test_a_hello_that_could_not_be_sent_goes_out_once_after_a_restart(db: Database, tmp_path: Path) -> None:
    class Away(RecordingSender):
        async def send(
            self, room_id: str, content: Content, *, txn_id: str | None = None, event_type: str = MESSAGE
        ) -> str:
            raise ConnectionError("homeserver away")

    config = _config(tmp_path)
    await _introductions(db, config, Away()).joined(GROUP_ROOM, direct=False)
    sender = RecordingSender()
    clock = FakeClock(NOW)
    restarted = Outbox(db, sender, {}, clock)
    assert await restarted.deliver() and await restarted.deliver()
    [(room, content, txn_id)] = sender.sent
    assert room == GROUP_ROOM and "Projektgruppe eAkte" in content["body"]
    assert txn_id is not None and txn_id.startswith("intro-"), "a deterministic txn id: the homeserver drops a resend"


def test_english_when_that_is_the_configured_language(tmp_path: Path) -> None:
    from commands.introduction import introduction

    reply = introduction(_config(tmp_path, default_language="en", command_prefix="?"), NETWORK, direct=False)
    assert reply.markdown.startswith("👋 Hello! I'm the re@di bot. In this network room I announce when a city")
    assert "`?offer <no>`" in reply.markdown and reply.markdown.endswith("Overview: `?help`")


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_the_commands_an_introduction_names_exist(key: str) -> None:
    registry = Registry(all_routers())
    for text in MESSAGES[key].values():
        for name in re.findall(r"`\{prefix\}([^\s`]+)", text):
            assert registry.find(name) is not None, (key, name)
