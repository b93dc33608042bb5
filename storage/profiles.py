"""Repositories of the who-knows-what directory: profiles, their topics, topic activity, saved queries."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, TextClause

from storage.models import (
    Profile,
    ProfileGroup,
    ProfileTopic,
    SavedQuery,
    SearchCount,
    SyncState,
    Topic,
    TopicActivity,
    UserSettings,
    UTCDateTime,
    ensure_utc,
)
from storage.sql import check_length as _check_length
from storage.sql import dialect_insert as _insert

_LABEL_MAX = 128
_NAME_MAX = 255
_CITY_MAX = 64


@dataclass(frozen=True)
class ProfileRecord:
    user_id: str
    display_name: str | None
    city: str | None
    groups: tuple[str, ...]
    topics: tuple[str, ...]  # this person's spellings, in the order entered
    note: str | None
    allow_mentions: bool

    @property
    def listed(self) -> bool:
        """In the directory: who entered a city, a group or a topic. A profile also comes into being for a setting
        (`!erwähnen nein`, `!notiz`), which is no wish to be found."""
        return bool(self.city or self.groups or self.topics)


@dataclass(frozen=True)
class HolderRecord:
    """What a search answer shows of a person besides their topics."""

    user_id: str
    display_name: str | None
    city: str | None
    groups: tuple[str, ...]  # by name


@dataclass(frozen=True)
class DirectoryPage:
    user_ids: list[str]
    total: int


@dataclass(frozen=True)
class TopicHolder:
    """Someone who knows a topic, and how we know: their profile, or what they did."""

    user_id: str
    key: str
    label: str
    source: str  # "profile" | "decision" | "substitution"


T = TypeVar("T")

COUNT_CAP = 500
# Changes (to a random value) whenever a topic is added to or dropped from the vocabulary, so each
# process can keep its copy of the vocabulary and check it with one tiny query per search.
VOCABULARY_VERSION_KEY = "topics.version"


DERIVED_MAX = 8
"""How many things built from the vocabulary a process keeps (one per search configuration in practice)."""


class Caches:
    """Per-process copies of versioned data. The version lives in the database, so several bot
    processes sharing one database never serve a stale copy."""

    def __init__(self) -> None:
        self.vocabulary: tuple[str | None, list[tuple[str, str]], dict[str, int]] | None = None
        # What callers built from the vocabulary (a search index), by their name: (version, object).
        self.derived: dict[Hashable, tuple[str | None, object]] = {}


@dataclass(frozen=True)
class RankedPage:
    user_ids: list[str]
    total: int  # all matching people, at most COUNT_CAP
    capped: bool  # there are more than COUNT_CAP


class _Holders:
    """The people who know some weighted topics, as written SQL for ranking and counting them.

    Written, not built with SQLAlchemy's expression language: building and compiling that statement cost
    three times what the database needs to run it, and no compiled form could be reused (the weights differ
    with every question). Only ints and floats formed here are inlined, never text: the weights as a VALUES
    list (hundreds of bound parameters would cost more than the query, and a join evaluates each weight once
    per row), the topic ids, limit and offset. The rest is bound.

    Each (person, topic) is one row of `h`, once: activity on a topic the person also entered is left out (it
    changes neither kind nor score), so `count(*)` counts distinct topics without the per-group sort of
    `count(DISTINCT ...)`.
    """

    def __init__(
        self,
        weights: Mapping[str, tuple[int, float]],
        ids: Mapping[str, int],
        since: datetime,
        *,
        city: str | None,
        exclude_city: str | None,
        exclude_user: str | None,
    ) -> None:
        values = ", ".join(
            f"({int(ids[key])}, {int(kind)}, {float(kind) + float(score)!r})"
            for key, (kind, score) in weights.items()
            if key in ids
        )
        # The ids once more as a plain list: with it both planners read the holders through the topic index.
        topic_ids = ", ".join(str(int(topic_id)) for topic_id in ids.values())
        self._params: list[BindParameter[Any]] = [
            bindparam("since", ensure_utc(since, "activity_since"), type_=UTCDateTime())
        ]
        joins, conditions = "", []
        if exclude_user is not None:
            conditions.append("h.user_id <> :exclude_user")
            self._params.append(bindparam("exclude_user", exclude_user))
        if city is not None or exclude_city is not None:
            # People without a profile have no city: they never match "in X" but do match "not in X".
            joins = " LEFT JOIN profiles p ON p.user_id = h.user_id"
            conditions.append("p.city = :city" if city is not None else "(p.city IS NULL OR p.city <> :city)")
            self._params.append(bindparam("city", city if city is not None else exclude_city))
        self._from = f"""
            WITH m (topic_id, kind, ks) AS (VALUES {values}),
            h AS (
                SELECT pt.user_id, pt.topic_id, 1 AS from_profile, m.kind, m.ks
                FROM m JOIN profile_topics pt ON pt.topic_id = m.topic_id
                WHERE pt.topic_id IN ({topic_ids})
                UNION ALL
                SELECT DISTINCT ta.user_id, ta.topic_id, 0 AS from_profile, m.kind, m.ks
                FROM m JOIN topic_activity ta ON ta.topic_id = m.topic_id
                WHERE ta.topic_id IN ({topic_ids}) AND ta.at >= :since AND NOT EXISTS (
                    SELECT 1 FROM profile_topics known WHERE known.user_id = ta.user_id AND known.topic_id = ta.topic_id
                )
            )
            SELECT {{columns}} FROM h{joins} {"WHERE " + " AND ".join(conditions) if conditions else ""}
            """

    def ranking(self, postgresql: bool, limit: int, offset: int) -> TextClause:
        """User ids, best first, and on PostgreSQL how many there are in all. `max(ks)` is the best kind plus
        the best score at that kind (scores are > 0), `max(from_profile * kind)` the best kind among the
        person's own entries."""
        user = _user_column(postgresql)
        total = ", count(*) OVER () AS total" if postgresql else ""
        return text(
            self._from.replace("{columns}", f"{user} AS user_id{total}")
            + f"""
            GROUP BY {user}
            ORDER BY max(h.kind) DESC,
                CASE WHEN max(h.from_profile * h.kind) = max(h.kind) THEN 1 ELSE 0 END DESC,
                count(*) DESC,
                max(h.ks) DESC,
                {user}
            LIMIT {int(limit)} OFFSET {int(offset)}
            """
        ).bindparams(*self._params)

    def count(self, postgresql: bool, cap: int) -> TextClause:
        """How many people, counted up to `cap` (the weights don't matter here)."""
        inner = self._from.replace("{columns}", f"DISTINCT {_user_column(postgresql)}") + f" LIMIT {int(cap)}"
        return text(f"SELECT count(*) FROM ({inner}) counted").bindparams(*self._params)


def _user_column(postgresql: bool) -> str:
    """Ordered by code point on both backends, as rank_people sorts; on PostgreSQL also much cheaper to sort and
    group by than the database's locale collation."""
    return 'h.user_id COLLATE "C"' if postgresql else "h.user_id"


class ProfileRepository:
    def __init__(self, session: AsyncSession, caches: Caches) -> None:
        self._session = session
        self._caches = caches
        # Topic ids as of the last vocabulary() in this unit of work (same snapshot as the match).
        self._topic_id_by_key: dict[str, int] | None = None

    # -- reading ---------------------------------------------------------------------------------------
    async def get(self, user_id: str) -> ProfileRecord | None:
        found = await self.get_many([user_id], with_topics=True)
        return found.get(user_id)

    async def get_many(self, user_ids: Iterable[str], *, with_topics: bool = False) -> dict[str, ProfileRecord]:
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return {}
        profiles: dict[str, Profile] = {}
        groups: dict[str, list[str]] = {}
        rows = await self._session.execute(
            select(Profile, ProfileGroup.group_name)
            .outerjoin(ProfileGroup, ProfileGroup.user_id == Profile.user_id)
            .where(Profile.user_id.in_(ids))
            .order_by(Profile.user_id, ProfileGroup.group_name)
        )
        for profile, group in rows:
            profiles[profile.user_id] = profile
            if group is not None:
                groups.setdefault(profile.user_id, []).append(group)
        topics: dict[str, list[str]] = {}
        if with_topics:
            for user_id, label in await self._session.execute(
                select(ProfileTopic.user_id, ProfileTopic.label)
                .where(ProfileTopic.user_id.in_(ids))
                .order_by(ProfileTopic.position, ProfileTopic.label)
            ):
                topics.setdefault(user_id, []).append(label)
        return {
            p.user_id: ProfileRecord(
                user_id=p.user_id,
                display_name=p.display_name,
                city=p.city,
                groups=tuple(groups.get(p.user_id, ())),
                topics=tuple(topics.get(p.user_id, ())),
                note=p.note,
                allow_mentions=p.allow_mentions,
            )
            for p in profiles.values()
        }

    async def city_of(self, user_id: str) -> str | None:
        return (
            await self._session.execute(select(Profile.city).where(Profile.user_id == user_id))
        ).scalar_one_or_none()

    async def directory(
        self, *, city: str | None, group: str | None, topic: str | None, limit: int, offset: int
    ) -> DirectoryPage:
        """One page of the directory of profiles (only people who opted in have one), by name, and how many in all:
        `city` and `group` as stored, `topic` a topic key the person entered (not derived from activity)."""
        conditions = [  # `ProfileRecord.listed`: a city, a group or a topic entered
            or_(
                Profile.city.is_not(None),
                exists().where(ProfileGroup.user_id == Profile.user_id),
                exists().where(ProfileTopic.user_id == Profile.user_id),
            )
        ]
        if city is not None:
            conditions.append(Profile.city == city)
        if group is not None:
            conditions.append(exists().where(ProfileGroup.user_id == Profile.user_id, ProfileGroup.group_name == group))
        if topic is not None:
            conditions.append(
                exists().where(
                    ProfileTopic.user_id == Profile.user_id, ProfileTopic.topic_id == Topic.id, Topic.key == topic
                )
            )
        total = int(
            (await self._session.execute(select(func.count()).select_from(Profile).where(*conditions))).scalar_one()
        )
        name = func.lower(func.coalesce(Profile.display_name, Profile.user_id))
        rows = await self._session.execute(
            select(Profile.user_id).where(*conditions).order_by(name, Profile.user_id).limit(limit).offset(offset)
        )
        return DirectoryPage(list(rows.scalars()), total)

    async def directory_topics(self, *, limit: int) -> list[tuple[str, str, int]]:
        """(key, label, people) of the topics people entered in their profiles, most people first: the directory's
        index. Activity alone (decisions, substitutions) puts nobody in the directory."""
        people = func.count(ProfileTopic.user_id)
        rows = await self._session.execute(
            select(Topic.key, Topic.label, people)
            .join(ProfileTopic, ProfileTopic.topic_id == Topic.id)
            .group_by(Topic.id, Topic.key, Topic.label)
            .order_by(people.desc(), func.lower(Topic.label), Topic.key)
            .limit(limit)
        )
        return [(str(key), str(label), int(count)) for key, label, count in rows]

    async def directory_cities(self) -> dict[str, int]:
        """How many profiles name each city."""
        rows = await self._session.execute(
            select(Profile.city, func.count()).where(Profile.city.is_not(None)).group_by(Profile.city)
        )
        return {str(city): int(count) for city, count in rows}

    async def vocabulary(self) -> list[tuple[str, str]]:
        """(key, label) of every topic someone knows; small compared with the number of people."""
        return (await self._versioned_vocabulary())[1]

    async def vocabulary_index(self, name: Hashable, build: Callable[[list[tuple[str, str]]], T]) -> T:
        """`build(vocabulary)`, kept per process until the vocabulary changes: a search index over every topic is
        built once per version instead of once per question. `name` tells apart what callers build (and with
        which settings); it must be hashable and equal for equal settings."""
        version, vocabulary = await self._versioned_vocabulary()
        derived = self._caches.derived
        cached = derived.get(name)
        if cached is not None and cached[0] == version:
            return cast(T, cached[1])
        built = build(vocabulary)
        derived.pop(name, None)
        if len(derived) >= DERIVED_MAX:
            del derived[next(iter(derived))]
        derived[name] = (version, built)
        return built

    async def _versioned_vocabulary(self) -> tuple[str | None, list[tuple[str, str]]]:
        version = (
            await self._session.execute(select(SyncState.value).where(SyncState.key == VOCABULARY_VERSION_KEY))
        ).scalar_one_or_none()
        cached = self._caches.vocabulary
        if cached is not None and cached[0] == version:
            self._topic_id_by_key = cached[2]
            return version, cached[1]
        rows = (await self._session.execute(select(Topic.key, Topic.label, Topic.id))).all()
        vocabulary = [(key, label) for key, label, _ in rows]
        self._topic_id_by_key = {key: topic_id for key, _, topic_id in rows}
        self._caches.vocabulary = (version, vocabulary, self._topic_id_by_key)
        return version, vocabulary

    async def _vocabulary_changed(self) -> None:
        value = uuid.uuid4().hex
        await self._session.execute(
            _insert(self._session, SyncState)
            .values(key=VOCABULARY_VERSION_KEY, value=value)
            .on_conflict_do_update(index_elements=["key"], set_={"value": value})
        )

    async def page_of_holders(
        self, user_ids: Sequence[str], keys: Sequence[str], *, activity_since: datetime
    ) -> tuple[dict[str, HolderRecord], list[TopicHolder]]:
        """One page of a search: these people's names, cities and groups, and which of these topics each knows
        (from their profile, or what they did), in one statement: every round trip counts when a search should
        take milliseconds. People without a profile (activity only) have no record."""
        if not user_ids or not keys:
            return {}, []
        ids = await self._topic_ids_of(keys)
        if not ids:
            return {}, []
        key_of = {topic_id: key for key, topic_id in ids.items()}
        topic_ids = ", ".join(str(int(topic_id)) for topic_id in ids.values())  # ints formed here, never text
        # Four kinds of row in one result: 0 a profile, 1 a group, 2 a topic entered, 3 a topic acted on.
        statement = text(
            f"""
            SELECT 0 AS part, user_id, display_name AS text1, city AS text2, CAST(NULL AS INTEGER) AS topic_id
            FROM profiles WHERE user_id IN :users
            UNION ALL
            SELECT 1, user_id, group_name, NULL, NULL FROM profile_groups WHERE user_id IN :users
            UNION ALL
            SELECT 2, user_id, label, 'profile', topic_id FROM profile_topics
            WHERE user_id IN :users AND topic_id IN ({topic_ids})
            UNION ALL
            SELECT DISTINCT 3, ta.user_id, t.label, ta.source, ta.topic_id
            FROM topic_activity ta JOIN topics t ON t.id = ta.topic_id
            WHERE ta.user_id IN :users AND ta.topic_id IN ({topic_ids}) AND ta.at >= :since
            ORDER BY 1, 2, 3
            """
        ).bindparams(
            bindparam("users", list(user_ids), expanding=True),
            bindparam("since", ensure_utc(activity_since, "activity_since"), type_=UTCDateTime()),
        )
        people: dict[str, HolderRecord] = {}
        groups: dict[str, list[str]] = {}
        holders: list[TopicHolder] = []
        for part, user_id, text1, text2, topic_id in await self._session.execute(statement):
            if part == 0:
                people[user_id] = HolderRecord(user_id, text1, text2, ())
            elif part == 1:
                groups.setdefault(user_id, []).append(text1)
            else:
                holders.append(TopicHolder(user_id, key_of[topic_id], text1, text2))
        for user_id, names in groups.items():
            if user_id in people:
                people[user_id] = replace(people[user_id], groups=tuple(names))
        return people, holders

    async def _topic_ids_of(self, keys: Iterable[str]) -> dict[str, int]:
        """Topic ids by key: from this unit of work's copy of the vocabulary if it has them all (a search asked
        for it first), else from the database."""
        keys = list(keys)
        known = self._topic_id_by_key
        if known is not None and all(key in known for key in keys):
            return {key: known[key] for key in keys}
        rows = await self._session.execute(select(Topic.key, Topic.id).where(Topic.key.in_(keys)))
        return {key: topic_id for key, topic_id in rows}

    async def rank_holders(
        self,
        weights: Mapping[str, tuple[int, float]],
        *,
        activity_since: datetime,
        city: str | None = None,
        exclude_city: str | None = None,
        exclude_user: str | None = None,
        limit: int,
        offset: int = 0,
    ) -> RankedPage:
        """One page of the people who know any of the weighted topics, best first.

        `weights` maps topic key -> (match kind, score in (0, 1]). The order is the one of
        `commands.expertise.matching.rank_people` (a test checks both agree), computed by the database, so a
        popular topic with thousands of holders costs one aggregate query instead of thousands of rows in
        Python. `exclude_user` is the person asking: nobody is their own answer. The total is counted only
        when there is more than this page, and only up to COUNT_CAP: nobody pages through more.
        """
        ids = await self._topic_ids_of(weights)
        if not ids:
            return RankedPage([], 0, capped=False)
        holders = _Holders(
            weights, ids, activity_since, city=city, exclude_city=exclude_city, exclude_user=exclude_user
        )
        # PostgreSQL counts everyone in the same statement, a window over the groups it forms anyway. SQLite does
        # better counting apart, and only when needed: a window makes it keep every group, where ORDER BY with
        # LIMIT keeps only the best (measured with bench/search.py: each way is the faster on its backend).
        postgresql = self._session.get_bind().dialect.name == "postgresql"
        # One more than the page tells whether there is a next page without counting all.
        rows = (await self._session.execute(holders.ranking(postgresql, limit + 1, offset))).all()
        page = [str(row[0]) for row in rows]
        if len(page) <= limit and (page or offset == 0):
            return RankedPage(page, offset + len(page), capped=False)  # this is the last page
        if postgresql and rows:
            total = int(rows[0][1])
        else:
            total = int((await self._session.execute(holders.count(postgresql, COUNT_CAP + 1))).scalar_one())
        return RankedPage(page[:limit], min(total, COUNT_CAP), capped=total > COUNT_CAP)

    # -- writing ---------------------------------------------------------------------------------------
    async def ensure(self, user_id: str, display_name: str | None = None) -> None:
        """Create the profile on first use (opt-in by acting); refresh the display name if given."""
        if display_name is not None:
            display_name = display_name[:_NAME_MAX]
        stmt = _insert(self._session, Profile).values(user_id=user_id, display_name=display_name)
        if display_name:
            stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_={"display_name": display_name})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["user_id"])
        await self._session.execute(stmt)

    async def add_topics(self, user_id: str, topics: Sequence[tuple[str, str]]) -> list[str]:
        """Add (key, label) topics; returns the labels that were new for this person."""
        ids = await self._topic_ids(topics)
        known = set(
            (
                await self._session.execute(
                    select(ProfileTopic.topic_id).where(
                        ProfileTopic.user_id == user_id, ProfileTopic.topic_id.in_(ids.values())
                    )
                )
            ).scalars()
        )
        last = (
            await self._session.execute(select(func.max(ProfileTopic.position)).where(ProfileTopic.user_id == user_id))
        ).scalar_one_or_none() or 0
        added: list[str] = []
        for key, label in topics:
            if ids[key] in known:
                continue
            known.add(ids[key])
            self._session.add(
                ProfileTopic(user_id=user_id, topic_id=ids[key], label=label, position=last + len(added) + 1)
            )
            added.append(label)
        await self._session.flush()
        return added

    async def remove_topics(self, user_id: str, keys: Sequence[str]) -> list[str]:
        """Remove topics by key; returns the labels that were removed."""
        rows = (
            await self._session.execute(
                select(ProfileTopic.topic_id, ProfileTopic.label)
                .join(Topic, Topic.id == ProfileTopic.topic_id)
                .where(ProfileTopic.user_id == user_id, Topic.key.in_(keys))
            )
        ).all()
        if not rows:
            return []
        topic_ids = [topic_id for topic_id, _ in rows]
        await self._session.execute(
            delete(ProfileTopic).where(ProfileTopic.user_id == user_id, ProfileTopic.topic_id.in_(topic_ids))
        )
        await self._drop_orphan_topics(topic_ids)
        return [label for _, label in rows]

    async def set_city(self, user_id: str, city: str | None) -> None:
        if city is not None:
            _check_length("city", city, _CITY_MAX)
        await self._session.execute(update(Profile).where(Profile.user_id == user_id).values(city=city))

    async def set_note(self, user_id: str, note: str | None) -> None:
        await self._session.execute(update(Profile).where(Profile.user_id == user_id).values(note=note))

    async def set_allow_mentions(self, user_id: str, allow: bool) -> None:
        await self._session.execute(update(Profile).where(Profile.user_id == user_id).values(allow_mentions=allow))

    async def set_groups(self, user_id: str, groups: Sequence[str]) -> None:
        await self._session.execute(delete(ProfileGroup).where(ProfileGroup.user_id == user_id))
        for group in dict.fromkeys(groups):
            self._session.add(ProfileGroup(user_id=user_id, group_name=group))
        await self._session.flush()

    async def delete(self, user_id: str) -> bool:
        """Remove the profile with everything attached to it, at once."""
        topic_ids = list(
            (
                await self._session.execute(select(ProfileTopic.topic_id).where(ProfileTopic.user_id == user_id))
            ).scalars()
        )
        activity_topic_ids = list(
            (
                await self._session.execute(select(TopicActivity.topic_id).where(TopicActivity.user_id == user_id))
            ).scalars()
        )
        await self._session.execute(delete(TopicActivity).where(TopicActivity.user_id == user_id))
        # Children first: SQLite enforces ON DELETE CASCADE only with foreign_keys=ON, so don't rely on it.
        await self._session.execute(delete(ProfileTopic).where(ProfileTopic.user_id == user_id))
        await self._session.execute(delete(ProfileGroup).where(ProfileGroup.user_id == user_id))
        await self._session.execute(delete(SavedQuery).where(SavedQuery.user_id == user_id))
        # Language and the like are personal too; the person starts again from the defaults.
        await self._session.execute(delete(UserSettings).where(UserSettings.user_id == user_id))
        result = await self._session.execute(delete(Profile).where(Profile.user_id == user_id))
        await self._drop_orphan_topics(topic_ids + activity_topic_ids)
        return bool(getattr(result, "rowcount", 0))

    async def save(
        self,
        user_id: str,
        *,
        display_name: str | None,
        city: str | None,
        groups: Sequence[str],
        topics: Sequence[tuple[str, str]],
        note: str | None,
        allow_mentions: bool,
    ) -> None:
        """Write a whole profile as an import planned it; topics are added, never removed."""
        await self.ensure(user_id, display_name)
        await self._session.execute(
            update(Profile)
            .where(Profile.user_id == user_id)
            .values(display_name=display_name, city=city, note=note, allow_mentions=allow_mentions)
        )
        await self.set_groups(user_id, groups)
        await self.add_topics(user_id, topics)

    async def record_activity(
        self, user_id: str, topic: tuple[str, str], *, source: str, ref_id: int, at: datetime
    ) -> None:
        """Called by the decision and substitution features: this person acted on this topic."""
        ids = await self._topic_ids([topic])
        self._session.add(
            TopicActivity(
                user_id=user_id, topic_id=ids[topic[0]], source=source, ref_id=ref_id, at=ensure_utc(at, "at")
            )
        )
        await self._session.flush()

    async def count(self) -> int:
        return int((await self._session.execute(select(func.count()).select_from(Profile))).scalar_one())

    # -- helpers ---------------------------------------------------------------------------------------
    async def _topic_ids(self, topics: Sequence[tuple[str, str]]) -> dict[str, int]:
        for key, label in topics:
            _check_length("topic", label, _LABEL_MAX)
            _check_length("topic key", key, _LABEL_MAX)
        if not topics:
            return {}
        labels = dict(reversed(topics))  # the first spelling of a key wins
        ids: dict[str, int] = {}
        for _ in range(3):
            inserted = await self._session.execute(
                _insert(self._session, Topic)
                .values([{"key": key, "label": label} for key, label in labels.items() if key not in ids])
                .on_conflict_do_nothing(index_elements=["key"])
            )
            if getattr(inserted, "rowcount", 1) != 0:
                await self._vocabulary_changed()
            # FOR KEY SHARE (PostgreSQL): a concurrent orphan clean-up cannot delete these topics until
            # this unit of work has attached them; if it deleted one just before, insert it again.
            rows = await self._session.execute(
                select(Topic.key, Topic.id)
                .where(Topic.key.in_([key for key in labels if key not in ids]))
                .with_for_update(read=True, key_share=True)
            )
            ids.update({key: topic_id for key, topic_id in rows})
            if len(ids) == len(labels):
                return ids
        raise RuntimeError(f"topics kept disappearing while being added: {len(set(labels) - set(ids))} of them")

    async def _drop_orphan_topics(self, topic_ids: Sequence[int]) -> None:
        """A topic nobody knows any more must not show up as a suggestion."""
        if not topic_ids:
            return
        # Lock first (PostgreSQL), then check for holders in a new statement: a topic someone is
        # adding right now is locked by them (FOR KEY SHARE), so we wait and then see their holder.
        await self._session.execute(select(Topic.id).where(Topic.id.in_(set(topic_ids))).with_for_update())
        dropped = await self._session.execute(
            delete(Topic).where(
                Topic.id.in_(set(topic_ids)),
                ~exists().where(ProfileTopic.topic_id == Topic.id),
                ~exists().where(TopicActivity.topic_id == Topic.id),
            )
        )
        if getattr(dropped, "rowcount", 1) != 0:
            await self._vocabulary_changed()


class SavedQueryRepository:
    """The last search per person and room, so paging (`!mehr`) works without state in the bot."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, user_id: str, room_id: str, kind: str, payload: Mapping[str, Any]) -> None:
        text = json.dumps(payload, ensure_ascii=False)
        await self._session.execute(
            _insert(self._session, SavedQuery)
            .values(user_id=user_id, room_id=room_id, kind=kind, payload=text)
            .on_conflict_do_update(
                index_elements=["user_id", "room_id", "kind"],
                set_={"payload": text, "updated_at": func.now()},
            )
        )

    async def load(self, user_id: str, room_id: str, kind: str) -> dict[str, Any] | None:
        text = (
            await self._session.execute(
                select(SavedQuery.payload).where(
                    SavedQuery.user_id == user_id, SavedQuery.room_id == room_id, SavedQuery.kind == kind
                )
            )
        ).scalar_one_or_none()
        if text is None:
            return None
        payload = json.loads(text)
        return payload if isinstance(payload, dict) else None


class SearchStatsRepository:
    """Counts of `!werweiss` topics per day (who asked is not stored): the most-asked topics of a year."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, topic_key: str, label: str, *, day: date, count: int = 1) -> None:
        insert = _insert(self._session, SearchCount).values(
            day=day, topic_key=topic_key[:200], label=label[:200], count=count
        )
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=["day", "topic_key"],
                set_={"count": SearchCount.count + insert.excluded.count, "label": insert.excluded.label},
            )
        )

    async def top(self, *, since: date, until: date, limit: int = 10) -> list[tuple[str, int]]:
        """(label, count) of the most-asked topics with since <= day < until, most first."""
        total = func.sum(SearchCount.count)
        rows = await self._session.execute(
            select(func.max(SearchCount.label), total)
            .where(SearchCount.day >= since, SearchCount.day < until)
            .group_by(SearchCount.topic_key)
            .order_by(total.desc(), func.max(SearchCount.label))
            .limit(limit)
        )
        return [(str(label), int(count)) for label, count in rows]


class SearchTally:
    """`!werweiss` topics counted in memory and written in batches (`flush`): a search must not cost a
    write. What is not yet written when the process dies is lost; these are statistics, not records."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[date, str]] = Counter()
        self._labels: dict[tuple[date, str], str] = {}

    def add(self, topic_key: str, label: str, *, day: date) -> None:
        self._counts[(day, topic_key)] += 1
        self._labels[(day, topic_key)] = label

    def __len__(self) -> int:
        return len(self._counts)

    async def flush(self, stats: SearchStatsRepository) -> int:
        """Write what was counted (inside the caller's unit of work); returns how many rows."""
        counts, labels = self._counts, self._labels
        self._counts, self._labels = Counter(), {}
        for (day, key), count in sorted(counts.items()):
            await stats.add(key, labels[(day, key)], day=day, count=count)
        return len(counts)
