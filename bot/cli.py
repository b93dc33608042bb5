"""Command line: `redi-bot run|login|db upgrade|doctor|backup|restore|privacy|import|export|demo`. The only place
that configures logging."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import IO, Any

import click
from click.core import ParameterSource

from bot import __version__
from bot.config import Config, ConfigError, load_config
from bot.i18n import plural_category

log = logging.getLogger("bot")

CONFIG_OPTION = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=Path("config.toml"),
    show_default=True,
    help="Konfigurationsdatei (Vorlage: config.example.toml) / config file",
)


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """Where the log goes (stderr): readable lines, or one JSON object a line for a log collector, whose fields include
    the running command's `room`, `command` and `ref` (the reference id of an internal error)."""
    from bot.monitor import CommandFields

    handler = logging.StreamHandler(stream)
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(CommandFields())
    return handler


def _setup_logging(verbose: bool, log_format: str = "text") -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[log_handler(log_format)])
    # nio logs every request at INFO and warns about unverified devices on each send: too chatty.
    logging.getLogger("nio").setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("peewee").setLevel(logging.WARNING)


def _load(config_path: Path) -> Config:
    try:
        return load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="redi-bot")
@click.option("-v", "--verbose", is_flag=True, help="Mehr Protokoll / debug logging")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Protokoll als lesbarer Text oder als JSON-Zeilen (Felder room, command, ref) / log as text or JSON lines",
)
def main(verbose: bool, log_format: str) -> None:
    """redi-bot: der Matrix-Bot für re@di – regional.digital.

    \b
    Erste Schritte / first steps:
      redi-bot demo                  lokaler Testserver + Bot zum Ausprobieren
      redi-bot login -c config.toml  einmal anmelden (Gerät und Token werden gespeichert)
      redi-bot run -c config.toml    den Bot starten
    """
    _setup_logging(verbose, log_format)


@main.command()
@CONFIG_OPTION
def run(config_path: Path) -> None:
    """Startet den Bot (läuft bis SIGTERM/Strg-C) / run the bot.

    SIGHUP (`kill -HUP <pid>`, `systemctl reload`) liest die Konfiguration neu: Räume und Gruppen,
    Koordination, Städte, Einladungen, Erinnerungen … gelten sofort; was einen Neustart braucht, steht im
    Protokoll. Eine fehlerhafte Datei ändert nichts. / SIGHUP reloads the config (the log says what changed
    and what needs a restart).
    """
    from bot.app import build_app
    from bot.matrix import LoginRequired

    config = _load(config_path)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        app = build_app(config)
        loop.add_signal_handler(signal.SIGHUP, app.request_reload, config_path)
        await app.serve(stop)
        log.info("stopped cleanly")

    from bot.backup import BackupError
    from storage import DatabaseNewerThanCode

    try:
        asyncio.run(serve())
    except (LoginRequired, DatabaseNewerThanCode, BackupError) as exc:  # BotRunning, DataDirNotWritable
        raise click.ClickException(str(exc)) from exc


@main.command()
@CONFIG_OPTION
@click.option(
    "--password",
    envvar="REDI_MATRIX_PASSWORD",
    show_envvar=True,
    help="Passwort des Bots; sonst aus REDI_MATRIX_PASSWORD oder [matrix].password, erst dann wird gefragt "
    "/ the bot's password; else from REDI_MATRIX_PASSWORD or [matrix].password, only then prompted",
)
def login(config_path: Path, password: str | None) -> None:
    """Meldet den Bot einmal an und speichert Gerät und Token / log in once.

    Das Passwort kommt aus --password, der Umgebungsvariable REDI_MATRIX_PASSWORD oder [matrix].password
    der Konfiguration – dann fragt login nicht (für Skripte); sonst wird es verdeckt abgefragt.
    / The password comes from --password, REDI_MATRIX_PASSWORD or [matrix].password without a prompt
    (scripts); otherwise it is asked for.
    """
    from bot.matrix import LoginRequired, password_login

    config = _load(config_path)
    source = click.get_current_context().get_parameter_source("password")
    if password and source is ParameterSource.ENVIRONMENT:
        click.echo("Passwort aus REDI_MATRIX_PASSWORD (keine Rückfrage).", err=True)
    elif not password and config.matrix.password:
        password = config.matrix.password
        click.echo(f"Passwort aus [matrix].password in {config_path} (keine Rückfrage).", err=True)
    if not password:
        password = click.prompt(f"Passwort für {config.matrix.user_id}", hide_input=True)
    try:
        credentials = asyncio.run(password_login(config, password))
    except LoginRequired as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Angemeldet als {credentials.user_id}, Gerät {credentials.device_id}.")
    click.echo(f"Zugang gespeichert in {config.data_dir / 'credentials.json'} (nur für dich lesbar).")


@main.group()
def db() -> None:
    """Datenbank / database."""


@db.command("upgrade")
@CONFIG_OPTION
def db_upgrade(config_path: Path) -> None:
    """Bringt das Datenbankschema auf den neuesten Stand / apply migrations."""
    from bot.app import open_database

    config = _load(config_path)
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    async def upgrade() -> str | None:
        database = open_database(config)
        try:
            await database.upgrade()
            return await database.current_revision()
        finally:
            await database.dispose()

    from storage import DatabaseNewerThanCode

    try:
        revision = asyncio.run(upgrade())
    except DatabaseNewerThanCode as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Datenbank ist auf Stand {revision}.")


@main.command("backup")
@CONFIG_OPTION
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(config_path: Path, directory: Path) -> None:
    """Sichert Datenbank, Schlüssel und Zugang in einen neuen Ordner, auch während der Bot läuft / back up while the
    bot runs.

    SQLite über die Online-Sicherung von SQLite, PostgreSQL mit pg_dump (Paket postgresql-client); dazu der
    Schlüsselspeicher (data_dir/crypto) und credentials.json. manifest.json nennt Version, Datenbankstand und
    Prüfsummen. Der Ordner enthält den Zugang des Bots: so vertraulich aufbewahren wie data_dir. / The directory holds
    the bot's access token and keys: keep it as private as data_dir.
    """
    import time

    from bot.backup import BackupError, describe, describe_os_error, take_backup
    from bot.clock import SystemClock

    config = _load(config_path)
    started = time.monotonic()
    try:
        manifest = take_backup(config, directory, SystemClock().now(), __version__)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"Sichern ist gescheitert / backup failed: {describe_os_error(exc)}") from exc
    click.echo(f"Gesichert nach / backed up to {directory} in {time.monotonic() - started:.1f} s.")
    click.echo(describe(manifest))


@main.command("restore")
@CONFIG_OPTION
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Vorhandene Daten nach data_dir/before-restore-<Zeit>/ verschieben (nicht löschen) / move existing data aside",
)
def restore_command(config_path: Path, directory: Path, force: bool) -> None:
    """Spielt eine Sicherung zurück; der Bot muss gestoppt sein / restore a backup; the bot must be stopped.

    Prüft zuerst das Manifest und jede Prüfsumme, das Bot-Konto und den Datenbankstand (eine Sicherung einer neueren
    Version wird abgelehnt). Vorhandene Daten werden nur mit --force ersetzt und dann beiseitegelegt, nie gelöscht.
    / Checks manifest, checksums, account and schema first; existing data is replaced only with --force, and kept.
    """
    from bot.backup import BackupError, describe, describe_os_error, restore
    from bot.clock import SystemClock
    from storage import DatabaseNewerThanCode

    config = _load(config_path)
    try:
        restored = restore(config, directory, SystemClock().now(), force=force)
    except (BackupError, DatabaseNewerThanCode) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # before anything was moved (reading the backup, the lock): restore() undoes what it did
        raise click.ClickException(
            f"Wiederherstellen ist gescheitert, nichts geändert / restore failed, nothing changed: "
            f"{describe_os_error(exc)}"
        ) from exc
    click.echo(f"Wiederhergestellt aus / restored from {directory} in {restored.seconds:.1f} s.")
    click.echo(describe(restored.manifest))
    if restored.aside is not None:
        click.echo(f"Die vorherigen Daten liegen in / the previous data is in {restored.aside}.")
    click.echo(f"Jetzt den Bot starten / now start the bot: redi-bot run -c {config_path}")


@main.group("import")
def import_group() -> None:
    """Daten importieren / import data."""


@import_group.command("profiles")
@CONFIG_OPTION
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--apply", is_flag=True, help="wirklich speichern (sonst Probelauf) / save (default: dry run)")
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True)
def import_profiles(config_path: Path, file: Path, apply: bool, language: str) -> None:
    """Profile aus CSV/TOML importieren, alles oder nichts / import profiles, all or nothing."""
    from bot.app import open_database
    from commands.expertise.commands import ImportOutcome, run_import

    config = _load(config_path)
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    data = file.read_bytes()

    async def work() -> ImportOutcome:
        database = open_database(config)
        try:
            await database.upgrade()
            async with database.transaction() as repos:
                return await run_import(
                    repos,
                    data,
                    file.name,
                    cities=config.cities,
                    groups=config.groups,
                    language=language,
                    apply=apply,
                )
        finally:
            await database.dispose()

    outcome = asyncio.run(work())
    click.echo(outcome.report)
    if outcome.problems:
        raise SystemExit(1)
    if not apply and outcome.pending:
        click.echo("\nZum Speichern / to save: --apply")


@main.group("export")
def export_group() -> None:
    """Daten exportieren / export data."""


@export_group.command("decisions")
@CONFIG_OPTION
@click.option("--format", "fmt", type=click.Choice(["csv", "md"]), default="csv", show_default=True)
@click.option("--group", "group", default=None, help="nur diese Gruppe / only this group")
@click.option("--year", type=int, default=None, help="nur dieses Jahr / only this year")
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Datei (sonst stdout)"
)
def export_decisions(
    config_path: Path, fmt: str, group: str | None, year: int | None, language: str, output: Path | None
) -> None:
    """Beschlüsse als CSV oder Markdown / decisions as CSV or Markdown."""
    from bot.app import open_database
    from commands.arguments import resolve_name
    from commands.decisions.export import export_decisions as export

    config = _load(config_path)
    groups: list[str] | None = None
    if group is not None:
        exact, suggestion = resolve_name(group, config.groups)
        if exact is None:
            hint = f" Meintest du {suggestion}?" if suggestion else ""
            raise click.ClickException(f"Gruppe {group!r} gibt es nicht.{hint} Gruppen: {', '.join(config.groups)}")
        groups = [exact]

    async def work() -> tuple[bytes, int]:
        database = open_database(config)
        try:
            await database.upgrade()
            async with database.transaction() as repos:
                attachment, count = await export(
                    repos,
                    kind=fmt,
                    groups=groups,
                    room_id=None,
                    year=year,
                    tz=config.timezone,
                    language=language,
                    scope_label=groups[0] if groups else "",
                    group_order=config.groups,
                )
            return attachment.data, count
        finally:
            await database.dispose()

    data, count = asyncio.run(work())
    if output is None:
        click.echo(data.decode("utf-8-sig"), nl=False)
    else:
        output.write_bytes(data)
        decisions = "Beschluss" if plural_category("de", count) == "one" else "Beschlüsse"
        click.echo(f"{count} {decisions} nach {output} geschrieben.", err=True)


@main.command()
@click.option("--port", type=int, default=8008, show_default=True, help="Port des lokalen Testservers")
@click.option("--no-chat", is_flag=True, help="ohne Terminal-Chat, nur Server + Bot / no terminal chat")
@click.option(
    "--workdir",
    type=click.Path(path_type=Path),
    default=None,
    help="Ordner für Testserver und Bot (Standard: temporär) / demo data folder",
)
def demo(port: int, no_chat: bool, workdir: Path | None) -> None:
    """Lokaler Testserver + Bot + Terminal-Chat zum Ausprobieren / try it locally."""
    from bot.demo import run_demo

    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # The chat shares the terminal with the log: only problems belong there (-v shows all).
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("nio").setLevel(logging.ERROR)

    asyncio.run(run_demo(port=port, chat=not no_chat, workdir=workdir))


if __name__ == "__main__":  # pragma: no cover
    main()


@main.group("privacy")
def privacy_group() -> None:
    """Datenschutz: Auskunft, Löschung, Bericht / data protection: access, erasure, report."""


def _with_database(config: Config, work: Any) -> Any:
    from bot.app import open_database

    async def run() -> Any:
        database = open_database(config)
        try:
            await database.upgrade()
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except FileNotFoundError as exc:  # no database yet: nothing to export, forget or count
        raise click.ClickException(str(exc)) from exc


@privacy_group.command("export")
@CONFIG_OPTION
@click.argument("user_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="JSON-Datei")
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True)
def privacy_export(config_path: Path, user_id: str, output: Path, language: str) -> None:
    """Alles über eine Person als JSON (+ .md daneben) / everything about a person (Art. 15)."""
    from bot.clock import SystemClock
    from commands.privacy.admin import export_person

    config = _load(config_path)
    export = _with_database(config, lambda db: export_person(db, _user_id(user_id), SystemClock().now()))
    output.write_bytes(export.json_bytes())
    output.with_suffix(".md").write_text(export.markdown(language), encoding="utf-8")
    click.echo(f"{export.count} Einträge nach {output} und {output.with_suffix('.md')} geschrieben.", err=True)


@privacy_group.command("forget")
@CONFIG_OPTION
@click.argument("user_id")
@click.option("--yes", is_flag=True, help="ohne Rückfrage / do not ask")
def privacy_forget(config_path: Path, user_id: str, yes: bool) -> None:
    """Eine Person löschen, wie !vergissmich / erase a person, as !forgetme (Art. 17)."""
    from bot.clock import SystemClock
    from commands.privacy.admin import forget_person

    config = _load(config_path)
    user_id = _user_id(user_id)
    if not yes:
        click.confirm(
            f"{user_id}: Profil, Einstellungen, Erinnerungen und offene Angebote löschen, in Beschlüssen, Protokollen "
            "und Vertretungen pseudonymisieren. Das lässt sich nicht rückgängig machen. Weiter?",
            abort=True,
        )
    result = _with_database(config, lambda db: forget_person(db, config, user_id, SystemClock().now()))
    if result is None:
        click.echo(f"Über {user_id} ist nichts gespeichert; nichts zu löschen.", err=True)
        return
    deleted = sum(result.deleted.values())
    changed = sum(result.pseudonymized.values())
    click.echo(
        f"Gelöscht: {deleted} Einträge; pseudonymisiert als „{result.pseudonym}“: {changed} Einträge; "
        f"{len(result.withdrawn)} Anfragende werden vom Bot benachrichtigt, {len(result.changed_requests)} "
        "veröffentlichte Aufrufe geändert (der laufende Bot sendet das binnen einer Minute, sonst beim nächsten "
        "Start).",
        err=True,
    )


@privacy_group.command("report")
@CONFIG_OPTION
def privacy_report(config_path: Path) -> None:
    """Einträge je Tabelle und ihr Alter / rows per table and their age."""
    from commands.privacy.admin import report

    config = _load(config_path)
    rows, forgotten = _with_database(config, report)
    click.echo(f"{'Tabelle / table':<24} {'Einträge':>9}  ältester / oldest   neuester / newest")
    for row in rows:
        oldest = row.oldest.date().isoformat() if row.oldest else "–"
        newest = row.newest.date().isoformat() if row.newest else "–"
        click.echo(f"{row.table:<24} {row.rows:>9}  {oldest:<18} {newest}")
    click.echo(f"Gelöscht auf Wunsch (ehemalige Mitglieder) / erased on request: {forgotten}")


@privacy_group.command("notice")
@CONFIG_OPTION
@click.option("--language", type=click.Choice(["de", "en"]), default=None, help="nur diese Sprache / one language")
def privacy_notice_command(config_path: Path, language: str | None) -> None:
    """Der Datenschutzhinweis für diese Konfiguration (Markdown) / the privacy notice for this config."""
    from commands.privacy.notice import config_notice, readme_section

    config = _load(config_path)
    click.echo(readme_section(config) if language is None else config_notice(config, language, paragraphs=True))


def _user_id(text: str) -> str:
    from storage.text import MATRIX_USER_ID

    if not MATRIX_USER_ID.fullmatch(text):
        raise click.ClickException(f"{text!r} ist keine Matrix-ID wie @name:example.org")
    return text


@main.command()
@CONFIG_OPTION
@click.option("--offline", is_flag=True, help="den Homeserver nicht fragen / do not ask the homeserver")
@click.option("--language", "--lang", "language", type=click.Choice(["de", "en"]), default="de", show_default=True)
def doctor(config_path: Path, offline: bool, language: str) -> None:
    """Prüft Konfiguration, Dateien, Datenbank, Anmeldung, Schlüssel, Räume und Rechte / check the installation.

    Ändert nichts (legt nichts an, migriert nichts), läuft also auch neben dem Bot; als Benutzer des Bots
    aufrufen. Exit-Code 1 bei Fehlern, sonst 0. / Changes nothing; run it as the bot's user. Exit code 1 on
    errors, else 0.
    """
    from bot.doctor import Status, diagnose, render, worst

    if not logging.getLogger().isEnabledFor(logging.DEBUG):  # nio warns about every error answer: doctor explains it
        logging.getLogger("nio").setLevel(logging.ERROR)
    findings = asyncio.run(diagnose(config_path, online=not offline))
    click.echo(render(findings, language))
    if worst(findings) is Status.ERROR:
        raise SystemExit(1)
