"""`redi-bot doctor` against a real Synapse: login, device keys, rooms and the clock, next to a running bot."""

from __future__ import annotations

import re
import secrets
import shutil
from datetime import timedelta

import aiohttp
import pytest

from bot.clock import ShiftedClock
from bot.config import load_config
from bot.doctor import Finding, diagnose
from bot.matrix import Credentials, password_login
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser

pytestmark = pytest.mark.e2e


async def started(start_bot: StartBot) -> RunningBot:
    """A bot whose config file is only for its user (it holds the password), as an admin keeps it."""
    bot = await start_bot()
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
