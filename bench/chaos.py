"""Chaos run: the bot as its own process against a throwaway Synapse, killed, cut off, rate-limited, fuzzed
and loaded, on SQLite and PostgreSQL. Figures come from what the clients receive (decrypted, as a person
sees it), plus the bot's log for 429s and internal errors.

    .venv/bin/python bench/chaos.py [--backend sqlite|postgres|both] [--scenario kill,outage,...|all]

Scenarios: kill (SIGKILL during 50 meeting reminders and a few first direct messages), outage (60 s
without homeserver), ratelimit (a 429 storm), fuzz (the fuzz corpus), load (20 users for 60 s).
Exit code 1 if anything was lost, duplicated, unanswered, unreadable, an internal error, or the recovery
after the outage took more than 5 s: so it can gate. Each run's bot log stays in the printed folder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import os
import random
import re
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import aiohttp
from common import bot_config, percentile, start_bot
from sqlalchemy.ext.asyncio import create_async_engine

from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.fuzz import fuzz_corpus
from bot.dev.homeserver import Homeserver, RegisteredUser
from storage import Database, normalize_url

SCENARIOS = ("kill", "outage", "ratelimit", "fuzz", "load")
PG_URL = os.environ.get("REDI_CHAOS_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
GRACE_S = 3600  # reminders that fell due while the bot was down are still sent (late) within this
LATE_AFTER_MS = 60_000  # later than this, a reminder must say it is late (bot.scheduler.LATE_AFTER)
LATE_MARK = "verspätet"
INTERNAL_ERROR_LOG = "failed [ref"
INTERNAL_ERROR_REPLY = "schiefgegangen"
RECOVERY_TARGET_S = 5.0


@dataclass
class Figures:
    """One scenario's outcome: the gating counts and the table rows to print."""

    lost: int = 0
    duplicated: int = 0
    internal_errors: int = 0
    unanswered: int = 0
    unreadable: int = 0
    late_unmarked: int = 0
    recovery_s: float | None = None
    rows: list[tuple[str, str]] = field(default_factory=list)

    def row(self, name: str, value: object) -> None:
        self.rows.append((name, str(value)))


class Run:
    """One scenario on one backend: its own Synapse, database, bot process and clients, all cleaned up."""

    def __init__(self, base: Path, homeserver: Homeserver, db_url: str) -> None:
        self.base = base
        self.homeserver = homeserver
        self.db_url = db_url
        self.config = base / "bot.toml"
        self.log_path = base / "bot.log"
        self._log: IO[Any] = self.log_path.open("a")
        self.bot: asyncio.subprocess.Process | None = None
        self.bot_account: RegisteredUser | None = None
        self.clients: list[DevClient] = []
        self.passwords: dict[str, str] = {}
        self.restarts = 0

    @property
    def bot_id(self) -> str:
        assert self.bot_account is not None
        return self.bot_account.user_id

    async def setup_bot(self) -> None:
        self.bot_account = await self.homeserver.register("chaos-bot", "chaos-bot-pw")
        self.config.write_text(
            bot_config(
                self.homeserver.base_url,
                self.bot_account.user_id,
                self.bot_account.password,
                self.base / "bot-data",
                database_url=self.db_url,
                reminder_grace_seconds=GRACE_S,
            ),
            encoding="utf-8",
        )

    async def start_bot(self) -> None:
        self.bot = await start_bot(self.config, self._log)

    async def stop_bot(self) -> None:
        """SIGTERM: a clean stop (for set-up steps, not chaos)."""
        if self.bot is not None and self.bot.returncode is None:
            self.bot.terminate()
            await self.bot.wait()

    async def kill_bot(self) -> None:
        if self.bot is not None and self.bot.returncode is None:
            self.bot.kill()
            await self.bot.wait()
        self._log.write(f"===== chaos: SIGKILL at {datetime.now(UTC).isoformat()} =====\n")
        self._log.flush()

    def peak_rss_kb(self) -> int:
        """VmHWM of the bot process: the most resident memory it ever had."""
        assert self.bot is not None
        status = Path(f"/proc/{self.bot.pid}/status").read_text(encoding="utf-8")
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) if match else 0

    def log_count(self, needle: str) -> int:
        self._log.flush()
        return sum(needle in line for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines())

    async def user(self, name: str) -> DevClient:
        account = await self.homeserver.register(name, f"{name}-pw")
        self.passwords[account.user_id] = account.password
        return await self.login(account.user_id)

    async def login(self, user_id: str) -> DevClient:
        store = self.base / "clients" / f"{user_id}-{secrets.token_hex(3)}"
        client = await DevClient.login(self.homeserver.base_url, user_id, self.passwords[user_id], store)
        self.clients.append(client)
        return client

    async def room(self, owner: DevClient, members: Sequence[DevClient] = (), *, encrypted: bool = False) -> str:
        """A room with the bot; members join a moment after the invite, like people."""
        invite = [self.bot_id, *(m.user_id for m in members)]
        room_id = await owner.create_room(name=f"Chaos {owner.user_id}", invite=invite, encrypted=encrypted)
        for member in members:
            await member.wait_for_invite(inviter=owner.user_id, timeout=30)
            await member.join(room_id)
        await owner.wait_for_join(room_id, self.bot_id, timeout=90)
        return room_id

    async def close(self) -> None:
        for client in self.clients:
            with contextlib.suppress(Exception):
                await client.close()
        self.clients.clear()
        if self.bot is not None and self.bot.returncode is None:
            self.bot.terminate()
            try:
                await asyncio.wait_for(self.bot.wait(), 15)
            except TimeoutError:
                self.bot.kill()
                await self.bot.wait()
        await self.homeserver.stop()
        self._log.close()


@asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    """A fresh database `chaos_<random>`, dropped afterwards (even with connections left open)."""
    name = f"chaos_{secrets.token_hex(4)}"
    engine = create_async_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            async with engine.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await engine.dispose()


@asynccontextmanager
async def scenario_run(root: Path, backend: str, scenario: str) -> AsyncIterator[Run]:
    base = root / f"{backend}-{scenario}"
    base.mkdir(parents=True)
    async with contextlib.AsyncExitStack() as stack:
        if backend == "postgres":
            db_url = await stack.enter_async_context(postgres_database(PG_URL))
        else:
            db_url = f"sqlite+aiosqlite:///{base / 'bot-data' / 'redi-bot.sqlite3'}"
        homeserver = await Homeserver.start(base / "synapse")
        run = Run(base, homeserver, db_url)
        try:
            await run.setup_bot()
            yield run
        finally:
            await run.close()


# --- helpers -------------------------------------------------------------------------------------------


def reply_to(bot_id: str, event_ids: set[str]) -> Callable[[ReceivedMessage], bool]:
    return lambda m: m.sender == bot_id and m.reply_to in event_ids


async def ask(client: DevClient, room_id: str, body: str, bot_id: str, timeout: float = 60) -> ReceivedMessage:  # noqa: ASYNC109
    event_id = await client.send_text(room_id, body)
    return await client.wait_for_message(reply_to(bot_id, {event_id}), timeout=timeout)


async def wait_until(clients: Sequence[DevClient], done: Callable[[], bool], seconds: float) -> bool:
    """Until `done()` holds, checked after every sync of any of the clients (or `seconds` pass)."""
    waits = [asyncio.create_task(c.wait_for(done, timeout=seconds)) for c in clients]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
    return done()


def replies_by_target(clients: Sequence[DevClient], bot_id: str) -> dict[str, int]:
    """How often the bot answered each event (counted once per room, however many members see it)."""
    seen: dict[str, str] = {}
    for client in clients:
        for message in client.received():
            if message.sender == bot_id and message.reply_to:
                seen[message.event_id] = message.reply_to
    counts: dict[str, int] = {}
    for target in seen.values():
        counts[target] = counts.get(target, 0) + 1
    return counts


def bot_messages(clients: Sequence[DevClient], bot_id: str) -> list[ReceivedMessage]:
    unique: dict[str, ReceivedMessage] = {}
    for client in clients:
        for message in client.received():
            if message.sender == bot_id:
                unique.setdefault(message.event_id, message)
    return list(unique.values())


async def write_meetings(run: Run, items: Sequence[tuple[str, str, datetime]], created_by: str) -> None:
    """Meetings (room, title, reminder due) with one reminder 15 min before, as if created earlier."""
    database = Database(run.db_url)
    try:
        async with database.transaction() as repos:
            for room_id, title, due in items:
                await repos.meetings.add(
                    room_id=room_id,
                    title=title,
                    start=due + timedelta(minutes=15),
                    timezone="Europe/Berlin",
                    rrule=None,
                    duration_minutes=None,
                    offsets=[900],
                    created_by=created_by,
                    now=datetime.now(UTC),
                )
    finally:
        await database.dispose()


def reminder_stamps(messages: Sequence[ReceivedMessage], pattern: str) -> dict[str, list[ReceivedMessage]]:
    """Title -> messages listing it (reminders due together in one room arrive as one list)."""
    found: dict[str, list[ReceivedMessage]] = {}
    for message in messages:
        if "⏰" in message.body:
            for title in set(re.findall(pattern, message.body)):
                found.setdefault(title, []).append(message)
    return found


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.time()))


# --- scenarios -----------------------------------------------------------------------------------------


async def kill_scenario(run: Run, rng: random.Random, *, reminders: int = 50, window: float = 180) -> Figures:
    """Meeting reminders due over `window` s in a few encrypted rooms, the bot SIGKILLed 8 times (some
    just as a reminder falls due) and restarted at once; plus first direct messages to people who accept
    the bot's invite after a moment."""
    figures = Figures()
    rooms, dm_users, kills = 5, 3, 8
    members = [await run.user(f"kill-{i}") for i in range(rooms)]
    await run.start_bot()
    room_ids = [await run.room(m, encrypted=True) for m in members]
    await run.stop_bot()
    first_due = time.time() + 45  # time for the restart and the personal reminders' set-up
    dues = [round(first_due + window * i / (reminders - 1)) for i in range(reminders)]
    items = [(room_ids[i % rooms], f"Chaos {i:02d}", datetime.fromtimestamp(due, UTC)) for i, due in enumerate(dues)]
    await write_meetings(run, items, members[0].user_id)
    await run.start_bot()

    async def accept_dm(member: DevClient) -> str:
        room_id = await member.wait_for_invite(inviter=run.bot_id, timeout=window + 120)
        await asyncio.sleep(rng.uniform(1.0, 2.0))  # a person notices the invite and clicks
        await member.join(room_id)
        return room_id

    dm_tasks = [asyncio.create_task(accept_dm(m)) for m in members[:dm_users]]
    for i, (member, room_id) in enumerate(zip(members[:dm_users], room_ids, strict=False)):
        await ask(member, room_id, f"!erinnere mich in 1 Minute an Chaos-DM {i}", run.bot_id, timeout=90)

    # Kill moments: half just after a reminder fell due (while sending), half anywhere in the window.
    start = time.time() + 2
    moments = sorted(
        [dues[rng.randrange(reminders)] + rng.uniform(0.0, 0.4) for _ in range(kills // 2)]
        + [rng.uniform(start, dues[-1]) for _ in range(kills - kills // 2)]
    )
    for moment in moments:
        await sleep_until(max(moment, time.time() + 3))  # at least 3 s so the restart gets somewhere
        await run.kill_bot()
        await run.start_bot()
        run.restarts += 1

    titles = {title for _, title, _ in items}
    expected_dm = {f"Chaos-DM {i}" for i in range(dm_users)}

    def delivered() -> tuple[set[str], set[str]]:
        messages = bot_messages(members, run.bot_id)
        meeting = set(reminder_stamps(messages, r"Chaos \d\d"))
        dm = set(reminder_stamps(messages, r"Chaos-DM \d"))
        return meeting, dm

    def complete() -> bool:
        meeting, dm = delivered()
        unreadable = sum(
            1 for member in members for room_id, sender, _ in member.undecryptable() if sender == run.bot_id
        )
        return meeting == titles and len(dm) + unreadable >= dm_users

    await wait_until(members, complete, max(0, dues[-1] - time.time()) + 120)
    # Stragglers (a duplicate after a restart) arrive before the answer to a later command.
    for member, room_id in zip(members, room_ids, strict=True):
        await ask(member, room_id, "!ping", run.bot_id, timeout=60)
    for task in dm_tasks:
        task.cancel()
    dm_rooms = {r for r in await asyncio.gather(*dm_tasks, return_exceptions=True) if isinstance(r, str)}

    messages = bot_messages(members, run.bot_id)
    stamps = reminder_stamps(messages, r"Chaos \d\d")
    dm_stamps = reminder_stamps(messages, r"Chaos-DM \d")
    due_ms = {title: due.timestamp() * 1000 for _, title, due in items}
    lateness = [m.origin_server_ts - due_ms[t] for t, ms in stamps.items() for m in ms]
    figures.unreadable = sum(
        1 for member in members for room_id, sender, _ in member.undecryptable() if room_id in dm_rooms
    )
    # An unreadable direct message arrived (it counts as unreadable, not also as lost).
    figures.lost = len(titles - set(stamps)) + max(0, len(expected_dm - set(dm_stamps)) - figures.unreadable)
    figures.duplicated = sum(len(ms) - 1 for ms in stamps.values()) + sum(len(ms) - 1 for ms in dm_stamps.values())
    figures.late_unmarked = sum(
        1
        for t, ms in stamps.items()
        for m in ms
        if m.origin_server_ts - due_ms[t] > LATE_AFTER_MS and LATE_MARK not in m.body
    )
    figures.internal_errors = run.log_count(INTERNAL_ERROR_LOG)
    figures.row("meeting reminders (5 encrypted rooms)", f"{reminders} due over {window:.0f} s")
    figures.row("SIGKILLs + restarts", f"{run.restarts}")
    figures.row("received / lost / duplicated", f"{len(stamps)} / {len(titles - set(stamps))} / "
                f"{sum(len(ms) - 1 for ms in stamps.values())}")  # fmt: skip
    if lateness:
        figures.row(
            "lateness p50 / p95 / max",
            f"{statistics.median(lateness) / 1000:.1f} / {percentile(lateness, 95) / 1000:.1f} / "
            f"{max(lateness) / 1000:.1f} s",
        )
    figures.row("late > 60 s without late mark", figures.late_unmarked)
    figures.row(
        "first DMs (personal reminders)",
        f"{len(dm_stamps)}/{dm_users} readable, {len(dm_rooms)} DM rooms joined, {figures.unreadable} unreadable",
    )
    figures.row("internal errors (bot log)", figures.internal_errors)
    return figures


async def history(run: Run, client: DevClient, room_id: str) -> list[dict[str, Any]]:
    """The room's timeline from the server (/messages), for messages sent before a client logged in."""
    url = f"{run.homeserver.base_url}/_matrix/client/v3/rooms/{room_id}/messages?dir=b&limit=1000"
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers={"Authorization": f"Bearer {client.access_token}"}) as response,
    ):
        body = await response.json()
    return [e for e in body.get("chunk", []) if e.get("type") == "m.room.message"]


async def outage_scenario(run: Run, rng: random.Random, *, outage: float = 60) -> Figures:
    """Synapse stopped for `outage` s and started again on the same port and data while the bot runs."""
    figures = Figures()
    member = await run.user("outage-0")
    await run.start_bot()
    room_id = await run.room(member)
    await run.stop_bot()
    cut = time.time() + 25  # the bot's restart and one answered ping before the cut
    offsets = (5, 30, 50)  # due during the outage: the first more than a minute late when it comes back
    items = [(room_id, f"Ausfall {i}", datetime.fromtimestamp(round(cut) + o, UTC)) for i, o in enumerate(offsets)]
    await write_meetings(run, items, member.user_id)
    await run.start_bot()
    await ask(member, room_id, "!ping", run.bot_id, timeout=60)
    await sleep_until(cut)

    await member.close()
    run.clients.remove(member)
    port = run.homeserver.port
    stopped = time.monotonic()
    await run.homeserver.stop()
    await asyncio.sleep(max(0.0, outage - (time.monotonic() - stopped)))  # the outage itself
    run.homeserver = await Homeserver.start(run.homeserver.workdir, port=port)
    reachable_ms = time.time() * 1000

    # A person retries `!ping` every 2 s until the bot answers.
    member = await run.login(member.user_id)
    pings: set[str] = set()
    answer: ReceivedMessage | None = None
    while answer is None and time.time() * 1000 - reachable_ms < 180_000:
        pings.add(await member.send_text(room_id, "!ping"))
        with contextlib.suppress(TimeoutError):
            answer = await member.wait_for_message(reply_to(run.bot_id, pings), timeout=2)
    if answer is not None:
        figures.recovery_s = (answer.origin_server_ts - reachable_ms) / 1000

    titles = {title for _, title, _ in items}

    async def delivered() -> set[str]:
        events = await history(run, member, room_id)
        return {t for e in events for t in re.findall(r"Ausfall \d", str(e["content"].get("body", "")))}

    # Reminders sent before this client's first sync are only in the server's timeline; later ones also
    # arrive by sync: re-read the timeline whenever the bot says something new.
    deadline = time.monotonic() + 120

    def bot_said(client: DevClient) -> int:
        return len(bot_messages([client], run.bot_id))

    while await delivered() != titles and time.monotonic() < deadline:
        said = bot_said(member)
        with contextlib.suppress(TimeoutError):
            await member.wait_for(functools.partial(lambda c, n: bot_said(c) > n, member, said), timeout=10)
    marker = await member.send_text(room_id, "!ping")
    pings.add(marker)
    with contextlib.suppress(TimeoutError):
        await member.wait_for_message(reply_to(run.bot_id, {marker}), timeout=60)

    events = await history(run, member, room_id)
    bot_events = [e for e in events if e.get("sender") == run.bot_id]
    due_ms = {title: due.timestamp() * 1000 for _, title, due in items}
    seen: dict[str, list[dict[str, Any]]] = {}
    for event in bot_events:
        for title in set(re.findall(r"Ausfall \d", str(event["content"].get("body", "")))):
            seen.setdefault(title, []).append(event)
    answered: dict[str, int] = {}
    for event in bot_events:
        target = ((event["content"].get("m.relates_to") or {}).get("m.in_reply_to") or {}).get("event_id")
        if target in pings:
            answered[target] = answered.get(target, 0) + 1
    figures.lost = len(titles - set(seen))
    figures.duplicated = sum(len(v) - 1 for v in seen.values()) + sum(n - 1 for n in answered.values())
    figures.unanswered = len(pings - set(answered))
    figures.internal_errors = run.log_count(INTERNAL_ERROR_LOG)
    figures.row("outage", f"{outage:.0f} s, Synapse restarted on port {port} with its data")
    figures.row(
        "recovery (reachable -> answer to !ping)",
        f"{figures.recovery_s:.1f} s ({len(pings) - 1} pings sent)" if figures.recovery_s is not None else "never",
    )
    for title in sorted(titles):
        stamps = seen.get(title, [])
        if not stamps:
            figures.row(f"reminder '{title}'", "LOST")
            continue
        late = (int(stamps[0]["origin_server_ts"]) - due_ms[title]) / 1000
        marked = LATE_MARK in str(stamps[0]["content"].get("body", ""))
        if late * 1000 > LATE_AFTER_MS and not marked:
            figures.late_unmarked += 1
        figures.row(
            f"reminder '{title}'",
            f"delivered {len(stamps)}x, {late:.1f} s late, late mark: {'yes' if marked else 'no'}",
        )
    figures.row("pings unanswered / answered twice", f"{figures.unanswered} / {sum(n > 1 for n in answered.values())}")
    figures.row("internal errors (bot log)", figures.internal_errors)
    return figures


async def ratelimit_scenario(run: Run, rng: random.Random, *, users: int = 20) -> Figures:
    """Synapse allows the bot 1 message/s (burst 2); 20 users send two commands each at once."""
    figures = Figures()
    await run.start_bot()
    members = [await run.user(f"storm-{i}") for i in range(users)]
    room_ids = [await run.room(m) for m in members]
    await run.homeserver.set_message_ratelimit(run.bot_id, messages_per_second=1, burst_count=2)
    before_429 = run.log_count("Got 429")
    started_ms = time.time() * 1000
    sent = await asyncio.gather(
        *(m.send_text(r, body) for m, r in zip(members, room_ids, strict=True) for body in ("!ping", "!hilfe ping"))
    )
    targets = set(sent)
    await wait_until(members, lambda: set(replies_by_target(members, run.bot_id)) >= targets, 180)
    answered = replies_by_target(members, run.bot_id)
    replies = [m for m in bot_messages(members, run.bot_id) if m.reply_to in targets]
    figures.unanswered = len(targets - set(answered))
    figures.duplicated = sum(n - 1 for t, n in answered.items() if t in targets)
    figures.internal_errors = run.log_count(INTERNAL_ERROR_LOG)
    drain = (max(m.origin_server_ts for m in replies) - started_ms) / 1000 if replies else float("nan")
    figures.row("commands sent at once", f"{len(targets)} by {users} users")
    figures.row("replies delivered", f"{len(set(answered) & targets)}/{len(targets)}")
    figures.row("429s the bot got (bot log)", run.log_count("Got 429") - before_429)
    figures.row("time to drain (first send -> last reply)", f"{drain:.1f} s")
    figures.row("internal errors (bot log)", figures.internal_errors)
    await run.homeserver.clear_message_ratelimit(run.bot_id)
    return figures


def command_names() -> list[str]:
    from bot.app import all_routers

    return sorted({name for router in all_routers() for command in router.commands for name in command.names})


def is_command(body: str, prefix: str = "!") -> bool:
    # The dispatcher's rule (bot.dispatch.Dispatcher.is_command), without building a dispatcher.
    return body.startswith(prefix) and len(body) > len(prefix) and not body[len(prefix)].isspace()


async def fuzz_scenario(run: Run, rng: random.Random, *, count: int = 300, users: int = 4) -> Figures:
    """The fuzz corpus (bot.dev.fuzz) through the homeserver at a person's pace, from a few users."""
    figures = Figures()
    corpus = fuzz_corpus(rng.randrange(2**31), count, command_names=command_names())
    await run.start_bot()
    members = [await run.user(f"fuzz-{i}") for i in range(users)]
    room_ids = [await run.room(m) for m in members]
    must_answer: dict[str, str] = {}  # event id -> body
    rejected = 0
    kinds: dict[str, int] = {}

    async def play(index: int) -> None:
        nonlocal rejected
        member, room_id = members[index], room_ids[index]
        last_own = await member.send_text(room_id, "Hallo zusammen")
        for item in corpus[index::users]:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
            try:
                if item.kind == "text":
                    event_id = await member.send_text(room_id, item.body)
                    last_own = event_id
                    if is_command(item.body):
                        must_answer[event_id] = item.body
                elif item.kind == "edit":
                    await member.send_content(
                        room_id,
                        {
                            "msgtype": "m.text",
                            "body": f"* {item.body}",
                            "m.new_content": {"msgtype": "m.text", "body": item.body},
                            "m.relates_to": {"rel_type": "m.replace", "event_id": last_own},
                        },
                    )
                else:  # on the bot's latest message here (empty body), or on the event id the corpus names
                    bots = [m for m in member.received() if m.room_id == room_id and m.sender == run.bot_id]
                    target = item.body or (bots[-1].event_id if bots else last_own)
                    relation = {"rel_type": "m.annotation", "event_id": target, "key": item.reaction or "👍"}
                    await member.send_event(room_id, "m.reaction", {"m.relates_to": relation})
            except Exception as exc:  # e.g. a body over Synapse's 64 KiB event limit: never reaches the bot
                rejected += 1
                logging.getLogger("chaos").info("homeserver refused fuzz input: %s", exc)
            await asyncio.sleep(rng.uniform(0.3, 0.9))  # a person's typing pace, a few messages/s in all

    started = time.monotonic()
    await asyncio.gather(*(play(i) for i in range(users)))
    sending = time.monotonic() - started
    await wait_until(members, lambda: set(replies_by_target(members, run.bot_id)) >= set(must_answer), 90)
    answered = replies_by_target(members, run.bot_id)
    errors_replied = sum(INTERNAL_ERROR_REPLY in m.body for m in bot_messages(members, run.bot_id))
    missing = [body for event_id, body in must_answer.items() if event_id not in answered]
    figures.unanswered = len(missing)
    figures.duplicated = sum(n - 1 for t, n in answered.items() if t in must_answer)
    figures.internal_errors = run.log_count(INTERNAL_ERROR_LOG)
    figures.row(
        "inputs", f"{len(corpus)} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}) in {sending:.0f} s"
    )
    figures.row("refused by the homeserver", rejected)
    figures.row("commands that must be answered", len(must_answer))
    figures.row("unanswered / answered twice", f"{figures.unanswered} / {figures.duplicated}")
    figures.row("internal errors (log / replies)", f"{figures.internal_errors} / {errors_replied}")
    figures.row("replies that failed to send (bot log)", run.log_count("could not answer"))
    for body in missing[:5]:
        figures.row("  unanswered", repr(body[:60]) + (f" ({len(body)} chars)" if len(body) > 60 else ""))
    return figures


LOAD_COMMANDS = ("!ping", "!werweiss eAkte", "!termine", "!ichweiss eAkte, Sensorik", "!hilfe")


async def load_scenario(run: Run, rng: random.Random, *, users: int = 20, duration: float = 60) -> Figures:
    """20 people in 4 rooms, each sending a mixed command, reading the answer, thinking 1-3 s, for 60 s."""
    figures = Figures()
    await run.start_bot()
    members = [await run.user(f"load-{i}") for i in range(users)]
    room_of: dict[str, str] = {}
    for group in range(4):
        owner, *others = members[group::4]
        room_id = await run.room(owner, others)
        for member in (owner, *others):
            room_of[member.user_id] = room_id
    latencies: list[float] = []
    unanswered = 0

    async def person(member: DevClient) -> None:
        nonlocal unanswered
        end = time.monotonic() + duration
        while time.monotonic() < end:
            sent = time.perf_counter()
            try:
                await ask(member, room_of[member.user_id], rng.choice(LOAD_COMMANDS), run.bot_id, timeout=30)
                latencies.append(time.perf_counter() - sent)
            except TimeoutError:
                unanswered += 1
            await asyncio.sleep(rng.uniform(1.0, 3.0))

    started = time.monotonic()
    await asyncio.gather(*(person(m) for m in members))
    elapsed = time.monotonic() - started
    figures.unanswered = unanswered
    figures.duplicated = sum(n - 1 for n in replies_by_target(members, run.bot_id).values())
    figures.internal_errors = run.log_count(INTERNAL_ERROR_LOG)
    figures.row("users x duration", f"{users} x {duration:.0f} s ({', '.join(LOAD_COMMANDS)})")
    figures.row("replies / s", f"{len(latencies) / elapsed:.1f} ({len(latencies)} replies)")
    if latencies:
        figures.row(
            "reply latency p50 / p95 / max",
            f"{statistics.median(latencies) * 1000:.0f} / {percentile(latencies, 95) * 1000:.0f} / "
            f"{max(latencies) * 1000:.0f} ms",
        )
    figures.row("unanswered / answered twice", f"{unanswered} / {figures.duplicated}")
    figures.row("bot peak RSS (VmHWM)", f"{run.peak_rss_kb() / 1024:.0f} MiB")
    figures.row("internal errors (bot log)", figures.internal_errors)
    return figures


Scenario = Callable[[Run, random.Random], Awaitable[Figures]]
RUNNERS: dict[str, Scenario] = {
    "kill": kill_scenario,
    "outage": outage_scenario,
    "ratelimit": ratelimit_scenario,
    "fuzz": fuzz_scenario,
    "load": load_scenario,
}


def print_table(title: str, figures: Figures) -> None:
    width = max((len(name) for name, _ in figures.rows), default=10)
    print(f"\n== {title} ==", flush=True)
    for name, value in figures.rows:
        print(f"  {name:<{width}}  {value}", flush=True)


def summary(backend: str, results: dict[str, Figures]) -> tuple[str, bool]:
    total = Figures()
    for figures in results.values():
        total.lost += figures.lost
        total.duplicated += figures.duplicated
        total.internal_errors += figures.internal_errors
        total.unanswered += figures.unanswered
        total.unreadable += figures.unreadable
        total.late_unmarked += figures.late_unmarked
        if figures.recovery_s is not None:
            total.recovery_s = figures.recovery_s
    failed_outage = "outage" in results and (total.recovery_s is None or total.recovery_s > RECOVERY_TARGET_S)
    recovery = f"{total.recovery_s:.1f}" if total.recovery_s is not None else ("never" if failed_outage else "-")
    line = (
        f"{backend}: lost={total.lost} duplicated={total.duplicated} internal_errors={total.internal_errors} "
        f"unanswered={total.unanswered} recovery={recovery}s first-DM-unreadable={total.unreadable} "
        f"late_unmarked={total.late_unmarked}"
    )
    bad = any(
        (total.lost, total.duplicated, total.internal_errors, total.unanswered, total.unreadable, total.late_unmarked)
    )
    return line, bad or failed_outage


async def main(backends: Sequence[str], scenarios: Sequence[str], seed: int) -> int:
    root = Path(tempfile.mkdtemp(prefix="redi-chaos-"))
    print(f"chaos: seed {seed}; bot logs and homeserver data in {root}", flush=True)
    lines: list[str] = []
    failed = False
    for backend in backends:
        results: dict[str, Figures] = {}
        for name in scenarios:
            started = time.monotonic()
            try:
                async with scenario_run(root, backend, name) as run:
                    figures = await RUNNERS[name](run, random.Random(f"{seed}-{name}"))
            except Exception as exc:  # a crashed scenario counts as failed, the others still run
                logging.getLogger("chaos").exception("scenario %s on %s crashed", name, backend)
                figures = Figures()
                figures.row("CRASHED", repr(exc)[:200])
                failed = True
            figures.row("scenario took", f"{time.monotonic() - started:.0f} s (log: {root}/{backend}-{name}/bot.log)")
            print_table(f"{name} on {backend}", figures)
            results[name] = figures
        line, bad = summary(backend, results)
        lines.append(line)
        failed = failed or bad
    print("\n" + "\n".join(lines), flush=True)
    return 1 if failed else 0


def _run(backends: Sequence[str], scenarios: Sequence[str], seed: int) -> int:
    # SIGTERM (e.g. from CI) cancels like Ctrl-C, so every `finally` stops the bot and Synapse.
    async def guarded() -> int:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await main(backends, scenarios, seed)

    try:
        return asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("chaos: interrupted; bot and homeserver stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--scenario", default="all", help=f"comma-separated, from {', '.join(SCENARIOS)}, or all")
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    chosen = SCENARIOS if args.scenario == "all" else tuple(s.strip() for s in args.scenario.split(","))
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("nio").setLevel(logging.ERROR)
    logging.getLogger("bot.dev.client").setLevel(logging.ERROR)  # the outage makes client syncs fail, expected
    selected = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    sys.exit(_run(selected, chosen, args.seed))
