"""The config read again while the bot runs (SIGHUP), as the admin reads it in the log and people notice it in
their replies: what changed is in use at once, what needs a restart is named, and a broken file changes nothing.
The homeserver's part, resolving room aliases, is played by a stand-in here (tests/test_e2e_process.py has the real
one and the signal)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.clock import FakeClock
from bot.config import load_config
from bot.dispatch import IncomingMessage
from bot.matrix import MatrixError
from bot.replies import message_content
from commands.introduction import introduction

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
_EVENTS = itertools.count()
BEN = "@ben:buehl.de"

BASE = """
[matrix]
homeserver = "http://127.0.0.1:1"
user_id = "@bot:localhost"
password = "geheim"
[bot]
data_dir = "data"
[network]
coordinators = ["@koordination:buehl.de"]
[invites]
allowed_servers = ["buehl.de"]
"""


class Aliases:
    """The homeserver's directory of room aliases; `down` makes it unreachable."""

    def __init__(self, rooms: dict[str, str]) -> None:
        self.rooms = rooms
        self.down = False

    async def resolve(self, alias: str) -> str | None:
        if self.down:
            raise MatrixError("homeserver not reachable: connection refused")
        return self.rooms.get(alias)


@pytest.fixture
async def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[App, Path, Aliases]]:
    path = tmp_path / "config.toml"
    path.write_text(BASE, encoding="utf-8")
    (tmp_path / "data").mkdir()
    app = build_app(load_config(path, env={}), FakeClock(NOW))
    aliases = Aliases({"#eakte:buehl.de": "!eakte:buehl.de"})
    monkeypatch.setattr(app.transport, "resolve_alias", aliases.resolve)
    await app.db.upgrade()
    app._connected.set()  # as after start(): connected to the homeserver, which a reload asks for aliases
    yield app, path, aliases
    await app.db.dispose()


async def say(app: App, body: str, *, sender: str = BEN, room: str = "!eakte:buehl.de") -> tuple[str, str]:
    message = IncomingMessage(room_id=room, event_id=f"$ev{next(_EVENTS)}", sender=sender, body=body, timestamp=NOW)
    reply = await app.dispatcher.handle(message)
    assert reply is not None
    content = message_content(reply)
    return str(content["body"]), str(content.get("formatted_body", ""))


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.levelname} {r.getMessage()}" for r in caplog.records if r.name == "bot.app"]


async def test_what_changed_is_in_use_at_once(app: tuple[App, Path, Aliases], caplog: pytest.LogCaptureFixture) -> None:
    bot, path, _ = app
    refused, _ = await say(bot, "!import")
    assert refused == "Das dürfen nur Koordinator:innen des Netzwerks."
    path.write_text(
        BASE.replace('"@koordination:buehl.de"', f'"@koordination:buehl.de", "{BEN}"')
        + '[rooms]\n"#eakte:buehl.de" = "eAkte"\n',
        encoding="utf-8",
    )
    with caplog.at_level(logging.INFO, logger="bot.app"):
        result = await bot.reload(path, env={})
    assert result is not None
    assert lines(caplog) == [
        'INFO [rooms] "#eakte:buehl.de": the room alias #eakte:buehl.de is the room !eakte:buehl.de',
        f"INFO config reloaded from {path}; in use now: [network].coordinators, [rooms]",
    ]
    # Ben is a coordinator now: `!import` asks for the file instead of refusing him.
    asked, html = await say(bot, "!import")
    assert asked.startswith("So geht's: Lade die CSV- oder TOML-Datei hier hoch"), asked
    assert "<code>!import anwenden</code>" in html
    # The room is eAkte's for everything that reads the config: the bot arriving there, the transport's invites.
    assert bot.greeter is not None
    hello = message_content(introduction(bot.greeter.config, "!eakte:buehl.de", direct=False))
    assert str(hello["body"]).startswith("👋 Hallo! Ich bin der re@di-Bot und helfe der Projektgruppe eAkte:")
    assert "helfe der Projektgruppe <strong>eAkte</strong>:" in str(hello["formatted_body"])
    assert bot.transport.config.group_of_room("!eakte:buehl.de") == "eAkte"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot.app"):
        await bot.reload(path, env={})
    assert lines(caplog) == [
        f"INFO config reloaded from {path}; nothing that can change while the bot runs has changed"
    ], "an alias is named again only when it names another room"


async def test_a_broken_config_changes_nothing_and_says_why(
    app: tuple[App, Path, Aliases], caplog: pytest.LogCaptureFixture
) -> None:
    bot, path, _ = app
    before = bot.config
    path.write_text(BASE + "[network\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="bot.app"):
        assert await bot.reload(path, env={}) is None
    path.write_text(BASE.replace('["@koordination:buehl.de"]', '["koordination"]'), encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="bot.app"):
        assert await bot.reload(path, env={}) is None
    first, second = lines(caplog)
    assert first.startswith(
        "ERROR config not reloaded, the bot goes on with the one it has: "
        f"Konfigurationsfehler bei '{path}': kein gültiges TOML"
    ), first
    assert second == (
        "ERROR config not reloaded, the bot goes on with the one it has: Konfigurationsfehler bei "
        "'network.coordinators': 'koordination' ist keine Matrix-ID wie @name:example.org"
    )
    assert bot.config is before and bot.dispatcher.config is before and bot.transport.config is before
    pong, _ = await say(bot, "!ping")
    assert pong.startswith("Pong")


async def test_what_needs_a_restart_is_named_and_kept(
    app: tuple[App, Path, Aliases], caplog: pytest.LogCaptureFixture
) -> None:
    bot, path, _ = app
    path.write_text(
        BASE.replace('data_dir = "data"', 'data_dir = "data"\ncommand_prefix = "?"\ndefault_language = "en"'),
        encoding="utf-8",
    )
    with caplog.at_level(logging.INFO, logger="bot.app"):
        await bot.reload(path, env={"REDI_MATRIX_PASSWORD": "neu"})
    assert lines(caplog) == [
        f"INFO config reloaded from {path}; nothing that can change while the bot runs has changed",
        "WARNING config: [matrix].password, [bot].command_prefix, [bot].default_language changed, which takes a "
        "restart; until then the bot keeps the old values",
    ]
    pong, html = await say(bot, "!ping")
    assert pong == "Pong! Ich bin da. 🏓" and "Pong! Ich bin da." in html, "still `!` and German until the restart"


async def test_a_room_alias_that_cannot_be_resolved(
    app: tuple[App, Path, Aliases], caplog: pytest.LogCaptureFixture
) -> None:
    bot, path, aliases = app
    path.write_text(BASE + '[rooms]\n"#eakte:buehl.de" = "eAkte"\n"#sensorik:buehl.de" = "Sensorik"\n', "utf-8")
    with caplog.at_level(logging.INFO, logger="bot.app"):
        await bot.reload(path, env={})
    assert (
        'ERROR [rooms] "#sensorik:buehl.de": the homeserver knows no room alias #sensorik:buehl.de, so the entry is '
        "ignored. Check the spelling, or write the room id instead (Element: Room settings → Advanced → Internal "
        "room ID), then reload the config (SIGHUP)"
    ) in lines(caplog)
    assert dict(bot.config.room_groups) == {"!eakte:buehl.de": "eAkte"}
    caplog.clear()
    aliases.down = True  # the homeserver cannot be asked: the room an alias named before stays
    path.write_text(
        BASE.replace("[invites]", 'network_room = "#netz:buehl.de"\n[invites]')
        + '[rooms]\n"#eakte:buehl.de" = "eAkte"\n',
        "utf-8",
    )
    with caplog.at_level(logging.INFO, logger="bot.app"):
        await bot.reload(path, env={})
    assert lines(caplog)[:2] == [
        "ERROR [network].network_room: could not ask the homeserver for the room alias #netz:buehl.de (homeserver "
        "not reachable: connection refused); the entry is ignored until the config is reloaded (SIGHUP) or the bot "
        "restarted",
        'WARNING [rooms] "#eakte:buehl.de": could not ask the homeserver for the room alias #eakte:buehl.de '
        "(homeserver not reachable: connection refused); using !eakte:buehl.de, the room it named before",
    ]
    assert dict(bot.config.room_groups) == {"!eakte:buehl.de": "eAkte"} and bot.config.network_room is None
