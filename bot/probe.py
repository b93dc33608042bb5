"""Read-only questions to the homeserver and the encryption store, for `redi-bot doctor`.

Unlike `bot.matrix.MatrixTransport` this never syncs, never uploads keys and never creates the encryption store,
so it can run next to the bot, before its first start, and as another Unix user without changing anything.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
import vodozemac
from nio import (
    Api,
    AsyncClient,
    AsyncClientConfig,
    JoinedRoomsResponse,
    RoomResolveAliasResponse,
    WhoamiResponse,
)
from nio.crypto import OlmAccount

from bot.matrix import Credentials, LoginRequired, MatrixError

REQUEST_TIMEOUT_S = 10.0  # an admin waits for the answer: a homeserver that takes longer is as good as down
# The token was revoked, the device deleted, or the account deactivated: only a new login helps.
TOKEN_REJECTED = frozenset({"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_FORBIDDEN", "M_USER_DEACTIVATED"})


@dataclass(frozen=True)
class ServerInfo:
    versions: tuple[str, ...]  # the spec versions of the client API it speaks
    date: datetime | None  # its clock, from the Date header of the answer


@dataclass(frozen=True)
class Identity:
    user_id: str
    device_id: str | None


@dataclass(frozen=True)
class RoomState:
    """What doctor needs of a room's current state: who may send what, and who is in it."""

    version: str  # the room version ("1" when m.room.create does not say)
    creators: frozenset[str]  # who created it (its m.room.create's sender) and its additional_creators
    power_levels: Mapping[str, Any] | None  # the content of m.room.power_levels; None if the room has none
    encrypted: bool
    members: frozenset[str]  # who has joined


class Probe:
    """One homeserver, asked with the bot's stored access token (if any)."""

    def __init__(self, homeserver: str, credentials: Credentials | None) -> None:
        config = AsyncClientConfig(
            encryption_enabled=False,  # nothing of the E2EE store is loaded or written
            max_timeouts=0,  # a connection error is reported at once, not retried with backoff
            max_limit_exceeded=3,
            request_timeout=REQUEST_TIMEOUT_S,
        )
        self._client = AsyncClient(homeserver, config=config)
        self._credentials = credentials
        if credentials is not None:  # restore_login would load the store: set the token only
            self._client.user_id = credentials.user_id
            self._client.device_id = credentials.device_id
            self._client.access_token = credentials.access_token

    async def close(self) -> None:
        await self._client.close()

    async def server(self) -> ServerInfo:
        """`GET /_matrix/client/versions`, which needs no login: is there a Matrix homeserver at this URL?"""
        response = await self._raw("GET", "/_matrix/client/versions")
        async with response:
            if response.status != 200:
                raise MatrixError(f"HTTP {response.status} für /_matrix/client/versions")
            try:
                versions = (await response.json(content_type=None))["versions"]
            except (ValueError, KeyError, TypeError, aiohttp.ContentTypeError) as exc:
                raise MatrixError("keine Matrix-Antwort auf /_matrix/client/versions / not a Matrix answer") from exc
            date = response.headers.get("Date")
        try:
            when = parsedate_to_datetime(date) if date else None
        except (TypeError, ValueError):
            when = None
        return ServerInfo(versions=tuple(str(v) for v in versions), date=when)

    async def whoami(self) -> Identity:
        """Whose the stored access token is; LoginRequired if the homeserver no longer accepts it."""
        response = await self._ask(self._client.whoami)
        if isinstance(response, WhoamiResponse):
            return Identity(user_id=response.user_id, device_id=response.device_id)
        if response.status_code in TOKEN_REJECTED:
            raise LoginRequired(f"{response.status_code} {response.message}")
        raise MatrixError(f"{response.status_code} {response.message}")

    async def joined_rooms(self) -> set[str]:
        response = await self._ask(self._client.joined_rooms)
        if isinstance(response, JoinedRoomsResponse):
            return set(response.rooms)
        raise MatrixError(f"{response.status_code} {response.message}")

    async def resolve_alias(self, alias: str) -> str | None:
        """The room an alias names; None if the homeserver knows no such alias."""
        response = await self._ask(self._client.room_resolve_alias, alias)
        if isinstance(response, RoomResolveAliasResponse):
            return str(response.room_id)
        if response.status_code == "M_NOT_FOUND":
            return None
        raise MatrixError(f"{response.status_code} {response.message}")

    async def room_state(self, room_id: str) -> RoomState:
        """The room's current state, in one request (`GET /rooms/{id}/state`): m.room.power_levels alone would not
        say who created it, whose power is unlimited from room version 12 on, nor whether it is encrypted (then the
        bot's messages are m.room.encrypted events)."""
        assert self._credentials is not None
        method, path = Api.room_get_state(self._credentials.access_token, room_id)
        status, answer = await self._answer(method, path)
        if status != 200 or not isinstance(answer, list):
            raise MatrixError(_error(status, answer))
        events: dict[str, dict[str, Any]] = {}  # "type|state_key" -> event
        members: set[str] = set()
        for event in answer:
            if not isinstance(event, dict) or not isinstance(event.get("content"), dict):
                continue
            kind, key = event.get("type"), event.get("state_key")
            if kind == "m.room.member" and event["content"].get("membership") == "join" and isinstance(key, str):
                members.add(key)
            elif key == "":
                events[str(kind)] = event
        create = events.get("m.room.create", {})
        content = create.get("content") or {}
        extra = content.get("additional_creators") or []
        creators = {str(create["sender"])} if create.get("sender") else set()
        creators.update(user for user in extra if isinstance(user, str))
        power_levels = events.get("m.room.power_levels")
        return RoomState(
            version=str(content.get("room_version") or "1"),
            creators=frozenset(creators),
            power_levels=power_levels["content"] if power_levels else None,
            encrypted="m.room.encryption" in events,
            members=frozenset(members),
        )

    async def profile_exists(self, user_id: str) -> bool:
        """Whether the homeserver knows a profile for `user_id` (`GET /profile/{userId}`); False on a 404, which is
        also what a deactivated account answers. For a user on another server the homeserver asks that one: its
        errors (not reachable, federation not allowed) raise MatrixError."""
        token = self._credentials.access_token if self._credentials is not None else None
        method, path = Api.profile_get(user_id, token)
        status, answer = await self._answer(method, path)
        if status == 200:
            return True
        if status == 404:
            return False
        raise MatrixError(_error(status, answer))

    async def published_device_key(self) -> str | None:
        """The ed25519 key the homeserver hands out for the bot's device (what other clients encrypt for), or None
        when the device has uploaded no keys yet."""
        assert self._credentials is not None
        user_id, device_id = self._credentials.user_id, self._credentials.device_id
        method, path, body = Api.keys_query(self._credentials.access_token, {user_id})
        response = await self._raw(method, path, body)
        async with response:
            if response.status != 200:
                raise MatrixError(f"HTTP {response.status} für keys/query")
            answer: dict[str, Any] = await response.json(content_type=None)
        device = ((answer.get("device_keys") or {}).get(user_id) or {}).get(device_id) or {}
        key = (device.get("keys") or {}).get(f"ed25519:{device_id}")
        return str(key) if key else None

    async def one_time_key_signed(self, device_key: str) -> bool | None:
        """Whether a one-time key the homeserver hands out for the bot's device is signed with `device_key`, as a
        client checks before it starts an encrypted chat with the bot; None if it has none to hand out. Takes one
        key, as every such client does; the bot uploads new ones when they run low."""
        assert self._credentials is not None
        user_id, device_id = self._credentials.user_id, self._credentials.device_id
        method, path, body = Api.keys_claim(self._credentials.access_token, {user_id: [device_id]})
        response = await self._raw(method, path, body)
        async with response:
            if response.status != 200:
                raise MatrixError(f"HTTP {response.status} für keys/claim")
            answer: dict[str, Any] = await response.json(content_type=None)
        keys = ((answer.get("one_time_keys") or {}).get(user_id) or {}).get(device_id) or {}
        if not keys:
            return None
        signed = dict(next(iter(keys.values())))
        signature = (signed.pop("signatures", None) or {}).get(user_id, {}).get(f"ed25519:{device_id}")
        signed.pop("unsigned", None)
        if not signature:
            return False
        try:
            vodozemac.Ed25519PublicKey.from_base64(device_key).verify_signature(
                Api.to_canonical_json(signed).encode(), vodozemac.Ed25519Signature.from_base64(signature)
            )
        except (vodozemac.SignatureException, vodozemac.KeyException, vodozemac.DecodeException, ValueError):
            return False
        return True

    async def _answer(self, method: str, path: str) -> tuple[int, Any]:
        """The HTTP status and the JSON body (None if there is none) of a request."""
        response = await self._raw(method, path)
        async with response:
            try:
                return response.status, await response.json(content_type=None)
            except (ValueError, aiohttp.ClientError):
                return response.status, None

    async def _raw(self, method: str, path: str, body: str | None = None) -> aiohttp.ClientResponse:
        try:
            response: aiohttp.ClientResponse = await self._client.send(
                method, path, body, headers={"Content-Type": "application/json"}
            )
            return response
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise MatrixError(_unreachable(exc)) from exc

    async def _ask(self, request: Any, *args: Any) -> Any:
        try:
            return await request(*args)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise MatrixError(_unreachable(exc)) from exc


def _error(status: int, answer: Any) -> str:
    """`M_FORBIDDEN Federation denied with partner.example.` from a Matrix error answer, else the HTTP status."""
    if isinstance(answer, dict) and answer.get("errcode"):
        return f"{answer['errcode']} {answer.get('error') or ''}".strip()
    return f"HTTP {status}"


def _unreachable(exc: BaseException) -> str:
    return f"nicht erreichbar / not reachable: {exc or type(exc).__name__}"


def local_device_key(data_dir: Path, credentials: Credentials) -> str | None:
    """The ed25519 key of the bot's device in its encryption store (`data_dir/crypto`), or None if the store has no
    account for the device (never started since `redi-bot login`, or the store is gone). Reads the store file
    directly, read-only: nio's `MatrixStore` would create or migrate it, and it binds its peewee models for the whole
    process, which races with a bot's own store in the same process (the doctor's tests run one)."""
    path = data_dir / "crypto" / f"{credentials.user_id}_{credentials.device_id}.db"
    if not path.is_file():
        return None
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
        row = connection.execute(
            "SELECT account, shared FROM accounts WHERE user_id = ? AND device_id = ?",
            (credentials.user_id, credentials.device_id),
        ).fetchone()
    if row is None:
        return None
    pickle_key = AsyncClientConfig().pickle_key  # the one the bot's client uses
    account = OlmAccount.from_pickle(bytes(row[0]), pickle_key, bool(row[1]))
    return str(account.identity_keys["ed25519"])
