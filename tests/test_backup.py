"""Backup and restore as an admin uses them (`redi-bot backup|restore`), without a homeserver: a copy taken while the
bot writes is whole, a restore puts back database, keys and token with their modes, and every refusal says why and
changes nothing (bot running, data there without --force, damaged or foreign or newer backup, pg_dump missing)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from bot import __version__
from bot.backup import BackupError, BotRunning, DataDirNotWritable, RunLock, check_backup, restore, take_backup
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


# --- run as root, failing midway ------------------------------------------------------------------------------------

NOBODY = 65534
as_root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (to hand files to another user)")


@contextlib.contextmanager
def as_user(uid: int) -> Iterator[None]:
    """What the bot does under `User=redi-bot` (contrib/redi-bot.service): the same calls, another user's rights."""
    os.setegid(uid)
    os.seteuid(uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def machine() -> Iterator[Path]:
    """A folder every user can enter (tmp_path is root's alone), like /var/lib."""
    base = Path(tempfile.mkdtemp(prefix="redi-backup-"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base)


def owners(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.lstat().st_uid for p in [folder, *folder.rglob("*")]}


@as_root_only
async def test_a_restore_as_root_leaves_files_the_bot_user_can_open(machine: Path) -> None:
    config = config_at(machine)
    fake_device(config)
    db = Database(config.database_url)
    await db.upgrade()
    await add_meetings(db, ["Jour fixe"])
    await db.dispose()
    os.chown(machine, NOBODY, NOBODY)  # `install -d -o redi-bot /var/lib/redi-bot`, the bot ran as its user
    for path in [config.data_dir, *config.data_dir.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
    (machine / "config.toml").chmod(0o644)
    backup_dir = machine / "b"
    await asyncio.to_thread(take_backup, config, backup_dir, NOW, __version__)  # as root: root's 0700 folder

    # Refused (data there, no --force), the lock it took stays the bot's.
    with pytest.raises(BackupError, match="Hier sind schon Daten"):
        await asyncio.to_thread(restore, config, backup_dir, NOW, force=False)
    assert set(owners(config.data_dir).values()) == {NOBODY}, owners(config.data_dir)
    # With --force, and onto a fresh machine where only the parent of data_dir is the bot's.
    restored = await asyncio.to_thread(restore, config, backup_dir, NOW, force=True)
    assert restored.aside is not None and restored.aside.owner() != "root" and (restored.aside / "crypto").exists()
    assert set(owners(config.data_dir).values()) == {NOBODY}, owners(config.data_dir)
    shutil.rmtree(config.data_dir)
    await asyncio.to_thread(restore, config, backup_dir, NOW, force=False)
    assert set(owners(config.data_dir).values()) == {NOBODY}, owners(config.data_dir)
    assert modes(config.data_dir) == 0o700 and modes(config.data_dir / "credentials.json") == 0o600

    with as_user(NOBODY):  # the bot, started by systemd as its user, opens all of it
        RunLock.acquire(config.data_dir).release()
        json.loads((config.data_dir / "credentials.json").read_text())
        with sqlite3.connect(config.data_dir / "crypto" / "@bot:localhost_DEV.db") as store:
            store.execute("INSERT INTO accounts VALUES ('geschrieben')")
        store.close()
        db = Database(config.database_url)
        try:
            await add_meetings(db, ["Danach"])
            assert await meeting_titles(db) == ["Jour fixe", "Danach"]
        finally:
            await db.dispose()
        # The backup root took is root's: the bot's user cannot read it back, and is told so.
        result = CliRunner().invoke(main, ["restore", "-c", str(machine / "config.toml"), str(backup_dir), "--force"])
    assert result.exit_code == 1 and result.exception is not None and not isinstance(result.exception, OSError)
    assert "Permission denied" in result.output and "run as the owner of data_dir, or as root" in result.output


@as_root_only
def test_a_lock_file_of_another_user_is_a_clear_error_not_a_traceback(machine: Path) -> None:
    config = config_at(machine)
    (machine / "config.toml").chmod(0o644)
    config.data_dir.mkdir(mode=0o700)
    os.chown(config.data_dir, NOBODY, NOBODY)
    (config.data_dir / "redi-bot.lock").write_text("")  # what a root restore left before it handed files over
    (config.data_dir / "redi-bot.lock").chmod(0o600)
    with as_user(NOBODY):
        with pytest.raises(DataDirNotWritable, match=r"redi-bot.lock gehört root \(Modus 600\)"):
            RunLock.acquire(config.data_dir)
        result = CliRunner().invoke(main, ["run", "-c", str(machine / "config.toml")])
    assert result.exit_code == 1 and not isinstance(result.exception, OSError), result.exception
    assert "dieser Prozess läuft als nobody" in result.output and "chown -R redi-bot:" in result.output


async def test_two_forced_restores_in_the_same_second_keep_both_previous_states(
    bot_data: Config, tmp_path: Path
) -> None:
    await asyncio.to_thread(take_backup, bot_data, tmp_path / "b", NOW, __version__)
    first = await asyncio.to_thread(restore, bot_data, tmp_path / "b", NOW, force=True)
    second = await asyncio.to_thread(restore, bot_data, tmp_path / "b", NOW, force=True)
    assert first.aside == bot_data.data_dir / "before-restore-20261205T093000Z"
    assert second.aside == bot_data.data_dir / "before-restore-20261205T093000Z-2"
    assert (second.aside / "credentials.json").exists()


async def assert_untouched(config: Config) -> None:
    """data_dir as it was before the failed restore: the device, its token and the newer meeting."""
    assert json.loads((config.data_dir / "credentials.json").read_text())["access_token"] == TOKEN
    assert (config.data_dir / "crypto" / "@bot:localhost_DEV.db").exists()
    assert not list(config.data_dir.glob("before-restore-*")) and not list(config.data_dir.rglob("*.restoring"))
    db = Database(config.database_url)
    try:
        assert "Nach der Sicherung" in await meeting_titles(db)
    finally:
        await db.dispose()


async def test_a_full_disk_midway_puts_everything_back(
    bot_data: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await asyncio.to_thread(take_backup, bot_data, tmp_path / "b", NOW, __version__)
    db = Database(bot_data.database_url)
    await add_meetings(db, ["Nach der Sicherung"])
    await db.dispose()
    copy = shutil.copyfileobj
    copies = 0

    def fills_the_disk(*args: Any, **kwargs: Any) -> None:
        nonlocal copies
        copies += 1
        if copies == 2:  # credentials.json was copied, the crypto store is not
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(bot_data.data_dir / "crypto"))
        copy(*args, **kwargs)

    monkeypatch.setattr("bot.backup.shutil.copyfileobj", fills_the_disk)
    args = ["restore", "-c", str(tmp_path / "config.toml"), str(tmp_path / "b"), "--force"]
    result = await asyncio.to_thread(CliRunner().invoke, main, args)
    assert result.exit_code == 1 and not isinstance(result.exception, OSError), result.exception
    assert "die Platte ist voll" in result.output and "Alles ist zurückgelegt" in result.output
    await assert_untouched(bot_data)


def test_too_little_free_space_is_refused_before_anything_moves(
    bot_data: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = take_backup(bot_data, tmp_path / "b", NOW, __version__)
    size = sum(f.size for f in manifest.files)
    almost_full = SimpleNamespace(total=10**12, used=10**12 - 2 * size + 1, free=2 * size - 1)
    monkeypatch.setattr("bot.backup.shutil.disk_usage", lambda _: almost_full)
    result = CliRunner().invoke(main, ["restore", "-c", str(tmp_path / "config.toml"), str(tmp_path / "b"), "--force"])
    assert result.exit_code == 1 and "2× die Größe der Sicherung" in result.output
    assert not list(bot_data.data_dir.glob("before-restore-*"))


BROKEN = {
    # psql stops at an error in the script.
    "psql": '#!/bin/sh\necho "psql: FATAL: kaputt" >&2\nexit 3\n',
    # pg_restore gives up after part of the script (a dump newer than it): psql must not commit what it got.
    "pg_restore": '#!/bin/sh\necho "SELECT 1;"\necho "pg_restore: error: kaputt" >&2\nexit 1\n',
}


@pytest.mark.skipif(not PG_URL, reason="set REDI_TEST_DATABASE_URL to run on PostgreSQL")
@pytest.mark.parametrize("broken", sorted(BROKEN))
async def test_a_failed_postgresql_restore_leaves_the_device_and_database_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    if shutil.which("pg_dump") is None or shutil.which("psql") is None:
        pytest.skip("pg_dump/psql not installed (Debian: postgresql-client)")
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("pg_dump", "pg_restore", "psql"):
        if name == broken:
            (tools / name).write_text(BROKEN[name])
            (tools / name).chmod(0o755)
        else:
            (tools / name).symlink_to(str(shutil.which(name)))
    async with pg_database_url() as url:
        config = config_at(tmp_path, database_url=url)
        fake_device(config)
        db = Database(url)
        await db.upgrade()
        await add_meetings(db, ["Jour fixe"])
        await asyncio.to_thread(take_backup, config, tmp_path / "b", NOW, __version__)
        await add_meetings(db, ["Nach der Sicherung"])
        await db.dispose()
        monkeypatch.setenv("PATH", str(tools))
        args = ["restore", "-c", str(tmp_path / "config.toml"), str(tmp_path / "b"), "--force"]
        result = await asyncio.to_thread(CliRunner().invoke, main, args)
        assert result.exit_code == 1, result.output
        assert f"{broken} ist gescheitert" in result.output and "kaputt" in result.output
        assert "Alles ist zurückgelegt" in result.output
        await assert_untouched(config)
