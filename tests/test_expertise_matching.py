"""`!werweiss` matching as a German colleague expects it: which topic answers which question, why, and how well.

Everything goes through `match_topics` over a `TopicIndex`, the function `!werweiss` uses, with the analysis the
bot builds (the default synonyms' words known) and the network's default synonym groups.
"""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_SYNONYMS
from commands.expertise.matching import (
    Hit,
    MatchKind,
    Person,
    RankedPerson,
    Reason,
    Synonyms,
    TopicIndex,
    TopicMatch,
    clean_label,
    match_topics,
    rank_people,
    related_topics,
    split_topics,
    topic_key,
)
from storage.analysis import Analyzer

EXACT, SYNONYM, STEM, FUZZY = Reason.EXACT, Reason.SYNONYM, Reason.STEM, Reason.FUZZY
COMPOUND, WORD, SYNONYM_PART = Reason.COMPOUND, Reason.WORD, Reason.SYNONYM_PART
SYNONYMS = Synonyms(DEFAULT_SYNONYMS)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    """As the bot builds it (bot.app.open_database): the synonyms' words are known words."""
    return Analyzer(extra_words=[word for group in DEFAULT_SYNONYMS for word in group])


def index_of(analyzer: Analyzer, *labels: str, synonyms: Synonyms = SYNONYMS) -> TopicIndex:
    return TopicIndex(analyzer, [(topic_key(label), label) for label in labels], synonyms)


# (query, a topic someone entered, why it answers)
MATCHES: list[tuple[str, str, Reason]] = [
    # Spelling: case, umlauts, ß, accents, hyphens, spaces and a question's fillers do not matter.
    ("eAkte", "eAkte", EXACT),
    ("E-Akte", "eAkte", EXACT),
    ("e akte", "eAkte", EXACT),
    ("EAKTE", "E-Akte", EXACT),
    ("LoRaWAN", "Lorawan", EXACT),
    ("Buergerservice", "Bürgerservice", EXACT),
    ("Fußverkehr", "Fussverkehr", EXACT),
    ("Datenschutz-Folgenabschaetzung", "Datenschutz Folgenabschätzung", EXACT),
    ("Café", "Cafe", EXACT),
    ('"XRechnung"', "XRechnung", EXACT),
    ("Recht und Datenschutz", "Recht und Datenschutz", EXACT),
    ("Fragen zur XRechnung", "XRechnung", EXACT),
    ("Wer kennt sich mit eAkte aus?", "eAkte", EXACT),
    ("about a DMS", "DMS", EXACT),  # "a" is a function word, not the "E" of "E Akte"
    ("Bürger*innen", "Bürger", EXACT),
    ("cloud migration", "Cloud-Migration", EXACT),
    # Synonyms of the default groups, both ways, German and English, also in another form.
    ("DMS", "eAkte", SYNONYM),
    ("eAkte", "Dokumentenmanagement", SYNONYM),
    ("elektronische Akte", "E-Akte", SYNONYM),
    ("Onlinezugangsgesetz", "OZG", SYNONYM),
    ("E-Rechnung", "XRechnung", SYNONYM),
    ("e-rechnung", "XRechnung", SYNONYM),
    ("e-invoice", "E-Rechnung", SYNONYM),
    ("accessibility", "Barrierefreiheit", SYNONYM),
    ("GDPR", "Datenschutz", SYNONYM),
    ("DSGVO", "Datenschutz", SYNONYM),
    ("elektronischen Akten", "eAkte", SYNONYM),
    ("E-Rechnungen", "XRechnung", SYNONYM),
    ("Fragen zur XRechnung", "E-Rechnung", SYNONYM),
    # Another form of the same words (Snowball stems): plurals, umlauts, verbs and nouns, English.
    ("Verträge", "Vertrag", STEM),
    ("Vertraege", "Vertrag", STEM),
    ("Vertrag", "Verträge", STEM),
    ("Drucker", "Drucken", STEM),
    ("digitalisieren", "Digitalisierung", STEM),
    ("optimieren", "Optimierung", STEM),
    ("Beschlüsse", "Beschluss", STEM),
    ("Mitarbeiterinnen", "Mitarbeiter", STEM),
    ("Geoinformationen", "Geoinformation", STEM),
    ("Wahlen", "Wahl", STEM),
    ("Standesämter", "Standesamt", STEM),
    ("Kassen", "Kasse", STEM),
    ("Sensoren", "Sensorik", STEM),  # Snowball: both "sensor"; who knows sensor technology knows sensors
    ("digitaler Terminvergabe", "digitale Terminvergabe", STEM),
    ("workshops", "Workshop", STEM),
    ("meetings", "Meeting", STEM),
    ("invoices", "invoice", STEM),
    # Compound parts, both ways: the question inside the topic (its head, its start, its middle) ...
    ("Rechnung", "XRechnung", COMPOUND),
    ("Rechnung", "E-Rechnung", COMPOUND),
    ("Rechnung", "Rechnungseingang", COMPOUND),
    ("Rechnung", "Eingangsrechnungsprüfung", COMPOUND),
    ("Rechnungen", "XRechnung", COMPOUND),
    ("Bürgerservice", "Online-Buergerservice", COMPOUND),
    ("Folgenabschätzung", "Datenschutz-Folgenabschätzung", COMPOUND),
    ("Strasse", "Straßenbeleuchtung", COMPOUND),
    ("Engagement", "Engagementplattform", COMPOUND),
    ("Plattform", "Engagementplattform", COMPOUND),
    ("Akte", "eAkte", COMPOUND),
    ("IT", "IT-Sicherheit", COMPOUND),
    ("EU", "EU-Förderung", COMPOUND),
    ("OZG", "OZG-Umsetzung", COMPOUND),
    ("Vertraege", "Vertragsmanagement", COMPOUND),
    ("Drucker", "Druckerflotte", COMPOUND),
    ("Haushalt", "Haushaltsplan", COMPOUND),
    ("Kataster", "Baumkataster", COMPOUND),
    ("Lizenzen", "Lizenzverwaltung", COMPOUND),
    ("Sensorik", "Parkraumsensorik", COMPOUND),
    # ... and the topic inside the question, which asks for a kind of it.
    ("Papierrechnung", "Rechnung", COMPOUND),
    ("XRechnungsportal", "XRechnung", COMPOUND),
    ("IT-Sicherheit", "IT", COMPOUND),
    ("Haushaltsplan", "Haushalt", COMPOUND),
    ("Cloud-Migration", "Cloud", COMPOUND),
    ("Lorawan-Gateways", "LoRaWAN", COMPOUND),
    # A word of a longer topic, or a topic answering part of a longer question that nothing answers whole.
    ("Intranet", "Social Intranet", WORD),
    ("Datenschutz", "Recht und Datenschutz", WORD),
    ("KI", "KI im Bürgerservice", WORD),
    ("KI", "Künstliche Intelligenz (KI)", WORD),
    ("Akte", "elektronische Akte", WORD),
    ("Terminvergabe", "digitale Terminvergabe", WORD),
    ("security", "IT security", WORD),
    ("data", "Open Data", WORD),
    ("Recht und Datenschutz", "Datenschutz", WORD),
    ("Fragen zu XRechnung und eAkte", "eAkte", WORD),
    # Topics containing a synonym of the question.
    ("DMS", "eAkte-Einführung", SYNONYM_PART),
    ("E-Rechnung", "XRechnung-Workflow", SYNONYM_PART),
    ("Fragen zu DMS und OZG", "eAkte", SYNONYM_PART),
    # Typos: one edit for 5 to 8 letters, two from 9; swaps count once; a typo of a synonym finds its group.
    ("Sensork", "Sensorik", FUZZY),
    ("Sensorok", "Sensorik", FUZZY),  # o and i are neighbours on the keyboard
    ("Datenschtuz", "Datenschutz", FUZZY),
    ("Projektmanagment", "Projektmanagement", FUZZY),
    ("Projecktmanagment", "Projektmanagement", FUZZY),  # two edits in 17 letters
    ("Barierefreiheit", "Barrierefreiheit", FUZZY),
    ("Digitalisirung", "Digitalisierung", FUZZY),
    ("XRechnug", "XRechnung", FUZZY),
    ("XRechnug", "E-Rechnung", FUZZY),
    ("Rechnug", "XRechnung", FUZZY),  # a typo of a compound part
    ("Sensork", "Sensorik im Stadtgebiet", FUZZY),
    ("Datenschutz-Folgenabschäzung", "Datenschutz-Folgenabschätzung", FUZZY),
    ("Social Intrnaet", "Social Intranet", FUZZY),
    ("Engagmentplattform", "Engagementplattform", FUZZY),
    ("Projektmanagement", "Projektmanagment", FUZZY),  # the topic is the misspelled one
    ("acessibility", "accessibility", FUZZY),
]

# (query, a topic that must not answer it, why not)
NON_MATCHES: list[tuple[str, str, str]] = [
    # The issue's precision case: an adjective of a multi-word synonym is no match on its own.
    ("elektronische Akte", "XRechnung", "'elektronische Rechnung' is a synonym of XRechnung, not of the question"),
    ("elektronische Akte", "E-Rechnung", "same"),
    ("elektronische Rechnung", "eAkte", "the other way round"),
    ("elektronische", "XRechnung", "a word of a multi-word synonym never reaches its group"),
    ("Akte", "DMS", "'Akte' is a word of the synonym 'elektronische Akte', not the synonym"),
    ("elektronische", "elektronische Rechnung", "a topic's adjective alone says nothing about what it is"),
    ("elektronische Signatur", "elektronische Akte", "neither is the other's adjective alone"),
    ("digital", "digitale Terminvergabe", "same"),
    ("IT-Sicherheit", "sichere Backup", "Snowball gives 'Sicherheit' and 'sichere' one stem; an adjective alone"),
    # Words that look alike but are other words: the dictionary keeps lexicalised words whole.
    ("Recht", "Rechnung", "another word"),
    ("Rechnung", "Recht", "another word"),
    ("Recht", "Rechtschreibung", "lexicalised: not a kind of Recht"),
    ("Recht", "Gerechtigkeit", "no compound part"),
    ("Haus", "Haushalt", "the budget, not a house: lexicalised, see docs/text-analysis.md"),
    ("Haus", "Rathaus", "lexicalised"),
    ("Stelle", "Schnittstelle", "lexicalised"),
    ("Amt", "Ehrenamt", "lexicalised"),
    ("Frei", "Barrierefreiheit", "lexicalised"),
    ("Form", "Plattform", "lexicalised"),
    ("Führung", "Einführung", "lexicalised: an introduction is no kind of leadership"),
    ("Akte", "Aktenzeichen", "lexicalised (an accepted miss)"),
    ("Verkehr", "Straßenverkehr", "lexicalised (an accepted miss)"),
    ("Akte", "Charakter", "letters, not a part"),
    ("Rechnung", "Rechenzentrum", "letters, not a part"),
    ("Karten", "Kindergarten", "letters, not a part"),
    ("Netz", "Internetzugang", "letters, not a part"),
    ("KI", "Kita", "short words are words"),
    ("IT", "Digitalisierung", "same"),
    ("EU", "Europa", "same"),
    # Two real words are never typos of each other; a slip must be plausible on a keyboard.
    ("Kasse", "Klasse", "both are words"),
    ("Sensoren", "Senioren", "both are words"),
    ("Daten", "Datei", "both are words"),
    ("Intranet", "Internet", "both are words"),
    ("Internet", "Social Intranet", "both are words"),
    ("Intranetseite", "Internetseite", "'ra' -> 'er' is no slip"),
    ("Datenschutz", "Datenschatz", "u and a are far apart"),
    ("DMS", "DNS", "no typos under five letters"),
    ("Social", "Sozialhilfe", "English and German words"),
    # A synonym leads to topics containing it, never to more general ones; same-kind compounds only suggest.
    ("DMS", "Management", "'Dokumentenmanagement' is a synonym, 'Management' is not"),
    ("OZG", "Gesetz", "same, through 'Onlinezugangsgesetz'"),
    ("Papierrechnung", "XRechnung", "two kinds of Rechnung: a suggestion, not an answer"),
    ("Haushaltsplan", "Projektplan", "two kinds of plan"),
    ("invoice", "Rechnungseingang", "English only through synonyms"),
    # A topic that is only part of the question must lie inside it.
    ("Cloud-Migration", "Cloud Beratung", "about something else as well"),
    ("Haushaltsplan", "Haushalt Pilot", "same"),
    ("Smart City", "smarte Fachverfahren", "a whole answer exists: parts of the question are not asked for"),
    ("Fragen zur Sensorik", "Fragebogen", "fillers never match"),
]


def reason_of(analyzer: Analyzer, query: str, topic: str) -> Reason | None:
    found = match_topics(query, index_of(analyzer, topic))
    assert len(found) <= 1
    return found[0].reason if found else None


@pytest.mark.parametrize(("query", "topic", "reason"), MATCHES, ids=[f"{q}~{t}" for q, t, _ in MATCHES])
def test_matches(analyzer: Analyzer, query: str, topic: str, reason: Reason) -> None:
    assert reason_of(analyzer, query, topic) is reason


@pytest.mark.parametrize(("query", "topic", "why"), NON_MATCHES, ids=[f"{q}!~{t}" for q, t, _ in NON_MATCHES])
def test_non_matches(analyzer: Analyzer, query: str, topic: str, why: str) -> None:
    assert reason_of(analyzer, query, topic) is None, why


def test_tables_cover_every_reason_and_enough_pairs() -> None:
    assert len(MATCHES) >= 60 and len(NON_MATCHES) >= 25
    assert {reason for _, _, reason in MATCHES} == set(Reason)
    assert len({(q, t) for q, t, _ in MATCHES + [(q, t, None) for q, t, _ in NON_MATCHES]}) == len(MATCHES) + len(
        NON_MATCHES
    ), "no pair twice"


VOCABULARY = [
    "XRechnung",
    "E-Rechnung",
    "Rechnungseingang",
    "Rechenzentrum",
    "eAkte",
    "eAkte-Einführung",
    "elektronische Akte",
    "Aktenzeichen",
    "DMS",
    "Sensorik",
    "Parkraumsensorik",
    "Senioren",
    "Intranet",
    "Social Intranet",
    "Internet",
    "Kita",
    "KI im Bürgerservice",
    "Datenschutz",
    "Recht und Datenschutz",
    "Verträge",
    "Vertragsmanagement",
    "Haushalt",
    "Haushaltsplan",
]


@pytest.fixture(scope="module")
def index(analyzer: Analyzer) -> TopicIndex:
    return index_of(analyzer, *VOCABULARY)


def labels(index: TopicIndex, query: str, **kwargs: int) -> list[tuple[str, Reason]]:
    return [(m.label, m.reason) for m in match_topics(query, index, **kwargs)]


def test_exact_before_synonym_before_stem_before_part_before_fuzzy(index: TopicIndex) -> None:
    assert labels(index, "eAkte") == [
        ("eAkte", EXACT),
        ("DMS", SYNONYM),
        ("elektronische Akte", SYNONYM),
        ("eAkte-Einführung", COMPOUND),
    ]
    assert labels(index, "Vertrag") == [("Verträge", STEM), ("Vertragsmanagement", COMPOUND)]
    assert [m.kind for m in match_topics("Sensorik", index)] == [MatchKind.EXACT, MatchKind.PART]
    assert labels(index, "Sensork") == [("Sensorik", FUZZY), ("Parkraumsensorik", FUZZY)]
    assert sorted(MatchKind) == [MatchKind.FUZZY, MatchKind.PART, MatchKind.STEM, MatchKind.SYNONYM, MatchKind.EXACT]


def test_the_issues_questions(index: TopicIndex) -> None:
    # "elektronische Akte" finds the eAkte/DMS topics, and nothing of XRechnung or E-Rechnung.
    found = labels(index, "elektronische Akte")
    assert found[0] == ("elektronische Akte", EXACT)
    assert found[1:] == [("DMS", SYNONYM), ("eAkte", SYNONYM), ("eAkte-Einführung", SYNONYM_PART)]
    assert labels(index, "Verträge")[0] == ("Verträge", EXACT)
    assert ("XRechnung", SYNONYM) in labels(index, "e-rechnung")


def test_a_question_is_answered_whole_before_its_parts(index: TopicIndex) -> None:
    # "Recht und Datenschutz" is a topic: the people of only "Datenschutz" are not what was asked.
    assert labels(index, "Recht und Datenschutz") == [("Recht und Datenschutz", EXACT)]
    # Nothing answers both: each part is looked up, as a part, the words' synonyms too.
    found = labels(index, "Fragen zu XRechnung und Sensorik")
    assert ("XRechnung", WORD) in found and ("Sensorik", WORD) in found and ("E-Rechnung", SYNONYM_PART) in found
    assert labels(index, "Sensorik und elektronische Signatur") == [
        ("Sensorik", WORD),
        ("Parkraumsensorik", COMPOUND),
    ], "never an adjective alone"


def test_within_a_kind_the_closer_part_comes_first(index: TopicIndex) -> None:
    # The head of a compound before its start; among heads, the shorter topic (it says less besides).
    assert labels(index, "Rechnung") == [
        ("E-Rechnung", COMPOUND),
        ("XRechnung", COMPOUND),
        ("Rechnungseingang", COMPOUND),
    ]
    found = labels(index, "Haushalt")
    assert found == [("Haushalt", EXACT), ("Haushaltsplan", COMPOUND)]


def test_each_topic_once_with_its_best_reason(index: TopicIndex) -> None:
    keys = [m.key for m in match_topics("E-Akte", index)]
    assert len(keys) == len(set(keys))
    assert labels(index, "e akte") == labels(index, "E-Akte") == labels(index, "eAkte")


def test_limit_and_empty_input(index: TopicIndex, analyzer: Analyzer) -> None:
    assert len(labels(index, "eAkte", limit=2)) == 2
    assert labels(index, "  ") == []
    assert labels(index, "?!") == []
    assert labels(index, "und oder") == []
    assert labels(index_of(analyzer, "und oder", "Sensorik"), "über und") == [], "no content, no answer"
    assert labels(index_of(analyzer, "und oder", "Sensorik"), "Und oder") == [("und oder", EXACT)]
    assert match_topics("eAkte", index_of(analyzer)) == []


def test_vocabulary_with_duplicate_keys_keeps_first_label(analyzer: Analyzer) -> None:
    index = TopicIndex(analyzer, [("eakte", "eAkte"), ("eakte", "E-Akte")], SYNONYMS)
    assert labels(index, "eakte") == [("eAkte", EXACT)]


def test_scores_are_in_unit_interval(index: TopicIndex) -> None:
    for query in ["eAkte", "Rechnung", "Fragen zur XRechnung", "Sensork", "Akte", "KI", "Recht Vertrag Sensorik"]:
        for match in match_topics(query, index):
            assert 0 < match.score <= 1, match


def test_very_long_query_is_harmless(index: TopicIndex) -> None:
    assert labels(index, "Rechnung " * 500)[0] == ("E-Rechnung", COMPOUND)
    assert len(match_topics(" ".join(f"Wort{i} Sensorik" for i in range(100)), index)) <= len(VOCABULARY)


def test_without_synonyms_only_the_words_count(analyzer: Analyzer) -> None:
    index = index_of(analyzer, "XRechnung", "eAkte", synonyms=Synonyms([]))
    assert labels(index, "e-rechnung") == []
    assert labels(index, "DMS") == []


def test_index_keeps_nothing_but_what_it_was_given(analyzer: Analyzer, index: TopicIndex) -> None:
    assert index.vocabulary == [(topic_key(label), label) for label in VOCABULARY]
    assert Synonyms(DEFAULT_SYNONYMS) == SYNONYMS and hash(SYNONYMS) == hash(Synonyms(DEFAULT_SYNONYMS))
    assert Synonyms([["eAkte", "DMS"]]) != SYNONYMS


# --- clean_label / split_topics ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  eAkte  ", "eAkte"),
        ("Social   Intranet", "Social Intranet"),
        ('"XRechnung"', "XRechnung"),
        ("„Datenschutz“", "Datenschutz"),
        ("'OZG'.", "OZG"),
        ("Sensorik!", "Sensorik"),
        ("- LoRaWAN", "LoRaWAN"),
        ("• Barrierefreiheit", "Barrierefreiheit"),
        ("2. DMS", "DMS"),
        ("(OZG)", "OZG"),
        ("Datenschutz (DSGVO)", "Datenschutz (DSGVO)"),
        ("E-Akte", "E-Akte"),
        ("C++", "C++"),
        ("C#", "C#"),
        (".NET", ".NET"),
        ("Bu\u0308hl", "Bühl"),  # decomposed umlaut from some keyboards becomes one character
        ("   ", ""),
    ],
)
def test_clean_label(raw: str, clean: str) -> None:
    assert clean_label(raw) == clean


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("eAkte, XRechnung; DMS", ["eAkte", "XRechnung", "DMS"]),
        ("eAkte\nXRechnung\r\n- Sensorik", ["eAkte", "XRechnung", "Sensorik"]),
        # " und " and "/" are part of real topic names, so they do not separate.
        ("Recht und Datenschutz, Online-Bürgerservice", ["Recht und Datenschutz", "Online-Bürgerservice"]),
        ("An-/Abmeldung, TCP/IP", ["An-/Abmeldung", "TCP/IP"]),
        # Duplicates by key: the first spelling wins. Empty entries disappear.
        ("eAkte, E-Akte, e akte, EAKTE", ["eAkte"]),
        ("Bühl, Buehl", ["Bühl"]),
        (" , ;\n ,", []),
        ('"OZG", „Sensorik“.', ["OZG", "Sensorik"]),
    ],
)
def test_split_topics(text: str, topics: list[str]) -> None:
    assert split_topics(text) == topics


def test_topic_key_is_fold() -> None:
    assert topic_key("E-Akte") == topic_key("eAkte") == topic_key("e akte") == "eakte"
    assert topic_key("Datenschutz-Folgenabschätzung") == "datenschutzfolgenabschaetzung"
    assert topic_key("Straße") == "strasse"


# --- Synonyms ---------------------------------------------------------------------------------------


def test_synonyms_related_excludes_the_key_and_folds_it() -> None:
    assert SYNONYMS.related("dms") == {"eakte", "elektronischeakte", "dokumentenmanagement"}
    assert SYNONYMS.related("E-Akte") == {"dms", "elektronischeakte", "dokumentenmanagement"}
    assert SYNONYMS.related("Sensorik") == frozenset()
    assert "eakte" in SYNONYMS.terms


def test_overlapping_synonym_groups_merge_transitively() -> None:
    synonyms = Synonyms([["eAkte", "DMS"], ["DMS", "Dokumentenmanagement"], ["OZG", "Onlinezugangsgesetz"]])
    assert synonyms.related("eAkte") == {"dms", "dokumentenmanagement"}
    assert synonyms.related("Dokumentenmanagement") == {"eakte", "dms"}
    assert synonyms.related("OZG") == {"onlinezugangsgesetz"}


def test_synonym_groups_tolerate_duplicates_blanks_and_singletons() -> None:
    synonyms = Synonyms([["eAkte", "E-Akte", " ", "", "!!"], ["Sensorik"], []])
    assert synonyms.related("eakte") == frozenset()
    assert synonyms.related("sensorik") == frozenset()
    assert Synonyms([]).related("eakte") == frozenset()


def test_a_bare_string_is_not_a_synonym_group() -> None:
    with pytest.raises(TypeError):
        Synonyms(["eAkte", "DMS"])


def test_synonyms_from_config_tuples_keep_their_spelling() -> None:
    synonyms = Synonyms((("XRechnung", "E-Rechnung", "e-invoice"), ("elektronische  Akte", "eAkte")))
    assert synonyms.related("einvoice") == {"xrechnung", "erechnung"}
    assert synonyms.spelling("elektronischeakte") == "elektronische Akte"


# --- related_topics ---------------------------------------------------------------------------------


def test_related_topics_suggests_neighbours(index: TopicIndex) -> None:
    assert related_topics("Internet", index)[:2] == ["Intranet", "Social Intranet"]
    assert "Senioren" in related_topics("Seniorinnen", index)
    assert "Datenschutz" in related_topics("Datenschutzbeauftragter", index)


def test_related_topics_suggests_compounds_of_the_same_kind_first(index: TopicIndex) -> None:
    # Two kinds of Rechnung are no answer, but a good suggestion.
    assert match_topics("Papierrechnung", index) == []
    assert related_topics("Papierrechnung", index)[:2] == ["XRechnung", "E-Rechnung"]


def test_related_topics_never_returns_the_query_itself(index: TopicIndex) -> None:
    assert "Intranet" not in related_topics("intra-net", index)
    assert "eAkte" not in related_topics("E-Akte", index)


def test_related_topics_does_not_guess_from_short_fragments(index: TopicIndex) -> None:
    assert related_topics("KI", index) == []
    assert related_topics("xyz", index) == []
    assert related_topics("", index) == []


def test_related_topics_limit(index: TopicIndex) -> None:
    assert len(related_topics("Akte", index, limit=2)) == 2
    assert related_topics("Akte", index, limit=0) == []


# --- rank_people ------------------------------------------------------------------------------------


def person(user_id: str, name: str | None = None) -> Person:
    return Person(user_id=user_id, display_name=name, city="Bühl", groups=("eAkte",))


def hit(label: str, reason: Reason, score: float = 1.0, source: str = "profile") -> Hit:
    return Hit(TopicMatch(topic_key(label), label, reason, score), source)


def names(ranked: list[RankedPerson]) -> list[str]:
    return [r.person.user_id for r in ranked]


def test_rank_by_kind_across_people() -> None:
    people = {u: person(u) for u in ["@fuzzy", "@part", "@synonym", "@exact"]}
    ranked = rank_people(
        {
            "@fuzzy": [hit("Sensorik", FUZZY)],
            "@part": [hit("eAkte-Einführung", WORD)],
            "@synonym": [hit("DMS", SYNONYM)],
            "@exact": [hit("eAkte", EXACT)],
        },
        people,
    )
    assert names(ranked) == ["@exact", "@synonym", "@part", "@fuzzy"]
    assert [r.best_kind for r in ranked] == [MatchKind.EXACT, MatchKind.SYNONYM, MatchKind.PART, MatchKind.FUZZY]


def test_profile_beats_activity_of_the_same_kind_but_not_a_better_kind() -> None:
    people = {u: person(u) for u in ["@decided", "@entered", "@substituted"]}
    ranked = rank_people(
        {
            # Three activity hits would win on topic count, but a profile entry of the same kind comes first.
            "@decided": [hit("eAkte", WORD, source="decision"), hit("DMS", WORD, source="decision")],
            "@entered": [hit("eAkte-Einführung", WORD, 0.5)],
            "@substituted": [hit("eAkte", EXACT, source="substitution")],
        },
        people,
    )
    assert names(ranked) == ["@substituted", "@entered", "@decided"]


def test_more_matching_topics_win_ties_then_score_then_user_id() -> None:
    people = {
        "@one": person("@one", "Berta"),
        "@two": person("@two", "Zoe"),
        "@close": person("@close", "Xaver"),
        "@anna": person("@anna", "anna"),
        "@Anton": person("@Anton"),
    }
    ranked = rank_people(
        {
            "@one": [hit("XRechnung", WORD, 0.9)],
            "@two": [hit("XRechnung", WORD, 0.5), hit("Rechnungseingang", WORD, 0.4)],
            "@close": [hit("E-Rechnung", WORD, 0.95)],
            "@anna": [hit("XRechnung", WORD, 0.9)],
            "@Anton": [hit("XRechnung", WORD, 0.9)],
        },
        people,
    )
    # Full ties go by user id (code point order, as the database sorts them), not by display name.
    assert names(ranked) == ["@two", "@close", "@Anton", "@anna", "@one"]


def test_same_topic_twice_counts_once() -> None:
    people = {"@a": person("@a", "A"), "@b": person("@b", "B")}
    ranked = rank_people(
        {
            "@a": [hit("eAkte", WORD), hit("eAkte", WORD, source="decision")],
            "@b": [hit("eAkte", WORD), hit("DMS", WORD)],
        },
        people,
    )
    assert names(ranked) == ["@b", "@a"]


def test_hits_are_sorted_best_first_profile_first() -> None:
    ranked = rank_people(
        {
            "@a": [
                hit("Rechnungseingang", WORD, 0.4),
                hit("XRechnung", EXACT, source="decision"),
                hit("XRechnung", EXACT),
                hit("E-Rechnung", SYNONYM),
            ]
        },
        {"@a": person("@a")},
    )
    assert [(h.topic.label, h.source) for h in ranked[0].hits] == [
        ("XRechnung", "profile"),
        ("XRechnung", "decision"),
        ("E-Rechnung", "profile"),
        ("Rechnungseingang", "profile"),
    ]


def test_unknown_users_and_empty_hits_are_skipped() -> None:
    ranked = rank_people(
        {"@gone": [hit("eAkte", EXACT)], "@none": [], "@a": [hit("DMS", SYNONYM)]},
        {
            "@a": person("@a"),
            "@none": person("@none"),
        },
    )
    assert names(ranked) == ["@a"]


def test_ranked_person_needs_a_hit() -> None:
    with pytest.raises(ValueError):
        RankedPerson(person("@a"), ())


def test_end_to_end_matches_feed_ranking(analyzer: Analyzer) -> None:
    topics_by_user = {"@anna": ["eAkte", "Sensorik"], "@ben": ["DMS"], "@cem": ["Aktenzeichen"], "@dora": ["Kita"]}
    vocabulary = {(topic_key(t), t) for topics in topics_by_user.values() for t in topics}
    matches = {m.key: m for m in match_topics("E-Akte", TopicIndex(analyzer, vocabulary, SYNONYMS))}
    hits = {
        user: [Hit(matches[topic_key(t)], "profile") for t in topics if topic_key(t) in matches]
        for user, topics in topics_by_user.items()
    }
    ranked = rank_people(hits, {u: person(u) for u in topics_by_user})
    assert [(r.person.user_id, r.best_kind) for r in ranked] == [
        ("@anna", MatchKind.EXACT),
        ("@ben", MatchKind.SYNONYM),
    ]
