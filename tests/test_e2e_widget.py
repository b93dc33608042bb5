"""The room widget end to end, against the real throwaway Synapse (its listener serves the `openid` resource):

- a moderator's `!widget` first hears which room setting keeps the bot from adding it, then, with the power, adds
  the `im.vector.modular.widgets` state event that another member's client sees;
- a real OpenID token of a member (what Element hands a widget) signs in through `/widget/anmelden` over real HTTP
  and opens her pages; a forged token does not;
- in headless Chromium (Debian's, Playwright), a chat client's page on another site (localhost; the bot is
  127.0.0.1) embeds the widget in an iframe and answers the widget API as Element does (capabilities, then
  `get_openid` with a real token, first "ask the person", then the credentials); the frame ends up on the
  signed-in start page. The context blocks third-party cookies (as Chrome's incognito mode and Playwright do), so
  this works only because the cookie is partitioned. A site that is not among `widget_parents` cannot frame it.
  axe-core finds no serious or critical problem in the widget; screenshots go to tests/artifacts/."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Frame, Page, ViewportSize, async_playwright

from bot.dev.client import DevClient
from bot.dev.homeserver import Homeserver, free_port
from bot.web.widget import COOKIE
from commands.web.widget import STATE_KEY, WIDGET_EVENT
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser
from tests.test_e2e_meetings import ask

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDGET_SIZE = ViewportSize(width=900, height=800)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("needs Debian's chromium: apt-get install chromium (.ci/run does)")
    async with async_playwright() as playwright:
        # Third-party cookies blocked, as they are in more and more browsers: only partitioned ones are kept.
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--test-third-party-cookie-phaseout"]
        )
        yield launched
        await launched.close()


async def token_of(homeserver: Homeserver, user: DevClient) -> dict[str, Any]:
    """What Element hands the widget: an OpenID token of the person, from their own homeserver."""
    return await homeserver.openid_token(user.user_id, user.access_token)


async def allowed(homeserver: Homeserver, user: DevClient) -> dict[str, Any]:
    """Element's answer to `get_openid` once the person allowed it: the token and the state."""
    return {"state": "allowed", **await token_of(homeserver, user)}


async def bot_in_room(
    start_bot: StartBot, make_user: MakeUser, host_port: int
) -> tuple[RunningBot, DevClient, str, int]:
    kora = await make_user("kora", displayname="Kora Koordination")
    port = free_port()
    bot = await start_bot(
        extra=f'[web]\nlisten = "127.0.0.1:{port}"\nwidget_parents = ["http://localhost:{host_port}"]\n'
    )
    room = await kora.create_room(name="Projektgruppe eAkte", invite=[bot.user_id])
    await kora.wait_for_join(room, bot.user_id)
    return bot, kora, room, port


async def test_widget_adds_the_room_widget_once_the_bot_may(start_bot: StartBot, make_user: MakeUser) -> None:
    bot, kora, room, port = await bot_in_room(start_bot, make_user, free_port())
    refused = await ask(kora, room, bot, "!widget")
    assert "Power-Level 50" in refused and "ich habe 0" in refused and "Widgets ändern" in refused

    levels = await kora.nio.room_get_state_event(room, "m.room.power_levels")
    content = dict(levels.content)
    content["users"] = {**content.get("users", {}), bot.user_id: 50}
    await kora.nio.room_put_state(room, "m.room.power_levels", content)
    assert "eingerichtet" in await ask(kora, room, bot, "!widget")

    anna = await make_user("anna", displayname="Anna Berger")
    await kora.invite(room, anna.user_id)
    await anna.join(room)
    seen = await anna.nio.room_get_state_event(room, WIDGET_EVENT, STATE_KEY)
    widget = seen.content
    assert widget["type"] == "m.custom" and widget["name"] == "re@di"
    assert widget["url"].startswith(f"http://127.0.0.1:{port}/widget?lang=$org.matrix.msc2873.client_language")

    assert "entfernt" in await ask(kora, room, bot, "!widget entfernen")
    gone = await anna.nio.room_get_state_event(room, WIDGET_EVENT, STATE_KEY)
    assert getattr(gone, "content", None) == {}, "an empty widget event: no widget"


async def test_a_real_openid_token_signs_in_and_a_forged_one_does_not(
    start_bot: StartBot, make_user: MakeUser, homeserver: Homeserver
) -> None:
    bot, kora, room, port = await bot_in_room(start_bot, make_user, free_port())
    anna = await make_user("anna", displayname="Anna Berger")
    await kora.invite(room, anna.user_id)
    await anna.join(room)
    assert await ask(anna, room, bot, "!ping"), "the bot has seen her join: she shares a room with it"
    token = await token_of(homeserver, anna)
    assert token["matrix_server_name"] == "localhost"
    url = f"http://127.0.0.1:{port}"
    same_origin = {"Sec-Fetch-Site": "same-origin"}

    async with aiohttp.ClientSession() as http:
        form = {"access_token": token["access_token"], "matrix_server_name": "localhost", "lang": "de"}
        async with http.post(f"{url}/widget/anmelden", data=form, headers=same_origin, allow_redirects=False) as r:
            assert r.status == 303, await r.text()
            cookie = re.match(rf"{COOKIE}=([^;]+);", r.headers["Set-Cookie"])
        assert cookie is not None
        async with http.get(f"{url}/", headers={"Cookie": f"{COOKIE}={cookie.group(1)}"}) as r:
            page = await r.text()
            assert r.status == 200 and "Willkommen, Anna Berger" in page

        forged = {**form, "access_token": token["access_token"][::-1] + "x"}
        async with http.post(f"{url}/widget/anmelden", data=forged, headers=same_origin, allow_redirects=False) as r:
            assert r.status == 401 and "Anmeldung abgelehnt" in await r.text()
            assert "Set-Cookie" not in r.headers


def chat_client_page(widget_url: str, answer: dict[str, Any] | None, *, confirm: bool) -> str:
    """A chat client's room page, as Element shows a room widget: an iframe, and the client's side of the widget API
    (capabilities when the frame has loaded; `get_openid` answered "ask the person" and then with the credentials,
    or at once). With no token it never answers, and the widget keeps waiting."""
    credentials = json.dumps(answer)
    return f"""<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Chat</title></head><body>
<h1>Projektgruppe eAkte</h1>
<iframe id="widget" title="re@di" src="{widget_url}" width="860" height="700"></iframe>
<script>
const credentials = {credentials};
const confirmFirst = {json.dumps(confirm)};
const frame = document.getElementById("widget");
const widgetOrigin = new URL(frame.src).origin;
let counter = 0;
function send(action, data) {{
  frame.contentWindow.postMessage(
    {{api: "toWidget", widgetId: "w1", requestId: "client-" + counter++, action: action, data: data}}, widgetOrigin);
}}
function reply(request, response) {{
  frame.contentWindow.postMessage(Object.assign({{}}, request, {{response: response}}), widgetOrigin);
}}
frame.addEventListener("load", () => send("capabilities", {{}}));
window.addEventListener("message", (event) => {{
  if (event.origin !== widgetOrigin) return;
  const message = event.data;
  if (message.api === "toWidget" && message.action === "capabilities" && message.response) {{
    send("notify_capabilities", {{requested: message.response.capabilities, approved: []}});
  }}
  if (message.api === "fromWidget" && message.action === "get_openid" && !message.response && credentials) {{
    if (confirmFirst) {{
      reply(message, {{state: "request"}});
      setTimeout(() => send("openid_credentials",
        Object.assign({{original_request_id: message.requestId}}, credentials)), 300);
    }} else {{
      reply(message, credentials);
    }}
  }}
}});
</script></body></html>"""


@asynccontextmanager
async def chat_client(
    port: int, widget_url: str, answer: dict[str, Any] | None, *, confirm: bool
) -> AsyncIterator[str]:
    app = web.Application()

    async def index(_: web.Request) -> web.Response:
        return web.Response(text=chat_client_page(widget_url, answer, confirm=confirm), content_type="text/html")

    app.router.add_get("/", index)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://localhost:{port}/"
    finally:
        await runner.cleanup()


async def widget_frame(page: Page) -> Frame:
    element = await page.wait_for_selector("#widget")
    frame = await element.content_frame() if element is not None else None
    assert frame is not None
    return frame


async def check(page: Page, frame: Frame, name: str, violations: list[str]) -> None:
    """No Content-Security-Policy complaint, no serious or critical accessibility problem in the widget; a
    screenshot of the chat client's page with it."""
    assert not violations, violations
    results = await Axe().run(frame)
    assert results.response["passes"], "axe ran its rules in the widget"
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{name}: {serious}"
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"web-widget-{name}.png", full_page=True)


async def test_the_widget_signs_in_inside_a_chat_clients_frame(
    start_bot: StartBot, make_user: MakeUser, homeserver: Homeserver, browser: Browser
) -> None:
    host_port = free_port()
    bot, kora, room, port = await bot_in_room(start_bot, make_user, host_port)
    anna = await make_user("anna", displayname="Anna Berger")
    await kora.invite(room, anna.user_id)
    await anna.join(room)
    assert await ask(anna, room, bot, "!ping"), "the bot has seen her join: she shares a room with it"
    widget_url = f"http://127.0.0.1:{port}/widget?lang=de&widgetId=w1"

    context = await browser.new_context(viewport=WIDGET_SIZE, locale="de-DE")
    page = await context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    # The client does not answer (yet): the widget says it waits for the chat.
    async with chat_client(host_port, widget_url, None, confirm=False) as client:
        await page.goto(client)
        frame = await widget_frame(page)
        await frame.get_by_role("heading", name="Anmeldung über den Chat").wait_for()
        assert "Der Chat bestätigt, wer du bist" in await frame.inner_text("main")
        await check(page, frame, "waiting", violations)

    # The person declines in Element's dialog: the widget says what that means.
    async with chat_client(host_port, widget_url, {"state": "blocked"}, confirm=True) as client:
        await page.goto(client)
        frame = await widget_frame(page)
        await frame.get_by_text("Ohne deine Bestätigung kann das Widget dich nicht anmelden").wait_for()
        await check(page, frame, "declined", violations)

    # Element asks the person first ("request"), then hands over the token: the frame shows her start page.
    async with chat_client(host_port, widget_url, await allowed(homeserver, anna), confirm=True) as client:
        await page.goto(client)
        frame = await widget_frame(page)
        await frame.get_by_role("heading", name="Willkommen, Anna Berger").wait_for(timeout=15_000)
        assert frame.url == f"http://127.0.0.1:{port}/"
        await check(page, frame, "start", violations)
        await frame.get_by_role("link", name="Beschlüsse", exact=True).first.click()
        await frame.get_by_role("heading", name="Beschlüsse", exact=True).wait_for()
        await check(page, frame, "decisions", violations)
    cookies = await context.cookies(f"http://127.0.0.1:{port}/")
    widget_cookie = [c for c in cookies if c["name"] == COOKIE]
    assert widget_cookie and widget_cookie[0].get("partitionKey"), "kept, in the chat client's partition"

    # The pages themselves, opened in a tab of their own: the widget's cookie is not there (partitioned).
    tab = await context.new_page()
    await tab.goto(f"http://127.0.0.1:{port}/")
    assert "Bitte anmelden" in await tab.inner_text("main")
    await tab.close()

    # Permission remembered: Element answers at once.
    async with chat_client(host_port, widget_url, await allowed(homeserver, anna), confirm=False) as client:
        await page.goto(client)
        frame = await widget_frame(page)
        await frame.get_by_role("heading", name="Willkommen, Anna Berger").wait_for(timeout=15_000)
    await context.close()

    # A site that is not among widget_parents: the browser refuses to show the widget in its frame.
    other = await browser.new_context(viewport=WIDGET_SIZE)
    stranger = await other.new_page()
    async with chat_client(free_port(), widget_url, None, confirm=False) as client:
        # Wait for the browser's own report of the refusal, not for a while.
        async with stranger.expect_console_message(lambda m: "frame-ancestors" in m.text, timeout=15_000):
            await stranger.goto(client)
        frame = await widget_frame(stranger)
        assert "Anmeldung über den Chat" not in await frame.content()
    await other.close()
