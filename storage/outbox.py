"""The outbox: messages a command's unit of work produced, kept until the homeserver accepted them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, ensure_utc


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    mimetype: str
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """One message to send: into a room, or to a person (their direct chat is found when it is sent)."""

    txn_id: str
    content: dict[str, Any]
    room_id: str | None = None
    user_id: str | None = None
    file: OutgoingFile | None = None  # uploaded first; `content` then gets its url
    hook: str | None = None  # called with `hook_arg` and the new event id once sent
    hook_arg: str | None = None

    def __post_init__(self) -> None:
        if (self.room_id is None) == (self.user_id is None):
            raise ValueError("a message goes either to a room or to a person")


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    command_event_id: str
    message: Outgoing
    attempts: int
    created_at: datetime


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, command_event_id: str, messages: Sequence[Outgoing], *, now: datetime) -> None:
        """Queue a command's messages, in the order they are to be sent."""
        created = ensure_utc(now, "now")
        self._session.add_all(
            OutboxMessage(
                txn_id=m.txn_id,
                command_event_id=command_event_id,
                room_id=m.room_id,
                user_id=m.user_id,
                content=m.content,
                filename=m.file.filename if m.file else None,
                mimetype=m.file.mimetype if m.file else None,
                data=m.file.data if m.file else None,
                hook=m.hook,
                hook_arg=m.hook_arg,
                created_at=created,
            )
            for m in messages
        )
        await self._session.flush()

    async def pending(
        self, command_event_id: str | None = None, *, after_id: int = 0, limit: int = 100
    ) -> list[OutboxRecord]:
        """Unsent messages, oldest first (of one command, or of all), a page after row `after_id`."""
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_(None), OutboxMessage.id > after_id)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if command_event_id is not None:
            stmt = stmt.where(OutboxMessage.command_event_id == command_event_id)
        return [_record(row) for row in (await self._session.scalars(stmt)).all()]

    async def backlog(self) -> int:
        """How many messages wait to be sent (not sent, not given up on)."""
        stmt = select(func.count()).where(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_(None))
        return int(await self._session.scalar(stmt) or 0)

    async def mark_sent(self, outbox_id: int, *, event_id: str, now: datetime) -> None:
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id)
            .values(sent_at=ensure_utc(now, "now"), event_id=event_id, last_error=None)
        )

    async def mark_failed(self, outbox_id: int, *, error: str, give_up: bool, now: datetime) -> None:
        values: dict[str, Any] = {"attempts": OutboxMessage.attempts + 1, "last_error": error[:1000]}
        if give_up:
            values["given_up_at"] = ensure_utc(now, "now")
        await self._session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values))

    async def prune(self, *, before: datetime) -> int:
        """Forget messages sent (or given up on) before `before`; unsent ones are kept whatever their age."""
        cutoff = ensure_utc(before, "before")
        result = await self._session.execute(
            delete(OutboxMessage).where(or_(OutboxMessage.sent_at < cutoff, OutboxMessage.given_up_at < cutoff))
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _record(row: OutboxMessage) -> OutboxRecord:
    file = (
        OutgoingFile(row.filename, row.mimetype or "application/octet-stream", row.data)
        if row.filename is not None and row.data is not None
        else None
    )
    message = Outgoing(
        txn_id=row.txn_id,
        content=dict(row.content),
        room_id=row.room_id,
        user_id=row.user_id,
        file=file,
        hook=row.hook,
        hook_arg=row.hook_arg,
    )
    return OutboxRecord(
        id=row.id,
        command_event_id=row.command_event_id,
        message=message,
        attempts=row.attempts,
        created_at=row.created_at,
    )
