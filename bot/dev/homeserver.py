"""A throwaway Synapse on loopback for tests, the demo and benchmarks.

The homeserver runs as a child process (``python -m synapse.app.homeserver``) with a config written into
its own work directory, so nothing outside that directory is touched. Every rate limit is raised high so
ordinary tests never see a 429; a test that wants one lowers the message limit for a single user with
:meth:`Homeserver.set_message_ratelimit`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import signal
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import aiohttp

log = logging.getLogger(__name__)

SERVER_NAME = "localhost"
LOG_FILE = "homeserver.log"
STDOUT_FILE = "homeserver.stdout.log"

# Generous enough that no test, demo or benchmark ever hits them; Synapse's defaults (e.g. 0.2 messages/s,
# 5 logins per account) would make fast scripted users flaky.
_HIGH: dict[str, float] = {"per_second": 10_000, "burst_count": 100_000}


class HomeserverError(RuntimeError):
    """Synapse did not start, died, or refused an admin request."""


@dataclass(frozen=True)
class RegisteredUser:
    user_id: str
    localpart: str
    password: str


def free_port() -> int:
    """A port on 127.0.0.1 free right now."""
    # Tiny race (another process could take the port before Synapse binds it); start() retries then.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _signing_key() -> str:
    # Synapse's key file format: "<algorithm> <version> <unpadded base64 seed>". Writing it ourselves
    # saves Synapse generating it and keeps this module free of Synapse imports.
    seed = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return f"ed25519 a_{secrets.token_hex(2)} {seed}\n"


def build_config(workdir: Path, port: int, shared_secret: str) -> dict[str, Any]:
    """The homeserver config; JSON is valid YAML, so it is written with ``json`` (no YAML dependency)."""
    return {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(workdir / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client", "openid"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(workdir / "homeserver.db")}},
        "log_config": str(workdir / "log_config.yaml"),
        "media_store_path": str(workdir / "media_store"),
        "signing_key_path": str(workdir / "signing.key"),
        "registration_shared_secret": shared_secret,
        "macaroon_secret_key": secrets.token_urlsafe(32),
        "form_secret": secrets.token_urlsafe(32),
        "enable_registration": False,
        "report_stats": False,
        "suppress_key_server_warning": True,
        "trusted_key_servers": [],
        "federation_domain_whitelist": [],
        "presence": {"enabled": False},
        "bcrypt_rounds": 4,
        "url_preview_enabled": False,
        # Every rate limit Synapse 1.163 reads (synapse/config/ratelimiting.py), raised.
        "rc_message": _HIGH,
        "rc_registration": _HIGH,
        "rc_registration_token_validity": _HIGH,
        "rc_login": {"address": _HIGH, "account": _HIGH, "failed_attempts": _HIGH},
        "rc_admin_redaction": _HIGH,
        "rc_joins": {"local": _HIGH, "remote": _HIGH},
        "rc_joins_per_room": _HIGH,
        "rc_key_requests": _HIGH,
        "rc_3pid_validation": _HIGH,
        "rc_invites": {"per_room": _HIGH, "per_user": _HIGH, "per_issuer": _HIGH},
        "rc_third_party_invite": _HIGH,
        "rc_media_create": _HIGH,
        "rc_presence": {"per_user": _HIGH},
        "rc_delayed_event_mgmt": _HIGH,
        "rc_room_creation": _HIGH,
        "rc_reports": _HIGH,
        "rc_user_directory": _HIGH,
        "rc_profile": _HIGH,
    }


def build_log_config(workdir: Path) -> dict[str, Any]:
    """Synapse logs WARNING and above into a file, so failures can be diagnosed without noisy output."""
    return {
        "version": 1,
        "formatters": {"precise": {"format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s"}},
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "formatter": "precise",
                "filename": str(workdir / LOG_FILE),
                "encoding": "utf8",
            }
        },
        "root": {"level": "WARNING", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }


def _make_dir(path: Path) -> Path:
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_config_files(workdir: Path, port: int, shared_secret: str) -> None:
    (workdir / "homeserver.yaml").write_text(
        json.dumps(build_config(workdir, port, shared_secret), indent=2), encoding="utf8"
    )
    (workdir / "log_config.yaml").write_text(json.dumps(build_log_config(workdir), indent=2), encoding="utf8")
    key_path = workdir / "signing.key"
    if not key_path.exists():  # keep the key when a workdir is reused: it belongs to the database
        key_path.write_text(_signing_key(), encoding="utf8")
    (workdir / LOG_FILE).unlink(missing_ok=True)  # so a failure report shows only this run


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf8", errors="replace")
    except FileNotFoundError:
        return f"({path.name} does not exist)"
    return "\n".join(text.splitlines()[-lines:]) or f"({path.name} is empty)"


class Homeserver:
    """A running Synapse. Create it with :meth:`start` (or ``async with await Homeserver.start(...)``)."""

    server_name: str = SERVER_NAME

    def __init__(
        self,
        *,
        workdir: Path,
        port: int,
        process: asyncio.subprocess.Process,
        shared_secret: str,
        session: aiohttp.ClientSession,
    ) -> None:
        self.workdir = workdir
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self._process = process
        self._shared_secret = shared_secret
        self._session = session
        self._admin_token: str | None = None
        self._admin_lock = asyncio.Lock()
        self._stopped = False

    @classmethod
    async def start(cls, workdir: Path, *, port: int | None = None, ready_timeout: float = 60) -> Homeserver:
        """Write a config into ``workdir`` (created if missing), start Synapse and wait until it answers.

        With ``port=None`` a free port is picked, and a lost race for it is retried with another one.
        """
        workdir = _make_dir(workdir)
        attempts = 3 if port is None else 1
        for attempt in range(1, attempts + 1):
            try:
                return await cls._start_once(workdir, port or free_port(), ready_timeout)
            except HomeserverError as exc:
                if attempt == attempts or "Address already in use" not in str(exc):
                    raise
                log.warning("Port taken before Synapse could bind it, retrying with another one")
        raise AssertionError("unreachable")

    @classmethod
    async def _start_once(cls, workdir: Path, port: int, ready_timeout: float) -> Homeserver:
        shared_secret = secrets.token_urlsafe(32)
        _write_config_files(workdir, port, shared_secret)
        started = time.monotonic()
        with (workdir / STDOUT_FILE).open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "-c",
                "homeserver.yaml",
                cwd=workdir,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
            )
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        server = cls(workdir=workdir, port=port, process=process, shared_secret=shared_secret, session=session)
        try:
            await server._wait_until_ready(ready_timeout)
        except BaseException:
            await server.stop()
            raise
        log.info("Synapse on %s ready after %.2f s", server.base_url, time.monotonic() - started)
        return server

    async def _wait_until_ready(self, ready_timeout: float) -> None:
        deadline = time.monotonic() + ready_timeout
        url = f"{self.base_url}/_matrix/client/versions"
        probe_timeout = aiohttp.ClientTimeout(total=2)
        while True:
            if self._process.returncode is not None:
                raise HomeserverError(
                    f"Synapse exited with code {self._process.returncode} during start-up.\n{self.log_tail()}"
                )
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self._session.get(url, timeout=probe_timeout) as response:
                    if response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise HomeserverError(f"Synapse did not answer {url} within {ready_timeout} s.\n{self.log_tail()}")
            await asyncio.sleep(0.05)

    def log_tail(self, lines: int = 40) -> str:
        """The end of Synapse's log and of its stdout/stderr, for error messages."""
        return (
            f"--- {self.workdir / LOG_FILE} ---\n{_tail(self.workdir / LOG_FILE, lines)}\n"
            f"--- {self.workdir / STDOUT_FILE} ---\n{_tail(self.workdir / STDOUT_FILE, lines)}"
        )

    async def _request(
        self, method: str, path: str, *, json_body: Mapping[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self._session.request(method, self.base_url + path, json=json_body, headers=headers) as resp:
            text = await resp.text()
            if resp.status != 200:
                raise HomeserverError(f"{method} {path} failed with HTTP {resp.status}: {text}")
            data: dict[str, Any] = json.loads(text) if text else {}
            return data

    async def register(
        self,
        localpart: str,
        password: str,
        *,
        admin: bool = False,
        displayname: str | None = None,
        exist_ok: bool = False,
    ) -> RegisteredUser:
        """Create an account through the shared-secret admin API, without logging it in (no stray device).

        ``exist_ok`` accepts an account that already exists (a reused work directory); its password is
        then assumed to be ``password``, not checked.
        """
        try:
            user, _ = await self._register(localpart, password, admin, displayname, login=False)
        except HomeserverError as exc:
            if not (exist_ok and "M_USER_IN_USE" in str(exc)):
                raise
            return RegisteredUser(f"@{localpart}:{self.server_name}", localpart, password)
        return RegisteredUser(**user)

    async def _register(
        self, localpart: str, password: str, admin: bool, displayname: str | None, *, login: bool
    ) -> tuple[dict[str, str], dict[str, Any]]:
        path = "/_synapse/admin/v1/register"
        nonce = (await self._request("GET", path))["nonce"]
        mac = hmac.new(self._shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode()]))
        mac.update(b"\x00admin" if admin else b"\x00notadmin")
        body: dict[str, Any] = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
            "inhibit_login": not login,
        }
        if displayname is not None:
            body["displayname"] = displayname
        result = await self._request("POST", path, json_body=body)
        user = {"user_id": result["user_id"], "localpart": localpart, "password": password}
        return user, result

    async def openid_token(self, user_id: str, access_token: str) -> dict[str, Any]:
        """What a chat client hands a widget that asks who is using it (the widget API's `get_openid`): an OpenID
        token of the user, which `/_matrix/federation/v1/openid/userinfo` (the listener's `openid` resource) turns
        back into the user id."""
        path = f"/_matrix/client/v3/user/{quote(user_id)}/openid/request_token"
        return await self._request("POST", path, json_body={}, token=access_token)

    async def admin_token(self) -> str:
        """An access token of a server admin, registered on first use and cached."""
        async with self._admin_lock:
            if self._admin_token is None:
                localpart = f"toolkit-admin-{secrets.token_hex(4)}"
                _, result = await self._register(localpart, secrets.token_urlsafe(16), True, None, login=True)
                self._admin_token = str(result["access_token"])
            return self._admin_token

    async def set_message_ratelimit(self, user_id: str, messages_per_second: float, burst_count: int) -> None:
        """Give one user their own message rate limit, replacing the (high) global ``rc_message``.

        Synapse uses the override instead of the global values, so it can lower the limit: with
        ``(1, 1)`` the second message sent within a second gets HTTP 429 ``M_LIMIT_EXCEEDED`` with
        ``retry_after_ms``. Synapse only accepts whole numbers here; ``0`` means "never rate-limited".
        """
        if messages_per_second != int(messages_per_second) or messages_per_second < 0 or burst_count < 0:
            raise ValueError(
                "Synapse's override_ratelimit accepts only non-negative whole numbers, "
                f"got messages_per_second={messages_per_second!r}, burst_count={burst_count!r}"
            )
        await self._request(
            "POST",
            f"/_synapse/admin/v1/users/{quote(user_id, safe='')}/override_ratelimit",
            json_body={"messages_per_second": int(messages_per_second), "burst_count": burst_count},
            token=await self.admin_token(),
        )

    async def clear_message_ratelimit(self, user_id: str) -> None:
        """Return the user to the global (high) message rate limit."""
        await self._request(
            "DELETE",
            f"/_synapse/admin/v1/users/{quote(user_id, safe='')}/override_ratelimit",
            token=await self.admin_token(),
        )

    async def stop(self) -> None:
        """SIGTERM, up to 10 s grace, then SIGKILL. Safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self._process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self._process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(self._process.wait(), timeout=10)
                except TimeoutError:
                    log.warning("Synapse ignored SIGTERM for 10 s, killing it")
                    with contextlib.suppress(ProcessLookupError):
                        self._process.kill()
                    await self._process.wait()
        finally:
            await self._session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
