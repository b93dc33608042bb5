"""Turns stored meetings and personal reminders into scheduler jobs, and delivers them exactly once.

The database is the truth: at start, and whenever a meeting changes, the next due reminder of each
meeting is computed from its RRULE (in the meeting's time zone) and one date job is set for it. When
the job fires it delivers every reminder due since it was planned (through `deliver`, which claims
the ledger row and sends with a txn id derived from it) and plans the next one. Reminders that fell
due while the bot was down are found at start: sent late within the grace period, else recorded as
missed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.scheduler import Delivery, DueMessage, Scheduler, Sender, deliver
from commands.schedule_parsing import occurrences
from storage import Database
from storage.meetings import MeetingRecord, PersonalReminderRecord

log = logging.getLogger(__name__)

# How far back the start-up catch-up looks for reminders that fell due while the bot was down.
CATCH_UP = timedelta(days=7)
RETRY_AFTER = timedelta(minutes=1)
MEETING_KIND = "meeting"
PERSONAL_KIND = "personal"


class DirectRooms(Protocol):
    async def direct_room(self, user_id: str) -> str: ...


MeetingContent = Callable[[MeetingRecord, datetime, int, bool], dict[str, Any]]
PersonalContent = Callable[[PersonalReminderRecord, bool], dict[str, Any]]


def _due(occurrence: datetime, offset: int) -> datetime:
    """Offsets are exact durations: subtract them in UTC. (Subtracting on a local datetime would be
    wall-clock arithmetic, an hour off across a DST change, and disagree with the search below.)"""
    return occurrence.astimezone(UTC) - timedelta(seconds=offset)


def due_reminders(meeting: MeetingRecord, *, after: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """(occurrence, offset seconds) of every reminder due in (after, until], oldest first."""
    tz = ZoneInfo(meeting.timezone)
    found: list[tuple[datetime, int]] = []
    for offset in meeting.offsets:
        cursor = after.astimezone(UTC) + timedelta(seconds=offset)
        while True:
            batch = occurrences(meeting.start, meeting.rrule, tz=tz, after=cursor, count=20, exdates=meeting.skips)
            for occurrence in batch:
                if _due(occurrence, offset) > until:
                    break
                found.append((occurrence, offset))
            else:
                if len(batch) == 20:
                    cursor = batch[-1]
                    continue
            break
    return sorted(found, key=lambda pair: _due(*pair))


def next_due(meeting: MeetingRecord, *, after: datetime) -> datetime | None:
    """When the next reminder of `meeting` is due (strictly after `after`), if any."""
    tz = ZoneInfo(meeting.timezone)
    candidates = []
    for offset in meeting.offsets:
        start = after.astimezone(UTC) + timedelta(seconds=offset)
        upcoming = occurrences(meeting.start, meeting.rrule, tz=tz, after=start, count=1, exdates=meeting.skips)
        if upcoming:
            candidates.append(_due(upcoming[0], offset))
    return min(candidates) if candidates else None


class ReminderPlanner:
    def __init__(
        self,
        *,
        db: Database,
        scheduler: Scheduler,
        sender: Sender,
        rooms: DirectRooms,
        clock: Clock,
        grace: timedelta,
        meeting_content: MeetingContent,
        personal_content: PersonalContent,
    ) -> None:
        self.db = db
        self.scheduler = scheduler
        self.sender = sender
        self.rooms = rooms
        self.clock = clock
        self.grace = grace
        self.meeting_content = meeting_content
        self.personal_content = personal_content
        self._locks: dict[int, asyncio.Lock] = {}

    async def start(self) -> None:
        """Catch up on what fell due during downtime and plan every next reminder."""
        async with self.db.transaction() as repos:
            meetings = await repos.meetings.active()
            now = self.clock.now()
            personal = await repos.reminders.active(due_after=now - CATCH_UP)
        for meeting in meetings:
            # Back to the grace period at least, so nothing within it is skipped after a long outage.
            # Not before the last change: a reminder made due-in-the-past by a change was never due.
            changed = meeting.updated_at or meeting.created_at
            await self._run_meeting(meeting.id, after=max(changed, now - max(CATCH_UP, self.grace)))
        for reminder in personal:
            try:
                await self._plan_personal(reminder)
            except Exception:
                log.exception("planning personal reminder %s failed", reminder.id)
        log.info("planned reminders for %d meetings and %d personal reminders", len(meetings), len(personal))

    async def refresh_meeting(self, meeting_id: int) -> None:
        """After a meeting was created, changed or cancelled (called once its unit of work committed)."""
        async with self.db.transaction() as repos:
            meeting = await repos.meetings.get(meeting_id)
        self.scheduler.cancel(self._job_id(MEETING_KIND, meeting_id))
        if meeting is not None and meeting.cancelled_at is None:
            self._plan_meeting(meeting, after=self.clock.now())

    async def refresh_personal(self, reminder_id: int) -> None:
        async with self.db.transaction() as repos:
            reminder = await repos.reminders.get(reminder_id)
        self.scheduler.cancel(self._job_id(PERSONAL_KIND, reminder_id))
        if reminder is not None and reminder.cancelled_at is None:
            await self._plan_personal(reminder)

    # -- meetings --------------------------------------------------------------------------------------
    @staticmethod
    def _job_id(kind: str, ref_id: int) -> str:
        return f"{kind}-{ref_id}"

    def _plan_meeting(self, meeting: MeetingRecord, *, after: datetime) -> None:
        due = next_due(meeting, after=after)
        if due is not None:
            self.scheduler.at(self._job_id(MEETING_KIND, meeting.id), due, self._fire_meeting, meeting.id, due)

    async def _fire_meeting(self, meeting_id: int, planned: datetime) -> None:
        # Everything due since just before the planned time: several offsets may fall together.
        await self._run_meeting(meeting_id, after=planned - timedelta(seconds=1))

    async def _run_meeting(self, meeting_id: int, *, after: datetime) -> None:
        """Deliver what is due in (after, now], then plan from `now` on. One run per meeting at a time,
        and always from the stored meeting, so a change made meanwhile is never overwritten."""
        async with self._locks.setdefault(meeting_id, asyncio.Lock()):
            until = self.clock.now()
            failed = False
            try:
                async with self.db.transaction() as repos:
                    meeting = await repos.meetings.get(meeting_id)
                if meeting is None or meeting.cancelled_at is not None:
                    return
                for occurrence, offset in due_reminders(meeting, after=after, until=until):
                    await self._deliver_meeting(meeting, occurrence, offset, until)
            except Exception:
                # The ledger row stays claimed; the retry below reuses its txn id.
                log.exception("delivering reminders of meeting %s failed; retrying in a minute", meeting_id)
                failed = True
            try:
                async with self.db.transaction() as repos:
                    meeting = await repos.meetings.get(meeting_id)
                if meeting is None or meeting.cancelled_at is not None:
                    return
                if failed:
                    retry_at = self.clock.now() + RETRY_AFTER
                    self.scheduler.at(
                        self._job_id(MEETING_KIND, meeting_id),
                        retry_at,
                        self._fire_meeting,
                        meeting_id,
                        after + timedelta(seconds=1),
                    )
                else:
                    # From `until`, not a fresh now: a reminder that fell due during a slow send runs next.
                    self._plan_meeting(meeting, after=until)
            except Exception:
                log.exception("planning meeting %s failed", meeting_id)

    async def _deliver_meeting(self, meeting: MeetingRecord, occurrence: datetime, offset: int, now: datetime) -> None:
        if occurrence <= now:
            # The meeting has begun: "beginnt in 15 Minuten" would be wrong now. Record, don't send.
            async with self.db.transaction() as repos:
                await repos.ledger.record_missed(
                    MEETING_KIND, meeting.id, occurrence, offset, now=now, note="meeting had already begun"
                )
            return
        message = DueMessage(
            kind=MEETING_KIND,
            ref_id=meeting.id,
            occurrence=occurrence,
            offset=timedelta(seconds=offset),
            room_id=meeting.room_id,
            content=functools.partial(self._meeting_content, meeting, occurrence, offset),
        )
        result = await deliver(message, db=self.db, sender=self.sender, clock=self.clock, grace=self.grace)
        if result is Delivery.MISSED:
            log.warning("meeting %s: reminder for %s (%ss before) missed", meeting.id, occurrence, offset)

    def _meeting_content(self, meeting: MeetingRecord, occurrence: datetime, offset: int, late: bool) -> dict[str, Any]:
        return self.meeting_content(meeting, occurrence, offset, late)

    # -- personal reminders ----------------------------------------------------------------------------
    async def _plan_personal(self, reminder: PersonalReminderRecord) -> None:
        if reminder.due <= self.clock.now():
            await self._fire_personal(reminder.id)
        else:
            self.scheduler.at(self._job_id(PERSONAL_KIND, reminder.id), reminder.due, self._fire_personal, reminder.id)

    async def _fire_personal(self, reminder_id: int) -> None:
        async with self.db.transaction() as repos:
            reminder = await repos.reminders.get(reminder_id)
            if reminder is None or reminder.cancelled_at is not None:
                return
            done = await repos.ledger.get(PERSONAL_KIND, reminder.id, reminder.due, 0)
        if done is not None and done.status != "claimed":
            return
        try:
            room_id = await self.rooms.direct_room(reminder.user_id)
            message = DueMessage(
                kind=PERSONAL_KIND,
                ref_id=reminder.id,
                occurrence=reminder.due,
                offset=timedelta(0),
                room_id=room_id,
                content=lambda late: self.personal_content(reminder, late),
            )
            await deliver(message, db=self.db, sender=self.sender, clock=self.clock, grace=self.grace)
        except Exception:
            log.exception("delivering personal reminder %s failed", reminder_id)
