"""The privacy notice (DSGVO Art. 13) of `!datenschutz`, the README and `redi-bot privacy notice`: generated from
the configured retention, so what the bot says and what it does cannot drift apart."""

from __future__ import annotations

from bot.config import Config, Retention
from bot.i18n import Catalog
from commands.privacy.texts import MESSAGES

_catalog = Catalog(MESSAGES)

SECTIONS = ("profile", "settings", "meetings", "substitutions", "decisions", "technical")


def privacy_notice(
    retention: Retention, language: str, prefix: str = "!", *, activity_days: int = 365, paragraphs: bool = False
) -> str:
    """The notice as the bot says it (one line per kind), or with `paragraphs` as a document (README, the
    Verarbeitungsverzeichnis) where a Markdown renderer would join single lines."""

    def gone(days: int) -> str:
        return _catalog.text(language, "privacy.days", count=days)

    values = {
        "prefix": prefix,
        "reminders": gone(retention.personal_reminders_days),
        "substitutions": gone(retention.substitution_text_days),
        "quotes": gone(retention.revoked_quotes_days),
        "searches": gone(retention.saved_searches_days),
        "commands": gone(retention.handled_commands_days),
        "ledger": gone(retention.ledger_days),
        "activity": gone(activity_days),
        "records": _catalog.text(language, "privacy.records.kept")
        if not retention.records_days
        else _catalog.text(language, "privacy.records.deleted", days=gone(retention.records_days)),
    }
    lines = [
        _catalog.text(language, "privacy.notice.title"),
        "",
        _catalog.text(language, "privacy.notice.intro", **values),
    ]
    lines += [_catalog.text(language, f"privacy.notice.{section}", **values) for section in SECTIONS]
    lines += ["", _catalog.text(language, "privacy.notice.rights", **values)]
    if paragraphs:
        return "\n\n".join(line for line in lines if line)
    return "\n".join(lines)


def readme_section(config: Config) -> str:
    """What the README holds between its privacy-notice markers: the notice in German and English."""
    return "\n\n".join(config_notice(config, language, paragraphs=True) for language in ("de", "en"))


def config_notice(config: Config, language: str, *, paragraphs: bool = False) -> str:
    """The notice for a running bot's config."""
    days = config.activity_window.days
    return privacy_notice(config.retention, language, config.command_prefix, activity_days=days, paragraphs=paragraphs)
