"""The yearly report's charts end to end: `!jahresbericht` in an encrypted group room sends its chart as an `m.image`
that a real Matrix client downloads and decrypts into the PNG the message describes; the report page in a real
browser (Debian's Chromium) shows both charts from our own origin with their tables, passes axe-core and the page's
Content-Security-Policy, and its print view prints to an A4 PDF. Screenshots and the PDF go to tests/artifacts/."""

from __future__ import annotations

import struct
from datetime import datetime, timedelta

import pytest
from nio.crypto.attachments import decrypt_attachment
from playwright.async_api import Browser

from bot.dev.homeserver import free_port
from tests.conftest import RunningBot, StartBot
from tests.fixtures_matrix import MakeUser
from tests.test_e2e_meetings import ask
from tests.test_e2e_web import ARTIFACTS, DESKTOP, browser, signed_in_tab

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, used by name

PNG = b"\x89PNG\r\n\x1a\n"


async def test_the_yearly_report_chart_arrives_as_an_encrypted_image(start_bot: StartBot, make_user: MakeUser) -> None:
    kora = await make_user("kora", displayname="Kora Koordination")
    anna = await make_user("anna", displayname="Anna Berger")
    room = await kora.create_room(name="Projektgruppe eAkte", invite=[anna.user_id], encrypted=True)
    await anna.join(room)
    bot = await start_bot(extra=f'[network]\ngroups = ["eAkte"]\n[rooms]\n"{room}" = "eAkte"\n')
    await kora.invite(room, bot.user_id)
    await kora.wait_for_join(room, bot.user_id)
    assert "#1" in await ask(anna, room, bot, "!beschluss Alle Städte führen die E-Akte ein")
    assert "#2" in await ask(anna, room, bot, "!beschluss Die Scanstraße steht in Rastatt")

    event_id = await anna.send_text(room, "!jahresbericht")
    image = await anna.wait_for_message(
        lambda m: m.sender == bot.user_id and m.msgtype == "m.image" and m.reply_to == event_id, timeout=60
    )
    assert image.encrypted and "url" not in image.content, "in an encrypted room the picture is encrypted too"
    assert image.body.startswith("Balkendiagramme: Beschlüsse") and "eAkte: 2 Beschlüsse" in image.body
    info = image.content["info"]
    assert info["mimetype"] == "image/png" and image.content["filename"].endswith(".png")
    file = image.content["file"]
    download = await anna.nio.download(file["url"])
    data = decrypt_attachment(download.body, file["key"]["k"], file["hashes"]["sha256"], file["iv"])
    assert data[:8] == PNG and len(data) == info["size"]
    assert struct.unpack(">II", data[16:24]) == (info["w"], info["h"]), "the size the message gives"
    report = [m for m in anna.received() if m.reply_to == event_id and m.msgtype == "m.file"]
    assert [m.body for m in report] == [f"jahresbericht-{datetime.now().year}-eakte.md"], "the file comes too"


async def test_the_report_page_in_a_browser_and_its_print_pdf(
    start_bot: StartBot, make_user: MakeUser, browser: Browser
) -> None:
    kora = await make_user("kora", displayname="Kora Koordination")
    anna = await make_user("anna", displayname="Anna Berger")
    eakte = await kora.create_room(name="Projektgruppe eAkte", invite=[anna.user_id], encrypted=True)
    sensorik = await kora.create_room(name="Projektgruppe Sensorik", encrypted=True)
    await anna.join(eakte)
    port = free_port()
    bot = await start_bot(
        extra=f'[web]\nlisten = "127.0.0.1:{port}"\n'
        f'[network]\ngroups = ["eAkte", "Sensorik"]\n[rooms]\n"{eakte}" = "eAkte"\n"{sensorik}" = "Sensorik"\n',
    )
    for room in (eakte, sensorik):
        await kora.invite(room, bot.user_id)
        await kora.wait_for_join(room, bot.user_id)
    assert "#1" in await ask(anna, eakte, bot, "!beschluss Alle Städte führen die E-Akte ein")
    assert "#2" in await ask(anna, eakte, bot, "!beschluss Die Scanstraße steht in Rastatt")
    assert "#3" in await ask(kora, sensorik, bot, "!beschluss Pegelsensoren melden alle 15 Minuten")
    year = await _past_substitutions(bot)

    anna_tab = await signed_in_tab(browser, anna, eakte, bot, "Anna Berger")
    page = anna_tab.page
    await page.get_by_role("link", name="Jahresbericht").first.click()
    await page.get_by_role("heading", name=f"Jahresbericht {year}").wait_for()
    charts = page.get_by_role("img")
    assert await charts.count() == 2
    # Both pictures loaded from our origin (drawn on request: the first one takes a moment) and are no broken image.
    await page.wait_for_function("() => [...document.images].every(img => img.complete)")
    widths = await page.eval_on_selector_all("main img", "images => images.map(img => img.naturalWidth)")
    assert len(widths) == 2 and all(width > 300 for width in widths), widths
    for index in range(2):
        assert "Tabelle darunter" in (await charts.nth(index).get_attribute("alt") or "")
    shown = await page.inner_text("main")
    assert "eAkte" in shown and "Sensorik" not in shown and "Pegelsensoren" not in shown
    assert "Rastatt" in shown and "Bühl" in shown
    await anna_tab.check("report")

    await page.get_by_role("link", name="Druckansicht").click()
    await page.get_by_role("heading", name=f"Jahresbericht {year}").wait_for()
    assert await page.get_by_role("navigation").count() == 0, "no navigation on paper"
    await anna_tab.check("report-print")
    await page.set_viewport_size(DESKTOP)
    await page.emulate_media(media="print")
    await page.screenshot(path=ARTIFACTS / "web-report-print.png", full_page=True)
    pdf = await page.pdf(format="A4", print_background=True, path=str(ARTIFACTS / "web-report.pdf"))
    assert pdf.startswith(b"%PDF-") and b"/MediaBox [0 0 595" in pdf, "A4: 595 points wide"
    pages = pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>>") + pdf.count(b"/Type /Page ")
    assert 1 <= pages <= 4, pages
    await anna_tab.context.close()


async def _past_substitutions(bot: RunningBot) -> int:
    """Substitutions done earlier this year between three cities, as the bot stores them once they are over (the
    whole way through chat is `test_e2e_substitutions`'s)."""
    assert bot.app is not None
    now = bot.app.clock.now()
    start = now - timedelta(days=1) if now.timetuple().tm_yday > 1 else now
    async with bot.app.db.transaction() as repos:
        for number, (helper, helper_city, requester_city) in enumerate(
            (("@ben:localhost", "Rastatt", "Bühl"), ("@ben:localhost", "Rastatt", "Ettlingen"),
             ("@clara:localhost", "Ettlingen", "Bühl")), 1
        ):  # fmt: skip
            record = await repos.substitutions.add(
                room_id="!x:localhost", requester=f"@r{number}:localhost", requester_city=requester_city,
                what="Digitaltag", topics=[], start=start, end=start + timedelta(hours=2),
                deadline=start - timedelta(hours=1), timezone="Europe/Berlin", needed=1, now=start,
            )  # fmt: skip
            await repos.substitutions.set_offer(record.id, helper, "accepted", now=start, city=helper_city)
            await repos.substitutions.set_state(record.id, "done", now=now)
    return start.astimezone(bot.app.config.timezone).year
