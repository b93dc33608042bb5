"""Engine, units of work and migrations.

The bot migrates itself (`Database.upgrade()`, also behind ``redi-bot db upgrade``); no alembic.ini is
needed at runtime, the Alembic config is built in code.

Writing a new migration (developers)::

    cd storage
    REDI_DATABASE_URL=sqlite:///../data/dev.sqlite3 ../.venv/bin/alembic upgrade head
    REDI_DATABASE_URL=sqlite:///../data/dev.sqlite3 ../.venv/bin/alembic revision --autogenerate \\
        --rev-id 0002 -m "add meetings"

``storage/alembic.ini`` points Alembic at ``storage/migrations``; the URL comes from REDI_DATABASE_URL
(plain ``sqlite:///`` and ``postgresql://`` are fine). Read the generated file before committing it:
autogenerate misses renames and server defaults, and migrations must work on SQLite (batch mode is
rendered for you) and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from storage.analysis import Analyzer, default_analyzer
from storage.profiles import Caches
from storage.repositories import Repositories

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# What admins write -> the asyncio driver we ship.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgres+asyncpg": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

_SQLITE_PRAGMAS = (
    "busy_timeout=5000",  # first, so the others wait for a lock instead of failing
    "journal_mode=WAL",  # readers (backups, sqlite3 shell) never block the bot; persistent in the file
    "synchronous=NORMAL",  # safe with WAL, far fewer fsyncs
    "foreign_keys=ON",  # off by default in SQLite, per connection
    # Deleted rows are overwritten, not left in free pages: an erasure (DSGVO Art. 17) must erase. Some builds have
    # it on by default, others not.
    "secure_delete=ON",
)

READ_ONLY = "redi_read_only"  # execution option of `Database.reading()` connections

# Serializes concurrent `upgrade()` calls of several bot processes sharing one PostgreSQL database.
_MIGRATION_LOCK_ID = zlib.crc32(b"redi-bot alembic upgrade")


def normalize_url(url: str) -> str:
    """Map ``sqlite:///``, ``postgresql://`` and ``postgres://`` URLs (as admins write them) to the
    asyncio drivers we ship; anything else is a clear ValueError."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ValueError("not a database URL; expected sqlite:///path or postgresql://user@host/db") from None
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        # Only the scheme is echoed: the rest may hold a password.
        raise ValueError(
            f"unsupported database URL scheme {parsed.drivername!r}; "
            "expected sqlite:///path or postgresql://user@host/db"
        )
    parsed = parsed.set(drivername=driver)
    if driver == "postgresql+asyncpg" and "sslmode" in parsed.query and "ssl" not in parsed.query:
        # libpq spells it sslmode=require; asyncpg takes the same values as ssl=require.
        parsed = parsed.update_query_dict({"ssl": parsed.query["sslmode"]}).difference_update_query(["sslmode"])
    return parsed.render_as_string(hide_password=False)


def head_revision() -> str:
    """The newest migration shipped with this version of the bot."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def is_known_revision(revision: str) -> bool:
    """Whether this code has the migration `revision` (a database or backup at another one is from a newer bot)."""
    from alembic.script import ScriptDirectory

    return revision in {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def newest_shipped_revision() -> str:
    """The head revision, read from the migration files' names (`0015_calendar_feeds.py`) instead of Alembic's script
    directory: a start against a current database then needs no Alembic at all (importing it costs ~0.2 s). The
    revisions are numbered in order, and a test checks that this agrees with Alembic's head."""
    return max(path.name.partition("_")[0] for path in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def alembic_config() -> Config:
    """Alembic config without an ini file; env.py finds the connection in ``attributes``."""
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolation: a literal % in the path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


class Database:
    """One engine and session factory; nothing connects until first use."""

    def __init__(
        self, url: str, *, connect_args: Mapping[str, Any] | None = None, analyzer: Analyzer | None = None
    ) -> None:
        """`connect_args` go to the driver, e.g. asyncpg ``server_settings`` (the tests set search_path);
        `analyzer` is the text analysis of search indexes and queries (default: without extra words)."""
        self.analyzer = analyzer if analyzer is not None else default_analyzer()
        parsed = make_url(normalize_url(url))
        self.dialect: str = parsed.get_backend_name()
        # Safe to log; the engine keeps the real one.
        self.url: str = parsed.render_as_string(hide_password=True)
        self.engine: AsyncEngine = create_async_engine(
            parsed,
            connect_args=dict(connect_args or {}),
            # A long-running bot outlives PostgreSQL restarts; SQLite files cannot go stale like that.
            pool_pre_ping=self.dialect == "postgresql",
            # A failed statement's error (logged with its trace) must not carry what people wrote: no parameters.
            hide_parameters=True,
        )
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, parsed.database)
        # expire_on_commit=False: repositories return plain dataclasses, but nothing should reload anyway.
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Copies of rarely changing, versioned data (see storage.profiles.VOCABULARY_VERSION_KEY).
        self.caches = Caches()
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self.dialect == "sqlite" else None

    def __repr__(self) -> str:
        return f"Database({self.url!r})"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """One unit of work: commits when the block ends, rolls back if it raises."""
        if self._write_lock is None:
            async with self.sessions() as session, session.begin():
                yield Repositories.for_session(session, self.caches, self.analyzer)
            return
        # SQLite has one writer at a time. Queueing our own units of work here is fair and immediate;
        # letting them collide in BEGIN IMMEDIATE makes SQLite's busy handler sleep (up to 100 ms a
        # round), which a burst of 200 reminders turns into seconds of delay.
        async with self._write_lock, self.sessions() as session, session.begin():
            yield Repositories.for_session(session, self.caches, self.analyzer)

    async def upgrade(self, revision: str = "head") -> None:
        """Apply all migrations (``alembic upgrade head``) in one transaction; a no-op when up to date. Tests of a
        migration's data stop at an earlier `revision` first."""
        async with self.engine.connect() as connection:
            await connection.run_sync(self._upgrade, revision)

    async def current_revision(self) -> str | None:
        """The applied Alembic revision, None for a database never migrated."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_current_revision)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Repositories]:
        """A unit of work that only reads: on SQLite a deferred transaction, outside the queue of writers, so the
        health check, metrics and calendar feeds (requests from outside) never wait for or hold up a write. A write
        in it may fail with "database is locked": use `transaction()` for those."""
        async with self.engine.connect() as connection:
            connection = await connection.execution_options(**{READ_ONLY: True})
            session = AsyncSession(bind=connection, expire_on_commit=False)
            async with session, session.begin():
                yield Repositories.for_session(session, self.caches, self.analyzer)

    async def ping(self) -> None:
        """`SELECT 1`: raises if the database does not answer (the health check). A reading unit of work, so it
        never waits for SQLite's writer."""
        async with self.engine.connect() as connection:
            connection = await connection.execution_options(**{READ_ONLY: True})
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()

    def _upgrade(self, connection: Connection, revision: str) -> None:
        current = _current_revision(connection)
        connection.rollback()  # the look began a transaction; the migration begins its own (after the pragma)
        if revision == "head" and current == newest_shipped_revision():
            log.info("database %s is at revision %s", self.url, current)
            return
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        if self.dialect == "sqlite":
            # Batch migrations copy and drop tables; with foreign keys on, dropping a referenced table
            # would cascade or fail. The pragma is ignored inside a transaction, so set it before BEGIN.
            _sqlite_pragma(connection, "foreign_keys=OFF")
        try:
            with connection.begin():
                if self.dialect == "postgresql":
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
                _refuse_newer(connection)
                command.upgrade(config, revision)
                if self.dialect == "sqlite":
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            if self.dialect == "sqlite":
                _sqlite_pragma(connection, "foreign_keys=ON")
        log.info("database %s is at revision %s", self.url, _current_revision(connection))


class DatabaseNewerThanCode(RuntimeError):
    """The database was migrated by a newer redi-bot: this code cannot know its tables, so it must not touch them."""

    def __init__(self, revision: str, head: str) -> None:
        super().__init__(
            f"Die Datenbank hat den Stand {revision}, diese redi-bot-Version kennt nur bis {head}. Sie wurde von "
            "einer neueren Version migriert: installiere wieder die neuere Version (oder spiele eine Sicherung vom "
            f"Stand {head} zurück). Nichts wurde verändert. / The database is at revision {revision}, this "
            f"redi-bot knows revisions up to {head} only: run the newer version again, or restore a backup."
        )
        self.revision = revision
        self.head = head


def _refuse_newer(connection: Connection) -> None:
    """Alembic would fail with "Can't locate revision"; say what happened and what to do instead."""
    current = _current_revision(connection)
    if current is not None and not is_known_revision(current):
        raise DatabaseNewerThanCode(current, head_revision())


def _current_revision(connection: Connection) -> str | None:
    """What Alembic's MigrationContext says, read directly: its one-row table, if there is one."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    # Straight on the driver connection: going through SQLAlchemy would autobegin a transaction first.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _configure_sqlite(engine: AsyncEngine, database: str | None) -> None:
    in_memory = not database or database == ":memory:" or database.startswith("file:")
    directory = None if in_memory else Path(database or "").expanduser().absolute().parent

    @event.listens_for(engine.sync_engine, "do_connect")
    def check_directory(*_: Any) -> None:
        # SQLite's own message is "unable to open database file"; say what is actually wrong.
        if directory is not None and not directory.is_dir():
            raise FileNotFoundError(
                f"directory of the SQLite database does not exist: {directory} "
                "(create it, or point database_url elsewhere)"
            )

    @event.listens_for(engine.sync_engine, "connect")
    def set_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # The sqlite3 module would BEGIN only before DML (not before SELECT or DDL); we BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in _SQLITE_PRAGMAS:
                cursor.execute(f"PRAGMA {pragma}")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def begin_immediate(connection: Connection) -> None:
        # Take the write lock up front: a deferred transaction that reads and then writes fails with
        # SQLITE_BUSY (no waiting) if another connection wrote in between; IMMEDIATE just waits
        # busy_timeout. Units of work are short, so serializing them costs nothing here. Reading units of work
        # (`Database.reading`) begin deferred: with WAL a reader neither waits for nor blocks the writer.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def revisions_after(revision: str | None) -> list[str] | None:
    """The migrations this version applies to a database at `revision` (None: never migrated), oldest first; None if
    it does not know `revision` (a newer redi-bot migrated the database)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    if revision is not None and revision not in {s.revision for s in script.walk_revisions()}:
        return None
    return [s.revision for s in script.iterate_revisions("head", revision or "base")][::-1]
