"""`!export` (decisions as CSV or Markdown) and `!jahresbericht` (the yearly report); `export_decisions` serves the
command line too."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from babel.lists import format_list

from bot.dispatch import CommandContext
from bot.errors import BadArgument, Forbidden
from bot.i18n import Catalog
from bot.replies import Attachment, Reply, md_escape, md_text
from bot.schedule_parsing import occurrences
from commands.arguments import Year
from commands.charts import drawn
from commands.decisions.render import (
    GroupReport,
    MeetingHeld,
    decisions_csv,
    decisions_markdown,
    is_user_id,
    yearly_report_markdown,
)
from commands.decisions.shared import (
    decision_row,
    load_people,
    minutes_item,
    minutes_session,
    read_query,
    room_group,
    router,
    search_scope,
)
from commands.decisions.texts import MESSAGES
from commands.decisions.yearly import GroupMonths, decisions_chart, group_months, year_decisions, year_range
from commands.substitutions.charts import balance_chart, balance_filename
from commands.substitutions.commands import balance_markdown, balance_rows
from commands.substitutions.rules import CityBalance
from commands.timezones import room_timezone
from storage import Repositories
from storage.decisions import DecisionRecord, ItemRecord, SessionRecord
from storage.text import fold, slug

_catalog = Catalog(MESSAGES)


@router.command(
    "export",
    help_de="Schickt Beschlüsse als CSV- oder Markdown-Datei, optional für eine Gruppe und ein Jahr",
    help_en="Sends decisions as a CSV or Markdown file, optionally for one group and year",
    details_de="`!export beschluesse csv`, `!export beschluesse md eAkte 2026`. Auf der Kommandozeile: "
    "`redi-bot export decisions --format csv`.",
    details_en="`!export decisions csv`, `!export decisions md eAkte 2026`. On the command line: "
    "`redi-bot export decisions --format csv`.",
    labels={"text": ("beschluesse csv|md [Gruppe] [Jahr]", "decisions csv|md [group] [year]")},
    replay_safe=True,
)
async def export(ctx: CommandContext, *, text: str | None = None) -> Reply:
    words = (text or "").split()
    if len(words) < 2 or fold(words[0]) not in ("beschluesse", "decisions") or fold(words[1]) not in ("csv", "md"):
        raise BadArgument("exp.usage")
    kind = fold(words[1])
    year: int | None = None
    rest = words[2:]
    if rest and re.fullmatch(r"\d{4}", rest[-1]):
        year = int(rest.pop())
    query_text = f'gruppe:"{" ".join(rest)}"' if rest else ""
    query = await read_query(ctx, query_text)
    scope = search_scope(ctx, query.group)
    tz = await room_timezone(ctx)
    attachment, count = await export_decisions(
        ctx.repos,
        kind=kind,
        groups=scope.groups,
        room_id=scope.room_id,
        year=year,
        tz=tz,
        language=ctx.language,
        scope_label=scope.label,
        scope_title=scope.described,
        group_order=ctx.config.groups,
        member_names=ctx.member_names,
    )
    return Reply.text(ctx.t("exp.done", count=count, kind=kind.upper()), attachments=[attachment])


MemberNames = Callable[[Collection[str]], Mapping[str, str]]
"""Display names as the room shows them (`CommandContext.member_names`), for people without a profile name."""


async def export_decisions(
    repos: Repositories,
    *,
    kind: str,
    groups: Sequence[str] | None,
    room_id: str | None,
    year: int | None,
    tz: ZoneInfo,
    language: str,
    scope_label: str,
    scope_title: str = "",
    group_order: Sequence[str] = (),
    member_names: MemberNames | None = None,
) -> tuple[Attachment, int]:
    """All decisions of the scope (every status, oldest first) as CSV or Markdown; also for the CLI. `scope_label`
    goes into the file name ("eAkte"), `scope_title` into the title ("Gruppe eAkte", by default for one group)."""
    since = datetime(year, 1, 1, tzinfo=tz) if year else None
    until = datetime(year + 1, 1, 1, tzinfo=tz) if year else None
    result = await repos.decisions.search(
        groups=groups, room_id=room_id, since=since, until=until, status="all", limit=None, newest_first=False
    )
    authors = [d.author for d in result.decisions]
    named = await load_people(repos, authors, known=member_names(set(authors)) if member_names else None)
    rows = [decision_row(d, named.names) for d in result.decisions]
    label = " ".join(x for x in (scope_label, str(year) if year else "") if x)
    name = f"beschluesse-{slug(label) or 'alle'}"
    if kind == "csv":
        return Attachment(f"{name}.csv", "text/csv", decisions_csv(rows, tz=tz)), len(rows)
    if not scope_title and groups is not None and len(groups) == 1:  # the command line names only the group
        scope_title = _catalog.text(language, "dec.scope_group", group=groups[0])
    described = ", ".join(x for x in (scope_title or scope_label, str(year) if year else "") if x)
    title = (
        _catalog.text(language, "exp.title", scope=described) if described else _catalog.text(language, "exp.title_all")
    )
    markdown = decisions_markdown(rows, tz=tz, title=title, language=language, group_order=group_order)
    return Attachment(f"{name}.md", "text/markdown", markdown.encode("utf-8")), len(rows)


@router.command(
    "jahresbericht",
    aliases=["annualreport", "yearlyreport"],
    help_de="Erstellt den Jahresbericht (Beschlüsse, Termine, Protokolle, Aufgaben, Vertretungen) als Datei",
    help_en="Builds the yearly report (decisions, meetings, minutes, action items, substitutions) as a file",
    details_de="Im Gruppenraum der Bericht der Gruppe; im Netzwerkraum oder per Direktnachricht (Koordination) der "
    "des ganzen Netzwerks: jede Gruppe mit Einträgen, dazu die Beschlüsse, Termine, Protokolle und Aufgaben des "
    "Netzwerkraums.",
    details_en="In a group room the group's report; in the network room or a direct message (coordinators) the "
    "whole network's: each group with entries, and the network room's decisions, meetings, minutes and action items.",
    labels={"year": ("Jahr", "year")},
    replay_safe=True,
)
async def yearly_report(ctx: CommandContext, *, year: Annotated[int, Year(ahead=0)] | None = None) -> Reply:
    tz = await room_timezone(ctx)
    chosen = year or ctx.clock.now().astimezone(tz).year
    own = room_group(ctx)
    if own is None and not ctx.is_coordinator:
        raise Forbidden("rep.forbidden")
    groups = [own] if own is not None else list(ctx.config.groups)
    await ctx.tally.flush(ctx.repos.search_stats)  # the searches of the last minutes count too
    report = await build_report(
        ctx.repos, chosen, groups, tz=tz, language=ctx.language, room_groups=dict(ctx.config.room_groups),
        network_room=ctx.config.network_room if own is None else None, whole_network=own is None,
        now=ctx.clock.now(), member_names=ctx.member_names,
    )  # fmt: skip
    scope = f" ({md_escape(own)})" if own else ""
    attachments = [
        Attachment(
            f"jahresbericht-{chosen}{'-' + slug(own) if own else ''}.md",
            "text/markdown",
            report.markdown.encode("utf-8"),
        ),
    ]
    language, cities = ctx.language, ctx.config.cities

    async def charts() -> list[Attachment]:  # drawn after the unit of work
        return await report_charts(report, year=chosen, language=language, cities=cities)

    counts = [ctx.t(f"rep.count.{kind}", count=count) for kind, count in report.totals.items() if count]
    if not counts:
        text = ctx.t("rep.done_empty", year=chosen, scope=scope)
    else:
        text = ctx.t("rep.done", year=chosen, scope=scope, counts=format_list(counts, locale=ctx.language))
    return Reply.text(text, attachments=attachments, attach_later=charts)


@dataclass(frozen=True)
class YearlyReport:
    markdown: str
    totals: dict[str, int]
    months: list[GroupMonths]  # decisions per group and month, for the chart
    balance: list[CityBalance] | None  # the whole network's report only


async def report_charts(report: YearlyReport, *, year: int, language: str, cities: Sequence[str]) -> list[Attachment]:
    """The report's charts as PNG images after its file: decisions per month when there are any, and the balance
    in the whole network's report when it has one. The text and the file say the same in words."""
    attachments = []
    if any(group.total for group in report.months):
        months = report.months
        chart = await drawn(lambda: decisions_chart(months, year=year, language=language))
        attachments.append(chart.attachment(_catalog.text(language, "rep.chart.file", year=year)))
    if report.balance:
        balance = report.balance
        chart = await drawn(lambda: balance_chart(balance, year=year, language=language, cities=cities))
        attachments.append(chart.attachment(balance_filename(year, language)))
    return attachments


async def build_report(
    repos: Repositories,
    year: int,
    groups: Sequence[str],
    *,
    tz: ZoneInfo,
    language: str,
    room_groups: dict[str, str],
    network_room: str | None,
    whole_network: bool,
    now: datetime,
    member_names: MemberNames | None = None,
) -> YearlyReport:
    """The yearly report as Markdown and its totals: a section for each of `groups`, and with a `network_room` one
    for the network's own decisions, meetings, minutes and action items (those of the network room that belong to
    no group). Meetings count up to `now`: held, not planned."""
    since, until = year_range(year, tz)
    found = await year_decisions(repos, year, groups, tz=tz, network_room=network_room)
    sessions = await repos.minutes.sessions(since=since, until=until, groups=list(groups))
    open_items = await repos.minutes.open_actions(groups=list(groups))
    rooms = [*room_groups, *([network_room] if network_room is not None else [])]
    held = await _meetings_held(repos, since, min(until, now), rooms)
    decisions: list[DecisionRecord] = list(found.groups)
    parts: list[tuple[str, list[DecisionRecord], list[MeetingHeld], list[SessionRecord], list[ItemRecord]]] = []
    if network_room is not None:
        own = found.network or []
        every_session = await repos.minutes.sessions(since=since, until=until)
        own_sessions = [s for s in every_session if s.room_id == network_room and s.group is None]
        own_items = [i for i in await repos.minutes.open_actions(room_id=network_room) if i.group is None]
        name = _catalog.text(language, "rep.network")
        network_meetings = [] if network_room in room_groups else held.get(network_room, [])
        parts.append((name, own, network_meetings, own_sessions, own_items))
        decisions += own
        sessions += own_sessions
        open_items += own_items
    for group in groups:
        parts.append(
            (
                group,
                [d for d in found.groups if d.group == group],
                [meeting for room, g in room_groups.items() if g == group for meeting in held.get(room, [])],
                [s for s in sessions if s.group == group],
                [i for i in open_items if i.group == group],
            )
        )
    mentioned = [*(d.author for d in decisions), *(i.owner for i in open_items)]
    known = member_names({u for u in mentioned if u and is_user_id(u)}) if member_names else None
    named = await load_people(repos, mentioned, known=known)
    reports = [
        GroupReport(
            name=name,
            decisions=[decision_row(d, named.names) for d in part_decisions],
            meetings=part_meetings,
            minutes=[minutes_session(s) for s in part_sessions],
            open_actions=[minutes_item(i) for i in part_items],
        )
        for name, part_decisions, part_meetings, part_sessions, part_items in parts
    ]
    extra: list[tuple[str, str]] = []
    balance = None
    if whole_network:
        balance = await balance_rows(repos, year, tz)
        table = balance_markdown(balance, language)
        if table:
            extra.append((_catalog.text(language, "rep.balance"), table))
        asked = await repos.search_stats.top(since=since.date(), until=until.date())
        if asked:
            lines = [f"{n}. {md_text(label)} ({count}×)" for n, (label, count) in enumerate(asked, 1)]
            extra.append((_catalog.text(language, "rep.asked"), "\n".join(lines)))
    markdown = yearly_report_markdown(year, reports, tz=tz, extra_sections=extra, language=language, names=named.names)
    totals = {
        "decisions": len(decisions),
        "meetings": sum(report.meetings_held for report in reports),
        "minutes": len(sessions),
        "actions": len(open_items),
    }
    months = group_months(found, groups, tz=tz, language=language)
    return YearlyReport(markdown, totals, months, balance)


async def _meetings_held(
    repos: Repositories, since: datetime, until: datetime, rooms: Sequence[str]
) -> dict[str, list[MeetingHeld]]:
    """Each room's meetings in [since, until) with the days they took place: occurrences not skipped, before
    the meeting was cancelled."""
    held: dict[str, list[MeetingHeld]] = {}
    for room_id in dict.fromkeys(rooms):
        for meeting in await repos.meetings.in_room(room_id, cancelled_since=since):
            end = min(until, meeting.cancelled_at) if meeting.cancelled_at else until
            tz = ZoneInfo(meeting.timezone)
            dates = occurrences(
                meeting.start,
                meeting.rrule,
                tz=tz,
                after=since - timedelta(seconds=1),
                count=400,
                exdates=meeting.skips,
            )
            days = [d.astimezone(tz).date() for d in dates if since <= d < end]
            if days:
                held.setdefault(room_id, []).append(MeetingHeld(meeting.title, days))
    return held
