"""Stand-ins for the transport in tests that need no homeserver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class RecordingSender:
    """Records what would be sent to Matrix (room, content, txn id) and hands out event ids."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], str | None]] = []

    async def send(
        self,
        room_id: str,
        content: dict[str, Any] | Callable[[], dict[str, Any]],
        *,
        txn_id: str | None = None,
        event_type: str = "m.room.message",
        patience: float = 600.0,
    ) -> str:
        self.sent.append((room_id, content() if callable(content) else content, txn_id))
        return f"$event{len(self.sent)}"

    @property
    def bodies(self) -> list[tuple[str, str]]:
        """(room, plain-text body) of everything sent, in order."""
        return [(room_id, str(content["body"])) for room_id, content, _ in self.sent]
