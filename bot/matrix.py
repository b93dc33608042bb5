"""Matrix transport: the only module that talks to nio.

It logs in once (device id and token are persisted), keeps the E2EE store in the data directory,
syncs with a persisted `next_batch`, filters what must not be answered, hands the rest to the
dispatcher and sends replies as threaded/rich-reply `m.notice` messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import io
import json
import logging
import os
import re
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from nio import (
    Api,
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    InviteMemberEvent,
    JoinError,
    LoginResponse,
    MegolmEvent,
    ReactionEvent,
    RedactionEvent,
    RoomCreateEvent,
    RoomKeyRequest,
    RoomLeaveResponse,
    RoomMemberEvent,
    RoomMessageText,
    RoomPreset,
    RoomResolveAliasResponse,
    RoomSendResponse,
    SyncResponse,
    ToDeviceMessage,
    WhoamiResponse,
)
from nio.crypto.attachments import decrypt_attachment
from nio.store import DefaultStore

from bot.clock import Clock
from bot.config import Config
from bot.dispatch import AttachmentTooLarge, IncomingMessage, Quoted
from bot.monitor import Monitor
from bot.outbox import Outbox, PermanentSendError, outgoing
from bot.replies import Attachment, Reply, file_content
from storage import Database

log = logging.getLogger(__name__)

NEXT_BATCH_KEY = "matrix.next_batch"
SYNC_TIMEOUT_MS = 30_000
# During an outage the homeserver is probed this often at most: a failed request to a stopped server costs
# next to nothing, and the bot must answer within seconds once it is back (long backoffs made that ~50 s).
MAX_BACKOFF_S = 2.0
# How long an undecryptable event waits for its room key to arrive (keys often come a sync later).
UNDECRYPTED_RETRY_S = 300.0

# Synapse sends only the newest 10 events of a room per sync by default and drops the rest as a
# "gap": a burst of commands, or those sent during downtime, would be lost. The bot reads timelines
# and room state only: no presence, typing, receipts or account data, which saves work on every sync.
TIMELINE_LIMIT = 250
SYNC_FILTER: dict[str, Any] = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "timeline": {"limit": TIMELINE_LIMIT},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}

# Errors that no retry can fix; anything else (5xx, timeouts behind a proxy) is retried.
PERMANENT_ERRORS = frozenset({"M_FORBIDDEN", "M_UNKNOWN_TOKEN", "M_NOT_FOUND", "M_TOO_LARGE", "M_BAD_JSON"})

ROOM_KEYS_KEPT = 10_000  # room keys remembered for answering key requests (~170 bytes each)

# Stands for the "infinite" power of room creators in room version 12 (above any real level of 100).
CREATOR_POWER_LEVEL = 1000

MessageHandler = Callable[[IncomingMessage], Awaitable[Reply | None]]
# How long an introduction waits for a room just joined to show up in a sync (nio sends only into rooms it knows).
INTRODUCTION_WAIT_S = 60.0
# A direct chat is opened this long before a message to the person is due (see `prepare_direct`).
PREPARE_DIRECT_WINDOW = timedelta(hours=1)
DECLINES_REMEMBERED = 1000  # (inviter, room) pairs whose declined invite was logged as a warning already
ALIAS_TRIES = 3  # a room alias is asked for this often when the homeserver cannot be reached


class Greeter(Protocol):
    """Who introduces the bot in a room it was invited into (`commands.introduction.Introductions`)."""

    async def joined(self, room_id: str, *, direct: bool) -> None: ...

    async def present(self, room_ids: Sequence[str]) -> None: ...


class MatrixError(Exception):
    """A Matrix request failed; carries the homeserver's errcode and message."""


class DirectChatNotReady(MatrixError):
    """A direct message could not be made readable yet (invite or device keys not known): send it later."""


class LoginRequired(MatrixError):
    """No usable credentials: the admin must run `redi-bot login` (or configure a password)."""


@dataclass(frozen=True)
class Credentials:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str

    @staticmethod
    def path(data_dir: Path) -> Path:
        return data_dir / "credentials.json"

    @classmethod
    def load(cls, data_dir: Path) -> Credentials | None:
        try:
            raw = json.loads(cls.path(data_dir).read_text(encoding="utf-8"))
            return cls(raw["homeserver"], raw["user_id"], raw["device_id"], raw["access_token"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError) as exc:
            raise LoginRequired(f"{cls.path(data_dir)} ist beschädigt ({exc}); bitte `redi-bot login`") from exc

    def save(self, data_dir: Path) -> None:
        target = self.path(data_dir)
        tmp = target.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)  # a leftover could carry wider permissions
        # The token is a secret: owner-only from the first byte, on disk before the atomic rename.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.__dict__, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)


def _check(response: Any, what: str) -> Any:
    if isinstance(response, ErrorResponse):
        raise MatrixError(f"{what}: {response.status_code} {response.message}")
    return response


def _check_delivery(response: Any, what: str) -> Any:
    """As `_check`, for a step of delivering a message: a refusal no retry can fix is a PermanentSendError (the
    outbox gives it up instead of trying for ever)."""
    if isinstance(response, ErrorResponse) and str(response.status_code) in PERMANENT_ERRORS:
        raise PermanentSendError(f"{what}: {response.status_code} {response.message}")
    return _check(response, what)


def _timestamp(event: Any) -> datetime:
    return datetime.fromtimestamp(event.server_timestamp / 1000, UTC)


def _resolve(waiter: asyncio.Future[None], _: object) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _without_reply_quote(content: dict[str, Any], body: str) -> str:
    """A reply's own text: older clients quote the replied-to message in the body ("> <@a> …\n\n!import")."""
    if (content.get("m.relates_to") or {}).get("m.in_reply_to") and body.startswith("> "):
        return re.sub(r"^(?:>[^\n]*\n)+\n?", "", body)
    return body


def _invited_as_direct(invite_state: list[Any], user_id: str) -> bool:
    """Whether the invite is to a direct chat (clients mark the invite of a DM with `is_direct`)."""
    return any(
        isinstance(e, InviteMemberEvent) and e.state_key == user_id and bool((e.content or {}).get("is_direct"))
        for e in invite_state
    )


def _mentioned(content: dict[str, Any]) -> tuple[str, ...]:
    mentions = content.get("m.mentions")
    ids = mentions.get("user_ids") if isinstance(mentions, dict) else None
    return tuple(i for i in ids if isinstance(i, str)) if isinstance(ids, list) else ()


def _display_name(room: Any, user_id: str) -> str | None:
    user = room.users.get(user_id) if room is not None else None
    name = getattr(user, "display_name", None)
    return str(name) if name and name != user_id else None


class _Store(DefaultStore):  # type: ignore[misc]  # nio's store is untyped
    """nio's own crypto store, minus its write after every sync: nio saves the set of rooms that became encrypted in
    the sync even when it is empty, which costs a SELECT of the account and a re-bind of peewee's models (~2 ms of
    CPU per sync, the largest item of a command's CPU in the profile, bench/FINDINGS.md)."""

    def save_encrypted_rooms(self, rooms: Any) -> None:
        if rooms:
            super().save_encrypted_rooms(rooms)


def new_client(config: Config, device_id: str | None = None) -> AsyncClient:
    store = config.data_dir / "crypto"
    # Encryption keys and the access token live here: owner only.
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    store.mkdir(mode=0o700, parents=True, exist_ok=True)
    client_config = AsyncClientConfig(
        encryption_enabled=True,
        store=_Store,
        store_sync_tokens=False,  # the token lives in our database, next to the data it guards
        max_limit_exceeded=None,  # retry 429 forever, honouring retry_after_ms: no reply is dropped
        # Connection errors come to us at once instead of being retried inside nio with a growing backoff:
        # the sync loop probes every MAX_BACKOFF_S, and a send rebuilds its content on every try (a reminder
        # that became late during an outage says so when it finally goes out).
        max_timeouts=0,
    )
    return AsyncClient(
        config.matrix.homeserver,
        config.matrix.user_id,
        device_id=device_id or "",
        store_path=str(store),
        config=client_config,
    )


async def password_login(config: Config, password: str) -> Credentials:
    """Log in with a password and persist the new device; reuses the stored device id if any, so
    re-logging in never piles up devices."""
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        previous = Credentials.load(config.data_dir)
    except LoginRequired:  # a damaged file is what this login repairs
        previous = None
    device_id = previous.device_id if previous and previous.user_id == config.matrix.user_id else None
    client = new_client(config, device_id)
    try:
        response = await client.login(password=password, device_name=config.matrix.device_name)
        if not isinstance(response, LoginResponse):
            raise LoginRequired(f"Anmeldung als {config.matrix.user_id} fehlgeschlagen: {response.message}")
        credentials = Credentials(config.matrix.homeserver, response.user_id, response.device_id, response.access_token)
        credentials.save(config.data_dir)
        return credentials
    finally:
        await client.close()


class MatrixTransport:
    def __init__(self, config: Config, db: Database, clock: Clock, monitor: Monitor | None = None) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.monitor = monitor or Monitor.create(config, clock, db)  # metrics, and alerts for the admin room
        self.client: AsyncClient | None = None
        self._handler: MessageHandler | None = None
        self._stopping = asyncio.Event()
        self._ready = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        # Batches whose commands are still being handled, so the sync token is only persisted once
        # every command before it has been answered (a crash then re-handles, never loses, a command).
        self._batches: list[tuple[str, set[asyncio.Future[None]]]] = []
        # Events waiting for their room key, each with a future that its batch waits for: the sync
        # token moves past such an event only once it was answered or given up on.
        self._undecrypted: list[tuple[str, MegolmEvent, float, asyncio.Future[None]]] = []
        self._persist_lock = asyncio.Lock()
        self._persisting: set[asyncio.Task[None]] = set()
        self._known_rooms: set[str] = set()
        self._rooms_seen: dict[str, asyncio.Event] = {}  # set when a room first shows up in a sync
        self._synced = asyncio.Condition()  # notified after every handled sync, for waits on room state
        self._dm_lock = asyncio.Lock()
        self._prepared: set[str] = set()  # people whose direct chat was opened ahead of time in this run
        self._prepare_later: dict[str, tuple[datetime, asyncio.TimerHandle]] = {}  # (due, timer) per person
        self._invites: dict[str, list[Any]] = {}  # invites not answered yet (the homeserver was away)
        self._declined: dict[tuple[str | None, str], None] = {}  # declines already explained in the log, oldest first
        # The bot's room keys as first shared (session id -> room, key at index 0), to share again with a device
        # of someone meant to read the room that asks for it (nio answers only the bot's own devices).
        self._room_keys: dict[str, tuple[str, str]] = {}
        self.outbox: Outbox | None = None  # set by the composition root (it needs this transport to send)
        self.greeter: Greeter | None = None  # likewise: says hello in a room the bot joins on an invite
        # Room version 12 gives room creators unlimited power without listing them in m.room.power_levels.
        self._creators: dict[str, frozenset[str]] = {}  # a room's first sync is always "limited"; later ones mean a gap

    # -- lifecycle -----------------------------------------------------------------------------------
    @property
    def user_id(self) -> str:
        return self.config.matrix.user_id

    async def connect(self) -> None:
        """Restore the persisted device (or log in once) and check the token is valid."""
        config = self.config
        config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        credentials = Credentials.load(config.data_dir)
        if credentials and credentials.user_id != config.matrix.user_id:
            raise LoginRequired(
                f"{Credentials.path(config.data_dir)} gehört zu {credentials.user_id}, nicht zu "
                f"{config.matrix.user_id}; bitte `redi-bot login`"
            )
        if credentials is None and config.matrix.access_token and config.matrix.device_id:
            credentials = Credentials(
                config.matrix.homeserver,
                config.matrix.user_id,
                config.matrix.device_id,
                config.matrix.access_token,
            )
            credentials.save(config.data_dir)
        if credentials is None:
            if not config.matrix.password:
                raise LoginRequired(
                    "Keine Zugangsdaten: bitte einmal `redi-bot login -c <config>` ausführen "
                    "oder [matrix].password / REDI_MATRIX_PASSWORD setzen"
                )
            credentials = await password_login(config, config.matrix.password)
            log.info("logged in as %s, new device %s", credentials.user_id, credentials.device_id)
        client = new_client(config, credentials.device_id)
        client.restore_login(credentials.user_id, credentials.device_id, credentials.access_token)
        delay = MAX_BACKOFF_S / 4
        while True:
            try:
                whoami = await client.whoami()
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("homeserver not reachable (%s); retrying in %.1f s", exc, delay)
            else:
                if isinstance(whoami, WhoamiResponse):
                    break
                if whoami.status_code in {"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_FORBIDDEN"}:
                    await client.close()
                    raise LoginRequired(f"Der gespeicherte Zugang gilt nicht mehr ({whoami.message}); `redi-bot login`")
                # A homeserver restarting behind a proxy answers 502 for a moment: wait, don't give up.
                log.warning("homeserver not ready (%s); retrying in %.1f s", whoami.message, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)
        if whoami.user_id != credentials.user_id:
            await client.close()
            raise LoginRequired(f"Der gespeicherte Zugang gehört zu {whoami.user_id}; `redi-bot login`")
        self.client = client
        # nio retries a 429 itself (as the homeserver asks) and runs the response callbacks only for those.
        client.add_response_callback(self._rate_limited, ErrorResponse)
        self._remember_room_keys()
        try:
            if client.should_upload_keys:
                _check(await client.keys_upload(), "keys upload")
        except Exception:  # the homeserver went away again: uploaded after the first sync instead
            log.warning("uploading the encryption keys failed; retrying after the first sync", exc_info=True)
        log.info("connected as %s (device %s)", credentials.user_id, credentials.device_id)

    def _rate_limited(self, response: ErrorResponse) -> None:
        if str(response.status_code) in {"M_LIMIT_EXCEEDED", "429"}:
            self.monitor.request_failed("rate_limited")

    async def run(self, handler: MessageHandler) -> None:
        """Sync until `stop()`; survives homeserver outages with capped exponential backoff."""
        self.monitor.metrics.syncing = True  # what /health reports
        try:
            await self._sync_loop(handler)
        finally:
            self.monitor.metrics.syncing = False

    async def _sync_loop(self, handler: MessageHandler) -> None:
        assert self.client is not None, "connect() first"
        self._handler = handler
        client = self.client
        async with self.db.transaction() as repos:
            since = await repos.sync.get(NEXT_BATCH_KEY)
        # full_state: nio keeps no room state across restarts, so get all of it once, together with
        # the timeline since the persisted token (commands sent while the bot was down).
        first = True
        backoff = MAX_BACKOFF_S / 4
        while not self._stopping.is_set():
            sync = asyncio.ensure_future(
                client.sync(
                    timeout=0 if first else SYNC_TIMEOUT_MS,
                    sync_filter=SYNC_FILTER,
                    since=since,
                    full_state=first,
                    set_presence="online",
                )
            )
            stop = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait({sync, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if self._stopping.is_set():
                sync.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sync
                break
            try:
                response = sync.result()
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("homeserver not reachable (%s); trying again in %.1f s", exc, backoff)
                self.monitor.sync_failed("unreachable")
                response = None
            except Exception:
                log.exception("sync failed; retrying in %.1f s", backoff)
                self.monitor.sync_failed("error")
                response = None
            if not isinstance(response, SyncResponse):
                if getattr(response, "status_code", None) == "M_UNKNOWN_TOKEN":
                    raise LoginRequired("Der Zugang des Bots wurde widerrufen; bitte `redi-bot login` und neu starten")
                if response is not None:
                    log.warning("sync error %s; retrying in %.0f s", getattr(response, "message", response), backoff)
                    self.monitor.sync_failed("error")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            if backoff > MAX_BACKOFF_S / 4:
                log.info("homeserver reachable again")
            backoff = MAX_BACKOFF_S / 4
            self.monitor.synced()
            await self._after_sync()
            try:
                # The very first sync of a new bot only establishes where "now" is: history is not answered.
                tasks = await self._handle_sync(response, answer=since is not None)
            except Exception:
                # One odd event must not stop the bot; its commands are lost, the loop is not.
                log.exception("handling a sync response failed")
                tasks = set()
            async with self._synced:
                self._synced.notify_all()
            if first:
                await self._rooms_present(list(response.rooms.join))
            since = response.next_batch
            self._batches.append((since, tasks))
            # In the background: the next long poll starts at once, so a command sent meanwhile is not held back
            # by the database write (the lock keeps the writes in order).
            persisting = asyncio.create_task(self._persist_token())
            self._persisting.add(persisting)
            persisting.add_done_callback(self._persisting.discard)
            first = False
            self._ready.set()

    async def wait_ready(self) -> None:
        """Until the first sync is processed (tests and the demo wait on this, not on a sleep)."""
        await self._ready.wait()

    def request_stop(self) -> None:
        """Ask the sync loop to end (it does within moments); `stop()` then finishes the rest."""
        self._stopping.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop syncing, let running commands finish (bounded), persist the token, close."""
        self._stopping.set()
        for _, handle in self._prepare_later.values():
            handle.cancel()
        self._prepare_later.clear()
        for *_, waiter in self._undecrypted:
            waiter.cancel()  # not answered: the token stays before it, so the next start sees it again
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:  # they would otherwise run on against a closed client
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.gather(*self._persisting, return_exceptions=True)
        await self._persist_token()
        if self.client is not None:
            await self.client.close()

    # -- receiving -----------------------------------------------------------------------------------
    async def _after_sync(self) -> None:
        """The key housekeeping nio's sync_forever does, so encrypted rooms work both ways."""
        client = self.client
        assert client is not None
        try:
            await client.send_to_device_messages()
            if client.should_upload_keys:
                _check(await client.keys_upload(), "keys upload")
            if client.should_query_keys:
                _check(await client.keys_query(), "keys query")
            if client.should_claim_keys:
                _check(await client.keys_claim(client.get_users_for_key_claiming()), "keys claim")
        except Exception:
            log.warning("E2EE key maintenance failed; retrying after the next sync", exc_info=True)

    async def _handle_sync(self, response: SyncResponse, *, answer: bool) -> set[asyncio.Future[None]]:
        tasks: set[asyncio.Future[None]] = set()
        for request in response.to_device_events:
            if isinstance(request, RoomKeyRequest):
                try:
                    await self._answer_key_request(request)
                except Exception:
                    log.warning("could not answer the room key request of %s", request.sender, exc_info=True)
        for room_id, info in response.rooms.invite.items():
            self._invites[room_id] = info.invite_state
        for room_id, invite_state in list(self._invites.items()):
            try:
                await self._handle_invite(room_id, invite_state)
            except Exception:  # e.g. the homeserver went away again: tried again after the next sync
                log.warning("could not answer the invite to %s yet", room_id, exc_info=True)
            else:
                del self._invites[room_id]
        now = self.clock.now()
        for room_id, info in response.rooms.join.items():
            events = list(info.timeline.events)
            if answer and info.timeline.limited and room_id in self._known_rooms:
                log.warning(
                    "more than %d events in %s since the last sync: older commands there are not answered",
                    TIMELINE_LIMIT,
                    room_id,
                )
            self._known_rooms.add(room_id)
            self._rooms_seen.setdefault(room_id, asyncio.Event()).set()
            for event in (*info.state, *info.timeline.events):
                if isinstance(event, RoomCreateEvent):
                    content = event.source.get("content", {})
                    extra = content.get("additional_creators") or []
                    self._creators[room_id] = frozenset([event.sender, *(u for u in extra if isinstance(u, str))])
            # Events before our own join (history shown to a new member) are never commands for us.
            for index, event in enumerate(events):
                if (
                    isinstance(event, RoomMemberEvent)
                    and event.state_key == self.user_id
                    and event.membership == "join"
                    and (event.prev_membership or "leave") != "join"
                ):
                    events = events[index + 1 :]
                    break
            if not answer:
                continue
            for event in events:
                if isinstance(event, MegolmEvent):
                    log.info("could not decrypt %s in %s yet; waiting for its key", event.event_id, room_id)
                    loop = asyncio.get_running_loop()
                    waiter: asyncio.Future[None] = loop.create_future()
                    self._undecrypted.append((room_id, event, loop.time(), waiter))
                    tasks.add(waiter)
                    await self._request_key(event)
                    continue
                message = self._to_message(room_id, event, now)
                if message is not None:
                    tasks.add(self._spawn(message))
        if answer:
            tasks |= self._retry_undecrypted(now)
        return tasks

    # -- room keys -----------------------------------------------------------------------------------
    def _remember_room_keys(self) -> None:
        """Keep each new room key of the bot as it was first shared (at index 0)."""
        client = self.client
        assert client is not None and client.olm is not None
        olm = client.olm
        create = olm.create_outbound_group_session

        def create_and_remember(room_id: str) -> None:
            create(room_id)
            session = olm.outbound_group_sessions[room_id]
            self._room_keys[session.id] = (room_id, session.session_key)
            while len(self._room_keys) > ROOM_KEYS_KEPT:
                del self._room_keys[next(iter(self._room_keys))]

        olm.create_outbound_group_session = create_and_remember

    async def _answer_key_request(self, request: RoomKeyRequest) -> None:
        """Share a room key of the bot again with a device that could not read a message: a device of the person
        a direct chat is for (a new device, or the first message raced the invite), or a device the key was
        shared with before. Nobody else gets keys to messages that were not meant for them."""
        client = self.client
        assert client is not None and client.olm is not None
        if request.sender == self.user_id:
            return  # the bot's own devices are nio's business
        known = self._room_keys.get(request.session_id)
        room = client.rooms.get(request.room_id)
        if known is None or known[0] != request.room_id or room is None:
            log.info("%s asked for a room key the bot does not have (any more) in %s", request.sender, request.room_id)
            return
        device = self._device(request.sender, request.requesting_device_id)
        if device is None:  # a device logged in just now: its keys may not have reached the bot yet
            client.olm.users_for_key_query.add(request.sender)
            _check(await client.keys_query(), "querying device keys")
            device = self._device(request.sender, request.requesting_device_id)
        session = client.olm.outbound_group_sessions.get(request.room_id)
        shared_before = (
            device is not None and session is not None and session.id == request.session_id
            and (request.sender, device.id) in session.users_shared_with
        )  # fmt: skip
        direct = request.sender in room.users and len(room.users) <= 2
        if device is None or not (direct or shared_before):
            log.warning(
                "not sharing the room key of %s with %s's device %s: not someone the message was meant for",
                request.room_id, request.sender, request.requesting_device_id,
            )  # fmt: skip
            return
        olm_session = client.olm.session_store.get(device.curve25519)
        if olm_session is None:
            _check(await client.keys_claim({request.sender: [device.id]}), "claiming a one-time key")
            olm_session = client.olm.session_store.get(device.curve25519)
        if olm_session is None:
            log.warning("no encrypted channel to %s's device %s; the key is not shared", request.sender, device.id)
            return
        content = {
            "algorithm": "m.megolm.v1.aes-sha2",
            "room_id": request.room_id,
            "session_id": request.session_id,
            "session_key": known[1],
        }
        payload = client.olm._olm_encrypt(olm_session, device, "m.room_key", content)
        _check(
            await client.to_device(ToDeviceMessage("m.room.encrypted", request.sender, device.id, payload)),
            "sending a room key",
        )
        log.info("shared the room key of %s again with %s's device %s", request.room_id, request.sender, device.id)

    def _device(self, user_id: str, device_id: str) -> Any:
        client = self.client
        assert client is not None and client.olm is not None
        return next((d for d in client.olm.device_store.active_user_devices(user_id) if d.id == device_id), None)

    async def _request_key(self, event: MegolmEvent) -> None:
        client = self.client
        assert client is not None
        try:
            await client.request_room_key(event)
        except Exception:  # already requested, or no session info: the key may still arrive by itself
            log.debug("room key request for %s not sent", event.event_id, exc_info=True)

    def _retry_undecrypted(self, now: datetime) -> set[asyncio.Future[None]]:
        client = self.client
        assert client is not None
        tasks: set[asyncio.Future[None]] = set()
        loop_time = asyncio.get_running_loop().time()
        still: list[tuple[str, MegolmEvent, float, asyncio.Future[None]]] = []
        for room_id, event, since, waiter in self._undecrypted:
            try:
                decrypted = client.decrypt_event(event)
            except Exception:
                decrypted = None
            if decrypted is None or isinstance(decrypted, MegolmEvent):
                if loop_time - since < UNDECRYPTED_RETRY_S:
                    still.append((room_id, event, since, waiter))
                else:
                    log.warning("gave up decrypting %s in %s: no room key arrived", event.event_id, room_id)
                    waiter.set_result(None)
                continue
            message = self._to_message(room_id, decrypted, now)
            if message is None:
                waiter.set_result(None)
                continue
            task = self._spawn(message)
            task.add_done_callback(functools.partial(_resolve, waiter))
            tasks.add(task)
        self._undecrypted = still
        return tasks

    def _to_message(self, room_id: str, event: Any, now: datetime) -> IncomingMessage | None:
        """Turn an event into a command candidate, or None for everything the bot must ignore."""
        if isinstance(event, ReactionEvent):
            return self._to_reaction(room_id, event, now)
        if isinstance(event, RedactionEvent):
            return self._to_change(room_id, event, now, target=event.redacts, body=None)
        if not isinstance(event, RoomMessageText):  # notices (other bots), emotes, files, state...
            return None
        if event.sender == self.user_id:
            return None
        content = event.source.get("content", {})
        relates = content.get("m.relates_to") or {}
        if relates.get("rel_type") == "m.replace":  # edits are not new commands, but may change a copied text
            new_content = content.get("m.new_content") or {}
            new_body = new_content.get("body") if isinstance(new_content, dict) else None
            return self._to_change(room_id, event, now, target=relates.get("event_id"), body=new_body or "")
        body = event.body or ""
        body = _without_reply_quote(content, body)
        sent = _timestamp(event)
        if now - sent > self.config.max_command_age:
            log.info("ignoring %s from %s: older than the configured max age", event.event_id, event.sender)
            return None
        client = self.client
        assert client is not None
        room = client.rooms.get(room_id)
        power = self._power_level(room, event.sender)
        return IncomingMessage(
            room_id=room_id,
            event_id=event.event_id,
            sender=event.sender,
            body=body,
            timestamp=sent,
            thread_root=relates.get("event_id") if relates.get("rel_type") == "m.thread" else None,
            is_direct=self._is_direct(room),
            sender_power=power,
            encrypted=bool(getattr(event, "decrypted", False)),
            sender_name=_display_name(room, event.sender),
            reply_to=(relates.get("m.in_reply_to") or {}).get("event_id"),
            mentions=_mentioned(content),
        )

    def _to_change(
        self, room_id: str, event: Any, now: datetime, *, target: Any, body: str | None
    ) -> IncomingMessage | None:
        """An edit (body = new text) or redaction (body None) of an earlier message, for features that keep copies."""
        if not isinstance(target, str) or event.sender == self.user_id:
            return None
        return IncomingMessage(
            room_id=room_id,
            event_id=event.event_id,
            sender=event.sender,
            body="",
            timestamp=_timestamp(event),
            changes=target,
            new_body=body,
        )

    def _to_reaction(self, room_id: str, event: ReactionEvent, now: datetime) -> IncomingMessage | None:
        """Reactions can stand for a command (✋ on a substitution request = "I'll do it")."""
        sent = _timestamp(event)
        if event.sender == self.user_id or now - sent > self.config.max_command_age:
            return None
        client = self.client
        assert client is not None
        room = client.rooms.get(room_id)
        return IncomingMessage(
            room_id=room_id,
            event_id=event.event_id,
            sender=event.sender,
            body="",
            timestamp=sent,
            is_direct=self._is_direct(room),
            sender_power=self._power_level(room, event.sender),
            encrypted=bool(getattr(event, "decrypted", False)),
            sender_name=_display_name(room, event.sender),
            reply_to=event.reacts_to,
            reaction=event.key,
        )

    def _power_level(self, room: Any, user_id: str) -> int:
        if room is None:
            return 0
        version = str(room.room_version)
        if version.isdigit() and int(version) >= 12 and user_id in self._creators.get(room.room_id, ()):
            return CREATOR_POWER_LEVEL
        return int(room.power_levels.get_user_level(user_id))

    def _spawn(self, message: IncomingMessage) -> asyncio.Task[None]:
        task = asyncio.create_task(self._answer(message))
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        # The token is persisted after the next sync (a reply wakes one at once) or on stop.
        self._tasks.discard(task)

    async def _answer(self, message: IncomingMessage) -> None:
        assert self._handler is not None and self.outbox is not None
        received = asyncio.get_running_loop().time()
        try:
            reply = await self._handler(message)
            if reply is None:
                return
            if reply.outboxed:  # stored with the command's effect: sent from there, and marked
                sent = await self.outbox.deliver(message.event_id)
            else:
                await self.outbox.send_now(outgoing(message.event_id, message.room_id, message.reply_relation(), reply))
                sent = True
            if sent:  # what waits for a retry is measured by nobody: its latency is the outbox backlog's business
                self.monitor.replied(asyncio.get_running_loop().time() - received)
        except Exception:
            log.exception("could not answer %s in %s", message.event_id, message.room_id)

    async def _persist_token(self) -> None:
        """Persist the newest sync token whose commands (and all before) are fully handled."""
        async with self._persist_lock:  # keeps writes in order: an older token never wins
            done: str | None = None
            while self._batches and all(t.done() and not t.cancelled() for t in self._batches[0][1]):
                done = self._batches.pop(0)[0]
            if done is None:
                return
            try:
                async with self.db.transaction() as repos:
                    await repos.sync.set(NEXT_BATCH_KEY, done)
            except Exception:
                log.exception("could not persist the sync token")

    async def _handle_invite(self, room_id: str, invite_state: list[Any]) -> None:
        client = self.client
        assert client is not None
        inviter = next(
            (
                e.sender
                for e in invite_state
                if isinstance(e, InviteMemberEvent) and e.state_key == self.user_id and e.membership == "invite"
            ),
            None,
        )
        if inviter and self.config.may_invite(inviter):
            response = await client.join(room_id)
            if isinstance(response, JoinError):
                log.warning("could not join %s (invited by %s): %s", room_id, inviter, response.message)
            else:
                log.info("joined %s, invited by %s", room_id, inviter)
                self._introduce(room_id, direct=_invited_as_direct(invite_state, self.user_id))
            return
        self._explain_decline(room_id, inviter)
        method, path = Api.room_leave(client.access_token, room_id)
        reason = (
            "Ich trete nur Räumen bei, in die mich Mitglieder des re@di-Netzwerks einladen. "
            "/ I only join rooms when invited by members of the re@di network."
        )
        response = await client._send(RoomLeaveResponse, method, path, json.dumps({"reason": reason}))
        if isinstance(response, ErrorResponse):
            log.warning("could not decline the invite to %s: %s", room_id, response.message)

    def _explain_decline(self, room_id: str, inviter: str | None) -> None:
        """Tell the admin why an invite is declined and what to change, once per inviter and room: an allowlist
        still on the example's `example.org` declines every invite, and the people inviting only see the bot leave."""
        key = (inviter, room_id)
        if key in self._declined:
            log.debug("declining the invite to %s from %s again", room_id, inviter)
            return
        self._declined[key] = None
        while len(self._declined) > DECLINES_REMEMBERED:
            del self._declined[next(iter(self._declined))]
        if inviter is None:
            log.warning("declined the invite to %s: it does not say who invited the bot", room_id)
            return
        server = inviter.partition(":")[2]
        allowed = ", ".join(sorted(self.config.invite_servers)) or "none"
        log.warning(
            "declined the invite of %s to %s: their server %s is not in [invites].allowed_servers (now: %s), nor are "
            "they in [invites].allowed_users. If the bot should join, add the server or the account there and reload "
            "the config (SIGHUP) or restart; then invite the bot again",
            inviter, room_id, server, allowed,
        )  # fmt: skip

    async def resolve_alias(self, alias: str) -> str | None:
        """The room id a room alias (`#eakte:example.org`) stands for, or None if the homeserver knows no such
        alias. Raises MatrixError if it cannot say (unreachable, or another error)."""
        client = self.client
        assert client is not None, "connect() first"
        delay, tries = MAX_BACKOFF_S / 4, 1
        while True:
            try:
                response = await client.room_resolve_alias(alias)
                break
            except (aiohttp.ClientError, TimeoutError) as exc:
                if tries == ALIAS_TRIES:
                    raise MatrixError(f"homeserver not reachable: {exc}") from exc
            await asyncio.sleep(delay)
            delay, tries = min(delay * 2, MAX_BACKOFF_S), tries + 1
        if isinstance(response, RoomResolveAliasResponse):
            return str(response.room_id)
        if response.status_code == "M_NOT_FOUND":
            return None
        raise MatrixError(f"{response.status_code} {response.message}")

    def _introduce(self, room_id: str, *, direct: bool) -> None:
        """Say hello in a room just joined, once it shows up in a sync (in the background: the sync loop goes on)."""
        greeter = self.greeter
        if greeter is None:
            return

        async def introduce() -> None:
            try:
                await self._seen_in_sync(room_id, INTRODUCTION_WAIT_S)
                await greeter.joined(room_id, direct=direct)
            except Exception:  # a hello is not worth a crash; the outbox retries what it stored
                log.warning("could not introduce the bot in %s", room_id, exc_info=True)

        task = asyncio.create_task(introduce())
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    async def _rooms_present(self, room_ids: list[str]) -> None:
        """The rooms the bot is in at start were joined before: no introduction there, ever (see `Greeter`)."""
        if self.greeter is None:
            return
        try:
            await self.greeter.present(room_ids)
        except Exception:
            log.warning("could not note the rooms the bot is in", exc_info=True)

    # -- direct chats --------------------------------------------------------------------------------
    def prepare_direct(self, user_id: str, due: datetime) -> None:
        """Open the direct chat with `user_id` in the background, at the latest `PREPARE_DIRECT_WINDOW` before
        `due`, so that the message due then is only a send (once per person and run; a failure is left to the send,
        which tries again). Not earlier: a person who left their chat with the bot is not invited again months before
        anything is due, and the start does not queue every future recipient's chat ahead of live replies."""
        if user_id in self._prepared or self._stopping.is_set():
            return
        wait = (due - PREPARE_DIRECT_WINDOW - self.clock.now()).total_seconds()
        if wait > 0:
            planned = self._prepare_later.get(user_id)
            if planned is None or planned[0] > due:
                if planned is not None:
                    planned[1].cancel()
                handle = asyncio.get_running_loop().call_later(
                    wait, self._prepare_now, user_id, context=contextvars.Context()
                )
                self._prepare_later[user_id] = (due, handle)
            return
        self._prepare_now(user_id)

    def _prepare_now(self, user_id: str) -> None:
        self._prepare_later.pop(user_id, None)
        if user_id in self._prepared or self._stopping.is_set():
            return
        self._prepared.add(user_id)

        async def prepare() -> None:
            try:
                await self._ready.wait()  # nio knows the rooms (and the chats opened before) after the first sync
                await self._share_key_ahead(await self.direct_room(user_id))
            except Exception:
                self._prepared.discard(user_id)
                log.warning("could not open the direct chat with %s ahead of time", user_id, exc_info=True)

        # A fresh context: the command that planned the message has its log fields (room, command); this is not it.
        task = asyncio.create_task(prepare(), context=contextvars.Context())
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    async def direct_room(self, user_id: str) -> str:
        """The bot's direct chat with `user_id` (encrypted), created and remembered on first use.

        Returns only once a message sent there is readable for the person: they are in the room's member list
        (invited or joined) and their devices are known, so the room key is shared with them. The long-poll sync
        wakes on the new room's first event, before the invite is in it: encrypting then shared the key with
        nobody but the bot (the first message could not be read)."""
        client = self.client
        assert client is not None
        async with self._dm_lock:  # two messages at once must not open two chats
            async with self.db.transaction() as repos:
                known = await repos.reminders.dm_room(user_id)
            room_id = await self._existing_direct_room(known, user_id) if known else None
            if room_id is None:
                response = _check_delivery(
                    await client.room_create(
                        is_direct=True,
                        invite=[user_id],
                        preset=RoomPreset.trusted_private_chat,
                        initial_state=[
                            {
                                "type": "m.room.encryption",
                                "state_key": "",
                                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                            }
                        ],
                    ),
                    f"creating a direct chat with {user_id}",
                )
                room_id = str(response.room_id)
                async with self.db.transaction() as repos:  # at once: a retry must not open another chat
                    await repos.reminders.set_dm_room(user_id, room_id)
                log.info("opened a direct chat %s with %s", room_id, user_id)
                await self._seen_in_sync(room_id)
                try:
                    await self._until_synced(lambda: self._in_room(room_id, user_id), timeout=30)
                except TimeoutError:
                    raise DirectChatNotReady(f"the invite of {user_id} to {room_id} never synced") from None
            await self._await_devices(user_id)
            return room_id

    async def _existing_direct_room(self, room_id: str, user_id: str) -> str | None:
        """The stored direct chat if the person is still in it (invited or joined), else None (open a new one)."""
        client = self.client
        assert client is not None
        if room_id not in client.rooms:
            # Created but not yet seen in a sync (e.g. a timeout on the first try): wait for it.
            try:
                await self._seen_in_sync(room_id)
            except TimeoutError:
                log.warning("direct chat %s with %s never showed up; opening a new one", room_id, user_id)
                return None
        try:  # the invite may come a sync after the room itself
            await self._until_synced(lambda: self._in_room(room_id, user_id), timeout=10)
        except TimeoutError:
            log.info("%s left the direct chat %s; opening a new one", user_id, room_id)
            return None
        return room_id

    async def prepare_room(self, room_id: str) -> None:
        try:
            await self._share_key_ahead(room_id)
        except Exception:  # the send does the same again, and retries
            log.warning("could not prepare %s for a scheduled message", room_id, exc_info=True)

    async def _share_key_ahead(self, room_id: str) -> None:
        """What nio's first send into an encrypted room does before sending (the member list, the devices' keys, a
        new room key sent to each device), done now: a message due later is then only encrypted and sent."""
        client = self.client
        assert client is not None and client.olm is not None
        room = client.rooms.get(room_id)
        if room is None or not room.encrypted:
            return
        if not room.members_synced:
            await client.joined_members(room_id)
        if client.should_query_keys:
            await client.keys_query()
        self._share_key_with(room_id)
        if client.olm.should_share_group_session(room_id) and room_id not in client.sharing_session:
            await client.share_group_session(room_id, ignore_unverified_devices=True)

    def _share_key_with(self, room_id: str) -> None:
        """Start a new room key if the current one did not reach every device of the room's members (invited
        ones included): a chat opened before the invite was in the member list, a device added since, or a key
        share that failed half-way (nio marks the key shared anyway). The next message then shares a new one."""
        client = self.client
        assert client is not None
        room = client.rooms.get(room_id)
        session = client.olm.outbound_group_sessions.get(room_id) if client.olm is not None else None
        if room is None or session is None or not room.encrypted:
            return
        reached = session.users_shared_with | session.users_ignored
        for user_id in room.users:
            devices = {(user_id, d.id) for d in client.olm.device_store.active_user_devices(user_id)}
            if not devices <= reached:
                log.info("the room key of %s never reached all devices of %s; starting a new one", room_id, user_id)
                client.invalidate_outbound_session(room_id)
                return

    def _in_room(self, room_id: str, user_id: str) -> bool:
        """Whether nio's member list of the room holds the person, invited or joined."""
        assert self.client is not None
        room = self.client.rooms.get(room_id)
        return room is not None and user_id in room.users

    async def _until_synced(self, condition: Callable[[], bool], *, timeout: float) -> None:  # noqa: ASYNC109
        """Until `condition` holds on the room state nio keeps (checked after every sync)."""
        async with self._synced:
            await asyncio.wait_for(self._synced.wait_for(condition), timeout)

    async def _await_devices(self, user_id: str, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until their device keys are known (the key query may be running in the sync loop already),
        so the first message is encrypted for the person's devices too. Without any, nobody could read it:
        the caller retries later instead of sending something unreadable."""
        client = self.client
        assert client is not None and client.olm is not None
        deadline = asyncio.get_running_loop().time() + timeout
        while not list(client.olm.device_store.active_user_devices(user_id)):
            if asyncio.get_running_loop().time() > deadline:
                log.warning("no device keys of %s known: a direct message could not be read; retrying later", user_id)
                raise DirectChatNotReady(f"no device keys of {user_id} known")
            if client.should_query_keys:
                try:
                    await client.keys_query()
                except Exception:  # e.g. the sync loop's query is in flight: its result lands in the store
                    log.debug("key query for %s deferred", user_id, exc_info=True)
            await asyncio.sleep(0.1)

    async def _seen_in_sync(self, room_id: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """nio can only send (and encrypt) into a room it has seen in a sync: wait for that."""
        await asyncio.wait_for(self._rooms_seen.setdefault(room_id, asyncio.Event()).wait(), timeout)

    # -- files ---------------------------------------------------------------------------------------
    async def _fetch_event(self, room_id: str, event_id: str) -> tuple[Any, dict[str, Any]]:
        """An event of a room and its content, decrypted if the room is encrypted."""
        client = self.client
        assert client is not None
        response = _check(await client.room_get_event(room_id, event_id), "fetching the replied-to event")
        event = response.event
        if isinstance(event, MegolmEvent):
            event = client.decrypt_event(event)
        content = (getattr(event, "source", None) or {}).get("content") or {}
        return event, content

    async def fetch_attachment(self, room_id: str, event_id: str, *, max_bytes: int) -> Attachment | None:
        """The file of an `m.file` event (decrypted if the room is encrypted), or None if it has none."""
        client = self.client
        assert client is not None
        _, content = await self._fetch_event(room_id, event_id)
        if content.get("msgtype") not in {"m.file", "m.text"} or not (content.get("url") or content.get("file")):
            return None
        size = int((content.get("info") or {}).get("size") or 0)
        if size > max_bytes:
            raise AttachmentTooLarge(size, max_bytes)
        encrypted = content.get("file")
        mxc = encrypted["url"] if encrypted else content["url"]
        download = _check(await client.download(mxc), "downloading the file")
        data: bytes = download.body
        if len(data) > max_bytes:
            raise AttachmentTooLarge(len(data), max_bytes)
        if encrypted:
            data = decrypt_attachment(data, encrypted["key"]["k"], encrypted["hashes"]["sha256"], encrypted["iv"])
        filename = str(content.get("filename") or content.get("body") or "datei")
        mimetype = str((content.get("info") or {}).get("mimetype") or "application/octet-stream")
        return Attachment(filename=filename, mimetype=mimetype, data=data)

    def display_names(self, room_id: str, user_ids: Collection[str]) -> dict[str, str]:
        """Names as nio's member lists hold them: this room's first, then any other room shared with the person."""
        if self.client is None:
            return {}
        known = self.client.rooms
        rooms = [known[room_id]] if room_id in known else []
        rooms += [room for rid, room in known.items() if rid != room_id]
        names: dict[str, str] = {}
        for user_id in user_ids:
            for room in rooms:
                member = room.users.get(user_id)
                if member is not None and member.display_name:
                    names[user_id] = member.display_name
                    break
        return names

    def power_level(self, room_id: str, user_id: str) -> int:
        """The person's power level in a room the bot is in (0 where the bot is not), e.g. whether the web pages
        treat them as a coordinator."""
        room = self.client.rooms.get(room_id) if self.client is not None else None
        return self._power_level(room, user_id) if room is not None else 0

    def state_power(self, room_id: str, event_type: str) -> tuple[int, int]:
        """(the power level a state event of this type needs in the room, the bot's), e.g. whether `!widget` can
        add the widget or has to explain which setting to change."""
        room = self.client.rooms.get(room_id) if self.client is not None else None
        if room is None:
            return 50, 0  # Matrix's default for state events; the bot is not in the room
        return int(room.power_levels.get_state_event_required_level(event_type)), self._power_level(room, self.user_id)

    async def put_state(self, room_id: str, event_type: str, state_key: str, content: Mapping[str, Any]) -> bool:
        """Set a state event (the widget of `!widget`); False when the homeserver refused it for lack of power."""
        client = self.client
        assert client is not None
        response = await client.room_put_state(room_id, event_type, dict(content), state_key=state_key)
        if isinstance(response, ErrorResponse) and str(response.status_code) == "M_FORBIDDEN":
            return False
        _check(response, f"setting {event_type} in {room_id}")
        return True

    def rooms_of(self, user_id: str) -> set[str]:
        """The rooms the person has joined and the bot is in (nio's member lists, complete since the sync does not
        lazy-load them; invited is not joined), e.g. whose meetings a calendar feed may show."""
        if self.client is None:
            return set()
        return {
            room_id
            for room_id, room in self.client.rooms.items()
            if user_id in room.users and user_id not in room.invited_users
        }

    def _is_direct(self, room: Any) -> bool:
        """A chat of the bot and one person: two members (nio counts the invited too). A room the config names (a
        group's, the network's, the admins') never is, even while only one person has joined it yet: what is said
        only in private (the `!vergissmich` confirmation, a feed address) must not land there."""
        if room is None or room.member_count > 2:
            return False
        config = self.config
        return room.room_id not in config.room_groups and room.room_id not in (config.network_room, config.admin_room)

    async def fetch_message(self, room_id: str, event_id: str) -> Quoted | None:
        """Sender and text of a message (decrypted if need be), e.g. the one a `!beschluss` replies to."""
        event, content = await self._fetch_event(room_id, event_id)
        body = content.get("body")
        if not isinstance(body, str):
            return None
        body = _without_reply_quote(content, body)
        return Quoted(event_id=event_id, sender=str(getattr(event, "sender", "")), body=body)

    # -- sending -------------------------------------------------------------------------------------
    async def upload(self, room_id: str, attachment: Attachment) -> dict[str, Any]:
        """Upload a file (encrypted for encrypted rooms) and return the content to send: `m.file`, or `m.image` for
        an attachment with `image` info."""
        client = self.client
        assert client is not None
        room = client.rooms.get(room_id)
        encrypt = bool(room and room.encrypted)
        data = attachment.data
        response, keys = await client.upload(
            lambda *_: io.BytesIO(data),
            content_type=attachment.mimetype,
            filename=attachment.filename,
            encrypt=encrypt,
            filesize=len(data),
        )
        _check_delivery(response, f"uploading {attachment.filename}")
        content: dict[str, Any] = file_content(attachment) | {"m.mentions": {}}
        if encrypt:
            content["file"] = {"url": response.content_uri, **(keys or {})}
        else:
            content["url"] = response.content_uri
        return content

    async def send(
        self,
        room_id: str,
        content: dict[str, Any] | Callable[[], dict[str, Any]],
        *,
        txn_id: str | None = None,
        event_type: str = "m.room.message",
        patience: float = 600.0,
    ) -> str:
        """Send and return the event id. nio retries 429s (honouring retry_after_ms); an unreachable homeserver
        and server errors (one restarting behind a proxy) are retried here, every MAX_BACKOFF_S at most, for up
        to `patience` seconds with the same txn_id, which makes the retries idempotent. `content` may be a
        function: it is asked on every try (a reminder held up by an outage is marked late when it goes out).
        A permanent refusal raises PermanentSendError at once."""
        client = self.client
        assert client is not None
        if txn_id is None:
            txn_id = "redi-" + uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        delay = MAX_BACKOFF_S / 4
        while True:
            body = content() if callable(content) else content
            self._share_key_with(room_id)
            try:
                response = await client.room_send(
                    room_id, event_type, body, tx_id=txn_id, ignore_unverified_devices=True
                )
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, message = "unreachable", str(exc)
                self.monitor.request_failed("unreachable")
                # nio marks the room as "sharing a key" before claiming one-time keys and never unmarks it when
                # that request fails: every later send into the room would wait for ever.
                sharing = client.sharing_session.pop(room_id, None)
                if sharing is not None:
                    sharing.set()
            else:
                if isinstance(response, RoomSendResponse):
                    return str(response.event_id)
                status, message = str(getattr(response, "status_code", "")), str(response.message)
                self.monitor.request_failed("error")
                if status in PERMANENT_ERRORS:
                    raise PermanentSendError(f"sending to {room_id} was refused: {status} {message}")
            if loop.time() + delay > deadline:
                raise MatrixError(f"sending to {room_id} failed: {status} {message}")
            log.warning("send to %s failed (%s %s); retrying in %.1f s", room_id, status, message, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)
