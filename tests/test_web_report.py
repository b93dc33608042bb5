"""The yearly report's page and charts over real HTTP (SQLite and PostgreSQL), `!bilanz`'s and `!jahresbericht`'s
chart images in chat, and the counting both share.

The page shows what chat would: the balance to everyone (as `!bilanz`), decisions per month of the groups of one's
rooms (as `!jahresbericht` there), every group and the network room's own to coordinators, nothing of another group to
anyone else; the charts are real PNG and SVG pictures drawn from exactly the numbers in the page's tables."""

from __future__ import annotations

import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import aiohttp
import pytest

import commands.substitutions.commands as substitution_commands
from bot.clock import FakeClock
from bot.outbox import Outbox, outgoing
from bot.replies import Attachment, ImageInfo, Reply
from commands.decisions.yearly import GroupMonths, YearDecisions, group_months, per_month
from commands.substitutions.charts import every_city
from commands.substitutions.rules import CityBalance, balance
from storage import Database
from storage.decisions import DecisionRecord
from tests.fakes import RecordingSender
from tests.harness import BERLIN, GROUP_ROOM, NETWORK, NOW, Bot
from tests.test_web import ANNA, BEN, CAROL, KOORD, SENSORIK_ROOM, Site, site

PNG = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"

__all__ = ["site"]  # the fixture (tests.test_web), used by name


async def _year_of_work(bot: Bot) -> None:
    """Decisions in three months of 2026 (and one in 2025), and one substitution: Rastatt helped Bühl."""
    for when, user, room, text in (
        (datetime(2025, 12, 1, 10, 0, tzinfo=BERLIN), ANNA, GROUP_ROOM, "Letztes Jahr beschlossen"),
        (datetime(2026, 3, 3, 10, 0, tzinfo=BERLIN), ANNA, GROUP_ROOM, "Plattform startet im April"),
        (datetime(2026, 3, 17, 10, 0, tzinfo=BERLIN), ANNA, GROUP_ROOM, "Vereine kommen zuerst"),
        (datetime(2026, 6, 9, 10, 0, tzinfo=BERLIN), BEN, SENSORIK_ROOM, "Sensoren in Bretten tauschen"),
        (datetime(2026, 11, 3, 10, 0, tzinfo=BERLIN), KOORD, NETWORK, "Netzwerktreffen zweimal im Jahr"),
        (datetime(2026, 11, 20, 10, 0, tzinfo=BERLIN), ANNA, GROUP_ROOM, "Engagementpreis ausloben"),
    ):
        bot.clock.set(when)
        assert "festgehalten" in await bot.say(user, f"!beschluss {text}", room=room)
    bot.clock.set(NOW)
    await bot.say(ANNA, "!stadt Bühl")
    await bot.say(BEN, "!stadt Rastatt")
    assert "eingetragen" in await bot.say(ANNA, "!vertretung 12.12. 10-16 Uhr Digitaltag Bühl")
    await bot.say(BEN, "!übernehme 1")
    await bot.say(ANNA, "!zusage 1 @ben:rastatt.de")
    bot.clock.set(datetime(2026, 12, 12, 16, 1, tzinfo=BERLIN))
    await bot.jobs.run(1)


class _Tables(HTMLParser):
    """The page's tables by id: rows of cell texts (headers and data alike); and its images' src and alt."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[tuple[str, str]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self._table = found.get("id") or "?"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "img":
            self.images.append((found.get("src") or "", found.get("alt") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _page(html: str) -> _Tables:
    parsed = _Tables()
    parsed.feed(html)
    return parsed


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


def _bars(svg: bytes) -> dict[tuple[str, int], int]:
    """(series, category index) -> value of every bar the SVG draws (`commands.charts` names each bar's group)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    bars = {}
    for element in root.iter(f"{SVG}g"):
        kind, _, rest = (element.get("id") or "").partition(":")
        if kind == "bar":
            series, category, value = rest.rsplit(":", 2)  # a group's name may hold a colon
            bars[(series, int(category))] = int(value)
    return bars


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG and data[12:16] == b"IHDR", "a PNG starts with its signature and its header chunk"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_members_see_their_groups_coordinators_all_and_the_charts_match_the_tables(site: Site) -> None:
    await _year_of_work(site.bot)
    anna, ben, koord, carol = [await site.browser(user) for user in (ANNA, BEN, KOORD, CAROL)]
    try:
        status, html = await _get(anna, f"{site.url}/bericht?jahr=2026")
        assert status == 200 and "Jahresbericht 2026" in html
        page = _page(html)
        months = page.tables["months-table"]
        assert months[0][:3] == ["Gruppe", "Jan", "Feb"] and months[0][-1] == "Summe"
        assert [row[0] for row in months[1:]] == ["Engagementplattform"], "only the group of Anna's room"
        assert months[1][1:] == ["0", "0", "2", "0", "0", "0", "0", "0", "0", "0", "1", "0", "3"]
        assert "Sensorik" not in html and "Netzwerk (ohne" not in html
        balance_rows = page.tables["balance-table"]
        assert balance_rows[0] == ["Stadt", "hat vertreten", "wurde vertreten"]
        assert balance_rows[1][0] == "Baden-Baden", "the configured cities in their order, with zeros"
        shown = {row[0]: (int(row[1]), int(row[2])) for row in balance_rows[1:-1]}
        assert shown["Bühl"] == (0, 1) and shown["Rastatt"] == (1, 0) and len(shown) == 9
        assert balance_rows[-1] == ["Summe", "1", "1"]
        assert [src for src, _ in page.images] == ["/bericht/2026/bilanz.svg", "/bericht/2026/beschluesse.svg"]
        assert all("Tabelle darunter" in alt for _, alt in page.images), "each chart says where its numbers are"

        # The charts are drawn from exactly the tables' numbers.
        async with anna.get(f"{site.url}/bericht/2026/beschluesse.svg") as response:
            assert response.status == 200 and response.content_type == "image/svg+xml"
            assert response.headers["Cache-Control"] == "private, no-cache"
            assert "sandbox" in response.headers["Content-Security-Policy"]
            assert "script" not in response.headers["Content-Security-Policy"]
            etag = response.headers["ETag"]
            svg = await response.read()
        drawn = _bars(svg)
        assert drawn == {("Engagementplattform", month): int(months[1][1 + month]) for month in range(12)}
        async with anna.get(f"{site.url}/bericht/2026/bilanz.svg") as response:
            balance_drawn = _bars(await response.read())
        for index, row in enumerate(balance_rows[1:-1]):
            assert balance_drawn[("helped", index)] == int(row[1]) and balance_drawn[("was_helped", index)] == int(
                row[2]
            )
        async with anna.get(f"{site.url}/bericht/2026/beschluesse.svg", headers={"If-None-Match": etag}) as response:
            assert response.status == 304, "unchanged numbers: not drawn again"
        async with anna.get(f"{site.url}/bericht/2026/bilanz.png") as response:
            assert response.status == 200 and response.content_type == "image/png"
            width, height = _png_size(await response.read())
            assert 600 < width < 2000 and 200 < height < 2000

        # Ben sees Sensorik, never Engagementplattform; the coordinator everything and the network room's own.
        ben_months = _page((await _get(ben, f"{site.url}/bericht"))[1]).tables["months-table"]
        assert [row[0] for row in ben_months[1:]] == ["Sensorik"] and ben_months[1][-1] == "1"
        async with ben.get(f"{site.url}/bericht/2026/beschluesse.svg") as response:
            assert set(_bars(await response.read())) == {("Sensorik", month) for month in range(12)}
        koord_months = _page((await _get(koord, f"{site.url}/report?year=2026"))[1]).tables["months-table"]
        groups = [row[0] for row in koord_months[1:-1]]
        assert groups == [*site.bot.config.groups, "Netzwerk (ohne Gruppe)"]
        assert koord_months[-1][-1] == "5", "every 2026 decision, the network room's too"
        async with koord.get(f"{site.url}/bericht/2026/beschluesse.svg") as response:
            assert {series for series, _ in _bars(await response.read())} == {
                "Engagementplattform", "Sensorik", "Netzwerk (ohne Gruppe)"
            }, "the chart shows the groups that decided something"  # fmt: skip

        # Carol is in no group room: the balance, as `!bilanz` gives anyone, and no decisions at all.
        status, html = await _get(carol, f"{site.url}/bericht")
        assert status == 200 and "keinem Gruppenraum" in html and "months-table" not in html
        assert "balance-table" in html
        async with carol.get(f"{site.url}/bericht/2026/beschluesse.svg") as response:
            assert response.status == 404
        async with carol.get(f"{site.url}/bericht/2026/bilanz.svg") as response:
            assert response.status == 200
    finally:
        for http in (anna, ben, koord, carol):
            await http.close()


async def test_years_out_of_bounds_get_a_friendly_400_and_strangers_a_sign_in_page(site: Site) -> None:
    async with aiohttp.ClientSession() as stranger:
        for path in ("/bericht", "/bericht/druck", "/bericht/2026/bilanz.svg", "/bericht/2026/beschluesse.png"):
            status, html = await _get(stranger, site.url + path)
            assert status == 401 and "Bitte anmelden" in html, path
    async with await site.browser(ANNA) as anna:
        for query in ("jahr=abc", "jahr=1800", "jahr=2027", "year=20266", "jahr=" + "9" * 5000, "jahr=%00"):
            status, html = await _get(anna, f"{site.url}/bericht?{query}")
            assert status == 400 and "ist kein Jahr" in html and "von 2000 bis 2026" in html, query
            assert "9" * 100 not in html, "a long input is not repeated in full"
        status, html = await _get(anna, f"{site.url}/bericht/druck?jahr=abc")
        assert status == 400 and "ist kein Jahr" in html
        for path in ("/bericht/1800/bilanz.svg", "/bericht/2027/bilanz.png", "/bericht/123456/bilanz.svg"):
            status, html = await _get(anna, site.url + path)
            assert status == 400 and "ist kein Jahr" in html, path
        status, _ = await _get(anna, f"{site.url}/bericht/2026/kuchen.svg")
        assert status == 404
        status, html = await _get(anna, f"{site.url}/bericht?jahr=")
        assert status == 200 and "Jahresbericht 2026" in html, "no year: this year"
        status, html = await _get(anna, f"{site.url}/bericht?jahr=2024")
        assert status == 200 and "2024 gab es noch keine erledigte Vertretung" in html


async def test_the_print_view_has_no_navigation_and_the_page_links_it(site: Site) -> None:
    async with await site.browser(ANNA) as anna:
        _, html = await _get(anna, f"{site.url}/bericht")
        assert 'href="/bericht/druck?jahr=2026"' in html and 'aria-current="page"' in html
        status, printed = await _get(anna, f"{site.url}/report/print?year=2026")
        assert status == 200 and "Jahresbericht 2026" in printed and "Strg+P" in printed
        assert "<nav" not in printed and "Abmelden" not in printed, "nothing to click on paper"
        _, start = await _get(anna, f"{site.url}/")
        assert 'href="/bericht"' in start, "the start page leads to the report"
        await site.bot.say(ANNA, "!sprache en")
        _, english = await _get(anna, f"{site.url}/report?year=2026")
        tables = _page(english).tables
        assert "Yearly report 2026" in english and "No substitution between cities was completed in 2026" in english
        assert tables["months-table"][0][:4] == ["Group", "Jan", "Feb", "Mar"]


async def test_bilanz_and_jahresbericht_carry_their_charts_as_images(site: Site) -> None:
    bot = site.bot
    assert not (await bot.reply(ANNA, "!bilanz")).attachments, "nothing counted: no empty chart"
    await _year_of_work(bot)
    reply = await bot.reply(ANNA, "!bilanz 2026")
    assert "Rastatt 1 0" in " ".join(reply.markdown.replace("|", " ").split()), "the text stays the table"
    [chart] = reply.attachments
    assert chart.mimetype == "image/png" and chart.image is not None and chart.filename == "vertretungsbilanz-2026.png"
    assert _png_size(chart.data) == (chart.image.width, chart.image.height)
    assert "Vertretungsbilanz 2026" in chart.image.alt and "Rastatt: 1 zu 0" in chart.image.alt
    room, content, _ = bot.transport.sent[-1]
    assert room == GROUP_ROOM and content["msgtype"] == "m.image" and content["body"] == chart.image.alt
    assert content["info"] == {"mimetype": "image/png", "size": len(chart.data), "w": chart.image.width,
                               "h": chart.image.height}  # fmt: skip
    assert content["url"].startswith("mxc://") and content["filename"] == "vertretungsbilanz-2026.png"

    group = await bot.reply(ANNA, "!jahresbericht 2026")
    assert [a.filename for a in group.attachments] == [
        "jahresbericht-2026-engagementplattform.md",
        "beschluesse-2026.png",
    ]
    assert group.attachments[1].image and "Engagementplattform: 3 Beschlüsse" in group.attachments[1].image.alt
    network = await bot.reply(KOORD, "!jahresbericht 2026", room=NETWORK)
    assert [a.filename for a in network.attachments][1:] == ["beschluesse-2026.png", "vertretungsbilanz-2026.png"]
    await bot.say(ANNA, "!sprache en")
    english = await bot.reply(ANNA, "!balance 2026")
    assert english.attachments[0].image and english.attachments[0].image.alt.startswith("Bar chart: substitution")


async def test_charts_are_drawn_after_the_unit_of_work_so_other_commands_and_reminders_need_not_wait(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawing takes half a second (seconds the first time): SQLite has one writer, and holding it meanwhile would
    hold up every other command and every reminder due then."""
    bot = site.bot
    await _year_of_work(bot)
    writer_free_while_drawing: list[bool] = []
    real = substitution_commands.balance_chart  # type: ignore[attr-defined]  # imported there, patched there

    def observed(*args: Any, **kwargs: Any) -> Any:
        lock = bot.db._write_lock
        writer_free_while_drawing.append(lock is None or not lock.locked())
        return real(*args, **kwargs)

    monkeypatch.setattr(substitution_commands, "balance_chart", observed)
    reply = await bot.reply(ANNA, "!bilanz 2026")
    assert [a.mimetype for a in reply.attachments] == ["image/png"] and writer_free_while_drawing == [True]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(substitution_commands, "balance_chart", broken)
    reply = await bot.reply(ANNA, "!bilanz 2026")
    assert "Rastatt" in reply.markdown and not reply.attachments, "the table still comes, without the picture"


async def test_an_image_waiting_in_the_outbox_goes_out_as_the_same_image_after_a_restart(db: Database) -> None:
    image = Attachment("chart.png", "image/png", PNG + b"rest", ImageInfo("Ein Diagramm", 300, 200))
    reply = Reply.text("Bilanz", attachments=[image, Attachment("notes.md", "text/markdown", b"# x")])
    relation = {"m.in_reply_to": {"event_id": "$cmd"}}
    async with db.transaction() as repos:
        await repos.outbox.add("$cmd", outgoing("$cmd", "!room:x", relation, reply), now=NOW)
    sender = RecordingSender()  # a new process: only what the outbox table holds
    assert await Outbox(db, sender, {}, FakeClock(NOW)).deliver()
    [text, picture, file] = [content for _, content, _ in sender.sent]
    assert text["body"] == "Bilanz"
    assert picture["msgtype"] == "m.image" and picture["body"] == "Ein Diagramm" and picture["filename"] == "chart.png"
    assert picture["info"] == {"mimetype": "image/png", "size": 12, "w": 300, "h": 200}
    assert picture["m.relates_to"] == relation
    assert file["msgtype"] == "m.file" and file["body"] == "notes.md"


def _decision(number: int, group: str | None, when: datetime) -> DecisionRecord:
    return DecisionRecord(
        id=number, room_id="!r:x", group=group, author="@a:x", text="x", tags=(), event_id=None, permalink=None,
        context_sender=None, context_text=None, context_event_id=None, context_state=None, session_id=None,
        status="active", superseded_by=None, supersedes=None, note=None, created_at=when, updated_at=when,
    )  # fmt: skip


def test_the_shared_counting_by_month_and_city() -> None:
    # 23:30 on 31 January in Berlin is already February in UTC: months count in the report's zone.
    late = datetime(2026, 1, 31, 23, 30, tzinfo=BERLIN)
    found = YearDecisions(
        [_decision(1, "eAkte", late), _decision(2, "eAkte", datetime(2026, 12, 31, 12, tzinfo=BERLIN))],
        [_decision(3, None, datetime(2026, 2, 1, tzinfo=BERLIN))],
    )
    assert per_month(found.groups, BERLIN)[:2] == (1, 0)
    assert group_months(found, ["eAkte", "Sensorik"], tz=BERLIN, language="de") == [
        GroupMonths("eAkte", (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
        GroupMonths("Sensorik", (0,) * 12),
        GroupMonths("Netzwerk (ohne Gruppe)", (0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    ]
    rows = balance([("Rastatt", "Bühl"), ("Rastatt", "Bühl"), ("Buehl", "Rastatt"), ("Rastatt", "Rastatt"),
                    ("Karlsruhe", None)])  # fmt: skip
    shown = every_city(rows, ["Bühl", "Rastatt", "Bretten"])
    assert shown == [
        CityBalance("Bühl", 1, 2),  # "Buehl" is Bühl: counted together, named as configured
        CityBalance("Rastatt", 2, 1),
        CityBalance("Bretten", 0, 0),
        CityBalance("Karlsruhe", 1, 0),
        CityBalance(None, 0, 1),
    ]


def test_the_bot_starts_without_matplotlib() -> None:
    """Drawing libraries load with the first chart, not at the start (the memory right after start is measured)."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, bot.app, bot.web; print(sorted({m.split('.')[0] for m in sys.modules}))"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "'bot'" in loaded and "matplotlib" not in loaded and "numpy" not in loaded and "PIL" not in loaded
