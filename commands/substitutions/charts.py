"""The substitution balance as a chart: the same rows as `!bilanz`'s table (`commands.balance_rows`), drawn by
`commands.charts`; every configured city is shown, also with nothing to count, so the nine cities always line up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.i18n import Catalog
from commands.charts import Chart, Format, Series, paired_bars
from commands.substitutions.rules import CityBalance
from commands.substitutions.texts import MESSAGES
from storage.text import fold

_catalog = Catalog(MESSAGES)


def every_city(rows: Sequence[CityBalance], cities: Sequence[str]) -> list[CityBalance]:
    """The configured cities in their order (zero where nothing was counted), then any other city the rows name
    (a profile's city the config no longer lists), "no city" last. Spellings of one city ("Buehl", "Bühl") are one
    bar, named as configured."""
    merged: dict[str, CityBalance] = {}
    for row in rows:
        if row.city is None:
            continue
        key = fold(row.city)
        before = merged.get(key, CityBalance(row.city))
        merged[key] = CityBalance(before.city, before.helped + row.helped, before.was_helped + row.was_helped)
    listed = [replace(merged.pop(fold(city), CityBalance(city)), city=city) for city in cities]
    return listed + list(merged.values()) + [row for row in rows if row.city is None]


def balance_chart(
    rows: Sequence[CityBalance],
    *,
    year: int,
    language: str,
    cities: Sequence[str],
    fmt: Format = "png",
    titled: bool = True,
) -> Chart:
    def t(key: str, **params: object) -> str:
        return _catalog.text(language, key, **params)

    shown = every_city(rows, cities)
    names = [row.city or t("sub.balance.no_city") for row in shown]
    details = "; ".join(
        t("sub.chart.alt_city", city=name, helped=row.helped, was_helped=row.was_helped)
        for name, row in zip(names, shown, strict=True)
        if row.helped or row.was_helped
    )
    return paired_bars(
        names,
        Series("helped", t("sub.chart.helped"), [row.helped for row in shown]),
        Series("was_helped", t("sub.chart.was_helped"), [row.was_helped for row in shown]),
        title=t("sub.chart.title", year=year) if titled else None,
        value_label=t("sub.chart.axis"),
        alt=t("sub.chart.alt", year=year, details=details + ("." if details else "")),
        fmt=fmt,
    )


def balance_filename(year: int, language: str) -> str:
    return _catalog.text(language, "sub.chart.file", year=year)
