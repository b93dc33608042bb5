"""The web pages over real HTTP (SQLite and PostgreSQL): `!web` sends a single-use link by direct message, opening
it signs in with a hardened cookie, a reused or expired link is refused kindly, and the decision pages show exactly
what chat would: a group's members their group, coordinators everything, nobody another group's decision."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import Mock

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request
from sqlalchemy import text
from yarl import URL

from bot.config import WebConfig
from bot.dispatch import Quoted
from bot.web import WebServer
from bot.web.pages import (
    READY_TIMEOUT_S,
    SIGN_IN_REFUSALS,
    Pages,
    RateLimit,
    client_address,
    from_our_pages,
    limit_key,
)
from commands.privacy.jobs import cutoffs
from storage import Database
from storage.web import WebRepository
from tests.harness import GROUP_ROOM, NETWORK, Bot

SENSORIK_ROOM, OWN_ROOM = "!sensorik:example.org", "!privat:example.org"
ANNA, BEN, KOORD, MODERATOR, CAROL = (
    "@anna:buehl.de",
    "@ben:rastatt.de",
    "@koord:example.org",
    "@mod:bretten.de",
    "@carol:bruchsal.de",
)
ROOMS = {GROUP_ROOM: "Engagementplattform", SENSORIK_ROOM: "Sensorik"}
CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"


class People:
    """Who is in which room, with which name and power level, as the transport's member lists would say."""

    def __init__(self) -> None:
        self.rooms: dict[str, set[str]] = {
            ANNA: {GROUP_ROOM},
            BEN: {SENSORIK_ROOM},
            KOORD: {NETWORK},
            MODERATOR: {SENSORIK_ROOM},
            CAROL: {OWN_ROOM},
        }
        self.power: dict[tuple[str, str], int] = {(SENSORIK_ROOM, MODERATOR): 50, (OWN_ROOM, CAROL): 100}
        self.names = {ANNA: "Anna Berger", BEN: "Ben Roth"}

    def rooms_of(self, user_id: str) -> Collection[str]:
        return self.rooms.get(user_id, set())

    def display_names(self, room_id: str, user_ids: Collection[str]) -> dict[str, str]:
        return {user: self.names[user] for user in user_ids if user in self.names}

    def power_level(self, room_id: str, user_id: str) -> int:
        return self.power.get((room_id, user_id), 0)


class Site:
    def __init__(self, bot: Bot, url: str, people: People) -> None:
        self.bot, self.url, self.people = bot, url, people

    async def link(self, user: str, *, room: str = GROUP_ROOM) -> str:
        await self.bot.say(user, "!web", room=room)
        sent_to, dm = self.bot.dms[-1]
        assert sent_to == user
        found = re.search(r"/anmelden/([A-Za-z0-9_-]+)", dm)
        assert found, dm
        return f"{self.url}/anmelden/{found.group(1)}"

    async def browser(self, user: str, *, room: str = GROUP_ROOM) -> aiohttp.ClientSession:
        """A browser signed in as `user` (its cookie jar holds the session)."""
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        await sign_in(http, await self.link(user, room=room))
        return http


async def sign_in(http: aiohttp.ClientSession, link: str) -> str:
    """What a person does: open the link, press the page's button; the start page's HTML."""
    async with http.get(link) as response:
        page = await response.text()
        assert response.status == 200, page
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    assert action and link.endswith(action.group(1)), page
    async with http.post(link) as response:
        start = await response.text()
        assert response.status == 200, start
    return start


async def _serve(bot: Bot, people: People, *, ready: Callable[[], Awaitable[None]] | None = None) -> AsyncIterator[str]:
    config = bot.config.web
    assert config is not None
    pages = Pages(lambda: bot.config, bot.db, people, bot.clock, bot.dispatcher.catalog, ready=ready)
    server = WebServer(config, bot.db, people, bot.clock, server="example.org", name=lambda _: "re@di", pages=pages)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


@pytest.fixture
async def site(db: Database, tmp_path: Path) -> AsyncIterator[Site]:
    bot = Bot(db, tmp_path, room_groups=ROOMS, coordinators=(KOORD,), web=WebConfig("127.0.0.1", 0, "http://x"))
    people = People()
    async for url in _serve(bot, people):
        yield Site(bot, url, people)


async def _rows(bot: Bot, table: str) -> str:
    async with bot.db.transaction() as repos:
        rows = await repos.privacy._session.execute(text(f"SELECT * FROM {table}"))
        return " ".join(str(value) for row in rows for value in row)


async def test_a_link_by_direct_message_signs_in_once_with_a_hardened_cookie(site: Site) -> None:
    said = await site.bot.say(ANNA, "!web")
    assert "Direktnachricht" in said and "anmelden/" not in said, "the link never shows in the group"
    user, dm = site.bot.dms[-1]
    assert user == ANNA and "10 Minuten" in dm and "!web abmelden" in dm
    token = re.search(r"/anmelden/([A-Za-z0-9_-]+)", dm).group(1)  # type: ignore[union-attr]
    assert token not in await _rows(site.bot, "web_links") and token not in await _rows(site.bot, "outbox")
    url = f"{site.url}/anmelden/{token}"

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(url) as response:
            page = await response.text()
            assert response.status == 200 and "Anmelden als Anna Berger" in page, "whom the link signs in"
            assert "Set-Cookie" not in response.headers and f'action="/anmelden/{token}"' in page
        async with http.post(url, allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/"
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie, "plain HTTP (a test): a Secure cookie would never come back"
        session_token = re.match(r"redi_session=([^;]+)", cookie).group(1)  # type: ignore[union-attr]
        assert session_token not in await _rows(site.bot, "web_sessions"), "only the session's hash is stored"
        async with http.get(f"{site.url}/") as response:
            page = await response.text()
            assert response.status == 200 and "Willkommen, Anna Berger" in page
            assert "Engagementplattform" in page and 'lang="de"' in page
            assert response.headers["Content-Security-Policy"].startswith(CSP)
            assert response.headers["Cache-Control"] == "no-store"
            assert "<script" not in page and "style=" not in page

    async with aiohttp.ClientSession() as other:
        async with other.get(url) as response:
            page = await response.text()
            assert response.status == 410 and "gilt nicht mehr" in page and "!web" in page
            assert "This link no longer works" in page, "German first, then English"
        async with other.get(f"{site.url}/beschluesse") as response:
            assert response.status == 401 and "Bitte anmelden" in await response.text()


async def test_an_expired_link_is_refused_and_the_daily_purge_removes_what_ended(site: Site) -> None:
    url = await site.link(ANNA)
    site.bot.clock.advance(timedelta(minutes=10, seconds=1))
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 410 and "noch einmal" in await response.text()

    browser = await site.browser(BEN, room=SENSORIK_ROOM)
    await browser.close()
    site.bot.clock.advance(timedelta(hours=8, seconds=1))  # a working day unused: the session ended
    async with site.bot.db.transaction() as repos:
        done = await repos.privacy.purge(cutoffs(site.bot.config.retention, timedelta(days=1), site.bot.clock.now()))
    assert done["web"] == 3, "two links (expired, used) and the idle session"
    assert await _rows(site.bot, "web_links") == "" and await _rows(site.bot, "web_sessions") == ""


async def test_a_session_ends_after_idle_time_and_with_web_abmelden(site: Site) -> None:
    async with await site.browser(ANNA) as http:
        site.bot.clock.advance(timedelta(hours=7))
        async with http.get(f"{site.url}/") as response:
            assert response.status == 200, "used within the idle time: still signed in"
        site.bot.clock.advance(timedelta(hours=7))
        async with http.get(f"{site.url}/") as response:
            assert response.status == 200, "each use starts the idle time again"
        assert "1 Anmeldung beendet" in await site.bot.say(ANNA, "!web abmelden")
        async with http.get(f"{site.url}/beschluesse") as response:
            assert response.status == 401
    assert "nicht angemeldet" in await site.bot.say(ANNA, "!web logout")


async def test_signing_out_in_the_browser_needs_the_pages_own_form(site: Site) -> None:
    async with await site.browser(ANNA) as http:
        async with http.post(f"{site.url}/abmelden", data={"csrf": "forged"}) as response:
            assert response.status == 403
        async with http.get(f"{site.url}/") as response:
            page = await response.text()
            assert response.status == 200, "a forged form signs nobody out"
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
        async with http.post(f"{site.url}/abmelden", data={"csrf": csrf}) as response:
            assert response.status == 200 and "Abgemeldet" in await response.text()
        async with http.get(f"{site.url}/") as response:
            assert response.status == 401


async def test_refused_sign_in_links_are_rate_limited_per_address_and_valid_ones_do_not_count(site: Site) -> None:
    made_up = f"{site.url}/anmelden/{'x' * 43}"
    async with aiohttp.ClientSession() as http:
        for _ in range(SIGN_IN_REFUSALS - 1):
            async with http.get(made_up) as response:
                assert response.status == 410
        for _ in range(3):  # colleagues behind one address signing in: never counted
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as colleague:
                await sign_in(colleague, await site.link(ANNA))
        async with http.post(made_up) as response:
            assert response.status == 410, "the last refusal the window allows"
        async with http.get(await site.link(ANNA)) as response:
            assert response.status == 429 and "Zu viele Versuche" in await response.text()
            assert "Retry-After" in response.headers
        site.bot.clock.advance(timedelta(minutes=5))
        async with http.get(made_up) as response:
            assert response.status == 410, "after the window the address may try again"


def test_the_rate_limit_stays_small_and_fast_under_a_flood_of_addresses() -> None:
    """A flood from many addresses costs constant time per request (the old sweep on every call took seconds for
    20,000 addresses, blocking the bot's event loop) and memory up to `max_keys`."""
    limit = RateLimit(3, timedelta(minutes=5), max_keys=1000)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    for n in range(50_000):
        key = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        assert not limit.blocked(key, now)
        limit.hit(key, now)
    assert time.perf_counter() - started < 5 and len(limit) == 1000
    for _ in range(3):
        limit.hit("203.0.113.7", now)
    assert limit.blocked("203.0.113.7", now) and not limit.blocked("203.0.113.8", now)
    assert not limit.blocked("203.0.113.7", now + timedelta(minutes=5))
    limit.hit("203.0.113.9", now + timedelta(minutes=6))
    assert len(limit) == 1, "the keys of past windows were swept"


def test_ipv6_addresses_count_by_their_64_and_a_mapped_loopback_is_local() -> None:
    assert limit_key("2001:db8:1:2:aaaa::1") == limit_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert limit_key("2001:db8:1:3::1") != limit_key("2001:db8:1:2::1")
    assert limit_key("::ffff:203.0.113.7") == limit_key("203.0.113.7") == "203.0.113.7"

    def request(remote: str, forwarded: str) -> str:
        transport = Mock()
        transport.get_extra_info.return_value = (remote, 40000, 0, 0)
        made = make_mocked_request("GET", "/", headers={"X-Forwarded-For": forwarded}, transport=transport)
        return client_address(made)

    assert request("::ffff:127.0.0.1", "203.0.113.7") == "203.0.113.7", "a proxy on a dual-stack socket"
    assert request("::1", "10.0.0.1, 203.0.113.7") == "203.0.113.7", "the hop the local proxy added"
    assert request("198.51.100.1", "203.0.113.7") == "198.51.100.1", "a client from outside cannot pick its address"


async def _log_decisions(bot: Bot) -> tuple[int, int, int]:
    await bot.say(ANNA, "!beschluss Wir führen die E-Rechnung zum 1.1. ein #XRechnung", sender_name="Anna")
    await bot.say(ANNA, "!beschluss Die Engagementplattform startet im März <script>alert(1)</script>")
    await bot.say(BEN, "!beschluss Sensoren messen die Rechnungsstellung nicht", room=SENSORIK_ROOM)
    await bot.say(ANNA, "!beschluss aufheben 2 Verschoben auf April")
    return 1, 2, 3


async def test_the_decision_pages_show_what_chat_allows(site: Site) -> None:
    first, revoked, bens = await _log_decisions(site.bot)
    async with await site.browser(ANNA) as anna:
        async with anna.get(f"{site.url}/beschluesse") as response:
            page = await response.text()
        assert response.status == 200 and f'href="/beschluesse/{first}"' in page
        assert "E-Rechnung" in page and "Sensoren" not in page, "another group's decisions are not listed"
        assert "1 weiterer ist ersetzt oder aufgehoben" in page, "in force by default, as in chat"
        async with anna.get(f"{site.url}/beschluesse", params={"q": "Rechnung status:alle"}) as response:
            page = await response.text()
        assert "E-Rechnung" in page and "Sensoren" not in page
        async with anna.get(f"{site.url}/beschluesse", params={"q": "status:alle"}) as response:
            page = await response.text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page, "autoescaped"
        assert "aufgehoben" in page
        async with anna.get(f"{site.url}/beschluesse", params={"q": "gruppe:Sensorik"}) as response:
            assert response.status == 403 and "Koordination" in await response.text()
        async with anna.get(f"{site.url}/beschluesse", params={"q": "seit:grupe"}) as response:
            assert response.status == 400 and "seit" in await response.text(), "the grammar's own explanation"
        async with anna.get(f"{site.url}/beschluesse/{bens}") as response:
            assert response.status == 404, "another group's decision is as unknown as a missing one"
        async with anna.get(f"{site.url}/beschluesse/999") as response:
            assert response.status == 404 and "Nicht gefunden" in await response.text()
        async with anna.get(f"{site.url}/beschluesse/{revoked}") as response:
            page = await response.text()
        assert response.status == 200 and "Verschoben auf April" in page and "Verlauf" in page
        assert "festgehalten" in page and "Anna Berger" in page
        assert "https://matrix.to/#/" in page, "the permalink to the chat message"

    async with await site.browser(BEN, room=SENSORIK_ROOM) as ben:
        async with ben.get(f"{site.url}/beschluesse/{first}") as response:
            assert response.status == 404
        async with ben.get(f"{site.url}/beschluesse", params={"q": "Rechnung"}) as response:
            page = await response.text()
        assert "Sensoren" in page and "E-Rechnung" not in page

    for coordinator, room in ((KOORD, NETWORK), (MODERATOR, SENSORIK_ROOM)):
        async with await site.browser(coordinator, room=room) as http:
            async with http.get(f"{site.url}/beschluesse", params={"q": "Rechnung"}) as response:
                page = await response.text()
            assert "Sensoren" in page and "E-Rechnung" in page, f"{coordinator} coordinates: every group"
            async with http.get(f"{site.url}/beschluesse/{first}") as response:
                assert response.status == 200

    async with await site.browser(CAROL, room=OWN_ROOM) as carol:  # admin of a room of her own: no network rights
        async with carol.get(f"{site.url}/beschluesse", params={"q": "status:alle"}) as response:
            assert "Keine Beschlüsse" in await response.text()
        async with carol.get(f"{site.url}/beschluesse/{first}") as response:
            assert response.status == 404

    site.people.rooms[ANNA] = {OWN_ROOM}  # Anna left her group's room: its decisions leave her pages at once
    anna = await site.browser(ANNA, room=OWN_ROOM)
    async with anna, anna.get(f"{site.url}/beschluesse/{first}") as response:
        assert response.status == 404


async def test_pages_follow_the_persons_language_and_page_through_results(site: Site) -> None:
    for n in range(12):
        await site.bot.say(ANNA, f"!beschluss Punkt {n + 1} der Tagesordnung ist erledigt")
    await site.bot.say(ANNA, "!sprache en")
    async with await site.browser(ANNA) as http:
        async with http.get(f"{site.url}/beschluesse") as response:
            page = await response.text()
        assert 'lang="en"' in page and "12 decisions" in page and "Page 1 of 2" in page
        assert "Punkt 12 " in page and "Punkt 1 " not in page, "newest first"
        next_page = re.search(r'rel="next" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        async with http.get(site.url + next_page.replace("&amp;", "&")) as response:
            page = await response.text()
        assert "Page 2 of 2" in page and "Punkt 1 " in page and "Punkt 12 " not in page
        async with http.get(f"{site.url}/beschluesse", params={"seite": "99"}) as response:
            assert "Page 2 of 2" in await response.text(), "a page beyond the last is the last"
        async with http.get(f"{site.url}/static/redi.css") as response:
            assert response.status == 200 and response.content_type == "text/css"
            assert "@media print" in await response.text()


async def test_behind_https_the_cookie_is_secure_and_host_bound(db: Database, tmp_path: Path) -> None:
    bot = Bot(db, tmp_path, room_groups=ROOMS, web=WebConfig("127.0.0.1", 0, "https://redi.example.org/bot"))
    async for url in _serve(bot, People()):
        await bot.say(ANNA, "!web")
        link = re.search(r"https://redi\.example\.org/bot/anmelden/([A-Za-z0-9_-]+)", bot.dms[-1][1])
        assert link, bot.dms[-1][1]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/anmelden/{link.group(1)}") as response:
                assert f'action="/bot/anmelden/{link.group(1)}"' in await response.text()
            async with http.post(f"{url}/anmelden/{link.group(1)}", allow_redirects=False) as response:
                assert response.status == 303 and response.headers["Location"] == "/bot/", "under the proxy's path"
                cookie = response.headers["Set-Cookie"]
            assert cookie.startswith("__Host-redi_session=") and "Secure" in cookie and "HttpOnly" in cookie
            async with http.post(f"{url}/abmelden") as response:
                gone = response.headers["Set-Cookie"]
            assert gone.startswith("__Host-redi_session=") and "Max-Age=0" in gone
            assert "Secure" in gone and "Path=/" in gone, "a browser keeps a __Host- cookie deleted without Secure"


async def test_without_a_web_server_web_says_so(db: Database, tmp_path: Path) -> None:
    bot = Bot(db, tmp_path)
    assert "nicht eingerichtet" in await bot.say(ANNA, "!web")
    assert not bot.dms


async def test_behind_a_local_proxy_each_forwarded_address_has_its_own_limit(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(SIGN_IN_REFUSALS):
            async with http.get(f"{site.url}/anmelden/{'x' * 43}", headers={"X-Forwarded-For": "203.0.113.7"}) as r:
                assert r.status == 410
        async with http.get(f"{site.url}/anmelden/{'x' * 43}", headers={"X-Forwarded-For": "203.0.113.7"}) as r:
            assert r.status == 429
        async with http.get(f"{site.url}/anmelden/{'x' * 43}", headers={"X-Forwarded-For": "198.51.100.1"}) as r:
            assert r.status == 410, "another person behind the same proxy is not locked out"


async def test_a_made_up_or_stolen_looking_cookie_signs_nobody_in(site: Site) -> None:
    for cookie in ("x" * 43, "", "a" * 200, "'; DROP TABLE web_sessions; --"):
        http = aiohttp.ClientSession(cookies={"redi_session": cookie})
        async with http, http.get(f"{site.url}/beschluesse") as response:
            assert response.status == 401 and "Bitte anmelden" in await response.text()


async def test_a_decision_page_shows_its_context_and_what_superseded_it(site: Site) -> None:
    quoted = Quoted(event_id="$vorschlag", sender=BEN, body="Vorschlag: <b>Pilot</b> in Bühl ab Januar")
    await site.bot.say(ANNA, "!beschluss Pilot in Bühl startet im Januar", quoting=quoted)
    await site.bot.say(ANNA, "!beschluss ersetzen 1 Pilot in Bühl startet im Februar")
    async with await site.browser(ANNA) as http:
        async with http.get(f"{site.url}/beschluesse/1") as response:
            page = await response.text()
        assert "Bezug (zitierte Nachricht von Ben Roth)" in page and "Vorschlag: &lt;b&gt;Pilot&lt;/b&gt;" in page
        assert 'href="/beschluesse/2">Ersetzt durch Beschluss #2' in page and "ersetzt" in page
        async with http.get(f"{site.url}/beschluesse/2") as response:
            page = await response.text()
        assert 'href="/beschluesse/1">Ersetzt Beschluss #1' in page and "Februar" in page


async def test_opening_a_link_only_shows_whom_it_signs_in_and_the_button_uses_it_up(site: Site) -> None:
    """Link scanners and chat previews fetch a link before the person does: that must not use it up."""
    url = await site.link(ANNA)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for _ in range(2):
            async with http.get(url) as response:
                assert response.status == 200 and "Anmelden als Anna Berger" in await response.text()
                assert "Set-Cookie" not in response.headers
        async with http.head(url) as response:
            assert response.status == 405 and "Set-Cookie" not in response.headers
        async with http.post(url, headers={"Sec-Fetch-Site": "cross-site"}) as response:
            assert response.status == 403, "another site's form does not sign its visitor in"
        async with http.post(url, allow_redirects=False) as response:
            assert response.status == 303 and "Set-Cookie" in response.headers
        async with http.get(url) as response:
            assert response.status == 410, "used up by the button"


async def test_signing_in_again_ends_the_browsers_previous_session(site: Site) -> None:
    async with await site.browser(ANNA) as http:
        before = http.cookie_jar.filter_cookies(URL(site.url))["redi_session"].value
        await sign_in(http, await site.link(ANNA))
        after = http.cookie_jar.filter_cookies(URL(site.url))["redi_session"].value
        assert after != before
        async with aiohttp.ClientSession(cookies={"redi_session": before}) as copy, copy.get(site.url) as response:
            assert response.status == 401, "the old cookie (a copy of it, say) no longer signs in"
        async with http.get(site.url) as response:
            assert response.status == 200


async def test_requests_from_outside_never_wait_for_the_write_lock(site: Site, tmp_path: Path) -> None:
    """While the bot writes (its own queue and SQLite's lock held, as the daily purge does), a made-up cookie, a
    made-up link and a signed-in person's search and decision pages still answer at once: outside requests only
    read, so nobody outside can make the bot's writes wait either."""
    if site.bot.db.dialect != "sqlite":
        pytest.skip("SQLite's single writer")
    await site.bot.say(ANNA, "!beschluss Die E-Rechnung kommt zum 1.1.")
    anna = await site.browser(ANNA)
    made_up = f"{site.url}/anmelden/{'x' * 43}"
    writer = sqlite3.connect(tmp_path / "redi-bot.sqlite3", isolation_level=None)
    queue = site.bot.db._write_lock
    assert queue is not None
    try:
        writer.execute("BEGIN IMMEDIATE")
        await queue.acquire()
        async with anna, aiohttp.ClientSession(cookies={"redi_session": "x" * 43}) as stranger, asyncio.timeout(3):
            async with stranger.get(f"{site.url}/beschluesse") as response:
                assert response.status == 401
            async with stranger.get(made_up) as response:
                assert response.status == 410
            async with stranger.post(made_up) as response:
                assert response.status == 410
            async with anna.get(f"{site.url}/beschluesse", params={"q": "Rechnung"}) as response:
                assert response.status == 200 and "E-Rechnung" in await response.text()
            async with anna.get(f"{site.url}/beschluesse/1") as response:
                assert response.status == 200
    finally:
        queue.release()
        writer.execute("ROLLBACK")
        writer.close()


async def test_only_an_encrypted_direct_chat_gets_the_link_as_the_answer(db: Database, tmp_path: Path) -> None:
    bot = Bot(db, tmp_path, web=WebConfig("127.0.0.1", 0, "http://x"))
    said = await bot.say(ANNA, "!web", direct=True)
    assert "/anmelden/" not in said and "Direktnachricht" in said, "an unencrypted direct chat: not there"
    assert bot.dms[-1][0] == ANNA and "/anmelden/" in bot.dms[-1][1], "to the bot's own (encrypted) direct chat"
    sent = len(bot.dms)
    assert "/anmelden/" in await bot.say(ANNA, "!web", direct=True, encrypted=True)
    assert len(bot.dms) == sent


async def test_odd_forms_and_searches_get_a_friendly_answer_not_an_internal_error(site: Site) -> None:
    async with await site.browser(ANNA) as http:
        async with http.post(f"{site.url}/abmelden", data={"csrf": "ä"}) as response:
            assert response.status == 403
        form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        async with http.post(f"{site.url}/abmelden", data=b"csrf=\xff\xfe", headers=form) as response:
            assert response.status == 403
        for raw in ("q=%00", "q=von:@a%00:x", "q=%23a%01b"):  # a NUL is an internal error on PostgreSQL
            async with http.get(URL(f"{site.url}/beschluesse?{raw}", encoded=True)) as response:
                page = await response.text()
                assert response.status == 400 and "Steuerzeichen" in page, raw
        async with http.get(f"{site.url}/beschluesse", params={"q": "E-Rechnung\tseit:2020\n"}) as response:
            assert response.status == 200, "a pasted tab or line break is a space"
        async with http.get(f"{site.url}/") as response:
            assert response.status == 200, "still signed in"


async def test_while_the_bot_starts_pages_say_so_at_once_and_cookies_are_checked_first(
    db: Database, tmp_path: Path
) -> None:
    bot = Bot(db, tmp_path, room_groups=ROOMS, web=WebConfig("127.0.0.1", 0, "http://x"))
    synced = asyncio.Event()

    async def first_sync() -> None:
        await synced.wait()

    async for url in _serve(bot, People(), ready=first_sync):
        stranger = aiohttp.ClientSession(cookies={"redi_session": "x" * 43})
        async with stranger, asyncio.timeout(1), stranger.get(url) as response:
            assert response.status == 401, "a made-up cookie is answered without waiting for the bot"
        link = await Site(bot, url, People()).link(ANNA)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as anna:
            async with anna.get(link) as response:
                assert response.status == 200, "signing in needs no sync"
            async with anna.post(link, allow_redirects=False) as response:
                assert response.status == 303
            async with asyncio.timeout(READY_TIMEOUT_S + 2), anna.get(url) as response:
                assert response.status == 503 and "Retry-After" in response.headers
            synced.set()
            async with anna.get(url) as response:
                assert response.status == 200


async def test_a_failing_sign_in_page_shows_a_reference_and_logs_no_secret(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = await site.link(ANNA)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(WebRepository, "link_user", broken)
    async with aiohttp.ClientSession() as http:
        for method in (http.get, http.post):
            async with method(url) as response:
                assert response.status == 500 and "Referenz" in await response.text()
    assert "/anmelden/{token}" in caplog.text and url.rsplit("/", 1)[1] not in caplog.text


def test_a_form_is_ours_by_fetch_metadata_else_by_its_origin() -> None:
    """Browsers without `Sec-Fetch-Site` (plain HTTP off localhost, older Safari) send `Origin`; the pages' own
    referrer policy makes it the real origin, not "null", which proves nothing (sandboxed frames elsewhere send it)."""

    def ours(headers: dict[str, str], public: str = "https://Redi.Example.org:443/bot") -> bool:
        request = make_mocked_request("POST", "/abmelden", headers={"Host": "127.0.0.1:8080", **headers})
        return from_our_pages(request, public)

    assert ours({"Sec-Fetch-Site": "same-origin", "Origin": "null"})
    assert not ours({"Sec-Fetch-Site": "cross-site", "Origin": "https://redi.example.org"})
    assert ours({"Origin": "https://redi.example.org"}), "the public address, however it is spelled in the config"
    assert ours({"Origin": "http://127.0.0.1:8080"}), "the address the bot listens on"
    assert not ours({"Origin": "null"})
    assert not ours({"Origin": "https://evil.example.com"})
    assert ours({}), "neither header: no browser's cross-site form"
