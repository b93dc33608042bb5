"""Typed arguments and the one error type, as a member meets them: loosely written cities, groups, zones, people,
durations and years are understood; anything else gets a reply that says what is possible (both backends)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.errors import BadArgument, Localized, code, render
from bot.i18n import Catalog
from storage import Database
from tests.harness import GROUP_ROOM, Bot

ANNA, BEN = "@anna:buehl.de", "@ben:buehl.de"


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Bot]:
    yield Bot(db, tmp_path, room_groups={GROUP_ROOM: "Engagementplattform"})


async def test_city_and_groups_are_read_loosely_and_refused_with_the_choices(bot: Bot) -> None:
    assert "Deine Stadt: Bühl." in await bot.say(ANNA, "!stadt buehl")
    assert "Deine Stadt: Ettlingen." in await bot.say(ANNA, "!stadt Ettlngen"), "a one-letter slip is accepted"
    refusal = await bot.say(ANNA, "!stadt Bühlertal")
    assert "„Bühlertal“ gehört nicht zum Netzwerk. Meintest du Bühl?" in refusal
    assert "Baden-Baden" in refusal and "So geht's: !stadt [Stadt]" in refusal
    assert "Deine Gruppen: eAkte, Sensorik." in await bot.say(ANNA, "!gruppen sensorik; EAKTE, eakte")
    assert "Die Gruppe „Kantine“ kenne ich nicht." in await bot.say(ANNA, "!gruppen eAkte, Kantine")
    assert "Gruppen: eAkte, Sensorik" in await bot.say(ANNA, "!profil"), "a refused change keeps the groups"
    assert "in keiner Gruppe mehr" in await bot.say(ANNA, "!gruppen keine")


async def test_people_are_named_by_id_pill_mention_or_name_on_the_own_server(bot: Bot) -> None:
    await bot.say(BEN, "!stadt Rastatt")
    for written, mentions in [
        (BEN, ()),
        (f"[Ben](https://matrix.to/#/{BEN})", ()),
        ("Ben Becker", (BEN,)),  # a client that makes pills sends the display name and m.mentions
        ("@ben", ()),  # Anna and Ben share the server buehl.de
        ("@BEN", ()),
    ]:
        assert "Stadt: Rastatt" in await bot.say(ANNA, f"!profil {written}", mentions=mentions), written
    refusal = await bot.say(ANNA, "!profil Ben Becker")
    assert "„Ben Becker“ ist keine Matrix-ID" in refusal and "(@name:server)" in refusal


async def test_time_zones_durations_and_years(bot: Bot) -> None:
    assert "Europe/Lisbon" in await bot.say(ANNA, "!zeitzone europe/lisbon")
    assert "„Mond/Base“ kenne ich nicht" in await bot.say(ANNA, "!zeitzone Mond/Base")
    await bot.say(ANNA, "!termin jeden Dienstag 10 Uhr Jour fixe")
    assert "1 Tag und 2 Stunden" in await bot.say(ANNA, "!termin erinnern 1 1 Tag und 2h")
    assert "keine" in (await bot.say(ANNA, "!termin erinnern 1 keine")).lower()
    assert "verstehe" in await bot.say(ANNA, "!termin erinnern 1 bald"), "a duration that is none says how"
    refusal = await bot.say(ANNA, "!bilanz 1999")
    assert "„1999“ ist kein Jahr, für das ich etwas habe: bitte vier Ziffern von 2000 bis 2027." in refusal
    assert "I don't know “Moon” as a time zone" not in await bot.say(ANNA, "!language en")
    assert "“Moon/Base” is not" not in (text := await bot.say(ANNA, "!timezone Moon/Base"))
    assert "I don't know “Moon/Base”" in text


def test_rendering_escapes_the_persons_words_but_not_markdown_or_the_prefix() -> None:
    catalog = Catalog({"x.bad": {"de": "„{word}“ nicht, {alt} – `{prefix}hilfe` {day}", "en": "not “{word}”, {alt}"}})
    error = BadArgument("x.bad", word="*fett* [link](x)", alt=code("!termin 1"), day=Localized("Mo", "Mon"))
    german = render(error, catalog, "de", "?")
    assert german == "„\\*fett\\* \\[link\\]\\(x\\)“ nicht, `!termin 1` – `?hilfe` Mo"
    assert render(error, catalog, "en", "?").startswith("not “\\*fett\\*")
    assert render(error, catalog, "de", "?", plain=True).startswith("„*fett* [link](x)“")
