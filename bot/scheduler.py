"""Scheduled messages, sent exactly once.

APScheduler only holds in-memory date jobs derived from the database (never pickled), so the database
stays the single source of truth. Each delivery claims a ledger row UNIQUE(kind, ref, occurrence,
offset) and sends with a transaction id derived from that key: if the bot dies between sending and
marking the row as sent, the retry after restart reuses the txn id and the homeserver deduplicates it.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from storage import Database

log = logging.getLogger(__name__)


class Sender(Protocol):
    async def send(
        self,
        room_id: str,
        content: dict[str, Any],
        *,
        txn_id: str | None = None,
        event_type: str = "m.room.message",
        patience: float = 600.0,
    ) -> str: ...


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


async def deliver(message: DueMessage, *, db: Database, sender: Sender, clock: Clock, grace: timedelta) -> Delivery:
    """Send `message` unless it was already sent; record it as missed if it is older than `grace`."""
    now = clock.now()
    offset_s = int(message.offset.total_seconds())
    late = now - message.due > timedelta(minutes=1)
    if now - message.due > grace:
        async with db.transaction() as repos:
            recorded = await repos.ledger.record_missed(
                message.kind,
                message.ref_id,
                message.occurrence,
                offset_s,
                now=now,
                note=f"due {message.due.isoformat()}, bot back at {now.isoformat()}",
            )
        if recorded is None:
            return Delivery.ALREADY_SENT
        log.warning(
            "missed %s %s at %s (offset %s): past the grace period",
            message.kind,
            message.ref_id,
            message.occurrence,
            message.offset,
        )
        return Delivery.MISSED
    async with db.transaction() as repos:
        entry = await repos.ledger.claim(message.kind, message.ref_id, message.occurrence, offset_s, now=now, late=late)
    if entry is None:
        return Delivery.ALREADY_SENT
    event_id = await sender.send(message.room_id, message.content(entry.late), txn_id=entry.txn_id)
    async with db.transaction() as repos:
        await repos.ledger.mark_sent(entry.id, event_id=event_id, now=clock.now())
    return Delivery.SENT_LATE if entry.late else Delivery.SENT


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

    def at(self, job_id: str, when: datetime, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run `func(*args)` at `when` (replacing a job with the same id); a past time runs at once."""
        if when.tzinfo is None:
            raise ValueError("scheduled times must be aware")
        run_at = max(when, self.clock.now())
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

    def cancel(self, job_id: str) -> bool:
        job = self._aps.get_job(job_id)
        if job is None:
            return False
        job.remove()
        return True

    def next_run(self, job_id: str) -> datetime | None:
        job = self._aps.get_job(job_id)
        if job is None:
            return None
        # Before the scheduler starts, a job has no next_run_time yet, only its trigger's date.
        when = getattr(job, "next_run_time", None) or getattr(job.trigger, "run_date", None)
        return when if isinstance(when, datetime) else None

    def job_ids(self) -> list[str]:
        return [job.id for job in self._aps.get_jobs()]
