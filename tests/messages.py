"""A user error as the person reads it, for tests of pure modules (parsers, rules) that raise keys, not texts."""

from __future__ import annotations

import re

from bot.app import all_routers
from bot.dispatch import catalog_of
from bot.errors import UserError, render
from bot.replies import html_to_plain, render_html

CATALOG = catalog_of(all_routers())
"""The dispatcher's catalog: the core's texts and every feature's."""


def shown(error: UserError, language: str, prefix: str = "!") -> str:
    """The error as the person reads it: rendered like the dispatcher does, the Markdown turned into what a client
    shows, code spans (example commands) kept between backticks."""
    html = render_html(render(error, CATALOG, language, prefix))
    return html_to_plain(re.sub(r"<code>(.*?)</code>", r"`\1`", html))
