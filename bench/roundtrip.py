"""Round trip of `!ping` against the echo baseline, through a real (throwaway) Synapse.

    .venv/bin/python bench/roundtrip.py [--rounds 30] [--users 20]

Baseline ("echo"): a client sends a message and waits until its own sync shows it: one event stored
and delivered. Round trip ("ping"): a client sends `!ping` and waits for the bot's reply: two events
stored, plus the bot's own sync, dispatch and send. So the floor of the ratio is about 2.
Both are measured in the same run, on the same homeserver, plain and encrypted, with 1 user and with
N users at once. The bot runs as its own process (`redi-bot run`), as in production.

Server side: the reply's origin_server_ts minus the command's, i.e. Synapse handing the command to the bot's sync,
the bot's work and the reply's arrival at Synapse, without the user's own client. The baseline for it is
`bench/peer_like.py` (a minimal nio bot answering `!ping`), asked the same way in rooms of its own, in the same run.
Goals (issue #16): ratio p50 <= 2.0; server side p50 <= 30 ms and not above the peer-like's.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import BOT_CONFIG, ROOT, percentile, shut_down, start_bot

from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.homeserver import Homeserver

PEER = Path(__file__).resolve().parent / "peer_like.py"


async def echo_once(client: DevClient, room: str) -> float:
    start = time.perf_counter()
    event_id = await client.send_text(room, "echo")
    await client.wait_for_message(lambda m: m.event_id == event_id, include_own=True, timeout=30)
    return time.perf_counter() - start


def reply_to(event_id: str, bot_id: str) -> Callable[[ReceivedMessage], bool]:
    return lambda m: m.sender == bot_id and m.reply_to == event_id


async def ping_once(client: DevClient, room: str, bot_id: str) -> tuple[float, float]:
    """The round trip as the user sees it, and the server-side time (reply's timestamp − command's), in seconds."""
    start = time.perf_counter()
    event_id = await client.send_text(room, "!ping")
    reply = await client.wait_for_message(reply_to(event_id, bot_id), timeout=60)
    elapsed = time.perf_counter() - start
    # The command as the user's own sync saw it (consumed, so the inbox does not grow): its server timestamp.
    own = await client.wait_for_message(lambda m: m.event_id == event_id, include_own=True, timeout=30)
    return elapsed, (reply.origin_server_ts - own.origin_server_ts) / 1000


@dataclass
class Round:
    echo: list[float] = field(default_factory=list)
    ping: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    peer_ping: list[float] = field(default_factory=list)
    peer_server: list[float] = field(default_factory=list)

    def add(self, other: Round) -> None:
        for name in ("echo", "ping", "server", "peer_ping", "peer_server"):
            getattr(self, name).extend(getattr(other, name))


async def run_rounds(pairs: list[tuple[DevClient, str, str]], rounds: int, bot_id: str, peer_id: str) -> Round:
    """Each client alternates echo, the bot's ping and the peer-like's, so all see the same load and drift."""

    async def loop(client: DevClient, room: str, peer_room: str) -> Round:
        measured = Round()
        for _ in range(rounds):
            measured.echo.append(await echo_once(client, room))
            elapsed, server = await ping_once(client, room, bot_id)
            measured.ping.append(elapsed)
            measured.server.append(server)
            elapsed, server = await ping_once(client, peer_room, peer_id)
            measured.peer_ping.append(elapsed)
            measured.peer_server.append(server)
        return measured

    total = Round()
    for measured in await asyncio.gather(*(loop(c, r, p) for c, r, p in pairs)):
        total.add(measured)
    return total


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
        peer_proc: asyncio.subprocess.Process | None = None
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
            peer = await homeserver.register("bench-peer", "bench-peer-pw")
            peer_proc = await asyncio.create_subprocess_exec(
                sys.executable, str(PEER), "--homeserver", homeserver.base_url, "--user", peer.user_id,
                "--password", peer.password, "--store", str(base / "peer-store"),
                "--since-ms", str(int(time.time() * 1000)), stdout=log, stderr=log, cwd=ROOT,
            )  # fmt: skip
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
            plain: list[tuple[DevClient, str, str]] = []
            encrypted: list[tuple[DevClient, str, str]] = []
            for client in clients:
                for target, enc in ((plain, False), (encrypted, True)):
                    room = await client.create_room(name="bench", invite=[bot.user_id], encrypted=enc)
                    peer_room = await client.create_room(name="bench-peer", invite=[peer.user_id], encrypted=enc)
                    await client.wait_for_join(room, bot.user_id, timeout=60)
                    await client.wait_for_join(peer_room, peer.user_id, timeout=60)
                    target.append((client, room, peer_room))

            # Warm up: first megolm session shares, key queries, cold caches.
            for client, room, peer_room in plain + encrypted:
                for _ in range(3):
                    await ping_once(client, room, bot.user_id)
                    await ping_once(client, peer_room, peer.user_id)
                    await echo_once(client, room)

            rows: list[tuple[str, int, Round, float]] = []
            for label, pairs in (("plain", plain), ("encrypted", encrypted)):
                for n in (1, users):
                    per_client = max(1, rounds // n)
                    cpu_before = cpu_seconds(bot_proc.pid)
                    measured = await run_rounds(pairs[:n], per_client, bot.user_id, peer.user_id)
                    bot_cpu_ms = (cpu_seconds(bot_proc.pid) - cpu_before) / len(measured.ping) * 1000
                    rows.append((label, n, measured, bot_cpu_ms))

            def ms(values: list[float], q: int) -> float:
                return (statistics.median(values) if q == 50 else percentile(values, q)) * 1000

            print()
            print(
                f"{'room':<10}{'users':>6}{'n':>5}  {'echo p50':>9}  {'ping p50':>9}{'ping p95':>9}  {'ratio p50':>9}"
                f"{'ratio p95':>10}  {'peer ratio':>10}  {'server p50':>10}{'peer':>8}  {'bot CPU/cmd':>11}"
            )
            verdicts = []
            for label, n, m, bot_cpu_ms in rows:
                ratio, peer_ratio = ms(m.ping, 50) / ms(m.echo, 50), ms(m.peer_ping, 50) / ms(m.echo, 50)
                server, peer_server = ms(m.server, 50), ms(m.peer_server, 50)
                print(
                    f"{label:<10}{n:>6}{len(m.ping):>5}  {ms(m.echo, 50):>7.1f}ms  {ms(m.ping, 50):>7.1f}ms"
                    f"{ms(m.ping, 95):>7.1f}ms  {ratio:>9.2f}{ms(m.ping, 95) / ms(m.echo, 95):>10.2f}"
                    f"  {peer_ratio:>10.2f}  {server:>8.1f}ms{peer_server:>6.1f}ms  {bot_cpu_ms:>9.1f}ms"
                )
                verdicts.append(ratio <= 2.0 and server <= max(30.0, peer_server))
            print(
                "\nratio = ping round trip / echo baseline (goal <= 2.0 at p50); server = reply's origin_server_ts − "
                "command's (goal p50 <= 30 ms, or at most the peer-like's in the same run)"
            )
            print(f"verdict: {'PASS' if all(verdicts) else 'FAIL'} ({sum(verdicts)} of {len(verdicts)} rows hold)")
        finally:
            if peer_proc is not None and peer_proc.returncode is None:
                peer_proc.terminate()
                await peer_proc.wait()
            await shut_down(clients, bot_proc, homeserver)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=60, help="samples per scenario (split across users)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users in the second scenario")
    args = parser.parse_args()
    # nio warns once per device while the first olm sessions are set up: noise for a benchmark.
    logging.getLogger("nio").setLevel(logging.ERROR)
    asyncio.run(main(args.rounds, args.users))
