"""`!werweiss` speed with 10,000 profiles × 5 topics, in-process, on SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--profiles 10000] [--queries 400] [--postgres URL | --no-postgres]

PostgreSQL: `--postgres`, by default $REDI_TEST_DATABASE_URL (else the local database `test`), in a schema of its
own that is dropped afterwards; skipped with a note when it cannot be reached.

Each query runs the whole command as the bot does (dispatcher, one unit of work, the German analysis of the
question against the analysed vocabulary, ranking, holders, Markdown → HTML), without Matrix, with the analyzer
the bot builds (the configured synonyms' words known). Baseline: `!ping` through the same dispatcher (one unit
of work with the language lookup), measured in the same run, so the ratio shows what the search itself costs.
Topics are drawn from a 2,000-term vocabulary (domain terms with variants such as "eAkte-Migration", and two-word
topics such as "digitale Terminvergabe") with a skewed (Zipf-like) popularity, so some topics have thousands of
holders. The worst query of the mix is printed too, and what the analysis costs on its own: the question
analysed, the question matched against the analysed vocabulary (analysis included), and building that index,
which happens once per vocabulary version.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from common import PG_URL, ROOT, percentile, pg_schema
from sqlalchemy import insert

from bot.app import all_routers
from bot.clock import FakeClock
from bot.config import Config, load_config
from bot.dispatch import Dispatcher, IncomingMessage
from commands.expertise.commands import topic_index
from commands.expertise.matching import Synonyms, TopicIndex, match_topics, topic_key
from storage import Database
from storage.analysis import Analyzer
from storage.models import Profile, ProfileGroup, ProfileTopic, Topic

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
BASES = [
    "eAkte",
    "XRechnung",
    "E-Rechnung",
    "Sensorik",
    "LoRaWAN",
    "OZG",
    "Datenschutz",
    "Barrierefreiheit",
    "Intranet",
    "Projektmanagement",
    "Engagementplattform",
    "Bürgerservice",
    "Digitalisierung",
    "Schulträger",
    "Geoinformation",
    "Open Data",
    "Smart City",
    "Cloud",
    "IT-Sicherheit",
    "Archiv",
    "Vergaberecht",
    "Personalwesen",
    "Kita-Portal",
    "Friedhofswesen",
    "Standesamt",
    "Wahlen",
    "Haushalt",
    "Kasse",
    "Straßenverkehr",
    "Abfall",
    "Bauantrag",
]
SUFFIXES = [
    "",
    "-Einführung",
    " Pilot",
    "-Schnittstelle",
    " Betrieb",
    "-Schulung",
    " Ausschreibung",
    "-Migration",
    " Konzept",
    " Support",
    "-Rollout",
    " Beratung",
    "-Workflow",
    " Datenmodell",
    " Vertrag",
    " Fördermittel",
]
QUERIES = [
    "eAkte",
    "XRechnung",
    "Sensork",
    "elektronische Akte",
    "Rechnung",
    "LoRaWAN in Bühl",
    "Datenschutz woanders",
    "Geoinformation nicht in Rastatt",
    "Smart City",
    "Friedhofsverwaltung",
    "Schnittstelle",
    "Kita",
    "OZG",
    "Barrierefreiheit Konzept",
    "IT-Sicherheit",
    "Haushalt",
    "Open Data Pilot",
    "Cloud-Migration",
    "Verträge",  # another form of "Vertrag"
    "Druckern",  # another form, and the first part of "Druckerflotte"
    "Papierrechnung",  # nobody: suggestions of the same kind ("XRechnung") and spelling
]
TARGET_MS = 10.0


ADJECTIVES = [
    "kommunale",
    "digitale",
    "mobile",
    "interkommunale",
    "papierlose",
    "barrierearme",
    "sichere",
    "offene",
    "zentrale",
    "automatisierte",
    "hybride",
    "regionale",
    "agile",
    "smarte",
    "vernetzte",
    "nachhaltige",
    "medienbruchfreie",
    "rechtssichere",
    "bürgernahe",
    "datenbasierte",
    "modulare",
    "skalierbare",
    "transparente",
    "lokale",
    "externe",
    "interne",
    "neue",
    "gemeinsame",
    "standardisierte",
    "wartbare",
    "flexible",
    "schlanke",
    "proaktive",
    "verlässliche",
    "moderne",
    "einheitliche",
    "geprüfte",
    "zertifizierte",
    "europäische",
    "freie",
]
NOUNS = [
    "Fachverfahren",
    "Antragsstrecke",
    "Terminvergabe",
    "Postverteilung",
    "Telefonie",
    "Ratsinformation",
    "Zeiterfassung",
    "Gebäudeleittechnik",
    "Parkraumüberwachung",
    "Schulverwaltung",
    "Bibliothekssoftware",
    "Feuerwehrtechnik",
    "Bürgerbeteiligung",
    "Videokonferenz",
    "Formularserver",
    "Bezahlplattform",
    "Wissensdatenbank",
    "Aktenplan",
    "Stellenbörse",
    "Veranstaltungskalender",
    "Mängelmelder",
    "Hundesteuer",
    "Gewerbeanmeldung",
    "Wohngeld",
    "Fundbüro",
    "Baumkataster",
    "Straßenbeleuchtung",
    "Winterdienst",
    "Sitzungsdienst",
    "Ehrenamtskarte",
    "Netzwerkinfrastruktur",
    "Druckerflotte",
    "Softwareverteilung",
    "Passwortverwaltung",
    "Backup",
    "Lizenzverwaltung",
    "Servicekonto",
    "Postfach",
    "Chatbot",
    "Schnittstellenstandard",
]


def vocabulary(size: int) -> list[str]:
    """Topic labels as people write them: domain terms with variants, then distinct two-word topics."""
    terms = [f"{base}{suffix}" for base in BASES for suffix in SUFFIXES]
    terms += [f"{adjective} {noun}" for noun in NOUNS for adjective in ADJECTIVES]
    if len(terms) < size:
        raise ValueError(f"at most {len(terms)} distinct topics")
    return terms[:size]


async def populate(
    db: Database, profiles: int, topics: list[str], cities: tuple[str, ...], groups: tuple[str, ...]
) -> None:
    rng = random.Random(42)
    # Zipf-like popularity over a shuffled order: a few topics are known by hundreds or thousands.
    ranks = list(range(len(topics)))
    rng.shuffle(ranks)
    weights = [1 / (rank + 1) for rank in ranks]
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(Topic), [{"id": i + 1, "key": topic_key(t), "label": t} for i, t in enumerate(topics)]
        )
        people, memberships, knows = [], [], []
        for n in range(profiles):
            user_id = f"@person{n}:{rng.choice(cities).lower().replace('ü', 'ue')}.de"
            people.append({"user_id": user_id, "display_name": f"Person {n}", "city": rng.choice(cities)})
            for group in rng.sample(groups, 2):
                memberships.append({"user_id": user_id, "group_name": group})
            chosen: set[int] = set()
            while len(chosen) < 5:
                chosen.add(rng.choices(range(len(topics)), weights=weights)[0])
            for position, index in enumerate(sorted(chosen), start=1):
                knows.append({"user_id": user_id, "topic_id": index + 1, "label": topics[index], "position": position})
        for table, rows in ((Profile, people), (ProfileGroup, memberships), (ProfileTopic, knows)):
            for start in range(0, len(rows), 5000):
                await conn.execute(insert(table), rows[start : start + 5000])


async def timed(runs: int, once: Callable[[int], Awaitable[None]]) -> list[float]:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        await once(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def measure(
    label: str, url: str, profiles: int, queries: int, connect_args: dict[str, object] | None = None
) -> None:
    config = load_config(ROOT / "config.example.toml", env={})
    config = replace(config, database_url=url)
    # As bot.app.open_database builds it, with the connection arguments of the benchmark's schema.
    analyzer = Analyzer(extra_words=[word for group in config.synonyms for word in group])
    db = Database(url, connect_args=connect_args, analyzer=analyzer)
    try:
        await db.upgrade()
        t0 = time.perf_counter()
        await populate(db, profiles, vocabulary(2000), config.cities, config.groups)
        if db.dialect == "postgresql":
            # What autovacuum does shortly after a bulk load (PostgreSQL 13+ also vacuums tables that only grow):
            # without statistics the planner scans tables, without the visibility map it cannot read the holders
            # from the index alone.
            async with db.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("VACUUM ANALYZE")
        fill_s = time.perf_counter() - t0
        dispatcher = Dispatcher(routers=all_routers(), config=config, db=db, clock=FakeClock(NOW))
        asker = "@person0:buehl.de"
        async with db.transaction() as repos:
            await repos.profiles.ensure(asker, "Frager")
            await repos.profiles.set_city(asker, "Bühl")

        async def ask(body: str) -> int:
            message = IncomingMessage("!room:x", f"${secrets.token_hex(8)}", asker, body, NOW)
            reply = await dispatcher.handle(message)
            assert reply is not None
            return len(reply.markdown)

        for query in QUERIES:  # warm up caches and check every query answers
            await ask(f"!werweiss {query}")

        per_query: dict[str, list[float]] = {}

        async def search(i: int) -> None:
            query = QUERIES[i % len(QUERIES)]
            start = time.perf_counter()
            await ask(f"!werweiss {query}")
            per_query.setdefault(query, []).append((time.perf_counter() - start) * 1000)

        async def ping(i: int) -> None:
            await ask("!ping")

        pings = await timed(queries, ping)
        searches = await timed(queries, search)
        p50, p95 = statistics.median(searches), percentile(searches, 95)
        b50 = statistics.median(pings)
        print(
            f"{label:<11}{profiles:>8}{queries:>6}  {b50:>7.2f}ms  {p50:>7.2f}ms{p95:>8.2f}ms{max(searches):>8.2f}ms"
            f"  {p50 / b50:>6.1f}x   {fill_s:>5.1f}s  {'ok' if p95 <= TARGET_MS else 'OVER TARGET'}"
        )
        worst = max(per_query, key=lambda q: statistics.median(per_query[q]))
        print(f"{'':<11}slowest query: !werweiss {worst} (p50 {statistics.median(per_query[worst]):.1f} ms)")
        await analysis_cost(db, config, queries)
    finally:
        await db.dispose()


async def analysis_cost(db: Database, config: Config, runs: int) -> None:
    """The analysis on its own, per question as the bot runs it (words cached after the warm-up, the index built)."""
    synonyms = Synonyms(config.synonyms)
    async with db.transaction() as repos:
        index = await topic_index(repos, synonyms)
        vocabulary = await repos.profiles.vocabulary()
    analysed, matched = [], []
    for i in range(runs):
        query = QUERIES[i % len(QUERIES)]
        start = time.perf_counter()
        db.analyzer.terms(query)
        middle = time.perf_counter()
        match_topics(query, index)
        analysed.append((middle - start) * 1000)
        matched.append((time.perf_counter() - middle) * 1000)
    start = time.perf_counter()
    TopicIndex(db.analyzer, vocabulary, synonyms)
    build_ms = (time.perf_counter() - start) * 1000
    print(
        f"{'':<11}analysis per query: question analysed p50 {statistics.median(analysed) * 1000:.0f} µs / "
        f"p95 {percentile(analysed, 95) * 1000:.0f} µs; matched against the analysed vocabulary (analysis included) "
        f"p50 {statistics.median(matched):.2f} ms / p95 {percentile(matched, 95):.2f} ms; index of "
        f"{len(vocabulary)} topics built in {build_ms:.0f} ms once per vocabulary version"
    )


async def main(profiles: int, queries: int, pg_url: str | None) -> None:
    print(
        f"{'backend':<11}{'people':>8}{'runs':>6}  {'ping p50':>9}  {'search p50':>9}{'p95':>10}{'max':>10}  "
        f"{'ratio':>6}  {'fill':>6}  target p95 <= {TARGET_MS:.0f} ms"
    )
    with tempfile.TemporaryDirectory(prefix="redi-bench-search-") as tmp:
        await measure("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", profiles, queries)
    if pg_url:
        async with pg_schema(pg_url) as connect_args:
            if connect_args is not None:
                await measure("postgresql", pg_url, profiles, queries, connect_args)
    print("\nratio = search p50 / ping p50 (the fixed cost of one command with its unit of work)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--postgres", default=PG_URL, help="default: $REDI_TEST_DATABASE_URL, else the local `test`")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.profiles, args.queries, None if args.no_postgres else args.postgres))
