"""The export of everything stored about one person (DSGVO Art. 15): a JSON file for programs and a Markdown
summary for people, for `!meinedaten` and `redi-bot privacy export`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.i18n import Catalog
from bot.replies import Attachment, md_escape
from commands.privacy.texts import MESSAGES, TABLE_LABELS
from storage import Repositories

_catalog = Catalog(MESSAGES)


@dataclass(frozen=True)
class PersonalExport:
    user_id: str
    tables: dict[str, list[dict[str, Any]]]
    at: datetime

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def json_bytes(self) -> bytes:
        document = {"user_id": self.user_id, "exported_at": self.at.isoformat(), "tables": self.tables}
        return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False).encode()

    def markdown(self, language: str) -> str:
        t = _catalog.text
        lines = [
            t(language, "privacy.export.title"),
            "",
            t(language, "privacy.export.intro", user=md_escape(self.user_id), at=self.at.isoformat(timespec="minutes")),
        ]
        if not self.count:
            lines += ["", t(language, "privacy.export.nothing")]
        for table, rows in self.tables.items():
            if not rows:
                continue
            de, en = TABLE_LABELS[table]
            lines += ["", t(language, "privacy.export.table", label=de if language == "de" else en, count=len(rows))]
            for row in rows:
                lines.append("")
                lines += [f"- **{md_escape(key)}**: {_value(value)}" for key, value in row.items() if value is not None]
        return "\n".join(lines) + "\n"

    def attachments(self, language: str) -> list[Attachment]:
        stem = f"redi-bot-{'meine-daten' if language == 'de' else 'my-data'}"
        return [
            Attachment(f"{stem}.json", "application/json", self.json_bytes()),
            Attachment(f"{stem}.md", "text/markdown", self.markdown(language).encode()),
        ]


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return md_escape(json.dumps(value, ensure_ascii=False))
    return md_escape(" ".join(str(value).split()))


async def personal_export(repos: Repositories, user_id: str, now: datetime) -> PersonalExport:
    return PersonalExport(user_id, await repos.privacy.export(user_id), now)
