"""`!hilfe` as people read it: a short overview generated from the registry, one page per area, one per command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import all_routers
from bot.replies import message_content
from commands.help import area_word
from storage import Database
from tests.harness import Bot

ANNA = "@anna:buehl.de"


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Bot]:
    yield Bot(db, tmp_path)


async def _read(bot: Bot, text: str) -> tuple[str, str]:
    content = message_content(await bot.reply(ANNA, text))
    return str(content["body"]), str(content["formatted_body"])


async def test_the_overview_is_short_and_names_the_four_areas(bot: Bot) -> None:
    body, html = await _read(bot, "!hilfe")
    assert len(body.splitlines()) <= 15, body
    assert body.splitlines()[2:6] == [
        "• Wer weiß was: !werweiss, !mehr, !ichweiss und 7 weitere – mehr: !hilfe wissen",
        "• Termine: !termin, !termine, !erinnere und 1 weiterer – mehr: !hilfe termine",
        "• Vertretungen: !vertretung, !übernehme, !zusage und 2 weitere – mehr: !hilfe vertretungen",
        "• Beschlüsse und Protokolle: !beschluss, !beschluesse, !sitzung und 7 weitere – mehr: !hilfe beschlüsse",
    ]
    assert body.endswith("Mehr zu einem Befehl: !hilfe <Befehl>, z. B. !hilfe werweiss. Auf Englisch: !sprache en.")
    assert "<li><strong>Termine</strong>: <code>!termin</code>, <code>!termine</code>" in html
    assert "<code>!hilfe termine</code></li>" in html


async def test_every_command_is_on_its_areas_page(bot: Bot) -> None:
    for router in all_routers():
        for language, word in (("de", area_word(router, "de")), ("en", area_word(router, "en"))):
            await bot.say(ANNA, "!sprache en" if language == "en" else "!sprache de")
            body, _ = await _read(bot, f"!hilfe {word}")
            assert body.startswith(f"{router.title(language)} – "), body
            for command in router.commands:
                assert f"– {command.help(language)}" in body, (word, command.name)


async def test_an_area_page_and_a_command_of_the_same_name(bot: Bot) -> None:
    area, html = await _read(bot, "!hilfe termine")
    assert area.startswith("Termine – die Befehle\n\n• !termin <Wann Titel> – Trägt einen Termin ein")
    assert area.endswith("Mehr zu einem Befehl: !hilfe !termin. Alle Bereiche: !hilfe")
    assert "<ul>\n<li><code>!termin &lt;Wann Titel&gt;</code> – Trägt einen Termin ein" in html
    command = await bot.say(ANNA, "!hilfe !termine")
    assert command.startswith("!termine – Listet die kommenden Termine"), "with the prefix it is the command"
    assert (await bot.say(ANNA, "!hilfe termin")).startswith("!termin – Trägt einen Termin ein")
    assert (await bot.say(ANNA, "!hilfe protokolle")).startswith("Beschlüsse und Protokolle – die Befehle")
    assert await bot.say(ANNA, "!hilfe quatsch") == (
        "Zu quatsch habe ich keinen Befehl und keinen Bereich gefunden. Überblick: !hilfe"
    )


async def test_help_in_english(bot: Bot) -> None:
    await bot.say(ANNA, "!language en")
    body, _ = await _read(bot, "!help")
    assert "• Meetings: !meeting, !meetings, !remindme and 1 more – more: !help meetings" in body
    assert len(body.splitlines()) <= 15
    meetings = await bot.say(ANNA, "!help meetings")
    assert meetings.startswith("Meetings – the commands\n\n• !meeting <when title> – Creates a meeting")
    assert "!help [area or command]" in await bot.say(ANNA, "!help help")
