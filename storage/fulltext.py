"""Full-text search of the decision log, shared by both backends: what the index holds (`index_text`), what a
search looks for (`search_terms`), the query for SQLite FTS5 (`fts5_match`) and for PostgreSQL
(`to_tsquery('simple', pg_tsquery(terms))`), and how well a hit matches (`hit_kind`, `rank`).

Both sides go through the one analysis of `storage.analysis` (fold → words → compound parts → stems), so the
decision log understands the same German as who-knows. A search word finds
- the same word, however it is spelled ("Beschlüsse" / "beschluesse", "E-Rechnung" / "eRechnung"),
- its other forms: the same Snowball stem ("Verträge" / "Vertrag", "digitalisieren" / "Digitalisierung"),
- the compounds it is a part of, closed ones too ("Rechnung" finds "Papierrechnung", "XRechnung" and
  "Rechnungseingang"; "Akte" finds "eAkten-Einführung"),
- as typed, the start of longer words, from `MIN_PREFIX` letters on ("Digi" finds "Digitalisierung"; "Haus"
  finds "Haushalt" this way, ranked after real "Haus" hits). A shorter word ("IT", "KI") is matched as a whole
  word only: as a word start it would find half the log.
A look-alike with another stem is not found: "Recht" does not find "Rechnung".

Every search word is required; function words ("für", "the") and words that only say what is searched for
("Beschlüsse", "Entscheidung", "decisions") are left out unless nothing else is left. The query language is plain
`[0-9a-z]` tokens (what `storage.text.fold` leaves), each quoted, so nothing a user types can become an operator.

The index text has three sections, "words | stems | parts" (the tokenizers of both backends skip "|"): the
folded words, their stems, and their compound parts with the parts' stems. The full-text index sees one bag of
tokens; `rank` reads the sections again to order hits: the word itself before another form of it, before a
compound part, before a word start. Stored index texts must be rebuilt when `INDEX_VERSION` or the analyzer's
fingerprint changes (`storage.decisions.DecisionRepository.rebuild_index_if_stale`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence

from storage.analysis import MIN_KEY, Analyzer, Term

MAX_TERMS = 12
"""Words a full-text query holds at most (a hyphenated or closed compound is one word)."""
INDEX_VERSION = 2
"""Bumped whenever `index_text` changes its format (the analysis itself is covered by the fingerprint)."""
MAX_TERM_CHARS = 64
"""Longer tokens are cut, in the index and in queries alike: PostgreSQL refuses long words, and a cut token still
matches the same cut token."""
MIN_PREFIX = 3
"""A search word this long (folded) also finds the words it begins. SQLite's FTS5 table keeps an index of
3-letter prefixes (migration 0013), so the shortest expansion is one lookup."""
SECTIONS = " | "
"""Between the sections of an index text; the tokenizers skip it."""

_TOKEN = re.compile(r"[0-9a-z]+")
_META_STEMS = frozenset({"beschluss", "beschloss", "entscheid", "decis", "decid"})
"""Stems (German or English) of words that say what a `!beschluesse` search is for, not what it is about:
"Beschlüsse zur Akte" means decisions about files, and no decision needs the word "Beschluss" to be found."""


class HitKind(enum.IntEnum):
    """How a decision matched one search word; a lower value is a better match."""

    WORD = 0
    """The word itself: "Rechnung" in "Die Rechnung …"."""
    FORM = 1
    """Another form of it (same stem): "Rechnungen", "Vertrag" for "Verträge"."""
    PART = 2
    """A part of a compound: "Rechnung" in "Papierrechnung", "XRechnung", "Rechnungseingang"."""
    START = 3
    """Only the start of a longer word: "Haus" in "Haushalt", "Digi" in "Digitalisierung"."""


def _cut(token: str) -> str:
    return token[:MAX_TERM_CHARS]


def index_text(analyzer: Analyzer, text: str) -> str:
    """What the full-text index is built from: "words | stems | parts", each token once, in the first section it
    belongs to (a stem that is also a word of the text is with the words, and so on: `hit_kind` reads them so).

    "Die Papierrechnungen" -> "die papierrechnungen | papierrechn | papier rechnungen papi rechnung". English
    stems of common English words go with the stems; single letters are no parts ("E" of "E-Akte")."""
    words: dict[str, None] = {}
    stems: dict[str, None] = {}
    parts: dict[str, None] = {}
    for term in analyzer.terms(text):
        words[_cut(term.word)] = None
        stems[_cut(term.stem)] = None
        if term.english_stem is not None:
            stems[_cut(term.english_stem)] = None
        for part in (*term.parts, *term.part_stems, *_tails(term)):
            if len(part) >= MIN_KEY:
                parts[_cut(part)] = None
    stems = {stem: None for stem in stems if stem not in words}
    parts = {part: None for part in parts if part not in words and part not in stems}
    return SECTIONS.join(" ".join(section) for section in (words, stems, parts))


def _tails(term: Term) -> list[str]:
    """The compound's later parts joined, so a shorter compound finds a longer one it ends or begins a tail of:
    "Bürgerservice" and "Serviceportal" find "Online-Bürger-Service-Portal" (as "buergerserviceportal")."""
    return ["".join(term.parts[start:]) for start in range(1, len(term.parts) - 1)]


def search_terms(analyzer: Analyzer, words: Iterable[str]) -> tuple[Term, ...]:
    """The words a search looks for, analysed, without repeats; function words and words that only name what
    is searched for are left out unless nothing else is left. Empty when nothing is searchable ("***")."""
    unique = {term.word: term for word in words for term in analyzer.terms(word)}
    terms = list(unique.values())
    content = [t for t in terms if not t.stop]
    topical = [t for t in content if t.stem not in _META_STEMS and t.english_stem not in _META_STEMS]
    return tuple((topical or content or terms)[:MAX_TERMS])


def _alternatives(term: Term) -> list[tuple[str, bool]]:
    """The tokens that find one search word, each with whether it is a prefix: the folded word (a prefix from
    `MIN_PREFIX` letters on), a compound's parts joined (a prefix of the tails `index_text` holds), its stem,
    its English stem."""
    word = _cut(term.word)
    found = {word: len(word) >= MIN_PREFIX}
    joined = _cut("".join(term.parts))  # "beleuchtungkonzept" for "Beleuchtungskonzept", as `_tails` writes it
    if len(joined) >= MIN_PREFIX:
        found.setdefault(joined, True)
    for token in (term.stem, term.english_stem):
        if token is not None:
            found.setdefault(_cut(token), False)
    return list(found.items())


def fts5_match(terms: Sequence[Term], *, prefixes: bool = True) -> str | None:
    """A SQLite FTS5 MATCH expression: per word `("word"* OR "stem")`, all words required; None if nothing to
    search (an empty MATCH is a syntax error: the caller finds nothing instead). `prefixes=False`: the same
    tokens, none a prefix, which finds a part of the hits at a fraction of the cost (to estimate how many)."""
    groups = []
    for term in terms:
        # Tokens are [0-9a-z]; quoting (and doubling quotes) keeps that safe if folding ever changes.
        tokens = [_quoted(token) + ("*" if prefix and prefixes else "") for token, prefix in _alternatives(term)]
        groups.append(tokens[0] if len(tokens) == 1 else "(" + " OR ".join(tokens) + ")")
    return " AND ".join(groups) or None


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def pg_tsquery(terms: Sequence[Term]) -> str | None:
    """A `to_tsquery('simple', …)` argument: per word `(word:* | stem)`, joined by &; None if nothing to search."""
    groups = []
    for term in terms:
        tokens = [token + (":*" if prefix else "") for token, prefix in _alternatives(term) if _TOKEN.fullmatch(token)]
        if tokens:
            groups.append(tokens[0] if len(tokens) == 1 else "(" + " | ".join(tokens) + ")")
    return " & ".join(groups) or None


def hit_kind(term: Term, search_text: str) -> HitKind:
    """How the decision with this index text matched the search word `term` (it did match: the index said so)."""
    return _hit_kind(term, *_sections(search_text))


def rank(terms: Sequence[Term], search_text: str) -> tuple[int, int]:
    """Sort key of a hit, lower first: its worst match over the search words, then all its matches summed. So a
    decision with every word as written comes before one that has some only as another form, before one that
    has some only in compounds, before one that has some only as a word start."""
    sections = _sections(search_text)
    kinds = [_hit_kind(term, *sections) for term in terms]
    return max(kinds, default=HitKind.WORD), sum(kinds)


def _sections(search_text: str) -> tuple[set[str], set[str], set[str]]:
    words, stems, parts = ([*search_text.split("|", 2), "", ""])[:3]
    return set(words.split()), set(stems.split()), set(parts.split())


def _hit_kind(term: Term, words: set[str], stems: set[str], parts: set[str]) -> HitKind:
    word, stem = _cut(term.word), _cut(term.stem)
    english = _cut(term.english_stem) if term.english_stem is not None else None
    if word in words:
        return HitKind.WORD
    if stem in stems or stem in words or (english is not None and (english in stems or english in words)):
        return HitKind.FORM
    if word in parts or stem in parts:
        return HitKind.PART
    return HitKind.START
