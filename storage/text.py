"""German-aware text helpers shared by every layer: command lookup, config validation, topic matching and the
full-text index. They live in the lowest layer (storage) so that storage needs nothing from above it."""

from __future__ import annotations

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Comparison key: case, umlauts (ä=ae, ß=ss), accents, hyphens and spaces do not matter.

    "Baden-Baden" == "baden baden", "Bühl" == "buehl", "wer-weiß" == "werweiss".
    """
    text = unicodedata.normalize("NFC", text).lower().translate(_UMLAUTS)
    # Strip remaining accents (é -> e) after the German-specific replacements above.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_WORD.sub("", text)


def slug(text: str, limit: int = 40) -> str:
    """URL-safe words: "Jour fixe (eAkte)" -> "jour-fixe-eakte"."""
    text = unicodedata.normalize("NFC", text).lower().translate(_UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_WORD.sub("-", text)[:limit].strip("-")


MATRIX_USER_ID = re.compile(r"@[\w.=\-/+]+:[\w.\-]+(?::\d+)?")
"""A Matrix user id as people type it into a command ("@anna:buehl.de", with an optional port)."""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(text: str) -> str:
    """Text without control characters other than tab and line breaks: nobody types them on purpose, a client
    may paste them, and PostgreSQL cannot store NUL in a text column at all."""
    return _CONTROL.sub("", text)
