"""The one error a person sees: a message key and its parameters, rendered by the dispatcher in their language.

Commands, parsers and rules raise `BadArgument`, `NotFound` or `Forbidden` with a catalog key; they never format
text themselves. The dispatcher renders the message (`render`): plain strings among the parameters are escaped as
the person's words, `Markdown` values (`md_escape`, `md_code`, mention links, `code(...)`) are inserted as written,
`Localized` values pick the person's language, and `{prefix}` is always the configured command prefix. A bad
argument is followed by the command's usage line; "forbidden" and "not found" are not.

Two kinds of parameter let code without a catalog (parsers, rule modules) say more than one sentence: a `UserError`
among the parameters is rendered first, in the same language (a date mistake inside a request's error, or a part
of a sentence that has variants), and an `Example` is a command to type, filled in with the person's words and
shown as code with the configured prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.i18n import Catalog, Markdown
from bot.replies import md_code, md_escape


class UserError(Exception):
    """A mistake of the user (or a refusal): becomes a friendly reply, never a stack trace."""

    show_usage: ClassVar[bool] = False

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __str__(self) -> str:
        return f"{self.key} {self.params}" if self.params else self.key


class BadArgument(UserError):
    """The command was understood, but an argument was not: the reply says how to write it, plus the usage line."""

    show_usage = True


class NotFound(UserError):
    """The command names something that does not exist (or that the person cannot see)."""


class Forbidden(UserError):
    """The person may not do this; the reply says who may."""


@dataclass(frozen=True)
class Localized:
    """A parameter that differs by language, such as a weekday name or a date written the local way."""

    de: str
    en: str

    def pick(self, language: str) -> str:
        return self.de if language == "de" else self.en


class Example:
    """A parameter shown as a command to type: the catalog text `key` (written with `{prefix}`), filled in with
    `params` as they are, since code is shown literally (the person's words, a date), and shown as code."""

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        return f"Example({self.key!r}, {self.params!r})"


def code(text: str) -> str:
    """A parameter shown as code: an example command or the person's words quoted literally."""
    return md_code(text)


def render(error: UserError, catalog: Catalog, language: str, prefix: str, *, plain: bool = False) -> str:
    """The error's text in `language`. `plain` leaves out Markdown escaping (for logs and config messages)."""
    values: dict[str, Any] = {"prefix": prefix}
    for name, value in error.params.items():
        if isinstance(value, UserError):
            value = render(value, catalog, language, prefix, plain=plain)
        elif isinstance(value, Example):
            value = md_code(catalog.text(language, value.key, prefix=prefix, **value.params))
        elif isinstance(value, Localized):
            value = value.pick(language)
        if isinstance(value, str) and not isinstance(value, Markdown) and not plain:
            value = md_escape(value)
        values[name] = value
    return catalog.text(language, error.key, **values)
