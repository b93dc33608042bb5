"""Where the bot's memory and start time go: the measurements behind `bench/FINDINGS.md` (issue #16).

    .venv/bin/python bench/startup_profile.py [--runs 3] [--no-matrix] [--top 20]

1. Each heavy import on its own, in a fresh process: VmRSS it adds to a bare interpreter and its import time
   (best of `--runs`), so the cost of each library and project module is known without the others in front of it.
2. The bot in this process (`bot.app.build_app`, as `redi-bot run` builds it) against a throwaway Synapse, stage by
   stage: imports, build_app (the analyzer's word lists), start (migrations, login, crypto store), first sync and
   planning, an Alembic upgrade with nothing pending, the text analyzer on its own; VmRSS after each stage and its
   time. With `--trace`, a tracemalloc snapshot after start too (top `--top` by file and the top packages);
   tracemalloc runs from the first import on and makes the process about twice as big and much slower, so take
   the stage figures from a run without it and the snapshot's as shares.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import BOT_CONFIG, ROOT

# What `import bot.cli, bot.app` pulls in, by what could be deferred (see FINDINGS.md).
MODULES = (
    "nio",
    "aiohttp",
    "sqlalchemy.ext.asyncio",
    "alembic.command",
    "apscheduler.schedulers.asyncio",
    "wordfreq",
    "Stemmer",
    "markdown_it",
    "nh3",
    "icalendar",
    "dateutil.rrule",
    "click",
    "storage.models",
    "storage.analysis",
    "storage",
    "bot.schedule_parsing",
    "bot.config",
    "bot.replies",
    "bot.dispatch",
    "bot.matrix",
    "commands.decisions.render",
    "commands.decisions",
    "commands.expertise",
    "commands.meetings",
    "commands.substitutions",
    "commands.privacy",
    "bot.cli",
    "bot.app",
)
_PROBE = """
import sys, time
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
before = rss()
start = time.perf_counter()
__import__(sys.argv[1])
print(time.perf_counter() - start, rss() - before, len(sys.modules))
"""


# The same imports, one group after another in one process, roughly in the order the bot needs them: what each
# group adds on top of those before it (the groups sum to the whole).
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("click (the CLI)", ("click",)),
    ("sqlalchemy asyncio + orm + aiosqlite", ("sqlalchemy.ext.asyncio", "sqlalchemy.orm", "aiosqlite")),
    ("alembic (command, migration runtime)", ("alembic.command", "alembic.config", "alembic.runtime.migration")),
    ("wordfreq + PyStemmer (modules only)", ("wordfreq", "Stemmer")),
    ("babel (modules only)", ("babel", "babel.lists", "babel.units")),
    ("babel locale data de, en (Catalog at import)", ("bot.i18n:plural_forms",)),
    ("markdown-it + nh3", ("markdown_it", "nh3")),
    ("dateutil.rrule + icalendar", ("dateutil.rrule", "icalendar")),
    ("apscheduler", ("apscheduler.schedulers.asyncio",)),
    ("aiohttp", ("aiohttp",)),
    ("nio (crypto, responses, store)", ("nio",)),
    ("storage (project)", ("storage", "storage.models", "storage.analysis")),
    ("bot core: config, parsing, dispatch, scheduler", ("bot.config", "bot.dispatch", "bot.scheduler", "bot.replies")),
    ("bot.matrix", ("bot.matrix",)),
    ("commands.* (features)", ("commands.decisions", "commands.expertise", "commands.meetings",
                               "commands.substitutions", "commands.privacy", "commands.help")),
    ("bot.cli, bot.app (the rest)", ("bot.cli", "bot.app")),
    ("mako + pygments (what alembic loads to migrate)", ("mako.template", "mako.exceptions")),
)  # fmt: skip
_GROUPS_PROBE = """
import importlib, json, sys, time
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
out = []
for label, names in json.loads(sys.argv[1]):
    before, start, count = rss(), time.perf_counter(), len(sys.modules)
    for name in names:
        module, _, call = name.partition(':')
        loaded = importlib.import_module(module)
        if call:
            for language in ('de', 'en'):
                getattr(loaded, call)(language)
    out.append((label, time.perf_counter() - start, rss() - before, len(sys.modules) - count))
print(json.dumps([rss(), out]))
"""


def grouped_imports(runs: int) -> None:
    best: list[tuple[str, float, int, int]] | None = None
    total = 0
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", _GROUPS_PROBE, json.dumps(GROUPS)], check=True, cwd=ROOT, capture_output=True
        )
        total, rows = json.loads(result.stdout)
        if best is None or sum(r[1] for r in rows) < sum(r[1] for r in best):
            best = rows
    assert best is not None
    print(f"\nthe same, group after group in one process (best of {runs} by time): what each adds to those before")
    for label, seconds, kib, modules in best:
        print(f"  {label:<50}{kib / 1024:>+7.1f} MiB  {seconds * 1000:>6.0f} ms  {modules:>5} modules")
    print(f"  {'VmRSS at the end':<50}{total / 1024:>7.1f} MiB  {sum(r[1] for r in best) * 1000:>6.0f} ms")


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def standalone_imports(runs: int) -> None:
    print(f"each import alone in a fresh interpreter (best of {runs}): VmRSS added, import time, modules loaded")
    for name in MODULES:
        best: tuple[float, int, int] | None = None
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", _PROBE, name], check=True, cwd=ROOT, capture_output=True, text=True
            ).stdout.split()
            sample = (float(out[0]), int(out[1]), int(out[2]))
            best = sample if best is None or sample[0] < best[0] else best
        assert best is not None
        print(f"  {name:<34}{best[1] / 1024:>7.1f} MiB  {best[0] * 1000:>6.0f} ms  {best[2]:>5} modules")


def package_of(filename: str) -> str:
    """A traceback's file as the package it belongs to (site-packages/<pkg>, or the project's package)."""
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    try:
        return path.relative_to(ROOT).parts[0]
    except ValueError:
        return "stdlib/<frozen>" if "python3" in filename or filename.startswith("<") else filename


def show_snapshot(snapshot: tracemalloc.Snapshot, top: int) -> None:
    stats = snapshot.statistics("filename")
    total = sum(stat.size for stat in stats)
    print(f"\ntracemalloc after start: {total / 2**20:.1f} MiB traced in Python allocations")
    packages: dict[str, int] = defaultdict(int)
    for stat in stats:
        packages[package_of(stat.traceback[0].filename)] += stat.size
    print("  by package:")
    for name, size in sorted(packages.items(), key=lambda item: -item[1])[:15]:
        print(f"    {size / 2**20:>6.1f} MiB  {name}")
    print(f"  top {top} files:")
    for stat in stats[:top]:
        filename = stat.traceback[0].filename
        shown = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        print(f"    {stat.size / 2**20:>6.1f} MiB  {stat.count:>7} blocks  {shown}")
    lines = snapshot.statistics("lineno")
    print(f"  top {min(top, 10)} lines:")
    for stat in lines[: min(top, 10)]:
        frame = stat.traceback[0]
        shown = frame.filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        print(f"    {stat.size / 2**20:>6.1f} MiB  {shown}:{frame.lineno}")


def _time_calls(obj: Any, name: str, spent: dict[str, float]) -> None:
    """Add the time each call of the coroutine method `obj.name` takes to `spent[name]`."""
    original = getattr(obj, name)

    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

    setattr(obj, name, timed)


async def in_process(top: int) -> None:
    stages: list[tuple[str, float, int]] = []
    mark = time.perf_counter()

    def stage(label: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        stages.append((label, now - mark, rss_kib()))
        mark = now

    stage("interpreter")
    importlib.import_module("bot.cli")  # what `redi-bot run` imports first
    from bot.app import build_app
    from bot.config import load_config
    from storage.analysis import Analyzer, Lexicon

    stage("import bot.cli, bot.app (as `redi-bot run`)")
    from bot.dev.client import DevClient
    from bot.dev.homeserver import Homeserver

    stage("(import the dev toolkit: the bench's, not the bot's)")
    with tempfile.TemporaryDirectory(prefix="redi-bench-profile-") as tmp:
        base = Path(tmp)
        homeserver = await Homeserver.start(base / "synapse")
        try:
            bot = await homeserver.register("bench-bot", "bench-bot-pw")
            person = await homeserver.register("person", "person-pw")
            client = await DevClient.login(homeserver.base_url, person.user_id, person.password, base / "s")
            room = await client.create_room(name="bench", invite=[bot.user_id])
            config_path = base / "bot.toml"
            text = BOT_CONFIG.format(url=homeserver.base_url, user_id=bot.user_id, password=bot.password, data=base)
            config_path.write_text(text, encoding="utf-8")
            mark = time.perf_counter()
            rss_before_config = rss_kib()
            config = load_config(config_path)
            stages.append(("(homeserver, one person: not the bot's)", 0.0, rss_before_config))
            stage("load_config")
            app = build_app(config)
            stage("build_app (analyzer word lists, parts)")
            await app.db.upgrade()
            stage("db.upgrade: fresh store, all migrations")
            await app.db.upgrade()
            stage("db.upgrade again: nothing pending")
            await app.start()
            stage("app.start: upgrade check, login, crypto store, keys")
            runner = asyncio.create_task(app.run())
            await app.transport.wait_ready()
            stage("first sync (one room, invite joined)")
            await app.wait_caught_up()
            stage("planner started, outbox running")
            await client.wait_for_join(room, bot.user_id, timeout=60)
            event_id = await client.send_text(room, "!ping")
            await client.wait_for_message(lambda m: m.reply_to == event_id, timeout=60)
            stage("first !ping answered")
            snapshot = tracemalloc.take_snapshot() if tracemalloc.is_tracing() else None
            await app.stop(runner)

            # A restart with the existing store, as a new process would do it (the word lists read again).
            Lexicon.load.cache_clear()
            mark = time.perf_counter()
            stages.append(("-- restart with the existing store --", 0.0, rss_kib()))
            app = build_app(config)
            stage("build_app (word lists read again)")
            spent: dict[str, float] = {}
            _time_calls(app.db, "upgrade", spent)
            _time_calls(app.transport, "connect", spent)
            await app.start()
            stage(
                f"app.start: upgrade check {spent['upgrade'] * 1000:.0f} ms, connect {spent['connect'] * 1000:.0f} ms"
            )
            runner = asyncio.create_task(app.run())
            await app.transport.wait_ready()
            stage("first sync")
            await app.wait_caught_up()
            stage("planner started, outbox running")
            event_id = await client.send_text(room, "!ping")
            await client.wait_for_message(lambda m: m.reply_to == event_id, timeout=60)
            stage("!ping answered")
            await app.stop(runner)
            await client.close()
        finally:
            await homeserver.stop()

    mark = time.perf_counter()
    Lexicon.load.cache_clear()
    before = rss_kib()
    Analyzer()
    stages.append(("(analyzer alone, after the rest)", time.perf_counter() - mark, rss_kib() - before))
    traced = " (tracemalloc on: slower and bigger than `redi-bot run`)" if snapshot is not None else ""
    print(f"\nthe bot in this process, stage by stage{traced}")
    previous = stages[0][2]
    for label, seconds, kib in stages:
        if label.startswith("--"):
            print(f"  {label}")
            previous = kib
            continue
        if label.startswith("(analyzer"):
            print(f"  {label:<54}{seconds * 1000:>7.0f} ms  {kib / 1024:>+7.1f} MiB")
            continue
        print(
            f"  {label:<54}{seconds * 1000:>7.0f} ms  VmRSS {kib / 1024:>6.1f} MiB ({(kib - previous) / 1024:>+6.1f})"
        )
        previous = kib
    if snapshot is not None:
        show_snapshot(snapshot, top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--no-matrix", action="store_true", help="only the imports, no Synapse")
    parser.add_argument("--no-imports", action="store_true", help="skip the imports each in a fresh process")
    parser.add_argument("--trace", action="store_true", help="tracemalloc snapshot after start (slow, inflates)")
    args = parser.parse_args()
    if not args.no_imports:
        standalone_imports(args.runs)
        grouped_imports(args.runs)
    if not args.no_matrix:
        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("nio").setLevel(logging.ERROR)
        if args.trace:
            tracemalloc.start()
        asyncio.run(in_process(args.top))


if __name__ == "__main__":
    main()
