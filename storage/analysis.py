"""German as people write it: one analysis of words for who-knows topics and the decision full-text index.

fold → words → compound parts → stems, the same at index time and at query time, so both features understand
the same German. The choices behind it (which stemmer, which splitter, which thresholds) are measured and
explained in docs/text-analysis.md; `bench/analysis.py` prints the figures.

- Words are runs of letters and digits; hyphens and camel case ("E-Rechnung", "XRechnung", "eAkte") are
  visible seams of a compound. Gender markers ("Bürger*innen", "Bürger:innen", "BürgerInnen") mean the word.
- Compound parts come from a dictionary: a word is split into parts that are common German words
  (wordfreq's German list), with linking elements (Fugen: "Rechnung-s-eingang", "Straße-n-beleuchtung") and
  a dropped final e/en/n ("Schul-träger", "Förder-antrag"). A word that is common itself is lexicalised and
  stays whole: "Haushalt" is not a house that holds, "Schnittstelle" not a cut place.
- Stems come from Snowball (PyStemmer, C): German for every word, which folds umlauts and reads "ae", "oe",
  "ue" as umlauts too, so it agrees with `storage.text.fold`; English in addition for words that are common
  English, so "workshops" finds "workshop" and "invoices" finds "invoice".

The analysis depends on the libraries' versions and on the extra vocabulary; `Analyzer.fingerprint` changes
whenever the result may, so a stored index can be rebuilt when it differs.
"""

from __future__ import annotations

import enum
import hashlib
import importlib.metadata
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Generic, TypeVar

import Stemmer

from storage.text import fold

__all__ = [
    "ANALYSIS_VERSION",
    "STOP_WORDS",
    "Analyzer",
    "Lexicon",
    "Relation",
    "SplitRules",
    "Term",
    "TermIndex",
    "relate",
]

ANALYSIS_VERSION = 1
"""Bumped whenever this module changes what it produces; part of `Analyzer.fingerprint`."""


MIN_PART = 3
"""Letters of a compound part found through the dictionary."""
MIN_KEY = 2
"""Letters of a key worth indexing: "IT-Sicherheit" has the key "it"; the "e" of "eAkte" is no key."""
MAX_SPLIT_CHARS = 40
"""Longer words are not split: no real compound is this long, and the search is quadratic in the length."""
SECOND_PASS_MIN = 7
"""A German stem this long is stemmed once more (see `Analyzer._stem_de`)."""

_LINKS = ("s", "es", "n", "en", "e", "er", "ens")
"""Linking elements (Fugen) between the parts of a compound: Rechnung-s-eingang, Straße-n-beleuchtung."""
_ELIDED = ("e", "en", "n")
"""Endings a first part drops: Schul(e)-träger, Förder(n)-antrag, Wohn(en)-geld."""
_PREFIX_LETTERS = ("e", "x")
"""A letter that prefixes a word without a seam in lower case: "eakte", "xrechnung" (E-Government naming)."""

_STOP_WORDS_TEXT = """
der die das den dem des ein eine einen einem einer eines und oder zu zur zum mit ueber fuer von vom im in am an
auf bei beim aus nach um wie was wer wen wem wo nie nicht auch als ist sind war the a an of for with and or to in
on at by about
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
"""Folded function words: never a compound part, and marked on terms (`Term.stop`) so searches can skip them."""

# A word: letters and digits, hyphen-joined runs kept together ("E-Rechnung"); other punctuation splits.
_WORD_RUN = re.compile(r"[^\W_]+(?:[-‐‑][^\W_]+)*")
_HYPHEN = re.compile(r"[-‐‑]")
_CAMEL = re.compile(r"(?<=[^\W\d_])(?<![A-ZÄÖÜ])(?=[A-ZÄÖÜ])|(?<=[A-ZÄÖÜ])(?=[A-ZÄÖÜ][a-zäöüß])")
# "Bürger*innen", "Bürger:innen", "Bürger_innen", "BürgerInnen", "MitarbeiterIn": the word without the marker.
_GENDER = re.compile(r"(?<=[a-zäöüß])(?:[*:_](?:innen|in)|Innen|In)(?![^\W_])")


@dataclass(frozen=True)
class SplitRules:
    """When a word is split into compound parts; the defaults are measured in docs/text-analysis.md.

    Frequencies are on the Zipf scale of wordfreq: log10 of uses per billion words, so 3 is once per million.
    """

    unit_zipf: float = 2.5
    """A word at least this common can be a part of a compound ("Kataster", "Sensorik")."""
    whole_zipf: float = 3.0
    """A word at least this common is a word in its own right and never split: "Haushalt", "Schnittstelle",
    "Barrierefreiheit", "Datenschutz" (the ~39,000 most common German words, wordfreq's "small" list). A
    rare part ("Haushaltsplan" in "Haushaltsplanentwurf") is split again, but only into words this common."""
    short_unit_zipf: tuple[tuple[int, float], ...] = ((3, 4.0), (4, 3.5))
    """Shorter parts must be more common: "Bau", "Rat", "Amt", "Baum", "Zeit" are; "eur", "eren", "isin" or
    "kata" (which the web-based list holds too) are not."""
    english_zipf: float = 3.0
    """A word at least this common in English (and no less common than in German) also gets an English stem."""

    def units(self, words: Mapping[str, float]) -> dict[str, float]:
        """The words (with their frequency) that may be parts of a compound."""
        short = dict(self.short_unit_zipf)
        return {
            word: zipf
            for word, zipf in words.items()
            if len(word) >= MIN_PART and zipf >= short.get(len(word), self.unit_zipf) and word not in STOP_WORDS
        }


class Relation(enum.IntEnum):
    """How two words are related; a higher value is a closer relation."""

    NONE = 0
    SHARED_HEAD = 1
    """Two compounds of the same kind: "Papierrechnung" and "XRechnung" (both a Rechnung)."""
    PART = 2
    """One names a part of the other that is not its head: "Papier" in "Papierrechnung"."""
    HEAD = 3
    """One is the head of the other, which is a kind of it: "Rechnung" and "Papierrechnung", "eAkte"."""
    STEM = 4
    """The same word in another form: "Verträge" and "Vertrag", "digitalisieren" and "Digitalisierung"."""
    EXACT = 5
    """The same word once folded: "E-Akte" and "eakte"."""


@dataclass(frozen=True, slots=True)
class Term:
    """One word of a text as the analysis understands it; every string in it is folded ([0-9a-z])."""

    word: str
    """The folded word as written: "papierrechnungen", "erechnung"."""
    stem: str
    """Its German stem: "papierrechn"; "vertrag" for "verträge" and "vertraege"."""
    parts: tuple[str, ...]
    """Compound parts, first to last, each as a dictionary word: ("papier", "rechnungen"); a prefix letter is a
    part too, so sequences compare: ("e", "rechnung") for "E-Rechnung"; () if the word is no compound."""
    part_stems: tuple[str, ...]
    """The German stems of `parts`."""
    english_stem: str | None
    """Its English stem if it is a common English word ("workshops" -> "workshop"), else None."""
    stop: bool
    """A function word ("und", "für", "the"): a search may leave it out."""
    keys: tuple[str, ...]
    """Everything a full-text index should hold for this word, without repeats: the word, its stems, its parts
    and their stems ("papierrechnungen", "papierrechn", "papier", "rechnungen", "papi", "rechnung")."""

    @property
    def head(self) -> str:
        """The last part, which says what the compound is: "rechnungen" of "Papierrechnungen"."""
        return self.parts[-1] if self.parts else self.word

    @property
    def head_stem(self) -> str:
        return self.part_stems[-1] if self.part_stems else self.stem


def relate(a: Term, b: Term) -> Relation:
    """How closely the words `a` and `b` are related; symmetric."""
    if a.word == b.word:
        return Relation.EXACT
    if a.stem == b.stem or (a.english_stem is not None and a.english_stem == b.english_stem):
        return Relation.STEM
    return max(_contained(a, b), _contained(b, a), _shared_head(a, b))


def _contained(small: Term, big: Term) -> Relation:
    """`small` as a part of the compound `big`: its head, or another part."""
    if not big.part_stems:
        return Relation.NONE
    inner = small.part_stems or (small.stem,)
    outer = big.part_stems
    if len(inner) >= len(outer) or len(inner[-1]) < MIN_KEY:  # a single letter ("E") is part of nothing
        return Relation.NONE
    if outer[len(outer) - len(inner) :] == inner:
        return Relation.HEAD
    for start in range(len(outer) - len(inner)):
        if outer[start : start + len(inner)] == inner:
            return Relation.PART
    return Relation.NONE


def _shared_head(a: Term, b: Term) -> Relation:
    if a.part_stems and b.part_stems and a.head_stem == b.head_stem and len(a.head_stem) >= MIN_PART:
        return Relation.SHARED_HEAD
    return Relation.NONE


LEXICON_MIN_ZIPF = 2.5
"""How far down wordfreq's German list the lexicon reads (~80,000 words); `SplitRules` cannot go lower."""


class Lexicon:
    """Known words, folded, with their frequency on the Zipf scale (log10 of uses per billion words)."""

    def __init__(self, german: Mapping[str, float], english: Mapping[str, float], source: str) -> None:
        self.german = dict(german)
        self.english = dict(english)
        self.source = source
        """What the lists came from, for `Analyzer.fingerprint`."""

    @staticmethod
    @cache
    def load() -> Lexicon:
        """wordfreq's German list and its short English one (read once per process: the data never changes)."""
        german = _read_wordfreq("de", "large", LEXICON_MIN_ZIPF)
        english = _read_wordfreq("en", "small", 0.0)
        return Lexicon(german, english, Lexicon.source_of_wordfreq())

    @staticmethod
    def source_of_wordfreq() -> str:
        return f"wordfreq {importlib.metadata.version('wordfreq')}"


def _read_wordfreq(language: str, size: str, min_zipf: float) -> dict[str, float]:
    """The folded words of a wordfreq list down to `min_zipf`, most common words first. The file (wordfreq's
    "cBpack": a gzipped msgpack array of a header and one word list per centibel) is unpacked one list at a time and
    left once below `min_zipf`: `wordfreq.read_cBpack` would unpack all 600,000 German words first (a peak of ~50 MB
    for a lexicon of 9)."""
    import gzip

    import msgpack  # wordfreq's own dependency
    import wordfreq  # here, not at the top: the lists are read on the first analysis, not at every start

    path = wordfreq.available_languages(size)[language]
    found: dict[str, float] = {}
    with gzip.open(path, "rb") as packed:
        lists = msgpack.Unpacker(packed, raw=False)
        lists.read_array_header()
        header = lists.unpack()
        if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
            raise ValueError(f"unexpected wordfreq list header: {header!r}")
        for centibels, words in enumerate(lists):
            zipf = 9 - centibels / 100  # the list's index is the frequency in centibels below 1
            if zipf < min_zipf:
                break
            for word in words:
                key = fold(word)
                if key.isalpha() and key not in found:
                    found[key] = zipf
    return found


class Analyzer:
    """Turns text into `Term`s. Build one per process (the dictionary is shared) and pass it down.

    `extra_words` are the network's own words (topics, synonyms: "XRechnung", "Sensorik", "LoRaWAN") that a
    general dictionary may lack; they can then be parts of compounds ("Sensorikprojekt"). They change the
    analysis, so they are part of the fingerprint: an index built with other extra words must be rebuilt.
    """

    def __init__(
        self, lexicon: Lexicon | None = None, *, extra_words: Iterable[str] = (), rules: SplitRules = SplitRules()
    ) -> None:
        if rules.unit_zipf < LEXICON_MIN_ZIPF:
            raise ValueError(f"the lexicon holds no words below Zipf {LEXICON_MIN_ZIPF}")
        self._lexicon = lexicon  # None: wordfreq's, read on the first analysis (not at start: 0.3 s, 12 MB)
        self._rules = rules
        self._german: dict[str, float] = {}
        self._english: dict[str, float] = {}
        extras = sorted({word for text in extra_words for word in _plain_words(text) if len(word) >= MIN_PART})
        self._extras = frozenset(extras)
        self._units: dict[str, float] = {}
        self._read = False
        # No cache in the stemmers: each word is stemmed once, when it is first analysed (`_word` caches).
        self._stemmer_de = Stemmer.Stemmer("german", 0)
        self._stemmer_en = Stemmer.Stemmer("english", 0)
        self._word = lru_cache(maxsize=65536)(self._analyze)
        self._split = lru_cache(maxsize=65536)(self._decompose)
        digest = hashlib.sha256()
        for item in (
            f"analysis {ANALYSIS_VERSION}",
            f"pystemmer {importlib.metadata.version('pystemmer')}",
            lexicon.source if lexicon is not None else Lexicon.source_of_wordfreq(),
            repr(rules),
            *extras,
        ):
            digest.update(item.encode() + b"\n")
        self.fingerprint = digest.hexdigest()[:16]
        """Changes whenever the analysis of some text may change: store it beside an index built with it."""

    def _read_lexicon(self) -> None:
        """The dictionaries, on first use (once; a coroutine switch cannot interleave, nothing here awaits)."""
        if self._read:
            return
        lexicon = self._lexicon if self._lexicon is not None else Lexicon.load()
        rules = self._rules
        self._german = lexicon.german
        self._english = {
            word: zipf for word, zipf in lexicon.english.items() if zipf >= rules.english_zipf and word.isalpha()
        }
        units = rules.units(self._german)
        for word in self._extras:
            units[word] = max(units.get(word, 0.0), rules.unit_zipf)
        self._units = units
        self._read = True

    def terms(self, text: str) -> list[Term]:
        """The words of `text`, in order, each analysed; repeats are kept (positions matter to phrases)."""
        self._read_lexicon()
        text = _GENDER.sub("", unicodedata.normalize("NFC", text))
        return [term for run in _WORD_RUN.findall(text) if (term := self._word(run)) is not None]

    def knows(self, word: str) -> bool:
        """Whether a folded word is in the dictionary (German, or common English) or one of the extra words: a real
        word, which a search should not read as a misspelling of another ("Kasse" is no typo of "Klasse")."""
        self._read_lexicon()
        return word in self._german or word in self._english or word in self._extras

    def index_tokens(self, text: str) -> list[str]:
        """What a full-text index holds for `text`: each word's `Term.keys`, in order."""
        return [key for term in self.terms(text) for key in term.keys]

    # -- one word ------------------------------------------------------------------------------------------
    def _analyze(self, run: str) -> Term | None:
        word = fold(run)
        if not word:
            return None
        leaves = [leaf for piece in self._seams(run) for leaf in self._split(piece)]
        parts = tuple(leaves) if len(leaves) > 1 else ()
        stem = self._stem_de(word)
        part_stems = tuple(self._stem_de(part) for part in parts)
        english_stem = self._stem_en(word)
        keys = [word, stem, *parts, *part_stems] + ([english_stem] if english_stem else [])
        return Term(
            word=word,
            stem=stem,
            parts=parts,
            part_stems=part_stems,
            english_stem=english_stem,
            stop=word in STOP_WORDS,
            keys=tuple(dict.fromkeys(key for key in keys if len(key) >= MIN_KEY)),
        )

    def _seams(self, run: str) -> list[str]:
        """The folded pieces between hyphens and camel-case seams. A camel seam counts only where the pieces
        are words ("XRechnung", "OpenData"), not in names like "LoRaWAN"; a single letter is a prefix."""
        pieces: list[str] = []
        for hyphenated in _HYPHEN.split(run):
            camel = [piece for piece in map(fold, _CAMEL.split(hyphenated)) if piece]
            if len(camel) > 1 and not all(len(piece) == 1 or self._is_word(piece) for piece in camel):
                camel = [fold(hyphenated)]
            pieces.extend(camel)
        return [piece for piece in pieces if piece]

    def _is_word(self, piece: str) -> bool:
        return piece in self._units or len(self._split(piece)) > 1

    def _stem_de(self, word: str) -> str:
        """Snowball German, and a second pass for long stems: Snowball removes "-ung" after it removed the
        verb's "-er", so "Digitalisierung" keeps an "er" that "digitalisieren" lost; the second pass removes
        it too (measured in docs/text-analysis.md: it joins -ieren/-ierung and -ern/-erung pairs)."""
        stem: str = self._stemmer_de.stemWord(word)
        if len(stem) >= SECOND_PASS_MIN:
            stem = self._stemmer_de.stemWord(stem)
        return stem

    def _stem_en(self, word: str) -> str | None:
        zipf = self._english.get(word)
        if zipf is None or zipf < self._german.get(word, 0.0):
            return None
        stem: str = self._stemmer_en.stemWord(word)
        return stem

    # -- compounds -----------------------------------------------------------------------------------------
    def _decompose(self, word: str) -> tuple[str, ...]:
        """The parts of a folded word, or the word alone. Lexicalised words stay whole; otherwise the split
        into the fewest parts wins, then the one with the fewest linking letters, then the one of the most
        common parts (Koehn & Knight's frequency criterion). A word the dictionary knows, though rarely, is
        split only into common words: "Haushaltsplan" into "Haushalt" and "Plan", but "Kataster" not into
        "Kate" and "Aster". Parts are such words too, so they are split again by the same rule."""
        rules = self._rules
        if self._german.get(word, 0.0) >= rules.whole_zipf or word in STOP_WORDS or not word.isalpha():
            return (word,)
        min_zipf = rules.whole_zipf if word in self._units else 0.0
        n = len(word)
        if n < 2 * MIN_PART or n > MAX_SPLIT_CHARS:
            return self._prefixed(word)
        # best[i]: the best split of word[i:] as (number of parts, linking letters, -frequency, parts)
        best: list[tuple[int, int, float, tuple[str, ...]] | None] = [None] * (n + 1)
        best[n] = (0, 0, 0.0, ())
        for i in range(n - MIN_PART, -1, -1):
            for j in range(i + MIN_PART, n + 1):
                rest = best[j]
                if rest is None or (i == 0 and j == n):
                    continue
                found = self._final(word[i:]) if j == n else self._modifier(word[i:j])
                if found is None or self._units[found[0]] < min_zipf:
                    continue
                unit, linking = found
                candidate = (rest[0] + 1, rest[1] + linking, rest[2] - self._units[unit], (unit, *rest[3]))
                current = best[i]
                if current is None or candidate[:3] < current[:3]:
                    best[i] = candidate
        split = best[0]
        if split is None:
            return self._prefixed(word)
        return tuple(leaf for part in split[3] for leaf in self._split(part))

    def _prefixed(self, word: str) -> tuple[str, ...]:
        """ "eakte", "xrechnung" typed without a seam: the letter is a prefix, the rest the word."""
        rest = word[1:]
        if word[0] in _PREFIX_LETTERS and len(rest) > MIN_PART and rest in self._units:
            return (word[0], rest)
        return (word,)

    def _final(self, segment: str) -> tuple[str, int] | None:
        """The dictionary word the last segment is: any form the list knows, or a form of an extra word."""
        if segment in self._units:
            return segment, 0
        for ending in _LINKS:  # inflected forms of the network's own words: "Sensoriken"
            base = segment[: -len(ending)]
            if segment.endswith(ending) and base in self._extras:
                return base, 0
        return None

    def _modifier(self, segment: str) -> tuple[str, int] | None:
        """The dictionary word a segment before the last stands for, and how many linking letters it has.
        A linking s is taken off even where the list knows the form with it ("haushalts" -> "haushalt")."""
        for link in ("s", "es"):
            base = segment[: -len(link)]
            if segment.endswith(link) and len(base) >= MIN_PART and base in self._units:
                return base, len(link)
        if segment in self._units:
            return segment, 0
        for link in _LINKS:
            base = segment[: -len(link)]
            if segment.endswith(link) and len(base) >= MIN_PART and base in self._units:
                return base, len(link)
        for ending in _ELIDED:
            if segment + ending in self._units:
                return segment + ending, 1
        return None


@cache
def default_analyzer() -> Analyzer:
    """The analyzer without extra words, built once per process (tests, tools); the bot builds its own from the
    config (`Analyzer(extra_words=...)`) and passes it to `storage.Database`."""
    return Analyzer()


K = TypeVar("K")


class TermIndex(Generic[K]):
    """Entries of a vocabulary (topics, synonyms) looked up by any word related to a query word, so a query
    is not compared with every entry: only with those that share a stem or a compound part with it.

    `entries` are (key, text) pairs; a text may have several words ("digitale Terminvergabe"), and an entry
    is as closely related as its closest word. Function words never relate.
    """

    def __init__(self, analyzer: Analyzer, entries: Iterable[tuple[K, str]]) -> None:
        self._buckets: dict[str, list[tuple[K, Term]]] = {}
        for key, text in entries:
            for term in analyzer.terms(text):
                self.add(key, term)

    def add(self, key: K, term: Term) -> None:
        """File one word already analysed under `key`, e.g. each word of a topic under (topic, position), when a
        caller needs to know which word of an entry is related."""
        if not term.stop:
            for probe in _probes(term):
                self._buckets.setdefault(probe, []).append((key, term))

    def related(self, term: Term, *, at_least: Relation = Relation.SHARED_HEAD) -> dict[K, Relation]:
        """Each entry with a word related to `term` at least as closely as `at_least`, and how closely."""
        found: dict[K, Relation] = {}
        if term.stop:
            return found
        for probe in _probes(term):
            for key, other in self._buckets.get(probe, ()):
                relation = relate(term, other)
                if relation >= at_least and relation > found.get(key, Relation.NONE):
                    found[key] = relation
        return found


def _probes(term: Term) -> set[str]:
    """The stems under which a word is filed and looked up: any two related words share one of them."""
    probes = {term.stem, *(stem for stem in term.part_stems if len(stem) >= MIN_KEY)}
    if term.english_stem is not None:
        probes.add(term.english_stem)
    return probes


def _plain_words(text: str) -> list[str]:
    return [word for run in _WORD_RUN.findall(text) if (word := fold(run))]
