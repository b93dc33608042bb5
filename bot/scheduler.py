"""Scheduled messages, sent exactly once.

APScheduler only holds in-memory date jobs derived from the database (never pickled), so the database
stays the single source of truth. Each delivery claims a ledger row UNIQUE(kind, ref, occurrence,
offset) and sends with a transaction id derived from that key: if the bot dies between sending and
marking the row as sent, the retry after restart reuses the txn id and the homeserver deduplicates it.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.outbox import Sender
from storage import Database
from storage.repositories import LedgerEntry, LedgerKey, batch_txn_id_for

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=1)  # a message sent later than this after it fell due says so
# Reminders wake this much before they are due: reading the records, claiming the ledger rows and building the text
# are done by then, and at the due instant only the send is left (200 reminders at once took ~190 ms before the
# first send; one took ~8 ms more than a plain send).
PREPARE_AHEAD = timedelta(milliseconds=250)


class Delivery(enum.Enum):
    SENT = "sent"
    SENT_LATE = "sent_late"
    ALREADY_SENT = "already_sent"
    MISSED = "missed"


@dataclass(frozen=True)
class DueMessage:
    """One scheduled message: what the ledger keys it by, and what to send where."""

    kind: str
    ref_id: int
    occurrence: datetime
    offset: timedelta
    room_id: str
    # Built at send time so a late delivery can say it is late.
    content: Callable[[bool], dict[str, Any]]

    @property
    def due(self) -> datetime:
        return self.occurrence.astimezone(UTC) - self.offset  # exact duration, not wall-clock time

    @property
    def offset_s(self) -> int:
        return int(self.offset.total_seconds())

    @property
    def key(self) -> LedgerKey:
        return LedgerKey(self.kind, self.ref_id, self.occurrence, self.offset_s)


def fixed_content(content: dict[str, Any]) -> Callable[[bool], dict[str, Any]]:
    """Content for a `DueMessage` that reads the same sent on time or late (it says when the event is)."""
    return functools.partial(_same, content)


def _same(content: dict[str, Any], late: bool) -> dict[str, Any]:
    return content


class DeliveryObserver(Protocol):
    """Told of every scheduled message's fate (`bot.monitor.Monitor`: metrics, and an alert for a missed one)."""

    def delivered(self, kind: str, ref_id: int, due: datetime, outcome: str) -> None:
        """`outcome`: sent, late or missed."""
        ...


def _report(observer: DeliveryObserver | None, message: DueMessage, outcome: str) -> None:
    if observer is not None:
        observer.delivered(message.kind, message.ref_id, message.due, outcome)


Combine = Callable[[Sequence[tuple["DueMessage", bool]]], dict[str, Any]]
"""Builds one message for several due at the same time in the same room, from (message, late) pairs."""


async def deliver(
    message: DueMessage,
    *,
    db: Database,
    sender: Sender,
    clock: Clock,
    grace: timedelta,
    observer: DeliveryObserver | None = None,
) -> Delivery:
    """Send `message` unless it was already sent; record it as missed if it is older than `grace`."""
    [result] = await deliver_batch(
        [message], db=db, sender=sender, clock=clock, grace=grace, combine=_single, observer=observer
    )
    return result


def _single(pairs: Sequence[tuple[DueMessage, bool]]) -> dict[str, Any]:
    raise AssertionError("a batch of one is sent with its own content")


async def deliver_batch(
    messages: Sequence[DueMessage],
    *,
    db: Database,
    sender: Sender,
    clock: Clock,
    grace: timedelta,
    combine: Combine,
    observer: DeliveryObserver | None = None,
) -> list[Delivery]:
    """Deliver several messages; those for the same room go out as *one* message built by `combine`.

    A burst (ten meetings of a room at 10:00, all reminded at 9:45) then costs one event per room, not
    one per reminder: nobody wants ten notifications at once, and the homeserver takes ~8 ms per event.
    The rows of a batch are claimed in one transaction with the batch's txn id, so a retry after a crash
    resends the same batch under the same txn id. Rooms are sent to concurrently; if a send fails, the
    others still complete, then the first error is raised (the caller retries; sent rows stay sent).
    """
    now = clock.now()
    results: dict[int, Delivery] = {}
    stale = [i for i, m in enumerate(messages) if now - m.due > grace]
    if stale:
        async with db.transaction() as repos:
            for i in stale:
                m = messages[i]
                note = f"due {m.due.isoformat()}, bot back at {now.isoformat()}"
                recorded = await repos.ledger.record_missed(
                    m.kind, m.ref_id, m.occurrence, m.offset_s, now=now, note=note
                )
                results[i] = Delivery.ALREADY_SENT if recorded is None else Delivery.MISSED
                if recorded is not None:
                    _report(observer, m, "missed")
                    log.warning(
                        "missed %s %s at %s (offset %s): past the grace period",
                        m.kind,
                        m.ref_id,
                        m.occurrence,
                        m.offset,
                    )
    by_room: dict[str, list[int]] = {}
    for i, m in enumerate(messages):
        if i not in results:
            by_room.setdefault(m.room_id, []).append(i)
    groups: dict[tuple[str, str], list[tuple[int, LedgerEntry]]] = {}
    if by_room:
        order = [i for indexes in by_room.values() for i in indexes]
        batch_ids = {
            room_id: batch_txn_id_for(room_id, [messages[i].key for i in indexes]) if len(indexes) > 1 else None
            for room_id, indexes in by_room.items()
        }
        async with db.transaction() as repos:
            entries = await repos.ledger.claim_batch(
                [messages[i].key for i in order],
                now=now,
                late=[now - messages[i].due > LATE_AFTER for i in order],
                batch_txn_ids=[batch_ids[messages[i].room_id] for i in order],
            )
        for i, entry in zip(order, entries, strict=True):
            if entry is None:
                results[i] = Delivery.ALREADY_SENT
            else:
                groups.setdefault((messages[i].room_id, entry.send_txn_id), []).append((i, entry))

    async def send(room_id: str, txn_id: str, members: list[tuple[int, LedgerEntry]]) -> None:
        late: list[bool] = []

        def content() -> dict[str, Any]:
            # Asked on every try: a message held up (homeserver away) says it is late once it finally goes out.
            now = clock.now()
            late[:] = [entry.late or now - messages[i].due > LATE_AFTER for i, entry in members]
            if len(members) == 1:
                return messages[members[0][0]].content(late[0])
            return combine([(messages[i], was_late) for (i, _), was_late in zip(members, late, strict=True)])

        due = min(messages[i].due for i, _ in members)
        prepared: dict[str, Any] | None = None
        if due > clock.now():  # woken ahead: do now what the first send into the room would do before sending
            await sender.prepare_room(room_id)
            # Rendered ahead too (Markdown to HTML, ~3 ms for a room's batch, ~60 ms for 20 rooms in a row): at the
            # instant only the sends remain.
            prepared = content()

        def on_time() -> dict[str, Any]:
            nonlocal prepared
            ready, prepared = prepared, None  # the first try only: a retry renders anew, and may say it is late
            if ready is not None and clock.now() - due <= LATE_AFTER:
                return ready
            return content()

        await _until(clock, due)  # prepared ahead: send on the dot
        event_id = await sender.send(room_id, on_time, txn_id=txn_id)
        async with db.transaction() as repos:
            await repos.ledger.mark_batch_sent([entry.id for _, entry in members], event_id=event_id, now=clock.now())
        for (i, _), was_late in zip(members, late, strict=True):
            results[i] = Delivery.SENT_LATE if was_late else Delivery.SENT
            _report(observer, messages[i], "late" if was_late else "sent")

    outcomes = await asyncio.gather(
        *(send(room, txn, members) for (room, txn), members in groups.items()), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return [results[i] for i in range(len(messages))]


async def _until(clock: Clock, instant: datetime) -> None:
    """Wait until `instant` by `clock` (not at all if it is past): once, not in a loop, so a fake clock that does not
    move in tests costs at most `PREPARE_AHEAD`."""
    delay = (instant - clock.now()).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)


class Scheduler:
    """Owns the APScheduler instance; feature modules add date jobs that are plain async functions."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        self._aps.start()

    async def shutdown(self, grace: float = 10.0) -> None:
        """Stop planning; let running jobs finish (cancel only those that take longer than `grace`):
        they must not outlive the database they use."""
        if self._aps.running:
            self._aps.shutdown(wait=False)
        running = set(self._running)
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _tracked(self, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            await func(*args)
        finally:
            self._running.discard(task)

    def at(
        self,
        job_id: str,
        when: datetime,
        func: Callable[..., Awaitable[Any]],
        *args: Any,
        ahead: timedelta = timedelta(0),
    ) -> None:
        """Run `func(*args)` at `when` (replacing a job with the same id); a past time runs at once. `ahead`: start
        that much earlier, for a job that prepares its messages and then waits for their due time to send them."""
        if when.tzinfo is None:
            raise ValueError("scheduled times must be aware")
        run_at = max(when - ahead, self.clock.now())
        self._aps.add_job(
            self._tracked,
            "date",
            run_date=run_at,
            args=(func, *args),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,  # never skip silently: deliver() decides what is too late
            coalesce=True,
            max_instances=5,  # a re-plan while the job runs must not be dropped; the ledger dedups
        )

    async def run_due(self) -> None:
        """Run every job that is due by the clock now, and return once they and the jobs already running have
        finished (what they planned for a time already past runs too).

        APScheduler waits on the wall clock; a clock that was moved ahead of it (`bot.clock.ShiftedClock`) makes
        jobs due before they run by themselves. Afterwards everything due until now has been done: a test can
        then show that something did *not* happen, without sleeping past its time."""
        this = asyncio.current_task()
        while True:
            now = self.clock.now()
            due = [job for job in self._aps.get_jobs() if job.trigger.run_date <= now]
            for job in due:
                job.remove()  # before the first await: APScheduler can no longer start it as well
            runs = [asyncio.ensure_future(self._tracked(*job.args)) for job in due]
            running = [task for task in self._running if task is not this]
            outcomes = await asyncio.gather(*runs, *running, return_exceptions=True)
            for job, outcome in zip(due, outcomes, strict=False):
                if isinstance(outcome, BaseException):
                    log.error("scheduled job %s failed", job.id, exc_info=outcome)
            if not due:
                return

    def cancel(self, job_id: str) -> bool:
        job = self._aps.get_job(job_id)
        if job is None:
            return False
        job.remove()
        return True

    def job_ids(self) -> list[str]:
        return [job.id for job in self._aps.get_jobs()]


@dataclass(frozen=True)
class JobEnv:
    """What every planner of scheduled messages shares: the database (the truth, and the ledger), the
    scheduler, the sender (which also finds direct chats), the clock, and how late a message may still go out."""

    db: Database
    scheduler: Scheduler
    sender: Sender  # also opens direct chats
    clock: Clock
    grace: timedelta
    observer: DeliveryObserver | None = None  # metrics and alerts

    async def deliver(self, message: DueMessage) -> Delivery:
        return await deliver(
            message, db=self.db, sender=self.sender, clock=self.clock, grace=self.grace, observer=self.observer
        )


class Jobs(Protocol):
    """A feature's scheduled part. It derives its jobs from the database at start, and plans one record anew after a
    command changed it (`kind` is one of its `kinds`, e.g. "meeting" or "personal"; `ref_id` the record's id)."""

    kinds: frozenset[str]

    async def start(self) -> None: ...

    async def refresh(self, kind: str, ref_id: int) -> None: ...


JobsT = TypeVar("JobsT")


class Planner:
    """Runs what the features declared: starts all their jobs, and passes a refresh to the one that plans that
    kind of record. It knows no feature by name."""

    def __init__(self, jobs: Sequence[Jobs]) -> None:
        self.jobs = list(jobs)
        self._by_kind: dict[str, Jobs] = {}
        for one in self.jobs:
            for kind in one.kinds:
                if kind in self._by_kind:
                    raise ValueError(f"two features plan {kind!r} records")
                self._by_kind[kind] = one

    async def start(self) -> None:
        for one in self.jobs:
            try:
                await one.start()
            except Exception:  # one feature's trouble must not keep the others' reminders from being planned
                log.exception("starting the jobs of %s failed", type(one).__name__)

    async def refresh(self, kind: str, ref_id: int) -> None:
        await self._by_kind[kind].refresh(kind, ref_id)

    def of(self, cls: type[JobsT]) -> JobsT:
        """The jobs of one feature by their class (for tests and benchmarks that look inside)."""
        return next(one for one in self.jobs if isinstance(one, cls))
