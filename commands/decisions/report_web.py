"""The yearly report's web page (`/bericht?jahr=2026`) and its charts: what they show, and to whom.

Chat's rules, read from `!bilanz` and `!jahresbericht`: the substitution balance is everyone's (`!bilanz` answers
anybody, in any room); decisions per group and month are shown for the groups of the rooms the person shares with
the bot (what `!jahresbericht` gives in each of those group rooms), and for a coordinator for every group plus the
network room's own (the whole network's report, which only coordinators get). The numbers are counted by the same
functions as in chat (`commands.substitutions.commands.balance_rows`, `commands.decisions.yearly`), and the page's
tables hold exactly the numbers the charts are drawn from. Everything returned is plain data.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.errors import BadArgument
from commands.arguments import FIRST_YEAR
from commands.charts import Chart, Format
from commands.decisions.yearly import GroupMonths, decisions_chart, group_months, month_names, year_decisions
from commands.substitutions.charts import balance_chart, every_city
from commands.substitutions.commands import balance_rows
from commands.substitutions.rules import CityBalance
from commands.web.access import Viewer
from storage import Database, Repositories

ChartName = Literal["bilanz", "beschluesse"]
CHARTS: tuple[ChartName, ...] = ("bilanz", "beschluesse")
MAX_SHOWN = 40  # characters of a bad year repeated in the error


@dataclass(frozen=True)
class ReportView:
    year: int
    first_year: int
    last_year: int
    scope: Literal["all", "groups", "none"]
    balance: list[CityBalance]  # every configured city, then any other, "no city" last: the chart's rows
    balance_counted: bool  # any substitution between cities that year
    months: list[GroupMonths]  # the groups the person may see, in the config's order: the chart's panels
    month_names: list[str]
    decisions_counted: bool

    @property
    def balance_totals(self) -> tuple[int, int]:
        return sum(row.helped for row in self.balance), sum(row.was_helped for row in self.balance)

    @property
    def month_totals(self) -> list[int]:
        return [sum(group.months[month] for group in self.months) for month in range(12)]


@dataclass(frozen=True)
class ChartFigures:
    """What a chart is drawn from, and a tag that changes exactly when the picture would (its ETag)."""

    name: ChartName
    year: int
    balance: list[CityBalance]
    months: list[GroupMonths]
    tag: str


def last_year(now: datetime, tz: ZoneInfo) -> int:
    return now.astimezone(tz).year


def parse_year(text: str | None, *, now: datetime, tz: ZoneInfo) -> int:
    """The year asked for (this year without one), bounded as `!jahresbericht`'s: from 2000 to this year."""
    last = last_year(now, tz)
    if text is None or not text.strip():
        return last
    text = text.strip()
    if re.fullmatch(r"\d{4}", text) and FIRST_YEAR <= int(text) <= last:
        return int(text)
    shown = text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"
    raise BadArgument("arg.not_a_year", year=shown, first=FIRST_YEAR, last=last)


def _scope(viewer: Viewer, config: Config) -> tuple[list[str], str | None]:
    """The groups whose decisions the person sees, and the network room whose own ones they see (coordinators)."""
    if viewer.is_coordinator:
        return list(config.groups), config.network_room
    return [group for group in config.groups if group in viewer.groups], None


async def _figures(
    repos: Repositories,
    viewer: Viewer,
    config: Config,
    year: int,
    tz: ZoneInfo,
    only: ChartName | None = None,
) -> tuple[list[CityBalance], list[GroupMonths]]:
    """The balance and the decisions per group and month; with `only`, just what that chart is drawn from (a chart's
    image is asked for on its own, and the year's decisions are the larger read)."""
    groups, network_room = _scope(viewer, config)
    balance = every_city(await balance_rows(repos, year, tz), config.cities) if only != "beschluesse" else []
    months: list[GroupMonths] = []
    if only != "bilanz" and (groups or network_room is not None):
        found = await year_decisions(repos, year, groups, tz=tz, network_room=network_room)
        months = group_months(found, groups, tz=tz, language=viewer.language)
    return balance, months


async def report_view(
    db: Database, viewer: Viewer, config: Config, year_text: str | None, *, now: datetime
) -> ReportView:
    """The page's numbers; raises `BadArgument` for a year that is none or out of bounds."""
    async with db.reading() as repos:
        tz = config.timezone  # the network's year, as `!jahresbericht` counts it, not one person's zone
        year = parse_year(year_text, now=now, tz=tz)
        balance, months = await _figures(repos, viewer, config, year, tz)
    scope: Literal["all", "groups", "none"] = "all" if viewer.is_coordinator else "groups" if months else "none"
    return ReportView(
        year=year,
        first_year=FIRST_YEAR,
        last_year=last_year(now, tz),
        scope=scope,
        balance=balance,
        balance_counted=any(row.helped or row.was_helped for row in balance),
        months=months,
        month_names=month_names(viewer.language),
        decisions_counted=any(group.total for group in months),
    )


CHART_LOOK = 1
"""Part of every chart's tag (its ETag): raise it when a release changes how charts look, so browsers fetch anew."""


async def chart_figures(
    db: Database, viewer: Viewer, config: Config, year_text: str, name: ChartName, *, now: datetime
) -> ChartFigures | None:
    """What one chart of the page is drawn from; None when the person may see no such chart (decisions without a
    group room). Raises `BadArgument` for a bad year."""
    async with db.reading() as repos:
        tz = config.timezone  # the network's year, as `!jahresbericht` counts it, not one person's zone
        year = parse_year(year_text, now=now, tz=tz)
        balance, months = await _figures(repos, viewer, config, year, tz, only=name)
    if name == "beschluesse" and not months:
        return None
    drawn_from = repr((CHART_LOOK, name, year, viewer.language, balance if name == "bilanz" else months))
    tag = hashlib.sha256(drawn_from.encode()).hexdigest()[:32]
    if name == "bilanz":
        return ChartFigures(name, year, balance, [], tag)
    return ChartFigures(name, year, [], months, tag)


def draw(figures: ChartFigures, *, language: str, cities: tuple[str, ...], fmt: Format) -> Chart:
    """The picture (call it through `commands.charts.drawn`: it takes a moment), without a title of its own: the
    page's heading above it is its title."""
    year = figures.year
    if figures.name == "bilanz":
        return balance_chart(figures.balance, year=year, language=language, cities=cities, fmt=fmt, titled=False)
    return decisions_chart(figures.months, year=year, language=language, fmt=fmt, titled=False)
