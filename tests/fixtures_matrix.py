"""Pytest plugin: one throwaway Synapse per test run and fresh Matrix users per test.

Loaded through ``pytest_plugins = ["tests.fixtures_matrix"]`` in ``tests/conftest.py``. Nothing here is
skipped: if Synapse cannot start, every test that needs it errors with Synapse's log tail.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import pytest
import pytest_asyncio

from bot.dev.client import DevClient
from bot.dev.homeserver import Homeserver, RegisteredUser

# Unique per run; the uuid-ish suffix keeps names unique even if a homeserver directory were reused.
_counter = itertools.count(1)


class MakeUser(Protocol):
    async def __call__(self, name: str = "user", *, displayname: str | None = None) -> DevClient: ...


class RegisterUser(Protocol):
    async def __call__(
        self, name: str = "user", *, admin: bool = False, displayname: str | None = None
    ) -> RegisteredUser: ...


def unique_localpart(name: str) -> str:
    """``anna`` -> ``anna-7-3f9c``: readable in logs, never clashing between tests."""
    base = re.sub(r"[^a-z0-9._=-]", "-", name.lower()) or "user"
    return f"{base}-{next(_counter)}-{secrets.token_hex(2)}"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def homeserver(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Homeserver]:
    server = await Homeserver.start(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def register_user(homeserver: Homeserver) -> RegisterUser:
    """``await register_user("bot")``: a fresh account that is not logged in (e.g. for the bot under test)."""

    async def register(name: str = "user", *, admin: bool = False, displayname: str | None = None) -> RegisteredUser:
        return await homeserver.register(
            unique_localpart(name), secrets.token_urlsafe(12), admin=admin, displayname=displayname
        )

    return register


@pytest_asyncio.fixture(loop_scope="session")
async def make_user(homeserver: Homeserver, register_user: RegisterUser, tmp_path: Path) -> AsyncIterator[MakeUser]:
    """``await make_user("anna")``: a fresh account logged in as a syncing DevClient, closed at teardown."""
    async with contextlib.AsyncExitStack() as clients:  # closes every client even if one close fails

        async def make(name: str = "user", *, displayname: str | None = None) -> DevClient:
            account = await register_user(name, displayname=displayname)
            client = await DevClient.login(
                homeserver.base_url,
                account.user_id,
                account.password,
                tmp_path / "devclients" / account.localpart,
            )
            clients.push_async_callback(client.close)
            return client

        yield make
