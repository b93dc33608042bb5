"""Stand-ins for the transport in tests that need no homeserver."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.outbox import Content
from bot.replies import MESSAGE, Attachment, file_content


class RecordingSender:
    """A `bot.outbox.Sender` that records what would be sent to Matrix (room, content, txn id), hands out event ids,
    and finds each person's direct chat at `!dm-<user id>`."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], str | None]] = []
        self.event_ids: list[str] = []
        self.event_types: list[str] = []  # of each sent event, in order: messages, and reactions (acknowledgements)
        self.prepared: list[str] = []  # people whose direct chat was opened ahead of a planned message, in order

    async def send(
        self, room_id: str, content: Content, *, txn_id: str | None = None, event_type: str = MESSAGE
    ) -> str:
        self.sent.append((room_id, content() if callable(content) else content, txn_id))
        self.event_types.append(event_type)
        self.event_ids.append(f"$event{len(self.sent)}")
        return self.event_ids[-1]

    async def upload(self, room_id: str, attachment: Attachment) -> dict[str, Any]:
        return file_content(attachment) | {"url": f"mxc://test/{len(self.sent)}"}

    async def direct_room(self, user_id: str) -> str:
        return f"!dm-{user_id}"

    async def prepare_room(self, room_id: str) -> None:
        return None

    def prepare_direct(self, user_id: str, due: datetime) -> None:
        self.prepared.append(user_id)

    @property
    def bodies(self) -> list[tuple[str, str]]:
        """(room, plain-text body) of everything sent, in order."""
        return [(room_id, str(content["body"])) for room_id, content, _ in self.sent if "body" in content]
