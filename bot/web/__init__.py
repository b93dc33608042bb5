"""The bot's own web server ([web] in the config): calendar feeds (`!termine abo`) for Outlook, Thunderbird and phones,
and the web pages people sign in to with `!web` (`bot.web.pages`).

aiohttp, which the Matrix library brings anyway. It is meant to sit behind the city's reverse proxy (HTTPS there).
The feed and sign-in addresses hold their secret in the path, so this server writes no access log (a proxy's log should
leave the path out too; the README says how), and every answer carries headers that keep it out of frames and
referrers (only the room widget's answers may be framed, by the configured chat clients: `bot.web.widget`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from email.utils import format_datetime

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.clock import Clock
from bot.config import WebConfig
from bot.web import decisions, directory, meetings, report, substitutions, widget
from bot.web.pages import CSP_OF_REQUEST, Pages
from commands.meetings.feeds import FeedCache, Membership, calendar_feed
from storage import Database

log = logging.getLogger(__name__)

SECTIONS = (decisions, meetings, substitutions, directory, report, widget)
"""The features' pages: modules of bot.web, each with `add_routes(pages, app)`."""

TOKEN = r"[A-Za-z0-9_-]{16,64}"
SECURITY_HEADERS = {
    # No script at all, styles only from our own file, forms only to ourselves, never in a frame.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # Never to another site; to our own pages yes: a browser sends `Origin: null` with a form under "no-referrer",
    # and where it sends no `Sec-Fetch-Site` (plain HTTP off localhost, older Safari) the Origin is the only proof a
    # form is ours (`bot.web.pages.from_our_pages`).
    "Referrer-Policy": "same-origin",
}
READY_TIMEOUT_S = 2.0  # a feed waits this long for the first sync, then says "try later" (503, Retry-After)
NOT_READY = "Der Bot startet gerade; bitte später noch einmal.\nThe bot is starting; please try again later.\n"
NOT_FOUND = "Unbekannte oder gekündigte Kalender-Adresse.\nUnknown or revoked calendar address.\n"


class WebServer:
    def __init__(
        self,
        config: WebConfig,
        db: Database,
        membership: Membership,
        clock: Clock,
        *,
        server: str,
        name: Callable[[str | None], str],
        ready: Callable[[], Awaitable[None]] | None = None,
        pages: Pages | None = None,
    ) -> None:
        self.pages = pages  # the signed-in pages; without them only the calendar feeds
        self.config = config
        self.ready = ready  # until the first sync, nobody is a member of anything: wait for it rather than 404
        self.db = db
        self.membership = membership
        self.clock = clock
        self.server = server  # the bot's homeserver name: part of every event's UID
        self.name = name  # the calendar's name in the subscribing program, by the feed's room (None: all rooms)
        self.feeds = FeedCache()  # built feeds: a calendar polling an unchanged feed does not build it again
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        app = web.Application(middlewares=[_security_headers])
        for prefix in ("kalender", "calendar"):
            app.router.add_get(f"/{prefix}/{{token:{TOKEN}}}.ics", self.feed)
        if self.pages is not None:
            self.pages.add_routes(app)
            for section in SECTIONS:  # each feature's pages; what they show is decided by the feature
                section.add_routes(self.pages, app)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None)  # the path holds the secret
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.host, self.config.port).start()
        log.info("web server listening on %s:%d (%s)", self.config.host, self.port, self.config.public_url)

    @property
    def port(self) -> int:
        """The port listened on (the configured one, or the one the system chose for port 0)."""
        assert self._runner is not None, "not started"
        return int(self._runner.addresses[0][1])

    async def stop(self, grace: float = 10.0) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.pages is not None and self.pages.actions is not None:
            await self.pages.actions.close(grace)  # what the buttons sent, before the database closes

    async def feed(self, request: web.Request) -> web.StreamResponse:
        if self.ready is not None:
            try:
                await asyncio.wait_for(self.ready(), READY_TIMEOUT_S)
            except TimeoutError:
                return web.Response(status=503, text=NOT_READY, headers={"Retry-After": "60"})
        now = self.clock.now()
        found = await calendar_feed(
            self.db,
            self.membership,
            request.match_info["token"],
            server=self.server,
            name=self.name,
            now=now,
            cache=self.feeds,
        )
        if found is None:
            return web.Response(status=404, text=NOT_FOUND)
        headers = {
            "ETag": found.etag,
            "Last-Modified": format_datetime(found.last_modified.replace(microsecond=0), usegmt=True),
            # Calendars poll on their own schedule; each poll asks again, and an unchanged feed costs a 304.
            "Cache-Control": "private, no-cache",
        }
        if _not_modified(request, found.etag):
            return web.Response(status=304, headers=headers)
        return web.Response(body=found.body, content_type="text/calendar", charset="utf-8", headers=headers)


def _not_modified(request: web.Request, etag: str) -> bool:
    """By the ETag only: the feed's Last-Modified (the newest change of its meetings) does not move when a meeting
    drops out (the owner left a room, a cancellation older than 90 days), so If-Modified-Since could keep a calendar
    stale; RFC 9110 lets a server ignore it."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is None:
        return False
    return if_none_match.strip() == "*" or etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:  # 404 of an unknown path, 405 of a POST: the same headers
        exc.headers.update(_headers(request))
        raise
    for name, value in _headers(request).items():
        response.headers.setdefault(name, value)  # a chart's own, narrower policy stays (bot.web.report)
    return response


def _headers(request: web.Request) -> dict[str, str]:
    policy = request.get(CSP_OF_REQUEST)
    return SECURITY_HEADERS if policy is None else {**SECURITY_HEADERS, "Content-Security-Policy": policy}
