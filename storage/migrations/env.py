"""Alembic environment, from the async template, adapted for connection sharing.

`storage.db.Database.upgrade()` passes its own connection (already inside a transaction) in
``config.attributes["connection"]``; the ``alembic`` command line for developers has none, so this file
connects with the URL from REDI_DATABASE_URL (see storage/alembic.ini).
"""

from __future__ import annotations

import asyncio
import os
import warnings
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection, make_url

from storage.db import Database, normalize_url
from storage.models import Base, UTCDateTime, schema_filters

config = context.config
target_metadata = Base.metadata

# Only the command line configures logging; the bot's CLI owns it otherwise.
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


# SQLite cannot reflect expression indexes; the one we have (GIN, PostgreSQL only) is compared on PostgreSQL.
warnings.filterwarnings("ignore", message="autogenerate skipping metadata-specified expression-based index")


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    # Migrations are frozen history and must not import application types that may change later;
    # UTCDateTime is plain DateTime(timezone=True) in the schema.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _options(dialect: str) -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        # Always, not only on SQLite: the same scripts run on both backends, and batch operations are
        # plain ALTERs on PostgreSQL.
        "render_as_batch": True,
        "render_item": render_item,
        # What exists on one backend only (SQLite's FTS5 tables, PostgreSQL's GIN index) is not compared.
        **schema_filters(dialect),
    }


def _url() -> str:
    url = os.environ.get("REDI_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set REDI_DATABASE_URL, e.g. REDI_DATABASE_URL=sqlite:///../data/dev.sqlite3")
    return normalize_url(url)


def run_migrations_offline() -> None:
    """``alembic upgrade head --sql``: print the SQL instead of running it."""
    url = _url()
    options = _options(make_url(url).get_backend_name())
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **options)
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, **_options(connection.dialect.name))
    # A no-op when the caller already began a transaction (Database.upgrade does).
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    # Database sets the same SQLite pragmas and BEGIN IMMEDIATE as the bot.
    database = Database(_url())
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await database.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
