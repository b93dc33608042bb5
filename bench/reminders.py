"""200 meeting reminders due in the same minute across 20 rooms, through a real (throwaway) Synapse.

    .venv/bin/python bench/reminders.py [--rooms 20] [--per-room 10] [--lead 45]

The meetings are written into the bot's database before it starts (as if created earlier), all with
a reminder due at the same instant T, `--lead` seconds after the bot starts. The bot runs as its own
process (`redi-bot run`). Each room has a member whose client collects what arrives; lateness is the
reminder's origin_server_ts minus T. Baseline in the same run: a plain message sent by a client at T,
its own origin_server_ts minus T (the homeserver's share of the delay).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import BOT_CONFIG, percentile, shut_down, start_bot

from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.homeserver import Homeserver
from storage import Database


async def main(rooms: int, per_room: int, lead: float) -> None:
    with tempfile.TemporaryDirectory(prefix="redi-bench-reminders-") as tmp:
        base = Path(tmp)
        homeserver = await Homeserver.start(base / "synapse")
        clients: list[DevClient] = []
        bot_proc: asyncio.subprocess.Process | None = None
        try:
            bot = await homeserver.register("bench-bot", "bench-bot-pw")
            config = base / "bot.toml"
            data = base / "bot-data"
            config.write_text(
                BOT_CONFIG.format(url=homeserver.base_url, user_id=bot.user_id, password=bot.password, data=data),
                encoding="utf-8",
            )
            log = (base / "bot.log").open("w")

            # First run: the bot joins the rooms; then it is stopped and the meetings are written.
            bot_proc = await start_bot(config, log)
            room_ids: list[str] = []
            for i in range(rooms):
                account = await homeserver.register(f"member-{i}", "member-pw")
                client = await DevClient.login(homeserver.base_url, account.user_id, account.password, base / f"s{i}")
                clients.append(client)
                room_ids.append(await client.create_room(name=f"Gruppe {i}", invite=[bot.user_id]))
            for client, room_id in zip(clients, room_ids, strict=True):
                await client.wait_for_join(room_id, bot.user_id, timeout=60)
            bot_proc.terminate()
            await bot_proc.wait()

            due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
            database = Database(f"sqlite+aiosqlite:///{data / 'redi-bot.sqlite3'}")
            async with database.transaction() as repos:
                for room_id in room_ids:
                    for n in range(per_room):
                        await repos.meetings.add(
                            room_id=room_id,
                            title=f"Runde {n}",
                            start=due + timedelta(minutes=15),
                            timezone="Europe/Berlin",
                            rrule=None,
                            duration_minutes=None,
                            offsets=[900],
                            created_by=clients[0].user_id,
                            now=datetime.now(UTC),
                        )
            await database.dispose()
            bot_proc = await start_bot(config, log)

            # Baseline: one client posts at T; its own event's timestamp shows the homeserver's delay.
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
            baseline_id = await clients[0].send_text(room_ids[0], "Baseline")
            expected = rooms * per_room
            received: dict[str, list[int]] = {}
            messages = 0
            deadline = time.monotonic() + 60
            for client, room_id in zip(clients, room_ids, strict=True):
                # A room's reminders due together arrive as one message listing them: count each listed one.
                while sum(len(v) for k, v in received.items() if k.startswith(room_id)) < per_room:
                    if time.monotonic() > deadline:
                        break
                    try:
                        message = await client.wait_for_message(
                            lambda m: m.sender == bot.user_id and "⏰" in m.body,
                            timeout=max(1, deadline - time.monotonic()),
                        )
                    except TimeoutError:
                        break
                    messages += 1
                    for title in re.findall(r"Runde \d+", message.body):
                        received.setdefault(f"{room_id}|{title}", []).append(message.origin_server_ts)
            baseline = next(m for m in clients[0].received() if m.event_id == baseline_id)
            due_ms = due.timestamp() * 1000
            lateness = [ts - due_ms for stamps in received.values() for ts in stamps]
            distinct = len(received)
            duplicates = len(lateness) - distinct
            print(f"reminders due at the same second: {expected} in {rooms} rooms")
            print(
                f"received: {len(lateness)} in {messages} messages  missing: {expected - distinct}  "
                f"duplicates: {duplicates}"
            )
            if lateness:
                print(
                    f"lateness (origin_server_ts - due): p50 {statistics.median(lateness):.0f} ms  "
                    f"p95 {percentile(lateness, 95):.0f} ms  max {max(lateness):.0f} ms"
                )
            print(f"baseline (a client's own message at T): {baseline.origin_server_ts - due_ms:.0f} ms")
            # The homeserver's own limit for such a burst: as many sends as the bot's batch (one per room), and as
            # many as there are reminders, all at once by plain clients; origin_server_ts minus the sends' start.
            for count in (messages, expected):
                stamps = await _burst(clients, room_ids, count)
                print(
                    f"homeserver floor ({count} plain sends at once): p50 {statistics.median(stamps):.0f} ms  "
                    f"p95 {percentile(stamps, 95):.0f} ms  max {max(stamps):.0f} ms"
                )
                if count == messages and lateness:
                    ratio = statistics.median(lateness) / statistics.median(stamps)
                    print(f"  reminders p50 ÷ this floor's p50: {ratio:.2f} (the bot's batch is that many sends)")
            print("targets: p50 <= 70 ms (issue #16), p95 <= 250 ms, max <= 1000 ms, 0 missing, 0 duplicates")
        finally:
            await shut_down(clients, bot_proc, homeserver)


async def _burst(clients: list[DevClient], room_ids: list[str], count: int) -> list[float]:
    start_ms = time.time() * 1000
    rooms = len(room_ids)
    sent = await asyncio.gather(
        *(clients[i % rooms].send_text(room_ids[i % rooms], f"burst {i}") for i in range(count))
    )
    stamps = []
    for i, event_id in enumerate(sent):
        found = await clients[i % rooms].wait_for_message(
            functools.partial(_is_event, event_id), include_own=True, timeout=30
        )
        stamps.append(found.origin_server_ts - start_ms)
    return stamps


def _is_event(event_id: str, message: ReceivedMessage) -> bool:
    return message.event_id == event_id


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--per-room", type=int, default=10)
    parser.add_argument("--lead", type=float, default=20.0, help="seconds from the bot's start until T")
    args = parser.parse_args()
    logging.getLogger("nio").setLevel(logging.ERROR)
    asyncio.run(main(args.rooms, args.per_room, args.lead))
