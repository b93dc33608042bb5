"""The decision log's web pages: what `/beschluesse` and `/beschluesse/<n>` show, and to whom.

The search is `!beschluesse`'s: the same grammar (`query.parse_decision_query`), the same repository search, best
matches first for words and newest first otherwise, `status:aktiv` by default with a note on what that hides. Who sees
what is chat's rule (`commands.web.access.Viewer`): a record of a group or room the person is in, everything for a
coordinator; `gruppe:` of another group is refused as chat refuses it, and a decision the person may not see is as
unknown as one that does not exist. Everything returned is plain data; the transport renders it (autoescaped).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.errors import BadArgument, Forbidden
from bot.i18n import Translator
from bot.schedule_parsing import format_when
from commands.decisions.query import describe_decision_query, parse_decision_query
from commands.decisions.search import PAGE
from commands.decisions.shared import load_people
from commands.web.access import Viewer, viewer_timezone
from storage import Database, Repositories
from storage.decisions import DecisionRecord, SearchPage

MAX_PAGE = 1000  # a page number beyond any real log; bounds the offset a URL can ask for
EXCERPT = 300

NameLookup = Callable[[str | None, Collection[str]], Mapping[str, str]]
"""Display names as the transport's member lists hold them: (room to prefer, user ids) -> names."""


@dataclass(frozen=True)
class DecisionLine:
    id: int
    day: str
    group: str
    author: str
    text: str
    status: str | None  # None while in force
    permalink: str | None


@dataclass(frozen=True)
class SearchView:
    described: str
    total: int
    capped: bool
    lines: list[DecisionLine]
    page: int
    pages: int
    ranked: bool  # best matches first (a search with words), else newest first
    hidden: int  # matches in force only: how many superseded or revoked ones were left out (-1: many)


@dataclass(frozen=True)
class AuditLine:
    when: str
    actor: str
    action: str
    detail: str | None


@dataclass(frozen=True)
class DecisionView:
    id: int
    text: str
    status: str
    status_key: str
    when: str
    group: str | None
    author: str
    tags: tuple[str, ...]
    context_sender: str | None
    context_text: str | None
    context_state: str | None
    supersedes: int | None
    superseded_by: int | None
    revoked_reason: str | None
    permalink: str | None
    history: list[AuditLine]


async def _names(
    repos: Repositories, ids: Collection[str | None], *, room_id: str | None, members: NameLookup
) -> dict[str, str]:
    """Profile names first, else the name the rooms show (as `!beschluss 17` names people)."""
    wanted = [user for user in dict.fromkeys(ids) if user]
    named = await load_people(repos, wanted, known=dict(members(room_id, wanted)))
    return dict(named.names)


async def search_view(
    db: Database,
    viewer: Viewer,
    config: Config,
    t: Translator,
    text: str,
    page: int,
    *,
    now: datetime,
    members: NameLookup,
) -> SearchView:
    """One page of a search (a page beyond the last is the last). Raises the search grammar's `BadArgument`s, and
    `Forbidden` for another group."""
    page = max(1, min(page, MAX_PAGE))
    text = " ".join(text.split())  # a pasted line break or tab is a space
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in text):
        # A NUL is not text to PostgreSQL (an internal error there); no other control character is a search either.
        raise BadArgument("page.bad_characters")
    # Read only: a search never queues behind, or holds up, the bot's writes (SQLite has one writer).
    async with db.reading() as repos:
        tz = await viewer_timezone(repos, viewer, config)
        query = parse_decision_query(text, now=now, tz=tz, groups=config.groups)
        if query.group is not None:
            if not viewer.is_coordinator and query.group not in viewer.groups:
                raise Forbidden("page.cross_group", group=query.group)
            groups: list[str] | None = [query.group]
            rooms: list[str] = []
        elif viewer.is_coordinator:
            groups, rooms = None, []
        else:
            groups, rooms = sorted(viewer.groups), sorted(viewer.rooms)
        since, until = query.created_range(tz)

        async def search(status: str, limit: int, offset: int = 0) -> SearchPage:
            return await repos.decisions.search(
                words=query.words,
                groups=groups,
                or_rooms=rooms,
                since=since,
                until=until,
                tags=query.tags,
                author=query.author,
                ids=query.ids,
                status=status,
                limit=limit,
                offset=offset,
            )

        result = await search(query.status, PAGE, (page - 1) * PAGE)
        last = max(1, -(-result.total // PAGE))
        if page > last:
            page = last
            result = await search(query.status, PAGE, (page - 1) * PAGE)
        hidden = 0
        if query.status == "active" and not query.ids and not result.capped:
            everything = await search("all", 0)
            hidden = -1 if everything.capped else everything.total - result.total
        names = await _names(
            repos, [query.author, *(d.author for d in result.decisions)], room_id=None, members=members
        )
    described = describe_decision_query(
        query, language=viewer.language, with_group=True, author_name=names.get(query.author or "")
    )
    lines = [_line(t, record, names, tz) for record in result.decisions]
    return SearchView(described, result.total, result.capped, lines, page, last, bool(query.words), hidden)


def _line(t: Translator, record: DecisionRecord, names: Mapping[str, str], tz: ZoneInfo) -> DecisionLine:
    text = record.text if len(record.text) <= EXCERPT else record.text[:EXCERPT] + "…"
    return DecisionLine(
        id=record.id,
        day=record.created_at.astimezone(tz).strftime("%d.%m.%Y"),
        group=record.group or t("dec.no_group"),
        author=names.get(record.author, record.author),
        text=text,
        status=None if record.status == "active" else t(f"dec.status.{record.status}"),
        permalink=record.permalink,
    )


async def decision_view(
    db: Database, viewer: Viewer, config: Config, t: Translator, decision_id: int, *, members: NameLookup
) -> DecisionView | None:
    """A decision with its context and history; None when it does not exist or the person may not see it."""
    async with db.reading() as repos:
        record = await repos.decisions.get(decision_id)
        if record is None or not viewer.may_see(room_id=record.room_id, group=record.group):
            return None
        audit = await repos.decisions.audit(decision_id)
        tz = await viewer_timezone(repos, viewer, config)
        names = await _names(
            repos,
            [record.author, record.context_sender, *(a.actor for a in audit)],
            room_id=record.room_id,
            members=members,
        )
    history = [
        AuditLine(
            when=item.at.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
            actor=names.get(item.actor, item.actor) if item.actor else t("page.the_bot"),
            action=t(f"dec.audit.{item.action}") if f"dec.audit.{item.action}" in t.catalog else item.action,
            detail=item.detail,
        )
        for item in audit
    ]
    return DecisionView(
        id=record.id,
        text=record.text,
        status=t(f"dec.status.{record.status}"),
        status_key=record.status,
        when=format_when(record.created_at.astimezone(tz), language=viewer.language),
        group=record.group,
        author=names.get(record.author, record.author),
        tags=record.tags,
        context_sender=names.get(record.context_sender, record.context_sender) if record.context_sender else None,
        context_text=record.context_text,
        context_state=record.context_state,
        supersedes=record.supersedes,
        superseded_by=record.superseded_by,
        revoked_reason=record.note if record.status == "revoked" else None,
        permalink=record.permalink if record.permalink and record.permalink.startswith("https://") else None,
        history=history,
    )
