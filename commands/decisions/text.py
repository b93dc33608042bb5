"""The decision log's pure text work: reading `!beschluesse` searches, building full-text queries, and
rendering decisions, meeting minutes and the yearly report (CSV and Markdown).

No I/O and no clock: `now`, the zone and the configured groups are arguments, so every rule is a unit test.

Searching, in one line: `!beschluesse XRechnung gruppe:"Digitale Rechnung" seit:1.1.2026 bis:31.3.
#Pflicht von:@anna:example.org status:alle` (English keys: group, since, until, from, status).

- Keys ignore case and umlauts; a slip ("grupe:") is refused with the right key, never guessed. A word with
  a colon that is no key ("https://…", "mailto:…", "Stand:" at the end of a word) stays a search word.
- A value may follow after a space (`gruppe: Sensorik`) and may be quoted (`gruppe:"Recht und Datenschutz"`,
  „…“ and “…” too). Unquoted, a group name is read on as long as it names a group exactly
  (`gruppe:Recht und Datenschutz Löschfristen` searches "Löschfristen"), and a unique start of a group's
  name or of one of its words is enough (`gruppe:recht`, `gruppe:daten`).
- Dates (`seit:`, `bis:`, both inclusive) take everything `parse_date` reads, plus a year (`seit:2026`) and a
  month (`seit:3.2026`, `bis:"März 2026"`, `seit:März`), and weekdays and "gestern" as the last one. A
  search looks back, so a date written without a year is the most recent one (`seit:1.12.` on 21 November
  2026 is 1.12.2025), except that `bis:` never ends before `seit:` (`seit:1.10. bis:31.12.` is the last
  quarter of 2026). `seit:` in the future is refused. `von:`/`from:` with a date is `seit:` ("von 1.1. bis
  31.3." is how people write a range).
- Search words are required, each as a word start; function words ("für", "the") are dropped from the
  full-text query. A quoted phrase is read as its words (no phrase search, see `fold_for_index`).
- `status:` defaults to `aktiv`: what holds now, neither superseded nor revoked. That answers "what did we
  decide about X?"; `status:alle` also shows the history. The handler should say when hidden matches exist.
- `#Wort` is a tag, `#17` decision number 17, a bare Matrix id or pill (`@anna:example.org`) the author.

Full text: storage indexes `fold_for_index(text)` and matches `fts5_match(...)` (SQLite FTS5) or
`to_tsquery('simple', pg_tsquery(...))` (PostgreSQL). Both sides are folded by `storage.text.fold`, so the
query language is plain `[0-9a-z]` tokens, each a prefix, all required: nothing a user types can become an
operator. Prefix matching finds a word's start and, because the index also holds the tail parts of hyphenated
and camel-case compounds, "Rechnung" finds "E-Rechnung", "XRechnung" and "Rechnungseingang". It cannot find
the tail of a closed compound: "Rechnung" does not find "Eingangsrechnung" (see `fold_for_index`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from bot.i18n import LANGUAGES
from bot.replies import md_escape
from bot.schedule_parsing import BilingualError, ScheduleError, format_when, parse_date
from commands.expertise.commands import resolve_name
from storage.fulltext import INDEX_VERSION, MAX_TERMS, fold_for_index, fts5_match, pg_tsquery, search_terms
from storage.text import fold

__all__ = [
    "INDEX_VERSION",
    "MAX_SEARCH_WORDS",
    "MAX_TERMS",
    "DecisionQuery",
    "DecisionQueryError",
    "DecisionRow",
    "DecisionStatus",
    "GroupReport",
    "MinutesItem",
    "MinutesSession",
    "StatusFilter",
    "decisions_csv",
    "decisions_markdown",
    "describe_decision_query",
    "fold_for_index",
    "fts5_match",
    "minutes_markdown",
    "parse_decision_query",
    "pg_tsquery",
    "search_terms",
    "yearly_report_markdown",
]

DecisionStatus = Literal["active", "superseded", "revoked"]
StatusFilter = Literal["active", "superseded", "revoked", "all"]
MinutesKind = Literal["info", "decision", "action"]

MAX_SEARCH_WORDS = 12
"""More words than this are refused: every word is a required prefix, so more only finds less."""


# --- Data --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionQuery:
    """A parsed `!beschluesse` search. Empty filters mean "no restriction"."""

    words: tuple[str, ...] = ()
    """Search words as written (quotes removed); `search_terms` makes index terms of them."""
    group: str | None = None
    """The configured group's canonical name."""
    since: date | None = None
    until: date | None = None
    """Inclusive: decisions made on this local day count (see `created_range`)."""
    tags: tuple[str, ...] = ()
    """Folded tag keys (`fold`), to compare with folded stored tags; all are required."""
    tag_labels: tuple[str, ...] = ()
    """The tags as written, without '#', in the order of `tags`: for saying the search back."""
    ids: tuple[int, ...] = ()
    """Decision numbers asked for directly ("#17"): any of them. Without `status:` they come in any status."""
    author: str | None = None
    """A Matrix user id."""
    status: StatusFilter = "active"
    """'active' (default) = neither superseded nor revoked; 'all' = any status (the default with `ids`)."""

    def created_range(self, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """UTC bounds for `created_at`: `start <= created_at < end`, the local days `since`..`until` in `tz`."""
        start = datetime.combine(self.since, time(0), tz).astimezone(UTC) if self.since else None
        end = datetime.combine(self.until + timedelta(days=1), time(0), tz).astimezone(UTC) if self.until else None
        return start, end


@dataclass(frozen=True)
class DecisionRow:
    id: int
    created_at: datetime
    """Aware (stored as UTC); renderers convert to the zone they are given."""
    group: str | None
    room_id: str
    author: str
    """Matrix user id."""
    author_name: str | None
    text: str
    tags: tuple[str, ...]
    """Labels as entered (without '#')."""
    permalink: str | None
    status: str
    """One of `DecisionStatus`; plain `str` so storage can pass its column, checked here."""
    superseded_by: int | None
    note: str | None
    """Why it was revoked or superseded, or any remark."""

    def __post_init__(self) -> None:
        if self.status not in get_args(DecisionStatus):
            raise ValueError(f"status must be one of {get_args(DecisionStatus)}, not {self.status!r}")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be aware")


@dataclass(frozen=True)
class MinutesSession:
    id: int
    title: str
    room_id: str
    group: str | None
    started_by: str
    started_at: datetime
    ended_at: datetime | None
    """None while the minutes are still being taken."""


@dataclass(frozen=True)
class MinutesItem:
    kind: str
    """One of `MinutesKind`: 'info', 'decision' or 'action'; checked."""
    text: str
    author: str
    created_at: datetime
    owner: str | None
    """Who does an action: a Matrix user id or a name as written."""
    due: date | None
    ref_id: int | None
    """The decision's number in the log, for kind 'decision'."""

    def __post_init__(self) -> None:
        if self.kind not in get_args(MinutesKind):
            raise ValueError(f"kind must be one of {get_args(MinutesKind)}, not {self.kind!r}")


@dataclass(frozen=True)
class GroupReport:
    name: str
    decisions: Sequence[DecisionRow]
    meetings_held: int
    minutes: Sequence[MinutesSession]
    open_actions: Sequence[MinutesItem]


class DecisionQueryError(BilingualError):
    """A search the bot will not guess at; `de` and `en` say how to write it, with an example. Like a date
    mistake, the dispatcher shows it in the person's language, escaped."""


# --- Reading a search --------------------------------------------------------------------------------------

_KEYS: dict[str, str] = {
    **dict.fromkeys(("gruppe", "group", "ag"), "group"),
    **dict.fromkeys(("seit", "ab", "since"), "since"),
    **dict.fromkeys(("bis", "until", "till"), "until"),
    **dict.fromkeys(("von", "from", "autor", "author", "by"), "author"),
    **dict.fromkeys(("status",), "status"),
    **dict.fromkeys(("tag", "tags", "schlagwort", "stichwort"), "tag"),
}
_KEY_DE = {"group": "gruppe", "since": "seit", "until": "bis", "author": "von", "status": "status", "tag": "tag"}
_KEY_EN = {"group": "group", "since": "since", "until": "until", "author": "from", "status": "status", "tag": "tag"}
_KEYS_LIST_DE = "gruppe:, seit:, bis:, von:, status: und #Schlagwort"
_KEYS_LIST_EN = "group:, since:, until:, from:, status: and #tag"
_EXAMPLE = {
    "group": ('gruppe:Sensorik oder gruppe:"Recht und Datenschutz"', 'group:Sensorik or group:"Recht und Datenschutz"'),
    "since": ("seit:1.1.2026, seit:2026 oder seit:3.2026", "since:1.1.2026, since:2026 or since:3.2026"),
    "until": ("bis:31.3.2026, bis:2026 oder bis:3.2026", "until:31.3.2026, until:2026 or until:3.2026"),
    "author": ("von:@anna:example.org", "from:@anna:example.org"),
    "status": ("status:alle", "status:all"),
    "tag": ("#XRechnung oder tag:XRechnung", "#XRechnung or tag:XRechnung"),
}
_URI_SCHEMES = frozenset({"http", "https", "mailto", "matrix", "tel", "ftp", "urn", "geo"})
_STATUS_WORDS: dict[str, StatusFilter] = {
    **dict.fromkeys(("aktiv", "gueltig", "active", "current", "valid"), "active"),
    **dict.fromkeys(("ersetzt", "superseded", "replaced"), "superseded"),
    **dict.fromkeys(("aufgehoben", "widerrufen", "revoked"), "revoked"),
    **dict.fromkeys(("alle", "all"), "all"),
}
_GROUP_FILLERS = frozenset({"und", "and", "der", "die", "das", "fuer", "for", "of"})

# After `key:` a single quote opens a value too; elsewhere it is an apostrophe ("'98", "geht's").
_QUOTES = {'"': '"“”', "„": '“”"', "“": '”“"', "”": '”"', "«": "»", "»": "«", "‚": "‘’"}
_KEY_QUOTES = {**_QUOTES, "'": "'"}
_KEY_PREFIX = re.compile(r"([^\W\d_]+):")
_PILL = re.compile(r"\[[^\]\n]*\]\((https://matrix\.to/#/[^)\s]+)\)")
_MATRIX_TO = re.compile(r"https://matrix\.to/#/([^?\s]+)")
_USER_ID = re.compile(r"@[^\s:]+:[^\s:]+(?::\d+)?")
_NON_SPACE = re.compile(r"\S+")
_TAG = re.compile(r"#([^\W_][\w-]*)")
_DECISION_NUMBER = re.compile(r"#(\d{1,9})")
_TRAILING_PUNCTUATION = ".,;:!?"

_YEAR = re.compile(r"(\d{4})")
_MONTH_YEAR = re.compile(r"(\d{1,2})\s*[./]\s*(\d{4})")
_MONTH_NAME = re.compile(r"([^\W\d_]+)\.?(?:\s*(\d{4}))?")
_DATE_WITHOUT_YEAR = re.compile(
    r"(?:am\s+|on\s+)?(?:\d{1,2}\.\s*\d{1,2}\.?|\d{1,2}(?:\.|st|nd|rd|th)?\s*(?:of\s+)?[^\W\d_]+\.?"
    r"|[^\W\d_]+\.?\s*\d{1,2}(?:st|nd|rd|th)?|\d{1,2}/\d{1,2})",
    re.IGNORECASE,
)
_MONTH_NAMES = (
    ("Januar", "January", "Jan", "Jänner"), ("Februar", "February", "Feb"), ("März", "March", "Mär", "Mrz", "Mar"),
    ("April", "Apr"), ("Mai", "May"), ("Juni", "June", "Jun"), ("Juli", "July", "Jul"), ("August", "Aug"),
    ("September", "Sep", "Sept"), ("Oktober", "October", "Okt", "Oct"), ("November", "Nov"),
    ("Dezember", "December", "Dez", "Dec"),
)  # fmt: skip
_MONTHS = {fold(name): number for number, names in enumerate(_MONTH_NAMES, 1) for name in names}
_WEEKDAY_NAMES = (
    ("Montag", "Monday", "Mo", "Mon"), ("Dienstag", "Tuesday", "Di", "Tue", "Tues"),
    ("Mittwoch", "Wednesday", "Mi", "Wed"), ("Donnerstag", "Thursday", "Do", "Thu", "Thur", "Thurs"),
    ("Freitag", "Friday", "Fr", "Fri"), ("Samstag", "Sonnabend", "Saturday", "Sa", "Sat"),
    ("Sonntag", "Sunday", "So", "Sun"),
)  # fmt: skip
_WEEKDAYS = {fold(name): number for number, names in enumerate(_WEEKDAY_NAMES) for name in names}
_DAYS_AGO = {"gestern": 1, "yesterday": 1, "vorgestern": 2}


@dataclass(frozen=True)
class _Token:
    written: str
    """The token as typed, for messages."""
    value: str
    """A word, a quoted phrase without its quotes, or a filter's value."""
    key: str | None = None
    quoted: bool = False


def _read_value(text: str, pos: int, quotes: Mapping[str, str]) -> tuple[str, bool, int]:
    if pos >= len(text) or text[pos].isspace():
        return "", False, pos
    closers = quotes.get(text[pos])
    if closers is not None:
        end = next((i for i in range(pos + 1, len(text)) if text[i] in closers), len(text))
        return text[pos + 1 : end].strip(), True, min(end + 1, len(text))  # an open quote runs to the end
    match = _PILL.match(text, pos) or _NON_SPACE.match(text, pos)
    assert match is not None
    return match[0], False, match.end()


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return tokens
        start = pos
        key = None
        prefix = _KEY_PREFIX.match(text, pos)
        if prefix and not text.startswith("//", prefix.end()) and fold(prefix[1]) not in _URI_SCHEMES:
            key = prefix[1]
            pos = prefix.end()
        value, quoted, pos = _read_value(text, pos, _KEY_QUOTES if key else _QUOTES)
        tokens.append(_Token(text[start:pos], value, key, quoted))


def _closest_key(key: str) -> str | None:
    found = process.extractOne(fold(key), list(_KEYS), scorer=fuzz.ratio, score_cutoff=75)
    return found[0] if found else None


def _unknown_key(token: _Token) -> DecisionQueryError:
    close = _closest_key(token.key or "")
    literal = token.written.replace('"', "")
    if close is not None:
        return DecisionQueryError(
            f"„{token.key}:“ kenne ich nicht – meintest du `{close}:`? Möglich sind {_KEYS_LIST_DE}, "
            f"z. B. `gruppe:Sensorik seit:1.1.2026`.",
            f"I don't know “{token.key}:” – did you mean `{close}:`? Possible are {_KEYS_LIST_EN}, "
            f"e.g. `group:Sensorik since:1.1.2026`.",
        )
    return DecisionQueryError(
        f"„{token.key}:“ kenne ich nicht. Möglich sind {_KEYS_LIST_DE}, z. B. `gruppe:Sensorik seit:1.1.2026`. "
        f'Suchst du den Text? Dann in Anführungszeichen: `"{literal}"`.',
        f"I don't know “{token.key}:”. Possible are {_KEYS_LIST_EN}, e.g. `group:Sensorik since:1.1.2026`. "
        f'Looking for the text? Then put it in quotes: `"{literal}"`.',
    )


def _missing_value(name: str) -> DecisionQueryError:
    de, en = _EXAMPLE[name]
    return DecisionQueryError(
        f"Nach „{_KEY_DE[name]}:“ fehlt der Wert, z. B. `{de}`.",
        f"“{_KEY_EN[name]}:” needs a value, e.g. `{en}`.",
    )


def _twice(name: str) -> DecisionQueryError:
    de, en = _EXAMPLE[name]
    return DecisionQueryError(
        f"„{_KEY_DE[name]}:“ geht nur einmal pro Suche, z. B. `{de}`.",
        f"“{_KEY_EN[name]}:” works only once per search, e.g. `{en}`.",
    )


def _group_words(name: str) -> list[str]:
    words = re.findall(r"[^\W_]+", re.sub(r"(?<=[a-zäöüß])(?=[A-ZÄÖÜ])", " ", name))
    return [w for w in map(fold, words) if len(w) >= 3 and w not in _GROUP_FILLERS]


def _resolve_group(value: str, groups: Sequence[str]) -> str:
    key = fold(value)
    listing = ", ".join(groups)
    if key:
        for steps in (
            [g for g in groups if fold(g) == key],
            [g for g in groups if fold(g).startswith(key)],
            [g for g in groups if len(key) >= 3 and any(w.startswith(key) for w in _group_words(g))],
        ):
            if len(steps) == 1:
                return steps[0]
            if len(steps) > 1:
                raise DecisionQueryError(
                    f"„gruppe:{value}“ passt auf mehrere Gruppen: {', '.join(steps)}. Schreib mehr vom Namen, "
                    f"z. B. `gruppe:{steps[0]}`" + ("." if " " not in steps[0] else f' oder `gruppe:"{steps[0]}"`.'),
                    f"“group:{value}” fits several groups: {', '.join(steps)}. Write more of the name, "
                    f"e.g. `group:{steps[0]}`" + ("." if " " not in steps[0] else f' or `group:"{steps[0]}"`.'),
                )
        found, suggestion = resolve_name(value, groups)
        if found is not None:
            return found
    else:
        suggestion = None
    hint_de = f" Meintest du {suggestion}?" if suggestion else ""
    hint_en = f" Did you mean {suggestion}?" if suggestion else ""
    raise DecisionQueryError(
        f"Die Gruppe „{value}“ kenne ich nicht.{hint_de} Möglich: {listing}. "
        f'Namen mit Leerzeichen in Anführungszeichen: `gruppe:"Recht und Datenschutz"`.',
        f"I don't know the group “{value}”.{hint_en} Possible: {listing}. "
        f'Put names with spaces in quotes: `group:"Recht und Datenschutz"`.',
    )


def _user_id(value: str) -> str | None:
    pill = _PILL.fullmatch(value)
    link = _MATRIX_TO.fullmatch(pill[1] if pill else value)
    candidate = unquote(link[1]) if link else value
    return candidate if _USER_ID.fullmatch(candidate) else None


def _resolve_status(value: str) -> StatusFilter:
    key = fold(value)
    if key in _STATUS_WORDS:
        return _STATUS_WORDS[key]
    targets = {target for word, target in _STATUS_WORDS.items() if key and word.startswith(key)}
    if len(targets) == 1:
        return targets.pop()
    raise DecisionQueryError(
        f"„status:{value}“ kenne ich nicht. Möglich: aktiv (Vorgabe: gilt noch), ersetzt, aufgehoben, alle – "
        f"z. B. `status:alle`.",
        f"I don't know “status:{value}”. Possible: active (default: still in force), superseded, revoked, all – "
        f"e.g. `status:all`.",
    )


def _without_year(
    span_in: Callable[[int], tuple[date, date] | None], *, today: date, not_before: date | None
) -> tuple[date, date] | None:
    """A day or month written without a year: the most recent that has begun; for `bis:` the first that ends
    on or after `seit:` when the most recent ends before it ("seit:1.10. bis:31.12." in November)."""
    low = min(today.year, not_before.year if not_before else today.year) - 5
    spans = [span for year in range(low, today.year + 6) if (span := span_in(year))]
    best = max((span for span in spans if span[0] <= today), default=None)
    if not_before is not None and (best is None or best[1] < not_before):
        best = min((span for span in spans if span[1] >= not_before), default=best)
    return best


def _day_in(day: date) -> Callable[[int], tuple[date, date] | None]:
    def span_in(year: int) -> tuple[date, date] | None:
        try:
            shifted = day.replace(year=year)
        except ValueError:  # 29 February
            return None
        return shifted, shifted

    return span_in


def _month_in(month: int) -> Callable[[int], tuple[date, date] | None]:
    return lambda year: _month_span(year, month)


def _month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _plausible(year: int) -> bool:
    return 1900 <= year <= 2999


def _date_span(value: str, *, now: datetime, tz: ZoneInfo, not_before: date | None = None) -> tuple[date, date] | None:
    """First and last day of what `value` names (a day, a month or a year); None if it is no date."""
    text = value.strip()
    today = now.astimezone(tz).date()
    if match := _YEAR.fullmatch(text):
        year = int(match[1])
        return (date(year, 1, 1), date(year, 12, 31)) if _plausible(year) else None
    if (match := _MONTH_YEAR.fullmatch(text)) and 1 <= int(match[1]) <= 12:
        return _month_span(int(match[2]), int(match[1])) if _plausible(int(match[2])) else None
    if (match := _MONTH_NAME.fullmatch(text)) and fold(match[1]) in _MONTHS:
        month = _MONTHS[fold(match[1])]
        if match[2]:
            return _month_span(int(match[2]), month) if _plausible(int(match[2])) else None
        return _without_year(_month_in(month), today=today, not_before=not_before)
    word = fold(text)
    if word in _DAYS_AGO:
        day = today - timedelta(days=_DAYS_AGO[word])
        return day, day
    if word in _WEEKDAYS:  # the most recent one, today included: searches look back
        day = today - timedelta(days=(today.weekday() - _WEEKDAYS[word]) % 7)
        return day, day
    try:
        day = parse_date(text, now=now, tz=tz)
    except ScheduleError:
        return None
    if not _plausible(day.year):  # also keeps `created_range` clear of date.max
        return None
    if _DATE_WITHOUT_YEAR.fullmatch(text):
        return _without_year(_day_in(day), today=today, not_before=not_before)
    return day, day


def _bad_date(name: str, value: str) -> DecisionQueryError:
    de, en = _EXAMPLE[name]
    return DecisionQueryError(
        f"„{_KEY_DE[name]}:{value}“ verstehe ich nicht als Datum. Schreib z. B. `{de}`.",
        f"I don't understand “{_KEY_EN[name]}:{value}” as a date. Write e.g. `{en}`.",
    )


def _day_de(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def _day_en(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1][1][:3]} {day.year}"


def parse_decision_query(text: str, *, now: datetime, tz: ZoneInfo, groups: Sequence[str]) -> DecisionQuery:
    """Read a `!beschluesse` search (see the module docstring); raises `DecisionQueryError`."""
    tokens = _tokens(text)
    words: list[str] = []
    tags: dict[str, str] = {}
    ids: list[int] = []
    found: dict[str, str] = {}  # filter -> value as written (dates are resolved once all are known)
    group: str | None = None
    status: StatusFilter | None = None
    author: str | None = None

    def set_once(name: str, value: object, current: object) -> None:
        if current is not None and current != value:
            raise _twice(name)

    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.key is None:
            if token.quoted:
                words.extend(token.value.split())
                continue
            bare = token.value.rstrip(_TRAILING_PUNCTUATION)
            if number := _DECISION_NUMBER.fullmatch(bare):
                ids.append(int(number[1]))
            elif tag := _TAG.fullmatch(bare):
                tags.setdefault(fold(tag[1]), tag[1])
            elif (user := _user_id(bare)) is not None:
                set_once("author", user, author)
                author = user
            else:
                words.append(token.value)
            continue

        name = _KEYS.get(fold(token.key))
        if name is None:
            if not token.value and not token.quoted and _closest_key(token.key) is None:
                words.append(token.written)  # "Stand:" at the end of a word is punctuation
                continue
            raise _unknown_key(token)
        value, quoted = token.value, token.quoted
        if not value and not quoted and i < len(tokens) and tokens[i].key is None:
            value, quoted = tokens[i].value, tokens[i].quoted  # "gruppe: Sensorik"
            i += 1
        if not quoted:
            value = value.rstrip(",;")
        if not value:
            raise _missing_value(name)
        if name in ("since", "until", "author") and not quoted:
            value, i = _read_on(tokens, i, value, 2, lambda v: _date_span(v, now=now, tz=tz) is not None)
        elif name == "group" and not quoted:
            value, i = _read_on(tokens, i, value, 4, lambda v: any(fold(g) == fold(v) for g in groups))

        if name == "group":
            resolved = _resolve_group(value, groups)
            set_once("group", resolved, group)
            group = resolved
        elif name == "status":
            resolved_status = _resolve_status(value)
            set_once("status", resolved_status, status)
            status = resolved_status
        elif name == "tag":
            for label in re.split(r"[,\s]+", value):
                label = label.lstrip("#")
                if label:
                    tags.setdefault(fold(label), label)
        elif name == "author":
            user = _user_id(value)
            if user is None and _date_span(value, now=now, tz=tz):
                set_once("since", value, found.get("since"))  # "von:1.1. bis:31.3." is a range of dates
                found["since"] = value
                continue
            if user is None:
                raise DecisionQueryError(
                    f"„von:{value}“ ist keine Matrix-ID. Schreib z. B. `von:@anna:example.org` oder erwähne "
                    f"die Person nach `von:`.",
                    f"“from:{value}” is not a Matrix id. Write e.g. `from:@anna:example.org` or mention the "
                    f"person after `from:`.",
                )
            set_once("author", user, author)
            author = user
        else:
            set_once(name, value, found.get(name))
            found[name] = value

    if len(words) > MAX_SEARCH_WORDS:
        raise DecisionQueryError(
            f"Das sind {len(words)} Suchwörter; höchstens {MAX_SEARCH_WORDS} gehen, und jedes muss vorkommen. "
            f"Nimm die wichtigsten, z. B. `XRechnung Pflicht`.",
            f"That is {len(words)} search words; at most {MAX_SEARCH_WORDS} fit, and each must occur. "
            f"Keep the important ones, e.g. `XRechnung duty`.",
        )

    since, until = _resolve_dates(found, now=now, tz=tz)
    return DecisionQuery(
        words=tuple(words),
        group=group,
        since=since,
        until=until,
        tags=tuple(tags),
        tag_labels=tuple(tags.values()),
        ids=tuple(dict.fromkeys(ids)),
        author=author,
        status=status or ("all" if ids else "active"),
    )


def _read_on(tokens: Sequence[_Token], i: int, value: str, limit: int, fits: Callable[[str], bool]) -> tuple[str, int]:
    """An unquoted value grows by up to `limit` following plain words while it still `fits` (longest first):
    "gruppe:Recht und Datenschutz", "seit:März 2026". Returns the value and the index after it."""
    for extra in range(min(limit, len(tokens) - i), 0, -1):
        following = tokens[i : i + extra]
        if any(t.key is not None or t.quoted for t in following):
            continue
        longer = " ".join([value, *(t.value for t in following)])
        if fits(longer):
            return longer, i + extra
    return value, i


def _resolve_dates(found: Mapping[str, str], *, now: datetime, tz: ZoneInfo) -> tuple[date | None, date | None]:
    """`seit:` first: a `bis:` without a year depends on it."""
    since = until = None
    today = now.astimezone(tz).date()
    if "since" in found:
        span = _date_span(found["since"], now=now, tz=tz)
        if span is None:
            raise _bad_date("since", found["since"])
        since = span[0]
        if since > today:
            raise DecisionQueryError(
                f"„seit:{found['since']}“ ist der {_day_de(since)} und liegt in der Zukunft – von dort gibt es "
                f"noch keine Beschlüsse. Schreib z. B. `seit:1.1.{today.year}`.",
                f"“since:{found['since']}” is {_day_en(since)}, in the future – there are no decisions from then "
                f"yet. Write e.g. `since:1.1.{today.year}`.",
            )
    if "until" in found:
        span = _date_span(found["until"], now=now, tz=tz, not_before=since)
        if span is None:
            raise _bad_date("until", found["until"])
        until = span[1]
    if since is not None and until is not None and since > until:
        raise DecisionQueryError(
            f"„seit:“ ({_day_de(since)}) liegt nach „bis:“ ({_day_de(until)}). Der Anfang kommt zuerst, "
            f"z. B. `seit:1.1.2026 bis:31.3.2026`.",
            f"“since:” ({_day_en(since)}) is after “until:” ({_day_en(until)}). The start comes first, "
            f"e.g. `since:1.1.2026 until:31.3.2026`.",
        )
    return since, until


_STATUS_FILTER_DE = {
    "active": "nur gültige",
    "superseded": "nur ersetzte",
    "revoked": "nur aufgehobene",
    "all": "auch ersetzte und aufgehobene",
}
_STATUS_FILTER_EN = {
    "active": "in force only",
    "superseded": "superseded only",
    "revoked": "revoked only",
    "all": "including superseded and revoked",
}


def describe_decision_query(query: DecisionQuery, *, language: str) -> str:
    """The search said back in plain text (escape it for Markdown): "„XRechnung“, Gruppe Sensorik, seit …"."""
    _check_language(language)
    de = language == "de"
    parts: list[str] = []
    if query.words:
        phrase = " ".join(query.words)
        parts.append(f"„{phrase}“" if de else f"“{phrase}”")
    if query.ids:
        parts.append(("Nr. " if de else "no. ") + ", ".join(f"#{n}" for n in query.ids))
    if query.group:
        parts.append(f"Gruppe {query.group}" if de else f"group {query.group}")
    if query.since:
        parts.append(f"seit {_day_de(query.since)}" if de else f"since {_day_en(query.since)}")
    if query.until:
        parts.append(f"bis {_day_de(query.until)}" if de else f"until {_day_en(query.until)}")
    parts.extend(f"#{label}" for label in query.tag_labels)
    if query.author:
        parts.append(f"von {query.author}" if de else f"by {query.author}")
    parts.append((_STATUS_FILTER_DE if de else _STATUS_FILTER_EN)[query.status])
    return ", ".join(parts)


# --- Rendering ---------------------------------------------------------------------------------------------


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")


_TEXTS: dict[str, tuple[str, str]] = {
    "no_group": ("Ohne Gruppe", "No group"),
    "no_decisions": ("Keine Beschlüsse gefunden.", "No decisions found."),
    "active": ("gültig", "in force"),
    "superseded": ("ersetzt", "superseded"),
    "superseded_by": ("ersetzt durch #{id}", "superseded by #{id}"),
    "revoked": ("aufgehoben", "revoked"),
    "note": ("Hinweis", "Note"),
    "link": ("Nachricht", "message"),
    "minutes": ("Protokoll", "Minutes"),
    "group": ("Gruppe", "Group"),
    "participants": ("Teilnehmende", "Participants"),
    "infos": ("Infos", "Information"),
    "decisions": ("Beschlüsse", "Decisions"),
    "actions": ("Aufgaben", "Action items"),
    "owner": ("zuständig", "owner"),
    "due": ("bis", "due"),
    "no_entries": ("Keine Einträge.", "No entries."),
    "running": ("läuft noch", "still running"),
    "from": ("ab", "from"),
    "report": ("Jahresbericht {year}", "Annual report {year}"),
    "overview": ("Überblick", "Overview"),
    "meetings": ("Treffen", "Meetings"),
    "minutes_plural": ("Protokolle", "Minutes"),
    "open_actions": ("Offene Aufgaben", "Open action items"),
    "total": ("Summe", "Total"),
    "quiet": (
        "Keine Beschlüsse, Protokolle oder offenen Aufgaben in {year}.",
        "No decisions, minutes or open action items in {year}.",
    ),
    "no_groups": ("Keine Gruppen im Bericht.", "No groups in the report."),
    "status_counts": ("davon {active} gültig, {superseded} ersetzt, {revoked} aufgehoben",
                      "{active} in force, {superseded} superseded, {revoked} revoked"),
}  # fmt: skip


def _t(key: str, language: str, **values: object) -> str:
    de, en = _TEXTS[key]
    return (de if language == "de" else en).format(**values)


_WEEKDAYS_SHORT = (("Mo", "Mon"), ("Di", "Tue"), ("Mi", "Wed"), ("Do", "Thu"), ("Fr", "Fri"), ("Sa", "Sat"),
                   ("So", "Sun"))  # fmt: skip


def _day(day: date, language: str) -> str:
    return _day_de(day) if language == "de" else _day_en(day)


def _clock(moment: datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def _span(start: datetime, end: datetime | None, *, tz: ZoneInfo, language: str) -> str:
    """ "Sa., 21.11.2026, 14:00–15:30 Uhr" / "Sat 21 Nov 2026, 14:00–15:30"; multi-day spans name both days."""
    start = start.astimezone(tz)
    de = language == "de"
    weekday = _WEEKDAYS_SHORT[start.weekday()][0 if de else 1]
    day = f"{weekday}., {_day_de(start.date())}" if de else f"{weekday} {_day_en(start.date())}"
    if end is None:
        return f"{day}, {_t('from', language)} {_clock(start)}{' Uhr' if de else ''} ({_t('running', language)})"
    end = end.astimezone(tz)
    if end.date() != start.date():
        return f"{format_when(start, language=language)} – {format_when(end, language=language)}"
    return f"{day}, {_clock(start)}–{_clock(end)}{' Uhr' if de else ''}"


def _name(user: str, names: Mapping[str, str] | None) -> str:
    return (names or {}).get(user) or user


def _escape_block(text: str) -> str:
    """User text inside a list item: escaped, continuation lines indented so they stay in the item."""
    return md_escape(text).replace("\n", "\n  ")


def _safe_link(url: str | None) -> str | None:
    """A link destination that cannot break out of `[…](…)` and is only ever http(s)."""
    if not url or not re.match(r"https?://", url.strip(), re.IGNORECASE):
        return None
    return quote(url.strip(), safe=":/?#[]@!$&'*+,;=%~")


def _status_label(row: DecisionRow, language: str) -> str:
    if row.status == "superseded" and row.superseded_by is not None:
        return _t("superseded_by", language, id=row.superseded_by)
    return _t(row.status, language)


def _status_text(row: DecisionRow, language: str) -> str | None:
    """For lists: "ersetzt durch #18: Grund" for what no longer holds, "Hinweis: …" for a note on one that
    does, nothing for a plain decision in force."""
    label = _status_label(row, language) if row.status != "active" else _t("note", language) if row.note else None
    if label is None:
        return None
    return f"{label}: {' '.join(row.note.split())}" if row.note else label


def _chronological(rows: Iterable[DecisionRow]) -> list[DecisionRow]:
    return sorted(rows, key=lambda row: (row.created_at, row.id))


_FORMULA_START = ("=", "+", "-", "@")


def _csv_cell(text: str) -> str:
    """Text a spreadsheet will not run: cells that start like a formula get a leading apostrophe (OWASP)."""
    if text[:1] in ("\t", "\r") or text.lstrip().startswith(_FORMULA_START):
        return "'" + text
    return text


def decisions_csv(rows: Iterable[DecisionRow], *, tz: ZoneInfo) -> bytes:
    """The decisions for German Excel, oldest first: UTF-8 with BOM, ';', local "dd.mm.yyyy HH:MM"."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["Nr", "Datum", "Gruppe", "Autor", "Beschluss", "Schlagworte", "Status", "Link"])
    for row in _chronological(rows):
        author = f"{row.author_name} ({row.author})" if row.author_name else row.author
        status = _status_label(row, "de") + (f" – {row.note}" if row.note else "")
        cells = [
            row.group or "",
            author,
            row.text,
            ", ".join(tag.lstrip("#") for tag in row.tags),
            status,
            row.permalink or "",
        ]
        writer.writerow([str(row.id), row.created_at.astimezone(tz).strftime("%d.%m.%Y %H:%M"), *map(_csv_cell, cells)])
    return out.getvalue().encode("utf-8-sig")


def _decision_line(row: DecisionRow, *, tz: ZoneInfo, language: str) -> str:
    author = md_escape(" ".join((row.author_name or row.author).split()))
    parts = [f"**#{row.id}**", _day(row.created_at.astimezone(tz).date(), language), author]
    line = "- " + " · ".join(parts) + ": " + _escape_block(row.text)
    extras = [md_escape("#" + tag.lstrip("#")) for tag in row.tags]
    if (status := _status_text(row, language)) is not None:
        extras.append(f"*{md_escape(status)}*")
    if (link := _safe_link(row.permalink)) is not None:
        extras.append(f"[{_t('link', language)}]({link})")
    return line + "".join(f" · {extra}" for extra in extras)


def decisions_markdown(
    rows: Iterable[DecisionRow],
    *,
    tz: ZoneInfo,
    title: str,
    language: str,
    group_order: Sequence[str] = (),
) -> str:
    """A list of decisions by group (in `group_order`, then alphabetically, "no group" last), each
    chronological like a record. `title` is plain text; all user text is escaped."""
    _check_language(language)
    lines = [f"## {md_escape(title)}"] if title.strip() else []
    by_group: dict[str | None, list[DecisionRow]] = {}
    for row in _chronological(rows):
        by_group.setdefault(row.group, []).append(row)
    if not by_group:
        return "\n\n".join([*lines, _t("no_decisions", language)])
    order = {name: index for index, name in enumerate(group_order)}
    for group in sorted(by_group, key=lambda g: (g is None, order.get(g or "", len(order)), fold(g or ""))):
        heading = group if group is not None else _t("no_group", language)
        lines.append(f"### {md_escape(heading)}")
        lines.append("\n".join(_decision_line(row, tz=tz, language=language) for row in by_group[group]))
    return "\n\n".join(lines)


def _action_line(item: MinutesItem, *, names: Mapping[str, str] | None, language: str) -> str:
    line = "- " + _escape_block(item.text)
    details = []
    if item.owner:
        details.append(f"{_t('owner', language)}: {md_escape(_name(item.owner, names))}")
    if item.due:
        details.append(f"{_t('due', language)} {_day(item.due, language)}")
    return line + (" – " + ", ".join(details) if details else "")


def minutes_markdown(
    session: MinutesSession,
    items: Iterable[MinutesItem],
    *,
    tz: ZoneInfo,
    language: str,
    names: Mapping[str, str] | None = None,
) -> str:
    """Meeting minutes: title, when, who wrote into them, then Infos / Beschlüsse / Aufgaben.

    Participants are the people who started the minutes or added to them (the bot sees no attendance);
    `names` maps user ids to display names."""
    _check_language(language)
    ordered = sorted(items, key=lambda item: item.created_at)
    people = dict.fromkeys([session.started_by, *(item.author for item in ordered)])
    lines = [f"## {_t('minutes', language)}: {md_escape(session.title)}"]
    when = _span(session.started_at, session.ended_at, tz=tz, language=language)
    if session.group:
        when = f"{_t('group', language)} {session.group} · {when}"
    participants = ", ".join(_name(user, names) for user in people)
    lines.append(md_escape(when) + "\\\n" + f"{_t('participants', language)}: {md_escape(participants)}")

    def by(item: MinutesItem) -> str:
        return f" ({md_escape(_name(item.author, names))})"

    sections = [
        ("infos", ["- " + _escape_block(item.text) + by(item) for item in ordered if item.kind == "info"]),
        (
            "decisions",
            [
                "- " + (f"**#{item.ref_id}** " if item.ref_id is not None else "") + _escape_block(item.text) + by(item)
                for item in ordered
                if item.kind == "decision"
            ],
        ),
        ("actions", [_action_line(item, names=names, language=language) for item in ordered if item.kind == "action"]),
    ]
    for heading, entries in sections:
        if entries:
            lines.append(f"### {_t(heading, language)}\n\n" + "\n".join(entries))
    if not any(entries for _, entries in sections):
        lines.append(_t("no_entries", language))
    return "\n\n".join(lines)


def _open_action_sort(item: MinutesItem) -> tuple[bool, date, datetime]:
    return item.due is None, item.due or date.max, item.created_at


def yearly_report_markdown(
    year: int,
    groups: Sequence[GroupReport],
    *,
    tz: ZoneInfo,
    extra_sections: Sequence[tuple[str, str]] = (),
    language: str,
    names: Mapping[str, str] | None = None,
) -> str:
    """The annual report: an overview table, a section per group (in the given order), then `extra_sections`.

    Renders what it is given; the caller selects the year's rows. Extra sections are (plain-text heading,
    ready Markdown) pairs, e.g. the substitution balance: their Markdown is inserted as is."""
    _check_language(language)
    lines = [f"# {_t('report', language, year=year)}", f"## {_t('overview', language)}"]
    if groups:
        header = [_t("group", language), _t("decisions", language), _t("meetings", language),
                  _t("minutes_plural", language), _t("open_actions", language)]  # fmt: skip
        table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        totals = [0, 0, 0, 0]
        for report in groups:
            counts = [len(report.decisions), report.meetings_held, len(report.minutes), len(report.open_actions)]
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            table.append(f"| {md_escape(report.name)} | " + " | ".join(map(str, counts)) + " |")
        table.append(f"| **{_t('total', language)}** | " + " | ".join(f"**{n}**" for n in totals) + " |")
        lines.append("\n".join(table))
    else:
        lines.append(_t("no_groups", language))

    for report in groups:
        lines.append(f"## {md_escape(report.name)}")
        if not (report.decisions or report.minutes or report.open_actions):
            lines.append(_t("quiet", language, year=year))
            continue
        if report.decisions:
            statuses = {s: sum(row.status == s for row in report.decisions) for s in get_args(DecisionStatus)}
            by_status = _t("status_counts", language, **statuses)
            decisions = "\n".join(
                _decision_line(row, tz=tz, language=language) for row in _chronological(report.decisions)
            )
            lines.append(f"### {_t('decisions', language)} ({len(report.decisions)}; {by_status})\n\n{decisions}")
        if report.minutes:
            minutes = "\n".join(
                f"- {_span(m.started_at, m.ended_at, tz=tz, language=language)}: {md_escape(m.title)}"
                for m in sorted(report.minutes, key=lambda m: m.started_at)
            )
            lines.append(f"### {_t('minutes_plural', language)} ({len(report.minutes)})\n\n{minutes}")
        if report.open_actions:
            actions = "\n".join(
                _action_line(item, names=names, language=language)
                for item in sorted(report.open_actions, key=_open_action_sort)
            )
            lines.append(f"### {_t('open_actions', language)} ({len(report.open_actions)})\n\n{actions}")

    for heading, markdown in extra_sections:
        lines.append(f"## {md_escape(heading)}")
        if markdown.strip():
            lines.append(markdown.strip())
    return "\n\n".join(lines)
