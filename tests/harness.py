"""A bot without a homeserver for feature tests: the real dispatcher, planner and scheduler jobs over the
test database, a fake clock, and a recording sender; followups and on_sent hooks run as the transport
would run them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.action_jobs import ActionJobs
from bot.app import all_routers
from bot.clock import FakeClock
from bot.config import load_config
from bot.dispatch import Dispatcher, IncomingMessage, Quoted
from bot.outbox import Outbox, outgoing
from bot.reminders import ReminderPlanner
from bot.replies import Attachment, Reply, message_content
from bot.scheduler import JobEnv, Scheduler
from bot.substitution_jobs import SubstitutionJobs
from commands import decisions, substitutions
from commands.meetings import meeting_reminder_content, personal_reminder_content
from storage import Database
from storage.outbox import Outgoing
from tests.fakes import RecordingSender

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=BERLIN)
GROUP_ROOM, NETWORK = "!engagement:example.org", "!netzwerk:example.org"


class DirectRooms:
    async def direct_room(self, user_id: str) -> str:
        return f"!dm-{user_id}"


class RecordingTransport(DirectRooms):
    """What the outbox sends through: records (room, content, txn id, event id) and hands out event ids."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], str, str]] = []

    async def send(self, room_id: str, content: dict[str, Any], *, txn_id: str) -> str:
        event_id = f"$sent{len(self.sent) + 1}"
        self.sent.append((room_id, content, txn_id, event_id))
        return event_id

    async def upload(self, room_id: str, attachment: Attachment) -> dict[str, Any]:
        return {"msgtype": "m.file", "body": attachment.filename, "url": f"mxc://test/{len(self.sent)}"}


class Bot:
    def __init__(self, db: Database, tmp_path: Path, **config_changes: Any) -> None:
        example = load_config(ROOT / "config.example.toml", env={})
        settings: dict[str, Any] = {"network_room": NETWORK, "coordinators": ()} | config_changes
        config = replace(example, data_dir=tmp_path, database_url="unused", **settings)
        self.config = config
        self.clock = FakeClock(NOW)
        self.sender = RecordingSender()
        self.db = db
        scheduler = Scheduler(self.clock)
        env = JobEnv(db, scheduler, self.sender, DirectRooms(), self.clock, grace=timedelta(hours=2))
        self.jobs = SubstitutionJobs(
            env,
            reminder_before=timedelta(days=1),
            default_language="de",
            texts=substitutions.SubstitutionTexts("!"),
            apply_due=substitutions.apply_due,
            accepted_before=substitutions.offer_accepted_before,
        )
        self.planner = ReminderPlanner(
            env,
            meeting_content=meeting_reminder_content("de"),
            personal_content=personal_reminder_content,
            substitutions=self.jobs,
            actions=ActionJobs(
                env,
                timezone=BERLIN,
                default_language="de",
                content=decisions.action_reminder_content,
            ),
        )
        self.scheduler = scheduler
        self.quotes: dict[str, Quoted] = {}
        self.dispatcher = Dispatcher(
            routers=all_routers(), config=config, db=db, clock=self.clock, planner=self.planner, files=self
        )
        self.transport = RecordingTransport()
        self.outbox = Outbox(db, self.transport, self.dispatcher.registry.sent_hooks, self.clock)
        self.dms: list[tuple[str, str]] = []  # (user, body) of every followup DM, in order
        self.edits: list[tuple[str, str, str]] = []  # (room, edited event, new body) of followup edits
        self.announcements: list[tuple[str, str, list[str]]] = []  # (room, body, mentioned) posted
        self._events = 0
        self.last_reaction = ""  # event id of the latest reaction sent with `react`
        self.announcement_ids: list[str] = []  # event ids the "transport" reported for announcements

    async def handle(self, message: IncomingMessage) -> Reply | None:
        """What the transport does: the dispatcher's reply goes out through the real outbox (stored replies from
        there, the others at once), over a transport that records every message."""
        reply = await self.dispatcher.handle(message)
        if reply is None:
            return None
        before = len(self.transport.sent)
        if reply.outboxed:
            assert await self.outbox.deliver(message.event_id), "the outbox could not send everything"
        else:
            await self.outbox.send_now(outgoing(message.event_id, message.room_id, message.reply_relation(), reply))
        if reply.markdown:
            self._classify(outgoing(message.event_id, message.room_id, message.reply_relation(), reply), before)
        return reply

    def _classify(self, messages: list[Outgoing], before: int) -> None:
        """Sort what was sent into direct messages, edits and announcements, as the tests look at them."""
        sent = {txn: (room, content, event_id) for room, content, txn, event_id in self.transport.sent[before:]}
        for index, message in enumerate(messages):
            if message.txn_id not in sent:
                continue
            room, content, event_id = sent[message.txn_id]
            body = str(content.get("body", ""))
            mentioned = list((content.get("m.mentions") or {}).get("user_ids", []))
            if message.user_id is not None:
                self.dms.append((message.user_id, body))
            elif (content.get("m.relates_to") or {}).get("rel_type") == "m.replace":
                self.edits.append((room, content["m.relates_to"]["event_id"], body.removeprefix("* ")))
            elif message.hook is not None or (index > 0 and message.file is None):
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
    ) -> str:
        reply = await self.reply(sender, body, room=room, mentions=mentions, power=power, quoting=quoting)
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
    ) -> Reply:
        self._events += 1
        self.quotes = {quoting.event_id: quoting} if quoting else {}
        message = IncomingMessage(
            room,
            f"$m{self._events}",
            sender,
            body,
            self.clock.now(),
            mentions=mentions,
            sender_power=power,
            reply_to=quoting.event_id if quoting else None,
        )
        reply = await self.handle(message)
        assert reply is not None
        return reply

    async def fetch_attachment(self, room_id: str, event_id: str, *, max_bytes: int) -> None:
        return None

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
        """What the scheduler sent (reminders, expiry), as (user, body)."""
        return [(room.removeprefix("!dm-"), body) for room, body in self.sender.bodies if room.startswith("!dm-")]


def _body(reply: Reply) -> str:
    return str(message_content(reply)["body"])
