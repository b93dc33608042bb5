"""The decision commands' router, and what several of them use: the room's group, who may log, which decisions a
person may see and search, and the rows the renderers (`render`) take."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from bot.dispatch import CommandContext, Router
from bot.errors import Forbidden, NotFound
from commands.decisions.query import DecisionQuery, parse_decision_query
from commands.decisions.render import DecisionRow, MinutesItem, MinutesSession
from commands.decisions.texts import MESSAGES
from commands.timezones import room_timezone
from storage import Repositories
from storage.decisions import DecisionRecord, ItemRecord, SessionRecord

router = Router("decisions", title_de="Beschlüsse und Protokolle", title_en="Decisions and minutes", messages=MESSAGES)

MAX_TEXT = 5000


def room_group(ctx: CommandContext) -> str | None:
    return ctx.config.group_of_room(ctx.room_id)


def check_may_log(ctx: CommandContext) -> None:
    if ctx.config.decisions_by_coordinators_only and not ctx.is_coordinator:
        raise Forbidden("dec.forbidden_log")


def permalink(room_id: str, event_id: str) -> str:
    return f"https://matrix.to/#/{quote(room_id, safe='!:')}/{quote(event_id, safe='$:')}"


def decision_row(record: DecisionRecord, names: dict[str, str | None]) -> DecisionRow:
    return DecisionRow(
        id=record.id,
        created_at=record.created_at,
        group=record.group,
        room_id=record.room_id,
        author=record.author,
        author_name=names.get(record.author),
        text=record.text,
        tags=record.tags,
        permalink=record.permalink,
        status=record.status,
        superseded_by=record.superseded_by,
        note=record.note,
    )


async def display_names(repos: Repositories, user_ids: Sequence[str]) -> dict[str, str | None]:
    profiles = await repos.profiles.get_many(user_ids)
    return {uid: (profiles[uid].display_name if uid in profiles else None) for uid in user_ids}


async def visible_decision(ctx: CommandContext, decision_id: int, *, lock: bool = False) -> DecisionRecord:
    record = await ctx.repos.decisions.get(decision_id, lock=lock)
    if record is None:
        raise NotFound("dec.not_found", id=decision_id)
    own_group = room_group(ctx)
    visible = ctx.is_coordinator or record.room_id == ctx.room_id or (own_group and record.group == own_group)
    if not visible:
        raise Forbidden("dec.other_group", id=decision_id)
    return record


class SearchScope:
    """Which decisions a search may see: the room's group, the room, or (coordinators) all groups."""

    def __init__(self, groups: list[str] | None, room_id: str | None, label: str) -> None:
        self.groups = groups
        self.room_id = room_id
        self.label = label


def search_scope(ctx: CommandContext, asked_group: str | None) -> SearchScope:
    own = room_group(ctx)
    if asked_group is not None:
        if not ctx.is_coordinator and asked_group != own:
            raise Forbidden("dec.cross_group", group=own or ctx.t("dec.scope_room"))
        return SearchScope([asked_group], None, asked_group)
    if own is not None:
        return SearchScope([own], None, own)
    if ctx.is_coordinator:
        return SearchScope(None, None, ctx.t("dec.scope_all"))
    return SearchScope(None, ctx.room_id, ctx.t("dec.scope_room"))


async def read_query(ctx: CommandContext, text: str) -> DecisionQuery:
    tz = await room_timezone(ctx)
    return parse_decision_query(text, now=ctx.clock.now(), tz=tz, groups=ctx.config.groups)


def minutes_item(item: ItemRecord) -> MinutesItem:
    return MinutesItem(item.kind, item.text, item.author, item.created_at, item.owner, item.due, item.decision_id)


def minutes_session(session: SessionRecord) -> MinutesSession:
    return MinutesSession(
        session.id,
        session.title,
        session.room_id,
        session.group,
        session.started_by,
        session.started_at,
        session.ended_at,
    )
