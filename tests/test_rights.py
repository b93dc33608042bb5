"""Who may change whose records, as a table (SQLite and PostgreSQL): every command that changes, undoes, ends or
closes something, tried by a plain member, the record's owner, a moderator of the configured room, the admin of
a room of their own and a coordinator. A refusal says who may; a refused command changes nothing, read back
through the repositories."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storage import Database
from tests.harness import GROUP_ROOM, Bot

OTHER_ROOM = "!eigener-raum:example.org"
ANNA, BEN, CARL = "@anna:buehl.de", "@ben:rastatt.de", "@carl:ettlingen.de"
MOD, EVE, KOORD = "@mod:bruchsal.de", "@eve:gaggenau.de", "@koord:example.org"
INTERNAL_ERROR = ("schiefgegangen", "went wrong")

# role: (sender, room, power level). Anna owns every record; all of them belong to the configured GROUP_ROOM.
ROLES: dict[str, tuple[str, str, int]] = {
    "member": (BEN, GROUP_ROOM, 0),
    "owner": (ANNA, GROUP_ROOM, 0),
    "moderator": (MOD, GROUP_ROOM, 50),
    "admin elsewhere": (EVE, OTHER_ROOM, 100),  # admin of an unconfigured room: no power over other rooms
    "coordinator": (KOORD, GROUP_ROOM, 0),
}
Y, N = True, False
OWN = None  # acts on the sender's own room only: no refusal needed, the group room's record stays as it is
# command: allowed for (member, owner, moderator, admin elsewhere, coordinator)
TABLE: dict[str, tuple[bool | None, ...]] = {
    "!termin absagen 1": (N, Y, Y, N, Y),
    "!termin loeschen 1": (N, Y, Y, N, Y),
    "!termin aussetzen 1 am 24.11.": (N, Y, Y, N, Y),
    "!termin erinnern 1 1h": (N, Y, Y, N, Y),
    "!termin ort 1 Rathaus Bühl": (N, Y, Y, N, Y),
    "!termin link 1 https://meet.example.org/runde": (N, Y, Y, N, Y),
    "!termin agenda 1 Haushalt 2027": (N, Y, Y, N, Y),
    "!termin titel 1 Neuer Titel": (N, Y, Y, N, Y),
    "!termin zeit 1 jeden Mittwoch 10 Uhr": (N, Y, Y, N, Y),
    "!termin verschieben 1 jeden Donnerstag 11 Uhr": (N, Y, Y, N, Y),
    "!beschluss ersetzen 1 Wir testen nur noch die Hälfte": (N, Y, Y, N, Y),
    "!beschluss aufheben 1 war ein Irrtum": (N, Y, Y, N, Y),
    "!rueckgaengig": (N, Y, Y, N, Y),
    "!sitzung ende": (N, Y, Y, N, Y),
    "!vertretung absagen 1": (N, Y, Y, N, Y),
    "!zusage 1 @carl:ettlingen.de": (N, Y, Y, N, Y),
    # Withdrawing is always about one's own offer: nobody takes back Carl's offer for him.
    "!vertretung zurückziehen 1": (N, N, N, N, N),
    "!erledigt {action}": (N, Y, Y, N, Y),
    # Personal reminders are private: not even coordinators delete someone else's.
    "!erinnerungen löschen 1": (N, Y, N, N, N),
    "!zeitzone raum Europe/Lisbon": (N, N, Y, OWN, Y),
}
CASES = [
    pytest.param(command, role, allowed, id=f"{role}: {command}")
    for command, row in TABLE.items()
    for role, allowed in zip(ROLES, row, strict=True)
]


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Bot]:
    yield Bot(db, tmp_path, room_groups={GROUP_ROOM: "Engagementplattform"}, coordinators=(KOORD,))


async def _anna_records(bot: Bot) -> dict[str, str]:
    """Anna's meeting #1, minutes with her decision #1 and an action item for Carl, her substitution request #1
    (Carl offered) and her personal reminder #1, all in the configured group room."""
    await bot.say(ANNA, "!termin jeden Dienstag 10 Uhr Jour fixe")
    await bot.say(ANNA, "!sitzung start Runde")
    await bot.say(ANNA, "!beschluss Wir testen alles")
    noted = await bot.say(ANNA, "!aufgabe @carl:ettlingen.de bis 1.12. Protokoll schreiben", mentions=(CARL,))
    action = re.search(r"#(\d+)", noted)
    assert action, noted
    await bot.say(ANNA, "!vertretung 12.12. 10-16 Uhr Digitaltag Bühl")
    await bot.say(CARL, "!übernehme 1")
    await bot.say(ANNA, "!erinnere mich morgen 9 Uhr an den Test")
    return {"action": action.group(1)}


async def _records(bot: Bot) -> dict[str, Any]:
    """Everything the commands above could change, as the repositories return it."""
    async with bot.db.transaction() as repos:
        session = await repos.minutes.open_session(GROUP_ROOM)
        return {
            "meeting": await repos.meetings.get(1),
            "decisions": [await repos.decisions.get(1), await repos.decisions.get(2)],
            "session": session,
            "items": await repos.minutes.items(session.id) if session else None,
            "actions": await repos.minutes.open_actions(room_id=GROUP_ROOM),
            "request": await repos.substitutions.get(1),
            "reminders": await repos.reminders.upcoming_for(ANNA, now=bot.clock.now()),
            "room zone": await repos.rooms.timezone(GROUP_ROOM),
        }


@pytest.mark.parametrize(("command", "role", "allowed"), CASES)
async def test_who_may_change_whose_record(bot: Bot, command: str, role: str, allowed: bool | None) -> None:
    ids = await _anna_records(bot)
    before = await _records(bot)
    sender, room, power = ROLES[role]
    answer = await bot.say(sender, command.format(**ids), room=room, power=power)
    after = await _records(bot)
    assert answer.strip() and not any(word in answer for word in INTERNAL_ERROR), answer
    if allowed:
        assert after != before, f"{role} may {command!r}, but nothing changed: {answer}"
    else:
        assert after == before, f"{role} must not {command!r}, but it changed something: {answer}"
    if allowed is False:
        # A refusal explains: who may do it, or that there is no such thing here, or none of yours.
        explained = (
            r"(dürfen|stellen|nehmen) nur|gibt es (in diesem Raum )?nicht|hast du nichts|kein Protokoll|anderen Gruppe"
        )
        assert re.search(explained, answer), answer


async def test_undo_takes_back_only_your_own_last_entry(bot: Bot) -> None:
    await bot.say(ANNA, "!sitzung start Runde")
    await bot.say(BEN, "!info Ben war da")
    await bot.say(ANNA, "!beschluss Wir testen alles")
    # Anna's decision came later, but Ben takes back his own entry.
    assert "Zurückgenommen: Info „Ben war da“" in await bot.say(BEN, "!rueckgaengig")
    assert "(gültig)" in await bot.say(ANNA, "!beschluss 1")
    assert "Von dir steht im laufenden Protokoll nichts" in await bot.say(BEN, "!rueckgaengig")
    assert "(gültig)" in await bot.say(ANNA, "!beschluss 1")
    # The room's moderator takes back the last entry, whoever wrote it.
    assert "Zurückgenommen: Beschluss" in await bot.say(MOD, "!rueckgaengig", power=50)
    assert "(aufgehoben)" in await bot.say(ANNA, "!beschluss 1")


async def test_admin_of_an_unconfigured_room_has_rights_there_only(bot: Bot) -> None:
    await bot.say(ANNA, "!termin jeden Dienstag 10 Uhr Jour fixe", room=OTHER_ROOM)
    await bot.say(ANNA, "!termin jeden Dienstag 10 Uhr Jour fixe")
    # Eve runs the room of her own: like Matrix lets her redact anything there, she may tidy up its records.
    assert "abgesagt" in await bot.say(EVE, "!termin absagen 1", room=OTHER_ROOM, power=100)
    # A meeting of the group room is not hers to change, neither from her room nor in the group room.
    assert "gibt es in diesem Raum nicht" in await bot.say(EVE, "!termin absagen 2", room=OTHER_ROOM, power=100)
    refused = await bot.say(EVE, "!termin absagen 2", room=GROUP_ROOM, power=0)
    assert "Termin #2 ändern oder absagen dürfen nur" in refused
    assert "Jour fixe" in await bot.say(ANNA, "!termin 2")


async def test_import_is_for_coordinators_only(bot: Bot) -> None:
    refused = await bot.say(ANNA, "!import anwenden")
    assert "Das dürfen nur Koordinator:innen" in refused
    assert "Das dürfen nur Koordinator:innen" in await bot.say(EVE, "!import anwenden", room=OTHER_ROOM, power=100)
    assert "Das dürfen nur" not in await bot.say(KOORD, "!import anwenden")
    assert "Das dürfen nur" not in await bot.say(MOD, "!import anwenden", power=50)
