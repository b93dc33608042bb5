"""Calendar subscriptions (`!termine abo`): a secret address per person of an iCalendar feed of a room's meetings,
or of every room they share with the bot. Outlook, Thunderbird and phones subscribe once and see changes, skipped
dates and cancellations without importing `!termine ics` again.

The address goes by direct message and is never stored: only its SHA-256 is (storage.meetings.CalendarFeed), and the
command is replay-safe so that the direct message with the address is not kept in the outbox either. Who sees what
is what chat allows: a feed shows a room's meetings only while its owner is a member of that room.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.config import Config
from bot.dispatch import MAX_RECORD_NUMBER, CommandContext
from bot.errors import BadArgument, NotFound
from bot.replies import Followup, Reply, md_code, md_escape
from bot.schedule_parsing import format_when
from commands.meetings.commands import router
from storage import Database
from storage.meetings import CalendarFeedRecord, MeetingRecord, feed_token_hash

MAX_FEEDS = 20  # per person: enough for every room and device, few enough to list
CANCELLED_SHOWN = timedelta(days=90)  # cancelled meetings stay in the feed this long, so calendars drop them
TOUCH_EVERY = timedelta(hours=1)  # "last fetched" is written at most this often: calendars poll every few minutes

_ALL = {"alle", "all"}
_LIST = {"liste", "list", "zeigen", "show"}
_REVOKE = {"löschen", "loeschen", "delete", "stop", "kündigen", "kuendigen", "cancel"}


class Membership(Protocol):
    """Which rooms a person shares with the bot (the transport's member lists)."""

    def rooms_of(self, user_id: str) -> Collection[str]: ...


@router.subcommand(
    "termine", "abo", aliases=["subscribe", "abonnieren"],
    help_de="Schickt dir eine geheime Kalender-Adresse der Termine dieses Raums (oder „alle“ deiner Räume) zum "
    "Abonnieren; „liste“ zeigt deine Abos, „löschen 3“ kündigt eines",
    help_en="Sends you a secret calendar address of this room's meetings (or “all” your rooms) to subscribe to; "
    "“list” shows your subscriptions, “delete 3” revokes one",
    labels={"what": ("alle | liste | löschen Nr.", "all | list | delete no.")},
    replay_safe=True,  # the address must not be kept in the outbox; a repeat after a crash only adds a feed
    name_en="subscribe",
)  # fmt: skip
async def subscribe(ctx: CommandContext, *, what: str | None = None) -> Reply:
    words = (what or "").lower().split()
    if words and words[0] in _LIST and len(words) == 1:
        return await _list(ctx)
    if words and words[0] in _REVOKE and len(words) <= 2:
        return await _revoke(ctx, words[1] if len(words) == 2 else None)
    if words and (words[0] not in _ALL or len(words) > 1):
        raise BadArgument("feed.unknown", what=what or "")
    web = ctx.config.web
    if web is None:
        raise BadArgument("feed.no_web")
    if await ctx.repos.feeds.count(ctx.sender) >= MAX_FEEDS:
        raise BadArgument("feed.too_many", limit=MAX_FEEDS)
    # "alle", or asked where there are no meetings (a direct chat): every room; else the meetings of this room.
    every_room = bool(words) or not await ctx.repos.meetings.in_room(ctx.room_id)
    token = secrets.token_urlsafe(24)
    room_id = None if every_room else ctx.room_id
    feed = await ctx.repos.feeds.add(user_id=ctx.sender, room_id=room_id, token=token, now=ctx.clock.now())
    url = web.url(f"kalender/{token}.ics")
    dm = ctx.t(
        "feed.dm",
        which=_which(ctx, feed),
        url=md_code(url),
        webcal=md_code("webcal://" + url.partition("://")[2]),
        id=feed.id,
        prefix=ctx.prefix,
    )
    if ctx.message.is_direct and ctx.message.encrypted:
        return Reply.text(dm)
    # Anywhere else (a group room, or a one-to-one room without encryption) the address goes to the person's own
    # direct chat, which the bot opens encrypted: it must not lie readable on the homeserver.
    return Reply.text(ctx.t("feed.sent"), followups=[Followup(Reply.text(dm), user_id=ctx.sender)])


async def _list(ctx: CommandContext) -> Reply:
    feeds = await ctx.repos.feeds.of_user(ctx.sender)
    if not feeds:
        return Reply.text(ctx.t("feed.none", prefix=ctx.prefix))
    lines = [ctx.t("feed.list_title"), ""]
    for feed in feeds:
        fetched = (
            format_when(feed.last_fetched_at, language=ctx.language)
            if feed.last_fetched_at
            else ctx.t("feed.never_fetched")
        )
        lines.append(
            ctx.t(
                "feed.list_line",
                id=feed.id,
                which=_which(ctx, feed),
                since=format_when(feed.created_at, language=ctx.language),
                fetched=fetched,
            )
        )
    lines += ["", ctx.t("feed.list_hint", prefix=ctx.prefix)]
    return Reply.text("\n".join(lines))


async def _revoke(ctx: CommandContext, which: str | None) -> Reply:
    if which is None:
        raise BadArgument("feed.revoke_which")
    if which in _ALL:
        count = await ctx.repos.feeds.remove(ctx.sender)
        return Reply.text(ctx.t("feed.revoked_all", count=count))
    number = re.fullmatch(r"#?([0-9]{1,10})", which)
    if number is None or not 0 < int(number.group(1)) <= MAX_RECORD_NUMBER:
        raise BadArgument("feed.revoke_which")
    feed_id = int(number.group(1))
    if not await ctx.repos.feeds.remove(ctx.sender, feed_id):  # someone else's number is as unknown as none
        raise NotFound("feed.not_found", id=feed_id)
    return Reply.text(ctx.t("feed.revoked", id=feed_id))


def _which(ctx: CommandContext, feed: CalendarFeedRecord) -> str:
    if feed.room_id is None:
        return ctx.t("feed.every_room")
    group = ctx.config.group_of_room(feed.room_id)
    if group:
        return ctx.t("feed.group_room", group=md_escape(group))
    if feed.room_id == ctx.room_id:
        return ctx.t("feed.this_room")
    return ctx.t("feed.a_room", room=md_code(feed.room_id))


# --- the feed, as the web server serves it ----------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str  # quoted, as the header carries it
    last_modified: datetime


FeedInputs = tuple[object, ...]
"""Everything a feed's bytes are made of (`_inputs`): equal inputs, equal bytes."""


class FeedCache:
    """Built feeds in memory, by the SHA-256 of their token, so that a calendar polling an unchanged feed (a 304, or
    a 200 with the same bytes) costs the database reads but not the building (~90 % of a request before).

    An entry is used only while its inputs are equal to the request's (`_inputs`: the feed, its name, the meetings it
    shows as read just now, the year), so it is right by construction: a changed, skipped, cancelled or new meeting,
    a room the owner left or a renamed group is a different input, and a revoked feed or a room left is refused
    before the cache is asked. Least recently used entries go first, bounded in number and in bytes."""

    def __init__(self, *, max_entries: int = 256, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.builds = 0  # calendars built (a miss), for tests and benchmarks
        self._entries: OrderedDict[str, tuple[FeedInputs, Feed]] = OrderedDict()
        self._bytes = 0

    def get(self, key: str, inputs: FeedInputs) -> Feed | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != inputs:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: str, inputs: FeedInputs, feed: Feed) -> None:
        self.builds += 1
        self._drop(key)
        if len(feed.body) > self.max_bytes:
            return
        self._entries[key] = (inputs, feed)
        self._bytes += len(feed.body)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1].body)


def calendar_name(config: Config, room_id: str | None) -> str:
    """How the subscribing program lists the calendar: the network and the room's group, if it has one."""
    group = config.group_of_room(room_id) if room_id is not None else None
    return f"re@di – {group}" if group else "re@di"


async def calendar_feed(
    db: Database,
    membership: Membership,
    token: str,
    *,
    server: str,
    name: Callable[[str | None], str],
    now: datetime,
    cache: FeedCache | None = None,
) -> Feed | None:
    """The calendar behind a feed address; None for an unknown or revoked token, and for a room its owner left
    (all three look the same from outside: the server answers 404). With a `cache`, an unchanged feed is not built
    again."""
    # Read only: requests from outside (a wrong token too) never queue behind, or hold up, the bot's writes.
    async with db.reading() as repos:
        feed = await repos.feeds.by_token(token)
        if feed is None:
            return None
        shared = membership.rooms_of(feed.user_id)
        if feed.room_id is not None and feed.room_id not in shared:
            return None
        rooms = [feed.room_id] if feed.room_id is not None else sorted(shared)
        records: list[MeetingRecord] = []
        for room_id in rooms:
            records += await repos.meetings.in_room(room_id, cancelled_since=now - CANCELLED_SHOWN)
    if feed.last_fetched_at is None or now - feed.last_fetched_at >= TOUCH_EVERY:
        async with db.transaction() as repos:
            await repos.feeds.touch(feed.id, now=now)
    records.sort(key=lambda r: r.id)
    title = name(feed.room_id)
    inputs = _inputs(feed, records, server=server, title=title, now=now)
    key = feed_token_hash(token)
    if cache is not None and (cached := cache.get(key, inputs)) is not None:
        return cached
    stamp = max(
        [
            feed.created_at,
            *(r.updated_at or r.created_at for r in records),
            *(r.cancelled_at for r in records if r.cancelled_at),
        ]
    )
    from commands.meetings.calendar import calendar_file  # icalendar only when a calendar is made

    body = calendar_file(records, server=server, now=now, stamp=stamp, name=title)
    built = Feed(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', stamp)
    if cache is not None:
        cache.put(key, inputs, built)
    return built


def _inputs(
    feed: CalendarFeedRecord, records: list[MeetingRecord], *, server: str, title: str, now: datetime
) -> FeedInputs:
    """What `calendar_file` makes a feed of. The records are whole (their times, rules, skips, revision, cancellation)
    and are the ones the feed shows now: a room left or a cancellation older than `CANCELLED_SHOWN` changes them. Of
    `now` only the year is used (for the time zones' rules): the feed carries each series' RRULE and EXDATEs, not
    expanded dates, so nothing in it rolls forward day by day."""
    return (feed.id, feed.created_at, server, title, now.year, tuple(records))
