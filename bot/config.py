"""Configuration: parse and validate TOML into frozen dataclasses, nothing else (no I/O besides reading)."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import render
from bot.i18n import LANGUAGES, Catalog
from bot.schedule_parsing import ScheduleError, parse_duration
from bot.schedule_texts import MESSAGES as SCHEDULE_MESSAGES
from storage.text import fold

# re@di as it is today; a config may name others (the bot is not tied to these nine).
DEFAULT_CITIES = (
    "Baden-Baden",
    "Bretten",
    "Bruchsal",
    "Bühl",
    "Ettlingen",
    "Gaggenau",
    "Rastatt",
    "Rheinstetten",
    "Stutensee",
)
DEFAULT_GROUPS = (
    "Fachgruppe",
    "Online-Bürgerservice",
    "eAkte",
    "Digitale Rechnung",
    "Sensorik",
    "Engagementplattform",
    "Intranet",
    "Projektmanagement",
    "Recht und Datenschutz",
)
# The network's common synonym groups for `!werweiss`: what a config without `[expertise].synonyms` gets (the
# demo too). A config's own list replaces them; `synonyms = []` turns synonyms off. config.example.toml shows
# them (a test keeps both alike).
DEFAULT_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("eAkte", "elektronische Akte", "DMS", "Dokumentenmanagement"),
    ("XRechnung", "E-Rechnung", "elektronische Rechnung", "e-invoice"),
    ("OZG", "Onlinezugangsgesetz"),
    ("Datenschutz", "DSGVO", "GDPR"),
    ("Barrierefreiheit", "barrierefrei", "accessibility"),
)
_USER_ID = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:\d+)?$")
_ROOM_ID = re.compile(r"^![^:\s]+(:[A-Za-z0-9.\-]+(:\d+)?)?$")
_ROOM_ALIAS = re.compile(r"^#[^:\s]+:[A-Za-z0-9.\-]+(:\d+)?$")
_SERVER = re.compile(r"^[A-Za-z0-9.\-]+(:\d+)?$")


_NO_ROOM = (
    'keine Raum-ID wie "!abc:example.org" und keine Raum-Adresse wie "#eakte:example.org" '
    "(die Raum-ID zeigt Element unter Raumeinstellungen → Erweitert)"
)


class ConfigError(Exception):
    """Invalid configuration; the message names the key and what to do."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"Konfigurationsfehler bei '{key}': {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class MatrixConfig:
    homeserver: str
    user_id: str
    password: str | None
    access_token: str | None
    device_id: str | None
    device_name: str = "redi-bot"


@dataclass(frozen=True)
class Retention:
    """How long data about people is kept, in days ([privacy] in the config; DSGVO Art. 5(1)(e)). The daily purge
    (commands.privacy.jobs) deletes what is older; decisions and minutes are the network's records and are kept
    unless `records_days` says otherwise."""

    substitution_text_days: int = 365  # free text and notes of finished substitution requests (counts stay)
    personal_reminders_days: int = 30  # personal reminders, after they fell due
    saved_searches_days: int = 30  # the last search per person and room (for !mehr)
    revoked_quotes_days: int = 365  # the quoted message copied into a decision, once the decision is revoked
    handled_commands_days: int = 7  # records of handled commands and the sent messages kept with them
    ledger_days: int = 90  # delivered (or missed) entries of the scheduled-message ledger
    # Decisions, minutes and action items, after they were logged; 0 keeps them (the default: the network's records).
    records_days: int = 0


RECORDS_MINIMUM_DAYS = 365  # a typo ("30", meant as months) must not wipe the network's memory


RETENTION_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Retention))


DEFAULT_WIDGET_PARENTS: tuple[str, ...] = ()
"""No widget unless the admins name their chat clients (e.g. Element Web "https://app.element.io", Element Desktop
"vector://vector"): signing in by OpenID token trusts everything the chat client hands such tokens to."""
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")


@dataclass(frozen=True)
class WebConfig:
    """`[web]`: the bot's own web server (calendar feeds), behind the city's reverse proxy."""

    host: str
    port: int
    public_url: str  # how people reach it, without a trailing slash, e.g. https://redi.example.org/bot
    # The chat clients (origins) that may show the pages as a room widget (`!widget`) in a frame; empty: no widget.
    widget_parents: tuple[str, ...] = DEFAULT_WIDGET_PARENTS

    def url(self, path: str) -> str:
        return f"{self.public_url}/{path.lstrip('/')}"


@dataclass(frozen=True)
class Config:
    matrix: MatrixConfig
    data_dir: Path
    database_url: str
    command_prefix: str = "!"
    default_language: str = "de"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Berlin"))
    max_command_age: timedelta = timedelta(minutes=15)
    reminder_grace: timedelta = timedelta(hours=2)
    cities: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    network_room: str | None = None
    coordinators: frozenset[str] = frozenset()
    room_groups: Mapping[str, str] = field(default_factory=dict)
    invite_servers: frozenset[str] = frozenset()
    invite_users: frozenset[str] = frozenset()
    synonyms: tuple[tuple[str, ...], ...] = DEFAULT_SYNONYMS
    reminder_offsets: tuple[timedelta, ...] = (timedelta(days=1), timedelta(minutes=15))
    jitsi_base_url: str | None = None
    page_size: int = 5
    activity_window: timedelta = timedelta(days=365)
    substitution_reminder: timedelta = timedelta(days=1)
    substitution_suggestions: int = 3
    decisions_by_coordinators_only: bool = False
    retention: Retention = field(default_factory=Retention)
    web: WebConfig | None = None  # off unless [web].listen is set
    admin_room: str | None = None  # alerts for the admins (internal errors, missed reminders, outages)
    monitoring_listen: tuple[str, int] | None = None  # host and port of /health and /metrics; None: off
    homeserver_down_alert: timedelta = timedelta(minutes=5)  # an outage at least this long is reported
    alert_interval: timedelta = timedelta(minutes=10)  # at most one alert of a kind per interval

    def may_invite(self, user_id: str) -> bool:
        server = user_id.partition(":")[2]
        return user_id in self.invite_users or server in self.invite_servers

    def group_of_room(self, room_id: str) -> str | None:
        return self.room_groups.get(room_id)

    def room_aliases(self) -> list[str]:
        """The room aliases (`#eakte:example.org`) the config names where a room id can stand: the homeserver
        resolves them at start (and on a reload) into the room ids the bot compares with."""
        rooms = [self.network_room, self.admin_room, *self.room_groups]
        return list(dict.fromkeys(room for room in rooms if room and is_room_alias(room)))

    def with_room_ids(self, ids: Mapping[str, str]) -> tuple[Config, list[str]]:
        """The config with every room alias replaced by the room id the homeserver gave for it (`ids`); an alias
        missing there names no room the bot can know and is left out. Also returns what the admin should hear: a
        room named twice in `[rooms]` (by id and alias, or by two aliases) with different groups, where the id
        (else the first entry) wins."""
        problems: list[str] = []
        network_room = self.network_room
        if network_room is not None and is_room_alias(network_room):
            network_room = ids.get(network_room)
        admin_room = self.admin_room
        if admin_room is not None and is_room_alias(admin_room):
            admin_room = ids.get(admin_room)
        room_groups = {room: group for room, group in self.room_groups.items() if not is_room_alias(room)}
        for alias, group in self.room_groups.items():
            room_id = ids.get(alias) if is_room_alias(alias) else None
            if room_id is None:
                continue
            known = room_groups.setdefault(room_id, group)
            if known != group:
                problems.append(
                    f'[rooms] "{alias}" = "{group}" is the room {room_id}, which [rooms] already gives the group '
                    f'"{known}"; it stays in "{known}"'
                )
        return replace(self, network_room=network_room, admin_room=admin_room, room_groups=room_groups), problems


def is_room_alias(room: str) -> bool:
    return room.startswith("#")


class _Table:
    """Typed access to one TOML table that reports errors with the full key path."""

    def __init__(self, data: Mapping[str, Any], path: str, known: set[str]) -> None:
        self.data = data
        self.path = path
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(self.key(unknown[0]), f"unbekannter Schlüssel; erlaubt sind: {', '.join(sorted(known))}")

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def string(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.data.get(name, default)
        if value is None or value == "":
            if required:
                raise ConfigError(self.key(name), "fehlt oder ist leer")
            return default if default != "" else None
        if not isinstance(value, str):
            raise ConfigError(self.key(name), f"muss ein Text in Anführungszeichen sein, nicht {value!r}")
        return value.strip()

    def integer(self, name: str, default: int, *, minimum: int = 0) -> int:
        value = self.data.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(self.key(name), f"muss eine ganze Zahl sein, nicht {value!r}")
        if value < minimum:
            raise ConfigError(self.key(name), f"muss mindestens {minimum} sein")
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(self.key(name), 'muss eine Liste von Texten sein, z. B. ["a", "b"]')
        return tuple(v.strip() for v in value if v.strip())

    def table(self, name: str, known: set[str] | None = None) -> _Table:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(self.key(name), "muss eine Tabelle sein, z. B. [" + self.key(name) + "]")
        return _Table(value, self.key(name), known if known is not None else set(value))


def load_config(path: Path | str, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file; environment variables may supply the secrets."""
    path = Path(path)
    env = os.environ if env is None else env
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(str(path), "Datei nicht gefunden (Vorlage: config.example.toml)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"kein gültiges TOML: {exc}") from exc
    return parse_config(raw, base_dir=path.parent, env=env)


def parse_config(raw: Mapping[str, Any], *, base_dir: Path, env: Mapping[str, str]) -> Config:
    root = _Table(
        raw,
        "",
        {
            "matrix",
            "bot",
            "network",
            "rooms",
            "invites",
            "expertise",
            "meetings",
            "substitutions",
            "decisions",
            "privacy",
            "web",
            "monitoring",
        },
    )
    m = root.table("matrix", {"homeserver", "user_id", "password", "access_token", "device_id", "device_name"})
    homeserver = m.string("homeserver", required=True) or ""
    if not re.match(r"^https?://[^\s/]+", homeserver):
        raise ConfigError(m.key("homeserver"), "muss mit http:// oder https:// beginnen")
    user_id = m.string("user_id", required=True) or ""
    if not _USER_ID.match(user_id):
        raise ConfigError(m.key("user_id"), f"{user_id!r} ist keine Matrix-ID wie @redi-bot:example.org")
    password = env.get("REDI_MATRIX_PASSWORD") or m.string("password")
    access_token = env.get("REDI_MATRIX_ACCESS_TOKEN") or m.string("access_token")
    device_id = m.string("device_id")
    if access_token and not device_id:
        raise ConfigError(m.key("device_id"), "wird zusammen mit access_token gebraucht")
    matrix = MatrixConfig(
        homeserver=homeserver.rstrip("/"),
        user_id=user_id,
        password=password,
        access_token=access_token,
        device_id=device_id,
        device_name=m.string("device_name", "redi-bot") or "redi-bot",
    )

    b = root.table(
        "bot",
        {
            "data_dir",
            "database_url",
            "command_prefix",
            "default_language",
            "timezone",
            "max_command_age_seconds",
            "reminder_grace_seconds",
            "admin_room",
        },
    )
    data_dir = Path(b.string("data_dir", "data") or "data").expanduser()
    if not data_dir.is_absolute():
        data_dir = (base_dir / data_dir).resolve()
    database_url = b.string("database_url") or f"sqlite+aiosqlite:///{data_dir / 'redi-bot.sqlite3'}"
    if not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", database_url):
        raise ConfigError(b.key("database_url"), "nur sqlite:///… oder postgresql://… werden unterstützt")
    prefix = b.string("command_prefix", "!") or "!"
    if len(prefix) > 3 or any(c.isspace() or c.isalnum() for c in prefix):
        raise ConfigError(b.key("command_prefix"), "1–3 Satzzeichen wie '!' oder '?', ohne Leerzeichen")
    language = b.string("default_language", "de") or "de"
    if language not in LANGUAGES:
        raise ConfigError(b.key("default_language"), f"muss eines von {', '.join(LANGUAGES)} sein")
    tz_name = b.string("timezone", "Europe/Berlin") or "Europe/Berlin"
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(b.key("timezone"), f"{tz_name!r} ist keine IANA-Zeitzone wie Europe/Berlin") from exc

    admin_room = b.string("admin_room")
    if admin_room and not (_ROOM_ID.match(admin_room) or _ROOM_ALIAS.match(admin_room)):
        raise ConfigError(b.key("admin_room"), f"{admin_room!r} ist {_NO_ROOM}")

    n = root.table("network", {"cities", "groups", "network_room", "coordinators"})
    cities = n.strings("cities") if "cities" in n.data else DEFAULT_CITIES
    groups = n.strings("groups") if "groups" in n.data else DEFAULT_GROUPS
    for key, names in (("cities", cities), ("groups", groups)):
        if not names:
            raise ConfigError(n.key(key), "darf nicht leer sein (oder lass den Schlüssel weg für die re@di-Vorgabe)")
        folded = [fold(x) for x in names]
        dupes = {x for x in folded if folded.count(x) > 1}
        if dupes:
            raise ConfigError(n.key(key), f"enthält einen Namen doppelt: {sorted(dupes)[0]}")
    network_room = n.string("network_room")
    if network_room and not (_ROOM_ID.match(network_room) or _ROOM_ALIAS.match(network_room)):
        raise ConfigError(n.key("network_room"), f"{network_room!r} ist {_NO_ROOM}")
    coordinators = n.strings("coordinators")
    for uid in coordinators:
        if not _USER_ID.match(uid):
            raise ConfigError(n.key("coordinators"), f"{uid!r} ist keine Matrix-ID wie @name:example.org")

    rooms = root.table("rooms")
    group_by_fold = {fold(g): g for g in groups}
    room_groups: dict[str, str] = {}
    for room_id, group in rooms.data.items():
        if not (_ROOM_ID.match(room_id) or _ROOM_ALIAS.match(room_id)):
            raise ConfigError(rooms.key(room_id), f"der Schlüssel ist {_NO_ROOM}")
        if not isinstance(group, str) or fold(group) not in group_by_fold:
            raise ConfigError(rooms.key(room_id), f"{group!r} ist keine der Gruppen aus [network].groups")
        room_groups[room_id] = group_by_fold[fold(group)]

    i = root.table("invites", {"allowed_servers", "allowed_users"})
    servers = i.strings("allowed_servers")
    for server in servers:
        if not _SERVER.match(server):
            raise ConfigError(i.key("allowed_servers"), f"{server!r} ist kein Servername wie example.org")
    users = i.strings("allowed_users")
    for uid in users:
        if not _USER_ID.match(uid):
            raise ConfigError(i.key("allowed_users"), f"{uid!r} ist keine Matrix-ID wie @name:example.org")

    e = root.table("expertise", {"synonyms", "page_size", "activity_days"})
    synonyms = DEFAULT_SYNONYMS
    if "synonyms" in e.data:  # a list of the config's own replaces the default groups; [] turns them off
        raw_synonyms = e.data["synonyms"]
        if not isinstance(raw_synonyms, list) or not all(
            isinstance(group, list) and all(isinstance(word, str) for word in group) for group in raw_synonyms
        ):
            raise ConfigError(e.key("synonyms"), 'muss eine Liste von Listen sein, z. B. [["eAkte", "DMS"]]')
        synonyms = tuple(tuple(w.strip() for w in group if w.strip()) for group in raw_synonyms)
        if any(len(group) < 2 for group in synonyms):
            raise ConfigError(e.key("synonyms"), "jede Gruppe braucht mindestens zwei Wörter")
    page_size = e.integer("page_size", 5, minimum=1)
    if page_size > 20:
        raise ConfigError(e.key("page_size"), "höchstens 20, sonst werden die Antworten zu lang")

    mt = root.table("meetings", {"reminder_offsets", "jitsi_base_url"})
    offsets: list[timedelta] = []
    for text in mt.strings("reminder_offsets") if "reminder_offsets" in mt.data else ("1 Tag", "15 min"):
        try:
            offsets.append(parse_duration(text))
        except ScheduleError as exc:
            raise ConfigError(
                mt.key("reminder_offsets"), f'{text!r}: {_german(exc)}; z. B. "1 Tag", "15 min", "2h"'
            ) from exc
    jitsi = mt.string("jitsi_base_url")
    if jitsi and not re.match(r"^https://[^\s/]+", jitsi):
        raise ConfigError(mt.key("jitsi_base_url"), "muss mit https:// beginnen, z. B. https://meet.example.org/")
    st = root.table("substitutions", {"reminder_before", "suggestions"})
    before_text = st.string("reminder_before") or "1 Tag"
    try:
        substitution_reminder = parse_duration(before_text)
    except ScheduleError as exc:
        raise ConfigError(
            st.key("reminder_before"), f'{before_text!r}: {_german(exc)}; z. B. "1 Tag" oder "3h"'
        ) from exc
    suggestions = st.integer("suggestions", 3, minimum=0)
    dt = root.table("decisions", {"who_may_log"})
    who_may_log = dt.string("who_may_log") or "members"
    if who_may_log not in ("members", "coordinators"):
        raise ConfigError(dt.key("who_may_log"), f'{who_may_log!r}: erlaubt sind "members" oder "coordinators"')

    pv = root.table("privacy", set(RETENTION_KEYS))
    days = {
        key: pv.integer(key, getattr(Retention(), key), minimum=1) for key in RETENTION_KEYS if key != "records_days"
    }
    retention = Retention(**days, records_days=pv.integer("records_days", 0))
    if 0 < retention.records_days < RECORDS_MINIMUM_DAYS:
        raise ConfigError(
            pv.key("records_days"),
            f"0 (behalten) oder mindestens {RECORDS_MINIMUM_DAYS} / 0 (keep) or at least {RECORDS_MINIMUM_DAYS}",
        )

    mo = root.table("monitoring", {"listen", "homeserver_down_minutes", "alert_interval_minutes"})
    listen = mo.string("listen")
    monitoring_listen = _listen_address(listen, mo.key("listen")) if listen else None

    return Config(
        web=_web(root.table("web", {"listen", "public_url", "widget_parents"})),
        matrix=matrix,
        data_dir=data_dir,
        database_url=database_url,
        command_prefix=prefix,
        default_language=language,
        timezone=timezone,
        max_command_age=timedelta(seconds=b.integer("max_command_age_seconds", 900, minimum=0)),
        reminder_grace=timedelta(seconds=b.integer("reminder_grace_seconds", 7200, minimum=0)),
        cities=cities,
        groups=groups,
        network_room=network_room,
        coordinators=frozenset(coordinators),
        room_groups=room_groups,
        invite_servers=frozenset(servers),
        invite_users=frozenset(users),
        synonyms=synonyms,
        reminder_offsets=tuple(offsets),
        jitsi_base_url=jitsi.rstrip("/") + "/" if jitsi else None,
        page_size=page_size,
        activity_window=timedelta(days=e.integer("activity_days", 365, minimum=1)),
        substitution_reminder=substitution_reminder,
        substitution_suggestions=suggestions,
        decisions_by_coordinators_only=who_may_log == "coordinators",
        retention=retention,
        admin_room=admin_room,
        monitoring_listen=monitoring_listen,
        homeserver_down_alert=timedelta(minutes=mo.integer("homeserver_down_minutes", 5, minimum=1)),
        alert_interval=timedelta(minutes=mo.integer("alert_interval_minutes", 10, minimum=0)),
    )


def _listen_address(text: str, key: str) -> tuple[str, int]:
    """`host:port` (an IPv6 host in brackets: `[::1]:9464`) of the monitoring endpoint."""
    match = re.fullmatch(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.\-]+)):(?P<port>\d{1,5})", text)
    port = int(match["port"]) if match else 0
    if match is None or not 1 <= port <= 65535:
        raise ConfigError(key, f'{text!r} ist keine Adresse wie "127.0.0.1:9464" (Rechner:Port, Port 1–65535)')
    return match["v6"] or match["host"], port


def _web(table: _Table) -> WebConfig | None:
    listen = table.string("listen")
    address = _listen_address(listen, table.key("listen")) if listen else None
    public_url = table.string("public_url")
    if address is None:
        if public_url:
            raise ConfigError(table.key("listen"), "fehlt: public_url ohne listen startet keinen Webserver")
        return None
    host, port = address
    if public_url and not re.match(r"^https?://[^\s/]+", public_url):
        raise ConfigError(table.key("public_url"), "muss mit https:// (oder http://) beginnen")
    shown_host = f"[{host}]" if ":" in host else host
    parents = [parent.rstrip("/") for parent in table.strings("widget_parents")]
    if "widget_parents" not in table.data:
        parents = list(DEFAULT_WIDGET_PARENTS)
    for parent in parents:
        # An origin, nothing wider: "*" or "https:" would let any site show the signed-in pages in a frame
        # (clickjacking), and a path is not part of what a browser compares.
        if not _ORIGIN.fullmatch(parent):
            raise ConfigError(
                table.key("widget_parents"),
                f'{parent!r} ist keine Adresse wie "https://element.example.org" (nur Schema, Rechner und Port)',
            )
    public_url = (public_url or f"http://{shown_host}:{port}").rstrip("/")
    return WebConfig(host, port, public_url, tuple(dict.fromkeys(parents)))


def _german(error: ScheduleError) -> str:
    """A parser's refusal as the config's other messages are: German plain text (the admin edits a file)."""
    return render(error, Catalog(SCHEDULE_MESSAGES), "de", "!", plain=True)


# What a running bot takes over when it reads its config again (SIGHUP), by field of `Config`, with the key an admin
# writes: what is read afresh for every command, invite or room the bot joins.
RELOADABLE: Mapping[str, str] = {
    "cities": "[network].cities",
    "groups": "[network].groups",
    "network_room": "[network].network_room",
    "coordinators": "[network].coordinators",
    "room_groups": "[rooms]",
    "invite_servers": "[invites].allowed_servers",
    "invite_users": "[invites].allowed_users",
    "max_command_age": "[bot].max_command_age_seconds",
    "reminder_offsets": "[meetings].reminder_offsets",
    "jitsi_base_url": "[meetings].jitsi_base_url",
    "page_size": "[expertise].page_size",
    "substitution_suggestions": "[substitutions].suggestions",
    "decisions_by_coordinators_only": "[decisions].who_may_log",
    "admin_room": "[bot].admin_room",  # read for every alert
    "homeserver_down_alert": "[monitoring].homeserver_down_minutes",
    "alert_interval": "[monitoring].alert_interval_minutes",
}
# What only a restart changes: the account and its connection, where the data lives, and what is built once at
# start: the search index (synonyms), the scheduled messages (prefix, language, time zone, reminder lead and grace).
NEEDS_RESTART: Mapping[str, str] = {
    "matrix": "[matrix]",
    "data_dir": "[bot].data_dir",
    "database_url": "[bot].database_url",
    "command_prefix": "[bot].command_prefix",
    "default_language": "[bot].default_language",
    "timezone": "[bot].timezone",
    "reminder_grace": "[bot].reminder_grace_seconds",
    "synonyms": "[expertise].synonyms",
    "substitution_reminder": "[substitutions].reminder_before",
    "retention": "[privacy]",  # the daily purge is planned with it at start
    "activity_window": "[expertise].activity_days",  # the purge deletes older activity: it must not change unseen
    "web": "[web]",  # the web server listens from the start
    "monitoring_listen": "[monitoring].listen",  # the endpoint is opened at start
}


@dataclass(frozen=True)
class Reloaded:
    """A config read again while the bot runs: what it uses from now on, and what changed."""

    config: Config  # the new values of the reloadable keys, the ones in use of the others
    changed: tuple[str, ...]  # keys whose new values are in use now
    need_restart: tuple[str, ...]  # keys that changed but keep their old values until a restart


def reload_config(current: Config, new: Config) -> Reloaded:
    """Take over from `new` what can change while the bot runs, keep the rest of `current`; say which keys changed
    (`[rooms]`, `[network].coordinators`, …, secrets by name only)."""
    changed = tuple(key for name, key in RELOADABLE.items() if getattr(current, name) != getattr(new, name))
    was, now = current.matrix, new.matrix
    need_restart = [f"[matrix].{f.name}" for f in fields(MatrixConfig) if getattr(was, f.name) != getattr(now, f.name)]
    need_restart += [
        key for name, key in NEEDS_RESTART.items() if name != "matrix" and getattr(current, name) != getattr(new, name)
    ]
    kept = {name: getattr(current, name) for name in NEEDS_RESTART}
    return Reloaded(config=replace(new, **kept), changed=changed, need_restart=tuple(need_restart))
