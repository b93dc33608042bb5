"""`redi-bot doctor` without a homeserver: the config, the files and their permissions, the database's state.
The checks that ask Synapse are in tests/test_e2e_doctor.py."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import zoneinfo
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from bot.cli import main
from bot.config import load_config
from bot.doctor import Status, diagnose, members_not_allowed, missing_power, power_level
from bot.matrix import Credentials
from bot.probe import RoomState
from storage import Database
from storage.db import head_revision

MB, GB = 1_000_000, 1_000_000_000
CONFIG = """\
[matrix]
homeserver = "{homeserver}"
user_id = "@redi-bot:localhost"
{secret}

[bot]
data_dir = "data"
{database}

[invites]
allowed_servers = {servers}
"""


def write_config(
    tmp_path: Path,
    *,
    secret: str = 'password = "geheim"',
    servers: str = '["localhost"]',
    database_url: str | None = None,
    homeserver: str = "http://127.0.0.1:1",
    mode: int = 0o600,
) -> Path:
    path = tmp_path / "config.toml"
    database = f'database_url = "{database_url}"' if database_url else ""
    path.write_text(
        CONFIG.format(homeserver=homeserver, secret=secret, servers=servers, database=database), encoding="utf-8"
    )
    path.chmod(mode)
    return path


def doctor(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["doctor", "-c", str(config), *args])
    return result.exit_code, result.output


def log_in(tmp_path: Path) -> Path:
    """What `redi-bot login` leaves behind: the data folder and credentials.json, both owner-only."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    Credentials("http://127.0.0.1:1", "@redi-bot:localhost", "DEVICE", "token").save(data)
    return data


def test_a_broken_config_is_the_one_error_and_names_the_key(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8") + "\n[network]\nstaedte = []\n", encoding="utf-8")
    code, output = doctor(config, "--offline")
    assert code == 1
    assert "FEHLER" in output and "network.staedte" in output and "config.example.toml" in output
    assert "Ergebnis: 1 Fehler." in output


def test_a_fresh_install_says_what_the_first_start_does_and_creates_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    code, output = doctor(config, "--offline")
    assert code == 0, output
    assert "noch nicht angemeldet: der erste Start meldet sich mit dem Passwort an" in output
    assert "noch keine Datenbank" in output and "gibt es noch nicht" in output
    assert "Homeserver nicht gefragt (--offline)" in output
    assert output.rstrip().endswith("Alles in Ordnung.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]  # no folder, no database, no key store


def test_without_any_credentials_it_names_the_login_command(tmp_path: Path) -> None:
    config = write_config(tmp_path, secret="")
    code, output = doctor(config, "--offline")
    assert code == 1
    assert "FEHLER   keine Zugangsdaten" in output
    assert f"→ redi-bot login -c {config}" in output


def test_secrets_in_a_file_others_can_read_are_a_warning(tmp_path: Path) -> None:
    readable = write_config(tmp_path, mode=0o644)
    code, output = doctor(readable, "--offline")
    assert code == 0
    assert "enthält [matrix].password und ist für andere lesbar (Modus 0644)" in output
    assert f"chmod 600 {readable}" in output
    assert "Ergebnis: 1 Warnung." in output

    for private in (0o600, 0o640):  # 0640: root:redi-bot, as contrib/redi-bot.service suggests
        readable.chmod(private)
        assert "lesbar" not in doctor(readable, "--offline")[1]
    # Without a secret in it, a readable config file is fine: the password comes from the environment.
    no_secret = write_config(tmp_path, secret="", mode=0o644)
    findings = asyncio.run(diagnose(no_secret, env={"REDI_MATRIX_PASSWORD": "geheim"}, online=False))
    assert all(f.status is not Status.WARNING for f in findings)


def test_invites_still_from_the_template_or_from_nobody_are_warnings(tmp_path: Path) -> None:
    code, output = doctor(write_config(tmp_path, servers='["example.org"]'), "--offline")
    assert code == 0
    assert "[invites].allowed_servers enthält noch example.org aus der Vorlage" in output
    assert 'z. B. "localhost"' in output

    output = doctor(write_config(tmp_path, servers="[]"), "--offline")[1]
    assert "er lehnt jede Einladung ab" in output
    assert '[invites].allowed_servers = ["localhost"]' in output


def test_a_data_folder_or_token_others_can_read_is_a_warning(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    data = log_in(tmp_path)
    code, output = doctor(config, "--offline")
    assert code == 0
    assert "angemeldet als @redi-bot:localhost, Gerät DEVICE" in output
    assert "WARNUNG" not in output

    data.chmod(0o755)
    Credentials.path(data).chmod(0o644)
    output = doctor(config, "--offline")[1]
    assert f"Datenordner {data} ist für andere lesbar (Modus 0755)" in output and f"chmod 700 {data}" in output
    assert f"chmod 600 {Credentials.path(data)}" in output
    assert "Ergebnis: 2 Warnungen." in output


def test_credentials_of_another_account_are_an_error(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    Credentials("http://127.0.0.1:1", "@anderer:localhost", "DEVICE", "token").save(data)
    code, output = doctor(config, "--offline")
    assert code == 1
    assert "gehört zu @anderer:localhost, die Konfiguration nennt @redi-bot:localhost" in output


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_data_folder_the_user_cannot_write_is_an_error(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    data = log_in(tmp_path)
    data.chmod(0o500)
    try:
        code, output = doctor(config, "--offline")
    finally:
        data.chmod(0o700)
    assert code == 1
    assert "nicht beschreibbar" in output and "sudo -u redi-bot" in output


async def test_the_database_state_an_admin_must_know(tmp_path: Path, database_url: str | None) -> None:
    """Empty, migrations pending, current, and migrated by a newer redi-bot; on SQLite and PostgreSQL."""
    config_path = write_config(tmp_path, database_url=database_url)
    config = load_config(config_path, env={})
    config.data_dir.mkdir(mode=0o700)

    async def check() -> list[str]:
        findings = await diagnose(config_path, env={}, online=False)
        return [f"{f.status.name} {f.text.de} {f.fix.de if f.fix else ''}" for f in findings if "atenbank" in f.text.de]

    if database_url is not None:  # an SQLite file that does not exist is not created (the fresh install test)
        [empty] = await check()
        assert empty.startswith("NOTE") and "ist leer; der erste Start legt die Tabellen an" in empty

    database = Database(config.database_url)
    try:
        await database.upgrade("0011")
        [pending] = await check()
        assert pending.startswith("NOTE")
        assert f"hat Stand 0011; der nächste Start migriert sie (0012–{head_revision()})" in pending
        assert f"redi-bot db upgrade -c {config_path}" in pending

        await database.upgrade()
        [current] = await check()
        assert current.startswith("OK") and f"Stand {head_revision()}" in current

        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        [newer] = await check()
        assert newer.startswith("ERROR") and "Stand 9999" in newer and "neueren Version" in newer
    finally:
        await database.dispose()


def test_an_unreachable_database_is_an_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, database_url="postgresql://redi@127.0.0.1:1/redi")
    code, output = doctor(config, "--offline")
    assert code == 1
    assert "FEHLER   Datenbank postgresql+asyncpg://redi@127.0.0.1:1/redi nicht erreichbar" in output


def test_an_unreachable_homeserver_is_an_error_with_what_to_check(tmp_path: Path) -> None:
    code, output = doctor(write_config(tmp_path))
    assert code == 1
    assert "FEHLER   Homeserver http://127.0.0.1:1: nicht erreichbar" in output
    assert "[matrix].homeserver prüfen" in output


def test_in_english(tmp_path: Path) -> None:
    code, output = doctor(write_config(tmp_path, secret=""), "--offline", "--language", "en")
    assert code == 1
    assert "ERROR    no credentials" in output
    assert "Result: 1 error." in output


def hide_time_zone_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without the system's zoneinfo files and without the tzdata package. Undone by `zoneinfo.reset_tzpath`
    (and monkeypatch for the modules)."""
    zoneinfo.reset_tzpath(to=[])
    for name in [name for name in sys.modules if name == "tzdata" or name.startswith("tzdata.")] or ["tzdata"]:
        monkeypatch.setitem(sys.modules, name, None)


def test_missing_time_zone_data_is_an_error_that_says_to_install_tzdata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace("[bot]\n", '[bot]\ntimezone = "Asia/Tokyo"\n'))
    assert "OK Zeitzone Asia/Tokyo" in [
        f"{f.status.name} {f.text.de}" for f in asyncio.run(diagnose(config, env={}, online=False))
    ]

    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")  # loaded before: the config still reads it from the cache
    hide_time_zone_data(monkeypatch)
    try:
        code, output = doctor(config, "--offline")
        assert code == 1
        assert f"Konfiguration {config} ist gültig" in output
        assert "FEHLER   keine Zeitzonendaten für Asia/Tokyo, Europe/Berlin" in output
        assert "→ pip install tzdata (in der Umgebung des Bots" in output

        # Never loaded before: the config cannot read it either, and the doctor says why.
        config.write_text(config.read_text(encoding="utf-8").replace("Asia/Tokyo", "Pacific/Chatham"))
        code, output = doctor(config, "--offline", "--lang", "en")
        assert code == 1
        assert "'Pacific/Chatham' ist keine IANA-Zeitzone" in output
        assert "ERROR    no time zone data for Europe/Berlin" in output and "→ pip install tzdata" in output
    finally:
        zoneinfo.reset_tzpath()
    assert tokyo is zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("free", "total", "status", "text"),
    [
        (20 * GB, 100 * GB, Status.OK, "20,0 GB frei in "),
        (400 * MB, 100 * GB, Status.WARNING, "nur noch 400 MB frei (0 %) auf dem Datenträger von "),
        (2 * GB, 100 * GB, Status.WARNING, "nur noch 2,0 GB frei (2 %) auf dem Datenträger von "),
        (40 * MB, 100 * GB, Status.ERROR, "nur noch 40 MB frei (0 %) auf dem Datenträger von "),
        (600 * MB, 1 * GB, Status.OK, "600 MB frei in "),
    ],
)
def test_little_free_space_where_the_data_lives_is_a_warning_and_too_little_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free: int, total: int, status: Status, text: str
) -> None:
    config = write_config(tmp_path)
    asked: list[Path] = []

    def disk_usage(path: Path) -> SimpleNamespace:
        asked.append(path)
        return SimpleNamespace(total=total, used=total - free, free=free)

    monkeypatch.setattr(shutil, "disk_usage", disk_usage)
    findings = asyncio.run(diagnose(config, env={}, online=False))
    [disk] = [f for f in findings if "frei" in f.text.de]
    assert disk.status is status
    assert disk.text.de.startswith(text) and str(tmp_path) in disk.text.de
    assert asked == [tmp_path]  # the data folder does not exist yet: the folder it will be created in
    if status is not Status.OK:
        assert disk.fix is not None and "[bot].data_dir auf einen größeren Datenträger" in disk.fix.de


BOT = "@redi-bot:localhost"


def room(
    levels: dict[str, Any] | None = None,
    *,
    version: str = "10",
    creators: frozenset[str] = frozenset({"@anna:localhost"}),
    encrypted: bool = False,
    members: frozenset[str] = frozenset(),
) -> RoomState:
    return RoomState(version, creators, levels, encrypted, members)


# What Synapse gives a private room: the creator 100, everyone else 0, messages and reactions for everyone.
PRIVATE_CHAT = {"users": {"@anna:localhost": 100}, "users_default": 0, "events_default": 0, "events": {}}


def test_the_power_the_bot_needs_is_that_of_messages_and_reactions() -> None:
    assert missing_power(room(PRIVATE_CHAT), BOT) == {}
    assert missing_power(room(PRIVATE_CHAT | {"events_default": 50}), BOT) == {"m.room.message": 50, "m.reaction": 50}
    assert missing_power(room(PRIVATE_CHAT | {"events": {"m.reaction": 10}}), BOT) == {"m.reaction": 10}
    # In an encrypted room the bot's messages are m.room.encrypted events.
    only_plain = PRIVATE_CHAT | {"events": {"m.room.message": 50}}
    assert missing_power(room(only_plain, encrypted=True), BOT) == {}
    assert missing_power(room(PRIVATE_CHAT | {"events": {"m.room.encrypted": 50}}, encrypted=True), BOT) == {
        "m.room.encrypted": 50
    }
    # Its own level, the default level, and levels stored as strings (old rooms).
    assert missing_power(room(PRIVATE_CHAT | {"events_default": 50, "users": {BOT: 50}}), BOT) == {}
    assert missing_power(room(PRIVATE_CHAT | {"events_default": 50, "users_default": 50}), BOT) == {}
    assert missing_power(room({"events_default": "50", "users": {BOT: "49"}}), BOT) == {
        "m.room.message": 50,
        "m.reaction": 50,
    }
    assert power_level(room({"users": {BOT: "viel"}, "users_default": 10}), BOT) == 10


def test_creators_of_rooms_of_version_12_have_unlimited_power() -> None:
    strict = PRIVATE_CHAT | {"events_default": 1000, "users": {}}
    assert power_level(room(strict, version="12", creators=frozenset({BOT})), BOT) is None
    assert missing_power(room(strict, version="12", creators=frozenset({BOT})), BOT) == {}
    assert power_level(room(strict, version="11", creators=frozenset({BOT})), BOT) == 0
    assert power_level(room(strict, version="org.example.12", creators=frozenset({BOT})), BOT) == 0
    # A room without m.room.power_levels: its creator has 100, everyone else 0, and anyone may send.
    assert power_level(room(None, creators=frozenset({BOT})), BOT) == 100
    assert power_level(room(None), BOT) == 0 and missing_power(room(None), BOT) == {}


def test_members_whose_invites_the_bot_would_decline(tmp_path: Path) -> None:
    config_path = write_config(tmp_path)
    config_path.write_text(config_path.read_text(encoding="utf-8") + 'allowed_users = ["@carla:other.net"]\n')
    config = load_config(config_path, env={})
    members = frozenset({BOT, "@anna:localhost", "@bernd:partner.org", "@carla:other.net", "@dora:other.net"})
    assert members_not_allowed(room(members=members), config) == ["@bernd:partner.org", "@dora:other.net"]
    assert members_not_allowed(room(members=frozenset({BOT, "@anna:localhost"})), config) == []
