"""The meetings' web pages over real HTTP (SQLite and PostgreSQL): `/termine` lists the next eight weeks of the
meetings a person may see in chat, by group and room, with the dates `!termine` computes (skipped ones marked);
`/termine/monat` shows a month as a calendar table within a bounded range of years; a wrong filter or month gets
a friendly explanation, another group's meetings are nobody else's business."""

from __future__ import annotations

import re

import aiohttp
from yarl import URL

from tests.harness import GROUP_ROOM, NETWORK, Bot
from tests.test_web import (
    ANNA,
    BEN,
    CAROL,
    KOORD,
    MODERATOR,
    OWN_ROOM,
    SENSORIK_ROOM,
    Site,
    site,
)

__all__ = ["site"]  # the fixture (tests.test_web), used by name


async def _plan(bot: Bot) -> None:
    """It is Saturday, 21.11.2026, 9:00 in Berlin."""
    assert "#1" in await bot.say(ANNA, "!termin jeden Dienstag 10:00 Jour fixe <b>Engagement</b>")
    assert "#1" in await bot.say(ANNA, "!termin ort 1 https://meet.example.org/redi-jourfixe")
    assert "fällt am 01.12.2026 aus" in await bot.say(ANNA, "!termin aussetzen 1 am 1.12.2026")
    assert "#2" in await bot.say(BEN, "!termin 3.12. 14 Uhr Sensorik-Treffen", room=SENSORIK_ROOM)
    assert "#2" in await bot.say(BEN, "!termin ort 2 Rathaus Bühl, Raum 2", room=SENSORIK_ROOM)
    assert "#3" in await bot.say(CAROL, "!termin morgen 9 Uhr Privatsache", room=OWN_ROOM)
    assert "#4" in await bot.say(KOORD, "!termin 10.12. 9 Uhr Netzwerktreffen", room=NETWORK)
    assert "#5" in await bot.say(ANNA, "!termin 26.11. 15 Uhr Abgesagte Runde")
    assert "abgesagt" in await bot.say(ANNA, "!termin absagen 5")


def _items(page: str) -> list[str]:
    """Each listed date as text: "Di., 24.11.2026, 10:00 Uhr #1 Jour fixe …"."""
    return [
        " ".join(re.sub(r"<[^>]+>", " ", item).split())
        for item in re.findall(r"<li class=\"meeting.*?</li>", page, re.S)
    ]


async def _get(http: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, str]:
    async with http.get(url, params=params) as response:
        return response.status, await response.text()


async def test_the_meetings_page_lists_the_next_eight_weeks_of_what_chat_shows(site: Site) -> None:
    await _plan(site.bot)
    async with await site.browser(ANNA) as anna:
        status, page = await _get(anna, f"{site.url}/termine")
    assert status == 200 and "Termine der nächsten 8 Wochen" in page and 'aria-current="page">Termine<' in page
    items = _items(page)
    jour_fixe = [item for item in items if "Jour fixe" in item]
    assert jour_fixe[0].startswith("Di., 24.11.2026, 10:00 Uhr #1 Jour fixe &lt;b&gt;Engagement&lt;/b&gt;")
    assert len(jour_fixe) == 8 and jour_fixe[-1].startswith("Di., 12.1.2027"), "every Tuesday of eight weeks"
    assert [item for item in jour_fixe if "fällt aus" in item] == [
        item for item in jour_fixe if item.startswith("Di., 1.12.2026")
    ], "the skipped Tuesday is marked, as chat says it"
    assert 'href="https://meet.example.org/redi-jourfixe"' in page, "a video link is a link"
    assert any(i.startswith("Do., 26.11.2026, 15:00 Uhr #5 Abgesagte Runde abgesagt") for i in items)
    assert "<b>" not in page, "titles are escaped"
    assert "Sensorik-Treffen" not in page and "Privatsache" not in page and "Netzwerktreffen" not in page
    assert re.search(r"<h2 id=\"section-1\">Engagementplattform</h2>", page)
    assert "!termine abo" in page and "/kalender/" not in page, "how to subscribe, without any address"

    site.people.rooms[BEN].add("!leer:example.org")  # a room without meetings (a direct chat): no choice
    async with await site.browser(BEN, room=SENSORIK_ROOM) as ben:
        status, page = await _get(ben, f"{site.url}/termine")
    assert "!leer" not in page and ">Sensorik</a>" in page and "Engagementplattform" not in page
    assert _items(page) == ["Do., 3.12.2026, 14:00 Uhr #2 Sensorik-Treffen Ort: Rathaus Bühl, Raum 2"]

    async with await site.browser(CAROL, room=OWN_ROOM) as carol:  # a room of her own, without a group
        status, page = await _get(carol, f"{site.url}/termine")
    assert "Raum !privat:example.org" in page and [i for i in _items(page) if "#" in i] == [
        "So., 22.11.2026, 9:00 Uhr #3 Privatsache"
    ]

    for coordinator, room in ((KOORD, NETWORK), (MODERATOR, SENSORIK_ROOM)):
        async with await site.browser(coordinator, room=room) as http:
            status, page = await _get(http, f"{site.url}/termine")
            refused, _ = await _get(http, f"{site.url}/termine", raum="!privat:example.org")
        headings = re.findall(r'<h2 id="section-\d+">([^<]+)</h2>', page)
        # Every group and the network, never Carol's own room: chat shows nobody the meetings of another's room.
        assert headings == ["Engagementplattform", "Sensorik", "Netzwerk"], coordinator
        assert "Privatsache" not in page and refused == 404, coordinator
        assert "aller Räume" in page

    site.people.rooms[ANNA] = {"!anna-dm:example.org"}  # she left her group's room: its meetings leave her page
    async with await site.browser(ANNA, room=OWN_ROOM) as anna:
        status, page = await _get(anna, f"{site.url}/termine")
    assert status == 200 and "Jour fixe" not in page and "Keine Termine bis" in page


async def test_a_filter_shows_one_group_or_room_and_a_wrong_one_is_explained(site: Site) -> None:
    await _plan(site.bot)
    async with await site.browser(KOORD, room=NETWORK) as koord:
        status, page = await _get(koord, f"{site.url}/termine", gruppe="sensorik")
        assert status == 200 and "Sensorik-Treffen" in page and "Jour fixe" not in page, "a group, in any case"
        assert 'aria-current="page">Sensorik</a>' in page
        assert 'href="/termine/monat?gruppe=Sensorik&amp;m=2026-11"' in page, "the month view keeps the filter"
        status, page = await _get(koord, f"{site.url}/meetings", room=NETWORK)
        assert status == 200 and "Netzwerktreffen" in page and "Sensorik-Treffen" not in page
    async with await site.browser(ANNA) as anna:
        for params, code, said in (
            ({"gruppe": "Sensorik"}, 403, "Koordination"),
            ({"gruppe": "Quatsch"}, 400, "Eine Gruppe „Quatsch“ gibt es nicht"),
            ({"gruppe": "x" * 1000}, 400, "gibt es nicht"),
            ({"raum": SENSORIK_ROOM}, 404, "Diesen Raum kenne ich nicht"),
            ({"raum": "kein Raum"}, 400, "keine Raum-Adresse"),
            ({"gruppe": "Sensorik", "raum": GROUP_ROOM}, 400, "nicht beides"),
        ):
            status, page = await _get(anna, f"{site.url}/termine", **params)
            assert status == code and said in page and "Sensorik-Treffen" not in page, params
        for raw in ("gruppe=%00", "raum=%21a%00b:example.org", "gruppe=%00&raum=%00"):
            async with anna.get(URL(f"{site.url}/termine?{raw}", encoded=True)) as response:
                assert response.status == 400, f"{raw}: a NUL is a mistake, not an internal error"
        status, page = await _get(anna, f"{site.url}/termine/monat", gruppe="Sensorik", m="2026-12")
        assert status == 403 and "Sensorik-Treffen" not in page


async def test_the_month_view_is_a_calendar_table_within_a_range_of_years(site: Site) -> None:
    await _plan(site.bot)
    async with await site.browser(ANNA) as anna:
        status, page = await _get(anna, f"{site.url}/termine/monat")
        assert status == 200 and '<caption class="sr-only">Termine im November 2026</caption>' in page
        assert re.search(r'aria-current="date">\s*<p class="date"><time datetime="2026-11-21">', page), "today"
        status, page = await _get(anna, f"{site.url}/termine/monat", m="2026-12")
        assert status == 200 and '<caption class="sr-only">Termine im Dezember 2026</caption>' in page
        assert page.count('<th scope="col"') == 8 and page.count('<th scope="row" class="week">KW ') == 5
        assert "5 Termine im Dezember 2026" in page, "every Tuesday, the skipped one too"
        day = re.search(r'datetime="2026-12-01">.*?</td>', page, re.S)
        assert day and "Jour fixe" in day.group(0) and "fällt aus" in day.group(0)
        assert "Sensorik-Treffen" not in page
        assert 'rel="prev" href="/termine/monat?m=2026-11">← November 2026' in page
        assert 'rel="next" href="/termine/monat?m=2027-01">Januar 2027 →' in page

        status, page = await _get(anna, f"{site.url}/termine/monat", m="2023-01")
        assert status == 200 and 'rel="prev"' not in page and "Keine Termine im Januar 2023" in page
        status, page = await _get(anna, f"{site.url}/termine/monat", m="2029-12")
        assert status == 200 and 'rel="next"' not in page
        for month in ("2022-12", "2030-01", "9999-01", "0000-05"):
            status, page = await _get(anna, f"{site.url}/termine/monat", m=month)
            assert status == 400 and "reicht von 01/2023 bis 12/2029" in page, month
        for month in ("2026-13", "2026-00", "Dezember", "2026-1-1", "x" * 5000):
            status, page = await _get(anna, f"{site.url}/termine/monat", m=month)
            assert status == 400 and "kein Monat" in page and "?m=2026-12" in page, month
            assert "x" * 25 not in page, "a long value is not echoed whole"

        await site.bot.say(ANNA, "!sprache en")
        status, page = await _get(anna, f"{site.url}/meetings/month", m="2027-01")
        assert (
            status == 200
            and '<caption class="sr-only">Meetings in January 2027</caption>' in page
            and 'lang="en"' in page
        )
        assert "Tue 5 Jan 2027" not in page and "Tuesday, 5 January" in page
        status, page = await _get(anna, f"{site.url}/meetings")
        assert "Meetings of the next 8 weeks" in page and any(
            i.startswith("Tue 24 Nov 2026, 10:00 #1") for i in _items(page)
        )

    async with aiohttp.ClientSession() as stranger:
        for path in ("/termine", "/termine/monat", "/meetings"):
            status, page = await _get(stranger, f"{site.url}{path}")
            assert status == 401 and "Bitte anmelden" in page


async def test_times_are_shown_in_the_persons_zone_with_the_meetings_own(site: Site) -> None:
    assert "#1" in await site.bot.say(ANNA, "!termin jeden Dienstag 10:00 Jour fixe")
    await site.bot.say(ANNA, "!zeitzone Europe/London")
    async with await site.browser(ANNA) as anna:
        status, page = await _get(anna, f"{site.url}/termine")
    assert status == 200
    first = _items(page)[0]
    assert first.startswith("Di., 24.11.2026, 9:00 Uhr #1 Jour fixe"), first
    assert "Ortszeit des Termins: 10:00 Uhr (Europe/Berlin)" in first and "Zeiten in Europe/London" in page


async def test_a_daily_series_shows_every_date_of_the_window(site: Site) -> None:
    assert "#1" in await site.bot.say(CAROL, "!termin werktags 8:30 Kurzabstimmung", room=OWN_ROOM)
    async with await site.browser(CAROL, room=OWN_ROOM) as carol:
        status, page = await _get(carol, f"{site.url}/termine")
        items = _items(page)
        assert status == 200 and len(items) == 40, "every working day of eight weeks"
        assert items[0].startswith("Mo., 23.11.2026, 8:30 Uhr") and items[-1].startswith("Fr., 15.1.2027, 8:30 Uhr")
        status, page = await _get(carol, f"{site.url}/termine/monat", m="2027-03")
        assert status == 200 and "23 Termine im März 2027" in page and len(_items(page)) == 23


async def test_a_place_that_only_looks_like_a_link_is_shown_as_text(site: Site) -> None:
    """Chat accepts any place; one that no URL parser takes must not break the pages of everyone in the room."""
    await _plan(site.bot)
    await site.bot.say(ANNA, "!termin ort 1 https://[meet")
    async with await site.browser(ANNA) as anna:
        for path in ("/termine", "/termine/monat"):
            status, page = await _get(anna, f"{site.url}{path}")
            assert status == 200 and "https://[meet" in page and 'href="https://[meet' not in page, path
