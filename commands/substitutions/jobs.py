"""Scheduled steps of substitution requests: the reminder before the event (to the person who asked and
those standing in), expiry at the answer-by deadline, done after the end.

Like meeting reminders, jobs are derived from the database (one date job per request, at its next
step) and each message goes through the ledger (`deliver`), so it is sent exactly once, also across
restarts. A state change (expired, done) is committed before its messages are sent; if the bot dies in
between, the next start finds the expired request and sends what the ledger says is still missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.replies import Reply, edit_content
from bot.scheduler import DueMessage, JobEnv, fixed_content
from storage import Repositories
from storage.substitutions import RequestRecord

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=1)
REMIND_REQUESTER = "sub-remind"
REMIND_HELPER = "sub-remind-helper"  # ref: the offer's id
EXPIRED_REQUESTER = "sub-expired"
EXPIRED_OFFER = "sub-expired-offer"  # ref: the offer's id
ANNOUNCEMENT = "sub-announcement"  # the edit of the announcement when the request expired or is done


class Texts(Protocol):
    async def people(self, repos: Repositories, record: RequestRecord) -> Any: ...

    def reminder(self, record: RequestRecord, helpers: Sequence[str], people: Any, language: str) -> dict[str, Any]: ...

    def expired(self, record: RequestRecord, people: Any, language: str) -> dict[str, Any]: ...

    def announcement(self, record: RequestRecord, people: Any, language: str) -> Reply: ...


ApplyDue = Callable[[Repositories, int, datetime], Awaitable[RequestRecord | None]]
AcceptedBefore = Callable[[Any, datetime], bool]


class SubstitutionJobs:
    kinds = frozenset({"substitution"})

    def __init__(
        self,
        env: JobEnv,
        *,
        reminder_before: timedelta,
        default_language: str,
        texts: Texts,
        apply_due: ApplyDue,
        accepted_before: AcceptedBefore,
    ) -> None:
        self.env = env
        self.db = env.db
        self.scheduler = env.scheduler
        self.clock = env.clock
        self.grace = env.grace
        self.reminder_before = reminder_before
        self.default_language = default_language
        self.texts = texts
        self.apply_due = apply_due
        self.accepted_before = accepted_before
        self._locks: dict[int, asyncio.Lock] = {}

    @staticmethod
    def job_id(request_id: int) -> str:
        return f"substitution-{request_id}"

    async def start(self) -> None:
        """Catch up (steps due while the bot was down, messages of a step that was cut off) and plan."""
        now = self.clock.now()
        async with self.db.transaction() as repos:
            records = await repos.substitutions.in_states(["open", "filled", "expired"])
        count = 0
        for record in records:
            if record.state == "expired" and now - record.updated_at > self.grace:
                continue  # long closed; its notices were sent or recorded as missed back then
            await self.run(record.id)
            count += 1
        log.info("planned %d substitution requests", count)

    async def refresh(self, kind: str, request_id: int) -> None:
        """After a command changed the request: plan its next step (what is due now was handled)."""
        async with self.db.transaction() as repos:
            record = await repos.substitutions.get(request_id)
        self.scheduler.cancel(self.job_id(request_id))
        if record is not None:
            self._plan(record, after=self.clock.now())

    async def run(self, request_id: int) -> None:
        async with self._locks.setdefault(request_id, asyncio.Lock()):
            now = self.clock.now()
            try:
                async with self.db.transaction() as repos:
                    record = await self.apply_due(repos, request_id, now)
                    if record is None:
                        return
                    people = await self.texts.people(repos, record)
                    people_ids = [record.requester, *(o.user_id for o in record.offers)]
                    languages = await repos.users.languages(people_ids, default=self.default_language)
                await self._deliver(record, people, languages, now)
            except Exception:
                log.exception("substitution %s: step failed; retrying in a minute", request_id)
                self.scheduler.at(self.job_id(request_id), now + RETRY_AFTER, self.run, request_id)
                return
            self._plan(record, after=now)

    def _plan(self, record: RequestRecord, *, after: datetime) -> None:
        steps = []
        if record.state in ("open", "filled"):
            steps += [record.start - self.reminder_before, record.end]
        if record.state == "open":
            steps.append(record.deadline)
        upcoming = [step for step in steps if step > after]
        if upcoming:
            self.scheduler.at(self.job_id(record.id), min(upcoming), self.run, record.id)
            # Who the next step may write to: their direct chats are opened now, not when it is due.
            live = [o.user_id for o in record.offers if o.state in ("offered", "accepted")]
            for user_id in [record.requester, *live]:
                self.env.sender.prepare_direct(user_id, min(upcoming))

    async def _deliver(self, record: RequestRecord, people: Any, languages: dict[str, str], now: datetime) -> None:
        messages: list[tuple[str, str, int, datetime, timedelta, dict[str, Any]]] = []
        remind_at = record.start - self.reminder_before
        if record.state in ("open", "filled") and remind_at <= now < record.start:
            # Only those accepted before the reminder was due: someone accepted later got all details then.
            helpers = [o for o in record.offers if self.accepted_before(o, remind_at)]
            names = [o.user_id for o in helpers]
            if helpers:
                for user_id, kind, ref in [
                    (record.requester, REMIND_REQUESTER, record.id),
                    *((o.user_id, REMIND_HELPER, o.id) for o in helpers),
                ]:
                    content = self.texts.reminder(record, names, people, languages[user_id])
                    messages.append((user_id, kind, ref, record.start, self.reminder_before, content))
        if record.state == "expired":
            waiting = [o for o in record.offers if o.state == "offered"]
            for user_id, kind, ref in [
                (record.requester, EXPIRED_REQUESTER, record.id),
                *((o.user_id, EXPIRED_OFFER, o.id) for o in waiting),
            ]:
                content = self.texts.expired(record, people, languages[user_id])
                messages.append((user_id, kind, ref, record.deadline, timedelta(0), content))
        for user_id, kind, ref, occurrence, offset, content in messages:
            room_id = await self.env.sender.direct_room(user_id)
            message = DueMessage(kind, ref, occurrence, offset, room_id, fixed_content(content))
            await self.env.deliver(message)
        if record.state in ("expired", "done") and record.announcement_event_id and record.announcement_room_id:
            # The posted announcement shows the outcome (an edit, no new message in the network room).
            reply = self.texts.announcement(record, people, self.default_language)
            content = edit_content(reply, record.announcement_event_id)
            when = record.deadline if record.state == "expired" else record.end
            message = DueMessage(
                ANNOUNCEMENT,
                record.id,
                when,
                timedelta(0),
                record.announcement_room_id,
                fixed_content(content),
            )
            await self.env.deliver(message)
