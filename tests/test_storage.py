"""Storage contract: one suite, run on SQLite always and on PostgreSQL when REDI_TEST_DATABASE_URL is set
(fixtures in tests/fixtures_db.py).

PostgreSQL isolation: every test gets its own schema (``redi_test_<epoch>_<random>``) and the engine's
``search_path`` points only there, so Alembic, the tables and ``alembic_version`` all live in it. The
schema is dropped after the test; schemas left behind by a crashed run are swept at the start of the
next one once they are an hour old (never younger ones, which may belong to a concurrent run).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage import Database, LedgerEntry, LedgerStatus, UserSettingsRecord, normalize_url, txn_id_for
from storage.db import head_revision, newest_shipped_revision
from storage.models import Base, UTCDateTime, schema_filters
from storage.repositories import LedgerKey

TABLES = {"user_settings", "sync_state", "reminder_ledger", "alembic_version"}
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OCCURRENCE = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
KEY = ("meeting", 7, OCCURRENCE, 900)


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'redi-bot.sqlite3'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def _run(db: Database, fn: Callable[[Connection], Any]) -> Any:
    async with db.engine.connect() as connection:
        return await connection.run_sync(fn)


# --- migrations ---------------------------------------------------------------------------------------


async def test_upgrade_creates_tables_and_is_idempotent(fresh_db: Database) -> None:
    assert await fresh_db.current_revision() is None
    assert not TABLES & set(await _run(fresh_db, lambda c: inspect(c).get_table_names()))

    await fresh_db.upgrade()
    assert await fresh_db.current_revision() == head_revision()
    assert set(await _run(fresh_db, lambda c: inspect(c).get_table_names())) >= TABLES

    async with fresh_db.transaction() as repos:
        await repos.sync.set("matrix.next_batch", "s1")
    await fresh_db.upgrade()  # a no-op: same revision, data untouched
    assert await fresh_db.current_revision() == head_revision()
    async with fresh_db.transaction() as repos:
        assert await repos.sync.get("matrix.next_batch") == "s1"


# SQLite cannot reflect expression indexes; the one we have (GIN, PostgreSQL only) is compared on PostgreSQL.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
async def test_migrations_match_models(db: Database) -> None:
    def diff(connection: Connection) -> list[Any]:
        # The same filters as env.py: FTS5 tables (SQLite) and the GIN index (PostgreSQL) exist on one side only.
        context = MigrationContext.configure(connection, opts=schema_filters(connection.dialect.name))
        return list(compare_metadata(context, Base.metadata))

    assert await _run(db, diff) == []


async def test_sqlite_runs_in_wal_mode_with_pragmas(sqlite_db: Database, tmp_path: Path) -> None:
    def pragmas(connection: Connection) -> dict[str, Any]:
        names = ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        return {n: connection.exec_driver_sql(f"PRAGMA {n}").scalar() for n in names}

    assert await _run(sqlite_db, pragmas) == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "synchronous": 1,  # 1 = NORMAL
    }
    # WAL is a property of the file, so other tools (sqlite3 CLI, backups) see it too.
    with sqlite3.connect(tmp_path / "redi-bot.sqlite3") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_missing_sqlite_directory_is_a_clear_error(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'nope' / 'bot.sqlite3'}")
    try:
        with pytest.raises(FileNotFoundError, match="directory of the SQLite database does not exist"):
            await database.upgrade()
    finally:
        await database.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/bot.sqlite3", "sqlite+aiosqlite:///data/bot.sqlite3"),
        ("sqlite:////abs/bot.sqlite3", "sqlite+aiosqlite:////abs/bot.sqlite3"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://bot:s3cr%40t@db:5432/redi", "postgresql+asyncpg://bot:s3cr%40t@db:5432/redi"),
        ("postgres://bot@db/redi", "postgresql+asyncpg://bot@db/redi"),
        ("postgresql+asyncpg://bot@db/redi", "postgresql+asyncpg://bot@db/redi"),
        ("postgresql://bot@db/redi?sslmode=require", "postgresql+asyncpg://bot@db/redi?ssl=require"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_normalize_url_rejects_other_drivers_without_echoing_secrets() -> None:
    with pytest.raises(ValueError, match="unsupported database URL scheme 'mysql'") as info:
        normalize_url("mysql://bot:hunter2@db/redi")
    assert "hunter2" not in str(info.value)
    with pytest.raises(ValueError, match="not a database URL"):
        normalize_url("redi-bot.sqlite3")


def test_database_hides_the_password_and_knows_its_dialect() -> None:
    database = Database("postgresql://bot:hunter2@db/redi")  # nothing connects yet
    assert database.dialect == "postgresql"
    assert "hunter2" not in database.url and "hunter2" not in repr(database)
    assert Database("sqlite:///x.db").dialect == "sqlite"


# --- settings and state -------------------------------------------------------------------------------


async def test_user_settings_upsert_round_trip(db: Database) -> None:
    async with db.transaction() as repos:
        assert await repos.users.get("@anna:koeln.de") is None
        assert await repos.users.set_language("@anna:koeln.de", "de") == UserSettingsRecord(
            "@anna:koeln.de", "de", None
        )
    async with db.transaction() as repos:
        # Setting one column keeps the other.
        assert await repos.users.set_timezone("@anna:koeln.de", "Europe/Berlin") == UserSettingsRecord(
            "@anna:koeln.de", "de", "Europe/Berlin"
        )
        await repos.users.set_language("@anna:koeln.de", "en")
    async with db.transaction() as repos:
        assert await repos.users.get("@anna:koeln.de") == UserSettingsRecord("@anna:koeln.de", "en", "Europe/Berlin")
        assert await repos.users.get("@ben:bonn.de") is None
        await repos.users.set_language("@anna:koeln.de", None)  # back to the configured default
    async with db.transaction() as repos:
        assert await repos.users.get("@anna:koeln.de") == UserSettingsRecord("@anna:koeln.de", None, "Europe/Berlin")
        with pytest.raises(ValueError, match="language"):
            await repos.users.set_language("@anna:koeln.de", "x" * 9)


async def test_sync_token_round_trip(db: Database) -> None:
    async with db.transaction() as repos:
        assert await repos.sync.get("matrix.next_batch") is None
        await repos.sync.set("matrix.next_batch", "s72594_4483_1934")
    async with db.transaction() as repos:
        assert await repos.sync.get("matrix.next_batch") == "s72594_4483_1934"
        await repos.sync.set("matrix.next_batch", "s72595_4484_1934")
    async with db.transaction() as repos:
        assert await repos.sync.get("matrix.next_batch") == "s72595_4484_1934"


async def test_transaction_rolls_back_on_exception(db: Database) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.transaction() as repos:
            await repos.users.set_language("@anna:koeln.de", "de")
            await repos.sync.set("matrix.next_batch", "s1")
            assert await repos.ledger.claim(*KEY, now=NOW) is not None
            raise Boom
    async with db.transaction() as repos:
        assert await repos.users.get("@anna:koeln.de") is None
        assert await repos.sync.get("matrix.next_batch") is None
        assert await repos.ledger.get(*KEY) is None
        assert await repos.ledger.pending() == []


# --- reminder ledger ----------------------------------------------------------------------------------


async def _claim(db: Database, *, now: datetime = NOW, late: bool = False) -> LedgerEntry | None:
    async with db.transaction() as repos:
        return await repos.ledger.claim(*KEY, now=now, late=late)


async def test_claim_twice_returns_the_same_claimed_row(db: Database) -> None:
    first = await _claim(db, late=True)
    assert first is not None
    assert (first.kind, first.ref_id, first.occurrence, first.offset_seconds) == KEY
    assert first.status is LedgerStatus.CLAIMED and first.late
    assert first.claimed_at == NOW and first.sent_at is None and first.event_id is None
    assert first.txn_id == txn_id_for(*KEY)

    # As after a crash between send and mark_sent: the retry must reuse the txn_id.
    again = await _claim(db, now=NOW + timedelta(minutes=5))
    assert again == first
    async with db.transaction() as repos:
        assert await repos.ledger.pending() == [first]
        assert await repos.ledger.pending("birthday") == []


async def test_batch_claim_keeps_an_earlier_claims_batch_and_skips_sent_rows(db: Database) -> None:
    keys = [LedgerKey("meeting", n, NOW + timedelta(hours=1), 900) for n in (1, 2, 3)]
    async with db.transaction() as repos:
        first = await repos.ledger.claim_batch(keys[:2], now=NOW, late=[False, True], batch_txn_ids=["b-1", "b-1"])
    assert [e.send_txn_id if e else None for e in first] == ["b-1", "b-1"]
    assert [e.late if e else None for e in first] == [False, True]
    assert first[0] is not None
    async with db.transaction() as repos:
        await repos.ledger.mark_batch_sent([first[0].id], event_id="$a", now=NOW)
        # A retry with a third member: the sent row is skipped, the claimed one keeps its batch id.
        again = await repos.ledger.claim_batch(keys, now=NOW, late=[False] * 3, batch_txn_ids=["b-2"] * 3)
    assert again[0] is None
    assert (
        again[1] is not None
        and again[1].send_txn_id == "b-1"
        and again[1].txn_id == txn_id_for("meeting", 2, NOW + timedelta(hours=1), 900)
    )
    assert again[2] is not None and again[2].send_txn_id == "b-2"


async def test_after_mark_sent_nothing_is_claimable(db: Database) -> None:
    entry = await _claim(db)
    assert entry is not None
    async with db.transaction() as repos:
        await repos.ledger.mark_sent(entry.id, event_id="$abc:koeln.de", now=NOW + timedelta(seconds=1))
    assert await _claim(db) is None
    async with db.transaction() as repos:
        sent = await repos.ledger.get(*KEY)
        assert await repos.ledger.pending() == []
        with pytest.raises(LookupError):
            await repos.ledger.mark_sent(entry.id + 1000, event_id="$x", now=NOW)
        # Already sent is never "missed" later.
        assert await repos.ledger.record_missed(*KEY, now=NOW, note="down") is None
    assert sent is not None
    assert sent.status is LedgerStatus.SENT and sent.event_id == "$abc:koeln.de"
    assert sent.sent_at == NOW + timedelta(seconds=1) and sent.txn_id == entry.txn_id


async def test_missed_rows_are_not_claimable(db: Database) -> None:
    async with db.transaction() as repos:
        missed = await repos.ledger.record_missed(*KEY, now=NOW, note="bot was down")
    assert missed is not None
    assert missed.status is LedgerStatus.MISSED and missed.note == "bot was down" and missed.sent_at is None
    assert await _claim(db) is None
    async with db.transaction() as repos:
        assert await repos.ledger.record_missed(*KEY, now=NOW, note="again") is None
        assert await repos.ledger.pending() == []
        assert await repos.ledger.get(*KEY) == missed


async def test_stale_claim_can_be_recorded_missed(db: Database) -> None:
    claimed = await _claim(db)
    assert claimed is not None
    async with db.transaction() as repos:
        missed = await repos.ledger.record_missed(*KEY, now=NOW + timedelta(hours=5), note="past grace")
    assert missed is not None and missed.id == claimed.id and missed.status is LedgerStatus.MISSED
    assert missed.note is not None and missed.note.startswith("past grace; claimed at")
    assert await _claim(db) is None


async def test_concurrent_claims_never_produce_two_rows_or_two_winners(db: Database) -> None:
    entries = await asyncio.gather(*(_claim(db) for _ in range(5)))
    assert all(e is not None for e in entries)
    assert len({(e.id, e.txn_id) for e in entries if e is not None}) == 1
    async with db.transaction() as repos:
        assert len(await repos.ledger.pending()) == 1


@pytest.mark.parametrize("first_commits", [True, False])
async def test_claim_waits_for_a_concurrent_uncommitted_claim(db: Database, first_commits: bool) -> None:
    """A second claim overlapping an open first one blocks, then sees its outcome."""

    class Abort(Exception):
        pass

    first: LedgerEntry | None = None
    second: asyncio.Task[LedgerEntry | None] | None = None
    try:
        async with db.transaction() as repos:
            first = await repos.ledger.claim(*KEY, now=NOW)
            assert first is not None
            second = asyncio.create_task(_claim(db))
            await asyncio.sleep(0.2)
            # PostgreSQL: waits on the uncommitted row; SQLite: waits for the write lock (BEGIN IMMEDIATE).
            assert not second.done()
            if not first_commits:
                raise Abort
    except Abort:
        pass
    assert first is not None and second is not None
    winner = await second
    assert winner is not None and winner.txn_id == first.txn_id
    if first_commits:
        assert winner == first
    async with db.transaction() as repos:
        assert await repos.ledger.pending() == [winner]


async def test_naive_datetimes_are_rejected(db: Database) -> None:
    naive = datetime(2026, 12, 1, 13, 0)
    async with db.transaction() as repos:
        with pytest.raises(ValueError, match="occurrence must be timezone-aware"):
            await repos.ledger.claim("meeting", 7, naive, 900, now=NOW)
        with pytest.raises(ValueError, match="now must be timezone-aware"):
            await repos.ledger.claim(*KEY, now=naive)
        with pytest.raises(ValueError, match="timezone-aware"):
            await repos.ledger.record_missed("meeting", 7, naive, 900, now=NOW, note=None)
        assert await repos.ledger.pending() == []
    with pytest.raises(ValueError, match="timezone-aware"):
        txn_id_for("meeting", 7, naive, 900)
    # The column type itself refuses too, for code that bypasses the repositories.
    with pytest.raises(ValueError, match="timezone-aware"):
        UTCDateTime().process_bind_param(naive, db.engine.dialect)


async def test_aware_non_utc_datetime_is_the_same_instant_in_utc(db: Database) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # The morning clocks go forward: 03:30 CEST is 01:30 UTC.
    local = datetime(2026, 3, 29, 3, 30, tzinfo=berlin)
    utc = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert local == utc
    async with db.transaction() as repos:
        entry = await repos.ledger.claim("meeting", 3, local, 0, now=datetime(2026, 3, 29, 3, 0, tzinfo=berlin))
    assert entry is not None
    async with db.transaction() as repos:
        stored = await repos.ledger.get("meeting", 3, utc, 0)
        assert await repos.ledger.get("meeting", 3, local, 0) == stored
    assert stored is not None and stored.id == entry.id
    assert stored.occurrence == utc and stored.occurrence.utcoffset() == timedelta(0)
    assert stored.claimed_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC) and stored.claimed_at.tzinfo is UTC
    assert stored.txn_id == txn_id_for("meeting", 3, utc, 0)


def test_txn_id_is_deterministic_and_distinct_per_key() -> None:
    txn = txn_id_for(*KEY)
    assert txn == txn_id_for(*KEY)
    assert re.fullmatch(r"redi-[0-9a-f]{40}", txn) and len(txn) <= 64
    others = {
        txn_id_for("meeting", 8, OCCURRENCE, 900),
        txn_id_for("meeting", 7, OCCURRENCE + timedelta(weeks=1), 900),
        txn_id_for("meeting", 7, OCCURRENCE, 86400),
        txn_id_for("decision", 7, OCCURRENCE, 900),
    }
    assert txn not in others and len(others) == 4


async def test_search_tally_is_written_in_batches_and_adds_up(db: Database) -> None:
    from datetime import date

    from storage.profiles import SearchTally

    tally = SearchTally()
    day = date(2026, 11, 21)
    for label in ("XRechnung", "xrechnung", "XRechnung"):
        tally.add("xrechnung", label, day=day)
    tally.add("eakte", "eAkte", day=day)
    async with db.transaction() as repos:
        assert await tally.flush(repos.search_stats) == 2
        assert await tally.flush(repos.search_stats) == 0, "what was written is not written again"
    tally.add("eakte", "E-Akte", day=day + timedelta(days=1))
    async with db.transaction() as repos:
        await tally.flush(repos.search_stats)
        top = await repos.search_stats.top(since=day, until=day + timedelta(days=2))
        older = await repos.search_stats.top(since=day + timedelta(days=1), until=day + timedelta(days=2))
    assert top[0] == ("XRechnung", 3)
    assert top[1][1] == 2, "the same topic on two days adds up"
    assert older == [("E-Akte", 1)]


async def test_handled_commands_are_recorded_once_and_pruned(db: Database) -> None:
    async with db.transaction() as repos:
        assert await repos.ledger.record_command("$cmd1", "!r:x", now=NOW)
        assert not await repos.ledger.record_command("$cmd1", "!r:x", now=NOW + timedelta(seconds=5))
        assert await repos.ledger.record_command("$cmd2", "!r:x", now=NOW + timedelta(hours=1))
    async with db.transaction() as repos:
        assert await repos.ledger.prune_commands(before=NOW + timedelta(minutes=30)) == 1
        assert await repos.ledger.record_command("$cmd1", "!r:x", now=NOW + timedelta(hours=2)), "forgotten when old"
        assert not await repos.ledger.record_command("$cmd2", "!r:x", now=NOW + timedelta(hours=2))


def test_the_head_read_from_file_names_is_alembics_head() -> None:
    """A start against a current database skips Alembic (storage.db.newest_shipped_revision): only right while the
    migration files are numbered in order."""
    assert newest_shipped_revision() == head_revision()


async def test_reading_neither_waits_for_nor_blocks_a_writer_on_sqlite(tmp_path: Path) -> None:
    """The health check, metrics and calendar feeds read through `Database.reading()`: while another connection
    holds SQLite's write lock (the daily purge, a long import), they still answer at once."""
    import asyncio
    import sqlite3

    path = tmp_path / "bot.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO sync_state (key, value) VALUES ('busy', '1')")
        await asyncio.wait_for(db.ping(), 2)
        async with asyncio.timeout(2), db.reading() as repos:
            assert await repos.sync.get("busy") is None, "the writer's uncommitted row is not seen"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        await db.dispose()
