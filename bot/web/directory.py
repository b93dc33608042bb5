"""The who-knows-what directory's pages: `/wer-weiss-was` (alias `/directory`: the people, a search with `!werweiss`'s
grammar and ranking, filters by city and group, the index of cities and topics, paging) and `/wer-weiss-was/themen`
(every topic, A to Z). What they show, and to whom, is `commands.expertise.web`'s."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.errors import UserError
from bot.web.pages import MAX_QUERY, Pages, SignedIn
from commands.expertise.web import MAX_NAME, directory_view, topics_view

PATH = "/wer-weiss-was"
MAX_TOPIC = 128  # a topic key's column


def add_routes(pages: Pages, app: web.Application) -> None:
    for path in (PATH, "/directory"):
        app.router.add_get(path, partial(directory, pages))
    for path in (f"{PATH}/themen", "/directory/topics"):
        app.router.add_get(path, partial(topics, pages))


async def directory(pages: Pages, request: web.Request) -> web.StreamResponse:
    async def show(who: SignedIn) -> web.StreamResponse:
        # Every value cut to its bound before anything reads it; the feature checks what it means.
        asked = {
            "q": request.query.get("q", "")[:MAX_QUERY],
            "stadt": request.query.get("stadt", "")[:MAX_NAME],
            "gruppe": request.query.get("gruppe", "")[:MAX_NAME],
            "thema": request.query.get("thema", "")[:MAX_TOPIC],
        }
        try:
            page = int(request.query.get("seite", "1")[:6])
        except ValueError:
            page = 1
        t = pages.catalog.translator(who.viewer.language)
        config = pages.config()
        values: dict[str, Any] = {
            "signed_in": who,
            "asked": asked,
            "view": None,
            "error": None,
            "forbidden": False,
            "cities": config.cities,  # the filters' choices, shown with an error too
            "groups": config.groups,
        }
        status = 200
        try:
            values["view"] = await directory_view(
                pages.db,
                who.viewer,
                config,
                t,
                query=asked["q"],
                city=asked["stadt"],
                group=asked["gruppe"],
                topic=asked["thema"],
                page=page,
                now=pages.clock.now(),
                members=pages.names,
            )
        except UserError as error:
            status, values["error"] = pages.refusal(error, t.language)
            values["forbidden"] = status == 403
        filters = {key: value for key, value in asked.items() if value}
        values["page_link"] = lambda n: f"{pages.base}{PATH}?" + urlencode({**filters, "seite": n})
        values["link"] = lambda **wanted: f"{pages.base}{PATH}?" + urlencode(wanted)
        return pages.page("directory.html", status=status, language=t.language, current="directory", **values)

    return await pages.guarded(request, show)


async def topics(pages: Pages, request: web.Request) -> web.StreamResponse:
    async def show(who: SignedIn) -> web.StreamResponse:
        t = pages.catalog.translator(who.viewer.language)
        values: dict[str, Any] = {"signed_in": who, "topics": [], "error": None}
        status = 200
        try:
            values["topics"] = await topics_view(pages.db, who.viewer)
        except UserError as error:
            status, values["error"] = pages.refusal(error, t.language)
        values["link"] = lambda **wanted: f"{pages.base}{PATH}?" + urlencode(wanted)
        return pages.page("directory_topics.html", status=status, language=t.language, current="directory", **values)

    return await pages.guarded(request, show)
