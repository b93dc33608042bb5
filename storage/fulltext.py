"""Full-text search text and queries, shared by both backends: the index holds `fold_for_index(text)`,
queries are `fts5_match(words)` (SQLite FTS5) or `to_tsquery('simple', pg_tsquery(words))` (PostgreSQL).

Both sides are folded by `storage.text.fold`, so the query language is plain `[0-9a-z]` tokens, each a prefix,
all required: nothing a user types can become an operator. Prefix matching finds a word's start and, because
the index also holds the tail parts of hyphenated and camel-case compounds, "Rechnung" finds "E-Rechnung",
"XRechnung" and "Rechnungseingang". It cannot find the tail of a closed compound ("Eingangsrechnung").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from storage.text import fold

MAX_TERMS = 12
"""Folded terms a full-text query holds at most (a hyphenated word is one term)."""
INDEX_VERSION = 1
"""Bumped whenever `fold_for_index` changes what it produces, so storage knows to rebuild its index."""
MAX_TERM_CHARS = 64
"""Longer terms and index tokens are cut: a cut prefix still matches, and PostgreSQL refuses long words."""

# A word: letters and digits, hyphen-joined runs kept together ("E-Rechnung"); other punctuation splits.
_WORD_RUN = re.compile(r"[^\W_]+(?:[-‐‑][^\W_]+)*")
_HYPHEN = re.compile(r"[-‐‑]")
_CAMEL = re.compile(r"(?<=[^\W\d_])(?<![A-ZÄÖÜ])(?=[A-ZÄÖÜ])|(?<=[A-ZÄÖÜ])(?=[A-ZÄÖÜ][a-zäöüß])")
# Function words are dropped from searches (all terms are required, and "für" would need to be in the text)
# unless nothing else is left.
_STOP_WORDS_TEXT = """
der die das den dem des ein eine einen einem einer eines und oder zu zur zum mit ueber fuer von vom im in am an
auf bei beim aus nach um the a an of for with and or to in on at by about
"""
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def search_terms(words: Iterable[str]) -> tuple[str, ...]:
    """The folded terms a search looks for: one per word or hyphenated compound, function words dropped.

    "E-Rechnung für Bürger" -> ("erechnung", "buerger"). Empty when nothing searchable is left ("***")."""
    terms: list[str] = []
    for word in words:
        terms.extend(term[:MAX_TERM_CHARS] for run in _WORD_RUN.findall(word) if (term := fold(run)))
    unique = list(dict.fromkeys(terms))
    content = [t for t in unique if t not in _STOP_WORDS]
    return tuple((content or unique)[:MAX_TERMS])


def fts5_match(words: Iterable[str]) -> str | None:
    """A SQLite FTS5 MATCH expression: every term a quoted prefix, all required; None if nothing to search.

    None rather than "" because an empty MATCH is a syntax error: the caller leaves the condition out."""
    terms = search_terms(words)
    if not terms:
        return None
    # Terms are [0-9a-z] after folding; quoting (and doubling quotes) keeps that safe if folding ever changes.
    return " AND ".join('"' + term.replace('"', '""') + '"*' for term in terms)


def pg_tsquery(words: Iterable[str]) -> str | None:
    """A `to_tsquery('simple', …)` argument: prefix terms joined by &; None if nothing to search."""
    terms = [re.sub(r"[^0-9a-z]", "", term) for term in search_terms(words)]
    terms = [term for term in terms if term]
    return " & ".join(f"{term}:*" for term in terms) if terms else None


def _compound_parts(run: str) -> list[str]:
    return [part for piece in _HYPHEN.split(run) for part in _CAMEL.split(piece) if part]


def fold_for_index(text: str) -> str:
    """The text storage indexes: folded words, each compound followed by its tails.

    "Die E-Rechnung und XRechnung" -> "die erechnung rechnung und xrechnung rechnung". A compound of parts
    a-b-c adds "bc" and "c": with prefix queries, "b", "bc" and "c" then all find it ("Online-Bürger-Service"
    is found by "Bürger", "Bürgerservice" and "Service"). Parts come from hyphens and camel case ("eAkte",
    "XRechnung"); a closed compound ("Eingangsrechnung") has no visible seam, so its tail cannot be found by
    a prefix query. The inserted tails shift token positions: no phrase or NEAR queries over this index.
    Stored index text must be rebuilt when `INDEX_VERSION` changes.
    """
    tokens: list[str] = []
    for run in _WORD_RUN.findall(text):
        whole = fold(run)
        if not whole:
            continue
        tokens.append(whole[:MAX_TERM_CHARS])
        parts = [p for p in map(fold, _compound_parts(run)) if p]
        for start in range(1, len(parts)):
            tail = "".join(parts[start:])[:MAX_TERM_CHARS]
            if tail != whole:
                tokens.append(tail)
    return " ".join(tokens)
