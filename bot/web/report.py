"""The yearly report's pages: `/bericht?jahr=2026` (alias `/report?year=`), its print view `/bericht/druck?jahr=`
(no navigation, A4), and its charts `/bericht/<year>/<bilanz|beschluesse>.<svg|png>`. What they show, and to whom,
is `commands.decisions.report_web`'s, checked on every request, the charts' too.

The charts are separate image responses of our own origin (the page's Content-Security-Policy allows images only
from there, and no inline styles, which matplotlib's SVG uses): an SVG shown by `<img>` runs no script, and its own
policy below allows nothing but its inline styles. They are private (`Cache-Control: private`) with an ETag of the
numbers they are drawn from, so an unchanged chart costs a 304 and no drawing.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import partial
from typing import Any, cast

from aiohttp import web

from bot.errors import UserError, render
from bot.web.pages import Pages, SignedIn
from commands.charts import FORMATS, Chart, Format, drawn
from commands.decisions.report_web import CHARTS, ChartName, chart_figures, draw, report_view

IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
"""An SVG's own policy: its inline styles, nothing else (no script, no fetch, no frame); also when opened directly."""
MAX_YEAR_TEXT = 100  # characters of `jahr=` read at all
CACHED_CHARTS = 32  # the last charts drawn (50–450 KB each): colleagues of one group see the same picture


class Drawn:
    """The charts drawn last, by the tag of their numbers, language and format: the same picture for the next person
    who may see it costs no drawing (rights are checked before, on every request)."""

    def __init__(self, size: int = CACHED_CHARTS) -> None:
        self.size = size
        self._charts: OrderedDict[tuple[str, str, str], Chart] = OrderedDict()

    def get(self, key: tuple[str, str, str]) -> Chart | None:
        chart = self._charts.get(key)
        if chart is not None:
            self._charts.move_to_end(key)
        return chart

    def put(self, key: tuple[str, str, str], chart: Chart) -> None:
        self._charts[key] = chart
        while len(self._charts) > self.size:
            self._charts.popitem(last=False)


def add_routes(pages: Pages, app: web.Application) -> None:
    for path in ("/bericht", "/report"):
        app.router.add_get(path, partial(report, pages, printing=False))
    for path in ("/bericht/druck", "/report/print"):
        app.router.add_get(path, partial(report, pages, printing=True))
    charts = "|".join(CHARTS)
    formats = "|".join(FORMATS)
    path = f"/bericht/{{year:[0-9]{{1,6}}}}/{{chart:{charts}}}.{{fmt:{formats}}}"
    app.router.add_get(path, partial(chart, pages, Drawn()))


def _year_text(request: web.Request) -> str | None:
    text = request.query.get("jahr", request.query.get("year"))
    return None if text is None else text[:MAX_YEAR_TEXT]


async def report(pages: Pages, request: web.Request, *, printing: bool) -> web.StreamResponse:
    async def show(who: SignedIn) -> web.StreamResponse:
        language = who.viewer.language
        values: dict[str, Any] = {"view": None, "error": None, "printing": printing}
        status = 200
        try:
            values["view"] = await report_view(
                pages.db, who.viewer, pages.config(), _year_text(request), now=pages.clock.now()
            )
        except UserError as error:
            status, values["error"] = pages.refusal(error, language)
        template = "report_print.html" if printing else "report.html"
        # The print view leaves out the navigation and the sign-out button (base.html shows them only when signed in).
        signed_in = None if printing else who
        return pages.page(template, status=status, language=language, signed_in=signed_in, current="report", **values)

    return await pages.guarded(request, show)


async def chart(pages: Pages, cache: Drawn, request: web.Request) -> web.StreamResponse:
    async def show(who: SignedIn) -> web.StreamResponse:
        t = pages.catalog.translator(who.viewer.language)
        name = cast(ChartName, request.match_info["chart"])
        fmt = cast(Format, request.match_info["fmt"])
        config = pages.config()
        try:
            figures = await chart_figures(
                pages.db, who.viewer, config, request.match_info["year"], name, now=pages.clock.now()
            )
        except UserError as error:
            said = render(error, pages.catalog, t.language, config.command_prefix, plain=True)
            return pages.page("message.html", status=400, language=t.language, signed_in=who,
                              texts=(t("page.report_bad_year"), said, "", ""))  # fmt: skip
        if figures is None:  # decisions of no group the person is in: as unknown as a chart that does not exist
            texts = (t("page.not_found_title"), t("page.not_found"), "", "")
            return pages.page("message.html", status=404, language=t.language, texts=texts, signed_in=who)
        etag = f'"{figures.tag}"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Content-Security-Policy": IMAGE_CSP}
        if etag in [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]:
            return web.Response(status=304, headers=headers)
        language, cities = who.viewer.language, config.cities
        key = (figures.tag, language, fmt)  # the tag covers the year, the chart and every number drawn
        picture = cache.get(key)
        if picture is None:
            picture = await drawn(lambda: draw(figures, language=language, cities=cities, fmt=fmt))
            cache.put(key, picture)
        return web.Response(body=picture.data, content_type=picture.mimetype, headers=headers)

    return await pages.guarded(request, show)
