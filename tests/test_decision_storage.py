"""Storage contract of the decision log and the minutes, on SQLite and (with REDI_TEST_DATABASE_URL)
PostgreSQL: records, audit trail, the quoted message's fate, full-text search with every filter, and the
one-open-minutes-per-room rule under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert

from storage import Database
from storage import decisions as decision_storage
from storage.analysis import Analyzer
from storage.decisions import INDEX_VERSION_KEY, AuditRecord, DecisionRecord, SearchPage, index_version
from storage.fulltext import HitKind
from storage.models import MinutesItem
from storage.text import fold

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ROOM, OTHER_ROOM = "!sensorik:example.org", "!recht:example.org"
ANNA, BEN = "@anna:example.org", "@ben:example.org"
SENSORIK, RECHT, DIGITAL = "Sensorik", "Recht und Datenschutz", "Digitale Rechnung"


async def _add(db: Database, text: str, **fields: Any) -> DecisionRecord:
    values: dict[str, Any] = {
        "room_id": ROOM,
        "group": SENSORIK,
        "author": ANNA,
        "tags": (),
        "now": T0,
    } | fields
    async with db.transaction() as repos:
        return await repos.decisions.add(text=text, **values)


async def _search(db: Database, **filters: Any) -> SearchPage:
    async with db.transaction() as repos:
        return await repos.decisions.search(**filters)


async def _ids(db: Database, **filters: Any) -> list[int]:
    return [d.id for d in (await _search(db, **filters)).decisions]


# --- records and their history ------------------------------------------------------------------------


async def test_add_and_get_round_trip_with_context(db: Database) -> None:
    added = await _add(
        db,
        "Wir führen die E-Rechnung zum 1.7. ein.",
        tags=["#XRechnung", "Pflicht", "xrechnung"],
        now=T0.astimezone(ZoneInfo("Europe/Berlin")),
        event_id="$cmd",
        permalink="https://matrix.to/#/!sensorik:example.org/$cmd",
        context_sender=BEN,
        context_text="Sollen wir die E-Rechnung einführen?",
        context_event_id="$question",
        session_id=None,
    )
    assert added == DecisionRecord(
        id=added.id,
        room_id=ROOM,
        group=SENSORIK,
        author=ANNA,
        text="Wir führen die E-Rechnung zum 1.7. ein.",
        tags=("XRechnung", "Pflicht"),  # '#' dropped, the same tag twice kept once (first spelling)
        event_id="$cmd",
        permalink="https://matrix.to/#/!sensorik:example.org/$cmd",
        context_sender=BEN,
        context_text="Sollen wir die E-Rechnung einführen?",
        context_event_id="$question",
        context_state="kept",
        session_id=None,
        status="active",
        superseded_by=None,
        supersedes=None,
        note=None,
        created_at=T0,
        updated_at=T0,
    )
    assert added.created_at.tzinfo is UTC
    async with db.transaction() as repos:
        assert await repos.decisions.get(added.id) == added
        assert await repos.decisions.get(added.id, lock=True) == added
        assert await repos.decisions.get(added.id + 1) is None
        assert await repos.decisions.audit(added.id) == [AuditRecord(T0, ANNA, "created", None)]

    plain = await _add(db, "Ohne Bezug.", group=None)
    assert (plain.context_state, plain.group, plain.tags) == (None, None, ())


async def test_add_checks_its_input(db: Database) -> None:
    async with db.transaction() as repos:
        with pytest.raises(ValueError, match="text is longer than 5000"):
            await repos.decisions.add(room_id=ROOM, group=None, author=ANNA, text="x" * 5001, tags=(), now=T0)
        with pytest.raises(ValueError, match="needs a text"):
            await repos.decisions.add(room_id=ROOM, group=None, author=ANNA, text="  ", tags=(), now=T0)
        with pytest.raises(ValueError, match="tag"):
            await repos.decisions.add(room_id=ROOM, group=None, author=ANNA, text="a", tags=["#"], now=T0)
        with pytest.raises(ValueError, match="timezone-aware"):
            await repos.decisions.add(
                room_id=ROOM, group=None, author=ANNA, text="a", tags=(), now=datetime(2026, 1, 1)
            )


async def test_supersede_and_revoke_leave_an_audit_trail(db: Database) -> None:
    old = await _add(db, "Treffen immer dienstags.")
    new = await _add(db, "Treffen immer mittwochs.", now=T0 + timedelta(days=7))
    later = T0 + timedelta(days=8)
    async with db.transaction() as repos:
        await repos.decisions.supersede(old.id, new_id=new.id, actor=BEN, now=later)
    async with db.transaction() as repos:
        superseded = await repos.decisions.get(old.id)
        replacement = await repos.decisions.get(new.id)
        assert superseded is not None and replacement is not None
        assert (superseded.status, superseded.superseded_by, superseded.updated_at) == ("superseded", new.id, later)
        assert (replacement.status, replacement.supersedes) == ("active", old.id)
        assert superseded.text == old.text  # never rewritten
        assert await repos.decisions.audit(old.id) == [
            AuditRecord(T0, ANNA, "created", None),
            AuditRecord(later, BEN, "superseded", f"#{new.id}"),
        ]
        assert (await repos.decisions.audit(new.id))[-1] == AuditRecord(later, BEN, "supersedes", f"#{old.id}")

        # Only what is in force can be superseded or revoked.
        with pytest.raises(ValueError, match="is superseded, not active"):
            await repos.decisions.supersede(old.id, new_id=new.id, actor=BEN, now=later)
        with pytest.raises(ValueError, match="is superseded"):
            await repos.decisions.revoke(old.id, actor=BEN, reason="x", now=later)
        with pytest.raises(LookupError):
            await repos.decisions.revoke(999_999, actor=BEN, reason="x", now=later)
        with pytest.raises(LookupError):
            await repos.decisions.supersede(new.id, new_id=999_999, actor=BEN, now=later)
        with pytest.raises(ValueError, match="itself"):
            await repos.decisions.supersede(new.id, new_id=new.id, actor=BEN, now=later)
        with pytest.raises(ValueError, match="reason is longer than 1000"):
            await repos.decisions.revoke(new.id, actor=BEN, reason="x" * 1001, now=later)

    async with db.transaction() as repos:
        await repos.decisions.revoke(new.id, actor=ANNA, reason="Raum nicht frei", now=later + timedelta(hours=1))
    async with db.transaction() as repos:
        revoked = await repos.decisions.get(new.id)
        assert revoked is not None
        assert (revoked.status, revoked.note, revoked.supersedes) == ("revoked", "Raum nicht frei", old.id)
        assert [a.action for a in await repos.decisions.audit(new.id)] == ["created", "supersedes", "revoked"]
        assert (await repos.decisions.audit(new.id))[-1].detail == "Raum nicht frei"


async def test_supersede_note_is_kept(db: Database) -> None:
    old, new = await _add(db, "Alt"), await _add(db, "Neu")
    async with db.transaction() as repos:
        await repos.decisions.supersede(old.id, new_id=new.id, actor=BEN, now=T0, note="Tippfehler")
        record = await repos.decisions.get(old.id)
        assert record is not None and record.note == "Tippfehler"
        assert (await repos.decisions.audit(old.id))[-1].detail == f"#{new.id}: Tippfehler"


async def test_mark_context_keeps_our_copy(db: Database) -> None:
    first = await _add(
        db, "Beschluss eins", context_text="Frage nach Sensoren", context_event_id="$q", context_sender=BEN
    )
    second = await _add(db, "Beschluss zwei", context_text="Frage nach Sensoren", context_event_id="$q")
    other = await _add(db, "Beschluss drei", context_text="Anderes", context_event_id="$other")
    edited_at, redacted_at = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    async with db.transaction() as repos:
        assert await repos.decisions.by_context_event("$q") == [first.id, second.id]
        assert await repos.decisions.by_context_event("$nothing") == []
        assert await repos.decisions.mark_context("$q", state="edited", now=edited_at, new_text="Ganz anders") == [
            first.id,
            second.id,
        ]
    async with db.transaction() as repos:
        edited = await repos.decisions.get(first.id)
        assert edited is not None
        assert (edited.context_text, edited.context_state, edited.updated_at) == (
            "Frage nach Sensoren",
            "edited",
            edited_at,
        )
        assert (await repos.decisions.audit(first.id))[-1] == AuditRecord(
            edited_at, None, "context_edited", "Ganz anders"
        )
        assert await repos.decisions.mark_context("$q", state="redacted", now=redacted_at) == [first.id, second.id]
    async with db.transaction() as repos:
        redacted = await repos.decisions.get(second.id)
        assert redacted is not None
        assert (redacted.context_text, redacted.context_state) == ("Frage nach Sensoren", "redacted")
        assert (await repos.decisions.audit(second.id))[-1] == AuditRecord(redacted_at, None, "context_redacted", None)
        # A redaction is final: seen again, or an edit arriving late, changes nothing.
        assert await repos.decisions.mark_context("$q", state="redacted", now=redacted_at) == []
        assert await repos.decisions.mark_context("$q", state="edited", now=redacted_at, new_text="x") == []
        assert await repos.decisions.mark_context("$nothing", state="edited", now=redacted_at) == []
        with pytest.raises(ValueError, match="state must be one of"):
            await repos.decisions.mark_context("$q", state="kept", now=redacted_at)
        untouched = await repos.decisions.get(other.id)
        assert untouched is not None and untouched.context_state == "kept"
    # Our copy is still what the index knows.
    assert await _ids(db, words=["Sensoren"]) == [second.id, first.id]


# --- search -------------------------------------------------------------------------------------------


@pytest.fixture
async def log(db: Database) -> dict[str, DecisionRecord]:
    """A small decision log over a few months, groups, rooms and authors."""
    day = timedelta(days=1)
    entries = {
        "erechnung": (
            "Die E-Rechnung wird Pflicht für alle Lieferanten.",
            DIGITAL,
            ROOM,
            ANNA,
            ["XRechnung", "Pflicht"],
        ),
        "portal": ("Bürgerportal: Anmeldung über das Servicekonto.", DIGITAL, ROOM, BEN, ["Portal"]),
        "sensoren": ("Wir kaufen 40 LoRaWAN-Sensoren für Pegelstände.", SENSORIK, ROOM, ANNA, ["LoRaWAN"]),
        "loeschfrist": ("Löschfristen für Protokolle: 10 Jahre.", RECHT, OTHER_ROOM, BEN, ["Pflicht", "DSGVO"]),
        "eingang": ("Eingangsrechnungen laufen über den Workflow.", DIGITAL, OTHER_ROOM, ANNA, []),
        "ohne": ("Sommerfest am 3. Juli.", None, OTHER_ROOM, BEN, []),
    }
    found = {}
    for offset, (name, (text, group, room, author, tags)) in enumerate(entries.items()):
        found[name] = await _add(
            db, text, group=group, room_id=room, author=author, tags=tags, now=T0 + offset * 10 * day
        )
    found["kontext"] = await _add(
        db,
        "So machen wir es.",
        group=SENSORIK,
        context_text="Vorschlag: Straßenbeleuchtung nachts dimmen",
        context_event_id="$vorschlag",
        now=T0 + 70 * day,
    )
    return found


async def test_search_words_are_folded_and_find_compound_parts(db: Database, log: dict[str, DecisionRecord]) -> None:
    both = [log["eingang"].id, log["erechnung"].id]  # both have it as a part: newest first
    assert await _ids(db, words=["rechnung"]) == both  # the tail of "E-Rechnung", of "Eingangsrechnungen"
    assert await _ids(db, words=["E-Rechnung"]) == [log["erechnung"].id]
    assert await _ids(db, words=["erechnung"]) == [log["erechnung"].id]
    assert await _ids(db, words=["BÜRGERPORTAL"]) == [log["portal"].id]
    assert await _ids(db, words=["buergerportal"]) == [log["portal"].id]
    assert await _ids(db, words=["Bürger"]) == [log["portal"].id]  # a word start
    assert await _ids(db, words=["Loeschfristen"]) == [log["loeschfrist"].id]
    assert await _ids(db, words=["löschfrist"]) == [log["loeschfrist"].id]
    assert await _ids(db, words=["Sensoren"]) == [log["sensoren"].id]  # tail of "LoRaWAN-Sensoren"
    assert await _ids(db, words=["lorawan", "pegel"]) == [log["sensoren"].id]  # every word required
    assert await _ids(db, words=["lorawan", "rechnung"]) == []
    assert await _ids(db, words=["xrechnung"]) == [log["erechnung"].id]  # from the tag
    assert await _ids(db, words=["strassenbeleuchtung"]) == [log["kontext"].id]  # from the quoted message
    assert await _ids(db, words=["für", "Lieferanten"]) == [log["erechnung"].id]  # function words dropped
    assert await _ids(db, words=["Beschlüsse", "über", "Lieferanten"]) == [log["erechnung"].id]  # and "Beschlüsse"
    assert await _ids(db, words=["rechnungen"]) == both  # a closed compound's part, in another form too
    assert await _ids(db, words=["Löschfrist"]) == [log["loeschfrist"].id]  # a form of "Löschfristen"
    assert await _ids(db, words=["Pegelstand"]) == [log["sensoren"].id]
    assert await _ids(db, words=["Recht"]) == []  # no word of this log has the stem "recht" or starts with it


async def test_search_filters(db: Database, log: dict[str, DecisionRecord]) -> None:
    day = timedelta(days=1)
    everything = await _ids(db)
    assert everything == sorted(everything, reverse=True) and len(everything) == 7
    assert await _ids(db, groups=[DIGITAL], words=["rechnung"]) == [log["eingang"].id, log["erechnung"].id]
    assert await _ids(db, groups=[DIGITAL], words=["Lieferanten"]) == [log["erechnung"].id]
    assert await _ids(db, groups=[SENSORIK], words=["rechnung"]) == []
    assert await _ids(db, groups=[]) == []
    assert set(await _ids(db, groups=[SENSORIK, RECHT])) == {
        log["sensoren"].id,
        log["loeschfrist"].id,
        log["kontext"].id,
    }
    assert await _ids(db, room_id=OTHER_ROOM) == [log["ohne"].id, log["eingang"].id, log["loeschfrist"].id]
    # since inclusive, until exclusive (DecisionQuery.created_range gives such bounds)
    assert await _ids(db, since=T0 + 10 * day, until=T0 + 30 * day) == [log["sensoren"].id, log["portal"].id]
    assert await _ids(db, since=T0 + 60 * day) == [log["kontext"].id]
    assert await _ids(db, tags=[fold("Pflicht")]) == [log["loeschfrist"].id, log["erechnung"].id]
    assert await _ids(db, tags=[fold("Pflicht"), fold("XRechnung")]) == [log["erechnung"].id]  # all required
    assert await _ids(db, tags=[fold("Pflicht"), fold("nirgends")]) == []
    assert await _ids(db, author=BEN, groups=[DIGITAL]) == [log["portal"].id]
    assert await _ids(db, ids=[log["portal"].id, log["ohne"].id, 999_999]) == [log["ohne"].id, log["portal"].id]
    assert await _ids(db, words=["pflicht"], groups=[DIGITAL, RECHT], since=T0, tags=["dsgvo"]) == [
        log["loeschfrist"].id
    ]


async def test_search_status_filter(db: Database, log: dict[str, DecisionRecord]) -> None:
    async with db.transaction() as repos:
        await repos.decisions.supersede(log["portal"].id, new_id=log["kontext"].id, actor=ANNA, now=T0)
        await repos.decisions.revoke(log["ohne"].id, actor=BEN, reason="abgesagt", now=T0)
    assert log["portal"].id not in await _ids(db)  # 'active' is the default
    assert await _ids(db, status="superseded") == [log["portal"].id]
    assert await _ids(db, status="revoked") == [log["ohne"].id]
    assert len(await _ids(db, status="all")) == 7
    assert await _ids(db, words=["Bürgerportal"]) == []
    assert await _ids(db, words=["Bürgerportal"], status="all") == [log["portal"].id]
    with pytest.raises(ValueError, match="status must be one of"):
        await _search(db, status="gültig")


async def test_search_pages_with_total_and_order(db: Database, log: dict[str, DecisionRecord]) -> None:
    newest = await _ids(db, status="all")
    first = await _search(db, limit=3)
    assert [d.id for d in first.decisions] == newest[:3] and first.total == 7
    second = await _search(db, limit=3, offset=3)
    assert [d.id for d in second.decisions] == newest[3:6] and second.total == 7
    last = await _search(db, limit=3, offset=6)
    assert [d.id for d in last.decisions] == newest[6:] and last.total == 7
    beyond = await _search(db, limit=3, offset=30)
    assert beyond.decisions == [] and beyond.total == 7
    oldest = await _search(db, limit=2, newest_first=False)
    assert [d.id for d in oldest.decisions] == newest[::-1][:2] and oldest.total == 7
    everything = await _search(db, limit=None, newest_first=False)
    assert [d.id for d in everything.decisions] == newest[::-1] and everything.total == 7
    assert (await _search(db, limit=None, offset=5)).total == 7
    assert (await _search(db, limit=None, offset=50)).total == 7
    words = await _search(db, words=["pflicht"], limit=1)
    assert [d.id for d in words.decisions] == [log["loeschfrist"].id] and words.total == 2
    assert (await _search(db, words=["nirgendwo"], limit=5)) == SearchPage([], 0)
    beyond_words = await _search(db, words=["pflicht"], limit=1, offset=5)
    assert beyond_words.decisions == [] and beyond_words.total == 2
    assert (await _search(db, words=["pflicht"], limit=0)).total == 2
    assert (await _search(db, limit=0)).total == 7
    # Same created_at: id breaks the tie, so pages never overlap.
    same = [await _add(db, f"Gleichzeitig {n}", now=T0 + timedelta(days=500)) for n in range(3)]
    assert [d.id for d in (await _search(db, words=["gleichzeitig"])).decisions] == [s.id for s in same[::-1]]


async def test_search_results_do_not_depend_on_the_plan(
    db: Database, log: dict[str, DecisionRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite lets a group/room/author index lead for common words (probing the full-text hits) and the
    hits lead otherwise; both plans must give the same pages and totals."""
    searches: list[dict[str, Any]] = [
        {"words": ["pflicht"], "groups": [DIGITAL, RECHT]},
        {"words": ["rechnung"], "groups": [DIGITAL], "since": T0},
        {"words": ["Sensoren"], "room_id": ROOM},
        {"words": ["für"], "author": ANNA, "status": "all", "limit": 1, "offset": 1},
        {"words": ["nirgendwo"], "groups": [SENSORIK]},
        {"words": ["pflicht"], "groups": [DIGITAL, RECHT], "tags": ["dsgvo"], "newest_first": False},
    ]
    driven_by_text = [await _search(db, **kw) for kw in searches]
    monkeypatch.setattr(decision_storage, "_PROBE_ABOVE", 0)
    assert [await _search(db, **kw) for kw in searches] == driven_by_text
    assert [page.total for page in driven_by_text] == [2, 2, 1, 2, 0, 1]


@pytest.mark.parametrize(
    "words",
    [
        ['"'],
        ["*"],
        ["NEAR(a b)"],
        ["group:sensorik"],
        [":"],
        ["a OR b", "NOT"],
        ["'; DROP TABLE decisions; --"],
        ["^rechnung"],
        ["-rechnung"],
        ["rechnung*"],
        ['"E-Rechnung"'],
        ["(", ")", "&", "|", "!", "\\"],
        ["sensoren:*"],
        ["a" * 300],
        ["🙂"],
    ],
)
async def test_search_words_never_become_syntax(db: Database, words: list[str], log: dict[str, DecisionRecord]) -> None:
    page = await _search(db, words=words, groups=[DIGITAL, SENSORIK], since=T0)
    assert page.total == len(page.decisions)
    async with db.transaction() as repos:  # the table is still there
        assert await repos.decisions.get(log["erechnung"].id) is not None


async def test_search_with_nothing_searchable_finds_nothing(db: Database, log: dict[str, DecisionRecord]) -> None:
    assert await _search(db, words=["***", "--"]) == SearchPage([], 0)
    assert await _ids(db, words=["xrechnung*"]) == [log["erechnung"].id]  # the punctuation is ignored


async def test_index_entry_is_part_of_the_unit_of_work(db: Database) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.transaction() as repos:
            await repos.decisions.add(room_id=ROOM, group=None, author=ANNA, text="Verworfen", tags=(), now=T0)
            raise Abort
    assert await _search(db, words=["verworfen"]) == SearchPage([], 0)
    kept = await _add(db, "Behalten")
    assert await _ids(db, words=["behalten"]) == [kept.id]


async def test_text_search_uses_the_index(db: Database, log: dict[str, DecisionRecord]) -> None:
    """The query's full-text condition is the indexed one (on PostgreSQL, the GIN expression must match
    exactly; with scans switched off the planner can only use it if it does)."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "ORDER BY decisions.created_at" in statement and ("MATCH" in statement or "@@" in statement):
            statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        # Words only, any status: with other filters, PostgreSQL may rightly prefer a B-tree on a table this small.
        await _search(db, words=["rechnung"], status="all")
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    [(statement, parameters)] = statements
    async with db.engine.connect() as connection:
        if db.dialect == "postgresql":
            await connection.exec_driver_sql("SET enable_seqscan = off")
            await connection.exec_driver_sql("SET enable_indexscan = off")
            plan = "\n".join(row[0] for row in await connection.exec_driver_sql("EXPLAIN " + statement, parameters))
            assert "ix_decisions_search_vector" in plan, plan
        else:
            rows = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = "\n".join(row[-1] for row in rows)
            assert "decision_fts VIRTUAL TABLE INDEX" in plan, plan


async def test_count_by_group(db: Database, log: dict[str, DecisionRecord]) -> None:
    async with db.transaction() as repos:
        await repos.decisions.revoke(log["portal"].id, actor=BEN, reason="x", now=T0)
        assert await repos.decisions.count_by_group(since=T0, until=T0 + timedelta(days=365)) == {
            DIGITAL: 3,
            SENSORIK: 2,
            RECHT: 1,
            None: 1,
        }
        assert await repos.decisions.count_by_group(since=T0 + timedelta(days=1), until=T0 + timedelta(days=21)) == {
            DIGITAL: 1,
            SENSORIK: 1,
        }
        assert await repos.decisions.count_by_group(since=T0 - timedelta(days=9), until=T0) == {}


async def test_stale_index_is_rebuilt_once(db: Database, log: dict[str, DecisionRecord]) -> None:
    async with db.transaction() as repos:
        assert await repos.decisions.rebuild_index_if_stale()  # never recorded: rebuild
        assert not await repos.decisions.rebuild_index_if_stale()
        await repos.sync.set(INDEX_VERSION_KEY, "1")  # as written before the analysis came (issue #12)
        assert await repos.decisions.rebuild_index_if_stale()
    assert await _ids(db, words=["rechnung"]) == [log["eingang"].id, log["erechnung"].id]
    assert await _ids(db, words=["strassenbeleuchtung"]) == [log["kontext"].id]
    added = await _add(db, "Nach dem Neuaufbau")
    assert await _ids(db, words=["neuaufbau"]) == [added.id]


async def test_a_changed_analysis_rebuilds_the_index(db: Database) -> None:
    """A configured synonym ("LoRaWAN") is an extra word of the analysis: it changes the fingerprint, and at the
    next start the index is rebuilt with it, so "Gateway" finds the "LoRaWANgateway" logged before."""
    logged = await _add(db, "Das LoRaWANgateway am Rathaus wird getauscht.")
    other = await _add(db, "Das Gateway im Keller bleibt.")
    async with db.transaction() as repos:
        await repos.decisions.rebuild_index_if_stale()
    assert await _ids(db, words=["Gateway"]) == [other.id]  # the closed compound has no known parts yet
    db.analyzer = Analyzer(extra_words=["LoRaWAN"])  # what bot.app.open_database builds from the synonyms
    async with db.transaction() as repos:
        assert await repos.sync.get(INDEX_VERSION_KEY) != index_version(db.analyzer)
        assert await repos.decisions.rebuild_index_if_stale()
        assert await repos.sync.get(INDEX_VERSION_KEY) == index_version(db.analyzer)
        assert not await repos.decisions.rebuild_index_if_stale()
    assert await _ids(db, words=["Gateway"]) == [other.id, logged.id]  # the word itself first, then the part
    assert await _ids(db, words=["lorawan"]) == [logged.id]
    added = await _add(db, "Noch ein LoRaWANgateway")  # indexed with the new analysis right away
    assert await _ids(db, words=["Gateway"]) == [other.id, added.id, logged.id]


# --- what a search finds: the German analysis on both backends (issue #12) -----------------------------

TEXTS = {
    "rechnung": "Die Rechnung des Caterers zahlen wir sofort.",
    "rechnungen": "Rechnungen unter 100 Euro zeichnet die Teamleitung ab.",
    "papier": "Ab 2027 nehmen wir keine Papierrechnungen mehr an.",
    "xrechnung": "Die XRechnung wird Pflicht für alle Lieferanten.",
    "eingang": "Der Rechnungseingang läuft künftig über das Portal.",
    "eakte": "Die eAkten-Einführung startet im März.",
    "recht": "Das Recht auf Auskunft gilt auch für Protokolle.",
    "vertrag": "Der Vertrag mit dem Rechenzentrum wird verlängert.",
    "vertraege": "Alle Verträge liegen künftig im Vertragsmanagement.",
    "haushalt": "Der Haushalt 2027 ist beschlossen.",
    "haus": "Das Haus der Vereine bekommt WLAN.",
    "digital": "Die Digitalisierung der Gewerbeanmeldung beginnt im Herbst.",
    "drucken": "Drucken im Rathaus nur noch beidseitig.",
    "workshop": "Two workshops on accessibility in May.",
    "dsfa": "Datenschutzfolgenabschätzung für die Videoüberwachung am Bahnhof.",
    "sensoren": "Wir kaufen 40 LoRaWAN-Sensoren für Pegelstände.",
    "senioren": "Der Seniorenbeirat tagt jetzt digital.",
    "licht": "Straßenbeleuchtung nachts dimmen.",
    "loeschen": "Löschfristen für Protokolle: 10 Jahre.",
    "it": "IT-Sicherheit: Passwörter alle 90 Tage wechseln.",
    "italien": "Die italienische Partnerstadt besucht uns im Juni.",
    "buerger": "Bürger:innen melden Schäden über den Mängelmelder.",
    "schule": "Schulträger beschaffen Tablets für alle Klassen.",
    "schnittstelle": "Die Schnittstelle zum Fachverfahren ist fertig.",
    "invoice": "All invoices go through the new portal.",
}
WORD, FORM, PART, START = HitKind.WORD, HitKind.FORM, HitKind.PART, HitKind.START
FINDS = [  # (what a colleague types, the decision it must find, how it matches)
    ("Rechnung", "rechnung", WORD),
    ("Rechnung", "rechnungen", FORM),
    ("Rechnung", "papier", PART),  # a closed compound
    ("Rechnung", "xrechnung", PART),
    ("Rechnung", "eingang", PART),  # its first part
    ("Rechnungen", "rechnungen", WORD),
    ("Rechnungen", "rechnung", FORM),
    ("Rechnungen", "papier", PART),
    ("Papier", "papier", PART),
    ("Beschlüsse zur Akte", "eakte", PART),  # "Beschlüsse" says what is searched, "zur" is a function word
    ("Akten-Einführung", "eakte", START),  # the tail of "eAkten-Einführung"
    ("Verträge", "vertraege", WORD),
    ("Verträge", "vertrag", FORM),  # umlaut plural
    ("Vertraege", "vertrag", FORM),
    ("Vertrag", "vertraege", FORM),
    ("Haushalt", "haushalt", WORD),
    ("Beschluss Haushalt", "haushalt", WORD),
    ("Haus", "haus", WORD),
    ("Haus", "haushalt", START),  # typed as a word start: found, after the real Haus
    ("digitalisieren", "digital", FORM),  # same stem as "Digitalisierung"
    ("Drucker", "drucken", FORM),
    ("Abschätzung", "dsfa", PART),
    ("Videoüberwachung", "dsfa", WORD),
    ("Sensor", "sensoren", PART),
    ("Senioren", "senioren", PART),
    ("Beleuchtung", "licht", PART),
    ("Straße", "licht", PART),
    ("Loeschfrist", "loeschen", FORM),
    ("IT", "it", PART),
    ("Bürger", "buerger", WORD),  # "Bürger:innen"
    ("Schule", "schule", PART),  # "Schul-träger"
    ("Anmeldung", "digital", PART),
    ("Rech", "rechnung", START),
    ("Rech", "xrechnung", START),
    ("workshop", "workshop", FORM),  # English stems
    ("invoice", "invoice", FORM),
    ("invoices portal", "invoice", WORD),
    ("Portal", "eingang", WORD),
]
MISSES = [  # (what a colleague types, a decision it must not find)
    ("Recht", "rechnung"),  # a look-alike with another stem
    ("Recht", "papier"),
    ("Recht", "xrechnung"),
    ("Recht", "eingang"),
    ("Rechnung", "recht"),
    ("Rechnung", "vertrag"),  # "Rechenzentrum"
    ("Rechnung", "invoice"),  # no translation
    ("Haushalt", "haus"),
    ("Sensoren", "senioren"),
    ("Senioren", "sensoren"),
    ("Stelle", "schnittstelle"),  # a word of its own, not split
    ("IT", "italien"),  # two letters are a whole word, not a word start
    ("Akte", "xrechnung"),
    ("Beschlüsse", "haushalt"),  # "beschlossen" is another word
    ("Rechnung Pflicht", "rechnung"),  # every word is required
]


async def test_searches_find_what_a_colleague_means(db: Database) -> None:
    """The table above, through the repository as `!beschluesse` calls it: each query finds what it must, not
    what it must not, and lists its hits best first (the word, another form, a compound part, a word start)."""
    minute = timedelta(minutes=1)
    ids = {name: (await _add(db, text, now=T0 + n * minute)).id for n, (name, text) in enumerate(TEXTS.items())}
    names = {decision_id: name for name, decision_id in ids.items()}
    problems = []
    for query in dict.fromkeys([query for query, _, _ in FINDS] + [query for query, _ in MISSES]):
        found = [names[decision_id] for decision_id in await _ids(db, words=query.split())]
        wanted = [(name, kind) for q, name, kind in FINDS if q == query]
        problems += [f"{query!r} does not find {name!r}" for name, _ in wanted if name not in found]
        problems += [f"{query!r} finds {name!r}" for q, name in MISSES if q == query and name in found]
        ranked = sorted((found.index(name), kind) for name, kind in wanted if name in found)
        if [kind for _, kind in ranked] != sorted(kind for _, kind in ranked):
            problems.append(f"{query!r} ranks {found} against {wanted}")
    assert problems == []
    assert len(FINDS) + len(MISSES) >= 50


async def test_many_hits_are_counted_to_a_limit_and_listed_by_date(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = [await _add(db, f"Rechnung Nummer {n}", now=T0 + timedelta(days=n)) for n in range(6)]
    newest = [d.id for d in added[::-1]]
    ranked = await _search(db, words=["Rechnung"], limit=2)
    assert ([d.id for d in ranked.decisions], ranked.total, ranked.capped) == (newest[:2], 6, False)
    monkeypatch.setattr(decision_storage, "RANK_LIMIT", 3)
    first = await _search(db, words=["Rechnung"], limit=2)
    assert ([d.id for d in first.decisions], first.total, first.capped) == (newest[:2], 3, True)
    later = await _search(db, words=["Rechnung"], limit=2, offset=4)  # beyond what was read for the count
    assert ([d.id for d in later.decisions], later.total, later.capped) == (newest[4:], 3, True)
    assert await _search(db, words=["Rechnung"], limit=0) == SearchPage([], 3, True)
    narrowed = await _search(db, words=["Rechnung"], since=T0 + timedelta(days=4))
    assert ([d.id for d in narrowed.decisions], narrowed.total, narrowed.capped) == (newest[:2], 2, False)


# --- minutes ------------------------------------------------------------------------------------------


async def _start(db: Database, room_id: str = ROOM, title: str = "Jour fixe") -> Any:
    async with db.transaction() as repos:
        return await repos.minutes.start(room_id=room_id, group=SENSORIK, title=title, started_by=ANNA, now=T0)


async def test_one_open_session_per_room(db: Database) -> None:
    session = await _start(db)
    assert session is not None and (session.room_id, session.title, session.ended_at) == (ROOM, "Jour fixe", None)
    assert session.started_at == T0 and session.group == SENSORIK
    assert await _start(db, title="Noch eins") is None
    other = await _start(db, room_id=OTHER_ROOM)
    assert other is not None
    async with db.transaction() as repos:
        assert await repos.minutes.open_session(ROOM) == session
        assert await repos.minutes.get_session(session.id) == session
        ended = await repos.minutes.end(session.id, now=T0 + timedelta(hours=1))
        assert ended.ended_at == T0 + timedelta(hours=1)
        assert await repos.minutes.end(session.id, now=T0 + timedelta(hours=2)) == ended  # the first end stays
        assert await repos.minutes.open_session(ROOM) is None
        with pytest.raises(LookupError):
            await repos.minutes.end(999_999, now=T0)
        with pytest.raises(ValueError, match="title is longer than 200"):
            await repos.minutes.start(room_id=ROOM, group=None, title="x" * 201, started_by=ANNA, now=T0)
    again = await _start(db)
    assert again is not None and again.id != session.id


async def test_concurrent_starts_have_exactly_one_winner(db: Database) -> None:
    started = await asyncio.gather(*(_start(db, title=f"Start {n}") for n in range(5)))
    winners = [s for s in started if s is not None]
    assert len(winners) == 1
    async with db.transaction() as repos:
        assert await repos.minutes.open_session(ROOM) == winners[0]


async def test_items_undo_and_end(db: Database) -> None:
    session = await _start(db)
    decision = await _add(db, "Wir testen Sensoren", session_id=session.id)
    async with db.transaction() as repos:
        info = await repos.minutes.add_item(
            room_id=ROOM, group=SENSORIK, kind="info", text="Budget steht", author=ANNA, now=T0, session_id=session.id
        )
        logged = await repos.minutes.add_item(
            room_id=ROOM,
            group=SENSORIK,
            kind="decision",
            text=decision.text,
            author=ANNA,
            now=T0 + timedelta(minutes=1),
            session_id=session.id,
            decision_id=decision.id,
        )
        action = await repos.minutes.add_item(
            room_id=ROOM,
            group=SENSORIK,
            kind="action",
            text="Angebote einholen",
            author=BEN,
            now=T0 + timedelta(minutes=2),
            session_id=session.id,
            owner=BEN,
            due=date(2026, 2, 1),
        )
        assert (action.owner, action.due, action.session_id, action.withdrawn_at) == (
            BEN,
            date(2026, 2, 1),
            session.id,
            None,
        )
        assert logged.decision_id == decision.id
        assert await repos.minutes.items(session.id) == [info, logged, action]
        with pytest.raises(ValueError, match="kind must be one of"):
            await repos.minutes.add_item(room_id=ROOM, group=None, kind="todo", text="x", author=ANNA, now=T0)
        with pytest.raises(ValueError, match="text is longer than 5000"):
            await repos.minutes.add_item(room_id=ROOM, group=None, kind="info", text="x" * 5001, author=ANNA, now=T0)

    undo_at = T0 + timedelta(minutes=3)
    async with db.transaction() as repos:
        undone = await repos.minutes.undo_last(session.id, now=undo_at)
        assert undone is not None and undone.id == action.id and undone.withdrawn_at == undo_at
        assert await repos.minutes.items(session.id) == [info, logged]
        assert await repos.minutes.get_item(action.id) == undone  # kept, only hidden
        assert await repos.minutes.open_actions() == []
        assert (await repos.minutes.undo_last(session.id, now=undo_at)) is not None
        assert (await repos.minutes.undo_last(session.id, now=undo_at)) is not None
        assert await repos.minutes.undo_last(session.id, now=undo_at) is None
        assert await repos.minutes.items(session.id) == []
        assert await repos.minutes.get_item(999_999) is None


async def test_open_actions_complete_and_due(db: Database) -> None:
    session = await _start(db)

    async def action(
        text: str, *, due: date | None, room_id: str = ROOM, group: str | None = SENSORIK, **kw: Any
    ) -> int:
        async with db.transaction() as repos:
            item = await repos.minutes.add_item(
                room_id=room_id, group=group, kind="action", text=text, author=ANNA, now=T0, due=due, **kw
            )
            return item.id

    later = await action("Später", due=date(2026, 3, 1), session_id=session.id, owner=BEN)
    no_due = await action("Irgendwann", due=None, owner=ANNA)  # outside minutes
    soon = await action("Bald", due=date(2026, 1, 10), room_id=OTHER_ROOM, group=RECHT, owner=BEN)
    overdue = await action("Überfällig", due=date(2025, 12, 1), owner=ANNA)
    async with db.transaction() as repos:
        await repos.minutes.add_item(room_id=ROOM, group=SENSORIK, kind="info", text="kein To-do", author=ANNA, now=T0)
        assert [a.id for a in await repos.minutes.open_actions()] == [overdue, soon, later, no_due]
        assert [a.id for a in await repos.minutes.open_actions(room_id=ROOM)] == [overdue, later, no_due]
        assert [a.id for a in await repos.minutes.open_actions(groups=[RECHT])] == [soon]
        assert [a.id for a in await repos.minutes.open_actions(groups=[])] == []
        assert [a.id for a in await repos.minutes.open_actions(owner=BEN)] == [soon, later]
        assert [a.id for a in await repos.minutes.due_actions(until=date(2026, 1, 10))] == [overdue, soon]
        assert (await repos.minutes.get_item(no_due)) is not None

        done_at = T0 + timedelta(days=1)
        assert await repos.minutes.complete(soon, by=BEN, now=done_at)
        assert not await repos.minutes.complete(soon, by=ANNA, now=done_at + timedelta(hours=1))
        assert not await repos.minutes.complete(999_999, by=ANNA, now=done_at)
        done = await repos.minutes.get_item(soon)
        assert done is not None and (done.done_at, done.done_by) == (done_at, BEN)
        assert [a.id for a in await repos.minutes.open_actions()] == [overdue, later, no_due]
        assert [a.id for a in await repos.minutes.due_actions(until=date(2026, 1, 10))] == [overdue]


async def test_sessions_in_a_range(db: Database) -> None:
    async with db.transaction() as repos:
        first = await repos.minutes.start(room_id=ROOM, group=SENSORIK, title="Eins", started_by=ANNA, now=T0)
        assert first is not None
        await repos.minutes.end(first.id, now=T0 + timedelta(hours=1))
        second = await repos.minutes.start(
            room_id=ROOM, group=SENSORIK, title="Zwei", started_by=ANNA, now=T0 + timedelta(days=7)
        )
        third = await repos.minutes.start(
            room_id=OTHER_ROOM, group=RECHT, title="Drei", started_by=BEN, now=T0 + timedelta(days=8)
        )
        assert second is not None and third is not None
        week = T0 + timedelta(days=7)
        assert [s.id for s in await repos.minutes.sessions(since=T0, until=T0 + timedelta(days=30))] == [
            first.id,
            second.id,
            third.id,
        ]
        assert [s.id for s in await repos.minutes.sessions(since=T0, until=week)] == [first.id]
        assert [s.id for s in await repos.minutes.sessions(since=week, until=week + timedelta(days=9))] == [
            second.id,
            third.id,
        ]
        assert [
            s.id for s in await repos.minutes.sessions(since=T0, until=T0 + timedelta(days=30), groups=[RECHT])
        ] == [third.id]


# --- action item numbers --------------------------------------------------------------------------------------


async def _item(db: Database, kind: str, text: str = "x", **fields: Any) -> Any:
    async with db.transaction() as repos:
        return await repos.minutes.add_item(
            room_id=ROOM, group=SENSORIK, kind=kind, text=text, author=ANNA, now=T0, **fields
        )


async def test_action_items_are_numbered_among_themselves(db: Database) -> None:
    """ "Aufgabe #1" is the first action item, whatever infos and decision entries were noted before it."""
    await _item(db, "info")
    await _item(db, "decision")
    first = await _item(db, "action", "Angebot einholen", owner=BEN)
    await _item(db, "info")
    second = await _item(db, "action", "Raum buchen")
    assert (first.number, second.number) == (1, 2) and first.id == 3
    async with db.transaction() as repos:
        assert await repos.minutes.get_action(1) == first
        assert await repos.minutes.get_action(2) == second
        assert await repos.minutes.get_action(3) is None, "row 3 is action #1, not #3"
        info = await repos.minutes.get_item(1)
        assert info is not None and info.number is None, "infos have no number of their own"
        assert [a.number for a in await repos.minutes.open_actions()] == [1, 2]


async def test_concurrent_action_items_get_different_numbers(db: Database) -> None:
    items = await asyncio.gather(*(_item(db, "action", f"Aufgabe {n}") for n in range(6)))
    assert sorted(item.number for item in items) == [1, 2, 3, 4, 5, 6]


async def test_numbers_shown_before_migration_0014_still_find_their_action_items(fresh_db: Database) -> None:
    """Migration 0014 renumbers nothing: an action item keeps the number it was shown with (its row id), so
    `!erledigt 5` from an old reminder still closes that item and no other; new ones continue after the highest."""
    await fresh_db.upgrade("0013")
    kinds = [("info", None), ("decision", None), ("action", BEN), ("info", None), ("action", ANNA)]
    async with fresh_db.engine.begin() as connection:
        for kind, owner in kinds:
            await connection.execute(
                insert(MinutesItem).values(
                    room_id=ROOM, group_name=SENSORIK, kind=kind, text=kind, author=ANNA, created_at=T0, owner=owner
                )
            )
    await fresh_db.upgrade()
    async with fresh_db.transaction() as repos:
        old = [await repos.minutes.get_action(number) for number in (3, 5)]
        assert [(a.id, a.number, a.owner) for a in old if a] == [(3, 3, BEN), (5, 5, ANNA)]
        assert await repos.minutes.get_action(1) is None and await repos.minutes.get_action(4) is None
        others = [await repos.minutes.get_item(n) for n in (1, 2, 4)]
        assert [(item.kind, item.number) for item in others if item] == [
            ("info", None),
            ("decision", None),
            ("info", None),
        ]
    await _item(fresh_db, "info")
    new = await _item(fresh_db, "action", "Neu")
    assert (new.id, new.number) == (7, 6), "the next number after the highest shown"
