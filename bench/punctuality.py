"""How punctual single reminders are: room reminders and first direct messages, through a real (throwaway) Synapse.

    .venv/bin/python bench/punctuality.py [--people 20] [--spread 60] [--lead 20] [--no-repeat]

`--people` people each have a room with the bot. The bot joins them on a first run and is stopped; then, as if made
earlier with `!termin` and `!erinnere mich`, each room gets a meeting whose only reminder (15 minutes before) falls
due inside the next `--spread` seconds, and each person a personal reminder, to be sent by direct message by a bot
that never had a direct chat with them (so the first one pays for opening it). The due instants are whole seconds
of real time (the clock the bot, Synapse and this script share), interleaved room / direct, `--lead` seconds after
the bot's second start. Unless `--no-repeat`, each person gets a second personal reminder `--spread` seconds after
their first, into the now open chat: what any later one costs. People accept the bot's invites as they come.

Lateness = origin_server_ts of the bot's message − due instant, p50/p95/max per kind, with missing and duplicate
counts. Baseline, same run: a client that sleeps until a whole second and sends a message; its own
origin_server_ts − that second is the share of the homeserver and of waking up on time.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import re
import statistics
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import BOT_CONFIG, percentile, shut_down, start_bot

from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.homeserver import Homeserver
from storage import Database

GOAL_P95_MS = 15.0
GOAL_MAX_MS = 30.0
ROOM, FIRST_DM, LATER_DM, BASELINE = "room", "first direct", "later direct", "baseline"
_NUMBER = re.compile(r"Punkt (\d+)\b")


async def accept_invites(client: DevClient) -> None:
    """Like a person: accept every invite (the bot's direct chat) as it comes."""
    while True:
        try:
            room = await client.wait_for_invite(timeout=3600)
        except TimeoutError:
            continue
        await client.join(room)


def plan(people: int, spread: float, start: datetime, repeat: bool) -> list[tuple[str, int, datetime]]:
    """(kind, person, due) of every reminder: room and first direct interleaved over `spread` on whole seconds,
    then (with `repeat`) the later direct ones, each `spread` after the person's first."""
    reminders = []
    step = spread / (2 * people)
    for person in range(people):
        room_due = start + timedelta(seconds=int(2 * person * step))
        first_due = start + timedelta(seconds=int((2 * person + 1) * step))
        reminders.append((ROOM, person, room_due))
        reminders.append((FIRST_DM, person, first_due))
        if repeat:
            reminders.append((LATER_DM, person, first_due + timedelta(seconds=max(1, round(spread)))))
    return reminders


async def write_reminders(
    db_url: str, reminders: list[tuple[str, int, datetime]], rooms: list[str], users: list[str]
) -> None:
    """As `!termin` and `!erinnere mich` would have stored them, while the bot is stopped."""
    database = Database(db_url)
    try:
        async with database.transaction() as repos:
            for number, (kind, person, due) in enumerate(reminders):
                now = datetime.now(UTC)
                if kind == ROOM:
                    await repos.meetings.add(
                        room_id=rooms[person],
                        title=f"Punkt {number}",
                        start=due + timedelta(minutes=15),
                        timezone="Europe/Berlin",
                        rrule=None,
                        duration_minutes=None,
                        offsets=[900],
                        created_by=users[person],
                        now=now,
                    )
                else:
                    await repos.reminders.add(
                        user_id=users[person],
                        message=f"Punkt {number}",
                        due=due,
                        timezone="Europe/Berlin",
                        language="de",
                        created_in=rooms[person],
                        now=now,
                    )
    finally:
        await database.dispose()


async def baseline(client: DevClient, room: str, instants: list[datetime]) -> list[float]:
    """A client that wakes at each whole second and sends: its own origin_server_ts − that second (ms)."""
    sent = []
    for instant in instants:
        await asyncio.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))
        sent.append((instant, await client.send_text(room, "baseline")))
    late = []
    for instant, event_id in sent:
        own = await client.wait_for_message(functools.partial(_is_event, event_id), include_own=True, timeout=30)
        late.append(own.origin_server_ts - instant.timestamp() * 1000)
    return late


def _is_event(event_id: str, message: ReceivedMessage) -> bool:
    return message.event_id == event_id


def row(label: str, samples: list[float], expected: int, missing: int, duplicates: int, goal: bool) -> str:
    if not samples:
        return f"  {label:<14}{0:>4}/{expected:<4} missing {missing:>3}  duplicates {duplicates:>3}"
    p95, worst = percentile(samples, 95), max(samples)
    text = (
        f"  {label:<14}{len(samples) - duplicates:>4}/{expected:<4}  p50 {statistics.median(samples):>6.0f} ms  "
        f"p95 {p95:>6.0f} ms  max {worst:>6.0f} ms   missing {missing:>3}  duplicates {duplicates:>3}"
    )
    if goal:
        ok = p95 <= GOAL_P95_MS and worst <= GOAL_MAX_MS and missing == 0 and duplicates == 0
        text += f"  {'PASS' if ok else 'FAIL'}"
    return text


async def main(people: int, spread: float, lead: float, repeat: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="redi-bench-punctuality-") as tmp:
        base = Path(tmp)
        homeserver = await Homeserver.start(base / "synapse")
        clients: list[DevClient] = []
        acceptors: list[asyncio.Task[None]] = []
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

            # First run: the bot joins each person's room; no direct chat yet.
            bot_proc = await start_bot(config, log)
            rooms: list[str] = []
            for i in range(people):
                account = await homeserver.register(f"person-{i}", "person-pw")
                client = await DevClient.login(
                    homeserver.base_url, account.user_id, account.password, base / f"s{i}", sync_timeout_ms=30_000
                )
                clients.append(client)
                rooms.append(await client.create_room(name=f"Gruppe {i}", invite=[bot.user_id]))
            for client, room in zip(clients, rooms, strict=True):
                await client.wait_for_join(room, bot.user_id, timeout=120)
            bot_proc.terminate()
            await bot_proc.wait()
            acceptors = [asyncio.create_task(accept_invites(c)) for c in clients]

            start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
            reminders = plan(people, spread, start, repeat)
            users = [c.user_id for c in clients]
            await write_reminders(f"sqlite+aiosqlite:///{data / 'redi-bot.sqlite3'}", reminders, rooms, users)
            bot_proc = await start_bot(config, log)
            last_due = max(due for _, _, due in reminders)
            print(
                f"{len(reminders)} reminders due {start:%H:%M:%S}–{last_due:%H:%M:%S} UTC; the bot started "
                f"{lead:.0f} s before the first",
                flush=True,
            )

            # Collect until every reminder came or 30 s after the last was due.
            def from_bot(message: ReceivedMessage) -> bool:
                return message.sender == bot.user_id and "⏰" in message.body

            deadline = last_due + timedelta(seconds=30)
            expected_per_person = [sum(1 for _, p, _ in reminders if p == i) for i in range(people)]
            arrived: list[list[ReceivedMessage]] = [[] for _ in clients]

            async def collect(i: int) -> None:
                while len(arrived[i]) < expected_per_person[i]:
                    left = (deadline - datetime.now(UTC)).total_seconds()
                    if left <= 0:
                        return
                    try:
                        arrived[i].append(await clients[i].wait_for_message(from_bot, timeout=left))
                    except TimeoutError:
                        return

            await asyncio.gather(*(collect(i) for i in range(people)))
            # Keep listening a little longer for duplicates.
            await asyncio.sleep(2)
            for i, client in enumerate(clients):
                arrived[i] += [m for m in client.pending() if from_bot(m)]
            after = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
            base_ms = await baseline(clients[0], rooms[0], [after + timedelta(seconds=s) for s in range(10)])
        finally:
            for task in acceptors:
                task.cancel()
            await asyncio.gather(*acceptors, return_exceptions=True)
            await shut_down(clients, bot_proc, homeserver)

    stamps: dict[int, list[int]] = {}
    for messages in arrived:
        for message in messages:
            for number in _NUMBER.findall(message.body):
                stamps.setdefault(int(number), []).append(message.origin_server_ts)
    print(f"\nlateness = origin_server_ts − due ({people} people, spread {spread:.0f} s)")
    for kind in (ROOM, FIRST_DM, LATER_DM):
        numbers = [n for n, (k, _, _) in enumerate(reminders) if k == kind]
        if not numbers:
            continue
        samples = [ts - reminders[n][2].timestamp() * 1000 for n in numbers for ts in stamps.get(n, [])]
        missing = sum(1 for n in numbers if n not in stamps)
        duplicates = sum(len(stamps[n]) - 1 for n in numbers if n in stamps)
        print(row(kind, samples, len(numbers), missing, duplicates, goal=True))
    print(row(BASELINE, base_ms, len(base_ms), 0, 0, goal=False))
    print(
        f"\ngoal (issue #16): p95 <= {GOAL_P95_MS:.0f} ms, max <= {GOAL_MAX_MS:.0f} ms for every kind, none missing "
        "or twice; baseline = a client's own message sent on a whole second. The machine is shared: compare with the "
        "baseline of this run."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which the reminders fall due")
    parser.add_argument("--lead", type=float, default=20.0, help="seconds from the bot's start to the first due")
    parser.add_argument("--no-repeat", action="store_true", help="no second personal reminder per person")
    args = parser.parse_args()
    logging.getLogger("nio").setLevel(logging.ERROR)
    asyncio.run(main(args.people, args.spread, args.lead, not args.no_repeat))
