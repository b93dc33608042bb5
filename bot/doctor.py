"""`redi-bot doctor`: checks an installation as the bot will use it, and says for each problem what to do.

It changes nothing of the bot's: no directory, database or encryption store is created, nothing is migrated,
nothing synced or uploaded. So it is safe next to a running bot and before the first start. (It takes one one-time
key from the homeserver to check its signature, as every client does that starts an encrypted chat with the bot.)
File permissions are judged as seen by whoever runs it, which is why the README says to run it as the bot's user.
"""

from __future__ import annotations

import enum
import os
import shutil
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url

from bot.clock import Clock, SystemClock
from bot.config import Config, ConfigError, load_config
from bot.errors import Localized
from bot.matrix import Credentials, LoginRequired, MatrixError
from bot.probe import Probe, RoomState, local_device_key
from storage import Database, DatabaseNewerThanCode, normalize_url
from storage.db import head_revision, revisions_after

# More than this between our clock and the homeserver's shows in reminders and in which commands count as too old.
CLOCK_SKEW_LIMIT = timedelta(seconds=30)
# Free space where the bot keeps its data (SQLite, the key store): below the first two it is time to act, below the
# last the next write may fail. 5 % too, as a nearly full file system also slows down before it fills up.
LOW_DISK_BYTES = 500_000_000
LOW_DISK_SHARE = 0.05
FULL_DISK_BYTES = 50_000_000
DEFAULT_TIMEZONE = "Europe/Berlin"  # [bot].timezone when the config sets none
SHOWN_MEMBERS = 3  # a warning about members names this many of them, then counts the rest
ROLES_HELP = Localized(
    "Element → Raumeinstellungen → Rollen & Berechtigungen", "Element → Room settings → Roles & Permissions"
)
ROOM_ID_HELP = Localized(
    "Element: Raumeinstellungen → Erweitert → Interne Raum-ID", "Element: Room settings → Advanced → Internal room ID"
)


class Status(enum.IntEnum):
    OK = 0
    NOTE = 1  # worth knowing, nothing to do
    WARNING = 2  # the bot runs, but something will not work as the admin expects
    ERROR = 3  # the bot will not start, or cannot do its work


LABELS: Mapping[Status, Localized] = {
    Status.OK: Localized("ok", "ok"),
    Status.NOTE: Localized("Hinweis", "note"),
    Status.WARNING: Localized("WARNUNG", "WARNING"),
    Status.ERROR: Localized("FEHLER", "ERROR"),
}


@dataclass(frozen=True)
class Finding:
    status: Status
    text: Localized
    fix: Localized | None = None  # what to do about it


def _finding(status: Status, de: str, en: str, fix_de: str | None = None, fix_en: str | None = None) -> Finding:
    fix = Localized(fix_de, fix_en or fix_de) if fix_de else None
    return Finding(status, Localized(de, en), fix)


async def diagnose(
    config_path: Path, *, env: Mapping[str, str] | None = None, clock: Clock | None = None, online: bool = True
) -> list[Finding]:
    """Every check, in the order an admin fixes things: config, files, database, homeserver, login, keys, rooms,
    coordinators."""
    try:
        config = load_config(config_path, env)
    except ConfigError as exc:
        broken = _finding(
            Status.ERROR,
            str(exc),
            str(exc),
            "Vorlage mit allen Schlüsseln: config.example.toml",
            "the template with every key: config.example.toml",
        )
        # Without time zone data every [bot].timezone looks wrong to the config: say the real cause too.
        return [broken, *(f for f in _time_zones(DEFAULT_TIMEZONE) if f.status is Status.ERROR)]
    findings = [_finding(Status.OK, f"Konfiguration {config_path} ist gültig", f"config {config_path} is valid")]
    findings += _config_file(config_path)
    findings += _time_zones(config.timezone.key)
    findings += _invites(config)
    findings += _data_dir(config.data_dir)
    findings += _disk_space(config.data_dir)
    credentials, found = _credentials(config, config_path)
    findings += found
    findings += await _database(config, config_path)
    if online:
        findings += await _homeserver(config, config_path, credentials, clock or SystemClock())
    else:
        findings.append(
            _finding(Status.NOTE, "Homeserver nicht gefragt (--offline)", "homeserver not asked (--offline)")
        )
    return findings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _config_file(path: Path) -> list[Finding]:
    """A password or token in the file is as secret as the file's permissions make it."""
    try:
        in_file = load_config(path, env={}).matrix
    except ConfigError:  # only the environment's secrets made it valid: nothing secret in the file then
        return []
    secrets = [key for key, value in (("password", in_file.password), ("access_token", in_file.access_token)) if value]
    info = path.stat()
    # Group-readable is how contrib/redi-bot.service keeps it (root:redi-bot, 0640): fine for the bot's own group.
    if not secrets or not (
        info.st_mode & stat.S_IROTH or (info.st_mode & stat.S_IRGRP and info.st_gid != os.getegid())
    ):
        return []
    keys = " und ".join(f"[matrix].{key}" for key in secrets)
    keys_en = " and ".join(f"[matrix].{key}" for key in secrets)
    return [
        _finding(
            Status.WARNING,
            f"{path} enthält {keys} und ist für andere lesbar (Modus {_mode(path):04o})",
            f"{path} holds {keys_en} and others can read it (mode {_mode(path):04o})",
            f"chmod 600 {path} – oder das Geheimnis aus der Datei nehmen und REDI_MATRIX_PASSWORD setzen "
            "(nach `redi-bot login` braucht der Bot kein Passwort mehr)",
            f"chmod 600 {path} – or take the secret out of the file and set REDI_MATRIX_PASSWORD (after "
            "`redi-bot login` the bot needs no password)",
        )
    ]


def _invites(config: Config) -> list[Finding]:
    own = config.matrix.user_id.split(":", 1)[1]
    servers, users = sorted(config.invite_servers), sorted(config.invite_users)
    if not servers and not users:
        return [
            _finding(
                Status.WARNING,
                "[invites] erlaubt niemandem, den Bot einzuladen: er lehnt jede Einladung ab",
                "[invites] allows nobody to invite the bot: it declines every invite",
                f'[invites].allowed_servers = ["{own}"] (der Server eures Homeservers) eintragen',
                f'set [invites].allowed_servers = ["{own}"] (your homeserver\'s name)',
            )
        ]
    if "example.org" in servers and own != "example.org":
        return [
            _finding(
                Status.WARNING,
                "[invites].allowed_servers enthält noch example.org aus der Vorlage",
                "[invites].allowed_servers still holds example.org from the template",
                f'durch den Namen eures Homeservers ersetzen, z. B. "{own}"; sonst lehnt der Bot eure Einladungen ab',
                f'replace it with your homeserver\'s name, e.g. "{own}"; otherwise the bot declines your invites',
            )
        ]
    who = ", ".join(servers + users)
    return [_finding(Status.OK, f"Einladungen angenommen von: {who}", f"invites accepted from: {who}")]


def _time_zones(configured: str) -> list[Finding]:
    """Dates are read and shown in [bot].timezone: its rules come from the system or the tzdata package."""
    missing = []
    for name in dict.fromkeys((configured, DEFAULT_TIMEZONE)):
        try:
            ZoneInfo.no_cache(name)  # not a cached copy: is the data there now?
        except (ZoneInfoNotFoundError, ValueError, OSError):
            missing.append(name)
    if missing:
        names = ", ".join(missing)
        return [
            _finding(
                Status.ERROR,
                f"keine Zeitzonendaten für {names}: der Bot kann keine Zeiten lesen oder zeigen",
                f"no time zone data for {names}: the bot cannot read or show times",
                "pip install tzdata (in der Umgebung des Bots, z. B. /opt/redi-bot/.venv/bin/pip install tzdata) – "
                "oder das Systempaket tzdata installieren",
                "pip install tzdata (in the bot's environment, e.g. /opt/redi-bot/.venv/bin/pip install tzdata) – or "
                "install the system package tzdata",
            )
        ]
    return [_finding(Status.OK, f"Zeitzone {configured}", f"time zone {configured}")]


def _data_dir(data_dir: Path) -> list[Finding]:
    if not data_dir.exists():
        return [
            _finding(
                Status.NOTE,
                f"Datenordner {data_dir} gibt es noch nicht; `redi-bot login` oder der erste Start legt ihn an",
                f"data folder {data_dir} does not exist yet; `redi-bot login` or the first start creates it",
            )
        ]
    if not data_dir.is_dir():
        return [
            _finding(
                Status.ERROR,
                f"[bot].data_dir {data_dir} ist kein Ordner",
                f"[bot].data_dir {data_dir} is not a folder",
                "einen Ordner angeben (dort liegen Zugang, Schlüssel und die SQLite-Datenbank)",
                "name a folder (it holds the login, the keys and the SQLite database)",
            )
        ]
    if not os.access(data_dir, os.W_OK | os.X_OK):
        return [
            _finding(
                Status.ERROR,
                f"Datenordner {data_dir} ist für diesen Benutzer nicht beschreibbar",
                f"data folder {data_dir} is not writable for this user",
                f"doctor als Benutzer des Bots aufrufen (sudo -u redi-bot …); sonst chown -R <Bot-Benutzer> {data_dir}",
                f"run doctor as the bot's user (sudo -u redi-bot …), otherwise: chown -R <bot user> {data_dir}",
            )
        ]
    if _mode(data_dir) & 0o077:
        return [
            _finding(
                Status.WARNING,
                f"Datenordner {data_dir} ist für andere lesbar (Modus {_mode(data_dir):04o}); dort liegen "
                "Zugangstoken und Schlüssel",
                f"data folder {data_dir} is readable by others (mode {_mode(data_dir):04o}); it holds the access "
                "token and the keys",
                f"chmod 700 {data_dir}",
            )
        ]
    return [_finding(Status.OK, f"Datenordner {data_dir}", f"data folder {data_dir}")]


def _disk_space(data_dir: Path) -> list[Finding]:
    """A full disk breaks every write: SQLite, the key store, the sync token (then commands are answered twice)."""
    folder = data_dir
    while not folder.exists() and folder != folder.parent:  # before the first start: where it will be created
        folder = folder.parent
    try:
        usage = shutil.disk_usage(folder)
    except OSError as exc:
        return [
            _finding(
                Status.NOTE,
                f"freier Platz in {folder} nicht prüfbar: {exc}",
                f"cannot check free space in {folder}: {exc}",
            )
        ]
    share = usage.free / usage.total if usage.total else 0.0
    free_de, free_en = _size(usage.free, "de"), _size(usage.free, "en")
    percent = f"{share * 100:.0f} %"
    if usage.free >= LOW_DISK_BYTES and share >= LOW_DISK_SHARE:
        return [_finding(Status.OK, f"{free_de} frei in {folder}", f"{free_en} free in {folder}")]
    full = usage.free < FULL_DISK_BYTES
    return [
        _finding(
            Status.ERROR if full else Status.WARNING,
            f"nur noch {free_de} frei ({percent}) auf dem Datenträger von {folder}"
            + (": der Bot kann bald nichts mehr speichern" if full else ""),
            f"only {free_en} free ({percent}) on the disk of {folder}"
            + (": the bot may soon fail to save" if full else ""),
            "Platz schaffen (alte Sicherungen, Logs: journalctl --vacuum-size=200M) oder [bot].data_dir auf einen "
            "größeren Datenträger legen",
            "free some space (old backups, logs: journalctl --vacuum-size=200M) or move [bot].data_dir to a larger "
            "disk",
        )
    ]


def _size(size: int, language: str) -> str:
    if size >= 1_000_000_000:
        shown = f"{size / 1_000_000_000:.1f}"
        return (shown.replace(".", ",") if language == "de" else shown) + " GB"
    return f"{size // 1_000_000} MB"


def _credentials(config: Config, config_path: Path) -> tuple[Credentials | None, list[Finding]]:
    """The access the bot will use, as `MatrixTransport.connect` picks it: the stored login, else the config's."""
    path = Credentials.path(config.data_dir)
    login = f"redi-bot login -c {config_path}"
    try:
        credentials = Credentials.load(config.data_dir)
    except (LoginRequired, OSError) as exc:
        return None, [_finding(Status.ERROR, f"{path}: {exc}", f"{path}: {exc}", login)]
    matrix = config.matrix
    if credentials is None:
        if matrix.access_token and matrix.device_id:
            stored = Credentials(matrix.homeserver, matrix.user_id, matrix.device_id, matrix.access_token)
            return stored, [
                _finding(
                    Status.OK,
                    f"Zugang aus [matrix].access_token, Gerät {matrix.device_id}",
                    f"access from [matrix].access_token, device {matrix.device_id}",
                )
            ]
        if matrix.password:
            return None, [
                _finding(
                    Status.NOTE,
                    "noch nicht angemeldet: der erste Start meldet sich mit dem Passwort an",
                    "not logged in yet: the first start logs in with the password",
                    f"oder jetzt: {login}",
                    f"or now: {login}",
                )
            ]
        return None, [
            _finding(
                Status.ERROR,
                f"keine Zugangsdaten ({path} fehlt, kein Passwort, kein Token)",
                f"no credentials ({path} is missing, no password, no token)",
                login,
            )
        ]
    if credentials.user_id != matrix.user_id:
        return None, [
            _finding(
                Status.ERROR,
                f"{path} gehört zu {credentials.user_id}, die Konfiguration nennt {matrix.user_id}",
                f"{path} belongs to {credentials.user_id}, the config names {matrix.user_id}",
                login,
            )
        ]
    found = [
        _finding(
            Status.OK,
            f"angemeldet als {credentials.user_id}, Gerät {credentials.device_id} ({path})",
            f"logged in as {credentials.user_id}, device {credentials.device_id} ({path})",
        )
    ]
    if _mode(path) & 0o077:
        found.append(
            _finding(
                Status.WARNING,
                f"{path} (das Zugangstoken) ist für andere lesbar (Modus {_mode(path):04o})",
                f"{path} (the access token) is readable by others (mode {_mode(path):04o})",
                f"chmod 600 {path}",
            )
        )
    return credentials, found


def _sqlite_file(database: Path, data_dir: Path) -> Finding | None:
    """What is wrong with the SQLite file before connecting (which would create it), if anything."""
    file = database.expanduser()
    if not file.exists():  # connecting would create it: say what the start will do instead
        if file.parent.is_dir() or file.parent == data_dir:
            return _finding(
                Status.NOTE,
                f"noch keine Datenbank {file}; der erste Start (oder `redi-bot db upgrade`) legt sie an",
                f"no database {file} yet; the first start (or `redi-bot db upgrade`) creates it",
            )
        return _finding(
            Status.ERROR,
            f"[bot].database_url: den Ordner {file.parent} gibt es nicht",
            f"[bot].database_url: the folder {file.parent} does not exist",
            f"mkdir -m 700 {file.parent} – oder database_url weglassen (dann liegt sie im Datenordner)",
            f"mkdir -m 700 {file.parent} – or leave database_url out (then it lives in the data folder)",
        )
    if not (os.access(file, os.R_OK | os.W_OK) and os.access(file.parent, os.W_OK | os.X_OK)):
        return _finding(
            Status.ERROR,
            f"Datenbank {file} oder ihr Ordner ist für diesen Benutzer nicht beschreibbar (SQLite braucht beides)",
            f"database {file} or its folder is not writable for this user (SQLite needs both)",
            f"doctor als Benutzer des Bots aufrufen, sonst: chown <Bot-Benutzer> {file} {file.parent}",
            f"run doctor as the bot's user, otherwise: chown <bot user> {file} {file.parent}",
        )
    return None


async def _database(config: Config, config_path: Path) -> list[Finding]:
    try:
        url = make_url(normalize_url(config.database_url))
    except ValueError as exc:
        return [_finding(Status.ERROR, f"[bot].database_url: {exc}", f"[bot].database_url: {exc}")]
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        problem = _sqlite_file(Path(url.database), config.data_dir)
        if problem is not None:
            return [problem]
    database = Database(config.database_url)
    try:
        revision = await database.current_revision()
    except Exception as exc:  # whatever the driver says: unreachable, refused, no such database …
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return [
            _finding(
                Status.ERROR,
                f"Datenbank {database.url} nicht erreichbar: {reason}",
                f"database {database.url} not reachable: {reason}",
                "[bot].database_url, Server, Benutzer und Rechte prüfen",
                "check [bot].database_url, the server, the user and its rights",
            )
        ]
    finally:
        await database.dispose()
    pending = revisions_after(revision)
    if revision is None:
        return [
            _finding(
                Status.NOTE,
                f"Datenbank {database.url} ist leer; der erste Start legt die Tabellen an",
                f"database {database.url} is empty; the first start creates the tables",
            )
        ]
    if pending is None:
        newer = str(DatabaseNewerThanCode(revision, head_revision()))
        return [_finding(Status.ERROR, newer, newer)]
    if not pending:
        return [
            _finding(
                Status.OK, f"Datenbank {database.url}, Stand {revision}", f"database {database.url}, at {revision}"
            )
        ]
    steps = pending[0] if len(pending) == 1 else f"{pending[0]}–{pending[-1]}"
    return [
        _finding(
            Status.NOTE,
            f"Datenbank {database.url} hat Stand {revision}; der nächste Start migriert sie ({steps})",
            f"database {database.url} is at {revision}; the next start migrates it ({steps})",
            f"vorher sichern; oder gleich: redi-bot db upgrade -c {config_path}",
            f"back it up first; or now: redi-bot db upgrade -c {config_path}",
        )
    ]


async def _homeserver(
    config: Config, config_path: Path, credentials: Credentials | None, clock: Clock
) -> list[Finding]:
    homeserver = config.matrix.homeserver
    probe = Probe(homeserver, credentials)
    try:
        before = clock.now()
        try:
            server = await probe.server()
        except MatrixError as exc:
            return [
                _finding(
                    Status.ERROR,
                    f"Homeserver {homeserver}: {exc}",
                    f"homeserver {homeserver}: {exc}",
                    "[matrix].homeserver prüfen (die Adresse der Client-API, z. B. https://matrix.example.org), "
                    "dazu Netz, Proxy und Firewall",
                    "check [matrix].homeserver (the client API's address, e.g. https://matrix.example.org), the "
                    "network, proxy and firewall",
                )
            ]
        after = clock.now()
        newest = server.versions[-1] if server.versions else "?"
        found = [
            _finding(
                Status.OK,
                f"Homeserver {homeserver} antwortet (Matrix {newest})",
                f"homeserver {homeserver} answers (Matrix {newest})",
            )
        ]
        if server.date is not None:
            skew = server.date - (before + (after - before) / 2)
            if abs(skew) > CLOCK_SKEW_LIMIT:
                found.append(_clock_skew(skew))
        if credentials is None:
            return found
        found += await _login(probe, credentials, config_path)
        if found[-1].status is Status.ERROR:
            return found
        found += await _encryption(probe, config.data_dir, credentials)
        found += await _rooms(probe, config)
        found += await _coordinators(probe, config)
        return found
    finally:
        await probe.close()


def _clock_skew(skew: timedelta) -> Finding:
    seconds = round(abs(skew.total_seconds()))
    ahead = skew < timedelta(0)  # the homeserver's clock is behind ours
    return _finding(
        Status.WARNING,
        f"die Uhr dieses Rechners geht {seconds} s {'vor' if ahead else 'nach'} (verglichen mit dem Homeserver)",
        f"this machine's clock is {seconds} s {'ahead' if ahead else 'behind'} (compared with the homeserver)",
        "Zeit synchronisieren (timedatectl status; chrony oder systemd-timesyncd). Sonst kommen Erinnerungen zur "
        "falschen Zeit, und eine Uhr, die mehr als [bot].max_command_age_seconds vorgeht, lässt den Bot jeden Befehl "
        "als zu alt übergehen",
        "synchronize the time (timedatectl status; chrony or systemd-timesyncd). Otherwise reminders go out at the "
        "wrong time, and a clock ahead by more than [bot].max_command_age_seconds makes the bot ignore every command "
        "as too old",
    )


async def _login(probe: Probe, credentials: Credentials, config_path: Path) -> list[Finding]:
    login = f"redi-bot login -c {config_path}"
    try:
        me = await probe.whoami()
    except LoginRequired as exc:
        return [
            _finding(
                Status.ERROR,
                f"der Homeserver nimmt den gespeicherten Zugang nicht mehr an ({exc})",
                f"the homeserver no longer accepts the stored access ({exc})",
                login,
            )
        ]
    except MatrixError as exc:
        return [_finding(Status.ERROR, f"Anmeldung nicht prüfbar: {exc}", f"cannot check the login: {exc}")]
    if me.user_id != credentials.user_id or (me.device_id and me.device_id != credentials.device_id):
        return [
            _finding(
                Status.ERROR,
                f"der Zugang gehört zu {me.user_id}, Gerät {me.device_id}, nicht zu {credentials.user_id}, Gerät "
                f"{credentials.device_id}",
                f"the access belongs to {me.user_id}, device {me.device_id}, not to {credentials.user_id}, device "
                f"{credentials.device_id}",
                login,
            )
        ]
    return [_finding(Status.OK, "der Homeserver nimmt den Zugang an", "the homeserver accepts the access")]


async def _encryption(probe: Probe, data_dir: Path, credentials: Credentials) -> list[Finding]:
    """The keys other clients encrypt for must be the ones in the bot's store, or it cannot read what they send."""
    device = credentials.device_id
    store = data_dir / "crypto"
    try:
        published = await probe.published_device_key()
        local = local_device_key(data_dir, credentials)
    except Exception as exc:  # an unreadable or damaged store, a refused query: say it, the other checks go on
        return [_finding(Status.ERROR, f"Schlüssel nicht prüfbar: {exc}", f"cannot check the keys: {exc}")]
    if published is None:
        return [
            _finding(
                Status.NOTE,
                f"Gerät {device} hat noch keine Schlüssel hochgeladen; das tut der nächste Start",
                f"device {device} has uploaded no keys yet; the next start does",
            )
        ]
    if local != published:
        what = "fehlt" if local is None else "passt nicht zu den Schlüsseln auf dem Homeserver"
        what_en = "is missing" if local is None else "does not match the keys on the homeserver"
        return [
            _finding(
                Status.ERROR,
                f"der Schlüsselspeicher {store} für Gerät {device} {what}: verschlüsselte Nachrichten an den Bot "
                "kann er so nicht sicher lesen",
                f"the key store {store} for device {device} {what_en}: the bot cannot reliably read encrypted messages",
                f"{store} aus der Sicherung zurückspielen; ohne Sicherung: Bot stoppen, {Credentials.path(data_dir)} "
                "löschen, `redi-bot login` (neues Gerät), starten",
                f"restore {store} from the backup; without one: stop the bot, delete {Credentials.path(data_dir)}, "
                "`redi-bot login` (a new device), start",
            )
        ]
    try:
        signed = await probe.one_time_key_signed(published)
    except MatrixError as exc:
        return [_finding(Status.ERROR, f"Einmalschlüssel nicht prüfbar: {exc}", f"cannot check one-time keys: {exc}")]
    if signed is False:
        return [
            _finding(
                Status.ERROR,
                f"der Homeserver verteilt für Gerät {device} Einmalschlüssel, die nicht von seinem Schlüssel "
                "unterschrieben sind (der Schlüsselspeicher ging verloren und der Bot lief danach weiter?): neue "
                "verschlüsselte Chats mit dem Bot bleiben unlesbar",
                f"the homeserver hands out one-time keys for device {device} that its key did not sign (the key store "
                "was lost and the bot started again?): new encrypted chats with the bot cannot be read",
                f"Bot stoppen, {Credentials.path(data_dir)} löschen, `redi-bot login` (neues Gerät), starten",
                f"stop the bot, delete {Credentials.path(data_dir)}, `redi-bot login` (a new device), start",
            )
        ]
    return [
        _finding(
            Status.OK,
            f"Verschlüsselung: die Schlüssel von Gerät {device} stimmen mit dem Homeserver überein",
            f"encryption: the keys of device {device} match the homeserver's",
        )
    ]


async def _rooms(probe: Probe, config: Config) -> list[Finding]:
    entries = [(room, f'[rooms] "{room}"') for room in config.room_groups]
    if config.network_room:
        entries.insert(0, (config.network_room, "[network].network_room"))
    if not entries:
        return [
            _finding(
                Status.NOTE,
                "[rooms] und [network].network_room nennen keine Räume",
                "[rooms] and [network].network_room name no rooms",
                "die Räume der Projektgruppen eintragen (README, Betrieb, Schritt 6)",
                "name the project groups' rooms (README, running it, step 6)",
            )
        ]
    try:
        joined = await probe.joined_rooms()
    except MatrixError as exc:
        return [_finding(Status.ERROR, f"Räume nicht prüfbar: {exc}", f"cannot check the rooms: {exc}")]
    found: list[Finding] = []
    present: dict[str, str] = {}  # room id -> how the config names it, for the rooms the bot is in
    for room, where in entries:
        try:
            room_id = await probe.resolve_alias(room) if room.startswith("#") else room
        except MatrixError as exc:
            found.append(_finding(Status.ERROR, f"{where}: {exc}", f"{where}: {exc}"))
            continue
        if room_id is None:
            found.append(
                _finding(
                    Status.ERROR,
                    f"{where}: der Homeserver kennt die Adresse {room} nicht; der Bot übergeht den Eintrag",
                    f"{where}: the homeserver knows no address {room}; the bot ignores the entry",
                    f"Schreibweise prüfen oder die Raum-ID eintragen ({ROOM_ID_HELP.de})",
                    f"check the spelling or write the room id ({ROOM_ID_HELP.en})",
                )
            )
            continue
        shown = room if room == room_id else f"{room} ({room_id})"
        if room_id in joined:
            present.setdefault(room_id, shown)
            continue
        found.append(
            _finding(
                Status.WARNING,
                f"{where}: der Bot ist nicht im Raum {shown}",
                f"{where}: the bot is not in the room {shown}",
                "den Bot in den Raum einladen (von einem Konto auf einem Server aus [invites])",
                "invite the bot into the room (from an account on a server in [invites])",
            )
        )
    if not found:
        found.append(
            _finding(
                Status.OK,
                f"der Bot ist in allen {len(entries)} Räumen der Konfiguration",
                f"the bot is in all {len(entries)} rooms of the config",
            )
        )
    for room_id, shown in present.items():
        try:
            state = await probe.room_state(room_id)
        except MatrixError as exc:
            found.append(
                _finding(Status.ERROR, f"Raum {shown} nicht prüfbar: {exc}", f"cannot check the room {shown}: {exc}")
            )
            continue
        found += _power(state, config.matrix.user_id, shown)
        found += _members_may_invite(state, config, shown)
    return found


# What the bot sends into a room: replies and edits (messages; m.room.encrypted in an encrypted room) and reactions
# that acknowledge a command. It never redacts, so the room's `redact` level does not matter to it.
def sent_event_types(state: RoomState) -> tuple[str, str]:
    return ("m.room.encrypted" if state.encrypted else "m.room.message", "m.reaction")


def _level(value: Any, default: int) -> int:
    """A power level as rooms store it: an integer, in old rooms also a string of one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def power_level(state: RoomState, user_id: str) -> int | None:
    """`user_id`'s power level in the room; None for unlimited (a creator of a room of version 12 or later)."""
    version = state.version
    if version.isdigit() and int(version) >= 12 and user_id in state.creators:
        return None
    levels = state.power_levels
    if levels is None:  # a room without m.room.power_levels: its creator has 100, everyone else 0
        return 100 if user_id in state.creators else 0
    users = levels.get("users")
    users = users if isinstance(users, dict) else {}
    default = _level(levels.get("users_default"), 0)
    return _level(users.get(user_id, default), default)


def needed_level(state: RoomState, event_type: str) -> int:
    """The power level sending an `event_type` event takes: its entry in `events`, else `events_default`."""
    levels = state.power_levels or {}
    events = levels.get("events")
    events = events if isinstance(events, dict) else {}
    default = _level(levels.get("events_default"), 0)
    return _level(events.get(event_type, default), default)


def missing_power(state: RoomState, user_id: str) -> dict[str, int]:
    """The event types the bot sends that its power level does not allow, with the level each takes."""
    level = power_level(state, user_id)
    if level is None:
        return {}
    needed = {kind: needed_level(state, kind) for kind in sent_event_types(state)}
    return {kind: at_least for kind, at_least in needed.items() if at_least > level}


def _power(state: RoomState, user_id: str, shown: str) -> list[Finding]:
    missing = missing_power(state, user_id)
    if not missing:
        return []
    level, needed = power_level(state, user_id), max(missing.values())
    fix = Localized(
        f"dem Bot im Raum {shown} mindestens Berechtigungsstufe {needed} geben: {ROLES_HELP.de}",
        f"give the bot at least power level {needed} in the room {shown}: {ROLES_HELP.en}",
    )
    if "m.reaction" in missing and len(missing) == 1:
        return [
            Finding(
                Status.WARNING,
                Localized(
                    f"der Bot darf im Raum {shown} nicht reagieren (Berechtigungsstufe {level}, Reaktionen brauchen "
                    f"{needed}): Befehle, die er nur mit einer Reaktion bestätigt, bleiben scheinbar unbeantwortet",
                    f"the bot may not react in the room {shown} (power level {level}, reactions need {needed}): "
                    "commands it acknowledges with a reaction only look unanswered",
                ),
                fix,
            )
        ]
    return [
        Finding(
            Status.ERROR,
            Localized(
                f"der Bot darf im Raum {shown} nicht schreiben: seine Berechtigungsstufe ist {level}, "
                f"{' und '.join(f'{kind} braucht {n}' for kind, n in missing.items())}",
                f"the bot may not write in the room {shown}: its power level is {level}, "
                f"{' and '.join(f'{kind} needs {n}' for kind, n in missing.items())}",
            ),
            fix,
        )
    ]


def members_not_allowed(state: RoomState, config: Config) -> list[str]:
    """The room's members (but the bot) whose invites the bot declines."""
    return sorted(m for m in state.members if m != config.matrix.user_id and not config.may_invite(m))


def _members_may_invite(state: RoomState, config: Config, shown: str) -> list[Finding]:
    """People in a project group's room expect to be able to invite the bot into their other rooms too."""
    members = members_not_allowed(state, config)
    if not members:
        return []
    named = ", ".join(members[:SHOWN_MEMBERS])
    rest = len(members) - SHOWN_MEMBERS
    servers = ", ".join(f'"{server}"' for server in sorted({m.partition(":")[2] for m in members}))
    count_de = "1 Mitglied" if len(members) == 1 else f"{len(members)} Mitglieder"
    count_en = "1 member" if len(members) == 1 else f"{len(members)} members"
    may_de = "darf" if len(members) == 1 else "dürfen"
    return [
        _finding(
            Status.WARNING,
            f"{count_de} im Raum {shown} {may_de} den Bot nicht einladen (nicht in [invites]): {named}"
            + (f" und {rest} weitere" if rest > 0 else ""),
            f"{count_en} of the room {shown} may not invite the bot (not in [invites]): {named}"
            + (f" and {rest} more" if rest > 0 else ""),
            f"wenn sie den Bot einladen sollen: {servers} in [invites].allowed_servers aufnehmen (oder die Personen "
            "in allowed_users)",
            f"if they should be able to invite the bot: add {servers} to [invites].allowed_servers (or the people to "
            "allowed_users)",
        )
    ]


async def _coordinators(probe: Probe, config: Config) -> list[Finding]:
    """A mistyped coordinator is a WARNING, not an error: the bot runs, only nobody has those rights. And a profile
    lookup also answers 404 for a deactivated account, which the admin may know about."""
    found: list[Finding] = []
    for user_id in sorted(config.coordinators):
        try:
            exists = await probe.profile_exists(user_id)
        except MatrixError as exc:  # another server not reachable, federation not allowed, profiles hidden
            found.append(
                _finding(
                    Status.NOTE,
                    f"[network].coordinators: {user_id} nicht prüfbar ({exc})",
                    f"[network].coordinators: cannot check {user_id} ({exc})",
                    "die Schreibweise selbst prüfen",
                    "check its spelling yourself",
                )
            )
            continue
        if not exists:
            found.append(
                _finding(
                    Status.WARNING,
                    f"[network].coordinators: den Benutzer {user_id} kennt der Homeserver nicht; diese Person hat "
                    "keine Koordinationsrechte",
                    f"[network].coordinators: the homeserver knows no user {user_id}; these coordinator rights go to "
                    "nobody",
                    "Tippfehler? Die volle Matrix-ID eintragen (@name:server; Element zeigt sie im Profil der Person)",
                    "a typo? Write the full Matrix id (@name:server; Element shows it in the person's profile)",
                )
            )
    if config.coordinators and not found:
        found.append(
            _finding(
                Status.OK,
                f"die Konten aus [network].coordinators gibt es ({len(config.coordinators)})",
                f"the accounts in [network].coordinators exist ({len(config.coordinators)})",
            )
        )
    return found


def worst(findings: list[Finding]) -> Status:
    return max((f.status for f in findings), default=Status.OK)


def render(findings: list[Finding], language: str) -> str:
    """One line per finding, its fix below it, and a last line that counts errors and warnings."""
    width = max(len(label.pick(language)) for label in LABELS.values())
    lines: list[str] = []
    for finding in findings:
        lines.append(f"{LABELS[finding.status].pick(language):<{width}}  {finding.text.pick(language)}")
        if finding.fix is not None:
            lines.append(f"{'':<{width}}  → {finding.fix.pick(language)}")
    errors = sum(f.status is Status.ERROR for f in findings)
    warnings = sum(f.status is Status.WARNING for f in findings)
    lines.append("")
    lines.append(_summary(errors, warnings, language))
    return "\n".join(lines)


def _summary(errors: int, warnings: int, language: str) -> str:
    if not errors and not warnings:
        return "Alles in Ordnung." if language == "de" else "All good."
    if language == "de":
        parts = [f"{errors} Fehler"] if errors else []
        parts += [f"{warnings} Warnung{'en' if warnings != 1 else ''}"] if warnings else []
        return "Ergebnis: " + ", ".join(parts) + "."
    parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
    parts += [f"{warnings} warning{'s' if warnings != 1 else ''}"] if warnings else []
    return "Result: " + ", ".join(parts) + "."
