"""A seeded corpus of hostile chat input for fuzzing the bot (through the dispatcher or a real homeserver).

Every message is something a person could type: a known command (name or alias, taken from the registry by the
caller, so new commands are covered without touching this file), a known subcommand word, and arguments that
are wrong in the ways people and clients are wrong: numbers too large for a database column, negative or zero,
nothing at all, control and zero-width characters, right-to-left marks, emoji, HTML and Markdown, `@room`, a
10,000-character paste, dates that look right but are not. Edits and reactions come in between, as clients send
them. The same seed gives the same corpus, so a failure can be replayed from the seed alone.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# Words that select a subcommand inside a command's free text (`!termin absagen 7`, `!beschluss ersetzen 3 …`);
# the registry only knows the top-level names, so these are listed here.
SUBCOMMAND_WORDS: tuple[str, ...] = (
    "absagen", "cancel", "loeschen", "löschen", "delete", "aussetzen", "skip", "faelltaus", "erinnern", "remind",
    "ort", "place", "link", "agenda", "tagesordnung", "titel", "title", "zeit", "time", "verschieben", "move",
    "zurückziehen", "zurueckziehen", "withdraw", "abbrechen", "ersetzen", "supersede", "aufheben", "revoke",
    "start", "ende", "end", "stop", "anwenden", "apply", "raum", "room", "meine", "alle", "mine", "all", "ics",
    "beschluesse", "decisions", "csv", "md", "ja", "nein", "de", "en", "video", "keine", "none", "mich", "me",
)  # fmt: skip

HUGE_NUMBERS: tuple[str, ...] = (
    "99999999999999999999999", "99999999999999999999", "2147483648", "2147483647", "9223372036854775808",
    "1e309", "1000000000", "-1", "-99999999999999999999", "0", "00", "#0", "#-3", "#99999999999999999999",
    "1_000", "١٢", "²", "½", "7.5", "3,5", "0x10", "NaN", "inf",
)  # fmt: skip

STRANGE_TEXT: tuple[str, ...] = (
    "", " ", "\t", "\u200b", "\u200b\u200b7", "\u200e7\u200f", "\u202eesrever", "\u2066x\u2069", "\x00", "\x07",
    "\x1b[31mrot", "\r\n", "\ufeff", "🎉", "👍🏽", "🏳️‍🌈", "<b>fett</b>", "<script>alert(1)</script>",
    "<a href='https://x.invalid'>klick</a>", "**fett** _kursiv_ `code`", "[link](https://x.invalid)", "# Titel",
    "> zitat", "@room", "@room @room", "@maria:example.org", "#thema", "#", "##", "…", "ß", "ÄÖÜ", "İ",
    "'; DROP TABLE meetings; --", "%s %d {id} {0}", "\\", "|", "null", "None", "true", "-", "--", ":", ",",
)  # fmt: skip

WRONG_DATES: tuple[str, ...] = (
    "31.2.", "30.02.2027", "29.02.2027", "31.04.", "32.1.", "0.0.", "1.13.", "31.12.9999", "1.1.10000", "1.1.0001",
    "1.1.1970", "12/3", "2027-02-30", "25:00", "24:00", "23:60", "-1 Uhr", "99 Uhr", "um 3", "gestern 14 Uhr",
    "morgen 14 Uhr", "morgen 99:99", "in 1000000000 Tagen", "in 99999999999999999999 Stunden", "in 0 Minuten",
    "in -5 Minuten", "in 1e9 Tagen", "alle 99999999999999999999 Wochen montags 9 Uhr", "alle 0 Wochen montags 9 Uhr",
    "jeden 99. Dienstag im Monat 14 Uhr", "monatlich am 31. um 10 Uhr", "monatlich am 99. um 10 Uhr",
    "jährlich am 29.2. 10 Uhr", "täglich 12 Uhr bis 31.12.9999", "12.12. 16-10 Uhr", "12.12. 10-16 Uhr",
    "Frist 31.12.9999", "für 99999999999999999999 Tage", "für 0 Tage", "99999 Personen", "0 Personen",
    "bis 99.99.9999", "seit:99.99.9999", "seit:2026", "bis:gestern", "seite:99999999999999999999", "seite:-1",
    "every 99999999999999999999 weeks on monday 9am", "tomorrow 3pm", "1 Tag, 15 min", "99999999999999999999 min",
)  # fmt: skip

REACTIONS: tuple[str, ...] = ("✋", "👍", "👍🏽", "✋️", "❤️", "🎉", "", "x")


@dataclass(frozen=True)
class FuzzInput:
    """One thing a client sends. `text`: a message with `body`. `edit`: the sender edits their previous
    message to `body`. `reaction`: the sender reacts with `reaction`; `body` names the target: empty for the
    bot's latest message (e.g. an announcement), otherwise an event id that may not exist."""

    kind: Literal["text", "edit", "reaction"]
    body: str
    reaction: str | None = None


def _piece(rng: random.Random) -> str:
    pool = rng.choice((HUGE_NUMBERS, STRANGE_TEXT, WRONG_DATES, SUBCOMMAND_WORDS))
    return rng.choice(pool)


def _arguments(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.08:
        return ""
    if roll < 0.12:
        # A paste far over every length limit, sometimes with a plausible start.
        return rng.choice(("", "morgen 14 Uhr ", "7 ")) + rng.choice(("x", "ä", "🎉 ", "a b ")) * 10_000
    words = [_piece(rng) for _ in range(rng.randint(1, 5))]
    if rng.random() < 0.5:
        # Subcommand first, then a number: the shape most record-changing commands expect.
        words = [rng.choice(SUBCOMMAND_WORDS), rng.choice(HUGE_NUMBERS), *words]
    return " ".join(words)


def fuzz_corpus(seed: int, count: int, *, prefix: str = "!", command_names: Sequence[str]) -> list[FuzzInput]:
    """`count` inputs, the same for the same seed and names; about one in ten is an edit or a reaction."""
    if not command_names:
        raise ValueError("fuzz_corpus needs at least one command name")
    rng = random.Random(seed)
    corpus: list[FuzzInput] = []
    for _ in range(count):
        roll = rng.random()
        name = rng.choice(command_names)
        body = f"{prefix}{name} {_arguments(rng)}".rstrip()
        if roll < 0.05:
            corpus.append(FuzzInput("edit", body))
        elif roll < 0.10:
            target = "" if rng.random() < 0.5 else f"${rng.getrandbits(48):x}"
            corpus.append(FuzzInput("reaction", target, rng.choice(REACTIONS)))
        else:
            corpus.append(FuzzInput("text", body))
    return corpus
