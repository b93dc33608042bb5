"""The substitution board: `/vertretungen` (also `/substitutions`) lists what `!vertretungen` lists, with the person's
own requests and offers, and an offer button per request they may take; `POST /vertretungen/<n>/uebernehmen` runs
`!übernehme <n> [Notiz]` as they typed it in chat (`Pages.actions`, `bot.dispatch.OnBehalf`). What the board shows and
which command a button runs is `commands.substitutions.web`'s.

The POST checks the form's CSRF token and `Sec-Fetch-Site` before anything else (a forged form changes nothing, 403),
then redirects back to the board (POST/redirect/GET), which shows what the chat reply would have said: the
confirmation, or the friendly refusal. That message waits for the next GET of the same session, in memory (one
process serves the pages), at most one per session and `MAX_WAITING` sessions.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from aiohttp import web
from markupsafe import Markup

from bot.replies import render_html
from bot.web.pages import HTML_HEADERS, Pages, SignedIn, form_of
from commands.substitutions.web import MAX_NOTE, board_view, offer_command

MAX_WAITING = 1000  # sessions with a message waiting for their next look at the board


DOUBLE_CLICK = timedelta(seconds=10)


@dataclass(frozen=True)
class Outcome:
    html: Markup  # the chat reply, rendered (sanitised by render_html)
    done: bool  # False: refused
    number: int  # the request the button was for
    at: datetime


class Outcomes:
    """What a button did, kept for the board's next GET in that session (then forgotten)."""

    def __init__(self, limit: int = MAX_WAITING) -> None:
        self.limit = limit
        self._waiting: OrderedDict[int, Outcome] = OrderedDict()

    def put(self, session_id: int, outcome: Outcome) -> None:
        waiting = self._waiting.get(session_id)
        if (
            waiting is not None
            and waiting.done
            and not outcome.done
            and waiting.number == outcome.number
            and outcome.at - waiting.at <= DOUBLE_CLICK
        ):
            # A double click: the first press took the offer, the second was refused as "already offered". The
            # person is to read that it worked.
            return
        self._waiting[session_id] = outcome
        self._waiting.move_to_end(session_id)
        while len(self._waiting) > self.limit:
            self._waiting.popitem(last=False)

    def take(self, session_id: int) -> Outcome | None:
        return self._waiting.pop(session_id, None)


def add_routes(pages: Pages, app: web.Application) -> None:
    outcomes = Outcomes()
    for path in ("/vertretungen", "/substitutions"):
        app.router.add_get(path, partial(board, pages, outcomes))
    app.router.add_post("/vertretungen/{number:[0-9]{1,9}}/uebernehmen", partial(offer, pages, outcomes))


async def board(pages: Pages, outcomes: Outcomes, request: web.Request) -> web.StreamResponse:
    async def show(who: SignedIn) -> web.StreamResponse:
        t = pages.catalog.translator(who.viewer.language)
        view = await board_view(pages.db, who.viewer, t, now=pages.clock.now(), members=pages.names)
        return pages.page(
            "substitutions.html",
            language=t.language,
            signed_in=who,
            view=view,
            outcome=outcomes.take(who.session_id),
            can_act=pages.actions is not None,
            max_note=MAX_NOTE,
            current="substitutions",
        )

    return await pages.guarded(request, show)


async def offer(pages: Pages, outcomes: Outcomes, request: web.Request) -> web.StreamResponse:
    async def act(who: SignedIn) -> web.StreamResponse:
        if not pages.from_our_pages(request):
            return pages.message("forged", status=403)  # another site's form, pressed by our visitor
        form = await form_of(request, who.token)
        if form is None:
            return pages.message("forged", status=403)
        if pages.actions is None:  # pages without a bot behind them (some tests) only show
            raise web.HTTPNotFound()
        number = int(request.match_info["number"])  # 1-9 digits by the route; the command checks the rest
        # The note goes to the command as chat's would; the command bounds it (MAX_NOTE) and says so if too long.
        performed = await pages.actions.perform(who.viewer.user_id, offer_command(number, form.get("notiz", "")))
        outcome = Outcome(Markup(render_html(performed.reply.markdown)), performed.done, number, pages.clock.now())
        outcomes.put(who.session_id, outcome)
        # To the message at the top of the board: on a phone the button may be far down.
        return web.Response(status=303, headers={"Location": f"{pages.base}/vertretungen#ergebnis", **HTML_HEADERS})

    return await pages.guarded(request, act)
