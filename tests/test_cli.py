"""The admin's command line: help, version, config errors, db upgrade."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot import __version__
from bot.cli import main
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
