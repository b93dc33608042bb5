"""End to end as an admin runs it: `redi-bot login` once, `redi-bot run` as a process, SIGTERM,
restart on the same device; the config reloaded on SIGHUP, as the log tells it; and the bot riding out a homeserver
outage."""

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
from tests.fixtures_matrix import MakeUser, RegisterUser, unique_localpart

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent


async def cli(*args: str, limit: float = 60, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdin=asyncio.subprocess.DEVNULL,  # a prompt would fail: nobody is there to answer it
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT,
        env=None if env is None else {**os.environ, **env},
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


class BotProcess:
    """`redi-bot run` as a process, its log read line by line while it runs (what an admin sees in journald)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._new_line = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, config: Path) -> BotProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "-c", str(config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        return cls(proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            async with self._new_line:
                self.lines.append(raw.decode().rstrip("\n"))
                self._new_line.notify_all()

    def logged(self, fragment: str) -> list[str]:
        """The log lines with `fragment`, without their time stamp."""
        return [line.split(" ", 2)[2] for line in self.lines if fragment in line]

    async def wait_for_log(self, fragment: str, timeout: float = 60) -> str:  # noqa: ASYNC109
        async with self._new_line:
            try:
                await asyncio.wait_for(self._new_line.wait_for(lambda: bool(self.logged(fragment))), timeout)
            except TimeoutError:
                raise AssertionError(f"not logged: {fragment!r}; the log:\n" + "\n".join(self.lines)) from None
        return self.logged(fragment)[0]

    def hang_up(self) -> None:
        self.proc.send_signal(signal.SIGHUP)

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), 30)
        await self._reader
        return code


async def test_sighup_reloads_the_config_and_the_log_says_what_changed(
    homeserver: Homeserver, register_user: RegisterUser, make_user: MakeUser, tmp_path: Path
) -> None:
    account = await register_user("hupbot")
    anna = await make_user("anna")
    eakte_alias, sensorik_alias, typo = (
        f"#{unique_localpart(n)}:localhost" for n in ("eakte", "sensorik", "tippfehler")
    )
    eakte = await anna.create_room(name="eAkte", alias=eakte_alias[1:].split(":")[0])
    sensorik = await anna.create_room(name="Sensorik", alias=sensorik_alias[1:].split(":")[0])
    config = tmp_path / "config.toml"

    def write(*, servers: str, rooms: str, bot: str = "") -> None:
        config.write_text(
            f'[matrix]\nhomeserver = "{homeserver.base_url}"\nuser_id = "{account.user_id}"\n'
            f'[bot]\ndata_dir = "{tmp_path / "data"}"\n{bot}'
            f"[rooms]\n{rooms}[invites]\nallowed_servers = {servers}\n",
            encoding="utf-8",
        )

    # The template's allowlist left as it is, a room named by its alias, and one alias with a typo.
    write(servers='["example.org"]', rooms=f'"{eakte_alias}" = "eAkte"\n"{typo}" = "Sensorik"\n')
    code, out = await cli("login", "-c", str(config), env={"REDI_MATRIX_PASSWORD": account.password})
    assert code == 0, out
    assert "Passwort aus REDI_MATRIX_PASSWORD (keine Rückfrage)." in out and "Angemeldet als" in out

    bot = await BotProcess.start(config)
    try:
        assert await bot.wait_for_log(f"the room alias {eakte_alias} is the room") == (
            f'INFO    bot.app: [rooms] "{eakte_alias}": the room alias {eakte_alias} is the room {eakte}'
        )
        assert await bot.wait_for_log(f'[rooms] "{typo}"') == (
            f'ERROR   bot.app: [rooms] "{typo}": the homeserver knows no room alias {typo}, so the entry is ignored. '
            "Check the spelling, or write the room id instead (Element: Room settings → Advanced → Internal room "
            "ID), then reload the config (SIGHUP)"
        )

        # Invites are declined with a warning that names the setting, once per inviter and room.
        declined = f"declined the invite of {anna.user_id} to "
        await anna.invite(eakte, account.user_id)
        assert await bot.wait_for_log(declined + eakte) == (
            f"WARNING bot.matrix: {declined}{eakte}: their server localhost is not in [invites].allowed_servers "
            "(now: example.org), nor are they in [invites].allowed_users. If the bot should join, add the server or "
            "the account there and reload the config (SIGHUP) or restart; then invite the bot again"
        )
        await anna.wait_for_membership(eakte, account.user_id, "leave")
        await anna.invite(eakte, account.user_id)  # again: declined without another warning
        await anna.invite(sensorik, account.user_id)
        await bot.wait_for_log(declined + sensorik)
        assert len(bot.logged(declined + eakte)) == 1, bot.lines
        await anna.wait_for_membership(sensorik, account.user_id, "leave")

        # Fixed, and reloaded without a restart: the allowlist, and a room added by its alias.
        write(servers='["localhost"]', rooms=f'"{eakte_alias}" = "eAkte"\n"{sensorik_alias}" = "Sensorik"\n')
        bot.hang_up()
        assert await bot.wait_for_log("config reloaded") == (
            f"INFO    bot.app: config reloaded from {config}; in use now: [rooms], [invites].allowed_servers"
        )
        assert not bot.logged("takes a restart")
        for room, group in ((eakte, "eAkte"), (sensorik, "Sensorik")):
            await anna.invite(room, account.user_id)
            await anna.wait_for_join(room, account.user_id, timeout=30)
            hello = await anna.wait_for_message(room_id=room, sender=account.user_id, timeout=30)
            assert hello.body.startswith(f"👋 Hallo! Ich bin der re@di-Bot und helfe der Projektgruppe {group}:")
            assert f"helfe der Projektgruppe <strong>{group}</strong>:" in (hello.formatted_body or "")

        # A broken file changes nothing; what needs a restart is named and waits for it.
        config.write_text(config.read_text(encoding="utf-8") + "[network\n", encoding="utf-8")
        bot.hang_up()
        assert (await bot.wait_for_log("config not reloaded")).startswith(
            "ERROR   bot.app: config not reloaded, the bot goes on with the one it has: Konfigurationsfehler bei "
            f"'{config}': kein gültiges TOML"
        )
        await ping(anna, eakte, account.user_id)
        write(
            servers='["localhost"]',
            rooms=f'"{eakte_alias}" = "eAkte"\n"{sensorik_alias}" = "Sensorik"\n',
            bot='command_prefix = "?"\n',
        )
        bot.hang_up()
        assert await bot.wait_for_log("takes a restart") == (
            "WARNING bot.app: config: [bot].command_prefix changed, which takes a restart; until then the bot keeps "
            "the old values"
        )
        await ping(anna, eakte, account.user_id)
    finally:
        code = await bot.stop()
    assert code == 0 and bot.logged("stopped cleanly"), "\n".join(bot.lines)
