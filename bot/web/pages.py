"""The signed-in web pages: sign-in by a `!web` link, sessions in an HttpOnly cookie, the templates, the style sheet.

Transport only: who may see what is decided by the features (`commands.web.access`, `commands.decisions.web`) on
every request, from the rooms the person shares with the bot now. Templates are Jinja2 with autoescaping on, so no
text anybody wrote becomes HTML; the pages have no script at all (but the room widget's sign-in page, `bot.web.widget`),
and the Content-Security-Policy (`bot.web`) allows nothing but our own style sheet.

Sessions: opening a link shows whom it signs in and a button; the button's POST uses the link up (once, within
`storage.web.LINK_VALID`), ends the browser's previous session and starts one whose random token lives only in the
cookie (the database keeps its SHA-256). The cookie is HttpOnly, SameSite=Strict, Path=/, and Secure (with the
`__Host-` prefix) when the public address is HTTPS. Signing out in the browser is a form with a token derived from the
session (CSRF); `!web abmelden` in chat ends every session of the person. Refused sign-in links are rate-limited per
client address, in memory (one process serves the pages). Requests from outside only read the database (SQLite's
write lock is taken to use a link up, to sign out, and for "last seen" at most every `TOUCH_EVERY`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from ipaddress import IPv6Address, ip_address, ip_network
from typing import Any, Protocol
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.clock import Clock
from bot.config import Config
from bot.dispatch import Performed
from bot.errors import BadArgument, NotFound, UserError, render
from bot.i18n import Catalog
from bot.replies import render_html
from commands.web.access import Viewer, viewer
from storage import Database, Repositories
from storage.web import SESSION_IDLE, SESSION_LONGEST, WebSessionRecord

log = logging.getLogger(__name__)

TOKEN = r"[A-Za-z0-9_-]{20,64}"
SIGN_IN_REFUSALS = 30
"""Refused sign-in links (wrong, used, expired) per client address and `SIGN_IN_WINDOW` before the address has to
wait: plenty for people clicking an old link, nothing for guessing 256-bit tokens. Valid links do not count."""
SIGN_IN_WINDOW = timedelta(minutes=5)
TOUCH_EVERY = timedelta(minutes=5)  # "last seen" is written at most this often
READY_TIMEOUT_S = 2.0  # a page waits this long for the first sync, then says "starting" (503)
MAX_QUERY = 500  # characters of a search, as a chat message would hold
HTML_HEADERS = {"Cache-Control": "no-store"}  # pages show what one person may see: never in a shared cache
CSP_OF_REQUEST = web.RequestKey("redi.csp", str)
"""Where a section's middleware puts another Content-Security-Policy for its answer (the room widget's frames,
`bot.web.widget`); `bot.web` sends its strict one otherwise."""


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


class Actions(Protocol):
    """Commands run by a page's button as the signed-in person typed them in chat (`bot.dispatch.OnBehalf`)."""

    async def perform(self, sender: str, command_line: str) -> Performed: ...

    async def close(self, grace: float = 10.0) -> None: ...


class RateLimit:
    """At most `limit` hits per `window` and key, in memory, in constant time per request: a fixed window per key,
    at most `max_keys` keys (the least recently hit are forgotten first), and keys whose window has passed are swept
    at most once per window. Only refused sign-in links count as hits (`Pages.sign_in`), so colleagues behind one
    address never lock each other out by signing in."""

    def __init__(self, limit: int, window: timedelta, *, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: OrderedDict[str, tuple[datetime, int]] = OrderedDict()  # key: (window's start, hits in it)
        self._swept: datetime | None = None

    def blocked(self, key: str, now: datetime) -> bool:
        self._sweep(now)
        hit = self._hits.get(key)
        return hit is not None and hit[0] > now - self.window and hit[1] >= self.limit

    def hit(self, key: str, now: datetime) -> None:
        self._sweep(now)
        started, count = self._hits.pop(key, (now, 0))
        if started <= now - self.window:
            started, count = now, 0
        while len(self._hits) >= self.max_keys:
            self._hits.popitem(last=False)
        self._hits[key] = (started, count + 1)

    def __len__(self) -> int:
        return len(self._hits)

    def _sweep(self, now: datetime) -> None:
        if self._swept is not None and now - self._swept < self.window:
            return
        self._swept = now
        self._hits = OrderedDict((key, hit) for key, hit in self._hits.items() if hit[0] > now - self.window)


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
    """A form's proof that it came from our page: derived from the session's secret, which only the cookie holds.
    Every form of a signed-in page carries it (`base.html`'s sign-out, a feature's buttons)."""
    return hmac.new(session_token.encode(), b"logout", hashlib.sha256).hexdigest()


_OWN_REQUESTS = ("same-origin", "none")


def from_our_pages(request: web.Request, public_url: str | None) -> bool:
    """Whether a POST comes from one of our own pages (checked before any sign-in, sign-out or button does anything):
    by the browser's `Sec-Fetch-Site`, or where a browser does not send it (Safari before 16.4), by `Origin`, which
    browsers send with every form posted from another site. A request with neither is no cross-site form."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    # Behind a reverse proxy the request's own host is the proxy's upstream, so the public address counts too.
    return _origin(origin) in {_origin(f"{request.scheme}://{request.host}"), _origin(public_url or "")} - {None}


def _origin(url: str) -> str | None:
    """An address's origin as a browser writes it: scheme and host in lower case, no default port ("null" and
    anything else without a host: None, which matches nothing)."""
    parts = urlsplit(url.strip())
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None and port != default else "")


async def form_of(request: web.Request, token: str) -> Mapping[str, str] | None:
    """A POSTed form's text fields, or None when it did not come from our page (its `csrf` field does not match the
    session whose cookie `token` is): the check every form of a feature's page makes before it changes anything."""
    try:
        posted = await request.post()
    except ValueError:  # bytes that are no form (not UTF-8): no form of ours either
        return None
    fields = {key: value for key, value in posted.items() if isinstance(value, str)}
    sent = fields.get("csrf", "")
    if not hmac.compare_digest(sent.encode(), csrf_token(token).encode()):
        return None
    return fields


def client_address(request: web.Request) -> str:
    """The client's address; behind a reverse proxy on this machine, the one it forwards (the last hop it added)."""
    remote = request.remote or "?"
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and _loopback(remote):
        return forwarded.split(",")[-1].strip()[:64] or remote
    return remote


def _loopback(address: str) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, IPv6Address) else None  # ::ffff:127.0.0.1 on a dual-stack socket
    return (mapped or ip).is_loopback


def limit_key(address: str) -> str:
    """Whom a rate limit counts: an IPv4 address, or an IPv6 /64 (one household or office gets a whole /64, so
    counting single addresses would count nothing)."""
    try:
        ip = ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ip_network(f"{ip}/64", strict=False))
    return str(ip)


class _Starting(Exception):
    """The bot has not synced yet, so nobody is a member of anything: a page would show nothing (503)."""


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
        actions: Actions | None = None,
    ) -> None:
        self.config = config  # the config in use, after a reload too
        self.actions = actions  # what buttons do; without it, pages only show
        self.db = db
        self.people = people
        self.clock = clock
        self.catalog = catalog
        self.ready = ready
        self.refusals = RateLimit(SIGN_IN_REFUSALS, SIGN_IN_WINDOW)
        # Cookies besides the browser's that hold a session (the room widget's, `bot.web.widget`), each with how a
        # sign-out deletes it; asked after the browser's cookie.
        self.other_sessions: dict[str, Callable[[web.StreamResponse], None]] = {}
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
        # Opening a link only shows whom it signs in (link scanners and chat previews fetch it too); the button's
        # POST signs in. HEAD would answer as GET does, harmlessly, but nobody needs it.
        app.router.add_get(f"/anmelden/{{token:{TOKEN}}}", self.sign_in_page, allow_head=False)
        app.router.add_post(f"/anmelden/{{token:{TOKEN}}}", self.sign_in)
        app.router.add_post("/abmelden", self.sign_out)
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

    def from_our_pages(self, request: web.Request) -> bool:
        web_config = self.config().web
        return from_our_pages(request, web_config.public_url if web_config is not None else None)

    def refusal(self, error: UserError, language: str) -> tuple[int, Markup]:
        """A command's refusal on a page: its HTTP status (a bad argument 400, something unknown 404, not allowed
        403) and its text as chat words it, rendered from its Markdown (escaped, sanitised)."""
        status = 400 if isinstance(error, BadArgument) else 404 if isinstance(error, NotFound) else 403
        return status, Markup(render_html(render(error, self.catalog, language, self.config().command_prefix)))

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

    async def wait_ready(self) -> None:
        if self.ready is None:
            return
        try:
            await asyncio.wait_for(self.ready(), READY_TIMEOUT_S)
        except TimeoutError:
            raise _Starting from None

    async def _person(self, repos: Repositories, user: str) -> tuple[str, str]:
        """The person's language and name: the profile's name, else the one the rooms show, else the Matrix id."""
        settings = await repos.users.get(user)
        profiles = await repos.profiles.get_many([user])
        language = settings.language if settings and settings.language else self.config().default_language
        profile = profiles.get(user)
        name = (profile.display_name if profile else None) or self.people.display_names("", [user]).get(user) or user
        return language, name

    async def _session(self, request: web.Request) -> tuple[WebSessionRecord, str] | None:
        """The live session of the request's cookie, and the cookie's token. Read only, so a made-up cookie never
        takes SQLite's write lock; "last seen" is written at most every `TOUCH_EVERY`."""
        now = self.clock.now()
        for name in (self.cookie, *self.other_sessions):
            token = request.cookies.get(name)
            if not token or len(token) > 64:
                continue
            if name != self.cookie and request.headers.get("Sec-Fetch-Site", "same-origin") not in _OWN_REQUESTS:
                # The widget's cookie (SameSite=None) also comes along with requests that another frame in the same
                # chat client makes to us; only requests of our own pages, or the widget's own loading, count.
                continue
            async with self.db.reading() as repos:
                session = await repos.web.session(token, now=now, idle=SESSION_IDLE)
            if session is None:
                continue
            if now - session.last_seen_at >= TOUCH_EVERY:
                async with self.db.transaction() as repos:
                    await repos.web.touch(session.id, now=now)
            return session, token
        return None

    async def signed_in(self, request: web.Request) -> SignedIn | None:
        """Who is signed in; raises `_Starting` for a live session before the bot's first sync."""
        found = await self._session(request)
        if found is None:
            return None
        session, token = found
        await self.wait_ready()
        async with self.db.reading() as repos:
            language, name = await self._person(repos, session.user_id)
        user = session.user_id
        person = viewer(
            self.config(),
            user,
            rooms=self.people.rooms_of(user),
            power=lambda room: self.people.power_level(room, user),
            language=language,
        )
        return SignedIn(session.id, token, person, name)

    def names(self, room_id: str | None, user_ids: Collection[str]) -> Mapping[str, str]:
        return self.people.display_names(room_id or "", user_ids)

    async def safely(
        self, request: web.Request, answer: Callable[[], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """A friendly page with a reference instead of a trace; 503 while the bot starts."""
        try:
            return await answer()
        except web.HTTPException:
            raise
        except _Starting:
            response = self.message("starting", status=503)
            response.headers["Retry-After"] = "60"
            return response
        except Exception:
            ref = secrets.token_hex(3)
            resource = request.match_info.route.resource
            # The route, not the path: a sign-in link's path holds its secret.
            log.exception("web page %s failed (ref %s)", resource.canonical if resource else "?", ref)
            return self.page("error.html", status=500, ref=ref, signed_in=None)

    async def guarded(
        self, request: web.Request, show: Callable[[SignedIn], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Signed in (checked before waiting for the bot to be ready), else the page saying how to sign in; and sharing
        a room with the bot now, else the page saying how to get back: every page shows what chat would, and chat
        reaches only who shares a room with the bot (a session lasts days; leaving every room ends its reach)."""

        async def answer() -> web.StreamResponse:
            who = await self.signed_in(request)
            if who is None:
                return self.message("signed_out", status=401)
            if not who.viewer.rooms:
                t = self.catalog.translator(who.viewer.language)
                texts = (t("page.no_room_title"), t("page.no_room"), "", "")
                return self.page("message.html", status=403, language=t.language, texts=texts, signed_in=who)
            return await show(who)

        return await self.safely(request, answer)

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

        return await self.guarded(request, show)

    def _too_many(self) -> web.Response:
        response = self.message("too_many", status=429)
        response.headers["Retry-After"] = str(int(SIGN_IN_WINDOW.total_seconds()))
        return response

    async def sign_in_page(self, request: web.Request) -> web.StreamResponse:
        """Whom the link signs in, with the button that does: a GET changes nothing. The button's POST also makes the
        sign-in a same-site navigation, so the SameSite=Strict cookie comes along even when the link was clicked in
        a chat client on another site."""

        async def answer() -> web.StreamResponse:
            token, now, address = request.match_info["token"], self.clock.now(), limit_key(client_address(request))
            if self.refusals.blocked(address, now):
                return self._too_many()
            async with self.db.reading() as repos:
                user = await repos.web.link_user(token, now=now)
                person = None if user is None else await self._person(repos, user)
            if person is None:
                self.refusals.hit(address, now)
                return self.message("link_refused", status=410)
            language, name = person
            return self.page("signin.html", language=language, name=name, token=token, signed_in=None)

        return await self.safely(request, answer)

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        """Uses the link up (one conditional UPDATE, after a read so that made-up links never take the write lock),
        ends the browser's previous session, starts a new one."""

        async def answer() -> web.StreamResponse:
            token, now, address = request.match_info["token"], self.clock.now(), limit_key(client_address(request))
            if self.refusals.blocked(address, now):
                return self._too_many()
            if not self.from_our_pages(request):
                return self.message("forged", status=403)  # another site's form would sign its visitor in as someone
            async with self.db.reading() as repos:
                valid = await repos.web.link_user(token, now=now) is not None
            user, session_token = None, secrets.token_urlsafe(32)
            if valid:
                previous = request.cookies.get(self.cookie)
                async with self.db.transaction() as repos:
                    user = await repos.web.redeem_link(token, now=now)
                    if user is not None:
                        if previous and len(previous) <= 64:
                            await repos.web.revoke_session(previous, now=now)
                        await repos.web.start_session(
                            user_id=user, token=session_token, now=now, longest=SESSION_LONGEST
                        )
            if user is None:
                self.refusals.hit(address, now)
                return self.message("link_refused", status=410)
            log.debug("web sign-in")
            response = web.Response(status=303, headers={"Location": f"{self.base}/", **HTML_HEADERS})
            response.set_cookie(
                self.cookie,
                session_token,
                max_age=int(SESSION_LONGEST.total_seconds()),
                path="/",
                secure=self.secure,
                httponly=True,
                samesite="Strict",
            )
            return response

        return await self.safely(request, answer)

    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        async def answer() -> web.StreamResponse:
            if not self.from_our_pages(request):  # another site must not sign anyone out either
                return self.message("forged", status=403)
            found = await self._session(request)
            if found is not None:
                session, token = found
                if await form_of(request, token) is None:
                    return self.message("forged", status=403)
                async with self.db.transaction() as repos:
                    await repos.web.end_sessions(session.user_id, now=self.clock.now(), session_id=session.id)
            response = self.message("signed_out_done", status=200)
            # The same attributes as when it was set: a browser keeps a __Host- cookie that is deleted without Secure.
            response.del_cookie(self.cookie, path="/", secure=self.secure, httponly=True, samesite="Strict")
            for name, delete in self.other_sessions.items():
                if name in request.cookies:
                    delete(response)
            return response

        return await self.safely(request, answer)

    async def css(self, request: web.Request) -> web.StreamResponse:
        headers = {"ETag": self.stylesheet_etag, "Cache-Control": "public, max-age=3600"}
        if request.headers.get("If-None-Match") == self.stylesheet_etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=self.stylesheet, content_type="text/css", charset="utf-8", headers=headers)
