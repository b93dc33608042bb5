"""Repositories for meetings, their skipped occurrences, and personal reminders."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.models import CalendarFeed, Meeting, MeetingSkip, PersonalReminder, UserSettings, ensure_utc
from storage.sql import check_length
from storage.sql import dialect_insert as _insert


@dataclass(frozen=True)
class MeetingRecord:
    id: int
    room_id: str
    title: str
    start: datetime  # first occurrence, UTC
    timezone: str
    rrule: str | None
    duration_minutes: int | None
    place: str | None
    agenda: str | None
    offsets: tuple[int, ...]  # seconds before an occurrence, largest first
    created_by: str
    created_at: datetime
    updated_at: datetime | None
    revision: int
    cancelled_at: datetime | None
    skips: tuple[datetime, ...]  # UTC


@dataclass(frozen=True)
class PersonalReminderRecord:
    id: int
    user_id: str
    message: str
    due: datetime  # UTC
    timezone: str
    language: str
    created_in: str
    created_at: datetime
    cancelled_at: datetime | None


def _offsets_text(offsets: Sequence[int]) -> str:
    clean = sorted({int(o) for o in offsets}, reverse=True)
    if any(o < 0 for o in clean):
        raise ValueError("reminder offsets must not be negative")
    return ",".join(str(o) for o in clean)


class MeetingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        room_id: str,
        title: str,
        start: datetime,
        timezone: str,
        rrule: str | None,
        duration_minutes: int | None,
        offsets: Sequence[int],
        created_by: str,
        now: datetime,
        place: str | None = None,
        agenda: str | None = None,
    ) -> MeetingRecord:
        check_length("title", title, 200)
        meeting = Meeting(
            room_id=room_id,
            title=title,
            start=ensure_utc(start, "start"),
            timezone=timezone,
            rrule=rrule,
            duration_minutes=duration_minutes,
            place=place,
            agenda=agenda,
            offsets=_offsets_text(offsets),
            created_by=created_by,
            created_at=ensure_utc(now, "now"),
        )
        self._session.add(meeting)
        await self._session.flush()
        return _record(meeting, ())

    async def get(self, meeting_id: int) -> MeetingRecord | None:
        meeting = await self._session.get(Meeting, meeting_id)
        if meeting is None:
            return None
        return _record(meeting, (await self._skip_map([meeting_id])).get(meeting_id, ()))

    async def in_room(self, room_id: str, *, cancelled_since: datetime | None = None) -> list[MeetingRecord]:
        """The room's meetings, oldest first: not cancelled, or cancelled after `cancelled_since`."""
        keep: ColumnElement[bool] = Meeting.cancelled_at.is_(None)
        if cancelled_since is not None:
            keep = or_(keep, Meeting.cancelled_at > ensure_utc(cancelled_since, "cancelled_since"))
        return await self._query(select(Meeting).where(Meeting.room_id == room_id, keep))

    async def get_many(self, meeting_ids: Sequence[int]) -> list[MeetingRecord]:
        """The meetings with these ids that exist (cancelled ones too), in id order."""
        return await self._query(select(Meeting).where(Meeting.id.in_(meeting_ids))) if meeting_ids else []

    async def active(self) -> list[MeetingRecord]:
        """Every meeting not cancelled: what the scheduler plans reminders for."""
        return await self._query(select(Meeting).where(Meeting.cancelled_at.is_(None)))

    async def cancel(self, meeting_id: int, *, now: datetime) -> None:
        now = ensure_utc(now, "now")
        await self._session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(cancelled_at=now, updated_at=now, revision=Meeting.revision + 1)
        )

    async def skip(self, meeting_id: int, occurrence: datetime, *, now: datetime) -> bool:
        """Mark one occurrence as not taking place; False if it was skipped already."""
        result = await self._session.execute(
            _insert(self._session, MeetingSkip)
            .values(meeting_id=meeting_id, occurrence=ensure_utc(occurrence, "occurrence"))
            .on_conflict_do_nothing()
        )
        added = bool(getattr(result, "rowcount", 1))
        if added:
            await self._touch(meeting_id, now)
        return added

    async def _touch(self, meeting_id: int, now: datetime) -> None:
        await self._session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(updated_at=ensure_utc(now, "now"), revision=Meeting.revision + 1)
        )

    async def update(self, meeting_id: int, *, now: datetime, **changes: Any) -> None:
        allowed = {"title", "start", "timezone", "rrule", "duration_minutes", "place", "agenda", "offsets"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        if "offsets" in changes:
            changes["offsets"] = _offsets_text(changes["offsets"])
        if "start" in changes:
            changes["start"] = ensure_utc(changes["start"], "start")
        if "start" in changes or "rrule" in changes:
            # Skips belong to the old series; a new time makes them meaningless.
            await self._session.execute(delete(MeetingSkip).where(MeetingSkip.meeting_id == meeting_id))
        await self._session.execute(update(Meeting).where(Meeting.id == meeting_id).values(**changes))
        await self._touch(meeting_id, now)

    async def _query(self, stmt: Any) -> list[MeetingRecord]:
        meetings = list((await self._session.execute(stmt.order_by(Meeting.id))).scalars())
        skips = await self._skip_map([m.id for m in meetings])
        return [_record(m, skips.get(m.id, ())) for m in meetings]

    async def _skip_map(self, ids: Sequence[int]) -> dict[int, tuple[datetime, ...]]:
        if not ids:
            return {}
        found: dict[int, list[datetime]] = {}
        rows = await self._session.execute(
            select(MeetingSkip.meeting_id, MeetingSkip.occurrence)
            .where(MeetingSkip.meeting_id.in_(ids))
            .order_by(MeetingSkip.occurrence)
        )
        for meeting_id, occurrence in rows:
            found.setdefault(meeting_id, []).append(occurrence)
        return {k: tuple(v) for k, v in found.items()}


def _record(meeting: Meeting, skips: tuple[datetime, ...]) -> MeetingRecord:
    return MeetingRecord(
        id=meeting.id,
        room_id=meeting.room_id,
        title=meeting.title,
        start=meeting.start,
        timezone=meeting.timezone,
        rrule=meeting.rrule,
        duration_minutes=meeting.duration_minutes,
        place=meeting.place,
        agenda=meeting.agenda,
        offsets=tuple(int(o) for o in meeting.offsets.split(",") if o),
        created_by=meeting.created_by,
        created_at=meeting.created_at,
        updated_at=meeting.updated_at,
        revision=meeting.revision,
        cancelled_at=meeting.cancelled_at,
        skips=skips,
    )


class PersonalReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        user_id: str,
        message: str,
        due: datetime,
        timezone: str,
        language: str,
        created_in: str,
        now: datetime,
    ) -> PersonalReminderRecord:
        reminder = PersonalReminder(
            user_id=user_id,
            message=message,
            due=ensure_utc(due, "due"),
            timezone=timezone,
            language=language,
            created_in=created_in,
            created_at=ensure_utc(now, "now"),
        )
        self._session.add(reminder)
        await self._session.flush()
        return _reminder(reminder)

    async def get(self, reminder_id: int) -> PersonalReminderRecord | None:
        reminder = await self._session.get(PersonalReminder, reminder_id)
        return _reminder(reminder) if reminder else None

    async def active(self, *, due_after: datetime) -> list[PersonalReminderRecord]:
        """Not cancelled and due after `due_after` (older ones are history)."""
        rows = await self._session.execute(
            select(PersonalReminder)
            .where(PersonalReminder.cancelled_at.is_(None), PersonalReminder.due > ensure_utc(due_after, "due_after"))
            .order_by(PersonalReminder.due)
        )
        return [_reminder(r) for r in rows.scalars()]

    async def upcoming_for(self, user_id: str, *, now: datetime) -> list[PersonalReminderRecord]:
        rows = await self._session.execute(
            select(PersonalReminder)
            .where(
                PersonalReminder.user_id == user_id,
                PersonalReminder.cancelled_at.is_(None),
                PersonalReminder.due > ensure_utc(now, "now"),
            )
            .order_by(PersonalReminder.due)
        )
        return [_reminder(r) for r in rows.scalars()]

    async def cancel(self, reminder_id: int, *, now: datetime) -> None:
        await self._session.execute(
            update(PersonalReminder)
            .where(PersonalReminder.id == reminder_id)
            .values(cancelled_at=ensure_utc(now, "now"))
        )

    async def dm_room(self, user_id: str) -> str | None:
        return (
            await self._session.execute(select(UserSettings.dm_room_id).where(UserSettings.user_id == user_id))
        ).scalar_one_or_none()

    async def set_dm_room(self, user_id: str, room_id: str) -> None:
        await self._session.execute(
            _insert(self._session, UserSettings)
            .values(user_id=user_id, dm_room_id=room_id)
            .on_conflict_do_update(index_elements=["user_id"], set_={"dm_room_id": room_id})
        )


def _reminder(reminder: PersonalReminder) -> PersonalReminderRecord:
    return PersonalReminderRecord(
        id=reminder.id,
        user_id=reminder.user_id,
        message=reminder.message,
        due=reminder.due,
        timezone=reminder.timezone,
        language=reminder.language,
        created_in=reminder.created_in,
        created_at=reminder.created_at,
        cancelled_at=reminder.cancelled_at,
    )


# --- calendar feeds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarFeedRecord:
    id: int
    user_id: str
    room_id: str | None  # None: every room the person shares with the bot
    created_at: datetime
    last_fetched_at: datetime | None


def feed_token_hash(token: str) -> str:
    """What is stored of a feed's secret: its SHA-256 (a token has 192 random bits, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, user_id: str, room_id: str | None, token: str, now: datetime) -> CalendarFeedRecord:
        check_length("user_id", user_id, 255)
        if room_id is not None:
            check_length("room_id", room_id, 255)
        feed = CalendarFeed(
            token_hash=feed_token_hash(token), user_id=user_id, room_id=room_id, created_at=ensure_utc(now, "now")
        )
        self._session.add(feed)
        await self._session.flush()
        return _feed(feed)

    async def of_user(self, user_id: str) -> list[CalendarFeedRecord]:
        rows = await self._session.execute(
            select(CalendarFeed).where(CalendarFeed.user_id == user_id).order_by(CalendarFeed.id)
        )
        return [_feed(f) for f in rows.scalars()]

    async def count(self, user_id: str) -> int:
        return int(await self._session.scalar(select(func.count()).where(CalendarFeed.user_id == user_id)) or 0)

    async def by_token(self, token: str) -> CalendarFeedRecord | None:
        row = await self._session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == feed_token_hash(token)))
        return None if row is None else _feed(row)

    async def touch(self, feed_id: int, *, now: datetime) -> None:
        await self._session.execute(
            update(CalendarFeed).where(CalendarFeed.id == feed_id).values(last_fetched_at=ensure_utc(now, "now"))
        )

    async def remove(self, user_id: str, feed_id: int | None = None) -> int:
        """Revoke one of the person's feeds (or all of them); how many were revoked."""
        query = delete(CalendarFeed).where(CalendarFeed.user_id == user_id)
        if feed_id is not None:
            query = query.where(CalendarFeed.id == feed_id)
        result = await self._session.execute(query)
        return int(getattr(result, "rowcount", 0) or 0)


def _feed(feed: CalendarFeed) -> CalendarFeedRecord:
    return CalendarFeedRecord(
        id=feed.id,
        user_id=feed.user_id,
        room_id=feed.room_id,
        created_at=feed.created_at,
        last_fetched_at=feed.last_fetched_at,
    )
