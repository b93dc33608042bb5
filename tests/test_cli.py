"""The admin's command line: help, version, config errors, db upgrade, imports and exports."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import __version__
from bot.cli import main
from bot.config import Config
from bot.matrix import Credentials
from storage import Database
from storage.db import head_revision


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "login", "db", "demo"):
        assert command in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_bad_config_refuses_to_start_and_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@bot:localhost"\n[bot]\ntimezone = "Mars/Olymp"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["run", "-c", str(config)])
    assert result.exit_code == 1
    assert "bot.timezone" in result.output
    assert "Mars/Olymp" in result.output


def test_missing_config_says_where_the_template_is(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "-c", str(tmp_path / "fehlt.toml")])
    assert result.exit_code == 1
    assert "config.example.toml" in result.output


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@bot:localhost"\n[bot]\ndata_dir = "d"\n',
        encoding="utf-8",
    )
    for _ in range(2):  # idempotent
        result = CliRunner().invoke(main, ["db", "upgrade", "-c", str(config)])
        assert result.exit_code == 0, result.output
        assert f"Datenbank ist auf Stand {head_revision()}" in result.output
    assert (tmp_path / "d" / "redi-bot.sqlite3").exists()


def test_import_profiles_dry_run_then_apply(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@bot:localhost"\n[bot]\ndata_dir = "d"\n',
        encoding="utf-8",
    )
    good = tmp_path / "profile.csv"
    good.write_text('matrix_id,name,stadt,themen\n@anna:buehl.de,Anna,Bühl,"eAkte, XRechnung"\n', encoding="utf-8")
    bad = tmp_path / "fehler.csv"
    bad.write_text("matrix_id,stadt\n@ben:x.de,Karlsruhe\n", encoding="utf-8")

    result = CliRunner().invoke(main, ["import", "profiles", "-c", str(config), str(bad), "--apply"])
    assert result.exit_code == 1
    assert "Zeile 2" in result.output and "Karlsruhe" in result.output

    result = CliRunner().invoke(main, ["import", "profiles", "-c", str(config), str(good)])
    assert result.exit_code == 0, result.output
    assert "1 neu" in result.output and "--apply" in result.output
    result = CliRunner().invoke(main, ["import", "profiles", "-c", str(config), str(good), "--apply"])
    assert result.exit_code == 0, result.output
    assert "1 neu" in result.output
    result = CliRunner().invoke(main, ["import", "profiles", "-c", str(config), str(good)])
    assert "1 unverändert" in result.output, "the first --apply really saved the profile"


def test_export_decisions_as_csv_and_markdown(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@bot:localhost"\n[bot]\ndata_dir = "d"\n',
        encoding="utf-8",
    )
    assert CliRunner().invoke(main, ["db", "upgrade", "-c", str(config)]).exit_code == 0

    async def log_decisions() -> None:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'd' / 'redi-bot.sqlite3'}")
        async with database.transaction() as repos:
            for group, text in (("eAkte", "DMS B wird getestet"), ("Sensorik", "Sensoren tauschen")):
                await repos.decisions.add(
                    room_id="!r:x", group=group, author="@anna:x", text=text, tags=(), now=datetime.now(UTC)
                )
        await database.dispose()

    asyncio.run(log_decisions())
    result = CliRunner().invoke(main, ["export", "decisions", "-c", str(config), "--group", "eakte"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("Nr;Datum;Gruppe") and len(lines) == 2 and "DMS B wird getestet" in lines[1]
    out = tmp_path / "beschluesse.md"
    result = CliRunner().invoke(main, ["export", "decisions", "-c", str(config), "--format", "md", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Sensoren tauschen" in out.read_text(encoding="utf-8") and "DMS B" in out.read_text(encoding="utf-8")
    assert f"2 Beschlüsse nach {out} geschrieben." in result.output
    assert out.read_text(encoding="utf-8").startswith("## Beschlüsse\n\n### eAkte\n"), "a title, no escapes"
    result = CliRunner().invoke(main, ["export", "decisions", "-c", str(config), "--group", "eakte", "-o", str(out)])
    assert f"1 Beschluss nach {out} geschrieben." in result.output, "one decision: singular"
    result = CliRunner().invoke(
        main, ["export", "decisions", "-c", str(config), "--group", "eakte", "--format", "md", "-o", str(out)]
    )
    assert out.read_text(encoding="utf-8").startswith("## Beschlüsse – Gruppe eAkte\n"), "the group said once"
    result = CliRunner().invoke(main, ["export", "decisions", "-c", str(config), "--group", "Atlantis"])
    assert result.exit_code != 0 and "Gruppen:" in result.output


def test_login_takes_the_password_from_the_environment_or_the_config_without_asking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[str] = []

    async def fake_login(config: Config, password: str) -> Credentials:
        used.append(password)
        return Credentials(config.matrix.homeserver, config.matrix.user_id, "GERAET", "token")

    monkeypatch.setattr("bot.matrix.password_login", fake_login)
    config = tmp_path / "config.toml"
    config.write_text('[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@bot:localhost"\n', encoding="utf-8")
    runner = CliRunner()
    # No input is given: a prompt would abort.
    result = runner.invoke(main, ["login", "-c", str(config)], env={"REDI_MATRIX_PASSWORD": "aus-der-umgebung"})
    assert result.exit_code == 0, result.output
    assert "Passwort aus REDI_MATRIX_PASSWORD (keine Rückfrage)." in result.output
    assert "Angemeldet als @bot:localhost, Gerät GERAET." in result.output
    config.write_text(config.read_text(encoding="utf-8") + 'password = "aus-der-datei"\n', encoding="utf-8")
    result = runner.invoke(main, ["login", "-c", str(config)], env={"REDI_MATRIX_PASSWORD": ""})
    assert result.exit_code == 0, result.output
    assert f"Passwort aus [matrix].password in {config} (keine Rückfrage)." in result.output
    result = runner.invoke(main, ["login", "-c", str(config), "--password", "von-hand"])
    assert result.exit_code == 0 and "keine Rückfrage" not in result.output
    assert used == ["aus-der-umgebung", "aus-der-datei", "von-hand"]
    config.write_text(config.read_text(encoding="utf-8").replace('password = "aus-der-datei"\n', ""), "utf-8")
    asked = runner.invoke(main, ["login", "-c", str(config)], env={"REDI_MATRIX_PASSWORD": ""}, input="getippt\n")
    assert asked.exit_code == 0 and "Passwort für @bot:localhost:" in asked.output and used[-1] == "getippt"


def test_help_says_where_the_password_comes_from_and_what_sighup_does() -> None:
    login = CliRunner().invoke(main, ["login", "--help"], terminal_width=200)
    assert "[env var: REDI_MATRIX_PASSWORD]" in login.output
    assert "REDI_MATRIX_PASSWORD oder [matrix].password der Konfiguration – dann fragt login nicht" in login.output
    run = CliRunner().invoke(main, ["run", "--help"], terminal_width=200)
    assert "SIGHUP (`kill -HUP <pid>`, `systemctl reload`) liest die Konfiguration neu" in run.output


def test_a_database_from_a_newer_version_is_refused_clearly_and_left_alone(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@bot:localhost"\n[bot]\ndata_dir = "d"\n',
        encoding="utf-8",
    )
    assert CliRunner().invoke(main, ["db", "upgrade", "-c", str(config)]).exit_code == 0
    database = tmp_path / "d" / "redi-bot.sqlite3"
    with sqlite3.connect(database) as connection:  # as if a newer redi-bot had migrated it
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    for command in (["db", "upgrade"], ["run"]):
        result = CliRunner().invoke(main, [*command, "-c", str(config)])
        assert result.exit_code == 1, result.output
        assert "Stand 9999" in result.output and "neuere Version" in result.output, result.output
        assert "Traceback" not in result.output
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999",)
