"""Upgrading keeps the data: a database is filled at every migration step with a row in every table that exists at
that step, then upgraded to the newest revision; every row is still there with what was written (both backends).

Rows are generated from the schema as it is at each step (reflected, not from today's models), so a new table or
column is covered without touching this test. Only changes that a migration makes on purpose are allowed below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, Table, inspect, select, types
from sqlalchemy.engine import Connection

from storage import Database
from storage.db import alembic_config

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
# Values that check constraints require; everything else is generated from the column's type.
CHOSEN: dict[tuple[str, str], Any] = {
    ("reminder_ledger", "status"): "sent",
    ("topic_activity", "source"): "decision",
    ("substitution_requests", "state"): "done",
    ("substitution_requests", "needed"): 1,
    ("substitution_offers", "state"): "accepted",
    ("decisions", "status"): "active",
    ("decisions", "context_state"): "kept",
    ("minutes_items", "kind"): "action",
    ("outbox", "user_id"): None,  # a message for a room, not a direct message: exactly one of the two is set
}
# Columns a migration changes on purpose (table, column), with the migration that does it.
CHANGED_ON_PURPOSE = {
    ("profiles", "allow_mentions"),  # 0011: pings became opt-in, every profile starts with "no"
}
SKIPPED_PREFIXES = ("alembic_version", "sqlite_", "decision_fts")  # bookkeeping and FTS shadow tables


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def _value(table: str, column: Any, serial: int) -> Any:
    name, kind = column["name"], column["type"]
    if (table, name) in CHOSEN:
        return CHOSEN[(table, name)]
    if isinstance(kind, types.Boolean):
        return True
    if isinstance(kind, types.Integer):
        return serial
    if isinstance(kind, types.DateTime):
        return NOW
    if isinstance(kind, types.Date):
        return NOW.date()
    if isinstance(kind, types.Float | types.Numeric):
        return 1.5
    if isinstance(kind, types.JSON):
        return {"step": serial}
    if isinstance(kind, types.LargeBinary):
        return b"\x00\x01"
    length = getattr(kind, "length", None) or 64
    return f"{table[:4]}-{name[:8]}-{serial}"[:length]


def _fill(connection: Connection, written: dict[str, dict[str, Any]], serial: int) -> None:
    """One row in every table that has none from us yet, parents before children (foreign keys point at rows
    written before)."""
    metadata = MetaData()
    metadata.reflect(connection)
    for table in metadata.sorted_tables:
        if table.name.startswith(SKIPPED_PREFIXES) or table.name in written:
            continue
        columns = inspect(connection).get_columns(table.name)
        references = {
            local: (fk["referred_table"], remote)
            for fk in inspect(connection).get_foreign_keys(table.name)
            for local, remote in zip(fk["constrained_columns"], fk["referred_columns"], strict=True)
        }
        row: dict[str, Any] = {}
        for column in columns:
            name = column["name"]
            if name in references:
                parent, key = references[name]
                # A reference to its own table (a decision superseded by another) stays empty: no row yet.
                row[name] = written[parent][key] if parent in written else None
            elif column.get("computed") is None:
                row[name] = _value(table.name, column, serial)
        connection.execute(Table(table.name, MetaData(), autoload_with=connection).insert().values(row))
        written[table.name] = row


async def test_every_row_survives_the_upgrade_from_the_first_migration(fresh_db: Database) -> None:
    written: dict[str, dict[str, Any]] = {}
    for serial, revision in enumerate(_revisions(), start=1):
        await fresh_db.upgrade(revision)
        async with fresh_db.engine.begin() as connection:
            await connection.run_sync(_fill, written, serial)
    assert len(written) >= 20, sorted(written)  # every table of today's schema got a row on the way

    def check(connection: Connection) -> list[str]:
        lost = []
        for name, row in written.items():
            table = Table(name, MetaData(), autoload_with=connection)
            key = [table.c[column.name] == row[column.name] for column in table.primary_key.columns]
            stored = connection.execute(select(table).where(*key)).mappings().all()
            assert len(stored) == 1, f"{name}: the row written at its step is gone"
            for column, value in row.items():
                got = stored[0][column]
                if isinstance(value, datetime) and isinstance(got, datetime):
                    got = got.replace(tzinfo=UTC) if got.tzinfo is None else got
                if got != value and (name, column) not in CHANGED_ON_PURPOSE:
                    lost.append(f"{name}.{column}: wrote {value!r}, now {got!r}")
        return lost

    async with fresh_db.engine.connect() as connection:
        assert await connection.run_sync(check) == []
