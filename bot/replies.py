"""What a handler returns, and how it becomes Matrix message content.

Handlers write Markdown and pass every piece of user-provided text through `md_escape`, so a user
cannot inject formatting or HTML. The HTML is rendered with raw HTML disabled and then sanitized
to the tags the Matrix spec allows, as defence in depth.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(["table", "strikethrough"])

# The subset of HTML that the Matrix spec recommends clients render (m.room.message formats).
_ALLOWED_TAGS = {
    "del",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "p",
    "a",
    "ul",
    "ol",
    "sup",
    "sub",
    "li",
    "b",
    "i",
    "u",
    "strong",
    "em",
    "s",
    "code",
    "hr",
    "br",
    "div",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
    "pre",
    "span",
    "details",
    "summary",
}
_ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}, "code": {"class"}}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")
_BLOCK_END = re.compile(r"</(li|h[1-6]|tr|blockquote|pre|div|ul|ol)>|<hr\s*/?>", re.IGNORECASE)


def md_escape(text: str) -> str:
    """Make user text literal inside Markdown (no formatting, no links, no HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(text: str) -> str:
    """User text as an inline code span: literal inside, whatever backticks it contains."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def mention_link(user_id: str, display_name: str | None = None) -> str:
    """A Markdown link that clients render as a mention pill."""
    return f"[{md_escape(display_name or user_id)}](https://matrix.to/#/{user_id})"


@dataclass(frozen=True)
class Reply:
    markdown: str
    mentions: Sequence[str] = ()

    @classmethod
    def text(cls, markdown: str, *, mentions: Sequence[str] = ()) -> Reply:
        return cls(markdown=markdown, mentions=tuple(mentions))


def render_html(markdown: str) -> str:
    rendered = _md.render(markdown)
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"https", "http", "mailto", "matrix"},
        link_rel=None,
    ).strip()


def html_to_plain(rendered: str) -> str:
    """Plain-text body for clients without HTML: the rendered text, not the Markdown source
    (so escaped user text does not show backslashes)."""
    text = re.sub(r"<br\s*/?>\n?", "\n", rendered, flags=re.IGNORECASE)
    text = re.sub(r">\n<", "><", text)  # newlines between tags are layout, not content
    text = re.sub(r"<li>", "• ", text, flags=re.IGNORECASE)
    text = re.sub(r"</p>", "\n\n", text, flags=re.IGNORECASE)
    text = _BLOCK_END.sub("\n", text)
    text = nh3.clean(text, tags=set())
    text = html.unescape(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def message_content(reply: Reply, *, msgtype: str = "m.notice") -> dict[str, Any]:
    formatted = render_html(reply.markdown)
    return {
        "msgtype": msgtype,
        "body": html_to_plain(formatted),
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        # An explicit (possibly empty) m.mentions stops clients from pinging people whose names
        # merely appear in the text: only the listed people are meant to be notified.
        "m.mentions": {"user_ids": sorted(set(reply.mentions))} if reply.mentions else {},
    }
