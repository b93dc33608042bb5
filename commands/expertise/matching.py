"""Which profile topics answer a `!werweiss` question, and whom to name first.

Pure functions only: the repository loads topics and people, these decide what counts as a match.
Matching works on folded keys (`storage.text.fold`), so case, umlauts (ä=ae, ß=ss), accents, hyphens and
spaces never matter ("E-Akte" = "eAkte" = "e akte"). Kinds of match, best first:

EXACT    the whole query is the topic.
SYNONYM  the whole query and the topic are in one configured synonym group ("DMS" ~ "eAkte").
PART     German compounds and multi-word questions: "Rechnung" finds "XRechnung" and "Rechnungseingang",
         "Fragen zur XRechnung" finds "XRechnung", "invoice" finds the group of "e-invoice".
FUZZY    small typos: "Sensork" finds "Sensorik", "Datenschtuz" finds "Datenschutz".

Precision matters more than recall: naming the wrong colleague costs more than a "Vielleicht meinst du"
suggestion (`related_topics`). Hence short words only ever match whole words, infixes need six letters,
and an edit only counts as a typo when a person could plausibly have made it (see `_is_typo`).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, LCSseq, Levenshtein

from storage.text import fold

__all__ = [
    "SOURCE_PROFILE",
    "Hit",
    "MatchKind",
    "Person",
    "RankedPerson",
    "Synonyms",
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

MIN_PART = 4
"""A query must have this many letters to match as the start or end of a longer topic (and vice versa)."""
MIN_INFIX = 6
"""A part in the middle of a compound needs more letters: "akte" hides in "Charakter", "recht" in
"Gerechtigkeit", but a six-letter infix ("rechnung" in "Eingangsrechnungsprüfung") is rarely an accident."""
MIN_WORD = 2
"""Shorter queries ("IT", "KI", "EU") match a topic only exactly or as one of its whole words."""
MIN_FUZZY = 5
"""No typo tolerance below this length: one edit turns most short words into other words."""
MIN_FUZZY_AFFIX = 6
"""A typo inside a compound part ("Rechnug" in "XRechnung") needs a longer query than a whole-word typo."""
MAX_QUERY_CHARS = 200
MAX_QUERY_TOKENS = 12
MAX_PHRASE_TOKENS = 3

# Function words and question fillers, folded ("über" = "ueber"). They never match on their own when a
# query is split into words, but stay part of the whole query: "Recht und Datenschutz" is a topic.
_STOP_WORDS_TEXT = """
der die das den dem des ein eine einen einem einer eines und oder zu zur zum mit ueber fuer von vom
im in am an auf bei beim aus nach um wie was wer wen wem wo kennt sich auskennt weiss jemand ich
suche bitte thema themen frage fragen hilfe
the a of about for with on at to or regarding re who knows anyone someone question questions help topic
"""
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_WORD_SPLIT = re.compile(r"[\W_]+")
_QUERY_SPLIT = re.compile(r"[\s,;/|+&]+")
_TOPIC_SEPARATORS = re.compile(r"[,;\n\r]+")
_LIST_MARKER = re.compile(r"^(?:[-*•·–—]+|\d{1,3}[.)])\s+")
_QUOTES = "\"'`„“”‚‘’«»‹›"
_EDGE_PUNCTUATION = ".,;:!?…"
_BRACKETS = {"(": ")", "[": "]", "{": "}"}


class MatchKind(enum.IntEnum):
    """How a topic answers a query; a higher value is a better answer."""

    FUZZY = 1
    PART = 2
    SYNONYM = 3
    EXACT = 4


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


def _words(text: str) -> tuple[str, ...]:
    """Folded words of a label or term, split at spaces, hyphens and other punctuation."""
    return tuple(w for w in (fold(part) for part in _WORD_SPLIT.split(unicodedata.normalize("NFC", text))) if w)


@lru_cache(maxsize=16384)
def _label_words(label: str) -> tuple[str, ...]:
    # Cached because the same vocabulary is matched against every query; the function is pure.
    return _words(label)


class Synonyms:
    """Configured groups of words that mean the same ("eAkte", "elektronische Akte", "DMS").

    Groups that share a word are merged: with ["eAkte", "DMS"] and ["DMS", "Dokumentenmanagement"],
    "eAkte" and "Dokumentenmanagement" are synonyms too. That keeps the relation symmetric and
    transitive, so which member someone types never changes the answer. The price: one overly broad word
    in two groups joins them; config review has to catch that.
    """

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        parent: dict[str, str] = {}

        def root(key: str) -> str:
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        by_word: dict[str, set[str]] = {}
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
                words = _words(term)
                if len(words) > 1:
                    for word in words:
                        if len(word) >= MIN_WORD:
                            by_word.setdefault(word, set()).add(key)
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
        self._terms_by_word = {word: frozenset(keys) for word, keys in by_word.items()}

    @property
    def terms(self) -> frozenset[str]:
        """Every folded term of every group."""
        return frozenset(self._group)

    def related(self, key: str) -> frozenset[str]:
        """Folded keys meaning the same as `key` (which may be a label; it is folded), without `key`."""
        key = topic_key(key)
        return self._group.get(key, frozenset()) - {key}

    def terms_with_word(self, word: str) -> frozenset[str]:
        """Multi-word terms that contain `word` as a whole word: "invoice" -> {"einvoice"}."""
        return self._terms_by_word.get(word, frozenset())

    def __repr__(self) -> str:
        groups = sorted({tuple(sorted(group)) for group in self._group.values()})
        return f"Synonyms({[list(group) for group in groups]!r})"


@dataclass(frozen=True)
class TopicMatch:
    """One known topic that answers the query; `score` in (0, 1] orders matches of the same kind."""

    key: str
    label: str
    kind: MatchKind
    score: float


@dataclass(frozen=True, slots=True)
class _Probe:
    """A folded string looked up in the vocabulary, and the best kind a match through it can earn."""

    key: str
    cap: MatchKind
    weight: float
    parts: bool  # may also be found inside longer topics
    fuzzy: bool  # may also be found with typos
    fuzzy_parts: bool = False  # ... with typos in a word or compound part of a topic


@dataclass(frozen=True, slots=True)
class _Query:
    key: str
    tokens: tuple[str, ...]  # folded, without stop words; "E-Akte" stays one token
    subwords: tuple[str, ...]  # tokens split at hyphens too: "IT-Sicherheit" -> "it", "sicherheit"
    phrases: tuple[str, ...]  # runs of 2-3 consecutive tokens, joined


def _parse_query(query: str) -> _Query | None:
    raw_tokens = [t for t in _QUERY_SPLIT.split(clean_label(query[:MAX_QUERY_CHARS])) if fold(t)]
    # "E Akte" and "X Rechnung" are spellings of one word, not a letter and a word.
    merged: list[str] = []
    for raw in raw_tokens:
        previous = fold(merged[-1]) if merged else ""
        if len(previous) == 1 and previous not in _STOP_WORDS:
            merged[-1] += raw
        else:
            merged.append(raw)
    merged = merged[:MAX_QUERY_TOKENS]
    key = fold("".join(merged))
    if not key:
        return None
    folded = [fold(t) for t in merged]
    content = [t for t in folded if t not in _STOP_WORDS]
    subwords = [w for raw in merged if fold(raw) not in _STOP_WORDS for w in _words(raw) if len(w) >= MIN_WORD]
    phrases: list[str] = []
    for size in range(2, MAX_PHRASE_TOKENS + 1):
        for start in range(len(folded) - size + 1):
            run = folded[start : start + size]
            if run[0] not in _STOP_WORDS and run[-1] not in _STOP_WORDS:
                phrases.append("".join(run))
    return _Query(
        key=key,
        tokens=tuple(dict.fromkeys(content)),
        subwords=tuple(dict.fromkeys(subwords)),
        phrases=tuple(dict.fromkeys(p for p in phrases if p != key)),
    )


def _probes(query: _Query, synonyms: Synonyms) -> list[_Probe]:
    def coverage(key: str) -> float:
        return 0.5 + 0.5 * min(1.0, len(key) / len(query.key))

    # Typos in single words of a longer query are looked for word by word, not across the whole query.
    single_word = query.tokens in ((), (query.key,))
    direct = [_Probe(query.key, MatchKind.EXACT, 1.0, parts=True, fuzzy=True, fuzzy_parts=single_word)]
    for token in query.tokens:
        if token != query.key:
            direct.append(_Probe(token, MatchKind.PART, coverage(token), parts=True, fuzzy=True, fuzzy_parts=True))
    for phrase in query.phrases:
        direct.append(_Probe(phrase, MatchKind.PART, coverage(phrase), parts=True, fuzzy=False))
    for word in query.subwords:
        if word != query.key and word not in query.tokens:
            direct.append(_Probe(word, MatchKind.PART, coverage(word) * 0.9, parts=False, fuzzy=False))

    derived: list[_Probe] = []
    for probe in direct:
        # A synonym of the whole query is SYNONYM, and may itself be part of a longer topic
        # ("DMS" -> "eAkte" -> "eAkte-Einführung" is PART); a synonym of one word of it is PART.
        for key in synonyms.related(probe.key):
            cap = min(probe.cap, MatchKind.SYNONYM)
            weight = probe.weight if cap is MatchKind.SYNONYM else probe.weight * 0.9
            derived.append(_Probe(key, cap, weight, parts=probe.parts, fuzzy=False))
        if probe.cap is MatchKind.EXACT or probe.fuzzy:
            # "invoice" is a word of the synonym "e-invoice": its whole group is a PART answer.
            for term in synonyms.terms_with_word(probe.key):
                for key in synonyms.related(term) | {term}:
                    derived.append(_Probe(key, MatchKind.PART, probe.weight * 0.7, parts=False, fuzzy=False))
    if len(query.key) >= MIN_FUZZY:
        # A typo in a synonym ("XRechnug") finds the whole group, but only by equality: no typo-of-a-part.
        for term in synonyms.terms:
            distance = _typo_distance(query.key, term)
            if distance:
                for key in synonyms.related(term) | {term}:
                    weight = _fuzzy_score(query.key, distance) * 0.9
                    derived.append(_Probe(key, MatchKind.FUZZY, weight, parts=False, fuzzy=False))
    return direct + derived


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


# --- matching ----------------------------------------------------------------------------------------


def _part_position(part: str, whole: str, words: Sequence[str]) -> float:
    """How well `part` fits inside the topic or query `whole` (with folded `words`); 0 if it does not.

    A whole word fits best; the end of a compound is its head ("Rechnung" in "XRechnung" is a kind of
    Rechnung) and fits better than its start ("Rechnungseingang"); the middle fits least.
    """
    if len(part) >= MIN_WORD and part in words:
        return 1.0
    if len(part) < MIN_PART or part == whole:
        return 0.0
    if whole.endswith(part) or any(w.endswith(part) and w != part for w in words):
        return 0.9
    if whole.startswith(part) or any(w.startswith(part) for w in words):
        return 0.8
    if len(part) >= MIN_INFIX and part in whole:
        return 0.6
    return 0.0


class _Best:
    """The best (kind, score) found so far for each topic key."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[MatchKind, float]] = {}

    def kind(self, key: str) -> int:
        found = self.found.get(key)
        return found[0] if found else 0

    def offer(self, key: str, kind: MatchKind, score: float) -> None:
        score = min(score, 1.0)
        current = self.found.get(key)
        if current is None or (kind, score) > current:
            self.found[key] = (kind, score)


def _match_forward_parts(probe: _Probe, keys: Sequence[str], labels: Mapping[str, str], best: _Best) -> None:
    """Topics that contain the probe: "rechnung" in "xrechnung", "ki" as a word of "KI im Bürgerservice"."""
    part = probe.key
    if len(part) < MIN_WORD:
        return
    kind = min(probe.cap, MatchKind.PART)
    for key in [k for k in keys if part in k and k != part]:
        position = _part_position(part, key, _label_words(labels[key]))
        if position:
            coverage = len(part) / len(key)
            best.offer(key, kind, probe.weight * position * (0.5 + 0.5 * coverage))


def _match_backward_parts(query: _Query, labels: Mapping[str, str], best: _Best) -> None:
    """Topics that are part of a query word: "XRechnung" in "XRechnungsportal", "IT" in "IT-Sicherheit"."""
    for token in query.tokens:
        n = len(token)
        candidates: set[str] = set()
        for length in range(MIN_PART, n):
            candidates.add(token[:length])
            candidates.add(token[n - length :])
        for length in range(MIN_INFIX, n - 1):
            candidates.update(token[i : i + length] for i in range(1, n - length))
        for key in candidates & labels.keys():
            position = _part_position(key, token, ())
            if position:
                coverage = 0.5 + 0.5 * len(key) / len(query.key)
                best.offer(key, MatchKind.PART, position * coverage)


def _match_fuzzy(probe: _Probe, keys: Sequence[str], labels: Mapping[str, str], best: _Best) -> None:
    """Typos against whole topics, their words, and (for longer queries) the start or end of compounds."""
    text = probe.key
    allowed = _allowed_edits(len(text))
    if not allowed:
        return
    kind = min(probe.cap, MatchKind.FUZZY)
    for key, _, _ in process.extract(text, keys, scorer=OSA.distance, score_cutoff=allowed, limit=None):
        distance = _typo_distance(text, key)
        if distance:
            best.offer(key, kind, probe.weight * _fuzzy_score(text, distance))
    if not probe.fuzzy_parts:
        return
    # Prefilter in C: each edit costs a typo at most one letter of the longest common subsequence.
    candidates = process.extract(text, keys, scorer=LCSseq.similarity, score_cutoff=len(text) - allowed, limit=None)
    for key, _, _ in candidates:
        if text in key or best.kind(key) > MatchKind.FUZZY:
            continue  # already found as a part, which beats any typo reading
        score = 0.0
        for word in _label_words(labels[key]):
            distance = _typo_distance(text, word) if word != key else 0
            if distance:
                score = max(score, 0.9 * _fuzzy_score(text, distance))
        if len(text) >= MIN_FUZZY_AFFIX:
            for whole in {key, *_label_words(labels[key])}:
                if len(whole) <= len(text):
                    continue
                for window in _affix_windows(whole, len(text)):
                    # Where a compound part ends is unknown, so its last letter must agree too and the
                    # typo be inside: otherwise a sliding window turns "XRechnung" into "rechnunge".
                    same_ends = window != text and window[-1] == text[-1]
                    distance = _typo_distance(text, window) if same_ends else 0
                    if distance:
                        score = max(score, 0.8 * _fuzzy_score(text, distance))
        if score:
            best.offer(key, kind, probe.weight * score)


def _affix_windows(whole: str, length: int) -> Iterator[str]:
    """Start and end of a compound as long as the query or one letter longer (a letter the query lacks)."""
    for size in (length, length + 1):
        if size < len(whole):
            yield whole[:size]
            yield whole[-size:]


def match_topics(
    query: str,
    vocabulary: Iterable[tuple[str, str]],
    synonyms: Synonyms,
    *,
    limit: int | None = None,
) -> list[TopicMatch]:
    """The known topics answering `query`, best first: by kind, then score, then label.

    `vocabulary` holds (key, label) of every distinct topic; each topic appears at most once, with the
    best kind any reading of the query earns it.
    """
    parsed = _parse_query(query)
    if parsed is None:
        return []
    labels: dict[str, str] = {}
    for key, label in vocabulary:
        if key and key not in labels:
            labels[key] = label
    if not labels:
        return []
    keys = list(labels)
    best = _Best()
    for probe in _probes(parsed, synonyms):
        if probe.key in labels:
            best.offer(probe.key, probe.cap, probe.weight)
        if probe.parts:
            _match_forward_parts(probe, keys, labels, best)
        if probe.fuzzy:
            _match_fuzzy(probe, keys, labels, best)
    _match_backward_parts(parsed, labels, best)
    matches = [
        TopicMatch(key, labels[key], kind, max(round(score, 4), 0.0001)) for key, (kind, score) in best.found.items()
    ]
    matches.sort(key=lambda m: (-m.kind, -m.score, m.label.casefold(), m.key))
    return matches if limit is None else matches[:limit]


def related_topics(query: str, vocabulary: Iterable[tuple[str, str]], *, limit: int = 5) -> list[str]:
    """Labels of known topics that look like `query`, for "Vielleicht meinst du: …" when nobody matched.

    Deliberately looser than `match_topics` ("Internet" suggests "Intranet"): the person chooses. Short
    queries are compared as a whole only, or "IT" would suggest every topic containing "it".
    """
    key = topic_key(query[:MAX_QUERY_CHARS])
    if not key or limit <= 0:
        return []
    labels: dict[str, str] = {}
    for topic, label in vocabulary:
        if topic and topic != key and topic not in labels:
            labels[topic] = label
    scorer = fuzz.WRatio if len(key) >= MIN_PART else fuzz.ratio
    found = process.extract(key, list(labels), scorer=scorer, score_cutoff=_RELATED_CUTOFF, limit=None)
    found.sort(key=lambda hit: (-hit[1], abs(len(hit[0]) - len(key)), labels[hit[0]].casefold()))
    return [labels[topic] for topic, _, _ in found[:limit]]


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
