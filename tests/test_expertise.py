"""Who knows what, as members use it: profiles, asking, filters, paging, privacy (both backends)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import all_routers
from bot.clock import FakeClock
from bot.config import Config, load_config
from bot.dispatch import Dispatcher, IncomingMessage
from bot.replies import html_to_plain, message_content, render_html
from commands.arguments import resolve_name
from commands.expertise.commands import Search, parse_search
from storage import Database
from tests.messages import CATALOG

ROOT = Path(__file__).resolve().parent.parent
_EVENTS = itertools.count()  # every message its own event id, as in Matrix
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CITIES = load_config(ROOT / "config.example.toml", env={}).cities


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Dispatcher]:
    example = load_config(ROOT / "config.example.toml", env={})
    config: Config = replace(example, data_dir=tmp_path, database_url="unused", page_size=2)
    yield Dispatcher(routers=all_routers(), config=config, db=db, clock=FakeClock(NOW))


async def say(bot: Dispatcher, sender: str, body: str, *, name: str | None = None, room: str = "!r:x") -> str:
    message = IncomingMessage(
        room_id=room, event_id=f"$ev{next(_EVENTS)}", sender=sender, body=body, timestamp=NOW, sender_name=name
    )
    reply = await bot.handle(message)
    assert reply is not None
    return str(message_content(reply)["body"])


ANNA, BEN, CEM, DORA = "@anna:buehl.de", "@ben:rastatt.de", "@cem:ettlingen.de", "@dora:bruchsal.de"


async def directory(bot: Dispatcher) -> None:
    await say(bot, ANNA, "!ichweiss XRechnung, eAkte", name="Anna Schmidt")
    await say(bot, ANNA, "!stadt buehl")
    await say(bot, ANNA, "!gruppen Digitale Rechnung, eakte")
    await say(bot, BEN, "!iknow E-Rechnung; Rechnungseingang", name="Ben")
    await say(bot, BEN, "!city Rastatt")
    await say(bot, CEM, "!ichweiss Sensorik, LoRaWAN", name="Cem")
    await say(bot, CEM, "!stadt Ettlingen")
    await say(bot, DORA, "!ichweiss elektronische Akte", name="Dora")
    await say(bot, DORA, "!stadt Bruchsal")


async def test_profile_lifecycle(bot: Dispatcher) -> None:
    assert "Du hast noch kein Profil" in await say(bot, ANNA, "!profil")
    assert "Eingetragen: XRechnung, eAkte." in await say(bot, ANNA, "!ichweiss XRechnung, eAkte", name="Anna")
    text = await say(bot, ANNA, "!ichweiss e-akte, Datenschutz")
    assert "Eingetragen: Datenschutz." in text and "Schon in deinem Profil: e-akte." in text
    assert "Deine Stadt: Baden-Baden." in await say(bot, ANNA, "!stadt baden baden")
    assert "Deine Gruppen: eAkte, Sensorik." in await say(bot, ANNA, "!gruppen EAKTE, sensorik")
    assert "Deine Notiz ist gelöscht" in await say(bot, BEN, "!notiz löschen")
    assert "hat kein Profil" in await say(bot, ANNA, f"!profil {BEN}"), "clearing a note creates no profile"
    assert "Deine Notiz: Mo–Mi erreichbar" in await say(bot, ANNA, "!notiz Mo–Mi   erreichbar")
    profile = await say(bot, ANNA, "!profil")
    assert "Anna (@anna:buehl.de)" in profile
    assert "Stadt: Baden-Baden" in profile and "Gruppen: eAkte, Sensorik" in profile
    assert "Themen: XRechnung, eAkte, Datenschutz" in profile and "Notiz: Mo–Mi erreichbar" in profile
    assert "Entfernt: eAkte." in await say(bot, ANNA, "!ichweissnicht E-Akte")
    assert "Nicht in deinem Profil: DMS." in await say(bot, ANNA, "!ichweissnicht DMS")
    assert "Themen: XRechnung, Datenschutz" in await say(bot, BEN, f"!profil {ANNA}")
    pill = f"!profil [Anna](https://matrix.to/#/{ANNA})"
    assert "Stadt: Baden-Baden" in await say(bot, BEN, pill)
    assert "hat kein Profil" in await say(bot, BEN, "!profil @nobody:x.de")
    assert "Alright" in await say(bot, ANNA, "!language en")
    assert "Your profile is deleted" in await say(bot, ANNA, "!profile delete")
    assert "Ich bin da" in await say(bot, ANNA, "!ping"), "settings went with the profile"
    assert "hat kein Profil" in await say(bot, BEN, f"!profil {ANNA}")
    assert "niemanden gefunden" in await say(bot, BEN, "!werweiss XRechnung")


async def test_bad_input_gets_friendly_answers(bot: Dispatcher) -> None:
    text = await say(bot, ANNA, "!stadt Bühlertal")
    assert "„Bühlertal“ gehört nicht zum Netzwerk. Meintest du Bühl?" in text
    assert "So geht's: !stadt [Stadt]" in text
    assert "Karlsruhe" not in CITIES and "gehört nicht zum Netzwerk" in await say(bot, ANNA, "!stadt Karlsruhe")
    assert "Deine Gruppen: eAkte." in await say(bot, ANNA, "!gruppen eAkten"), "a one-letter slip is fine"
    assert "Meintest du Recht und Datenschutz?" in await say(bot, ANNA, "!gruppen Datenschutz")
    assert "Welche Themen?" in await say(bot, ANNA, "!ichweiss , ;")
    assert "zu lang" in await say(bot, ANNA, "!ichweiss " + "x" * 61)
    assert "höchstens 200" in await say(bot, ANNA, "!notiz " + "y" * 201)
    assert "keine Matrix-ID" in await say(bot, ANNA, "!profil anna")
    assert "Wonach soll ich suchen?" in await say(bot, ANNA, "!werweiss ?")
    assert "keine Suche zum Weiterblättern" in await say(bot, ANNA, "!mehr")
    assert "deine Stadt kennen" in await say(bot, ANNA, "!werweiss eAkte woanders")
    many = ", ".join(f"Thema{i}" for i in range(31))
    assert "Höchstens 30 Themen" in await say(bot, ANNA, f"!ichweiss {many}")
    assert "Themen: –" in await say(bot, ANNA, "!profil"), "the failed command left nothing behind"
    assert "Gruppen: eAkte" in await say(bot, ANNA, "!profil")


async def test_who_knows_ranks_exact_synonym_part_fuzzy(bot: Dispatcher) -> None:
    await directory(bot)
    text = await say(bot, CEM, "!werweiss XRechnung")
    lines = [line for line in text.splitlines() if line[:2] in {"1.", "2."}]
    assert lines[0].startswith("1. Anna Schmidt – Bühl · eAkte, Digitale Rechnung — XRechnung"), text
    assert lines[1].startswith("2. Ben – Rastatt — E-Rechnung (verwandter Begriff)"), text
    assert "Wer kennt sich mit „XRechnung“ aus?" in text

    text = await say(bot, CEM, "!werweiss elektronische Akte")
    assert text.index("Dora") < text.index("Anna Schmidt"), "exact before synonym"
    assert "Sensork" not in text
    assert "Sensorik (ähnlich geschrieben)" in await say(bot, ANNA, "!werweiss Sensork")
    assert "Rechnungseingang (Wortteil)" in await say(bot, ANNA, "!werweiss Eingang")


async def test_the_issues_questions(bot: Dispatcher) -> None:
    """Issue #12 as new users tried it: precision, word forms, the default synonyms, and the asker."""
    await directory(bot)
    # The adjective of the synonym "elektronische Rechnung" found every E-Rechnung and XRechnung person.
    text = await say(bot, CEM, "!werweiss elektronische Akte")
    assert "1. Dora – Bruchsal — elektronische Akte\n" in text
    assert "2. Anna Schmidt – Bühl · eAkte, Digitale Rechnung — eAkte (verwandter Begriff)\n" in text + "\n", text
    assert "Ben" not in text and "XRechnung" not in text and "E-Rechnung" not in text
    # Whoever asks is no answer to their own question.
    text = await say(bot, ANNA, "!werweiss elektronische Akte")
    assert "1. Dora" in text and "Anna" not in text
    assert "Anna" not in await say(bot, ANNA, "!werweiss XRechnung")
    # Word forms.
    await say(bot, DORA, "!ichweiss Vertrag, Drucken, Digitalisierung")
    assert "Dora – Bruchsal — Vertrag (andere Wortform)" in await say(bot, CEM, "!werweiss Verträge")
    assert "Dora – Bruchsal — Drucken (andere Wortform)" in await say(bot, CEM, "!werweiss Drucker")
    assert "Digitalisierung (andere Wortform)" in await say(bot, CEM, "!werweiss digitalisieren")
    # The example config names no synonyms: it gets the network's default groups.
    text = await say(bot, CEM, "!werweiss e-rechnung")
    assert "1. Ben – Rastatt — E-Rechnung\n" in text, text
    assert "2. Anna Schmidt – Bühl · eAkte, Digitale Rechnung — XRechnung (verwandter Begriff)" in text
    await say(bot, CEM, "!language en")
    assert "Dora – Bruchsal — Digitalisierung (another form of the word)" in await say(
        bot, CEM, "!whoknows digitalisieren"
    )


async def test_synonyms_can_be_turned_off(db: Database, tmp_path: Path) -> None:
    example = load_config(ROOT / "config.example.toml", env={})
    config = replace(example, data_dir=tmp_path, database_url="unused", synonyms=())
    bot = Dispatcher(routers=all_routers(), config=config, db=db, clock=FakeClock(NOW))
    await directory(bot)
    text = await say(bot, CEM, "!werweiss e-rechnung")
    assert "1. Ben" in text and "Anna" not in text


async def test_city_filters_and_paging(bot: Dispatcher) -> None:
    await directory(bot)
    text = await say(bot, CEM, "!werweiss Rechnung in Rastatt")
    assert "(in Rastatt)" in text and "Ben" in text and "Anna" not in text
    text = await say(bot, CEM, "!werweiss Rechnung nicht in Rastatt")
    assert "Anna" in text and "Ben" not in text
    text = await say(bot, ANNA, "!werweiss Rechnung woanders")
    assert "(nicht in Bühl)" in text and "Ben" in text and "Anna" not in text
    text = await say(bot, CEM, "!werweiss KI in Kommunen")
    assert "„KI in Kommunen“" in text, "'in X' is a filter only for the network's cities"

    await say(bot, DORA, "!ichweiss eAkte")
    await say(bot, CEM, "!ichweiss eAkte-Einführung")
    first = await say(bot, BEN, "!werweiss eAkte")  # page size is 2 in these tests
    # Dora knows two matching topics (eAkte, and its synonym "elektronische Akte"), Anna one.
    assert "1. Dora" in first and "2. Anna" in first and "Cem" not in first
    assert "Noch 1 weitere Person: !mehr" in first
    second = await say(bot, BEN, "!more")
    assert "Seite 2" in second and "3. Cem" in second and "Anna" not in second
    assert "Das waren alle Treffer" in await say(bot, BEN, "!mehr")
    assert "keine Suche zum Weiterblättern" in await say(bot, BEN, "!mehr", room="!other:x")


@pytest.mark.parametrize(
    ("language", "count", "more", "many"),
    [
        ("de", 1, "Noch 1 weitere Person: !mehr", "Das ist mehr als 1 Person – grenz die Suche ein"),
        ("de", 2, "Noch 2 weitere Personen: !mehr", "Das sind mehr als 2 Personen – grenz die Suche ein"),
        ("en", 1, "1 more person: !more", "That's more than 1 person – narrow it down"),
        ("en", 2, "2 more people: !more", "That's more than 2 people – narrow it down"),
    ],
)
def test_more_people_read_right_for_one_and_for_many(language: str, count: int, more: str, many: str) -> None:
    """ "Noch 1 weitere" said nothing of whom; the count and its noun agree, as the reader gets them."""
    for key, expected in (("who.more", more), ("who.many_more", many)):
        html = render_html(CATALOG.text(language, key, count=count, prefix="!"))
        assert html_to_plain(html).startswith(expected) and "<code>" in html


async def test_nobody_found_suggests_related_topics(bot: Dispatcher) -> None:
    await directory(bot)
    text = await say(bot, ANNA, "!werweiss Friedhofsverwaltung")
    assert "Zu „Friedhofsverwaltung“ habe ich niemanden gefunden." in text
    assert "!ichweiss Friedhofsverwaltung" in text
    text = await say(bot, ANNA, "!werweiss Sensormatik")
    assert "niemanden gefunden" in text and "Vielleicht hilft: !werweiss Sensorik" in text
    # Two kinds of Rechnung are no answer to each other, but a suggestion.
    text = await say(bot, CEM, "!werweiss Papierrechnung")
    assert "niemanden gefunden" in text and "Vielleicht hilft: !werweiss XRechnung, !werweiss E-Rechnung" in text


async def test_activity_counts_as_knowledge_and_is_marked(bot: Dispatcher, db: Database) -> None:
    await directory(bot)
    async with db.transaction() as repos:
        await repos.profiles.record_activity(
            DORA, ("sensorik", "Sensorik"), source="substitution", ref_id=3, at=NOW - timedelta(days=10)
        )
        await repos.profiles.record_activity(
            BEN, ("sensorik", "Sensorik"), source="decision", ref_id=4, at=NOW - timedelta(days=400)
        )
    text = await say(bot, ANNA, "!werweiss Sensorik")
    assert "Dora – Bruchsal — Sensorik (hat dazu vertreten)" in text
    assert text.index("Cem") < text.index("Dora"), "a profile entry ranks before activity"
    assert "Ben" not in text, "activity older than the configured window does not count"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("XRechnung", Search("XRechnung")),
        ("mit XRechnung aus?", Search("XRechnung")),
        ("eAkte in baden baden", Search("eAkte", city="Baden-Baden")),
        ("eAkte aus Buehl", Search("eAkte", city="Bühl")),
        ("DMS nicht in Rastatt", Search("DMS", exclude_city="Rastatt")),
        ("DMS außer Ettlingen", Search("DMS", exclude_city="Ettlingen")),
        ("Sensorik woanders", Search("Sensorik", exclude_own_city=True)),
        ("Sensorik in anderen Städten", Search("Sensorik", exclude_own_city=True)),
        ("sensors elsewhere", Search("sensors", exclude_own_city=True)),
        ("KI in Kommunen", Search("KI in Kommunen")),
        ("Recht und Datenschutz", Search("Recht und Datenschutz")),
    ],
)
def test_parse_search(text: str, expected: Search) -> None:
    assert parse_search(text, CITIES) == expected


def test_resolve_city_names() -> None:
    assert resolve_name("baden baden", CITIES) == ("Baden-Baden", None)
    assert resolve_name("BUEHL", CITIES) == ("Bühl", None)
    assert resolve_name("Ettlngen", CITIES) == ("Ettlingen", None)
    assert resolve_name("Bühlertal", CITIES) == (None, "Bühl")
    assert resolve_name("Karlsruhe", CITIES) == (None, None)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_database_ranking_agrees_with_rank_people(db: Database, seed: int) -> None:
    """The database ranks big result sets; rank_people is the readable definition. Both must agree."""
    import random

    from commands.expertise.matching import Hit, Person, Reason, TopicMatch, rank_people

    rng = random.Random(seed)
    topics = [(f"thema{i}", f"Thema {i}") for i in range(12)]
    users = [f"@{rng.choice(['a', 'B', 'c', 'Ä'])}user{i}:x.de" for i in range(40)]
    hits: dict[str, list[Hit]] = {}
    reasons = {key: rng.choice(list(Reason)) for key, _ in topics}
    weights = {key: (int(reasons[key].kind), rng.choice([0.25, 0.5, 0.75, 1.0])) for key, _ in topics}
    async with db.transaction() as repos:
        for user_id in users:
            await repos.profiles.ensure(user_id, None)
            chosen = rng.sample(topics, rng.randint(0, 3))
            await repos.profiles.add_topics(user_id, chosen)
            for key, label in chosen:
                hits.setdefault(user_id, []).append(
                    Hit(TopicMatch(key, label, reasons[key], weights[key][1]), "profile")
                )
            if rng.random() < 0.3:
                key, label = rng.choice(topics)
                await repos.profiles.record_activity(user_id, (key, label), source="decision", ref_id=1, at=NOW)
                hits.setdefault(user_id, []).append(
                    Hit(TopicMatch(key, label, reasons[key], weights[key][1]), "decision")
                )
    expected = [r.person.user_id for r in rank_people(hits, {u: Person(u, None, None, ()) for u in users})]
    async with db.transaction() as repos:
        await repos.profiles.vocabulary()
        pages = []
        for offset in range(0, 60, 7):
            page = await repos.profiles.rank_holders(
                weights, activity_since=NOW - timedelta(days=1), limit=7, offset=offset
            )
            pages += page.user_ids
            assert page.total == len(expected)
    assert pages == expected


async def test_database_counts_pages_and_leaves_out_the_asker(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The total behind "Noch N weitere": each person once (a topic entered and acted on counts once), capped,
    also when paging past the end; the asker is neither listed nor counted."""
    import storage.profiles

    users = [f"@user{i:02}:x.de" for i in range(25)]
    async with db.transaction() as repos:
        for user_id in users:
            await repos.profiles.ensure(user_id, None)
            await repos.profiles.add_topics(user_id, [("thema", "Thema")])
        for user_id in [users[0], "@doer1:x.de", "@doer2:x.de"]:  # users[0] entered it too
            await repos.profiles.record_activity(user_id, ("thema", "Thema"), source="decision", ref_id=1, at=NOW)

    async def page(offset: int, **filters: str) -> tuple[list[str], int, bool]:
        async with db.transaction() as repos:
            since = NOW - timedelta(days=1)
            found = await repos.profiles.rank_holders(
                {"thema": (5, 1.0)}, activity_since=since, limit=5, offset=offset, **filters
            )
            return found.user_ids, found.total, found.capped

    first, total, capped = await page(0)
    assert first == users[:5] and (total, capped) == (27, False)
    assert await page(25) == (["@doer1:x.de", "@doer2:x.de"], 27, False), "the last page"
    assert await page(30) == ([], 27, False), "past the end"
    assert (await page(0, exclude_user=users[0]))[:2] == (users[1:6], 26)
    monkeypatch.setattr(storage.profiles, "COUNT_CAP", 20)
    assert (await page(0))[1:] == (20, True)
    assert (await page(30))[1:] == (20, True)
