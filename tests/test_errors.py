"""Rendering a user error: parameters that are errors themselves (parts of a message, a parser's words) and
example commands, in the person's language and with the configured prefix."""

from __future__ import annotations

from bot.errors import BadArgument, Example, Localized, UserError, code, render
from bot.i18n import Catalog

CATALOG = Catalog(
    {
        "outer": {"de": "„{word}“: {reason} Zum Beispiel {example}", "en": "“{word}”: {reason} For example {example}"},
        "reason": {"de": "{day} geht nicht ({quoted}).", "en": "{day} does not work ({quoted})."},
        "example": {"de": "{prefix}vertretung {when} {what}", "en": "{prefix}cover {when} {what}"},
    }
)


def _error(what: str) -> BadArgument:
    reason = UserError("reason", day=Localized("Montag", "Monday"), quoted=code("*x*"))
    return BadArgument("outer", word="*fett*", reason=reason, example=Example("example", when="12.12.", what=what))


def test_an_error_among_the_parameters_is_rendered_in_the_same_language() -> None:
    assert render(_error("Stand"), CATALOG, "de", "?") == (
        "„\\*fett\\*“: Montag geht nicht (`*x*`). Zum Beispiel `?vertretung 12.12. Stand`"
    )
    assert render(_error("Stand"), CATALOG, "en", "!") == (
        "“\\*fett\\*”: Monday does not work (`*x*`). For example `!cover 12.12. Stand`"
    )


def test_an_example_shows_the_persons_words_as_code_not_escaped() -> None:
    text = render(_error("*Stand* `am` [Eingang](https://evil.example)"), CATALOG, "de", "!")
    assert text.endswith("Zum Beispiel ``!vertretung 12.12. *Stand* `am` [Eingang](https://evil.example)``")


def test_plain_rendering_leaves_the_words_of_nested_errors_unescaped_too() -> None:
    nested = BadArgument("outer", word="x", reason=UserError("reason", day="1.*2*", quoted="q"), example="e")
    assert render(nested, CATALOG, "de", "!", plain=True) == "„x“: 1.*2* geht nicht (q). Zum Beispiel e"
    assert render(nested, CATALOG, "de", "!") == "„x“: 1\\.\\*2\\* geht nicht (q). Zum Beispiel e"
