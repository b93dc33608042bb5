"""Calendar subscriptions (`!termine abo`) through the dispatcher, and the feed as the web server serves it over
real HTTP (SQLite and PostgreSQL): a secret address by direct message, only its hash stored, the room's meetings as
a calendar that follows changes, 304 for an unchanged feed, 404 once revoked or after the owner left the room."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import icalendar
import pytest
from sqlalchemy import text

from bot.config import WebConfig
from bot.dispatch import IncomingMessage
from bot.web import WebServer
from commands.meetings.feeds import CANCELLED_SHOWN, MAX_FEEDS, Feed, FeedCache, calendar_feed
from storage import Database
from tests.harness import GROUP_ROOM, NETWORK, Bot, direct_chat_of

ANNA, BEN = "@anna:buehl.de", "@ben:rastatt.de"
WEB = WebConfig("127.0.0.1", 0, "https://redi.example.org/bot")


class Members:
    """Who is in which room, as the transport's member lists would say."""

    def __init__(self) -> None:
        self.rooms: dict[str, set[str]] = {ANNA: {GROUP_ROOM, NETWORK}, BEN: {GROUP_ROOM}}

    def rooms_of(self, user_id: str) -> Collection[str]:
        return self.rooms.get(user_id, set())


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Bot]:
    bot = Bot(db, tmp_path, web=WEB)
    assert "eingetragen" in await bot.say(ANNA, "!termin jeden Dienstag 10:00 Jour fixe")
    yield bot


def _token(dm: str) -> str:
    found = re.search(r"https://redi\.example\.org/bot/kalender/([A-Za-z0-9_-]+)\.ics", dm)
    assert found, dm
    return found.group(1)


async def _feed(bot: Bot, members: Members, token: str) -> icalendar.Calendar | None:
    found = await calendar_feed(
        bot.db, members, token, server="example.org", name=lambda _: "re@di", now=bot.clock.now()
    )
    return None if found is None else icalendar.Calendar.from_ical(found.body)


async def test_subscribing_sends_a_secret_address_by_direct_message_and_stores_only_its_hash(bot: Bot) -> None:
    said = await bot.say(ANNA, "!termine abo")
    assert "Direktnachricht" in said and "kalender/" not in said, "the address never shows in the group"
    user, dm = bot.dms[-1]
    assert user == ANNA and "Nr. 1" in dm and "Outlook" in dm and "webcal://redi.example.org/bot/kalender/" in dm
    token = _token(dm)
    async with bot.db.transaction() as repos:
        session = repos.privacy._session
        stored = " ".join(str(v) for row in (await session.execute(text("SELECT * FROM calendar_feeds"))) for v in row)
        outbox = " ".join(str(v) for row in (await session.execute(text("SELECT * FROM outbox"))) for v in row)
    assert token not in stored and token not in outbox, "neither the table nor the outbox keeps the secret"

    calendar = await _feed(bot, Members(), token)
    assert calendar is not None
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Jour fixe" and b"RRULE:FREQ=WEEKLY" in event.to_ical()
    assert await _feed(bot, Members(), token[:-2] + "xx") is None, "an unknown token shows nothing"


async def test_the_feed_follows_changes_and_ends_when_revoked_or_the_owner_left(bot: Bot) -> None:
    await bot.say(ANNA, "!termine abo")
    token = _token(bot.dms[-1][1])
    members = Members()
    first = await calendar_feed(bot.db, members, token, server="x", name=lambda _: "re@di", now=bot.clock.now())
    again = await calendar_feed(bot.db, members, token, server="x", name=lambda _: "re@di", now=bot.clock.now())
    assert first is not None and again is not None and first.etag == again.etag, "unchanged: the same ETag"

    assert "#1" in await bot.say(ANNA, "!termin titel 1 Jour fixe Engagement")
    changed = await calendar_feed(bot.db, members, token, server="x", name=lambda _: "re@di", now=bot.clock.now())
    assert changed is not None and changed.etag != first.etag and b"Jour fixe Engagement" in changed.body
    assert changed.last_modified >= first.last_modified

    members.rooms[ANNA] = {NETWORK}  # she left the group room: its meetings are no longer hers to see
    assert await _feed(bot, members, token) is None
    members.rooms[ANNA] = {GROUP_ROOM}
    assert await _feed(bot, members, token) is not None

    assert "hast du nicht" in await bot.say(BEN, "!termine abo löschen 1")
    assert await _feed(bot, members, token) is not None, "someone else's number revokes nothing"
    assert "gekündigt" in await bot.say(ANNA, "!termine abo löschen 1")
    assert await _feed(bot, members, token) is None


async def test_all_rooms_list_revoke_and_bounds(bot: Bot) -> None:
    await bot.say(ANNA, "!termine abo alle")
    assert "aller deiner Räume" in bot.dms[-1][1]
    token = _token(bot.dms[-1][1])
    await bot.say(BEN, "!termin morgen 9 Uhr Netzwerktreffen", room=NETWORK)
    calendar = await _feed(bot, Members(), token)
    assert calendar is not None
    assert sorted(str(e["summary"]) for e in calendar.walk("VEVENT")) == ["Jour fixe", "Netzwerktreffen"]

    encrypted_chat = IncomingMessage(
        direct_chat_of(ANNA), "$e1", ANNA, "!termine abo", bot.clock.now(), is_direct=True, encrypted=True
    )
    direct = await bot.handle(encrypted_chat)
    assert direct is not None and "Nr. 2" in direct.markdown and "aller deiner Räume" in direct.markdown, (
        "in the encrypted direct chat: all rooms, answered right there"
    )
    plain = await bot.say(ANNA, "!termine abo", direct=True)  # a one-to-one room without encryption
    assert "Direktnachricht" in plain and "kalender/" not in plain, "never readable on the homeserver"
    assert "Nr. 3" in bot.dms[-1][1]
    listed = await bot.say(ANNA, "!termine abo liste")
    assert (
        "Nr. 1" in listed
        and "Nr. 2" in listed
        and "Nr. 3" in listed
        and "noch nie" not in listed.split("Nr. 1")[1].split("\n")[0]
    )
    assert "keine Kalender-Abos" in await bot.say(BEN, "!termine abo liste")
    assert "Ein Kalender-Abo Nr. 1 hast du nicht" in await bot.say(BEN, "!termine abo löschen 1")
    assert "Welches Abo?" in await bot.say(ANNA, "!termine abo löschen")
    assert "Welches Abo?" in await bot.say(ANNA, "!termine abo löschen 99999999999999")
    assert "kenne ich hier nicht" in await bot.say(ANNA, "!termine abo morgen")
    assert "3 Kalender-Abos gekündigt" in await bot.say(ANNA, "!termine abo löschen alle")
    for _ in range(MAX_FEEDS):
        await bot.say(BEN, "!termine abo")
    assert f"schon {MAX_FEEDS} Kalender-Abos" in await bot.say(BEN, "!termine abo")

    await bot.say(ANNA, "!sprache en")
    assert "direct message" in await bot.say(ANNA, "!meetings subscribe")
    assert "Outlook" in bot.dms[-1][1] and "meetings subscribe delete" in bot.dms[-1][1]


async def test_without_a_web_server_the_bot_says_how_to_get_the_file_instead(db: Database, tmp_path: Path) -> None:
    bot = Bot(db, tmp_path)
    said = await bot.say(ANNA, "!termine abo")
    assert "nicht eingerichtet" in said and "!termine ics" in said
    assert not bot.dms


# --- over HTTP ------------------------------------------------------------------------------------------


@pytest.fixture
async def server(bot: Bot) -> AsyncIterator[str]:
    web = WebServer(WEB, bot.db, Members(), bot.clock, server="example.org", name=lambda _: "re@di – Engagement")
    await web.start()
    try:
        yield f"http://127.0.0.1:{web.port}"
    finally:
        await web.stop()


async def test_the_feed_over_http_is_cacheable_and_hardened(bot: Bot, server: str) -> None:
    await bot.say(ANNA, "!termine abo")
    token = _token(bot.dms[-1][1])
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server}/kalender/{token}.ics") as response:
            assert response.status == 200 and response.content_type == "text/calendar"
            body = await response.read()
            etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        calendar = icalendar.Calendar.from_ical(body)
        assert str(calendar["x-wr-calname"]) == "re@di – Engagement"
        async with http.get(f"{server}/calendar/{token}.ics", headers={"If-None-Match": etag}) as response:
            assert response.status == 304 and not await response.read()
        async with http.get(f"{server}/kalender/{token}.ics", headers={"If-Modified-Since": modified}) as response:
            assert response.status == 200, "only the ETag says unchanged: a meeting dropping out moves no date"
        await bot.say(ANNA, "!termin ort 1 Raum 2")
        async with http.get(f"{server}/kalender/{token}.ics", headers={"If-None-Match": etag}) as response:
            assert response.status == 200 and b"Raum 2" in await response.read()
        await bot.say(ANNA, "!termine abo löschen 1")
        async with http.get(f"{server}/kalender/{token}.ics") as response:
            assert response.status == 404 and "gekündigte" in await response.text()
            assert response.headers["Referrer-Policy"] == "same-origin"
        async with http.get(f"{server}/kalender/../../etc/passwd") as response:
            assert response.status == 404
        async with http.post(f"{server}/kalender/{token}.ics") as response:
            assert response.status == 405


# --- the cache of built feeds ---------------------------------------------------------------------------


@pytest.fixture
async def cached(bot: Bot) -> AsyncIterator[tuple[WebServer, str, Members]]:
    members = Members()
    web = WebServer(WEB, bot.db, members, bot.clock, server="example.org", name=lambda _: "re@di")
    await web.start()
    try:
        yield web, f"http://127.0.0.1:{web.port}", members
    finally:
        await web.stop()


async def test_an_unchanged_feed_is_built_once_and_every_change_shows_at_once(
    bot: Bot, cached: tuple[WebServer, str, Members]
) -> None:
    web, url, members = cached
    await bot.say(ANNA, "!termine abo")
    feed_url = f"{url}/kalender/{_token(bot.dms[-1][1])}.ics"

    async def fetch(etag: str | None = None) -> tuple[int, bytes, str]:
        headers = {"If-None-Match": etag} if etag else {}
        async with aiohttp.ClientSession() as http, http.get(feed_url, headers=headers) as response:
            return response.status, await response.read(), response.headers.get("ETag", "")

    status, body, etag = await fetch()
    assert status == 200 and b"Jour fixe" in body and web.feeds.builds == 1
    for _ in range(3):
        assert (await fetch(etag))[0] == 304
        assert await fetch() == (200, body, etag)
    assert web.feeds.builds == 1, "polling an unchanged feed (304 or 200) never builds it again"

    assert "#1" in await bot.say(ANNA, "!termin titel 1 Jour fixe Engagement")
    status, changed, new_etag = await fetch(etag)
    assert status == 200 and b"Jour fixe Engagement" in changed and new_etag != etag, "a changed title at once"

    assert "fällt am 01.12.2026 aus" in await bot.say(ANNA, "!termin aussetzen 1 am 1.12.2026")
    status, skipped, skipped_etag = await fetch(new_etag)
    assert status == 200 and skipped_etag != new_etag
    [event] = icalendar.Calendar.from_ical(skipped).walk("VEVENT")
    assert b"EXDATE;TZID=Europe/Berlin:20261201T100000" in event.to_ical(), "the skipped date is left out"

    assert "eingetragen" in await bot.say(BEN, "!termin morgen 9 Uhr Sondertermin")
    status, added, _ = await fetch(skipped_etag)
    assert status == 200 and b"Sondertermin" in added, "a new meeting of someone else in the room"

    bot.clock.advance(timedelta(days=45))  # into 2027: the time zone's rules are written for the new year
    builds = web.feeds.builds
    status, _, _ = await fetch()
    assert status == 200 and web.feeds.builds == builds + 1

    members.rooms[ANNA] = {NETWORK}
    assert (await fetch())[0] == 404, "she left the room: no cached feed outlives her membership"
    members.rooms[ANNA] = {GROUP_ROOM}
    assert (await fetch())[0] == 200
    assert "gekündigt" in await bot.say(ANNA, "!termine abo löschen 1")
    assert (await fetch())[0] == 404, "revoked: gone, cache or not"


async def test_a_feed_of_every_room_drops_a_room_left_and_shows_a_cancellation(
    bot: Bot, cached: tuple[WebServer, str, Members]
) -> None:
    web, url, members = cached
    await bot.say(ANNA, "!termin morgen 9 Uhr Netzwerktreffen", room=NETWORK)
    await bot.say(ANNA, "!termine abo alle")
    feed_url = f"{url}/kalender/{_token(bot.dms[-1][1])}.ics"

    async def summaries() -> dict[str, str]:
        async with aiohttp.ClientSession() as http, http.get(feed_url) as response:
            assert response.status == 200
            events = icalendar.Calendar.from_ical(await response.read()).walk("VEVENT")
        return {str(e["summary"]): str(e.get("status", "")) for e in events}

    assert await summaries() == {"Jour fixe": "", "Netzwerktreffen": ""}
    members.rooms[ANNA] = {GROUP_ROOM}
    assert await summaries() == {"Jour fixe": ""}, "the room she left is out of the cached feed at once"
    members.rooms[ANNA] = {GROUP_ROOM, NETWORK}
    await bot.say(ANNA, "!termin absagen 2", room=NETWORK)
    assert await summaries() == {"Jour fixe": "", "Netzwerktreffen": "CANCELLED"}
    bot.clock.advance(CANCELLED_SHOWN + timedelta(days=1))
    assert await summaries() == {"Jour fixe": ""}, "an old cancellation drops out, though nothing changed"
    assert web.feeds.builds == 4


def test_the_cache_keeps_the_most_recently_used_feeds_within_its_bounds() -> None:
    cache = FeedCache(max_entries=2, max_bytes=10)
    moment = datetime(2026, 11, 21, tzinfo=UTC)

    def feed(size: int) -> Feed:
        return Feed(b"x" * size, '"e"', moment)

    cache.put("a", (1,), feed(3))
    cache.put("b", (1,), feed(3))
    assert cache.get("a", (1,)) is not None and cache.get("a", (2,)) is None, "other inputs: not this feed"
    cache.put("c", (1,), feed(3))
    assert cache.get("b", (1,)) is None and cache.get("a", (1,)) is not None, "the least recently used went"
    cache.put("d", (1,), feed(8))
    assert len(cache) == 1 and cache.get("d", (1,)) is not None, "bounded in bytes too"
    cache.put("e", (1,), feed(11))
    assert cache.get("e", (1,)) is None and len(cache) == 1, "a feed larger than the whole cache is not kept"
    cache.put("d", (2,), feed(2))
    assert len(cache) == 1 and cache.get("d", (2,)) is not None
