"""A user error as the person reads it, for tests of pure modules (parsers, rules) that raise keys, not texts."""

from __future__ import annotations

import re

from bot.app import all_routers
from bot.errors import UserError, render
from bot.i18n import CORE_MESSAGES, Catalog

CATALOG = Catalog(CORE_MESSAGES, *(router.messages for router in all_routers()))
"""The dispatcher's catalog: the core's texts and every feature's."""

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash before ASCII punctuation (CommonMark's escapes)


def shown(error: Exception, language: str, prefix: str = "!") -> str:
    """The error's text in `language` as the dispatcher renders it, with the escapes of the person's words taken out,
    so that a test can look for words as they were written; example commands keep their backticks."""
    if not isinstance(error, UserError):  # TRANSITION: a parser's error with a German and an English text
        return str(getattr(error, language))
    return _ESCAPE.sub(r"\1", render(error, CATALOG, language, prefix))
