"""What the Matrix transport says about rooms from nio's member lists, without a homeserver: which rooms a person
shares with the bot (joined, not merely invited), and which rooms count as a direct chat (never a configured one)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from nio import AsyncClient, MatrixRoom

from bot.clock import FakeClock
from bot.config import load_config
from bot.matrix import PREPARE_DIRECT_WINDOW, MatrixTransport
from storage import Database
from tests.harness import NOW, ROOT

BOT, ANNA, BEN = "@bot:x", "@anna:x", "@ben:x"


def _room(room_id: str, joined: list[str], invited: tuple[str, ...] = ()) -> MatrixRoom:
    room = MatrixRoom(room_id, BOT)
    for user in joined:
        room.add_member(user, None, None)
    for user in invited:
        room.add_member(user, None, None, invited=True)
    return room


def _transport(tmp_path: Path, rooms: list[MatrixRoom], **config: Any) -> MatrixTransport:
    example = load_config(ROOT / "config.example.toml", env={})
    settings = replace(example, data_dir=tmp_path, **config)
    transport = MatrixTransport(settings, Database("sqlite+aiosqlite://"), FakeClock(NOW))
    client = AsyncClient("http://127.0.0.1:1", BOT)
    client.rooms = {room.room_id: room for room in rooms}
    transport.client = client
    return transport


def test_a_person_shares_only_the_rooms_they_joined(tmp_path: Path) -> None:
    transport = _transport(
        tmp_path, [_room("!a:x", [BOT, ANNA, BEN]), _room("!b:x", [BOT, BEN], invited=(ANNA,)), _room("!c:x", [BOT])]
    )
    assert transport.rooms_of(ANNA) == {"!a:x"}, "an invitation she never accepted shows her nothing"
    assert transport.rooms_of(BEN) == {"!a:x", "!b:x"}


def test_a_configured_room_with_one_person_is_no_direct_chat(tmp_path: Path) -> None:
    group, network, chat = _room("!g:x", [BOT, ANNA]), _room("!n:x", [BOT], invited=(ANNA,)), _room("!d:x", [BOT, ANNA])
    transport = _transport(tmp_path, [group, network, chat], room_groups={"!g:x": "eAkte"}, network_room="!n:x")
    assert not transport._is_direct(group) and not transport._is_direct(network)
    assert transport._is_direct(chat)
    assert not transport._is_direct(_room("!e:x", [BOT, ANNA, BEN]))


async def test_a_direct_chat_is_opened_an_hour_before_a_message_is_due_not_months_ahead(tmp_path: Path) -> None:
    transport = _transport(tmp_path, [])
    now = transport.clock.now()
    transport.prepare_direct(ANNA, now + timedelta(days=90))
    transport.prepare_direct(BEN, now + PREPARE_DIRECT_WINDOW - timedelta(minutes=1))
    try:
        assert ANNA in transport._prepare_later and ANNA not in transport._prepared, "later, not at start"
        assert BEN in transport._prepared, "due within the hour: opened now"
        transport.prepare_direct(ANNA, now + timedelta(days=2))
        assert transport._prepare_later[ANNA][0] == now + timedelta(days=2), "the earliest message counts"
    finally:
        await transport.stop(grace=0.1)
    assert not transport._prepare_later, "stopping cancels what was planned"
