"""The short form of `make chaos` kill scenario: the bot process is SIGKILLed just as reminders fall due and
restarted at once; each reminder still arrives exactly once. (The full scenarios: bench/chaos.py.)"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.dev.client import DevClient
from bot.dev.homeserver import Homeserver
from storage import Database
from tests.conftest import bot_config
from tests.fixtures_matrix import MakeUser, RegisterUser

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent


async def run_bot(config: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("a") as output:  # the child keeps its own handle
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "-c", str(config), stdout=output, stderr=output, cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip


async def test_sigkill_while_reminders_fall_due_loses_and_duplicates_nothing(
    homeserver: Homeserver, register_user: RegisterUser, make_user: MakeUser, tmp_path: Path
) -> None:
    account = await register_user("killbot")
    data = tmp_path / "data"
    config = tmp_path / "bot.toml"
    config.write_text(
        bot_config(
            homeserver=homeserver.base_url,
            user_id=account.user_id,
            password=account.password,
            data_dir=data,
        ),
        encoding="utf-8",
    )
    log = tmp_path / "bot.log"
    anna: DevClient = await make_user("anna")
    bot = await run_bot(config, log)
    try:
        room = await anna.create_room(name="Kill", invite=[account.user_id])
        await anna.wait_for_join(room, account.user_id, timeout=60)
        bot.terminate()
        await bot.wait()

        first_due = round(time.time()) + 12  # the restart takes a few seconds
        dues = [first_due + 3 * i for i in range(5)]
        database = Database(f"sqlite+aiosqlite:///{data / 'redi-bot.sqlite3'}")
        async with database.transaction() as repos:
            for i, due in enumerate(dues):
                await repos.meetings.add(
                    room_id=room, title=f"Runde {i}", start=datetime.fromtimestamp(due, UTC) + timedelta(minutes=15),
                    timezone="Europe/Berlin", rrule=None, duration_minutes=None, offsets=[900],
                    created_by=anna.user_id, now=datetime.now(UTC),
                )  # fmt: skip
        await database.dispose()
        bot = await run_bot(config, log)
        for due in (dues[1], dues[3]):  # just as a reminder falls due: possibly between send and mark-sent
            await asyncio.sleep(max(0.0, due + 0.1 - time.time()))  # aiming at a moment, not waiting for one
            bot.kill()
            await bot.wait()
            bot = await run_bot(config, log)

        def titles() -> list[str]:
            bodies = [m.body for m in anna.received() if m.sender == account.user_id and "⏰" in m.body]
            return [t for body in bodies for t in set(re.findall(r"Runde \d", body))]

        await anna.wait_for(lambda: len(set(titles())) == len(dues), timeout=90)
        marker = await anna.send_text(room, "!ping")  # anything still queued goes out before this answer
        await anna.wait_for_message(lambda m: m.reply_to == marker, timeout=60)
        assert sorted(titles()) == [f"Runde {i}" for i in range(len(dues))], log.read_text()
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
