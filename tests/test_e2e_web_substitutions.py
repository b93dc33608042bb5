"""The substitution board end to end, in a real browser against a real homeserver: Anna of Bühl asks for a stand-in in
an encrypted room; Ben of Rastatt asks `!web`, reads the link in his direct chat (encrypted), signs in in headless
Chromium, opens the board, writes a note and presses "Ich übernehme #1"; the page confirms it as the chat reply would,
and Anna's Matrix client receives the direct message about his offer, decrypted, as after `!übernehme 1` in chat.
The board is checked with axe-core (no serious or critical violations) and its Content-Security-Policy; screenshots
at phone and desktop width go to tests/artifacts/."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser

from bot.dev.homeserver import free_port
from tests.conftest import StartBot
from tests.fixtures_matrix import MakeUser
from tests.test_e2e_meetings import ask
from tests.test_e2e_web import ARTIFACTS, browser, signed_in_tab

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, used by name

BERLIN = ZoneInfo("Europe/Berlin")


def _day(days: int) -> str:
    return (datetime.now(BERLIN) + timedelta(days=days)).strftime("%d.%m.%Y")


async def test_offer_on_the_board_and_the_requester_reads_it_in_matrix(
    start_bot: StartBot, make_user: MakeUser, browser: Browser
) -> None:
    anna = await make_user("anna", displayname="Anna Berger")
    ben = await make_user("ben", displayname="Ben Roth")
    port = free_port()
    bot = await start_bot(extra=f'[web]\nlisten = "127.0.0.1:{port}"\n')
    room = await anna.create_room(name="Netzwerk", invite=[bot.user_id, ben.user_id], encrypted=True)
    await ben.join(room)
    await anna.wait_for_join(room, bot.user_id)
    for user, city in ((anna, "Bühl"), (ben, "Rastatt")):
        await ask(user, room, bot, f"!stadt {city}")
    said = await ask(anna, room, bot, f"!vertretung {_day(3)} 10-16 Uhr Digitaltag Bühl, Stand Engagementplattform")
    assert "Vertretung #1 eingetragen" in said
    ben_tab = await signed_in_tab(browser, ben, room, bot, "Ben Roth")
    page = ben_tab.page
    await page.get_by_role("link", name="Vertretungen", exact=True).first.click()
    await page.wait_for_url(f"http://127.0.0.1:{port}/vertretungen")
    board = await page.inner_text("main")
    assert "#1 Digitaltag Bühl, Stand Engagementplattform" in board and "Anna Berger" in board
    assert "Bühl" in board and "offen" in board
    await ben_tab.check("substitutions")

    await page.get_by_label("Notiz (freiwillig)").fill("komme ab 11 Uhr")
    await page.get_by_role("button", name="Ich übernehme #1").click()
    await page.get_by_role("status").wait_for()
    done = await page.inner_text("main")
    assert "Dein Angebot für #1 ist notiert" in done and "Du hast angeboten; Anna Berger entscheidet." in done
    assert await page.get_by_role("button", name="Ich übernehme #1").count() == 0, "offered: no second button"
    await ben_tab.check("substitutions-offered")

    # Anna's own Matrix client: the bot opens a direct chat with her and tells her, encrypted.
    direct = await anna.wait_for_invite(inviter=bot.user_id, timeout=30)
    await anna.join(direct)
    told = await anna.wait_for_message(
        lambda m: m.room_id == direct and m.sender == bot.user_id and "bietet an" in m.body, timeout=30
    )
    assert told.encrypted, "the direct message travels encrypted and Anna's client decrypted it"
    assert "dich bei #1 zu vertreten" in told.body and "komme ab 11 Uhr" in told.body
    assert "!zusage 1" in told.body, "how to accept, as after the chat command"

    shown = await ask(anna, room, bot, "!vertretung 1")
    assert "bietet an" in shown and "komme ab 11 Uhr" in shown, "the record, as chat shows it"
    await ben_tab.context.close()
    assert (ARTIFACTS / "web-substitutions-offered-phone.png").exists()
