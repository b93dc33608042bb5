"""`redi-bot privacy export|forget|report|notice`: requests that arrive by letter, with the chat's semantics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from click.testing import CliRunner

from bot.cli import main
from storage import Database, Repositories
from storage.outbox import OutboxRecord

T = TypeVar("T")

ANNA, BEN = "@anna:x.de", "@ben:y.de"
NOW = datetime.now(UTC)


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        '[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@bot:localhost"\n[bot]\ndata_dir = "d"\n'
        "[privacy]\npersonal_reminders_days = 3\n",
        encoding="utf-8",
    )
    assert CliRunner().invoke(main, ["db", "upgrade", "-c", str(config)]).exit_code == 0
    return config


def _run(coroutine_factory: Callable[[Repositories], Awaitable[T]], tmp_path: Path) -> T:
    async def work() -> T:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'd' / 'redi-bot.sqlite3'}")
        try:
            async with database.transaction() as repos:
                return await coroutine_factory(repos)
        finally:
            await database.dispose()

    return asyncio.run(work())


async def _fill(repos: Repositories) -> None:
    await repos.profiles.ensure(ANNA, "Anna Arndt")
    await repos.profiles.set_city(ANNA, "Bühl")
    await repos.decisions.add(room_id="!r:x", group="eAkte", author=ANNA, text="DMS B testen", tags=(), now=NOW)
    request = await repos.substitutions.add(
        room_id="!r:x",
        requester=BEN,
        requester_city="Rastatt",
        what="Messe",
        topics=(),
        start=NOW + timedelta(days=3),
        end=NOW + timedelta(days=3, hours=2),
        deadline=NOW + timedelta(days=2),
        timezone="Europe/Berlin",
        needed=1,
        now=NOW,
    )
    await repos.substitutions.set_offer(request.id, ANNA, "accepted", now=NOW, note="gern")
    await repos.substitutions.set_state(request.id, "filled", now=NOW)
    await repos.substitutions.set_announcement(request.id, room_id="!netz:x", event_id="$call")


def test_export_forget_report_and_notice(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _run(_fill, tmp_path)
    out = tmp_path / "anna.json"
    result = CliRunner().invoke(main, ["privacy", "export", ANNA, "-c", str(config), "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["tables"]["profiles"][0]["display_name"] == "Anna Arndt"
    assert document["tables"]["substitution_offers"][0]["note"] == "gern"
    assert "## Profil (1 Eintrag)" in out.with_suffix(".md").read_text(encoding="utf-8")
    assert CliRunner().invoke(main, ["privacy", "export", "anna", "-c", str(config), "-o", str(out)]).exit_code != 0

    refused = CliRunner().invoke(main, ["privacy", "forget", ANNA, "-c", str(config)], input="n\n")
    assert refused.exit_code != 0 and "rückgängig" in refused.output
    result = CliRunner().invoke(main, ["privacy", "forget", ANNA, "-c", str(config), "--yes"])
    assert result.exit_code == 0, result.output
    assert "ehemaliges Mitglied 1" in result.output and "1 Anfragende" in result.output

    async def after(repos: Repositories) -> tuple[dict[str, list[dict[str, Any]]], list[OutboxRecord]]:
        return await repos.privacy.export(ANNA), await repos.outbox.pending()

    left, pending = _run(after, tmp_path)
    assert not any(left.values())
    assert [m.message.user_id for m in pending] == [BEN, None], "the running bot tells the requester"
    edit = pending[1].message
    assert edit.room_id == "!netz:x" and edit.content["m.relates_to"]["event_id"] == "$call", "and edits the call"
    assert "Wieder offen" in edit.content["m.new_content"]["body"] and ANNA not in json.dumps(edit.content)

    report = CliRunner().invoke(main, ["privacy", "report", "-c", str(config)])
    assert report.exit_code == 0, report.output
    assert any(line.split()[:2] == ["decisions", "1"] for line in report.output.splitlines()), report.output
    assert "erased on request: 1" in report.output

    nobody = CliRunner().invoke(main, ["privacy", "forget", "@nobody:x.de", "-c", str(config), "--yes"])
    assert nobody.exit_code == 0 and "nichts gespeichert" in nobody.output
    missing = CliRunner().invoke(main, ["privacy", "report", "-c", str(tmp_path / "none.toml")])
    assert missing.exit_code != 0 and "Traceback" not in missing.output

    notice = CliRunner().invoke(main, ["privacy", "notice", "-c", str(config), "--language", "de"])
    assert "persönliche Erinnerungen 3 Tage nach" in notice.output
