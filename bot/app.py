"""Composition root: builds every part once and passes it down. Nothing happens at import."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.backup import RunLock
from bot.clock import Clock, SystemClock
from bot.config import Config, ConfigError, Reloaded, load_config, reload_config
from bot.dispatch import Dispatcher, Feature, FileSource, OnBehalf, Router
from bot.matrix import MatrixError, MatrixTransport
from bot.monitor import Monitor
from bot.outbox import Outbox, Sender
from bot.scheduler import JobEnv, Planner, Scheduler
from bot.status import StatusServer
from bot.web import WebServer
from bot.web.pages import Pages
from commands import decisions, expertise, help, meetings, privacy, substitutions, web
from commands.introduction import Introductions
from commands.meetings.feeds import calendar_name
from storage import Database
from storage.analysis import Analyzer

log = logging.getLogger(__name__)

TALLY_FLUSH = timedelta(minutes=5)  # how often the `!werweiss` statistics are written


# Every feature, named once, in the order `!hilfe` lists them.
FEATURES: tuple[Feature, ...] = (
    help.feature,
    expertise.feature,
    meetings.feature,
    substitutions.feature,
    decisions.feature,
    privacy.feature,
    web.feature,
)


def all_routers() -> list[Router]:
    return [feature.router for feature in FEATURES]


@dataclass
class App:
    config: Config
    clock: Clock
    db: Database
    dispatcher: Dispatcher
    transport: MatrixTransport
    scheduler: Scheduler
    planner: Planner
    greeter: Introductions | None = None
    web: WebServer | None = None  # [web]: calendar feeds
    monitor: Monitor | None = None
    status: StatusServer | None = field(default=None, init=False)  # /health and /metrics, if configured
    _planning: asyncio.Task[None] | None = field(default=None, init=False)
    _outbox: asyncio.Task[None] | None = field(default=None, init=False)
    _caught_up: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _connected: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _reloads: set[asyncio.Task[Reloaded | None]] = field(default_factory=set, init=False)
    # The room each alias of the config named when last asked: kept while the homeserver cannot be asked again.
    _room_ids: dict[str, str] = field(default_factory=dict, init=False)
    # Held while the bot runs: a restore refuses to run meanwhile, and so does a second bot on the same data_dir.
    _lock: RunLock | None = field(default=None, init=False)

    async def start(self) -> None:
        """Migrate, connect, start the scheduler; then `run()` syncs until `stop()`."""
        self._lock = RunLock.acquire(self.config.data_dir)
        try:
            await self._start()
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    async def _start(self) -> None:
        await self.db.upgrade()
        if self.config.monitoring_listen is not None and self.monitor is not None:
            # Before connecting: while the homeserver is not reached yet, /health already says so.
            host, port = self.config.monitoring_listen
            self.status = StatusServer(
                self.monitor, self.db, host, port, jobs_pending=lambda: len(self.scheduler.job_ids())
            )
            await self.status.start()
        async with self.db.transaction() as repos:
            if await repos.decisions.rebuild_index_if_stale():
                log.info("rebuilt the decision search index (a new index format, or the analysis or synonyms changed)")
            # Commands older than the maximum age are never answered again, so their records can go.
            old = self.clock.now() - 2 * self.config.max_command_age
            await repos.ledger.prune_commands(before=old)
            await repos.outbox.prune(before=old)
        await self.transport.connect()
        self._use(await self._with_room_ids(self.config))  # before the first command: rooms are compared by id
        if self.web is not None:  # a port in use stops the start here, with the reason, not later unnoticed
            await self.web.start()
        self._connected.set()
        self.scheduler.start()
        self._planning = asyncio.create_task(self._plan_after_first_sync())
        self._plan_tally_flush()

    def _plan_tally_flush(self) -> None:
        self.scheduler.at("search-tally", self.clock.now() + TALLY_FLUSH, self._flush_tally)

    async def _flush_tally(self, *, again: bool = True) -> None:
        try:
            async with self.db.transaction() as repos:
                await self.dispatcher.tally.flush(repos.search_stats)
        except Exception:
            log.exception("writing the search statistics failed")
        if again:
            self._plan_tally_flush()

    async def _plan_after_first_sync(self) -> None:
        # Reminders and the outbox need nio to know the rooms (first sync) before they can be sent.
        await self.transport.wait_ready()
        assert self.transport.outbox is not None
        try:
            self._outbox = asyncio.create_task(self.transport.outbox.run())  # what a crash left unsent goes out first
            await self.planner.start()
        finally:
            self._caught_up.set()

    async def wait_caught_up(self) -> None:
        """Until the start-up work after the first sync has ended: every feature's jobs are planned, and what fell
        due while the bot was down has been sent (or recorded as missed). A restarted bot has caught up then."""
        await self._caught_up.wait()

    async def run(self) -> None:
        await self.transport.run(self.dispatcher.handle)

    def _use(self, config: Config) -> None:
        """Hand a config to every part that reads it for each command, invite or room the bot arrives in."""
        self.config = config
        self.dispatcher.config = config
        self.transport.config = config
        if self.greeter is not None:
            self.greeter.config = config
        if self.monitor is not None:
            self.monitor.alerts.config = config

    async def _with_room_ids(self, config: Config) -> Config:
        """`config` with the room ids its room aliases stand for, asked from the homeserver. An alias it cannot
        resolve is logged with what to do, and its entry is left out (or, while the homeserver cannot be asked,
        kept with the room the alias named before)."""
        ids: dict[str, str] = {}
        for alias in config.room_aliases():
            where = " and ".join(
                key
                for key, named in (
                    ("[network].network_room", alias == config.network_room),
                    ("[bot].admin_room", alias == config.admin_room),
                    (f'[rooms] "{alias}"', alias in config.room_groups),
                )
                if named
            )
            try:
                room_id = await self.transport.resolve_alias(alias)
            except MatrixError as exc:
                room_id = self._room_ids.get(alias)
                if room_id is not None:
                    log.warning(
                        "%s: could not ask the homeserver for the room alias %s (%s); using %s, the room it named "
                        "before", where, alias, exc, room_id,
                    )  # fmt: skip
                else:
                    log.error(
                        "%s: could not ask the homeserver for the room alias %s (%s); the entry is ignored until the "
                        "config is reloaded (SIGHUP) or the bot restarted", where, alias, exc,
                    )  # fmt: skip
            else:
                if room_id is None:
                    self._room_ids.pop(alias, None)
                    log.error(
                        "%s: the homeserver knows no room alias %s, so the entry is ignored. Check the spelling, or "
                        "write the room id instead (Element: Room settings → Advanced → Internal room ID), then "
                        "reload the config (SIGHUP)", where, alias,
                    )  # fmt: skip
                elif self._room_ids.get(alias) != room_id:  # said once, and again when it names another room
                    log.info("%s: the room alias %s is the room %s", where, alias, room_id)
            if room_id is not None:
                ids[alias] = self._room_ids[alias] = room_id
        resolved, problems = config.with_room_ids(ids)
        for problem in problems:
            log.warning("%s", problem)
        return resolved

    def request_reload(self, path: Path) -> None:
        """What SIGHUP does: read the config file again, in the background (see `reload`)."""
        task = asyncio.create_task(self.reload(path))
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def reload(self, path: Path, env: Mapping[str, str] | None = None) -> Reloaded | None:
        """Read the config file again and use from now on what can change while the bot runs (rooms and groups,
        coordinators, cities, invites, meeting reminders …: `bot.config.RELOADABLE`); log which keys changed, and
        which wait for a restart. A config with a mistake changes nothing: the bot goes on with the one it has."""
        await self._connected.wait()  # room aliases are resolved by the homeserver
        async with self._reload_lock:
            try:
                new = load_config(path, env)
            except ConfigError as exc:
                log.error("config not reloaded, the bot goes on with the one it has: %s", exc)
                return None
            except Exception:
                log.exception("config not reloaded, the bot goes on with the one it has")
                return None
            result = reload_config(self.config, await self._with_room_ids(new))
            self._use(result.config)
            if result.changed:
                log.info("config reloaded from %s; in use now: %s", path, ", ".join(result.changed))
            else:
                log.info("config reloaded from %s; nothing that can change while the bot runs has changed", path)
            if result.need_restart:
                log.warning(
                    "config: %s changed, which takes a restart; until then the bot keeps the old values",
                    ", ".join(result.need_restart),
                )
            return result

    async def stop(self, runner: asyncio.Task[None] | None = None, grace: float = 10.0) -> None:
        """Everything that uses the database ends before it closes, and is let finish rather than cut
        off: a task cancelled inside a unit of work can leave an SQLite write transaction open, which
        blocks the next start ("database is locked")."""
        self.transport.request_stop()
        for reload in list(self._reloads):  # a reload waiting for the homeserver must not outlive the bot
            reload.cancel()
        await asyncio.gather(*self._reloads, return_exceptions=True)
        if runner is not None:
            await asyncio.gather(runner, return_exceptions=True)  # the sync loop writes the sync token
        if self._planning is not None:
            await _finish(self._planning, grace)
        if self._outbox is not None:  # rows it did not get to stay in the outbox for the next start
            assert self.transport.outbox is not None
            self.transport.outbox.stop()
            await _finish(self._outbox, grace)
        await self.dispatcher.close()
        await self.scheduler.shutdown(grace)
        if self.monitor is not None:  # alerts not sent by now stay in the outbox for the next start
            await self.monitor.alerts.close(grace)
        if self.status is not None:
            await self.status.stop()
        await self._flush_tally(again=False)
        if self.web is not None:
            await self.web.stop(grace)
        await self.transport.stop(grace)
        await self.db.dispose()
        self._release()

    async def serve(self, stop: asyncio.Event) -> None:
        """start → run until `stop` is set → stop; used by the CLI and the demo."""
        try:
            await self.start()
        except BaseException:
            if self.status is not None:  # the port must be free for the next try
                await self.status.stop()
            raise
        runner = asyncio.create_task(self.run())
        waiter = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                runner.result()  # surface a crash of the sync loop
        finally:
            waiter.cancel()
            await self.stop(runner)


async def _finish(task: asyncio.Task[None], grace: float) -> None:
    """Let `task` end by itself within `grace` seconds; only then cancel it (and wait for that too)."""
    done, _ = await asyncio.wait({task}, timeout=grace)
    if not done:
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@dataclass(frozen=True)
class Parts:
    """Everything but the transport: what the tests run over a recording sender, and `build_app` over Matrix."""

    dispatcher: Dispatcher
    scheduler: Scheduler
    planner: Planner
    outbox: Outbox
    monitor: Monitor


def build_parts(
    config: Config,
    clock: Clock,
    db: Database,
    sender: Sender,
    files: FileSource | None,
    monitor: Monitor | None = None,
) -> Parts:
    monitor = monitor or Monitor.create(config, clock, db)
    scheduler = Scheduler(clock)
    env = JobEnv(db=db, scheduler=scheduler, sender=sender, clock=clock, grace=config.reminder_grace, observer=monitor)
    planner = Planner([jobs for feature in FEATURES if feature.jobs for jobs in feature.jobs(env, config)])
    dispatcher = Dispatcher(
        routers=all_routers(), config=config, db=db, clock=clock, files=files, planner=planner, monitor=monitor
    )
    outbox = Outbox(db, sender, dispatcher.registry.sent_hooks, clock)
    monitor.alerts.outbox = outbox  # alerts go out (and are retried) like every other message
    return Parts(dispatcher=dispatcher, scheduler=scheduler, planner=planner, outbox=outbox, monitor=monitor)


def open_database(config: Config) -> Database:
    """The configured database, with the text analysis that knows the network's own words (the synonyms), so the
    bot and the command-line tools index and search alike."""
    return Database(config.database_url, analyzer=Analyzer(extra_words=[w for group in config.synonyms for w in group]))


def build_app(config: Config, clock: Clock | None = None) -> App:
    clock = clock or SystemClock()
    db = open_database(config)
    monitor = Monitor.create(config, clock, db)
    transport = MatrixTransport(config, db, clock, monitor)
    parts = build_parts(config, clock, db, sender=transport, files=transport, monitor=monitor)
    transport.outbox = parts.outbox
    greeter = Introductions(db, parts.outbox, config, clock)
    transport.greeter = greeter
    web = None
    if config.web is not None:
        server_name = config.matrix.user_id.partition(":")[2]
        web = WebServer(
            config.web,
            db,
            transport,
            clock,
            server=server_name,
            name=lambda room_id: calendar_name(transport.config, room_id),  # the config in use, after a reload too
            ready=transport.wait_ready,
            pages=Pages(
                lambda: transport.config,
                db,
                transport,
                clock,
                parts.dispatcher.catalog,
                ready=transport.wait_ready,
                actions=OnBehalf(parts.dispatcher, parts.outbox),  # the pages' buttons run chat's commands
            ),
        )
    return App(
        config=config,
        clock=clock,
        db=db,
        dispatcher=parts.dispatcher,
        transport=transport,
        scheduler=parts.scheduler,
        planner=parts.planner,
        greeter=greeter,
        web=web,
        monitor=monitor,
    )
