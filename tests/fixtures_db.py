"""Database fixtures: `db` is a migrated database on SQLite, and on PostgreSQL too when
REDI_TEST_DATABASE_URL is set (each test in a schema of its own, dropped afterwards)."""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from storage import Database, normalize_url

PG_URL = os.environ.get("REDI_TEST_DATABASE_URL")
SCHEMA_PREFIX = "redi_test_"
STALE_AFTER_S = 3600


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="set REDI_TEST_DATABASE_URL to run on PostgreSQL"),
    ),
]


# --- fixtures -----------------------------------------------------------------------------------------


@asynccontextmanager
async def _admin() -> AsyncIterator[AsyncConnection]:
    assert PG_URL
    engine = create_async_engine(normalize_url(PG_URL), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


_swept = False


async def _sweep_stale_schemas() -> None:
    global _swept
    if _swept:
        return
    _swept = True
    async with _admin() as admin:
        result = await admin.exec_driver_sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'redi\\_test\\_%'")
        names = result.scalars().all()
        for name in names:
            match = re.fullmatch(rf"{SCHEMA_PREFIX}(\d+)_[0-9a-f]+", name)
            if match and time.time() - int(match.group(1)) > STALE_AFTER_S:
                await admin.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@asynccontextmanager
async def _pg_database() -> AsyncIterator[Database]:
    await _sweep_stale_schemas()
    schema = f"{SCHEMA_PREFIX}{int(time.time())}_{secrets.token_hex(6)}"
    async with _admin() as admin:
        await admin.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    assert PG_URL
    database = Database(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        yield database
    finally:
        await database.dispose()
        async with _admin() as admin:
            await admin.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@asynccontextmanager
async def pg_database_url() -> AsyncIterator[str]:
    """A PostgreSQL database of its own (for a bot that runs with its own engine and config), dropped afterwards."""
    assert PG_URL
    name = f"redi_e2e_{int(time.time())}_{secrets.token_hex(4)}"
    async with _admin() as admin:
        await admin.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        async with _admin() as admin:
            await admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """The bot's `database_url`: None for its default SQLite file, a database of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield None
    else:
        async with pg_database_url() as url:
            yield url


@pytest.fixture(params=BACKENDS)
async def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty, never migrated database."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'redi-bot.sqlite3'}")
        yield database
        await database.dispose()
    else:
        async with _pg_database() as database:
            yield database


@pytest.fixture
async def db(fresh_db: Database) -> Database:
    await fresh_db.upgrade()
    return fresh_db
