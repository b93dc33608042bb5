"""Monitoring end to end, as an admin sees it: after real traffic through Synapse, /metrics shows the commands,
the reminders and the reply latency, /health says ok; an internal error and a missed reminder reach the admin room
(read by a real client) with their reference and without what anybody wrote; a homeserver outage is reported once
the homeserver is back."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import generate_latest

from bot.clock import ShiftedClock
from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.homeserver import Homeserver
from bot.dispatch import CommandContext, Registry, Router
from bot.replies import Reply
from tests.conftest import RunningBot, StartBot, bot_config
from tests.fixtures_matrix import MakeUser
from tests.test_e2e_meetings import add_meeting
from tests.test_monitor import sample

pytestmark = pytest.mark.e2e

SECRET = "Geheimnis 4711 der Stadt Bühl"

boom = Router("boom", title_de="Test", title_en="Test")


@boom.command("kaputt", help_de="geht kaputt", help_en="breaks")
async def broken(ctx: CommandContext, *, text: str | None = None) -> Reply:
    raise RuntimeError("boom")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def from_bot(bot: RunningBot, fragment: str) -> Callable[[ReceivedMessage], bool]:
    return lambda m: m.sender == bot.user_id and fragment in m.body


def answers(bot: RunningBot, event_id: str) -> Callable[[ReceivedMessage], bool]:
    return lambda m: m.sender == bot.user_id and m.reply_to == event_id


async def ask(user: DevClient, room: str, bot: RunningBot, body: str) -> str:
    event_id = await user.send_text(room, body)
    return (await user.wait_for_message(answers(bot, event_id), timeout=30)).body


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def name_admin_room(bot: RunningBot, room: str) -> None:
    """What an admin does: write the room into the config and reload it (SIGHUP)."""
    assert bot.app is not None
    text = bot.config_path.read_text(encoding="utf-8").replace("[bot]\n", f'[bot]\nadmin_room = "{room}"\n', 1)
    bot.config_path.write_text(text, encoding="utf-8")
    result = await bot.app.reload(bot.config_path)
    assert result is not None and "[bot].admin_room" in result.changed


async def test_metrics_health_and_alerts_after_real_traffic(start_bot: StartBot, make_user: MakeUser) -> None:
    clock = ShiftedClock()
    port = free_port()
    # Commands may be old for the bot: its clock is moved three hours ahead, the homeserver's stamps are not.
    bot = await start_bot(
        clock=clock,
        extra=f'\n[monitoring]\nlisten = "127.0.0.1:{port}"\nalert_interval_minutes = 0\n',
        max_age=6 * 3600,
    )
    admin = await make_user("admin")
    anna = await make_user("anna")
    admin_room = await admin.create_room(name="redi-bot Admins", invite=[bot.user_id], encrypted=True)
    await admin.wait_for_join(admin_room, bot.user_id)
    await name_admin_room(bot, admin_room)
    room = await anna.create_room(name="eAkte", invite=[bot.user_id])
    await anna.wait_for_join(room, bot.user_id)
    # A reminder falls due while the bot is down, and it is back only after the 2-hour grace: recorded as missed.
    await add_meeting(bot, room, due_in=600, offset=4 * 3600, title="Verpasst")
    await bot.stop()
    clock.advance(timedelta(hours=3))
    await bot.start()
    missed = await admin.wait_for_message(from_bot(bot, "Geplante Nachricht verpasst"), timeout=30)
    assert "meeting" in missed.body and "Verpasst" not in missed.body
    app = bot.app
    assert app is not None

    assert "Pong" in await ask(anna, room, bot, "!ping")
    assert "Pong" in await ask(anna, room, bot, "!ping")
    assert "kenne ich nicht" in await ask(anna, room, bot, "!pnig")
    app.dispatcher.registry = Registry([*app.dispatcher.registry.routers, boom])  # a command with a bug
    reply = await ask(anna, room, bot, f"!kaputt {SECRET}")
    ref = re.search(r"Referenz `?([0-9a-f]{8})", reply)
    assert ref is not None, reply
    alert = await admin.wait_for_message(from_bot(bot, "Interner Fehler"), timeout=30)
    assert ref[1] in alert.body and "Internal error" in alert.body
    assert "Geheimnis" not in alert.body and "4711" not in alert.body and anna.user_id not in alert.body

    await add_meeting(bot, room, due_in=600, title="Kurzrunde")
    clock.advance(timedelta(seconds=601))
    await app.scheduler.run_due()
    await anna.wait_for_message(from_bot(bot, "Kurzrunde beginnt"), timeout=30)

    code, text = await get(f"http://127.0.0.1:{port}/metrics")
    assert code == 200
    assert sample(text, "redi_commands_total", command="ping", outcome="ok") == 2
    assert sample(text, "redi_commands_total", command="unknown", outcome="user_error") == 1
    assert sample(text, "redi_commands_total", command="kaputt", outcome="internal_error") == 1
    assert sample(text, "redi_reminders_total", outcome="sent") == 1
    assert sample(text, "redi_reminders_total", outcome="missed") == 1
    assert sample(text, "redi_reply_latency_seconds_count") == 4
    assert 0 <= sample(text, "redi_sync_lag_seconds") < 60
    assert sample(text, "redi_scheduler_jobs_pending") >= 1  # the search statistics, the daily purge
    for private in (anna.user_id, admin.user_id, room, admin_room, "Geheimnis", "Kurzrunde", "Verpasst"):
        assert private not in text

    code, body = await get(f"http://127.0.0.1:{port}/health")
    assert code == 200, body
    assert json.loads(body)["status"] == "ok"


async def test_an_outage_is_reported_in_the_admin_room_when_the_homeserver_is_back(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    # A homeserver of its own: this test stops it, which must not disturb the others.
    workdir = tmp_path_factory.mktemp("monitor-synapse")
    server = await Homeserver.start(workdir)
    clock = ShiftedClock()
    users: list[DevClient] = []
    try:
        bot_account = await server.register("monitorbot", "pw-monitor")
        await server.register("admin", "pw-admin")
        admin = await DevClient.login(server.base_url, "@admin:localhost", "pw-admin", tmp_path / "admin")
        users.append(admin)
        admin_room = await admin.create_room(name="Admins", invite=[bot_account.user_id])
        config = tmp_path / "monitor.toml"
        config.write_text(
            bot_config(
                homeserver=server.base_url,
                user_id=bot_account.user_id,
                password=bot_account.password,
                data_dir=tmp_path / "monitor-data",
            ).replace("[bot]\n", f'[bot]\nadmin_room = "{admin_room}"\n'),
            encoding="utf-8",
        )
        bot = RunningBot(account=bot_account, config_path=config, clock=clock)
        await bot.start()
        try:
            await admin.wait_for_join(admin_room, bot.user_id)
            assert bot.app is not None and bot.app.monitor is not None
            monitor = bot.app.monitor
            await admin.close()
            users.remove(admin)
            port = int(server.base_url.rsplit(":", 1)[1])
            await server.stop()
            await asyncio.wait_for(monitor.wait_unreachable(), 30)
            clock.advance(timedelta(minutes=7))  # for the bot, the outage lasts seven minutes
            server = await Homeserver.start(workdir, port=port)
            admin = await DevClient.login(server.base_url, "@admin:localhost", "pw-admin", tmp_path / "admin2")
            users.append(admin)
            alert = await admin.wait_for_message(from_bot(bot, "nicht erreichbar"), timeout=60)
            assert re.search(r"war von .* bis .* nicht erreichbar \(7 min\)", alert.body), alert.body
            assert "was unreachable from" in alert.body
        finally:
            await bot.stop()
    finally:
        for user in users:
            await user.close()
        await server.stop()


async def test_rate_limits_of_the_homeserver_are_counted(
    start_bot: StartBot, make_user: MakeUser, homeserver: Homeserver
) -> None:
    bot = await start_bot()
    await homeserver.set_message_ratelimit(bot.user_id, messages_per_second=1, burst_count=1)
    jan = await make_user("jan")
    room = await jan.create_room(name="Viel los", invite=[bot.user_id])
    await jan.wait_for_join(room, bot.user_id)
    sent = [await jan.send_text(room, "!ping") for _ in range(5)]
    for event_id in sent:
        await jan.wait_for_message(answers(bot, event_id), timeout=60)
    assert bot.app is not None and bot.app.monitor is not None
    text = generate_latest(bot.app.monitor.metrics.registry).decode()
    assert sample(text, "redi_homeserver_errors_total", kind="rate_limited") >= 1
    assert sample(text, "redi_commands_total", command="ping", outcome="ok") == 5
