"""Round trip of `!ping` against the echo baseline, through a real (throwaway) Synapse.

    .venv/bin/python bench/roundtrip.py [--rounds 30] [--users 20]

Baseline ("echo"): a client sends a message and waits until its own sync shows it: one event stored
and delivered. Round trip ("ping"): a client sends `!ping` and waits for the bot's reply: two events
stored, plus the bot's own sync, dispatch and send. So the floor of the ratio is about 2.
Both are measured in the same run, on the same homeserver, plain and encrypted, with 1 user and with
N users at once. The bot runs as its own process (`redi-bot run`), as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import BOT_CONFIG, percentile, shut_down, start_bot

from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.homeserver import Homeserver


async def echo_once(client: DevClient, room: str) -> float:
    start = time.perf_counter()
    event_id = await client.send_text(room, "echo")
    await client.wait_for_message(lambda m: m.event_id == event_id, include_own=True, timeout=30)
    return time.perf_counter() - start


def reply_to(event_id: str, bot_id: str) -> Callable[[ReceivedMessage], bool]:
    return lambda m: m.sender == bot_id and m.reply_to == event_id


async def ping_once(client: DevClient, room: str, bot_id: str) -> float:
    start = time.perf_counter()
    event_id = await client.send_text(room, "!ping")
    await client.wait_for_message(reply_to(event_id, bot_id), timeout=60)
    return time.perf_counter() - start


async def run_rounds(clients: list[tuple[DevClient, str]], rounds: int, bot_id: str) -> tuple[list[float], list[float]]:
    """Each client alternates echo and ping, so both see the same load and drift."""

    async def loop(client: DevClient, room: str) -> tuple[list[float], list[float]]:
        echo, ping = [], []
        for _ in range(rounds):
            echo.append(await echo_once(client, room))
            ping.append(await ping_once(client, room, bot_id))
        return echo, ping

    results = await asyncio.gather(*(loop(c, r) for c, r in clients))
    return [s for e, _ in results for s in e], [s for _, p in results for s in p]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to report the bot's cost per command."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main(rounds: int, users: int) -> None:
    with tempfile.TemporaryDirectory(prefix="redi-bench-") as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        homeserver = await Homeserver.start(base / "synapse")
        print(f"synapse ready in {time.perf_counter() - t0:.1f} s at {homeserver.base_url}")
        bot_proc: asyncio.subprocess.Process | None = None
        clients: list[DevClient] = []
        try:
            bot = await homeserver.register("bench-bot", "bench-bot-pw")
            config = base / "bot.toml"
            config.write_text(
                BOT_CONFIG.format(
                    url=homeserver.base_url,
                    user_id=bot.user_id,
                    password=bot.password,
                    data=base / "bot-data",
                ),
                encoding="utf-8",
            )
            log = (base / "bot.log").open("w")
            bot_proc = await start_bot(config, log)
            for i in range(users):
                account = await homeserver.register(f"bench-user-{i}", "bench-pw")
                clients.append(
                    await DevClient.login(
                        homeserver.base_url,
                        account.user_id,
                        account.password,
                        base / f"store-{i}",
                        sync_timeout_ms=30_000,
                    )
                )
            plain: list[tuple[DevClient, str]] = []
            encrypted: list[tuple[DevClient, str]] = []
            for client in clients:
                for target, enc in ((plain, False), (encrypted, True)):
                    room = await client.create_room(name="bench", invite=[bot.user_id], encrypted=enc)
                    await client.wait_for_join(room, bot.user_id, timeout=60)
                    target.append((client, room))

            # Warm up: first megolm session shares, key queries, cold caches.
            for client, room in plain + encrypted:
                for _ in range(3):
                    await ping_once(client, room, bot.user_id)
                    await echo_once(client, room)

            rows: list[tuple[str, int, list[float], list[float], float]] = []
            for label, pairs in (("plain", plain), ("encrypted", encrypted)):
                for n in (1, users):
                    per_client = max(1, rounds // n)
                    cpu_before = cpu_seconds(bot_proc.pid)
                    echo, pings = await run_rounds(pairs[:n], per_client, bot.user_id)
                    bot_cpu_ms = (cpu_seconds(bot_proc.pid) - cpu_before) / len(pings) * 1000
                    rows.append((label, n, echo, pings, bot_cpu_ms))

            print()
            print(
                f"{'room':<10}{'users':>6}{'n':>5}  {'echo p50':>9}{'echo p95':>9}  {'ping p50':>9}"
                f"{'ping p95':>9}  {'ratio p50':>9}{'ratio p95':>10}  {'bot CPU/cmd':>11}"
            )
            for label, n, echo, pings, bot_cpu_ms in rows:
                e50, e95 = statistics.median(echo) * 1000, percentile(echo, 95) * 1000
                p50, p95 = statistics.median(pings) * 1000, percentile(pings, 95) * 1000
                print(
                    f"{label:<10}{n:>6}{len(pings):>5}  {e50:>7.1f}ms{e95:>7.1f}ms"
                    f"  {p50:>7.1f}ms{p95:>7.1f}ms  {p50 / e50:>9.2f}{p95 / e95:>10.2f}  {bot_cpu_ms:>9.1f}ms"
                )
            print("\nratio = ping round trip / echo baseline; target: ratio <= 2.2 at p50")
        finally:
            await shut_down(clients, bot_proc, homeserver)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=60, help="samples per scenario (split across users)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users in the second scenario")
    args = parser.parse_args()
    # nio warns once per device while the first olm sessions are set up: noise for a benchmark.
    logging.getLogger("nio").setLevel(logging.ERROR)
    asyncio.run(main(args.rounds, args.users))
