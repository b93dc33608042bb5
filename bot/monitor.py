"""Monitoring: the numbers an admin's Prometheus reads (`Metrics`), the alerts the admin room gets (`Alerts`) and the
fields every log line of a command carries (`CommandTrace`). The dispatcher, the scheduler and the transport report
to one `Monitor`.

Data minimisation (issue #14): label values name commands and outcomes, never people, rooms or message text; alerts
say what went wrong and its reference, never what anybody wrote.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.clock import Clock
from bot.config import Config
from bot.outbox import Outbox
from bot.replies import Reply, md_code, message_content
from storage import Database
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

OUTCOMES = ("ok", "user_error", "internal_error", "refused")
# A long-poll sync returns at least every 30 s; a loop that has not synced for this long is stuck or cut off.
SYNC_STALE_AFTER_S = 120.0
UNKNOWN_COMMAND = "unknown"  # the label of words that name no command: what people mistype is theirs


@dataclass
class CommandTrace:
    """What the log lines of one command carry as fields (room, command, reference id), and how it ended. Set by the
    dispatcher in a context variable, so every log call inside the command has them without passing them on."""

    room: str
    command: str | None = None  # the command's name (a subcommand with its parent's: "termin absagen")
    outcome: str = "ok"
    ref: str | None = None  # the reference id of an internal error, shown to the person and the admin

    def fields(self) -> dict[str, str]:
        values = {"room": self.room, "command": self.command or UNKNOWN_COMMAND, "ref": self.ref}
        return {key: value for key, value in values.items() if value is not None}


current_command: contextvars.ContextVar[CommandTrace | None] = contextvars.ContextVar("current_command", default=None)


class CommandFields(logging.Filter):
    """Puts the running command's room, command and reference id on every log record (JSON logs show them as
    fields). A filter on the handler, so records of every logger get them."""

    def filter(self, record: logging.LogRecord) -> bool:
        trace = current_command.get()
        if trace is not None:
            for key, value in trace.fields().items():
                setattr(record, key, value)
        return True


class Metrics:
    """Prometheus metrics in a registry of their own (several apps in one test process must not share counters)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.registry = CollectorRegistry()
        self._monotonic = monotonic  # elapsed time, not the (possibly shifted) clock of the bot's business
        self.commands = Counter(
            "redi_commands", "Commands handled, by command and outcome", ["command", "outcome"], registry=self.registry
        )
        self.reply_latency = Histogram(
            "redi_reply_latency_seconds",
            "From a command received to its reply sent",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=self.registry,
        )
        self.reminders = Counter(
            "redi_reminders", "Scheduled messages: sent, sent late, or missed", ["outcome"], registry=self.registry
        )
        self.homeserver_errors = Counter(
            "redi_homeserver_errors",
            "Failed requests to the homeserver: unreachable, error (an error response), rate_limited (HTTP 429)",
            ["kind"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "redi_outbox_backlog", "Messages waiting in the outbox (read at scrape time)", registry=self.registry
        )
        self.jobs_pending = Gauge("redi_scheduler_jobs_pending", "Scheduled jobs waiting", registry=self.registry)
        self.sync_lag = Gauge(
            "redi_sync_lag_seconds", "Seconds since the last successful sync (-1: none yet)", registry=self.registry
        )
        self.sync_lag.set_function(lambda: -1.0 if (lag := self.seconds_since_sync()) is None else lag)
        for outcome in ("sent", "late", "missed"):  # shown as 0 from the start, so a rate can be computed at once
            self.reminders.labels(outcome)
        for kind in ("unreachable", "error", "rate_limited"):
            self.homeserver_errors.labels(kind)
        self.syncing = False  # the sync loop runs
        self._last_sync: float | None = None

    def synced(self) -> None:
        self._last_sync = self._monotonic()

    def seconds_since_sync(self) -> float | None:
        return None if self._last_sync is None else self._monotonic() - self._last_sync

    def sync_problem(self) -> str | None:
        """Why the sync loop is not well, or None."""
        if not self.syncing:
            return "sync loop not running"
        lag = self.seconds_since_sync()
        if lag is None:
            return "no successful sync yet"
        if lag > SYNC_STALE_AFTER_S:
            return f"last successful sync {lag:.0f} s ago"
        return None


@dataclass
class _Kind:
    """The rate limit of one kind of alert."""

    last: datetime | None = None
    suppressed: int = 0


@dataclass(frozen=True)
class Alert:
    kind: str  # internal_error, missed, homeserver
    de: str
    en: str


class Alerts:
    """Messages for the admins in `[bot].admin_room`: at most one of a kind per `[monitoring].alert_interval_minutes`;
    the next one says how many were held back meanwhile (the log has each of them). German first, then English, in
    one message: admin rooms are shared by people of either language, whatever the bot's default language is."""

    def __init__(self, config: Config, clock: Clock, db: Database | None = None, outbox: Outbox | None = None) -> None:
        self.config = config
        self.clock = clock
        self.db = db
        self.outbox = outbox  # set by the composition root: it sends (and retries) the alerts
        self._kinds: dict[str, _Kind] = {}
        self._sending: set[asyncio.Task[None]] = set()

    def raise_alert(self, alert: Alert) -> str | None:
        """Send `alert` unless one of its kind went out within the interval (then it is counted for the next one).
        Returns the text sent, None if held back or no admin room is configured."""
        if self.config.admin_room is None:
            return None
        now = self.clock.now()
        state = self._kinds.setdefault(alert.kind, _Kind())
        if state.last is not None and now - state.last < self.config.alert_interval:
            state.suppressed += 1
            return None
        de, en = alert.de, alert.en
        if state.suppressed:
            de += f" (dazu {state.suppressed} weitere seit der letzten Meldung, siehe Protokoll)"
            en += f" ({state.suppressed} more since the last alert, see the log)"
        state.last, state.suppressed = now, 0
        text = f"{de}\n\n{en}"
        self._send(self.config.admin_room, text)
        return text

    def internal_error(self, ref: str, command: str | None) -> str | None:
        name = md_code(self.config.command_prefix + command) if command else "einem Befehl"
        name_en = md_code(self.config.command_prefix + command) if command else "a command"
        return self.raise_alert(
            Alert(
                "internal_error",
                f"⚠️ Interner Fehler bei {name}, Referenz {md_code(ref)}: Details im Protokoll des Bots.",
                f"⚠️ Internal error in {name_en}, reference {md_code(ref)}: details in the bot's log.",
            )
        )

    def missed(self, kind: str, ref_id: int, due: datetime) -> str | None:
        when = self._local(due)
        return self.raise_alert(
            Alert(
                "missed",
                f"⚠️ Geplante Nachricht verpasst ({kind} {ref_id}, fällig {when}): der Bot war länger aus als "
                "`reminder_grace_seconds` erlaubt.",
                f"⚠️ Scheduled message missed ({kind} {ref_id}, due {when}): the bot was down for longer than "
                "`reminder_grace_seconds` allows.",
            )
        )

    def homeserver_was_down(self, since: datetime, until: datetime) -> str | None:
        minutes = round((until - since) / timedelta(minutes=1))
        return self.raise_alert(
            Alert(
                "homeserver",
                f"ℹ️ Der Homeserver war von {self._local(since)} bis {self._local(until)} nicht erreichbar "
                f"({minutes} min); jetzt wieder erreichbar.",
                f"ℹ️ The homeserver was unreachable from {self._local(since)} to {self._local(until)} "
                f"({minutes} min); reachable again.",
            )
        )

    def _local(self, when: datetime) -> str:
        return when.astimezone(self.config.timezone).strftime("%d.%m.%Y %H:%M %Z")

    def _send(self, room_id: str, text: str) -> None:
        if self.outbox is None:
            log.warning("alert for the admin room not sent (no outbox): %s", text.replace("\n\n", " / "))
            return
        task = asyncio.create_task(self._deliver(room_id, text))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _deliver(self, room_id: str, text: str) -> None:
        """Stored in the outbox first, which retries until the homeserver takes it (also after a restart); if the
        database is what fails, sent at once instead."""
        assert self.outbox is not None
        key = "alert-" + secrets.token_hex(8)
        message = Outgoing(key, message_content(Reply.text(text)), room_id=room_id)
        try:
            if self.db is None:
                raise RuntimeError("no database")
            async with self.db.transaction() as repos:
                await repos.outbox.add(key, [message], now=self.clock.now())
        except Exception:
            log.warning("could not store an alert in the outbox; sending it at once", exc_info=True)
            try:
                await self.outbox.send_now([message])
            except Exception:
                log.exception("could not send an alert to the admin room %s", room_id)
            return
        await self.outbox.deliver(key)

    async def drain(self) -> None:
        """Until the alerts raised so far were handed to the homeserver (or left in the outbox to retry)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def close(self, grace: float = 5.0) -> None:
        """Let alerts being sent finish within `grace` seconds, then cancel them (they stay in the outbox)."""
        sending = set(self._sending)
        if not sending:
            return
        _, pending = await asyncio.wait(sending, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*sending, return_exceptions=True)


@dataclass
class Monitor:
    """Where the parts report: it counts (`metrics`) and tells the admins (`alerts`)."""

    metrics: Metrics
    alerts: Alerts
    _down_since: datetime | None = field(default=None, init=False)
    _unreachable: asyncio.Event = field(default_factory=asyncio.Event, init=False)  # set while syncs fail

    @classmethod
    def create(cls, config: Config, clock: Clock, db: Database | None = None) -> Monitor:
        return cls(Metrics(), Alerts(config, clock, db))

    # -- the dispatcher ------------------------------------------------------------------------------
    def command(self, trace: CommandTrace) -> None:
        self.metrics.commands.labels(trace.command or UNKNOWN_COMMAND, trace.outcome).inc()
        if trace.outcome == "internal_error" and trace.ref is not None:
            self.alerts.internal_error(trace.ref, trace.command)

    # -- the transport -------------------------------------------------------------------------------
    def replied(self, seconds: float) -> None:
        self.metrics.reply_latency.observe(seconds)

    def synced(self) -> None:
        """A sync succeeded: an outage long enough to matter ends with an alert (it could not be sent before)."""
        self.metrics.synced()
        self._unreachable.clear()
        since, self._down_since = self._down_since, None
        if since is not None:
            now = self.alerts.clock.now()
            if now - since >= self.alerts.config.homeserver_down_alert:
                log.warning("the homeserver was unreachable from %s to %s", since.isoformat(), now.isoformat())
                self.alerts.homeserver_was_down(since, now)

    def sync_failed(self, kind: str) -> None:
        self.request_failed(kind)
        if self._down_since is None:
            self._down_since = self.alerts.clock.now()
        self._unreachable.set()

    async def wait_unreachable(self) -> None:
        """Until a sync failed (and none succeeded since): the outage has begun for the bot."""
        await self._unreachable.wait()

    def request_failed(self, kind: str) -> None:
        """`kind`: unreachable, error, or rate_limited (429)."""
        self.metrics.homeserver_errors.labels(kind).inc()

    # -- the scheduler -------------------------------------------------------------------------------
    def delivered(self, kind: str, ref_id: int, due: datetime, outcome: str) -> None:
        """`outcome`: sent, late or missed (a message already sent is not counted again)."""
        self.metrics.reminders.labels(outcome).inc()
        if outcome == "missed":
            self.alerts.missed(kind, ref_id, due)
