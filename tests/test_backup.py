"""Backup and restore as an admin uses them (`redi-bot backup|restore`), without a homeserver: a copy taken while the
bot writes is whole, a restore puts back database, keys and token with their modes, and every refusal says why and
changes nothing (bot running, data there without --force, damaged or foreign or newer backup, pg_dump missing)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import __version__
from bot.backup import BackupError, BotRunning, RunLock, check_backup, restore, take_backup
from bot.cli import main
from bot.config import Config, load_config
from storage import Database, DatabaseNewerThanCode
from storage.db import head_revision
from tests.fixtures_db import PG_URL, pg_database_url

NOW = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
TOKEN = "syt_geheim_0123456789"


def write_config(tmp_path: Path, *, database_url: str | None = None, user_id: str = "@bot:localhost") -> Path:
    path = tmp_path / "config.toml"
    database = f'database_url = "{database_url}"\n' if database_url else ""
    path.write_text(
        f'[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "{user_id}"\n[bot]\ndata_dir = "data"\n{database}',
        encoding="utf-8",
    )
    return path


def config_at(tmp_path: Path, **settings: str) -> Config:
    return load_config(write_config(tmp_path, **settings), env={})


def fake_device(config: Config) -> None:
    """What `redi-bot login` and a first sync leave in data_dir: credentials.json and nio's store (SQLite)."""
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(config.data_dir / "credentials.json", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"homeserver": "h", "user_id": config.matrix.user_id, "device_id": "DEV", "access_token": TOKEN}, out)
    (config.data_dir / "crypto").mkdir(mode=0o700, exist_ok=True)
    with sqlite3.connect(config.data_dir / "crypto" / "@bot:localhost_DEV.db") as store:
        store.execute("CREATE TABLE accounts (account TEXT)")
        store.execute("INSERT INTO accounts VALUES ('olm-account')")
    store.close()


async def add_meetings(db: Database, titles: list[str]) -> None:
    for title in titles:
        async with db.transaction() as repos:
            await repos.meetings.add(
                room_id="!raum:localhost",
                title=title,
                start=NOW + timedelta(days=30),
                timezone="Europe/Berlin",
                rrule=None,
                duration_minutes=None,
                offsets=[60],
                created_by="@anna:localhost",
                now=NOW,
            )


async def meeting_titles(db: Database) -> list[str]:
    async with db.transaction() as repos:
        return [m.title for m in await repos.meetings.in_room("!raum:localhost")]


@pytest.fixture
async def bot_data(tmp_path: Path) -> AsyncIterator[Config]:
    """A bot's data_dir on SQLite with two meetings, credentials and a crypto store."""
    config = config_at(tmp_path)
    fake_device(config)
    db = Database(config.database_url)
    await db.upgrade()
    await add_meetings(db, ["Jour fixe", "Sensorik"])
    await db.dispose()
    yield config


def modes(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_backup_while_the_bot_writes_then_restore_into_an_empty_data_dir(bot_data: Config) -> None:
    config = bot_data
    db = Database(config.database_url)
    writing = asyncio.Event()

    async def keep_writing() -> None:
        n = 0
        while True:
            await add_meetings(db, [f"Last {n}"])
            n += 1
            writing.set()

    writer = asyncio.create_task(keep_writing())
    await writing.wait()
    backup_dir = config.data_dir.parent / "sicherung"
    manifest = await asyncio.to_thread(take_backup, config, backup_dir, NOW, __version__)
    writer.cancel()
    await asyncio.gather(writer, return_exceptions=True)
    await db.dispose()

    assert manifest.alembic_revision == head_revision() and manifest.backend == "sqlite"
    assert manifest.user_id == "@bot:localhost"
    assert sorted(f.path for f in manifest.files) == [
        "credentials.json", "crypto/@bot:localhost_DEV.db", "database.sqlite3",
    ]  # fmt: skip
    assert modes(backup_dir) == 0o700 and all(modes(backup_dir / f.path) == 0o600 for f in manifest.files)
    assert not list(backup_dir.glob("*-wal")), "the copy is one self-contained file"

    shutil.rmtree(config.data_dir)  # the disk is lost
    restored = await asyncio.to_thread(restore, config, backup_dir, NOW, force=False)
    assert restored.aside is None
    assert modes(config.data_dir) == 0o700 and modes(config.data_dir / "crypto") == 0o700
    assert modes(config.data_dir / "credentials.json") == 0o600
    assert json.loads((config.data_dir / "credentials.json").read_text())["access_token"] == TOKEN
    with sqlite3.connect(config.data_dir / "crypto" / "@bot:localhost_DEV.db") as store:
        assert store.execute("SELECT account FROM accounts").fetchall() == [("olm-account",)]
    store.close()

    db = Database(config.database_url)
    try:
        await db.upgrade()
        titles = await meeting_titles(db)
    finally:
        await db.dispose()
    assert titles[:2] == ["Jour fixe", "Sensorik"]
    written = titles[2:]
    # One moment of the writer's: every meeting up to some number, none after it, none half written.
    assert written and written == [f"Last {n}" for n in range(len(written))]


def test_restore_refuses_while_the_bot_runs(bot_data: Config, tmp_path: Path) -> None:
    take_backup(bot_data, tmp_path / "b", NOW, __version__)
    running = RunLock.acquire(bot_data.data_dir)  # what a running bot holds (App.start)
    try:
        result = CliRunner().invoke(main, ["restore", "-c", str(tmp_path / "config.toml"), str(tmp_path / "b")])
        assert result.exit_code == 1
        assert "Ein redi-bot läuft schon mit" in result.output and "stop it first" in result.output
        with pytest.raises(BotRunning):
            RunLock.acquire(bot_data.data_dir)
        second = CliRunner().invoke(main, ["run", "-c", str(tmp_path / "config.toml")])
        assert second.exit_code == 1 and "Ein redi-bot läuft schon mit" in second.output  # one device, one process
    finally:
        running.release()
    result = CliRunner().invoke(main, ["restore", "-c", str(tmp_path / "config.toml"), str(tmp_path / "b")])
    assert result.exit_code == 1 and "Hier sind schon Daten" in result.output  # the lock is free again


async def test_existing_data_is_kept_without_force_and_moved_aside_with_it(bot_data: Config, tmp_path: Path) -> None:
    config = bot_data
    await asyncio.to_thread(take_backup, config, tmp_path / "b", NOW, __version__)
    db = Database(config.database_url)
    await add_meetings(db, ["Nach der Sicherung"])
    await db.dispose()

    with pytest.raises(BackupError, match=r"Hier sind schon Daten: .*redi-bot.sqlite3.*crypto.*credentials.json"):
        await asyncio.to_thread(restore, config, tmp_path / "b", NOW, force=False)
    db = Database(config.database_url)
    assert "Nach der Sicherung" in await meeting_titles(db), "nothing changed"
    await db.dispose()

    restored = await asyncio.to_thread(restore, config, tmp_path / "b", NOW, force=True)
    assert restored.aside == config.data_dir / "before-restore-20261205T093000Z"
    assert sorted(p.name for p in restored.aside.iterdir()) == ["credentials.json", "crypto", "redi-bot.sqlite3"]
    for database in (config.database_url, f"sqlite:///{restored.aside / 'redi-bot.sqlite3'}"):
        db = Database(database)
        titles = await meeting_titles(db)
        await db.dispose()
        assert ("Nach der Sicherung" in titles) == (database != config.database_url)


def test_a_changed_or_incomplete_backup_is_refused(bot_data: Config, tmp_path: Path) -> None:
    backup_dir = tmp_path / "b"
    take_backup(bot_data, backup_dir, NOW, __version__)
    check_backup(backup_dir)
    store = backup_dir / "crypto" / "@bot:localhost_DEV.db"
    original = store.read_bytes()
    store.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))  # one bit flipped
    result = CliRunner().invoke(main, ["restore", "-c", str(tmp_path / "config.toml"), str(backup_dir), "--force"])
    assert result.exit_code == 1
    assert f"{store} ist nicht mehr die gesicherte Datei (Prüfsumme stimmt nicht)" in result.output
    assert (bot_data.data_dir / "redi-bot.sqlite3").exists() and not list(bot_data.data_dir.glob("before-restore-*"))

    store.write_bytes(original)
    (backup_dir / "manifest.json").unlink()  # as when the backup was interrupted: the manifest comes last
    with pytest.raises(BackupError, match="keine \\(vollständige\\) Sicherung"):
        check_backup(backup_dir)


def test_a_backup_from_a_newer_version_is_refused(bot_data: Config, tmp_path: Path) -> None:
    with sqlite3.connect(bot_data.data_dir / "redi-bot.sqlite3") as connection:  # as if a newer redi-bot migrated it
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()
    manifest = take_backup(bot_data, tmp_path / "b", NOW, __version__)
    assert manifest.alembic_revision == "9999"
    shutil.rmtree(bot_data.data_dir)
    with pytest.raises(DatabaseNewerThanCode, match="Stand 9999"):
        restore(bot_data, tmp_path / "b", NOW, force=False)
    assert not bot_data.data_dir.exists(), "nothing was written"


def test_a_backup_of_another_account_or_backend_is_refused(bot_data: Config, tmp_path: Path) -> None:
    take_backup(bot_data, tmp_path / "b", NOW, __version__)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(BackupError, match="gehört zum Bot-Konto @bot:localhost"):
        restore(config_at(other, user_id="@anderer:localhost"), tmp_path / "b", NOW, force=True)
    with pytest.raises(BackupError, match="Die Sicherung ist von sqlite, konfiguriert ist postgresql"):
        restore(config_at(other, database_url="postgresql://u@127.0.0.1:1/x"), tmp_path / "b", NOW, force=True)


def test_backup_needs_a_new_or_empty_directory_and_prints_no_secret(bot_data: Config, tmp_path: Path) -> None:
    config = str(tmp_path / "config.toml")
    result = CliRunner().invoke(main, ["backup", "-c", config, str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert f"Stand / revision {head_revision()}" in result.output and TOKEN not in result.output
    again = CliRunner().invoke(main, ["backup", "-c", config, str(tmp_path / "b")])
    assert again.exit_code == 1 and "ist nicht leer" in again.output


def test_missing_pg_dump_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path, database_url="postgresql://redi:geheim@127.0.0.1:1/redi")
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on it
    for command in (["backup", "-c", str(config), str(tmp_path / "b")],):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1
        assert (
            "`pg_dump` ist nicht installiert" in result.output and "apt-get install postgresql-client" in result.output
        )
        assert "geheim" not in result.output
    assert not (tmp_path / "b").exists()


@pytest.mark.skipif(not PG_URL, reason="set REDI_TEST_DATABASE_URL to run on PostgreSQL")
async def test_postgresql_backup_and_restore(tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None or shutil.which("psql") is None:
        pytest.skip("pg_dump/psql not installed (Debian: postgresql-client)")
    async with pg_database_url() as url:
        config = config_at(tmp_path, database_url=url)
        fake_device(config)
        db = Database(url)
        await db.upgrade()
        await add_meetings(db, ["Jour fixe"])
        manifest = await asyncio.to_thread(take_backup, config, tmp_path / "b", NOW, __version__)
        assert manifest.backend == "postgresql" and manifest.alembic_revision == head_revision()
        await add_meetings(db, ["Nach der Sicherung"])
        await db.dispose()

        with pytest.raises(BackupError, match=r"Hier sind schon Daten: .*Tabellen in postgresql"):
            await asyncio.to_thread(restore, config, tmp_path / "b", NOW, force=False)
        restored = await asyncio.to_thread(restore, config, tmp_path / "b", NOW, force=True)
        assert restored.aside is not None and (restored.aside / "database.pgdump").exists()
        db = Database(url)
        try:
            assert await meeting_titles(db) == ["Jour fixe"]
            await db.upgrade()
            await add_meetings(db, ["Danach"])  # the sequences came back too
            assert await meeting_titles(db) == ["Jour fixe", "Danach"]
        finally:
            await db.dispose()


def test_the_database_password_reaches_the_postgresql_tools_only_by_environment() -> None:
    from bot.backup import _libpq_env

    env = _libpq_env("postgresql://redi:geheim@db.example.org:5433/redi?sslmode=require")
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == (
        "db.example.org",
        "5433",
        "redi",
        "redi",
    )
    assert env["PGPASSWORD"] == "geheim" and env["PGSSLMODE"] == "require"
