"""Which profile topics answer a `!werweiss` question, and whom to name first.

A question and every known topic are read by the one German analysis (`storage.analysis`: fold → words →
compound parts → stems), so case, umlauts (ä = ae, ß = ss), hyphens, spaces and word forms don't matter
("E-Akte" = "eAkte" = "e akte"). Kinds of match, best first; the reply names the reason of each (`Reason`):

EXACT    the same words once folded; a question's fillers don't count ("Fragen zur XRechnung" is "XRechnung").
SYNONYM  the question, or a form of it, is in one configured synonym group with the topic ("DMS" ~ "eAkte").
STEM     the same words in another form: "Verträge" ~ "Vertrag", "digitalisieren" ~ "Digitalisierung".
PART     a compound part ("Rechnung" ~ "XRechnung", "Rechnungseingang"; "Papierrechnung" ~ "Rechnung"), or a
         word of a longer topic or question ("Intranet" ~ "Social Intranet", "KI" ~ "KI im Bürgerservice").
FUZZY    a typo: "Sensork" ~ "Sensorik". Two real words are never typos of each other ("Kasse"/"Klasse").

Precision matters more than recall: naming the wrong colleague costs more than a "Vielleicht hilft" suggestion
(`related_topics`). Hence:
- A question is answered as a whole. Only when no topic answers all of its words are parts of it looked up, the
  longest first ("Fragen zu XRechnung und eAkte"), and never an adjective alone ("elektronische").
- A synonym group is reached only by the whole question or a form of it: neither "elektronische" nor "Akte"
  reaches the group of "elektronische Akte". A synonym then leads to the topics that contain it, never to more
  general ones ("DMS" finds "eAkte-Einführung" through "eAkte", but not "Management" through
  "Dokumentenmanagement").
- Two compounds of the same kind ("Haushaltsplan" and "Projektplan", `Relation.SHARED_HEAD`) are no answer,
  only a suggestion.
- The analysis keeps lexicalised words whole, so "Haus" finds no "Haushalt" (the budget) and "Recht" no
  "Rechnung" (docs/text-analysis.md).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from storage.analysis import STOP_WORDS, Analyzer, Relation, Term, TermIndex, relate
from storage.text import fold

__all__ = [
    "SOURCE_PROFILE",
    "Hit",
    "MatchKind",
    "Person",
    "RankedPerson",
    "Reason",
    "Synonyms",
    "TopicIndex",
    "TopicMatch",
    "clean_label",
    "match_topics",
    "rank_people",
    "related_topics",
    "split_topics",
    "topic_key",
]

SOURCE_PROFILE = "profile"
"""`Hit.source` of a topic the person entered; other sources ("decision", "substitution") are derived."""

MIN_SUGGEST = 4
"""Shorter queries are compared with suggestions as a whole only ("IT" would resemble every topic with "it")."""
MIN_FUZZY = 5
"""No typo tolerance below this length: one edit turns most short words into other words."""
MIN_FUZZY_PART = 6
"""A typo inside a compound part ("Rechnug" for the "Rechnung" of "XRechnung") needs a longer word."""
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12

_QUESTION_WORDS_TEXT = """
kennt sich auskennt weiss jemand ich suche bitte thema themen frage fragen hilfe
regarding re who knows anyone someone question questions help topic
"""
QUESTION_WORDS = frozenset(_QUESTION_WORDS_TEXT.split())
"""Fillers of a question, beside the function words of the analysis (`storage.analysis.STOP_WORDS`, folded):
they never match on their own. Topics keep them: someone may know "Hilfe zur Pflege"."""

_ADJECTIVE_ENDINGS = ("e", "en", "er", "es", "em")
_TOPIC_SEPARATORS = re.compile(r"[,;\n\r]+")
_LIST_MARKER = re.compile(r"^(?:[-*•·–—]+|\d{1,3}[.)])\s+")
_LONE_LETTER = re.compile(r"(?<![^\W_])([^\W\d_])\s+(?=[^\W\d_]{2})")
_QUOTES = "\"'`„“”‚‘’«»‹›"
_EDGE_PUNCTUATION = ".,;:!?…"
_BRACKETS = {"(": ")", "[": "]", "{": "}"}


class MatchKind(enum.IntEnum):
    """How well a topic answers a query; a higher value is a better answer."""

    FUZZY = 1
    PART = 2
    STEM = 3
    SYNONYM = 4
    EXACT = 5


class Reason(enum.StrEnum):
    """Why a topic answers a query, as the reply explains it (`who.kind.<value>`); each belongs to one kind."""

    EXACT = "exact"
    SYNONYM = "synonym"
    """The question is a synonym of the topic, or of a form of it ("DMS" ~ "eAkte", "E-Akten")."""
    STEM = "stem"
    """Another form of the same words ("Verträge" ~ "Vertrag")."""
    COMPOUND = "compound"
    """A part of a compound ("Rechnung" ~ "XRechnung", "Papierrechnung" ~ "Rechnung")."""
    WORD = "part"
    """A word of a longer topic or question ("Intranet" ~ "Social Intranet")."""
    SYNONYM_PART = "synonym_part"
    """A topic containing a synonym of the question ("DMS" ~ "eAkte-Einführung")."""
    FUZZY = "fuzzy"

    @property
    def kind(self) -> MatchKind:
        return _KIND_OF[self]


_KIND_OF = {
    Reason.EXACT: MatchKind.EXACT,
    Reason.SYNONYM: MatchKind.SYNONYM,
    Reason.STEM: MatchKind.STEM,
    Reason.COMPOUND: MatchKind.PART,
    Reason.WORD: MatchKind.PART,
    Reason.SYNONYM_PART: MatchKind.PART,
    Reason.FUZZY: MatchKind.FUZZY,
}


def topic_key(label: str) -> str:
    """The stored comparison key of a topic label: "E-Akte", "eAkte" and "e akte" share "eakte"."""
    return fold(label)


def clean_label(text: str) -> str:
    """A topic as the person meant to enter it: list markers, quotes and trailing punctuation go.

    The spelling stays the person's own ("eAkte" is not turned into "E-Akte"); "C++" and "C#" keep their
    signs because only quotes, sentence punctuation and brackets around the whole label are removed.
    """
    label = " ".join(unicodedata.normalize("NFC", text).split())
    label = _LIST_MARKER.sub("", label)
    while True:
        before = label
        label = label.strip(_QUOTES + " ").rstrip(_EDGE_PUNCTUATION + " ")
        if len(label) >= 2 and _BRACKETS.get(label[0]) == label[-1]:
            inner = label[1:-1]
            if label[0] not in inner and label[-1] not in inner:
                label = inner.strip()
        if label == before:
            return label


def split_topics(text: str) -> list[str]:
    """The topics of one profile entry such as "eAkte, XRechnung; DMS" in the order they were written.

    Only commas, semicolons and line breaks separate topics. " und " and "/" do not: "Recht und
    Datenschutz" is one project group, and "An-/Abmeldung" or "TCP/IP" are one topic each.
    """
    topics: list[str] = []
    seen: set[str] = set()
    for part in _TOPIC_SEPARATORS.split(text):
        label = clean_label(part)
        key = topic_key(label)
        if key and key not in seen:
            seen.add(key)
            topics.append(label)
    return topics


class Synonyms:
    """Configured groups of words that mean the same ("eAkte", "elektronische Akte", "DMS").

    Groups that share a word are merged: with ["eAkte", "DMS"] and ["DMS", "Dokumentenmanagement"],
    "eAkte" and "Dokumentenmanagement" are synonyms too. That keeps the relation symmetric and
    transitive, so which member someone types never changes the answer. The price: one overly broad word
    in two groups joins them; config review has to catch that. Equal groups make equal `Synonyms`, so an
    index built for one configuration serves every command with it.
    """

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        parent: dict[str, str] = {}
        spellings: dict[str, str] = {}

        def root(key: str) -> str:
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        for group in groups:
            if isinstance(group, str):
                raise TypeError(f"a synonym group must be a list of words, not the string {group!r}")
            keys: list[str] = []
            for term in group:
                key = topic_key(term)
                if not key:
                    continue
                keys.append(key)
                parent.setdefault(key, key)
                spellings.setdefault(key, " ".join(term.split()))
            for key in keys[1:]:
                parent[root(key)] = root(keys[0])
        members: dict[str, set[str]] = {}
        for key in parent:
            members.setdefault(root(key), set()).add(key)
        self._group: dict[str, frozenset[str]] = {}
        for group_keys in members.values():
            frozen = frozenset(group_keys)
            for key in group_keys:
                self._group[key] = frozen
        self._spellings = spellings
        self._identity = frozenset(self._group.values())

    @property
    def terms(self) -> frozenset[str]:
        """Every folded term of every group."""
        return frozenset(self._group)

    def spelling(self, key: str) -> str:
        """A term as first configured ("elektronische Akte" for "elektronischeakte"): the analysis needs its words."""
        return self._spellings[key]

    def related(self, key: str) -> frozenset[str]:
        """Folded keys meaning the same as `key` (which may be a label; it is folded), without `key`."""
        key = topic_key(key)
        return self._group.get(key, frozenset()) - {key}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Synonyms) and self._identity == other._identity

    def __hash__(self) -> int:
        return hash(self._identity)

    def __repr__(self) -> str:
        groups = sorted({tuple(sorted(group)) for group in self._group.values()})
        return f"Synonyms({[list(group) for group in groups]!r})"


@dataclass(frozen=True)
class TopicMatch:
    """One known topic that answers the query; `score` in (0, 1] orders matches of the same kind."""

    key: str
    label: str
    reason: Reason
    score: float

    @property
    def kind(self) -> MatchKind:
        return self.reason.kind


# --- typos -------------------------------------------------------------------------------------------

_KEYBOARD_ROWS = ("1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm")
_PHONETIC = ("bp", "dt", "gk", "ck", "cz", "fv", "vw", "sz", "iy", "xk")


def _neighbour_pairs() -> frozenset[frozenset[str]]:
    pairs: set[frozenset[str]] = {frozenset(pair) for pair in _PHONETIC}
    for r, row in enumerate(_KEYBOARD_ROWS):
        for c, char in enumerate(row):
            around = [(r, c + 1), (r + 1, c - 1), (r + 1, c)]  # the other directions are added mirrored
            for rr, cc in around:
                if 0 <= rr < len(_KEYBOARD_ROWS) and 0 <= cc < len(_KEYBOARD_ROWS[rr]):
                    pairs.add(frozenset((char, _KEYBOARD_ROWS[rr][cc])))
    return frozenset(pairs)


_PLAUSIBLE_SUBSTITUTIONS = _neighbour_pairs()


def _allowed_edits(length: int) -> int:
    if length < MIN_FUZZY:
        return 0
    return 1 if length <= 8 else 2


def _is_typo(a: str, b: str, distance: int) -> bool:
    """Whether `distance` edits between two different words look like a slip, not another word.

    "Sensoren"/"Senioren" or "Daten"/"Datei" differ by one letter, yet no finger slips from s to i: a
    replaced letter must be a QWERTZ neighbour or a sound-alike (d/t, c/k). Rewriting a whole stretch
    ("intra"/"inter", two edits in two letters) is a different word too. Swapped, missing and extra
    letters are always plausible.
    """
    start = 0
    shortest = min(len(a), len(b))
    while start < shortest and a[start] == b[start]:
        start += 1
    end = 0
    while end < shortest - start and a[-1 - end] == b[-1 - end]:
        end += 1
    core_a, core_b = a[start : len(a) - end], b[start : len(b) - end]
    if distance >= 2 and distance >= max(len(core_a), len(core_b)):
        return False
    ops = Levenshtein.editops(core_a, core_b)
    replaced = [(op.src_pos, op.dest_pos) for op in ops if op.tag == "replace"]
    positions = {src for src, _ in replaced}
    for src, dest in replaced:
        swapped_next = (
            src + 1 in positions
            and dest + 1 < len(core_b)
            and core_a[src] == core_b[dest + 1]
            and core_a[src + 1] == core_b[dest]
        )
        swapped_prev = (
            src - 1 in positions and dest >= 1 and core_a[src] == core_b[dest - 1] and core_a[src - 1] == core_b[dest]
        )
        if (
            not (swapped_next or swapped_prev)
            and frozenset((core_a[src], core_b[dest])) not in _PLAUSIBLE_SUBSTITUTIONS
        ):
            return False
    return True


def _typo_distance(a: str, b: str) -> int:
    """Edits (1 or 2) if `a` is a plausible typo of `b`; 0 if they are equal or unrelated.

    The first letter must agree: people rarely mistype it, and an extra or different first letter is
    usually another word or compound ("XRechnung" is not a typo of "Rechnung", "Karten" not of "Garten").
    """
    allowed = _allowed_edits(min(len(a), len(b)))
    if not allowed or a == b or a[0] != b[0]:
        return 0
    distance = OSA.distance(a, b, score_cutoff=allowed)
    if distance > allowed or not _is_typo(a, b, distance):
        return 0
    return distance


def _fuzzy_score(key: str, distance: int) -> float:
    return 1.0 - distance / (len(key) + 1)


# --- the vocabulary, analysed -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """A topic, a synonym or a question, analysed."""

    key: str
    label: str
    terms: tuple[Term, ...]
    """Its content words, in order: no function words, and for a question no fillers."""
    content: str
    """Their folded words joined: what it says without the function words ("rechtdatenschutz")."""
    modifiers: frozenset[int]
    """Positions of adjectives before another word ("elektronische" of "elektronische Akte"): never an answer on
    their own."""


@dataclass(frozen=True, slots=True)
class _WordHit:
    """How one word of a query relates to one word of a topic."""

    kind: MatchKind  # EXACT, STEM, PART or FUZZY
    weight: float
    compound: bool  # through a compound part
    wider: bool = False  # the query word contains the topic word ("Papierrechnung" and "Rechnung")


@dataclass(frozen=True, slots=True)
class _Found:
    reason: Reason
    score: float

    def beats(self, other: _Found | None) -> bool:
        return other is None or (self.reason.kind, self.score) > (other.reason.kind, other.score)


_Hits = dict[int, dict[int, _WordHit]]
"""Per topic (its index), per word position: how one word of the query relates to that word."""

_WORD_LEVEL = {
    Relation.EXACT: (MatchKind.EXACT, 1.0),
    Relation.STEM: (MatchKind.STEM, 0.95),
    Relation.HEAD: (MatchKind.PART, 0.9),  # "Rechnung" in "XRechnung": a kind of it, the closer part
    Relation.PART: (MatchKind.PART, 0.8),  # "Rechnung" in "Rechnungseingang"
}
_PART_TYPO = 0.8
"""A typo of a compound part is less likely meant than a typo of a whole word."""
_SYNONYM_WEIGHT = 0.9


class TopicIndex:
    """Every known topic and the synonym groups, analysed once, for `match_topics`.

    Built per vocabulary version (`ProfileRepository.vocabulary_index`): analysing 2,000 topics takes tens of
    milliseconds, a question against the index well under one. Words are looked up through a `TermIndex` (no
    scan over the topics); typos through rapidfuzz over the distinct spellings.
    """

    def __init__(self, analyzer: Analyzer, vocabulary: Iterable[tuple[str, str]], synonyms: Synonyms) -> None:
        self.analyzer = analyzer
        self.synonyms = synonyms
        self.topics: list[_Entry] = []
        self._by_key: dict[str, int] = {}
        self._by_content: dict[str, list[int]] = {}
        self._words: TermIndex[tuple[int, int]] = TermIndex(analyzer, ())
        self._spellings: dict[str, list[tuple[int, int, bool]]] = {}  # word or part -> (topic, position, is part)
        odd: set[str] = set()
        for key, label in vocabulary:
            if not key or key in self._by_key:
                continue
            topic = self._entry(key, label, fillers=True)
            number = len(self.topics)
            self.topics.append(topic)
            self._by_key[key] = number
            if topic.content:  # not a topic of function words only
                self._by_content.setdefault(topic.content, []).append(number)
            for position, term in enumerate(topic.terms):
                self._words.add((number, position), term)
                self._spellings.setdefault(term.word, []).append((number, position, False))
                if not self._is_word(term):
                    odd.add(term.word)
                for part in term.parts:
                    if len(part) >= MIN_FUZZY_PART and part != term.word:
                        self._spellings.setdefault(part, []).append((number, position, True))
                        if not analyzer.knows(part):
                            odd.add(part)
        self._all_spellings = list(self._spellings)
        self._odd_spellings = sorted(odd)
        """Spellings that are no real word (misspelled topics): the only ones a real word may be a typo of."""
        self._members = {key: self._entry(key, synonyms.spelling(key), fillers=True) for key in synonyms.terms}
        self._containing: dict[str, dict[int, _Found]] = {}

    @property
    def vocabulary(self) -> list[tuple[str, str]]:
        return [(topic.key, topic.label) for topic in self.topics]

    def _entry(self, key: str, text: str, *, fillers: bool) -> _Entry:
        terms = [term for term in self.analyzer.terms(text) if not term.stop]
        if not fillers:
            terms = [term for term in terms if term.word not in QUESTION_WORDS] or terms
        unique = tuple({term.word: term for term in terms}.values())[:MAX_QUERY_WORDS]
        modifiers = frozenset(i for i in range(len(unique) - 1) if self._is_adjective(unique[i]))
        return _Entry(key, text, unique, "".join(term.word for term in unique), modifiers)

    def _is_adjective(self, term: Term) -> bool:
        """An inflected adjective: "elektronische", "digitalen" (whose base the dictionary knows), not a compound."""
        return not term.parts and any(
            term.word.endswith(ending) and len(base := term.word[: -len(ending)]) >= 3 and self.analyzer.knows(base)
            for ending in _ADJECTIVE_ENDINGS
        )

    def _is_word(self, term: Term) -> bool:
        """A real word: in the dictionary, or a compound of real words ("Stadtrad" is no typo of "Stadtrat")."""
        if self.analyzer.knows(term.word):
            return True
        return bool(term.parts) and all(len(part) == 1 or self.analyzer.knows(part) for part in term.parts)

    # -- one question ---------------------------------------------------------------------------------------
    def match(self, query: str) -> dict[int, _Found]:
        """The topics answering `query` (by their index), each with its best reason."""
        text = clean_label(query[:MAX_QUERY_CHARS])
        # "E Akte" and "X Rechnung" are spellings of one word, not a letter and a word.
        text = _LONE_LETTER.sub(lambda m: m[1] + ("-" if fold(m[1]) not in STOP_WORDS else " "), text)
        key = fold(text)
        if not key:
            return {}
        question = self._entry(key, text, fillers=False)
        found: dict[int, _Found] = {}
        for number in [self._by_key.get(key), *self._by_content.get(question.content, ())]:
            if number is not None:
                _offer(found, number, _Found(Reason.EXACT, 1.0))
        if not question.terms:  # function words only: the very same topic at most
            return found
        hits = [self._word_hits(term) for term in question.terms]
        for number, answer in self._covering(question.terms, hits).items():
            _offer(found, number, answer)
        for number, answer in self._through_synonyms(question.terms, key, weight=1.0, partial=False).items():
            _offer(found, number, answer)
        if found or len(question.terms) == 1:
            return found
        # Nothing answers the whole question: its longest parts that something answers, each as a part.
        size = len(question.terms)
        for length in range(size - 1, 0, -1):
            for start in range(size - length + 1):
                if length == 1 and start in question.modifiers:
                    continue  # "elektronische" of "elektronische Signatur" is not a question
                run = question.terms[start : start + length]
                run_hits = hits[start : start + length]
                weight = length / size
                content = "".join(term.word for term in run)
                for number in self._by_content.get(content, ()):
                    _offer(found, number, _Found(Reason.WORD, weight))
                for number, answer in self._covering(run, run_hits).items():
                    _offer(found, number, _as_part(answer, weight))
                for number, answer in self._through_synonyms(run, None, weight=weight, partial=True).items():
                    _offer(found, number, answer)
            if found:
                return found
        return found

    def _word_hits(self, term: Term, *, typos: bool = True, contained: bool = False) -> _Hits:
        """The topic words related to one word of a query. `contained`: only topic words that are or contain it,
        not its parts (a synonym leads to "eAkte-Einführung", not to "Management")."""
        hits: _Hits = {}
        for (number, position), relation in self._words.related(term, at_least=Relation.PART).items():
            compound = relation <= Relation.HEAD
            # One word is a part of the other: the one with more parts contains the other.
            wider = compound and len(self.topics[number].terms[position].parts) < len(term.parts)
            if contained and wider:
                continue
            kind, weight = _WORD_LEVEL[relation]
            hits.setdefault(number, {})[position] = _WordHit(kind, weight, compound, wider)
        if typos:
            for (number, position), weight in self._typos(term).items():
                hits.setdefault(number, {}).setdefault(position, _WordHit(MatchKind.FUZZY, weight, compound=False))
        return hits

    def _covering(self, run: Sequence[Term], hits: Sequence[_Hits]) -> dict[int, _Found]:
        """Topics that answer every word of `run`.

        A topic answers only through a word that says what it is about: not through its adjective alone
        ("sichere Backup" is no answer to "IT-Sicherheit"). And a topic that is only a part of a word of the run
        must lie wholly inside the run: "Papierrechnung" finds "Rechnung", but "Cloud-Migration" does not find
        "Cloud Beratung", which is about something else as well."""
        answers: dict[int, _Found] = {}
        candidates = set(hits[0]).intersection(*hits[1:]) if hits else set()
        content = sum(len(term.word) for term in run)
        for number in candidates:
            topic = self.topics[number]
            best = [max(word_hits[number].values(), key=lambda hit: (hit.kind, hit.weight)) for word_hits in hits]
            met = {position for word_hits in hits for position in word_hits[number]}
            if met <= topic.modifiers or (any(hit.wider for hit in best) and len(met) < len(topic.terms)):
                continue
            # Topic words met by a word of the run in the same or another form.
            same = {p for word_hits in hits for p, hit in word_hits[number].items() if hit.kind >= MatchKind.STEM}
            answers[number] = _judge(best, same, len(run), topic, content)
        return answers

    def _through_synonyms(
        self, run: Sequence[Term], whole_key: str | None, *, weight: float, partial: bool
    ) -> dict[int, _Found]:
        """Topics containing a synonym of `run` taken as a whole (or of a typo of it, for a whole question)."""
        answers: dict[int, _Found] = {}
        content = "".join(term.word for term in run)
        for key, member in self._members.items():
            if key == whole_key or member.content == content or _same_words(run, member.terms):
                typo = 0.0
            elif (
                not partial
                and len(content) >= MIN_FUZZY
                and not all(self._is_word(term) for term in run)  # two real words are no typos of each other
                and (distance := _typo_distance(content, member.content))
            ):
                typo = _fuzzy_score(content, distance)
            else:
                continue
            for other in self.synonyms.related(key):
                for number, found in self._containing_member(other).items():
                    if typo:
                        answer = _Found(Reason.FUZZY, typo * found.score * _SYNONYM_WEIGHT)
                    elif found.reason.kind >= MatchKind.STEM and not partial:
                        answer = _Found(Reason.SYNONYM, found.score)
                    else:
                        answer = _Found(Reason.SYNONYM_PART, found.score * weight * _SYNONYM_WEIGHT)
                    _offer(answers, number, answer)
        return answers

    def _containing_member(self, key: str) -> dict[int, _Found]:
        """Topics that are, or contain, the synonym `key` (exact or in another form); computed once per index."""
        known = self._containing.get(key)
        if known is None:
            member = self._members[key]
            hits = [self._word_hits(term, typos=False, contained=True) for term in member.terms]
            known = self._covering(member.terms, hits)
            for number in self._by_content.get(member.content, ()):
                known[number] = _Found(Reason.EXACT, 1.0)
            self._containing[key] = known
        return known

    def _typos(self, term: Term) -> dict[tuple[int, int], float]:
        """Topic words (and long compound parts) that `term` is a plausible typo of, or that are typos of it."""
        word = term.word
        allowed = _allowed_edits(len(word))
        if not allowed:
            return {}
        real = word in self._spellings or self._is_word(term)
        pool = self._odd_spellings if real else self._all_spellings
        found: dict[tuple[int, int], float] = {}
        for spelling, _, _ in process.extract(word, pool, scorer=OSA.distance, score_cutoff=allowed, limit=None):
            distance = _typo_distance(word, spelling)
            if not distance:
                continue
            for number, position, is_part in self._spellings[spelling]:
                if is_part and len(word) < MIN_FUZZY_PART:
                    continue
                weight = _fuzzy_score(word, distance) * (_PART_TYPO if is_part else 1.0)
                if weight > found.get((number, position), 0.0):
                    found[(number, position)] = weight
        return found

    def shared_heads(self, query: str) -> list[str]:
        """Labels of topics of the same kind as a word of `query` ("XRechnung" for "Papierrechnung"): suggestions,
        not answers."""
        labels: dict[str, None] = {}
        for term in self.analyzer.terms(query[:MAX_QUERY_CHARS]):
            for (number, _), relation in self._words.related(term).items():
                if relation is Relation.SHARED_HEAD:
                    labels[self.topics[number].label] = None
        return list(labels)


def _same_words(run: Sequence[Term], terms: Sequence[Term]) -> bool:
    """The same words in the same order, each in the same or another form ("elektronischen Akten")."""
    return len(run) == len(terms) and all(relate(a, b) >= Relation.STEM for a, b in zip(run, terms, strict=True))


def _judge(best: Sequence[_WordHit], same_words: set[int], size: int, topic: _Entry, content: int) -> _Found:
    """The reason and score of a topic answering each of `size` query words (`best`: each one's closest hit)."""
    kind = min(hit.kind for hit in best)
    if kind >= MatchKind.STEM and size == len(topic.terms) and len(same_words) == len(topic.terms):
        return _Found(Reason.EXACT if kind is MatchKind.EXACT else Reason.STEM, 1.0)
    # A topic with much more than the question asked for is a less likely answer.
    specific = 0.5 + 0.5 * min(1.0, content / max(1, len(topic.content)))
    score = specific * sum(hit.weight for hit in best) / len(best)
    if kind is MatchKind.FUZZY:
        return _Found(Reason.FUZZY, score)
    return _Found(Reason.COMPOUND if any(hit.compound for hit in best) else Reason.WORD, score)


def _as_part(found: _Found, weight: float) -> _Found:
    """An answer to part of the question is at best a PART answer."""
    reason = found.reason if found.reason.kind <= MatchKind.PART else Reason.WORD
    return _Found(reason, found.score * weight)


def _offer(answers: dict[int, _Found], number: int, found: _Found) -> None:
    if found.beats(answers.get(number)):
        answers[number] = _Found(found.reason, max(0.0001, min(1.0, round(found.score, 4))))


def match_topics(query: str, index: TopicIndex, *, limit: int | None = None) -> list[TopicMatch]:
    """The known topics answering `query`, best first: by kind, then score, then label; each topic once, with
    the best reason any reading of the query earns it."""
    matches = [
        TopicMatch(index.topics[number].key, index.topics[number].label, found.reason, found.score)
        for number, found in index.match(query).items()
    ]
    matches.sort(key=lambda m: (-m.kind, -m.score, m.label.casefold(), m.key))
    return matches if limit is None else matches[:limit]


def related_topics(query: str, index: TopicIndex, *, limit: int = 5) -> list[str]:
    """Labels of known topics for "Vielleicht hilft: …" when nobody matched, the closest first.

    Deliberately looser than `match_topics`: topics of the same kind ("XRechnung" for "Papierrechnung"), then
    spellings that look alike ("Internet" suggests "Intranet"); the person chooses. Short queries are compared
    as a whole only, or "IT" would suggest every topic containing "it".
    """
    key = topic_key(query[:MAX_QUERY_CHARS])
    if not key or limit <= 0:
        return []
    labels: dict[str, str] = {topic.key: topic.label for topic in index.topics if topic.key != key}
    scorer = fuzz.WRatio if len(key) >= MIN_SUGGEST else fuzz.ratio
    found = process.extract(key, list(labels), scorer=scorer, score_cutoff=_RELATED_CUTOFF, limit=None)
    found.sort(key=lambda hit: (-hit[1], abs(len(hit[0]) - len(key)), labels[hit[0]].casefold()))
    suggestions = dict.fromkeys(label for label in index.shared_heads(query) if topic_key(label) != key)
    suggestions.update(dict.fromkeys(labels[topic] for topic, _, _ in found))
    return list(suggestions)[:limit]


_RELATED_CUTOFF = 75.0


# --- people ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """What ranking needs to know about a colleague."""

    user_id: str
    display_name: str | None
    city: str | None
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    """A matching topic of one person, and where we know it from.

    `source` is SOURCE_PROFILE for topics the person entered; anything else ("decision", "substitution")
    is knowledge derived from their activity and is marked as such in replies.
    """

    topic: TopicMatch
    source: str

    @property
    def from_profile(self) -> bool:
        return self.source == SOURCE_PROFILE


@dataclass(frozen=True)
class RankedPerson:
    person: Person
    hits: tuple[Hit, ...]

    def __post_init__(self) -> None:
        if not self.hits:
            raise ValueError(f"{self.person.user_id} has no matching topic")

    @property
    def best_kind(self) -> MatchKind:
        return max(hit.topic.kind for hit in self.hits)


def _hit_order(hit: Hit) -> tuple[int, bool, float, str, str, str]:
    return (
        -hit.topic.kind,
        not hit.from_profile,
        -hit.topic.score,
        hit.topic.label.casefold(),
        hit.topic.key,
        hit.source,
    )


def _person_order(ranked: RankedPerson) -> tuple[int, bool, int, float, str]:
    kind = ranked.best_kind
    at_best = [hit for hit in ranked.hits if hit.topic.kind == kind]
    return (
        -kind,
        not any(hit.from_profile for hit in at_best),
        -len({hit.topic.key for hit in ranked.hits}),
        -max(hit.topic.score for hit in at_best),
        ranked.person.user_id,
    )


def rank_people(hits_by_user: Mapping[str, Sequence[Hit]], people: Mapping[str, Person]) -> list[RankedPerson]:
    """Whom to name first for a question, given each person's matching topics.

    Best kind of match first; at the same kind someone who entered the topic beats someone who only
    decided or substituted on it; then whoever matches more distinct topics; then the closer match; then
    the user id, so the order is stable. (Not the display name: the database ranks thousands of holders
    of a popular topic the same way, and sorting them all by name would cost more than the whole rest.)
    Users without a `Person` (left the network) are skipped.
    """
    ranked = [
        RankedPerson(people[user_id], tuple(sorted(dict.fromkeys(hits), key=_hit_order)))
        for user_id, hits in hits_by_user.items()
        if hits and user_id in people
    ]
    ranked.sort(key=_person_order)
    return ranked
