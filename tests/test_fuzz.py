"""Hostile input through the real dispatcher on the real test database (SQLite and PostgreSQL): every command
and subcommand of the registry with huge, negative and empty numbers, control characters, absurd dates, long
pastes, edits and reactions. A person must always get an answer that explains, never an internal error."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.dev.fuzz import FuzzInput, fuzz_corpus
from bot.dispatch import IncomingMessage
from storage import Database
from tests.harness import GROUP_ROOM, NETWORK, Bot

SEED = int(os.environ.get("REDI_FUZZ_SEED", "20261121"))
OTHER_ROOM, DM = "!eigener-raum:example.org", "!dm-anna:example.org"
ANNA, BEN, KOORD = "@anna:buehl.de", "@ben:rastatt.de", "@koord:example.org"
# (sender, room, power level): a member, a moderator of a configured room, the admin of a room of their own,
# a coordinator in a direct chat.
PEOPLE = (
    (ANNA, GROUP_ROOM, 0),
    (BEN, GROUP_ROOM, 50),
    (ANNA, NETWORK, 0),
    (BEN, OTHER_ROOM, 100),
    (KOORD, DM, 0),
)
INTERNAL_ERROR = ("schiefgegangen", "went wrong")


async def _seed_records(bot: Bot) -> None:
    """A record of every kind, so that small numbers hit real things."""
    for body in (
        "!termin jeden Dienstag 10 Uhr Jour fixe",
        "!beschluss Wir testen alles",
        "!vertretung 12.12. 10-16 Uhr Digitaltag Bühl #Engagementplattform",
        "!aufgabe @ben:rastatt.de bis 1.12. Protokoll schreiben",
        "!erinnere mich morgen 9 Uhr an den Test",
    ):
        reply = await bot.say(ANNA, body, mentions=(BEN,) if "@ben" in body else ())
        assert not any(word in reply for word in INTERNAL_ERROR), reply


async def _send(bot: Bot, item: FuzzInput, index: int, last_event: str) -> tuple[str, str | None]:
    sender, room, power = PEOPLE[index % len(PEOPLE)]
    event_id = f"$fuzz{index}"
    now = bot.clock.now()
    if item.kind == "text":
        message = IncomingMessage(room, event_id, sender, item.body, now, sender_power=power, is_direct=room == DM)
    elif item.kind == "edit":
        message = IncomingMessage(
            room, event_id, sender, "", now, sender_power=power, changes=last_event, new_body=item.body
        )
    else:
        target = item.body or (bot.announcement_ids[-1] if bot.announcement_ids else "$nothing")
        message = IncomingMessage(
            room, event_id, sender, "", now, sender_power=power, reply_to=target, reaction=item.reaction
        )
    reply = await bot.handle(message)
    if reply is None:
        return event_id, None
    return event_id, reply.markdown


async def test_fuzzed_commands_get_an_explanation_never_an_internal_error(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot = Bot(db, tmp_path, room_groups={GROUP_ROOM: "Engagementplattform"}, coordinators=(KOORD,))
    await _seed_records(bot)
    names = [name for command in bot.dispatcher.registry.commands for name in command.names]
    on_postgres = db.engine.dialect.name == "postgresql"
    count = 1000 if on_postgres else 3000
    corpus = fuzz_corpus(SEED, count, prefix=bot.config.command_prefix, command_names=names)
    caplog.set_level(logging.ERROR, logger="bot.dispatch")
    last_event = "$nothing"
    problems: list[str] = []
    for index, item in enumerate(corpus):
        event_id, text = await _send(bot, item, index, last_event)
        if item.kind == "text":
            last_event = event_id
            if not text or not text.strip():
                problems.append(f"#{index} no answer to {item.body[:120]!r}")
            elif any(word in text for word in INTERNAL_ERROR):
                problems.append(f"#{index} internal error for {item.body[:120]!r}")
        elif text is not None and any(word in text for word in INTERNAL_ERROR):
            problems.append(f"#{index} internal error for {item.kind} {item.body[:60]!r} {item.reaction!r}")
        if len(problems) >= 10:
            break
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not problems and not logged, (
        f"seed {SEED} (REDI_FUZZ_SEED to replay):\n" + "\n".join(problems) + "\nlogged:\n" + "\n".join(logged[:10])
    )
