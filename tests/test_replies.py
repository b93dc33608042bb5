"""`md_text`: user text in Markdown files that people read in an editor as often as rendered. It must read as
written in the editor (no escapes where nothing would be Markdown) and stay text when rendered (no link, image,
HTML, heading, list, quote, code, emphasis or table made of it)."""

from __future__ import annotations

import html as html_module
import random
import re

import pytest

from bot.dev.fuzz import STRANGE_TEXT
from bot.replies import html_to_plain, md_text, render_html

HOSTILE = (
    "[x](https://evil.example)", "![img](https://evil.example/i.png)", "<b>fett</b>", "<https://evil.example>",
    "&amp;", "&#65;", "# Titel", "## Titel ##", "Titel #", "- Punkt", "+ Punkt", "* Punkt", "1. eins", "2) zwei",
    "---", "===", "***", "___", "> Zitat", "```", "~~~", "~~durch~~", "~a~", "| a | b |", "|---|---|", "--|--",
    ":--|--:", "[ ] Box", "[^1]", "[ref]: https://evil.example", "[ref]", "x]", "](y)", "\\", "C:\\Daten\\", "\\*",
    "_kursiv_", "__fett__", "**fett**", "*a*", "a*b*c", "`code`", "<!-- x -->", "<div>", "Bürger*innen",
    "snake_case", "Sa., 28.11.2026, 22:29", "#eAkte", "www.example.org", "a < b", "<3", "x > y", "100. Jubiläum",
    "+49 7221", "=", "-", "    eingerückt", "\n    code", "\n1) x", "\n- y", "\n> z", "\n## h",
)  # fmt: skip
PIECES = HOSTILE + tuple(text for text in STRANGE_TEXT if "\x00" not in text)
LINE_BREAKS = re.compile(r"[ \t]*(?:(?:\r\n|\r|\n|\u2028|\u2029)[ \t]*)+")


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Sa., 28.11.2026, 22:29", "Sa., 28.11.2026, 22:29"),
        ("Online-Bürgerservice", "Online-Bürgerservice"),
        ("#eAkte ist Pflicht", "#eAkte ist Pflicht"),
        ("Anna Berger (@anna:example.org)", "Anna Berger (@anna:example.org)"),
        ("Mitarbeiter*innen, snake_case, 5 < 7, [Entwurf]", "Mitarbeiter*innen, snake_case, 5 < 7, [Entwurf]"),
        ("ca. ~10 % mehr", "ca. ~10 % mehr"),
        # Only where it would be Markdown: two stars make emphasis, a line start a list, "[…](…)" a link.
        ("Mitarbeiter*innen und Bürger*innen", "Mitarbeiter\\*innen und Bürger\\*innen"),
        ("1. Lesung", "1\\. Lesung"),
        ("- kein Punkt", "\\- kein Punkt"),
        ("[Klick](https://evil.example)", "\\[Klick\\](https://evil.example)"),
        ("<b>fett</b>", "\\<b>fett\\</b>"),
        ("Zeile 1\n\n# Zeile 2", "Zeile 1  \n\\# Zeile 2"),
    ],
)  # fmt: skip
def test_text_reads_as_written_in_an_editor(text: str, written: str) -> None:
    assert md_text(text) == written
    assert html_to_plain(render_html(md_text(text))) == LINE_BREAKS.sub("\n", text.strip())


@pytest.mark.parametrize("seed", range(10))
def test_user_text_stays_text_wherever_it_stands(seed: int) -> None:
    """Whatever the text, rendered it reads as written and adds no element: in a list item, after other text, in a
    heading, in a table cell; over one line or several, blank lines included."""
    rng = random.Random(seed)
    for _ in range(300):
        text = "".join(rng.choice(PIECES) + rng.choice(("", " ", "\n", "\n\n")) for _ in range(rng.randint(1, 4)))
        lines = LINE_BREAKS.sub("\n", text.strip())
        flat = " ".join(text.split())
        if not flat:
            continue
        cases = {
            "item": ("- " + md_text(text).replace("\n", "\n  "), {"ul", "li", "br"}, "• " + lines),
            "after": ("Anna: " + md_text(text), {"p", "br"}, "Anna: " + lines),
            "heading": ("## " + md_text(flat), {"h2"}, flat),
            "cell": ("| A |\n|---|\n| " + md_text(flat, table_cell=True) + " |", {"table", "thead", "tbody", "tr",
                     "th", "td"}, None),
        }  # fmt: skip
        for where, (markdown, allowed, expected) in cases.items():
            rendered = render_html(markdown)
            assert set(re.findall(r"<(\w+)", rendered)) <= allowed, (where, text, rendered)
            if expected is None:
                cell = re.search(r"<td>(.*?)</td>", rendered, re.DOTALL)
                assert cell is not None and html_module.unescape(cell.group(1)).strip() == flat, (where, text)
            else:
                assert _same(html_to_plain(rendered), expected), (where, text, markdown)


def _same(shown: str, written: str) -> bool:
    """Equal as read: a zero-width space or runs of spaces are not what anybody sees."""

    def normal(text: str) -> str:
        return "\n".join(" ".join(line.replace("\u200b", "").split()) for line in text.splitlines())

    return normal(shown) == normal(written)
