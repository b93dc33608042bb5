"""The German text analysis (`storage.analysis`): candidate libraries compared, and what a query costs.

    .venv/bin/python bench/analysis.py [--runs 2000]

1. Stemmers: PyStemmer (Snowball in C) against snowballstemmer (the same Snowball, pure Python) and NLTK's
   Snowball port: µs per word, whether they agree, and the word pairs of issue #12.
2. Compound splitters on a table of municipal compounds (which must split) and of words that must stay whole:
   this project's dictionary splitter over wordfreq's German list (with variants of its thresholds), CharSplit
   (`compound-split`), the Wiktionary noun list (`german-nouns`), hyphenation points (`pyphen`) as a veto,
   and a splitter driven only by our own vocabulary. Correct splits, false splits, µs per word, load time,
   installed size.
3. The analyzer's cost: per `!werweiss` query (first time and cached), per topic and per decision text indexed.

Candidates that are not dependencies of the project are measured if installed (`pip install nltk
snowballstemmer compound-split german-nouns pyphen`) and reported as missing otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import Stemmer
import wordfreq
from common import percentile
from decisions import NOUNS as DECISION_NOUNS
from decisions import Corpus
from search import QUERIES, vocabulary

from storage.analysis import Analyzer, Lexicon, SplitRules, TermIndex, relate
from storage.text import fold

T = TypeVar("T")

# Compound -> its parts as a person would name them; "|" separates other acceptable answers.
SPLITS = {
    "Papierrechnung": "papier rechnung",
    "Eingangsrechnung": "eingang rechnung",
    "Bürgerservice": "buerger service",
    "Onlinebürgerservice": "online buerger service",
    "Haushaltsplan": "haushalt plan",
    "Haushaltsplanentwurf": "haushalt plan entwurf",
    "Datenschutzbeauftragte": "datenschutz beauftragte",
    "Vertragsmanagement": "vertrag management",
    "Rechnungseingang": "rechnung eingang",
    "Engagementplattform": "engagement plattform",
    "Straßenbeleuchtung": "strasse beleuchtung",
    "Sensorikprojekt": "sensorik projekt",
    "Dokumentenmanagementsystem": "dokument management system",
    "Digitalisierungsstrategie": "digitalisierung strategie",
    "Schulträger": "schule traeger",
    "Bauantrag": "bau antrag",
    "Vergaberecht": "vergabe recht",
    "Personalwesen": "personal wesen",
    "Friedhofswesen": "friedhof wesen",
    "Ratsinformationssystem": "rat information system",
    "Zeiterfassung": "zeit erfassung",
    "Druckerflotte": "drucker flotte",
    "Hundesteuer": "hund steuer",
    "Fundbüro": "fund buero",
    "Baumkataster": "baum kataster",
    "Winterdienst": "winter dienst",
    "Ehrenamtskarte": "ehrenamt karte",
    "Lernplattform": "lernen plattform",
    "Lenkungskreis": "lenkung kreis",
    "Projektplan": "projekt plan",
    "Abfallkalender": "abfall kalender",
    "Stellenbörse": "stelle boerse",
    "Verarbeitungsverzeichnis": "verarbeitung verzeichnis",
    "Förderantrag": "foerdern antrag",
    "Rahmenvertrag": "rahmen vertrag",
    "Kostenschätzung": "kosten schaetzung",
    "Wohngeld": "wohnen geld",
    "Gebäudeleittechnik": "gebaeude leittechnik|gebaeude leiten technik",
    "Parkraumüberwachung": "parkraum ueberwachung|park raum ueberwachung",
    "Postverteilung": "post verteilung",
    "Terminvergabe": "termin vergabe",
    "Videokonferenz": "video konferenz",
    "Schulverwaltung": "schule verwaltung",
    "Lizenzverwaltung": "lizenz verwaltung",
    "Netzwerkinfrastruktur": "netzwerk infrastruktur",
    "Passwortverwaltung": "passwort verwaltung",
    "Kommunalverwaltung": "kommunal verwaltung",
    "Wissensdatenbank": "wissen datenbank|wissen daten bank",
    "Veranstaltungskalender": "veranstaltung kalender",
    "Softwareverteilung": "software verteilung",
    # Transparent, but common enough to count as words of their own (see docs/text-analysis.md).
    "Aktenzeichen": "akte zeichen",
    "Bürgerbeteiligung": "buerger beteiligung",
    "Rechenzentrum": "rechnen zentrum|rechen zentrum",
    "Arbeitsgruppe": "arbeit gruppe",
    "Straßenverkehr": "strasse verkehr",
}
WHOLE_TEXT = """
Haushalt Rechnung Gerechtigkeit Verwaltung Plattform Vertrag Information Organisation Verantwortung Beratung
Abteilung Charakter Datenschutz Digitalisierung Sensorik Engagement Beleuchtung Anwendung Ausstellung
Verteilung Bürger Akteur Standesamt Rathaus Bürgermeister Schnittstelle Ehrenamt Landkreis Kindergarten
Feuerwehr Mitarbeiter Beschluss Sitzung Ausschreibung Vereinbarung Barrierefreiheit Telefonie Ereignis Gewerbe
Personal Kalender Zentrum Antrag Termin Einführung Umsetzung Abstimmung digitalisieren implementieren evaluieren
Priorisierung Zentralisierung Interoperabilität Kataster Verkehr Beteiligung Zuständigkeit Gesellschaft
"""
WHOLE = WHOLE_TEXT.split()
"""Words that must stay whole: lexicalised compounds ("Haushalt" is no house that holds), derivations, and words
that hide other words ("Charakter", "Gerechtigkeit")."""

SAME_STEM = [
    ("Verträge", "Vertrag"),
    ("Vertraege", "Verträge"),
    ("Drucker", "Drucken"),
    ("digitalisieren", "Digitalisierung"),
    ("Rechnung", "Rechnungen"),
    ("Akte", "Akten"),
    ("Beschlüsse", "Beschluss"),
    ("Straße", "Strasse"),
    ("Mitarbeiterinnen", "Mitarbeiter"),
]
OTHER_STEM = [("Recht", "Rechnung"), ("Haus", "Haushalt"), ("Daten", "Datei"), ("Sensoren", "Senioren")]


def optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception:  # a candidate that is missing or broken here is reported, not fatal
        return None


def installed_mb(*distributions: str) -> str:
    total = 0
    for name in distributions:
        try:
            files = importlib.metadata.distribution(name).files or []
        except importlib.metadata.PackageNotFoundError:
            continue
        total += sum(Path(str(f.locate())).stat().st_size for f in files if Path(str(f.locate())).is_file())
    return f"{total / 1e6:.1f} MB"


def per_call_us(function: Callable[[str], object], words: Sequence[str], runs: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(runs):
        for word in words:
            function(word)
    return (time.perf_counter() - start) / (len(words) * runs) * 1e6


def timed(function: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


# --- 1. stemmers -------------------------------------------------------------------------------------------


def stemmers(words: Sequence[str]) -> None:
    print("\n1. Stemmers: Snowball German")
    pystemmer = Stemmer.Stemmer("german")
    uncached = Stemmer.Stemmer("german", 0)
    candidates: dict[str, Callable[[str], str]] = {"PyStemmer": uncached.stemWord}
    sizes = {"PyStemmer": installed_mb("pystemmer")}
    # snowballstemmer.stemmer() hands out PyStemmer when it is installed; its own pure-Python class is measured.
    snowball = optional("snowballstemmer.german_stemmer")
    if snowball is not None:
        candidates["snowballstemmer"] = snowball.GermanStemmer().stemWord
        sizes["snowballstemmer"] = installed_mb("snowballstemmer")
    nltk = optional("nltk.stem.snowball")
    if nltk is not None:
        candidates["nltk"] = nltk.SnowballStemmer("german").stem
        sizes["nltk"] = installed_mb("nltk", "regex", "joblib", "click", "tqdm")
    lowered = [w.lower() for w in words]
    folded = [fold(w) for w in words]
    reference = [pystemmer.stemWord(w) for w in lowered]
    print(f"   {len(words)} words (wordfreq's most common German ones and ours); the same stem as PyStemmer on the")
    print("   lower-case words, and on the folded ones (ae for ä, ss for ß) as storage.text.fold writes them")
    print(f"   {'library':<17}{'µs/word':>8}{'same':>9}{'folded':>9}  {'installed':>10}  issue pairs")
    for name, stem in candidates.items():
        us = per_call_us(stem, lowered, 3)
        same = sum(stem(w) == r for w, r in zip(lowered, reference, strict=True)) / len(words)
        same_folded = sum(stem(f) == r for f, r in zip(folded, reference, strict=True)) / len(words)
        pairs = sum(stem(fold(a)) == stem(fold(b)) for a, b in SAME_STEM) + sum(
            stem(fold(a)) != stem(fold(b)) for a, b in OTHER_STEM
        )
        total = len(SAME_STEM) + len(OTHER_STEM)
        print(f"   {name:<17}{us:>8.2f}{same:>9.1%}{same_folded:>9.1%}  {sizes[name]:>10}  {pairs}/{total}")
    print(f"   PyStemmer with its default cache: {per_call_us(pystemmer.stemWord, lowered, 3):.2f} µs/word")
    analyzer = Analyzer()
    print(f"   {'pair':<36}{'wanted':>9}  {'PyStemmer (folded)':<28}analyzer (second pass for long stems)")
    for a, b in SAME_STEM + OTHER_STEM:
        want = "same" if (a, b) in SAME_STEM else "different"
        plain = f"{pystemmer.stemWord(fold(a))} / {pystemmer.stemWord(fold(b))}"
        ours = [analyzer.terms(w)[0].stem for w in (a, b)]
        print(f"   {a + ' / ' + b:<36}{want:>9}  {plain:<28}{ours[0]} / {ours[1]}")
    second_pass(pystemmer, analyzer, folded)


def second_pass(pystemmer: Any, analyzer: Analyzer, folded: Sequence[str]) -> None:
    """Which words the analyzer's second Snowball pass joins that one pass keeps apart."""
    once: dict[str, set[str]] = {}
    twice: dict[str, set[str]] = {}
    for word in sorted({word for word in folded if word}):
        once.setdefault(pystemmer.stemWord(word), set()).add(word)
        twice.setdefault(analyzer.terms(word)[0].stem, set()).add(word)
    joined = [sorted(words) for words in twice.values() if len({pystemmer.stemWord(w) for w in words}) > 1]
    print(f"   second pass: {len(once)} stems of one pass, {len(twice)} of two; {len(joined)} groups joined, e.g.")
    for words in random.Random(3).sample(joined, min(12, len(joined))):
        print(f"     {', '.join(words[:5])}")


# --- 2. compound splitters ---------------------------------------------------------------------------------


def analyzer_splitter(analyzer: Analyzer) -> Callable[[str], list[str]]:
    def split(word: str) -> list[str]:
        terms = analyzer.terms(word)
        return [p for p in terms[0].parts if len(p) > 1] if terms and terms[0].parts else [fold(word)]

    return split


def head_or_tail(texts: Sequence[str]) -> Callable[[str], list[str]]:
    """Split where the start or the end of a word is a word of our own vocabulary (topics, synonyms), the
    longest such word first: "Papierrechnung" -> "papier" + "rechnung" if "Rechnung" is a topic word."""
    known = {fold(word) for text in texts for word in text.replace("-", " ").split()}
    known = {word for word in known if len(word) >= 4}

    def split(word: str) -> list[str]:
        folded = fold(word)
        for size in range(len(folded) - 3, 3, -1):
            head, tail = folded[:size], folded[size:]
            if tail in known or head in known or (head.endswith("s") and head[:-1] in known):
                return [head.removesuffix("s") if head[:-1] in known else head, tail]
        return [folded]

    return split


def charsplit() -> tuple[Callable[[str], list[str]], str] | None:
    module = optional("compound_split.doc_split")
    if module is None:
        return None

    def split(word: str) -> list[str]:
        return [fold(part) for part in module.maximal_split(word)]

    return split, installed_mb("compound-split")


def german_nouns() -> tuple[Callable[[str], list[str]], str] | None:
    module = optional("german_nouns.lookup")
    if module is None:
        return None
    nouns = module.Nouns()

    def split(word: str) -> list[str]:
        parts = nouns.parse_compound(word)
        return [fold(part) for part in parts] if len(parts) > 1 else [fold(word)]

    return split, installed_mb("german-nouns", "wiktionary-de-parser", "mwparserfromhell", "lxml")


def pyphen_veto(inner: Callable[[str], list[str]]) -> tuple[Callable[[str], list[str]], str] | None:
    """Lucene's HyphenationCompoundWordTokenFilter idea: a compound may only be cut where German hyphenation
    allows a break (a linking s or n stays with the part before); a split with a cut elsewhere is dropped."""
    module = optional("pyphen")
    if module is None:
        return None
    hyphenator = module.Pyphen(lang="de_DE")

    def split(word: str) -> list[str]:
        parts = [part for part in inner(word) if len(part) > 1]
        if len(parts) < 2:
            return parts
        folded = fold(word)
        breaks = {len(fold(word[:position])) for position in hyphenator.positions(word)}
        cuts: list[int] = []
        position = 0
        for part in parts[1:]:  # where the next part starts, after the previous one and its linking letters
            position = folded.find(part[:3], position + 3)
            if position < 0:
                return [folded]
            cuts.append(position)
        return parts if all(cut in breaks for cut in cuts) else [folded]

    return split, installed_mb("pyphen")


def shortened(items: Sequence[str], most: int = 8) -> str:
    if len(items) <= most:
        return ", ".join(items) or "-"
    return f"{', '.join(items[:most])} … ({len(items) - most} more)"


def judge(split: Callable[[str], list[str]]) -> tuple[int, int, list[str], list[str]]:
    stem = Stemmer.Stemmer("german").stemWord
    good: list[str] = []
    missed: list[str] = []
    for word, answers in SPLITS.items():
        got = [stem(part) for part in split(word)]
        accepted = [[stem(part) for part in answer.split()] for answer in answers.split("|")]
        (good if got in accepted else missed).append(f"{word}={'+'.join(split(word))}")
    false = [f"{word}={'+'.join(parts)}" for word in WHOLE if len(parts := split(word)) > 1]
    return len(good), len(false), missed, false


def splitters(vocabulary_words: Sequence[str]) -> None:
    print("\n2. Compound splitters")
    print(f"   {len(SPLITS)} compounds that should split, {len(WHOLE)} words that must stay whole")
    print(f"   {'splitter':<44}{'correct':>8}{'false':>7}{'µs/word':>9}{'load':>8}  installed")
    rows: list[tuple[str, Callable[[str], list[str]], float, str]] = []
    _, lexicon_s = timed(Lexicon.load.__wrapped__)  # the first load, not the cached one
    lexicon = Lexicon.load()
    wordfreq_size = installed_mb("wordfreq", "ftfy", "langcodes", "locate", "msgpack", "regex", "wcwidth")
    for label, rules in (
        ("wordfreq dictionary (chosen: whole >= 3.0)", SplitRules()),
        ("wordfreq dictionary, whole >= 3.3", SplitRules(whole_zipf=3.3)),
        ("wordfreq dictionary, whole >= 3.6", SplitRules(whole_zipf=3.6)),
        ("wordfreq dictionary, parts >= 3.0", SplitRules(unit_zipf=3.0)),
        ("wordfreq dictionary, no short-part rule", SplitRules(short_unit_zipf=())),
    ):
        analyzer, built_s = timed(partial(Analyzer, lexicon, rules=rules))
        rows.append((label, analyzer_splitter(analyzer), lexicon_s + built_s, wordfreq_size))
    own = Lexicon({}, {}, "vocabulary only")
    analyzer, built_s = timed(lambda: Analyzer(own, extra_words=vocabulary_words))
    rows.append(("own vocabulary, every part known", analyzer_splitter(analyzer), built_s, "0"))
    rows.append(("own vocabulary, known head or tail", head_or_tail(vocabulary_words), 0.0, "0"))
    found = pyphen_veto(analyzer_splitter(Analyzer(lexicon)))
    if found is not None:
        rows.append(("wordfreq dictionary + pyphen veto", found[0], lexicon_s, f"{wordfreq_size} + {found[1]}"))
    for label, load in (("CharSplit (compound-split)", charsplit), ("german-nouns (Wiktionary)", german_nouns)):
        loaded, load_s = timed(load)
        if loaded is None:
            print(f"   {label:<44}not installed")
            continue
        rows.append((label, loaded[0], load_s, loaded[1]))
    words = list(SPLITS) + WHOLE
    details: dict[str, tuple[list[str], list[str]]] = {}
    for label, split, load_s, size in rows:
        us = per_call_us(split, words)  # first, while nothing is cached
        good, false, missed, wrong = judge(split)
        print(f"   {label:<44}{good:>4}/{len(SPLITS):<3}{false:>4}/{len(WHOLE):<3}{us:>8.0f}{load_s:>7.2f}s  {size}")
        details[label] = (missed, wrong)
    for label, (missed, wrong) in details.items():
        print(f"\n   {label}\n     not as expected: {shortened(missed)}\n     split wrongly: {shortened(wrong)}")
    print("\n   compound-word-splitter: needs pyenchant and a system Hunspell dictionary (not from pip); ", end="")
    print("german_compound_splitter: not on PyPI, and needs a dictionary file of its own")


# --- 3. the analyzer's cost --------------------------------------------------------------------------------


def cost(runs: int, topics: Sequence[str], decision_texts: Sequence[str]) -> None:
    print("\n3. The analyzer's cost (storage.analysis.Analyzer)")
    lexicon, load_s = timed(Lexicon.load.__wrapped__)  # not the cached one: the real first load
    analyzer, build_s = timed(lambda: Analyzer(lexicon))
    tracemalloc.start()
    Analyzer(Lexicon.load.__wrapped__())
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"   start: lexicon {load_s:.2f} s + analyzer {build_s:.2f} s, {memory / 1e6:.0f} MB; ", end="")
    print(f"fingerprint {analyzer.fingerprint}")

    queries = [*QUERIES, "Verträge", "Papierrechnungen", "digitalisieren", "Bürger*innen", "workshops"]
    cold: list[float] = []
    for _ in range(10):
        fresh = Analyzer(lexicon)
        fresh.terms("Aufwärmen")
        for query in queries:  # each query the first time (a word of an earlier query may be cached)
            start = time.perf_counter()
            fresh.terms(query)
            cold.append((time.perf_counter() - start) * 1e6)
    warm: list[float] = []
    for i in range(runs):
        start = time.perf_counter()
        analyzer.terms(queries[i % len(queries)])
        warm.append((time.perf_counter() - start) * 1e6)
    print(f"   analysis per query, first time: p50 {statistics.median(cold):6.1f} µs   ", end="")
    print(f"p95 {percentile(cold, 95):6.1f} µs")
    print(f"   analysis per query, cached:     p50 {statistics.median(warm):6.1f} µs   ", end="")
    print(f"p95 {percentile(warm, 95):6.1f} µs")

    fresh = Analyzer(lexicon)
    index, index_s = timed(lambda: TermIndex(fresh, enumerate(topics)))
    print(f"   TermIndex of {len(topics)} topic labels: {index_s * 1e3:.0f} ms (each analysed the first time)")
    lookups: list[float] = []
    for i in range(runs):
        query = queries[i % len(queries)]
        start = time.perf_counter()
        for term in analyzer.terms(query):
            index.related(term)
        lookups.append((time.perf_counter() - start) * 1e6)
    print(f"   query analysed + related topics: p50 {statistics.median(lookups):6.1f} µs   ", end="")
    print(f"p95 {percentile(lookups, 95):6.1f} µs")
    topic_terms = [term for topic in topics for term in analyzer.terms(topic)]
    query_terms = [term for query in queries for term in analyzer.terms(query)]
    _, scan_s = timed(lambda: [relate(q, t) for q in query_terms for t in topic_terms])
    print(f"   for comparison, relate() with every one of the {len(topic_terms)} topic words: ", end="")
    print(f"{scan_s / len(queries) * 1e3:.1f} ms per query")

    fresh = Analyzer(lexicon)
    tokens, first_s = timed(lambda: [fresh.index_tokens(text) for text in decision_texts])
    _, cached_s = timed(lambda: [fresh.index_tokens(text) for text in decision_texts])
    words = sum(len(text.split()) for text in decision_texts) / len(decision_texts)
    keys = sum(map(len, tokens)) / len(tokens)
    print(
        f"   per decision text indexed ({words:.0f} words -> {keys:.0f} keys): "
        f"{first_s / len(decision_texts) * 1e6:.0f} µs first, {cached_s / len(decision_texts) * 1e6:.0f} µs cached"
    )


def main(runs: int) -> None:
    topics = vocabulary(2000)
    rng = random.Random(7)
    corpus = Corpus.build(rng)
    decision_texts = [corpus.sentence(rng) for _ in range(2000)]
    ours = [*SPLITS, *WHOLE, *DECISION_NOUNS.split(), *(w for t in topics for w in t.split())]
    common_words = [w for w in wordfreq.top_n_list("de", 20_000) if w.isalpha()]
    stemmers([w for w in dict.fromkeys([*common_words, *ours]) if w.isalpha()])
    splitters(topics)
    cost(runs, topics, decision_texts)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    main(parser.parse_args().runs)
