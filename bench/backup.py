"""How long `redi-bot backup` and `redi-bot restore` take, and how big a backup is, for a network after some years:
10,000 profiles (bench/search.py's fill) and 100,000 decisions with their search index (bench/decisions.py's fill),
on SQLite and PostgreSQL.

    .venv/bin/python bench/backup.py [--profiles 10000] [--decisions 100000] [--pg URL | --no-pg]

Measured in-process with the functions the commands call (`bot.backup.take_backup`, `bot.backup.restore`): the
backup of the idle database, then the restore over it with --force (what is there moved aside, or dumped aside on
PostgreSQL), then the restore onto an empty data_dir.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from decisions import Corpus, build_index, fill
from search import populate, vocabulary
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot import __version__
from bot.backup import restore, take_backup
from bot.clock import SystemClock
from bot.config import load_config
from storage import Database, normalize_url


async def measure(label: str, tmp: Path, url: str | None, profiles: int, decisions: int) -> None:
    config_path = tmp / f"{label}.toml"
    database = f'database_url = "{url}"\n' if url else ""
    config_path.write_text(
        f'[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@bot:localhost"\n[bot]\ndata_dir = "{label}-data"\n'
        + database,
        encoding="utf-8",
    )
    config = load_config(config_path, env={})
    config.data_dir.mkdir(mode=0o700)
    db = Database(config.database_url)
    try:
        await db.upgrade()
        t0 = time.perf_counter()
        await populate(db, profiles, vocabulary(2000), config.cities, config.groups)
        rng = random.Random(7)
        await fill(db, decisions, Corpus.build(rng), rng)
        await build_index(db)
        fill_s = time.perf_counter() - t0
    finally:
        await db.dispose()
    clock = SystemClock()
    t0 = time.perf_counter()
    manifest = await asyncio.to_thread(take_backup, config, tmp / f"{label}-backup", clock.now(), __version__)
    backup_s = time.perf_counter() - t0
    size = sum(f.size for f in manifest.files) / 1e6
    restored = await asyncio.to_thread(restore, config, tmp / f"{label}-backup", clock.now(), force=True)
    assert restored.aside is not None
    shutil.rmtree(config.data_dir)
    if url is not None:  # the database is lost too: its tables go, as on a new server
        engine = create_async_engine(normalize_url(url), poolclass=NullPool)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            await conn.exec_driver_sql("CREATE SCHEMA public")
        await engine.dispose()
    fresh = await asyncio.to_thread(restore, config, tmp / f"{label}-backup", clock.now(), force=False)
    print(
        f"{label:<11} {profiles} profiles + {decisions} decisions (filled in {fill_s:.0f} s): backup {backup_s:.1f} s, "
        f"{size:.0f} MB; restore over existing data (moved aside) {restored.seconds:.1f} s, onto an empty disk "
        f"{fresh.seconds:.1f} s"
    )


async def main(profiles: int, decisions: int, pg_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="redi-bench-backup-") as name:
        tmp = Path(name)
        await measure("sqlite", tmp, None, profiles, decisions)
        if pg_url:
            database = f"redi_bench_backup_{secrets.token_hex(4)}"
            admin = create_async_engine(normalize_url(pg_url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
            try:
                await measure("postgresql", tmp, pg_url.rsplit("/", 1)[0] + "/" + database, profiles, decisions)
            finally:
                async with admin.connect() as conn:
                    await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.profiles, args.decisions, None if args.no_pg else args.pg))
