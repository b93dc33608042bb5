"""`!export` (decisions as CSV or Markdown) and `!jahresbericht` (the yearly report); `export_decisions` and
`build_report` serve the command line too."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from bot.dispatch import CommandContext
from bot.errors import BadArgument, Forbidden
from bot.replies import Attachment, Reply, md_escape
from bot.schedule_parsing import occurrences
from commands.arguments import Year
from commands.decisions.render import GroupReport, decisions_csv, decisions_markdown, yearly_report_markdown
from commands.decisions.shared import (
    decision_row,
    display_names,
    minutes_item,
    minutes_session,
    read_query,
    room_group,
    router,
    search_scope,
)
from commands.decisions.texts import MESSAGES
from commands.substitutions.commands import balance_table
from commands.timezones import room_timezone
from storage import Repositories
from storage.text import fold, slug


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
        group_order=ctx.config.groups,
    )
    return Reply.text(ctx.t("exp.done", count=count, kind=kind.upper()), attachments=[attachment])


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
    group_order: Sequence[str] = (),
) -> tuple[Attachment, int]:
    """All decisions of the scope (every status, oldest first) as CSV or Markdown; also for the CLI."""
    since = datetime(year, 1, 1, tzinfo=tz) if year else None
    until = datetime(year + 1, 1, 1, tzinfo=tz) if year else None
    result = await repos.decisions.search(
        groups=groups, room_id=room_id, since=since, until=until, status="all", limit=None, newest_first=False
    )
    names = await display_names(repos, list({d.author for d in result.decisions}))
    rows = [decision_row(d, names) for d in result.decisions]
    label = " ".join(x for x in (scope_label, str(year) if year else "") if x)
    name = f"beschluesse-{slug(label) or 'alle'}"
    if kind == "csv":
        return Attachment(f"{name}.csv", "text/csv", decisions_csv(rows, tz=tz)), len(rows)
    title = MESSAGES["exp.title"][language].format(scope=label)
    markdown = decisions_markdown(rows, tz=tz, title=title, language=language, group_order=group_order)
    return Attachment(f"{name}.md", "text/markdown", markdown.encode("utf-8")), len(rows)


@router.command(
    "jahresbericht",
    aliases=["annualreport", "yearlyreport"],
    help_de="Erstellt den Jahresbericht (Beschlüsse, Termine, Protokolle, Aufgaben, Vertretungen) als Datei",
    help_en="Builds the yearly report (decisions, meetings, minutes, action items, substitutions) as a file",
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
    markdown, totals = await build_report(
        ctx.repos, chosen, groups, tz=tz, language=ctx.language, room_groups=dict(ctx.config.room_groups),
        whole_network=own is None,
    )  # fmt: skip
    scope = f" ({md_escape(own)})" if own else ""
    attachment = Attachment(
        f"jahresbericht-{chosen}{'-' + slug(own) if own else ''}.md", "text/markdown", markdown.encode("utf-8")
    )
    return Reply.text(ctx.t("rep.done", year=chosen, scope=scope, **totals), attachments=[attachment])


async def build_report(
    repos: Repositories,
    year: int,
    groups: Sequence[str],
    *,
    tz: ZoneInfo,
    language: str,
    room_groups: dict[str, str],
    whole_network: bool,
) -> tuple[str, dict[str, int]]:
    """The yearly report as Markdown and its totals (also used by `redi-bot export report`)."""
    since, until = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    found = await repos.decisions.search(
        groups=list(groups), since=since, until=until, status="all", limit=None, newest_first=False
    )
    names = await display_names(repos, list({d.author for d in found.decisions}))
    sessions = await repos.minutes.sessions(since=since, until=until, groups=list(groups))
    open_items = await repos.minutes.open_actions(groups=list(groups))
    held = await _meetings_held(repos, since, until, room_groups)
    reports = []
    for group in groups:
        reports.append(
            GroupReport(
                name=group,
                decisions=[decision_row(d, names) for d in found.decisions if d.group == group],
                meetings_held=held.get(group, 0),
                minutes=[minutes_session(s) for s in sessions if s.group == group],
                open_actions=[minutes_item(i) for i in open_items if i.group == group],
            )
        )
    extra: list[tuple[str, str]] = []
    if whole_network:
        table = await balance_table(repos, year, tz, language)
        if table:
            extra.append((MESSAGES["rep.balance"][language], table))
        asked = await repos.search_stats.top(since=since.date(), until=until.date())
        if asked:
            lines = [f"{n}. {md_escape(label)} ({count}×)" for n, (label, count) in enumerate(asked, 1)]
            extra.append((MESSAGES["rep.asked"][language], "\n".join(lines)))
    markdown = yearly_report_markdown(year, reports, tz=tz, extra_sections=extra, language=language)
    totals = {
        "decisions": len(found.decisions),
        "meetings": sum(held.get(g, 0) for g in groups),
        "minutes": len(sessions),
        "actions": len(open_items),
    }
    return markdown, totals


async def _meetings_held(
    repos: Repositories, since: datetime, until: datetime, room_groups: dict[str, str]
) -> dict[str, int]:
    """Occurrences of each group's meetings in [since, until) that were not skipped or cancelled before."""
    counts: dict[str, int] = {}
    for room_id, group in room_groups.items():
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
            counts[group] = counts.get(group, 0) + sum(1 for d in dates if since <= d < end)
    return counts
