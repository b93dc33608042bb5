"""The pages as a Matrix room widget (`!widget` adds it to a room): signed in by the chat client's word, not a link.

A widget is our page in an iframe of the chat client (Element). The client hands a widget, if the person allows it,
an OpenID token of their account (the widget API's `get_openid`, a postMessage exchange); the homeserver that
issued it says whose it is (`GET /_matrix/federation/v1/openid/userinfo`). So:

1. `/widget` is the widget's address: a page with our one script (`static/widget.js`, hand-written: the exchange is
   four messages, and a library would be a hundred times the code to review). The script answers the client's
   `capabilities` (we want none), asks for the token and posts it in a form to
2. `/widget/anmelden`, which asks the bot's own homeserver, and only it, who the token belongs to. Whatever server
   the client names (`matrix_server_name`) must be the homeserver's own: asking a server the client names would
   let anyone run a "homeserver" that vouches for any user id. The answer (`sub`) must be a user of that
   homeserver, not the bot itself, who shares a room with the bot (the same people who can ask `!web` in chat);
   what the pages then show is decided per request from their rooms, as for any session.
3. The session is a row of `web_sessions` like a `!web` session (so `!web abmelden` ends it), in a cookie of its
   own: the browser's cookie is SameSite=Strict and is not sent in the chat client's frame on another site. The
   widget's cookie is `SameSite=None; Secure; Partitioned` (CHIPS): the browser keeps it only for frames inside
   that chat client's site, so no other site's page can use it, and browsers that block third-party cookies keep
   partitioned ones. A browser that keeps neither is detected after the sign-in (`/widget/weiter`), which then
   offers the pages in a tab of their own.

Frames: every other page keeps `frame-ancestors 'none'`. Only the widget's pages, and pages asked for with the
widget's cookie, may be shown in a frame, and only by the chat clients in `[web].widget_parents`, so no other site
can lay our buttons under its own (clickjacking). The forms in the widget keep their CSRF tokens; the sign-in form
is accepted only from our own page (`Sec-Fetch-Site`), so another site cannot sign a visitor in as someone else.
Every OpenID token each opening of the widget brings signs in afresh, and the previous widget session ends: who
uses the chat client now is who the pages show. Refused tokens count against the same per-address limit as
refused sign-in links.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from importlib.resources import files
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.web.pages import CSP_OF_REQUEST, HTML_HEADERS, Pages, client_address, limit_key

log = logging.getLogger(__name__)

COOKIE = "__Host-redi_widget"
"""`__Host-`: only ever set by this host, over HTTPS, for the whole path; a browser refuses anything else."""
SESSION = timedelta(hours=12)
"""The widget signs in again each time it is opened, so its session only has to last a working day."""
USERINFO = "/_matrix/federation/v1/openid/userinfo"
TOKEN_LIFETIME = timedelta(hours=1)  # Synapse's OpenID tokens expire after an hour
USERINFO_TIMEOUT_S = 10.0
MAX_TOKEN = 512  # Synapse's are 24 characters; generous for other servers, bounded before it goes anywhere
_TOKEN = re.compile(rf"[\x21-\x7e]{{8,{MAX_TOKEN}}}")  # printable ASCII, no spaces: nothing else is a token
_USER_ID = re.compile(r"@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(?::\d{1,5})?")


class UsedTokens:
    """The OpenID tokens that were offered for sign-in, by SHA-256, for as long as a token can live: each signs in
    once. In memory (one process serves the pages), at most `max_tokens`, the oldest forgotten first: a flood of
    10,000 made-up tokens within the hour (from many addresses, as refusals are rate-limited per address) could
    make an old one usable again, which is preferred to refusing everybody's new tokens. `TOKEN_LIFETIME` is
    Synapse's; a homeserver configured for longer-lived tokens keeps them unusable here for an hour only."""

    def __init__(self, *, lifetime: timedelta = TOKEN_LIFETIME, max_tokens: int = 10_000) -> None:
        self.lifetime = lifetime
        self.max_tokens = max_tokens
        self._seen: OrderedDict[str, datetime] = OrderedDict()

    def first_use(self, token: str, now: datetime) -> bool:
        """True the first time a token is offered (and remembers it); False for every later offer."""
        while self._seen and next(iter(self._seen.values())) <= now - self.lifetime:
            self._seen.popitem(last=False)
        key = hashlib.sha256(token.encode()).hexdigest()
        if key in self._seen:
            return False
        if len(self._seen) >= self.max_tokens:
            self._seen.popitem(last=False)
        self._seen[key] = now
        return True

    def forget(self, token: str) -> None:
        self._seen.pop(hashlib.sha256(token.encode()).hexdigest(), None)


class Refused(Exception):
    """The homeserver does not vouch for the token (forged, expired, another server's): nobody is signed in."""


class Unavailable(Exception):
    """The homeserver could not be asked (down, too slow, or not serving the OpenID endpoint): try again later."""


def add_routes(pages: Pages, app: web.Application) -> None:
    app.router.add_get("/widget", partial(widget_page, pages))
    app.router.add_post("/widget/anmelden", partial(sign_in, pages, UsedTokens()))
    app.router.add_get("/widget/weiter", partial(after_sign_in, pages))
    script = (files("bot.web") / "static" / "widget.js").read_bytes()
    app.router.add_get("/static/widget.js", partial(_script, script, f'"{hashlib.sha256(script).hexdigest()[:16]}"'))
    app.middlewares.append(_frames(pages))
    pages.other_sessions[COOKIE] = _delete_cookie


def parents(pages: Pages) -> tuple[str, ...]:
    web_config = pages.config().web
    return web_config.widget_parents if web_config is not None else ()


def _frames(pages: Pages) -> Middleware:
    """The Content-Security-Policy of the widget's answers: framed only by the configured chat clients, and the
    sign-in page runs our script. A request carrying the widget's cookie comes from inside the widget, so the pages
    it opens there may be framed too; any other request keeps `frame-ancestors 'none'` (`bot.web`)."""

    @web.middleware
    async def frames(request: web.Request, handler: Handler) -> web.StreamResponse:
        allowed = parents(pages)
        in_widget = request.path == "/widget" or request.path.startswith("/widget/") or COOKIE in request.cookies
        if allowed and in_widget:
            script = "script-src 'self'; " if request.path == "/widget" else ""
            request[CSP_OF_REQUEST] = (
                f"default-src 'none'; {script}style-src 'self'; img-src 'self' data:; form-action 'self'; "
                f"frame-ancestors {' '.join(allowed)}; base-uri 'none'"
            )
        return await handler(request)

    return frames


# -- verifying the token ---------------------------------------------------------------------------------------
async def openid_user(homeserver: str, access_token: str, *, seconds: float = USERINFO_TIMEOUT_S) -> str:
    """Whose token this is, in the words of the homeserver at `homeserver` (its client-API base URL): the user id
    it answers as `sub`. Raises `Refused` for a token it does not know, `Unavailable` if it cannot be asked."""
    url = homeserver.rstrip("/") + USERINFO
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as http,
            # No redirects: the answer must come from the configured server itself.
            http.get(url, params={"access_token": access_token}, allow_redirects=False) as response,
        ):
            status, body = response.status, await _capped(response, 4096)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Unavailable(f"{type(exc).__name__}") from None
    if status in (401, 403):
        raise Refused(str(status))
    if status == 404:
        # Synapse answers 404 when no listener serves the `openid` (or `federation`) resource at this address.
        log.warning(
            "the homeserver does not answer %s (HTTP 404): add the resource 'openid' to the listener at %s, and "
            "let the reverse proxy pass that path on, for signing in in the room widget",
            USERINFO,
            homeserver,
        )
        raise Unavailable("404")
    if status != 200:
        raise Unavailable(str(status))
    try:
        answer = json.loads(body)
    except ValueError:
        raise Unavailable("not JSON") from None
    sub = answer.get("sub") if isinstance(answer, dict) else None
    if not isinstance(sub, str):
        raise Unavailable("no sub")
    return sub


async def _capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body up to its end or `limit` bytes (one `read(n)` returns only what has arrived so far)."""
    body = b""
    while len(body) < limit:
        chunk = await response.content.read(limit - len(body))
        if not chunk:
            break
        body += chunk
    return body


def may_sign_in(user_id: str, *, server_name: str, bot_user: str) -> bool:
    """A user id the homeserver vouched for signs in if it is a user of that very server (a homeserver speaks only
    for its own users) and not the bot's own account (whose token would show everything)."""
    server = user_id.partition(":")[2]
    return _USER_ID.fullmatch(user_id) is not None and server.lower() == server_name.lower() and user_id != bot_user


# -- the pages -------------------------------------------------------------------------------------------------
def _language(pages: Pages, requested: str | None) -> str:
    """The chat client's language (`$org.matrix.msc2873.client_language`, e.g. "de", "en-GB"), where we speak it."""
    code = (requested or "")[:2].lower()
    return code if code in ("de", "en") else pages.config().default_language


def _message(pages: Pages, language: str, kind: str, *, status: int, **params: Any) -> web.Response:
    t = pages.catalog.translator(language)
    return pages.page(
        "widget_message.html",
        status=status,
        language=language,
        title=t(f"page.widget_{kind}_title"),
        text=t(f"page.widget_{kind}", prefix=pages.config().command_prefix, **params),
        again=f"{pages.base}/widget?lang={language}",
        signed_in=None,
    )


async def widget_page(pages: Pages, request: web.Request) -> web.StreamResponse:
    language = _language(pages, request.query.get("lang"))
    allowed = parents(pages)
    if not allowed:
        return _message(pages, language, "off", status=404)
    return pages.page("widget.html", language=language, parents=" ".join(allowed), signed_in=None)


async def sign_in(pages: Pages, used: UsedTokens, request: web.Request) -> web.StreamResponse:
    async def answer() -> web.StreamResponse:
        now, address = pages.clock.now(), limit_key(client_address(request))
        if not parents(pages):
            return _message(pages, pages.config().default_language, "off", status=404)
        if pages.refusals.blocked(address, now):
            response = pages.message("too_many", status=429)
            response.headers["Retry-After"] = str(int(pages.refusals.window.total_seconds()))
            return response
        if not pages.from_our_pages(request):
            return pages.message("forged", status=403)  # another site's form would sign its visitor in as someone
        try:
            form: Mapping[str, Any] = await request.post()
        except ValueError:
            form = {}
        language = _language(pages, _field(form, "lang", 8))
        token = _field(form, "access_token", MAX_TOKEN + 1)
        server = _field(form, "matrix_server_name", 256)
        config = pages.config()
        server_name = config.matrix.user_id.partition(":")[2]
        if not _TOKEN.fullmatch(token):
            pages.refusals.hit(address, now)
            return _message(pages, language, "refused", status=400)
        if server.lower() != server_name.lower():  # another server's token: only that server could vouch for it
            pages.refusals.hit(address, now)
            return _message(pages, language, "other_server", status=403, server=server_name)
        if not used.first_use(token, now):
            # A token signs in once: the chat client asks for a new one each time the widget opens, and a token that
            # went elsewhere too (OpenID tokens are bearer tokens) cannot be replayed here for more sessions.
            pages.refusals.hit(address, now)
            return _message(pages, language, "refused", status=401)
        try:
            user = await openid_user(config.matrix.homeserver, token)
        except Refused:
            pages.refusals.hit(address, now)
            return _message(pages, language, "refused", status=401)
        except Unavailable as exc:
            used.forget(token)  # nobody vouched either way: the same token may be offered again once the server answers
            log.warning("widget sign-in: the homeserver could not vouch for a token (%s)", exc)
            response = _message(pages, language, "unavailable", status=503)
            response.headers["Retry-After"] = "60"
            return response
        if not may_sign_in(user, server_name=server_name, bot_user=config.matrix.user_id):
            pages.refusals.hit(address, now)
            return _message(pages, language, "refused", status=403)
        await pages.wait_ready()  # the rooms are known after the first sync
        if not pages.people.rooms_of(user):
            return _message(pages, language, "no_rooms", status=403)
        session_token = secrets.token_urlsafe(32)
        previous = request.cookies.get(COOKIE)
        async with pages.db.transaction() as repos:
            if previous and len(previous) <= 64:
                await repos.web.revoke_session(previous, now=now)
            await repos.web.start_session(user_id=user, token=session_token, now=now, longest=SESSION)
        log.debug("widget sign-in")
        response = web.Response(
            status=303, headers={"Location": f"{pages.base}/widget/weiter?lang={language}", **HTML_HEADERS}
        )
        _set_cookie(response, session_token, max_age=int(SESSION.total_seconds()))
        return response

    return await pages.safely(request, answer)


async def after_sign_in(pages: Pages, request: web.Request) -> web.StreamResponse:
    """Where the sign-in sends the widget: on to the start page if the browser kept the cookie, else the advice to
    open the pages in a tab (a browser that blocks even partitioned cookies in frames)."""
    language = _language(pages, request.query.get("lang"))
    if COOKIE in request.cookies:
        return web.Response(status=303, headers={"Location": f"{pages.base}/", **HTML_HEADERS})
    return _message(pages, language, "no_cookie", status=200)


async def _script(body: bytes, etag: str, request: web.Request) -> web.StreamResponse:
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="text/javascript", charset="utf-8", headers=headers)


def _field(form: Mapping[str, Any], name: str, limit: int) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


# -- the cookie ------------------------------------------------------------------------------------------------
def _cookie(value: str, *, max_age: int) -> str:
    """Written out by hand: Python's cookie module (before 3.14) cannot say `Partitioned`. The value is our own
    URL-safe token or empty, so nothing needs quoting."""
    return f"{COOKIE}={value}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=None; Partitioned"


def _set_cookie(response: web.StreamResponse, token: str, *, max_age: int) -> None:
    response.headers.add("Set-Cookie", _cookie(token, max_age=max_age))


def _delete_cookie(response: web.StreamResponse) -> None:
    """With the same attributes as it was set: a partitioned cookie is deleted in its own partition only."""
    _set_cookie(response, "", max_age=0)
