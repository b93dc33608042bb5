"""The decision log's pages: `/beschluesse` (search with `!beschluesse`'s grammar, paging) and `/beschluesse/<n>`
(a decision with its context and history). What they show, and to whom, is `commands.decisions.web`'s."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.errors import UserError
from bot.i18n import Translator
from bot.web.pages import MAX_QUERY, Pages, SignedIn
from commands.decisions.web import decision_view, search_view


def add_routes(pages: Pages, app: web.Application) -> None:
    app.router.add_get("/beschluesse", partial(decisions, pages))
    app.router.add_get("/beschluesse/{number:[0-9]{1,9}}", partial(decision, pages))


async def decisions(pages: Pages, request: web.Request) -> web.StreamResponse:
    async def show(who: SignedIn) -> web.StreamResponse:
        text = request.query.get("q", "")[:MAX_QUERY]
        try:
            page = int(request.query.get("seite", "1"))
        except ValueError:
            page = 1
        t = pages.catalog.translator(who.viewer.language)
        values: dict[str, Any] = {"signed_in": who, "q": text, "view": None, "error": None}
        status = 200
        try:
            values["view"] = await search_view(
                pages.db, who.viewer, pages.config(), t, text, page, now=pages.clock.now(), members=pages.names
            )
        except UserError as error:
            status, values["error"] = pages.refusal(error, t.language)
        values["page_link"] = lambda n: f"{pages.base}/beschluesse?" + urlencode({"q": text, "seite": n})
        return pages.page("decisions.html", status=status, language=who.viewer.language, current="decisions", **values)

    return await pages.guarded(request, show)


async def decision(pages: Pages, request: web.Request) -> web.StreamResponse:
    async def show(who: SignedIn) -> web.StreamResponse:
        t: Translator = pages.catalog.translator(who.viewer.language)
        number = int(request.match_info["number"])
        view = await decision_view(pages.db, who.viewer, pages.config(), t, number, members=pages.names)
        if view is None:  # unknown and not visible look the same from outside
            texts = (t("page.not_found_title"), t("page.not_found"), "", "")
            return pages.page("message.html", status=404, language=t.language, texts=texts, signed_in=who)
        return pages.page("decision.html", language=t.language, signed_in=who, d=view, current="decisions")

    return await pages.guarded(request, show)
