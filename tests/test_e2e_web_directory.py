"""The who-knows-what directory end to end, in a real browser against a real homeserver: two colleagues enter
profiles in chat, a third only logs a decision on a topic (no profile: chat's search names her, the directory does
not). Anna signs in with a `!web` link, opens the directory from the menu, searches with chat's words, filters by
city, follows a topic, asks for a city that is not in the network, and opens the topic index. Every page is checked
with axe-core (no serious or critical violations) and against its Content-Security-Policy; screenshots at phone and
desktop width go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser

from bot.clock import ShiftedClock
from bot.dev.homeserver import free_port
from tests.conftest import StartBot
from tests.fixtures_matrix import MakeUser
from tests.test_e2e_meetings import ask
from tests.test_e2e_web import ARTIFACTS, browser, signed_in_tab

pytestmark = pytest.mark.e2e

__all__ = ["browser"]  # the fixture, shared with the decision pages' browser test


async def test_browse_and_search_the_directory_in_a_browser(
    start_bot: StartBot, make_user: MakeUser, browser: Browser
) -> None:
    kora = await make_user("kora", displayname="Kora Koordination")
    anna = await make_user("anna", displayname="Anna Berger")
    ben = await make_user("ben", displayname="Ben Roth")
    carol = await make_user("carol", displayname="Carol Nurbeschluss")
    room = await kora.create_room(name="Netzwerk", invite=[anna.user_id, ben.user_id, carol.user_id], encrypted=True)
    for person in (anna, ben, carol):
        await person.join(room)
    port = free_port()
    bot = await start_bot(
        clock=ShiftedClock(),
        extra=f'[web]\nlisten = "127.0.0.1:{port}"\n[network]\ngroups = ["eAkte", "Sensorik", "Digitale Rechnung"]\n',
    )
    await kora.invite(room, bot.user_id)
    await kora.wait_for_join(room, bot.user_id)

    await ask(anna, room, bot, "!ichweiss XRechnung, eAkte, Scanstraße")
    await ask(anna, room, bot, "!stadt Bühl")
    await ask(anna, room, bot, "!gruppen eAkte, Digitale Rechnung")
    await ask(ben, room, bot, "!ichweiss Rechnungseingang, Pegelsensoren")
    await ask(ben, room, bot, "!stadt Rastatt")
    await ask(ben, room, bot, "!gruppen Sensorik")
    await ask(carol, room, bot, "!beschluss Rechnungen nur noch als XRechnung #XRechnung")
    assert "carol" in await ask(kora, room, bot, "!werweiss XRechnung"), "chat names Carol by her decision"

    anna_tab = await signed_in_tab(browser, anna, room, bot, "Anna Berger")
    page = anna_tab.page
    await page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Wer weiß was").click()
    await page.get_by_role("heading", name="Wer weiß was", level=1).wait_for()
    shown = await page.inner_text("main")
    assert "2 Personen" in shown and "Anna Berger" in shown and "Ben Roth" in shown
    assert "Carol" not in shown, "no profile, not in the directory"
    write = await page.get_by_role("link", name="Ben Roth im Chat schreiben").get_attribute("href")
    assert write == f"https://matrix.to/#/{ben.user_id}"
    await anna_tab.check("directory")

    await page.get_by_label("Thema", exact=True).fill("Rechnung")
    await page.get_by_role("button", name="Suchen").click()
    await page.wait_for_url(re.compile(r".*/wer-weiss-was\?q=Rechnung&stadt=&gruppe=$"))
    found = await page.inner_text("main")
    assert "1 Person zu „Rechnung“" in found and "Ben Roth" in found, "chat's matching: a part of the word"
    assert "Rechnungseingang (Wortteil)" in found
    assert "Anna Berger" not in found.split("Personen")[-1], "never the one asking, as in chat"
    await anna_tab.check("directory-search")

    await page.get_by_label("Thema", exact=True).fill("")
    await page.get_by_label("Stadt", exact=True).select_option("Rastatt")
    await page.get_by_role("button", name="Anzeigen").click()
    filtered = await page.inner_text("main")
    assert "1 Person · in Rastatt" in filtered and "Ben Roth" in filtered

    await page.get_by_role("link", name="Alle anzeigen").click()
    await page.get_by_role("link", name="XRechnung").first.click()
    topic = await page.inner_text("main")
    assert "Thema „XRechnung“" in topic and "Anna Berger" in topic and "Carol" not in topic

    response = await page.goto(f"http://127.0.0.1:{port}/wer-weiss-was?stadt=Karlsruhe")
    assert response is not None and response.status == 400
    refused = await page.inner_text("main")
    assert "„Karlsruhe“ gehört nicht zum Netzwerk" in refused and "Stutensee" in refused
    await anna_tab.check("directory-bad-city")

    await page.goto(f"http://127.0.0.1:{port}/wer-weiss-was/themen")
    await page.get_by_role("heading", name="Alle Themen von A bis Z").wait_for()
    listing = await page.inner_text("main")
    assert listing.index("eAkte") < listing.index("Pegelsensoren") < listing.index("XRechnung")
    await anna_tab.check("directory-topics")
    await page.goto(f"http://127.0.0.1:{port}/wer-weiss-was")
    await page.emulate_media(media="print")
    await page.screenshot(path=ARTIFACTS / "web-directory-print.png", full_page=True)
    await anna_tab.context.close()
