"""The signed-in web pages: sign-in by a `!web` link, sessions in an HttpOnly cookie, the templates, the style sheet.

Transport only: who may see what is decided by the features (`commands.web.access`, `commands.decisions.web`) on
every request, from the rooms the person shares with the bot now. Templates are Jinja2 with autoescaping on, so no
text anybody wrote becomes HTML; the pages have no script at all, and the Content-Security-Policy (`bot.web`) allows
nothing but our own style sheet.

Sessions: a link opens once within `storage.web.LINK_VALID` and starts a session whose random token lives only in the
cookie (the database keeps its SHA-256). The cookie is HttpOnly, SameSite=Strict, Path=/, and Secure (with the
`__Host-` prefix) when the public address is HTTPS. Signing out in the browser is a form with a token derived from the
session (CSRF); `!web abmelden` in chat ends every session of the person. Opening sign-in links is rate-limited per
client address, in memory (one process serves the pages).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from ipaddress import ip_address
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.clock import Clock
from bot.config import Config
from bot.errors import BadArgument, UserError, render
from bot.i18n import Catalog, Translator
from bot.replies import render_html
from commands.decisions.web import decision_view, search_view
from commands.web.access import Viewer, viewer
from storage import Database
from storage.web import SESSION_IDLE, SESSION_LONGEST

log = logging.getLogger(__name__)

TOKEN = r"[A-Za-z0-9_-]{20,64}"
SIGN_IN_ATTEMPTS = 10
"""Sign-in links a client address may open per `SIGN_IN_WINDOW`: plenty for a person, nothing for guessing."""
SIGN_IN_WINDOW = timedelta(minutes=5)
TOUCH_EVERY = timedelta(minutes=5)  # "last seen" is written at most this often
READY_TIMEOUT_S = 20.0
MAX_QUERY = 500  # characters of a search, as a chat message would hold
HTML_HEADERS = {"Cache-Control": "no-store"}  # pages show what one person may see: never in a shared cache


MESSAGES: Mapping[str, tuple[str, str, str, str]] = {
    # Pages before anyone is signed in, so in both languages: (German title, text, English title, text).
    "signed_out": (
        "Bitte anmelden",
        "Diese Seiten zeigen, was du im Chat sehen darfst. Schreib dem Bot im Chat „{prefix}web“: Er schickt dir einen "
        "Anmelde-Link per Direktnachricht, 10 Minuten gültig.",
        "Please sign in",
        "These pages show what you may see in chat. Write “{prefix}web” to the bot in chat: it sends you a sign-in "
        "link by direct message, valid for 10 minutes.",
    ),
    "link_refused": (
        "Dieser Link gilt nicht mehr",
        "Ein Anmelde-Link ist nur einmal und nur 10 Minuten gültig. Schreib dem Bot im Chat noch einmal „{prefix}web“, "
        "dann bekommst du einen neuen.",
        "This link no longer works",
        "A sign-in link works once and for 10 minutes. Write “{prefix}web” to the bot in chat again to get a new one.",
    ),
    "too_many": (
        "Zu viele Versuche",
        "Von dieser Adresse wurden gerade zu viele Anmelde-Links geöffnet. Bitte warte ein paar Minuten.",
        "Too many attempts",
        "Too many sign-in links were opened from this address just now. Please wait a few minutes.",
    ),
    "starting": (
        "Der Bot startet gerade",
        "Bitte versuche es in einer Minute noch einmal.",
        "The bot is starting",
        "Please try again in a minute.",
    ),
    "forged": (
        "Das hat nicht geklappt",
        "Dieses Formular kam nicht von unserer Seite. Lade die Seite neu und versuche es noch einmal.",
        "That did not work",
        "This form did not come from our page. Reload the page and try again.",
    ),
    "signed_out_done": (
        "Abgemeldet",
        "Du bist in diesem Browser abgemeldet. Neu anmelden: „{prefix}web“ im Chat.",
        "Signed out",
        "You are signed out in this browser. To sign in again: “{prefix}web” in chat.",
    ),
}


class People(Protocol):
    """What the Matrix transport knows about people: shared rooms, names, power levels."""

    def rooms_of(self, user_id: str) -> Collection[str]: ...

    def display_names(self, room_id: str, user_ids: Collection[str]) -> dict[str, str]: ...

    def power_level(self, room_id: str, user_id: str) -> int: ...


class RateLimit:
    """At most `limit` hits per `window` and key, in memory; old keys are forgotten as they come round."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[datetime]] = {}

    def allow(self, key: str, now: datetime) -> bool:
        for old in [k for k, hits in self._hits.items() if hits and hits[-1] <= now - self.window]:
            del self._hits[old]
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


@dataclass(frozen=True)
class SignedIn:
    session_id: int
    token: str
    viewer: Viewer
    name: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def csrf_token(session_token: str) -> str:
    """A form's proof that it came from our page: derived from the session's secret, which only the cookie holds."""
    return hmac.new(session_token.encode(), b"logout", hashlib.sha256).hexdigest()


def client_address(request: web.Request) -> str:
    """The client's address; behind a reverse proxy on this machine, the one it forwards (the last hop it added)."""
    remote = request.remote or "?"
    forwarded = request.headers.get("X-Forwarded-For")
    try:
        local = ip_address(remote).is_loopback
    except ValueError:
        local = False
    if local and forwarded:
        return forwarded.split(",")[-1].strip() or remote
    return remote


class Pages:
    def __init__(
        self,
        config: Callable[[], Config],
        db: Database,
        people: People,
        clock: Clock,
        catalog: Catalog,
        *,
        ready: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config  # the config in use, after a reload too
        self.db = db
        self.people = people
        self.clock = clock
        self.catalog = catalog
        self.ready = ready
        self.sign_ins = RateLimit(SIGN_IN_ATTEMPTS, SIGN_IN_WINDOW)
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.stylesheet = (files("bot.web") / "static" / "redi.css").read_bytes()
        self.stylesheet_etag = f'"{hashlib.sha256(self.stylesheet).hexdigest()[:16]}"'

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.home)
        app.router.add_get(f"/anmelden/{{token:{TOKEN}}}", self.sign_in)
        app.router.add_post("/abmelden", self.sign_out)
        app.router.add_get("/beschluesse", self.decisions)
        app.router.add_get("/beschluesse/{number:[0-9]{1,9}}", self.decision)
        app.router.add_get("/static/redi.css", self.css)

    # -- what every page needs ------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        """The path the reverse proxy serves us under ("/bot" for https://example.org/bot), "" at the root."""
        web_config = self.config().web
        return urlsplit(web_config.public_url).path.rstrip("/") if web_config is not None else ""

    @property
    def secure(self) -> bool:
        web_config = self.config().web
        return web_config is not None and web_config.public_url.startswith("https://")

    @property
    def cookie(self) -> str:
        return "__Host-redi_session" if self.secure else "redi_session"

    def message(self, kind: str, *, status: int) -> web.Response:
        prefix = self.config().command_prefix
        texts = tuple(text.replace("{prefix}", prefix) for text in MESSAGES[kind])
        return self.page("message.html", status=status, texts=texts, signed_in=None)

    def page(self, template: str, *, status: int = 200, language: str = "de", **values: Any) -> web.Response:
        t = self.catalog.translator(language)
        values.setdefault("current", "")
        html = self.templates.get_template(template).render(
            t=t, lang=language, base=self.base, prefix=self.config().command_prefix, **values
        )
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8", headers=HTML_HEADERS)

    async def _wait_ready(self) -> web.Response | None:
        if self.ready is None:
            return None
        try:
            await asyncio.wait_for(self.ready(), READY_TIMEOUT_S)
        except TimeoutError:
            response = self.message("starting", status=503)
            response.headers["Retry-After"] = "60"
            return response
        return None

    async def signed_in(self, request: web.Request) -> SignedIn | None:
        token = request.cookies.get(self.cookie)
        if not token or len(token) > 64:
            return None
        now = self.clock.now()
        config = self.config()
        async with self.db.transaction() as repos:
            session = await repos.web.session(token, now=now, idle=SESSION_IDLE)
            if session is None:
                return None
            if now - session.last_seen_at >= TOUCH_EVERY:
                await repos.web.touch(session.id, now=now)
            settings = await repos.users.get(session.user_id)
            profiles = await repos.profiles.get_many([session.user_id])
        user = session.user_id
        language = settings.language if settings and settings.language else config.default_language
        person = viewer(
            config,
            user,
            rooms=self.people.rooms_of(user),
            power=lambda room: self.people.power_level(room, user),
            language=language,
        )
        profile = profiles.get(user)
        name = (profile.display_name if profile else None) or self.people.display_names("", [user]).get(user) or user
        return SignedIn(session.id, token, person, name)

    def _names(self, room_id: str | None, user_ids: Collection[str]) -> Mapping[str, str]:
        return self.people.display_names(room_id or "", user_ids)

    async def _guarded(
        self, request: web.Request, show: Callable[[SignedIn], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Ready, signed in, and a friendly page with a reference instead of a trace."""
        if (waiting := await self._wait_ready()) is not None:
            return waiting
        try:
            who = await self.signed_in(request)
            if who is None:
                return self.message("signed_out", status=401)
            return await show(who)
        except web.HTTPException:
            raise
        except Exception:
            ref = secrets.token_hex(3)
            log.exception("web page %s failed (ref %s)", request.path, ref)
            return self.page("error.html", status=500, ref=ref, signed_in=None)

    # -- the pages ---------------------------------------------------------------------------------------------
    async def home(self, request: web.Request) -> web.StreamResponse:
        async def show(who: SignedIn) -> web.StreamResponse:
            return self.page(
                "home.html",
                language=who.viewer.language,
                signed_in=who,
                groups=sorted(who.viewer.groups),
                current="home",
            )

        return await self._guarded(request, show)

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        now = self.clock.now()
        if not self.sign_ins.allow(client_address(request), now):
            response = self.message("too_many", status=429)
            response.headers["Retry-After"] = str(int(SIGN_IN_WINDOW.total_seconds()))
            return response
        token = secrets.token_urlsafe(32)
        async with self.db.transaction() as repos:
            user = await repos.web.redeem_link(request.match_info["token"], now=now)
            if user is not None:
                await repos.web.start_session(user_id=user, token=token, now=now, longest=SESSION_LONGEST)
        if user is None:
            return self.message("link_refused", status=410)
        log.info("web sign-in of %s", user)
        response = web.Response(status=303, headers={"Location": f"{self.base}/", **HTML_HEADERS})
        response.set_cookie(
            self.cookie,
            token,
            max_age=int(SESSION_LONGEST.total_seconds()),
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="Strict",
        )
        return response

    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        who = await self.signed_in(request)
        form = await request.post()
        if who is not None and hmac.compare_digest(str(form.get("csrf", "")), who.csrf):
            async with self.db.transaction() as repos:
                await repos.web.end_sessions(who.viewer.user_id, now=self.clock.now(), session_id=who.session_id)
        elif who is not None:
            return self.message("forged", status=403)
        response = self.message("signed_out_done", status=200)
        response.del_cookie(self.cookie, path="/")
        return response

    async def decisions(self, request: web.Request) -> web.StreamResponse:
        async def show(who: SignedIn) -> web.StreamResponse:
            text = request.query.get("q", "")[:MAX_QUERY]
            try:
                page = int(request.query.get("seite", "1"))
            except ValueError:
                page = 1
            t = self.catalog.translator(who.viewer.language)
            values: dict[str, Any] = {"signed_in": who, "q": text, "view": None, "error": None}
            status = 200
            try:
                values["view"] = await search_view(
                    self.db, who.viewer, self.config(), t, text, page, now=self.clock.now(), members=self._names
                )
            except UserError as error:
                status = 400 if isinstance(error, BadArgument) else 403
                values["error"] = Markup(
                    render_html(render(error, self.catalog, t.language, self.config().command_prefix))
                )
            values["page_link"] = lambda n: f"{self.base}/beschluesse?" + urlencode({"q": text, "seite": n})
            return self.page(
                "decisions.html", status=status, language=who.viewer.language, current="decisions", **values
            )

        return await self._guarded(request, show)

    async def decision(self, request: web.Request) -> web.StreamResponse:
        async def show(who: SignedIn) -> web.StreamResponse:
            t: Translator = self.catalog.translator(who.viewer.language)
            number = int(request.match_info["number"])
            view = await decision_view(self.db, who.viewer, self.config(), t, number, members=self._names)
            if view is None:  # unknown and not visible look the same from outside
                texts = (t("page.not_found_title"), t("page.not_found"), "", "")
                return self.page("message.html", status=404, language=t.language, texts=texts, signed_in=who)
            return self.page("decision.html", language=t.language, signed_in=who, d=view, current="decisions")

        return await self._guarded(request, show)

    async def css(self, request: web.Request) -> web.StreamResponse:
        headers = {"ETag": self.stylesheet_etag, "Cache-Control": "public, max-age=3600"}
        if request.headers.get("If-None-Match") == self.stylesheet_etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=self.stylesheet, content_type="text/css", charset="utf-8", headers=headers)
