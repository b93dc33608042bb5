"""Sending what commands say: the reply, its files, followups and direct messages.

A command that changes something stores what it will say in its own unit of work (`outgoing` → the outbox
table); `Outbox.deliver` sends those rows in order with their deterministic txn ids and marks each once the
homeserver accepted it. A crash between the commit and the send therefore loses nothing: after the restart
the very same messages go out, once (the homeserver drops a txn id it has seen). What could not be sent is
retried in the background until it is accepted or refused for good. Read-only commands and refusals have no
effect to protect; their replies are sent at once by `send_now`, through the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clock import Clock
from bot.replies import (
    MESSAGE,
    Attachment,
    ImageInfo,
    OnSent,
    Reply,
    edit_content,
    event_type,
    file_content,
    message_content,
    reaction_content,
)
from storage import Database, Repositories
from storage.outbox import OutboxRecord, Outgoing, OutgoingFile

log = logging.getLogger(__name__)

RETRY_MIN_S = 1.0
IDLE_LOOK_S = 60.0  # how often an idle bot looks for rows stored by the admin CLI
RETRY_MAX_S = 30.0  # an unsendable message is tried again at least this often (e.g. during an outage)
GIVE_UP_AFTER = timedelta(days=1)
PAGE = 100

SentHook = Callable[[Repositories, str, str, str], Awaitable[None]]  # (repos, argument, room id, event id)


class PermanentSendError(Exception):
    """The homeserver refused a message for good (the bot left the room, the event is too large)."""


Content = dict[str, Any] | Callable[[], dict[str, Any]]  # a function is asked again on every try


class Sender(Protocol):
    """What sends messages for the outbox and the scheduler: the Matrix transport, or a recording fake in tests."""

    async def send(
        self, room_id: str, content: Content, *, txn_id: str | None = None, event_type: str = MESSAGE
    ) -> str: ...

    async def upload(self, room_id: str, attachment: Attachment) -> dict[str, Any]: ...

    async def direct_room(self, user_id: str) -> str:
        """The person's direct chat (encrypted), opened on first use."""
        ...

    async def prepare_room(self, room_id: str) -> None:
        """Before a scheduled message is due: what the first send into an encrypted room needs besides the send
        (its member list, the devices' keys, a room key shared), so that at the due instant only the send is left."""
        ...

    def prepare_direct(self, user_id: str, due: datetime) -> None:
        """Open the person's direct chat in the background ahead of a message to them due at `due` (shortly before
        it, not at once): when it is due, sending is all that is left (opening a chat takes a quarter second)."""
        ...


def reply_txn_id(event_id: str) -> str:
    """Deterministic transaction id for the reply to one command: sending it again (after a crash, or a retry)
    cannot post it twice, because the homeserver deduplicates txn ids per access token."""
    return "reply-" + hashlib.sha256(event_id.encode()).hexdigest()[:32]


def outgoing(command_event_id: str, room_id: str, relation: dict[str, Any], reply: Reply) -> list[Outgoing]:
    """The messages a command's reply consists of, in sending order: the reply (a message, a reaction on the command,
    or nothing), its files, its followups."""
    base = reply_txn_id(command_event_id)
    hook, arg = _hook(reply.on_sent)
    messages: list[Outgoing] = []
    if reply.reaction is not None:
        content = reaction_content(command_event_id, reply.reaction)
        messages.append(Outgoing(base, content, room_id=room_id, hook=hook, hook_arg=arg))
    elif reply.markdown:
        content = message_content(reply) | {"m.relates_to": relation}
        messages.append(Outgoing(base, content, room_id=room_id, hook=hook, hook_arg=arg))
    for index, attachment in enumerate(reply.attachments):
        file, content = _file(attachment)
        content["m.relates_to"] = relation
        messages.append(Outgoing(f"{base}-file{index}", content, room_id=room_id, file=file))
    for index, followup in enumerate(reply.followups):
        if followup.replaces is not None:
            content = edit_content(followup.reply, followup.replaces)
        else:
            content = message_content(followup.reply)
        hook, arg = _hook(followup.on_sent)
        room, person = followup.room_id, followup.user_id
        messages.append(Outgoing(f"{base}-f{index}", content, room_id=room, user_id=person, hook=hook, hook_arg=arg))
        for number, attachment in enumerate(followup.reply.attachments):  # e.g. files sent by direct message
            file, content = _file(attachment)
            messages.append(Outgoing(f"{base}-f{index}-file{number}", content, room_id=room, user_id=person, file=file))
    return messages


def _file(attachment: Attachment) -> tuple[OutgoingFile, dict[str, Any]]:
    """The stored file and the content sent with it. An image's description and size are kept in the content (the
    row has no columns for them), so it goes out as the same `m.image` after a restart."""
    file = OutgoingFile(attachment.filename, attachment.mimetype, attachment.data)
    return file, (file_content(attachment) if attachment.image is not None else {})


def _attachment(file: OutgoingFile, content: Mapping[str, Any]) -> Attachment:
    """What `_file` stored, back as the attachment to upload."""
    image = None
    info = content.get("info")
    if content.get("msgtype") == "m.image" and isinstance(info, Mapping):
        image = ImageInfo(str(content.get("body", "")), int(info.get("w", 0)), int(info.get("h", 0)))
    return Attachment(file.filename, file.mimetype, file.data, image)


def _hook(on_sent: OnSent | None) -> tuple[str | None, str | None]:
    return (on_sent.hook, on_sent.arg) if on_sent else (None, None)


class Outbox:
    def __init__(self, db: Database, transport: Sender, hooks: Mapping[str, SentHook], clock: Clock) -> None:
        self.db = db
        self.transport = transport
        self.hooks = hooks
        self.clock = clock
        self._busy: set[int] = set()  # rows being sent right now (by a command's task or the retry loop)
        self._wake = asyncio.Event()
        self._stopping = False

    async def send_now(self, messages: Sequence[Outgoing]) -> None:
        """Send messages that need no outbox, in order (a failure stops the rest, as it would in the outbox)."""
        for message in messages:
            room_id, event_id = await self._send(message)
            await self._after_sent(None, message, room_id, event_id)

    async def deliver(self, command_event_id: str | None = None, *, wake: bool = True) -> bool:
        """Send the unsent rows of one command (or all), in order; True if nothing is left to send. A row that
        cannot be sent now stops its command's later rows (they keep their order) and is retried later: `wake`
        tells the background loop (`run` itself does not, so it keeps its growing pause)."""
        blocked: set[str] = set()
        after = 0
        while True:
            async with self.db.transaction() as repos:
                pending = await repos.outbox.pending(command_event_id, after_id=after, limit=PAGE)
            for record in pending:
                if self._stopping:
                    return False
                if record.command_event_id in blocked or record.id in self._busy:
                    blocked.add(record.command_event_id)
                    continue
                if not await self._send_row(record):
                    blocked.add(record.command_event_id)
                    if wake:
                        self._wake.set()
            if len(pending) < PAGE:
                return not blocked
            after = pending[-1].id

    async def _send_row(self, record: OutboxRecord) -> bool:
        """Send one stored message; False if it is to be tried again later."""
        self._busy.add(record.id)
        try:
            room_id, event_id = await self._send(record.message)
        except PermanentSendError as exc:
            log.warning("the homeserver refused %s for good: %s", record.message.txn_id, exc)
            await self._failed(record.id, str(exc), give_up=True)
            return True
        except Exception as exc:
            # Not for ever: a message nobody could send for a day (no device of the person is known, the room is
            # gone) is logged as lost, so it does not hold back its command's other messages any longer.
            give_up = self.clock.now() - record.created_at > GIVE_UP_AFTER
            log.log(logging.ERROR if give_up else logging.WARNING, "could not send %s (%s); %s",
                    record.message.txn_id, exc, "giving up" if give_up else "retrying")  # fmt: skip
            await self._failed(record.id, str(exc), give_up=give_up)
            return give_up
        finally:
            self._busy.discard(record.id)
        await self._after_sent(record.id, record.message, room_id, event_id)
        return True

    async def run(self) -> None:
        """Send what is left (from before a crash, or what failed) until `stop()`; quickly at first, then less
        often while the homeserver does not take it."""
        delay = RETRY_MIN_S
        while not self._stopping:
            self._wake.clear()  # before looking: a failure reported meanwhile wakes the next round
            try:
                done = await self.deliver(wake=False)
            except Exception:
                log.exception("sending the outbox failed")
                done = False
            if done:
                delay = RETRY_MIN_S
                # Until a command leaves something behind, or a minute passed: another process (`redi-bot privacy
                # forget`) may have stored messages for the bot to send.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_LOOK_S)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                delay = min(delay * 2, RETRY_MAX_S)

    def stop(self) -> None:
        """End `run()` after the message being sent (an interrupted unit of work could keep a lock)."""
        self._stopping = True
        self._wake.set()

    async def _send(self, message: Outgoing) -> tuple[str, str]:
        room_id = message.room_id or await self.transport.direct_room(str(message.user_id))
        content = message.content
        if message.file is not None:
            file = message.file
            uploaded = await self.transport.upload(room_id, _attachment(file, content))
            content = uploaded | content
        sent = await self.transport.send(room_id, content, txn_id=message.txn_id, event_type=event_type(content))
        return room_id, sent

    async def _after_sent(self, row_id: int | None, message: Outgoing, room_id: str, event_id: str) -> None:
        """Mark the row sent and run its hook, in one unit of work: both or neither."""
        hook = self.hooks.get(message.hook) if message.hook else None
        if message.hook and hook is None:
            log.error("no sent hook %r (message %s)", message.hook, message.txn_id)
        try:
            async with self.db.transaction() as repos:
                if row_id is not None:
                    await repos.outbox.mark_sent(row_id, event_id=event_id, now=self.clock.now())
                if hook is not None:
                    await hook(repos, message.hook_arg or "", room_id, event_id)
        except Exception:
            # Sent is sent: a resend with the same txn id would be dropped by the homeserver anyway.
            log.exception("recording that %s was sent (%s) failed", message.txn_id, event_id)

    async def _failed(self, row_id: int, error: str, *, give_up: bool) -> None:
        try:
            async with self.db.transaction() as repos:
                await repos.outbox.mark_failed(row_id, error=error, give_up=give_up, now=self.clock.now())
        except Exception:
            log.exception("could not record the failed send of outbox row %d", row_id)
