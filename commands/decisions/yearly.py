"""What the yearly report counts, once for chat (`!jahresbericht`, `export.build_report`) and the report page
(`report_web`): a year's decisions per group (and the network room's own), per month in the report's time zone, and
the chart of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import Catalog
from commands.charts import Chart, Format, Series, small_multiples
from commands.decisions.texts import MESSAGES
from storage import Repositories
from storage.decisions import DecisionRecord

_catalog = Catalog(MESSAGES)


@dataclass(frozen=True)
class YearDecisions:
    groups: list[DecisionRecord]  # of the groups asked for, oldest first
    network: list[DecisionRecord] | None  # the network room's own (no group); None when it was not asked for


@dataclass(frozen=True)
class GroupMonths:
    name: str  # a group, or the network's label
    months: tuple[int, ...]  # decisions in January … December

    @property
    def total(self) -> int:
        return sum(self.months)


def year_range(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


async def year_decisions(
    repos: Repositories, year: int, groups: Sequence[str], *, tz: ZoneInfo, network_room: str | None
) -> YearDecisions:
    """Every decision of the year (any status) of `groups`, and with a `network_room` those of that room that belong
    to no group."""
    since, until = year_range(year, tz)
    found = await repos.decisions.search(
        groups=list(groups), since=since, until=until, status="all", limit=None, newest_first=False
    )
    network = None
    if network_room is not None:
        own = await repos.decisions.search(
            room_id=network_room, since=since, until=until, status="all", limit=None, newest_first=False
        )
        network = [d for d in own.decisions if d.group is None]
    return YearDecisions(list(found.decisions), network)


def per_month(decisions: Iterable[DecisionRecord], tz: ZoneInfo) -> tuple[int, ...]:
    counts = [0] * 12
    for decision in decisions:
        counts[decision.created_at.astimezone(tz).month - 1] += 1
    return tuple(counts)


def group_months(found: YearDecisions, groups: Sequence[str], *, tz: ZoneInfo, language: str) -> list[GroupMonths]:
    """Per group of `groups` in their order (also those without a decision), then the network's own."""
    months = [GroupMonths(group, per_month((d for d in found.groups if d.group == group), tz)) for group in groups]
    if found.network is not None:
        months.append(GroupMonths(_catalog.text(language, "rep.network"), per_month(found.network, tz)))
    return months


def month_names(language: str) -> list[str]:
    from babel.dates import get_month_names  # the module is cheap; its locale data is read on the first call

    names = get_month_names("abbreviated", locale=language if language in ("de", "en") else "de")
    return [str(names[month]).rstrip(".") for month in range(1, 13)]


def decisions_chart(
    months: Sequence[GroupMonths], *, year: int, language: str, fmt: Format = "png", titled: bool = True
) -> Chart:
    """Small multiples of the groups that decided something that year (all of them when none did)."""

    def t(key: str, **params: object) -> str:
        return _catalog.text(language, key, **params)

    shown = [group for group in months if group.total] or list(months)
    details = "; ".join(t("rep.chart.alt_group", group=g.name, count=g.total) for g in shown if g.total)
    return small_multiples(
        month_names(language),
        [Series(group.name, group.name, group.months) for group in shown],
        title=t("rep.chart.title", year=year) if titled else None,
        value_label=t("rep.chart.axis"),
        alt=t("rep.chart.alt", year=year, details=(details + ".") if details else t("rep.chart.none")),
        fmt=fmt,
    )
