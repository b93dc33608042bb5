"""The decision log's text work as a member sees it: searches read right or refused with the right form,
full-text queries that find German compounds and cannot be hijacked, and exports that open cleanly."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import BadArgument, render
from bot.replies import html_to_plain, render_html
from commands.decisions.query import (
    MAX_SEARCH_WORDS,
    DecisionQuery,
    DecisionQueryError,
    describe_decision_query,
    parse_decision_query,
)
from commands.decisions.render import (
    DecisionRow,
    GroupReport,
    MeetingHeld,
    MinutesItem,
    MinutesSession,
    decisions_csv,
    decisions_markdown,
    minutes_markdown,
    yearly_report_markdown,
)
from commands.decisions.texts import MESSAGES
from storage.analysis import Analyzer, default_analyzer
from storage.fulltext import (
    MAX_TERM_CHARS,
    MAX_TERMS,
    MIN_PREFIX,
    HitKind,
    fts5_match,
    hit_kind,
    index_text,
    pg_tsquery,
    rank,
    search_terms,
)
from tests.messages import CATALOG, shown

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=BERLIN)  # a Saturday
GROUPS = (
    "Fachgruppe",
    "Online-Bürgerservice",
    "eAkte",
    "Digitale Rechnung",
    "Sensorik",
    "Engagementplattform",
    "Intranet",
    "Projektmanagement",
    "Recht und Datenschutz",
)


def parse(text: str) -> DecisionQuery:
    return parse_decision_query(text, now=NOW, tz=BERLIN, groups=GROUPS)


def refused(text: str, groups: tuple[str, ...] = GROUPS) -> DecisionQueryError:
    with pytest.raises(DecisionQueryError) as caught:
        parse_decision_query(text, now=NOW, tz=BERLIN, groups=groups)
    return caught.value


"""The decisions' catalog, as the dispatcher has it: an error's key must be in it."""


# --- Reading a search --------------------------------------------------------------------------------------

ANNA = "@anna:example.org"

# (what a member types, the whole query it must mean: nothing more, nothing less)
SEARCHES: list[tuple[str, DecisionQuery]] = [
    ("XRechnung Pflicht", DecisionQuery(words=("XRechnung", "Pflicht"))),
    ("gruppe:Sensorik LoRaWAN", DecisionQuery(words=("LoRaWAN",), group="Sensorik")),
    (
        'gruppe:"Recht und Datenschutz" Löschfristen',
        DecisionQuery(words=("Löschfristen",), group="Recht und Datenschutz"),
    ),
    # Unquoted, the group name is read on exactly as far as it names a group.
    (
        "gruppe:Recht und Datenschutz Löschfristen",
        DecisionQuery(words=("Löschfristen",), group="Recht und Datenschutz"),
    ),
    ("gruppe:Recht-und-Datenschutz", DecisionQuery(group="Recht und Datenschutz")),
    ("GRUPPE:recht", DecisionQuery(group="Recht und Datenschutz")),  # key in any case, group by its start
    ("gruppe:daten", DecisionQuery(group="Recht und Datenschutz")),  # the start of a word of the name
    ("gruppe:bürgerservice", DecisionQuery(group="Online-Bürgerservice")),
    ("gruppe:Sensorick", DecisionQuery(group="Sensorik")),  # a one-letter slip
    ("gruppe: eAkte Scanstraße", DecisionQuery(words=("Scanstraße",), group="eAkte")),  # space after the colon
    ("group:„Digitale Rechnung“", DecisionQuery(group="Digitale Rechnung")),  # German quotes
    ("gruppe:'eAkte'", DecisionQuery(group="eAkte")),
    ("seit:1.1.2026 bis:31.3.2026", DecisionQuery(since=date(2026, 1, 1), until=date(2026, 3, 31))),
    # A search looks back: without a year, 1 December is last December, not next week's.
    ("seit:1.12.", DecisionQuery(since=date(2025, 12, 1))),
    ("seit:1.12. bis:15.12.", DecisionQuery(since=date(2025, 12, 1), until=date(2025, 12, 15))),
    # ... unless the end would come before the start: the last quarter of this year.
    ("seit:1.10. bis:31.12.", DecisionQuery(since=date(2026, 10, 1), until=date(2026, 12, 31))),
    ("seit:1.1.2026 bis:31.3.", DecisionQuery(since=date(2026, 1, 1), until=date(2026, 3, 31))),
    ("von:1.1. bis:31.3.", DecisionQuery(since=date(2026, 1, 1), until=date(2026, 3, 31))),  # "von … bis"
    ("seit:2026", DecisionQuery(since=date(2026, 1, 1))),
    ("bis:2.2026", DecisionQuery(until=date(2026, 2, 28))),
    ("seit:März 2026 Haushalt", DecisionQuery(words=("Haushalt",), since=date(2026, 3, 1))),
    ("seit:3. März", DecisionQuery(since=date(2026, 3, 3))),
    ("seit:Dienstag", DecisionQuery(since=date(2026, 11, 17))),  # the last Tuesday, not the next
    ("bis:gestern", DecisionQuery(until=date(2026, 11, 20))),
    ("seit:heute", DecisionQuery(since=date(2026, 11, 21))),
    (
        "#XRechnung #Pflicht, Frist",
        DecisionQuery(words=("Frist",), tags=("xrechnung", "pflicht"), tag_labels=("XRechnung", "Pflicht")),
    ),
    ("tag:E-Rechnung", DecisionQuery(tags=("erechnung",), tag_labels=("E-Rechnung",))),
    # A number is that decision, whatever became of it.
    ("#17", DecisionQuery(ids=(17,), status="all")),
    ("#17 status:aktiv", DecisionQuery(ids=(17,), status="active")),
    ("von:@anna:example.org", DecisionQuery(author=ANNA)),
    (
        "von:[Anna Müller](https://matrix.to/#/@anna:example.org) Haushalt",
        DecisionQuery(words=("Haushalt",), author=ANNA),
    ),
    ("[Anna](https://matrix.to/#/%40anna%3Aexample.org) Haushalt", DecisionQuery(words=("Haushalt",), author=ANNA)),
    ("@anna:example.org, Haushalt", DecisionQuery(words=("Haushalt",), author=ANNA)),
    ("status:alle", DecisionQuery(status="all")),
    ("Status:Ersetzt", DecisionQuery(status="superseded")),
    ("status:aufgeh", DecisionQuery(status="revoked")),
    ("status:gültig", DecisionQuery(status="active")),
    # Colons that are no filter stay search words.
    ("siehe https://example.org/a:b", DecisionQuery(words=("siehe", "https://example.org/a:b"))),
    ("mailto:rathaus@example.org", DecisionQuery(words=("mailto:rathaus@example.org",))),
    ("Stand: 2026", DecisionQuery(words=("Stand:", "2026"))),
    ('"ziel:Effizienz" Haushalt', DecisionQuery(words=("ziel:Effizienz", "Haushalt"))),
    (
        "invoice group:sensor since:2026 until:june from:@bob:example.org status:all",
        DecisionQuery(
            words=("invoice",),
            group="Sensorik",
            since=date(2026, 1, 1),
            until=date(2026, 6, 30),
            author="@bob:example.org",
            status="all",
        ),
    ),
    ('since:"March 2026" status:superseded', DecisionQuery(since=date(2026, 3, 1), status="superseded")),
    ("", DecisionQuery()),
]


@pytest.mark.parametrize(("text", "expected"), SEARCHES, ids=[text or "empty" for text, _ in SEARCHES])
def test_search_is_read_as_meant(text: str, expected: DecisionQuery) -> None:
    assert parse(text) == expected


# (what a member types, words the German answer must contain, words the English answer must contain)
MISTAKES: list[tuple[str, list[str], list[str]]] = [
    ("grupe:Sensorik", ["meintest du `gruppe:`"], ["did you mean `gruppe:`"]),
    ("Staus:alle", ["meintest du `status:`"], ["did you mean `status:`"]),
    ("ziel:Effizienz", ["gruppe:, seit:, bis:, von:, status:", '`"ziel:Effizienz"`'], ["group:, since:, until:"]),
    ("gruppe:Bauamt", ["„Bauamt“", "Sensorik", "Recht und Datenschutz", 'gruppe:"'], ["“Bauamt”", "Sensorik"]),
    ("gruppe:proj2", ["„proj2“", "Meintest du Projektmanagement?"], ["“proj2”", "Did you mean Projektmanagement?"]),
    ("gruppe:e", ["mehrere Gruppen: eAkte, Engagementplattform"], ["several groups: eAkte, Engagementplattform"]),
    ("gruppe:", ["fehlt der Wert", "`gruppe:Sensorik"], ["needs a value", "`group:Sensorik"]),
    ("Haushalt gruppe: seit:2026", ["fehlt der Wert"], ["needs a value"]),
    ("seit:irgendwann", ["als Datum", "`seit:1.1.2026"], ["as a date", "`since:1.1.2026"]),
    ("seit:31.2.", ["als Datum"], ["as a date"]),
    ("seit:0000", ["als Datum"], ["as a date"]),
    ("bis:31.12.9999", ["als Datum"], ["as a date"]),
    ("seit:morgen", ["22.11.2026", "Zukunft"], ["22 Nov 2026", "future"]),
    ("seit:2027", ["Zukunft"], ["future"]),
    ("seit:1.4.2026 bis:31.3.2026", ["(1.4.2026) liegt nach", "(31.3.2026)"], ["(1 Apr 2026) is after"]),
    ("von:anna", ["keine Matrix-ID", "`von:@anna:example.org`"], ["not a Matrix id", "`from:@anna:example.org`"]),
    ("status:vielleicht", ["aktiv", "ersetzt", "aufgehoben", "`status:alle`"], ["superseded", "`status:all`"]),
    ("status:a", ["`status:alle`"], ["`status:all`"]),  # aktiv, aufgehoben or alle?
    ("gruppe:Sensorik gruppe:eAkte", ["nur einmal"], ["only once"]),
    ("von:@anna:example.org @bob:example.org", ["nur einmal"], ["only once"]),
    (" ".join(f"wort{n}" for n in range(MAX_SEARCH_WORDS + 1)), [f"höchstens {MAX_SEARCH_WORDS}"], ["at most"]),
]


@pytest.mark.parametrize(("text", "de_parts", "en_parts"), MISTAKES, ids=[m[0][:30] or "empty" for m in MISTAKES])
def test_mistakes_are_refused_with_the_right_form(text: str, de_parts: list[str], en_parts: list[str]) -> None:
    error = refused(text)
    assert isinstance(error, ValueError)
    de, en = shown(error, "de"), shown(error, "en")
    for part in de_parts:
        assert part in de
    for part in en_parts:
        assert part in en


def test_an_ambiguous_group_with_spaces_is_shown_quoted_too() -> None:
    error = refused("gruppe:rech", groups=("Recht und Datenschutz", "Rechnungswesen"))
    assert shown(error, "de").endswith(
        'Schreib mehr vom Namen, z. B. `gruppe:Recht und Datenschutz` oder `gruppe:"Recht und Datenschutz"`.'
    )
    assert shown(error, "en").endswith(
        'Write more of the name, e.g. `group:Recht und Datenschutz` or `group:"Recht und Datenschutz"`.'
    )


def test_the_persons_words_are_shown_as_written() -> None:
    # Escaped, not read as Markdown; what they wrote for a quoted search stays one code span, backticks included.
    assert "„von:*anna*“ ist keine" in shown(refused("von:*anna*"), "de")
    html = render_html(render(refused('seit:"<b>x</b>"'), CATALOG, "en", "!"))
    assert "<b>" not in html and "“since:&lt;b&gt;x&lt;/b&gt;”" in html
    assert 'in quotes: `"ziel:`a`"`.' in shown(refused("ziel:`a`"), "en")


# (what a member types, the groups configured, the key of the refusal): every `decq.*` text, each reached.
QUERY_ERRORS: list[tuple[str, tuple[str, ...], str]] = [
    ("ziel:Effizienz", GROUPS, "decq.unknown_key"),
    ("grupe:Sensorik", GROUPS, "decq.unknown_key_close"),
    ("tag:", GROUPS, "decq.missing_value"),
    ("status:alle status:aktiv", GROUPS, "decq.twice"),
    ("gruppe:e", GROUPS, "decq.group_ambiguous"),
    ("gruppe:rech", ("Recht und Datenschutz", "Rechnungswesen"), "decq.group_ambiguous_quoted"),
    ("gruppe:Bauamt", GROUPS, "decq.unknown_group"),
    ("gruppe:proj2", GROUPS, "decq.unknown_group_close"),
    ("status:vielleicht", GROUPS, "decq.unknown_status"),
    ("von:anna", GROUPS, "decq.not_a_user"),
    (" ".join(f"w{n}" for n in range(MAX_SEARCH_WORDS + 1)), GROUPS, "decq.too_many_words"),
    ("bis:nie", GROUPS, "decq.bad_date"),
    ("seit:morgen", GROUPS, "decq.since_future"),
    ("seit:1.4.2026 bis:31.3.2026", GROUPS, "decq.since_after_until"),
]


@pytest.mark.parametrize(("text", "groups", "key"), QUERY_ERRORS, ids=[key for _, _, key in QUERY_ERRORS])
def test_every_refusal_renders_in_both_languages(text: str, groups: tuple[str, ...], key: str) -> None:
    error = refused(text, groups)
    assert type(error) is DecisionQueryError and isinstance(error, BadArgument)  # with the usage line
    assert error.key == key
    for language in ("de", "en"):
        texts = MESSAGES[key][language]
        for template in [texts] if isinstance(texts, str) else texts.values():  # plural forms: each of them
            assert all("{" + name + "}" in template for name in error.params), (language, error.params)
        assert "{" not in render(error, CATALOG, language, "!")  # every placeholder filled, no KeyError


def test_every_refusal_text_is_reached() -> None:
    assert {key for key in MESSAGES if key.startswith("decq.")} == {key for _, _, key in QUERY_ERRORS}


def test_range_bounds_are_local_days_in_utc() -> None:
    # March 2026 in Berlin: starts in winter time, ends in summer time (DST from 29 March).
    query = parse("seit:1.3.2026 bis:31.3.2026")
    start, end = query.created_range(BERLIN)
    assert start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # the whole of 31 March counts
    assert DecisionQuery().created_range(BERLIN) == (None, None)


def test_search_is_said_back() -> None:
    query = parse("Haushalt gruppe:Sensorik seit:1.1.2026 #XRechnung von:@anna:example.org status:alle")
    assert describe_decision_query(query, language="de") == (
        "„Haushalt“, Gruppe Sensorik, seit 1.1.2026, #XRechnung, von @anna:example.org, auch ersetzte und aufgehobene"
    )
    assert describe_decision_query(parse("bis:31.3.2026"), language="en") == "until 31 Mar 2026, in force only"
    # Where the reply names the group as the search's scope, and knows the person's name, it says each once.
    assert describe_decision_query(query, language="de", with_group=False, author_name="Anna Berger") == (
        "„Haushalt“, seit 1.1.2026, #XRechnung, von Anna Berger, auch ersetzte und aufgehobene"
    )


# --- Full text ---------------------------------------------------------------------------------------------
# What a search looks for and what the index holds (storage.fulltext); which decisions a search finds, on both
# backends, is tested with the repository (tests/test_decision_storage.py).

DOCUMENTS = {
    1: "Ab 2027 nehmen alle Städte E-Rechnungen an.",
    2: "Die XRechnung wird Pflicht für Lieferanten.",
    3: "Rechnungseingang läuft künftig über das Portal.",
    4: "Jede Eingangsrechnung wird digital geprüft.",
    5: "Das Online-Bürger-Service-Portal bekommt ein neues Design.",
    6: "Löschfristen für die eAkte: 10 Jahre.",
    7: "Sitzung in der Hauptstraße 5; Café danach.",
    8: "Sensoren an der Oder: Pegel und Organisation.",
}


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return default_analyzer()


@pytest.fixture
def fts(analyzer: Analyzer) -> Iterator[sqlite3.Connection]:
    """An FTS5 table as migration 0013 creates it, filled with the index texts."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE VIRTUAL TABLE decisions USING fts5(body, detail=column, prefix='3')")
    except sqlite3.OperationalError:  # pragma: no cover - every CPython build we use has FTS5
        pytest.skip("SQLite without FTS5")
    rows = [(i, index_text(analyzer, t)) for i, t in DOCUMENTS.items()]
    db.executemany("INSERT INTO decisions(rowid, body) VALUES (?, ?)", rows)
    yield db
    db.close()


def found(db: sqlite3.Connection, analyzer: Analyzer, *words: str) -> set[int]:
    expression = fts5_match(search_terms(analyzer, words))
    assert expression is not None
    return {rowid for (rowid,) in db.execute("SELECT rowid FROM decisions WHERE decisions MATCH ?", (expression,))}


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("Rechnung",), {1, 2, 3, 4}),  # E-Rechnungen, XRechnung, Rechnungseingang, Eingangsrechnung
        (("E-Rechnung",), {1}),
        (("erechnung",), {1}),
        (("XRechnung", "Pflicht"), {2}),
        (("xrechnung", "Pflicht", "Bürger"), set()),  # every word is required
        (("Bürgerservice",), {5}),
        (("service",), {5}),
        (("online", "portal"), {5}),
        (("LÖSCHFRIST",), {6}),
        (("loeschfristen",), {6}),
        (("Akte",), {6}),  # eAkte
        (("Hauptstrasse",), {7}),  # ß = ss
        (("café",), {7}),
        (("Löschfristen", "für", "die", "eAkte"), {6}),  # function words are not required
        (("Beschlüsse", "zur", "eAkte"), {6}),  # nor is the word for what is searched
        (("Rech",), {1, 2, 3, 4}),  # a word start, in compounds too
        (("Or",), set()),  # two letters are a whole word, not the start of "Oder" and "Organisation"
    ],
)
def test_full_text_finds_what_a_colleague_means(
    fts: sqlite3.Connection, analyzer: Analyzer, words: tuple[str, ...], expected: set[int]
) -> None:
    assert found(fts, analyzer, *words) == expected


INJECTIONS = [
    '" OR *',
    "NEAR(Rechnung Pflicht)",
    'x" OR "y',
    "body:Rechnung",
    "(Pegel OR Rechnung)",
    "Pegel NOT Oder",
    "Rechnung AND",
    "^Pegel",
    "Pegel*",
    "'; DROP TABLE decisions; --",
    "{body}: Pegel",
    "-Pegel",
    "+Pegel",
]


@pytest.mark.parametrize("attempt", INJECTIONS)
def test_operators_typed_by_a_user_are_only_words(fts: sqlite3.Connection, analyzer: Analyzer, attempt: str) -> None:
    terms = search_terms(analyzer, [attempt])
    expression = fts5_match(terms)
    assert expression is not None
    rows = {r for (r,) in fts.execute("SELECT rowid FROM decisions WHERE decisions MATCH ?", (expression,))}
    # Exactly the documents that hold, for every word, its stem or a token it begins: no OR, NOT, NEAR, filter.
    indexed = {i: index_text(analyzer, t).split() for i, t in DOCUMENTS.items()}
    expected = {
        i
        for i, tokens in indexed.items()
        if all(
            t.stem in tokens
            or any(tok.startswith(t.word) if len(t.word) >= MIN_PREFIX else tok == t.word for tok in tokens)
            for t in terms
        )
    }
    assert rows == expected
    assert fts.execute("SELECT count(*) FROM decisions").fetchone() == (len(DOCUMENTS),)


def test_or_is_a_word_not_an_operator(fts: sqlite3.Connection, analyzer: Analyzer) -> None:
    assert found(fts, analyzer, "Pegel", "ODER", "Rechnung") == set()  # "oder" is a word here … and Rechnung
    assert found(fts, analyzer, "Pegel", "ODER") == {8}  # … which only document 8 has


def test_expressions_hold_only_safe_characters(analyzer: Analyzer) -> None:
    token = r'"[0-9a-z]+"\*?'
    group = rf"(?:{token}|\({token}(?: OR {token})+\))"
    pg_token = r"[0-9a-z]+(?::\*)?"
    pg_group = rf"(?:{pg_token}|\({pg_token}(?: \| {pg_token})+\))"
    for attempt in [*INJECTIONS, 'a"b"c', "x:y", "Größe–Maß", "naïve café", "Verträge über IT"]:
        terms = search_terms(analyzer, [attempt])
        expression = fts5_match(terms)
        tsquery = pg_tsquery(terms)
        assert expression is None or re.fullmatch(rf"{group}(?: AND {group})*", expression), expression
        assert tsquery is None or re.fullmatch(rf"{pg_group}(?: & {pg_group})*", tsquery), tsquery


def test_queries_look_for_the_word_start_and_the_stem(analyzer: Analyzer) -> None:
    terms = search_terms(analyzer, ["Verträge", "für", "Bürger:innen", "IT"])
    assert [t.word for t in terms] == ["vertraege", "buerger", "it"]  # "für" left out, the gender marker too
    assert fts5_match(terms) == '("vertraege"* OR "vertrag") AND ("buerger"* OR "burg") AND "it"'
    assert pg_tsquery(terms) == "(vertraege:* | vertrag) & (buerger:* | burg) & it"
    assert fts5_match(search_terms(analyzer, ["workshops"])) == '("workshops"* OR "workshop")'  # English stem


@pytest.mark.parametrize("words", [[], ["***"], ['""'], ["()", "-", ":"], ["   "]])
def test_nothing_searchable_gives_no_expression(analyzer: Analyzer, words: list[str]) -> None:
    assert search_terms(analyzer, words) == ()
    assert fts5_match(()) is None
    assert pg_tsquery(()) is None


def test_function_words_and_the_searched_thing_alone_are_still_searched(analyzer: Analyzer) -> None:
    assert [t.word for t in search_terms(analyzer, ["und", "oder"])] == ["und", "oder"]
    assert [t.word for t in search_terms(analyzer, ["Beschlüsse", "zum"])] == ["beschluesse"]
    assert [t.word for t in search_terms(analyzer, ["decisions", "on", "invoices"])] == ["invoices"]


def test_terms_are_bounded(analyzer: Analyzer) -> None:
    many = [f"wort{n}" for n in range(MAX_TERMS + 5)]
    assert len(search_terms(analyzer, many)) == MAX_TERMS
    (long_term,) = search_terms(analyzer, ["x" * 500])
    assert fts5_match([long_term]) == '"' + "x" * MAX_TERM_CHARS + '"*'


def test_index_text_has_words_stems_and_parts(analyzer: Analyzer) -> None:
    assert index_text(analyzer, "Die Papierrechnungen") == (
        "die papierrechnungen | papierrechn | papier rechnungen papi rechnung"
    )
    assert index_text(analyzer, "E-Rechnung, eAkte") == "erechnung eakte | erechn eakt | rechnung akte akt"
    assert index_text(analyzer, "Online-Bürger-Service") == (  # with the tail "buergerservice"
        "onlinebuergerservice | onlineburgerservic | online buerger service onlin burg servic buergerservice"
    )
    assert index_text(analyzer, "Straße; Café!") == "strasse cafe | strass caf | "
    assert index_text(analyzer, "„“ — …") == " |  | "
    assert max(map(len, index_text(analyzer, "x" * 500).split())) == MAX_TERM_CHARS


@pytest.mark.parametrize(
    ("word", "text", "kind"),
    [
        ("Rechnung", "Die Rechnung kommt.", HitKind.WORD),
        ("Rechnungen", "Die Rechnung kommt.", HitKind.FORM),
        ("Verträge", "Der Vertrag läuft aus.", HitKind.FORM),
        ("workshop", "Two workshops in May.", HitKind.FORM),
        ("Rechnung", "Keine Papierrechnung mehr.", HitKind.PART),
        ("Akte", "Die eAkten-Einführung beginnt.", HitKind.PART),
        ("Rechn", "Die Rechnung kommt.", HitKind.START),
        ("Haus", "Der Haushalt ist beschlossen.", HitKind.START),
    ],
)
def test_hits_are_ranked_by_how_they_match(analyzer: Analyzer, word: str, text: str, kind: HitKind) -> None:
    (term,) = search_terms(analyzer, [word])
    assert hit_kind(term, index_text(analyzer, text)) == kind


def test_the_word_itself_ranks_before_its_forms_parts_and_starts(analyzer: Analyzer) -> None:
    texts = ["Der Haushalt steht.", "Das Vereinshaus.", "Das Haus der Vereine.", "Zwei Häuser."]
    terms = search_terms(analyzer, ["Haus"])
    ranked = sorted(texts, key=lambda text: rank(terms, index_text(analyzer, text)))
    assert ranked == ["Das Haus der Vereine.", "Zwei Häuser.", "Das Vereinshaus.", "Der Haushalt steht."]
    # With several words, the worst match counts first: both words as written beat one of them as a part.
    terms = search_terms(analyzer, ["Rechnung", "Pflicht"])
    both = rank(terms, index_text(analyzer, "Die Rechnung ist Pflicht."))
    part = rank(terms, index_text(analyzer, "Die XRechnung ist Pflicht."))
    assert both < part


# --- Rendering ---------------------------------------------------------------------------------------------


def decision(
    number: int,
    when: datetime,
    text: str,
    *,
    group: str | None = "Sensorik",
    status: str = "active",
    superseded_by: int | None = None,
    note: str | None = None,
    tags: tuple[str, ...] = (),
    permalink: str | None = None,
    author_name: str | None = "Anna Müller",
) -> DecisionRow:
    return DecisionRow(
        id=number,
        created_at=when,
        group=group,
        room_id="!sensorik:example.org",
        author=ANNA,
        author_name=author_name,
        text=text,
        tags=tags,
        permalink=permalink,
        status=status,
        superseded_by=superseded_by,
        note=note,
    )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM makes Excel read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_csv_opens_in_german_excel() -> None:
    rows = [
        decision(
            18,
            utc(2026, 11, 21, 9, 30),
            "Wir nehmen LoRaWAN; Gateways in Bühl\nund Rastatt.",
            tags=("Funk", "#LoRaWAN"),
            permalink="https://matrix.to/#/!r:example.org/$e",
        ),
        decision(
            17,
            utc(2026, 7, 1, 22, 15),
            "Alte Sensoren bleiben.",
            status="superseded",
            superseded_by=18,
            note="Funk reicht nicht",
            author_name=None,
        ),
    ]
    table = read_csv(decisions_csv(rows, tz=BERLIN))
    assert table[0] == ["Nr", "Datum", "Gruppe", "Autor", "Beschluss", "Schlagworte", "Status", "Link"]
    # A bare "@…" would start a formula in Excel, hence the apostrophe.
    assert table[1] == [
        "17",
        "02.07.2026 00:15",
        "Sensorik",
        "'" + ANNA,
        "Alte Sensoren bleiben.",
        "",
        "ersetzt durch #18 – Funk reicht nicht",
        "",
    ]
    assert table[2] == [
        "18",
        "21.11.2026 10:30",
        "Sensorik",
        f"Anna Müller ({ANNA})",
        "Wir nehmen LoRaWAN; Gateways in Bühl\nund Rastatt.",
        "Funk, LoRaWAN",
        "gültig",
        "https://matrix.to/#/!r:example.org/$e",
    ]
    assert len(table) == 3


@pytest.mark.parametrize("text", ['=HYPERLINK("https://evil")', "+49 7221 123", "-1+2", "@SUM(A1)", " =1+1", "\t=1"])
def test_csv_cells_never_run_as_formulas(text: str) -> None:
    row = decision(1, utc(2026, 1, 5), text, group=text, tags=(text,), author_name=text)
    (_, cells) = read_csv(decisions_csv([row], tz=BERLIN))
    assert cells[4] == "'" + text
    assert cells[2] == "'" + text
    assert cells[3].startswith("'")


def test_csv_of_nothing_is_the_header() -> None:
    assert len(read_csv(decisions_csv([], tz=BERLIN))) == 1


def test_decision_list_shows_user_text_literally() -> None:
    rows = [
        decision(
            3,
            utc(2026, 5, 4, 8),
            "*evil* <b>bold</b> [x](https://evil.example)\n# no heading\n1. no list\n\n> no quote",
            tags=("*tag*",),
            note="<script>",
            status="revoked",
        )
    ]
    markdown = decisions_markdown(rows, tz=BERLIN, title="Beschlüsse *Sensorik*", language="de")
    html = render_html(markdown)
    for tag in ("<em>evil</em>", "<b>", "<h1>", "<ol>", "<blockquote>"):
        assert tag not in html
    assert "href" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    plain = html_to_plain(html)
    assert "Beschlüsse *Sensorik*" in plain
    # A blank line cannot end the item either: it becomes one line break.
    assert "*evil* <b>bold</b> [x](https://evil.example)\n# no heading\n1. no list\n> no quote" in plain
    assert "aufgehoben: <script>" in plain
    assert "#\\*tag\\*" in markdown and "*tag*" in plain
    assert html.count("<li>") == 1  # the later lines stay in the decision's item


def test_decision_list_is_grouped_and_chronological() -> None:
    rows = [
        decision(5, utc(2026, 6, 1), "Später", group="eAkte"),
        decision(2, utc(2026, 2, 1), "Ohne Gruppe beschlossen", group=None),
        decision(4, utc(2026, 3, 1), "Früher", group="eAkte"),
        decision(
            9,
            utc(2026, 9, 1),
            "Funk",
            group="Sensorik",
            status="superseded",
            superseded_by=12,
            permalink="https://matrix.to/#/!r:example.org/$e?via=example.org",
        ),
    ]
    markdown = decisions_markdown(rows, tz=BERLIN, title="Beschlüsse 2026", language="de", group_order=GROUPS)
    plain = html_to_plain(render_html(markdown))
    assert [line for line in plain.splitlines() if line and not line.startswith("•")] == [
        "Beschlüsse 2026",
        "eAkte",
        "Sensorik",
        "Ohne Gruppe",
    ]
    assert plain.index("#4") < plain.index("#5")
    assert f"#9 · 1.9.2026 · Anna Müller ({ANNA}): Funk · ersetzt durch #12 · Nachricht" in plain
    assert 'href="https://matrix.to/#/!r:example.org/$e?via=example.org"' in render_html(markdown)
    english = decisions_markdown(rows[1:2], tz=BERLIN, title="", language="en")
    assert html_to_plain(render_html(english)).splitlines()[0] == "No group"


def test_links_are_only_https_and_cannot_break_out() -> None:
    rows = [
        decision(1, utc(2026, 1, 1), "a", permalink="javascript:alert(1)"),
        decision(2, utc(2026, 1, 2), "b", permalink="https://example.org/x) [y](https://evil.example"),
    ]
    html = render_html(decisions_markdown(rows, tz=BERLIN, title="T", language="de"))
    assert "javascript" not in html
    assert html.count("<a ") == 1 and "evil.example" in html.split('href="')[1].split('"')[0]


def test_no_decisions_says_so() -> None:
    assert "Keine Beschlüsse gefunden." in decisions_markdown([], tz=BERLIN, title="Suche", language="de")
    assert "No decisions found." in decisions_markdown([], tz=BERLIN, title="Search", language="en")


SESSION = MinutesSession(
    id=3,
    title="Sensorik-Treffen *November*",
    room_id="!sensorik:example.org",
    group="Sensorik",
    started_by=ANNA,
    started_at=utc(2026, 11, 21, 13, 0),
    ended_at=utc(2026, 11, 21, 14, 30),
)
ITEMS = [
    MinutesItem(
        "action",
        "Angebote für Gateways einholen",
        "@bob:example.org",
        utc(2026, 11, 21, 14, 10),
        owner="@carla:example.org",
        due=date(2026, 12, 1),
        number=4,
    ),
    MinutesItem("info", "Neue Pegelsensoren sind geliefert.", ANNA, utc(2026, 11, 21, 13, 5), None, None, None),
    MinutesItem("decision", "Wir nehmen LoRaWAN.", "@bob:example.org", utc(2026, 11, 21, 13, 40), None, None, 17),
]
NAMES = {ANNA: "Anna Müller", "@carla:example.org": "Carla"}


def test_minutes_show_sections_people_and_time() -> None:
    plain = html_to_plain(render_html(minutes_markdown(SESSION, ITEMS, tz=BERLIN, language="de", names=NAMES)))
    lines = plain.splitlines()
    assert lines[0] == "Protokoll: Sensorik-Treffen *November*"
    assert "Gruppe Sensorik · Sa., 21.11.2026, 14:00–15:30 Uhr" in plain
    assert f"Teilnehmende: Anna Müller ({ANNA}), @bob:example.org" in plain, "in full, as readers find them"
    assert plain.index("Infos") < plain.index("Beschlüsse") < plain.index("Aufgaben")
    assert "1. Neue Pegelsensoren sind geliefert. (Anna Müller)" in plain, "infos numbered as when they were noted"
    assert "• #17 Wir nehmen LoRaWAN. (@bob:example.org)" in plain, "the decision's number"
    assert "• #4 Angebote für Gateways einholen – zuständig: Carla (@carla:example.org), bis 1.12.2026" in plain


def test_minutes_in_english_and_still_running() -> None:
    running = MinutesSession(3, "Jour fixe", "!r:example.org", None, ANNA, utc(2026, 11, 21, 13), None)
    plain = html_to_plain(render_html(minutes_markdown(running, ITEMS[1:2], tz=BERLIN, language="en")))
    assert plain.splitlines()[0] == "Minutes: Jour fixe"
    assert "Sat 21 Nov 2026, from 14:00 (still running)" in plain
    assert "Information" in plain and "Decisions" not in plain and "Action items" not in plain
    empty = minutes_markdown(running, [], tz=BERLIN, language="de")
    assert "Keine Einträge." in empty


def test_minutes_across_midnight_name_both_days() -> None:
    late = MinutesSession(
        4, "Nachtsitzung", "!r:example.org", None, ANNA, utc(2026, 11, 21, 21), utc(2026, 11, 22, 0, 30)
    )
    plain = html_to_plain(render_html(minutes_markdown(late, [], tz=BERLIN, language="de")))
    assert "Sa., 21.11.2026, 22:00 Uhr – So., 22.11.2026, 1:30 Uhr" in plain


def test_yearly_report() -> None:
    sensorik = GroupReport(
        name="Sensorik",
        decisions=[
            decision(17, utc(2026, 7, 1), "Alte Sensoren bleiben.", status="superseded", superseded_by=18),
            decision(18, utc(2026, 11, 21), "Wir nehmen LoRaWAN."),
        ],
        meetings=[
            MeetingHeld("Jour fixe Sensorik", [date(2026, 11, 3), date(2026, 11, 17), date(2026, 12, 1)]),
            MeetingHeld("Workshop Pegel", [date(2026, 6, 12)]),
        ],
        minutes=[SESSION],
        open_actions=[
            MinutesItem("action", "Ohne Frist", ANNA, utc(2026, 3, 1), None, None, 2),
            ITEMS[0],
        ],
    )
    quiet = GroupReport(name="Recht | Datenschutz", decisions=[], meetings=[], minutes=[], open_actions=[])
    intranet = GroupReport(name="Intranet", decisions=[], meetings=[], minutes=[], open_actions=[ITEMS[0]])
    balance = ("Vertretungen", "| Stadt | gegeben |\n|---|---|\n| Bühl | 3 |")
    markdown = yearly_report_markdown(
        2026, [sensorik, quiet, intranet], tz=BERLIN, extra_sections=[balance], language="de", names=NAMES
    )
    html = render_html(markdown)
    plain = html_to_plain(html)
    assert plain.splitlines()[0] == "Jahresbericht 2026"
    # Overview: one row per group with entries and the sums; a quiet group is named once, without a section.
    assert "<td>Sensorik</td>\n<td>2</td>\n<td>4</td>\n<td>1</td>\n<td>2</td>" in html
    assert "<td>Intranet</td>\n<td>0</td>\n<td>0</td>\n<td>0</td>\n<td>1</td>" in html
    assert "<td><strong>2</strong></td>\n<td><strong>4</strong></td>" in html
    assert "Ohne Einträge im Jahr 2026: Recht | Datenschutz." in plain
    assert "<h2>Recht | Datenschutz</h2>" not in html and "Keine Beschlüsse" not in plain
    assert "Beschlüsse (2, davon 1 ersetzt)" in plain
    assert "ersetzt durch #18" in plain
    # The meetings held, by title with their days, not just a count.
    assert "Termine (4)\n\n• Jour fixe Sensorik: 3.11., 17.11., 1.12.\n• Workshop Pegel: 12.6." in plain
    assert "Sa., 21.11.2026, 14:00–15:30 Uhr: Sensorik-Treffen *November*" in plain
    # Open actions with a due date first, with their numbers and their owners in full.
    owner = "#4 Angebote für Gateways einholen – zuständig: Carla (@carla:example.org)"
    assert plain.index(owner) < plain.index("#2 Ohne Frist")
    assert plain.index("Vertretungen") > plain.index("Ohne Frist")
    assert "<td>Bühl</td>" in html  # extra sections are ready Markdown


def test_yearly_report_of_one_group_has_no_sum_row() -> None:
    report = GroupReport("eAkte", [decision(1, utc(2026, 2, 1), "DMS")], [], [], [])
    plain = html_to_plain(render_html(yearly_report_markdown(2026, [report], tz=BERLIN, language="de")))
    assert "Summe" not in plain and "Ohne Einträge" not in plain and "Beschlüsse (1)" in plain


def test_yearly_report_in_english() -> None:
    plain = html_to_plain(render_html(yearly_report_markdown(2026, [], tz=BERLIN, language="en")))
    assert [line for line in plain.splitlines() if line] == [
        "Yearly report 2026",
        "Overview",
        "Nothing recorded in 2026: no decisions, meetings, minutes or open action items.",
    ]
    quiet = GroupReport("eAkte", [], [], [], [])
    german = html_to_plain(render_html(yearly_report_markdown(2026, [quiet], tz=BERLIN, language="de")))
    assert "Im Jahr 2026 ist nichts festgehalten" in german and "eAkte" not in german


# --- Files as people read them: in an editor, and rendered -------------------------------------------------

EDITOR_TEXT = "Online-Bürgerservice ab Sa., 28.11.2026, 22:29 live: #eAkte für Mitarbeiter*innen (Details: www.x.de)"


def test_files_read_as_written_in_an_editor_and_render_the_same() -> None:
    """What issue #13 saw in an editor: "Sa\\., 28\\.11\\.2026, 22\\:29", "Online\\-Bürgerservice", "\\#eAkte"."""
    session = MinutesSession(5, "Jour fixe Online-Bürgerservice", "!r:example.org", "Online-Bürgerservice", ANNA,
                             utc(2026, 11, 28, 21, 0), utc(2026, 11, 28, 21, 29))  # fmt: skip
    items = [
        MinutesItem("info", EDITOR_TEXT, ANNA, utc(2026, 11, 28, 21, 5), None, None, None),
        MinutesItem("action", EDITOR_TEXT, ANNA, utc(2026, 11, 28, 21, 6), "@carla:example.org", None, 1),
    ]
    rows = [decision(1, utc(2026, 11, 28, 21, 10), EDITOR_TEXT, group="Online-Bürgerservice", tags=("eAkte",))]
    report = GroupReport("Online-Bürgerservice", rows, [MeetingHeld("Jour fixe (Online-Bürgerservice)",
                         [date(2026, 11, 28)])], [session], items[1:])  # fmt: skip
    files = {
        "minutes": minutes_markdown(session, items, tz=BERLIN, language="de", names=NAMES),
        "export": decisions_markdown(rows, tz=BERLIN, title="Beschlüsse – Gruppe Online-Bürgerservice", language="de"),
        "report": yearly_report_markdown(2026, [report], tz=BERLIN, language="de", names=NAMES),
    }
    for name, markdown in files.items():
        assert "\\" not in markdown, f"{name}: no escapes where nothing would be Markdown"
        assert EDITOR_TEXT in markdown, name
        plain = html_to_plain(render_html(markdown))
        assert EDITOR_TEXT in plain, f"{name}: rendered, the text reads the same"
        assert "<a " not in render_html(markdown).replace('<a href="https://matrix.to', ""), name
    assert "Gruppe Online-Bürgerservice · Sa., 28.11.2026, 22:00–22:29 Uhr" in files["minutes"]
    assert "- Sa., 28.11.2026, 22:00–22:29 Uhr: Jour fixe Online-Bürgerservice" in files["report"]
    assert "- Jour fixe (Online-Bürgerservice): 28.11." in files["report"]
    assert f"Teilnehmende: Anna Müller ({ANNA})" in files["minutes"]
    assert "zuständig: Carla (@carla:example.org)" in files["report"]


def test_rows_refuse_what_storage_must_not_send() -> None:
    with pytest.raises(ValueError, match="status"):
        decision(1, utc(2026, 1, 1), "x", status="deleted")
    with pytest.raises(ValueError, match="aware"):
        decision(1, datetime(2026, 1, 1), "x")  # naive on purpose
    with pytest.raises(ValueError, match="kind"):
        MinutesItem("todo", "x", ANNA, utc(2026, 1, 1), None, None, None)
    with pytest.raises(ValueError, match="language"):
        decisions_markdown([], tz=BERLIN, title="x", language="fr")
