"""The command framework as a user meets it: replies, help, typos, bad arguments, roles, errors."""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import all_routers
from bot.clock import FakeClock
from bot.config import Config, load_config
from bot.dispatch import CommandContext, Dispatcher, IncomingMessage, Registry, Role, Router
from bot.errors import NotFound
from bot.replies import MAX_CONTENT_BYTES, Reply, md_escape, message_content
from storage import Database

ROOT = Path(__file__).resolve().parent.parent
_EVENTS = itertools.count()  # every message its own event id, as in Matrix
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

extra = Router(
    "test",
    title_de="Test",
    title_en="Test",
    messages={"test.missing": {"de": "Die Nummer {number} gibt es nicht.", "en": "There is no number {number}."}},
)


@extra.command("kaputt", help_de="geht kaputt", help_en="breaks")
async def broken(ctx: CommandContext) -> Reply:
    raise RuntimeError("boom")


@extra.command("geheim", help_de="nur Koordination", help_en="coordinators only", role=Role.COORDINATOR)
async def secret(ctx: CommandContext) -> Reply:
    return Reply.text("geheim ok")


@extra.command(
    "übernimm",
    aliases=["take"],
    help_de="übernimmt",
    help_en="offers",
    labels={"number": ("Nummer", "number"), "note": ("Notiz", "note")},
)
async def take_over(ctx: CommandContext, *, number: int, note: str | None = None) -> Reply:
    if number == 404:
        raise NotFound("test.missing", number=number)
    return Reply.text(f"übernommen {number} {md_escape(note or '-')}")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    example = load_config(ROOT / "config.example.toml", env={})
    return Config(
        matrix=example.matrix,
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        cities=example.cities,
        groups=example.groups,
        coordinators=frozenset({"@koordination:example.org"}),
        room_groups={"!eakte:example.org": "eAkte"},
    )


@pytest.fixture
async def dispatcher(config: Config) -> AsyncIterator[Dispatcher]:
    db = Database(config.database_url)
    await db.upgrade()
    yield Dispatcher(routers=[*all_routers(), extra], config=config, db=db, clock=FakeClock(NOW))
    await db.dispose()


async def ask(
    dispatcher: Dispatcher,
    body: str,
    *,
    sender: str = "@anna:example.org",
    power: int = 0,
    room: str = "!room:example.org",
) -> str:
    message = IncomingMessage(
        room_id=room,
        event_id=f"$ev{next(_EVENTS)}",
        sender=sender,
        body=body,
        timestamp=NOW,
        sender_power=power,
    )
    reply = await dispatcher.handle(message)
    assert reply is not None, f"no reply to {body!r}"
    return str(message_content(reply)["body"])


async def test_ping_and_non_commands(dispatcher: Dispatcher) -> None:
    assert "Pong" in await ask(dispatcher, "!ping")
    message = IncomingMessage(room_id="!r:x", event_id="$1", sender="@a:x", body="Hallo zusammen!", timestamp=NOW)
    assert await dispatcher.handle(message) is None
    assert await dispatcher.handle(IncomingMessage("!r:x", "$2", "@a:x", "! ping", NOW)) is None


async def test_unknown_command_suggests_the_closest(dispatcher: Dispatcher) -> None:
    text = await ask(dispatcher, "!hilf")
    assert text == "Den Befehl !hilf kenne ich nicht. Meintest du !hilfe? Alle Befehle zeigt !hilfe."
    assert "Meintest" not in await ask(dispatcher, "!xyzzyquux")


async def test_user_text_in_replies_is_escaped(dispatcher: Dispatcher) -> None:
    message = IncomingMessage("!r:x", "$3", "@a:x", "!<b>fett</b>", NOW)
    reply = await dispatcher.handle(message)
    assert reply is not None
    content = message_content(reply)
    assert "<b>" not in content["formatted_body"]
    assert "<code>!&lt;b&gt;fett&lt;/b&gt;</code>" in content["formatted_body"]
    assert content["body"].startswith("Den Befehl !<b>fett</b> kenne ich nicht.")


async def test_umlaut_free_spelling_and_english_alias(dispatcher: Dispatcher) -> None:
    assert await ask(dispatcher, "!übernimm 7 gern") == "übernommen 7 gern"
    assert await ask(dispatcher, "!uebernimm 7") == "übernommen 7 -"
    assert await ask(dispatcher, "!UEBERNIMM #7") == "übernommen 7 -"
    assert await ask(dispatcher, "!take 8 *fett*") == "übernommen 8 *fett*"


async def test_wrong_arguments_show_the_usage_line(dispatcher: Dispatcher) -> None:
    text = await ask(dispatcher, "!übernimm sieben")
    assert "„sieben“ ist keine Zahl (Nummer)." in text
    assert "So geht's: !übernimm <Nummer> [Notiz]" in text
    assert "Da fehlt noch etwas: Nummer." in await ask(dispatcher, "!übernimm")
    text = await ask(dispatcher, "!sprache fr")
    assert "„fr“ geht hier nicht. Möglich: de, en." in text
    assert "!sprache [de|en]" in text
    assert "mehr, als der Befehl erwartet" in await ask(dispatcher, "!ping laut")


RECORD_NUMBERS = [
    ("7", "übernommen 7"),
    ("#7", "übernommen 7"),
    ("2147483647", "übernommen 2147483647"),  # the largest id INTEGER holds on PostgreSQL
    ("2147483648", "Eine Nummer 2147483648 gibt es nicht (Nummer): Nummern beginnen bei 1"),
    ("99999999999999999999", "Eine Nummer 99999999999999999999 gibt es nicht"),
    ("0", "Eine Nummer 0 gibt es nicht"),
    ("-3", "Eine Nummer -3 gibt es nicht"),
    ("²", "„²“ ist keine Zahl (Nummer)."),
    ("1_000", "„1_000“ ist keine Zahl"),  # plain text body; int() would have read it as 1000
    ("٣", "„٣“ ist keine Zahl"),
    ("9" * 200, "Eine Nummer " + "9" * 30 + "… gibt es nicht"),
]


@pytest.mark.parametrize(("number", "answer"), RECORD_NUMBERS, ids=[n[:12] for n, _ in RECORD_NUMBERS])
async def test_record_numbers_are_bounded_before_any_query(dispatcher: Dispatcher, number: str, answer: str) -> None:
    assert answer in await ask(dispatcher, f"!übernimm {number}")


async def test_control_characters_never_reach_a_command(dispatcher: Dispatcher) -> None:
    assert await ask(dispatcher, "!übernimm 7 Hallo\x00\x07 Welt") == "übernommen 7 Hallo Welt"


async def test_not_found_is_a_friendly_reply_without_usage(dispatcher: Dispatcher) -> None:
    assert await ask(dispatcher, "!übernimm 404") == "Die Nummer 404 gibt es nicht."


async def test_language_is_per_user_and_persisted(dispatcher: Dispatcher) -> None:
    assert "Alright" in await ask(dispatcher, "!language en", sender="@ben:example.org")
    assert "I'm here" in await ask(dispatcher, "!ping", sender="@ben:example.org")
    assert "Ich bin da" in await ask(dispatcher, "!ping", sender="@anna:example.org")
    english = await ask(dispatcher, "!sprache fr", sender="@ben:example.org")
    assert "Usage: !language [de|en]" in english
    assert "Possible: de, en" in english
    assert "Deutsch" in await ask(dispatcher, "!sprache de", sender="@ben:example.org")
    assert "Ich bin da" in await ask(dispatcher, "!ping", sender="@ben:example.org")


async def test_help_overview_and_details_in_both_languages(dispatcher: Dispatcher) -> None:
    overview = await ask(dispatcher, "!hilfe")
    assert "– mehr: !hilfe test" in overview and "Mehr zu einem Befehl" in overview
    for router in dispatcher.registry.routers:
        area = await ask(dispatcher, f"!hilfe {router.area_word('de')}")
        assert all(command.help_de in area for command in router.commands), "an area lists all its commands"
    detail = await ask(dispatcher, "!hilfe sprache")
    assert "Stellt deine Sprache ein" in detail
    assert "Auch: !language, !lang" in detail
    assert "Nur für Koordinator:innen." in await ask(dispatcher, "!hilfe !geheim")
    await ask(dispatcher, "!language en", sender="@cem:example.org")
    assert "– more: !help test" in await ask(dispatcher, "!help", sender="@cem:example.org")
    assert "Checks that I answer" in await ask(dispatcher, "!help general", sender="@cem:example.org")
    assert "!help [area or command]" in await ask(dispatcher, "!help help", sender="@cem:example.org")
    assert "I found no command or area nix." in await ask(dispatcher, "!help nix", sender="@cem:example.org")


async def test_coordinator_role_from_config_or_power_level(dispatcher: Dispatcher) -> None:
    assert "Das dürfen nur Koordinator:innen" in await ask(dispatcher, "!geheim")
    assert await ask(dispatcher, "!geheim", sender="@koordination:example.org") == "geheim ok"
    # Being admin of some room (anyone can open one with the bot) gives no network-wide rights ...
    assert "Das dürfen nur" in await ask(dispatcher, "!geheim", power=100)
    # ... moderating one of the network's configured rooms does.
    assert await ask(dispatcher, "!geheim", power=50, room="!eakte:example.org") == "geheim ok"
    assert "Das dürfen nur" in await ask(dispatcher, "!geheim", power=49, room="!eakte:example.org")


async def test_internal_error_gives_reference_that_is_logged(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        text = await ask(dispatcher, "!kaputt")
    match = re.search(r"Referenz ([0-9a-f]{8})", text)
    assert match, text
    assert "Entschuldige" in text
    assert any(match.group(1) in r.getMessage() and r.exc_info for r in caplog.records)


async def test_handlers_see_network_rights_only_from_config_or_configured_rooms(dispatcher: Dispatcher) -> None:
    seen: list[tuple[bool, bool]] = []

    probe = Router("probe", title_de="Probe", title_en="Probe")

    @probe.command("rechte", help_de="zeigt Rechte", help_en="shows rights")
    async def rights(ctx: CommandContext) -> Reply:
        seen.append((ctx.is_coordinator, ctx.is_room_moderator))
        return Reply.text("ok")

    local = Dispatcher(routers=[probe], config=dispatcher.config, db=dispatcher.db, clock=dispatcher.clock)
    for power, room in ((100, "!own-room:example.org"), (50, "!eakte:example.org"), (0, "!eakte:example.org")):
        message = IncomingMessage(room, f"$r{power}{room}", "@anna:example.org", "!rechte", NOW, sender_power=power)
        await local.handle(message)
    assert seen == [(False, True), (True, True), (False, False)]


async def test_a_command_delivered_again_after_a_crash_is_not_carried_out_twice(dispatcher: Dispatcher) -> None:
    # The sync token is saved only after replies went out: a crash in between delivers a command again.
    async def deliver(event_id: str, body: str) -> str:
        message = IncomingMessage("!raum:koeln.de", event_id, "@anna:koeln.de", body, NOW)
        reply = await dispatcher.handle(message)
        assert reply is not None
        return reply.markdown

    assert "Termin #1 eingetragen" in await deliver("$termin1", "!termin morgen 14 Uhr Abstimmung")
    assert await deliver("$termin1", "!termin morgen 14 Uhr Abstimmung") == "", "nothing new to say"
    async with dispatcher.db.transaction() as repos:
        assert len(await repos.meetings.in_room("!raum:koeln.de")) == 1, "one meeting, not two"
        [stored] = await repos.outbox.pending("$termin1")
    assert "Termin #1 eingetragen" in stored.message.content["body"], "the first reply waits to be sent, once"
    assert "Pong" in await deliver("$ping1", "!ping") and "Pong" in await deliver("$ping1", "!ping")
    refused = await deliver("$termin2", "!termin 1.1.2020 14 Uhr X")
    assert "Vergangenheit" in refused and await deliver("$termin2", "!termin 1.1.2020 14 Uhr X") == refused


@pytest.mark.parametrize("pasted", ["a b " * 20_000, "🎉 " * 20_000, "<b>&amp;</b> " * 8_000])
def test_a_reply_that_quotes_a_huge_paste_is_shortened_to_what_a_homeserver_accepts(pasted: str) -> None:
    content = message_content(Reply.text(f"Zu **{md_escape(pasted)}** weiß ich nichts."))
    size = len(json.dumps(content, ensure_ascii=False).encode())
    assert size <= MAX_CONTENT_BYTES, "under the 64 KiB event limit, also once encrypted"
    assert content["body"].startswith("Zu ") and content["body"].endswith("(gekürzt / shortened)")
    assert "(gekürzt / shortened)" in content["formatted_body"]


async def test_subcommands_are_declared_and_their_help_is_generated(config: Config) -> None:
    # A different prefix, so nothing in the help may be a hard-coded "!".
    config = dataclasses.replace(config, command_prefix="?")
    db = Database(config.database_url)
    await db.upgrade()
    try:
        dispatcher = Dispatcher(routers=all_routers(), config=config, db=db, clock=FakeClock(NOW))
        overview = await ask(dispatcher, "?hilfe termin")
        for usage in ("?termin absagen <Nr>", "?termin aussetzen <Nr> <am Datum>", "?termin zeit <Nr> <wann>"):
            assert usage in overview, overview
        assert "!" not in overview, "the configured prefix everywhere"
        covers = await ask(dispatcher, "?hilfe vertretung")
        assert "?vertretung absagen <Nr>" in covers and "?vertretung zurückziehen <Nr>" in covers
        assert "!" not in covers and "!" not in await ask(dispatcher, "?hilfe werweiss")
        # A parser's bilingual error is rendered by the dispatcher: its example commands use the prefix too.
        refused = await ask(dispatcher, "?vertretung gestern Messe")
        assert "?vertretung" in refused and "!vertretung" not in refused, refused
        one = await ask(dispatcher, "?hilfe termin verschieben")
        assert one.startswith("?termin zeit – Verlegt einen Termin") and "?termin zeit <Nr> <wann>" in one
        await ask(dispatcher, "?sprache en")
        english = await ask(dispatcher, "?help meeting")
        assert "?meeting cancel <no.>" in english and "?meeting time <no.> <when>" in english
        for usage in ("?meeting remind <no.>", "?meeting agenda <no.>", "?meeting place <no.>"):
            assert usage in english, english
        heading = await ask(dispatcher, "?help meeting cancel")
        assert heading.startswith("?meeting cancel – Cancels a meeting"), heading
        assert "?cover withdraw <no.>" in await ask(dispatcher, "?help cover")
        assert "?minutes start [title]" in await ask(dispatcher, "?help minutes")
        assert "I found no command" in await ask(dispatcher, "?help ?"), "a bare prefix is no command, not an error"
        assert "No minutes are running here" in await ask(dispatcher, "?minutes now"), "anything else: the status"
        # Aliases of a subcommand, and a first word that is no subcommand (a new meeting's date).
        assert "Meeting #1" in await ask(dispatcher, "?meeting tomorrow 3pm retro")
        assert "cancelled" in await ask(dispatcher, "?meeting loeschen 1")
        missing = await ask(dispatcher, "?meeting cancel")
        assert "Usage: ?meeting cancel <no.>" in missing
    finally:
        await db.dispose()


def test_an_area_highlights_only_its_own_commands_and_english_names_are_real_names() -> None:
    # A router that highlights a command it does not declare, or an English name the bot would not understand,
    # is caught when the registry is built (at start), not by someone reading `!help`.
    wrong = Router("wrong", title_de="Falsch", title_en="Wrong", highlights=("ping",))
    with pytest.raises(ValueError, match="highlights"):
        Registry([wrong])
    odd = Router("odd", title_de="Komisch", title_en="Odd")

    @odd.command("gruppen", aliases=["gruppe"], name_en="groups", help_de="Gruppen", help_en="groups")
    async def groups(ctx: CommandContext) -> Reply:
        return Reply.text("")

    with pytest.raises(ValueError, match="name_en 'groups'"):
        Registry([odd])
    plain = Router("plain", title_de="Termine und mehr", title_en="Meetings")
    assert (plain.area_word("de"), plain.area_word("en")) == ("termine", "plain"), "defaults: title, family"
