"""Backup and restore of everything the bot needs to come back as itself: the database, the encryption keys (nio's
crypto store) and the access token (credentials.json).

A backup is taken while the bot runs. SQLite files (the database and nio's store) are copied with SQLite's online
backup API, which reads one consistent snapshot however the bot writes meanwhile (a file copy of a database in WAL
mode can miss what is still in the -wal file, or catch a page half written). PostgreSQL is copied with `pg_dump`,
which reads one snapshot too. `manifest.json`, written last, names the files with their sha256, the Alembic revision
and the bot account, so a restore can check it got what was written.

A restore must not run while a bot uses the same data: the running bot holds an exclusive `flock` on
`data_dir/redi-bot.lock` (the kernel drops it when the process ends, however it ends, so no stale pid file can
block), and the restore takes the same lock, so a bot started meanwhile refuses to start instead. What the restore
would replace is moved aside into `data_dir/before-restore-<time>/` (a PostgreSQL database is dumped there), never
deleted, and only with `--force`. The database is replaced last (PostgreSQL in one transaction): if anything fails
before, what was moved aside is put back, so the bot never starts without its device keys and token.

Admins run these commands as root as often as as the bot's user: what root writes into data_dir is handed to the
owner of data_dir (`data_owner`), or the bot, started as its own user, could not open its own files.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import fcntl
import hashlib
import itertools
import json
import os
import pwd
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url

from bot.config import Config
from storage.db import Database, DatabaseNewerThanCode, head_revision, is_known_revision, normalize_url

MANIFEST = "manifest.json"
FORMAT = 1  # of the manifest; a restore refuses formats it does not know
LOCK_FILE = "redi-bot.lock"
CREDENTIALS = "credentials.json"
CRYPTO_DIR = "crypto"  # nio's store, one SQLite file per device (bot.matrix.new_client)
SQLITE_COPY = "database.sqlite3"
PG_DUMP = "database.pgdump"
INSTALL_HINT = (
    "Installiere den PostgreSQL-Client (Debian/Ubuntu: `apt-get install postgresql-client`; seine Hauptversion muss "
    "mindestens die des Servers sein) / install the PostgreSQL client tools (package postgresql-client, at least "
    "the server's major version)"
)

T = TypeVar("T")


class BackupError(Exception):
    """Something an admin can fix (the message says what); nothing was changed."""


class BotRunning(BackupError):
    """Another process (a running bot, or a restore) holds the data directory."""


class DataDirNotWritable(BackupError):
    """The lock file (or data_dir) belongs to another user, typically after a command was run as root."""


class RunLock:
    """An exclusive lock on `data_dir/redi-bot.lock`, held by a running bot and by a restore."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, data_dir: Path) -> RunLock:
        owner = data_owner(data_dir)
        path = data_dir / LOCK_FILE
        try:
            _make_private_dir(data_dir, owner)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except PermissionError as exc:
            raise DataDirNotWritable(_not_writable(Path(exc.filename or path))) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise BotRunning(
                f"Ein redi-bot läuft schon mit {data_dir} (oder eine Wiederherstellung): {path} ist gesperrt. Stoppe "
                "ihn zuerst (`systemctl stop redi-bot`). / A redi-bot is already running with this data_dir (or a "
                "restore is): stop it first."
            ) from None
        if owner is not None:
            os.fchown(fd, *owner)  # root made it (a restore, even a refused one): the bot must open it next time
        # The pid is only for the admin who looks; the lock is what counts.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(path, fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def data_owner(data_dir: Path) -> tuple[int, int] | None:
    """Whom what root writes into data_dir must belong to: the owner of data_dir (or, on a fresh machine, of the
    nearest folder above it), when that is not root. A restore run with sudo would otherwise leave root's files that
    the bot, running as its own user (contrib/redi-bot.service), cannot open. None when nothing needs handing over."""
    if os.geteuid() != 0:
        return None
    for folder in (data_dir, *data_dir.absolute().parents):
        try:
            info = folder.stat()
        except FileNotFoundError:
            continue
        return (info.st_uid, info.st_gid) if info.st_uid != 0 else None
    return None


def _hand_over(path: Path, owner: tuple[int, int] | None) -> None:
    """Give `path` (and, for a folder, everything in it) to the bot's user."""
    if owner is None:
        return
    os.chown(path, *owner, follow_symlinks=False)
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for name in (*dirs, *files):
                os.chown(Path(root) / name, *owner, follow_symlinks=False)


def _make_private_dir(folder: Path, owner: tuple[int, int] | None) -> None:
    """mkdir -p with mode 700; the folders it creates go to `owner`."""
    missing = [p for p in (folder, *folder.absolute().parents) if not p.exists()]
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for created in missing:
        _hand_over(created, owner)


def _not_writable(path: Path) -> str:
    try:
        info = path.stat()
        owner = f"{_user_name(info.st_uid)} (Modus {stat.S_IMODE(info.st_mode):o})"
    except OSError:
        owner = "?"
    me = _user_name(os.geteuid())
    return (
        f"{path} gehört {owner}, dieser Prozess läuft als {me} und darf es nicht öffnen – meist, weil ein Befehl als "
        f"root lief. Gib data_dir dem Bot-Benutzer zurück: `chown -R redi-bot: {path.parent}` (oder den Benutzer aus "
        f"User= der systemd-Unit). / {path} belongs to {owner}; this process runs as {me} and may not open it "
        "(usually a command run as root): give data_dir back to the bot's user with chown -R."
    )


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@dataclass(frozen=True)
class BackupFile:
    path: str  # relative to the backup directory, with /
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    redi_bot_version: str
    alembic_revision: str | None
    created_at: str  # ISO 8601, UTC
    backend: str  # "sqlite" or "postgresql"
    user_id: str | None  # the bot account of credentials.json, if there was one
    files: tuple[BackupFile, ...]
    format: int = FORMAT

    def to_json(self) -> str:
        data = {
            "format": self.format,
            "redi_bot_version": self.redi_bot_version,
            "alembic_revision": self.alembic_revision,
            "created_at": self.created_at,
            "backend": self.backend,
            "user_id": self.user_id,
            "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in self.files],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackupError(
                f"{path} fehlt: das ist keine (vollständige) Sicherung – das Manifest wird als Letztes geschrieben. "
                f"/ {path} is missing: not a complete backup."
            ) from None
        except ValueError as exc:
            raise BackupError(f"{path} ist beschädigt ({exc}). / {path} is damaged.") from None
        try:
            if data["format"] != FORMAT:
                raise BackupError(
                    f"{path}: Format {data['format']!r}, diese Version kennt nur {FORMAT}. Nimm die redi-bot-Version, "
                    "die die Sicherung geschrieben hat. / Unknown backup format: use the redi-bot that wrote it."
                )
            files = tuple(BackupFile(str(f["path"]), str(f["sha256"]), int(f["size"])) for f in data["files"])
            return cls(
                redi_bot_version=str(data["redi_bot_version"]),
                alembic_revision=data["alembic_revision"],
                created_at=str(data["created_at"]),
                backend=str(data["backend"]),
                user_id=data["user_id"],
                files=files,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(f"{path} ist beschädigt (Feld {exc}). / {path} is damaged.") from None

    def database_file(self) -> BackupFile:
        name = SQLITE_COPY if self.backend == "sqlite" else PG_DUMP
        for entry in self.files:
            if entry.path == name:
                return entry
        raise BackupError(f"Das Manifest nennt keine Datenbank ({name}). / The manifest names no database file.")


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    aside: Path | None  # where the replaced data went, if there was any
    seconds: float


@dataclass(frozen=True)
class _Target:
    """Where the configured data lives."""

    config: Config
    sqlite_path: Path | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sqlite_path", _sqlite_path(self.config))

    @property
    def backend(self) -> str:
        return "sqlite" if self.sqlite_path is not None else "postgresql"


# --- backup ---------------------------------------------------------------------------------------------------------


def take_backup(config: Config, directory: Path, now: datetime, version: str) -> Manifest:
    """Copy database, crypto store and credentials into `directory` (new or empty), then write the manifest."""
    target = _Target(config)
    if target.backend == "postgresql":
        _tool("pg_dump")  # before anything is written
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(
            f"{directory} ist nicht leer: eine Sicherung braucht einen neuen oder leeren Ordner (z. B. mit Datum im "
            "Namen). / The backup directory must be new or empty."
        )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    written: list[Path] = []
    if target.sqlite_path is not None:
        if not target.sqlite_path.is_file():
            raise BackupError(
                f"Die Datenbank {target.sqlite_path} gibt es nicht; nichts zu sichern. / The database does not exist."
            )
        copy = directory / SQLITE_COPY
        revision = _sqlite_copy(target.sqlite_path, copy, read_revision=True)
        written.append(copy)
    else:
        revision = _run(lambda: _pg_revision(config.database_url))
        dump = directory / PG_DUMP
        _pg_dump(config.database_url, dump)
        written.append(dump)
    crypto = config.data_dir / CRYPTO_DIR
    if crypto.is_dir():
        (directory / CRYPTO_DIR).mkdir(mode=0o700)
        for store in sorted(crypto.glob("*.db")):
            copy = directory / CRYPTO_DIR / store.name
            _sqlite_copy(store, copy, read_revision=False)
            written.append(copy)
    user_id = None
    credentials = config.data_dir / CREDENTIALS
    if credentials.is_file():
        raw = credentials.read_bytes()
        try:
            user_id = json.loads(raw)["user_id"]
        except (ValueError, KeyError):
            raise BackupError(f"{credentials} ist beschädigt. / {credentials} is damaged.") from None
        _write_private(directory / CREDENTIALS, raw)
        written.append(directory / CREDENTIALS)
    manifest = Manifest(
        redi_bot_version=version,
        alembic_revision=revision,
        created_at=now.isoformat(timespec="seconds"),
        backend=target.backend,
        user_id=user_id,
        files=tuple(
            BackupFile(path.relative_to(directory).as_posix(), _sha256(path), path.stat().st_size) for path in written
        ),
    )
    _write_private(directory / MANIFEST, manifest.to_json().encode())
    return manifest


def _sqlite_copy(source: Path, copy: Path, *, read_revision: bool) -> str | None:
    """One consistent snapshot of `source`, while others write it. `mode=rw` opens only what exists (a plain connect
    would create an empty database in its place); the timeout waits out a writer of nio's store, which does not use
    WAL. One step (pages=-1) reads everything within one read transaction."""
    _write_private(copy, b"")
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst, pages=-1)
            # The copy keeps the source's WAL flag; DELETE leaves a single self-contained file behind.
            dst.execute("PRAGMA journal_mode=DELETE")
            revision = _sqlite_revision(dst) if read_revision else None
        finally:
            dst.close()
    finally:
        src.close()
    return revision


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:  # never migrated
        return None
    return str(row[0]) if row else None


# --- restore --------------------------------------------------------------------------------------------------------


def check_backup(directory: Path) -> Manifest:
    """The manifest, once every file it names is there with its size and sha256; else a BackupError naming it."""
    manifest = Manifest.read(directory)
    for entry in manifest.files:
        path = directory / entry.path
        if ".." in Path(entry.path).parts or Path(entry.path).is_absolute():
            raise BackupError(f"Das Manifest nennt einen Pfad außerhalb: {entry.path}. / Path outside the backup.")
        if not path.is_file():
            raise BackupError(f"{path} fehlt in der Sicherung. / {path} is missing from the backup.")
        if path.stat().st_size != entry.size or _sha256(path) != entry.sha256:
            raise BackupError(
                f"{path} ist nicht mehr die gesicherte Datei (Prüfsumme stimmt nicht): beschädigt oder verändert. Nimm "
                f"eine andere Sicherung. / {path} does not match its sha256: damaged or changed."
            )
    return manifest


def restore(config: Config, directory: Path, now: datetime, *, force: bool) -> Restored:
    """Put a backup back into the configured data_dir and database. Refuses, changing nothing, when the backup is
    damaged, from another backend or account, or newer than this code; while a bot runs; over existing data without
    `force` (with it, the existing data is moved aside first); and when the disk is too full. If anything fails
    midway, what was moved aside is put back (RestoreFailed says so, or where the old data is if even that failed).
    Run as root, everything written goes to the owner of data_dir, so the bot's own user can open it."""
    started = time.monotonic()
    target = _Target(config)
    manifest = check_backup(directory)
    if manifest.backend != target.backend:
        raise BackupError(
            f"Die Sicherung ist von {manifest.backend}, konfiguriert ist {target.backend} ([bot].database_url). / "
            f"The backup is of {manifest.backend}, the config uses {target.backend}."
        )
    if manifest.user_id is not None and manifest.user_id != config.matrix.user_id:
        raise BackupError(
            f"Die Sicherung gehört zum Bot-Konto {manifest.user_id}, konfiguriert ist {config.matrix.user_id}. / The "
            "backup belongs to another bot account."
        )
    if manifest.alembic_revision is not None and not is_known_revision(manifest.alembic_revision):
        raise DatabaseNewerThanCode(manifest.alembic_revision, head_revision())
    if target.backend == "postgresql":
        _tool("pg_restore")
        _tool("psql")
    database = manifest.database_file()
    owner = data_owner(config.data_dir)
    aside = None
    lock = RunLock.acquire(config.data_dir)
    try:
        existing = _existing(target)
        if existing and not force:
            raise BackupError(
                "Hier sind schon Daten: " + ", ".join(existing) + f". Mit --force kommt das nach {config.data_dir}"
                "/before-restore-<Zeit>/ (Dateien verschoben, eine PostgreSQL-Datenbank als pg_dump), nichts wird "
                "gelöscht; dann wird wiederhergestellt. / There is data already; --force moves it aside (nothing "
                "is deleted) and restores."
            )
        _check_space(config.data_dir, manifest, factor=2 if existing else 1)
        config.data_dir.chmod(0o700)
        if existing:
            aside = _new_aside(config.data_dir, now)
        done = _Done()
        try:
            # The database comes last: a PostgreSQL restore is one transaction, so when it fails, putting the files
            # back leaves everything as it was (the device's keys and token too, or `login` would make a new device).
            if aside is not None:
                _move_aside(target, aside, done)
            stores = [e for e in manifest.files if e.path.startswith(CRYPTO_DIR + "/")]
            if stores and not (config.data_dir / CRYPTO_DIR).exists():
                _make_private_dir(config.data_dir / CRYPTO_DIR, owner)
                done.created.append(config.data_dir / CRYPTO_DIR)
            for entry in manifest.files:
                if entry.path == CREDENTIALS or entry in stores:
                    _put(directory / entry.path, config.data_dir / entry.path, owner, done)
            if target.sqlite_path is not None:
                _put(directory / database.path, target.sqlite_path, owner, done)
            else:
                _pg_restore(config.database_url, directory / database.path)
        except (BackupError, OSError) as exc:
            raise _undo(done, aside, exc) from exc
        if aside is not None:
            _hand_over(aside, owner)
    finally:
        lock.release()
    return Restored(manifest=manifest, aside=aside, seconds=time.monotonic() - started)


class RestoreFailed(BackupError):
    """A restore failed midway; the message says whether everything was put back, or where the old data is."""


@dataclass
class _Done:
    """What a restore changed so far, to undo it."""

    moved: list[tuple[Path, Path]] = field(default_factory=list)  # (where it was, where it is now)
    created: list[Path] = field(default_factory=list)


def _undo(done: _Done, aside: Path | None, cause: BaseException) -> RestoreFailed:
    reason = describe_os_error(cause) if isinstance(cause, OSError) else str(cause)
    try:
        for path in reversed(done.created):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        for original, moved in reversed(done.moved):
            shutil.move(moved, original)
        if aside is not None:
            (aside / PG_DUMP).unlink(missing_ok=True)  # the database was not touched: its dump is not needed
            aside.rmdir()
    except OSError as exc:
        where = f" Die vorherigen Daten liegen in {aside} / the previous data is in {aside}." if aside else ""
        return RestoreFailed(
            f"Wiederherstellen ist gescheitert: {reason}\nZurücklegen auch: {describe_os_error(exc)}.{where} Den Bot "
            "erst starten, wenn Datenbank, crypto/ und credentials.json wieder an ihrem Platz in data_dir sind – sonst "
            "fehlt ihm sein Gerät (ein neues `redi-bot login` verlöre die Verschlüsselungsschlüssel). Oder die "
            "Wiederherstellung wiederholen. / Restore failed, and so did putting things back: move the previous data "
            "back (or retry the restore) before starting the bot."
        )
    return RestoreFailed(
        f"Wiederherstellen ist gescheitert: {reason}\nAlles ist zurückgelegt, die vorherigen Daten sind unverändert. / "
        "Restore failed; everything was put back, nothing changed."
    )


def describe_os_error(exc: OSError) -> str:
    """An OSError as an admin reads it, with a hint for the usual two."""
    where = f" ({exc.filename})" if exc.filename else ""
    hint = ""
    if exc.errno == errno.ENOSPC:
        hint = " – die Platte ist voll / the disk is full"
    elif isinstance(exc, PermissionError):
        hint = (
            f" – als Benutzer {_user_name(os.geteuid())} nicht erlaubt; als Besitzer von data_dir oder root ausführen "
            "/ not permitted for this user: run as the owner of data_dir, or as root"
        )
    return f"{exc.strerror or exc}{where}{hint}"


def _check_space(data_dir: Path, manifest: Manifest, *, factor: int) -> None:
    """Twice the backup's size over existing data: the new copy next to what is moved aside, plus the old database
    dumped there. Refused before anything is moved, instead of a disk filling up halfway."""
    folder = next(p for p in (data_dir, *data_dir.absolute().parents) if p.exists())
    need = factor * sum(f.size for f in manifest.files)
    free = shutil.disk_usage(folder).free
    if free < need:
        raise BackupError(
            f"In {folder} sind {free / 1e6:.1f} MB frei, die Wiederherstellung braucht {need / 1e6:.1f} MB "
            f"({factor}× die Größe der Sicherung). Nichts geändert. / Not enough free space: {free / 1e6:.1f} MB free, "
            f"{need / 1e6:.1f} MB needed."
        )


def _existing(target: _Target) -> list[str]:
    """What a restore would replace, as the admin would name it."""
    data_dir = target.config.data_dir
    found = [str(p) for p in _sqlite_files(target)]
    crypto = data_dir / CRYPTO_DIR
    if crypto.is_dir() and any(crypto.iterdir()):
        found.append(str(crypto))
    if (data_dir / CREDENTIALS).exists():
        found.append(str(data_dir / CREDENTIALS))
    if target.sqlite_path is None:
        tables = _run(lambda: _pg_tables(target.config.database_url))
        if tables:
            safe_url = make_url(normalize_url(target.config.database_url)).render_as_string(hide_password=True)
            found.append(f"{tables} Tabellen in {safe_url}")
    return found


def _sqlite_files(target: _Target) -> list[Path]:
    if target.sqlite_path is None:
        return []
    # A -wal file left next to a restored database would be replayed into it: it goes aside with the database.
    candidates = [target.sqlite_path, *(Path(f"{target.sqlite_path}{s}") for s in ("-wal", "-shm", "-journal"))]
    return [path for path in candidates if path.exists()]


def _new_aside(data_dir: Path, now: datetime) -> Path:
    """`before-restore-<time>`, with -2, -3 … when a restore in the same second made one already."""
    stem = f"before-restore-{now.strftime('%Y%m%dT%H%M%SZ')}"
    for n in itertools.count(1):
        aside = data_dir / (stem if n == 1 else f"{stem}-{n}")
        try:
            aside.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return aside
    raise AssertionError("unreachable")


def _move_aside(target: _Target, aside: Path, done: _Done) -> None:
    data_dir = target.config.data_dir
    # The dump first: if it fails, nothing has been moved yet.
    if target.sqlite_path is None and _run(lambda: _pg_tables(target.config.database_url)):
        _pg_dump(target.config.database_url, aside / PG_DUMP)
    for path in _sqlite_files(target):
        shutil.move(path, aside / path.name)
        done.moved.append((path, aside / path.name))
    for name in (CRYPTO_DIR, CREDENTIALS):
        if (data_dir / name).exists():
            shutil.move(data_dir / name, aside / name)
            done.moved.append((data_dir / name, aside / name))


def _put(source: Path, destination: Path, owner: tuple[int, int] | None, done: _Done) -> None:
    """Copy next to the destination, then rename: a crash leaves the old file or the new one, never half of one."""
    _make_private_dir(destination.parent, owner)
    partial = destination.with_name(destination.name + ".restoring")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    done.created.append(partial)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        if owner is not None:
            os.fchown(out.fileno(), *owner)
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(destination)
    done.created[-1] = destination


# --- PostgreSQL -----------------------------------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"`{name}` ist nicht installiert (für PostgreSQL nötig). {INSTALL_HINT}.")
    return path


def _libpq_env(url: str) -> dict[str, str]:
    """The connection for pg_dump, pg_restore and psql as libpq environment variables: the password never appears on
    a command line (which `ps` shows to every user)."""
    parsed = make_url(normalize_url(url))
    env = {
        "PGHOST": parsed.host or str(parsed.query.get("host", "")),
        "PGPORT": str(parsed.port or parsed.query.get("port", "")),
        "PGUSER": parsed.username or "",
        "PGPASSWORD": parsed.password if isinstance(parsed.password, str) else "",
        "PGDATABASE": parsed.database or "",
        "PGSSLMODE": str(parsed.query.get("ssl", "")),
        "PGCONNECT_TIMEOUT": "10",
    }
    return {**os.environ, **{key: value for key, value in env.items() if value}}


def _pg_dump(url: str, dump: Path) -> None:
    _write_private(dump, b"")
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"]
    result = subprocess.run(command, env=_libpq_env(url), capture_output=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"pg_dump ist gescheitert / failed:\n{_tail(result.stderr)}")


_DROP_TABLES = """
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I.%I CASCADE', current_schema(), r.tablename);
  END LOOP;
END $$;
"""


def _pg_restore(url: str, dump: Path) -> None:
    """pg_restore's script, after dropping the tables there are (moved aside before), run by psql in one transaction:
    if anything fails, the database is as it was. When pg_restore fails (say, a dump newer than it), psql is killed
    before it reads the end of its input: at the end it would commit the drop and half a script."""
    env = _libpq_env(url)
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as psql_errors:
        psql = subprocess.Popen(
            [_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-c", _DROP_TABLES, "-f", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_errors,
            env=env,
        )
        script = subprocess.Popen(
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=script_errors,
            env=env,
        )
        assert script.stdout is not None and psql.stdin is not None
        try:
            for block in iter(lambda: script.stdout.read(1 << 16), b""):  # type: ignore[union-attr]
                psql.stdin.write(block)
        except BrokenPipeError:  # psql stopped at an error
            pass
        script.stdout.close()
        script.wait()
        killed = script.returncode != 0 and psql.poll() is None
        if killed:
            psql.kill()
        with contextlib.suppress(BrokenPipeError):
            psql.stdin.close()
        psql.wait()
        if psql.returncode != 0 and not killed:
            psql_errors.seek(0)
            raise BackupError(f"psql ist gescheitert / failed:\n{_tail(psql_errors.read())}")
        if script.returncode != 0:
            script_errors.seek(0)
            raise BackupError(f"pg_restore ist gescheitert / failed:\n{_tail(script_errors.read())}")


async def _pg_revision(url: str) -> str | None:
    database = Database(url)
    try:
        return await database.current_revision()
    finally:
        await database.dispose()


async def _pg_tables(url: str) -> int:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            result = await connection.exec_driver_sql(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
            )
            return int(result.scalar_one())
    finally:
        await database.dispose()


# --- small helpers --------------------------------------------------------------------------------------------------


def _sqlite_path(config: Config) -> Path | None:
    parsed = make_url(normalize_url(config.database_url))
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("Eine Datenbank im Speicher lässt sich nicht sichern. / An in-memory database has no backup.")
    return Path(database).expanduser().absolute()


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine from this synchronous code, also when the caller has an event loop running (tests)."""

    async def call() -> T:
        return await work()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, call()).result()


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    path.chmod(0o600)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tail(stderr: bytes, lines: int = 12) -> str:
    return "\n".join(stderr.decode(errors="replace").strip().splitlines()[-lines:])


def describe(manifest: Manifest) -> str:
    """What is in a backup, as an admin reads it."""
    stores = sum(1 for f in manifest.files if f.path.startswith(CRYPTO_DIR + "/"))
    credentials = any(f.path == CREDENTIALS for f in manifest.files)
    size = sum(f.size for f in manifest.files) / 1e6
    files = "Datei / file" if len(manifest.files) == 1 else "Dateien / files"
    return (
        f"Datenbank / database: {manifest.backend}, Stand / revision {manifest.alembic_revision or '–'}; "
        f"Schlüsselspeicher / crypto stores: {stores}; credentials.json: {'ja / yes' if credentials else 'nein / no'}; "
        f"{len(manifest.files)} {files}, {size:.1f} MB; redi-bot {manifest.redi_bot_version}, "
        f"{manifest.created_at}"
    )
