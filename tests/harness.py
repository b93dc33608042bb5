"""A bot without a homeserver for feature tests: the app's real parts (dispatcher, planners, jobs, outbox) over
the test database, a fake clock, and a recording sender; what commands say goes out through the real outbox."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import build_parts
from bot.clock import FakeClock
from bot.config import load_config
from bot.dispatch import IncomingMessage, Quoted
from bot.outbox import outgoing
from bot.replies import Reply, message_content
from commands.substitutions import SubstitutionJobs
from storage import Database
from storage.outbox import Outgoing
from tests.fakes import RecordingSender

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=BERLIN)
GROUP_ROOM, NETWORK = "!engagement:example.org", "!netzwerk:example.org"


class Bot:
    """The real parts of the app (`bot.app.build_parts`: dispatcher, planners, outbox) with the example config,
    over one recording sender in place of Matrix; the test is the transport (it delivers what commands said)."""

    def __init__(self, db: Database, tmp_path: Path, **config_changes: Any) -> None:
        example = load_config(ROOT / "config.example.toml", env={})
        settings: dict[str, Any] = {"network_room": NETWORK, "coordinators": ()} | config_changes
        config = replace(example, data_dir=tmp_path, database_url="unused", **settings)
        self.config = config
        self.clock = FakeClock(NOW)
        self.transport = RecordingSender()
        self.db = db
        parts = build_parts(config, self.clock, db, sender=self.transport, files=self)
        self.dispatcher, self.planner, self.scheduler, self.outbox = (
            parts.dispatcher, parts.planner, parts.scheduler, parts.outbox
        )  # fmt: skip
        self.jobs = parts.planner.of(SubstitutionJobs)
        self.quotes: dict[str, Quoted] = {}
        self.member_names: dict[str, str] = {}  # display names in the rooms, for people without a profile name
        self.dms: list[tuple[str, str]] = []  # (user, body) of every followup DM, in order
        self.edits: list[tuple[str, str, str]] = []  # (room, edited event, new body) of followup edits
        self.announcements: list[tuple[str, str, list[str]]] = []  # (room, body, mentioned) posted
        self.reactions: list[tuple[str, str, str]] = []  # (room, reacted-to event, key) the bot reacted with
        self.formatted: list[tuple[str, str]] = []  # (room, formatted body) of every message, as clients render it
        self._events = 0
        self.last_reaction = ""  # event id of the latest reaction sent with `react`
        self.last_event = ""  # event id of the latest message sent with `say` or `reply`
        self.announcement_ids: list[str] = []  # event ids the "transport" reported for announcements

    @property
    def scheduled(self) -> list[tuple[str, dict[str, Any], str | None]]:
        """What the scheduler sent (reminders, expiry notices, edits), as (room, content, txn id): everything but
        what commands said."""
        return [sent for sent in self.transport.sent if not (sent[2] or "").startswith("reply-")]

    async def handle(self, message: IncomingMessage) -> Reply | None:
        """What the transport does: the dispatcher's reply goes out through the real outbox (stored replies from
        there, the others at once), over a transport that records every message."""
        reply = await self.dispatcher.handle(message)
        if reply is None:
            return None
        before = len(self.transport.sent)
        messages = outgoing(message.event_id, message.room_id, message.reply_relation(), reply)
        if reply.outboxed:
            assert await self.outbox.deliver(message.event_id), "the outbox could not send everything"
        else:
            await self.outbox.send_now(messages)
        if messages:  # a command delivered again has nothing new to say
            self._classify(messages, before)
        return reply

    def _classify(self, messages: list[Outgoing], before: int) -> None:
        """Sort what was sent into direct messages, edits and announcements, as the tests look at them."""
        sent = {
            txn: (room, content, event_id)
            for (room, content, txn), event_id in zip(
                self.transport.sent[before:], self.transport.event_ids[before:], strict=True
            )
        }
        for message in messages:
            if message.txn_id not in sent:
                continue
            room, content, event_id = sent[message.txn_id]
            body = str(content.get("body", ""))
            mentioned = list((content.get("m.mentions") or {}).get("user_ids", []))
            relates = content.get("m.relates_to") or {}
            if "formatted_body" in content:
                self.formatted.append((room, str(content["formatted_body"])))
            if relates.get("rel_type") == "m.annotation":
                self.reactions.append((room, relates["event_id"], relates["key"]))
            elif message.user_id is not None:
                self.dms.append((message.user_id, body))
            elif (content.get("m.relates_to") or {}).get("rel_type") == "m.replace":
                self.edits.append((room, content["m.relates_to"]["event_id"], body.removeprefix("* ")))
            elif message.hook is not None or re.search(r"-f\d+$", message.txn_id):
                self.announcements.append((room, body, mentioned))
            if message.hook is not None:
                self.announcement_ids.append(event_id)

    async def say(
        self,
        sender: str,
        body: str,
        *,
        room: str = GROUP_ROOM,
        mentions: tuple[str, ...] = (),
        power: int = 0,
        quoting: Quoted | None = None,
        sender_name: str | None = None,
        direct: bool = False,
        encrypted: bool = False,
    ) -> str:
        reply = await self.reply(
            sender,
            body,
            room=room,
            mentions=mentions,
            power=power,
            quoting=quoting,
            sender_name=sender_name,
            direct=direct,
            encrypted=encrypted,
        )
        return _body(reply)

    async def reply(
        self,
        sender: str,
        body: str,
        *,
        room: str = GROUP_ROOM,
        mentions: tuple[str, ...] = (),
        power: int = 0,
        quoting: Quoted | None = None,
        sender_name: str | None = None,
        direct: bool = False,
        encrypted: bool = False,
    ) -> Reply:
        """`sender_name`: the display name the room shows for the sender, as the transport passes it on;
        `direct`: the sender's direct chat with the bot instead of `room`; `encrypted`: the message came encrypted."""
        self._events += 1
        self.quotes = {quoting.event_id: quoting} if quoting else {}
        message = IncomingMessage(
            direct_chat_of(sender) if direct else room,
            f"$m{self._events}",
            sender,
            body,
            self.clock.now(),
            mentions=mentions,
            sender_power=power,
            reply_to=quoting.event_id if quoting else None,
            sender_name=sender_name,
            is_direct=direct,
            encrypted=encrypted,
        )
        self.last_event = message.event_id
        reply = await self.handle(message)
        assert reply is not None
        return reply

    async def fetch_attachment(self, room_id: str, event_id: str, *, max_bytes: int) -> None:
        return None

    def display_names(self, room_id: str, user_ids: Collection[str]) -> dict[str, str]:
        """Room members' display names, as a test sets them in `member_names`."""
        return {user: self.member_names[user] for user in user_ids if user in self.member_names}

    async def fetch_message(self, room_id: str, event_id: str) -> Quoted | None:
        return self.quotes.get(event_id)

    async def react(self, sender: str, event_id: str, key: str = "✋") -> str | None:
        self._events += 1
        self.last_reaction = f"$r{self._events}"
        message = IncomingMessage(
            NETWORK, self.last_reaction, sender, "", self.clock.now(), reply_to=event_id, reaction=key
        )
        reply = await self.handle(message)
        return None if reply is None else _body(reply)

    def sent_dms(self) -> list[tuple[str, str]]:
        """What the scheduler sent (reminders, expiry) by direct message, as (user, body)."""
        return [(room.removeprefix("!dm-"), str(c["body"])) for room, c, _ in self.scheduled if room.startswith("!dm-")]


def direct_chat_of(user_id: str) -> str:
    """A person's direct chat with the bot, as `say(direct=True)` writes in it: an opaque id, like a real room's
    (it must not contain the user id, or a scan for the id after an erasure would find the room)."""
    return f"!direct-{hashlib.sha256(user_id.encode()).hexdigest()[:10]}:example.org"


def _body(reply: Reply) -> str:
    return str(message_content(reply)["body"])
