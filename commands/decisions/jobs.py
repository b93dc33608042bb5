"""Reminders for action items (`!aufgabe @wer bis 10.12. …`): on the due day, in the morning, the owner gets
a direct message, exactly once (ledger), unless the item was done or taken back before."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.scheduler import DueMessage, JobEnv, fixed_content
from storage.decisions import ItemRecord

log = logging.getLogger(__name__)

KIND = "action-due"
REMIND_AT = time(9, 0)  # local time on the due day
LOOK_AHEAD = timedelta(days=800)


ActionContent = Callable[[ItemRecord, str], dict[str, Any]]


class ActionJobs:
    """Reminds the owner of an open action item by direct message on its due day."""

    kinds = frozenset({"action"})

    def __init__(self, env: JobEnv, *, timezone: ZoneInfo, default_language: str, content: ActionContent) -> None:
        self.env = env
        self.db = env.db
        self.scheduler = env.scheduler
        self.clock = env.clock
        self.timezone = timezone
        self.default_language = default_language
        self.content = content

    @staticmethod
    def job_id(item_id: int) -> str:
        return f"action-{item_id}"

    async def start(self) -> None:
        today = self.clock.now().astimezone(self.timezone).date()
        async with self.db.transaction() as repos:
            items = await repos.minutes.due_actions(until=today + LOOK_AHEAD)
        for item in items:
            await self._plan(item)
        log.info("planned %d action item reminders", len(items))

    async def refresh(self, kind: str, item_id: int) -> None:
        self.scheduler.cancel(self.job_id(item_id))
        async with self.db.transaction() as repos:
            item = await repos.minutes.get_item(item_id)
        if item is not None:
            await self._plan(item)

    async def _due_at(self, item: ItemRecord, due: date) -> datetime:
        async with self.db.transaction() as repos:
            zone = await repos.rooms.timezone(item.room_id)
        return datetime.combine(due, REMIND_AT, ZoneInfo(zone) if zone else self.timezone)

    async def _plan(self, item: ItemRecord) -> None:
        owner = item.owner
        if not _open(item) or item.due is None or owner is None or not owner.startswith("@"):
            return
        when = await self._due_at(item, item.due)
        # A past time runs at once: deliver() sends it late within the grace period, else records it missed.
        self.scheduler.at(self.job_id(item.id), when, self.fire, item.id)
        self.env.sender.prepare_direct(owner, when)

    async def fire(self, item_id: int) -> None:
        """The job: remind the owner of an open action item on its due day (a plain function, so tests call it)."""
        try:
            async with self.db.transaction() as repos:
                item = await repos.minutes.get_item(item_id)
                if item is None or not _open(item) or item.due is None or item.owner is None:
                    return
                settings = await repos.users.get(item.owner)
            language = settings.language if settings and settings.language else self.default_language
            when = await self._due_at(item, item.due)
            room_id = await self.env.sender.direct_room(item.owner)
            content = fixed_content(self.content(item, language))
            message = DueMessage(KIND, item.id, when, timedelta(0), room_id, content)
            await self.env.deliver(message)
        except Exception:
            log.exception("reminder for action item %s failed; retrying in a minute", item_id)
            self.scheduler.at(self.job_id(item_id), self.clock.now() + timedelta(minutes=1), self.fire, item_id)


def _open(item: ItemRecord) -> bool:
    return item.kind == "action" and item.done_at is None and item.withdrawn_at is None
