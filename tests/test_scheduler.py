"""Scheduled messages are sent exactly once: across repeats, crashes and downtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock, ShiftedClock, SystemClock
from bot.outbox import Content
from bot.replies import MESSAGE
from bot.scheduler import PREPARE_AHEAD, Delivery, DueMessage, Scheduler, deliver
from storage import Database
from tests.fakes import RecordingSender

OCCURRENCE = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
GRACE = timedelta(hours=2)


def reminder(offset: timedelta = timedelta(minutes=15)) -> DueMessage:
    return DueMessage(
        kind="meeting",
        ref_id=7,
        occurrence=OCCURRENCE,
        offset=offset,
        room_id="!room:example.org",
        content=lambda late: {"msgtype": "m.notice", "body": "Erinnerung" + (" (verspätet)" if late else "")},
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def test_sent_once_even_when_delivered_twice(db: Database) -> None:
    clock, sender = FakeClock(OCCURRENCE - timedelta(minutes=15)), RecordingSender()
    assert await deliver(reminder(), db=db, sender=sender, clock=clock, grace=GRACE) is Delivery.SENT
    assert await deliver(reminder(), db=db, sender=sender, clock=clock, grace=GRACE) is Delivery.ALREADY_SENT
    assert [c["body"] for _, c, _ in sender.sent] == ["Erinnerung"]


async def test_other_offsets_are_separate_reminders(db: Database) -> None:
    clock, sender = FakeClock(OCCURRENCE - timedelta(days=1)), RecordingSender()
    await deliver(reminder(timedelta(days=1)), db=db, sender=sender, clock=clock, grace=GRACE)
    clock.set(OCCURRENCE - timedelta(minutes=15))
    await deliver(reminder(), db=db, sender=sender, clock=clock, grace=GRACE)
    assert len(sender.sent) == 2
    assert sender.sent[0][2] != sender.sent[1][2]


async def test_crash_between_send_and_mark_resends_with_same_txn_id(db: Database) -> None:
    clock = FakeClock(OCCURRENCE - timedelta(minutes=15))

    class CrashingSender(RecordingSender):
        async def send(
            self, room_id: str, content: Content, *, txn_id: str | None = None, event_type: str = MESSAGE
        ) -> str:
            await super().send(room_id, content, txn_id=txn_id, event_type=event_type)
            raise ConnectionError("bot died right after sending")

    crashing = CrashingSender()
    with pytest.raises(ConnectionError):
        await deliver(reminder(), db=db, sender=crashing, clock=clock, grace=GRACE)
    retry = RecordingSender()
    assert await deliver(reminder(), db=db, sender=retry, clock=clock, grace=GRACE) is Delivery.SENT
    assert retry.sent[0][2] == crashing.sent[0][2], "the homeserver can only deduplicate the same txn id"
    assert await deliver(reminder(), db=db, sender=retry, clock=clock, grace=GRACE) is Delivery.ALREADY_SENT


async def test_late_within_grace_is_sent_and_marked_late(db: Database) -> None:
    clock, sender = FakeClock(OCCURRENCE - timedelta(minutes=15) + timedelta(hours=1)), RecordingSender()
    assert await deliver(reminder(), db=db, sender=sender, clock=clock, grace=GRACE) is Delivery.SENT_LATE
    assert sender.sent[0][1]["body"] == "Erinnerung (verspätet)"


async def test_older_than_grace_is_recorded_missed_never_sent(db: Database) -> None:
    clock, sender = FakeClock(OCCURRENCE + timedelta(hours=3)), RecordingSender()
    assert await deliver(reminder(), db=db, sender=sender, clock=clock, grace=GRACE) is Delivery.MISSED
    assert await deliver(reminder(), db=db, sender=sender, clock=clock, grace=GRACE) is Delivery.ALREADY_SENT
    async with db.transaction() as repos:
        entry = await repos.ledger.get("meeting", 7, OCCURRENCE, 15 * 60)
    assert entry is not None and entry.status == "missed"
    assert sender.sent == []


async def test_scheduler_runs_jobs_and_can_cancel_them() -> None:
    import asyncio

    clock = FakeClock(datetime.now(UTC))
    scheduler = Scheduler(clock)
    scheduler.start()
    ran = asyncio.Event()

    async def job(value: str) -> None:
        assert value == "x"
        ran.set()

    try:
        scheduler.at("later", clock.now() + timedelta(days=1), job, "y")
        assert scheduler.cancel("later")
        assert not scheduler.cancel("later")
        scheduler.at("now", clock.now(), job, "x")
        await asyncio.wait_for(ran.wait(), 5)
        assert scheduler.job_ids() == []
        with pytest.raises(ValueError, match="aware"):
            scheduler.at("naive", datetime(2026, 1, 1), job, "x")
    finally:
        await scheduler.shutdown()


async def test_run_due_runs_what_the_clock_says_is_due_without_waiting_for_the_wall_clock() -> None:
    clock = ShiftedClock()
    scheduler = Scheduler(clock)
    scheduler.start()
    ran: list[str] = []

    async def job(name: str) -> None:
        ran.append(name)
        if name == "first":  # planned by a job for a time already past: runs in the same call
            scheduler.at("follow-up", clock.now() - timedelta(seconds=1), job, "follow-up")

    try:
        scheduler.at("first", clock.now() + timedelta(hours=1), job, "first")
        scheduler.at("later", clock.now() + timedelta(hours=3), job, "later")
        await scheduler.run_due()
        assert ran == [], "nothing is due yet"
        clock.advance(timedelta(hours=2))
        await scheduler.run_due()
        assert ran == ["first", "follow-up"]
        assert scheduler.job_ids() == ["later"]
    finally:
        await scheduler.shutdown()


async def test_a_reminder_held_up_by_an_outage_says_it_is_late_when_it_goes_out(db: Database) -> None:
    clock = FakeClock(OCCURRENCE - timedelta(minutes=15))
    tries: list[str] = []

    class OutageSender(RecordingSender):
        """The homeserver is away for 90 s: the transport tries again with the same txn id, asking anew."""

        async def send(
            self, room_id: str, content: Content, *, txn_id: str | None = None, event_type: str = MESSAGE
        ) -> str:
            assert callable(content), "the content is asked for on every try"
            tries.append(content()["body"])
            clock.advance(timedelta(seconds=90))
            return await super().send(room_id, content, txn_id=txn_id, event_type=event_type)

    sender = OutageSender()
    assert await deliver(reminder(), db=db, sender=sender, clock=clock, grace=GRACE) is Delivery.SENT_LATE
    assert tries == ["Erinnerung"]
    assert [c["body"] for _, c, _ in sender.sent] == ["Erinnerung (verspätet)"]


async def test_a_reminder_rendered_ahead_but_held_up_by_an_outage_is_rendered_anew_and_says_it_is_late(
    db: Database,
) -> None:
    clock = FakeClock(OCCURRENCE - timedelta(minutes=15) - timedelta(milliseconds=50))  # woken ahead of the instant
    tries: list[str] = []

    class OutageSender(RecordingSender):
        async def send(
            self, room_id: str, content: Content, *, txn_id: str | None = None, event_type: str = MESSAGE
        ) -> str:
            assert callable(content)
            tries.append(content()["body"])  # the first try: the text rendered ahead
            clock.advance(timedelta(seconds=90))  # the homeserver is away; the transport tries again
            return await super().send(room_id, content, txn_id=txn_id, event_type=event_type)

    sender = OutageSender()
    assert await deliver(reminder(), db=db, sender=sender, clock=clock, grace=GRACE) is Delivery.SENT_LATE
    assert tries == ["Erinnerung"]
    assert [c["body"] for _, c, _ in sender.sent] == ["Erinnerung (verspätet)"]


async def test_a_reminder_prepared_ahead_is_claimed_early_and_sent_not_before_it_is_due(db: Database) -> None:
    """Jobs wake PREPARE_AHEAD early (bot.scheduler): the ledger is claimed and the text built then, and the send
    waits for the due instant, so a reminder is on time without ever going out early."""
    clock = SystemClock()
    due = clock.now() + timedelta(milliseconds=300)
    sent_at: list[datetime] = []

    class Timing(RecordingSender):
        async def send(
            self, room_id: str, content: Content, *, txn_id: str | None = None, event_type: str = MESSAGE
        ) -> str:
            sent_at.append(clock.now())
            return await super().send(room_id, content, txn_id=txn_id, event_type=event_type)

    built_at: list[datetime] = []

    def text(late: bool) -> dict[str, Any]:
        built_at.append(clock.now())
        return reminder().content(late)

    message = DueMessage("meeting", 8, due + timedelta(minutes=15), timedelta(minutes=15), "!r:x", text)
    assert await deliver(message, db=db, sender=Timing(), clock=clock, grace=GRACE) is Delivery.SENT
    [when] = sent_at
    assert when >= due, "never before it is due"
    assert len(built_at) == 1 and built_at[0] < due, "the text was rendered ahead, once: at the instant only the send"
    async with db.transaction() as repos:
        entry = await repos.ledger.get("meeting", 8, message.occurrence, message.offset_s)
    assert entry is not None and entry.status == "sent"

    scheduler = Scheduler(clock)

    async def job() -> None: ...

    later = clock.now() + timedelta(seconds=10)
    scheduler.at("job", later, job, ahead=PREPARE_AHEAD)
    [planned] = scheduler._aps.get_jobs()
    assert planned.trigger.run_date == later - PREPARE_AHEAD, "the job wakes ahead of the due time"
