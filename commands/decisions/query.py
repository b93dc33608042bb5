"""Reading `!beschluesse` searches and building their full-text queries. The decisions' rendering is in
`render`.

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
- Search words are required; function words ("für", "the") and words that only say what is searched for
  ("Beschlüsse") are dropped from the full-text query. A quoted phrase is read as its words (no phrase search).
- `status:` defaults to `aktiv`: what holds now, neither superseded nor revoked. That answers "what did we
  decide about X?"; `status:alle` also shows the history. The handler should say when hidden matches exist.
- `#Wort` is a tag, `#17` decision number 17, a bare Matrix id or pill (`@anna:example.org`) the author.

Full text: storage analyses the search words as it analysed the decisions (`storage.fulltext`, one German
analysis for the decision log and who-knows): a word finds its other forms ("Verträge" / "Vertrag"), the
compounds it is part of ("Rechnung" finds "Papierrechnung" and "XRechnung") and, from three letters on, the
words it begins; "Recht" does not find "Rechnung". Nothing a user types can become an operator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from bot.errors import BadArgument, Localized, code
from bot.i18n import LANGUAGES
from bot.schedule_parsing import ScheduleError, parse_date
from commands.arguments import resolve_name
from storage.text import fold

__all__ = [
    "MAX_SEARCH_WORDS",
    "DecisionQuery",
    "DecisionQueryError",
    "StatusFilter",
    "describe_decision_query",
    "parse_decision_query",
]

StatusFilter = Literal["active", "superseded", "revoked", "all"]

MAX_SEARCH_WORDS = 12
"""More words than this are refused: every word is required, so more only finds less."""


@dataclass(frozen=True)
class DecisionQuery:
    """A parsed `!beschluesse` search. Empty filters mean "no restriction"."""

    words: tuple[str, ...] = ()
    """Search words as written (quotes removed); storage analyses them (`storage.fulltext.search_terms`)."""
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


class DecisionQueryError(BadArgument, ValueError):
    """A search the bot will not guess at: a `decq.*` key of the decisions' catalog, whose text says how to write
    it, with an example. A `ValueError` too, as for any parser."""


# --- Reading a search --------------------------------------------------------------------------------------

_KEYS: dict[str, str] = {
    **dict.fromkeys(("gruppe", "group", "ag"), "group"),
    **dict.fromkeys(("seit", "ab", "since"), "since"),
    **dict.fromkeys(("bis", "until", "till"), "until"),
    **dict.fromkeys(("von", "from", "autor", "author", "by"), "author"),
    **dict.fromkeys(("status",), "status"),
    **dict.fromkeys(("tag", "tags", "schlagwort", "stichwort"), "tag"),
}
# How a filter is named in messages; `_EXAMPLE` shows how to write it (each shown as one code span).
_KEY_NAME = {
    "group": Localized("gruppe", "group"),
    "since": Localized("seit", "since"),
    "until": Localized("bis", "until"),
    "author": Localized("von", "from"),
    "status": Localized("status", "status"),
    "tag": Localized("tag", "tag"),
}
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


def _code(de: str, en: str) -> Localized:
    return Localized(code(de), code(en))


def _example(name: str) -> Localized:
    return _code(*_EXAMPLE[name])


def _unknown_key(token: _Token) -> DecisionQueryError:
    close = _closest_key(token.key or "")
    if close is not None:
        return DecisionQueryError("decq.unknown_key_close", written=token.key, close=code(f"{close}:"))
    literal = token.written.replace('"', "")
    return DecisionQueryError("decq.unknown_key", written=token.key, literal=code(f'"{literal}"'))


def _missing_value(name: str) -> DecisionQueryError:
    return DecisionQueryError("decq.missing_value", name=_KEY_NAME[name], example=_example(name))


def _twice(name: str) -> DecisionQueryError:
    return DecisionQueryError("decq.twice", name=_KEY_NAME[name], example=_example(name))


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
                raise _ambiguous_group(value, steps)
        found, suggestion = resolve_name(value, groups)
        if found is not None:
            return found
    else:
        suggestion = None
    if suggestion:
        raise DecisionQueryError("decq.unknown_group_close", value=value, close=suggestion, groups=listing)
    raise DecisionQueryError("decq.unknown_group", value=value, groups=listing)


def _ambiguous_group(value: str, matches: Sequence[str]) -> DecisionQueryError:
    """The first match as the example, also quoted if it has spaces (unquoted it only works at the end)."""
    first, listing = matches[0], ", ".join(matches)
    example = _code(f"gruppe:{first}", f"group:{first}")
    if " " not in first:
        return DecisionQueryError("decq.group_ambiguous", value=value, groups=listing, example=example)
    quoted = _code(f'gruppe:"{first}"', f'group:"{first}"')
    return DecisionQueryError(
        "decq.group_ambiguous_quoted", value=value, groups=listing, example=example, quoted=quoted
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
    raise DecisionQueryError("decq.unknown_status", value=value)


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
    except ScheduleError:  # its own text would explain a date; the filter's says how to write one here
        return None
    if not _plausible(day.year):  # also keeps `created_range` clear of date.max
        return None
    if _DATE_WITHOUT_YEAR.fullmatch(text):
        return _without_year(_day_in(day), today=today, not_before=not_before)
    return day, day


def _bad_date(name: str, value: str) -> DecisionQueryError:
    return DecisionQueryError("decq.bad_date", name=_KEY_NAME[name], value=value, example=_example(name))


# How a day is said back in messages; `render` writes days the same way.


def day_de(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def day_en(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1][1][:3]} {day.year}"


def check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")


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
                raise DecisionQueryError("decq.not_a_user", value=value)
            set_once("author", user, author)
            author = user
        else:
            set_once(name, value, found.get(name))
            found[name] = value

    if len(words) > MAX_SEARCH_WORDS:
        raise DecisionQueryError("decq.too_many_words", count=len(words), limit=MAX_SEARCH_WORDS)

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
                "decq.since_future",
                value=found["since"],
                day=Localized(day_de(since), day_en(since)),
                example=_code(f"seit:1.1.{today.year}", f"since:1.1.{today.year}"),
            )
    if "until" in found:
        span = _date_span(found["until"], now=now, tz=tz, not_before=since)
        if span is None:
            raise _bad_date("until", found["until"])
        until = span[1]
    if since is not None and until is not None and since > until:
        raise DecisionQueryError(
            "decq.since_after_until",
            since=Localized(day_de(since), day_en(since)),
            until=Localized(day_de(until), day_en(until)),
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


def describe_decision_query(
    query: DecisionQuery, *, language: str, with_group: bool = True, author_name: str | None = None
) -> str:
    """The search said back in plain text (escape it for Markdown): "„XRechnung“, Gruppe Sensorik, seit …".
    `with_group=False` leaves the group out where the reply names it already (the search's scope); `author_name`
    names `von:`'s person as people know them."""
    check_language(language)
    de = language == "de"
    parts: list[str] = []
    if query.words:
        phrase = " ".join(query.words)
        parts.append(f"„{phrase}“" if de else f"“{phrase}”")
    if query.ids:
        parts.append(("Nr. " if de else "no. ") + ", ".join(f"#{n}" for n in query.ids))
    if query.group and with_group:
        parts.append(f"Gruppe {query.group}" if de else f"group {query.group}")
    if query.since:
        parts.append(f"seit {day_de(query.since)}" if de else f"since {day_en(query.since)}")
    if query.until:
        parts.append(f"bis {day_de(query.until)}" if de else f"until {day_en(query.until)}")
    parts.extend(f"#{label}" for label in query.tag_labels)
    if query.author:
        author = author_name or query.author
        parts.append(f"von {author}" if de else f"by {author}")
    parts.append((_STATUS_FILTER_DE if de else _STATUS_FILTER_EN)[query.status])
    return ", ".join(parts)
