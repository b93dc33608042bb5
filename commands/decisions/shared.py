"""The decision commands' router, and what several of them use: the room's group, who may log, which decisions a
person may see and search, and the rows the renderers (`render`) take."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from bot.dispatch import CommandContext, Router
from bot.errors import Forbidden, NotFound
from bot.replies import md_escape, mention_link
from commands.decisions.query import DecisionQuery, parse_decision_query
from commands.decisions.render import DecisionRow, MinutesItem, MinutesSession, is_user_id
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


def decision_row(record: DecisionRecord, names: Mapping[str, str]) -> DecisionRow:
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


@dataclass(frozen=True)
class People:
    """How the decision commands name people: by the display name of their profile (for whoever sent the command,
    else the name their client shows), in chat as a pill, in files as "Anna Berger (@anna:example.org)"
    (`commands.decisions.render`). A pill is a link, not a call: only who said `!erwähnen ja` (`pings`) may be
    put in a message's m.mentions, and only where the message is about them."""

    names: Mapping[str, str] = field(default_factory=dict)
    pings: frozenset[str] = frozenset()

    def link(self, user: str) -> str:
        """A person in a chat message: a pill with their name; an owner written as a name, as written."""
        return mention_link(user, self.names.get(user)) if is_user_id(user) else md_escape(user)

    def mentions(self, *users: str) -> list[str]:
        """Of `users`, who may be pinged."""
        return [user for user in dict.fromkeys(users) if user in self.pings]


async def load_people(
    repos: Repositories, user_ids: Iterable[str | None], *, known: Mapping[str, str | None] | None = None
) -> People:
    """The names (and ping choices) of these people; `known` names the ones without a profile name, e.g. the
    sender as their client shows them."""
    ids = [user for user in dict.fromkeys(user_ids) if user]
    profiles = await repos.profiles.get_many(ids)
    names = {user: name for user, name in (known or {}).items() if name}
    names.update({user: p.display_name for user, p in profiles.items() if p.display_name})
    return People(names, frozenset(user for user, p in profiles.items() if p.allow_mentions))


async def people(
    ctx: CommandContext, user_ids: Iterable[str | None], *, known: Mapping[str, str | None] | None = None
) -> People:
    """`load_people` for a command: people without a name in their profile are named as the room shows them (the
    sender as their client does)."""
    ids = [user for user in dict.fromkeys([ctx.sender, *user_ids]) if user]
    in_room: dict[str, str | None] = dict(ctx.member_names([user for user in ids if is_user_id(user)]))
    known = (
        in_room | {ctx.sender: ctx.message.sender_name} | {user: name for user, name in (known or {}).items() if name}
    )
    return await load_people(ctx.repos, ids, known=known)


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
    """Which decisions a search may see: the room's group, the room, or (coordinators) all groups. `label` names it
    in file names ("eAkte"), `described` in what the bot says and in titles ("Gruppe eAkte", "alle Gruppen"); both
    are plain text."""

    def __init__(self, groups: list[str] | None, room_id: str | None, label: str, described: str) -> None:
        self.groups = groups
        self.room_id = room_id
        self.label = label
        self.described = described


def search_scope(ctx: CommandContext, asked_group: str | None) -> SearchScope:
    own = room_group(ctx)
    if asked_group is not None:
        if not ctx.is_coordinator and asked_group != own:
            raise Forbidden("dec.cross_group", group=own or ctx.t("dec.scope_room"))
        return SearchScope([asked_group], None, asked_group, str(ctx.t("dec.scope_group", group=asked_group)))
    if own is not None:
        return SearchScope([own], None, own, str(ctx.t("dec.scope_group", group=own)))
    if ctx.is_coordinator:
        all_groups = str(ctx.t("dec.scope_all"))
        return SearchScope(None, None, all_groups, all_groups)
    room = str(ctx.t("dec.scope_room"))
    return SearchScope(None, ctx.room_id, room, room)


async def read_query(ctx: CommandContext, text: str) -> DecisionQuery:
    tz = await room_timezone(ctx)
    return parse_decision_query(text, now=ctx.clock.now(), tz=tz, groups=ctx.config.groups)


def minutes_item(item: ItemRecord) -> MinutesItem:
    number = item.decision_id if item.kind == "decision" else item.number
    return MinutesItem(item.kind, item.text, item.author, item.created_at, item.owner, item.due, number)


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
