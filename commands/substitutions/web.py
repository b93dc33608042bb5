"""The substitution board's web page: what `/vertretungen` shows, and to whom, and what its button runs.

The list is `!vertretungen`'s (`commands.listed_requests`): the open and filled requests of the whole network,
soonest first, to everyone who shares a room with the bot (where chat would let them ask). Substitutions
are help between cities, so chat shows every city's and group's requests to everybody, and so does the page. Below
it, the person's own requests and offers (`!vertretungen meine`). Whether a request gets the offer button is decided
by the same pure rule `!übernehme` applies (`rules.offer`); pressing it runs `!übernehme N [Notiz]` itself
(`offer_command`, through `bot.dispatch.OnBehalf`), so the rights, the record's change, the direct message and the
re-planning are chat's. Everything returned is plain data; the transport renders it (autoescaped).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.i18n import Translator
from bot.schedule_parsing import format_when
from commands.substitutions import rules
from commands.substitutions.commands import LIST_LIMIT, OFFER_COMMAND, listed_requests, offer_views, request_view
from commands.web.access import Viewer
from storage import Database, Repositories
from storage.substitutions import MAX_NOTE, RequestRecord

__all__ = ["MAX_NOTE", "Board", "RequestLine", "board_view", "offer_command"]

NameLookup = Callable[[str | None, Collection[str]], Mapping[str, str]]
"""Display names as the transport's member lists hold them: (room to prefer, user ids) -> names."""


@dataclass(frozen=True)
class RequestLine:
    id: int
    what: str
    span: str  # "Sa., 12.12.2026, 10:00–16:00 Uhr", in the request's own time zone, as chat writes it
    city: str | None  # the requester's city
    requester: str  # their name as chat shows it
    state: str  # "offen", "besetzt"
    state_key: str  # open, filled
    needed: str  # "2 Personen", or "noch 1 Person" once someone is accepted
    deadline: str
    topics: tuple[str, ...]
    offers: str  # "1 Angebot"
    own: bool  # the person asked for it
    my_offer: str | None  # where the person's own offer stands ("Du hast angeboten; …"), if they made one
    can_offer: bool  # `!übernehme` would take the person's offer now: the button is shown


@dataclass(frozen=True)
class Board:
    requests: list[RequestLine]  # what `!vertretungen` lists
    more: int  # listed beyond the page's `LIST_LIMIT`, as chat leaves them out too
    mine: list[RequestLine]  # the person's own requests
    offered: list[RequestLine]  # requests the person offered on


def offer_command(request_id: int, note: str) -> str:
    """The chat command the button stands for, without the prefix: `übernehme 12 komme ab 11`."""
    note = note.strip()
    return f"{OFFER_COMMAND} {request_id}" + (f" {note}" if note else "")


async def _names(repos: Repositories, records: list[RequestRecord], members: NameLookup) -> dict[str, str]:
    """As chat names requesters: the profile's name, else the one the rooms show, else the Matrix id."""
    wanted = list(dict.fromkeys(r.requester for r in records))
    profiles = await repos.profiles.get_many(wanted)
    named = {user: p.display_name for user, p in profiles.items() if p.display_name}
    missing = [user for user in wanted if user not in named]
    if missing:
        named |= {user: name for user, name in members(None, missing).items() if name}
    return named


def _line(record: RequestRecord, viewer: Viewer, t: Translator, names: Mapping[str, str], now: datetime) -> RequestLine:
    tz = ZoneInfo(record.timezone)
    language = viewer.language
    accepted = sum(1 for o in record.offers if o.state == "accepted")
    active = sum(1 for o in record.offers if o.state in ("offered", "accepted"))
    mine = next((o for o in record.offers if o.user_id == viewer.user_id), None)
    requester = names.get(record.requester, record.requester)
    try:
        rules.offer(request_view(record), offer_views(record), viewer.user_id, now)
        can_offer = True
    except UserError:  # own request, filled, begun, or already offered: chat would refuse, so no button
        can_offer = False
    return RequestLine(
        id=record.id,
        what=record.what,
        span=rules.describe_span(record.start.astimezone(tz), record.end.astimezone(tz), language=language),
        city=record.requester_city,
        requester=requester,
        state=t(f"sub.state.{record.state}"),
        state_key=record.state,
        needed=t("sub.still_needed", count=record.needed - accepted)
        if 0 < accepted < record.needed
        else t("sub.people", count=record.needed),
        deadline=format_when(record.deadline.astimezone(tz), language=language),
        topics=record.topics,
        offers=t("sub.offer_count", count=active),
        own=record.requester == viewer.user_id,
        my_offer=t(f"page.sub.my_offer.{mine.state}", requester=requester) if mine else None,
        can_offer=can_offer,
    )


async def board_view(db: Database, viewer: Viewer, t: Translator, *, now: datetime, members: NameLookup) -> Board:
    """The board; for someone who shares a room with the bot (`bot.web.pages.Pages.guarded` checks it first, for
    every page: chat reaches only who shares a room with the bot)."""
    # Read only: the board never queues behind, or holds up, the bot's writes (SQLite has one writer).
    async with db.reading() as repos:
        records = await listed_requests(repos, viewer.user_id)
        names = await _names(repos, records, members)
    lines = [_line(record, viewer, t, names, now) for record in records]
    return Board(
        requests=lines[:LIST_LIMIT],
        more=max(0, len(lines) - LIST_LIMIT),
        mine=[line for line in lines if line.own],
        offered=[line for line in lines if line.my_offer is not None],
    )
