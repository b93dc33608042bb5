"""`redi-bot doctor` against a real Synapse: login, device keys, rooms and the clock, next to a running bot."""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.clock import ShiftedClock
from bot.config import load_config
from bot.dev.client import DevClient
from bot.dev.homeserver import Homeserver, RegisteredUser
from bot.doctor import Finding, diagnose
from bot.matrix import Credentials, password_login
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser, RegisterUser

pytestmark = pytest.mark.e2e


async def started(start_bot: StartBot, **options: Any) -> RunningBot:
    """A bot whose config file is only for its user (it holds the password), as an admin keeps it."""
    bot = await start_bot(**options)
    bot.config_path.chmod(0o600)
    return bot


def lines(findings: list[Finding]) -> list[str]:
    return [f"{f.status.name} {f.text.de}" + (f" → {f.fix.de}" if f.fix else "") for f in findings]


def problems(findings: list[Finding]) -> list[str]:
    return [line for line in lines(findings) if line.startswith(("WARNING", "ERROR"))]


async def test_a_running_bot_is_checked_without_disturbing_it(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await started(start_bot)
    anna = await make_user("anna")
    joined = await anna.create_room(name="Projektgruppe eAkte", invite=[bot.user_id], encrypted=True)
    await anna.wait_for_join(joined, bot.user_id)
    alias = f"sensorik-{secrets.token_hex(3)}"
    await anna.create_room(name="Sensorik", alias=alias)  # the bot was never invited
    with bot.config_path.open("a", encoding="utf-8") as config:
        config.write(
            f'\n[rooms]\n"{joined}" = "eAkte"\n"#{alias}:localhost" = "Sensorik"\n'
            '"#gibtsnicht:localhost" = "Fachgruppe"\n'
        )

    findings = await diagnose(bot.config_path, env={})

    assert "OK der Homeserver nimmt den Zugang an" in lines(findings)
    assert any(line.startswith("OK Verschlüsselung: die Schlüssel von Gerät") for line in lines(findings))
    assert problems(findings) == [
        f'WARNING [rooms] "#{alias}:localhost": der Bot ist nicht im Raum #{alias}:localhost (!'
        + problems(findings)[0].split("(!", 1)[1],
        'ERROR [rooms] "#gibtsnicht:localhost": der Homeserver kennt die Adresse #gibtsnicht:localhost nicht; der Bot '
        "übergeht den Eintrag → Schreibweise prüfen oder die Raum-ID eintragen (Element: Raumeinstellungen → "
        "Erweitert → Interne Raum-ID)",
    ]
    assert "den Bot in den Raum einladen" in problems(findings)[0]
    assert not any(joined in line for line in problems(findings))

    # The bot went on as if nothing happened.
    event_id = await anna.send_text(joined, "!ping")
    reply = await anna.wait_for_message(lambda m: m.reply_to == event_id, sender=bot.user_id)
    assert "Pong" in reply.body


async def test_a_clock_that_is_off_is_a_warning(start_bot: StartBot) -> None:
    bot = await started(start_bot)
    findings = await diagnose(bot.config_path, env={}, clock=ShiftedClock(timedelta(minutes=10)))
    [skew] = problems(findings)
    assert re.match(r"WARNING die Uhr dieses Rechners geht (599|600|601) s vor \(verglichen mit dem Homeserver\)", skew)
    assert "[bot].max_command_age_seconds" in skew


async def test_a_lost_key_store_is_an_error_and_the_advice_repairs_it(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await started(start_bot)
    await bot.stop()
    config = load_config(bot.config_path, env={})
    shutil.rmtree(config.data_dir / "crypto")  # a new machine, data_dir copied without it

    [lost] = problems(await diagnose(bot.config_path, env={}))
    assert lost.startswith(f"ERROR der Schlüsselspeicher {config.data_dir / 'crypto'} für Gerät")
    assert "fehlt" in lost and "aus der Sicherung zurückspielen" in lost

    # Started anyway: the bot makes new keys for the same device; the homeserver takes its new device key but
    # keeps handing out the old one-time keys, which nobody can use to write to it.
    await bot.start()
    [stale] = problems(await diagnose(bot.config_path, env={}))
    assert "Einmalschlüssel, die nicht von seinem Schlüssel unterschrieben sind" in stale
    assert f"{Credentials.path(config.data_dir)} löschen, `redi-bot login` (neues Gerät), starten" in stale
    await bot.stop()

    # The advice: delete credentials.json and log in again, which makes a new device.
    old_device = Credentials.load(config.data_dir)
    Credentials.path(config.data_dir).unlink()
    new_device = await password_login(config, bot.account.password)
    assert old_device is not None and new_device.device_id != old_device.device_id
    findings = await diagnose(bot.config_path, env={})
    assert not problems(findings)
    assert (
        f"NOTE Gerät {new_device.device_id} hat noch keine Schlüssel hochgeladen; das tut der nächste Start"
        in lines(findings)
    )

    await bot.start()
    findings = await diagnose(bot.config_path, env={})
    assert not problems(findings)
    assert any(line.startswith("OK Verschlüsselung") for line in lines(findings))
    anna = await make_user("anna")
    room = await anna.create_room(name="Projektgruppe eAkte", invite=[bot.user_id], encrypted=True)
    await anna.wait_for_join(room, bot.user_id)
    event_id = await anna.send_text(room, "!ping")
    reply = await anna.wait_for_message(lambda m: m.reply_to == event_id, sender=bot.user_id)
    assert reply.encrypted and "Pong" in reply.body


async def test_a_revoked_login_is_an_error_that_names_the_login_command(start_bot: StartBot) -> None:
    bot = await started(start_bot)
    await bot.stop()
    config = load_config(bot.config_path, env={})
    credentials = Credentials.load(config.data_dir)
    assert credentials is not None
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{config.matrix.homeserver}/_matrix/client/v3/logout",
            headers={"Authorization": f"Bearer {credentials.access_token}"},
        ) as response,
    ):
        assert response.status == 200

    findings = await diagnose(bot.config_path, env={})
    [revoked] = problems(findings)
    assert revoked.startswith("ERROR der Homeserver nimmt den gespeicherten Zugang nicht mehr an (M_UNKNOWN_TOKEN")
    assert revoked.endswith(f"→ redi-bot login -c {bot.config_path}")
    assert not any("Verschlüsselung" in line for line in lines(findings))  # nothing more to ask with that token


async def doctor(config_path: Path) -> tuple[int, str]:
    """The command as an admin runs it (in a thread: it runs its own event loop, next to the bot's)."""
    result = await asyncio.to_thread(CliRunner().invoke, main, ["doctor", "-c", str(config_path)])
    return result.exit_code, result.output


async def change_power_levels(homeserver: Homeserver, admin: RegisteredUser, room_id: str, **change: Any) -> None:
    """What a room admin does under Room settings → Roles & Permissions (here from her second device). A map such as
    `users` is merged into the room's."""
    base = f"{homeserver.base_url}/_matrix/client/v3"
    path = f"{base}/rooms/{room_id}/state/m.room.power_levels/"
    async with aiohttp.ClientSession() as session:
        login = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": admin.user_id}}
        async with session.post(f"{base}/login", json=login | {"password": admin.password}) as response:
            assert response.status == 200, await response.text()
            headers = {"Authorization": f"Bearer {(await response.json())['access_token']}"}
        async with session.get(path, headers=headers) as response:
            assert response.status == 200, await response.text()
            levels = await response.json()
        for key, value in change.items():
            levels[key] = levels.get(key, {}) | value if isinstance(value, dict) else value
        async with session.put(path, headers=headers, json=levels) as response:
            assert response.status == 200, await response.text()


async def test_a_room_where_the_bot_may_not_write_is_an_error(
    start_bot: StartBot, register_user: RegisterUser, homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = await started(start_bot)
    account = await register_user("anna")
    async with await DevClient.login(homeserver.base_url, account.user_id, account.password, tmp_path / "anna") as anna:
        room = await anna.create_room(name="Projektgruppe eAkte", invite=[bot.user_id])
        await anna.wait_for_join(room, bot.user_id)
    with bot.config_path.open("a", encoding="utf-8") as config:
        config.write(f'\n[rooms]\n"{room}" = "eAkte"\n')
    assert not problems(await diagnose(bot.config_path, env={}))

    # Anna lets only moderators write.
    await change_power_levels(homeserver, account, room, events_default=50)
    code, output = await doctor(bot.config_path)
    assert code == 1
    assert (
        f"FEHLER   der Bot darf im Raum {room} nicht schreiben: seine Berechtigungsstufe ist 0, m.room.message braucht "
        f"50 und m.reaction braucht 50\n         → dem Bot im Raum {room} mindestens Berechtigungsstufe 50 geben: "
        "Element → Raumeinstellungen → Rollen & Berechtigungen"
    ) in output
    assert output.rstrip().endswith("Ergebnis: 1 Fehler.")

    # The advice: the bot becomes a moderator.
    await change_power_levels(homeserver, account, room, users={bot.user_id: 50})
    code, output = await doctor(bot.config_path)
    assert code == 0, output
    assert output.rstrip().endswith("Alles in Ordnung.")


async def test_coordinators_the_homeserver_does_not_know_are_a_warning(
    start_bot: StartBot, register_user: RegisterUser
) -> None:
    carla = await register_user("carla")
    typo = f"@{carla.localpart.replace('carla', 'karla')}:localhost"
    remote = "@jemand:partner.example"  # federation is off on the test homeserver: it cannot ask partner.example
    bot = await started(start_bot)
    with bot.config_path.open("a", encoding="utf-8") as config:
        config.write(f'\n[network]\ncoordinators = ["{carla.user_id}", "{typo}", "{remote}"]\n')

    findings = await diagnose(bot.config_path, env={})
    assert problems(findings) == [
        f"WARNING [network].coordinators: den Benutzer {typo} kennt der Homeserver nicht; diese Person hat keine "
        "Koordinationsrechte → Tippfehler? Die volle Matrix-ID eintragen (@name:server; Element zeigt sie im Profil "
        "der Person)"
    ]
    [unknown] = [line for line in lines(findings) if remote in line]
    assert unknown.startswith(f"NOTE [network].coordinators: {remote} nicht prüfbar (")
    assert not any(carla.user_id in line for line in lines(findings))


async def test_room_members_whose_invites_the_bot_would_decline_are_a_warning(
    start_bot: StartBot, make_user: MakeUser
) -> None:
    anna = await make_user("anna")
    bernd = await make_user("bernd")
    # Only Anna may invite the bot (and people from partner.example): Bernd, in the same room, may not.
    bot = await started(start_bot, servers=("partner.example",), users=(anna.user_id,))
    room = await anna.create_room(name="Projektgruppe eAkte", invite=[bot.user_id, bernd.user_id])
    await bernd.join(room)
    await anna.wait_for_join(room, bot.user_id)
    await anna.wait_for_join(room, bernd.user_id)
    with bot.config_path.open("a", encoding="utf-8") as config:
        config.write(f'\n[rooms]\n"{room}" = "eAkte"\n')

    code, output = await doctor(bot.config_path)
    assert code == 0, output
    assert (
        f"WARNUNG  1 Mitglied im Raum {room} darf den Bot nicht einladen (nicht in [invites]): {bernd.user_id}\n"
        '         → wenn sie den Bot einladen sollen: "localhost" in [invites].allowed_servers aufnehmen (oder die '
        "Personen in allowed_users)"
    ) in output
    assert "Ergebnis: 1 Warnung." in output
