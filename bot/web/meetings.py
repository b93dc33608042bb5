"""The meetings' pages: `/termine` (the next weeks, by group and room) and `/termine/monat?m=2026-12` (a month as a
calendar), English aliases `/meetings` and `/meetings/month`. What they show, and to whom, is
`commands.meetings.web`'s; here are the routes, the query's parameters and the templates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.errors import UserError
from bot.i18n import Translator
from bot.web.pages import Pages, SignedIn
from commands.meetings.web import Choice, Filter, month_view, parse_filter, upcoming_view

MAX_PARAMETER = 300  # characters of a query parameter read at all: the filters check theirs (255) and say why


def add_routes(pages: Pages, app: web.Application) -> None:
    for path in ("/termine", "/meetings"):
        app.router.add_get(path, partial(upcoming, pages))
    for path in ("/termine/monat", "/meetings/month"):
        app.router.add_get(path, partial(month, pages))


def _parameter(request: web.Request, *names: str) -> str | None:
    for name in names:
        if name in request.query:
            return request.query[name][:MAX_PARAMETER]
    return None


def _links(pages: Pages, chosen: Choice | None) -> Callable[..., str]:
    """Addresses of the pages that keep the chosen group or room: `link("/termine/monat", m="2026-12")`."""

    def link(path: str, choice: Choice | None = chosen, **more: str) -> str:
        query: dict[str, str] = {}
        if choice is not None:
            query["gruppe" if choice.kind == "group" else "raum"] = choice.key
        query.update(more)
        return f"{pages.base}{path}" + (f"?{urlencode(query)}" if query else "")

    return link


async def _answer(
    pages: Pages,
    request: web.Request,
    template: str,
    build: Callable[[SignedIn, Translator, Filter], Awaitable[Any]],
) -> web.StreamResponse:
    """A meetings page: the filter read and checked, the view built, a person's mistake explained on the page."""

    async def show(who: SignedIn) -> web.StreamResponse:
        t = pages.catalog.translator(who.viewer.language)
        values: dict[str, Any] = {"signed_in": who, "view": None, "error": None, "link": _links(pages, None)}
        status = 200
        try:
            wanted = parse_filter(
                pages.config(), _parameter(request, "gruppe", "group"), _parameter(request, "raum", "room")
            )
            view = await build(who, t, wanted)
            values["view"], values["link"] = view, _links(pages, view.chosen)
        except UserError as error:
            status, values["error"] = pages.refusal(error, t.language)
        return pages.page(template, status=status, language=t.language, current="meetings", **values)

    return await pages.guarded(request, show)


async def upcoming(pages: Pages, request: web.Request) -> web.StreamResponse:
    async def build(who: SignedIn, t: Translator, wanted: Filter) -> Any:
        return await upcoming_view(pages.db, who.viewer, pages.config(), t, wanted, now=pages.clock.now())

    return await _answer(pages, request, "meetings.html", build)


async def month(pages: Pages, request: web.Request) -> web.StreamResponse:
    async def build(who: SignedIn, t: Translator, wanted: Filter) -> Any:
        month_text = _parameter(request, "m", "monat", "month")
        return await month_view(pages.db, who.viewer, pages.config(), t, wanted, month_text, now=pages.clock.now())

    return await _answer(pages, request, "meetings_month.html", build)
