"""Data protection, without a homeserver (SQLite and PostgreSQL): every table that can hold a person is known to the
export and the erasure (checked against the models), `!meinedaten` sends all of it, and after `!vergissmich` the
person's Matrix id is in no text column of any table while the groups' records read "ehemaliges Mitglied"."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, LargeBinary, String, func, select, text, update

from bot.config import ConfigError, Retention, load_config
from bot.dispatch import Quoted
from commands.privacy import PurgeJobs
from commands.privacy.commands import confirmation_code
from commands.privacy.notice import readme_section
from commands.privacy.texts import TABLE_LABELS
from storage import Database
from storage.models import Base, MinutesSession, SavedQuery
from storage.privacy import NO_PERSON_DATA, PERSON_COLUMNS, mention_pattern, text_columns
from tests.harness import BERLIN, GROUP_ROOM, NETWORK, ROOT, Bot

ANNA, BEN, CLARA = "@anna:buehl.de", "@ben:rastatt.de", "@clara:ettlingen.de"

# Column names that say "a person": a new column named like this must be in PERSON_COLUMNS.
PERSONISH = re.compile(r"(user(_id)?|requester|author|actor|owner|sender|member|person|recipient)$|_by$")


def test_every_table_is_either_exported_or_says_why_it_holds_nobody() -> None:
    tables = set(Base.metadata.tables)
    assert not set(PERSON_COLUMNS) & set(NO_PERSON_DATA)
    assert set(PERSON_COLUMNS) | set(NO_PERSON_DATA) == tables, (
        "a table was added: list its user columns in storage.privacy.PERSON_COLUMNS (then the export and the "
        "erasure cover it) or say in NO_PERSON_DATA why it holds nobody"
    )
    for name, columns in PERSON_COLUMNS.items():
        assert set(columns) <= set(Base.metadata.tables[name].columns.keys()), name


def test_every_column_named_like_a_person_is_exported() -> None:
    for name, table in Base.metadata.tables.items():
        for column in table.columns:
            if not (isinstance(column.type, String) and PERSONISH.search(column.name)):
                continue
            assert column.name in PERSON_COLUMNS.get(name, ()), f"{name}.{column.name} looks like a person"


def test_every_person_table_has_a_readable_label() -> None:
    assert set(TABLE_LABELS) == set(PERSON_COLUMNS)


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Bot]:
    bot = Bot(db, tmp_path)
    for user, city in ((ANNA, "Bühl"), (BEN, "Rastatt"), (CLARA, "Ettlingen")):
        await bot.say(user, f"!stadt {city}")
    await bot.say(ANNA, "!ichweiss Engagementplattform")
    await bot.say(ANNA, "!sprache de")
    await bot.say(ANNA, "!termin jeden Dienstag 10:00 Jour fixe")
    await bot.say(ANNA, "!erinnere mich morgen um 9 an die Abgabe")
    assert "eingetragen" in await bot.say(BEN, "!vertretung 12.12. 10-16 Uhr Digitaltag Bühl")
    assert "notiert" in await bot.say(ANNA, "!übernehme 1 bin ab 10 Uhr da")
    await bot.say(ANNA, "!beschluss Wir nehmen Angebot B, Ansprechpartnerin @anna:buehl.de")
    await bot.say(BEN, "!beschluss Angebot C auch", quoting=Quoted("$src", ANNA, "Angebot C von @anna:buehl.de"))
    await bot.say(BEN, "!aufgabe @anna:buehl.de bis 15.12. Schulungsraum buchen")
    await bot.say(BEN, "!beschluss Rückfragen zu Angebot C an @anna:buehl.de")
    await bot.say(BEN, "!beschluss Die Namensvetterin @anna:buehl.dev bleibt, wer sie ist.")
    await bot.say(BEN, "!ichweiss Engagementplattform")
    await bot.say(ANNA, "!werweiss Engagementplattform")  # a saved search (for !mehr)
    yield bot


async def test_my_data_sends_every_table_as_json_and_markdown_by_direct_message(bot: Bot) -> None:
    reply = await bot.reply(ANNA, "!meinedaten")
    assert reply is not None and "Direktnachricht" in reply.markdown
    [dm] = reply.followups
    assert dm.user_id == ANNA
    json_file, md_file = dm.reply.attachments
    assert json_file.mimetype == "application/json" and md_file.filename.endswith(".md")
    document = json.loads(json_file.data)
    tables = {name: rows for name, rows in document["tables"].items() if rows}
    for expected in (
        "user_settings",
        "profiles",
        "profile_topics",
        "meetings",
        "personal_reminders",
        "substitution_offers",
        "decisions",
        "minutes_items",
        "saved_queries",
    ):
        assert expected in tables, expected
    assert len(tables["decisions"]) == 3, "authored, quoted, and mentioned"
    assert tables["substitution_offers"][0]["note"] == "bin ab 10 Uhr da"
    sent_to_anna = [body for room, body in bot.transport.bodies if room == f"!dm-{ANNA}"]
    assert sent_to_anna[-2:] == ["redi-bot-meine-daten.json", "redi-bot-meine-daten.md"], "the files go out too"
    summary = md_file.data.decode()
    assert (
        "## Profil (1 Eintrag)" in summary
        and "## Beschlüsse (von dir, dich zitierend oder nennend) (3 Einträge)" in summary
    )
    assert "Jour fixe" in summary and "Schulungsraum buchen" in summary
    # nothing of it stays in the outbox: the files go out at once
    async with bot.db.transaction() as repos:
        assert not (await repos.privacy.export(ANNA))["outbox"]
    await bot.say(ANNA, "!sprache en")
    english = await bot.reply(ANNA, "!mydata")
    assert english is not None and "my-data.md" in english.followups[0].reply.attachments[1].filename


async def scan_database(db: Database, needle: str) -> list[str]:
    """Every text, JSON and binary column of every table that contains the Matrix id `needle` (not merely as the
    start of a longer id)."""
    pattern = mention_pattern(needle)
    found = []
    async with db.transaction() as repos:
        session = repos.privacy._session
        for name, table in Base.metadata.tables.items():
            columns = text_columns(table) + [c.name for c in table.columns if isinstance(c.type, JSON | LargeBinary)]
            for row in (await session.execute(select(table))).mappings():
                for column in columns:
                    value: Any = row[column]
                    if isinstance(value, bytes):
                        value = value.decode(errors="replace")
                    elif value is not None and not isinstance(value, str):
                        value = json.dumps(value, ensure_ascii=False)
                    if value is not None and pattern.search(value):
                        found.append(f"{name}.{column}")
    return found


async def test_forget_me_confirms_deletes_pseudonymizes_and_leaves_the_id_nowhere(bot: Bot) -> None:
    assert await scan_database(bot.db, ANNA)
    assert "Vertretung #2 eingetragen" in await bot.say(ANNA, "!vertretung 14.12. 10-12 Uhr Infostand")
    preview = await bot.say(ANNA, "!vergissmich", direct=True)
    assert "Gelöscht werden" in preview and "ehemaliges Mitglied" in preview
    code = confirmation_code(ANNA, bot.clock.now())
    assert f"!vergissmich {code}" in preview
    assert "stimmt nicht" in await bot.say(
        ANNA, "!vergissmich abcdef" if code != "abcdef" else "!vergissmich 000000", direct=True
    )
    assert "stimmt nicht" in await bot.say(BEN, f"!vergissmich {code}", direct=True), "a code is only the person's own"

    done = await bot.say(ANNA, f"!vergissmich {code}", direct=True)
    assert "ehemaliges Mitglied 1" in done, done
    assert [body for user, body in bot.dms if user == BEN and "zurückgezogen" in body], bot.dms
    [(_, _, edited)] = [edit for edit in bot.edits if edit[0] == NETWORK]
    assert "#2" in edited and "ehemaliges Mitglied 1" in edited and ANNA not in edited, "her own call, cancelled"
    assert await scan_database(bot.db, ANNA) == []
    assert "kein Profil" in await bot.say(BEN, f"!profil {ANNA}")
    shown = await bot.say(BEN, "!beschluss 1")
    assert "ehemaliges Mitglied 1" in shown and ANNA not in shown
    quoted = await bot.say(BEN, "!beschluss 2")
    assert "Angebot C von ehemaliges Mitglied 1" in quoted, quoted
    assert "@anna:buehl.dev bleibt" in await bot.say(BEN, "!beschluss 4"), "a longer id is someone else"
    assert "(offen)" in await bot.say(BEN, "!vertretung 1")

    # a second person forgotten gets a pseudonym of their own; coordinators were told that, not who
    await bot.say(CLARA, "!ichweiss Vereine")
    await bot.say(CLARA, f"!vergissmich {confirmation_code(CLARA, bot.clock.now())}", direct=True)
    told = [body for room, body in bot.transport.bodies if room == NETWORK and "Datenschutz" in body]
    assert told == [
        "Datenschutz: Eine Person hat ihre Daten beim Bot löschen lassen. In den Aufzeichnungen heißt sie "
        f"„ehemaliges Mitglied {n}“."
        for n in (1, 2)
    ]
    assert await scan_database(bot.db, CLARA) == []


async def test_forgetting_an_accepted_helper_opens_the_request_again(bot: Bot) -> None:
    assert "besetzt" in await bot.say(BEN, f"!zusage 1 {ANNA}")
    await bot.say(ANNA, f"!vergissmich {confirmation_code(ANNA, bot.clock.now())}", direct=True)
    [told] = [body for user, body in bot.dms if user == BEN and "zurückgezogen" in body]
    assert "#1 ist damit wieder offen" in told
    [(_, _, edited)] = [edit for edit in bot.edits if edit[0] == NETWORK][-1:]
    assert edited.startswith("🔄 Wieder offen") and ANNA not in edited
    assert "(offen)" in await bot.say(BEN, "!vertretung 1")


async def test_forget_me_in_a_group_room_answers_by_direct_message_and_deletes_nothing(bot: Bot) -> None:
    code = confirmation_code(ANNA, bot.clock.now())
    for body in ("!vergissmich", f"!vergissmich {code}"):
        said = await bot.say(ANNA, body)
        assert "Direktnachricht" in said and code not in said and "ehemaliges Mitglied" not in said, said
        preview = bot.dms[-1]
        assert preview[0] == ANNA and f"!vergissmich {code}" in preview[1], "the preview goes to her direct chat"
    assert not [body for room, body in bot.transport.bodies if room == NETWORK and "Datenschutz" in body]
    async with bot.db.transaction() as repos:
        assert (await repos.privacy.export(ANNA))["profiles"], "a code in the group room deletes nothing"
        assert await repos.privacy.forgotten_count() == 0
    assert "ehemaliges Mitglied 1" in await bot.say(ANNA, f"!vergissmich {code}", direct=True)


async def test_someone_the_bot_knows_nothing_about_is_told_so(bot: Bot) -> None:
    stranger = "@fremd:example.org"
    assert "nichts gespeichert" in await bot.say(stranger, "!vergissmich", direct=True)
    assert "nichts gespeichert" in await bot.say(
        stranger, f"!vergissmich {confirmation_code(stranger, bot.clock.now())}", direct=True
    )
    async with bot.db.transaction() as repos:
        assert await repos.privacy.forgotten_count() == 0, "no pseudonym used up"


async def test_the_code_expires(bot: Bot) -> None:
    code = confirmation_code(ANNA, bot.clock.now())
    bot.clock.advance(timedelta(minutes=31))
    assert "abgelaufen" in await bot.say(ANNA, f"!vergissmich {code}", direct=True)
    async with bot.db.transaction() as repos:
        assert (await repos.privacy.export(ANNA))["profiles"]


# --- retention ------------------------------------------------------------------------------------------


async def test_the_daily_purge_deletes_what_the_config_says_exactly_once(bot: Bot) -> None:
    assert "abgesagt" in await bot.say(BEN, "!vertretung absagen 1")
    assert "aufgehoben" in await bot.say(BEN, "!beschluss aufheben 2 doppelt eingetragen")
    jobs = bot.planner.of(PurgeJobs)
    assert jobs.retention == bot.config.retention == Retention()
    first = jobs.next_run(bot.clock.now())
    assert first.astimezone(BERLIN).time() == time(3, 30) and first > bot.clock.now()

    async with bot.db.transaction() as repos:  # the database's clock wrote it: move it to the test's time
        await repos.privacy._session.execute(update(SavedQuery).values(updated_at=bot.clock.now()))
    bot.clock.advance(timedelta(days=32))  # reminders, searches and command records are past their time
    counts = await jobs.fire(jobs.next_run(bot.clock.now() - timedelta(days=1)))
    assert counts is not None
    assert counts["personal_reminders"] == 1 and counts["saved_searches"] == 1 and counts["handled_commands"] > 0, (
        counts
    )
    assert counts["substitution_text"] == 0 and counts["revoked_quotes"] == 0, "a year is not over yet"

    bot.clock.advance(timedelta(days=365))
    when = jobs.next_run(bot.clock.now() - timedelta(days=1))
    twice = await asyncio.gather(jobs.fire(when), jobs.fire(when))
    done = [c for c in twice if c is not None]
    assert len(done) == 1, twice
    assert done[0]["substitution_text"] == 3, "the request's text, the offer's note, the history's detail"
    assert done[0]["revoked_quotes"] == 1
    assert await jobs.fire(when) is None, "the same day's purge runs once"
    again = await jobs.fire(jobs.next_run(when))
    assert again is not None and not any(again.values()), again

    async with bot.db.transaction() as repos:
        request = await repos.substitutions.get(1)
        revoked = await repos.decisions.get(2)
        kept = await repos.decisions.get(1)
    assert request is not None and request.what == "" and request.state == "cancelled"
    assert revoked is not None and revoked.context_text is None and revoked.context_sender is None
    assert kept is not None and "Angebot B" in kept.text, "decisions are the network's records"
    assert "Angebot B" in await bot.say(BEN, "!beschluesse Angebot"), "the search index was kept in step"


async def test_records_are_kept_unless_the_config_limits_them_then_the_purge_deletes_old_ones_cleanly(
    db: Database, tmp_path: Path
) -> None:
    bot = Bot(db, tmp_path, retention=Retention(records_days=365))
    assert "läuft" in await bot.say(ANNA, "!sitzung start Jour fixe")
    assert "#1" in await bot.say(ANNA, "!beschluss Schulung im Februar")
    assert "Aufgabe #1" in await bot.say(ANNA, "!aufgabe @ben:rastatt.de bis 15.12. Schulungsraum buchen")
    await bot.say(ANNA, "!sitzung ende")
    assert "erledigt" in await bot.say(BEN, "!erledigt 1")  # done: a record now, which the limit applies to
    bot.clock.advance(timedelta(days=200))
    assert "#2 ersetzt #1" in await bot.say(ANNA, "!beschluss ersetzen 1 Schulung im März")
    assert "Aufgabe #2" in await bot.say(ANNA, "!aufgabe @ben:rastatt.de bis 15.12.2027 Beamer leihen")
    bot.clock.advance(timedelta(days=200))  # #1, its minutes and the first action item are past 365 days

    jobs = bot.planner.of(PurgeJobs)
    counts = await jobs.fire(jobs.next_run(bot.clock.now() - timedelta(days=1)))
    # decision #1, its minutes entry, the action item and the ended session
    assert counts is not None and counts["records"] == 4, counts
    assert "nicht" in await bot.say(BEN, "!beschluss 1")
    shown = await bot.say(BEN, "!beschluss 2")
    assert "Schulung im März" in shown and "Februar" not in shown, shown
    found = await bot.say(BEN, "!beschluesse Schulung")
    assert "#2" in found and "Februar" not in found, found
    assert "Beamer leihen" in await bot.say(BEN, "!aufgaben") and "Schulungsraum" not in await bot.say(BEN, "!aufgaben")
    async with bot.db.transaction() as repos:
        session = repos.privacy._session
        kept = await repos.decisions.get(2)
        assert kept is not None and kept.supersedes is None, "no link to a deleted decision"
        sessions = await session.scalar(select(func.count()).select_from(MinutesSession))
        assert sessions == 0, "the ended minutes session went with its entries"
        if session.get_bind().dialect.name == "sqlite":  # the FTS5 index lost exactly the deleted row
            await session.execute(text("INSERT INTO decision_fts(decision_fts) VALUES ('integrity-check')"))
    again = await jobs.fire(jobs.next_run(bot.clock.now()))
    assert again is not None and again["records"] == 0

    # Another year: #2 is old too, but the newest decision stays (its number must not come again), and so does the
    # open action item: it is someone's task.
    bot.clock.advance(timedelta(days=400))
    later = await jobs.fire(jobs.next_run(bot.clock.now() - timedelta(days=1)))
    assert later is not None and later["records"] == 0, later
    assert "Schulung im März" in await bot.say(BEN, "!beschluss 2")
    assert "Beamer leihen" in await bot.say(BEN, "!aufgaben")
    assert "#3" in await bot.say(ANNA, "!beschluss Neue Regel")


def test_records_retention_is_zero_or_at_least_a_year(tmp_path: Path) -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for days, ok in ((0, True), (30, False), (365, True)):
        path = tmp_path / "config.toml"
        path.write_text(example.replace("records_days = 0", f"records_days = {days}"), encoding="utf-8")
        if ok:
            assert load_config(path, env={}).retention.records_days == days
        else:
            with pytest.raises(ConfigError, match="mindestens 365"):
                load_config(path, env={})


# --- the notice -----------------------------------------------------------------------------------------


def test_the_readme_holds_the_notice_generated_from_the_example_config() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    copied = readme.split("<!-- privacy-notice:start -->\n")[1].split("\n<!-- privacy-notice:end -->")[0]
    example = load_config(ROOT / "config.example.toml", env={})
    assert copied == readme_section(example), "paste what `redi-bot privacy notice -c config.example.toml` prints"
    for table in PERSON_COLUMNS:
        assert f"`{table}`" in readme, f"the README's table list misses {table}"


async def test_privacy_notice_follows_the_config(db: Database, tmp_path: Path) -> None:
    bot = Bot(db, tmp_path, retention=Retention(personal_reminders_days=1, substitution_text_days=90))
    german = await bot.say(ANNA, "!datenschutz")
    assert "persönliche Erinnerungen 1 Tag nach" in german and "Vertretungen 90 Tage nach" in german
    assert "Gedächtnis des Netzwerks, dauerhaft" in german
    await bot.say(ANNA, "!sprache en")
    english = await bot.say(ANNA, "!privacy")
    assert "personal reminders 1 day after" in english and "!mydata sends" in english, english
    limited = Bot(db, tmp_path, retention=Retention(records_days=3650))
    assert "Gedächtnis des Netzwerks, gelöscht 3650 Tage nach dem Eintragen" in await limited.say(BEN, "!datenschutz")


# --- logs -----------------------------------------------------------------------------------------------


async def test_logs_at_info_and_above_hold_no_message_bodies_or_profile_content(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot = Bot(db, tmp_path)
    secrets = ("Geheimthema", "Privatnotiz", "Vertraulicher Beschluss", "Heimliche Erinnerung", "Anna Arndt")
    await bot.say(ANNA, "!ichweiss Geheimthema")
    await bot.say(ANNA, "!notiz Privatnotiz über mich")
    await bot.say(ANNA, "!beschluss Vertraulicher Beschluss zum Haushalt")
    await bot.say(ANNA, "!erinnere mich morgen um 9 an die Heimliche Erinnerung")
    await bot.say(ANNA, "!werweiss Geheimthema")
    await bot.say(ANNA, "!meinedaten")
    await bot.say(ANNA, f"!vergissmich {confirmation_code(ANNA, bot.clock.now())}", direct=True)
    await bot.planner.start()
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert records, "the jobs say what they planned"
    for record in records:
        text = record.getMessage() + (record.exc_text or "")
        assert not any(secret in text for secret in secrets), text


async def test_after_a_forget_the_sqlite_file_itself_holds_the_id_nowhere(bot: Bot) -> None:
    """Deleted rows must not linger in free pages, the write-ahead log or the full-text index's segments."""
    if bot.db.dialect != "sqlite":
        pytest.skip("PostgreSQL keeps dead rows until VACUUM: see the README")
    await bot.say(ANNA, f"!vergissmich {confirmation_code(ANNA, bot.clock.now())}", direct=True)
    await bot.db.engine.dispose()  # the last connection to close checkpoints and removes the write-ahead log
    path = Path(str(bot.db.engine.url.database))
    files = [p for p in path.parent.glob(path.name + "*") if p.is_file()]
    assert files
    pattern = re.compile(mention_pattern(ANNA).pattern.encode())  # not as the start of @anna:buehl.dev
    for file in files:
        assert not pattern.search(file.read_bytes()), file.name


async def test_two_erasures_at_once_get_pseudonyms_of_their_own(db: Database) -> None:
    now = datetime(2026, 11, 21, 9, 0, tzinfo=BERLIN)
    people = [f"@person{n}:example.org" for n in range(4)]
    async with db.transaction() as repos:
        for user_id in people:
            await repos.profiles.ensure(user_id, None)

    async def forget(user_id: str) -> str:
        async with db.transaction() as repos:
            return (await repos.privacy.forget(user_id, now=now)).pseudonym

    pseudonyms = await asyncio.gather(*(forget(user_id) for user_id in people))
    assert sorted(pseudonyms) == [f"ehemaliges Mitglied {n}" for n in range(1, 5)]


async def test_a_name_in_someone_elses_entry_is_not_taken_for_the_forgotten_person(bot: Bot) -> None:
    """Display names are not unique: "Anna" in Ben's action item may be another Anna; only the entries the person
    wrote themselves count as theirs by name."""
    async with bot.db.transaction() as repos:  # owners written as a name, as minutes from a file can have them
        await repos.profiles.ensure(ANNA, "Anna")
        for author, text in ((BEN, "Flyer drucken"), (ANNA, "Protokoll schreiben")):
            await repos.minutes.add_item(
                room_id=GROUP_ROOM, group=None, kind="action", text=text, author=author, owner="Anna",
                now=bot.clock.now(),
            )  # fmt: skip
    async with bot.db.transaction() as repos:
        mine = await repos.privacy.export(ANNA)
    assert [row["text"] for row in mine["minutes_items"] if row["owner"] == "Anna"] == ["Protokoll schreiben"]
    await bot.say(ANNA, f"!vergissmich {confirmation_code(ANNA, bot.clock.now())}", direct=True)
    listed = await bot.say(BEN, "!aufgaben alle")
    assert "Flyer drucken – Anna" in listed, listed
    assert "Protokoll schreiben – ehemaliges Mitglied" in listed, listed
