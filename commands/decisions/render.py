"""Rendering the decision log: decisions as CSV and Markdown, meeting minutes and the yearly report.

No I/O and no clock: the rows, the zone and the language are arguments. The Markdown is for files that people
read in an editor as often as rendered: user text goes through `md_text`, which escapes only what would be
Markdown where it stands ("Sa., 28.11.2026, 22:29", "#eAkte" stay as written); people are named in full, "Anna
Berger (@anna:example.org)"; texts come from the decisions' catalog (`texts`, keys `file.*`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.i18n import Catalog
from bot.replies import md_text
from bot.schedule_parsing import format_when
from commands.decisions.query import check_language, day_de, day_en
from commands.decisions.texts import MESSAGES
from storage.text import MATRIX_USER_ID, fold

__all__ = [
    "DecisionRow",
    "DecisionStatus",
    "GroupReport",
    "MeetingHeld",
    "MinutesItem",
    "MinutesSession",
    "decisions_csv",
    "decisions_markdown",
    "is_user_id",
    "minutes_markdown",
    "yearly_report_markdown",
]

DecisionStatus = Literal["active", "superseded", "revoked"]
MinutesKind = Literal["info", "decision", "action"]

_catalog = Catalog(MESSAGES)


def _t(key: str, language: str, **values: object) -> str:
    return _catalog.text(language, key, **values)


def is_user_id(owner: str) -> bool:
    """An action item's owner is a Matrix id, or a name as written ("Kämmerei")."""
    return MATRIX_USER_ID.fullmatch(owner) is not None


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
    number: int | None
    """The number people know it by: the decision's ("Beschluss #17") or the action item's ("Aufgabe #3")."""

    def __post_init__(self) -> None:
        if self.kind not in get_args(MinutesKind):
            raise ValueError(f"kind must be one of {get_args(MinutesKind)}, not {self.kind!r}")


@dataclass(frozen=True)
class MeetingHeld:
    """A meeting of the year and the days it took place (local to the meeting)."""

    title: str
    days: Sequence[date]


@dataclass(frozen=True)
class GroupReport:
    name: str
    decisions: Sequence[DecisionRow]
    meetings: Sequence[MeetingHeld]
    minutes: Sequence[MinutesSession]
    open_actions: Sequence[MinutesItem]

    @property
    def meetings_held(self) -> int:
        return sum(len(meeting.days) for meeting in self.meetings)

    @property
    def quiet(self) -> bool:
        return not (self.decisions or self.meetings_held or self.minutes or self.open_actions)


_WEEKDAYS_SHORT = (("Mo", "Mon"), ("Di", "Tue"), ("Mi", "Wed"), ("Do", "Thu"), ("Fr", "Fri"), ("Sa", "Sat"),
                   ("So", "Sun"))  # fmt: skip


def _day(day: date, language: str) -> str:
    return day_de(day) if language == "de" else day_en(day)


def _day_in_year(day: date, language: str) -> str:
    """A day of the report's year: "3.11." / "3 Nov"."""
    return f"{day.day}.{day.month}." if language == "de" else " ".join(day_en(day).split()[:2])


def _clock(moment: datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def _span(start: datetime, end: datetime | None, *, tz: ZoneInfo, language: str) -> str:
    """ "Sa., 21.11.2026, 14:00–15:30 Uhr" / "Sat 21 Nov 2026, 14:00–15:30"; multi-day spans name both days."""
    start = start.astimezone(tz)
    weekday = _WEEKDAYS_SHORT[start.weekday()][0 if language == "de" else 1]
    day = f"{weekday}., {day_de(start.date())}" if language == "de" else f"{weekday} {day_en(start.date())}"
    if end is None:
        return _t("file.span_running", language, day=day, start=_clock(start))
    end = end.astimezone(tz)
    if end.date() != start.date():
        return f"{format_when(start, language=language)} – {format_when(end, language=language)}"
    return _t("file.span", language, day=day, start=_clock(start), end=_clock(end))


def _person(user: str, names: Mapping[str, str] | None) -> str:
    """Someone in a file, as readers of the file can find them: "Anna Berger (@anna:example.org)", the Matrix id
    alone when no name is known, an action item's owner written as a name as it was written."""
    name = (names or {}).get(user)
    if name is None or not is_user_id(user):
        return md_text(user)
    return md_text(f"{' '.join(name.split())} ({user})")


def _short_name(user: str, names: Mapping[str, str] | None) -> str:
    """Someone already named in full nearby (the participants of minutes): the name alone."""
    return md_text(" ".join(((names or {}).get(user) or user).split()))


def _block(text: str, indent: int = 2) -> str:
    """User text inside a list item: continuation lines indented so they stay in the item."""
    return md_text(text).replace("\n", "\n" + " " * indent)


def _safe_link(url: str | None) -> str | None:
    """A link destination that cannot break out of `[…](…)` and is only ever http(s)."""
    if not url or not re.match(r"https?://", url.strip(), re.IGNORECASE):
        return None
    return quote(url.strip(), safe=":/?#[]@!$&'*+,;=%~")


def _status_label(row: DecisionRow, language: str) -> str:
    if row.status == "superseded" and row.superseded_by is not None:
        return _t("file.superseded_by", language, id=row.superseded_by)
    return _t(f"dec.status.{row.status}", language)


def _status_text(row: DecisionRow, language: str) -> str | None:
    """For lists: "ersetzt durch #18: Grund" for what no longer holds, "Hinweis: …" for a note on one that
    does, nothing for a plain decision in force."""
    label = _status_label(row, language) if row.status != "active" else _t("file.note", language) if row.note else None
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
    author = _person(row.author, {row.author: row.author_name} if row.author_name else None)
    parts = [f"**#{row.id}**", _day(row.created_at.astimezone(tz).date(), language), author]
    line = "- " + " · ".join(parts) + ": " + _block(row.text)
    extras = [md_text("#" + tag.lstrip("#")) for tag in row.tags]
    if (status := _status_text(row, language)) is not None:
        extras.append(f"_{md_text(status)}_")
    if (link := _safe_link(row.permalink)) is not None:
        extras.append(f"[{_t('file.link', language)}]({link})")
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
    check_language(language)
    lines = [f"## {md_text(title)}"] if title.strip() else []
    by_group: dict[str | None, list[DecisionRow]] = {}
    for row in _chronological(rows):
        by_group.setdefault(row.group, []).append(row)
    if not by_group:
        return "\n\n".join([*lines, _t("file.no_decisions", language)])
    order = {name: index for index, name in enumerate(group_order)}
    for group in sorted(by_group, key=lambda g: (g is None, order.get(g or "", len(order)), fold(g or ""))):
        heading = group if group is not None else _t("file.no_group", language)
        lines.append(f"### {md_text(heading)}")
        lines.append("\n".join(_decision_line(row, tz=tz, language=language) for row in by_group[group]))
    return "\n\n".join(lines)


def _action_line(item: MinutesItem, *, names: Mapping[str, str] | None, language: str) -> str:
    number = f"**#{item.number}** " if item.number is not None else ""
    line = "- " + number + _block(item.text)
    details = []
    if item.owner:
        details.append(_t("file.owner", language, person=_person(item.owner, names)))
    if item.due:
        details.append(_t("file.due", language, day=_day(item.due, language)))
    return line + (" – " + ", ".join(details) if details else "")


def minutes_markdown(
    session: MinutesSession,
    items: Iterable[MinutesItem],
    *,
    tz: ZoneInfo,
    language: str,
    names: Mapping[str, str] | None = None,
) -> str:
    """Meeting minutes: title, when, who wrote into them, then Infos (numbered as when they were noted: "Info 2"),
    Beschlüsse and Aufgaben (with the numbers commands take: "#17").

    Participants are the people who started the minutes or added to them (the bot sees no attendance), named in
    full; the entries then name them by their name alone. `names` maps user ids to display names."""
    check_language(language)
    ordered = sorted(items, key=lambda item: item.created_at)
    people = dict.fromkeys([session.started_by, *(item.author for item in ordered)])
    lines = [f"## {_t('file.minutes', language, title=md_text(session.title))}"]
    when = _span(session.started_at, session.ended_at, tz=tz, language=language)
    if session.group:
        when = f"{_t('file.group', language, group=md_text(session.group))} · {when}"
    participants = ", ".join(_person(user, names) for user in people)
    lines.append(when + "  \n" + _t("file.participants", language, people=participants))

    def by(item: MinutesItem) -> str:
        return f" ({_short_name(item.author, names)})"

    infos = [item for item in ordered if item.kind == "info"]
    sections = [
        ("file.infos", [f"{n}. " + _block(item.text, len(f"{n}. ")) + by(item) for n, item in enumerate(infos, 1)]),
        (
            "file.decisions",
            [
                "- " + (f"**#{item.number}** " if item.number is not None else "") + _block(item.text) + by(item)
                for item in ordered
                if item.kind == "decision"
            ],
        ),
        (
            "file.actions",
            [_action_line(item, names=names, language=language) for item in ordered if item.kind == "action"],
        ),
    ]
    for heading, entries in sections:
        if entries:
            lines.append(f"### {_t(heading, language)}\n\n" + "\n".join(entries))
    if not any(entries for _, entries in sections):
        lines.append(_t("file.no_entries", language))
    return "\n\n".join(lines)


def _open_action_sort(item: MinutesItem) -> tuple[bool, date, datetime]:
    return item.due is None, item.due or date.max, item.created_at


def _decisions_heading(decisions: Sequence[DecisionRow], language: str) -> str:
    """ "Beschlüsse (5)", or "Beschlüsse (5, davon 1 ersetzt, 1 aufgehoben)" when some no longer hold."""
    statuses = [
        _t(f"file.status_count.{status}", language, count=count)
        for status in ("superseded", "revoked")
        if (count := sum(row.status == status for row in decisions))
    ]
    if not statuses:
        return _t("file.section", language, title=_t("file.decisions", language), count=len(decisions))
    return _t("file.section_decisions", language, count=len(decisions), statuses=", ".join(statuses))


def _group_sections(report: GroupReport, *, tz: ZoneInfo, language: str, names: Mapping[str, str] | None) -> str:
    def section(title_key: str, entries: Sequence[str], count: int) -> str:
        heading = _t("file.section", language, title=_t(title_key, language), count=count)
        return f"### {heading}\n\n" + "\n".join(entries)

    parts = [f"## {md_text(report.name)}"]
    if report.decisions:
        lines = [_decision_line(row, tz=tz, language=language) for row in _chronological(report.decisions)]
        parts.append(f"### {_decisions_heading(report.decisions, language)}\n\n" + "\n".join(lines))
    if report.meetings_held:
        meetings = [
            "- " + _t(
                "file.meeting", language, title=md_text(meeting.title),
                dates=", ".join(_day_in_year(day, language) for day in sorted(meeting.days)),
            )
            for meeting in report.meetings
            if meeting.days
        ]  # fmt: skip
        parts.append(section("file.column.meetings", meetings, report.meetings_held))
    if report.minutes:
        minutes = [
            f"- {_span(m.started_at, m.ended_at, tz=tz, language=language)}: {md_text(m.title)}"
            for m in sorted(report.minutes, key=lambda m: m.started_at)
        ]
        parts.append(section("file.column.minutes", minutes, len(report.minutes)))
    if report.open_actions:
        actions = [
            _action_line(item, names=names, language=language)
            for item in sorted(report.open_actions, key=_open_action_sort)
        ]
        parts.append(section("file.column.actions", actions, len(report.open_actions)))
    return "\n\n".join(parts)


def yearly_report_markdown(
    year: int,
    groups: Sequence[GroupReport],
    *,
    tz: ZoneInfo,
    extra_sections: Sequence[tuple[str, str]] = (),
    language: str,
    names: Mapping[str, str] | None = None,
) -> str:
    """The annual report: an overview table and a section for each group with something in the year (in the given
    order; the quiet ones are named in one line), then `extra_sections`.

    Renders what it is given; the caller selects the year's rows. Extra sections are (plain-text heading,
    ready Markdown) pairs, e.g. the substitution balance: their Markdown is inserted as is."""
    check_language(language)
    lines = [f"# {_t('file.report', language, year=year)}", f"## {_t('file.overview', language)}"]
    active = [report for report in groups if not report.quiet]
    quiet = [report.name for report in groups if report.quiet]
    if active:
        columns = ("group", "decisions", "meetings", "minutes", "actions")
        header = [_t(f"file.column.{column}", language) for column in columns]
        table = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
        totals = [0, 0, 0, 0]
        for report in active:
            counts = [len(report.decisions), report.meetings_held, len(report.minutes), len(report.open_actions)]
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            table.append(f"| {md_text(report.name, table_cell=True)} | " + " | ".join(map(str, counts)) + " |")
        if len(active) > 1:
            table.append(f"| **{_t('file.total', language)}** | " + " | ".join(f"**{n}**" for n in totals) + " |")
        lines.append("\n".join(table))
        if quiet:
            lines.append(_t("file.quiet", language, year=year, groups=", ".join(md_text(name) for name in quiet)))
    else:
        lines.append(_t("file.nothing", language, year=year))

    for report in active:
        lines.append(_group_sections(report, tz=tz, language=language, names=names))

    for heading, markdown in extra_sections:
        lines.append(f"## {md_text(heading)}")
        if markdown.strip():
            lines.append(markdown.strip())
    return "\n\n".join(lines)
