"""Message catalogs: both languages, and plural forms from CLDR's rules (Babel) instead of hand-split texts."""

from __future__ import annotations

import re

import pytest

from bot.app import all_routers
from bot.i18n import CORE_MESSAGES, Catalog, plural_category, plural_forms
from commands.introduction import MESSAGES as INTRODUCTIONS
from tests.messages import CATALOG

OFFERS = {
    "offers": {
        "de": {"one": "{count} Angebot", "other": "{count} Angebote"},
        "en": {"one": "{count} offer", "other": "{count} offers"},
    }
}


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [("de", 0, "0 Angebote"), ("de", 1, "1 Angebot"), ("de", 2, "2 Angebote"), ("en", 1, "1 offer"),
     ("en", 0, "0 offers"), ("en", 21, "21 offers")],
)  # fmt: skip
def test_the_count_chooses_the_form(language: str, count: int, expected: str) -> None:
    assert Catalog(OFFERS).text(language, "offers", count=count) == expected


def test_the_languages_need_the_forms_cldr_gives_them() -> None:
    assert plural_forms("de") == plural_forms("en") == {"one", "other"}
    assert plural_forms("ru") == {"one", "few", "many", "other"}, "a language with more forms would need them all"
    assert [plural_category("de", n) for n in (0, 1, 2, 101)] == ["other", "one", "other", "other"]


@pytest.mark.parametrize(
    "forms",
    [{"one": "{count} Angebot"}, {"one": "1", "few": "2", "other": "3"}, {"one": "{count} Angebot", "many": "x"}],
)
def test_a_catalog_refuses_plural_entries_without_the_forms_the_language_needs(forms: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="plural forms"):
        Catalog({"offers": {"de": forms, "en": "{count} offers"}})


def test_a_catalog_refuses_texts_missing_a_language() -> None:
    with pytest.raises(ValueError, match="lacks"):
        Catalog({"offers": {"de": {"one": "{count} Angebot", "other": "{count} Angebote"}}})


def test_a_plural_text_needs_a_number() -> None:
    with pytest.raises(TypeError, match="integer count"):
        Catalog(OFFERS).text("de", "offers", count="2")
    with pytest.raises(TypeError):
        Catalog(OFFERS).text("de", "offers")


def test_no_text_splits_its_plural_by_hand() -> None:
    """ "Angebot(e)", "offer(s)", "Person|Personen": every catalog (the dispatcher's is built, and so checked, in
    tests.messages) says a number of things with plural forms."""
    hand_split = re.compile(r"\w\((?:e|s|n|en|er)\)|\w\|\w")
    texts = [
        (key, text)
        for source in (CORE_MESSAGES, INTRODUCTIONS, *(router.messages for router in all_routers()))
        for key, languages in source.items()
        for value in languages.values()
        for text in ([value] if isinstance(value, str) else value.values())
    ]
    assert len(texts) > 400
    assert [(key, text) for key, text in texts if hand_split.search(text)] == []
    assert "sub.people" in CATALOG


def test_the_written_out_plural_rules_are_cldrs() -> None:
    """bot.i18n writes German and English plural rules out (Babel's locale data stays unloaded at start); they
    must be what Babel says."""
    from babel import Locale

    from bot.i18n import PLURAL_FORMS, plural_category

    for language, forms in PLURAL_FORMS.items():
        rule = Locale.parse(language).plural_form
        assert forms == frozenset(rule.tags | {"other"}), language
        for count in (*range(0, 120), 1000, 1001, 10**6, -1):
            assert plural_category(language, count) == rule(count), (language, count)
