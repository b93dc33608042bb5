"""Meetings end to end: reminders arrive by themselves in the room at the right second, cancelled
meetings stay quiet, a restart neither loses nor repeats one, and personal reminders come by DM."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import ShiftedClock
from bot.dev.client import DevClient
from commands.meetings import ReminderPlanner
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser

pytestmark = pytest.mark.e2e


async def ask(user: DevClient, room: str, bot: RunningBot, body: str) -> str:
    event_id = await user.send_text(room, body)
    reply = await user.wait_for_message(lambda m: m.sender == bot.user_id and m.reply_to == event_id, timeout=30)
    return reply.body


async def room_with_bot(user: DevClient, bot: RunningBot, *, encrypted: bool = False) -> str:
    room = await user.create_room(name="Jour fixe", invite=[bot.user_id], encrypted=encrypted)
    await user.wait_for_join(room, bot.user_id)
    return room


async def add_meeting(
    bot: RunningBot,
    room: str,
    *,
    due_in: float,
    offset: int = 60,
    rrule: str | None = None,
    title: str = "Kurzrunde",
    start: datetime | None = None,
) -> int:
    """A meeting whose first reminder is due `due_in` seconds from now (the command cannot say seconds)."""
    assert bot.app is not None
    app = bot.app
    now = app.clock.now()
    async with app.db.transaction() as repos:
        record = await repos.meetings.add(
            room_id=room,
            title=title,
            start=start or now + timedelta(seconds=due_in + offset),
            timezone="Europe/Berlin",
            rrule=rrule,
            duration_minutes=None,
            offsets=[offset],
            created_by="@x:localhost",
            now=now,
        )
    await app.planner.refresh("meeting", record.id)
    return record.id


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_command_creates_meeting_and_reminder_arrives_on_time(
    start_bot: StartBot, make_user: MakeUser, encrypted: bool
) -> None:
    bot = await start_bot()
    anna = await make_user("anna")
    room = await room_with_bot(anna, bot, encrypted=encrypted)
    text = await ask(anna, room, bot, "!termin jeden 2. Dienstag im Monat 14 Uhr Sensorik")
    assert "Termin #1 eingetragen: Sensorik – jeden 2. Dienstag im Monat um 14:00 Uhr" in text
    assert bot.app is not None
    planned = bot.app.planner.of(ReminderPlanner).planned_at(1)
    assert planned is not None, "the recurring meeting's next reminder is scheduled"

    meeting_id = await add_meeting(bot, room, due_in=3)
    due_ms = (bot.app.clock.now() + timedelta(seconds=3)).timestamp() * 1000
    reminder = await anna.wait_for_message(lambda m: m.sender == bot.user_id and "⏰" in m.body, timeout=20)
    assert "Kurzrunde beginnt in 1 Minute" in reminder.body
    assert reminder.encrypted == encrypted
    assert -500 <= reminder.origin_server_ts - due_ms <= 2000, "sent at its time, not before, hardly later"
    planner = bot.app.planner.of(ReminderPlanner)
    assert planner.planned_at(meeting_id) is None, "a one-off meeting has nothing more to send"


async def test_cancelled_meeting_sends_nothing(start_bot: StartBot, make_user: MakeUser) -> None:
    clock = ShiftedClock()
    bot = await start_bot(clock=clock)
    ben = await make_user("ben")
    room = await room_with_bot(ben, bot)
    cancelled = await add_meeting(bot, room, due_in=600, title="Kurzrunde")
    await add_meeting(bot, room, due_in=600, title="Kontrollrunde")  # not cancelled: shows the time did come
    assert "ist abgesagt" in await ask(ben, room, bot, f"!termin absagen {cancelled}")
    assert bot.app is not None
    clock.advance(timedelta(seconds=601))  # past both reminders' due time, for the bot
    await bot.app.scheduler.run_due()  # everything due by now has been sent when this returns
    reminder = await ben.wait_for_message(lambda m: m.sender == bot.user_id and "⏰" in m.body, timeout=20)
    assert "Kontrollrunde beginnt" in reminder.body and "Kurzrunde" not in reminder.body
    assert "Pong" in await ask(ben, room, bot, "!ping")  # the client has seen everything sent before the pong
    assert len([m for m in ben.received() if m.sender == bot.user_id and "⏰" in m.body]) == 1


async def test_restart_sends_missed_reminder_late_and_only_once(start_bot: StartBot, make_user: MakeUser) -> None:
    clock = ShiftedClock()
    bot = await start_bot(clock=clock)
    cem = await make_user("cem")
    room = await room_with_bot(cem, bot)
    await add_meeting(bot, room, due_in=120, offset=3600)
    await bot.stop()
    # The reminder falls due while the bot is down: it is back 3 minutes late. (Less than the 15 minutes after which
    # commands count as too old to answer: the homeserver's clock, which stamps them, does not move.)
    clock.advance(timedelta(minutes=5))
    await bot.start()
    late = await cem.wait_for_message(lambda m: m.sender == bot.user_id and "⏰" in m.body, timeout=20)
    assert "Kurzrunde beginnt in 1 Stunde" in late.body
    # Only a reminder sent more than a minute after its time says so: this one went out after the restart.
    assert "verspätet" in late.body
    await bot.stop()
    await bot.start()
    assert bot.app is not None
    await bot.app.wait_caught_up()  # the second catch-up is done: had it sent the reminder again, it was before this
    assert "Pong" in await ask(cem, room, bot, "!ping")
    assert len([m for m in cem.received() if m.sender == bot.user_id and "⏰" in m.body]) == 1


async def test_personal_reminder_arrives_by_direct_message(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    dora = await make_user("dora")
    room = await room_with_bot(dora, bot)
    text = await ask(dora, room, bot, "!erinnere mich in 2 Stunden an die XRechnung-Frist")
    assert "per Direktnachricht" in text
    assert bot.app is not None
    app = bot.app
    now = app.clock.now()
    async with app.db.transaction() as repos:
        [reminder] = await repos.reminders.active(due_after=now)
        record = await repos.reminders.add(
            user_id=dora.user_id,
            message="Bericht abgeben",
            due=now + timedelta(seconds=2),
            timezone="Europe/Berlin",
            language="de",
            created_in=room,
            now=now,
        )
    assert reminder.message == "die XRechnung-Frist"
    await app.planner.refresh("personal", record.id)
    dm = await dora.wait_for_invite(inviter=bot.user_id, timeout=20)
    await dora.join(dm)
    message = await dora.wait_for_message(lambda m: m.room_id == dm and "⏰" in m.body, timeout=20)
    assert message.body == "⏰ Erinnerung: Bericht abgeben"
    assert message.encrypted, "personal reminders go into an encrypted direct chat"


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_calendar_file_arrives_as_upload(start_bot: StartBot, make_user: MakeUser, encrypted: bool) -> None:
    import icalendar
    from nio.crypto.attachments import decrypt_attachment

    bot = await start_bot()
    emil = await make_user("emil")
    room = await room_with_bot(emil, bot, encrypted=encrypted)
    await ask(emil, room, bot, "!termin jeden Dienstag 10:00 Jour fixe")
    event_id = await emil.send_text(room, "!termine ics")
    upload = await emil.wait_for_message(
        lambda m: m.sender == bot.user_id and m.msgtype == "m.file" and m.reply_to == event_id, timeout=30
    )
    assert upload.body == "termine.ics" and upload.encrypted == encrypted
    file_info = upload.content.get("file")
    download = await emil.nio.download(file_info["url"] if file_info else upload.content["url"])
    data = download.body
    if file_info:
        data = decrypt_attachment(data, file_info["key"]["k"], file_info["hashes"]["sha256"], file_info["iv"])
    [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert str(event["summary"]) == "Jour fixe"


async def test_reminders_due_together_arrive_as_one_message(start_bot: StartBot, make_user: MakeUser) -> None:
    bot = await start_bot()
    anna = await make_user("anna")
    room = await room_with_bot(anna, bot)
    assert bot.app is not None
    start = bot.app.clock.now().replace(microsecond=0) + timedelta(seconds=64)
    for title in ("Jour fixe", "Sprint Review", "Abstimmung"):
        await add_meeting(bot, room, due_in=0, title=title, start=start)
    reminder = await anna.wait_for_message(lambda m: m.sender == bot.user_id and "⏰" in m.body, timeout=20)
    assert reminder.body.startswith("⏰ 3 Termine stehen an:")
    assert all(title in reminder.body for title in ("Jour fixe", "Sprint Review", "Abstimmung"))
    sentinel = await anna.send_text(room, "!ping")
    await anna.wait_for_message(lambda m: m.reply_to == sentinel, timeout=20)
    reminders = [m for m in anna.received() if m.sender == bot.user_id and "⏰" in m.body]
    assert len(reminders) == 1, "one message for the three, not one each"
