"""The German text analysis (`storage.analysis`): which forms are one word, how compounds split, and which words
must never be taken for each other. Fast: no database, one dictionary load for the module."""

from __future__ import annotations

import pytest

from storage.analysis import Analyzer, Lexicon, Relation, SplitRules, Term, TermIndex, relate
from storage.text import fold

EXACT, STEM, HEAD, PART = Relation.EXACT, Relation.STEM, Relation.HEAD, Relation.PART
SHARED_HEAD, NONE = Relation.SHARED_HEAD, Relation.NONE


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def term(analyzer: Analyzer, word: str) -> Term:
    terms = analyzer.terms(word)
    assert len(terms) == 1, terms
    return terms[0]


# Forms of one word: they must analyse to the same stem.
SAME_STEM = [
    ("Verträge", "Vertrag"),  # umlaut plural
    ("Vertraege", "Vertrag"),  # typed without umlauts
    ("Drucker", "Drucken"),
    ("digitalisieren", "Digitalisierung"),  # the second Snowball pass
    ("aktualisieren", "Aktualisierung"),
    ("Rechnung", "Rechnungen"),
    ("Akte", "Akten"),
    ("Beschlüsse", "Beschluss"),
    ("Anträge", "Antrag"),
    ("Häuser", "Haus"),
    ("Haushalte", "Haushalt"),
    ("Plattformen", "Plattform"),
    ("Schulen", "Schule"),
    ("Sensoren", "Sensor"),
    ("Mitarbeiterinnen", "Mitarbeiter"),
    ("Papierrechnungen", "Papierrechnung"),
    ("workshops", "workshop"),  # English stems for English words
    ("invoices", "invoice"),
    ("meetings", "Meeting"),
]


@pytest.mark.parametrize(("a", "b"), SAME_STEM)
def test_forms_of_one_word_share_the_stem(analyzer: Analyzer, a: str, b: str) -> None:
    assert relate(term(analyzer, a), term(analyzer, b)) == STEM


@pytest.mark.parametrize(
    ("a", "b"),
    [("E-Akte", "eakte"), ("Straße", "STRASSE"), ("Bürger*innen", "Bürger"), ("Bürger:innen", "buerger"),
     ("BürgerInnen", "Bürger"), ("Kita-Portal", "KitaPortal")],
)  # fmt: skip
def test_spellings_of_one_word_are_the_same_word(analyzer: Analyzer, a: str, b: str) -> None:
    assert term(analyzer, a).word == term(analyzer, b).word
    assert relate(term(analyzer, a), term(analyzer, b)) == EXACT


# Compounds and their parts, as dictionary words (a prefix letter is a part too, so sequences compare).
COMPOUNDS = {
    "Papierrechnung": "papier rechnung",
    "Eingangsrechnung": "eingang rechnung",  # linking s
    "Rechnungseingang": "rechnung eingang",
    "XRechnung": "x rechnung",  # camel case
    "E-Rechnung": "e rechnung",  # hyphen
    "eAkte": "e akte",
    "eakte": "e akte",  # typed without a seam
    "eAkten-Einführung": "e akten einfuehrung",
    "IT-Sicherheit": "it sicherheit",
    "Open-Data-Portal": "open data portal",
    "Bürgerservice": "buerger service",
    "Onlinebürgerservice": "online buerger service",
    "Haushaltsplan": "haushalt plan",
    "Haushaltsplanentwurf": "haushalt plan entwurf",  # a rare part is split again
    "Datenschutzbeauftragte": "datenschutz beauftragte",  # a common part is not
    "Vertragsmanagement": "vertrag management",
    "Engagementplattform": "engagement plattform",
    "Straßenbeleuchtung": "strassen beleuchtung",
    "Sensorikprojekt": "sensorik projekt",
    "Dokumentenmanagementsystem": "dokumenten management system",
    "Digitalisierungsstrategie": "digitalisierung strategie",
    "Ratsinformationssystem": "rat information system",
    "Bauantrag": "bau antrag",
    "Förderantrag": "foerder antrag",
    "Baumkataster": "baum kataster",
    "Hundesteuer": "hunde steuer",
    "Zeiterfassung": "zeit erfassung",
}


@pytest.mark.parametrize(("word", "parts"), COMPOUNDS.items())
def test_compounds_split_into_their_parts(analyzer: Analyzer, word: str, parts: str) -> None:
    found = term(analyzer, word)
    assert found.parts == tuple(parts.split())
    assert found.head == parts.split()[-1]


# Words that must stay whole: lexicalised compounds ("Haushalt" is the budget, not a house that holds), words
# that hide other words, derivations, names.
WHOLE = """
Haushalt Rechnung Gerechtigkeit Verwaltung Plattform Charakter Schnittstelle Barrierefreiheit Ehrenamt
Standesamt Datenschutz Rathaus Akteur Information Abteilung Verantwortung digitalisieren Digitalisierung
Kataster Sensorik LoRaWAN Telefonie Interoperabilität Bürgermeister Feuerwehr
"""


@pytest.mark.parametrize("word", WHOLE.split())
def test_words_of_their_own_stay_whole(analyzer: Analyzer, word: str) -> None:
    assert term(analyzer, word).parts == ()


RELATIONS = [
    ("Rechnung", "Papierrechnung", HEAD),  # a Papierrechnung is a Rechnung
    ("Rechnung", "XRechnung", HEAD),
    ("Rechnung", "E-Rechnung", HEAD),
    ("Rechnung", "Eingangsrechnung", HEAD),
    ("Rechnungen", "Papierrechnung", HEAD),
    ("Akte", "eAkte", HEAD),
    ("Kataster", "Baumkataster", HEAD),
    ("Recht", "Vergaberecht", HEAD),
    ("Sicherheit", "IT-Sicherheit", HEAD),
    ("Managementsystem", "Dokumentenmanagementsystem", HEAD),
    ("Papier", "Papierrechnung", PART),
    ("Rechnung", "Rechnungseingang", PART),
    ("Akte", "eAkten-Einführung", PART),
    ("eAkte", "eAkten-Einführung", PART),
    ("Verträge", "Vertragsmanagement", PART),
    ("digitalisieren", "Digitalisierungsstrategie", PART),
    ("Haushalt", "Haushaltsplan", PART),
    ("Management", "Dokumentenmanagementsystem", PART),
    ("Dokumentenmanagement", "Dokumentenmanagementsystem", PART),
    ("IT", "IT-Sicherheit", PART),
    ("XRechnung", "E-Rechnung", SHARED_HEAD),
    ("Papierrechnung", "XRechnung", SHARED_HEAD),
]


@pytest.mark.parametrize(("a", "b", "relation"), RELATIONS)
def test_compounds_relate_to_their_parts(analyzer: Analyzer, a: str, b: str, relation: Relation) -> None:
    assert relate(term(analyzer, a), term(analyzer, b)) == relation
    assert relate(term(analyzer, b), term(analyzer, a)) == relation  # symmetric


# Words that look alike but must never be taken for each other.
UNRELATED = [
    ("Recht", "Rechnung"),
    ("Recht", "Rechnungen"),
    ("Recht", "Gerechtigkeit"),
    ("Haus", "Haushalt"),  # the budget is no house: a Haushalt question must not list house people
    ("Haus", "Rathaus"),
    ("Akte", "Charakter"),
    ("Akte", "Akteur"),
    ("Akte", "Aktion"),
    ("Daten", "Datei"),
    ("Sensoren", "Senioren"),
    ("Stelle", "Schnittstelle"),
    ("Amt", "Ehrenamt"),
    ("Plan", "Plattform"),
    ("Form", "Plattform"),
    ("Steuer", "Steuerung"),
    ("Internet", "Intranet"),
    ("elektronische", "Akte"),
    ("elektronische", "XRechnung"),
    ("Kate", "Kataster"),
    ("Frei", "Barrierefreiheit"),
    ("Schutz", "Datenschutz"),
    ("Verwaltung", "Haltung"),
    ("Papier", "XRechnung"),
    ("Management", "Engagement"),
    ("Kasse", "Klasse"),
]


@pytest.mark.parametrize(("a", "b"), UNRELATED)
def test_look_alikes_do_not_relate(analyzer: Analyzer, a: str, b: str) -> None:
    assert relate(term(analyzer, a), term(analyzer, b)) == NONE


def test_terms_keep_the_order_and_mark_function_words(analyzer: Analyzer) -> None:
    terms = analyzer.terms("Fragen zur E-Rechnung und zum Datenschutz")
    assert [t.word for t in terms] == ["fragen", "zur", "erechnung", "und", "zum", "datenschutz"]
    assert [t.word for t in terms if t.stop] == ["zur", "und", "zum"]
    assert analyzer.terms("*** ---") == []


def test_index_tokens_hold_words_stems_and_parts_without_single_letters(analyzer: Analyzer) -> None:
    tokens = analyzer.index_tokens("Die eAkten-Einführung")
    assert tokens[0] == "die"
    assert {"eakteneinfuehrung", "akten", "akt", "einfuehrung", "einfuhr"} <= set(tokens)
    assert "e" not in tokens
    assert len(tokens) == len(set(tokens))
    # A query stem is found among the index tokens of a text that only has the compound.
    assert term(analyzer, "Rechnungen").stem in analyzer.index_tokens("Keine Papierrechnung mehr")


def test_english_words_get_an_english_stem_german_ones_do_not(analyzer: Analyzer) -> None:
    assert term(analyzer, "accessibility").english_stem == "access"
    assert term(analyzer, "Rechnung").english_stem is None
    assert term(analyzer, "Haushalt").english_stem is None


def test_term_index_finds_related_entries_without_scanning(analyzer: Analyzer) -> None:
    index = TermIndex(
        analyzer,
        [(1, "Papierrechnung"), (2, "XRechnung"), (3, "digitale Terminvergabe"), (4, "Recht und Datenschutz"),
         (5, "Haushalt"), (6, "eAkten-Einführung"), (7, "Vertragsmanagement"), (8, "Workshops")],
    )  # fmt: skip

    def related(word: str) -> dict[int, Relation]:
        return index.related(term(analyzer, word))

    assert related("Rechnung") == {1: HEAD, 2: HEAD}
    assert related("Papierrechnung") == {1: EXACT, 2: SHARED_HEAD}
    assert related("Verträge") == {7: PART}
    assert related("Akte") == {6: PART}
    assert related("Termine") == {3: PART}
    assert related("Recht") == {4: EXACT}
    assert related("workshop") == {8: STEM}
    assert related("Haus") == {}
    assert related("und") == {}  # a function word relates to nothing
    assert index.related(term(analyzer, "Papierrechnung"), at_least=HEAD) == {1: EXACT}


def test_fingerprint_changes_with_what_changes_the_analysis() -> None:
    lexicon = Lexicon.load()
    plain = Analyzer(lexicon)
    assert plain.fingerprint == Analyzer(lexicon).fingerprint
    assert len(plain.fingerprint) == 16
    with_words = Analyzer(lexicon, extra_words=["XRechnung", "LoRaWAN"])
    assert with_words.fingerprint == Analyzer(lexicon, extra_words=["lorawan", "X-Rechnung"]).fingerprint
    assert with_words.fingerprint != plain.fingerprint
    assert Analyzer(lexicon, rules=SplitRules(whole_zipf=3.3)).fingerprint != plain.fingerprint


def test_extra_words_can_be_parts_of_compounds() -> None:
    lexicon = Lexicon.load()
    assert Analyzer(lexicon).terms("LoRaWAN-Gateway")[0].parts == ("lorawan", "gateway")  # a visible seam
    assert Analyzer(lexicon).terms("LoRaWANgateway")[0].parts == ()
    assert Analyzer(lexicon, extra_words=["LoRaWAN"]).terms("LoRaWANgateway")[0].parts == ("lorawan", "gateway")


def test_rules_below_the_lexicon_are_refused() -> None:
    with pytest.raises(ValueError, match="no words below"):
        Analyzer(Lexicon.load(), rules=SplitRules(unit_zipf=2.0))


def test_a_lexicon_of_our_own_needs_no_word_list() -> None:
    analyzer = Analyzer(Lexicon({"papier": 4.5, "rechnung": 4.6}, {}, "test"))
    assert analyzer.terms("Papierrechnungen")[0].parts == ()  # the list knows no "rechnungen"
    assert analyzer.terms("Papierrechnung")[0].parts == ("papier", "rechnung")


def test_the_streamed_word_list_is_wordfreqs_own() -> None:
    """`_read_wordfreq` unpacks the list one frequency at a time (to keep the start's memory low); it must read the
    same words and frequencies as wordfreq's own reader."""
    import wordfreq

    from storage.analysis import LEXICON_MIN_ZIPF, _read_wordfreq

    path = wordfreq.available_languages("large")["de"]
    expected: dict[str, float] = {}
    for centibels, words in enumerate(wordfreq.read_cBpack(path)):
        if 9 - centibels / 100 < LEXICON_MIN_ZIPF:
            break
        for word in words:
            key = fold(word)
            if key.isalpha():
                expected.setdefault(key, 9 - centibels / 100)
    assert _read_wordfreq("de", "large", LEXICON_MIN_ZIPF) == expected
