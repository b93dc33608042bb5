"""The web pages end to end, in a real browser against a real homeserver: a member of a group room logs two
decisions, asks `!web`, accepts the direct chat a moment later, reads the link there (encrypted), clicks it on a
web chat client's page of another site in headless Chromium (Debian's, driven by Playwright) and presses "Anmelden"
on the page it opens; she searches the log and opens a decision with its audit trail.
A member of another group signs in the same way and gets nothing of hers. A reused and an expired link are refused.
Every page is checked with axe-core (no serious or critical violations) and against its Content-Security-Policy, and
screenshots at phone and desktop width go to tests/artifacts/ to be looked at."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from bot.clock import ShiftedClock
from bot.dev.client import DevClient
from bot.dev.homeserver import free_port
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser
from tests.test_e2e_meetings import ask
from tests.test_e2e_privacy import accept_direct_chat

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"  # Debian's package (`.ci/run` installs it); Playwright downloads no browser here
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=900)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("needs Debian's chromium: apt-get install chromium (.ci/run does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        await launched.close()


class Watched:
    """A browser tab whose console is watched for Content-Security-Policy violations."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context, self.page = context, page
        self.violations: list[str] = []
        page.on("console", lambda message: self._console(message.text))

    def _console(self, text: str) -> None:
        if "Content Security Policy" in text:
            self.violations.append(text)

    async def check(self, name: str) -> None:
        """No CSP violation, no serious or critical accessibility problem; a screenshot at phone and desktop
        width."""
        assert not self.violations, self.violations
        results = await Axe().run(self.page)
        assert results.response["passes"], "axe ran its rules on the page"
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not serious, f"{name}: {serious}"
        ARTIFACTS.mkdir(exist_ok=True)
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            await self.page.set_viewport_size(size)
            await self.page.screenshot(path=ARTIFACTS / f"web-{name}-{label}.png", full_page=True)
        await self.page.set_viewport_size(PHONE)


async def tab(browser: Browser) -> Watched:
    context = await browser.new_context(viewport=PHONE, locale="de-DE")
    return Watched(context, await context.new_page())


async def signed_in_tab(browser: Browser, user: DevClient, room: str, bot: RunningBot, name: str) -> Watched:
    """A tab signed in as a person does it: `!web` in a room, the link from the direct message, the page's button."""
    link = await sign_in_link(user, room, bot)
    signed_in = await tab(browser)
    await signed_in.page.goto(link)
    await signed_in.page.get_by_role("button", name="Anmelden", exact=True).click()
    await signed_in.page.get_by_role("heading", name=f"Willkommen, {name}").wait_for()
    return signed_in


@dataclass
class TwoGroups:
    """Kora (who made the rooms), Anna in the eAkte group's room, Ben in Sensorik's; the bot with its pages."""

    kora: DevClient
    anna: DevClient
    ben: DevClient
    eakte: str
    sensorik: str
    bot: RunningBot
    clock: ShiftedClock
    port: int


async def two_groups(start_bot: StartBot, make_user: MakeUser) -> TwoGroups:
    kora = await make_user("kora", displayname="Kora Koordination")
    anna = await make_user("anna", displayname="Anna Berger")
    ben = await make_user("ben", displayname="Ben Roth")
    eakte = await kora.create_room(name="Projektgruppe eAkte", invite=[anna.user_id], encrypted=True)
    sensorik = await kora.create_room(name="Projektgruppe Sensorik", invite=[ben.user_id], encrypted=True)
    await anna.join(eakte)
    await ben.join(sensorik)
    clock = ShiftedClock()
    port = free_port()
    bot = await start_bot(
        clock=clock,
        extra=f'[web]\nlisten = "127.0.0.1:{port}"\n'
        f'[network]\ngroups = ["eAkte", "Sensorik"]\n[rooms]\n"{eakte}" = "eAkte"\n"{sensorik}" = "Sensorik"\n',
    )
    for room in (eakte, sensorik):
        await kora.invite(room, bot.user_id)
        await kora.wait_for_join(room, bot.user_id)
    return TwoGroups(kora, anna, ben, eakte, sensorik, bot, clock, port)


async def sign_in_link(user: DevClient, room: str, bot: RunningBot) -> str:
    """`!web` in a room: the reply says a direct message is on its way; the link is read there."""
    accepting = asyncio.create_task(accept_direct_chat(user, bot))
    assert "Direktnachricht" in await ask(user, room, bot, "!web")
    direct = await accepting
    message = await user.wait_for_message(lambda m: m.room_id == direct and "/anmelden/" in m.body, timeout=30)
    assert message.encrypted, "the link travels encrypted"
    found = re.search(r"(http://127\.0\.0\.1:\d+/anmelden/[A-Za-z0-9_-]+)", message.body)
    assert found, message.body
    return found.group(1)


@asynccontextmanager
async def chat_client_with(link: str) -> AsyncIterator[str]:
    """A page on another site (localhost, where the bot is 127.0.0.1) with the link on it, as a web chat client
    shows it: the sign-in cookie is SameSite=Strict, which a browser holds back on a navigation begun elsewhere."""
    app = web.Application()

    async def index(_: web.Request) -> web.Response:
        return web.Response(
            text=f'<!doctype html><title>Chat</title><a href="{link}">Anmelde-Link</a>', content_type="text/html"
        )

    app.router.add_get("/", index)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://localhost:{port}/"
    finally:
        await runner.cleanup()


async def test_sign_in_search_and_read_a_decision_in_a_browser(
    start_bot: StartBot, make_user: MakeUser, browser: Browser
) -> None:
    network = await two_groups(start_bot, make_user)
    anna, ben, bot, clock, port = network.anna, network.ben, network.bot, network.clock, network.port
    eakte, sensorik = network.eakte, network.sensorik

    assert "#1" in await ask(anna, eakte, bot, "!beschluss Alle Städte führen die E-Akte zum 1.1.2027 ein #eAkte")
    assert "#2" in await ask(anna, eakte, bot, "!beschluss Die Scanstraße steht in Rastatt, Termine über Anna")
    assert "#3" in await ask(ben, sensorik, bot, "!beschluss Die Pegelsensoren melden alle 15 Minuten")
    link = await sign_in_link(anna, eakte, bot)

    anna_tab = await tab(browser)
    page = anna_tab.page
    async with chat_client_with(link) as chat:  # clicked in a web chat client on another site, as Element Web is
        await page.goto(chat)
        await page.get_by_role("link", name="Anmelde-Link").click()
    await page.get_by_role("heading", name="Anmelden als Anna Berger").wait_for()
    await anna_tab.check("sign-in")
    await page.get_by_role("button", name="Anmelden", exact=True).click()
    await page.wait_for_url(f"http://127.0.0.1:{port}/")
    await page.get_by_role("heading", name="Willkommen, Anna Berger").wait_for()
    assert "Gruppen: eAkte" in await page.inner_text("main")
    await anna_tab.check("start")

    await page.get_by_label("Suche – Beschlüsse").fill("Akte")
    await page.get_by_role("button", name="Suchen").click()
    await page.wait_for_url(re.compile(r".*/beschluesse\?q=Akte$"))
    results = await page.inner_text("main")
    assert "1 Beschluss" in results and "E-Akte zum 1.1.2027" in results and "Scanstraße" not in results
    await page.get_by_label("Suche", exact=True).fill("")
    await page.get_by_role("button", name="Suchen").click()
    listing = await page.inner_text("main")
    assert listing.index("Scanstraße") < listing.index("E-Akte"), "newest first"
    assert "Pegelsensoren" not in listing, "another group's decision is not listed"
    await anna_tab.check("search")

    await page.get_by_role("link", name="#1", exact=True).click()
    await page.get_by_role("heading", name="Beschluss #1").wait_for()
    shown = await page.inner_text("main")
    assert "Alle Städte führen die E-Akte zum 1.1.2027 ein" in shown and "#eAkte" in shown
    assert "Anna Berger" in shown and "gültig" in shown
    assert "Verlauf" in shown and "festgehalten" in shown, "the audit trail"
    permalink = await page.get_by_role("link", name="Im Chat öffnen").get_attribute("href")
    assert permalink is not None and permalink.startswith("https://matrix.to/#/")
    await anna_tab.check("decision")
    await page.emulate_media(media="print")
    await page.screenshot(path=ARTIFACTS / "web-decision-print.png", full_page=True)
    await page.emulate_media(media="screen")

    reused = await tab(browser)
    await reused.page.goto(link)
    assert "Dieser Link gilt nicht mehr" in await reused.page.inner_text("main")
    await reused.check("link-refused")
    await reused.context.close()

    # Ben, of the other group: signed in the same way, he gets nothing of Anna's group.
    ben_tab = await signed_in_tab(browser, ben, sensorik, bot, "Ben Roth")
    response = await ben_tab.page.goto(f"http://127.0.0.1:{port}/beschluesse/1")
    assert response is not None and response.status == 404
    assert "Nicht gefunden" in await ben_tab.page.inner_text("main")
    await ben_tab.check("not-found")
    await ben_tab.page.goto(f"http://127.0.0.1:{port}/beschluesse?q=status:alle")
    listing = await ben_tab.page.inner_text("main")
    assert "Pegelsensoren" in listing and "E-Akte" not in listing and "Scanstraße" not in listing
    response = await ben_tab.page.goto(f"http://127.0.0.1:{port}/beschluesse?q=gruppe:eAkte")
    assert response is not None and response.status == 403
    await ben_tab.context.close()

    # A link not opened within its 10 minutes is refused (the bot's clock moves on, nobody waits).
    direct = next(m.room_id for m in anna.received() if "/anmelden/" in m.body)
    event_id = await anna.send_text(direct, "!web")
    message = await anna.wait_for_message(lambda m: m.reply_to == event_id and "/anmelden/" in m.body, timeout=30)
    late = re.search(r"(http://127\.0\.0\.1:\d+/anmelden/[A-Za-z0-9_-]+)", message.body)
    assert late, message.body
    clock.advance(timedelta(minutes=11))
    expired = await tab(browser)
    response = await expired.page.goto(late.group(1))
    assert response is not None and response.status == 410
    assert "nur 10 Minuten gültig" in await expired.page.inner_text("main")
    await expired.context.close()

    # Signed out from chat: the browser that was signed in is no longer.
    assert "beendet" in await ask(anna, direct, bot, "!web abmelden")
    await page.reload()
    assert "Bitte anmelden" in await page.inner_text("main")
    await anna_tab.check("signed-out")
    await anna_tab.context.close()
