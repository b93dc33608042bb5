"""The yearly report's charts, for the web page (SVG) and for chat (PNG): matplotlib with its Agg renderer, no
display and no system libraries needed.

matplotlib (and numpy under it) is imported inside the functions, never at the top: the bot starts without them and
pays their memory and import time only when someone asks for a chart (the memory right after start is watched).
The figures are built with `matplotlib.figure.Figure`, not `pyplot`, so no global state is shared between requests.

Texts come in translated: the features know the words, this module only how to draw. Colours are from the
Okabe–Ito palette (distinguishable with every common colour-vision deficiency), the second series of a pair is
hatched as well (and survives a black-and-white print), every bar carries its number, and nothing else is drawn that
carries no data (no grid boxes, no top or right spine). Each bar gets an SVG id naming its series, category and value,
so a test can read the numbers back from the picture.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from bot.replies import Attachment, ImageInfo

Format = Literal["png", "svg"]
FORMATS: tuple[Format, ...] = ("png", "svg")
MIMETYPES: dict[Format, str] = {"png": "image/png", "svg": "image/svg+xml"}

BLUE, VERMILLION = "#0072B2", "#D55E00"  # Okabe–Ito; both at least 4:1 against white
TEXT = "#1a1a1a"
DPI = 100  # a PNG's pixels are the figure's inches × DPI × SCALE
SCALE = 1.5  # PNGs for chat at 1.5× so they stay sharp on phones
MAX_PANELS = 24  # small multiples: more groups than a network has; bounds the figure's height
# One thread of its own draws, one chart at a time (matplotlib is not made for drawing in two threads at once): on
# the loop's shared executor, queued charts would hold up what else runs there, such as aiohttp's DNS lookups for
# the homeserver. Started on the first chart.
_drawer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="redi-charts")


@dataclass(frozen=True)
class Chart:
    data: bytes
    mimetype: str
    width: int  # pixels (PNG) or CSS pixels (SVG)
    height: int
    alt: str  # what the picture shows, for people who cannot see it

    def attachment(self, filename: str) -> Attachment:
        """The chart as a file of a chat reply, sent as an image with its description."""
        return Attachment(filename, self.mimetype, self.data, ImageInfo(self.alt, self.width, self.height))


@dataclass(frozen=True)
class Series:
    key: str  # part of each bar's SVG id
    label: str
    values: Sequence[int]


async def drawn(draw: Callable[[], Chart]) -> Chart:
    """Draw in the charts' own thread: half a second of drawing must not hold up the bot's other messages and pages."""
    return await asyncio.get_running_loop().run_in_executor(_drawer, draw)


def paired_bars(
    categories: Sequence[str],
    first: Series,
    second: Series,
    *,
    title: str | None,
    value_label: str,
    alt: str,
    fmt: Format = "png",
) -> Chart:
    """Two bars per category, horizontal (city names stay readable), the first category on top."""
    figure, axes = _figure(width=7.5, height=1.2 + 0.55 * max(1, len(categories)))
    ax = axes[0][0]
    rows = list(range(len(categories)))
    height = 0.38
    for offset, series, colour, hatch in ((-height / 2, first, BLUE, ""), (height / 2, second, VERMILLION, "//")):
        bars = ax.barh([r + offset for r in rows], list(series.values), height=height, color=colour,
                       hatch=hatch, edgecolor="white", linewidth=0.8, label=series.label)  # fmt: skip
        _mark(bars, series, categories)
        ax.bar_label(bars, padding=3, color=TEXT, fontsize=9)
    ax.set_yticks(rows, list(categories))
    ax.invert_yaxis()
    ax.set_xlabel(value_label, color=TEXT)
    _integer_axis(ax.xaxis, max([0, *first.values, *second.values]))
    ax.legend(loc="lower right", frameon=False)
    _plain(ax)
    _title(figure, title)
    return _save(figure, fmt, alt)


def small_multiples(
    categories: Sequence[str],
    panels: Sequence[Series],
    *,
    title: str | None,
    value_label: str,
    alt: str,
    fmt: Format = "png",
    columns: int = 3,
) -> Chart:
    """One small bar chart per series (a group's decisions per month), on one shared scale: ten groups stacked in
    one bar would need ten colours nobody tells apart."""
    panels = list(panels)[:MAX_PANELS]
    count = max(1, len(panels))
    columns = max(1, min(columns, count))
    lines = -(-count // columns)
    width = max(6.5, 3.2 * columns + 0.4)  # one panel alone still gets room for the title and the month names
    figure, axes = _figure(width=width, height=0.9 + 2.1 * lines, rows=lines, columns=columns)
    top = max([0, *(value for panel in panels for value in panel.values)])
    positions = list(range(len(categories)))
    for index, ax in enumerate(ax for row in axes for ax in row):
        if index >= len(panels):
            ax.set_visible(False)
            continue
        panel = panels[index]
        bars = ax.bar(positions, list(panel.values), color=BLUE, width=0.7)
        _mark(bars, panel, categories)
        ax.bar_label(bars, labels=[str(v) if v else "" for v in panel.values], padding=2, color=TEXT, fontsize=7)
        ax.set_title(panel.label, color=TEXT, fontsize=10, loc="left")
        ax.set_xticks(positions, [c[:3] if columns > 1 else c for c in categories], fontsize=7)
        ax.set_ylim(0, max(1, top) * 1.2)
        _integer_axis(ax.yaxis, top)
        if index % columns == 0:
            ax.set_ylabel(value_label, color=TEXT, fontsize=8)
        _plain(ax)
    _title(figure, title)
    return _save(figure, fmt, alt)


def _figure(*, width: float, height: float, rows: int = 1, columns: int = 1) -> tuple[Any, list[list[Any]]]:
    from matplotlib.figure import Figure  # here, not at the top: see the module's docstring

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained", facecolor="white")
    axes = figure.subplots(rows, columns, squeeze=False)
    return figure, [list(row) for row in axes]


def _title(figure: Any, title: str | None) -> None:
    """A chart in chat needs its title; on a page the heading above it is the title (None)."""
    if title is not None:
        figure.suptitle(title, color=TEXT, fontsize=13, x=0.02, ha="left")


def _mark(bars: Any, series: Series, categories: Sequence[str]) -> None:
    for index, bar in enumerate(bars):
        bar.set_gid(f"bar:{series.key}:{index}:{series.values[index]}")


def _integer_axis(axis: Any, top: int) -> None:
    """Whole numbers only (nobody does half a substitution): every one up to six, else about six steps."""
    from matplotlib.ticker import MaxNLocator, MultipleLocator

    axis.set_major_locator(MultipleLocator(1) if top <= 6 else MaxNLocator(nbins=6, integer=True))


def _plain(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=TEXT, labelcolor=TEXT)


def _save(figure: Any, fmt: Format, alt: str) -> Chart:
    import matplotlib

    out = io.BytesIO()
    # Text stays text in an SVG (sharp, searchable, a tenth of the size); no date, so the same numbers give the
    # same bytes (an ETag, a test).
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "redi"}):
        if fmt == "svg":
            figure.savefig(out, format="svg", metadata={"Date": None})
        else:
            figure.savefig(out, format="png", dpi=DPI * SCALE, metadata={"Software": None})
    width, height = figure.get_size_inches()
    per_inch = DPI * SCALE if fmt == "png" else 96  # an SVG's size is in points, 72 an inch: 96 CSS pixels
    return Chart(out.getvalue(), MIMETYPES[fmt], round(width * per_inch), round(height * per_inch), alt)
