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
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.schedule_parsing import occurrences
from bot.scheduler import PREPARE_AHEAD, Delivery, DueMessage, JobEnv, deliver_batch
from storage.meetings import MeetingRecord, PersonalReminderRecord

log = logging.getLogger(__name__)

# How far back the start-up catch-up looks for reminders that fell due while the bot was down.
CATCH_UP = timedelta(days=7)
RETRY_AFTER = timedelta(minutes=1)
MEETING_KIND = "meeting"
PERSONAL_KIND = "personal"


MeetingContent = Callable[[Sequence[tuple[MeetingRecord, datetime, int, bool]]], dict[str, Any]]
"""One room message for reminders due together: (meeting, occurrence, offset seconds, late) each."""
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


def reminders_for_next(meeting: MeetingRecord, *, now: datetime) -> tuple[datetime | None, list[int], list[int]]:
    """The meeting's next date after `now`, and of its reminder offsets those that will come for that date and those
    whose time has passed (never sent: `start` and `refresh_meeting` plan only what is due after now). (None, [], [])
    when no date is left."""
    tz = ZoneInfo(meeting.timezone)
    upcoming = occurrences(meeting.start, meeting.rrule, tz=tz, after=now, count=1, exdates=meeting.skips)
    if not upcoming:
        return None, [], []
    coming = [offset for offset in meeting.offsets if _due(upcoming[0], offset) > now]
    late = [offset for offset in meeting.offsets if offset not in coming]
    return upcoming[0], coming, late


class ReminderPlanner:
    """Meeting reminders and personal reminders. Plans one scheduler job per *instant* at which some meeting
    reminder is due (not one per meeting), so every reminder due at that instant is delivered by one run: one read,
    one ledger claim, and one message per room (`deliver_batch`)."""

    kinds = frozenset({MEETING_KIND, PERSONAL_KIND})

    def __init__(
        self,
        env: JobEnv,
        *,
        meeting_content: MeetingContent,
        personal_content: PersonalContent,
    ) -> None:
        self.env = env
        self.db = env.db
        self.scheduler = env.scheduler
        self.sender = env.sender
        self.clock = env.clock
        self.grace = env.grace
        self.meeting_content = meeting_content
        self.personal_content = personal_content
        self._locks: dict[int, asyncio.Lock] = {}
        # meeting id -> instant of its planned run; instant -> {meeting id: deliver what is due after this}
        self._planned: dict[int, datetime] = {}
        self._instants: dict[datetime, dict[int, datetime]] = {}

    async def start(self) -> None:
        """Catch up on what fell due during downtime and plan every next reminder."""
        async with self.db.transaction() as repos:
            meetings = await repos.meetings.active()
            now = self.clock.now()
            personal = await repos.reminders.active(due_after=now - CATCH_UP)
        # Back to the grace period at least, so nothing within it is skipped after a long outage.
        # Not before the last change: a reminder made due-in-the-past by a change was never due.
        await self._run_meetings(
            {m.id: max(m.updated_at or m.created_at, now - max(CATCH_UP, self.grace)) for m in meetings}
        )
        for reminder in personal:
            try:
                await self._plan_personal(reminder)
            except Exception:
                log.exception("planning personal reminder %s failed", reminder.id)
        log.info("planned reminders for %d meetings and %d personal reminders", len(meetings), len(personal))

    async def refresh(self, kind: str, ref_id: int) -> None:
        if kind == MEETING_KIND:
            await self.refresh_meeting(ref_id)
        else:
            await self.refresh_personal(ref_id)

    async def refresh_meeting(self, meeting_id: int) -> None:
        """After a meeting was created, changed or cancelled (called once its unit of work committed)."""
        async with self.db.transaction() as repos:
            meeting = await repos.meetings.get(meeting_id)
        self._unplan(meeting_id)
        if meeting is not None and meeting.cancelled_at is None:
            self._plan_meeting(meeting, after=self.clock.now())

    async def refresh_personal(self, reminder_id: int) -> None:
        async with self.db.transaction() as repos:
            reminder = await repos.reminders.get(reminder_id)
        self.scheduler.cancel(self._job_id(PERSONAL_KIND, reminder_id))
        if reminder is not None and reminder.cancelled_at is None:
            await self._plan_personal(reminder)

    def planned_at(self, meeting_id: int) -> datetime | None:
        """When the meeting's next run is planned (for tests and `!termin`)."""
        return self._planned.get(meeting_id)

    # -- meetings --------------------------------------------------------------------------------------
    @staticmethod
    def _job_id(kind: str, ref_id: int | str) -> str:
        return f"{kind}-{ref_id}"

    def _plan_meeting(self, meeting: MeetingRecord, *, after: datetime) -> None:
        due = next_due(meeting, after=after)
        if due is not None:
            # Everything due since just before the planned time: several offsets may fall together.
            self._plan_run(meeting.id, due, after=due - timedelta(seconds=1))

    def _plan_run(self, meeting_id: int, when: datetime, *, after: datetime) -> None:
        self._unplan(meeting_id)
        self._planned[meeting_id] = when
        members = self._instants.setdefault(when, {})
        members[meeting_id] = after
        if len(members) == 1:
            job_id = self._job_id(MEETING_KIND, when.isoformat())
            self.scheduler.at(job_id, when, self._fire_instant, when, ahead=PREPARE_AHEAD)

    def _unplan(self, meeting_id: int) -> None:
        when = self._planned.pop(meeting_id, None)
        if when is None:
            return
        members = self._instants.get(when, {})
        members.pop(meeting_id, None)
        if not members:
            self._instants.pop(when, None)
            self.scheduler.cancel(self._job_id(MEETING_KIND, when.isoformat()))

    async def _fire_instant(self, when: datetime) -> None:
        members = self._instants.pop(when, {})
        for meeting_id in members:
            if self._planned.get(meeting_id) == when:
                del self._planned[meeting_id]
        await self._run_meetings(members, until=when)

    async def _run_meetings(self, afters: dict[int, datetime], *, until: datetime | None = None) -> None:
        """Deliver what is due in (after, now] for each meeting, then plan from `now` on. One run per
        meeting at a time (locks taken in id order, so two runs cannot deadlock), and always from the
        stored meeting, so a change made meanwhile is never overwritten."""
        if not afters:
            return
        async with contextlib.AsyncExitStack() as stack:
            for meeting_id in sorted(afters):
                await stack.enter_async_context(self._locks.setdefault(meeting_id, asyncio.Lock()))
            # Woken `PREPARE_AHEAD` early for `until`: what is due then is prepared now and sent at its time.
            until = max(self.clock.now(), until or self.clock.now())
            failed = False
            try:
                async with self.db.transaction() as repos:
                    meetings = await repos.meetings.get_many(list(afters))
                await self._deliver_meetings(
                    [m for m in meetings if m.cancelled_at is None], afters=afters, until=until
                )
            except Exception:
                # The ledger rows stay claimed; the retry below reuses their txn ids.
                log.exception("delivering reminders of meetings %s failed; retrying in a minute", sorted(afters))
                failed = True
            try:
                async with self.db.transaction() as repos:
                    meetings = await repos.meetings.get_many(list(afters))
                retry_at = self.clock.now() + RETRY_AFTER
                for meeting in meetings:
                    if meeting.cancelled_at is not None:
                        continue
                    if failed:
                        self._plan_run(meeting.id, retry_at, after=afters[meeting.id])
                    else:
                        # From `until`, not a fresh now: a reminder that fell due during a slow send runs next.
                        self._plan_meeting(meeting, after=until)
            except Exception:
                log.exception("planning meetings %s failed", sorted(afters))

    async def _deliver_meetings(
        self, meetings: list[MeetingRecord], *, afters: dict[int, datetime], until: datetime
    ) -> None:
        begun: list[tuple[MeetingRecord, datetime, int]] = []
        messages: list[DueMessage] = []
        for meeting in meetings:
            for occurrence, offset in due_reminders(meeting, after=afters[meeting.id], until=until):
                if occurrence <= until:
                    # The meeting has begun: "beginnt in 15 Minuten" would be wrong now. Record, don't send.
                    begun.append((meeting, occurrence, offset))
                    continue
                messages.append(
                    DueMessage(
                        kind=MEETING_KIND,
                        ref_id=meeting.id,
                        occurrence=occurrence,
                        offset=timedelta(seconds=offset),
                        room_id=meeting.room_id,
                        content=functools.partial(self._single_content, meeting, occurrence, offset),
                    )
                )
        if begun:
            async with self.db.transaction() as repos:
                for meeting, occurrence, offset in begun:
                    await repos.ledger.record_missed(
                        MEETING_KIND, meeting.id, occurrence, offset, now=until, note="meeting had already begun"
                    )
        by_id = {meeting.id: meeting for meeting in meetings}

        def combine(pairs: Sequence[tuple[DueMessage, bool]]) -> dict[str, Any]:
            return self.meeting_content([(by_id[m.ref_id], m.occurrence, m.offset_s, late) for m, late in pairs])

        results = await deliver_batch(
            messages,
            db=self.db,
            sender=self.sender,
            clock=self.clock,
            grace=self.grace,
            combine=combine,
            observer=self.env.observer,
        )
        for message, result in zip(messages, results, strict=True):
            if result is Delivery.MISSED:
                log.warning(
                    "meeting %s: reminder for %s (%s before) missed", message.ref_id, message.occurrence, message.offset
                )

    def _single_content(self, meeting: MeetingRecord, occurrence: datetime, offset: int, late: bool) -> dict[str, Any]:
        return self.meeting_content([(meeting, occurrence, offset, late)])

    # -- personal reminders ----------------------------------------------------------------------------
    async def _plan_personal(self, reminder: PersonalReminderRecord) -> None:
        if reminder.due <= self.clock.now():
            await self._fire_personal(reminder.id)
        else:
            job_id = self._job_id(PERSONAL_KIND, reminder.id)
            self.scheduler.at(job_id, reminder.due, self._fire_personal, reminder.id, ahead=PREPARE_AHEAD)
            self.sender.prepare_direct(reminder.user_id, reminder.due)

    async def _fire_personal(self, reminder_id: int) -> None:
        async with self.db.transaction() as repos:
            reminder = await repos.reminders.get(reminder_id)
            if reminder is None or reminder.cancelled_at is not None:
                return
            done = await repos.ledger.get(PERSONAL_KIND, reminder.id, reminder.due, 0)
        if done is not None and done.status != "claimed":
            return
        try:
            room_id = await self.sender.direct_room(reminder.user_id)
            message = DueMessage(
                kind=PERSONAL_KIND,
                ref_id=reminder.id,
                occurrence=reminder.due,
                offset=timedelta(0),
                room_id=room_id,
                content=lambda late: self.personal_content(reminder, late),
            )
            await self.env.deliver(message)
        except Exception:
            # E.g. the homeserver away longer than a send waits, or the direct chat not ready: try again.
            log.exception("delivering personal reminder %s failed; retrying in a minute", reminder_id)
            retry_at = self.clock.now() + timedelta(minutes=1)
            self.scheduler.at(self._job_id(PERSONAL_KIND, reminder_id), retry_at, self._fire_personal, reminder_id)
