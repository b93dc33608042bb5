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
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.dev.client import DevClient, ReceivedMessage  # noqa: E402
from bot.dev.homeserver import Homeserver  # noqa: E402

CONFIG = """\
[matrix]
homeserver = "{url}"
user_id = "{user_id}"
password = "{password}"
[bot]
data_dir = "{data}"
[invites]
allowed_servers = ["localhost"]
"""


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


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


async def run_rounds(
    clients: list[tuple[DevClient, str]], rounds: int, once: Callable[[DevClient, str], Awaitable[float]]
) -> list[float]:
    async def loop(client: DevClient, room: str) -> list[float]:
        return [await once(client, room) for _ in range(rounds)]

    results = await asyncio.gather(*(loop(c, r) for c, r in clients))
    return [s for per_client in results for s in per_client]


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
                CONFIG.format(
                    url=homeserver.base_url,
                    user_id=bot.user_id,
                    password=bot.password,
                    data=base / "bot-data",
                ),
                encoding="utf-8",
            )
            log = (base / "bot.log").open("w")
            bot_proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "-c",
                str(config),
                stdout=log,
                stderr=log,
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
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

            async def ping(c: DevClient, r: str) -> float:
                return await ping_once(c, r, bot.user_id)

            # Warm up: first megolm session share, first key queries, JIT-free but cold caches.
            for client, room in plain + encrypted:
                await ping(client, room)
                await echo_once(client, room)

            rows: list[tuple[str, int, list[float], list[float]]] = []
            for label, pairs in (("plain", plain), ("encrypted", encrypted)):
                for n in (1, users):
                    subset = pairs[:n]
                    per_client = max(1, rounds // n) if n > 1 else rounds
                    echo = await run_rounds(subset, per_client, echo_once)
                    pings = await run_rounds(subset, per_client, ping)
                    rows.append((label, n, echo, pings))

            print()
            print(
                f"{'room':<10}{'users':>6}{'n':>5}  {'echo p50':>9}{'echo p95':>9}  {'ping p50':>9}"
                f"{'ping p95':>9}  {'ratio p50':>9}{'ratio p95':>10}"
            )
            for label, n, echo, pings in rows:
                e50, e95 = statistics.median(echo) * 1000, percentile(echo, 95) * 1000
                p50, p95 = statistics.median(pings) * 1000, percentile(pings, 95) * 1000
                print(
                    f"{label:<10}{n:>6}{len(pings):>5}  {e50:>7.1f}ms{e95:>7.1f}ms"
                    f"  {p50:>7.1f}ms{p95:>7.1f}ms  {p50 / e50:>9.2f}{p95 / e95:>10.2f}"
                )
            print("\nratio = ping round trip / echo baseline; target: ratio <= 2.2 at p50")
        finally:
            for client in clients:
                await client.close()
            if bot_proc is not None and bot_proc.returncode is None:
                bot_proc.terminate()
                await bot_proc.wait()
            await homeserver.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=40, help="samples per scenario (split across users)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users in the second scenario")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.users))
