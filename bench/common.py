"""Shared by the benchmark scripts (run as `python bench/<name>.py`, so this imports as `common`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sys
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the benchmarks import the project's packages from the checkout

# PostgreSQL for the in-process benchmarks (search, decisions): the test suite's database when REDI_TEST_DATABASE_URL
# names one, else the local default. Each run works in a schema of its own and drops it.
PG_URL = os.environ.get("REDI_TEST_DATABASE_URL") or "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

# A bot config for a throwaway homeserver: fill in url, user_id, password, data.
BOT_CONFIG = """\
[matrix]
homeserver = "{url}"
user_id = "{user_id}"
password = "{password}"
[bot]
data_dir = "{data}"
[invites]
allowed_servers = ["localhost"]
"""


@contextlib.asynccontextmanager
async def pg_schema(url: str) -> AsyncIterator[dict[str, Any] | None]:
    """A throwaway schema in the PostgreSQL database at `url`, dropped afterwards: yields the `connect_args` that make
    a `Database` use it, or None (with a note) when PostgreSQL cannot be reached here."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from storage import normalize_url

    schema = f"redi_bench_{secrets.token_hex(6)}"
    admin = create_async_engine(normalize_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        try:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        except Exception as error:  # whatever keeps us from connecting: no PostgreSQL here
            print(f"postgresql skipped: {type(error).__name__}: {error}")
            yield None
            return
        try:
            yield {"server_settings": {"search_path": schema}}
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.dispose()


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile; enough for the few hundred samples a benchmark takes."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


async def start_bot(config: Path, log: IO[Any]) -> asyncio.subprocess.Process:
    """`redi-bot run` as its own process, as in production, logging into `log`."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "-c", str(config), stdout=log, stderr=log, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


async def shut_down(clients: Iterable[Any], bot: asyncio.subprocess.Process | None, homeserver: Any) -> None:
    """Close the clients, stop the bot process and the homeserver."""
    for client in clients:
        await client.close()
    if bot is not None and bot.returncode is None:
        bot.terminate()
        await bot.wait()
    await homeserver.stop()


def bot_config(url: str, user_id: str, password: str, data: Path, **bot_settings: str | int) -> str:
    """BOT_CONFIG with more keys in its [bot] table (e.g. database_url, reminder_grace_seconds)."""
    # json.dumps writes a valid TOML basic string for paths and URLs.
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in bot_settings.items())
    text = BOT_CONFIG.format(url=url, user_id=user_id, password=password, data=data)
    return text.replace("[bot]\n", "[bot]\n" + extra, 1)
