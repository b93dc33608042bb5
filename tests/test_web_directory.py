"""The who-knows-what directory over real HTTP (SQLite and PostgreSQL): only people who opted in (have a profile)
appear, a search finds whom chat's `!werweiss` finds for the same words in the same order, cities and groups filter,
an unknown city is explained with the cities that exist, paging stays within bounds, and somebody who could not ask in
chat (no room with the bot) is told why instead of seeing the directory."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from bot.config import WebConfig
from storage import Database
from tests.harness import GROUP_ROOM, Bot
from tests.test_web import ANNA, BEN, CAROL, KOORD, ROOMS, SENSORIK_ROOM, People, Site, _serve

DORA, ERIK = "@dora:ettlingen.de", "@erik:gaggenau.de"
CITIES = ("Baden-Baden", "Bretten", "Bruchsal", "Bühl", "Ettlingen", "Gaggenau", "Rastatt", "Rheinstetten", "Stutensee")


@pytest.fixture
async def site(db: Database, tmp_path: Path) -> AsyncIterator[Site]:
    bot = Bot(db, tmp_path, room_groups=ROOMS, coordinators=(KOORD,), web=WebConfig("127.0.0.1", 0, "http://x"))
    people = People()
    people.rooms.update({DORA: {GROUP_ROOM}, ERIK: {GROUP_ROOM}})
    people.names.update({CAROL: "Carol Weiß", DORA: "Dora Opt-out", ERIK: "Erik Nurbeschluss"})
    async for url in _serve(bot, people):
        yield Site(bot, url, people)


async def _profiles(bot: Bot) -> None:
    """Anna (Bühl) and Ben (Rastatt) entered profiles, Carol only topics; Dora deleted hers; Erik never made one but
    decided on topics, which chat's search counts as knowledge."""
    await bot.say(ANNA, "!ichweiss XRechnung, eAkte, Haushalt")
    await bot.say(ANNA, "!stadt Bühl")
    await bot.say(ANNA, "!gruppen Digitale Rechnung, eAkte")
    await bot.say(BEN, "!ichweiss Rechnungseingang, Sensorik", room=SENSORIK_ROOM)
    await bot.say(BEN, "!stadt Rastatt", room=SENSORIK_ROOM)
    await bot.say(BEN, "!gruppen Sensorik", room=SENSORIK_ROOM)
    await bot.say(CAROL, "!ichweiss Papierrechnung, <b>Fett</b>")
    await bot.say(DORA, "!ichweiss XRechnung, Bienenzucht")
    await bot.say(DORA, "!stadt Ettlingen")
    await bot.say(DORA, "!profil löschen")
    await bot.say(ERIK, "!beschluss Wir nehmen XRechnung an #XRechnung #Glasfaser")
    await bot.say(ERIK, "!erwähnen nein")  # a setting makes a profile, but is no wish to be found
    await bot.say(ERIK, "!notiz Bitte nur dienstags")


def _people(page: str) -> list[str]:
    """Whom a page (or a chat reply) names, in order: the user ids of its matrix.to links."""
    return re.findall(r"https://matrix\.to/#/(@[^)\"]+)", page)


async def _get(http: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, str]:
    async with http.get(url, params=params) as response:
        return response.status, await response.text()


async def test_only_people_who_opted_in_appear(site: Site) -> None:
    await _profiles(site.bot)
    assert ERIK in await site.bot.say(KOORD, "!werweiss XRechnung", room=GROUP_ROOM), "chat names Erik by his decision"
    async with await site.browser(KOORD) as http:
        status, page = await _get(http, f"{site.url}/wer-weiss-was")
        assert status == 200 and 'aria-current="page"' in page
        assert _people(page) == [ANNA, BEN, CAROL], "by name; nobody without a profile"
        assert "3 Personen" in page and "Anna Berger" in page and "Bühl · Gruppen: eAkte, Digitale Rechnung" in page
        assert 'href="https://matrix.to/#/@anna:buehl.de"' in page and "Anna Berger im Chat schreiben" in page
        assert 'href="/wer-weiss-was?thema=xrechnung">XRechnung</a>' in page, "each topic links to its people"
        assert "Carol Weiß" in page and "Stadt nicht angegeben" in page
        assert "&lt;b&gt;Fett&lt;/b&gt;" in page and "<b>" not in page, "autoescaped"
        for hidden in (DORA, ERIK, "Dora", "Erik", "Glasfaser", "Bienenzucht"):
            assert hidden not in page, hidden
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q="XRechnung")
        assert status == 200 and _people(page) == [ANNA], "chat's answer without the one who never opted in"
        status, page = await _get(http, f"{site.url}/wer-weiss-was/themen")
        assert status == 200 and "Glasfaser" not in page and "Bienenzucht" not in page
        assert 'href="/wer-weiss-was?thema=xrechnung">XRechnung</a> <span class="count">1 Person</span>' in page
        assert page.index("&lt;b&gt;Fett") < page.index("eAkte") < page.index("Haushalt") < page.index("XRechnung")
        status, page = await _get(http, f"{site.url}/directory")
        assert status == 200 and _people(page) == [ANNA, BEN, CAROL], "the English address"
    await site.bot.say(ANNA, "!profil löschen")
    async with await site.browser(BEN, room=SENSORIK_ROOM) as http:
        status, page = await _get(http, f"{site.url}/wer-weiss-was")
        assert _people(page) == [BEN, CAROL], "a deleted profile leaves the directory at once"


@pytest.mark.parametrize(
    "words",
    ["Rechnung", "XRechnung", "e-akte", "Sensork", "DMS", "Rechnung in Bühl", "Rechnung nicht in Bühl", "rechnungen"],
)
async def test_a_search_finds_whom_chat_finds_for_the_same_words(site: Site, words: str) -> None:
    await _profiles(site.bot)
    await site.bot.say(BEN, f"!werweiss {words}", room=SENSORIK_ROOM)
    chat = _people(site.bot.formatted[-1][1])  # the reply as clients render it: names link to matrix.to
    async with await site.browser(BEN, room=SENSORIK_ROOM) as http:
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q=words)
    assert status == 200
    assert _people(page) == [user for user in chat if user != ERIK], "the same people in the same order"
    assert BEN not in _people(page), "never the one asking, as in chat"


async def test_a_search_says_why_each_person_matches_as_chat_does(site: Site) -> None:
    await _profiles(site.bot)
    async with await site.browser(KOORD) as http:
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q="Rechnung")
        assert sorted(_people(page)) == [ANNA, BEN, CAROL]
        assert "Passt über:</span> XRechnung (Wortteil)" in page and "3 Personen zu „Rechnung“" in page
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q="Sensorik woanders")
        assert status == 400 and "deine Stadt" in page, "chat's “woanders” needs the asker's own city"
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q="Fensterbau")
        assert status == 200 and _people(page) == [] and "Niemand gefunden" in page and "!ichweiss" in page


async def test_cities_groups_and_topics_filter_the_directory(site: Site) -> None:
    await _profiles(site.bot)
    async with await site.browser(ANNA) as http:
        status, page = await _get(http, f"{site.url}/wer-weiss-was", stadt="Bühl")
        assert status == 200 and _people(page) == [ANNA] and "1 Person · in Bühl" in page
        assert "<option selected>Bühl</option>" in page
        assert (
            'href="/wer-weiss-was?stadt=B%C3%BChl" aria-current="true">Bühl</a> <span class="count">(1)</span>' in page
        )
        assert 'href="/wer-weiss-was?stadt=Rastatt">Rastatt</a> <span class="count">(1)</span>' in page
        assert _people((await _get(http, f"{site.url}/wer-weiss-was", stadt="buehl"))[1]) == [ANNA], "as chat reads it"
        assert _people((await _get(http, f"{site.url}/wer-weiss-was", gruppe="sensorik"))[1]) == [BEN]
        assert _people((await _get(http, f"{site.url}/wer-weiss-was", thema="xrechnung"))[1]) == [ANNA]
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q="Rechnung", stadt="Rastatt")
        assert _people(page) == [BEN], "the list's city over a search"
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q="Rechnung", gruppe="Sensorik")
        assert _people(page) == [BEN] and "Gruppe Sensorik" in page
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q="Rechnung in Rastatt")
        assert _people(page) == [BEN] and "in Rastatt" in page, "chat's “in Rastatt” in the words"
        status, page = await _get(http, f"{site.url}/wer-weiss-was", thema="niemandsthema")
        assert status == 200 and _people(page) == [] and "Niemand gefunden" in page


async def test_an_unknown_city_or_group_is_explained_with_those_that_exist(site: Site) -> None:
    async with await site.browser(ANNA) as http:
        status, page = await _get(http, f"{site.url}/wer-weiss-was", stadt="Karlsruhe")
        assert status == 400 and "„Karlsruhe“ gehört nicht zum Netzwerk" in page
        assert all(city in page for city in CITIES), "the cities that exist"
        status, page = await _get(http, f"{site.url}/wer-weiss-was", stadt="Bühlertal")
        assert status == 400 and "Meintest du Bühl?" in page
        status, page = await _get(http, f"{site.url}/wer-weiss-was", gruppe="Kegelclub")
        assert status == 400 and "Kegelclub" in page and "Recht und Datenschutz" in page
        status, page = await _get(http, f"{site.url}/wer-weiss-was", stadt="<script>x</script>" * 50)
        assert status == 400 and "<script>" not in page and len(page) < 20_000, "bounded and escaped"
        for raw in ("q=%00", "thema=a%01b", "q=x&stadt=%00"):
            async with http.get(URL(f"{site.url}/wer-weiss-was?{raw}", encoded=True)) as response:
                assert response.status == 400 and "Steuerzeichen" in await response.text(), raw
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q="Rechnung " * 600)
        assert status == 200, "a long search is cut, not refused"


async def test_paging_stays_within_bounds(site: Site) -> None:
    for n in range(45):
        user = f"@person{n:02d}:rastatt.de"
        await site.bot.say(user, "!ichweiss Haushalt", sender_name=f"Person {n:02d}")
        await site.bot.say(user, "!stadt Rastatt")
    async with await site.browser(ANNA) as http:
        status, page = await _get(http, f"{site.url}/wer-weiss-was")
        assert status == 200 and "45 Personen" in page and "Seite 1 von 3" in page
        assert len(_people(page)) == 20 and _people(page)[0] == "@person00:rastatt.de"
        next_page = re.search(r'rel="next" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        async with http.get(site.url + next_page.replace("&amp;", "&")) as response:
            page = await response.text()
        assert "Seite 2 von 3" in page and _people(page)[0] == "@person20:rastatt.de"
        for asked, shown in (("3", 3), ("99", 3), ("99999999999999", 3), ("0", 1), ("-4", 1), ("zwei", 1)):
            status, page = await _get(http, f"{site.url}/wer-weiss-was", seite=asked)
            assert status == 200 and f"Seite {shown} von 3" in page, asked
        assert len(_people(page)) == 20
        status, page = await _get(http, f"{site.url}/wer-weiss-was", seite="3")
        assert len(_people(page)) == 5 and 'rel="next"' not in page
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q="Haushalt", stadt="Rastatt", seite="2")
        assert "Seite 2 von 3" in page and "45 Personen" in page, "a search pages too"
        found = re.search(r'rel="prev" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        assert "q=Haushalt" in found and "stadt=Rastatt" in found and "seite=1" in found, "paging keeps the filters"


async def test_someone_who_could_not_ask_in_chat_is_told_why(site: Site) -> None:
    await _profiles(site.bot)
    async with aiohttp.ClientSession() as stranger:
        status, page = await _get(stranger, f"{site.url}/wer-weiss-was")
        assert status == 401 and "Bitte anmelden" in page and "Anna" not in page
    async with await site.browser(ANNA) as http:
        site.people.rooms[ANNA] = set()  # she left every room the bot is in
        for path in ("/wer-weiss-was", "/wer-weiss-was/themen", "/directory"):
            status, page = await _get(http, f"{site.url}{path}")
            assert status == 403 and "keinen Raum mit dem Bot" in page, path
            assert not _people(page) and "XRechnung" not in page, path
        site.people.rooms[ANNA] = {GROUP_ROOM}
        status, page = await _get(http, f"{site.url}/wer-weiss-was")
        assert status == 200 and BEN in _people(page), "back in a room: back in the directory"


async def test_the_directory_speaks_the_persons_language(site: Site) -> None:
    await _profiles(site.bot)
    await site.bot.say(BEN, "!sprache en", room=SENSORIK_ROOM)
    async with await site.browser(BEN, room=SENSORIK_ROOM) as http:
        status, page = await _get(http, f"{site.url}/directory", q="Rechnung")
        assert status == 200 and 'lang="en"' in page and "2 people for “Rechnung”" in page
        assert "Who knows what" in page and "Write to Anna Berger in chat" in page
        status, page = await _get(http, f"{site.url}/wer-weiss-was", stadt="Karlsruhe")
        assert status == 400 and "is not part of the network" in page
    async with await site.browser(ANNA) as http:
        status, page = await _get(http, f"{site.url}/")
        assert 'href="/wer-weiss-was">Wer weiß was</a>' in page, "the start page and the menu lead there"


async def test_a_search_with_more_people_than_chat_ranks_says_to_narrow_it(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("storage.profiles.COUNT_CAP", 3)  # chat's ranking counts at most this many
    monkeypatch.setattr("commands.expertise.web.COUNT_CAP", 3)
    for n in range(5):
        await site.bot.say(f"@person{n}:rastatt.de", "!ichweiss Haushalt", sender_name=f"Person {n}")
    async with await site.browser(ANNA) as http:
        status, page = await _get(http, f"{site.url}/wer-weiss-was", q="Haushalt")
        assert status == 200 and len(_people(page)) == 3 and "Grenz die Suche ein" in page
        status, page = await _get(http, f"{site.url}/wer-weiss-was")
        assert len(_people(page)) == 5 and "Grenz die Suche ein" not in page, "the list by name has no such limit"
