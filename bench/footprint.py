"""Memory, cold start and import time of the bot, against baselines taken in the same run (issue #16).

    .venv/bin/python bench/footprint.py [--users 20] [--rounds 3] [--quiet-seconds 60] [--reminders 3] [--starts 5]

The bot runs as its own process (`redi-bot run`, as in production) against a throwaway Synapse. Memory is VmHWM
(peak resident set) and VmRSS from /proc/<pid>/status:
  - after start: at the first reply to `!ping` of a fresh bot (store created, migrations run, one room);
  - after load: `--users` real clients (each in a room of its own with the bot, every other room encrypted) send a
    mix of commands concurrently for `--rounds` rounds, each waiting for its reply;
  - after a quiet period: `--reminders` people ask for a personal reminder "in 1 Minute" (the shortest the grammar
    takes, so the period lasts at least about a minute whatever `--quiet-seconds` says), then nothing is typed for
    `--quiet-seconds` (default 60, standing in for an hour) or until the reminders have come, whichever is later;
  - cold start with the existing store: the bot is stopped and started again with the same data_dir `--starts`
    times; spawn → first reply to a `!ping` sent at the spawn (best and median), and VmHWM at that reply.
Import time: `python -X importtime -c "import bot.cli, bot.app"`, minus the interpreter's own start-up imports.

Baselines, same run and machine: a bare Python process that imports nothing (memory) and `python -c pass` (start);
and `bench/peer_like.py`, a minimal nio bot (log in, E2EE store, first sync, join invites, answer `!ping`): the
lightest peer-like bot, measured after its start, after the same users `!ping` it for the same rounds, and over
the same cold starts. Timings on a shared machine are noisy: read the ratios, taken in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from common import BOT_CONFIG, ROOT, shut_down, start_bot

from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.homeserver import Homeserver

GOAL_HWM_MIB = 64.0
GOAL_COLD_START_S = 0.55
MIB = 1024.0
# What people type in a working day, each answered with a reply (read-only and writing commands).
COMMANDS = (
    "!ping",
    "!hilfe",
    "!ichweiss eAkte, XRechnung",
    "!werweiss eAkte",
    "!stadt Bühl",
    "!profil",
    "!termine",
    "!hilfe termin",
)
PEER = Path(__file__).resolve().parent / "peer_like.py"


@dataclass(frozen=True)
class Memory:
    hwm_kib: int
    rss_kib: int

    @property
    def hwm(self) -> float:
        return self.hwm_kib / MIB

    @property
    def rss(self) -> float:
        return self.rss_kib / MIB


def memory(pid: int) -> Memory:
    """VmHWM and VmRSS (kB) from /proc/<pid>/status."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Vm")
    )
    return Memory(int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0]))


def reply_to(event_id: str, sender: str) -> Callable[[ReceivedMessage], bool]:
    return lambda m: m.sender == sender and m.reply_to == event_id


async def command(client: DevClient, room: str, body: str, bot_id: str) -> float:
    start = time.perf_counter()
    event_id = await client.send_text(room, body)
    await client.wait_for_message(reply_to(event_id, bot_id), room_id=room, timeout=60)
    return time.perf_counter() - start


async def stop(process: asyncio.subprocess.Process | None) -> None:
    if process is not None and process.returncode is None:
        process.terminate()
        await process.wait()


async def accept_invites(client: DevClient) -> None:
    """Like a person: accept every invite (the bot's direct chats) as it comes."""
    while True:
        try:
            room = await client.wait_for_invite(timeout=3600)
        except TimeoutError:
            continue
        await client.join(room)


# -- processes without Matrix ----------------------------------------------------------------------------


def bare_python_memory() -> Memory:
    """A Python process that imports nothing, waiting on stdin."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        time.sleep(0.5)
        return memory(proc.pid)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()


def imports_memory() -> Memory:
    """A Python process that imports what `redi-bot run` imports before it builds the app, and stops there."""
    code = "import bot.cli, bot.app, sys; print('ready', flush=True); sys.stdin.read()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, text=True
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        return memory(proc.pid)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()


def wall_times(argv: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, cwd=ROOT)
        samples.append(time.perf_counter() - start)
    return samples


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def import_times(code: str) -> list[tuple[str, int, int, int]]:
    """(module, self µs, cumulative µs, depth) of every import `python -X importtime -c code` makes."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], check=True, cwd=ROOT, capture_output=True, text=True
    )
    rows = []
    for line in result.stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if m:
            rows.append((m[4], int(m[1]), int(m[2]), len(m[3]) // 2))
    return rows


def report_imports(runs: int) -> None:
    code = "import bot.cli, bot.app"
    interpreter = min(sum(c for _, _, c, d in import_times("pass") if d == 0) for _ in range(runs))
    best: list[tuple[str, int, int, int]] | None = None
    for _ in range(runs):
        rows = import_times(code)
        if best is None or sum(c for *_, c, d in rows if d == 0) < sum(c for *_, c, d in best if d == 0):
            best = rows
    assert best is not None
    total = sum(c for _, _, c, d in best if d == 0)
    print(f"\nimport time (best of {runs}): `{code}` {total / 1000:.0f} ms in all, {len(best)} modules;")
    print(f"  the interpreter's own start-up imports {interpreter / 1000:.0f} ms, so the project and its libraries")
    print(f"  {(total - interpreter) / 1000:.0f} ms ({total / max(interpreter, 1):.0f}x the interpreter's)")
    print("  top 10 by cumulative time (a module with everything it imports first):")
    for name, own, cumulative, depth in sorted(best, key=lambda row: -row[2])[:10]:
        print(f"    {cumulative / 1000:>7.0f} ms  (self {own / 1000:>5.0f} ms, depth {depth})  {name}")
    print("  top 10 by self time:")
    for name, own, cumulative, _ in sorted(best, key=lambda row: -row[1])[:10]:
        print(f"    {own / 1000:>7.0f} ms  (cumulative {cumulative / 1000:>5.0f} ms)  {name}")


# -- the run ---------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def show(label: str, mem: Memory, bare: Memory, peer: Memory | None = None, goal: bool = True) -> None:
    rss = f"{mem.rss:>6.1f} MiB" if mem.rss_kib else f"{'-':>6}    "
    line = f"  {label:<44}VmHWM {mem.hwm:>6.1f} MiB  VmRSS {rss}  {mem.hwm / bare.hwm:>5.1f}x bare"
    if peer is not None:
        line += f"  {mem.hwm / peer.hwm:>4.2f}x peer-like"
    if goal:
        line += f"  goal VmHWM <= {GOAL_HWM_MIB:.0f} MiB: {verdict(mem.hwm <= GOAL_HWM_MIB)}"
    print(line)


async def cold_start(
    spawn: Callable[[], Awaitable[asyncio.subprocess.Process]], client: DevClient, room: str, responder: str
) -> tuple[float, Memory, asyncio.subprocess.Process]:
    """Spawn, send `!ping` at once, wait for the reply: seconds from spawn to the reply, memory then."""
    start = time.perf_counter()
    process = await spawn()
    event_id = await client.send_text(room, "!ping")
    await client.wait_for_message(reply_to(event_id, responder), room_id=room, timeout=60)
    elapsed = time.perf_counter() - start
    return elapsed, memory(process.pid), process


async def main(users: int, rounds: int, quiet_seconds: float, reminders: int, starts: int) -> None:
    print("baselines without Matrix ...", flush=True)
    bare = bare_python_memory()
    imports = imports_memory()
    interpreter = wall_times([sys.executable, "-c", "pass"], max(starts, 5))
    with tempfile.TemporaryDirectory(prefix="redi-bench-footprint-") as tmp:
        base = Path(tmp)
        homeserver = await Homeserver.start(base / "synapse")
        clients: list[DevClient] = []
        bot_proc: asyncio.subprocess.Process | None = None
        peer_proc: asyncio.subprocess.Process | None = None
        acceptors: list[asyncio.Task[None]] = []
        try:
            bot = await homeserver.register("bench-bot", "bench-bot-pw")
            peer = await homeserver.register("peer-like", "peer-pw")
            config = base / "bot.toml"
            config.write_text(
                BOT_CONFIG.format(url=homeserver.base_url, user_id=bot.user_id, password=bot.password, data=base / "d"),
                encoding="utf-8",
            )
            log = (base / "bot.log").open("w")
            peer_log = (base / "peer.log").open("w")
            for i in range(users):
                account = await homeserver.register(f"person-{i}", "person-pw")
                clients.append(
                    await DevClient.login(
                        homeserver.base_url, account.user_id, account.password, base / f"s{i}", sync_timeout_ms=30_000
                    )
                )
            acceptors = [asyncio.create_task(accept_invites(c)) for c in clients]

            async def spawn_bot() -> asyncio.subprocess.Process:
                return await start_bot(config, log)

            async def spawn_peer() -> asyncio.subprocess.Process:
                argv = ["--homeserver", homeserver.base_url, "--user", peer.user_id, "--password", peer.password]
                argv += ["--store", str(base / "peer-store"), "--since-ms", str(int(time.time() * 1000) - 1000)]
                return await asyncio.create_subprocess_exec(
                    sys.executable, str(PEER), *argv, stdout=peer_log, stderr=peer_log, cwd=ROOT
                )

            # After start: one room, the first reply to `!ping` of a fresh process.
            print("first start ...", flush=True)
            bot_rooms = [await clients[0].create_room(name="bench", invite=[bot.user_id])]
            bot_proc = await spawn_bot()
            await clients[0].wait_for_join(bot_rooms[0], bot.user_id, timeout=120)
            first_bot_s = await command(clients[0], bot_rooms[0], "!ping", bot.user_id)
            bot_start = memory(bot_proc.pid)
            peer_rooms = [await clients[0].create_room(name="peer", invite=[peer.user_id])]
            peer_proc = await spawn_peer()
            await clients[0].wait_for_join(peer_rooms[0], peer.user_id, timeout=120)
            await command(clients[0], peer_rooms[0], "!ping", peer.user_id)
            peer_start = memory(peer_proc.pid)

            # Load: a room with each, every other one encrypted; all users at once.
            print(f"load: {users} users x {rounds} rounds ...", flush=True)
            for i, client in enumerate(clients):
                if i:
                    bot_rooms.append(await client.create_room(name="bench", invite=[bot.user_id], encrypted=i % 2 == 1))
                    peer_rooms.append(
                        await client.create_room(name="peer", invite=[peer.user_id], encrypted=i % 2 == 1)
                    )
            for client, bot_room, peer_room in zip(clients, bot_rooms, peer_rooms, strict=True):
                await client.wait_for_join(bot_room, bot.user_id, timeout=120)
                await client.wait_for_join(peer_room, peer.user_id, timeout=120)

            async def bot_user(client: DevClient, room: str, offset: int) -> list[float]:
                samples = []
                for r in range(rounds):
                    for k in range(len(COMMANDS)):
                        body = COMMANDS[(offset + r + k) % len(COMMANDS)]
                        samples.append(await command(client, room, body, bot.user_id))
                return samples

            async def peer_user(client: DevClient, room: str) -> list[float]:
                return [await command(client, room, "!ping", peer.user_id) for _ in range(rounds * len(COMMANDS))]

            started = time.perf_counter()
            bot_samples = await asyncio.gather(
                *(bot_user(c, r, i) for i, (c, r) in enumerate(zip(clients, bot_rooms, strict=True)))
            )
            bot_load_s = time.perf_counter() - started
            bot_load = memory(bot_proc.pid)
            peer_samples = await asyncio.gather(*(peer_user(c, r) for c, r in zip(clients, peer_rooms, strict=True)))
            peer_load = memory(peer_proc.pid)

            # Quiet period with a few personal reminders (each opens a direct chat).
            print(f"quiet period: {reminders} reminders, >= {quiet_seconds:.0f} s ...", flush=True)
            quiet_start = time.monotonic()
            asked = min(reminders, users)
            for client, room in zip(clients[:asked], bot_rooms[:asked], strict=True):
                await command(client, room, "!erinnere mich in 1 Minute an die Ruhe", bot.user_id)
            came = 0
            for client in clients[:asked]:
                try:
                    await client.wait_for_message(
                        lambda m: m.sender == bot.user_id and "Ruhe" in m.body and m.room_id not in bot_rooms,
                        timeout=180,
                    )
                    came += 1
                except TimeoutError:
                    pass
            await asyncio.sleep(max(0.0, quiet_seconds - (time.monotonic() - quiet_start)))
            quiet_s = time.monotonic() - quiet_start
            bot_quiet = memory(bot_proc.pid)

            # Cold starts with the existing store, bot and peer-like in turn (both share the machine's noise).
            print(f"cold starts: {starts} each ...", flush=True)
            await stop(bot_proc)
            await stop(peer_proc)
            bot_proc = peer_proc = None
            bot_cold: list[tuple[float, Memory]] = []
            peer_cold: list[tuple[float, Memory]] = []
            for _ in range(starts):
                elapsed, mem, bot_proc = await cold_start(spawn_bot, clients[0], bot_rooms[0], bot.user_id)
                bot_cold.append((elapsed, mem))
                await stop(bot_proc)
                bot_proc = None
                elapsed, mem, peer_proc = await cold_start(spawn_peer, clients[0], peer_rooms[0], peer.user_id)
                peer_cold.append((elapsed, mem))
                await stop(peer_proc)
                peer_proc = None
        finally:
            for task in acceptors:
                task.cancel()
            await asyncio.gather(*acceptors, return_exceptions=True)
            await stop(peer_proc)
            await shut_down(clients, bot_proc, homeserver)

    flat_bot = [s for samples in bot_samples for s in samples]
    flat_peer = [s for samples in peer_samples for s in samples]
    print(f"\nmemory (MiB; 'bare' = a Python process that imports nothing: VmHWM {bare.hwm:.1f} MiB)")
    show("bare python", bare, bare, goal=False)
    show("python importing bot.cli, bot.app (no app)", imports, bare, peer_start, goal=False)
    show("peer-like after start", peer_start, bare)
    show(f"peer-like after load ({len(flat_peer)} pings)", peer_load, bare)
    show(f"bot after start (first reply {first_bot_s * 1000:.0f} ms)", bot_start, bare, peer_start)
    show(f"bot after load ({len(flat_bot)} commands, {bot_load_s:.0f} s)", bot_load, bare, peer_load)
    show(f"bot after quiet {quiet_s:.0f} s, {came}/{asked} reminders", bot_quiet, bare, peer_load)
    peer_cold_mem = Memory(int(statistics.median(m.hwm_kib for _, m in peer_cold)), 0)
    show("peer-like after cold start (median)", peer_cold_mem, bare, goal=False)
    bot_cold_mem = Memory(int(statistics.median(m.hwm_kib for _, m in bot_cold)), 0)
    show("bot after cold start (median)", bot_cold_mem, bare, peer_cold_mem)
    print(
        f"  command round trip during load: bot p50 {statistics.median(flat_bot) * 1000:.0f} ms, "
        f"peer-like (!ping only) p50 {statistics.median(flat_peer) * 1000:.0f} ms"
    )

    bot_s = [s for s, _ in bot_cold]
    peer_s = [s for s, _ in peer_cold]
    print(f"\ncold start with an existing store, spawn -> first reply to `!ping` ({starts} starts each)")
    print(
        f"  bare interpreter (python -c pass): best {min(interpreter):.3f} s, "
        f"median {statistics.median(interpreter):.3f} s"
    )
    print(f"  peer-like:  best {min(peer_s):.3f} s, median {statistics.median(peer_s):.3f} s")
    print(
        f"  bot:        best {min(bot_s):.3f} s, median {statistics.median(bot_s):.3f} s  "
        f"({statistics.median(bot_s) / statistics.median(peer_s):.2f}x peer-like)  "
        f"goal <= {GOAL_COLD_START_S} s: best {verdict(min(bot_s) <= GOAL_COLD_START_S)}, "
        f"median {verdict(statistics.median(bot_s) <= GOAL_COLD_START_S)}"
    )
    report_imports(3)
    print("\ngoals (issue #16): VmHWM <= 64 MiB after start and load, cold start <= 0.55 s; the machine is shared, so")
    print("compare the ratios against the baselines of this run before the absolute figures.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the command mix per user")
    parser.add_argument("--quiet-seconds", type=float, default=60.0, help="the shortened quiet hour")
    parser.add_argument("--reminders", type=int, default=3, help="personal reminders during the quiet period")
    parser.add_argument("--starts", type=int, default=5, help="cold starts of each process")
    args = parser.parse_args()
    logging.getLogger("nio").setLevel(logging.ERROR)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(main(args.users, args.rounds, args.quiet_seconds, args.reminders, args.starts))
