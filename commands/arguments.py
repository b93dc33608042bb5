"""Typed arguments every feature shares: a handler declares `city: Annotated[str, CITY]` and gets a checked value.

Each converter reads what people type (loosely: "buehl", "Ettlngen", a pill, `@anna`), bounds it, and answers
anything else with a friendly error that names what is possible. Their texts join the catalog via commands.help.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import available_timezones

from rapidfuzz import fuzz, process

from bot.dispatch import CommandContext
from bot.errors import BadArgument, Localized
from bot.schedule_parsing import parse_duration
from commands.timezones import room_timezone
from storage.text import MATRIX_USER_ID, fold

MESSAGES = {
    "arg.city_unknown": {
        "de": "„{city}“ gehört nicht zum Netzwerk.{suggestion} Möglich: {cities}.",
        "en": "“{city}” is not part of the network.{suggestion} Possible: {cities}.",
    },
    "arg.city_suggestion": {"de": " Meintest du {city}?", "en": " Did you mean {city}?"},
    "arg.group_unknown": {
        "de": "Die Gruppe „{group}“ kenne ich nicht.{suggestion} Möglich: {groups}.",
        "en": "I don't know the group “{group}”.{suggestion} Possible: {groups}.",
    },
    "arg.group_suggestion": {"de": " Meintest du {group}?", "en": " Did you mean {group}?"},
    "arg.timezone_unknown": {
        "de": "„{zone}“ kenne ich nicht. Zeitzonen heißen z. B. Europe/Berlin oder America/New_York.",
        "en": "I don't know “{zone}”. Time zones look like Europe/Berlin or America/New_York.",
    },
    "arg.not_a_user": {
        "de": "„{user}“ ist keine Matrix-ID. Schreib sie ganz (`@name:server`), als `@name` für jemanden auf "
        "deinem Server, oder erwähne die Person.",
        "en": "“{user}” is not a Matrix id. Write it in full (`@name:server`), as `@name` for someone on your "
        "server, or mention the person.",
    },
    "arg.not_a_year": {
        "de": "„{year}“ ist kein Jahr, für das ich etwas habe: bitte vier Ziffern von {first} bis {last}.",
        "en": "“{year}” is not a year I have anything for: please four digits from {first} to {last}.",
    },
}

NONE_WORDS = frozenset({"keine", "keiner", "none", "aus", "off", "leer"})
FIRST_YEAR = 2000  # nothing in the network's records is older


def resolve_name(text: str, names: Sequence[str], *, cutoff: float = 75) -> tuple[str | None, str | None]:
    """(exact match, suggestion): names compare folded, so "baden baden" and "buehl" are exact."""
    key = fold(text)
    for name in names:
        if fold(name) == key:
            return name, None
    choices = {n: fold(n) for n in names}
    # A one-letter slip ("Ettlngen") is accepted; the reply names the city, so a wrong guess shows.
    close = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=90)
    if close is not None:
        return close[2], None
    # Anything else is only suggested ("Bühlertal" -> "Bühl?"), never guessed.
    similar = process.extractOne(key, choices, scorer=fuzz.WRatio, score_cutoff=cutoff)
    return None, (similar[2] if similar else None)


@dataclass(frozen=True)
class City:
    """One of the configured cities, as configured ("buehl" -> "Bühl")."""

    async def convert(self, ctx: CommandContext, text: str, label: Localized) -> str:
        found, suggestion = resolve_name(text, ctx.config.cities)
        if found is None:
            hint = ctx.t("arg.city_suggestion", city=suggestion) if suggestion else ""
            raise BadArgument("arg.city_unknown", city=text, suggestion=hint, cities=", ".join(ctx.config.cities))
        return found


@dataclass(frozen=True)
class Groups:
    """Configured project groups, separated by commas; "keine" (none) is the empty list."""

    async def convert(self, ctx: CommandContext, text: str, label: Localized) -> list[str]:
        if fold(text) in NONE_WORDS:
            return []
        chosen: list[str] = []
        for name in filter(None, (part.strip() for part in re.split(r"[,;\n]+", text))):
            found, suggestion = resolve_name(name, ctx.config.groups)
            if found is None:
                hint = ctx.t("arg.group_suggestion", group=suggestion) if suggestion else ""
                groups = ", ".join(ctx.config.groups)
                raise BadArgument("arg.group_unknown", group=name, suggestion=hint, groups=groups)
            chosen.append(found)
        return list(dict.fromkeys(chosen))


@dataclass(frozen=True)
class TimeZoneName:
    """An IANA time zone name in any case ("europe/lisbon" -> "Europe/Lisbon")."""

    async def convert(self, ctx: CommandContext, text: str, label: Localized) -> str:
        wanted = text.strip().lower()
        match = next((name for name in available_timezones() if name.lower() == wanted), None)
        if match is None:
            raise BadArgument("arg.timezone_unknown", zone=text)
        return match


_PILL = re.compile(r"^\[[^\]]*\]\(https://matrix\.to/#/(@[^)]+)\)$")
_LOCAL_PART = re.compile(r"^@[a-z0-9._=/+-]+$")  # the Matrix spec's user id localpart characters


@dataclass(frozen=True)
class MatrixUser:
    """A person: a mention (pill), a full Matrix id, or `@name` for someone on the sender's own server."""

    async def convert(self, ctx: CommandContext, text: str, label: Localized) -> str:
        written = text.strip()
        pill = _PILL.match(written)
        if pill:
            return pill.group(1)
        if MATRIX_USER_ID.fullmatch(written):
            return written
        # A client that makes pills sends the display name as text and the id in m.mentions.
        if len(ctx.message.mentions) == 1:
            return ctx.message.mentions[0]
        if _LOCAL_PART.match(written.lower()):
            return f"{written.lower()}:{ctx.sender.split(':', 1)[1]}"
        raise BadArgument("arg.not_a_user", user=written)


@dataclass(frozen=True)
class Durations:
    """Durations separated by commas or "und" ("1 Tag, 15 min"); "keine" (none) is the empty list."""

    async def convert(self, ctx: CommandContext, text: str, label: Localized) -> list[timedelta]:
        if fold(text) in NONE_WORDS:
            return []
        parts = [part.strip() for part in re.split(r"[,;]|\bund\b|\band\b", text) if part.strip()]
        if not parts:
            raise BadArgument("error.missing_argument", label=label)
        return [parse_duration(part) for part in parts]


@dataclass(frozen=True)
class Year:
    """A year from 2000 up to `ahead` years from now in the room's zone."""

    ahead: int

    async def convert(self, ctx: CommandContext, text: str, label: Localized) -> int:
        last = ctx.clock.now().astimezone(await room_timezone(ctx)).year + self.ahead
        if re.fullmatch(r"\d{4}", text.strip()) and FIRST_YEAR <= int(text) <= last:
            return int(text)
        raise BadArgument("arg.not_a_year", year=text, first=FIRST_YEAR, last=last)


CITY = City()
GROUPS = Groups()
TIME_ZONE = TimeZoneName()
USER = MatrixUser()
DURATIONS = Durations()
