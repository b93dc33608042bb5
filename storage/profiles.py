"""Repositories of the who-knows-what directory: profiles, their topics, topic activity, saved queries."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Profile,
    ProfileGroup,
    ProfileTopic,
    SavedQuery,
    Topic,
    TopicActivity,
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


@dataclass(frozen=True)
class TopicHolder:
    """Someone who knows a topic, and how we know: their profile, or what they did."""

    user_id: str
    key: str
    label: str
    source: str  # "profile" | "decision" | "substitution"


class ProfileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- reading ---------------------------------------------------------------------------------------
    async def get(self, user_id: str) -> ProfileRecord | None:
        found = await self.get_many([user_id], with_topics=True)
        return found.get(user_id)

    async def get_many(self, user_ids: Iterable[str], *, with_topics: bool = False) -> dict[str, ProfileRecord]:
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return {}
        rows = (await self._session.execute(select(Profile).where(Profile.user_id.in_(ids)))).scalars().all()
        groups: dict[str, list[str]] = {}
        for user_id, group in await self._session.execute(
            select(ProfileGroup.user_id, ProfileGroup.group_name)
            .where(ProfileGroup.user_id.in_(ids))
            .order_by(ProfileGroup.group_name)
        ):
            groups.setdefault(user_id, []).append(group)
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
            for p in rows
        }

    async def vocabulary(self) -> list[tuple[str, str]]:
        """(key, label) of every topic someone knows; small compared with the number of people."""
        rows = await self._session.execute(select(Topic.key, Topic.label))
        return [(key, label) for key, label in rows]

    async def holders(self, keys: Sequence[str], *, activity_since: datetime) -> list[TopicHolder]:
        if not keys:
            return []
        by_profile = await self._session.execute(
            select(ProfileTopic.user_id, Topic.key, ProfileTopic.label)
            .join(Topic, Topic.id == ProfileTopic.topic_id)
            .where(Topic.key.in_(keys))
        )
        holders = [TopicHolder(user_id, key, label, "profile") for user_id, key, label in by_profile]
        by_activity = await self._session.execute(
            select(TopicActivity.user_id, Topic.key, Topic.label, TopicActivity.source)
            .join(Topic, Topic.id == TopicActivity.topic_id)
            .where(Topic.key.in_(keys), TopicActivity.at >= ensure_utc(activity_since, "activity_since"))
            .distinct()
        )
        holders += [TopicHolder(user_id, key, label, source) for user_id, key, label, source in by_activity]
        return holders

    async def existing(self, user_ids: Iterable[str]) -> dict[str, ProfileRecord]:
        return await self.get_many(user_ids, with_topics=True)

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
        await self._session.execute(
            _insert(self._session, Topic)
            .values([{"key": key, "label": label} for key, label in labels.items()])
            .on_conflict_do_nothing(index_elements=["key"])
        )
        rows = await self._session.execute(select(Topic.key, Topic.id).where(Topic.key.in_(list(labels))))
        return {key: topic_id for key, topic_id in rows}

    async def _drop_orphan_topics(self, topic_ids: Sequence[int]) -> None:
        """A topic nobody knows any more must not show up as a suggestion."""
        if not topic_ids:
            return
        await self._session.execute(
            delete(Topic).where(
                Topic.id.in_(set(topic_ids)),
                ~exists().where(ProfileTopic.topic_id == Topic.id),
                ~exists().where(TopicActivity.topic_id == Topic.id),
            )
        )


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
