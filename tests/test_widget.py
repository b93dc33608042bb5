"""The pages as a room widget, over real HTTP (SQLite and PostgreSQL) against a stand-in for the homeserver's
OpenID endpoint: a token the homeserver vouches for signs in with a partitioned cookie and the pages may be framed
by the configured chat clients only; a forged token, another server's token, a person sharing no room with the
bot and a cross-site form are refused kindly; an unreachable homeserver is a friendly 503; refusals are
rate-limited per address. And `!widget`: moderators add and remove the room's widget state event; the bot explains
which room setting to change when it lacks the power."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.config import ConfigError, WebConfig, load_config
from bot.dev.homeserver import free_port
from bot.web import WebServer
from bot.web.pages import SIGN_IN_REFUSALS, Pages
from bot.web.widget import COOKIE, USERINFO, may_sign_in
from commands.web.widget import STATE_KEY, WIDGET_EVENT
from storage import Database
from tests.harness import GROUP_ROOM, ROOT, Bot

ANNA, BEN, STRANGER, KOORD = "@anna:example.org", "@ben:example.org", "@fremd:example.org", "@koord:example.org"
BOT = "@redi-bot:example.org"
ELEMENT = "https://element.example.org"
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
STRICT = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"


class People:
    def __init__(self) -> None:
        self.rooms: dict[str, set[str]] = {ANNA: {GROUP_ROOM}, BEN: {GROUP_ROOM}}

    def rooms_of(self, user_id: str) -> Collection[str]:
        return self.rooms.get(user_id, set())

    def display_names(self, room_id: str, user_ids: Collection[str]) -> dict[str, str]:
        names = {ANNA: "Anna Berger", BEN: "Ben Roth"}
        return {user: names[user] for user in user_ids if user in names}

    def power_level(self, room_id: str, user_id: str) -> int:
        return 0


@dataclass
class Homeserver:
    """The homeserver's `openid/userinfo`, as Synapse answers it: the user of a token it issued, 401 otherwise."""

    tokens: dict[str, str] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    status: int | None = None  # answer this instead (a homeserver in trouble)

    async def userinfo(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        self.asked.append(token)
        if self.status is not None:
            return web.json_response({"errcode": "M_UNRECOGNIZED"}, status=self.status)
        if token not in self.tokens:
            return web.json_response({"errcode": "M_UNKNOWN_TOKEN", "error": "Access Token unknown"}, status=401)
        return web.json_response({"sub": self.tokens[token]})


@dataclass
class Widget:
    bot: Bot
    url: str
    homeserver: Homeserver
    people: People

    async def sign_in(
        self, token: str, *, server: str = "example.org", cookie: str | None = None, headers: Mapping[str, str] = {}
    ) -> aiohttp.ClientResponse:
        """What the widget's script does with the client's answer: post the token in the page's form."""
        form = {"access_token": token, "matrix_server_name": server, "lang": "de"}
        sent = {**SAME_ORIGIN, **headers, **({"Cookie": f"{COOKIE}={cookie}"} if cookie else {})}
        async with aiohttp.ClientSession() as http:
            response = await http.post(f"{self.url}/widget/anmelden", data=form, headers=sent, allow_redirects=False)
            await response.read()
            return response

    async def get(self, path: str, cookie: str | None = None) -> tuple[aiohttp.ClientResponse, str]:
        """A page as the widget's frame asks for it: with the widget's cookie (the browser sends it by hand here,
        as aiohttp's jar keeps no Secure cookie over plain HTTP)."""
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
        async with aiohttp.ClientSession() as http:
            response = await http.get(f"{self.url}{path}", headers=headers, allow_redirects=False)
            return response, await response.text()


def _cookie_of(response: aiohttp.ClientResponse) -> str:
    header = response.headers["Set-Cookie"]
    found = re.match(rf"{COOKIE}=([^;]*);", header)
    assert found, header
    return found.group(1)


async def _serve_widget(bot: Bot, people: People, homeserver: Homeserver) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get(USERINFO, homeserver.userinfo)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    bot.config = replace(bot.config, matrix=replace(bot.config.matrix, homeserver=f"http://127.0.0.1:{port}/"))
    web_config = bot.config.web
    assert web_config is not None
    pages = Pages(lambda: bot.config, bot.db, people, bot.clock, bot.dispatcher.catalog)
    server = WebServer(web_config, bot.db, people, bot.clock, server="example.org", name=lambda _: "re@di", pages=pages)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()
        await runner.cleanup()


@pytest.fixture
async def widget(db: Database, tmp_path: Path) -> AsyncIterator[Widget]:
    config = WebConfig("127.0.0.1", 0, "http://x", widget_parents=(ELEMENT,))
    bot = Bot(db, tmp_path, web=config)
    people, homeserver = People(), Homeserver()
    async for url in _serve_widget(bot, people, homeserver):
        yield Widget(bot, url, homeserver, people)


async def test_a_token_the_homeserver_vouches_for_signs_in_the_widget(widget: Widget) -> None:
    widget.homeserver.tokens["echt-anna-token-24"] = ANNA
    page_response, page = await widget.get("/widget?lang=de-DE&widgetId=w1")
    assert page_response.status == 200 and "Anmeldung über den Chat" in page
    assert f'data-parents="{ELEMENT}"' in page and 'src="/static/widget.js"' in page
    policy = page_response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and f"frame-ancestors {ELEMENT};" in policy, policy
    assert "'unsafe-inline'" not in policy and "<script>" not in page, "our own file, nothing inline"

    response = await widget.sign_in("echt-anna-token-24")
    assert response.status == 303 and response.headers["Location"] == "/widget/weiter?lang=de"
    cookie_header = response.headers["Set-Cookie"]
    for attribute in ("Path=/", "Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert attribute in cookie_header, cookie_header
    assert cookie_header.startswith("__Host-"), "bound to this host"
    assert widget.homeserver.asked == ["echt-anna-token-24"], "the homeserver was asked, once"
    cookie = _cookie_of(response)

    onward, _ = await widget.get("/widget/weiter?lang=de", cookie)
    assert onward.status == 303 and onward.headers["Location"] == "/", "the browser kept the cookie: on to the pages"
    start, html = await widget.get("/", cookie)
    assert start.status == 200 and "Willkommen, Anna Berger" in html
    assert f"frame-ancestors {ELEMENT};" in start.headers["Content-Security-Policy"], "framed by the chat client"
    assert "script-src" not in start.headers["Content-Security-Policy"], "only the sign-in page runs a script"
    decisions, _ = await widget.get("/beschluesse", cookie)
    assert decisions.status == 200

    plain, _ = await widget.get("/")
    assert plain.status == 401 and plain.headers["Content-Security-Policy"].startswith(STRICT), "no widget: no frames"


async def test_a_forged_token_is_refused_and_refusals_are_rate_limited(widget: Widget) -> None:
    widget.homeserver.tokens["echt-anna-token-24"] = ANNA
    response = await widget.sign_in("gefaelschter-token")
    assert response.status == 401 and "Set-Cookie" not in response.headers
    _, html = await widget.get("/widget/weiter?lang=de")
    assert "Dein Browser lässt die Anmeldung im Widget nicht zu" in html, "no cookie: the advice, not the pages"
    for _ in range(SIGN_IN_REFUSALS - 1):
        assert (await widget.sign_in("noch-ein-falscher-token")).status == 401
    asked = len(widget.homeserver.asked)
    blocked = await widget.sign_in("echt-anna-token-24")
    assert blocked.status == 429 and "Retry-After" in blocked.headers
    assert len(widget.homeserver.asked) == asked, "a blocked address no longer makes us ask the homeserver"
    widget.bot.clock.advance(timedelta(minutes=5))
    assert (await widget.sign_in("echt-anna-token-24")).status == 303, "after the window the address may try again"


async def test_the_refusal_says_what_happened_in_the_chat_clients_language(widget: Widget) -> None:
    async with aiohttp.ClientSession() as http:
        form = {"access_token": "gefaelschter-token", "matrix_server_name": "example.org", "lang": "en-GB"}
        async with http.post(f"{widget.url}/widget/anmelden", data=form, headers=SAME_ORIGIN) as response:
            text = await response.text()
    assert response.status == 401 and "Sign-in refused" in text and 'lang="en"' in text
    assert 'href="/widget?lang=en"' in text, "a way to try again"


async def test_a_token_of_another_server_is_refused_without_asking_anyone(widget: Widget) -> None:
    widget.homeserver.tokens["fremder-token-1234"] = ANNA
    response = await widget.sign_in("fremder-token-1234", server="evil.example.com")
    assert response.status == 403 and "Set-Cookie" not in response.headers
    assert widget.homeserver.asked == [], "a server the client names is never asked, nor ours for its token"
    async with aiohttp.ClientSession() as http:
        form = {"access_token": "fremder-token-1234", "matrix_server_name": "evil.example.com", "lang": "de"}
        async with http.post(f"{widget.url}/widget/anmelden", data=form, headers=SAME_ORIGIN) as answer:
            text = await answer.text()
    assert "Das Widget meldet nur Konten von example.org an" in text and "!web" in text


def test_only_users_of_the_homeserver_itself_sign_in_and_never_the_bot() -> None:
    assert may_sign_in(ANNA, server_name="example.org", bot_user=BOT)
    assert not may_sign_in("@anna:evil.example.com", server_name="example.org", bot_user=BOT)
    assert not may_sign_in(BOT, server_name="example.org", bot_user=BOT), "the bot's token would show everything"
    for odd in ("anna", "@:example.org", "@anna:example.org\n", "@ANNA:example.org", ""):
        assert not may_sign_in(odd, server_name="example.org", bot_user=BOT), odd


async def test_a_homeserver_that_vouches_for_a_foreign_user_or_the_bot_signs_nobody_in(widget: Widget) -> None:
    widget.homeserver.tokens |= {"verwirrt-token-12": "@anna:evil.example.com", "bot-token-1234567": BOT}
    for token in ("verwirrt-token-12", "bot-token-1234567"):
        response = await widget.sign_in(token)
        assert response.status == 403 and "Set-Cookie" not in response.headers, token


async def test_someone_sharing_no_room_with_the_bot_is_told_how_to_start(widget: Widget) -> None:
    widget.homeserver.tokens |= {"fremd-token-12345": STRANGER, "fremd-token-67890": STRANGER}
    response = await widget.sign_in("fremd-token-12345")
    assert response.status == 403 and "Set-Cookie" not in response.headers
    async with aiohttp.ClientSession() as http:
        form = {"access_token": "fremd-token-67890", "matrix_server_name": "example.org", "lang": "de"}
        async with http.post(f"{widget.url}/widget/anmelden", data=form, headers=SAME_ORIGIN) as answer:
            assert "Noch kein gemeinsamer Raum" in await answer.text()


async def test_an_unreachable_homeserver_is_a_friendly_503(widget: Widget, caplog: pytest.LogCaptureFixture) -> None:
    widget.homeserver.tokens["echt-anna-token-24"] = ANNA
    widget.homeserver.status = 502
    response = await widget.sign_in("echt-anna-token-24")
    assert response.status == 503 and response.headers["Retry-After"] == "60"
    widget.homeserver.status = 404  # no listener serves the `openid` resource: the admin is told what to add
    assert (await widget.sign_in("echt-anna-token-24")).status == 503
    assert "'openid'" in caplog.text and "echt-anna-token-24" not in caplog.text, "the log names no token"
    widget.bot.config = replace(
        widget.bot.config, matrix=replace(widget.bot.config.matrix, homeserver=f"http://127.0.0.1:{free_port()}")
    )  # nobody listens there: the homeserver is down
    async with aiohttp.ClientSession() as http:
        form = {"access_token": "echt-anna-token-24", "matrix_server_name": "example.org", "lang": "de"}
        async with http.post(f"{widget.url}/widget/anmelden", data=form, headers=SAME_ORIGIN) as answer:
            assert answer.status == 503 and "Der Matrix-Server antwortet nicht" in await answer.text()
    for _ in range(SIGN_IN_REFUSALS):  # the homeserver's trouble is nobody's refusal
        assert (await widget.sign_in("echt-anna-token-24")).status == 503


async def test_another_sites_form_and_odd_forms_sign_nobody_in(widget: Widget) -> None:
    widget.homeserver.tokens["echt-anna-token-24"] = ANNA
    response = await widget.sign_in("echt-anna-token-24", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status == 403 and widget.homeserver.asked == [], "another site cannot sign its visitor in"
    async with aiohttp.ClientSession() as http:
        for body, content_type in (
            (b"", "application/x-www-form-urlencoded"),
            (b"access_token=\xff\xfe&matrix_server_name=example.org", "application/x-www-form-urlencoded"),
            (b'{"access_token": "echt-anna-token-24"}', "application/json"),
            (
                ("access_token=" + "a" * 5000 + "&matrix_server_name=example.org").encode(),
                "application/x-www-form-urlencoded",
            ),
            (
                b"access_token=mit%20leerzeichen%20drin&matrix_server_name=example.org",
                "application/x-www-form-urlencoded",
            ),
        ):
            headers = {**SAME_ORIGIN, "Content-Type": content_type}
            async with http.post(f"{widget.url}/widget/anmelden", data=body, headers=headers) as answer:
                text = await answer.text()
                assert answer.status in (400, 403) and "Anmeldung" in text, (body[:40], answer.status)
    assert widget.homeserver.asked == [], "nothing that is not a token goes to the homeserver"


async def test_signing_out_in_the_widget_and_signing_in_again_end_the_widget_session(widget: Widget) -> None:
    widget.homeserver.tokens |= {"echt-anna-token-24": ANNA, "echt-ben-token-245": BEN}
    first = _cookie_of(await widget.sign_in("echt-anna-token-24"))
    second = _cookie_of(await widget.sign_in("echt-ben-token-245", cookie=first))  # Ben opens it on the same device
    assert (await widget.get("/", first))[0].status == 401, "the widget's previous session ended"
    start, html = await widget.get("/", second)
    assert start.status == 200 and "Willkommen, Ben Roth" in html
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as http:
        headers = {"Cookie": f"{COOKIE}={second}"}
        async with http.post(f"{widget.url}/abmelden", data={"csrf": "forged"}, headers=headers) as response:
            assert response.status == 403
        async with http.post(f"{widget.url}/abmelden", data={"csrf": csrf}, headers=headers) as response:
            assert response.status == 200 and "Abgemeldet" in await response.text()
            deleted = [value for key, value in response.headers.items() if key == "Set-Cookie" and COOKIE in value]
    assert deleted and "Max-Age=0" in deleted[0] and "Partitioned" in deleted[0], "deleted in its own partition"
    assert (await widget.get("/", second))[0].status == 401

    widget.homeserver.tokens["echt-anna-token-25"] = ANNA  # the chat client asks for a new token each time
    third = _cookie_of(await widget.sign_in("echt-anna-token-25"))
    assert "1 Anmeldung beendet" in await widget.bot.say(ANNA, "!web abmelden"), "chat ends widget sessions too"
    assert (await widget.get("/", third))[0].status == 401


async def test_the_script_is_our_own_file_and_cached(widget: Widget) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{widget.url}/static/widget.js") as response:
            script = await response.text()
            etag = response.headers["ETag"]
        assert response.status == 200 and response.content_type == "text/javascript"
        assert '"get_openid"' in script and "postMessage" in script
        async with http.get(f"{widget.url}/static/widget.js", headers={"If-None-Match": etag}) as response:
            assert response.status == 304


async def test_without_widget_parents_nothing_may_frame_the_pages(db: Database, tmp_path: Path) -> None:
    bot = Bot(db, tmp_path, web=WebConfig("127.0.0.1", 0, "http://x", widget_parents=()))
    homeserver = Homeserver(tokens={"echt-anna-token-24": ANNA})
    async for url in _serve_widget(bot, People(), homeserver):
        off = Widget(bot, url, homeserver, People())
        response, html = await off.get("/widget")
        assert response.status == 404 and "Kein Widget" in html
        assert response.headers["Content-Security-Policy"].startswith(STRICT)
        assert (await off.sign_in("echt-anna-token-24")).status == 404 and homeserver.asked == []
        assert "ausgeschaltet" in await bot.say(ANNA, "!widget", power=50)


# -- `!widget` in chat -------------------------------------------------------------------------------------------
class RoomBot(Bot):
    """The test bot with a transport that keeps room state (`commands.web.widget.RoomState`)."""

    def __init__(self, db: Database, tmp_path: Path, **changes: Any) -> None:
        super().__init__(db, tmp_path, **changes)
        self.state: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.needed, self.has, self.homeserver_refuses = 50, 100, False

    def state_power(self, room_id: str, event_type: str) -> tuple[int, int]:
        return self.needed, self.has

    async def put_state(self, room_id: str, event_type: str, state_key: str, content: Mapping[str, Any]) -> bool:
        if self.homeserver_refuses:
            return False
        self.state[(room_id, event_type, state_key)] = dict(content)
        return True


@pytest.fixture
def room_bot(db: Database, tmp_path: Path) -> RoomBot:
    return RoomBot(db, tmp_path, web=WebConfig("127.0.0.1", 0, "https://redi.example.org/bot", (ELEMENT,)))


async def test_a_moderator_adds_the_widget_and_removes_it(room_bot: RoomBot) -> None:
    said = await room_bot.say(ANNA, "!widget", power=50)
    assert "Widget „re@di“ ist in diesem Raum eingerichtet" in said and "!widget entfernen" in said
    content = room_bot.state[(GROUP_ROOM, WIDGET_EVENT, STATE_KEY)]
    assert content["type"] == "m.custom" and content["name"] == "re@di" and content["id"] == STATE_KEY
    assert content["url"] == (
        "https://redi.example.org/bot/widget?lang=$org.matrix.msc2873.client_language&widgetId=$matrix_widget_id"
    )
    assert "$matrix_user_id" not in content["url"], "who uses it is the OpenID token's word, not the address's"
    assert content["waitForIframeLoad"] is True and content["creatorUserId"] == room_bot.config.matrix.user_id
    assert "entfernt" in await room_bot.say(ANNA, "!widget entfernen", power=50)
    assert room_bot.state[(GROUP_ROOM, WIDGET_EVENT, STATE_KEY)] == {}, "an empty widget event is no widget"


async def test_only_moderators_and_coordinators_add_the_widget(db: Database, tmp_path: Path) -> None:
    bot = RoomBot(
        db, tmp_path, web=WebConfig("127.0.0.1", 0, "https://redi.example.org", (ELEMENT,)), coordinators=(KOORD,)
    )
    said = await bot.say(BEN, "!widget")
    assert "Moderation dieses Raums" in said and bot.state == {}
    assert "entfernt" not in await bot.say(BEN, "!widget remove") and bot.state == {}
    assert "eingerichtet" in await bot.say(KOORD, "!widget"), "a coordinator needs no power in the room"
    assert (GROUP_ROOM, WIDGET_EVENT, STATE_KEY) in bot.state


async def test_without_power_the_bot_says_which_setting_to_change(room_bot: RoomBot) -> None:
    room_bot.needed, room_bot.has = 50, 0
    said = await room_bot.say(ANNA, "!widget", power=100)
    assert "Power-Level 50" in said and "ich habe 0" in said and "Widgets ändern" in said
    assert room_bot.state == {}
    room_bot.needed, room_bot.has, room_bot.homeserver_refuses = 50, 50, True  # the room changed meanwhile
    assert "Rollen & Berechtigungen" in await room_bot.say(ANNA, "!widget", power=100)


async def test_without_web_pages_widget_says_so(db: Database, tmp_path: Path) -> None:
    bot = RoomBot(db, tmp_path)
    assert "nicht eingerichtet" in await bot.say(ANNA, "!widget", power=50)
    assert bot.state == {}


def test_widget_parents_are_origins_and_nothing_wider(tmp_path: Path) -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    base = example.replace(
        'listen = ""\n# optional; how people', 'listen = "127.0.0.1:8080"\n# optional; how people', 1
    )

    def web_config(parents: str | None) -> WebConfig | None:
        text = base
        if parents is not None:
            text = re.sub(r"(?m)^widget_parents = .*$", f"widget_parents = {parents}", base)
        path = tmp_path / "config.toml"
        path.write_text(text, encoding="utf-8")
        return load_config(path, env={}).web

    default = web_config(None)
    assert default is not None and default.widget_parents == (), "off until the admins name their chat clients"
    absent_text = re.sub(r"(?m)^widget_parents = .*$", "", base)
    (tmp_path / "config.toml").write_text(absent_text, encoding="utf-8")
    absent = load_config(tmp_path / "config.toml", env={}).web
    assert absent is not None and absent.widget_parents == ()
    custom = web_config('["https://element.example.org/", "http://localhost:8080"]')
    assert custom is not None and custom.widget_parents == ("https://element.example.org", "http://localhost:8080")
    off = web_config("[]")
    assert off is not None and off.widget_parents == ()
    for wrong in ('["*"]', '["https:"]', '["https://element.example.org/app"]', '["element.example.org"]'):
        with pytest.raises(ConfigError, match="widget_parents"):
            web_config(wrong)


async def test_a_token_signs_in_once_and_other_frames_cannot_use_the_widgets_cookie(widget: Widget) -> None:
    """OpenID tokens are bearer tokens the chat client also hands other widgets: one that went elsewhere too cannot
    be replayed here for more sessions, and another frame in the same chat client cannot read pages with our cookie."""
    widget.homeserver.tokens["echt-anna-token-24"] = ANNA
    cookie = _cookie_of(await widget.sign_in("echt-anna-token-24"))
    again = await widget.sign_in("echt-anna-token-24")
    assert again.status == 401 and "Set-Cookie" not in again.headers
    assert widget.homeserver.asked == ["echt-anna-token-24"], "a used token is refused without asking again"
    async with aiohttp.ClientSession() as http:
        headers = {"Cookie": f"{COOKIE}={cookie}"}
        async with http.get(f"{widget.url}/", headers={**headers, "Sec-Fetch-Site": "same-origin"}) as response:
            assert response.status == 200, "our own pages in the widget"
        async with http.get(f"{widget.url}/", headers={**headers, "Sec-Fetch-Site": "cross-site"}) as response:
            assert response.status == 401, "another frame's request to us is nobody's"


async def test_without_fetch_metadata_the_origin_decides(widget: Widget) -> None:
    """Browsers without `Sec-Fetch-Site` (older Safari) still send `Origin` with a form from another site."""
    widget.homeserver.tokens["echt-anna-token-24"] = ANNA
    async with aiohttp.ClientSession() as http:
        form = {"access_token": "echt-anna-token-24", "matrix_server_name": "example.org", "lang": "de"}
        async with http.post(
            f"{widget.url}/widget/anmelden", data=form, headers={"Origin": "https://evil.example.com"}
        ) as answer:
            assert answer.status == 403 and "Set-Cookie" not in answer.headers
        async with http.post(f"{widget.url}/abmelden", headers={"Origin": "https://evil.example.com"}) as answer:
            assert answer.status == 403 and "Set-Cookie" not in answer.headers, "nobody is signed out from elsewhere"
        async with http.post(f"{widget.url}/abmelden", headers={"Sec-Fetch-Site": "cross-site"}) as answer:
            assert answer.status == 403 and "Set-Cookie" not in answer.headers
        assert widget.homeserver.asked == []
        async with http.post(  # from the public address (behind a proxy, not the host the bot listens on)
            f"{widget.url}/widget/anmelden", data=form, headers={"Origin": "http://x"}, allow_redirects=False
        ) as answer:
            assert answer.status == 303 and COOKIE in answer.headers["Set-Cookie"]
