"""`!hilfe` as people read it: a short overview generated from the registry, one page per area, one per command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import all_routers
from bot.dispatch import Registry
from bot.replies import message_content
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
        "• Wer weiß was: !werweiss, !ichweiss, !profil und 7 weitere – mehr: !hilfe wissen",
        "• Termine: !termin, !termine, !erinnere und 1 weiterer – mehr: !hilfe termine",
        "• Vertretungen: !vertretung, !übernehme, !vertretungen und 2 weitere – mehr: !hilfe vertretungen",
        "• Beschlüsse und Protokolle: !beschluss, !beschluesse, !sitzung und 7 weitere – mehr: !hilfe beschlüsse",
    ]
    assert body.endswith("Mehr zu einem Befehl: !hilfe <Befehl>, z. B. !hilfe werweiss. Auf Englisch: !sprache en.")
    assert "<li><strong>Termine</strong>: <code>!termin</code>, <code>!termine</code>" in html
    assert "<code>!werweiss</code>, <code>!ichweiss</code>, <code>!profil</code> und 7 weitere" in html
    assert "<code>!hilfe termine</code></li>" in html


async def test_every_command_is_on_its_areas_page(bot: Bot) -> None:
    for router in all_routers():
        for language, word in (("de", router.area_word("de")), ("en", router.area_word("en"))):
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
    body, html = await _read(bot, "!help")
    assert body.splitlines()[2:6] == [
        "• Who knows what: !whoknows, !iknow, !profile and 7 more – more: !help expertise",
        "• Meetings: !meeting, !meetings, !remindme and 1 more – more: !help meetings",
        "• Substitutions: !cover, !offer, !covers and 2 more – more: !help substitutions",
        "• Decisions and minutes: !decision, !decisions, !minutes and 7 more – more: !help decisions",
    ]
    assert body.endswith("More about one command: !help <command>, e.g. !help whoknows. Auf Deutsch: !language de.")
    assert "<code>!whoknows</code>, <code>!iknow</code>, <code>!profile</code> and 7 more" in html
    assert len(body.splitlines()) <= 15
    meetings = await bot.say(ANNA, "!help meetings")
    assert meetings.startswith("Meetings – the commands\n\n• !meeting <when title> – Creates a meeting")
    assert "!help [area or command]" in await bot.say(ANNA, "!help help")


# What an English speaker is shown for each command: its English name, never a German spelling variant.
ENGLISH_NAMES = {
    "hilfe": "help", "ping": "ping", "sprache": "language", "zeitzone": "timezone", "zeitzone raum": "timezone room",
    "werweiss": "whoknows", "mehr": "more", "ichweiss": "iknow", "ichweissnicht": "idontknow", "stadt": "city",
    "gruppen": "groups", "notiz": "note", "erwähnen": "mentions", "profil": "profile",
    "profil löschen": "profile delete", "import": "import",
    "termin": "meeting", "termin absagen": "meeting cancel", "termin aussetzen": "meeting skip",
    "termin erinnern": "meeting remind", "termin ort": "meeting place", "termin agenda": "meeting agenda",
    "termin titel": "meeting title", "termin zeit": "meeting time", "termine": "meetings",
    "termine abo": "meetings subscribe", "erinnere": "remindme",
    "erinnerungen": "reminders", "erinnerungen löschen": "reminders delete",
    "vertretung": "cover", "vertretung absagen": "cover cancel", "vertretung zurückziehen": "cover withdraw",
    "übernehme": "offer", "zusage": "accept", "vertretungen": "covers", "bilanz": "balance",
    "beschluss": "decision", "beschluss ersetzen": "decision supersede", "beschluss aufheben": "decision revoke",
    "beschluesse": "decisions", "sitzung": "minutes", "sitzung start": "minutes start", "sitzung ende": "minutes end",
    "info": "info", "rueckgaengig": "undo", "aufgabe": "action", "aufgaben": "actions", "erledigt": "done",
    "export": "export", "jahresbericht": "annualreport",
    "meinedaten": "mydata", "vergissmich": "forgetme", "datenschutz": "privacy",
    "web": "web", "web abmelden": "web logout", "widget": "widget", "widget entfernen": "widget remove",
}  # fmt: skip


def test_every_command_has_its_english_name() -> None:
    registry = Registry(all_routers())
    shown = {}
    for command in registry.commands:
        shown[command.name] = command.spoken_name("en")
        for sub in registry.subcommands(command):
            shown[f"{command.name} {sub.name}"] = f"{command.spoken_name('en')} {sub.spoken_name('en')}"
    assert shown == ENGLISH_NAMES


async def test_english_help_of_a_command_uses_its_english_name(bot: Bot) -> None:
    await bot.say(ANNA, "!language en")
    body, html = await _read(bot, "!help werweiss")
    assert body.startswith("!whoknows – Finds colleagues who know about a topic"), body
    assert "Usage: !whoknows <term>" in body
    assert "Also: !werweiss, !wer-weiss, !werweiß, !who-knows" in body
    assert html.startswith("<p><strong>!whoknows</strong> – Finds colleagues")
    groups = await bot.say(ANNA, "!help gruppe")
    assert groups.startswith("!groups – Sets the project groups you work in"), groups
    assert "Also: !gruppen, !gruppe" in groups
    imports = await bot.say(ANNA, "!help importieren")
    assert imports.startswith("!import – Imports profiles"), imports
    assert "Usage: !import [" in imports and "Also: !importieren" in imports
    await bot.say(ANNA, "!sprache de")
    german = await bot.say(ANNA, "!hilfe whoknows")
    assert german.startswith("!werweiss – Findet Kolleg:innen"), "German speakers keep the German name"
