"""`/health` and `/metrics` on a local address (`[monitoring].listen`), served by aiohttp (which matrix-nio brings).

No authentication: it is meant for 127.0.0.1 or a network only the monitoring reaches. It tells nothing about
people: counts, durations and the names of commands.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.monitor import Monitor
from storage import Database

log = logging.getLogger(__name__)

DATABASE_TIMEOUT_S = 5.0  # a health check that waits longer than this says "unhealthy" rather than hanging


class StatusServer:
    def __init__(
        self, monitor: Monitor, db: Database, host: str, port: int, *, jobs_pending: Callable[[], int] = lambda: 0
    ) -> None:
        self.monitor = monitor
        self.db = db
        self.host = host
        self.port = port
        self._jobs_pending = jobs_pending
        app = web.Application()
        app.router.add_get("/health", self.health)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)  # a scrape every 15 s is not worth a log line

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # tests ask for a free port: remember which one it was
            self.port = int(self._runner.addresses[0][1])
        log.info("health and metrics on http://%s:%d/health and /metrics", self.host, self.port)

    async def stop(self) -> None:
        await self._runner.cleanup()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def health(self, request: web.Request) -> web.Response:
        """200 when the sync loop runs, synced recently and the database answers; else 503 with the reasons."""
        problems: list[str] = []
        sync_problem = self.monitor.metrics.sync_problem()
        if sync_problem is not None:
            problems.append(sync_problem)
        try:
            await asyncio.wait_for(self.db.ping(), DATABASE_TIMEOUT_S)
        except Exception as exc:
            log.warning("health check: the database does not answer (%s)", type(exc).__name__)
            problems.append(f"database does not answer: {type(exc).__name__}")
        lag = self.monitor.metrics.seconds_since_sync()
        body = {
            "status": "unhealthy" if problems else "ok",
            "seconds_since_sync": None if lag is None else round(lag, 1),
            "problems": problems,
        }
        return web.Response(
            status=503 if problems else 200, text=json.dumps(body), content_type="application/json", charset="utf-8"
        )

    async def metrics(self, request: web.Request) -> web.Response:
        metrics = self.monitor.metrics
        metrics.jobs_pending.set(self._jobs_pending())
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT_S):
                async with self.db.reading() as repos:  # a scrape never waits for (or holds up) a write
                    metrics.outbox_backlog.set(await repos.outbox.backlog())
        except Exception as exc:  # the other numbers are still worth having; /health says what is wrong
            log.debug("outbox backlog not read: %s", exc)
        return web.Response(body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
