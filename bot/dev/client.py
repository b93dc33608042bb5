"""A scripted Matrix *user* on matrix-nio, standing in for a human in tests, the demo and benchmarks.

One background task per client syncs (short long-polls) and, like nio's ``sync_forever``, does the
end-to-end-encryption chores between syncs: upload own keys, query others' keys, claim one-time keys,
flush queued to-device messages. Everything that arrives is recorded, so a message that came in during an
earlier sync is still there when a test starts waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

from nio import (
    AsyncClient,
    AsyncClientConfig,
    BadEvent,
    EncryptionError,
    ErrorResponse,
    InviteMemberEvent,
    MegolmEvent,
    ReactionEvent,
    RoomMemberEvent,
    RoomMessage,
    RoomPreset,
    RoomVisibility,
    SyncError,
    SyncResponse,
    UnknownBadEvent,
)

log = logging.getLogger(__name__)

# Synapse sends at most 10 timeline events per room and sync by default and drops older ones ("limited");
# a burst of bot replies must not vanish from the inbox.
_SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 500}}}


class MatrixRequestError(RuntimeError):
    """The homeserver answered a request with an error (nio returns these instead of raising)."""

    def __init__(self, action: str, response: Any) -> None:
        super().__init__(f"{action} failed: {response}")
        self.response = response
        self.status_code: str | None = getattr(response, "status_code", None)


def _check(response: Any, action: str) -> Any:
    if isinstance(response, ErrorResponse):
        raise MatrixRequestError(action, response)
    return response


@dataclass(frozen=True)
class ReceivedMessage:
    room_id: str
    event_id: str
    sender: str
    msgtype: str
    body: str
    formatted_body: str | None
    content: dict[str, Any]  # full (decrypted) content, including m.relates_to and m.mentions
    origin_server_ts: int
    encrypted: bool

    @property
    def relates_to(self) -> dict[str, Any]:
        relation = self.content.get("m.relates_to")
        return relation if isinstance(relation, dict) else {}

    @property
    def thread_root(self) -> str | None:
        relation = self.relates_to
        return str(relation["event_id"]) if relation.get("rel_type") == "m.thread" else None

    @property
    def reply_to(self) -> str | None:
        in_reply_to = self.relates_to.get("m.in_reply_to")
        return str(in_reply_to["event_id"]) if isinstance(in_reply_to, dict) else None

    @property
    def mentioned_user_ids(self) -> list[str]:
        mentions = self.content.get("m.mentions")
        return list(mentions.get("user_ids", [])) if isinstance(mentions, dict) else []

    def describe(self) -> str:
        lock = "🔒" if self.encrypted else ""
        return f"{lock}{self.sender} in {self.room_id} [{self.msgtype}]: {self.body[:120]!r}"


@dataclass(frozen=True)
class ReceivedReaction:
    """A reaction (`m.reaction`) as the person's client shows it: who put which key on which event."""

    room_id: str
    event_id: str
    sender: str
    reacts_to: str
    key: str


@dataclass(frozen=True)
class _Undecryptable:
    event: Any  # nio.MegolmEvent
    room_id: str


class DevClient:
    """A logged-in Matrix user with its own device, E2EE store and background sync."""

    def __init__(self, client: AsyncClient, *, sync_timeout_ms: int) -> None:
        self._client = client
        self.user_id: str = str(client.user_id)
        self.device_id: str = str(client.device_id)
        self._sync_timeout_ms = sync_timeout_ms
        self._changed = asyncio.Condition()
        self._crypto_lock = asyncio.Lock()  # serialises key upload/query/claim and group-session sharing
        self._received: list[ReceivedMessage] = []  # everything since login, for assertions afterwards
        self._inbox: list[ReceivedMessage] = []  # not yet returned by wait_for_message
        self._reactions: list[ReceivedReaction] = []  # every reaction seen since login (the bot's ✅ on a command)
        self._undecryptable: list[_Undecryptable] = []
        self._memberships: dict[str, dict[str, str]] = {}  # room id -> user id -> membership
        self._invites: dict[str, str] = {}  # room id -> inviter, for pending invites of this user
        self._synced_rooms: set[str] = set()  # rooms already seen in a join section
        self._sync_failure: BaseException | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self.rate_limited_responses = 0  # 429s nio saw (and retried) on this client's requests
        client.add_response_callback(self._on_error_response, ErrorResponse)

    # ------------------------------------------------------------------ life cycle

    @classmethod
    async def login(
        cls,
        homeserver_url: str,
        user_id: str,
        password: str,
        store_dir: Path,
        *,
        device_name: str = "redi-bot dev client",
        sync_timeout_ms: int = 1000,
    ) -> DevClient:
        """Log in with a fresh device, sync once (so keys are uploaded and rooms known), start syncing."""
        await asyncio.to_thread(store_dir.mkdir, parents=True, exist_ok=True)
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
        client = AsyncClient(homeserver_url, user_id, store_path=str(store_dir), config=config)
        try:
            _check(await client.login(password, device_name=device_name), f"login as {user_id}")
            dev = cls(client, sync_timeout_ms=sync_timeout_ms)
            # The first sync holds history from before this login: learn the rooms, but do not put its
            # messages into the inbox (a test waits for what happens from now on).
            first = _check(await client.sync(timeout=0, full_state=True), f"initial sync of {user_id}")
            dev._ingest(first, record_messages=False)
            await dev._crypto_chores()
        except BaseException:
            await client.close()
            raise
        dev._sync_task = asyncio.create_task(dev._sync_forever(), name=f"devclient-sync-{user_id}")
        return dev

    async def close(self) -> None:
        """Stop syncing and close the HTTP session. The device stays (a logout would need the server up)."""
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
            self._sync_task = None
        await self._client.close()

    async def __aenter__(self) -> DevClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def access_token(self) -> str:
        return str(self._client.access_token)

    @property
    def nio(self) -> AsyncClient:
        """The underlying nio client, for what this class does not wrap."""
        return self._client

    # ------------------------------------------------------------------ sync

    async def _sync_forever(self) -> None:
        failures = 0
        while True:
            try:
                response = await self._client.sync(timeout=self._sync_timeout_ms, sync_filter=_SYNC_FILTER)
                if isinstance(response, SyncError):
                    raise MatrixRequestError(f"sync of {self.user_id}", response)
                self._ingest(response, record_messages=True)
                self._retry_undecryptable()
                async with self._changed:
                    self._changed.notify_all()
                await self._crypto_chores()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("Sync of %s failed (%d in a row): %s", self.user_id, failures, exc)
                if failures >= 20:  # ~15 s of errors: tell the waiters instead of letting them time out
                    self._sync_failure = exc
                    async with self._changed:
                        self._changed.notify_all()
                    raise
                await asyncio.sleep(min(0.05 * 2**failures, 1.0))

    async def _crypto_chores(self) -> None:
        client = self._client
        async with self._crypto_lock:
            if client.outgoing_to_device_messages:
                for response in await client.send_to_device_messages():
                    _check(response, f"to-device message of {self.user_id}")
            if client.should_upload_keys:
                _check(await client.keys_upload(), f"keys upload of {self.user_id}")
            if client.should_query_keys:
                _check(await client.keys_query(), f"keys query of {self.user_id}")
            if client.should_claim_keys:
                users = client.get_users_for_key_claiming()
                _check(await client.keys_claim(users), f"keys claim of {self.user_id}")

    def _ingest(self, response: SyncResponse, *, record_messages: bool) -> None:
        rooms = response.rooms
        for room_id, invite_info in rooms.invite.items():
            for event in invite_info.invite_state:
                if isinstance(event, InviteMemberEvent) and event.state_key == self.user_id:
                    self._memberships.setdefault(room_id, {})[self.user_id] = event.membership
                    if event.membership == "invite":
                        self._invites[room_id] = event.sender
        for room_id, info in rooms.join.items():
            # A room's first appearance is always "limited" (older history); later, it means a gap.
            if info.timeline.limited and room_id in self._synced_rooms:
                log.warning("%s: sync skipped events in %s (gap in the timeline)", self.user_id, room_id)
        self._synced_rooms.update(rooms.join)
        for section in (rooms.join, rooms.leave):
            for room_id, info in section.items():
                self._invites.pop(room_id, None)
                for event in itertools.chain(info.state, info.timeline.events):
                    self._handle_event(room_id, event, record_messages)

    def _handle_event(self, room_id: str, event: Any, record_messages: bool) -> None:
        if isinstance(event, ReactionEvent):
            if record_messages:
                reaction = ReceivedReaction(room_id, event.event_id, event.sender, event.reacts_to, event.key)
                self._reactions.append(reaction)
        elif isinstance(event, RoomMemberEvent):
            self._memberships.setdefault(room_id, {})[event.state_key] = event.membership
        elif isinstance(event, MegolmEvent):  # nio could not decrypt it (yet)
            log.warning(
                "%s cannot decrypt %s from %s in %s (session %s); will retry when keys arrive",
                self.user_id, event.event_id, event.sender, room_id, event.session_id,
            )  # fmt: skip
            if record_messages:
                self._undecryptable.append(_Undecryptable(event, room_id))
        elif _is_message(event) and record_messages:
            if not isinstance(event, RoomMessage):  # nio's schema check failed: still show it to the test
                log.warning("%s got a malformed m.room.message in %s: %s", self.user_id, room_id, event.source)
            message = _to_received(room_id, event.source, encrypted=bool(event.decrypted))
            self._received.append(message)
            self._inbox.append(message)

    def _retry_undecryptable(self) -> None:
        # A room key can arrive in a later sync than the message it unlocks.
        still_missing: list[_Undecryptable] = []
        for pending in self._undecryptable:
            try:
                event = self._client.decrypt_event(pending.event)
            except EncryptionError:
                still_missing.append(pending)
                continue
            log.info("%s decrypted %s on retry", self.user_id, pending.event.event_id)
            self._handle_event(pending.room_id, event, record_messages=True)
        self._undecryptable = still_missing

    def _on_error_response(self, response: Any) -> None:
        if getattr(response, "status_code", None) in ("M_LIMIT_EXCEEDED", 429):
            self.rate_limited_responses += 1

    async def _wait_until(self, condition: Callable[[], bool], seconds: float, what: Callable[[], str]) -> None:
        # ``condition`` may consume (wait_for_message pops from the inbox): evaluate it once per wake-up.
        satisfied = False

        def ready() -> bool:
            nonlocal satisfied
            satisfied = condition()
            return satisfied or self._sync_failure is not None

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), seconds)
            except TimeoutError:
                raise TimeoutError(f"{self.user_id}: {what()} (waited {seconds} s)") from None
        if not satisfied:
            raise RuntimeError(f"{self.user_id}: the sync loop died; {what()}") from self._sync_failure

    # ------------------------------------------------------------------ waiting

    async def wait_for_message(
        self,
        predicate: Callable[[ReceivedMessage], bool] | None = None,
        *,
        room_id: str | None = None,
        sender: str | None = None,
        include_own: bool = False,
        timeout: float = 15,  # noqa: ASYNC109 - a plain argument reads better in tests than asyncio.timeout
    ) -> ReceivedMessage:
        """Return (and consume) the oldest received ``m.room.message`` that matches.

        Messages that arrived before this call but were not consumed count too, so nothing is lost
        between two waits. Own messages are skipped unless ``include_own``.
        """

        def matches(message: ReceivedMessage) -> bool:
            return (
                (include_own or message.sender != self.user_id)
                and (room_id is None or message.room_id == room_id)
                and (sender is None or message.sender == sender)
                and (predicate is None or predicate(message))
            )

        found: list[ReceivedMessage] = []

        def take() -> bool:
            for index, message in enumerate(self._inbox):
                if matches(message):
                    found.append(self._inbox.pop(index))
                    return True
            return False

        await self._wait_until(take, timeout, self._describe_inbox)
        return found[0]

    def _describe_inbox(self) -> str:
        pending = set(map(id, self._inbox))
        consumed = [message for message in self._received if id(message) not in pending]
        lines = [f"no matching message; {len(self._inbox)} received and not yet consumed:"]
        lines += [f"  {message.describe()}" for message in self._inbox[-20:]]
        lines.append(f"  and {len(consumed)} consumed by earlier waits, the last ones:")
        lines += [f"  {message.describe()}" for message in consumed[-5:]]
        if self._undecryptable:
            lines.append(f"  and {len(self._undecryptable)} undecryptable:")
            lines += [f"  🔒? {p.event.sender} in {p.room_id}: {p.event.event_id}" for p in self._undecryptable]
        return "\n".join(lines)

    def reactions(self) -> list[ReceivedReaction]:
        """Every reaction received since login (own ones included), oldest first."""
        return list(self._reactions)

    def received(self) -> list[ReceivedMessage]:
        """Every message received since login (consumed or not, own ones included), oldest first."""
        return list(self._received)

    async def wait_for(
        self,
        condition: Callable[[], bool],
        *,
        timeout: float = 15,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``condition()`` holds, checked again after each sync of this client (no polling)."""
        await self._wait_until(condition, timeout, lambda: "the awaited condition did not come true")

    def undecryptable(self) -> list[tuple[str, str, str]]:
        """(room id, sender, event id) of each message this device still cannot decrypt, after every
        retry so far: what the person sees as "unable to decrypt"."""
        return [(p.room_id, str(p.event.sender), str(p.event.event_id)) for p in self._undecryptable]

    def pending(self) -> list[ReceivedMessage]:
        """The messages not yet returned by :meth:`wait_for_message`, oldest first."""
        return list(self._inbox)

    def pending_invites(self) -> list[str]:
        """Rooms this user is invited to and has not joined or rejected yet."""
        return list(self._invites)

    def membership(self, room_id: str, user_id: str) -> str | None:
        """The last membership of ``user_id`` in ``room_id`` seen via sync (join, invite, leave, ban)."""
        return self._memberships.get(room_id, {}).get(user_id)

    async def wait_for_membership(
        self,
        room_id: str,
        user_id: str,
        membership: str | Collection[str],
        *,
        timeout: float = 15,  # noqa: ASYNC109
    ) -> str:
        """Wait until sync shows ``user_id`` with one of the memberships (e.g. ``"leave"`` for a rejected
        invite) and return the one seen."""
        wanted = {membership} if isinstance(membership, str) else set(membership)
        await self._wait_until(
            lambda: self.membership(room_id, user_id) in wanted,
            timeout,
            lambda: (
                f"{user_id} did not reach {sorted(wanted)} in {room_id}, last seen: {self.membership(room_id, user_id)}"
            ),
        )
        return str(self.membership(room_id, user_id))

    async def wait_for_join(
        self,
        room_id: str,
        user_id: str,
        *,
        timeout: float = 15,  # noqa: ASYNC109
    ) -> None:
        await self.wait_for_membership(room_id, user_id, "join", timeout=timeout)

    async def wait_for_invite(
        self,
        *,
        inviter: str | None = None,
        timeout: float = 15,  # noqa: ASYNC109
    ) -> str:
        """Wait for a pending invite (optionally from ``inviter``) and return its room id."""

        def pending() -> str | None:
            return next((r for r, s in self._invites.items() if inviter is None or s == inviter), None)

        await self._wait_until(lambda: pending() is not None, timeout, lambda: f"no invite; pending: {self._invites}")
        return str(pending())

    async def _wait_for_room(self, room_id: str, *, encrypted: bool = False, seconds: float = 15) -> None:
        # nio needs the room (and its encryption state) from sync before it can send into it.
        def known() -> bool:
            room = self._client.rooms.get(room_id)
            return room is not None and (room.encrypted or not encrypted)

        await self._wait_until(known, seconds, lambda: f"room {room_id} not seen in sync")

    # ------------------------------------------------------------------ actions

    async def create_room(
        self,
        *,
        name: str | None = None,
        invite: Sequence[str] = (),
        encrypted: bool = False,
        direct: bool = False,
        alias: str | None = None,
    ) -> str:
        """Create a private room; returns once this client's sync knows it, so sending works at once. `alias` is
        the local part of a room alias to give it (`eakte` for `#eakte:<server>`)."""
        initial_state: list[dict[str, Any]] = []
        if encrypted:
            initial_state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        response = _check(
            await self._client.room_create(
                visibility=RoomVisibility.private,
                alias=alias,
                name=name,
                invite=list(invite),
                is_direct=direct,
                preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
                initial_state=initial_state,
            ),
            f"{self.user_id} creating room {name!r}",
        )
        room_id = str(response.room_id)
        await self._wait_for_room(room_id, encrypted=encrypted)
        return room_id

    async def invite(self, room_id: str, user_id: str) -> None:
        response = await self._client.room_invite(room_id, user_id)
        _check(response, f"{self.user_id} inviting {user_id} to {room_id}")

    async def join(self, room_id: str) -> None:
        """Join (or accept an invite); returns once sync has delivered the room."""
        response = await self._client.join(room_id)
        _check(response, f"{self.user_id} joining {room_id}")
        await self._wait_for_room(room_id)
        await self.wait_for_join(room_id, self.user_id)

    async def leave(self, room_id: str) -> None:
        """Leave a room or reject an invite."""
        _check(await self._client.room_leave(room_id), f"{self.user_id} leaving {room_id}")

    async def send_text(
        self,
        room_id: str,
        body: str,
        *,
        thread_root: str | None = None,
        reply_to: str | None = None,
        msgtype: str = "m.text",
        html: str | None = None,
        mentions: Sequence[str] | None = None,
    ) -> str:
        """Send a message (``msgtype="m.notice"`` plays another bot) and return its event id."""
        content: dict[str, Any] = {"msgtype": msgtype, "body": body}
        if html is not None:
            content |= {"format": "org.matrix.custom.html", "formatted_body": html}
        if mentions is not None:
            content["m.mentions"] = {"user_ids": list(mentions)}
        if thread_root is not None:
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread_root,
                "is_falling_back": reply_to is None,
                "m.in_reply_to": {"event_id": reply_to or thread_root},
            }
        elif reply_to is not None:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self.send_event(room_id, "m.room.message", content)

    async def send_file(
        self, room_id: str, filename: str, data: bytes, *, mimetype: str = "text/csv", reply_to: str | None = None
    ) -> str:
        """Upload `data` (encrypted if the room is) and post it as an `m.file`; returns the event id."""
        await self._wait_for_room(room_id)
        encrypt = bool(self._client.rooms[room_id].encrypted)
        response, keys = await self._client.upload(
            lambda *_: io.BytesIO(data),
            content_type=mimetype,
            filename=filename,
            encrypt=encrypt,
            filesize=len(data),
        )
        _check(response, f"{self.user_id} uploading {filename}")
        content: dict[str, Any] = {
            "msgtype": "m.file",
            "body": filename,
            "filename": filename,
            "info": {"mimetype": mimetype, "size": len(data)},
        }
        if encrypt:
            assert keys is not None
            content["file"] = {"url": response.content_uri, **keys}
        else:
            content["url"] = response.content_uri
        if reply_to is not None:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self.send_content(room_id, content)

    async def redact(self, room_id: str, event_id: str, reason: str | None = None) -> None:
        """Delete a message, as a user does in their client."""
        _check(await self._client.room_redact(room_id, event_id, reason=reason), f"redacting {event_id}")

    async def send_content(self, room_id: str, content: Mapping[str, Any], *, txn_id: str | None = None) -> str:
        """Send an ``m.room.message`` with exactly this content (edits, notices, odd formats)."""
        return await self.send_event(room_id, "m.room.message", content, txn_id=txn_id)

    async def send_event(
        self, room_id: str, event_type: str, content: Mapping[str, Any], *, txn_id: str | None = None
    ) -> str:
        """Send any room event (encrypted if the room is); nio retries 429s after ``retry_after_ms``."""
        await self._wait_for_room(room_id)
        if self._client.rooms[room_id].encrypted:
            await self._prepare_encryption(room_id)
        response = await self._client.room_send(
            room_id, event_type, dict(content), tx_id=txn_id or str(uuid4()), ignore_unverified_devices=True
        )
        _check(response, f"{self.user_id} sending {event_type} to {room_id}")
        return str(response.event_id)

    async def _prepare_encryption(self, room_id: str) -> None:
        # Make sure the megolm session reaches every device that is in the room now: members and their
        # keys must be fresh, otherwise a member who just joined cannot decrypt.
        client = self._client
        async with self._crypto_lock:
            room = client.rooms[room_id]
            if not room.members_synced:
                response = await client.joined_members(room_id)
                _check(response, f"{self.user_id} listing members of {room_id}")
            if client.should_query_keys:
                _check(await client.keys_query(), f"keys query of {self.user_id}")
            if client.olm.should_share_group_session(room_id):
                response = await client.share_group_session(room_id, ignore_unverified_devices=True)
                _check(response, f"{self.user_id} sharing room key for {room_id}")


def _is_message(event: Any) -> bool:
    if isinstance(event, RoomMessage):
        return True
    return isinstance(event, BadEvent | UnknownBadEvent) and event.source.get("type") == "m.room.message"


def _to_received(room_id: str, source: dict[str, Any], *, encrypted: bool) -> ReceivedMessage:
    # Built from the raw (for encrypted events: decrypted) event, so nothing nio does not model is lost.
    content: dict[str, Any] = dict(source.get("content") or {})
    formatted = content.get("formatted_body") if content.get("format") == "org.matrix.custom.html" else None
    return ReceivedMessage(
        room_id=room_id,
        event_id=str(source.get("event_id", "")),
        sender=str(source.get("sender", "")),
        msgtype=str(content.get("msgtype", "")),
        body=str(content.get("body", "")),
        formatted_body=str(formatted) if formatted is not None else None,
        content=content,
        origin_server_ts=int(source.get("origin_server_ts", 0)),
        encrypted=encrypted,
    )
