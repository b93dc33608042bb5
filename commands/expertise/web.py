"""The who-knows-what directory's web pages: what `/wer-weiss-was` and `/wer-weiss-was/themen` show, and to whom.

Only people who opted in appear: those who entered a topic, a city or a group (`!ichweiss`, `!stadt`, `!gruppen`, an
import; a profile made for a setting such as `!erwähnen nein` does not count), never someone
known only from what they did (decisions, substitutions), and nobody after `!profil löschen`. Each shows what chat's
`!profil` and `!werweiss` show anybody: name, city, groups, topics, and a matrix.to link to write to them.

A search is `!werweiss`'s: the same grammar (`parse_search`: "eAkte in Bühl", "DMS nicht in Rastatt", "woanders"),
the same matching and ranking (`find_people`), never the person asking. Of chat's answer the page keeps the people with
a profile, in chat's order, and filters them by group. Without words the page lists the profiles by name, by city,
group or topic entered.

Who may see it is who may ask in chat: anybody in a room with the bot (chat answers in any such room, and a direct
chat is one). Somebody who shares no room with the bot any more gets an explanation instead. Everything returned is
plain data; the transport renders it (autoescaped).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import quote

from bot.config import Config
from bot.errors import BadArgument, Forbidden
from bot.i18n import Translator
from commands.arguments import resolve_name
from commands.expertise.commands import Search, find_people, parse_search
from commands.expertise.matching import RankedPerson, Reason, Synonyms, topic_key
from commands.web.access import Viewer
from storage import Database
from storage.profiles import COUNT_CAP, ProfileRecord

PAGE = 20  # people per page
MAX_PAGE = 1000  # bounds the offset a URL can ask for
INDEX_TOPICS = 40  # the most common topics on the directory's page; the topics page has the rest
ALL_TOPICS = 5000  # the topics page, at most (far more than a network of nine cities enters)
MAX_NAME = 100  # characters of a city or group name in a URL; the configured ones are much shorter

NameLookup = Callable[[str | None, Collection[str]], Mapping[str, str]]
"""Display names as the transport's member lists hold them: (room to prefer, user ids) -> names."""


@dataclass(frozen=True)
class TopicLink:
    key: str
    label: str


@dataclass(frozen=True)
class Entry:
    """One person as the directory shows them."""

    name: str
    city: str | None
    groups: tuple[str, ...]
    topics: tuple[TopicLink, ...]
    matched: tuple[str, ...]  # a search's matching topics with chat's reason ("Rechnung (Wortteil)")
    user_id: str  # shown when printed, where the link cannot be followed (chat's replies show it too)
    chat_link: str  # matrix.to: opens a direct chat in the person's own client


@dataclass(frozen=True)
class IndexItem:
    key: str  # what the link filters by: a city or group name, a topic key
    label: str
    people: int


@dataclass(frozen=True)
class DirectoryView:
    query: str  # the search's words, without chat's "in Bühl"
    city: str | None
    excluded_city: str | None
    group: str | None
    topic: TopicLink | None
    entries: list[Entry]
    total: int
    capped: bool  # chat's answer had more than storage.profiles.COUNT_CAP people
    page: int
    pages: int
    cities: list[IndexItem]  # every configured city, with how many profiles name it
    groups: list[str]
    topics: list[IndexItem]

    @property
    def searched(self) -> bool:
        return bool(self.query)

    @property
    def filtered(self) -> bool:
        return bool(self.query or self.city or self.excluded_city or self.group or self.topic)


def may_use(viewer: Viewer) -> None:
    """Chat answers `!werweiss` in any room the bot is in; a person in none could not ask it."""
    if not viewer.rooms:
        raise Forbidden("page.dir_no_room")


def _choose(text: str, names: Sequence[str], kind: str, plural: str, t: Translator) -> str | None:
    """A configured city or group from a URL's value (any case, "buehl" for "Bühl"); unknown ones are refused with
    the list of those that exist."""
    text = _check_text(text[:MAX_NAME])
    if not text:
        return None
    found, similar = resolve_name(text, names)
    if found is None:
        hint = t(f"arg.{kind}_suggestion", **{kind: similar}) if similar else ""
        raise BadArgument(f"arg.{kind}_unknown", **{kind: text, "suggestion": hint, plural: ", ".join(names)})
    return found


def _check_text(text: str) -> str:
    text = " ".join(text.split())  # a pasted line break or tab is a space
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in text):
        raise BadArgument("page.bad_characters")  # a NUL is no text to PostgreSQL; no other control character either
    return text


async def directory_view(
    db: Database,
    viewer: Viewer,
    config: Config,
    t: Translator,
    *,
    query: str,
    city: str,
    group: str,
    topic: str,
    page: int,
    now: datetime,
    members: NameLookup,
) -> DirectoryView:
    """One page of the directory (a page beyond the last is the last). Raises `Forbidden` for someone who could not
    ask in chat, `BadArgument` for an unknown city or group (naming those that exist) and for control characters."""
    may_use(viewer)
    page = max(1, min(page, MAX_PAGE))
    query = _check_text(query)
    chosen_city = _choose(city, config.cities, "city", "cities", t)
    chosen_group = _choose(group, config.groups, "group", "groups", t)
    topic_wanted = topic_key(_check_text(topic))[:128] or None
    search = parse_search(query, config.cities) if query else Search("")
    if chosen_city is not None:  # the list's city wins over one in the words
        search = replace(search, city=chosen_city, exclude_city=None, exclude_own_city=False)
    # Read only: a page never queues behind, or holds up, the bot's writes (SQLite has one writer).
    async with db.reading() as repos:
        own_city = await repos.profiles.city_of(viewer.user_id) if search.exclude_own_city else None
        if search.exclude_own_city and own_city is None:
            raise BadArgument("who.no_own_city")
        excluded = search.exclude_city or own_city
        ranked: dict[str, RankedPerson] = {}
        capped = False
        if search.query:
            people, result = await find_people(
                repos,
                search,
                synonyms=Synonyms(config.synonyms),
                asker=viewer.user_id,
                own_city=own_city,
                activity_since=now - config.activity_window,
                limit=COUNT_CAP,
            )
            capped = result.capped
            profiles = await repos.profiles.get_many([p.person.user_id for p in people], with_topics=True)
            # Chat's order; only who opted in (has a profile), in the group asked for, with the topic asked for.
            chosen = [
                p.person.user_id
                for p in people
                if (profile := profiles.get(p.person.user_id)) is not None
                and profile.listed
                and (chosen_group is None or chosen_group in profile.groups)
                and (topic_wanted is None or topic_wanted in {topic_key(label) for label in profile.topics})
            ]
            ranked = {p.person.user_id: p for p in people}
            total = len(chosen)
            last = max(1, -(-total // PAGE))
            page = min(page, last)
            ids = chosen[(page - 1) * PAGE : page * PAGE]
        else:
            listed = await repos.profiles.directory(
                city=search.city, group=chosen_group, topic=topic_wanted, limit=PAGE, offset=(page - 1) * PAGE
            )
            total = listed.total
            last = max(1, -(-total // PAGE))
            if page > last:
                page = last
                listed = await repos.profiles.directory(
                    city=search.city, group=chosen_group, topic=topic_wanted, limit=PAGE, offset=(page - 1) * PAGE
                )
            ids = listed.user_ids
            profiles = await repos.profiles.get_many(ids, with_topics=True)
        counts = await repos.profiles.directory_cities()
        index = await repos.profiles.directory_topics(limit=INDEX_TOPICS)
        # The topic's first spelling (the vocabulary is cached per process); an unknown one as it was asked for.
        topic_label = dict(await repos.profiles.vocabulary()).get(topic_wanted) if topic_wanted else None
    unnamed = [uid for uid in ids if uid in profiles and not profiles[uid].display_name]
    names = dict(members(None, unnamed)) if unnamed else {}
    entries = [_entry(t, profiles[uid], ranked.get(uid), names, config.groups) for uid in ids if uid in profiles]
    return DirectoryView(
        query=search.query,
        city=search.city,
        excluded_city=excluded,
        group=chosen_group,
        topic=TopicLink(topic_wanted, topic_label or " ".join(topic.split())[:128]) if topic_wanted else None,
        entries=entries,
        total=total,
        capped=capped,
        page=page,
        pages=last,
        cities=[IndexItem(name, name, counts.get(name, 0)) for name in config.cities],
        groups=list(config.groups),
        topics=[IndexItem(key, label, people) for key, label, people in index],
    )


def _entry(
    t: Translator,
    profile: ProfileRecord,
    ranked: RankedPerson | None,
    names: Mapping[str, str],
    configured_groups: Sequence[str],
) -> Entry:
    order = {name: index for index, name in enumerate(configured_groups)}
    matched: list[str] = []
    for hit in ranked.hits if ranked else ():
        # Why this topic answers, as chat says it (an exact match needs no word), and where it comes from.
        notes = [] if hit.topic.reason is Reason.EXACT else [t(f"who.kind.{hit.topic.reason.value}")]
        if not hit.from_profile:
            notes.append(t(f"who.source.{hit.source}"))
        matched.append(f"{hit.topic.label} ({', '.join(notes)})" if notes else hit.topic.label)
    return Entry(
        name=" ".join((profile.display_name or names.get(profile.user_id) or profile.user_id).split()),
        city=profile.city,
        groups=tuple(sorted(profile.groups, key=lambda name: (order.get(name, len(order)), name))),
        topics=tuple(TopicLink(topic_key(label), label) for label in profile.topics),
        matched=tuple(dict.fromkeys(matched)),
        user_id=profile.user_id,
        chat_link=f"https://matrix.to/#/{quote(profile.user_id, safe='@:')}",
    )


async def topics_view(db: Database, viewer: Viewer) -> list[IndexItem]:
    """Every topic people entered, A to Z, with how many: the directory's full index."""
    may_use(viewer)
    async with db.reading() as repos:
        found = await repos.profiles.directory_topics(limit=ALL_TOPICS)
    return sorted(
        (IndexItem(key, label, people) for key, label, people in found), key=lambda i: (i.label.casefold(), i.key)
    )
