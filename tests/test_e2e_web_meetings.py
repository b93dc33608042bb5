"""The meetings' pages end to end, in a real browser against a real homeserver: members of two groups plan meetings
in chat (a weekly series with a video link and a skipped date, a one-off of the other group), one of them signs in
with `!web` and finds her group's meetings on `/termine` (the other group's not), opens the month view, pages to the
next month and back; on a phone the month is a list of the days with meetings. Every page is checked with axe-core
(no serious or critical violations) and against its Content-Security-Policy; screenshots at phone and desktop width
and in print go to tests/artifacts/."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser

from tests.conftest import StartBot
from tests.fixtures_matrix import MakeUser
from tests.test_e2e_meetings import ask
from tests.test_e2e_web import ARTIFACTS, DESKTOP, browser, signed_in_tab, two_groups

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, used by name

BERLIN = ZoneInfo("Europe/Berlin")
MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November",
          "Dezember")  # fmt: skip


async def test_the_meetings_pages_and_the_month_view_in_a_browser(
    start_bot: StartBot, make_user: MakeUser, browser: Browser
) -> None:
    network = await two_groups(start_bot, make_user)
    anna, ben, bot, clock, port = network.anna, network.ben, network.bot, network.clock, network.port
    eakte, sensorik = network.eakte, network.sensorik

    today = clock.now().astimezone(BERLIN).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)  # the series' first date, after today
    skipped = tuesday + timedelta(days=7)
    assert "#1" in await ask(anna, eakte, bot, "!termin jeden Dienstag 10:00 Jour fixe eAkte")
    assert "geändert" in await ask(anna, eakte, bot, "!termin ort 1 https://meet.example.org/redi-jour-fixe")
    assert "fällt am" in await ask(anna, eakte, bot, f"!termin aussetzen 1 am {skipped:%d.%m.%Y}")
    assert "#2" in await ask(anna, eakte, bot, f"!termin {tuesday + timedelta(days=2):%d.%m.%Y} 14 Uhr Scanstraße")
    assert "#3" in await ask(ben, sensorik, bot, "!termin übermorgen 9 Uhr Pegelsensoren")

    anna_tab = await signed_in_tab(browser, anna, eakte, bot, "Anna Berger")
    page = anna_tab.page
    await page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Termine").click()
    await page.get_by_role("heading", name="Termine der nächsten 8 Wochen").wait_for()
    listing = await page.inner_text("main")
    assert "Jour fixe eAkte" in listing and "Scanstraße" in listing and "Pegelsensoren" not in listing
    skipped_item = page.locator("li.meeting", has_text=f"{skipped.day}.{skipped.month}.{skipped.year}, 10:00 Uhr")
    assert "fällt aus" in await skipped_item.inner_text(), "the skipped Tuesday is marked"
    video = page.get_by_role("link", name="https://meet.example.org/redi-jour-fixe").first
    assert await video.get_attribute("href") == "https://meet.example.org/redi-jour-fixe"
    assert "!termine abo" in listing, "how to subscribe"
    await anna_tab.check("meetings")
    await page.emulate_media(media="print")
    await page.screenshot(path=ARTIFACTS / "web-meetings-print.png", full_page=True)
    await page.emulate_media(media="screen")

    await page.get_by_role("link", name="Monatsansicht").click()
    caption = f"Termine im {MONTHS[today.month - 1]} {today.year}"
    await page.get_by_role("heading", name=caption).wait_for()
    table = page.get_by_role("table", name=caption)
    assert await table.count() == 1, "a real table, named by its caption"
    await anna_tab.check("month")  # phone width first: the month as a list of days with meetings
    await page.set_viewport_size(DESKTOP)
    assert await page.get_by_role("columnheader", name="Dienstag").count() == 1
    if tuesday.month == today.month:
        cell = page.get_by_role("cell").filter(has_text="Jour fixe eAkte").first
        assert "10:00 Uhr" in await cell.inner_text()
    await page.emulate_media(media="print")
    await page.screenshot(path=ARTIFACTS / "web-month-print.png", full_page=True)
    await page.emulate_media(media="screen")

    following = (today.replace(day=1) + timedelta(days=31)).replace(day=1)
    await page.get_by_role("link", name=f"{MONTHS[following.month - 1]} {following.year} →").click()
    await page.get_by_role("heading", name=f"Termine im {MONTHS[following.month - 1]} {following.year}").wait_for()
    shown = await page.inner_text("main")
    assert "Jour fixe eAkte" in shown and "Pegelsensoren" not in shown
    await page.get_by_role("link", name="Dieser Monat").click()
    await page.get_by_role("heading", name=caption).wait_for()

    response = await page.goto(f"http://127.0.0.1:{port}/termine/monat?m=1999-01")
    assert response is not None and response.status == 400
    assert "Die Monatsansicht reicht von" in await page.inner_text("main")
    await anna_tab.check("month-refused")
    response = await page.goto(f"http://127.0.0.1:{port}/termine?gruppe=Sensorik")
    assert response is not None and response.status == 403
    assert "Pegelsensoren" not in await page.inner_text("main")
    await anna_tab.context.close()
