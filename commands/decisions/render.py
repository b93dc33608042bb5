"""Rendering the decision log: decisions as CSV and Markdown, meeting minutes and the yearly report.

No I/O and no clock: the rows, the zone and the language are arguments; all user text is escaped here.
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

from bot.replies import md_escape
from bot.schedule_parsing import format_when
from commands.decisions.query import check_language, day_de, day_en
from storage.text import fold

__all__ = [
    "DecisionRow",
    "DecisionStatus",
    "GroupReport",
    "MinutesItem",
    "MinutesSession",
    "decisions_csv",
    "decisions_markdown",
    "minutes_markdown",
    "yearly_report_markdown",
]

DecisionStatus = Literal["active", "superseded", "revoked"]
MinutesKind = Literal["info", "decision", "action"]


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
    return day_de(day) if language == "de" else day_en(day)


def _clock(moment: datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def _span(start: datetime, end: datetime | None, *, tz: ZoneInfo, language: str) -> str:
    """ "Sa., 21.11.2026, 14:00–15:30 Uhr" / "Sat 21 Nov 2026, 14:00–15:30"; multi-day spans name both days."""
    start = start.astimezone(tz)
    de = language == "de"
    weekday = _WEEKDAYS_SHORT[start.weekday()][0 if de else 1]
    day = f"{weekday}., {day_de(start.date())}" if de else f"{weekday} {day_en(start.date())}"
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
    check_language(language)
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
    check_language(language)
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
    check_language(language)
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
