"""`redi-bot doctor` without a homeserver: the config, the files and their permissions, the database's state.
The checks that ask Synapse are in tests/test_e2e_doctor.py."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from bot.cli import main
from bot.config import load_config
from bot.doctor import Status, diagnose
from bot.matrix import Credentials
from storage import Database
from storage.db import head_revision

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
