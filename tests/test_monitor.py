"""Monitoring as an admin meets it without a homeserver: the numbers /metrics shows after commands, /health turning
503 with a reason, alerts in the admin room (rate-limited by a fake clock), JSON log lines with the command's fields
and without what people wrote, and the config keys."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import generate_latest

from bot.app import all_routers
from bot.cli import log_handler
from bot.clock import FakeClock
from bot.config import Config, ConfigError, load_config
from bot.dispatch import CommandContext, Dispatcher, IncomingMessage, Router
from bot.monitor import SYNC_STALE_AFTER_S, Alerts, Metrics, Monitor
from bot.outbox import Outbox
from bot.replies import Reply, message_content
from bot.scheduler import DueMessage, deliver, fixed_content
from bot.status import StatusServer
from storage import Database
from tests.fakes import RecordingSender

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
ADMIN_ROOM = "!admins:example.org"
ROOM = "!eakte:example.org"
SECRET = "Geheimnis 4711 der Stadt Bühl"

boom = Router("boom", title_de="Test", title_en="Test")


@boom.command("kaputt", help_de="geht kaputt", help_en="breaks")
async def broken(ctx: CommandContext, *, text: str | None = None) -> Reply:
    raise RuntimeError("boom")


class Stopwatch:
    """A monotonic clock for the sync lag that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def config(tmp_path: Path) -> Config:
    example = load_config(ROOT / "config.example.toml", env={})
    return replace(
        example,
        data_dir=tmp_path,
        database_url="unused",
        admin_room=ADMIN_ROOM,
        coordinators=frozenset({"@koordination:example.org"}),
    )


class Setup:
    def __init__(self, config: Config, db: Database) -> None:
        self.clock = FakeClock(NOW)
        self.sender = RecordingSender()
        self.watch = Stopwatch()
        self.monitor = Monitor(Metrics(self.watch), Alerts(config, self.clock, db))
        self.dispatcher = Dispatcher(
            routers=[*all_routers(), boom], config=config, db=db, clock=self.clock, monitor=self.monitor
        )
        self.monitor.alerts.outbox = Outbox(db, self.sender, {}, self.clock)
        self._events = 0

    async def ask(self, body: str, *, sender: str = "@anna:example.org") -> str:
        self._events += 1
        message = IncomingMessage(ROOM, f"$ev{self._events}", sender, body, self.clock.now())
        reply = await self.dispatcher.handle(message)
        assert reply is not None
        return str(message_content(reply)["body"])

    async def alerts(self) -> list[str]:
        await self.monitor.alerts.drain()
        return [body for room, body in self.sender.bodies if room == ADMIN_ROOM]

    def scrape(self) -> str:
        return generate_latest(self.monitor.metrics.registry).decode()


@pytest.fixture
def setup(config: Config, db: Database) -> Setup:
    return Setup(config, db)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 if absent)."""
    label_text = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = re.escape(name + (f"{{{label_text}}}" if labels else "")) + r" (\S+)"
    match = re.search(rf"^{pattern}$", text, re.MULTILINE)
    return float(match[1]) if match else 0.0


async def test_metrics_count_commands_by_name_and_outcome_without_people_or_rooms(setup: Setup) -> None:
    assert "Pong" in await setup.ask("!ping")
    assert "Pong" in await setup.ask("!ping")
    assert "kenne ich nicht" in await setup.ask(f"!{SECRET.split()[0]}")  # a typo is the person's words
    assert "Referenz" in await setup.ask(f"!kaputt {SECRET}")
    await setup.ask("!termin absagen 999999")  # no such meeting: the person's mistake
    text = setup.scrape()
    assert sample(text, "redi_commands_total", command="ping", outcome="ok") == 2
    assert sample(text, "redi_commands_total", command="unknown", outcome="user_error") == 1
    assert sample(text, "redi_commands_total", command="kaputt", outcome="internal_error") == 1
    assert sample(text, "redi_commands_total", command="termin absagen", outcome="user_error") == 1
    for private in ("anna", ROOM, "Geheimnis", "4711"):
        assert private not in text
    assert sample(text, "redi_reminders_total", outcome="missed") == 0, "shown from the start"


async def test_a_refusal_is_counted_as_refused(setup: Setup, db: Database) -> None:
    async with db.transaction() as repos:
        await repos.meetings.add(
            room_id=ROOM, title="Jour fixe", start=NOW + timedelta(days=1), timezone="Europe/Berlin", rrule=None,
            duration_minutes=None, offsets=[900], created_by="@chair:example.org", now=NOW,
        )  # fmt: skip
    assert "dürfen nur" in await setup.ask("!termin absagen 1", sender="@mallory:example.org")
    assert sample(setup.scrape(), "redi_commands_total", command="termin absagen", outcome="refused") == 1


async def test_internal_error_alerts_the_admin_room_with_its_reference_and_without_the_message(setup: Setup) -> None:
    reply = await setup.ask(f"!kaputt {SECRET}")
    ref = re.search(r"Referenz `?([0-9a-f]{8})", reply)
    assert ref is not None, reply
    [alert] = await setup.alerts()
    assert ref[1] in alert and "!kaputt" in alert
    assert alert.index("Interner Fehler") < alert.index("Internal error"), "German first, then English"
    assert "Geheimnis" not in alert and "4711" not in alert and "anna" not in alert


async def test_alerts_of_a_kind_are_rate_limited_and_the_next_says_how_many_were_held_back(setup: Setup) -> None:
    alerts = setup.monitor.alerts
    assert alerts.internal_error("aaaa0001", "ping") is not None
    assert alerts.internal_error("aaaa0002", "ping") is None
    setup.clock.advance(timedelta(minutes=9, seconds=59))
    assert alerts.internal_error("aaaa0003", "ping") is None
    assert alerts.missed("meeting", 7, NOW) is not None, "another kind has its own limit"
    setup.clock.advance(timedelta(seconds=1))  # ten minutes after the first
    fourth = alerts.internal_error("aaaa0004", "ping")
    assert fourth is not None and "2 weitere" in fourth and "2 more" in fourth
    assert alerts.internal_error("aaaa0005", "ping") is None, "a new interval began with the fourth"
    sent = await setup.alerts()
    assert len(sent) == 3  # sent side by side: in any order
    assert [any(what in alert for alert in sent) for what in ("aaaa0001", "meeting 7", "aaaa0004")] == [True] * 3


async def test_no_admin_room_no_alert(config: Config, db: Database) -> None:
    setup = Setup(replace(config, admin_room=None), db)
    await setup.ask("!kaputt")
    assert await setup.alerts() == []


async def test_a_long_outage_is_reported_once_the_homeserver_is_back(setup: Setup) -> None:
    monitor = setup.monitor
    monitor.sync_failed("unreachable")
    setup.clock.advance(timedelta(minutes=2))
    monitor.sync_failed("unreachable")
    monitor.synced()  # two minutes: below homeserver_down_minutes (5)
    assert await setup.alerts() == []
    monitor.sync_failed("unreachable")
    setup.clock.advance(timedelta(minutes=6))
    monitor.sync_failed("error")
    monitor.synced()
    [alert] = await setup.alerts()
    assert "von 21.11.2026 10:02 CET bis 21.11.2026 10:08 CET nicht erreichbar (6 min)" in alert
    assert "unreachable from 21.11.2026 10:02 CET to 21.11.2026 10:08 CET" in alert
    text = setup.scrape()
    assert sample(text, "redi_homeserver_errors_total", kind="unreachable") == 3
    assert sample(text, "redi_homeserver_errors_total", kind="error") == 1


async def test_a_missed_reminder_is_counted_and_alerted(setup: Setup, db: Database) -> None:
    clock = setup.clock
    message = DueMessage("meeting", 3, NOW + timedelta(minutes=15), timedelta(minutes=15), ROOM, fixed_content({}))
    clock.advance(timedelta(hours=3))  # the bot was down past the grace period
    sender = RecordingSender()
    await deliver(message, db=db, sender=sender, clock=clock, grace=timedelta(hours=2), observer=setup.monitor)
    on_time = replace(message, ref_id=4, occurrence=clock.now() + timedelta(minutes=15))
    await deliver(on_time, db=db, sender=sender, clock=clock, grace=timedelta(hours=2), observer=setup.monitor)
    text = setup.scrape()
    assert sample(text, "redi_reminders_total", outcome="missed") == 1
    assert sample(text, "redi_reminders_total", outcome="sent") == 1
    [alert] = await setup.alerts()
    assert "meeting 3" in alert and "fällig 21.11.2026 10:00 CET" in alert


@pytest.fixture
async def status(setup: Setup, db: Database) -> AsyncIterator[StatusServer]:
    server = StatusServer(setup.monitor, db, "127.0.0.1", 0, jobs_pending=lambda: 4)
    await server.start()
    yield server
    await server.stop()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_health_is_503_with_the_reason_until_the_sync_loop_runs_and_synced_recently(
    setup: Setup, status: StatusServer
) -> None:
    code, body = await get(status.url + "/health")
    assert code == 503 and json.loads(body)["problems"] == ["sync loop not running"]
    setup.monitor.metrics.syncing = True
    code, body = await get(status.url + "/health")
    assert code == 503 and json.loads(body)["problems"] == ["no successful sync yet"]
    setup.monitor.synced()
    setup.watch.now += 12.5
    code, body = await get(status.url + "/health")
    assert code == 200 and json.loads(body) == {"status": "ok", "seconds_since_sync": 12.5, "problems": []}
    setup.watch.now += SYNC_STALE_AFTER_S
    code, body = await get(status.url + "/health")
    assert code == 503 and json.loads(body)["problems"] == ["last successful sync 132 s ago"]
    code, text = await get(status.url + "/metrics")
    assert code == 200
    assert sample(text, "redi_sync_lag_seconds") == pytest.approx(132.5)
    assert sample(text, "redi_scheduler_jobs_pending") == 4
    assert sample(text, "redi_outbox_backlog") == 0


async def test_health_is_503_when_the_database_does_not_answer(setup: Setup, tmp_path: Path) -> None:
    gone = Database(f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'bot.sqlite3'}")
    server = StatusServer(setup.monitor, gone, "127.0.0.1", 0)
    await server.start()
    try:
        setup.monitor.metrics.syncing = True
        setup.monitor.synced()
        code, body = await get(server.url + "/health")
        assert code == 503 and json.loads(body)["problems"][0].startswith("database does not answer")
        code, _ = await get(server.url + "/metrics")
        assert code == 200, "the numbers are still there"
    finally:
        await server.stop()
        await gone.dispose()


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = log_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


async def test_json_log_lines_carry_room_command_and_reference_and_no_message_text(
    setup: Setup, json_log: io.StringIO
) -> None:
    await setup.ask("!ping")
    reply = await setup.ask(f"!kaputt {SECRET}")
    await setup.ask(f"!werweiss {SECRET}")
    await setup.alerts()
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    failed = next(line for line in lines if "failed" in line["message"])
    assert failed["level"] == "ERROR" and failed["room"] == ROOM and failed["command"] == "kaputt"
    assert failed["ref"] in reply
    handled = [(line["command"], line["room"]) for line in lines if line["message"].startswith("handled ")]
    assert handled == [("ping", ROOM), ("kaputt", ROOM), ("werweiss", ROOM)]
    everything = json_log.getvalue()
    assert "Geheimnis" not in everything and "4711" not in everything


def write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[matrix]\nhomeserver = "http://127.0.0.1:8008"\nuser_id = "@bot:localhost"\n' + extra, encoding="utf-8"
    )
    return path


def test_monitoring_is_off_by_default_and_reads_its_keys(tmp_path: Path) -> None:
    default = load_config(write(tmp_path, ""), env={})
    assert default.monitoring_listen is None and default.admin_room is None
    assert default.homeserver_down_alert == timedelta(minutes=5) and default.alert_interval == timedelta(minutes=10)
    config = load_config(
        write(
            tmp_path,
            '[bot]\nadmin_room = "#admins:localhost"\n'
            '[monitoring]\nlisten = "[::1]:9464"\nhomeserver_down_minutes = 2\nalert_interval_minutes = 0\n',
        ),
        env={},
    )
    assert config.monitoring_listen == ("::1", 9464) and config.admin_room == "#admins:localhost"
    assert config.homeserver_down_alert == timedelta(minutes=2) and config.alert_interval == timedelta(0)
    assert config.room_aliases() == ["#admins:localhost"], "resolved like the other rooms"
    resolved, _ = config.with_room_ids({"#admins:localhost": "!a:localhost"})
    assert resolved.admin_room == "!a:localhost"
    assert load_config(write(tmp_path, '[monitoring]\nlisten = "127.0.0.1:9464"\n'), env={}).monitoring_listen == (
        "127.0.0.1",
        9464,
    )


@pytest.mark.parametrize(
    ("extra", "key", "says"),
    [
        ('[monitoring]\nlisten = "9464"\n', "monitoring.listen", '"127.0.0.1:9464"'),
        ('[monitoring]\nlisten = "127.0.0.1:70000"\n', "monitoring.listen", "Port 1–65535"),
        ("[monitoring]\nhomeserver_down_minutes = 0\n", "monitoring.homeserver_down_minutes", "mindestens 1"),
        ('[monitoring]\nport = "9464"\n', "monitoring.port", "unbekannter Schlüssel"),
        ('[bot]\nadmin_room = "admins"\n', "bot.admin_room", "Raum-ID"),
    ],
)
def test_a_wrong_monitoring_key_is_named(tmp_path: Path, extra: str, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, extra), env={})
    assert error.value.key == key and says in str(error.value)


async def test_log_format_json_on_the_command_line(tmp_path: Path) -> None:
    """`redi-bot --log-format json run`: every line on stderr is a JSON object (here: the endpoint it opened, then the
    refusal to start without credentials, which click prints as text after the log)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write(tmp_path, f'[bot]\ndata_dir = "{tmp_path}"\n[monitoring]\nlisten = "127.0.0.1:{port}"\n')
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--log-format", "json", "run", "-c", str(config),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    lines = err.decode().splitlines()
    assert proc.returncode == 1 and "redi-bot login" in lines[-1]
    logged = [json.loads(line) for line in lines[:-1]]
    opened = next(line for line in logged if line["logger"] == "bot.status")
    assert opened["level"] == "INFO" and {"time", "message"} <= set(opened)
    assert opened["message"] == f"health and metrics on http://127.0.0.1:{port}/health and /metrics"
