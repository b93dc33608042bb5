"""Message catalogs: every text a user sees exists in German (first) and English.

A text that names a number of things has plural forms instead of one template: `{"one": "{count} Angebot",
"other": "{count} Angebote"}`, chosen by the `count` parameter with the language's CLDR plural rules (Babel), so
"1 Angebote" or "Angebot(e)" cannot happen and a language with more forms only needs its catalog entries.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

LANGUAGES = ("de", "en")  # German first: every text exists in both

Text = str | Mapping[str, str]
"""One language's text of a message: a template, or plural forms by CLDR category ("one", "other", …)."""
Messages = Mapping[str, Mapping[str, Text]]


class Markdown(str):
    """Text that is already Markdown (catalog texts, escaped user text, code spans, links): inserted into other
    messages as it is, where a plain string would be escaped as the person's words (see `bot.errors.render`)."""

    __slots__ = ()


# Texts of the framework itself; command families bring their own catalogs via their Router.
CORE_MESSAGES: dict[str, dict[str, str]] = {
    "error.internal": {
        "de": "Entschuldige, da ist bei mir etwas schiefgegangen. Bitte versuch es später noch einmal. "
        "Falls es wieder passiert, nenne dem Admin die Referenz `{ref}`.",
        "en": "Sorry, something went wrong on my side. Please try again later. "
        "If it happens again, tell the admin reference `{ref}`.",
    },
    "error.unknown_command": {
        "de": "Den Befehl {command} kenne ich nicht.",
        "en": "I don't know the command {command}.",
    },
    "error.did_you_mean": {
        "de": "Meintest du `{suggestion}`?",
        "en": "Did you mean `{suggestion}`?",
    },
    "error.see_help": {
        "de": "Alle Befehle zeigt `{prefix}hilfe`.",
        "en": "`{prefix}help` lists all commands.",
    },
    "error.usage": {"de": "So geht's: `{usage}`", "en": "Usage: `{usage}`"},
    "error.missing_argument": {
        "de": "Da fehlt noch etwas: {label}.",
        "en": "Something is missing: {label}.",
    },
    "error.too_many_arguments": {
        "de": "Das ist mehr, als der Befehl erwartet.",
        "en": "That is more than the command expects.",
    },
    "error.not_a_number": {
        "de": "„{value}“ ist keine Zahl ({label}).",
        "en": "“{value}” is not a number ({label}).",
    },
    "error.number_range": {
        "de": "Eine Nummer {value} gibt es nicht ({label}): Nummern beginnen bei 1 und stehen in den Listen, "
        "z. B. in der Antwort, mit der ich etwas eingetragen habe.",
        "en": "There is no number {value} ({label}): numbers start at 1 and are shown in the lists, "
        "e.g. in my reply when something was added.",
    },
    "error.too_long": {
        "de": "{label} ist zu lang: {length} Zeichen, höchstens {limit} gehen. Fass dich bitte kürzer.",
        "en": "{label} is too long: {length} characters, at most {limit}. Please make it shorter.",
    },
    "error.not_a_choice": {
        "de": "„{value}“ geht hier nicht. Möglich: {choices}.",
        "en": "“{value}” doesn't work here. Possible: {choices}.",
    },
    "error.file_too_large": {
        "de": "Die Datei ist zu groß (höchstens {limit} kB).",
        "en": "The file is too large (at most {limit} kB).",
    },
    "error.forbidden": {
        "de": "Das dürfen nur Koordinator:innen des Netzwerks.",
        "en": "Only the network's coordinators may do that.",
    },
    "error.file_timeout": {
        "de": "Die Datei ließ sich nicht rechtzeitig laden. Bitte versuch es gleich noch einmal.",
        "en": "The file could not be loaded in time. Please try again in a moment.",
    },
}


# CLDR's plural rules of the bot's languages, written out: 9 modules build a Catalog at import, and asking Babel would
# load its locale data (6 MiB, 40 ms) at every start. tests/test_i18n.py checks these against Babel.
_ONE_OTHER = frozenset({"one", "other"})
PLURAL_FORMS: Mapping[str, frozenset[str]] = {"de": _ONE_OTHER, "en": _ONE_OTHER}


def plural_forms(language: str) -> frozenset[str]:
    """The plural categories a language's texts need (CLDR): German and English "one" and "other"."""
    known = PLURAL_FORMS.get(language)
    if known is not None:
        return known
    from babel import Locale

    return frozenset(Locale.parse(language).plural_form.tags | {"other"})


def plural_category(language: str, count: int) -> str:
    """Which plural form `count` takes in `language` ("one" for 1 in German and English, else "other")."""
    if language in PLURAL_FORMS:  # CLDR de, en: "one" is the integer 1
        return "one" if abs(count) == 1 else "other"
    from babel import Locale

    return str(Locale.parse(language).plural_form(count))


class Catalog:
    def __init__(self, *sources: Messages) -> None:
        self._messages: dict[str, Mapping[str, Text]] = {}
        for source in sources:
            for key, texts in source.items():
                if key in self._messages:
                    raise ValueError(f"message key {key!r} defined twice")
                missing = [lang for lang in LANGUAGES if lang not in texts]
                if missing:
                    raise ValueError(f"message {key!r} lacks {missing}")
                for language, text in texts.items():
                    if not isinstance(text, str) and set(text) != plural_forms(language):
                        raise ValueError(
                            f"message {key!r} ({language}) has the plural forms {sorted(text)}, "
                            f"the language needs {sorted(plural_forms(language))}"
                        )
                self._messages[key] = texts

    def __contains__(self, key: str) -> bool:
        return key in self._messages

    def text(self, language: str, key: str, **values: Any) -> str:
        texts = self._messages[key]
        if language not in texts:
            language = "de"
        template = texts[language]
        if not isinstance(template, str):
            count = values.get("count")
            if not isinstance(count, int) or isinstance(count, bool):
                raise TypeError(f"message {key!r} has plural forms: it needs an integer count, not {count!r}")
            template = template[plural_category(language, count)]
        return Markdown(template.format(**values) if values else template)

    def translator(self, language: str) -> Translator:
        return Translator(self, language)


class Translator:
    """Bound to one person's language; `t("key", name=...)` returns the text."""

    def __init__(self, catalog: Catalog, language: str) -> None:
        self.catalog = catalog
        self.language = language

    def __call__(self, key: str, **values: Any) -> str:
        return self.catalog.text(self.language, key, **values)
