"""Backup and restore end to end, as an admin does it after losing the disk (SQLite, and PostgreSQL with
REDI_TEST_DATABASE_URL): `redi-bot backup` while the bot runs and answers commands, `redi-bot restore` refused while
it runs, then the bot stopped, its data_dir (and database) wiped, the backup restored and a new bot started on it.
It is the same bot: the same device reads and answers encrypted messages, the profile and the meetings are there, a
reminder sent before the backup is not sent again and one due afterwards arrives once."""

from __future__ import annotations

import asyncio
import json
import shutil
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.clock import ShiftedClock
from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.homeserver import Homeserver
from storage import normalize_url
from tests.conftest import RunningBot, bot_config
from tests.fixtures_matrix import MakeUser, RegisterUser
from tests.test_e2e_meetings import add_meeting, ask
from tests.test_e2e_process import cli, devices

pytestmark = pytest.mark.e2e


async def recreate_database(url: str) -> None:
    """The PostgreSQL database is lost too: dropped and created empty again."""
    name = make_url(url).database
    admin_url = make_url(normalize_url(url)).set(database="postgres")
    engine = create_async_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as admin:
            await admin.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        await engine.dispose()


def is_reminder(bot: RunningBot, title: str) -> Callable[[ReceivedMessage], bool]:
    return lambda m: m.sender == bot.user_id and "⏰" in m.body and title in m.body


def reminders(user: DevClient, bot: RunningBot, title: str) -> list[ReceivedMessage]:
    return [m for m in user.received() if is_reminder(bot, title)(m)]


async def test_backup_while_running_then_restore_onto_an_empty_disk(
    homeserver: Homeserver,
    register_user: RegisterUser,
    make_user: MakeUser,
    tmp_path: Path,
    database_url: str | None,
) -> None:
    if database_url is not None and (shutil.which("pg_dump") is None or shutil.which("psql") is None):
        pytest.skip("pg_dump/psql not installed (Debian: postgresql-client)")
    account = await register_user("sicherbot")
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(
        bot_config(
            homeserver=homeserver.base_url,
            user_id=account.user_id,
            password=account.password,
            data_dir=data,
            database_url=database_url,
        ),
        encoding="utf-8",
    )
    clock = ShiftedClock()
    bot = RunningBot(account=account, config_path=config, clock=clock)
    anna = await make_user("anna", displayname="Anna Sicher")
    ben = await make_user("ben")
    backup = tmp_path / "sicherung-2026-12-05"

    await bot.start()
    try:
        assert bot.app is not None
        room = await anna.create_room(name="Jour fixe", invite=[bot.user_id, ben.user_id], encrypted=True)
        await ben.join(room)
        await anna.wait_for_join(room, bot.user_id)
        assert "Eingetragen: eAkte." in await ask(anna, room, bot, "!ichweiss eAkte")
        await add_meeting(bot, room, due_in=1, title="Vorher")
        await anna.wait_for_message(is_reminder(bot, "Vorher"), timeout=30)
        await add_meeting(bot, room, due_in=600, title="Nachher")

        # The backup is taken while the bot handles commands (each one a write).
        async def keep_the_bot_busy() -> list[str]:
            return [await ask(ben, room, bot, f"!ichweiss Thema{i}") for i in range(4)]

        (code, out), answers = await asyncio.gather(cli("backup", "-c", str(config), str(backup)), keep_the_bot_busy())
        assert code == 0, out
        assert all(answer.startswith("Eingetragen: Thema") for answer in answers)
        assert "Gesichert nach / backed up to" in out and "Schlüsselspeicher / crypto stores: 1" in out
        credentials = json.loads((data / "credentials.json").read_text())
        assert credentials["access_token"] not in out

        code, out = await cli("restore", "-c", str(config), str(backup), "--force")
        assert code == 1 and "Ein redi-bot läuft schon mit" in out, out
    finally:
        await bot.stop()

    # The disk is lost.
    shutil.rmtree(data)
    if database_url is not None:
        await recreate_database(database_url)
    code, out = await cli("restore", "-c", str(config), str(backup))
    assert code == 0, out
    assert "Wiederhergestellt aus / restored from" in out and "the previous data" not in out
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "credentials.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "crypto").stat().st_mode) == 0o700

    await bot.start()
    try:
        assert bot.app is not None
        await bot.app.wait_caught_up()  # had it sent "Vorher" again, it would have been before this
        # The same device: it decrypts what Anna sends in the encrypted room, and she reads its encrypted answer.
        event_id = await anna.send_text(room, "!ping")
        pong = await anna.wait_for_message(lambda m: m.sender == bot.user_id and m.reply_to == event_id, timeout=60)
        assert "Pong" in pong.body and pong.encrypted
        assert await devices(homeserver, credentials["access_token"]) == [credentials["device_id"]]
        assert "Anna Sicher" in await ask(ben, room, bot, "!werweiss eAkte")
        listed = await ask(anna, room, bot, "!termine")
        assert "Nachher" in listed and "Vorher" in listed

        clock.advance(timedelta(seconds=601))  # the pending reminder falls due, for the bot
        await bot.app.scheduler.run_due()
        clock.advance(-timedelta(seconds=601))
        await anna.wait_for_message(is_reminder(bot, "Nachher"), timeout=30)
        assert "Pong" in await ask(anna, room, bot, "!ping")  # Anna has seen everything sent before this
    finally:
        await bot.stop()
    assert len(reminders(anna, bot, "Vorher")) == 1, "sent before the backup, not again after the restore"
    assert len(reminders(anna, bot, "Nachher")) == 1
    # Commands answered while the backup was taken are in it or handled again after the restore: answered once.
    asked = {m.event_id for m in ben.received() if m.sender == ben.user_id}
    replies = [m.reply_to for m in ben.received() if m.sender == bot.user_id and m.reply_to in asked]
    assert len(replies) == len(set(replies)) == 5
