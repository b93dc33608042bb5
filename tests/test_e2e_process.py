"""End to end as an admin runs it: `redi-bot login` once, `redi-bot run` as a process, SIGTERM,
restart on the same device; and the bot riding out a homeserver outage."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.dev.client import DevClient
from bot.dev.homeserver import Homeserver
from tests.conftest import RunningBot, bot_config
from tests.fixtures_matrix import MakeUser, RegisterUser

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent


async def cli(*args: str, limit: float = 60) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), limit)
    return proc.returncode or 0, out.decode()


async def devices(homeserver: Homeserver, access_token: str) -> list[str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{homeserver.base_url}/_matrix/client/v3/devices",
            headers={"Authorization": f"Bearer {access_token}"},
        ) as response,
    ):
        body = await response.json()
    return [d["device_id"] for d in body["devices"]]


async def ping(user: DevClient, room: str, bot_id: str) -> None:
    event_id = await user.send_text(room, "!ping")
    reply = await user.wait_for_message(lambda m: m.sender == bot_id and m.reply_to == event_id, timeout=60)
    assert "Pong" in reply.body


async def test_login_once_run_sigterm_restart_same_device(
    homeserver: Homeserver, register_user: RegisterUser, make_user: MakeUser, tmp_path: Path
) -> None:
    account = await register_user("procbot")
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[matrix]\nhomeserver = "{homeserver.base_url}"\nuser_id = "{account.user_id}"\n'
        f'[bot]\ndata_dir = "{data}"\n[invites]\nallowed_servers = ["localhost"]\n',
        encoding="utf-8",
    )
    code, out = await cli("run", "-c", str(config))
    assert code == 1 and "redi-bot login" in out, out

    code, out = await cli("login", "-c", str(config), "--password", account.password)
    assert code == 0, out
    credentials_file = data / "credentials.json"
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    credentials = json.loads(credentials_file.read_text())

    anna = await make_user("anna")
    room = await anna.create_room(name="Prozess", invite=[account.user_id], encrypted=True)
    for _ in range(2):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "-c",
            str(config),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            await anna.wait_for_join(room, account.user_id, timeout=60)
            await ping(anna, room, account.user_id)
        finally:
            proc.send_signal(signal.SIGTERM)
            out_bytes, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, out_bytes.decode()
        assert "stopped cleanly" in out_bytes.decode()
    assert await devices(homeserver, credentials["access_token"]) == [credentials["device_id"]]


async def test_bot_survives_homeserver_outage(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    # A homeserver of its own: this test stops it, which must not disturb the others.
    workdir = tmp_path_factory.mktemp("outage-synapse")
    server = await Homeserver.start(workdir)
    user: DevClient | None = None
    try:
        bot_account = await server.register("outagebot", "pw-outage")
        anna_account = await server.register("anna", "pw-anna")
        config = tmp_path / "outage.toml"
        config.write_text(
            bot_config(
                homeserver=server.base_url,
                user_id=bot_account.user_id,
                password=bot_account.password,
                data_dir=tmp_path / "outage-data",
            ),
            encoding="utf-8",
        )
        bot = RunningBot(account=bot_account, config_path=config)
        await bot.start()
        try:
            user = await DevClient.login(server.base_url, anna_account.user_id, "pw-anna", tmp_path / "anna")
            room = await user.create_room(name="Ausfall", invite=[bot.user_id])
            await user.wait_for_join(room, bot.user_id)
            await ping(user, room, bot.user_id)
            await user.close()
            user = None
            port = int(server.base_url.rsplit(":", 1)[1])
            await server.stop()
            server = await Homeserver.start(workdir, port=port)
            user = await DevClient.login(server.base_url, anna_account.user_id, "pw-anna", tmp_path / "anna2")
            await ping(user, room, bot.user_id)
        finally:
            await bot.stop()
    finally:
        if user is not None:
            await user.close()
        await server.stop()
