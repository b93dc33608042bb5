"""The web pages and the calendar feed over HTTP, in-process, on SQLite and PostgreSQL (issue #17).

    .venv/bin/python bench/web.py [--decisions 100000] [--requests 100] [--pg URL | --no-pg]

PostgreSQL: `--pg`, by default $REDI_TEST_DATABASE_URL (else the local database `test`), in a schema of its own that
is dropped afterwards; skipped with a note when it cannot be reached.

The decision log is `bench/decisions.py`'s fill (imported from it: the same texts, groups, tags, three years). The
bot's real web server (`bot.web.WebServer` with `bot.web.pages.Pages`) listens on 127.0.0.1; no homeserver: a fake
member list says who is in which room. One person, in every group's room and the network room (not a coordinator),
is signed in by a session started through the repository, as `!web`'s link would start it; a feed token is added
through the repository, as `!termine abo` adds it, for a group room with 50 meetings (weekly, fortnightly and
monthly series with skipped dates, one-off meetings, some cancelled).

Measured, `--requests` each after a warm-up, one request at a time by an aiohttp client in the same process:
- a filtered search page, `/beschluesse?q=<word> gruppe:"<group>" seit:<date>` (words from the most common to rare
  ones and a word start, every group, dates from a month to three years back): goal p95 <= 100 ms;
- an unfiltered word search (`/beschluesse?q=<word>`) and a decision page (`/beschluesse/<n>`): no goal;
- the calendar feed of the room with 50 meetings (`/kalender/<token>.ics`): goal p95 <= 50 ms; and the same feed
  unchanged (If-None-Match: 304), and built on every request (its cache off, as after each change), no goal;
- the meetings pages of the same person (`/termine`, `/termine/monat?m=…` over the year): no goal;
- baseline: a handler that answers "ok", added to the same app and served by the same server, so the framework's
  and the client's own cost is visible.
Two figures per request: "round trip" (the client's, request sent to body read; the goals are judged on it) and
"server" (an outermost middleware's: request received to the response with its body built).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler
from common import PG_URL, ROOT, percentile, pg_schema
from decisions import GROUPS, NOW, Corpus, build_index, fill

from bot.app import all_routers
from bot.clock import FakeClock
from bot.config import Config, WebConfig, load_config
from bot.dispatch import catalog_of
from bot.web import WebServer
from bot.web.pages import Pages
from commands.meetings.feeds import FeedCache, calendar_name
from storage import Database
from storage.text import fold
from storage.web import SESSION_LONGEST

SEARCH_P95_MS = 100
FEED_P95_MS = 50
WARM_UP = 10
MEETINGS = 50
PERSON = "@anna:buehl.de"
NETWORK = "!netzwerk:example.org"  # bench/decisions.py's room of decisions without a group
ROOMS = {f"!{fold(group)}:example.org": group for group in GROUPS}  # as bench/decisions.py names them
RESULTS: list[bool] = []  # each goal's verdict, per database
FEED_ROOM = next(room for room, group in ROOMS.items() if group == "Sensorik")


class People:
    """The transport's member lists, faked: the person is in every group's room and the network room."""

    def __init__(self) -> None:
        self.rooms = {PERSON: {*ROOMS, NETWORK}}

    def rooms_of(self, user_id: str) -> Collection[str]:
        return self.rooms.get(user_id, set())

    def display_names(self, room_id: str, user_ids: Collection[str]) -> dict[str, str]:
        return {user: "Anna Berger" for user in user_ids if user == PERSON}

    def power_level(self, room_id: str, user_id: str) -> int:
        return 0


def bench_config(tmp: str) -> Config:
    example = load_config(ROOT / "config.example.toml", env={})
    return replace(
        example,
        data_dir=Path(tmp),
        database_url="unused",
        network_room=NETWORK,
        coordinators=frozenset(),
        groups=GROUPS,
        room_groups=ROOMS,
        web=WebConfig("127.0.0.1", 0, "http://127.0.0.1"),
    )


async def add_meetings(db: Database) -> None:
    """50 meetings in the feed's room: a third series (weekly, fortnightly, monthly) with two or three dates skipped,
    the rest one-off; every 8th cancelled (recently, so the feed still shows it)."""
    rng = random.Random(5)
    rules = ("FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", "FREQ=MONTHLY;BYDAY=+1WE")
    async with db.transaction() as repos:
        for n in range(MEETINGS):
            start = (NOW - timedelta(days=60) + timedelta(days=rng.randint(0, 120))).replace(minute=0, second=0)
            series = n % 3 == 0
            meeting = await repos.meetings.add(
                room_id=FEED_ROOM,
                title=f"Treffen Sensorik {n + 1}: LoRaWAN und Pegelsensoren",
                start=start,
                timezone="Europe/Berlin",
                rrule=rules[n % len(rules)] if series else None,
                duration_minutes=rng.choice([30, 60, 90]),
                offsets=[86400, 900],
                created_by=PERSON,
                now=NOW - timedelta(days=90),
                place="Rathaus Bühl, Raum 2" if n % 2 else None,
                agenda="1. Stand der Sensoren\n2. Ausschreibung\n3. Verschiedenes" if n % 4 == 0 else None,
            )
            if series:
                step = 7 if "WEEKLY;BYDAY" in rules[n % len(rules)] else 14
                for k in range(rng.randint(2, 3)):
                    await repos.meetings.skip(meeting.id, start + timedelta(days=step * (k + 1)), now=NOW)
            if n % 8 == 7:
                await repos.meetings.cancel(meeting.id, now=NOW - timedelta(days=rng.randint(1, 60)))


@dataclass
class Timed:
    round_trip: list[float]
    server: list[float]


async def run_requests(
    http: aiohttp.ClientSession,
    base: str,
    paths: list[str],
    server_times: list[float],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Timed:
    """Each path in turn, after a warm-up with the first few; ms per request."""
    for path in paths[:WARM_UP]:
        async with http.get(base + path, headers=headers) as response:
            await response.read()
    server_times.clear()
    round_trip = []
    for path in paths:
        start = time.perf_counter()
        async with http.get(base + path, headers=headers) as response:
            body = await response.read()
        round_trip.append((time.perf_counter() - start) * 1000)
        assert response.status == status, (path, response.status, body[:2000])
    return Timed(round_trip, list(server_times))


def line(label: str, timed: Timed, goal: float | None = None) -> str:
    rt, sv = timed.round_trip, timed.server
    text = (
        f"  {label:<44} round trip p50 {statistics.median(rt):6.1f}  p95 {percentile(rt, 95):6.1f}  "
        f"max {max(rt):6.1f} ms | server p50 {statistics.median(sv):6.1f}  p95 {percentile(sv, 95):6.1f} ms"
    )
    if goal is not None:
        text += f"  goal p95 <= {goal:.0f} ms: {'PASS' if percentile(rt, 95) <= goal else 'FAIL'}"
    return text


def search_paths(corpus: Corpus, rng: random.Random, count: int, *, filtered: bool) -> list[str]:
    """Words from the most common noun to rare ones, and word starts; with a group and a date when filtered."""
    nouns = corpus.nouns[0]
    words = [nouns[0], nouns[3], nouns[20], nouns[100], nouns[400], nouns[900], nouns[10][:5], "Schul", "verl"]
    paths = []
    for n in range(count):
        text = words[n % len(words)]
        if filtered:
            since = NOW - timedelta(days=rng.choice([30, 90, 365, 730, 1095]))
            text += f' gruppe:"{GROUPS[n % len(GROUPS)]}" seit:{since:%d.%m.%Y}'
        paths.append("/beschluesse?" + urlencode({"q": text}))
    return paths


async def measure(label: str, url: str, count: int, runs: int, connect_args: dict[str, Any] | None = None) -> None:
    """Fill, serve, request; prints the figures (the goals' verdicts go to RESULTS)."""
    rng = random.Random(7)
    corpus = Corpus.build(rng)
    db = Database(url, connect_args=connect_args)
    with tempfile.TemporaryDirectory(prefix="redi-bench-web-") as tmp:
        config = bench_config(tmp)
        try:
            await db.upgrade()
            t0 = time.perf_counter()
            await fill(db, count, corpus, rng)
            await build_index(db)
            await add_meetings(db)
            session_token, feed_token = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
            async with db.transaction() as repos:
                await repos.web.start_session(user_id=PERSON, token=session_token, now=NOW, longest=SESSION_LONGEST)
                await repos.feeds.add(user_id=PERSON, room_id=FEED_ROOM, token=feed_token, now=NOW)
            print(f"{label}: {count} decisions and {MEETINGS} meetings filled and indexed in "
                  f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
            await serve_and_measure(db, config, corpus, runs, session_token, feed_token)
        finally:
            await db.dispose()


async def serve_and_measure(
    db: Database, config: Config, corpus: Corpus, runs: int, session_token: str, feed_token: str
) -> None:
    clock = FakeClock(NOW)
    people = People()
    pages = Pages(lambda: config, db, people, clock, catalog_of(all_routers()))
    assert config.web is not None
    server = WebServer(
        config.web, db, people, clock, server="example.org", name=lambda room: calendar_name(config, room), pages=pages
    )
    app = server.application()
    server_times: list[float] = []

    @web.middleware
    async def timing(request: web.Request, handler: Handler) -> web.StreamResponse:
        start = time.perf_counter()
        try:
            return await handler(request)
        finally:
            server_times.append((time.perf_counter() - start) * 1000)

    async def ok(_request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")

    app.middlewares.insert(0, timing)
    app.router.add_get("/bench/ok", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    rng = random.Random(13)
    try:
        cookies = {pages.cookie: session_token}
        async with aiohttp.ClientSession(cookies=cookies) as http:
            baseline = await run_requests(http, base, ["/bench/ok"] * runs, server_times)
            print(line("baseline: a handler answering 'ok'", baseline))
            filtered = await run_requests(http, base, search_paths(corpus, rng, runs, filtered=True), server_times)
            print(line("search: word gruppe:… seit:…", filtered, SEARCH_P95_MS))
            RESULTS.append(percentile(filtered.round_trip, 95) <= SEARCH_P95_MS)
            unfiltered = await run_requests(http, base, search_paths(corpus, rng, runs, filtered=False), server_times)
            print(line("search: a word, no filter (10 groups' rooms)", unfiltered))
            count = await decision_count(db)
            pages_ = [f"/beschluesse/{rng.randint(1, count)}" for _ in range(runs)]
            print(line("a decision's page", await run_requests(http, base, pages_, server_times)))
            meetings = await run_requests(http, base, ["/termine"] * runs, server_times)
            print(line("meetings page (/termine)", meetings))
            months = [f"/termine/monat?m={NOW.year}-{n % 12 + 1:02d}" for n in range(runs)]
            print(line("month view (/termine/monat)", await run_requests(http, base, months, server_times)))
        async with aiohttp.ClientSession() as http:
            feed_path = f"/kalender/{feed_token}.ics"
            async with http.get(base + feed_path) as response:
                body = await response.read()
                etag = response.headers["ETag"]
            events = body.count(b"BEGIN:VEVENT")
            feed = await run_requests(http, base, [feed_path] * runs, server_times)
            print(line(f"calendar feed ({events} events, {len(body) // 1024} KiB)", feed, FEED_P95_MS))
            RESULTS.append(percentile(feed.round_trip, 95) <= FEED_P95_MS)
            unchanged = await run_requests(
                http, base, [feed_path] * runs, server_times, status=304, headers={"If-None-Match": etag}
            )
            print(line("calendar feed unchanged (304)", unchanged))
            server.feeds = FeedCache(max_entries=0)  # keeps nothing: every request builds, as after a change
            built = await run_requests(http, base, [feed_path] * runs, server_times)
            print(line("calendar feed built each time (cache off)", built))
    finally:
        await runner.cleanup()


async def decision_count(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.exec_driver_sql("SELECT count(*) FROM decisions")).scalar_one())


async def main(count: int, runs: int, pg_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="redi-bench-web-") as tmp:
        await measure("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", count, runs)
    if pg_url:
        async with pg_schema(pg_url) as connect_args:
            if connect_args is not None:
                await measure("postgresql", pg_url, count, runs, connect_args)
    print(
        f"\ngoals (p95 of the round trip on 127.0.0.1): search page with filters <= {SEARCH_P95_MS} ms, "
        f"calendar feed of {MEETINGS} meetings <= {FEED_P95_MS} ms: {'PASS' if all(RESULTS) else 'FAIL'}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--pg", default=PG_URL, help="default: $REDI_TEST_DATABASE_URL, else the local `test`")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.decisions, max(20, args.requests), None if args.no_pg else args.pg))
