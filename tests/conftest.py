"""Shared fixtures: the throwaway homeserver (tests/fixtures_matrix.py) and a running bot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.clock import Clock
from bot.config import load_config
from bot.dev.homeserver import Homeserver, RegisteredUser

pytest_plugins = ["tests.fixtures_matrix", "tests.fixtures_db"]

BOT_CONFIG = """\
[matrix]
homeserver = "{homeserver}"
user_id = "{user_id}"
password = "{password}"

[bot]
data_dir = "{data_dir}"
max_command_age_seconds = {max_age}
{database}

[invites]
allowed_servers = {servers}
allowed_users = {users}
"""


def bot_config(
    *,
    homeserver: str,
    user_id: str,
    password: str,
    data_dir: Path,
    max_age: int = 900,
    servers: tuple[str, ...] = ("localhost",),
    users: tuple[str, ...] = (),
    database_url: str | None = None,
) -> str:
    """The bot's config file for a test homeserver (SQLite in `data_dir` unless a database URL is given)."""
    return BOT_CONFIG.format(
        homeserver=homeserver,
        user_id=user_id,
        password=password,
        data_dir=data_dir,
        max_age=max_age,
        servers=_toml_list(servers),
        users=_toml_list(users),
        database=f'database_url = "{database_url}"' if database_url else "",
    )


@dataclass
class RunningBot:
    """A bot process-in-a-task against the test homeserver; restartable with the same data."""

    account: RegisteredUser
    config_path: Path
    clock: Clock | None = None
    app: App | None = None
    task: asyncio.Task[None] | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def start(self) -> None:
        self.stop_event = asyncio.Event()
        self.app = build_app(load_config(self.config_path, env={}), self.clock)
        self.task = asyncio.create_task(self.app.serve(self.stop_event))
        ready = asyncio.create_task(self.app.transport.wait_ready())
        done, _ = await asyncio.wait({ready, self.task}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            ready.cancel()
            self.task.result()  # raises the bot's start-up error
        if ready not in done:
            raise TimeoutError("the bot did not finish its first sync within 60 s")

    async def stop(self) -> None:
        if self.task is None:
            return
        self.stop_event.set()
        await self.task
        self.task = None


StartBot = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def start_bot(
    homeserver: Homeserver, register_user: Callable[..., Awaitable[RegisteredUser]], tmp_path: Path
) -> AsyncIterator[StartBot]:
    """`await start_bot()` registers a fresh bot account and runs the bot until the test ends."""
    bots: list[RunningBot] = []

    async def start(
        *,
        max_age: int = 900,
        servers: tuple[str, ...] = ("localhost",),
        users: tuple[str, ...] = (),
        clock: Clock | None = None,
        extra: str = "",
        database_url: str | None = None,
    ) -> RunningBot:
        account = await register_user("bot")
        config_path = tmp_path / f"{account.localpart}.toml"
        config_path.write_text(
            bot_config(
                homeserver=homeserver.base_url,
                user_id=account.user_id,
                password=account.password,
                data_dir=tmp_path / f"{account.localpart}-data",
                max_age=max_age,
                servers=servers,
                users=users,
                database_url=database_url,
            )
            + extra,
            encoding="utf-8",
        )
        bot = RunningBot(account=account, config_path=config_path, clock=clock)
        bots.append(bot)
        await bot.start()
        return bot

    yield start
    for bot in bots:
        with contextlib.suppress(Exception):
            await bot.stop()


def _toml_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"
