"""What a handler returns, and how it becomes Matrix message content.

Handlers write Markdown and pass every piece of user-provided text through `md_escape`, so a user
cannot inject formatting or HTML. The HTML is rendered with raw HTML disabled and then sanitized
to the tags the Matrix spec allows, as defence in depth.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import nh3
from markdown_it import MarkdownIt

from bot.i18n import Markdown

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
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&=:])")
_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|\r|\n|\u2028|\u2029)+[ \t]*")


def md_escape(text: str) -> str:
    """Make user text literal inside Markdown (no formatting, no links, no HTML).

    Line breaks become hard breaks inside the same paragraph: a blank line would end the paragraph
    and let the following user text start a heading, list, code block or link definition."""
    return Markdown(_LINE_BREAKS.sub("\\\n", _MD_SPECIAL.sub(r"\\\1", text.strip())))


_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Where a line starts, the character that would begin a block: a heading, a quote, a bullet, a setext underline or
# thematic break, a table's delimiter row; and the delimiter of an ordered list's number.
_BLOCK_START = re.compile(
    r"#{1,6}(?=\s|$)|>|[-+](?=\s|$)|[-=]+\s*$|([-_*])(?:\s*\1){2,}\s*$|\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$"
)
_ORDERED = re.compile(r"\d{1,9}(?=[.)](?:\s|$))")
_CLOSING_HASHES = re.compile(r"(?<=\s)#+\s*$")  # a heading's closing sequence
_LINE_BREAK_RUN = re.compile(r"[ \t]*(?:(?:\r\n|\r|\n|\u2028|\u2029)[ \t]*)+")  # with the blank lines between


def md_text(text: str, *, table_cell: bool = False) -> str:
    """User text in a Markdown file that people also read as plain text (exports, minutes, the yearly report).

    Escapes only what would be Markdown where it stands, so "Sa., 28.11.2026, 22:29", "Online-Bürgerservice",
    "#eAkte" and "Mitarbeiter*innen" read as written in an editor, while a link, an image, HTML, a heading, a list,
    a quote, a code span, emphasis or a table in it stays text when rendered (`md_escape` escapes every
    punctuation mark instead: right for chat, where nobody reads the source). Bare addresses are left as written:
    a renderer that links them shows the address itself. `table_cell`: inside a table row, where "|" ends the cell.
    Line breaks become hard breaks inside the same paragraph, as with `md_escape`."""
    text = text.strip()
    lone_star = text.count("*") == 1  # one "*" between letters ("Mitarbeiter*innen") has no partner
    tildes = text.count("~") > 1  # strikethrough needs two
    lines = _LINE_BREAK_RUN.split(text)
    return Markdown("  \n".join(_text_line(line, lone_star, tildes, table_cell) for line in lines))


def _text_line(line: str, lone_star: bool, tildes: bool, table_cell: bool) -> str:
    escape: set[int] = set()
    if _BLOCK_START.match(line):
        escape.add(0)
    elif (number := _ORDERED.match(line)) is not None:
        escape.add(number.end())
    if (closing := _CLOSING_HASHES.search(line)) is not None:
        escape.add(closing.start())
    for index, char in enumerate(line):
        before = line[index - 1] if index else ""
        after = line[index + 1] if index + 1 < len(line) else ""
        if char == "\\":
            special = not after or after in _ASCII_PUNCTUATION
        elif char == "`":
            special = True
        elif char == "*":
            special = not (lone_star and before.isalnum() and after.isalnum())
        elif char == "_":
            special = not (before.isalnum() and after.isalnum())  # "_" inside a word never emphasises
        elif char == "~":
            special = tildes
        elif char == "[":
            special = index == 0 or after == "^"  # a reference definition, a task box, a footnote
        elif char == "]":
            special = after in ("(", "[")  # a link's destination or reference follows
        elif char == "<":
            special = after != "" and ((after.isascii() and after.isalpha()) or after in "/!?")
        elif char == "&":
            special = _ENTITY.match(line, index) is not None
        elif char == "|":
            special = table_cell
        else:
            continue
        if special:
            escape.add(index)
    return "".join("\\" + char if index in escape else char for index, char in enumerate(line))


def md_code(text: str) -> str:
    """User text as an inline code span: literal inside, whatever backticks it contains."""
    text = _LINE_BREAKS.sub(" ", text)  # a code span cannot cross a blank line; keep it on one
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return Markdown(f"{fence}{pad}{text}{pad}{fence}")


def mention_link(user_id: str, display_name: str | None = None) -> str:
    """A Markdown link that clients render as a mention pill."""
    name = " ".join((display_name or user_id).split())  # a name is one line
    return Markdown(f"[{md_escape(name)}](https://matrix.to/#/{quote(user_id, safe='@:')})")


@dataclass(frozen=True)
class ImageInfo:
    """What makes a file a picture in chat (`m.image`): its description for people who cannot see it (the
    message's body, which clients show as the image's alternative text) and its size in pixels."""

    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class Attachment:
    """A file: one someone sent (downloaded by the transport) or one a reply uploads."""

    filename: str
    mimetype: str
    data: bytes
    image: ImageInfo | None = None  # sent as an image (`m.image`) rather than a file


def file_content(attachment: Attachment) -> dict[str, Any]:
    """A file's message content, except where it lives (`url`, or `file` in an encrypted room), which the upload
    adds. An image is an `m.image` whose body is its description (`filename` keeps the name for saving it)."""
    info: dict[str, Any] = {"mimetype": attachment.mimetype, "size": len(attachment.data)}
    if attachment.image is None:
        return {"msgtype": "m.file", "body": attachment.filename, "filename": attachment.filename, "info": info}
    image = attachment.image
    return {
        "msgtype": "m.image",
        "body": image.alt,
        "filename": attachment.filename,
        "info": info | {"w": image.width, "h": image.height},
    }


@dataclass(frozen=True)
class OnSent:
    """A feature's hook (declared with `Router.on_sent`) that gets a message's event id once it is sent, e.g.
    to remember an announcement that reactions refer to. A name and an argument, not a function: it is stored
    in the outbox with the message and may run after a restart."""

    hook: str
    arg: str


@dataclass(frozen=True)
class Reply:
    """What a command says: a message below the command (`markdown`), or only a reaction on it (`reaction`, e.g.
    ✅ where another message would be noise), or nothing in the room at all (`Reply.quiet`); files and followups
    go out after it either way."""

    markdown: str
    mentions: Sequence[str] = ()
    attachments: Sequence[Attachment] = ()
    followups: Sequence[Followup] = ()
    on_sent: OnSent | None = None
    # Set by the dispatcher: the reply and everything it sends wait in the outbox under the command's event id.
    outboxed: bool = False
    reaction: str | None = None  # instead of a message: this reaction on the command (typed as a message)
    # Files made after the command's unit of work (a chart: drawing takes half a second, during which SQLite's one
    # writer must not be held); the dispatcher appends them to `attachments`.
    attach_later: Callable[[], Awaitable[Sequence[Attachment]]] | None = None

    @classmethod
    def text(
        cls,
        markdown: str,
        *,
        mentions: Sequence[str] = (),
        attachments: Sequence[Attachment] = (),
        followups: Sequence[Followup] = (),
        on_sent: OnSent | None = None,
        attach_later: Callable[[], Awaitable[Sequence[Attachment]]] | None = None,
    ) -> Reply:
        return cls(markdown, tuple(mentions), tuple(attachments), tuple(followups), on_sent, attach_later=attach_later)

    @classmethod
    def react(cls, key: str, *, followups: Sequence[Followup] = ()) -> Reply:
        """Acknowledge the command with a reaction (no message in the room), then send the followups."""
        return cls("", followups=tuple(followups), reaction=key)

    @classmethod
    def quiet(cls, *, followups: Sequence[Followup]) -> Reply:
        """Say nothing in the room; only the followups (direct messages, an edit) go out."""
        return cls("", followups=tuple(followups))


@dataclass(frozen=True)
class Followup:
    """A message a command sends besides its reply, once the reply is out: an announcement in another
    room, or a direct message telling someone what happened (`user_id`; the transport finds the chat).
    `on_sent` gets the new event's id, e.g. to remember which announcement reactions refer to."""

    reply: Reply
    room_id: str | None = None
    user_id: str | None = None
    on_sent: OnSent | None = None
    replaces: str | None = None  # edit this earlier message of the bot (in `room_id`) instead of posting anew

    def __post_init__(self) -> None:
        if (self.room_id is None) == (self.user_id is None):
            raise ValueError("a followup goes either to a room or to a person")


def render_html(markdown: str) -> str:
    rendered = _md.render(markdown)
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"https", "http", "mailto", "matrix"},
        link_rel=None,
    ).strip()


class _PlainText(HTMLParser):
    """Renders our sanitized HTML as readable plain text: paragraphs, bullets, numbered lists."""

    _BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [next number] for <ol>, [] for <ul>
        self.in_pre = False

    def _newline(self, count: int = 1) -> None:
        text = "".join(self.parts)
        have = len(text) - len(text.rstrip("\n"))
        if text and have < count:
            self.parts.append("\n" * (count - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol"):
            self._newline(2 if not self.lists else 1)
            start = int(dict(attrs).get("start") or 1) if tag == "ol" else 0
            self.lists.append([start] if tag == "ol" else [])
        elif tag == "li":
            self._newline()
            counter = self.lists[-1] if self.lists else []
            indent = "  " * max(0, len(self.lists) - 1)
            if counter:
                self.parts.append(f"{indent}{counter[0]}. ")
                counter[0] += 1
            else:
                self.parts.append(f"{indent}• ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCKS:
            self._newline(2)
            self.in_pre = self.in_pre or tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._newline(2 if not self.lists else 1)
        elif tag in self._BLOCKS:
            self.in_pre = self.in_pre and tag != "pre"
            self._newline(2)

    def handle_data(self, data: str) -> None:
        if not self.in_pre:
            # Outside <pre>, line breaks in the HTML source are just spaces.
            data = re.sub(r"\s+", " ", data)
            if not self.parts or self.parts[-1].endswith("\n"):
                data = data.lstrip()
        if data:
            self.parts.append(data)


def html_to_plain(rendered: str) -> str:
    """Plain-text body for clients without HTML: the rendered text, not the Markdown source
    (so escaped user text does not show backslashes)."""
    parser = _PlainText()
    parser.feed(rendered)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Homeservers refuse events over 64 KiB (M_TOO_LARGE), and encryption makes the content a third larger again:
# a reply that quotes a pasted novel back must still arrive, shortened, rather than not at all.
MAX_CONTENT_BYTES = 40_000
SHORTENED = "\n\n… (gekürzt / shortened)"


def message_content(reply: Reply, *, msgtype: str = "m.notice") -> dict[str, Any]:
    content = _content(reply.markdown, reply.mentions, msgtype)
    markdown = reply.markdown
    while len(json.dumps(content, ensure_ascii=False).encode()) > MAX_CONTENT_BYTES:
        markdown = markdown[: len(markdown) * 2 // 3]
        content = _content(markdown + SHORTENED, reply.mentions, msgtype)
    return content


def _content(markdown: str, mentions: Sequence[str], msgtype: str) -> dict[str, Any]:
    formatted = render_html(markdown)
    return {
        "msgtype": msgtype,
        "body": html_to_plain(formatted),
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        # An explicit (possibly empty) m.mentions stops clients from pinging people whose names
        # merely appear in the text: only the listed people are meant to be notified.
        "m.mentions": {"user_ids": sorted(set(mentions))} if mentions else {},
    }


REACTION = "m.reaction"
MESSAGE = "m.room.message"


def reaction_content(event_id: str, key: str) -> dict[str, Any]:
    """A reaction (annotation) with `key` on the event `event_id`."""
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}


def event_type(content: dict[str, Any]) -> str:
    """The event type a content is sent as: an annotation is a reaction (the spec relates annotations only from
    `m.reaction` events), everything else a message. Derived, so a stored outbox row needs no column for it."""
    relates = content.get("m.relates_to") or {}
    return REACTION if relates.get("rel_type") == "m.annotation" else MESSAGE


def edit_content(reply: Reply, event_id: str) -> dict[str, Any]:
    """An edit (m.replace) of the bot's message `event_id` to show `reply`: clients show the new text in place,
    so a changing status (an announcement that got filled) is one message, not a new one each time."""
    new = message_content(reply)
    return {
        "msgtype": new["msgtype"],
        "body": "* " + new["body"],
        "format": new["format"],
        "formatted_body": "* " + new["formatted_body"],
        "m.new_content": {key: new[key] for key in ("msgtype", "body", "format", "formatted_body")},
        "m.mentions": {},  # an edit pings nobody
        "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
    }
